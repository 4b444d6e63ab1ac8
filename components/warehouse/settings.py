"""What a :class:`~components.warehouse.Warehouse` is configured with: settings, wiring and their checks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
from pydantic import Field, field_validator, model_validator

from .._aws_names import rds_instance_class_problem, redshift_node_type_problem
from .._shared import LogRetentionDays, kms_key_arn_problem
from .._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from ..tags import validate_tags
from .migration_settings import MigrationSettings
from .windows import backup_window_minutes, maintenance_window_minutes, windows_overlap

__all__ = [
    "MIN_PROD_RETENTION_DAYS",
    "MIN_WINDOW_MINUTES",
    "POSTGRES_LOG_EXPORTS",
    "REDSHIFT_LOG_EXPORTS",
    "PostgresSettings",
    "RedshiftSettings",
    "WarehouseArgs",
    "WarehouseSettings",
    "check_args",
    "subnet_count_issue",
]

MIN_PROD_RETENTION_DAYS = 7
"""The fewest days of automated backups a production warehouse keeps."""
MIN_WINDOW_MINUTES = 30
"""The shortest backup or maintenance window AWS accepts."""
POSTGRES_LOG_EXPORTS = ("postgresql", "upgrade")
"""The PostgreSQL logs exported to CloudWatch Logs (one pre-created log group each)."""
REDSHIFT_LOG_EXPORTS = ("connectionlog", "useractivitylog", "userlog")
"""The Redshift audit logs exported to CloudWatch Logs (one pre-created log group each)."""

_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
_DB_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DEFAULT_USERNAMES = frozenset(
    {"admin", "administrator", "awsuser", "master", "postgres", "rdsadmin", "rdsrepladmin", "root", "sa"}
)
_ENGINE_VERSION = re.compile(r"^(\d+)(\.\d+)?$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
_SINGLE_NODE_TYPES = frozenset({"dc2.large", "ra3.large", "ra3.xlplus"})
_MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
_RA3_PORTS = (*range(5431, 5456), *range(8191, 8216))


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
        problem = rds_instance_class_problem(value)
        if problem:
            raise ValueError(problem)
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
        problem = redshift_node_type_problem(value)
        if problem:
            raise ValueError(problem)
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
    migration: MigrationSettings = Field(default_factory=MigrationSettings)
    """The bootstrap job that alone holds the master secret and makes the services' database users
    (made when a service has warehouse access)."""
    database_name: str = "warehouse"
    """The database created with the instance/cluster (lowercase, starts with a letter)."""
    master_username: str = "dp_admin"
    """The admin user; its password is generated and rotated by AWS in Secrets Manager.
    Well-known defaults (``postgres``, ``admin``, ``awsuser``...) are refused."""
    backup_retention_days: int = Field(default=7, ge=0, le=35)
    """Days of automated backups / snapshots (1 to 35; at least 7 when ``production``). An RDS
    instance covered by an AWS Backup continuous rule (``operations.backup``) keeps the rule's
    retention instead: AWS Backup owns it (``WarehouseArgs.aws_backup_retention_days``)."""
    maintenance_window: str = "sun:05:00-sun:06:00"
    """Weekly maintenance window, ``ddd:hh24:mi-ddd:hh24:mi`` UTC, at least 30 minutes."""
    log_retention_days: LogRetentionDays = 365
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
    """Settings, tags and wiring of a :class:`~components.warehouse.Warehouse`."""

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
    """A KMS key ARN for storage, the master secret, Performance Insights and the log groups;
    its policy must let CloudWatch Logs use it. One (with rotation) is created when omitted."""
    lake_read_policy_json: pulumi.Input[str] | None = None
    """Redshift only: the data lake's read policy (gold layer) for the cluster's IAM role;
    no role is made without it."""
    aws_backup_retention_days: int | None = None
    """PostgreSQL only: the retention of the AWS Backup continuous-backup rule that covers the
    instance. AWS Backup then owns the instance's automated-backup retention and window and changes
    them itself (crossplane-contrib/provider-aws#1357: "AWS Backup will take ownership of
    backupRetentionPeriod"; aws-cloudformation/cloudformation-coverage-roadmap#2167: stacks drift on
    PreferredBackupWindow and BackupRetentionPeriod once AWS Backup manages PITR). The instance is
    created with this retention instead of ``settings.backup_retention_days`` and ignores later
    changes to both, so no ``pulumi up`` fights AWS Backup (no perpetual diff)."""


def subnet_count_issue(count: int) -> ConfigIssue:
    """The issue of a PostgreSQL warehouse given data subnets in fewer than 2 AZs."""
    return ConfigIssue(
        "args.data_subnet_ids",
        f"{count} subnet(s)",
        "RDS needs data subnets in at least 2 AZs (a DB subnet group must cover 2 AZs, and "
        "postgres.multi_az places the standby in the second); pass the data subnets of 2+ AZs",
    )


def check_args(args: WarehouseArgs) -> dict[str, str]:
    """Every wiring check, before anything is registered; the validated tags."""
    if not isinstance(args.settings, WarehouseSettings):
        raise InvalidConfigError(
            [ConfigIssue("args.settings", type(args.settings).__name__, "must be a WarehouseSettings")],
            subject="WarehouseArgs",
        )
    tags = validate_tags(args.tags)
    issues: list[ConfigIssue] = []
    if args.aws_backup_retention_days is not None and args.settings.engine != "postgres":
        issues.append(
            ConfigIssue(
                "args.aws_backup_retention_days",
                args.aws_backup_retention_days,
                "AWS Backup's continuous backups cover RDS, not Redshift (its snapshots are the "
                "cluster's own); remove it",
            )
        )
    elif args.aws_backup_retention_days is not None and not 1 <= args.aws_backup_retention_days <= 35:
        issues.append(
            ConfigIssue(
                "args.aws_backup_retention_days",
                args.aws_backup_retention_days,
                "AWS Backup keeps continuous backups 1 to 35 days; pass the rule's delete_after_days",
            )
        )
    subnets = args.data_subnet_ids
    if isinstance(subnets, str):
        issues.append(ConfigIssue("args.data_subnet_ids", subnets, "must be a list of subnet ids, not one"))
    elif isinstance(subnets, Sequence):
        if not subnets:
            issues.append(ConfigIssue("args.data_subnet_ids", [], "is empty; pass the data subnet ids"))
        elif args.settings.engine == "postgres" and len(subnets) < 2:
            issues.append(subnet_count_issue(len(subnets)))
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
    key_problem = kms_key_arn_problem(args.kms_key_arn)
    if key_problem:
        issues.append(ConfigIssue("args.kms_key_arn", args.kms_key_arn, key_problem))
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
