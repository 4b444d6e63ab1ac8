"""traffic: an Ingress has a controller, default-deny egress keeps DNS, KEDA's roles only scale.

Each rule runs on small hand-written programs (any Pulumi program, not only ours): one that fails,
one that passes, and the change between them.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pulumi_kubernetes as k8s
from system_programs import check, node_group, opts, raw_cluster, undecided, violations

from components.pipeline_service.scaler import SCALER_ACTIONS
from policies.system import traffic

INGRESS_RULE = "ingress-controller"
DNS_RULE = "egress-dns"
KEDA_RULE = "keda-scaler-identity"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders"


# --------------------------------------------------------------------------- ingress-controller


def ingress_program(
    *, chart: str | None = "aws-load-balancer-controller", values: dict[str, Any] | None = None,
    ingress_class: str | None = "alb", class_object: str | None = None,
) -> None:  # fmt: skip
    cluster, provider, nets = raw_cluster()
    node_group(cluster, nets)
    if chart is not None:
        k8s.helm.v3.Release(
            "controller",
            chart=chart,
            namespace="kube-system",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://aws.github.io/eks-charts"),
            values=values or {},
            opts=opts(provider),
        )
    if class_object is not None:
        k8s.networking.v1.IngressClass(
            "alb-class",
            metadata={"name": "alb"},
            spec={"controller": class_object},
            opts=opts(provider),
        )
    spec: dict[str, Any] = {
        "rules": [
            {
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 80}}},
                        }
                    ]
                }
            }
        ]
    }
    if ingress_class is not None:
        spec["ingressClassName"] = ingress_class
    k8s.networking.v1.Ingress(
        "web", metadata={"name": "web", "namespace": "apps"}, spec=spec, opts=opts(provider)
    )


def test_an_ingress_needs_a_controller_serving_its_class() -> None:
    assert violations(check(ingress_program), INGRESS_RULE) == []
    assert violations(check(lambda: ingress_program(chart=None)), INGRESS_RULE) == [
        (
            "web",
            "Ingress 'web' (namespace apps) has class 'alb', which no controller in cluster 'demo' serves "
            "(classes served: none): it is stored and no load balancer is ever made; install the controller "
            "of that class (e.g. the aws-load-balancer-controller chart for 'alb') or use a served class",
        )
    ]


def test_a_class_object_without_its_controller_serves_nothing() -> None:
    # The IngressClass alone: its controller runs nowhere in the cluster.
    orphan = violations(
        check(lambda: ingress_program(chart=None, class_object="ingress.k8s.aws/alb")), INGRESS_RULE
    )
    assert [name for name, _ in orphan] == ["web"]
    # The chart without its own class object, plus an IngressClass naming its controller: served.
    no_class = {"createIngressClassResource": False}
    assert violations(check(lambda: ingress_program(values=no_class)), INGRESS_RULE)[0][0] == "web"
    assert (
        violations(
            check(lambda: ingress_program(values=no_class, class_object="ingress.k8s.aws/alb")), INGRESS_RULE
        )
        == []
    )


def test_the_class_must_be_the_one_the_chart_serves() -> None:
    found = violations(check(lambda: ingress_program(ingress_class="nginx")), INGRESS_RULE)
    assert found[0][1].startswith("Ingress 'web' (namespace apps) has class 'nginx', which no controller")
    assert "(classes served: alb)" in found[0][1]
    renamed = {"ingressClass": "internal-alb"}
    assert (
        violations(check(lambda: ingress_program(values=renamed, ingress_class="internal-alb")), INGRESS_RULE)
        == []
    )


def test_an_ingress_without_a_class_needs_a_default_class() -> None:
    found = violations(check(lambda: ingress_program(ingress_class=None)), INGRESS_RULE)
    assert found == [
        (
            "web",
            "Ingress 'web' (namespace apps) names no IngressClass and no class served in cluster 'demo' "
            "is the default: no controller will make its load balancer; set spec.ingressClassName "
            "(e.g. 'alb')",
        )
    ]
    default = {"ingressClassConfig": {"default": True}}
    assert violations(check(lambda: ingress_program(ingress_class=None, values=default)), INGRESS_RULE) == []


def test_a_cluster_outside_the_program_cannot_be_decided() -> None:
    def program() -> None:
        provider = k8s.Provider("elsewhere", kubeconfig="{}")
        k8s.networking.v1.Ingress(
            "web",
            metadata={"name": "web", "namespace": "apps"},
            spec={
                "ingressClassName": "alb",
                "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
            },
            opts=opts(provider),
        )

    report = check(program)
    assert violations(report, INGRESS_RULE) == []
    assert undecided(report, INGRESS_RULE) == [
        "Ingress 'web' (namespace apps) goes to the cluster of provider 'elsewhere' (not declared in this "
        "program): whether a controller serves its class is not visible"
    ]


# --------------------------------------------------------------------------- egress-dns

DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
HTTPS_OUT = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}


def dns(*protocols: str) -> dict[str, Any]:
    return {"to": [DNS_PEER], "ports": [{"port": 53, "protocol": p} for p in protocols]}


def egress_program(
    rules: list[dict[str, Any]], *, namespace_wide: list[dict[str, Any]] | None = None
) -> None:
    cluster, provider, nets = raw_cluster()
    node_group(cluster, nets)
    k8s.networking.v1.NetworkPolicy(
        "web",
        metadata={"name": "web", "namespace": "apps"},
        spec={"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"], "egress": rules},
        opts=opts(provider),
    )
    if namespace_wide is not None:
        k8s.networking.v1.NetworkPolicy(
            "apps-dns",
            metadata={"name": "dns", "namespace": "apps"},
            spec={"podSelector": {}, "policyTypes": ["Egress"], "egress": namespace_wide},
            opts=opts(provider),
        )


def test_default_deny_egress_without_dns_is_refused() -> None:
    assert violations(check(lambda: egress_program([HTTPS_OUT])), DNS_RULE) == [
        (
            "web",
            "NetworkPolicy 'web' (namespace apps) denies egress but allows no DNS over UDP and TCP port 53 "
            "to kube-dns: its pods cannot resolve names (AWS endpoints, Services); allow UDP and TCP 53 to "
            "kube-dns in kube-system",
        )
    ]
    assert violations(check(lambda: egress_program([dns("UDP", "TCP"), HTTPS_OUT])), DNS_RULE) == []


def test_dns_needs_both_protocols_and_the_dns_pods() -> None:
    udp_only = violations(check(lambda: egress_program([dns("UDP")])), DNS_RULE)
    assert "allows no DNS over TCP port 53" in udp_only[0][1]
    elsewhere = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}}],
                 "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}  # fmt: skip
    assert [name for name, _ in violations(check(lambda: egress_program([elsewhere])), DNS_RULE)] == ["web"]
    # A rule without ports allows every port, 53 included.
    assert violations(check(lambda: egress_program([{"to": [DNS_PEER]}])), DNS_RULE) == []


def test_a_namespace_wide_policy_can_bring_dns() -> None:
    # Allowed egress is the union of the policies selecting a pod.
    assert (
        violations(check(lambda: egress_program([HTTPS_OUT], namespace_wide=[dns("UDP", "TCP")])), DNS_RULE)
        == []
    )


def test_ingress_only_policies_are_not_egress_rules() -> None:
    def program() -> None:
        cluster, provider, nets = raw_cluster()
        node_group(cluster, nets)
        k8s.networking.v1.NetworkPolicy(
            "web",
            metadata={"name": "web", "namespace": "apps"},
            spec={"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []},
            opts=opts(provider),
        )

    assert violations(check(program), DNS_RULE) == []


# --------------------------------------------------------------------------- keda-scaler-identity


def trust(subject: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{ISSUER}:sub": subject, f"{ISSUER}:aud": "sts.amazonaws.com"}
                    },
                }
            ],
        }
    )


def allow(actions: list[str], resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    )


def keda_program(document: str | None, *, subject: str = "system:serviceaccount:keda:keda-operator",
                 managed: str | None = None) -> None:  # fmt: skip
    role = aws.iam.Role("scaler", assume_role_policy=trust(subject))
    if document is not None:
        aws.iam.RolePolicy("scaler", role=role.id, policy=document)
    if managed is not None:
        aws.iam.RolePolicyAttachment("scaler-managed", role=role.name, policy_arn=managed)


def test_a_role_keda_assumes_holds_scaler_permissions_only() -> None:
    assert (
        violations(check(lambda: keda_program(allow(["sqs:GetQueueAttributes"], QUEUE_ARN))), KEDA_RULE) == []
    )
    workload = allow(["sqs:GetQueueAttributes", "sqs:ReceiveMessage", "s3:GetObject"], "*")
    assert violations(check(lambda: keda_program(workload)), KEDA_RULE) == [
        (
            "scaler",
            "Role 'scaler' (trusted by KEDA's operator, system:serviceaccount:keda:keda-operator) may do "
            "more than read scaler metrics: s3:GetObject (RolePolicy 'scaler'), sqs:GetQueueAttributes on "
            "every resource ('*') (RolePolicy 'scaler'), sqs:ReceiveMessage (RolePolicy 'scaler'); the "
            "operator serves every namespace and would hold these too; give KEDA a scaler role with scaler "
            "permissions only (TriggerAuthentication podIdentity.roleArn)",
        )
    ]
    # The same permissions on a role only the workload assumes: not this rule's business.
    other = "system:serviceaccount:apps:web"
    assert violations(check(lambda: keda_program(workload, subject=other)), KEDA_RULE) == []


def test_the_operator_role_itself_and_wildcard_subjects_count() -> None:
    assert violations(check(lambda: keda_program(None)), KEDA_RULE) == []  # no permission at all
    like = allow(["kms:Decrypt"], "*")
    found = violations(
        check(lambda: keda_program(like, subject="system:serviceaccount:autoscaling:keda-operator")),
        KEDA_RULE,
    )
    assert "kms:Decrypt (RolePolicy 'scaler')" in found[0][1]


def test_a_managed_policy_outside_the_program_cannot_be_decided() -> None:
    report = check(lambda: keda_program(None, managed="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"))
    assert violations(report, KEDA_RULE) == []
    assert undecided(report, KEDA_RULE) == [
        "Role 'scaler' (trusted by KEDA's operator, system:serviceaccount:keda:keda-operator): managed "
        "policies outside the program (arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess)"
    ]


def test_the_rule_and_the_component_agree_on_the_scaler_actions() -> None:
    assert {action.lower() for action in SCALER_ACTIONS} == traffic.SCALER_ACTIONS


def test_an_unknown_policy_is_not_a_violation() -> None:
    def program() -> None:
        role = aws.iam.Role("scaler", assume_role_policy=trust("system:serviceaccount:keda:keda-operator"))
        queue = aws.sqs.Queue("orders")
        aws.iam.RolePolicy(
            "scaler", role=role.id, policy=queue.arn.apply(lambda arn: allow(["sqs:GetQueueAttributes"], arn))
        )

    report = check(program, preview=True)
    assert violations(report, KEDA_RULE) == []
    assert [text.split(": ")[-1] for text in undecided(report, KEDA_RULE)] == [
        "a policy document is unknown during preview"
    ]
