"""The cluster runtime as plain documents: add-on configuration values and the default StorageClass.

Nothing here registers a resource: the component turns these into ``aws.eks.Addon``
``configuration_values`` (JSON, validated by EKS against each add-on version's schema) and a
``StorageClass``; ``tests/test_eks_addons.py`` checks each document exactly.

Placement: the add-ons that run as Deployments (CoreDNS, metrics-server, the EBS CSI controller)
tolerate the system node group's taints and *prefer* its nodes (a preferred node affinity, so they
still run elsewhere when the system nodes are full or absent). The system groups are the managed
node groups tainted ``CriticalAddonsOnly`` (the default ``system`` group); their names and taints
are read from the settings, and the affinity matches the EKS node group name, which EKS puts in the
``eks.amazonaws.com/nodegroup`` label of each node (the physical name, auto-named by Pulumi: hence
``node_group_names``). DaemonSet add-ons (vpc-cni, kube-proxy, the EBS CSI node plugin) run on
every node and are not placed.

Only ``tolerations`` and ``affinity`` are emitted for placement: those keys are in the add-ons'
configuration schemas (research notes §2: EKS add-on schemas expose ``tolerations``,
``nodeSelector``, ``affinity``; EBS CSI nests them under ``controller``). Setting ``affinity``
replaces the add-on's default affinity; the scheduler's default topology spreading still spreads
the replicas over nodes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .karpenter_settings import POOL_LABEL
from .pools import node_group_placement
from .settings import EksClusterSettings, NodeGroupSettings

__all__ = [
    "DEFAULT_STORAGE_CLASS",
    "DEFAULT_STORAGE_CLASS_ANNOTATION",
    "EBS_CSI_PROVISIONER",
    "SYSTEM_PLACED_ADDONS",
    "SYSTEM_TAINT_KEY",
    "VPC_CNI_CONFIGURATION",
    "addon_configuration",
    "configuration_json",
    "default_storage_class",
    "gp3_parameters",
    "system_node_groups",
    "system_placement_values",
    "tolerations",
]

SYSTEM_TAINT_KEY = "CriticalAddonsOnly"
"""A node group tainted with this key is a system group: it runs cluster add-ons."""

VPC_CNI_CONFIGURATION: dict[str, Any] = {"enableNetworkPolicy": "true"}
"""VPC CNI: enforce NetworkPolicies (the node agent in ``aws-node``; the controller runs in the EKS
control plane). The value is the string "true", as the add-on schema wants it (EKS user guide,
awsdocs/amazon-eks-user-guide ``latest/ug/networking/cni-network-policy-configure.adoc``; needs
vpc-cni >= v1.14.0-eksbuild.3, which every build for 1.29 and later is)."""

SYSTEM_PLACED_ADDONS: dict[str, tuple[str, ...]] = {
    "coredns": (),
    "metrics-server": (),
    "aws-ebs-csi-driver": ("controller",),
}
"""The add-ons that run Deployments, and where their placement keys sit in the configuration values
(the EBS CSI driver's chart nests the controller's under ``controller``; its node DaemonSet already
tolerates every taint)."""

EBS_CSI_PROVISIONER = "ebs.csi.aws.com"
DEFAULT_STORAGE_CLASS = "gp3"
"""The name of the default StorageClass."""
DEFAULT_STORAGE_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


# --------------------------------------------------------------------------- placement


def system_node_groups(settings: EksClusterSettings) -> list[NodeGroupSettings]:
    """The managed node groups that carry a ``CriticalAddonsOnly`` taint, in settings order."""
    return [
        group for group in settings.all_node_groups if any(t.key == SYSTEM_TAINT_KEY for t in group.taints)
    ]


def tolerations(groups: Sequence[NodeGroupSettings]) -> list[dict[str, str]]:
    """The tolerations of every taint of ``groups``, each once, in order (from the scheduling
    contract, :func:`.pools.node_group_placement`: a taint is written once)."""
    result: list[dict[str, str]] = []
    for group in groups:
        for toleration in node_group_placement(group).tolerations:
            if toleration not in result:
                result.append(toleration)
    return result


def system_placement_values(groups: Sequence[NodeGroupSettings]) -> dict[str, Any] | None:
    """``tolerations`` and ``affinity`` that let a pod on the system nodes and make the scheduler prefer
    them (by the pool label every node of a group carries, which is known before the group exists:
    the ``eks.amazonaws.com/nodegroup`` label holds the generated node-group name). None without a
    system group."""
    if not groups:
        return None
    return {
        "tolerations": tolerations(groups),
        "affinity": {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "preference": {
                            "matchExpressions": [
                                {"key": POOL_LABEL, "operator": "In", "values": [g.name for g in groups]}
                            ]
                        },
                    }
                ]
            }
        },
    }


# --------------------------------------------------------------------------- add-on configuration


def addon_configuration(addon: str, placement: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The configuration values of ``addon`` (its EKS name), or None for the add-on's defaults.

    ``placement`` (from :func:`system_placement_values`) applies to the add-ons of
    :data:`SYSTEM_PLACED_ADDONS`, at their keys.
    """
    if addon == "vpc-cni":
        return dict(VPC_CNI_CONFIGURATION)
    if addon not in SYSTEM_PLACED_ADDONS or not placement:
        return None
    values: dict[str, Any] = dict(placement)
    for key in reversed(SYSTEM_PLACED_ADDONS[addon]):
        values = {key: values}
    return values


def configuration_json(configuration: Mapping[str, Any] | None) -> str | None:
    """``configuration`` as the JSON string ``configuration_values`` takes (stable key order), or None."""
    if configuration is None:
        return None
    return json.dumps(configuration, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------- storage


def gp3_parameters(kms_key_arn: Any) -> dict[str, Any]:
    """EBS CSI parameters of an encrypted gp3 volume with ``kms_key_arn`` (kubernetes-sigs/aws-ebs-csi-driver
    ``docs/parameters.md``: every value is a string; ``kmsKeyId`` is the full key ARN)."""
    return {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": kms_key_arn,
        "csi.storage.k8s.io/fstype": "ext4",
    }


def default_storage_class(kms_key_arn: Any) -> dict[str, Any]:
    """The default StorageClass ``gp3`` (a manifest): EBS CSI gp3 volumes encrypted with the cluster's
    EBS key, created in the zone of the first pod that mounts them (``WaitForFirstConsumer``: a
    volume made before scheduling could land in a zone the pod cannot run in), expandable, deleted
    with their claim.

    The gp2 class needs no patch: "Starting with 1.30, Amazon EKS no longer includes the default
    annotation on the gp2 StorageClass applied to newly created clusters" (EKS Kubernetes versions,
    1.30 section, https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-extended.html),
    and EKS creates no cluster older than that any more (1.30 left extended support on 2026-07-23,
    see :mod:`.versions`). The EBS CSI add-on's own ``defaultStorageClass`` option is not used: its
    class has no customer key.

    ``kms_key_arn`` may be an Output: it is only placed in the document.
    """
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": DEFAULT_STORAGE_CLASS,
            "annotations": {DEFAULT_STORAGE_CLASS_ANNOTATION: "true"},
        },
        "provisioner": EBS_CSI_PROVISIONER,
        "parameters": gp3_parameters(kms_key_arn),
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
