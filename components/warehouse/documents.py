"""The names and documents a warehouse derives from its settings: identifier, log groups, key
policy, parameter-group parameters and role policies. Plain functions, no registration."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal

from .._validation import check_choice
from ..iam import kms_account_admin_statement, kms_logs_statement, policy_json, service_trust_policy
from .settings import POSTGRES_LOG_EXPORTS, REDSHIFT_LOG_EXPORTS, PostgresSettings, WarehouseSettings

__all__ = [
    "REDSHIFT_PARAMETER_GROUP_FAMILY",
    "WAREHOUSE_ENV_NAMES",
    "WarehouseAccess",
    "default_identifier",
    "engine_port",
    "final_snapshot_identifier",
    "log_exports",
    "log_group_prefix",
    "monitoring_policy_arn",
    "monitoring_trust_policy",
    "postgres_parameters",
    "redshift_parameters",
    "redshift_trust_policy",
    "s3_prefix_list_name",
    "warehouse_access_policy",
    "warehouse_access_statements",
    "warehouse_environment",
    "warehouse_key_policy",
]

WarehouseAccess = Literal["read", "write"]
"""What a service does in the warehouse. IAM grants both the same way (connect as the service's own
database user): AWS IAM cannot tell a SELECT from an INSERT. The database grants of that user, made
by the bootstrap job (:mod:`.migration`), are what differ: SELECT for ``read``, DML for ``write``."""

WAREHOUSE_ENV_NAMES = (
    "WAREHOUSE_ENGINE",
    "WAREHOUSE_HOST",
    "WAREHOUSE_PORT",
    "WAREHOUSE_DATABASE",
    "WAREHOUSE_USER",
    "WAREHOUSE_ACCESS",
    "WAREHOUSE_CLUSTER",
)
"""The environment variables a service with warehouse access gets (``WAREHOUSE_CLUSTER``, the
cluster identifier ``GetClusterCredentials`` names, on Redshift only). No secret: a service
authenticates with IAM as ``WAREHOUSE_USER``."""

REDSHIFT_PARAMETER_GROUP_FAMILY = "redshift-2.0"
"""The parameter group family of current Redshift clusters."""


# --------------------------------------------------------------------------- names


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


def final_snapshot_identifier(identifier: str) -> str:
    """The snapshot RDS/Redshift takes when the database is deleted."""
    return f"{identifier}-final"


def log_group_prefix(engine: str, identifier: str) -> str:
    """Where the engine writes its log groups: RDS and Redshift choose these names themselves, so
    the warehouse pre-creates them (encrypted, retention-limited) under the same names."""
    if engine == "postgres":
        return f"/aws/rds/instance/{identifier}/"
    return f"/aws/redshift/cluster/{identifier}/"


def log_exports(engine: str) -> tuple[str, ...]:
    """The logs the engine exports to CloudWatch Logs (one log group each)."""
    return POSTGRES_LOG_EXPORTS if engine == "postgres" else REDSHIFT_LOG_EXPORTS


def engine_port(settings: WarehouseSettings) -> int:
    """The port the chosen engine listens on (the only port its security group opens)."""
    return settings.postgres.port if settings.engine == "postgres" else settings.redshift.port


def s3_prefix_list_name(region: str) -> str:
    """The AWS-managed prefix list of S3 in ``region`` (enhanced VPC routing's egress target)."""
    return f"com.amazonaws.{region}.s3"


# --------------------------------------------------------------------------- documents


def warehouse_key_policy(account: str, partition: str, region: str, log_group_prefix: str) -> str:
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


def postgres_parameters(postgres: PostgresSettings) -> list[tuple[str, str]]:
    """The PostgreSQL parameter group: TLS 1.2+ only, connections, lock waits, DDL and slow
    statements logged."""
    return [
        ("rds.force_ssl", "1"),
        ("ssl_min_protocol_version", "TLSv1.2"),
        ("log_connections", "1"),
        ("log_disconnections", "1"),
        ("log_lock_waits", "1"),
        ("log_statement", "ddl"),
        ("log_min_duration_statement", str(postgres.log_min_duration_statement_ms)),
    ]


def redshift_parameters() -> list[tuple[str, str]]:
    """The Redshift parameter group: TLS only, user activity logged."""
    return [("require_ssl", "true"), ("enable_user_activity_logging", "true")]


def monitoring_trust_policy() -> str:
    """The Enhanced Monitoring role's trust policy: RDS monitoring only."""
    return service_trust_policy("monitoring.rds.amazonaws.com")


def monitoring_policy_arn(partition: str) -> str:
    """The AWS-managed policy that lets RDS publish Enhanced Monitoring metrics."""
    return f"arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def redshift_trust_policy() -> str:
    """The cluster role's trust policy: Redshift only (the role reads the lake for COPY/Spectrum)."""
    return service_trust_policy("redshift.amazonaws.com")


# --------------------------------------------------------------------------- access from services


def warehouse_access_statements(
    engine: str,
    *,
    database_user: str,
    partition: str,
    region: str,
    account: str,
    resource_id: str | None = None,
    cluster_identifier: str | None = None,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """What a service needs to connect as ``database_user``, and nothing of the master secret.

    PostgreSQL: ``rds-db:connect`` on ``dbuser:<DbiResourceId>/<user>`` (RDS user guide, "Creating
    and using an IAM policy for IAM database access"). Redshift: ``redshift:GetClusterCredentials``
    on that user and that database of the cluster only, never creating users or joining groups
    (Redshift management guide, "Create an IAM role or user with permissions to call
    GetClusterCredentials": resources ``dbuser:<cluster>/<user>`` and ``dbname:<cluster>/<database>``).
    """
    if engine == "postgres":
        if resource_id is None:
            raise ValueError("PostgreSQL access needs the instance's resource_id (DbiResourceId)")
        return [
            {
                "Sid": "ConnectAsDatabaseUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": f"arn:{partition}:rds-db:{region}:{account}:dbuser:{resource_id}/{database_user}",
            }
        ]
    if cluster_identifier is None or database is None:
        raise ValueError("Redshift access needs the cluster identifier and the database name")
    prefix = f"arn:{partition}:redshift:{region}:{account}"
    return [
        {
            "Sid": "TemporaryCredentialsAsDatabaseUser",
            "Effect": "Allow",
            "Action": "redshift:GetClusterCredentials",
            "Resource": [
                f"{prefix}:dbname:{cluster_identifier}/{database}",
                f"{prefix}:dbuser:{cluster_identifier}/{database_user}",
            ],
        }
    ]


def warehouse_access_policy(engine: str, **kwargs: Any) -> str:
    """:func:`warehouse_access_statements` as an IAM policy document (JSON)."""
    return policy_json(warehouse_access_statements(engine, **kwargs))


def warehouse_environment(
    engine: str,
    access: WarehouseAccess,
    connection: Mapping[str, Any],
    database_user: str,
) -> dict[str, Any]:
    """The pod environment of a service with warehouse access: ``connection`` holds ``host``,
    ``port``, ``database`` (and ``cluster`` for Redshift), plain values or Outputs. An ``access``
    other than ``read`` or ``write`` raises :class:`InvalidConfigError`."""
    check_choice("access", access, ("read", "write"), subject="Warehouse.connection_environment")
    environment = {
        "WAREHOUSE_ENGINE": engine,
        "WAREHOUSE_HOST": connection["host"],
        "WAREHOUSE_PORT": connection["port"],
        "WAREHOUSE_DATABASE": connection["database"],
        "WAREHOUSE_USER": database_user,
        "WAREHOUSE_ACCESS": access,
    }
    if engine == "redshift":
        environment["WAREHOUSE_CLUSTER"] = connection["cluster"]
    return environment
