"""identity (IRSA trust, service accounts, unique objects) and wiring (Service selectors, PDBs)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from system_programs import LABELS, check, deployment, node_group, opts, raw_cluster, undecided, violations

IDENTITY = "workload-identity"
WIRING = "workload-wiring"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def trust(subject: str, audience: str | None = "sts.amazonaws.com") -> str:
    conditions = {f"{ISSUER}:sub": subject}
    if audience:
        conditions[f"{ISSUER}:aud"] = audience
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": conditions},
                }
            ],
        }
    )


def irsa(subject: str, audience: str | None = "sts.amazonaws.com", account: str = "web") -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)
    role = aws.iam.Role("web-role", assume_role_policy=trust(subject, audience))
    k8s.core.v1.ServiceAccount(
        "web-sa",
        metadata={
            "name": "web",
            "namespace": "apps",
            "annotations": {"eks.amazonaws.com/role-arn": role.arn},
        },
        opts=opts(provider),
    )
    deployment(provider, serviceAccountName=account)


def test_irsa_trust_names_the_service_account_and_the_audience() -> None:
    assert violations(check(lambda: irsa("system:serviceaccount:apps:web")), IDENTITY) == []
    assert violations(check(lambda: irsa("system:serviceaccount:apps:*", None)), IDENTITY) == [
        (
            "web-sa",
            "ServiceAccount 'web-sa' (apps/web) is annotated with role 'web-role', whose trust policy does "
            "not "
            "allow sts:AssumeRoleWithWebIdentity for system:serviceaccount:apps:web: its pods cannot assume "
            "the "
            "role; trust system:serviceaccount:apps:web with audience sts.amazonaws.com (StringEquals on "
            "<issuer>:sub and <issuer>:aud)",
        )
    ]
    assert violations(check(lambda: irsa("system:serviceaccount:default:web")), IDENTITY)[0][0] == "web-sa"
    no_audience = violations(check(lambda: irsa("system:serviceaccount:apps:web", None)), IDENTITY)
    assert [message.split(", whose trust policy ")[1].split(":")[0] for _, message in no_audience] == [
        "names the subject but not the sts.amazonaws.com audience (<issuer>"
    ]


def test_a_pod_service_account_must_exist_in_its_namespace() -> None:
    assert violations(check(lambda: irsa("system:serviceaccount:apps:web", account="worker")), IDENTITY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) runs as service account 'worker', which does not exist in "
            "namespace apps: its pods are refused; create the ServiceAccount there or fix serviceAccountName",
        )
    ]


def test_two_objects_with_one_kind_namespace_and_name_are_refused() -> None:
    def program() -> None:
        _, provider, _ = raw_cluster(public=True)
        for name in ("config-a", "config-b"):
            k8s.core.v1.ConfigMap(
                name, metadata={"name": "settings", "namespace": "apps"}, opts=opts(provider)
            )
        # Same name, other namespace or kind: distinct objects.
        k8s.core.v1.ConfigMap(
            "config-c", metadata={"name": "settings", "namespace": "jobs"}, opts=opts(provider)
        )
        k8s.core.v1.Secret("secret", metadata={"name": "settings", "namespace": "apps"}, opts=opts(provider))

    assert violations(check(program), IDENTITY) == [
        (
            "config-b",
            "ConfigMap 'config-b' and 'config-a' are both core/ConfigMap settings in namespace apps on "
            "cluster "
            "'demo': one object on the cluster, the second create fails or they overwrite each other; give "
            "them "
            "different names",
        )
    ]


def test_unknown_role_arn_in_preview_is_advisory() -> None:
    def program() -> None:
        cluster, provider, _ = raw_cluster(public=True)
        k8s.core.v1.ServiceAccount(
            "web-sa",
            metadata={
                "name": "web",
                "namespace": "apps",
                "annotations": {"eks.amazonaws.com/role-arn": cluster.endpoint.apply(lambda e: f"{e}")},
            },
            opts=opts(provider),
        )

    preview = check(program, preview=True)
    assert violations(preview, IDENTITY) == []
    assert undecided(preview, IDENTITY) == [
        "ServiceAccount 'web-sa': its name, namespace or role ARN is unknown during preview"
    ]


def service(selector: dict[str, str]) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)
    deployment(provider)
    k8s.core.v1.Service(
        "web-svc",
        metadata={"name": "web", "namespace": "apps"},
        spec={"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]},
        opts=opts(provider),
    )


def test_a_service_selector_must_match_a_pod_template() -> None:
    assert violations(check(lambda: service(LABELS)), WIRING) == []
    assert violations(check(lambda: service({"app": "wbe"})), WIRING) == [
        (
            "web-svc",
            "Service 'web-svc' (namespace apps) selects app=wbe, which no pod template in its namespace "
            "carries: "
            "it has no endpoints; make the selector match the workload's pod template labels",
        )
    ]


def budget(replicas: int, pdb: dict[str, Any], scaler_min: int | None = None) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)
    deployment(provider, replicas=replicas)
    if scaler_min is not None:
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            "web-hpa",
            metadata={"name": "web", "namespace": "apps"},
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": scaler_min,
                "maxReplicas": 10,
            },
            opts=opts(provider),
        )
    k8s.policy.v1.PodDisruptionBudget(
        "web-pdb",
        metadata={"name": "web", "namespace": "apps"},
        spec={"selector": {"matchLabels": LABELS}, **pdb},
        opts=pulumi.ResourceOptions(provider=provider),
    )


def test_a_pdb_must_leave_room_for_one_eviction() -> None:
    assert violations(check(lambda: budget(2, {"minAvailable": 2})), WIRING) == [
        (
            "web-pdb",
            "PodDisruptionBudget 'web-pdb' (namespace apps) with minAvailable=2 allows no eviction of "
            "Deployment "
            "'web' at its minimum of 2 replica(s): node drains and Karpenter consolidation never finish; use "
            "maxUnavailable: 1, or minAvailable below 2",
        )
    ]
    assert violations(check(lambda: budget(3, {"minAvailable": 2})), WIRING) == []
    assert violations(check(lambda: budget(2, {"maxUnavailable": 1})), WIRING) == []
    assert [n for n, _ in violations(check(lambda: budget(2, {"maxUnavailable": 0})), WIRING)] == ["web-pdb"]
    # 100% of the minimum rounds up to all of them.
    assert [n for n, _ in violations(check(lambda: budget(4, {"minAvailable": "100%"})), WIRING)] == [
        "web-pdb"
    ]
    # The HPA's minimum, not spec.replicas, is what a drain meets.
    assert [
        n for n, _ in violations(check(lambda: budget(5, {"minAvailable": 2}, scaler_min=2)), WIRING)
    ] == ["web-pdb"]
    assert violations(check(lambda: budget(1, {"minAvailable": 2}, scaler_min=3)), WIRING) == []
