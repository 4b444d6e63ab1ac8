"""The one scheduling contract: where a pod goes when it asks for a pool.

A pool is a managed node group or a Karpenter NodePool. Every node of a pool carries the label
``dataplatform.io/pool: <pool>`` (set by the component, never by hand) and the pool's taints; the
:class:`Placement` of a pool is the node selector on that label plus one toleration per taint, built
from the same settings that taint the nodes. A taint is therefore written once, in the cluster
settings, and services take their placement from :meth:`EksCluster.placement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .karpenter_settings import POOL_LABEL, NodePoolSettings, PoolTaint

if TYPE_CHECKING:
    from .settings_nodes import NodeGroupSettings, Taint

__all__ = [
    "KUBERNETES_EFFECT",
    "Placement",
    "node_group_placement",
    "node_pool_placement",
    "node_pool_taints",
    "placements",
    "pool_labels",
    "toleration",
]

KUBERNETES_EFFECT = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}
"""EKS API taint effects (managed node groups) in the Kubernetes spelling (pods, NodePools)."""

PoolKind = Literal["node_group", "node_pool"]


@dataclass(frozen=True)
class Placement:
    """What places a pod on one pool: a node selector and the tolerations of the pool's taints
    (Kubernetes spelling, ready for a pod spec)."""

    pool: str
    """The pool name."""
    kind: PoolKind
    """``node_group`` (EKS managed, fixed size) or ``node_pool`` (Karpenter, autoscaled)."""
    node_selector: dict[str, str] = field(default_factory=dict)
    """``{"dataplatform.io/pool": <pool>}``."""
    tolerations: list[dict[str, str]] = field(default_factory=list)
    """One toleration per taint of the pool (``operator: Equal`` with a value, ``Exists`` without)."""

    def pod_spec(self) -> dict[str, Any]:
        """The pod-spec fields (``nodeSelector``, ``tolerations``; the latter left out when empty)."""
        spec: dict[str, Any] = {"nodeSelector": dict(self.node_selector)}
        if self.tolerations:
            spec["tolerations"] = [dict(t) for t in self.tolerations]
        return spec


def toleration(key: str, value: str | None, effect: str) -> dict[str, str]:
    """The toleration of one taint (``effect`` in the Kubernetes spelling)."""
    if value is None:
        return {"key": key, "operator": "Exists", "effect": effect}
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


def pool_labels(pool: str, labels: dict[str, str]) -> dict[str, str]:
    """A pool's node labels: its own, plus the contract label naming the pool."""
    return {**labels, POOL_LABEL: pool}


def _group_toleration(taint: Taint) -> dict[str, str]:
    return toleration(taint.key, taint.value, KUBERNETES_EFFECT[taint.effect])


def _pool_taint(taint: PoolTaint) -> dict[str, str]:
    return {
        "key": taint.key,
        **({"value": taint.value} if taint.value is not None else {}),
        "effect": taint.effect,
    }


def node_pool_taints(pool: NodePoolSettings) -> list[dict[str, str]]:
    """The NodePool's taints, as ``spec.template.spec.taints`` takes them."""
    return [_pool_taint(taint) for taint in pool.taints]


def node_group_placement(group: NodeGroupSettings) -> Placement:
    """The placement on a managed node group."""
    return Placement(
        pool=group.name,
        kind="node_group",
        node_selector={POOL_LABEL: group.name},
        tolerations=[_group_toleration(taint) for taint in group.taints],
    )


def node_pool_placement(pool: NodePoolSettings) -> Placement:
    """The placement on a Karpenter NodePool."""
    return Placement(
        pool=pool.name,
        kind="node_pool",
        node_selector={POOL_LABEL: pool.name},
        tolerations=[toleration(t.key, t.value, t.effect) for t in pool.taints],
    )


def placements(
    node_groups: Sequence[NodeGroupSettings], node_pools: Sequence[NodePoolSettings]
) -> dict[str, Placement]:
    """Pool name -> placement, managed node groups first (names are unique across both: the cluster
    settings check it)."""
    found = {group.name: node_group_placement(group) for group in node_groups}
    found.update({pool.name: node_pool_placement(pool) for pool in node_pools})
    return found
