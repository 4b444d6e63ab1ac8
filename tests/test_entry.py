"""How data enters (issue 26, items 1, 4, 5): the AWS Load Balancer Controller with its upstream IAM
policy, the services' ALB Ingress, the NetworkPolicies that admit the ALB and deny other egress, and
KEDA's scaler-only identity; the config refusals; the ALB in ``cost`` and ``graph``."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components._validation import InvalidConfigError
from components.eks import load_balancer
from components.eks.load_balancer import (
    LBC_POLICY_SHA256,
    LoadBalancerControllerSettings,
    controller_policy,
    controller_values,
)
from components.eks.pools import Placement
from components.pipeline_service import (
    PipelineService,
    PipelineServiceArgs,
    PipelineServiceSettings,
    ServiceNetwork,
)
from components.pipeline_service.ingress import ingress
from dpengine.cost import estimate, from_records
from dpengine.engine import EngineError, StackRun, run_function, run_program
from dpengine.graph import build_graph
from dpengine.load_balancers import load_balancers
from dpengine.plan import plan_json
from tests.pipeline_service_cases import assert_valid_object

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "components" / "eks" / "aws-load-balancer-controller-v3.5.0-iam_policy.json"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-4888-9999-aaaaaaaaaaaa"
SYSTEM = Placement(
    "system",
    "node_group",
    {"dataplatform.io/pool": "system"},
    [{"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
)
NETWORK = ServiceNetwork(
    vpc_cidrs=["10.20.0.0/16"],
    public_subnet_cidrs=["10.20.128.0/21", "10.20.136.0/21"],
    private_subnet_cidrs=["10.20.0.0/19", "10.20.32.0/19"],
    data_subnet_cidrs=["10.20.160.0/21", "10.20.168.0/21"],
)
TAGS = {
    "Environment": "prod",
    "Project": "dataplatform",
    "Owner": "o",
    "CostCenter": "c",
    "ManagedBy": "pulumi",
}
API: dict[str, Any] = {
    "name": "ingest-api",
    "image": "public.ecr.aws/acme/ingest:1.0.0",
    "port": 8080,
    "probes": {"readiness": {"type": "http", "path": "/ready"}},
    "ingress": {"certificate_arn": CERT},
}


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


# --------------------------------------------------------------------------- the controller, pure


def test_the_kept_iam_policy_is_the_upstream_file_byte_for_byte() -> None:
    # The digest of kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json at v3.5.0.
    assert hashlib.sha256(UPSTREAM.read_bytes()).hexdigest() == LBC_POLICY_SHA256
    assert json.loads(controller_policy()) == json.loads(UPSTREAM.read_text())
    document = json.loads(controller_policy())
    actions = {
        a
        for s in document["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    # What the entry needs from it: ALBs, listeners, TLS certificates, WAF, the service-linked role.
    assert {
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateListener",
        "acm:DescribeCertificate",
        "wafv2:AssociateWebACL",
        "iam:CreateServiceLinkedRole",
    } <= actions
    assert len(document["Statement"]) == 16


def test_a_modified_policy_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    edited = UPSTREAM.read_bytes().replace(b'"iam:CreateServiceLinkedRole"', b'"iam:*"', 1)
    assert edited != UPSTREAM.read_bytes()
    monkeypatch.setattr(load_balancer, "_policy_bytes", lambda: edited)
    with pytest.raises(ValueError, match=r"differs from https://github\.com/kubernetes-sigs"):
        controller_policy()


def test_controller_values() -> None:
    values = controller_values(
        LoadBalancerControllerSettings(),
        cluster_name="eks-prod",
        region="eu-west-1",
        vpc_id="vpc-1",
        role_arn="arn:aws:iam::123456789012:role/lbc",
        placement=SYSTEM,
    )
    assert values == {
        "clusterName": "eks-prod",
        "region": "eu-west-1",
        "vpcId": "vpc-1",
        "replicaCount": 2,
        "serviceAccount": {
            "create": True,
            "name": "aws-load-balancer-controller",
            "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/lbc"},
        },
        "nodeSelector": {"dataplatform.io/pool": "system"},
        "tolerations": [
            {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ],
        "ingressClass": "alb",
        "createIngressClassResource": True,
        "defaultSSLPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "defaultTargetType": "ip",
        "enableServiceMutatorWebhook": False,
        "podDisruptionBudget": {"maxUnavailable": 1},
    }


# --------------------------------------------------------------------------- the controller in the stacks


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_controller_has_its_own_role_with_the_upstream_policy_on_the_system_nodes(name: str) -> None:
    run = stack(name)
    role = run.one(ROLE, "eks-lbc-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert sorted(statement["Condition"]["StringEquals"].values()) == [
        "sts.amazonaws.com",
        "system:serviceaccount:kube-system:aws-load-balancer-controller",
    ]
    policy = run.one(ROLE_POLICY, "eks-lbc-policy")
    assert policy.inputs["role"] == role.id
    assert policy.inputs["policy"] == controller_policy()
    # Only the controller's role holds the controller's policy.
    assert [r.name for r in run.by_type(ROLE_POLICY) if r.inputs["policy"] == controller_policy()] == [
        "eks-lbc-policy"
    ]
    release = run.one(RELEASE, "eks-lbc")
    cluster = run.one("eks:index:Cluster")
    vpc = run.one("aws:ec2/vpc:Vpc")
    assert {k: release.inputs[k] for k in ("name", "chart", "version", "namespace", "repositoryOpts")} == {
        "name": "aws-load-balancer-controller",
        "chart": "aws-load-balancer-controller",
        "version": "3.5.0",
        "namespace": "kube-system",
        "repositoryOpts": {"repo": "https://aws.github.io/eks-charts"},
    }
    values = release.inputs["values"]
    assert values == controller_values(
        LoadBalancerControllerSettings(),
        cluster_name=f"eks-{name}",
        region="eu-west-1",
        vpc_id=vpc.id,
        role_arn=role.outputs["arn"],
        placement=SYSTEM,
    )
    assert cluster.inputs["name"] == values["clusterName"]
    nodes = run.one("aws:eks/nodeGroup:NodeGroup")
    coredns = next(r for r in run.by_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "coredns")
    assert {nodes.urn, coredns.urn, policy.urn} <= set(release.dependencies)


def test_the_alb_subnets_carry_the_controllers_discovery_tags() -> None:
    run = stack("prod")
    tags = {r.inputs["cidrBlock"]: r.inputs["tags"] for r in run.by_type("aws:ec2/subnet:Subnet")}
    assert tags["10.20.128.0/21"]["kubernetes.io/role/elb"] == "1"
    assert tags["10.20.0.0/19"]["kubernetes.io/role/internal-elb"] == "1"
    assert "kubernetes.io/role/elb" not in tags["10.20.160.0/21"]  # never in the data subnets


# --------------------------------------------------------------------------- the Ingress


def expected_ingress(host: str | None, cert: str, vpc: str, environment: str) -> dict[str, Any]:
    a = "alb.ingress.kubernetes.io/"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "ingest-api",
            "namespace": "ingest-api",
            "labels": {
                "app.kubernetes.io/component": "pipeline",
                "app.kubernetes.io/part-of": "dataplatform",
                "app.kubernetes.io/name": "ingest-api",
                "app.kubernetes.io/instance": "ingest-api",
                "app.kubernetes.io/managed-by": "pulumi",
            },
            "annotations": {
                f"{a}scheme": "internal",
                f"{a}target-type": "ip",
                f"{a}backend-protocol": "HTTP",
                f"{a}listen-ports": '[{"HTTPS": 443}]',
                f"{a}certificate-arn": cert,
                f"{a}ssl-policy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
                f"{a}inbound-cidrs": vpc,
                f"{a}load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
                f"{a}tags": f"CostCenter=cc-1234,Environment={environment},ManagedBy=pulumi,"
                "Owner=platform-team,Project=dataplatform",
                f"{a}healthcheck-path": "/ready",
            },
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": [
                {
                    **({"host": host} if host else {}),
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "ingest-api", "port": {"number": 8080}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("name", "host", "cert", "vpc"),
    [
        (
            "dev",
            None,
            "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555",
            "10.10.0.0/16",
        ),
        ("prod", None, CERT, "10.20.0.0/16"),
    ],
)
def test_ingest_api_is_exposed_through_an_internal_https_alb(
    name: str, host: str | None, cert: str, vpc: str
) -> None:
    run = stack(name)
    (record,) = run.by_type(INGRESS)
    assert record.name == "ingest-api-ingress"
    assert record.inputs == expected_ingress(host, cert, vpc, name)
    assert_valid_object(dict(record.inputs), "1.36")
    # After the controller (its IngressClass and webhook) and the Service it routes to.
    release = run.one(RELEASE, "eks-lbc")
    service = run.one("kubernetes:core/v1:Service", "ingest-api-service")
    assert {release.urn, service.urn} <= set(record.dependencies)
    assert service.inputs["spec"]["ports"][0]["port"] == 8080


def test_ingress_options() -> None:
    settings = PipelineServiceSettings(
        **{
            **API,
            "ingress": {
                "certificate_arn": CERT,
                "scheme": "internet-facing",
                "waf_acl_arn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/ingest/"
                "0a1b2c3d-0a1b-4c3d-8e9f-0a1b2c3d4e5f",
                "group": "public",
                "path": "/v1",
                "inbound_cidrs": ["198.51.100.0/24"],
            },
        }
    )
    document = ingress(settings, NETWORK, ingress_class="alb", tags=TAGS)
    annotations = document["metadata"]["annotations"]
    a = "alb.ingress.kubernetes.io/"
    assert annotations[f"{a}scheme"] == "internet-facing"
    assert annotations[f"{a}wafv2-acl-arn"].endswith(
        "regional/webacl/ingest/0a1b2c3d-0a1b-4c3d-8e9f-0a1b2c3d4e5f"
    )
    assert annotations[f"{a}group.name"] == "public"
    assert annotations[f"{a}inbound-cidrs"] == "198.51.100.0/24"
    assert document["spec"]["rules"] == [
        {
            "http": {
                "paths": [
                    {
                        "path": "/v1",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "ingest-api", "port": {"number": 8080}}},
                    }
                ]
            }
        }
    ]
    assert_valid_object(document, "1.36")
    # Internet-facing without inbound_cidrs: everyone; internal: the VPC.
    public = PipelineServiceSettings(
        **{**API, "ingress": {"certificate_arn": CERT, "scheme": "internet-facing"}}
    )
    assert (
        ingress(public, NETWORK, ingress_class="alb", tags=TAGS)["metadata"]["annotations"][
            f"{a}inbound-cidrs"
        ]
        == "0.0.0.0/0"
    )


def test_the_alb_is_admitted_from_its_own_subnets_only() -> None:
    from components.pipeline_service.network_manifests import ingress_rules

    port = [{"port": 8080, "protocol": "TCP"}]
    internal = PipelineServiceSettings(**{**API, "network_policy": {"allow_same_namespace": False}})
    assert ingress_rules(internal, NETWORK) == [
        {
            "from": [{"ipBlock": {"cidr": "10.20.0.0/19"}}, {"ipBlock": {"cidr": "10.20.32.0/19"}}],
            "ports": port,
        }
    ]
    public = PipelineServiceSettings(
        **{
            **API,
            "network_policy": {"allow_same_namespace": False},
            "ingress": {"certificate_arn": CERT, "scheme": "internet-facing"},
        }
    )
    assert ingress_rules(public, NETWORK) == [
        {
            "from": [{"ipBlock": {"cidr": "10.20.128.0/21"}}, {"ipBlock": {"cidr": "10.20.136.0/21"}}],
            "ports": port,
        }
    ]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_network_policy_validates_and_denies_egress(name: str) -> None:
    run = stack(name)
    policies = run.by_type(NETPOL)
    assert len(policies) == 3
    for record in policies:
        assert_valid_object(dict(record.inputs), "1.36")
        assert record.inputs["spec"]["policyTypes"] == ["Ingress", "Egress"], record.name


# --------------------------------------------------------------------------- KEDA's identity


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_only_scaler_roles_trust_kedas_operator(name: str) -> None:
    run = stack(name)
    trusting = sorted(r.name for r in run.by_type(ROLE) if "keda-operator" in r.inputs["assumeRolePolicy"])
    scaled = ["batch-worker", "stream-consumer"] if name == "dev" else ["stream-consumer"]
    assert trusting == sorted(["eks-keda-operator", *[f"{s}-scaler" for s in scaled]])
    for service in scaled:
        queue = run.one("aws:sqs/queue:Queue", f"{service}-queue")
        policy = json.loads(run.one(ROLE_POLICY, f"{service}-scaler").inputs["policy"])
        assert policy["Statement"] == [
            {
                "Sid": "ScalerQueueDepth",
                "Effect": "Allow",
                "Action": ["sqs:GetQueueAttributes"],
                "Resource": queue.outputs["arn"],
            }
        ]
        own = json.loads(run.one(ROLE_POLICY, f"{service}-policy").inputs["policy"])
        assert "sqs:GetQueueAttributes" not in json.dumps(own)
        auth = run.one("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", f"{service}-trigger-auth")
        scaler = run.one(ROLE, f"{service}-scaler")
        assert auth.inputs["spec"] == {"podIdentity": {"provider": "aws", "roleArn": scaler.outputs["arn"]}}


# --------------------------------------------------------------------------- refusals


def bad(overrides: dict[str, object], stack_name: str = "dev") -> list[tuple[str, str]]:
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    with pytest.raises(EngineError) as err:
        run_program(ROOT, stack_name, config_overrides=config)
    assert err.value.kind == "config"
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return [(issue.path, issue.message) for issue in err.value.error.issues]  # type: ignore[union-attr]


def services_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    import yaml

    services = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["dataplatform:services"]
    services[index] = {**services[index], **changes}
    return services


def cluster_with(**changes: Any) -> dict[str, Any]:
    import yaml

    cluster = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["dataplatform:cluster"]
    return {**cluster, **changes}


CERT_DEV = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"


@pytest.mark.parametrize(
    ("overrides", "path", "fix"),
    [
        (
            {"dataplatform:cluster": cluster_with(load_balancer_controller=None)},
            "dataplatform:services[0].ingress",
            "turn on cluster.load_balancer_controller",
        ),
        (
            {"dataplatform:services": services_with(0, ingress={"certificate_arn": "arn:aws:iam::1:x"})},
            "dataplatform:services[0].ingress.certificate_arn",
            "is not an ACM certificate ARN",
        ),
        (
            {
                "dataplatform:services": services_with(
                    0, ingress={"certificate_arn": CERT_DEV, "ssl_policy": "ELBSecurityPolicy-2016-08"}
                )
            },
            "dataplatform:services[0].ingress.ssl_policy",
            "use an ELBSecurityPolicy-TLS13-* policy",
        ),
        (
            {
                "dataplatform:services": services_with(
                    0,
                    ingress={
                        "certificate_arn": CERT_DEV,
                        "waf_acl_arn": "arn:aws:wafv2:us-east-1:1:global/x",
                    },
                )
            },
            "dataplatform:services[0].ingress.waf_acl_arn",
            "REGIONAL web ACL",
        ),
        (
            {"dataplatform:services": services_with(2, ingress={"certificate_arn": CERT_DEV})},
            "dataplatform:services[2].ingress",
            "only kind: deployment takes an ingress",
        ),
        (
            {
                "dataplatform:services": services_with(
                    1, network_policy={"monitoring_namespace": "monitoring"}
                )
            },
            "dataplatform:services[1].network_policy.monitoring_namespace",
            "the stack has no such namespace",
        ),
        (
            {
                "dataplatform:services": services_with(
                    1, network_policy={"deny_egress": False, "egress": [{"ports": [443]}]}
                )
            },
            "dataplatform:services[1].network_policy",
            "egress rules only apply with deny_egress: true",
        ),
        (
            {"dataplatform:cluster": cluster_with(load_balancer_controller={"version": "3.4.0"})},
            "dataplatform:cluster.load_balancer_controller.version",
            "add the new version's upstream iam_policy.json first",
        ),
        (
            {"dataplatform:cluster": cluster_with(load_balancer_controller={"node_group": "apps"})},
            "dataplatform:cluster.load_balancer_controller.node_group",
            "is not a managed node group of the cluster",
        ),
    ],
)
def test_config_refusals_register_nothing(overrides: dict[str, object], path: str, fix: str) -> None:
    found = bad(overrides)
    assert [p for p, _ in found] == [path]
    assert fix in found[0][1]


def test_a_namespace_the_stack_has_is_accepted() -> None:
    # The negative of the monitoring refusal: a namespace a service of the stack creates.
    services = services_with(1, network_policy={"allow_from": [{"namespace": "ingest-api"}]})
    run = run_program(ROOT, "dev", config_overrides={"dataplatform:services": json.dumps(services)})
    peers = run.one(NETPOL, "stream-consumer-network-policy").inputs["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingest-api"}}} in peers


def test_an_exposed_service_needs_the_network_before_anything_is_registered() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        PipelineService(
            "ingest",
            PipelineServiceArgs(
                settings=PipelineServiceSettings(**API),
                tags=TAGS,
                provider=provider,
                oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/A",
                oidc_issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/A",
            ),
        )

    with pytest.raises(InvalidConfigError) as err:
        run_function(program)
    assert [issue.path for issue in err.value.issues] == ["args.network"]
    assert "pass ServiceNetwork(...) from Network.subnet_cidrs" in err.value.issues[0].message
    registered = [(r.type, r.name) for r in err.value.recorded_run.resources]  # type: ignore[attr-defined]
    assert registered == [("pulumi:providers:kubernetes", "k8s")]


# --------------------------------------------------------------------------- cost and graph


def _ingress(name: str, *, group: str | None = None, cls: str = "alb") -> None:
    annotations = {"alb.ingress.kubernetes.io/certificate-arn": CERT}
    if group:
        annotations["alb.ingress.kubernetes.io/group.name"] = group
    k8s.networking.v1.Ingress(
        name,
        metadata={"name": name, "namespace": "apps", "annotations": annotations},
        spec={"ingressClassName": cls, "defaultBackend": {"service": {"name": name, "port": {"number": 80}}}},
    )


def test_cost_prices_one_alb_per_ingress_group() -> None:
    def program() -> None:
        _ingress("a", group="shared")
        _ingress("b", group="shared")
        _ingress("c")
        _ingress("d", cls="nginx")

    run = run_function(program, project="demo", stack="dev")
    est = estimate(from_records(run.resources), region="eu-west-1")
    lines = {r.name: [(x.item, x.quantity, x.unit, x.unit_usd) for x in r.lines] for r in est.resources}
    alb = [
        ("Application Load Balancer hours (HTTPS:443)", 730.0, "hour", 0.0252),
        ("Application Load Balancer capacity units", 730.0, "LCU-hour", 0.008),
    ]
    assert lines == {"a": alb, "c": alb}
    free = {name: u.reason for u in est.unpriced for name in u.names}
    assert free["b"] == "shares the ALB of IngressGroup shared, priced on Ingress a"
    assert free["d"].startswith("served by an in-cluster Ingress controller")


def test_load_balancers_group_and_listen() -> None:
    def inputs(name: str, **annotations: str) -> dict[str, Any]:
        return {
            "metadata": {"name": name, "namespace": "apps", "annotations": annotations},
            "spec": {"ingressClassName": "alb"},
        }

    found = load_balancers(
        [
            ("urn:b", inputs("b", **{"alb.ingress.kubernetes.io/group.name": "g"})),
            ("urn:a", inputs("a", **{"alb.ingress.kubernetes.io/group.name": "g",
                                     "alb.ingress.kubernetes.io/scheme": "internet-facing"})),
            ("urn:c", inputs("c")),
        ]
    )  # fmt: skip
    assert [(lb.key, lb.scheme, lb.listeners, lb.ingresses) for lb in found] == [
        ("apps/c", "internal", ("HTTP:80",), ("urn:c",)),
        ("g", "internet-facing", ("HTTP:80",), ("urn:a", "urn:b")),
    ]


def test_graph_draws_the_alb_from_its_ingress() -> None:
    graph = build_graph(plan_json(stack("prod")), "key")
    nodes = {n.id: n for n in graph.nodes}
    alb = nodes["alb_ingest_api_ingest_api"]
    assert alb.layer == "aws"
    assert (
        alb.label
        == "ALB ingest-api/ingest-api<br/>internal, HTTPS:443<br/>made by the load balancer controller"
    )
    assert nodes["ingest_api_ingress"].layer == "k8s"
    assert ("ingest_api_ingress", "alb_ingest_api_ingest_api") in set(graph.edges)


def test_a_stack_service_without_dns_fails_the_egress_rule() -> None:
    import policies
    from dpengine.check import evaluate
    from dpengine.pack import PolicyPackSpec

    services = services_with(1, network_policy={"allow_dns": False})
    run = run_program(ROOT, "dev", config_overrides={"dataplatform:services": json.dumps(services)})
    report = evaluate(run, PolicyPackSpec.from_module(policies), None)
    found = [(v.name, v.message.split(":")[0]) for v in report.violations if v.policy == "egress-dns"]
    assert found == [
        (
            "stream-consumer-network-policy",
            "NetworkPolicy 'stream-consumer-network-policy' (namespace stream-consumer) denies egress but "
            "allows no DNS over UDP and TCP port 53 to kube-dns",
        )
    ]
