"""KEDA on the cluster: a child component of ``EksCluster``, registration only.

It registers the operator's IRSA role (``keda:keda-operator``, no permissions: see :mod:`.keda`)
and the chart, on the system nodes, after the node groups and CoreDNS (the Release awaits its
pods, and the operator resolves AWS endpoints through cluster DNS). ScaledObjects, ScaledJobs and
TriggerAuthentications wait for the Release (``EksCluster.keda_dependencies``): their CRDs and the
admission webhook come with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..iam import irsa_trust_policy
from .keda import (
    KEDA_CHART,
    KEDA_NAMESPACE,
    KEDA_OPERATOR_SERVICE_ACCOUNT,
    KEDA_REPOSITORY,
    KedaSettings,
    keda_values,
)
from .pools import Placement

if TYPE_CHECKING:
    from .settings import EksClusterSettings

__all__ = ["Keda", "KedaAddon", "KedaArgs"]


@dataclass(frozen=True)
class KedaArgs:
    """What KEDA needs from the cluster."""

    settings: KedaSettings
    placement: Placement
    """The placement of KEDA's node group (the system nodes)."""
    tags: Mapping[str, str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    provider: k8s.Provider
    after: Sequence[pulumi.Resource] = ()
    """What KEDA's pods need first: the managed node groups and CoreDNS."""


class Keda(pulumi.ComponentResource):
    """KEDA: the operator's IRSA role and the chart."""

    operator_role: aws.iam.Role
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dataplatform:compute:Keda", name, None, opts)
        self.operator_role = aws.iam.Role(
            f"{name}-operator",
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_provider_url, KEDA_NAMESPACE, KEDA_OPERATOR_SERVICE_ACCOUNT
            ),
            description=(
                f"IRSA: system:serviceaccount:{KEDA_NAMESPACE}:{KEDA_OPERATOR_SERVICE_ACCOUNT} "
                "(no permissions: its token assumes the workload roles that trust it)"
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = k8s.helm.v3.Release(
            name,
            name="keda",
            chart=KEDA_CHART,
            version=args.settings.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=KEDA_REPOSITORY),
            namespace=KEDA_NAMESPACE,
            create_namespace=True,
            values=self.operator_role.arn.apply(
                lambda arn: keda_values(args.settings, operator_role_arn=arn, placement=args.placement)
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.after)),
        )
        self.register_outputs({"operator_role_arn": self.operator_role.arn, "version": args.settings.version})


class KedaAddon:
    """The part of ``EksCluster`` that installs KEDA (``settings.keda``) and says what KEDA objects
    wait for."""

    _name: str
    _tags: dict[str, str]
    _settings: EksClusterSettings
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]
    workload_dependencies: list[pulumi.Resource]

    keda: Keda | None
    """The KEDA child component (None with ``keda`` unset)."""

    def _keda(self, placement: Callable[[str], Placement], provider: k8s.Provider) -> None:
        """KEDA (when configured), on its node group (``placement`` of the cluster's scheduling
        contract), through ``provider``, after the node groups and CoreDNS."""
        self.keda = None
        settings = self._settings.keda
        if settings is None:
            return
        assert isinstance(self, pulumi.Resource)
        self.keda = Keda(
            f"{self._name}-keda",
            KedaArgs(
                settings=settings,
                placement=placement(settings.node_group),
                tags=self._tags,
                oidc_provider_arn=self.oidc_provider_arn,
                oidc_provider_url=self.oidc_provider_url,
                provider=provider,
                after=list(self.workload_dependencies),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    @property
    def keda_dependencies(self) -> list[pulumi.Resource]:
        """What a ScaledObject, ScaledJob or TriggerAuthentication waits for: the KEDA Release (its
        CRDs and admission webhook). Empty without KEDA."""
        return [self.keda.release] if self.keda is not None else []
