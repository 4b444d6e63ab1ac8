"""The part of ``EksCluster`` about its in-cluster objects: the runtime step, and what it exports.

Inside the platform stack (``kubernetes_objects: in_stack``) the cluster makes its
:class:`~.runtime.ClusterRuntime` as a child from its own attributes; with ``workloads_project`` it
makes none and :meth:`RuntimeStep.runtime_outputs` is what a workloads project builds it from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._validation import ConfigIssue, InvalidConfigError
from .pools import Placement
from .runtime import ClusterRuntime, ClusterRuntimeArgs, RuntimeOrigin
from .runtime_inputs import RUNTIME_OUTPUTS, placement_output

if TYPE_CHECKING:
    from .karpenter_component import Karpenter
    from .settings import EksClusterSettings

__all__ = ["RuntimeStep"]


class RuntimeStep:
    """The runtime step of ``EksCluster`` (its attributes are the cluster's)."""

    _name: str
    _tags: dict[str, str]
    _settings: EksClusterSettings
    _provider: k8s.Provider | None
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    ebs_kms_key_arn: pulumi.Output[str]
    workload_dependencies: list[pulumi.Resource]
    karpenter: Karpenter | None
    karpenter_controller_role_arn: pulumi.Output[str] | None
    karpenter_node_role_name: pulumi.Output[str] | None
    karpenter_interruption_queue_name: str | None
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    runtime: ClusterRuntime | None

    if TYPE_CHECKING:

        @property
        def discovery_tags(self) -> dict[str, str]: ...

        def placement(self, pool: str) -> Placement: ...

    def _runtime(self, ebs_csi: aws.eks.Addon) -> None:
        """The in-cluster objects, from this component's attributes. They were this component's and
        the Karpenter component's own children before the runtime existed: ``moved_from`` aliases
        them, so existing stacks keep them (no replacement)."""
        assert isinstance(self, pulumi.Resource)
        karpenter = self.karpenter
        settings = self._settings.karpenter
        self.runtime = ClusterRuntime(
            self._name,
            ClusterRuntimeArgs(
                provider=self.provider,
                cluster_name=self.cluster_name,
                cluster_endpoint=self.endpoint,
                ebs_kms_key_arn=self.ebs_kms_key_arn,
                karpenter=settings,
                controller_role_arn=self.karpenter_controller_role_arn,
                node_role_name=self.karpenter_node_role_name,
                interruption_queue_name=self.karpenter_interruption_queue_name,
                controller_placement=self.placement(settings.controller_node_group) if settings else None,
                discovery_tags=self.discovery_tags,
                node_tags=self._tags if settings else {},
                storage_class_after=[ebs_csi],
                controller_after=[
                    *self.workload_dependencies,
                    *(karpenter.controller_ready if karpenter else []),
                ],
                node_class_after=[karpenter.node_access] if karpenter else [],
                moved_from=RuntimeOrigin(storage_class_parent=self, karpenter_parent=karpenter),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.node_pools = dict(self.runtime.node_pools)

    @property
    def provider(self) -> k8s.Provider:
        """A Kubernetes provider for the cluster; it waits for the admin access entries. Refused with
        ``kubernetes_objects: workloads_project``: that stack makes no Kubernetes object."""
        if self._provider is None:
            raise InvalidConfigError([self._no_kubernetes_objects("provider")], subject="EksCluster.provider")
        return self._provider

    @property
    def default_storage_class(self) -> k8s.storage.v1.StorageClass:
        """The default StorageClass ``gp3`` (EBS CSI, encrypted with ``ebs_kms_key_arn``)."""
        if self.runtime is None:
            raise InvalidConfigError(
                [self._no_kubernetes_objects("default_storage_class")], subject="EksCluster"
            )
        return self.runtime.default_storage_class

    def _no_kubernetes_objects(self, attribute: str) -> ConfigIssue:
        return ConfigIssue(
            "kubernetes_objects",
            "workloads_project",
            f"this stack makes no Kubernetes object, so EksCluster.{attribute} does not exist; build "
            "ClusterRuntime in the workloads project (runtime_args_from_stack), or set kubernetes_objects: "
            "in_stack",
        )

    def runtime_outputs(self) -> dict[str, Any]:
        """What a workloads project needs to build ``ClusterRuntime`` on this cluster: export each
        value under its name (``pulumi.export(name, value)``; the names are ``RUNTIME_OUTPUTS``)."""
        settings = self._settings.karpenter
        controller: Placement | None = self.placement(settings.controller_node_group) if settings else None
        values = {
            "cluster_name": self.cluster_name,
            "cluster_endpoint": self.endpoint,
            "kubeconfig": self.kubeconfig,  # a secret
            "ebs_kms_key_arn": self.ebs_kms_key_arn,
            "karpenter": settings.model_dump(mode="json") if settings else None,
            "controller_role_arn": self.karpenter_controller_role_arn,
            "node_role_name": self.karpenter_node_role_name,
            "interruption_queue_name": self.karpenter_interruption_queue_name,
            "controller_placement": placement_output(controller) if controller else None,
            "discovery_tags": self.discovery_tags or None,
            "node_tags": dict(self._tags) if settings else None,
            "kubernetes_version": self._settings.kubernetes_version,
            "kubernetes_objects": self._settings.kubernetes_objects,
        }
        return {RUNTIME_OUTPUTS[key]: value for key, value in values.items()}
