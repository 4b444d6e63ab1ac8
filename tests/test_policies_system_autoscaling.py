"""autoscaling-chain (metrics APIs, KEDA, targets) and autoscaling-capacity (a warning)."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pulumi_kubernetes as k8s
from system_programs import CONTAINER, check, deployment, node_group, opts, raw_cluster, undecided, violations

CHAIN = "autoscaling-chain"
CAPACITY = "autoscaling-capacity"
CPU = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
}
EXTERNAL = {
    "type": "External",
    "external": {"metric": {"name": "queue_depth"}, "target": {"type": "AverageValue", "averageValue": "10"}},
}


def hpa(provider: k8s.Provider, metrics: list[dict[str, Any]], target: str = "web", most: int = 5) -> None:
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "web-hpa",
        metadata={"name": "web", "namespace": "apps"},
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 2,
            "maxReplicas": most,
            "metrics": metrics,
        },
        opts=opts(provider),
    )


def program(
    metrics: list[dict[str, Any]],
    *,
    metrics_server: bool = False,
    charts: tuple[str, ...] = (),
    target: str = "web",
    most: int = 5,
) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets, max_size=3)
    if metrics_server:
        aws.eks.Addon("metrics-server", cluster_name=cluster.name, addon_name="metrics-server")
    for chart in charts:
        k8s.helm.v3.Release(chart, chart=chart, namespace=chart, opts=opts(provider))
    deployment(provider)
    hpa(provider, metrics, target, most)


def test_resource_metrics_need_metrics_server() -> None:
    assert violations(check(lambda: program([CPU])), CHAIN) == [
        (
            "web-hpa",
            "HPA 'web-hpa' (Resource metric) needs metrics.k8s.io, and nothing in cluster 'demo' serves it: "
            "add "
            "the metrics-server EKS add-on (aws.eks.Addon addon_name='metrics-server')",
        )
    ]
    assert violations(check(lambda: program([CPU], metrics_server=True)), CHAIN) == []
    assert violations(check(lambda: program([CPU], charts=("metrics-server",))), CHAIN) == []
    assert (
        violations(check(lambda: program([CPU]), {CHAIN: {"metricsApis": ["metrics.k8s.io"]}}), CHAIN) == []
    )


def test_external_metrics_need_an_adapter_keda_serves_only_its_own() -> None:
    assert violations(check(lambda: program([EXTERNAL], charts=("keda",))), CHAIN) == [
        (
            "web-hpa",
            "HPA 'web-hpa' (External metric) needs external.metrics.k8s.io, and nothing in cluster 'demo' "
            "serves "
            "it: install an adapter for it (e.g. prometheus-adapter); KEDA serves external metrics only to "
            "its own "
            "ScaledObjects: use a ScaledObject",
        )
    ]
    assert violations(check(lambda: program([EXTERNAL], charts=("prometheus-adapter",))), CHAIN) == []


def test_the_target_must_exist() -> None:
    assert violations(check(lambda: program([CPU], metrics_server=True, target="webb")), CHAIN) == [
        (
            "web-hpa",
            "HPA 'web-hpa' scales Deployment 'webb' in namespace apps, which this program does not declare "
            "in "
            "cluster 'demo': point scaleTargetRef at an existing workload",
        )
    ]


def scaled_object(triggers: list[dict[str, Any]], *, keda: bool, metrics_server: bool) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)
    if metrics_server:
        aws.eks.Addon("metrics-server", cluster_name=cluster.name, addon_name="metrics-server")
    if keda:
        k8s.helm.v3.Release(
            "keda",
            chart="keda",
            namespace="keda",
            repository_opts={"repo": "https://kedacore.github.io/charts"},
            opts=opts(provider),
        )
    deployment(provider)
    k8s.apiextensions.CustomResource(
        "web-scaler",
        api_version="keda.sh/v1alpha1",
        kind="ScaledObject",
        metadata={"name": "web", "namespace": "apps"},
        spec={
            "scaleTargetRef": {"name": "web"},
            "minReplicaCount": 1,
            "maxReplicaCount": 4,
            "triggers": triggers,
        },
        opts=opts(provider),
    )


SQS = {"type": "aws-sqs-queue", "metadata": {"queueURL": "https://sqs/q", "awsRegion": "eu-west-1"}}
CPU_TRIGGER = {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "60"}}


def test_scaled_objects_need_keda_and_cpu_triggers_metrics_server() -> None:
    report = check(lambda: scaled_object([SQS, CPU_TRIGGER], keda=False, metrics_server=False))
    assert sorted(violations(report, CHAIN)) == [
        (
            "web-scaler",
            "ScaledObject 'web-scaler' (cpu trigger) needs metrics.k8s.io, and nothing in cluster 'demo' "
            "serves "
            "it: add the metrics-server EKS add-on (aws.eks.Addon addon_name='metrics-server')",
        ),
        (
            "web-scaler",
            "ScaledObject 'web-scaler' needs KEDA, and nothing in cluster 'demo' serves it: install KEDA "
            "(Helm "
            "chart 'keda' from https://kedacore.github.io/charts)",
        ),
    ]
    assert violations(check(lambda: scaled_object([SQS], keda=True, metrics_server=False)), CHAIN) == []
    assert (
        violations(check(lambda: scaled_object([SQS, CPU_TRIGGER], keda=True, metrics_server=True)), CHAIN)
        == []
    )


def test_a_cluster_of_another_program_cannot_be_decided() -> None:
    def elsewhere() -> None:
        provider = k8s.Provider("platform", kubeconfig="{}")
        deployment(provider)
        hpa(provider, [CPU])

    report = check(elsewhere)
    assert violations(report, CHAIN) == []
    assert undecided(report, CHAIN) == [
        "HPA 'web-hpa' (Resource metric) needs metrics.k8s.io, and nothing in the cluster of provider "
        "'platform' "
        "(not declared in this program) serves it: add the metrics-server EKS add-on (aws.eks.Addon "
        "addon_name='metrics-server') (unless the cluster has it from elsewhere)"
    ]


def test_max_replicas_beyond_what_the_pools_can_grow_to_is_a_warning() -> None:
    # 3 x m6i.large nodes: 5790m CPU, 20711Mi; 30 pods of 500m/1Gi need 15000m and 30720Mi.
    report = check(lambda: program([CPU], metrics_server=True, most=30))
    assert [(v.name, v.enforcement, v.message) for v in report.violations if v.policy == CAPACITY] == [
        (
            "web-hpa",
            "advisory",
            "HorizontalPodAutoscaler 'web-hpa' may scale Deployment 'web' to 30 replicas, needing more than "
            "its "
            "pools (managed node group 'general') can grow to: cpu 15000m > 5790m, memory 30720Mi > "
            "20711Mi; raise "
            "the pools' limits or max size, or lower maxReplicas",
        )
    ]
    assert violations(check(lambda: program([CPU], metrics_server=True, most=5)), CAPACITY) == []
    assert CONTAINER["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
