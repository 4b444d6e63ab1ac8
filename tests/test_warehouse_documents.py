"""The warehouse's pure rules (components.warehouse.windows, .documents): no engine, no mocks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from test_datalake_documents import decide

from components.warehouse import PostgresSettings, WarehouseSettings
from components.warehouse.documents import (
    WAREHOUSE_ENV_NAMES,
    default_identifier,
    engine_port,
    final_snapshot_identifier,
    log_exports,
    log_group_prefix,
    monitoring_policy_arn,
    monitoring_trust_policy,
    postgres_parameters,
    redshift_parameters,
    redshift_trust_policy,
    s3_prefix_list_name,
    warehouse_access_policy,
    warehouse_access_statements,
    warehouse_environment,
    warehouse_key_policy,
)
from components.warehouse.windows import backup_window_minutes, maintenance_window_minutes, windows_overlap

ACCOUNT = "123456789012"

# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("backup", "maintenance", "overlap"),
    [
        ("03:00-04:00", "sun:05:00-sun:06:00", False),
        ("03:00-04:00", "sun:04:00-sun:05:00", False),  # touching is fine
        ("04:00-05:00", "sun:03:00-sun:04:00", False),
        ("03:00-04:00", "wed:03:30-wed:04:30", True),
        ("03:00-04:00", "tue:02:00-tue:03:01", True),
        ("23:30-00:30", "mon:00:00-mon:01:00", True),  # backup crosses midnight
        ("23:30-00:30", "sat:23:00-sat:23:30", False),
        ("00:00-00:45", "sun:23:30-mon:00:30", True),  # maintenance crosses the week's end
        ("22:00-23:00", "fri:23:00-sat:22:00", False),  # long window, on no day
        ("22:00-23:00", "fri:23:00-sat:22:01", True),
    ],
)
def test_windows_overlap(backup: str, maintenance: str, overlap: bool) -> None:
    assert windows_overlap(backup, maintenance) is overlap


def test_window_parsing() -> None:
    assert backup_window_minutes("23:45-00:15") == (23 * 60 + 45, 30)
    assert backup_window_minutes("00:00-23:59") == (0, 23 * 60 + 59)
    assert maintenance_window_minutes("Sun:23:30-Mon:00:30") == (6 * 1440 + 23 * 60 + 30, 60)
    assert maintenance_window_minutes("mon:00:00-mon:00:30") == (0, 30)
    assert maintenance_window_minutes("sun:05:00-sun:05:00") == (6 * 1440 + 300, 0)


@pytest.mark.parametrize("window", ["3:00-3:30", "24:00-01:00", "03:60-04:00", "03:00", ""])
def test_bad_backup_windows_raise(window: str) -> None:
    with pytest.raises(ValueError, match=r"is not 'hh24:mi-hh24:mi' in UTC; write e\.g\. '03:00-03:30'"):
        backup_window_minutes(window)


@pytest.mark.parametrize("window", ["xyz:05:00-sun:06:00", "sunday:05:00-sun:06", "sun:05:00-sun:6:00"])
def test_bad_maintenance_windows_raise(window: str) -> None:
    with pytest.raises(ValueError, match=r"with days mon\.\.sun"):
        maintenance_window_minutes(window)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("project", "stack", "name", "expected"),
    [
        ("dataplatform", "prod", "warehouse", "dataplatform-prod-warehouse"),
        ("Data_Platform", "eu.Prod", "wh--1", "data-platform-eu-prod-wh-1"),
        ("1st", "dev", "wh", "db-1st-dev-wh"),
    ],
)
def test_default_identifier_is_valid(project: str, stack: str, name: str, expected: str) -> None:
    assert default_identifier(project, stack, name) == expected


def test_default_identifier_long_names_are_hashed() -> None:
    ident = default_identifier("p" * 40, "stack", "w" * 40)
    assert len(ident) == 63
    assert re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", ident) and "--" not in ident
    assert ident != default_identifier("p" * 40, "stack", "w" * 39)
    assert ident == default_identifier("p" * 40, "stack", "w" * 40)  # stable across runs


def test_log_groups_and_snapshot_follow_the_identifier() -> None:
    assert log_group_prefix("postgres", "db1") == "/aws/rds/instance/db1/"
    assert log_group_prefix("redshift", "db1") == "/aws/redshift/cluster/db1/"
    assert log_exports("postgres") == ("postgresql", "upgrade")
    assert log_exports("redshift") == ("connectionlog", "useractivitylog", "userlog")
    assert final_snapshot_identifier("db1") == "db1-final"


def test_engine_port_is_the_chosen_engines() -> None:
    assert engine_port(WarehouseSettings(postgres={"port": 6432})) == 6432
    assert engine_port(WarehouseSettings(engine="redshift", redshift={"port": 8192})) == 8192
    assert engine_port(WarehouseSettings(engine="redshift")) == 5439


def test_s3_prefix_list_name() -> None:
    assert s3_prefix_list_name("eu-west-1") == "com.amazonaws.eu-west-1.s3"


# --------------------------------------------------------------------------- documents


def test_key_policy_lets_logs_use_the_key_for_this_warehouses_groups_only() -> None:
    policy = json.loads(
        warehouse_key_policy(ACCOUNT, "aws-us-gov", "us-gov-west-1", "/aws/rds/instance/db1/")
    )
    admin, logs = policy["Statement"]
    assert admin == {
        "Sid": "AccountAdministersThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws-us-gov:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert logs["Sid"] == "CloudWatchLogsForWarehouseLogGroups"
    assert logs["Principal"] == {"Service": "logs.us-gov-west-1.amazonaws.com"}
    assert "kms:*" not in logs["Action"] and "kms:Decrypt*" in logs["Action"]
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws-us-gov:logs:us-gov-west-1:{ACCOUNT}:log-group:/aws/rds/instance/db1/*"
            )
        }
    }


def test_postgres_parameters_force_tls_and_log_audits() -> None:
    values = dict(postgres_parameters(PostgresSettings(log_min_duration_statement_ms=-1)))
    assert values == {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "log_connections": "1",
        "log_disconnections": "1",
        "log_lock_waits": "1",
        "log_statement": "ddl",
        "log_min_duration_statement": "-1",
    }
    assert len(postgres_parameters(PostgresSettings())) == len(values)  # no duplicates


def test_redshift_parameters_force_tls_and_log_user_activity() -> None:
    assert dict(redshift_parameters()) == {"require_ssl": "true", "enable_user_activity_logging": "true"}


def test_role_policies_trust_one_service_each() -> None:
    for document, service in (
        (monitoring_trust_policy(), "monitoring.rds.amazonaws.com"),
        (redshift_trust_policy(), "redshift.amazonaws.com"),
    ):
        (statement,) = json.loads(document)["Statement"]
        assert statement == {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    assert monitoring_policy_arn("aws-cn") == (
        "arn:aws-cn:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    )


# --------------------------------------------------------------------------- access from services

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf"
WH_KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"


RESOURCE_ID = "db-ABCDEFGHIJKL0123456789"
DB_USER = "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFGHIJKL0123456789"
WHERE = {"partition": "aws", "region": "eu-west-1", "account": "123456789012"}
VIA_SECRETS_MANAGER = {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}


def _statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    statements: list[dict[str, Any]] = parsed["Statement"]
    return statements


def test_a_postgres_service_connects_as_its_own_user_and_never_reads_the_master_secret() -> None:
    for access_user in ("stream_consumer", "batch_worker_ro"):
        statements = _statements(
            warehouse_access_policy("postgres", database_user=access_user, resource_id=RESOURCE_ID, **WHERE)
        )
        assert statements == [
            {
                "Sid": "ConnectAsDatabaseUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": f"{DB_USER}/{access_user}",
            }
        ]
        assert decide(statements, "rds-db:connect", f"{DB_USER}/{access_user}") == "allow"
        # Not as the admin, not as another service, and nothing of the master secret or its key.
        assert decide(statements, "rds-db:connect", f"{DB_USER}/dp_admin") == "implicit"
        assert decide(statements, "rds-db:connect", f"{DB_USER}/other_service") == "implicit"
        assert decide(statements, "secretsmanager:GetSecretValue", SECRET) == "implicit"
        assert decide(statements, "kms:Decrypt", WH_KEY, VIA_SECRETS_MANAGER) == "implicit"
    with pytest.raises(ValueError, match="resource_id"):
        warehouse_access_statements("postgres", database_user="batch_ro", **WHERE)


def test_a_database_user_arn_follows_the_partition_region_and_account() -> None:
    [statement] = warehouse_access_statements(
        "postgres",
        database_user="batch_ro",
        resource_id=RESOURCE_ID,
        partition="aws-us-gov",
        region="us-gov-west-1",
        account="210987654321",
    )
    assert statement["Resource"] == (
        "arn:aws-us-gov:rds-db:us-gov-west-1:210987654321:dbuser:db-ABCDEFGHIJKL0123456789/batch_ro"
    )


def test_a_redshift_service_gets_temporary_credentials_for_its_user_and_database_only() -> None:
    statements = warehouse_access_statements(
        "redshift", database_user="reader", cluster_identifier="dp-prod-wh", database="warehouse", **WHERE
    )
    prefix = "arn:aws:redshift:eu-west-1:123456789012"
    assert statements == [
        {
            "Sid": "TemporaryCredentialsAsDatabaseUser",
            "Effect": "Allow",
            "Action": "redshift:GetClusterCredentials",
            "Resource": [f"{prefix}:dbname:dp-prod-wh/warehouse", f"{prefix}:dbuser:dp-prod-wh/reader"],
        }
    ]
    assert (
        decide(statements, "redshift:GetClusterCredentials", f"{prefix}:dbuser:dp-prod-wh/reader") == "allow"
    )
    for action, resource in [
        ("redshift:GetClusterCredentials", f"{prefix}:dbuser:dp-prod-wh/dp_admin"),
        ("redshift:GetClusterCredentials", f"{prefix}:dbname:dp-prod-wh/other"),
        ("redshift:GetClusterCredentials", f"{prefix}:dbuser:other-cluster/reader"),
        ("redshift:CreateClusterUser", f"{prefix}:dbuser:dp-prod-wh/reader"),
        ("redshift:JoinGroup", f"{prefix}:dbgroup:dp-prod-wh/admins"),
        ("secretsmanager:GetSecretValue", SECRET),
    ]:
        assert decide(statements, action, resource) == "implicit", (action, resource)
    with pytest.raises(ValueError, match="cluster identifier"):
        warehouse_access_statements("redshift", database_user="reader", **WHERE)


def test_warehouse_environment_names_every_connection_setting_and_no_secret() -> None:
    connection = {"host": "db.example", "port": "5432", "database": "warehouse", "cluster": "dp-wh"}
    assert warehouse_environment("postgres", "read", connection, "etl") == {
        "WAREHOUSE_ENGINE": "postgres",
        "WAREHOUSE_HOST": "db.example",
        "WAREHOUSE_PORT": "5432",
        "WAREHOUSE_DATABASE": "warehouse",
        "WAREHOUSE_USER": "etl",
        "WAREHOUSE_ACCESS": "read",
    }
    redshift = warehouse_environment("redshift", "write", connection, "etl")
    assert redshift["WAREHOUSE_CLUSTER"] == "dp-wh"
    assert set(redshift) == set(WAREHOUSE_ENV_NAMES)
    assert not any("SECRET" in name for name in WAREHOUSE_ENV_NAMES)
