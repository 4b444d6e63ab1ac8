"""Settings of a stack's operations: alerts, alarm thresholds, budget, backups, disaster recovery.

Plain pydantic models (also the ``operations`` section of stack config). Every threshold has a
default that is documented where it is declared; every check runs before anything is registered.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .._access_logs import AccessLoggingSettings
from .._aws_names import aws_cron_problem
from .._shared import KmsKeyArn
from .._validation import ConfigIssue, CrossFieldError, SettingsModel

__all__ = [
    "COLD_STORAGE_MIN_DAYS",
    "CONTINUOUS_BACKUP_MAX_DAYS",
    "AlarmSettings",
    "AlertSettings",
    "BackupRuleSettings",
    "BackupSettings",
    "BudgetSettings",
    "ClusterAlarmSettings",
    "DisasterRecoverySettings",
    "NatAlarmSettings",
    "OperationsSettings",
    "QueueAlarmSettings",
    "SubscriptionSettings",
    "VaultLockSettings",
    "WarehouseAlarmSettings",
    "endpoint_problem",
    "keyed_endpoint_problem",
]

CONTINUOUS_BACKUP_MAX_DAYS = 35
"""AWS Backup keeps continuous (point-in-time) backups at most 35 days."""
COLD_STORAGE_MIN_DAYS = 90
"""A recovery point moved to cold storage stays there at least 90 days before it may be deleted."""
MAX_BUDGET_NOTIFICATIONS = 10
"""AWS Budgets allows at most 10 notifications per budget."""

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/\S*)?$")
_SQS_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$"
)
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_RULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")

Protocol = Literal["email", "email-json", "https", "sqs", "lambda", "sms"]


def endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why SNS would not deliver ``protocol`` messages to ``endpoint`` (or we refuse it), or None."""
    if protocol in ("email", "email-json") and not _EMAIL.match(endpoint):
        return "is not an email address; write e.g. 'oncall@example.com'"
    if protocol == "https" and not _HTTPS.match(endpoint):
        return "is not an https URL; write e.g. 'https://hooks.example.com/alerts' (plain http is refused)"
    if protocol == "sqs" and not _SQS_ARN.match(endpoint):
        return "is not an SQS queue ARN; write arn:aws:sqs:<region>:<account>:<queue>"
    if protocol == "lambda" and not _LAMBDA_ARN.match(endpoint):
        return "is not a Lambda function ARN; write arn:aws:lambda:<region>:<account>:function:<name>"
    if protocol == "sms" and not _E164.match(endpoint):
        return "is not an E.164 phone number; write e.g. '+353861234567'"
    return None


_KEY_PARAMS = frozenset(
    {"key", "token", "apikey", "api_key", "access_token", "integration_key", "secret", "sig", "code"}
)
_TOKEN = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$")


def keyed_endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why an https ``endpoint`` must not be a plain config value: its URL carries a key (a
    PagerDuty integration key, a Slack or Teams webhook token, a ``?token=`` query), or None.

    Whoever reads the stack file (or the plan, or the state) could post alerts with it, so such an
    endpoint is a ``secure:`` value, named by ``endpoint_secret``."""
    if protocol != "https":
        return None
    rest = endpoint.split("://", 1)[-1]
    path, _, query = rest.partition("?")
    segments = path.split("/")[1:]
    params = [part.partition("=") for part in query.split("&") if part]
    if any(name.lower() in _KEY_PARAMS for name, _, _ in params) or any(
        _TOKEN.match(part) for part in [*segments, *(value for _, _, value in params)]
    ):
        return (
            "carries a key in its URL, and a plain config value is readable by anyone who reads the stack "
            "file; store it as a secret (pulumi config set --secret --path "
            "'dataplatform:alert_endpoints.<name>' <url>) and use endpoint_secret: <name>"
        )
    return None


class SubscriptionSettings(SettingsModel):
    """One subscriber of the stack's alert topic."""

    protocol: Protocol
    """``email``, ``email-json``, ``https``, ``sqs``, ``lambda`` or ``sms`` (plain ``http`` is refused:
    alerts name resources and carry no TLS over it). Email and https subscribers must confirm."""
    endpoint: str | None = None
    """The address: an email address, an https URL, a queue or function ARN, an E.164 number. An
    https URL that carries a key is refused here: use ``endpoint_secret``."""
    endpoint_secret: str | None = None
    """Instead of ``endpoint``: the name of a ``secure:`` entry of ``dataplatform:alert_endpoints``
    holding the address (a webhook with its key, an on-call address); it stays a secret in the plan
    and the state. Its format is checked by SNS, since a secret is not readable offline."""

    @model_validator(mode="after")
    def _check(self) -> SubscriptionSettings:
        if (self.endpoint is None) == (self.endpoint_secret is None):
            raise CrossFieldError(
                [
                    ConfigIssue(
                        "endpoint",
                        self.endpoint,
                        "set exactly one of endpoint (a plain address) and endpoint_secret (the name of a "
                        "secure dataplatform:alert_endpoints entry)",
                    )
                ]
            )
        if self.endpoint is None:
            return self
        problem = endpoint_problem(self.protocol, self.endpoint) or keyed_endpoint_problem(
            self.protocol, self.endpoint
        )
        if problem:
            raise CrossFieldError([ConfigIssue("endpoint", self.endpoint, problem)])
        return self


class AlertSettings(SettingsModel):
    """The stack's SNS alert topic (KMS-encrypted) and who it notifies."""

    subscriptions: list[SubscriptionSettings] = Field(default_factory=list)
    """Subscribers of the topic (alarms, budget and backup notifications all go there)."""
    kms_key_arn: KmsKeyArn | None = None
    """An existing customer key for the topic; one is created when unset. Its policy must let
    cloudwatch.amazonaws.com, budgets.amazonaws.com and backup.amazonaws.com use it."""


class WarehouseAlarmSettings(SettingsModel):
    """Alarm thresholds of the warehouse (AWS/RDS or AWS/Redshift metrics)."""

    cpu_percent: float = Field(default=80, gt=0, le=100)
    """RDS ``CPUUtilization`` (average) above this for the evaluation periods (default 80 %)."""
    free_storage_gib: float = Field(default=10, gt=0)
    """RDS ``FreeStorageSpace`` (minimum) below this many GiB (default 10 GiB: storage autoscaling
    grows in steps of at least 10 %; below 10 GiB it has not kept up)."""
    freeable_memory_mib: float = Field(default=256, gt=0)
    """RDS ``FreeableMemory`` (minimum) below this many MiB (default 256 MiB: the instance swaps)."""
    max_connections: int = Field(default=300, ge=1)
    """RDS ``DatabaseConnections`` (maximum) above this (default 300; set about 80 % of the instance
    class's ``max_connections``, e.g. ~340 on db.t4g.medium)."""
    redshift_disk_percent: float = Field(default=80, gt=0, le=100)
    """Redshift ``PercentageDiskSpaceUsed`` (average) above this (default 80 %)."""


class QueueAlarmSettings(SettingsModel):
    """Alarm thresholds of the services' queues (AWS/SQS)."""

    oldest_message_age_seconds: int = Field(default=900, ge=60)
    """``ApproximateAgeOfOldestMessage`` (maximum) above this (default 15 minutes: consumers are
    down or behind). A dead-letter queue alarms on any visible message (no threshold)."""


class NatAlarmSettings(SettingsModel):
    """Alarm thresholds of the NAT gateways (AWS/NATGateway)."""

    port_allocation_errors: int = Field(default=0, ge=0)
    """``ErrorPortAllocation`` (sum per period) above this (default 0: any failed source port
    allocation means connections from the private subnets fail)."""
    packets_dropped: int = Field(default=100, ge=0)
    """``PacketsDropCount`` (sum per period) above this (default 100)."""


class ClusterAlarmSettings(SettingsModel):
    """Alarm thresholds of the cluster from Container Insights (``ContainerInsights`` namespace)."""

    node_cpu_percent: float = Field(default=80, gt=0, le=100)
    """``node_cpu_utilization`` (average over the cluster's nodes) above this (default 80 %)."""
    node_memory_percent: float = Field(default=85, gt=0, le=100)
    """``node_memory_utilization`` (average over the nodes) above this (default 85 %)."""
    failed_nodes: int = Field(default=0, ge=0)
    """``cluster_failed_node_count`` (maximum) above this (default 0: any node with a failed
    condition)."""
    container_restarts: int = Field(default=5, ge=0)
    """``pod_number_of_container_restarts`` summed over the cluster's pods in one period above this
    (default 5: a crash-looping container restarts about once a minute)."""


class AlarmSettings(SettingsModel):
    """CloudWatch alarms of the stack, all notifying the alert topic (alarm and back to OK)."""

    enabled: bool = True
    """Create the alarms (false: none)."""
    period_seconds: Literal[60, 300, 900, 3600] = 300
    """The period every alarm evaluates (default 5 minutes)."""
    evaluation_periods: int = Field(default=3, ge=1, le=24)
    """Consecutive breaching periods before an alarm fires (default 3: 15 minutes). Dead letters,
    port allocation errors and failed nodes fire on the first period."""
    warehouse: WarehouseAlarmSettings = Field(default_factory=WarehouseAlarmSettings)
    """Warehouse thresholds."""
    queues: QueueAlarmSettings = Field(default_factory=QueueAlarmSettings)
    """Queue thresholds."""
    nat: NatAlarmSettings = Field(default_factory=NatAlarmSettings)
    """NAT gateway thresholds."""
    cluster: ClusterAlarmSettings = Field(default_factory=ClusterAlarmSettings)
    """Cluster and pod thresholds (Container Insights: needs ``cluster.observability``)."""


class BudgetSettings(SettingsModel):
    """An AWS Budgets cost budget of the stack, filtered by its cost allocation tag."""

    limit_usd: float = Field(gt=0)
    """The budgeted cost per ``time_unit``, in USD."""
    time_unit: Literal["MONTHLY", "QUARTERLY", "ANNUALLY"] = "MONTHLY"
    """The budget period."""
    cost_tag_key: str = "Environment"
    """The stack tag whose value selects the stack's costs (``user:<key>$<value>``). It must be
    activated as a cost allocation tag in the billing console, or the budget sees nothing."""
    actual_thresholds_percent: list[float] = Field(default_factory=lambda: [80.0, 100.0])
    """Notify when the actual cost passes these percentages of the limit."""
    forecasted_thresholds_percent: list[float] = Field(default_factory=lambda: [100.0])
    """Notify when the forecast for the period passes these percentages of the limit."""

    @model_validator(mode="after")
    def _check(self) -> BudgetSettings:
        issues: list[ConfigIssue] = []
        for field in ("actual_thresholds_percent", "forecasted_thresholds_percent"):
            values = getattr(self, field)
            for index, value in enumerate(values):
                if value <= 0 or value > 1000:
                    issues.append(ConfigIssue(f"{field}[{index}]", value, "use a percentage in (0, 1000]"))
                elif values.index(value) != index:
                    issues.append(ConfigIssue(f"{field}[{index}]", value, "listed twice; remove one"))
        count = len(self.actual_thresholds_percent) + len(self.forecasted_thresholds_percent)
        if count == 0:
            issues.append(
                ConfigIssue("actual_thresholds_percent", [], "a budget that never notifies; add a threshold")
            )
        elif count > MAX_BUDGET_NOTIFICATIONS:
            issues.append(
                ConfigIssue(
                    "actual_thresholds_percent",
                    count,
                    f"AWS Budgets allows {MAX_BUDGET_NOTIFICATIONS} notifications per budget; drop some",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self


class BackupRuleSettings(SettingsModel):
    """One rule of the backup plan: when, how long, and whether a copy goes to the DR region."""

    name: str
    """The rule name (letters, digits, '-', '_', '.'; up to 50)."""
    schedule: str
    """An AWS Backup cron expression in UTC, e.g. ``cron(0 3 * * ? *)`` (daily at 03:00)."""
    delete_after_days: int = Field(ge=1)
    """Days a recovery point is kept."""
    cold_storage_after_days: int | None = Field(default=None, ge=1)
    """Move recovery points to cold storage after this many days (services that support it; they
    then stay at least 90 days there)."""
    continuous: bool = False
    """Continuous backup for point-in-time restore where the service supports it (RDS, S3), at
    most 35 days; the other services get a snapshot on the schedule."""
    copy_to_dr: bool = True
    """Copy each recovery point to the DR region's vault (when ``disaster_recovery`` is set)."""
    copy_delete_after_days: int | None = Field(default=None, ge=1)
    """Days the DR copy is kept (default: as long as the source)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _RULE_NAME.match(value):
            raise ValueError("use 1-50 letters, digits, '-', '_' and '.', starting with a letter or digit")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        problem = aws_cron_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _check(self) -> BackupRuleSettings:
        issues: list[ConfigIssue] = []
        if self.continuous and self.delete_after_days > CONTINUOUS_BACKUP_MAX_DAYS:
            issues.append(
                ConfigIssue(
                    "delete_after_days",
                    self.delete_after_days,
                    f"continuous backups are kept at most {CONTINUOUS_BACKUP_MAX_DAYS} days; lower it, "
                    "or set continuous: false and keep the longer history in a snapshot rule",
                )
            )
        if self.continuous and self.cold_storage_after_days is not None:
            issues.append(
                ConfigIssue(
                    "cold_storage_after_days",
                    self.cold_storage_after_days,
                    "continuous backups cannot move to cold storage; remove it",
                )
            )
        cold = self.cold_storage_after_days
        if cold is not None and self.delete_after_days < cold + COLD_STORAGE_MIN_DAYS:
            issues.append(
                ConfigIssue(
                    "delete_after_days",
                    self.delete_after_days,
                    f"recovery points stay {COLD_STORAGE_MIN_DAYS} days in cold storage; keep them at "
                    f"least {cold + COLD_STORAGE_MIN_DAYS} days or move them later",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self

    @property
    def copy_retention_days(self) -> int:
        """Days the DR copy is kept."""
        return self.copy_delete_after_days or self.delete_after_days


def _default_rules() -> list[BackupRuleSettings]:
    return [
        # Point-in-time restore within the last 14 days (RDS, S3); a daily snapshot elsewhere.
        BackupRuleSettings(name="daily", schedule="cron(0 3 * * ? *)", delete_after_days=14, continuous=True),
        # A monthly recovery point kept a year: the history a corruption found late needs.
        BackupRuleSettings(name="monthly", schedule="cron(0 4 1 * ? *)", delete_after_days=365),
    ]


class VaultLockSettings(SettingsModel):
    """AWS Backup Vault Lock: nobody deletes a recovery point early or changes its retention."""

    min_retention_days: int = Field(default=7, ge=1)
    """Recovery points must be kept at least this long (shorter ones are refused by the vault)."""
    max_retention_days: int = Field(default=400, ge=1)
    """Recovery points may be kept at most this long."""
    changeable_for_days: int | None = Field(default=None, ge=3)
    """Compliance mode: the lock becomes immutable (even for the root user) this many days after it
    is set (at least 3). Unset: governance mode, removable by principals allowed to."""

    @model_validator(mode="after")
    def _check(self) -> VaultLockSettings:
        if self.max_retention_days < self.min_retention_days:
            raise CrossFieldError(
                [
                    ConfigIssue(
                        "max_retention_days",
                        self.max_retention_days,
                        f"is below min_retention_days ({self.min_retention_days}); raise it",
                    )
                ]
            )
        return self


class BackupSettings(SettingsModel):
    """AWS Backup: a vault (customer key), a plan and a selection of the warehouse and the lake."""

    enabled: bool = True
    """Back up the warehouse and the lake buckets (false: no vault, no plan)."""
    rules: list[BackupRuleSettings] = Field(default_factory=_default_rules)
    """The plan's rules (default: ``daily``, continuous for 14 days; ``monthly``, kept 365 days)."""
    vault_lock: VaultLockSettings | None = None
    """Lock the vaults (required in prod): recovery points cannot be deleted before their time."""
    kms_key_arn: KmsKeyArn | None = None
    """An existing customer key for the vault; one is created when unset."""

    @model_validator(mode="after")
    def _check(self) -> BackupSettings:
        issues: list[ConfigIssue] = []
        if self.enabled and not self.rules:
            issues.append(ConfigIssue("rules", [], "a plan needs a rule; add one or set enabled: false"))
        names = [r.name for r in self.rules]
        for index, name in enumerate(names):
            if names.index(name) != index:
                issues.append(ConfigIssue(f"rules[{index}].name", name, "rule names must be unique"))
        lock = self.vault_lock
        if lock is not None:
            low, high = lock.min_retention_days, lock.max_retention_days
            for index, rule in enumerate(self.rules):
                for field, days in (
                    ("delete_after_days", rule.delete_after_days),
                    ("copy_delete_after_days", rule.copy_retention_days),
                ):
                    if days < low or days > high:
                        what = (
                            "the rule's recovery points" if field == "delete_after_days" else "its DR copies"
                        )
                        issues.append(
                            ConfigIssue(
                                f"rules[{index}].{field}",
                                days,
                                f"the locked vaults refuse {what}: retention must be within "
                                f"vault_lock.min_retention_days..max_retention_days ({low}..{high}); "
                                "change the retention or the lock",
                            )
                        )
        if issues:
            raise CrossFieldError(issues)
        return self


class DisasterRecoverySettings(SettingsModel):
    """A second region holding copies of the data: lake replicas, backup copies, RDS backups."""

    region: str
    """The DR region, e.g. ``eu-central-1``; never the stack's own region."""
    rds_backup_replication: bool = False
    """Replicate the RDS warehouse's automated backups (point-in-time restore) to the DR region."""
    rds_backup_retention_days: int = Field(default=7, ge=1, le=35)
    """Days the replicated RDS backups are kept in the DR region (1 to 35)."""
    replica_noncurrent_version_expiration_days: int | None = Field(default=90, ge=1)
    """Days the DR lake bucket keeps overwritten or deleted versions (null: forever)."""
    access_logging: AccessLoggingSettings = Field(default_factory=AccessLoggingSettings)
    """S3 server access logs of the DR lake bucket, in a log bucket in the DR region (S3 delivers
    logs only to a bucket in the source bucket's region)."""

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("not an AWS region name; write e.g. 'eu-central-1'")
        return value


class OperationsSettings(SettingsModel):
    """Operating the stack: alerts, alarms, budget, backups and disaster recovery."""

    alerts: AlertSettings = Field(default_factory=AlertSettings)
    """The alert topic and its subscribers."""
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    """CloudWatch alarms and their thresholds."""
    budget: BudgetSettings | None = None
    """A cost budget of the stack (unset: none)."""
    backup: BackupSettings = Field(default_factory=BackupSettings)
    """AWS Backup of the warehouse and the lake."""
    disaster_recovery: DisasterRecoverySettings | None = None
    """The DR region (unset: no DR copies)."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the vaults, the DR bucket and every key here
    (a vault with recovery points cannot be deleted anyway). Dev stacks set it false."""
