"""The :class:`Operations` component: alerts, alarms, budget, backups and the RDS backups' DR replica.

What each resource holds comes from :mod:`.documents`; what may be configured, from :mod:`.settings`.
This module checks the wiring, then registers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from .._shared import customer_kms_key, is_plain, protection
from .._validation import ConfigIssue, InvalidConfigError
from ..iam import service_trust_policy
from ..tags import validate_tags
from .documents import (
    AlarmSpec,
    MonitoredQueue,
    account_key_policy,
    alert_key_policy,
    alert_topic_policy,
    backup_plan_rules,
    budget_cost_filter,
    budget_notifications,
    cluster_alarms,
    nat_alarms,
    pod_restarts_query,
    queue_alarms,
    warehouse_alarms,
)
from .recovery import DisasterRecovery
from .settings import OperationsSettings

__all__ = ["BACKUP_MANAGED_POLICIES", "BACKUP_VAULT_EVENTS", "Operations", "OperationsArgs"]

BACKUP_MANAGED_POLICIES: tuple[str, ...] = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)
"""The AWS managed policies of the backup role: RDS/Redshift backups and restores, and S3's own pair
(S3 is not in the general policies; AWS Backup developer guide, "Amazon S3 backups": the role needs
AWSBackupServiceRolePolicyForS3Backup and ...ForS3Restore)."""
BACKUP_VAULT_EVENTS: tuple[str, ...] = (
    "BACKUP_JOB_COMPLETED",
    "COPY_JOB_FAILED",
    "RESTORE_JOB_COMPLETED",
    "RECOVERY_POINT_MODIFIED",
    "S3_BACKUP_OBJECT_FAILED",
)
"""What the vault tells the alert topic: job results (a completed job's state says if it failed),
failed copies to the DR region, restores, and retention changes."""


@dataclass(frozen=True)
class OperationsArgs:
    """Settings, tags and what the stack's operations watch and back up."""

    settings: OperationsSettings
    """Validated settings (the ``operations`` section)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child. ``budget.cost_tag_key`` must be in it."""
    primary_region: str
    """The stack's region (the DR region must differ)."""
    warehouse_engine: Literal["postgres", "redshift"] | None = None
    """The warehouse's engine (its alarms); None: no warehouse alarms."""
    warehouse_identifier: str | None = None
    """The RDS instance / Redshift cluster identifier (the alarms' dimension)."""
    warehouse_arn: pulumi.Input[str] | None = None
    """The warehouse's ARN (backup selection, RDS backup replication)."""
    lake_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """The lake buckets to back up."""
    queues: Sequence[MonitoredQueue] = ()
    """Queues the services created, with their dead-letter queues (``PipelineService.monitored_queue``)."""
    nat_gateway_ids: pulumi.Input[Sequence[str]] | None = None
    """The NAT gateways' ids (``Network.nat_gateway_ids``)."""
    nat_gateway_count: int = 0
    """How many NAT gateways there are (known before they exist: one alarm pair each)."""
    cluster_name: pulumi.Input[str] | None = None
    """The EKS cluster's name, for Container Insights alarms (None: no cluster alarms)."""
    disaster_recovery: DisasterRecovery | None = None
    """The DR region's resources: backup copies go to its vault, RDS backups are replicated there."""
    alert_endpoints: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Secret subscription endpoints by name (``SubscriptionSettings.endpoint_secret``): pass them as
    secret Outputs (``pulumi.Output.secret``) so they stay secret in the state."""


def _issues(args: OperationsArgs) -> list[ConfigIssue]:
    settings, dr = args.settings, args.disaster_recovery
    issues: list[ConfigIssue] = []
    for index, subscription in enumerate(settings.alerts.subscriptions):
        name = subscription.endpoint_secret
        if name is not None and name not in args.alert_endpoints:
            issues.append(
                ConfigIssue(
                    f"settings.alerts.subscriptions[{index}].endpoint_secret",
                    name,
                    f"no such secret endpoint (known: {', '.join(sorted(args.alert_endpoints)) or 'none'}); "
                    "pass it in args.alert_endpoints (the stack: dataplatform:alert_endpoints)",
                )
            )
    budget = settings.budget
    if budget is not None and budget.cost_tag_key not in args.tags:
        issues.append(
            ConfigIssue(
                "settings.budget.cost_tag_key",
                budget.cost_tag_key,
                f"is not a tag of the stack ({', '.join(sorted(args.tags))}); use one of them",
            )
        )
    wanted = settings.disaster_recovery
    if (wanted is None) != (dr is None):
        issues.append(
            ConfigIssue(
                "args.disaster_recovery",
                None if dr is None else dr.region,
                "pass the DisasterRecovery component exactly when settings.disaster_recovery is set",
            )
        )
    if wanted is not None and wanted.region == args.primary_region:
        issues.append(
            ConfigIssue(
                "settings.disaster_recovery.region",
                wanted.region,
                f"is the stack's own region ({args.primary_region}); use another region",
            )
        )
    if wanted is not None and wanted.rds_backup_replication:
        if args.warehouse_engine != "postgres" or args.warehouse_arn is None:
            issues.append(
                ConfigIssue(
                    "settings.disaster_recovery.rds_backup_replication",
                    True,
                    "needs an RDS PostgreSQL warehouse (warehouse_engine postgres and warehouse_arn); "
                    "turn it off for Redshift (its backups reach the DR region as backup copies)",
                )
            )
        elif dr is not None and dr.backup_kms_key_arn is None:
            issues.append(
                ConfigIssue(
                    "args.disaster_recovery",
                    dr.region,
                    "replicated RDS backups use the DR vault's key; create it with backup_vault=True",
                )
            )
    if settings.backup.enabled and args.warehouse_arn is None and not args.lake_bucket_arns:
        issues.append(
            ConfigIssue(
                "settings.backup.enabled",
                True,
                "nothing to back up: pass warehouse_arn or lake_bucket_arns, or set enabled: false",
            )
        )
    if args.warehouse_engine is not None and not args.warehouse_identifier:
        issues.append(
            ConfigIssue("args.warehouse_identifier", None, "the warehouse alarms need its identifier")
        )
    if args.nat_gateway_count and args.nat_gateway_ids is None:
        issues.append(ConfigIssue("args.nat_gateway_ids", None, "pass Network.nat_gateway_ids"))
    for index, arn in enumerate(args.lake_bucket_arns):
        if is_plain(arn) and not str(arn).startswith("arn:"):
            issues.append(ConfigIssue(f"args.lake_bucket_arns[{index}]", arn, "must be a bucket ARN"))
    return issues


def _nth(values: pulumi.Output[Sequence[str]], index: int) -> pulumi.Output[str]:
    return values.apply(lambda v: v[index])


class Operations(pulumi.ComponentResource):
    """Alert topic, alarms, budget, AWS Backup (vault, lock, plan, selection) and RDS backups in DR."""

    topic_arn: pulumi.Output[str]
    """The alert topic every alarm, the budget and the backup vault notify."""
    alarm_names: list[str]
    """The logical names of the alarms (one per :class:`AlarmSpec`)."""
    vault_arn: pulumi.Output[str] | None
    """The primary backup vault (None with backups off)."""
    plan_id: pulumi.Output[str] | None
    """The backup plan."""

    def __init__(self, name: str, args: OperationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags = validate_tags(args.tags)
        issues = _issues(args)
        if issues:
            raise InvalidConfigError(issues, subject="OperationsArgs")
        super().__init__("dataplatform:operations:Operations", name, None, opts)
        self._name, self._tags, self._settings = name, tags, args.settings
        protect = args.settings.deletion_protection
        self._child = pulumi.ResourceOptions(parent=self)
        self._protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition

        self.topic_arn = self._alerts(args.alert_endpoints)
        self.alarm_names = self._alarms(args) if args.settings.alarms.enabled else []
        if args.settings.budget is not None:
            self._budget(args)
        self.vault_arn = self.plan_id = None
        if args.settings.backup.enabled:
            self._backup(args)
        dr_settings = args.settings.disaster_recovery
        if dr_settings is not None and dr_settings.rds_backup_replication and args.disaster_recovery:
            dr = args.disaster_recovery
            assert args.warehouse_arn is not None and dr.backup_kms_key_arn is not None  # _issues
            # Created in the DR region: the replica is pulled there from the source instance.
            aws.rds.InstanceAutomatedBackupsReplication(
                f"{name}-rds-backups-dr",
                source_db_instance_arn=args.warehouse_arn,
                kms_key_id=dr.backup_kms_key_arn,
                retention_period=dr_settings.rds_backup_retention_days,
                # Deleting it stops the replication (StopDBInstanceAutomatedBackupsReplication): the DR
                # region gets no new backup, and a replace starts the copy over. Protected like the vault.
                opts=protection(
                    args.settings.deletion_protection,
                    pulumi.ResourceOptions(parent=self, provider=dr.provider),
                ),
            )
        self.register_outputs(
            {"topic_arn": self.topic_arn, "vault_arn": self.vault_arn, "plan_id": self.plan_id}
        )

    # ------------------------------------------------------------------ alerts

    def _alerts(self, secret_endpoints: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
        alerts = self._settings.alerts
        key_arn = customer_kms_key(
            f"{self._name}-alerts-key",
            description=f"Alert topic {self._name}: messages at rest",
            policy=pulumi.Output.all(self._account, self._partition).apply(
                lambda v: alert_key_policy(v[0], v[1])
            ),
            tags=self._tags,
            opts=self._protected,
            existing_arn=alerts.kms_key_arn,
        )
        topic = aws.sns.Topic(
            f"{self._name}-alerts", kms_master_key_id=key_arn, tags=self._tags, opts=self._child
        )
        aws.sns.TopicPolicy(
            f"{self._name}-alerts-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, self._account).apply(
                lambda v: alert_topic_policy(v[0], v[1])
            ),
            opts=self._child,
        )
        for index, subscription in enumerate(alerts.subscriptions):
            aws.sns.TopicSubscription(
                f"{self._name}-alerts-{index + 1}",
                topic=topic.arn,
                protocol=subscription.protocol,
                endpoint=subscription.endpoint
                if subscription.endpoint_secret is None
                else pulumi.Output.secret(secret_endpoints[subscription.endpoint_secret]),
                opts=self._child,
            )
        return topic.arn

    # ------------------------------------------------------------------ alarms

    def _alarms(self, args: OperationsArgs) -> list[str]:
        alarms = self._settings.alarms
        specs: list[AlarmSpec] = []
        if args.warehouse_engine is not None and args.warehouse_identifier:
            specs += warehouse_alarms(args.warehouse_engine, args.warehouse_identifier, alarms)
        specs += queue_alarms(args.queues, alarms)
        if args.nat_gateway_count:
            ids: pulumi.Output[Sequence[str]] = pulumi.Output.from_input(args.nat_gateway_ids or [])
            nat_ids = [_nth(ids, i) for i in range(args.nat_gateway_count)]
            specs += nat_alarms(nat_ids, alarms)
        if args.cluster_name is not None:
            cluster = pulumi.Output.from_input(args.cluster_name)
            specs += cluster_alarms(cluster, cluster.apply(pod_restarts_query), alarms)
        names = []
        for spec in specs:
            logical = f"{self._name}-alarm-{spec.key}"
            self._alarm(logical, spec)
            names.append(logical)
        return names

    def _alarm(self, logical: str, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        period = self._settings.alarms.period_seconds
        common: dict[str, Any] = {
            "alarm_description": spec.description,
            "comparison_operator": spec.comparison,
            "threshold": spec.threshold,
            "evaluation_periods": spec.evaluation_periods,
            "datapoints_to_alarm": spec.evaluation_periods,
            "treat_missing_data": spec.treat_missing_data,
            "alarm_actions": [self.topic_arn],
            "ok_actions": [self.topic_arn],
            "tags": self._tags,
        }
        if spec.query is not None:
            return aws.cloudwatch.MetricAlarm(
                logical,
                metric_queries=[
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="q1", expression=spec.query, period=period, return_data=True, label=spec.key
                    )
                ],
                opts=self._child,
                **common,
            )
        return aws.cloudwatch.MetricAlarm(
            logical,
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            statistic=spec.statistic,
            dimensions=spec.dimensions,
            period=period,
            opts=self._child,
            **common,
        )

    # ------------------------------------------------------------------ budget

    def _budget(self, args: OperationsArgs) -> None:
        budget = self._settings.budget
        assert budget is not None
        cost_filter = budget_cost_filter(budget.cost_tag_key, self._tags[budget.cost_tag_key])
        aws.budgets.Budget(
            f"{self._name}-budget",
            budget_type="COST",
            limit_amount=f"{budget.limit_usd:.2f}",
            limit_unit="USD",
            time_unit=budget.time_unit,
            cost_filters=[aws.budgets.BudgetCostFilterArgs(**cost_filter)],
            notifications=[
                aws.budgets.BudgetNotificationArgs(
                    comparison_operator="GREATER_THAN",
                    notification_type=kind,
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                    subscriber_sns_topic_arns=[self.topic_arn],
                )
                for kind, percent in budget_notifications(budget)
            ],
            tags=self._tags,
            opts=self._child,
        )

    # ------------------------------------------------------------------ backup

    def _backup(self, args: OperationsArgs) -> None:
        backup, name = self._settings.backup, self._name
        key_arn = customer_kms_key(
            f"{name}-backup-key",
            description=f"Backup vault {name}: recovery points",
            policy=pulumi.Output.all(self._account, self._partition).apply(
                lambda v: account_key_policy(v[0], v[1])
            ),
            tags=self._tags,
            opts=self._protected,
            existing_arn=backup.kms_key_arn,
        )
        vault = aws.backup.Vault(
            f"{name}-vault",
            kms_key_arn=key_arn,
            force_destroy=not self._settings.deletion_protection,
            tags=self._tags,
            opts=self._protected,
        )
        vault_name: pulumi.Output[str] = vault.name
        if backup.vault_lock is not None:
            lock = aws.backup.VaultLockConfiguration(
                f"{name}-vault-lock",
                backup_vault_name=vault.name,
                min_retention_days=backup.vault_lock.min_retention_days,
                max_retention_days=backup.vault_lock.max_retention_days,
                changeable_for_days=backup.vault_lock.changeable_for_days,
                opts=self._protected,
            )
            # The plan writes into the vault once it is locked: no recovery point escapes the lock.
            vault_name = pulumi.Output.all(vault.name, lock.id).apply(lambda v: v[0])
        aws.backup.VaultNotifications(
            f"{name}-vault-notifications",
            backup_vault_name=vault.name,
            sns_topic_arn=self.topic_arn,
            backup_vault_events=list(BACKUP_VAULT_EVENTS),
            opts=self._child,
        )
        dr = args.disaster_recovery
        plan = aws.backup.Plan(
            f"{name}-plan",
            rules=backup_plan_rules(backup, vault_name, dr.vault_arn if dr is not None else None),
            tags=self._tags,
            opts=self._child,
        )
        role = aws.iam.Role(
            f"{name}-backup-role",
            description=f"AWS Backup of stack resources ({name})",
            assume_role_policy=service_trust_policy("backup.amazonaws.com"),
            tags=self._tags,
            opts=self._child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-role-{index + 1}",
                role=role.name,
                policy_arn=pulumi.Output.concat("arn:", self._partition, ":iam::aws:policy/", policy),
                opts=self._child,
            )
            for index, policy in enumerate(BACKUP_MANAGED_POLICIES)
        ]
        resources = [
            *([args.warehouse_arn] if args.warehouse_arn is not None else []),
            *args.lake_bucket_arns,
        ]
        aws.backup.Selection(
            f"{name}-selection",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=resources,
            # AWS Backup checks the role's permissions when the selection is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        self.vault_arn = vault.arn
        self.plan_id = plan.id
