"""The scheduling contract (components/eks/pools.py): a pool's placement comes from its own taints."""

from __future__ import annotations

import pytest

from components._validation import InvalidConfigError
from components.eks import EksClusterSettings
from components.eks.karpenter import node_pool_manifest
from components.eks.karpenter_settings import POOL_LABEL, NodePoolSettings
from components.eks.pools import Placement, node_group_placement, node_pool_placement, toleration
from components.eks.settings import NodeGroupSettings, Taint

SYSTEM = {
    "name": "system",
    "instance_types": ["m6i.xlarge"],
    "min_size": 3,
    "taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}],
}


def settings(**karpenter: object) -> EksClusterSettings:
    return EksClusterSettings(
        deploy_from="inside_vpc",
        deployer_cidrs=["10.0.8.0/24"],
        kubernetes_version="1.36",
        node_groups=[SYSTEM],
        karpenter=karpenter,
    )


def test_the_pool_label_is_the_contract_key() -> None:
    # The EKS label eks.amazonaws.com/nodegroup holds the generated physical group name, which
    # settings cannot know; the component labels every node of a pool with its settings name.
    assert POOL_LABEL == "dataplatform.io/pool"


def test_toleration_spelling() -> None:
    assert toleration("a", "b", "NoSchedule") == {
        "key": "a",
        "operator": "Equal",
        "value": "b",
        "effect": "NoSchedule",
    }
    assert toleration("a", None, "NoExecute") == {"key": "a", "operator": "Exists", "effect": "NoExecute"}


def test_node_group_placement_converts_the_eks_effect() -> None:
    group = NodeGroupSettings(
        name="gpu",
        instance_types=["g5.xlarge"],
        taints=[
            Taint(key="nvidia.com/gpu", effect="NO_EXECUTE"),
            Taint(key="dedicated", value="ml", effect="PREFER_NO_SCHEDULE"),
        ],
    )
    assert node_group_placement(group) == Placement(
        pool="gpu",
        kind="node_group",
        node_selector={POOL_LABEL: "gpu"},
        tolerations=[
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"},
            {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "PreferNoSchedule"},
        ],
    )


def test_default_placements() -> None:
    found = settings().placements()
    assert list(found) == ["system", "apps", "batch"]
    assert found["system"].pod_spec() == {
        "nodeSelector": {POOL_LABEL: "system"},
        "tolerations": [
            {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ],
    }
    # The default apps pool has no taint: no tolerations key at all.
    assert found["apps"].pod_spec() == {"nodeSelector": {POOL_LABEL: "apps"}}
    assert found["batch"] == Placement(
        pool="batch",
        kind="node_pool",
        node_selector={POOL_LABEL: "batch"},
        tolerations=[
            {"key": "dataplatform.io/spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ],
    )


def test_a_taint_is_written_once() -> None:
    """The NodePool's taint and the placement's toleration come from the same settings entry: a new
    taint shows up in both, and each toleration tolerates exactly its taint."""
    pool = NodePoolSettings(
        name="ml",
        capacity_types=["spot", "on-demand"],
        instance_families=["g5", "g6"],
        taints=[
            {"key": "nvidia.com/gpu", "effect": "NoSchedule"},
            {"key": "example.com/team", "value": "ml", "effect": "NoExecute"},
        ],
        limits={"cpu": "64", "memory": "256Gi"},
    )
    taints = node_pool_manifest(pool)["spec"]["template"]["spec"]["taints"]
    tolerations = node_pool_placement(pool).tolerations
    assert len(taints) == len(tolerations) == 2
    for taint, tol in zip(taints, tolerations):
        assert (tol["key"], tol["effect"]) == (taint["key"], taint["effect"])
        if "value" in taint:
            assert (tol["operator"], tol["value"]) == ("Equal", taint["value"])
        else:
            assert tol["operator"] == "Exists" and "value" not in tol
    assert node_pool_manifest(pool)["spec"]["template"]["metadata"]["labels"] == {POOL_LABEL: "ml"}


def test_without_karpenter_only_node_groups() -> None:
    plain = EksClusterSettings(
        deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], kubernetes_version="1.36"
    )
    assert list(plain.placements()) == ["system", "apps"]
    assert plain.placements()["apps"].tolerations == []
    with_spot = EksClusterSettings(
        deploy_from="inside_vpc",
        deployer_cidrs=["10.0.8.0/24"],
        kubernetes_version="1.36",
        spot_node_group=True,
    )
    assert with_spot.placements()["spot"].tolerations == [
        {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]


def test_pool_names_must_not_clash_with_node_groups() -> None:
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings.parse(
            {
                "deploy_from": "inside_vpc",
                "deployer_cidrs": ["10.0.8.0/24"],
                "kubernetes_version": "1.36",
                "karpenter": {},
            },
            prefix="cluster",
        )
    # The default node groups are system and apps; the default pools apps and batch.
    assert [(i.path, i.value) for i in err.value.issues] == [("cluster.karpenter.node_pools[0].name", "apps")]
    assert err.value.issues[0].message == (
        "a managed node group has this name; pools and groups share one namespace (services name them "
        "as their pool): rename the NodePool or the group"
    )


def test_the_pool_label_is_not_for_hand_setting() -> None:
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings(
            deploy_from="inside_vpc",
            deployer_cidrs=["10.0.8.0/24"],
            kubernetes_version="1.36",
            node_groups=[{**SYSTEM, "labels": {POOL_LABEL: "apps"}}],
            karpenter={},
        )
    assert [i.path for i in err.value.issues] == [f"node_groups[0].labels.{POOL_LABEL}"]
    with pytest.raises(InvalidConfigError) as err:
        NodePoolSettings(
            name="x", instance_families=["m6i"], labels={POOL_LABEL: "y"}, limits={"cpu": 1, "memory": "1Gi"}
        )
    assert [i.path for i in err.value.issues] == [f"labels.{POOL_LABEL}"]
