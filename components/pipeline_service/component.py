"""The ``PipelineService`` component: registers the objects ``manifests`` renders, and the IRSA role.

Kubernetes objects get explicit names (the service name) in an explicit namespace, so other
programs and people can find them; they are applied with the provider passed in (the cluster's),
server-side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..iam import irsa_trust_policy
from . import manifests
from .args import PipelineServiceArgs, check_args, pod_security_version

__all__ = ["PipelineService"]


class PipelineService(pulumi.ComponentResource):
    """One pipeline service on the cluster: IRSA role, ServiceAccount, Deployment, HPA, PDB,
    NetworkPolicy, and a Service when it exposes a port."""

    namespace: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    role_arn: pulumi.Output[str] | None
    """The IRSA role's ARN (None without ``iam_policy_json``)."""
    deployment_name: pulumi.Output[str]
    service_name: pulumi.Output[str] | None
    """None without a port."""
    hpa_name: pulumi.Output[str] | None
    """None with autoscaling off."""
    selector_labels: dict[str, str]
    """The labels selecting the service's pods (for other NetworkPolicies, monitors...)."""
    namespace_resource: pulumi.Resource | None
    """The Namespace this service created (for services sharing it), or None."""

    def __init__(
        self, name: str, args: PipelineServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = check_args(args)
        settings = args.settings
        super().__init__("dataplatform:workload:PipelineService", name, None, opts)
        self._name = name
        self._aws = pulumi.ResourceOptions(parent=self)
        self._k8s = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.selector_labels = manifests.selector_labels(settings)

        after_namespace: list[pulumi.Resource] = (
            [args.namespace_dependency] if args.namespace_dependency is not None else []
        )
        namespace: k8s.core.v1.Namespace | None = None
        if settings.create_namespace:
            namespace = self._namespace(
                manifests.namespace(settings, pod_security_version(args.kubernetes_version))
            )
            after_namespace.append(namespace)
            if settings.resource_quota is not None:
                self._quota(manifests.resource_quota(settings), namespace)
            if settings.limit_range is not None:
                self._limit_range(manifests.limit_range(settings), namespace)

        role_arn = self._role(args, tags) if args.iam_policy_json is not None else None
        account = self._service_account(manifests.service_account(settings, role_arn), after_namespace)
        policy = (
            self._network_policy(manifests.network_policy(settings), after_namespace)
            if settings.network_policy.enabled
            else None
        )
        deployment = self._deployment(
            manifests.with_placement(
                manifests.with_environment(manifests.deployment(settings), args.environment), args.placement
            ),
            [
                *after_namespace,
                account,
                *([policy] if policy is not None else []),
                *args.workload_dependencies,
            ],
        )
        service = (
            self._service(manifests.service(settings), after_namespace) if settings.port is not None else None
        )
        hpa = self._hpa(manifests.hpa(settings), after_namespace) if settings.autoscaling.enabled else None
        if settings.pdb.enabled:
            self._pdb(manifests.pdb(settings), after_namespace)

        self.namespace_resource = namespace
        self.namespace = (
            _name_of(namespace)
            if namespace is not None
            else pulumi.Output.from_input(settings.namespace_name)
        )
        self.service_account_name = _name_of(account)
        self.role_arn = role_arn
        self.deployment_name = _name_of(deployment)
        self.service_name = _name_of(service) if service is not None else None
        self.hpa_name = _name_of(hpa) if hpa is not None else None
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_account_name": self.service_account_name,
                "role_arn": self.role_arn,
                "deployment_name": self.deployment_name,
                "service_name": self.service_name,
                "hpa_name": self.hpa_name,
            }
        )

    def _after(self, depends_on: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(self._k8s, pulumi.ResourceOptions(depends_on=list(depends_on)))

    # Each manifest is a dict[str, Any]: its parts are Any, which the SDK's typed arguments accept
    # (their snake_case TypedDicts cannot describe the wire shape the manifests are written in).

    def _namespace(self, manifest: dict[str, Any]) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(f"{self._name}-namespace", metadata=manifest["metadata"], opts=self._k8s)

    def _quota(self, manifest: dict[str, Any], namespace: pulumi.Resource) -> None:
        k8s.core.v1.ResourceQuota(
            f"{self._name}-quota",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after([namespace]),
        )

    def _limit_range(self, manifest: dict[str, Any], namespace: pulumi.Resource) -> None:
        k8s.core.v1.LimitRange(
            f"{self._name}-limits",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after([namespace]),
        )

    def _role(self, args: PipelineServiceArgs, tags: dict[str, str]) -> pulumi.Output[str]:
        namespace, service_account = args.settings.namespace_name, args.settings.name
        role = aws.iam.Role(
            f"{self._name}-role",
            description=f"IRSA role of {namespace}/{service_account}",
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_issuer_url, namespace, service_account
            ),
            max_session_duration=3600,
            tags=tags,
            opts=self._aws,
        )
        aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=role.id,
            policy=args.iam_policy_json,
            opts=self._aws,
        )
        return role.arn

    def _service_account(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.core.v1.ServiceAccount:
        return k8s.core.v1.ServiceAccount(
            f"{self._name}-service-account",
            metadata=manifest["metadata"],
            automount_service_account_token=manifest["automountServiceAccountToken"],
            opts=self._after(after),
        )

    def _deployment(self, manifest: dict[str, Any], after: list[pulumi.Resource]) -> k8s.apps.v1.Deployment:
        return k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(after),
        )

    def _service(self, manifest: dict[str, Any], after: list[pulumi.Resource]) -> k8s.core.v1.Service:
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(after),
        )

    def _hpa(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
        return k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa", metadata=manifest["metadata"], spec=manifest["spec"], opts=self._after(after)
        )

    def _pdb(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.policy.v1.PodDisruptionBudget:
        return k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb", metadata=manifest["metadata"], spec=manifest["spec"], opts=self._after(after)
        )

    def _network_policy(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.networking.v1.NetworkPolicy:
        return k8s.networking.v1.NetworkPolicy(
            f"{self._name}-network-policy",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(after),
        )


def _name_of(resource: pulumi.Resource) -> pulumi.Output[str]:
    """The object's name as the cluster reports it (so consumers wait for the object)."""
    metadata: pulumi.Output[Any] = resource.metadata  # type: ignore[attr-defined]
    return metadata.apply(lambda m: m.name if m is not None else None)
