"""Kubernetes workload policies and the HPA/PDB stack policy, on camelCase props."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import policies
from dpengine import wire
from dpengine.check import evaluate, resource_record, synthetic_run
from dpengine.engine import ResourceRecord
from dpengine.pack import PolicyPackSpec

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SERVICE = "kubernetes:core/v1:Service"

CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ingest:1.4.2",
    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}
LABELS = {"app": "ingest"}

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


def deployment(container: dict[str, Any] | None = None, name: str = "ingest", **pod: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "pipelines", "labels": LABELS},
        "spec": {
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"containers": [container if container is not None else CONTAINER], **pod},
            },
        },
    }


def changed(path: str, value: Any) -> dict[str, Any]:
    """CONTAINER with ``path`` (dotted) set to ``value``, or removed when value is None."""
    container = copy.deepcopy(CONTAINER)
    *parents, last = path.split(".")
    target = container
    for key in parents:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return container


def found(policy: str, *records: ResourceRecord) -> list[tuple[str, str]]:
    report = evaluate(synthetic_run(list(records)), PACK)
    return sorted((v.name, v.message) for v in report.violations if v.policy == policy)


def workload(props: dict[str, Any], type_: str = DEPLOYMENT, name: str = "ingest") -> ResourceRecord:
    return resource_record(type_, name, props)


WORKLOAD_POLICIES = [
    "k8s-resource-limits",
    "k8s-probes",
    "k8s-run-as-non-root",
    "k8s-read-only-root-filesystem",
    "k8s-no-privilege-escalation",
    "k8s-no-latest-image",
]


def test_a_hardened_deployment_passes_every_workload_policy() -> None:
    report = evaluate(synthetic_run([workload(deployment())]), PACK)
    assert report.violations == []


@pytest.mark.parametrize(
    ("policy", "container", "message"),
    [
        ("k8s-resource-limits", changed("resources.limits", None), "has no limits.cpu, limits.memory"),
        ("k8s-resource-limits", changed("resources.requests.memory", None), "has no requests.memory"),
        ("k8s-probes", changed("livenessProbe", None), "has no livenessProbe"),
        (
            "k8s-run-as-non-root",
            changed("securityContext.runAsNonRoot", None),
            "does not set runAsNonRoot=true",
        ),
        ("k8s-run-as-non-root", changed("securityContext.runAsUser", 0), "runs as UID 0"),
        (
            "k8s-read-only-root-filesystem",
            changed("securityContext.readOnlyRootFilesystem", False),
            "does not set readOnlyRootFilesystem=true",
        ),
        (
            "k8s-no-privilege-escalation",
            changed("securityContext.allowPrivilegeEscalation", None),
            "does not set allowPrivilegeEscalation=false",
        ),
        ("k8s-no-privilege-escalation", changed("securityContext.privileged", True), "is privileged"),
        ("k8s-no-latest-image", changed("image", "nginx"), "image 'nginx' has no tag (means :latest)"),
        (
            "k8s-no-latest-image",
            changed("image", "ghcr.io/acme/app:latest"),
            "image 'ghcr.io/acme/app:latest' uses the :latest tag",
        ),
    ],
)
def test_each_workload_rule_fails(policy: str, container: dict[str, Any], message: str) -> None:
    report = evaluate(synthetic_run([workload(deployment(container))]), PACK)
    # The Pod Security Standards overlap these rules (tests/test_policies_pod_security.py): set aside.
    own = [v for v in report.violations if not v.policy.startswith("k8s-pod-security-")]
    assert {v.policy for v in own} == {policy}
    (violation,) = own
    assert violation.message == f"'ingest' container containers[0] 'app' {message}"


def test_pod_security_context_counts_for_non_root() -> None:
    container = changed("securityContext.runAsNonRoot", None)
    props = deployment(container, securityContext={"runAsNonRoot": True})
    assert found("k8s-run-as-non-root", workload(props)) == []


def test_digest_pinned_image_passes() -> None:
    container = changed("image", "ghcr.io/acme/app@sha256:" + "a" * 64)
    assert found("k8s-no-latest-image", workload(deployment(container))) == []


def test_other_workload_kinds_are_checked() -> None:
    bad = changed("image", "busybox:latest")
    cron = {
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [bad]}}}},
        }
    }
    job = {"spec": {"template": {"spec": {"containers": [bad]}}}}
    stateful = deployment(bad)
    records = [
        workload(cron, "kubernetes:batch/v1:CronJob", "cron"),
        workload(job, "kubernetes:batch/v1:Job", "job"),
        workload(stateful, "kubernetes:apps/v1:StatefulSet", "db"),
    ]
    assert [n for n, _ in found("k8s-no-latest-image", *records)] == ["cron", "db", "job"]


def test_batch_jobs_need_no_probes() -> None:
    job = {"spec": {"template": {"spec": {"containers": [changed("livenessProbe", None)]}}}}
    assert found("k8s-probes", workload(job, "kubernetes:batch/v1:Job", "job")) == []


def test_unknown_container_values_are_not_violations() -> None:
    container = copy.deepcopy(CONTAINER)
    container["image"] = wire.UNKNOWN_VALUE
    container["securityContext"]["runAsNonRoot"] = wire.UNKNOWN_VALUE
    container["resources"] = wire.UNKNOWN_VALUE
    report = evaluate(synthetic_run([workload(deployment(container))]), PACK)
    assert report.violations == []
    unknown_spec = {"spec": {"template": wire.UNKNOWN_VALUE}}
    assert evaluate(synthetic_run([workload(unknown_spec)]), PACK).violations == []


class TestLoadBalancerServices:
    def service(
        self, type_: str, annotations: dict[str, str] | None = None, name: str = "api"
    ) -> ResourceRecord:
        metadata: dict[str, Any] = {"name": name, "namespace": "web"}
        if annotations:
            metadata["annotations"] = annotations
        return resource_record(
            SERVICE, name, {"metadata": metadata, "spec": {"type": type_, "ports": [{"port": 80}]}}
        )

    def test_cluster_ip_passes_and_load_balancer_fails(self) -> None:
        assert found("k8s-no-loadbalancer-service", self.service("ClusterIP")) == []
        assert found("k8s-no-loadbalancer-service", self.service("LoadBalancer")) == [
            ("api", "Service 'api' is of type LoadBalancer (internet-facing)")
        ]

    def test_internal_load_balancer_and_allowed_services_pass(self) -> None:
        internal = self.service(
            "LoadBalancer", {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
        )
        assert found("k8s-no-loadbalancer-service", internal) == []
        report = evaluate(
            synthetic_run([self.service("LoadBalancer")]),
            PACK,
            {"k8s-no-loadbalancer-service": {"allowedServices": ["web/api"]}},
        )
        assert report.violations == []


class TestHpa:
    def hpa(
        self, low: Any, high: Any, target: str = "ingest", deps: list[str] | None = None
    ) -> ResourceRecord:
        spec: dict[str, Any] = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "maxReplicas": high,
        }
        if low is not None:
            spec["minReplicas"] = low
        props = {"metadata": {"name": "ingest", "namespace": "pipelines"}, "spec": spec}
        return resource_record(HPA, "ingest-hpa", props, property_dependencies={"spec": deps or []})

    def pdb(self, labels: dict[str, Any], namespace: str = "pipelines") -> ResourceRecord:
        props = {
            "metadata": {"namespace": namespace},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        }
        return resource_record(PDB, "ingest-pdb", props)

    def test_min_le_max(self) -> None:
        assert found("k8s-hpa-min-le-max", self.hpa(2, 5)) == []
        assert found("k8s-hpa-min-le-max", self.hpa(None, 5)) == []
        assert found("k8s-hpa-min-le-max", self.hpa(6, 5)) == [
            ("ingest-hpa", "HPA 'ingest-hpa' has minReplicas=6 and maxReplicas=5")
        ]
        assert found("k8s-hpa-min-le-max", self.hpa(2, wire.UNKNOWN_VALUE)) == []

    def test_hpa_managed_deployment_needs_a_pdb(self) -> None:
        app = workload(deployment())
        message = (
            "Deployment 'ingest' is scaled by HPA 'ingest-hpa' but no PodDisruptionBudget selects its pods"
        )
        assert found("k8s-hpa-has-pdb", app, self.hpa(2, 5)) == [("ingest", message)]
        assert found("k8s-hpa-has-pdb", app, self.hpa(2, 5), self.pdb(LABELS)) == []

    def test_pdb_must_select_the_pods_in_the_same_namespace(self) -> None:
        app = workload(deployment())
        assert len(found("k8s-hpa-has-pdb", app, self.hpa(2, 5), self.pdb({"app": "other"}))) == 1
        assert len(found("k8s-hpa-has-pdb", app, self.hpa(2, 5), self.pdb(LABELS, "default"))) == 1

    def test_target_found_through_property_dependencies(self) -> None:
        # An auto-named Deployment: the HPA's target name is the Deployment's output.
        props = deployment()
        del props["metadata"]["name"]
        app = workload(props)
        hpa = self.hpa(2, 5, target="ingest-x7f3k", deps=[app.urn])
        assert len(found("k8s-hpa-has-pdb", app, hpa)) == 1
        assert found("k8s-hpa-has-pdb", app, hpa, self.pdb(LABELS)) == []

    def test_deployments_without_hpa_need_no_pdb(self) -> None:
        assert found("k8s-hpa-has-pdb", workload(deployment())) == []
