"""Warehouse settings: every check names its key path and the fix (no engine, no mocks)."""

from __future__ import annotations

from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.warehouse import PostgresSettings, RedshiftSettings, WarehouseSettings


def issues_of(error: InvalidConfigError) -> dict[str, str]:
    return {issue.path: issue.message for issue in error.issues}


def test_settings_refuse_a_password() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse({"master_password": "hunter2"}, prefix="dataplatform:warehouse")
    (issue,) = err.value.issues
    assert issue.path == "dataplatform:warehouse.master_password"
    assert issue.message.startswith("unknown key")


# --------------------------------------------------------------------------- windows


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse(
            {"maintenance_window": "tue:03:30-tue:04:30", "postgres": {"backup_window": "03:00-04:00"}},
            prefix="dataplatform:warehouse",
        )
    assert issues_of(err.value) == {
        "dataplatform:warehouse.postgres.backup_window": "overlaps maintenance_window "
        "'tue:03:30-tue:04:30'; move one of them so they never meet"
    }


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"postgres": {"backup_window": "3:00-3:30"}}, "postgres.backup_window", "is not 'hh24:mi-hh24:mi'"),
        ({"postgres": {"backup_window": "03:00-03:20"}}, "postgres.backup_window", "20 minutes long"),
        ({"postgres": {"backup_window": "23:50-00:10"}}, "postgres.backup_window", "20 minutes long"),
        ({"maintenance_window": "sunday:05:00-sun:06"}, "maintenance_window", "is not 'ddd:hh24:mi"),
        ({"maintenance_window": "xyz:05:00-xyz:06:00"}, "maintenance_window", "days mon..sun"),
        ({"maintenance_window": "sun:05:00-sun:05:15"}, "maintenance_window", "15 minutes long"),
        ({"maintenance_window": "sun:05:00-sun:05:00"}, "maintenance_window", "0 minutes long"),
    ],
)
def test_bad_windows(data: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings(**data)
    assert message in issues_of(err.value)[path]


def test_maintenance_window_is_normalised() -> None:
    settings = WarehouseSettings(engine="redshift", maintenance_window="Sat:22:00-Sun:02:00")
    assert settings.maintenance_window == "sat:22:00-sun:02:00"


# --------------------------------------------------------------------------- bad config


def test_unknown_engine() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse({"engine": "mysql"}, prefix="dataplatform:warehouse")
    (issue,) = err.value.issues
    assert (issue.path, issue.value) == ("dataplatform:warehouse.engine", "mysql")
    assert "'postgres' or 'redshift'" in issue.message


@pytest.mark.parametrize("retention", [0, 6])
def test_production_needs_seven_days_of_backups(retention: int) -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse({"backup_retention_days": retention}, prefix="dataplatform:warehouse")
    (issue,) = err.value.issues
    assert (issue.path, issue.value) == ("dataplatform:warehouse.backup_retention_days", retention)
    assert issue.message.startswith("production needs at least 7 days")
    assert "production: false" in issue.message


def test_zero_retention_refused_outside_production_too() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings(production=False, deletion_protection=False, backup_retention_days=0)
    assert issues_of(err.value) == {"backup_retention_days": "0 turns automated backups off; use 1 to 35"}
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings(production=False, backup_retention_days=36)
    assert "backup_retention_days" in issues_of(err.value)


def test_production_rules() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings(deletion_protection=False, postgres={"multi_az": False})
    issues = issues_of(err.value)
    assert set(issues) == {"deletion_protection", "postgres.multi_az"}
    assert "must be true in production" in issues["deletion_protection"]
    assert "set it true" in issues["postgres.multi_az"]
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings(engine="redshift", redshift={"node_type": "ra3.large", "number_of_nodes": 1})
    assert issues_of(err.value) == {
        "redshift.number_of_nodes": "production needs a multi-node cluster; use 2 or more "
        "(or production: false for dev)"
    }


def test_settings_of_the_other_engine_are_refused() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse({"engine": "postgres", "redshift": {"number_of_nodes": 4}}, prefix="w")
    assert issues_of(err.value) == {
        "w.redshift": "settings for redshift are ignored with engine 'postgres'; "
        "remove the section or set engine: redshift"
    }


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"master_username": "postgres"}, "master_username", "well-known admin name"),
        ({"master_username": "Admin-1"}, "master_username", "lowercase letters"),
        ({"database_name": "1db"}, "database_name", "starting with a letter"),
        ({"identifier": "My_DB"}, "identifier", "lowercase letters, digits and hyphens"),
        ({"identifier": "db--x"}, "identifier", "without '--'"),
        (
            {"log_retention_days": 10},
            "log_retention_days",
            "does not offer 10 days; use one of its periods (nearest: 7, 14)",
        ),
        ({"postgres": {"engine_version": "12"}}, "postgres.engine_version", "past RDS standard support"),
        ({"postgres": {"engine_version": "latest"}}, "postgres.engine_version", "major ('17')"),
        ({"postgres": {"instance_class": "m5.large"}}, "postgres.instance_class", "db.m7g.large"),
        ({"postgres": {"monitoring_interval_seconds": 45}}, "postgres.monitoring_interval_seconds", "use 60"),
        (
            {"postgres": {"performance_insights_retention_days": 30}},
            "postgres.performance_insights_retention_days",
            "multiple of 31",
        ),
        (
            {"postgres": {"allocated_storage_gb": 100, "max_allocated_storage_gb": 105}},
            "postgres.max_allocated_storage_gb",
            "at least 10% above allocated_storage_gb (100)",
        ),
        ({"engine": "redshift", "redshift": {"port": 5432 + 100}}, "redshift.port", "5431-5455"),
        ({"engine": "redshift", "redshift": {"node_type": "m5.large"}}, "redshift.node_type", "ra3.xlplus"),
        (
            {
                "engine": "redshift",
                "production": False,
                "redshift": {"node_type": "ra3.4xlarge", "number_of_nodes": 1},
            },
            "redshift.number_of_nodes",
            "cannot run single-node",
        ),
        (
            {"engine": "redshift", "redshift": {"node_type": "dc2.large"}},
            "redshift.availability_zone_relocation",
            "only RA3 clusters",
        ),
    ],
)
def test_bad_settings(data: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings(**data)
    issues = issues_of(err.value)
    assert path in issues, issues
    assert message in issues[path]


def test_good_non_default_settings() -> None:
    settings = WarehouseSettings(
        engine="redshift",
        redshift=RedshiftSettings(node_type="dc2.large", port=15439, availability_zone_relocation=False),
    )
    assert settings.redshift.cluster_type == "multi-node"
    assert PostgresSettings(engine_version="16.4").parameter_group_family == "postgres16"
