"""``ClusterRuntime``: the cluster's in-cluster objects, registration only.

Everything here goes through the Kubernetes API (so whoever runs ``pulumi up`` must reach the
cluster's endpoint), in this order (each ``depends_on`` says why):

- the default StorageClass ``gp3`` (EBS CSI, encrypted with the cluster's EBS key), after the EBS CSI
  add-on that provisions its volumes;
- with Karpenter: the CRD chart, then the controller chart (after the controller's node group,
  CoreDNS, its IAM policy and the interruption queue), then the EC2NodeClass (after the nodes'
  access entry) and one NodePool per pool.

The inputs are plain values and ``pulumi.Input`` s, so the component runs in either place the
cluster settings allow (``EksClusterSettings.kubernetes_objects``): inside the platform stack, where
``EksCluster`` makes it as a child from its own attributes; or in a separate workloads project,
from the platform stack's outputs (:func:`runtime_args_from_stack`). The AWS side
(IAM roles, the queue, access entries) always stays in the platform stack (:mod:`.karpenter_component`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .._validation import ConfigIssue, InvalidConfigError
from .addons import default_storage_class
from .karpenter import controller_values, discovery_tags, node_class_manifest, node_pool_manifest
from .karpenter_settings import (
    KARPENTER_CHART,
    KARPENTER_CRD_CHART,
    KARPENTER_NAMESPACE,
    NODE_CLASS_NAME,
    KarpenterSettings,
)
from .pools import Placement, node_pool_placement
from .runtime_inputs import (
    RUNTIME_OUTPUTS,
    karpenter_from_output,
    placement_from_output,
    runtime_issues,
)

__all__ = [
    "ClusterRuntime",
    "ClusterRuntimeArgs",
    "RuntimeOrigin",
    "plain_stack_output",
    "runtime_args_from_stack",
]


@dataclass(frozen=True)
class RuntimeOrigin:
    """Where the runtime's objects were registered before ``ClusterRuntime`` existed: ``EksCluster``
    passes it so that existing stacks move them (Pulumi ``aliases``) instead of replacing them."""

    storage_class_parent: pulumi.Resource
    """The old parent of the StorageClass (the ``EksCluster``)."""
    karpenter_parent: pulumi.Resource | None = None
    """The old parent of the charts and custom resources (the ``Karpenter`` component)."""


@dataclass(frozen=True)
class ClusterRuntimeArgs:
    """What the in-cluster objects need: the cluster's provider and names, Karpenter's AWS side."""

    provider: k8s.Provider
    """The cluster's Kubernetes provider; every child uses it."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster name (Karpenter's ``settings.clusterName``, and its discovery tag by default)."""
    ebs_kms_key_arn: pulumi.Input[str]
    """The cluster's EBS key: the StorageClass's volumes and the nodes' root volumes use it."""
    cluster_endpoint: pulumi.Input[str] | None = None
    """The API server URL (Karpenter's ``settings.clusterEndpoint``; None: Karpenter looks it up)."""
    karpenter: KarpenterSettings | None = None
    """Karpenter's settings (the pools, the chart version, the controller's size); None: no Karpenter.
    Plain, not an Output: it decides which NodePools exist."""
    controller_role_arn: pulumi.Input[str] | None = None
    """The controller's IRSA role (``Karpenter.controller_role``); required with ``karpenter``."""
    node_role_name: pulumi.Input[str] | None = None
    """The role of Karpenter's nodes (the EC2NodeClass's ``role``); required with ``karpenter``."""
    interruption_queue_name: pulumi.Input[str] | None = None
    """The SQS queue the controller drains nodes from; required with ``karpenter``."""
    controller_placement: Placement | None = None
    """The placement of the controller's managed node group (``EksCluster.placement``); required
    with ``karpenter``."""
    discovery_tags: pulumi.Input[Mapping[str, str]] | None = None
    """The tag that finds the private subnets and the node security group (default:
    ``karpenter.sh/discovery: <cluster_name>``, what ``EksCluster`` puts there)."""
    node_tags: Mapping[str, str] = field(default_factory=dict)
    """The tags of every instance, volume and interface Karpenter launches (the platform's tag set)."""
    storage_class_after: Sequence[pulumi.Resource] = ()
    """What the StorageClass waits for (the EBS CSI add-on, in the same stack)."""
    controller_after: Sequence[pulumi.Resource] = ()
    """What the controller chart waits for (its node group, CoreDNS, its IAM policy, the queue)."""
    node_class_after: Sequence[pulumi.Resource] = ()
    """What the EC2NodeClass waits for besides the controller (the nodes' access entry)."""
    moved_from: RuntimeOrigin | None = None
    """The parents of these objects in stacks made before this component (``EksCluster`` only)."""


class ClusterRuntime(pulumi.ComponentResource):
    """The default StorageClass and, with Karpenter, its charts, EC2NodeClass and NodePools."""

    default_storage_class: k8s.storage.v1.StorageClass
    """The default StorageClass ``gp3``."""
    releases: list[k8s.helm.v3.Release]
    """Karpenter's CRD chart and controller chart, in that order (empty without Karpenter)."""
    node_class: k8s.apiextensions.CustomResource | None
    """The EC2NodeClass every pool uses (None without Karpenter)."""
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    """Pool name -> its NodePool (empty without Karpenter)."""

    def __init__(
        self, name: str, args: ClusterRuntimeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        issues = runtime_issues(args)
        if issues:
            raise InvalidConfigError(issues, subject="ClusterRuntimeArgs")
        super().__init__("dataplatform:compute:ClusterRuntime", name, None, opts)
        self._name = name
        self._args = args
        self.releases = []
        self.node_class = None
        self.node_pools = {}
        self._storage_class()
        if args.karpenter is not None:
            self._karpenter_charts(args.karpenter)
            self._custom_resources(args.karpenter)
        self.register_outputs(
            {
                "default_storage_class": self.default_storage_class.metadata["name"],
                "node_pools": sorted(self.node_pools),
            }
        )

    def _options(
        self, old_parent: pulumi.Resource | None, after: Sequence[pulumi.Resource]
    ) -> pulumi.ResourceOptions:
        aliases = [pulumi.Alias(parent=old_parent)] if old_parent is not None else None
        return pulumi.ResourceOptions(
            parent=self, provider=self._args.provider, depends_on=list(after), aliases=aliases
        )

    def _moved(self, kind: str) -> pulumi.Resource | None:
        origin = self._args.moved_from
        if origin is None:
            return None
        return origin.storage_class_parent if kind == "storage" else origin.karpenter_parent

    def _storage_class(self) -> None:
        """The default StorageClass ``gp3``: its volumes are provisioned by the EBS CSI add-on."""
        manifest = default_storage_class(self._args.ebs_kms_key_arn)
        self.default_storage_class = k8s.storage.v1.StorageClass(
            f"{self._name}-{manifest['metadata']['name']}",
            metadata=manifest["metadata"],
            provisioner=manifest["provisioner"],
            parameters=manifest["parameters"],
            reclaim_policy=manifest["reclaimPolicy"],
            volume_binding_mode=manifest["volumeBindingMode"],
            allow_volume_expansion=manifest["allowVolumeExpansion"],
            opts=self._options(self._moved("storage"), self._args.storage_class_after),
        )

    def _karpenter_charts(self, settings: KarpenterSettings) -> None:
        """The CRD chart (Helm never upgrades a chart's own CRDs), then the controller."""
        a = self._args
        base = f"{self._name}-karpenter"
        crds = k8s.helm.v3.Release(
            f"{base}-crd",
            name="karpenter-crd",
            chart=KARPENTER_CRD_CHART,
            version=settings.version,
            namespace=KARPENTER_NAMESPACE,
            opts=self._options(self._moved("karpenter"), ()),
        )
        placement = a.controller_placement
        assert placement is not None  # runtime_issues requires it with karpenter

        def values(v: list[Any]) -> dict[str, Any]:
            return controller_values(
                settings,
                cluster_name=v[0],
                queue_name=v[1],
                role_arn=v[2],
                placement=placement,
                cluster_endpoint=v[3],
            )

        controller = k8s.helm.v3.Release(
            base,
            name="karpenter",
            chart=KARPENTER_CHART,
            version=settings.version,
            namespace=KARPENTER_NAMESPACE,
            skip_crds=True,
            values=pulumi.Output.all(
                a.cluster_name, a.interruption_queue_name, a.controller_role_arn, a.cluster_endpoint
            ).apply(values),
            opts=self._options(self._moved("karpenter"), [crds, *a.controller_after]),
        )
        self.releases = [crds, controller]

    def _custom_resources(self, settings: KarpenterSettings) -> None:
        """The EC2NodeClass and the NodePools: their CRDs and the controller come first."""
        a = self._args
        base = f"{self._name}-karpenter"
        controller = self.releases[-1]
        selector = (
            a.discovery_tags
            if a.discovery_tags is not None
            else pulumi.Output.from_input(a.cluster_name).apply(discovery_tags)
        )
        tags = dict(a.node_tags)
        manifest = pulumi.Output.all(a.cluster_name, a.node_role_name, a.ebs_kms_key_arn, selector).apply(
            lambda v: node_class_manifest(
                settings,
                cluster_name=v[0],
                node_role_name=v[1],
                ebs_key_arn=v[2],
                tags=tags,
                discovery=v[3],
            )
        )
        node_class = k8s.apiextensions.CustomResource(
            f"{base}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": NODE_CLASS_NAME},
            spec=manifest["spec"],
            opts=self._options(self._moved("karpenter"), [controller, *a.node_class_after]),
        )
        self.node_class = node_class
        for pool in settings.node_pools:
            document = node_pool_manifest(pool)
            self.node_pools[pool.name] = k8s.apiextensions.CustomResource(
                f"{base}-pool-{pool.name}",
                api_version=document["apiVersion"],
                kind=document["kind"],
                metadata=document["metadata"],
                spec=document["spec"],
                opts=self._options(self._moved("karpenter"), [controller, node_class]),
            )

    # ------------------------------------------------------------------ the scheduling contract

    def placement(self, pool: str) -> Placement:
        """The node selector and tolerations that place a pod on NodePool ``pool``."""
        settings = self._args.karpenter
        pools = {p.name: p for p in settings.node_pools} if settings is not None else {}
        if pool not in pools:
            names = ", ".join(self.node_pools) or "none"
            raise InvalidConfigError(
                [ConfigIssue("pool", pool, f"the runtime has no such NodePool; use one of {names}")],
                subject="ClusterRuntime.placement",
            )
        return node_pool_placement(pools[pool])

    @property
    def default_pool(self) -> str | None:
        """The NodePool of workloads that name none: the first untainted one (None: all are tainted)."""
        settings = self._args.karpenter
        untainted = [p.name for p in settings.node_pools if not p.taints] if settings is not None else []
        return untainted[0] if untainted else None

    def workload_dependencies_for(self, pool: str) -> list[pulumi.Resource]:
        """What a workload on NodePool ``pool`` waits for: that NodePool (its rollout cannot finish
        before Karpenter can launch the nodes)."""
        self.placement(pool)
        return [self.node_pools[pool]]


# --------------------------------------------------------------------------- from a platform stack


def plain_stack_output(platform: pulumi.StackReference, name: str) -> Any:
    """The value of a platform output as a plain value.

    What decides which resources exist (the NodePools) cannot wait in an Output: resources made in
    an ``apply`` are missing from previews. A StackReference's outputs are read from the platform's
    state before the program goes on, so they are known at preview too: this is Pulumi's
    ``get_output_details``, awaited the way the SDK's synchronous invokes are.
    """
    from pulumi.runtime.sync_await import _sync_await

    details = _sync_await(platform.get_output_details(name))
    return details.value if details.value is not None else details.secret_value


def runtime_args_from_stack(
    platform: pulumi.StackReference, provider: k8s.Provider, prefix: str = "platform"
) -> ClusterRuntimeArgs:
    """The runtime's arguments from a platform stack deployed with ``kubernetes_objects:
    workloads_project`` (its exports are :data:`.runtime_inputs.RUNTIME_OUTPUTS`); ``provider`` is
    built from the platform's ``kubeconfig`` output. Problems name ``<prefix>.<output>``."""
    out = RUNTIME_OUTPUTS
    mode = plain_stack_output(platform, out["kubernetes_objects"])
    if mode != "workloads_project":
        raise InvalidConfigError(
            [
                ConfigIssue(
                    f"{prefix}.{out['kubernetes_objects']}",
                    mode,
                    "the platform stack makes its Kubernetes objects itself (a second runtime would fight "
                    "over them); deploy it with cluster.kubernetes_objects: workloads_project first",
                )
            ],
            subject="runtime_args_from_stack",
        )
    karpenter = karpenter_from_output(
        plain_stack_output(platform, out["karpenter"]), f"{prefix}.{out['karpenter']}"
    )
    with_karpenter = karpenter is not None

    def optional(key: str) -> pulumi.Output[Any] | None:
        return platform.require_output(out[key]) if with_karpenter else None

    placement_value = plain_stack_output(platform, out["controller_placement"]) if with_karpenter else None
    return ClusterRuntimeArgs(
        provider=provider,
        cluster_name=platform.require_output(out["cluster_name"]),
        cluster_endpoint=platform.require_output(out["cluster_endpoint"]),
        ebs_kms_key_arn=platform.require_output(out["ebs_kms_key_arn"]),
        karpenter=karpenter,
        controller_role_arn=optional("controller_role_arn"),
        node_role_name=optional("node_role_name"),
        interruption_queue_name=optional("interruption_queue_name"),
        controller_placement=placement_from_output(placement_value, f"{prefix}.{out['controller_placement']}")
        if with_karpenter
        else None,
        discovery_tags=optional("discovery_tags"),
        node_tags=dict(plain_stack_output(platform, out["node_tags"]) or {}) if with_karpenter else {},
    )
