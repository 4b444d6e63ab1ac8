"""The cluster's Container Insights step of ``EksCluster`` (registration only; see :mod:`.observability`).

Order: the log groups (KMS-encrypted, with retention) exist before the add-on, so neither the agent
nor Fluent Bit creates its own unencrypted, never-expiring group; the agent's IRSA role has its
policy before the add-on starts the pods; the add-on waits for the node groups like the other
add-ons whose pods need nodes to turn ACTIVE. Nothing here waits on the Kubernetes provider: the
add-on is an EKS API object, so it is the same with ``kubernetes_objects: workloads_project``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._shared import customer_kms_key
from ..iam import kms_account_admin_statement, kms_logs_statement, policy_json
from .addons import configuration_json, system_node_groups, system_placement_values
from .observability import (
    CLOUDWATCH_AGENT_POLICY,
    CLOUDWATCH_AGENT_SERVICE_ACCOUNT,
    CLOUDWATCH_NAMESPACE,
    CONTAINER_INSIGHTS_LOG_TYPES,
    OBSERVABILITY_ADDON,
    ObservabilitySettings,
    container_insights_log_group_arn_pattern,
    container_insights_log_group_name,
    observability_configuration,
)

if TYPE_CHECKING:
    from .settings import EksClusterSettings

__all__ = ["ObservabilityAddon", "container_insights_key_policy"]


def container_insights_key_policy(
    account: str, partition: str, region: str, dns_suffix: str, cluster: str
) -> str:
    """The account administers the key; CloudWatch Logs may use it for the cluster's Container Insights
    log groups only."""
    return policy_json(
        [
            kms_account_admin_statement(account, partition, "AccountAdministersThroughIam"),
            kms_logs_statement(
                "CloudWatchLogsForContainerInsights",
                f"logs.{region}.{dns_suffix}",
                container_insights_log_group_arn_pattern(partition, region, account, cluster),
                match="ArnLike",
            ),
        ]
    )


class ObservabilityAddon:
    """Mixin of ``EksCluster``: the CloudWatch observability add-on, its role, key and log groups."""

    _name: str
    _eks_name: str
    _tags: dict[str, str]
    _settings: EksClusterSettings
    observability_addon: aws.eks.Addon | None
    """The ``amazon-cloudwatch-observability`` add-on (None unless ``observability`` is set)."""
    container_insights_log_group_names: dict[str, pulumi.Output[str]]
    """Container Insights log type (application, dataplane, host, performance) -> its log group."""

    if TYPE_CHECKING:

        def _protected(self) -> pulumi.ResourceOptions: ...
        def irsa_role(
            self,
            name: str,
            namespace: str,
            service_account: str,
            policy_document: pulumi.Input[str] | None = None,
            managed_policy_arns: Sequence[pulumi.Input[str]] = (),
        ) -> aws.iam.Role: ...

        cluster_name: pulumi.Output[str]

    def _observability(self, where: Any, node_groups: Sequence[pulumi.Resource]) -> None:
        self.observability_addon = None
        self.container_insights_log_group_names = {}
        settings: ObservabilitySettings | None = self._settings.observability
        if settings is None:
            return
        cluster = self._eks_name
        key_arn = customer_kms_key(
            f"{self._name}-insights-key",
            description=f"EKS {cluster}: Container Insights log groups",
            policy=pulumi.Output.all(where.account, where.partition, where.region, where.dns_suffix).apply(
                lambda v: container_insights_key_policy(v[0], v[1], v[2], v[3], cluster)
            ),
            tags=self._tags,
            opts=self._protected(),
        )
        groups: list[pulumi.Resource] = []
        for log_type in CONTAINER_INSIGHTS_LOG_TYPES:
            retention = (
                settings.performance_log_retention_days
                if log_type == "performance"
                else settings.log_retention_days
            )
            group = aws.cloudwatch.LogGroup(
                f"{self._name}-insights-{log_type}",
                name=container_insights_log_group_name(cluster, log_type),
                retention_in_days=retention,
                kms_key_id=key_arn,
                tags=self._tags,
                opts=self._protected(),
            )
            self.container_insights_log_group_names[log_type] = group.name
            groups.append(group)
        role = self.irsa_role(
            "cloudwatch-agent",
            CLOUDWATCH_NAMESPACE,
            CLOUDWATCH_AGENT_SERVICE_ACCOUNT,
            managed_policy_arns=[where.managed_policy(CLOUDWATCH_AGENT_POLICY)],
        )
        placement = system_placement_values(system_node_groups(self._settings))
        self.observability_addon = aws.eks.Addon(
            f"{self._name}-{OBSERVABILITY_ADDON}",
            cluster_name=self.cluster_name,
            addon_name=OBSERVABILITY_ADDON,
            addon_version=settings.version
            or aws.eks.get_addon_version_output(
                addon_name=OBSERVABILITY_ADDON,
                kubernetes_version=self._settings.kubernetes_version,
                most_recent=True,
                opts=pulumi.InvokeOutputOptions(parent=self),  # type: ignore[arg-type]
            ).version,
            configuration_values=configuration_json(observability_configuration(settings, placement)),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            service_account_role_arn=role.arn,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*node_groups, *groups]),  # type: ignore[arg-type]
        )
