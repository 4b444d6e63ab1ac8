"""schedulability: taints, labels (capacity types included), sizes from the table, zone spread."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest
from system_programs import CONTAINER, check, deployment, node_group, opts, raw_cluster, undecided, violations

from policies.system._sizing import TABLE, lookup

POLICY = "pod-schedulability"
SPOT_TAINT = {"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}


def big(cpu: str = "500m", memory: str = "1Gi") -> dict[str, Any]:
    return {**CONTAINER, "resources": {"requests": {"cpu": cpu, "memory": memory}}}


def managed(**workload: Any) -> None:
    """A raw cluster with an on-demand group (m6i.large) and a tainted spot group (c6i.xlarge)."""
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets, "general", labels={"pool": "general"})
    node_group(
        cluster, nets, "spot", instance_types=["c6i.xlarge"], capacity_type="SPOT", labels={"pool": "spot"},
        taints=[SPOT_TAINT],
    )  # fmt: skip
    deployment(provider, **workload)


def test_sizes_follow_the_family_and_size_rules() -> None:
    m6i = lookup("m6i.xlarge")
    assert m6i is not None
    assert (m6i.vcpu, m6i.memory_gib, m6i.max_pods) == (4, 16, 58)
    # kube-reserved CPU 60m + 10m + 2 x 5m; memory 16 GiB less 7.5% VM overhead, 11 x 58 + 255 Mi, 100Mi.
    assert round(m6i.cpu_allocatable * 1000) == 3920
    assert round(m6i.memory_allocatable / 2**20) == 16384 * 925 // 1000 - 893 - 100
    assert [lookup(n).vcpu for n in ("c5.9xlarge", "r6i.8xlarge", "m6g.medium", "t3.medium")] == [
        36,
        32,
        1,
        2,
    ]
    assert lookup("c6i.16xlarge").memory_gib == 128 and lookup("r5.24xlarge").memory_gib == 768
    assert lookup("c5.8xlarge") is None and lookup("m6i.medium") is None and lookup("p5.48xlarge") is None
    assert round(lookup("c6i.24xlarge").cpu_allocatable * 1000) == 96000 - 60 - 10 - 10 - 230
    assert len(TABLE) == 205


def test_a_pod_that_fits_the_general_group_passes() -> None:
    assert violations(check(managed), POLICY) == []


def test_a_toleration_that_matches_no_taint_names_the_closest_pool() -> None:
    # A spot selector with a toleration for a taint the pool does not have.
    report = check(
        lambda: managed(
            nodeSelector={"eks.amazonaws.com/capacityType": "SPOT"},
            tolerations=[{"key": "spot", "value": "yes", "effect": "NoSchedule"}],
        )
    )
    assert violations(report, POLICY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'demo': the closest, managed "
            "node group "
            "'general', does not match its nodeSelector eks.amazonaws.com/capacityType=SPOT (its nodes have "
            "eks.amazonaws.com/capacityType in ['ON_DEMAND']); select a label the pool's nodes carry, or "
            "label the pool",
        )
    ]
    fixed = check(
        lambda: managed(
            nodeSelector={"eks.amazonaws.com/capacityType": "SPOT"},
            tolerations=[{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
        )
    )
    assert violations(fixed, POLICY) == []


def test_requests_above_the_largest_instance_type() -> None:
    report = check(lambda: managed(container=big("500m", "8Gi")))
    assert violations(report, POLICY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'demo': the closest, managed "
            "node group "
            "'general', cannot fit its requests (500m CPU/8192Mi memory) on its largest instance type "
            "m6i.large "
            "(2 vCPU/8 GiB, allocatable 1930m CPU/6904Mi); lower the requests, or allow a larger instance "
            "type in "
            "the pool",
        )
    ]
    # Init containers run one at a time: the largest counts when it exceeds the containers' sum.
    init = {**big("500m", "7Gi"), "name": "migrate"}
    assert [n for n, _ in violations(check(lambda: managed(initContainers=[init])), POLICY)] == ["web"]
    assert violations(check(lambda: managed(container=big("500m", "6Gi"))), POLICY) == []


def test_zone_spread_with_more_min_domains_than_azs() -> None:
    spread = {
        "maxSkew": 1,
        "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "DoNotSchedule",
        "minDomains": 4,
        "labelSelector": {"matchLabels": {"app": "web"}},
    }
    report = check(lambda: managed(topologySpreadConstraints=[spread]))
    assert violations(report, POLICY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'demo': the closest, managed "
            "node group "
            "'general', spans 3 AZ(s) but its zone spread needs minDomains=4 with DoNotSchedule; lower "
            "minDomains "
            "to 3, use ScheduleAnyway, or give the pool subnets in more AZs",
        )
    ]
    assert (
        violations(check(lambda: managed(topologySpreadConstraints=[{**spread, "minDomains": 3}])), POLICY)
        == []
    )


def karpenter(requirements: list[dict[str, Any]], **workload: Any) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(
        cluster, nets, "system", labels={"pool": "system"},
        taints=[{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}],
    )  # fmt: skip
    k8s.apiextensions.CustomResource(
        "batch",
        api_version="karpenter.sh/v1",
        kind="NodePool",
        metadata={"name": "batch"},
        spec={
            "template": {
                "metadata": {"labels": {"pool": "batch"}},
                "spec": {
                    "requirements": requirements,
                    "taints": [{"key": "batch", "value": "true", "effect": "NoSchedule"}],
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                },
            },
            "limits": {"cpu": "64", "memory": "256Gi"},
        },
        opts=opts(provider),
    )
    deployment(provider, **workload)


SPOT_C = [
    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
    {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["c6i", "c7i"]},
    {"key": "karpenter.k8s.aws/instance-size", "operator": "In", "values": ["large", "xlarge"]},
]
TOLERATE = [{"key": "batch", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]


def test_karpenter_pool_labels_from_requirements() -> None:
    fits = {"pool": "batch", "karpenter.sh/capacity-type": "spot", "karpenter.k8s.aws/instance-family": "c7i"}
    assert violations(check(lambda: karpenter(SPOT_C, nodeSelector=fits, tolerations=TOLERATE)), POLICY) == []
    # Karpenter's capacity type is lower-case (managed groups say SPOT): the classic slip.
    report = check(
        lambda: karpenter(SPOT_C, nodeSelector={"karpenter.sh/capacity-type": "SPOT"}, tolerations=TOLERATE)
    )
    assert violations(report, POLICY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'demo': the closest, Karpenter "
            "NodePool "
            "'batch', does not match its nodeSelector karpenter.sh/capacity-type=SPOT (its nodes have "
            "karpenter.sh/capacity-type in ['spot']); select a label the pool's nodes carry, or label the "
            "pool",
        )
    ]


def test_karpenter_pool_sizes_and_taints() -> None:
    report = check(lambda: karpenter(SPOT_C, container=big("6", "4Gi"), tolerations=TOLERATE))
    assert violations(report, POLICY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'demo': the closest, Karpenter "
            "NodePool "
            "'batch', cannot fit its requests (6000m CPU/4096Mi memory) on its largest instance type "
            "c6i.xlarge "
            "(4 vCPU/8 GiB, allocatable 3920m CPU/6585Mi); lower the requests, or allow a larger instance "
            "type in "
            "the pool",
        )
    ]
    untolerated = check(lambda: karpenter(SPOT_C))
    assert violations(untolerated, POLICY) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'demo': the closest, managed "
            "node group "
            "'system', has taint CriticalAddonsOnly=true:NoSchedule that it does not tolerate; add a "
            "toleration "
            "for CriticalAddonsOnly=true:NoSchedule",
        )
    ]


@pytest.mark.parametrize(
    "requirement",
    [
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p5.48xlarge"]},
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["x2idn"]},
    ],
)
def test_instance_types_outside_the_table_cannot_be_decided(requirement: dict[str, Any]) -> None:
    report = check(lambda: karpenter([requirement], container=big("40", "4Gi"), tolerations=TOLERATE))
    assert violations(report, POLICY) == []
    value = requirement["values"][0]
    assert undecided(report, POLICY) == [
        f"Deployment 'web' (namespace apps) fits no pool for sure: for Karpenter NodePool 'batch', the pod "
        "requests 40000m CPU/4096Mi memory and Karpenter NodePool 'batch' may use "
        f"{requirement['key']}={value}, "
        "not in the table"
    ]


def test_unknown_pod_template_in_preview_is_advisory() -> None:
    def program() -> None:
        cluster, provider, nets = raw_cluster(public=True)
        node_group(cluster, nets)
        deployment(provider, nodeSelector={"endpoint": cluster.endpoint})

    preview = check(program, preview=True)
    assert violations(preview, POLICY) == []
    assert undecided(preview, POLICY) == [
        "Deployment 'web' (namespace apps) fits no pool for sure: for managed node group 'general', its node "
        "selector or affinity is unknown during preview"
    ]


def test_pulumi_eks_managed_node_group_recorded_as_the_engine_records_it() -> None:
    # Under mocks a ManagedNodeGroup given `cluster=` cannot run (a reference to a remote component), so
    # the records are made by hand, with the inputs and property dependencies the engine records.
    from system_programs import PACK

    from dpengine.check import evaluate, resource_record, synthetic_run

    cluster = resource_record("eks:index:Cluster", "platform", {"endpointPublicAccess": True})
    group = resource_record(
        "eks:index:ManagedNodeGroup",
        "workers",
        {
            "instanceTypes": ["r6i.large"],
            "capacityType": "SPOT",
            "labels": {"pool": "memory"},
            "scalingConfig": {"minSize": 1, "maxSize": 2, "desiredSize": 1},
        },
        property_dependencies={"cluster": [cluster.urn]},
    )
    provider = resource_record(
        "pulumi:providers:kubernetes", "platform-k8s", {}, property_dependencies={"kubeconfig": [cluster.urn]}
    )

    def web(selector: dict[str, str]) -> Any:
        labels = {"app": "web"}
        return resource_record(
            "kubernetes:apps/v1:Deployment",
            "web",
            {
                "metadata": {"name": "web", "namespace": "apps"},
                "spec": {
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"nodeSelector": selector, "containers": [big("1", "12Gi")]},
                    },
                },
            },
            provider=f"{provider.urn}::id",
        )

    def found(selector: dict[str, str]) -> list[tuple[str, str]]:
        report = evaluate(synthetic_run([cluster, group, provider, web(selector)]), PACK)
        return [(v.name, v.message) for v in report.violations if v.policy == POLICY]

    assert found({"pool": "memory", "eks.amazonaws.com/capacityType": "SPOT"}) == []
    assert found({"pool": "memory", "eks.amazonaws.com/capacityType": "ON_DEMAND"}) == [
        (
            "web",
            "Deployment 'web' (namespace apps) fits no node pool of cluster 'platform': the closest, "
            "managed node "
            "group 'workers', does not match its nodeSelector eks.amazonaws.com/capacityType=ON_DEMAND (its "
            "nodes "
            "have eks.amazonaws.com/capacityType in ['SPOT']); select a label the pool's nodes carry, or "
            "label the "
            "pool",
        )
    ]
