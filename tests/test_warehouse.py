"""Warehouse: RDS PostgreSQL or Redshift, secure by default, under mocks."""

from __future__ import annotations

import asyncio
import gc
import json
import re
from typing import Any

import pulumi
import pytest

from components._validation import InvalidConfigError
from components.warehouse import (
    PostgresSettings,
    RedshiftSettings,
    Warehouse,
    WarehouseArgs,
    WarehouseSettings,
    backup_window_minutes,
    default_identifier,
    maintenance_window_minutes,
    windows_overlap,
)
from dpengine.engine import ResourceRecord
from dpengine.testing import ComponentRun, assert_tagged, run_component

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:redshift/cluster:Cluster"
KEY = "aws:kms/key:Key"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
SUBNETS = ["subnet-0a1", "subnet-0b2", "subnet-0c3"]
LAKE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/gold/*"},
        ],
    }
)
ALLOWED_PASSWORD_KEYS = {
    "manageMasterUserPassword",
    "manageMasterPassword",
    "masterPasswordSecretKmsKeyId",
    "masterPasswordSecretArn",
}

DEV_POSTGRES = {
    "engine": "postgres",
    "production": False,
    "deletion_protection": False,
    "backup_retention_days": 1,
    "postgres": {
        "instance_class": "db.t4g.micro",
        "allocated_storage_gb": 20,
        "max_allocated_storage_gb": 50,
        "multi_az": False,
        "performance_insights": False,
        "monitoring_interval_seconds": 0,
    },
}
DEV_REDSHIFT = {
    "engine": "redshift",
    "production": False,
    "deletion_protection": False,
    "backup_retention_days": 1,
    "redshift": {
        "node_type": "ra3.large",
        "number_of_nodes": 1,
        "enhanced_vpc_routing": False,
        "availability_zone_relocation": False,
    },
}


def make(
    settings: WarehouseSettings,
    tags: dict[str, str],
    *,
    name: str = "wh",
    **wiring: Any,
) -> ComponentRun[Warehouse]:
    wiring.setdefault("vpc_id", "vpc-0123456789abcdef0")
    wiring.setdefault("data_subnet_ids", SUBNETS)
    wiring.setdefault("allowed_security_group_ids", ["sg-0eks0nodes"])
    return run_component(lambda: Warehouse(name, WarehouseArgs(settings=settings, tags=tags, **wiring)))


def outputs(cr: ComponentRun[Warehouse]) -> dict[str, Any]:
    c = cr.component
    return {
        key: cr.value(getattr(c, key))
        for key in (
            "endpoint",
            "port",
            "database_name",
            "master_secret_arn",
            "security_group_id",
            "kms_key_arn",
        )
    }


def assert_protected(record: ResourceRecord, on: bool) -> None:
    assert (record.protect, record.retain_on_delete) == (on, on), record.name


def issues_of(error: InvalidConfigError) -> dict[str, str]:
    return {issue.path: issue.message for issue in error.issues}


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_production_defaults(tags: dict[str, str]) -> None:
    cr = make(WarehouseSettings(), tags)
    assert cr.record.type == "dataplatform:database:Warehouse"
    assert cr.counts() == {
        KEY: 1,
        "aws:kms/alias:Alias": 1,
        SG: 1,
        INGRESS: 1,
        LOG_GROUP: 2,
        "aws:rds/subnetGroup:SubnetGroup": 1,
        "aws:rds/parameterGroup:ParameterGroup": 1,
        ROLE: 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        INSTANCE: 1,
    }
    assert all(r.parent == cr.record.urn for r in cr.children)
    assert all(r.name.startswith("wh-") for r in cr.children)
    assert_tagged(cr.children, tags)

    key = cr.one(KEY)
    key_arn = key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert_protected(key, True)
    policy = json.loads(key.inputs["policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsForWarehouseLogGroups")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/rds/instance/test-dev-wh/*"
    )

    db = cr.one(INSTANCE)
    assert_protected(db, True)
    expected = {
        "identifier": "test-dev-wh",
        "engine": "postgres",
        "engineVersion": "17",
        "instanceClass": "db.m7g.large",
        "dbName": "warehouse",
        "username": "dp_admin",
        "manageMasterUserPassword": True,
        "masterUserSecretKmsKeyId": key_arn,
        "storageEncrypted": True,
        "kmsKeyId": key_arn,
        "storageType": "gp3",
        "allocatedStorage": 50,
        "maxAllocatedStorage": 500,
        "multiAz": True,
        "publiclyAccessible": False,
        "vpcSecurityGroupIds": [cr.one(SG).id],
        "dbSubnetGroupName": cr.one("aws:rds/subnetGroup:SubnetGroup").outputs["name"],
        "parameterGroupName": cr.one("aws:rds/parameterGroup:ParameterGroup").outputs["name"],
        "iamDatabaseAuthenticationEnabled": True,
        "autoMinorVersionUpgrade": True,
        "allowMajorVersionUpgrade": False,
        "backupRetentionPeriod": 7,
        "backupWindow": "03:00-04:00",
        "maintenanceWindow": "sun:05:00-sun:06:00",
        "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "test-dev-wh-final",
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "performanceInsightsEnabled": True,
        "performanceInsightsKmsKeyId": key_arn,
        "performanceInsightsRetentionPeriod": 7,
        "monitoringInterval": 60,
        "monitoringRoleArn": cr.one(ROLE).outputs["arn"],
        "port": 5432,
    }
    assert {k: db.inputs.get(k) for k in expected} == expected
    # The log groups exist (encrypted, with retention) before RDS would make them itself.
    groups = cr.of_type(LOG_GROUP)
    assert sorted(g.inputs["name"] for g in groups) == [
        "/aws/rds/instance/test-dev-wh/postgresql",
        "/aws/rds/instance/test-dev-wh/upgrade",
    ]
    for group in groups:
        assert group.inputs["kmsKeyId"] == key_arn
        assert group.inputs["retentionInDays"] == 365
        assert group.urn in db.dependencies

    params = cr.one("aws:rds/parameterGroup:ParameterGroup")
    assert params.inputs["family"] == "postgres17"
    values = {p["name"]: p["value"] for p in params.inputs["parameters"]}
    assert values["rds.force_ssl"] == "1"
    assert values["ssl_min_protocol_version"] == "TLSv1.2"
    assert values["log_connections"] == "1"
    assert values["log_min_duration_statement"] == "1000"

    role = cr.one(ROLE)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "monitoring.rds.amazonaws.com"},
        }
    ]
    attachment = cr.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    )
    assert attachment.inputs["role"] == role.outputs["name"]

    assert outputs(cr) == {
        "endpoint": db.outputs["address"],
        "port": 5432,
        "database_name": "warehouse",
        "master_secret_arn": db.outputs["masterUserSecrets"][0]["secretArn"],
        "security_group_id": cr.one(SG).id,
        "kms_key_arn": key_arn,
    }
    assert outputs(cr)["master_secret_arn"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-"
    )
    assert cr.value(cr.component.endpoint).endswith(".us-east-1.rds.amazonaws.com")


def test_security_group_allows_engine_port_from_given_groups_only(tags: dict[str, str]) -> None:
    nodes = pulumi.Output.from_input("sg-0eks0nodes")
    cr = make(WarehouseSettings(), tags, allowed_security_group_ids=[nodes, "sg-0bastion"])
    group = cr.one(SG)
    assert group.inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    rules = sorted(cr.of_type(INGRESS), key=lambda r: r.name)
    assert [r.name for r in rules] == ["wh-ingress-0", "wh-ingress-1"]
    assert [r.inputs["referencedSecurityGroupId"] for r in rules] == ["sg-0eks0nodes", "sg-0bastion"]
    for rule in rules:
        assert rule.inputs["securityGroupId"] == group.id
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
            "tcp",
            5432,
            5432,
        )
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
    assert cr.of_type(EGRESS) == []


def test_postgres_dev_config(tags: dict[str, str]) -> None:
    cr = make(WarehouseSettings.parse(DEV_POSTGRES), tags, data_subnet_ids=SUBNETS[:2])
    assert cr.counts() == {
        KEY: 1,
        "aws:kms/alias:Alias": 1,
        SG: 1,
        INGRESS: 1,
        LOG_GROUP: 2,
        "aws:rds/subnetGroup:SubnetGroup": 1,
        "aws:rds/parameterGroup:ParameterGroup": 1,
        INSTANCE: 1,
    }
    assert_tagged(cr.children, tags)
    db = cr.one(INSTANCE)
    assert_protected(db, False)
    assert_protected(cr.one(KEY), False)
    expected = {
        "instanceClass": "db.t4g.micro",
        "multiAz": False,
        "deletionProtection": False,
        "deleteAutomatedBackups": True,
        "backupRetentionPeriod": 1,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "test-dev-wh-final",
        "performanceInsightsEnabled": False,
        "performanceInsightsKmsKeyId": None,
        "monitoringInterval": 0,
        "monitoringRoleArn": None,
        "manageMasterUserPassword": True,
        "storageEncrypted": True,
        "publiclyAccessible": False,
    }
    assert {k: db.inputs.get(k) for k in expected} == expected
    assert cr.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"] == SUBNETS[:2]


def test_given_kms_key_is_used_everywhere_and_none_is_made(tags: dict[str, str]) -> None:
    given = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    cr = make(WarehouseSettings(), tags, kms_key_arn=given)
    assert cr.of_type(KEY) == [] and cr.of_type("aws:kms/alias:Alias") == []
    db = cr.one(INSTANCE)
    keys = {db.inputs[k] for k in ("kmsKeyId", "masterUserSecretKmsKeyId", "performanceInsightsKmsKeyId")}
    assert keys == {given}
    assert {g.inputs["kmsKeyId"] for g in cr.of_type(LOG_GROUP)} == {given}
    assert cr.value(cr.component.kms_key_arn) == given


def test_explicit_identifier_and_engine_version(tags: dict[str, str]) -> None:
    settings = WarehouseSettings(identifier="analytics-db", postgres={"engine_version": "16.4", "port": 6432})
    cr = make(settings, tags)
    db = cr.one(INSTANCE)
    assert (db.inputs["identifier"], db.inputs["engineVersion"], db.inputs["port"]) == (
        "analytics-db",
        "16.4",
        6432,
    )
    assert db.inputs["finalSnapshotIdentifier"] == "analytics-db-final"
    assert cr.one("aws:rds/parameterGroup:ParameterGroup").inputs["family"] == "postgres16"
    assert {r.inputs["fromPort"] for r in cr.of_type(INGRESS)} == {6432}
    assert cr.value(cr.component.port) == 6432


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


# --------------------------------------------------------------------------- Redshift


def test_redshift_production_defaults(tags: dict[str, str]) -> None:
    cr = make(WarehouseSettings(engine="redshift"), tags, lake_read_policy_json=LAKE_POLICY)
    assert cr.counts() == {
        KEY: 1,
        "aws:kms/alias:Alias": 1,
        SG: 1,
        INGRESS: 1,
        EGRESS: 1,
        LOG_GROUP: 3,
        "aws:redshift/subnetGroup:SubnetGroup": 1,
        "aws:redshift/parameterGroup:ParameterGroup": 1,
        ROLE: 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        CLUSTER: 1,
        "aws:redshift/logging:Logging": 1,
    }
    assert all(r.parent == cr.record.urn for r in cr.children)
    assert_tagged(cr.children, tags)
    key_arn = cr.one(KEY).outputs["arn"]
    assert_protected(cr.one(KEY), True)

    cluster = cr.one(CLUSTER)
    assert_protected(cluster, True)
    role_arn = cr.one(ROLE).outputs["arn"]
    expected = {
        "clusterIdentifier": "test-dev-wh",
        "nodeType": "ra3.xlplus",
        "clusterType": "multi-node",
        "numberOfNodes": 2,
        "databaseName": "warehouse",
        "masterUsername": "dp_admin",
        "manageMasterPassword": True,
        "masterPasswordSecretKmsKeyId": key_arn,
        "encrypted": "true",
        "kmsKeyId": key_arn,
        "enhancedVpcRouting": True,
        "publiclyAccessible": False,
        "port": 5439,
        "vpcSecurityGroupIds": [cr.one(SG).id],
        "clusterSubnetGroupName": cr.one("aws:redshift/subnetGroup:SubnetGroup").outputs["name"],
        "clusterParameterGroupName": cr.one("aws:redshift/parameterGroup:ParameterGroup").outputs["name"],
        "automatedSnapshotRetentionPeriod": 7,
        "preferredMaintenanceWindow": "sun:05:00-sun:06:00",
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "test-dev-wh-final",
        "iamRoles": [role_arn],
        "defaultIamRoleArn": role_arn,
        "availabilityZoneRelocationEnabled": True,
    }
    assert {k: cluster.inputs.get(k) for k in expected} == expected

    params = cr.one("aws:redshift/parameterGroup:ParameterGroup")
    assert params.inputs["family"] == "redshift-2.0"
    assert {p["name"]: p["value"] for p in params.inputs["parameters"]} == {
        "require_ssl": "true",
        "enable_user_activity_logging": "true",
    }
    logging = cr.one("aws:redshift/logging:Logging")
    assert logging.inputs == {
        "clusterIdentifier": "test-dev-wh",
        "logDestinationType": "cloudwatch",
        "logExports": ["connectionlog", "useractivitylog", "userlog"],
    }
    groups = cr.of_type(LOG_GROUP)
    assert sorted(g.inputs["name"] for g in groups) == [
        f"/aws/redshift/cluster/test-dev-wh/{t}" for t in ("connectionlog", "useractivitylog", "userlog")
    ]
    assert {g.inputs["kmsKeyId"] for g in groups} == {key_arn}
    assert {g.urn for g in groups} <= set(logging.dependencies)

    egress = cr.one(EGRESS)
    assert {k: egress.inputs.get(k) for k in ("prefixListId", "ipProtocol", "fromPort", "toPort")} == {
        "prefixListId": "pl-63a5400a",
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
    }
    assert "cidrIpv4" not in egress.inputs
    assert cr.one(INGRESS).inputs["fromPort"] == 5439

    role = cr.one(ROLE)
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "redshift.amazonaws.com"
    }
    inline = cr.one("aws:iam/rolePolicy:RolePolicy")
    assert inline.inputs["policy"] == LAKE_POLICY
    assert inline.inputs["role"] == role.id

    assert outputs(cr) == {
        "endpoint": cluster.outputs["dnsName"],
        "port": 5439,
        "database_name": "warehouse",
        "master_secret_arn": cluster.outputs["masterPasswordSecretArn"],
        "security_group_id": cr.one(SG).id,
        "kms_key_arn": key_arn,
    }
    assert outputs(cr)["master_secret_arn"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift!test-dev-wh-dp_admin-"
    )


def test_redshift_dev_config(tags: dict[str, str]) -> None:
    cr = make(WarehouseSettings.parse(DEV_REDSHIFT), tags, data_subnet_ids=["subnet-0a1"])
    assert cr.counts() == {
        KEY: 1,
        "aws:kms/alias:Alias": 1,
        SG: 1,
        INGRESS: 1,
        LOG_GROUP: 3,
        "aws:redshift/subnetGroup:SubnetGroup": 1,
        "aws:redshift/parameterGroup:ParameterGroup": 1,
        CLUSTER: 1,
        "aws:redshift/logging:Logging": 1,
    }
    assert_tagged(cr.children, tags)
    cluster = cr.one(CLUSTER)
    assert_protected(cluster, False)
    expected = {
        "clusterType": "single-node",
        "numberOfNodes": 1,
        "nodeType": "ra3.large",
        "enhancedVpcRouting": False,
        "automatedSnapshotRetentionPeriod": 1,
        "skipFinalSnapshot": False,
        "manageMasterPassword": True,
        "publiclyAccessible": False,
        "iamRoles": None,
        "defaultIamRoleArn": None,
        "availabilityZoneRelocationEnabled": False,
    }
    assert {k: cluster.inputs.get(k) for k in expected} == expected


def test_redshift_custom_port(tags: dict[str, str]) -> None:
    settings = WarehouseSettings(engine="redshift", database_name="analytics", redshift={"port": 8192})
    cr = make(settings, tags)
    assert cr.one(CLUSTER).inputs["port"] == 8192
    assert cr.one(INGRESS).inputs["fromPort"] == 8192
    assert cr.value(cr.component.port) == 8192
    assert cr.value(cr.component.database_name) == "analytics"


# --------------------------------------------------------------------------- no plaintext password


@pytest.mark.parametrize("engine", ["postgres", "redshift"])
def test_no_plaintext_password_in_any_input_or_output(tags: dict[str, str], engine: str) -> None:
    policy = LAKE_POLICY if engine == "redshift" else None
    cr = make(WarehouseSettings(engine=engine), tags, lake_read_policy_json=policy)

    def password_keys(value: Any, path: str = "") -> list[str]:
        found = []
        if isinstance(value, dict):
            for key, inner in value.items():
                if "password" in str(key).lower() and key not in ALLOWED_PASSWORD_KEYS:
                    found.append(f"{path}.{key}")
                found += password_keys(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                found += password_keys(inner, f"{path}[{index}]")
        return found

    offending = []
    for record in [cr.record, *cr.children]:
        offending += password_keys(record.inputs, f"{record.name}.inputs")
        offending += password_keys(record.outputs, f"{record.name}.outputs")
        assert record.inputs == record.masked_inputs, f"{record.name} was given a secret value"
    assert offending == []
    db = cr.one(INSTANCE if engine == "postgres" else CLUSTER)
    managed = "manageMasterUserPassword" if engine == "postgres" else "manageMasterPassword"
    assert db.inputs[managed] is True
    exposed = outputs(cr)
    assert [a for a in vars(cr.component) if "password" in a.lower()] == []
    assert all("password" not in str(v).lower() for v in exposed.values())


def test_settings_refuse_a_password() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse({"master_password": "hunter2"}, prefix="dataplatform:warehouse")
    assert "dataplatform:warehouse.master_password: unknown key" in str(err.value)


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
    assert maintenance_window_minutes("Sun:23:30-Mon:00:30") == (6 * 1440 + 23 * 60 + 30, 60)
    assert maintenance_window_minutes("mon:00:00-mon:00:30") == (0, 30)


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse(
            {"maintenance_window": "tue:03:30-tue:04:30", "postgres": {"backup_window": "03:00-04:00"}},
            prefix="dataplatform:warehouse",
        )
    text = str(err.value)
    assert "dataplatform:warehouse.postgres.backup_window: overlaps maintenance_window" in text
    assert "move one of them" in text


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
    text = str(err.value)
    assert "dataplatform:warehouse.engine" in text
    assert "'postgres' or 'redshift'" in text and "'mysql'" in text


@pytest.mark.parametrize("retention", [0, 6])
def test_production_needs_seven_days_of_backups(retention: int) -> None:
    with pytest.raises(InvalidConfigError) as err:
        WarehouseSettings.parse({"backup_retention_days": retention}, prefix="dataplatform:warehouse")
    text = str(err.value)
    assert "dataplatform:warehouse.backup_retention_days: production needs at least 7 days" in text
    assert "production: false" in text and f"(got {retention})" in text


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
    assert "w.redshift: settings for redshift are ignored with engine 'postgres'" in str(err.value)


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"master_username": "postgres"}, "master_username", "well-known admin name"),
        ({"master_username": "Admin-1"}, "master_username", "lowercase letters"),
        ({"database_name": "1db"}, "database_name", "starting with a letter"),
        ({"identifier": "My_DB"}, "identifier", "lowercase letters, digits and hyphens"),
        ({"identifier": "db--x"}, "identifier", "without '--'"),
        ({"log_retention_days": 10}, "log_retention_days", "use 365"),
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


# --------------------------------------------------------------------------- bad wiring


def test_multi_az_with_one_subnet_registers_nothing(tags: dict[str, str]) -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(WarehouseSettings(), tags, data_subnet_ids=["subnet-0a1"])
    issue = issues_of(err.value)["args.data_subnet_ids"]
    assert "at least 2 AZs" in issue and "pass the data subnets of 2+ AZs" in issue
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


def test_one_subnet_as_output_fails_before_the_database(tags: dict[str, str]) -> None:
    subnets = pulumi.Output.from_input(["subnet-0a1"])
    with pytest.raises(ValueError) as err:
        make(WarehouseSettings(), tags, data_subnet_ids=subnets)
    _mark_failed_futures_retrieved()
    assert "args.data_subnet_ids: RDS needs data subnets in at least 2 AZs" in str(err.value)
    registered = {r.type for r in err.value.recorded_run.resources}  # type: ignore[attr-defined]
    assert INSTANCE not in registered and "aws:rds/subnetGroup:SubnetGroup" not in registered


def _mark_failed_futures_retrieved() -> None:
    """The SDK leaves the failed registrations' futures unread; read them so asyncio does not
    log "Future exception was never retrieved" whenever they are collected (maybe at exit)."""
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
            obj.exception()


def test_subnets_as_output_are_passed_through(tags: dict[str, str]) -> None:
    cr = make(WarehouseSettings(), tags, data_subnet_ids=pulumi.Output.from_input(SUBNETS))
    assert cr.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"] == SUBNETS


@pytest.mark.parametrize(
    ("wiring", "path", "message"),
    [
        ({"data_subnet_ids": []}, "args.data_subnet_ids", "is empty"),
        ({"data_subnet_ids": "subnet-0a1"}, "args.data_subnet_ids", "not one"),
        ({"allowed_security_group_ids": "sg-1"}, "args.allowed_security_group_ids", "wrap a single id"),
        (
            {"allowed_security_group_ids": pulumi.Output.from_input(["sg-1"])},
            "args.allowed_security_group_ids",
            "one ingress rule is made per item",
        ),
        ({"lake_read_policy_json": LAKE_POLICY}, "args.lake_read_policy_json", "set engine: redshift"),
    ],
)
def test_bad_wiring(tags: dict[str, str], wiring: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(WarehouseSettings(), tags, **wiring)
    assert message in issues_of(err.value)[path]


def test_bad_tags_register_nothing(tags: dict[str, str]) -> None:
    del tags["Owner"]
    with pytest.raises(InvalidConfigError) as err:
        make(WarehouseSettings(), tags)
    assert "tags.Owner: required tag is missing" in str(err.value)
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]
