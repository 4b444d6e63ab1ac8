"""The documents of a stack's operations, as plain data: no registration.

- key and topic policies: the services that publish alerts (CloudWatch alarms, AWS Budgets, AWS
  Backup) may use the topic's key and publish to it, for this account only;
- the alarm definitions, one :class:`AlarmSpec` per alarm, with the metric names and dimensions of
  the AWS documentation (cited per group);
- the budget's cost filter and notifications;
- the backup plan's rules (with the DR copy actions) and the DR bucket's documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi_aws as aws

from .._shared import s3_transport_statements
from ..iam import kms_account_admin_statement, policy_json
from .settings import AlarmSettings, BackupSettings, BudgetSettings

__all__ = [
    "ALERT_PUBLISHERS",
    "AlarmSpec",
    "MonitoredQueue",
    "account_key_policy",
    "alert_key_policy",
    "alert_topic_policy",
    "backup_plan_rules",
    "budget_cost_filter",
    "budget_notifications",
    "cluster_alarms",
    "dr_bucket_lifecycle_rules",
    "dr_bucket_policy",
    "nat_alarms",
    "pod_restarts_query",
    "queue_alarms",
    "warehouse_alarms",
]

ALERT_PUBLISHERS: tuple[str, ...] = (
    "backup.amazonaws.com",
    "budgets.amazonaws.com",
    "cloudwatch.amazonaws.com",
)
"""The service principals that publish to the alert topic: AWS Backup (vault notifications), AWS
Budgets and CloudWatch alarms. An encrypted topic needs each of them in the key policy too, or
their messages are dropped (SNS developer guide, "Enable compatibility between event sources from
AWS services and encrypted topics")."""

GIB = 1024**3
MIB = 1024**2


# --------------------------------------------------------------------------- alert topic


def alert_key_policy(account: str, partition: str) -> str:
    """The account administers the key; the publishing services may encrypt messages with it, for
    this account's resources only."""
    return policy_json(
        [
            kms_account_admin_statement(account, partition, "AccountAdministersThroughIam"),
            {
                "Sid": "AlertPublishersEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": list(ALERT_PUBLISHERS)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ]
    )


def alert_topic_policy(topic_arn: str, account: str) -> str:
    """The account manages the topic; the publishing services may publish for this account only;
    nothing reaches the topic without TLS."""
    return policy_json(
        [
            {
                "Sid": "AccountManagesTopic",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "sns:GetTopicAttributes",
                    "sns:SetTopicAttributes",
                    "sns:AddPermission",
                    "sns:RemovePermission",
                    "sns:DeleteTopic",
                    "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic",
                    "sns:Publish",
                ],
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            },
            {
                "Sid": "AlertPublishersPublish",
                "Effect": "Allow",
                "Principal": {"Service": list(ALERT_PUBLISHERS)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def account_key_policy(account: str, partition: str) -> str:
    """A key used through the caller's IAM permissions only (AWS Backup, RDS and S3 replication use
    it with the grants the calling role's policy allows)."""
    return policy_json([kms_account_admin_statement(account, partition, "AccountAdministersThroughIam")])


# --------------------------------------------------------------------------- alarms


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch alarm: a metric (or a Metrics Insights query), a threshold, how to evaluate."""

    key: str
    """The alarm's role in its logical name (``<component>-alarm-<key>``)."""
    description: str
    namespace: str | None
    metric_name: str | None
    statistic: str | None
    dimensions: dict[str, Any]
    comparison: str
    threshold: float
    evaluation_periods: int
    treat_missing_data: str = "missing"
    query: Any = None
    """A Metrics Insights query (string or Output) instead of one metric."""
    tags: dict[str, str] = field(default_factory=dict)


def _metric(
    key: str,
    description: str,
    namespace: str,
    metric: str,
    statistic: str,
    dimensions: dict[str, Any],
    comparison: str,
    threshold: float,
    periods: int,
    missing: str = "missing",
) -> AlarmSpec:
    return AlarmSpec(
        key=key,
        description=description,
        namespace=namespace,
        metric_name=metric,
        statistic=statistic,
        dimensions=dimensions,
        comparison=comparison,
        threshold=threshold,
        evaluation_periods=periods,
        treat_missing_data=missing,
    )


def warehouse_alarms(engine: str, identifier: str, settings: AlarmSettings) -> list[AlarmSpec]:
    """RDS (AWS/RDS, ``DBInstanceIdentifier``: CPUUtilization, FreeStorageSpace, FreeableMemory,
    DatabaseConnections; RDS user guide, "Amazon CloudWatch metrics for Amazon RDS") or Redshift
    (AWS/Redshift, ``ClusterIdentifier``: HealthStatus 1 healthy / 0 unhealthy, PercentageDiskSpaceUsed;
    Redshift management guide, "Amazon Redshift performance data")."""
    w, n = settings.warehouse, settings.evaluation_periods
    if engine == "postgres":
        dims = {"DBInstanceIdentifier": identifier}
        return [
            _metric("db-cpu", f"{identifier}: CPU above {w.cpu_percent:g} %", "AWS/RDS", "CPUUtilization",
                    "Average", dims, "GreaterThanThreshold", w.cpu_percent, n),
            _metric("db-storage", f"{identifier}: free storage below {w.free_storage_gib:g} GiB", "AWS/RDS",
                    "FreeStorageSpace", "Minimum", dims, "LessThanThreshold", w.free_storage_gib * GIB, n),
            _metric("db-memory", f"{identifier}: freeable memory below {w.freeable_memory_mib:g} MiB",
                    "AWS/RDS", "FreeableMemory", "Minimum", dims, "LessThanThreshold",
                    w.freeable_memory_mib * MIB, n),
            _metric("db-connections", f"{identifier}: more than {w.max_connections} connections", "AWS/RDS",
                    "DatabaseConnections", "Maximum", dims, "GreaterThanThreshold", w.max_connections, n),
        ]  # fmt: skip
    dims = {"ClusterIdentifier": identifier}
    return [
        # A cluster that stops reporting is not healthy either.
        _metric("redshift-health", f"{identifier}: cluster unhealthy", "AWS/Redshift", "HealthStatus",
                "Minimum", dims, "LessThanThreshold", 1, n, missing="breaching"),
        _metric("redshift-disk", f"{identifier}: disk above {w.redshift_disk_percent:g} %", "AWS/Redshift",
                "PercentageDiskSpaceUsed", "Average", dims, "GreaterThanThreshold",
                w.redshift_disk_percent, n),
    ]  # fmt: skip


@dataclass(frozen=True)
class MonitoredQueue:
    """A queue a service created (``PipelineService.queue_name``) and its dead-letter queue."""

    name: str
    dead_letter_name: str | None = None


def queue_alarms(queues: Sequence[MonitoredQueue], settings: AlarmSettings) -> list[AlarmSpec]:
    """Per queue: the oldest message too old; per dead-letter queue: any message in it (AWS/SQS,
    ``QueueName``: ApproximateAgeOfOldestMessage, ApproximateNumberOfMessagesVisible; SQS developer
    guide, "Available CloudWatch metrics for Amazon SQS")."""
    age, n = settings.queues.oldest_message_age_seconds, settings.evaluation_periods
    specs = []
    for queue in queues:
        specs.append(
            _metric(f"{queue.name}-age", f"{queue.name}: oldest message older than {age} s", "AWS/SQS",
                    "ApproximateAgeOfOldestMessage", "Maximum", {"QueueName": queue.name},
                    "GreaterThanThreshold", age, n, missing="notBreaching")
        )  # fmt: skip
        if queue.dead_letter_name:
            dlq = queue.dead_letter_name
            specs.append(
                _metric(f"{dlq}-messages", f"{dlq}: dead letters present (messages {queue.name} could not "
                        "process)", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                        {"QueueName": dlq}, "GreaterThanThreshold", 0, 1, missing="notBreaching")
            )  # fmt: skip
    return specs


def nat_alarms(nat_gateway_ids: Sequence[Any], settings: AlarmSettings) -> list[AlarmSpec]:
    """Per NAT gateway (AWS/NATGateway, ``NatGatewayId``: ErrorPortAllocation, PacketsDropCount; VPC
    user guide, "Monitor NAT gateways with Amazon CloudWatch")."""
    nat, n = settings.nat, settings.evaluation_periods
    specs = []
    for index, nat_id in enumerate(nat_gateway_ids):
        label = f"nat-{index + 1}"
        dims = {"NatGatewayId": nat_id}
        specs += [
            _metric(f"{label}-port-allocation", f"NAT gateway {index + 1}: source port allocation errors",
                    "AWS/NATGateway", "ErrorPortAllocation", "Sum", dims, "GreaterThanThreshold",
                    nat.port_allocation_errors, 1, missing="notBreaching"),
            _metric(f"{label}-packets-dropped", f"NAT gateway {index + 1}: more than {nat.packets_dropped} "
                    "packets dropped", "AWS/NATGateway", "PacketsDropCount", "Sum", dims,
                    "GreaterThanThreshold", nat.packets_dropped, n, missing="notBreaching"),
        ]  # fmt: skip
    return specs


def pod_restarts_query(cluster_name: str) -> str:
    """Metrics Insights: container restarts summed over the cluster's pods. The metric is published per
    pod (``PodName``, ``Namespace``, ``ClusterName``), not per cluster, hence a query over that schema."""
    return (
        "SELECT SUM(pod_number_of_container_restarts) FROM SCHEMA(ContainerInsights, ClusterName, "
        f"Namespace, PodName) WHERE ClusterName = '{cluster_name}'"
    )


def cluster_alarms(cluster_name: Any, restarts_query: Any, settings: AlarmSettings) -> list[AlarmSpec]:
    """Cluster health from Container Insights (``ContainerInsights``, ``ClusterName``:
    node_cpu_utilization, node_memory_utilization, cluster_failed_node_count, and
    pod_number_of_container_restarts by query; CloudWatch user guide, "Amazon EKS and Kubernetes
    Container Insights metrics"). ``restarts_query``: :func:`pod_restarts_query` of the name."""
    c, n = settings.cluster, settings.evaluation_periods
    dims = {"ClusterName": cluster_name}
    ci = "ContainerInsights"
    return [
        _metric("nodes-cpu", f"cluster nodes: CPU above {c.node_cpu_percent:g} %", ci, "node_cpu_utilization",
                "Average", dims, "GreaterThanThreshold", c.node_cpu_percent, n),
        _metric("nodes-memory", f"cluster nodes: memory above {c.node_memory_percent:g} %", ci,
                "node_memory_utilization", "Average", dims, "GreaterThanThreshold", c.node_memory_percent, n),
        _metric("nodes-failed", "cluster: nodes with a failed condition", ci, "cluster_failed_node_count",
                "Maximum", dims, "GreaterThanThreshold", c.failed_nodes, 1, missing="notBreaching"),
        AlarmSpec(
            key="pod-restarts",
            description=f"cluster pods: more than {c.container_restarts} container restarts per period",
            namespace=None,
            metric_name=None,
            statistic=None,
            dimensions={},
            comparison="GreaterThanThreshold",
            threshold=c.container_restarts,
            evaluation_periods=n,
            treat_missing_data="notBreaching",
            query=restarts_query,
        ),
    ]  # fmt: skip


# --------------------------------------------------------------------------- budget


def budget_cost_filter(tag_key: str, tag_value: str) -> dict[str, Any]:
    """The stack's costs: cost allocation tag ``tag_key`` equal to the stack's value (the provider's
    ``TagKeyValue`` filter, ``user:<key>$<value>``: pulumi-aws ``budgets.Budget`` docs)."""
    return {"name": "TagKeyValue", "values": [f"user:{tag_key}${tag_value}"]}


def budget_notifications(settings: BudgetSettings) -> list[tuple[str, float]]:
    """(``ACTUAL`` or ``FORECASTED``, percentage of the limit) of every notification."""
    return [("ACTUAL", p) for p in settings.actual_thresholds_percent] + [
        ("FORECASTED", p) for p in settings.forecasted_thresholds_percent
    ]


# --------------------------------------------------------------------------- backup


def backup_plan_rules(
    settings: BackupSettings, vault_name: Any, dr_vault_arn: Any | None
) -> list[aws.backup.PlanRuleArgs]:
    """The plan's rules into ``vault_name``; with ``dr_vault_arn`` each rule with ``copy_to_dr`` copies
    its recovery points there, kept ``copy_retention_days``."""
    rules = []
    for rule in settings.rules:
        copies = None
        if dr_vault_arn is not None and rule.copy_to_dr:
            copies = [
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=dr_vault_arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=rule.copy_retention_days
                    ),
                )
            ]
        rules.append(
            aws.backup.PlanRuleArgs(
                rule_name=rule.name,
                target_vault_name=vault_name,
                schedule=rule.schedule,
                # One hour to start, a day to finish: a missed window is a failed job, reported.
                start_window=60,
                completion_window=24 * 60,
                enable_continuous_backup=rule.continuous,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(
                    delete_after=rule.delete_after_days, cold_storage_after=rule.cold_storage_after_days
                ),
                copy_actions=copies,
            )
        )
    return rules


# --------------------------------------------------------------------------- DR bucket


def dr_bucket_policy(bucket_arn: str) -> str:
    """The DR bucket's policy: no request without TLS 1.2 (the shared transport statements)."""
    return policy_json(s3_transport_statements(bucket_arn))


def dr_bucket_lifecycle_rules(
    noncurrent_days: int | None,
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Replicas are kept as replicated; overwritten or deleted versions expire after ``noncurrent_days``
    and unfinished multipart uploads after a week."""
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="replica-versions",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent_days
            )
            if noncurrent_days is not None
            else None,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7
            ),
        )
    ]
