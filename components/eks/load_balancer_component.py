"""The AWS Load Balancer Controller on the cluster: a child component of ``EksCluster``, registration only.

It registers the controller's IRSA role (``kube-system:aws-load-balancer-controller``) with the
upstream IAM policy inline (:mod:`.load_balancer`), and the chart on the system nodes, after the node
groups, CoreDNS and the policy (the controller reconciles its first Ingress with it). An Ingress
waits for the Release (``EksCluster.ingress_dependencies``): the Release brings the ``alb``
IngressClass and the webhook that validates Ingresses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..iam import irsa_trust_policy
from .load_balancer import (
    LBC_CHART,
    LBC_NAMESPACE,
    LBC_REPOSITORY,
    LBC_SERVICE_ACCOUNT,
    LoadBalancerControllerSettings,
    controller_policy,
    controller_values,
)
from .pools import Placement

if TYPE_CHECKING:
    from .settings import EksClusterSettings

__all__ = ["LoadBalancerAddon", "LoadBalancerController", "LoadBalancerControllerArgs"]


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    """What the controller needs from the cluster."""

    settings: LoadBalancerControllerSettings
    placement: Placement
    """The placement of its node group (the system nodes)."""
    tags: Mapping[str, str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider
    cluster_name: pulumi.Input[str]
    region: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    after: Sequence[pulumi.Resource] = ()
    """What the controller's pods need first: the managed node groups and CoreDNS."""


class LoadBalancerController(pulumi.ComponentResource):
    """The controller's IRSA role with the upstream policy, and the chart."""

    role: aws.iam.Role
    release: k8s.helm.v3.Release

    def __init__(
        self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        document = controller_policy()  # refuses a modified upstream file before anything is registered
        super().__init__("dataplatform:compute:LoadBalancerController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_provider_url, LBC_NAMESPACE, LBC_SERVICE_ACCOUNT
            ),
            description=f"IRSA: system:serviceaccount:{LBC_NAMESPACE}:{LBC_SERVICE_ACCOUNT} "
            f"(aws-load-balancer-controller {args.settings.version}, upstream IAM policy)",
            tags=dict(args.tags),
            opts=child,
        )
        policy = aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=document, opts=child)
        settings, placement = args.settings, args.placement
        self.release = k8s.helm.v3.Release(
            name,
            name=LBC_CHART,
            chart=LBC_CHART,
            version=settings.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=LBC_REPOSITORY),
            namespace=LBC_NAMESPACE,
            values=pulumi.Output.all(args.cluster_name, args.region, args.vpc_id, self.role.arn).apply(
                lambda v: controller_values(
                    settings, cluster_name=v[0], region=v[1], vpc_id=v[2], role_arn=v[3], placement=placement
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[*args.after, policy]
            ),
        )
        self.register_outputs({"role_arn": self.role.arn, "version": settings.version})


class LoadBalancerAddon:
    """The part of ``EksCluster`` that installs the controller (``settings.load_balancer_controller``)
    and says what an Ingress waits for."""

    _name: str
    _tags: dict[str, str]
    _settings: EksClusterSettings
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    workload_dependencies: list[pulumi.Resource]

    load_balancer_controller: LoadBalancerController | None
    """The controller child component (None with ``load_balancer_controller`` unset)."""

    def _load_balancer_controller(
        self,
        placement: Callable[[str], Placement],
        provider: k8s.Provider,
        region: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
    ) -> None:
        self.load_balancer_controller = None
        settings = self._settings.load_balancer_controller
        if settings is None:
            return
        assert isinstance(self, pulumi.Resource)
        self.load_balancer_controller = LoadBalancerController(
            f"{self._name}-lbc",
            LoadBalancerControllerArgs(
                settings=settings,
                placement=placement(settings.node_group),
                tags=self._tags,
                oidc_provider_arn=self.oidc_provider_arn,
                oidc_provider_url=self.oidc_provider_url,
                provider=provider,
                cluster_name=self.cluster_name,
                region=region,
                vpc_id=vpc_id,
                after=list(self.workload_dependencies),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    @property
    def ingress_dependencies(self) -> list[pulumi.Resource]:
        """What an Ingress waits for: the controller's Release (its IngressClass and validating
        webhook). Empty without the controller."""
        lbc = self.load_balancer_controller
        return [lbc.release] if lbc is not None else []
