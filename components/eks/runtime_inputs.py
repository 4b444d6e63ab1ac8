"""What the cluster runtime takes, as plain functions: its checks, and the platform stack's outputs.

A workloads project builds :class:`~.runtime.ClusterRuntime` from the outputs a platform stack exports
(``EksCluster.runtime_outputs``); their names are here once, for both sides.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pulumi

from .._validation import ConfigIssue, InvalidConfigError
from .karpenter import node_class_tag_problems
from .karpenter_settings import KarpenterSettings
from .pools import Placement

if TYPE_CHECKING:
    from .runtime import ClusterRuntimeArgs

__all__ = [
    "RUNTIME_OUTPUTS",
    "karpenter_from_output",
    "placement_from_output",
    "placement_output",
    "runtime_issues",
]

RUNTIME_OUTPUTS: dict[str, str] = {
    "cluster_name": "clusterName",
    "cluster_endpoint": "clusterEndpoint",
    "kubeconfig": "kubeconfig",
    "ebs_kms_key_arn": "ebsKmsKeyArn",
    "karpenter": "karpenterSettings",
    "controller_role_arn": "karpenterControllerRoleArn",
    "node_role_name": "karpenterNodeRoleName",
    "interruption_queue_name": "karpenterInterruptionQueueName",
    "controller_placement": "karpenterControllerPlacement",
    "discovery_tags": "karpenterDiscoveryTags",
    "node_tags": "karpenterNodeTags",
    "kubernetes_version": "kubernetesVersion",
    "kubernetes_objects": "kubernetesObjects",
}
"""Argument -> the platform stack output it comes from (the platform exports every one)."""

_WITH_KARPENTER = ("controller_role_arn", "node_role_name", "interruption_queue_name", "controller_placement")


def runtime_issues(args: ClusterRuntimeArgs) -> list[ConfigIssue]:
    """Every problem of ``args``, before anything is registered."""
    issues: list[ConfigIssue] = []
    if not isinstance(args.provider, pulumi.ProviderResource):
        issues.append(
            ConfigIssue(
                "args.provider",
                type(args.provider).__name__,
                "pass the cluster's pulumi_kubernetes.Provider (built from its kubeconfig)",
            )
        )
    if args.karpenter is not None and not isinstance(args.karpenter, KarpenterSettings):
        issues.append(
            ConfigIssue(
                "args.karpenter",
                type(args.karpenter).__name__,
                "pass KarpenterSettings (KarpenterSettings.parse(...) of the platform's karpenterSettings)",
            )
        )
    if args.karpenter is not None:
        for key in _WITH_KARPENTER:
            if getattr(args, key) is None:
                issues.append(
                    ConfigIssue(
                        f"args.{key}",
                        None,
                        f"is required with karpenter; pass the platform's {RUNTIME_OUTPUTS[key]} output",
                    )
                )
        if args.controller_placement is not None and not isinstance(args.controller_placement, Placement):
            issues.append(
                ConfigIssue(
                    "args.controller_placement",
                    type(args.controller_placement).__name__,
                    "pass a Placement (EksCluster.placement of the controller's node group)",
                )
            )
    issues += [
        ConfigIssue(f"args.node_tags.{key}", key, "Karpenter sets this tag itself; remove it")
        for key in node_class_tag_problems(args.node_tags)
    ]
    return issues


def placement_output(placement: Placement) -> dict[str, Any]:
    """A placement as a plain stack output."""
    return asdict(placement)


def placement_from_output(value: Any, path: str) -> Placement:
    """The placement a platform stack exported with :func:`placement_output`."""
    if not isinstance(value, dict) or set(value) != {"pool", "kind", "node_selector", "tolerations"}:
        raise InvalidConfigError(
            [
                ConfigIssue(
                    path,
                    value,
                    "is not a placement exported by EksCluster.runtime_outputs; redeploy the platform stack "
                    "with kubernetes_objects: workloads_project",
                )
            ]
        )
    return Placement(
        pool=value["pool"],
        kind=value["kind"],
        node_selector=dict(value["node_selector"]),
        tolerations=[dict(t) for t in value["tolerations"]],
    )


def karpenter_from_output(value: Any, path: str) -> KarpenterSettings | None:
    """The Karpenter settings a platform stack exported (None: the platform has no Karpenter),
    validated again so a hand-edited or older output is reported with its path."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidConfigError(
            [ConfigIssue(path, value, "is not the Karpenter settings EksCluster.runtime_outputs exports")]
        )
    return KarpenterSettings.parse(value, prefix=path)
