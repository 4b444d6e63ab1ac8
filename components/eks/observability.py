"""Container Insights and Fluent Bit on the cluster: settings and the add-on's documents (no registration).

The ``amazon-cloudwatch-observability`` EKS add-on installs the CloudWatch agent (Container Insights
metrics, a DaemonSet), Fluent Bit (container, data-plane and host logs, a DaemonSet) and the agent
operator (a controller Deployment). Facts this module relies on, from the add-on's chart
(aws-observability/helm-charts ``charts/amazon-cloudwatch-observability``, 6.4.0), which the add-on
shares its configuration values with (CloudWatch user guide, "Configuring the add-on and the Helm
chart"):

- the agent runs as service account ``cloudwatch-agent`` in namespace ``amazon-cloudwatch`` (the
  EKS user guide's IRSA example: ``eksctl create iamserviceaccount --name cloudwatch-agent
  --namespace amazon-cloudwatch ... CloudWatchAgentServerPolicy``);
- Fluent Bit writes to ``/aws/containerinsights/<cluster>/application``, ``/dataplane`` and ``/host``
  and the agent its performance log events to ``/performance`` (``auto_create_group true``: groups
  that do not exist are made unencrypted and never expire, hence created here beforehand);
- the DaemonSets take the root ``tolerations`` (default ``[{operator: Exists}]``: every node), the
  controller only ``manager.tolerations`` (default ``[]``) with ``manager.affinity``: so the
  controller is the one pod to place on the system nodes, like the other add-ons' Deployments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import field_validator

from .._shared import LogRetentionDays
from .._validation import SettingsModel

__all__ = [
    "CLOUDWATCH_AGENT_POLICY",
    "CLOUDWATCH_AGENT_SERVICE_ACCOUNT",
    "CLOUDWATCH_NAMESPACE",
    "CONTAINER_INSIGHTS_LOG_TYPES",
    "OBSERVABILITY_ADDON",
    "ObservabilitySettings",
    "container_insights_log_group_arn_pattern",
    "container_insights_log_group_name",
    "observability_configuration",
]

OBSERVABILITY_ADDON = "amazon-cloudwatch-observability"
CLOUDWATCH_NAMESPACE = "amazon-cloudwatch"
CLOUDWATCH_AGENT_SERVICE_ACCOUNT = "cloudwatch-agent"
CLOUDWATCH_AGENT_POLICY = "CloudWatchAgentServerPolicy"
"""The AWS managed policy the agent and Fluent Bit need (metrics, log events, EC2 tags)."""
CONTAINER_INSIGHTS_LOG_TYPES: tuple[str, ...] = ("application", "dataplane", "host", "performance")


class ObservabilitySettings(SettingsModel):
    """Container Insights (metrics) and Fluent Bit (logs) through the CloudWatch observability add-on."""

    version: str | None = None
    """The add-on version, e.g. ``v4.4.0-eksbuild.1`` (unset: the most recent for the Kubernetes
    version)."""
    log_retention_days: LogRetentionDays = 30
    """Days CloudWatch keeps the application, data-plane and host logs."""
    performance_log_retention_days: LogRetentionDays = 14
    """Days CloudWatch keeps the performance log events the metrics are computed from (the metrics
    themselves follow CloudWatch's own retention)."""
    container_logs: bool = True
    """Run Fluent Bit (container, data-plane and host logs); false sends metrics only."""

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("v"):
            raise ValueError("write an EKS add-on version like 'v4.4.0-eksbuild.1', or leave it unset")
        return value


def container_insights_log_group_name(cluster_name: str, log_type: str) -> str:
    """``/aws/containerinsights/<cluster>/<type>``: where the agent and Fluent Bit write."""
    return f"/aws/containerinsights/{cluster_name}/{log_type}"


def container_insights_log_group_arn_pattern(partition: str, region: str, account: str, cluster: str) -> str:
    """The ARNs of every Container Insights log group of the cluster (for the key policy's ArnLike)."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:/aws/containerinsights/{cluster}/*"


def observability_configuration(
    settings: ObservabilitySettings, placement: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The add-on's configuration values: the controller on the system nodes (``placement`` from
    :func:`.addons.system_placement_values`), Fluent Bit on or off. The DaemonSets keep the chart's
    tolerate-everything default: they must run on every node."""
    values: dict[str, Any] = {"containerLogs": {"enabled": settings.container_logs}}
    if placement:
        values["manager"] = {"tolerations": placement["tolerations"], "affinity": placement["affinity"]}
    return values
