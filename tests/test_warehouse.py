"""Warehouse: RDS PostgreSQL or Redshift, secure by default, under mocks."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import pulumi
import pytest

from components._shared import KMS_DELETION_WINDOW_DAYS
from components._validation import InvalidConfigError
from components.warehouse import (
    PostgresSettings,
    Warehouse,
    WarehouseArgs,
    WarehouseSettings,
)
from dpengine.engine import ResourceRecord
from dpengine.mocks import PlatformMocks
from dpengine.testing import ComponentRun, assert_tagged, run_component

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:redshift/cluster:Cluster"
KEY = "aws:kms/key:Key"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
PREFIX_LIST = "aws:ec2/getManagedPrefixList:getManagedPrefixList"
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
    assert key.inputs["deletionWindowInDays"] == KMS_DELETION_WINDOW_DAYS
    assert_protected(key, True)
    alias = cr.one("aws:kms/alias:Alias")
    assert (alias.inputs["name"], alias.inputs["targetKeyId"]) == ("alias/test-dev-wh", key.outputs["keyId"])
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
        "port": db.outputs["port"],
        "database_name": db.outputs["dbName"],
        "master_secret_arn": db.outputs["masterUserSecrets"][0]["secretArn"],
        "security_group_id": cr.one(SG).id,
        "kms_key_arn": key_arn,
    }
    # The endpoint is the host name alone: clients add the port themselves.
    assert outputs(cr)["endpoint"] != db.outputs["endpoint"]


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
    assert {k: egress.inputs.get(k) for k in ("securityGroupId", "ipProtocol", "fromPort", "toPort")} == {
        "securityGroupId": cr.one(SG).id,
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
    }
    # HTTPS to the regional S3 prefix list only, never to an address range.
    lookups = [args for token, args in cr.run.invokes if token == PREFIX_LIST]
    assert lookups == [{"name": "com.amazonaws.us-east-1.s3"}]
    answer, _ = PlatformMocks().call(pulumi.runtime.MockCallArgs(PREFIX_LIST, lookups[0], ""))
    assert egress.inputs["prefixListId"] == answer["id"]
    assert not {"cidrIpv4", "cidrIpv6", "referencedSecurityGroupId"} & set(egress.inputs)
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
        "port": int(cluster.outputs["port"]),
        "database_name": cluster.outputs["databaseName"],
        "master_secret_arn": cluster.outputs["masterPasswordSecretArn"],
        "security_group_id": cr.one(SG).id,
        "kms_key_arn": key_arn,
    }
    assert type(outputs(cr)["port"]) is int


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
    # The security group opens the engine's port, and nothing else.
    (rule,) = cr.of_type(INGRESS)
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (8192, 8192)
    assert cr.one(CLUSTER).inputs["databaseName"] == "analytics"


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


@pytest.mark.parametrize(
    "key", ["alias/warehouse", "arn:aws:kms:us-east-1:123456789012:alias/warehouse", "1234abcd-12ab-34cd"]
)
def test_given_key_must_be_a_key_arn(tags: dict[str, str], key: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(WarehouseSettings(), tags, kms_key_arn=key)
    (issue,) = err.value.issues
    assert (issue.path, issue.value) == ("args.kms_key_arn", key)
    assert issue.message.startswith("must be a KMS key ARN")
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


def test_bad_tags_register_nothing(tags: dict[str, str]) -> None:
    del tags["Owner"]
    with pytest.raises(InvalidConfigError) as err:
        make(WarehouseSettings(), tags)
    assert [i.path for i in err.value.issues] == ["tags.Owner"]
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


def test_connecting_services_get_their_own_user_and_the_address_never_the_secret(
    tags: dict[str, str],
) -> None:
    cr = make(WarehouseSettings(), tags)
    wh = cr.component
    db = cr.one("aws:rds/instance:Instance")
    secret_arn = db.outputs["masterUserSecrets"][0]["secretArn"]
    assert cr.value(wh.resource_id) == db.outputs["resourceId"]
    policy = json.loads(cr.value(wh.access_policy("etl_writer")))
    assert policy["Statement"] == [
        {
            "Sid": "ConnectAsDatabaseUser",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{db.outputs['resourceId']}/etl_writer",
        }
    ]
    assert secret_arn not in json.dumps(policy)
    environment = {
        k: cr.value(v) if isinstance(v, pulumi.Output) else v
        for k, v in wh.connection_environment("write", "etl_writer").items()
    }
    assert environment == {
        "WAREHOUSE_ENGINE": "postgres",
        "WAREHOUSE_HOST": db.outputs["address"],
        "WAREHOUSE_PORT": "5432",
        "WAREHOUSE_DATABASE": "warehouse",
        "WAREHOUSE_USER": "etl_writer",
        "WAREHOUSE_ACCESS": "write",
    }


def test_a_postgres_database_user_needs_iam_authentication_redshift_uses_cluster_credentials(
    tags: dict[str, str],
) -> None:
    settings = WarehouseSettings(postgres=PostgresSettings(iam_database_authentication=False))
    cr = make(settings, tags)
    with pytest.raises(InvalidConfigError) as err:
        cr.component.access_policy("etl_writer")
    assert [issue.path for issue in err.value.issues] == ["database_user"]
    redshift = make(
        WarehouseSettings(engine="redshift", production=False, deletion_protection=False), tags, name="rs"
    )
    assert redshift.component.resource_id is None
    [statement] = json.loads(redshift.value(redshift.component.access_policy("reader")))["Statement"]
    identifier = redshift.component.identifier
    prefix = "arn:aws:redshift:us-east-1:123456789012"
    assert statement == {
        "Sid": "TemporaryCredentialsAsDatabaseUser",
        "Effect": "Allow",
        "Action": "redshift:GetClusterCredentials",
        "Resource": [f"{prefix}:dbname:{identifier}/warehouse", f"{prefix}:dbuser:{identifier}/reader"],
    }
    environment = redshift.component.connection_environment("read", "reader")
    assert environment["WAREHOUSE_CLUSTER"] == identifier
