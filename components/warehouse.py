"""The warehouse: RDS for PostgreSQL or a Redshift cluster, secure by default.

Both engines live in the isolated data subnets behind their own security group
(engine port open to the given security groups only), encrypt storage, logs
and the AWS-managed master password with a customer-managed KMS key, require
TLS, export audit logs to pre-created, encrypted CloudWatch log groups, keep
backups and take a named final snapshot on delete.

Prod rules are switched on by ``production`` (default ``True``), not by a
stack name the component cannot know: with it, retention must be at least 7
days, deletion protection must stay on, PostgreSQL must be multi-AZ and
Redshift multi-node. A dev stack sets ``production: false`` and its cheap
values explicitly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator, model_validator

from components._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from components.iam import kms_account_admin_statement, kms_logs_statement, policy_json, service_trust_policy
from components.tags import validate_tags

__all__ = [
    "PostgresSettings",
    "RedshiftSettings",
    "Warehouse",
    "WarehouseArgs",
    "WarehouseSettings",
    "backup_window_minutes",
    "default_identifier",
    "maintenance_window_minutes",
    "windows_overlap",
]

MIN_PROD_RETENTION_DAYS = 7
MIN_WINDOW_MINUTES = 30
POSTGRES_LOG_EXPORTS = ("postgresql", "upgrade")
REDSHIFT_LOG_EXPORTS = ("connectionlog", "useractivitylog", "userlog")
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The retention values CloudWatch Logs accepts (0, never expire, is not offered)."""

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
_BACKUP_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_MAINTENANCE_WINDOW = re.compile(
    r"^([a-z]{3}):([01]\d|2[0-3]):([0-5]\d)-([a-z]{3}):([01]\d|2[0-3]):([0-5]\d)$", re.IGNORECASE
)
_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
_DB_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DEFAULT_USERNAMES = frozenset(
    {"admin", "administrator", "awsuser", "master", "postgres", "rdsadmin", "rdsrepladmin", "root", "sa"}
)
_ENGINE_VERSION = re.compile(r"^(\d+)(\.\d+)?$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
_NODE_TYPE = re.compile(r"^(ra3|dc2)\.[a-z0-9]+$")
_SINGLE_NODE_TYPES = frozenset({"dc2.large", "ra3.large", "ra3.xlplus"})
_MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
_RA3_PORTS = (*range(5431, 5456), *range(8191, 8216))


# --------------------------------------------------------------------------- windows


def backup_window_minutes(window: str) -> tuple[int, int]:
    """``(start, length)`` in minutes of a daily ``hh24:mi-hh24:mi`` window (UTC).

    A window may cross midnight (``23:45-00:15``). Raises ``ValueError`` on a
    bad format.
    """
    match = _BACKUP_WINDOW.match(window)
    if not match:
        raise ValueError(f"{window!r} is not 'hh24:mi-hh24:mi' in UTC; write e.g. '03:00-03:30'")
    sh, sm, eh, em = (int(g) for g in match.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    return start, (end - start) % _DAY_MINUTES


def maintenance_window_minutes(window: str) -> tuple[int, int]:
    """``(start, length)`` in minutes of the week (Monday 00:00 is 0) of a
    weekly ``ddd:hh24:mi-ddd:hh24:mi`` window (UTC); it may wrap past Sunday."""
    match = _MAINTENANCE_WINDOW.match(window)
    if not match or match.group(1).lower() not in _DAYS or match.group(4).lower() not in _DAYS:
        raise ValueError(
            f"{window!r} is not 'ddd:hh24:mi-ddd:hh24:mi' in UTC with days mon..sun; "
            "write e.g. 'sun:05:00-sun:06:00'"
        )
    sd, sh, sm, ed, eh, em = match.groups()
    start = _DAYS.index(sd.lower()) * _DAY_MINUTES + int(sh) * 60 + int(sm)
    end = _DAYS.index(ed.lower()) * _DAY_MINUTES + int(eh) * 60 + int(em)
    return start, (end - start) % _WEEK_MINUTES


def _week_minutes(start: int, length: int) -> set[int]:
    return {(start + m) % _WEEK_MINUTES for m in range(length)}


def windows_overlap(backup_window: str, maintenance_window: str) -> bool:
    """True when the daily backup window meets the weekly maintenance window on any day.

    Windows are half-open (a backup ending at 05:00 may be followed by
    maintenance starting at 05:00); both may cross midnight or the week's end.
    """
    b_start, b_length = backup_window_minutes(backup_window)
    m_start, m_length = maintenance_window_minutes(maintenance_window)
    maintenance = _week_minutes(m_start, m_length)
    return any(
        not maintenance.isdisjoint(_week_minutes(day * _DAY_MINUTES + b_start, b_length)) for day in range(7)
    )


def _check_backup_window(value: str) -> str:
    _, length = backup_window_minutes(value)
    if length < MIN_WINDOW_MINUTES:
        raise ValueError(
            f"the backup window is {length} minutes long; AWS needs at least {MIN_WINDOW_MINUTES}, "
            "e.g. '03:00-03:30'"
        )
    return value


def _check_maintenance_window(value: str) -> str:
    _, length = maintenance_window_minutes(value)
    if length < MIN_WINDOW_MINUTES:
        raise ValueError(
            f"the maintenance window is {length} minutes long; AWS needs at least "
            f"{MIN_WINDOW_MINUTES}, e.g. 'sun:05:00-sun:06:00'"
        )
    return value.lower()


# --------------------------------------------------------------------------- settings


class PostgresSettings(SettingsModel):
    """RDS for PostgreSQL (``engine: postgres``)."""

    engine_version: str = "17"
    """PostgreSQL version: a major (``"17"``, minor upgrades applied automatically) or
    ``major.minor``; the parameter group family follows the major (``postgres17``)."""
    instance_class: str = "db.m7g.large"
    """The DB instance class, e.g. ``db.t4g.medium`` for dev."""
    allocated_storage_gb: int = Field(default=50, ge=20, le=65536)
    """Initial gp3 storage in GiB (20 to 65536)."""
    max_allocated_storage_gb: int = Field(default=500, le=65536)
    """Storage autoscaling ceiling in GiB; at least 10% above ``allocated_storage_gb``."""
    multi_az: bool = True
    """A standby in a second AZ with automatic failover. Required when ``production``."""
    backup_window: str = "03:00-04:00"
    """Daily automated backup window, ``hh24:mi-hh24:mi`` UTC, at least 30 minutes and
    not overlapping ``maintenance_window`` on any day."""
    port: int = Field(default=5432, ge=1150, le=65535)
    """The port PostgreSQL listens on (1150 to 65535)."""
    performance_insights: bool = True
    """Performance Insights, encrypted with the warehouse KMS key."""
    performance_insights_retention_days: int = 7
    """Performance Insights retention: 7 (free tier), 731, or a multiple of 31."""
    monitoring_interval_seconds: int = 60
    """Enhanced Monitoring interval (1, 5, 10, 15, 30 or 60; 0 turns it off and creates no role)."""
    iam_database_authentication: bool = True
    """Allow IAM database authentication (tokens instead of passwords for application users)."""
    log_min_duration_statement_ms: int = Field(default=1000, ge=-1)
    """Log statements slower than this many milliseconds (-1 turns it off)."""

    @field_validator("engine_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = _ENGINE_VERSION.match(value)
        if not match:
            raise ValueError("write the version as a major ('17') or 'major.minor' ('16.4')")
        if int(match.group(1)) < 13:
            raise ValueError("PostgreSQL before 13 is past RDS standard support; use 16 or 17")
        return value

    @field_validator("instance_class")
    @classmethod
    def _class(cls, value: str) -> str:
        if not _INSTANCE_CLASS.match(value):
            raise ValueError("not an RDS instance class; write e.g. 'db.m7g.large' or 'db.t4g.medium'")
        return value

    @field_validator("backup_window")
    @classmethod
    def _backup_window(cls, value: str) -> str:
        return _check_backup_window(value)

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in (7, 731) and not (value > 0 and value % 31 == 0 and value <= 713):
            raise ValueError("Performance Insights keeps data 7, 731, or a multiple of 31 days; use 7")
        return value

    @field_validator("monitoring_interval_seconds")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in _MONITORING_INTERVALS:
            raise ValueError(f"must be one of {', '.join(map(str, _MONITORING_INTERVALS))}; use 60")
        return value

    @model_validator(mode="after")
    def _storage(self) -> PostgresSettings:
        if self.max_allocated_storage_gb * 10 < self.allocated_storage_gb * 11:
            raise CrossFieldError(
                [
                    ConfigIssue(
                        "max_allocated_storage_gb",
                        self.max_allocated_storage_gb,
                        "storage autoscaling needs a ceiling at least 10% above allocated_storage_gb "
                        f"({self.allocated_storage_gb}); raise it",
                    )
                ]
            )
        return self

    @property
    def major_version(self) -> int:
        return int(self.engine_version.split(".")[0])

    @property
    def parameter_group_family(self) -> str:
        return f"postgres{self.major_version}"


class RedshiftSettings(SettingsModel):
    """A provisioned Redshift cluster (``engine: redshift``)."""

    node_type: str = "ra3.xlplus"
    """The node type (``ra3.*``; ``dc2.*`` for legacy clusters)."""
    number_of_nodes: int = Field(default=2, ge=1, le=128)
    """Compute nodes: 1 makes a single-node cluster; production needs 2 or more."""
    port: int = 5439
    """The port the cluster listens on; RA3 clusters accept 5431-5455 or 8191-8215."""
    enhanced_vpc_routing: bool = True
    """Force COPY/UNLOAD traffic through the VPC (S3 over the VPC's gateway endpoint); the
    security group then allows HTTPS egress to the regional S3 prefix list only."""
    availability_zone_relocation: bool = True
    """Let AWS move an RA3 cluster to another AZ on an outage (RA3 only)."""

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, value: str) -> str:
        if not _NODE_TYPE.match(value):
            raise ValueError("not a Redshift node type; write e.g. 'ra3.xlplus' or 'ra3.4xlarge'")
        return value

    @model_validator(mode="after")
    def _check(self) -> RedshiftSettings:
        issues = []
        ra3 = self.node_type.startswith("ra3.")
        if self.number_of_nodes == 1 and self.node_type not in _SINGLE_NODE_TYPES:
            issues.append(
                ConfigIssue(
                    "number_of_nodes",
                    1,
                    f"{self.node_type} cannot run single-node; use 2 or more nodes or "
                    f"one of {', '.join(sorted(_SINGLE_NODE_TYPES))}",
                )
            )
        if ra3 and self.port not in _RA3_PORTS:
            issues.append(
                ConfigIssue("port", self.port, "RA3 clusters listen on 5431-5455 or 8191-8215; use 5439")
            )
        elif not 1115 <= self.port <= 65535:
            issues.append(ConfigIssue("port", self.port, "must be between 1115 and 65535; use 5439"))
        if self.availability_zone_relocation and not ra3:
            issues.append(
                ConfigIssue(
                    "availability_zone_relocation",
                    True,
                    "only RA3 clusters can relocate; set it false or use an ra3 node type",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self

    @property
    def cluster_type(self) -> str:
        return "single-node" if self.number_of_nodes == 1 else "multi-node"


class WarehouseSettings(SettingsModel):
    """The warehouse: which engine, its sizing, backups and protection."""

    engine: Literal["postgres", "redshift"] = "postgres"
    """``postgres`` (RDS for PostgreSQL) or ``redshift`` (provisioned cluster)."""
    production: bool = True
    """Enforce the production rules: ``backup_retention_days`` >= 7, ``deletion_protection``
    on, PostgreSQL multi-AZ, Redshift multi-node. Dev stacks set it false."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the database and its KMS key, plus
    RDS deletion protection and kept automated backups. Dev stacks set it false to allow teardown."""
    identifier: str | None = None
    """The DB instance / cluster identifier (lowercase letters, digits, hyphens; 63 at most).
    Default: ``<project>-<stack>-<component name>``. It names the log groups and the final snapshot."""
    database_name: str = "warehouse"
    """The database created with the instance/cluster (lowercase, starts with a letter)."""
    master_username: str = "dp_admin"
    """The admin user; its password is generated and rotated by AWS in Secrets Manager.
    Well-known defaults (``postgres``, ``admin``, ``awsuser``...) are refused."""
    backup_retention_days: int = Field(default=7, ge=0, le=35)
    """Days of automated backups / snapshots (1 to 35; at least 7 when ``production``)."""
    maintenance_window: str = "sun:05:00-sun:06:00"
    """Weekly maintenance window, ``ddd:hh24:mi-ddd:hh24:mi`` UTC, at least 30 minutes."""
    log_retention_days: int = 365
    """Retention of the audit/query log groups (a CloudWatch Logs retention value)."""
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    """Settings used when ``engine`` is ``postgres``."""
    redshift: RedshiftSettings = Field(default_factory=RedshiftSettings)
    """Settings used when ``engine`` is ``redshift``."""

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and not _IDENTIFIER.match(value):
            raise ValueError(
                "use 1-63 lowercase letters, digits and hyphens, starting with a letter, "
                "without '--' or a trailing hyphen"
            )
        return value

    @field_validator("database_name")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not _DB_NAME.match(value):
            raise ValueError("use 1-63 lowercase letters, digits and underscores, starting with a letter")
        return value

    @field_validator("master_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not _USERNAME.match(value):
            raise ValueError("use 1-63 lowercase letters, digits and underscores, starting with a letter")
        if value in _DEFAULT_USERNAMES:
            raise ValueError("a well-known admin name is the first one attackers try; use e.g. 'dp_admin'")
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance_window(cls, value: str) -> str:
        return _check_maintenance_window(value)

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
            raise ValueError(f"CloudWatch Logs accepts only {allowed}; use 365")
        return value

    @model_validator(mode="after")
    def _check(self) -> WarehouseSettings:
        issues: list[ConfigIssue] = []
        other = "redshift" if self.engine == "postgres" else "postgres"
        if other in self.model_fields_set:
            issues.append(
                ConfigIssue(
                    other,
                    None,
                    f"settings for {other} are ignored with engine {self.engine!r}; "
                    f"remove the section or set engine: {other}",
                )
            )
        retention = self.backup_retention_days
        if self.production and retention < MIN_PROD_RETENTION_DAYS:
            issues.append(
                ConfigIssue(
                    "backup_retention_days",
                    retention,
                    f"production needs at least {MIN_PROD_RETENTION_DAYS} days of backups; "
                    f"raise it to {MIN_PROD_RETENTION_DAYS} or more (or set production: false for dev)",
                )
            )
        elif retention < 1:
            issues.append(
                ConfigIssue("backup_retention_days", retention, "0 turns automated backups off; use 1 to 35")
            )
        if self.production and not self.deletion_protection:
            issues.append(
                ConfigIssue(
                    "deletion_protection",
                    False,
                    "must be true in production so `pulumi destroy` cannot lose the database; "
                    "remove the override (or set production: false for dev)",
                )
            )
        if self.engine == "postgres":
            if self.production and not self.postgres.multi_az:
                issues.append(
                    ConfigIssue(
                        "postgres.multi_az",
                        False,
                        "production needs a standby in a second AZ; set it true "
                        "(or production: false for dev)",
                    )
                )
            if windows_overlap(self.postgres.backup_window, self.maintenance_window):
                issues.append(
                    ConfigIssue(
                        "postgres.backup_window",
                        self.postgres.backup_window,
                        f"overlaps maintenance_window {self.maintenance_window!r}; "
                        "move one of them so they never meet",
                    )
                )
        elif self.production and self.redshift.number_of_nodes < 2:
            issues.append(
                ConfigIssue(
                    "redshift.number_of_nodes",
                    self.redshift.number_of_nodes,
                    "production needs a multi-node cluster; use 2 or more (or production: false for dev)",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self


@dataclass(frozen=True)
class WarehouseArgs:
    """Settings, tags and wiring of a :class:`Warehouse`."""

    settings: WarehouseSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child."""
    vpc_id: pulumi.Input[str]
    """The VPC of the data subnets."""
    data_subnet_ids: pulumi.Input[Sequence[str]]
    """The isolated data subnets (no route to the internet). PostgreSQL needs subnets in
    at least 2 AZs (checked now for a list, when known for an Output)."""
    allowed_security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups (e.g. the EKS nodes) allowed to reach the engine port; a list whose
    items may be Outputs (one ingress rule each, so its length must be known now)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """A KMS key for storage, the master secret, Performance Insights and the log groups;
    its policy must let CloudWatch Logs use it. One (with rotation) is created when omitted."""
    lake_read_policy_json: pulumi.Input[str] | None = None
    """Redshift only: the data lake's read policy (gold layer) for the cluster's IAM role;
    no role is made without it."""


# --------------------------------------------------------------------------- component


def default_identifier(project: str, stack: str, name: str) -> str:
    """``<project>-<stack>-<name>`` made a valid RDS/Redshift identifier (63 at most)."""
    raw = re.sub(r"[^a-z0-9]+", "-", f"{project}-{stack}-{name}".lower())
    text = re.sub(r"-+", "-", raw).strip("-")
    if not text or not text[0].isalpha():
        text = f"db-{text}".rstrip("-")
    if len(text) > 63:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        text = f"{text[:54].rstrip('-')}-{digest}"
    return text


def _subnet_issue(count: int) -> ConfigIssue:
    return ConfigIssue(
        "args.data_subnet_ids",
        f"{count} subnet(s)",
        "RDS needs data subnets in at least 2 AZs (a DB subnet group must cover 2 AZs, and "
        "postgres.multi_az places the standby in the second); pass the data subnets of 2+ AZs",
    )


def _check_args(args: WarehouseArgs) -> dict[str, str]:
    """Every wiring check, before anything is registered."""
    if not isinstance(args.settings, WarehouseSettings):
        raise InvalidConfigError(
            [ConfigIssue("args.settings", type(args.settings).__name__, "must be a WarehouseSettings")],
            subject="WarehouseArgs",
        )
    tags = validate_tags(args.tags)
    issues: list[ConfigIssue] = []
    subnets = args.data_subnet_ids
    if isinstance(subnets, str):
        issues.append(ConfigIssue("args.data_subnet_ids", subnets, "must be a list of subnet ids, not one"))
    elif isinstance(subnets, Sequence):
        if not subnets:
            issues.append(ConfigIssue("args.data_subnet_ids", [], "is empty; pass the data subnet ids"))
        elif args.settings.engine == "postgres" and len(subnets) < 2:
            issues.append(_subnet_issue(len(subnets)))
    allowed = args.allowed_security_group_ids
    if isinstance(allowed, str) or not isinstance(allowed, Sequence):
        issues.append(
            ConfigIssue(
                "args.allowed_security_group_ids",
                type(allowed).__name__,
                "must be a list (its items may be Outputs): one ingress rule is made per item; "
                "wrap a single id or Output in [ ]",
            )
        )
    if args.settings.engine == "postgres" and args.lake_read_policy_json is not None:
        issues.append(
            ConfigIssue(
                "args.lake_read_policy_json",
                "<policy>",
                "only a Redshift cluster reads the lake; drop it or set engine: redshift",
            )
        )
    if issues:
        raise InvalidConfigError(issues, subject="WarehouseArgs")
    return tags


def _checked_subnets(subnets: pulumi.Input[Sequence[str]], engine: str) -> pulumi.Input[Sequence[str]]:
    """Subnet ids, with the 2-AZ check deferred to when an Output resolves."""
    if not isinstance(subnets, pulumi.Output):
        return subnets

    def check(ids: Sequence[str]) -> Sequence[str]:
        if engine == "postgres" and len(ids) < 2:
            raise InvalidConfigError([_subnet_issue(len(ids))], subject="WarehouseArgs")
        return ids

    return subnets.apply(check)


def _key_policy(account: str, partition: str, region: str, log_group_prefix: str) -> str:
    """Account administration through IAM, plus CloudWatch Logs for this warehouse's log groups."""
    return policy_json(
        [
            kms_account_admin_statement(account, partition, "AccountAdministersThroughIam"),
            kms_logs_statement(
                "CloudWatchLogsForWarehouseLogGroups",
                f"logs.{region}.amazonaws.com",
                f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_prefix}*",
                match="ArnLike",
            ),
        ]
    )


class Warehouse(pulumi.ComponentResource):
    """RDS for PostgreSQL or Redshift in the data subnets, reachable only from given security groups."""

    endpoint: pulumi.Output[str]
    """The host name clients connect to (without the port)."""
    port: pulumi.Output[int]
    database_name: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret AWS keeps the admin password in (the ARN only, never the value)."""
    security_group_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    identifier: str
    """The DB instance / cluster identifier (known before deployment)."""

    def __init__(self, name: str, args: WarehouseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags = _check_args(args)
        settings = args.settings
        super().__init__("dataplatform:database:Warehouse", name, None, opts)
        self._name = name
        self._tags = tags
        self._settings = settings
        self.identifier = settings.identifier or default_identifier(
            pulumi.get_project(), pulumi.get_stack(), name
        )
        protect = settings.deletion_protection
        self._protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        self._child = pulumi.ResourceOptions(parent=self)

        postgres = settings.engine == "postgres"
        port = settings.postgres.port if postgres else settings.redshift.port
        log_types = POSTGRES_LOG_EXPORTS if postgres else REDSHIFT_LOG_EXPORTS
        log_prefix = (
            f"/aws/rds/instance/{self.identifier}/"
            if postgres
            else f"/aws/redshift/cluster/{self.identifier}/"
        )
        self._partition = aws.get_partition_output().partition
        key_arn = args.kms_key_arn if args.kms_key_arn is not None else self._key(log_prefix)
        self.kms_key_arn = pulumi.Output.from_input(key_arn)

        security_group = self._security_group(args, port, postgres)
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{log_type}",
                name=f"{log_prefix}{log_type}",
                retention_in_days=settings.log_retention_days,
                kms_key_id=self.kms_key_arn,
                tags=tags,
                opts=self._child,
            )
            for log_type in log_types
        ]
        subnet_ids = _checked_subnets(args.data_subnet_ids, settings.engine)
        if postgres:
            self._postgres(subnet_ids, security_group, log_groups)
        else:
            self._redshift(args, subnet_ids, security_group, log_groups)
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "database_name": self.database_name,
                "master_secret_arn": self.master_secret_arn,
                "security_group_id": self.security_group_id,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    # ------------------------------------------------------------------ shared parts

    def _key(self, log_prefix: str) -> pulumi.Output[str]:
        account = aws.get_caller_identity_output().account_id
        region = aws.get_region_output().region
        key = aws.kms.Key(
            f"{self._name}-key",
            description=f"Warehouse {self.identifier}: storage, master secret, insights, logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, self._partition, region).apply(
                lambda v: _key_policy(v[0], v[1], v[2], log_prefix)
            ),
            tags=self._tags,
            opts=self._protected,
        )
        aws.kms.Alias(
            f"{self._name}-key-alias",
            name=f"alias/{self.identifier}",
            target_key_id=key.key_id,
            opts=self._child,
        )
        return key.arn

    def _security_group(self, args: WarehouseArgs, port: int, postgres: bool) -> aws.ec2.SecurityGroup:
        engine = "PostgreSQL" if postgres else "Redshift"
        group = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            description=f"{engine} warehouse {self.identifier}: engine port from allowed groups only",
            vpc_id=args.vpc_id,
            tags=self._tags,
            opts=self._child,
        )
        for index, source in enumerate(args.allowed_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-ingress-{index}",
                security_group_id=group.id,
                referenced_security_group_id=source,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{engine} from an allowed security group",
                tags=self._tags,
                opts=self._child,
            )
        if not postgres and self._settings.redshift.enhanced_vpc_routing:
            region = aws.get_region_output().region
            s3 = aws.ec2.get_managed_prefix_list_output(name=region.apply(lambda r: f"com.amazonaws.{r}.s3"))
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-s3-egress",
                security_group_id=group.id,
                prefix_list_id=s3.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="COPY/UNLOAD to S3 over the VPC gateway endpoint (enhanced VPC routing)",
                tags=self._tags,
                opts=self._child,
            )
        return group

    def _final_snapshot(self) -> str:
        return f"{self.identifier}-final"

    # ------------------------------------------------------------------ PostgreSQL

    def _postgres(
        self,
        subnet_ids: pulumi.Input[Sequence[str]],
        security_group: aws.ec2.SecurityGroup,
        log_groups: list[aws.cloudwatch.LogGroup],
    ) -> None:
        name, settings, tags = self._name, self._settings, self._tags
        pg = settings.postgres
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"Isolated data subnets of warehouse {self.identifier}",
            subnet_ids=subnet_ids,
            tags=tags,
            opts=self._child,
        )
        parameters = [
            ("rds.force_ssl", "1"),
            ("ssl_min_protocol_version", "TLSv1.2"),
            ("log_connections", "1"),
            ("log_disconnections", "1"),
            ("log_lock_waits", "1"),
            ("log_statement", "ddl"),
            ("log_min_duration_statement", str(pg.log_min_duration_statement_ms)),
        ]
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=pg.parameter_group_family,
            description=f"TLS-only, audit logging: warehouse {self.identifier}",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method="immediate")
                for k, v in parameters
            ],
            tags=tags,
            opts=self._child,
        )
        monitoring_role_arn: pulumi.Output[str] | None = None
        if pg.monitoring_interval_seconds:
            role = aws.iam.Role(
                f"{name}-monitoring-role",
                description=f"RDS Enhanced Monitoring of warehouse {self.identifier}",
                assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com"),
                tags=tags,
                opts=self._child,
            )
            attachment = aws.iam.RolePolicyAttachment(
                f"{name}-monitoring-policy",
                role=role.name,
                policy_arn=self._partition.apply(
                    lambda p: f"arn:{p}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
                ),
                opts=self._child,
            )
            # The instance needs the role's permissions, not just the role, to start monitoring.
            monitoring_role_arn = pulumi.Output.all(role.arn, attachment.id).apply(lambda v: v[0])
        insights = pg.performance_insights
        instance = aws.rds.Instance(
            f"{name}-db",
            identifier=self.identifier,
            engine="postgres",
            engine_version=pg.engine_version,
            instance_class=pg.instance_class,
            db_name=settings.database_name,
            username=settings.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.kms_key_arn,
            port=pg.port,
            storage_type="gp3",
            allocated_storage=pg.allocated_storage_gb,
            max_allocated_storage=pg.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=self.kms_key_arn,
            multi_az=pg.multi_az,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            publicly_accessible=False,
            parameter_group_name=parameter_group.name,
            iam_database_authentication_enabled=pg.iam_database_authentication,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            backup_retention_period=settings.backup_retention_days,
            backup_window=pg.backup_window,
            maintenance_window=settings.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=not settings.deletion_protection,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=self._final_snapshot(),
            enabled_cloudwatch_logs_exports=list(POSTGRES_LOG_EXPORTS),
            performance_insights_enabled=insights,
            performance_insights_kms_key_id=self.kms_key_arn if insights else None,
            performance_insights_retention_period=pg.performance_insights_retention_days
            if insights
            else None,
            monitoring_interval=pg.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role_arn,
            tags=tags,
            # RDS would create the log groups itself (unencrypted, kept forever) if they did not exist.
            opts=pulumi.ResourceOptions.merge(self._protected, pulumi.ResourceOptions(depends_on=log_groups)),
        )
        self.endpoint = instance.address
        self.port = instance.port
        self.database_name = instance.db_name
        self.master_secret_arn = instance.master_user_secrets.apply(_rds_secret_arn)

    # ------------------------------------------------------------------ Redshift

    def _redshift(
        self,
        args: WarehouseArgs,
        subnet_ids: pulumi.Input[Sequence[str]],
        security_group: aws.ec2.SecurityGroup,
        log_groups: list[aws.cloudwatch.LogGroup],
    ) -> None:
        name, settings, tags = self._name, self._settings, self._tags
        rs = settings.redshift
        subnet_group = aws.redshift.SubnetGroup(
            f"{name}-subnets",
            description=f"Isolated data subnets of warehouse {self.identifier}",
            subnet_ids=subnet_ids,
            tags=tags,
            opts=self._child,
        )
        parameter_group = aws.redshift.ParameterGroup(
            f"{name}-params",
            family="redshift-2.0",
            description=f"TLS-only, user activity logging: warehouse {self.identifier}",
            parameters=[
                aws.redshift.ParameterGroupParameterArgs(name="require_ssl", value="true"),
                aws.redshift.ParameterGroupParameterArgs(name="enable_user_activity_logging", value="true"),
            ],
            tags=tags,
            opts=self._child,
        )
        role_arns: list[pulumi.Output[str]] = []
        if args.lake_read_policy_json is not None:
            role = aws.iam.Role(
                f"{name}-lake-role",
                description=f"Redshift warehouse {self.identifier}: read the data lake",
                assume_role_policy=service_trust_policy("redshift.amazonaws.com"),
                tags=tags,
                opts=self._child,
            )
            policy = aws.iam.RolePolicy(
                f"{name}-lake-read",
                role=role.id,
                policy=args.lake_read_policy_json,
                opts=self._child,
            )
            role_arns.append(pulumi.Output.all(role.arn, policy.id).apply(lambda v: v[0]))
        cluster = aws.redshift.Cluster(
            f"{name}-cluster",
            cluster_identifier=self.identifier,
            node_type=rs.node_type,
            cluster_type=rs.cluster_type,
            number_of_nodes=rs.number_of_nodes,
            database_name=settings.database_name,
            master_username=settings.master_username,
            manage_master_password=True,
            master_password_secret_kms_key_id=self.kms_key_arn,
            port=rs.port,
            encrypted="true",
            kms_key_id=self.kms_key_arn,
            enhanced_vpc_routing=rs.enhanced_vpc_routing,
            publicly_accessible=False,
            cluster_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            cluster_parameter_group_name=parameter_group.name,
            availability_zone_relocation_enabled=rs.availability_zone_relocation,
            automated_snapshot_retention_period=settings.backup_retention_days,
            preferred_maintenance_window=settings.maintenance_window,
            allow_version_upgrade=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=self._final_snapshot(),
            iam_roles=role_arns or None,
            default_iam_role_arn=role_arns[0] if role_arns else None,
            tags=tags,
            opts=self._protected,
        )
        aws.redshift.Logging(
            f"{name}-logging",
            cluster_identifier=cluster.cluster_identifier,
            log_destination_type="cloudwatch",
            log_exports=list(REDSHIFT_LOG_EXPORTS),
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_groups),
        )
        self.endpoint = cluster.dns_name
        self.port = cluster.port.apply(lambda p: int(p) if p is not None else rs.port)
        self.database_name = cluster.database_name
        self.master_secret_arn = cluster.master_password_secret_arn


def _rds_secret_arn(secrets: Any) -> str:
    """The ARN of the instance's AWS-managed master secret."""
    if not secrets:
        raise ValueError("the instance reports no master user secret; manage_master_user_password is off")
    first = secrets[0]
    arn = first.get("secret_arn") if isinstance(first, dict) else getattr(first, "secret_arn", None)
    return str(arn)
