"""Operations in both stacks: alerts, alarms, budget, backups, DR region; and their bad settings."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import policies
from benchmarks.criticalpath import build_graph, critical_path, longest_path
from dpengine.check import evaluate, load_config
from dpengine.engine import OFFLINE_SECRET, EngineError, ResourceRecord, StackRun, run_program
from dpengine.pack import PolicyPackSpec
from dpengine.testing import assert_tagged

ROOT = Path(__file__).resolve().parent.parent
PACK = PolicyPackSpec.from_module(policies)
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DR_PROVIDER = "pulumi:providers:aws"


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


def tags_of(name: str) -> dict[str, str]:
    return {
        "Environment": name,
        "Project": "dataplatform",
        "Owner": "platform-team",
        "CostCenter": "cc-1234",
        "ManagedBy": "pulumi",
    }


def ops_children(run: StackRun, component: str) -> list[ResourceRecord]:
    parent = run.one(f"dataplatform:operations:{component}").urn
    return [r for r in run.resources if r.parent == parent]


def counts(records: list[ResourceRecord]) -> dict[str, int]:
    result: dict[str, int] = {}
    for record in records:
        result[record.type] = result.get(record.type, 0) + 1
    return result


def alarm(run: StackRun, key: str) -> dict[str, Any]:
    return run.one(ALARM, f"ops-alarm-{key}").inputs


# --------------------------------------------------------------------------- dev


def test_dev_operations_exact() -> None:
    run = stack("dev")
    ops = ops_children(run, "Operations")
    assert counts(ops) == {
        "aws:kms/key:Key": 2,  # alerts, backup vault
        "aws:sns/topic:Topic": 1,
        "aws:sns/topicPolicy:TopicPolicy": 1,
        "aws:sns/topicSubscription:TopicSubscription": 1,
        # RDS 4, NAT 2 (one gateway), queues 2 x (age + dead letters), cluster 4
        ALARM: 14,
        "aws:budgets/budget:Budget": 1,
        "aws:backup/vault:Vault": 1,
        "aws:backup/vaultNotifications:VaultNotifications": 1,
        "aws:backup/plan:Plan": 1,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 4,
        "aws:backup/selection:Selection": 1,
    }
    assert run.by_type("dataplatform:operations:DisasterRecovery") == []
    assert run.by_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []
    assert_tagged(ops, tags_of("dev"))
    # Dev tears down: nothing here is protected.
    assert not any(r.protect or r.retain_on_delete for r in ops)

    topic = run.one("aws:sns/topic:Topic", "ops-alerts")
    key = run.one("aws:kms/key:Key", "ops-alerts-key")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    key_policy = json.loads(key.inputs["policy"])
    publishers = next(s for s in key_policy["Statement"] if s["Sid"] == "AlertPublishersEncrypt")
    assert publishers["Principal"]["Service"] == [
        "backup.amazonaws.com",
        "budgets.amazonaws.com",
        "cloudwatch.amazonaws.com",
    ]
    assert publishers["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    topic_policy = json.loads(run.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    assert [s["Sid"] for s in topic_policy["Statement"]] == [
        "AccountManagesTopic",
        "AlertPublishersPublish",
        "DenyInsecureTransport",
    ]
    # The on-call address is a secure config value: secret in the plan (offline it reads as a stand-in).
    record = run.one("aws:sns/topicSubscription:TopicSubscription")
    assert record.inputs["protocol"] == "email"
    assert record.inputs["endpoint"] == OFFLINE_SECRET
    assert record.masked_inputs["endpoint"] == "[secret]"

    budget = run.one("aws:budgets/budget:Budget").inputs
    assert budget["limitAmount"] == "1500.00"
    assert budget["costFilters"] == [{"name": "TagKeyValue", "values": ["user:Environment$dev"]}]
    assert [(n["notificationType"], n["threshold"]) for n in budget["notifications"]] == [
        ("ACTUAL", 80.0),
        ("ACTUAL", 100.0),
        ("FORECASTED", 100.0),
    ]
    assert {tuple(n["subscriberSnsTopicArns"]) for n in budget["notifications"]} == {(topic.outputs["arn"],)}

    (rule,) = run.one("aws:backup/plan:Plan").inputs["rules"]
    assert rule["ruleName"] == "daily"
    assert rule["enableContinuousBackup"] is True
    assert rule["lifecycle"] == {"deleteAfter": 7}
    assert "copyActions" not in rule  # no DR region in dev
    selection = run.one("aws:backup/selection:Selection").inputs
    db = run.one("aws:rds/instance:Instance")
    lake = run.one("aws:s3/bucket:Bucket", "lake-lake")
    assert selection["resources"] == [db.outputs["arn"], lake.outputs["arn"]]
    policies_attached = sorted(
        r.inputs["policyArn"]
        for r in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("ops-backup-role")
    )
    assert policies_attached == [
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]


def test_dev_alarms_thresholds_and_dimensions() -> None:
    run = stack("dev")
    topic_arn = run.one("aws:sns/topic:Topic", "ops-alerts").outputs["arn"]
    db = run.one("aws:rds/instance:Instance").inputs["identifier"]
    gt, lt, ci = "GreaterThanThreshold", "LessThanThreshold", "ContainerInsights"
    rds = {"DBInstanceIdentifier": db}
    cluster = {"ClusterName": "eks-dev"}
    expected = {
        "db-cpu": ("AWS/RDS", "CPUUtilization", "Average", gt, 80, rds),
        "db-storage": ("AWS/RDS", "FreeStorageSpace", "Minimum", lt, 10 * 1024**3, rds),
        "db-memory": ("AWS/RDS", "FreeableMemory", "Minimum", lt, 256 * 1024**2, rds),
        "db-connections": ("AWS/RDS", "DatabaseConnections", "Maximum", gt, 300, rds),
        "stream-consumer-dev-age": ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", gt, 900,
                                    {"QueueName": "stream-consumer-dev"}),
        "stream-consumer-dev-dlq-messages": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                                             gt, 0,
                                             {"QueueName": "stream-consumer-dev-dlq"}),
        "batch-worker-dev-dlq-messages": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", gt, 0,
                                          {"QueueName": "batch-worker-dev-dlq"}),
        "nodes-cpu": (ci, "node_cpu_utilization", "Average", gt, 80, cluster),
        "nodes-memory": (ci, "node_memory_utilization", "Average", gt, 85, cluster),
        "nodes-failed": (ci, "cluster_failed_node_count", "Maximum", gt, 0, cluster),
    }  # fmt: skip
    for key, (namespace, metric, statistic, comparison, threshold, dimensions) in expected.items():
        inputs = alarm(run, key)
        got = (inputs["namespace"], inputs["metricName"], inputs["statistic"], inputs["comparisonOperator"])
        assert got == (namespace, metric, statistic, comparison), key
        assert inputs["threshold"] == threshold, key
        assert inputs["dimensions"] == dimensions, key
        assert inputs["period"] == 300
        assert inputs["alarmActions"] == [topic_arn] and inputs["okActions"] == [topic_arn]
    # Dead letters alarm at once; the rest after 3 periods.
    assert alarm(run, "stream-consumer-dev-dlq-messages")["evaluationPeriods"] == 1
    assert alarm(run, "db-cpu")["evaluationPeriods"] == 3
    nat = run.one("aws:ec2/natGateway:NatGateway")
    assert alarm(run, "nat-1-port-allocation")["dimensions"] == {"NatGatewayId": nat.id}
    assert alarm(run, "nat-1-packets-dropped")["metricName"] == "PacketsDropCount"
    restarts = alarm(run, "pod-restarts")
    assert restarts["metricQueries"] == [
        {
            "id": "q1",
            "expression": "SELECT SUM(pod_number_of_container_restarts) FROM SCHEMA(ContainerInsights, "
            "ClusterName, Namespace, PodName) WHERE ClusterName = 'eks-dev'",
            "label": "pod-restarts",
            "period": 300,
            "returnData": True,
        }
    ]
    assert "metricName" not in restarts and restarts["threshold"] == 5


# --------------------------------------------------------------------------- prod


def test_prod_disaster_recovery_region_resources() -> None:
    run = stack("prod")
    dr = ops_children(run, "DisasterRecovery")
    provider = run.one(DR_PROVIDER, "dr-provider")
    assert provider.inputs["region"] == "eu-central-1"
    dr_resources = [r for r in dr if r.type != DR_PROVIDER]
    assert counts(dr_resources) == {
        "aws:kms/key:Key": 2,
        # The replica and its access-log bucket in the DR region (tests/test_access_logs.py).
        "aws:s3/bucket:Bucket": 2,
        "aws:s3/bucketLogging:BucketLogging": 1,
        "aws:s3/bucketVersioning:BucketVersioning": 2,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 2,
        "aws:s3/bucketPolicy:BucketPolicy": 2,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
        "aws:backup/vault:Vault": 1,
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration": 1,
    }
    # Every DR-region resource goes through the DR provider, lives in that region and carries the tags.
    replication = run.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    for record in [*dr_resources, replication]:
        assert record.provider is not None and record.provider.startswith(provider.urn + "::"), record.name
    for record in dr_resources:
        if "arn" in record.outputs and record.type != "aws:s3/bucket:Bucket":
            assert ":eu-central-1:" in record.outputs["arn"], record.name
    assert_tagged(dr_resources, tags_of("prod"))
    # Stateful and protected: the bucket and its versioning, the vault (and its lock), the keys.
    protected = sorted(r.name for r in dr_resources if r.protect and r.retain_on_delete)
    assert protected == [
        "dr-backup-key",
        "dr-lake",
        "dr-lake-key",
        "dr-lake-logs",
        "dr-lake-logs-versioning",
        "dr-lake-versioning",
        "dr-vault",
        "dr-vault-lock",
    ]
    bucket = run.one("aws:s3/bucket:Bucket", "dr-lake")
    assert bucket.inputs["forceDestroy"] is False

    lake_key = run.one("aws:kms/key:Key", "dr-lake-key")
    encryption = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "dr-lake-encryption",
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "kmsMasterKeyId": lake_key.outputs["arn"],
        "sseAlgorithm": "aws:kms",
    }
    assert rule["bucketKeyEnabled"] is True
    assert lake_key.inputs["enableKeyRotation"] is True
    statements = json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy", "dr-lake-policy").inputs["policy"])
    assert [s["Sid"] for s in statements["Statement"]] == ["DenyInsecureTransport", "DenyOutdatedTls"]

    # The lake replicates there: re-encrypted with the DR key, delete markers, 15-minute RTC.
    (config,) = run.by_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    (replication_rule,) = config.inputs["rules"]
    destination = replication_rule["destination"]
    assert destination["bucket"] == bucket.outputs["arn"]
    assert destination["encryptionConfiguration"] == {"replicaKmsKeyId": lake_key.outputs["arn"]}
    assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert replication_rule["deleteMarkerReplication"] == {"status": "Enabled"}
    # It waits for the replica's versioning (through the ARN), not for anything else of the DR branch.
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning", "dr-lake-versioning")
    assert versioning.urn in config.dependencies

    # RDS automated backups: replicated into the DR region with the DR vault's key, 14 days.
    backup_key = run.one("aws:kms/key:Key", "dr-backup-key")
    assert replication.inputs == {
        "kmsKeyId": backup_key.outputs["arn"],
        "retentionPeriod": 14,
        "sourceDbInstanceArn": run.one("aws:rds/instance:Instance").outputs["arn"],
    }
    assert ":eu-central-1:" in backup_key.outputs["arn"]


def test_prod_backup_plan_copies_to_the_locked_dr_vault() -> None:
    run = stack("prod")
    dr_vault = run.one("aws:backup/vault:Vault", "dr-vault")
    vault = run.one("aws:backup/vault:Vault", "ops-vault")
    assert vault.protect and vault.retain_on_delete and vault.inputs["forceDestroy"] is False
    assert vault.inputs["kmsKeyArn"] == run.one("aws:kms/key:Key", "ops-backup-key").outputs["arn"]
    for name in ("ops-vault-lock", "dr-vault-lock"):
        lock = run.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration", name).inputs
        assert (lock["minRetentionDays"], lock["maxRetentionDays"], lock["changeableForDays"]) == (7, 400, 3)
    rules = run.one("aws:backup/plan:Plan").inputs["rules"]
    assert [(r["ruleName"], r["enableContinuousBackup"], r["lifecycle"]) for r in rules] == [
        ("daily", True, {"deleteAfter": 35}),
        ("monthly", False, {"deleteAfter": 365}),
    ]
    assert [r["copyActions"] for r in rules] == [
        [{"destinationVaultArn": dr_vault.outputs["arn"], "lifecycle": {"deleteAfter": 35}}],
        [{"destinationVaultArn": dr_vault.outputs["arn"], "lifecycle": {"deleteAfter": 365}}],
    ]
    # The plan writes into the vault only once it is locked.
    plan = run.one("aws:backup/plan:Plan")
    assert run.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "ops-vault-lock").urn in (
        plan.dependencies
    )
    assert len(run.by_type(ALARM)) == 4 + 6 + 2 + 4  # RDS, 3 NAT gateways, one created queue, cluster
    assert alarm(run, "db-connections")["threshold"] == 1400


def test_prod_cluster_logs_everything_and_runs_container_insights() -> None:
    run = stack("prod")
    cluster = run.one("eks:index:Cluster")
    assert cluster.inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    addon = run.one("aws:eks/addon:Addon", "eks-amazon-cloudwatch-observability")
    assert addon.inputs["addonName"] == "amazon-cloudwatch-observability"
    role = run.one("aws:iam/role:Role", "eks-cloudwatch-agent-irsa")
    assert addon.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (condition,) = [s["Condition"]["StringEquals"] for s in trust["Statement"]]
    assert "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent" in condition.values()
    key = run.one("aws:kms/key:Key", "eks-insights-key")
    groups = {
        r.inputs["name"]: r for r in run.by_type("aws:cloudwatch/logGroup:LogGroup") if "insights" in r.name
    }
    assert {name: (g.inputs["retentionInDays"], g.inputs["kmsKeyId"]) for name, g in groups.items()} == {
        "/aws/containerinsights/eks-prod/application": (90, key.outputs["arn"]),
        "/aws/containerinsights/eks-prod/dataplane": (90, key.outputs["arn"]),
        "/aws/containerinsights/eks-prod/host": (90, key.outputs["arn"]),
        "/aws/containerinsights/eks-prod/performance": (30, key.outputs["arn"]),
    }
    assert {g.urn for g in groups.values()} <= set(addon.dependencies)
    # The agent operator (a Deployment) tolerates and prefers the system nodes; the DaemonSets keep the
    # chart's tolerate-everything default.
    assert json.loads(addon.inputs["configurationValues"]) == {
        "containerLogs": {"enabled": True},
        "manager": {
            "tolerations": [
                {"effect": "NoSchedule", "key": "CriticalAddonsOnly", "operator": "Equal", "value": "true"}
            ],
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "preference": {
                                "matchExpressions": [
                                    {"key": "dataplatform.io/pool", "operator": "In", "values": ["system"]}
                                ]
                            },
                        }
                    ]
                }
            },
        },
    }
    assert key.protect and key.retain_on_delete


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_operations_pass_the_policy_pack(name: str) -> None:
    run = stack(name)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / f"{name}.json"))
    ours = {
        r.urn
        for r in run.resources
        if r.name.startswith(("ops", "dr-", "eks-insights", "eks-cloudwatch", "eks-amazon-cloudwatch"))
    }
    assert ours  # the names the filter looks for exist
    assert [v for v in report.violations if v.urn in ours] == []
    # The DR lake's access-log bucket is SSE-S3 as every log bucket (exempted by config, named).
    exempted = [(e.policy, e.name) for e in report.exemptions if e.urn in ours]
    assert exempted == ([("s3-bucket-sse-kms", "dr-lake-logs-encryption")] if name == "prod" else [])


def test_dr_branch_runs_in_parallel_with_the_rest() -> None:
    """The DR region's resources wait for nothing outside their branch, so the critical path is the same
    as without them and goes through none of them."""
    run = stack("prod")
    dr_parent = run.one("dataplatform:operations:DisasterRecovery").urn
    dr_urns = {r.urn for r in run.resources if r.parent == dr_parent}
    graph = build_graph(run.resources)
    for urn in dr_urns & set(graph.nodes):
        outside = {dep for dep in graph.waits_for[urn] if dep not in dr_urns}
        assert outside == set(), graph.nodes[urn].name
    path = critical_path(run.resources)
    assert not {step.name for step in path.estimate.steps} & {
        graph.nodes[u].name for u in dr_urns if u in graph.nodes
    }
    assert path.nothing_serialized
    # Without the DR branch (and what only it feeds: the lake replication), the estimate is unchanged.
    kept = [r for r in run.resources if r.urn not in dr_urns]
    assert longest_path(build_graph(kept)).seconds == path.estimate.seconds
    dr_alone = longest_path(build_graph([r for r in run.resources if r.urn in dr_urns]))
    assert 0 < dr_alone.seconds < path.estimate.seconds / 10


# --------------------------------------------------------------------------- bad settings


def bad(overrides: dict[str, object], stack_name: str = "dev") -> list[tuple[str, str]]:
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    with pytest.raises(EngineError) as err:
        run_program(ROOT, stack_name, config_overrides=config)
    assert err.value.kind == "config"
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return [(issue.path, issue.message) for issue in err.value.error.issues]  # type: ignore[union-attr]


PROD_OPS = {
    "backup": {
        "rules": [
            {"name": "daily", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 35, "continuous": True}
        ],
        "vault_lock": {"min_retention_days": 7, "max_retention_days": 400},
    },
    "disaster_recovery": {"region": "eu-central-1"},
}


def test_invalid_email_subscription_names_its_key_and_the_fix() -> None:
    ops = {"alerts": {"subscriptions": [{"protocol": "email", "endpoint": "oncall-at-example.com"}]}}
    assert bad({"dataplatform:operations": ops}) == [
        (
            "dataplatform:operations.alerts.subscriptions[0].endpoint",
            "is not an email address; write e.g. 'oncall@example.com'",
        )
    ]


def test_dr_region_equal_to_the_primary_is_refused() -> None:
    ops = {**PROD_OPS, "disaster_recovery": {"region": "eu-west-1"}}
    ((path, message),) = bad({"dataplatform:operations": ops}, "prod")
    assert path == "dataplatform:operations.disaster_recovery.region"
    assert message.startswith("is the stack's own region (aws:region eu-west-1)")
    assert "use another one, e.g. eu-central-1" in message


def test_copy_retention_outside_the_vault_lock_is_refused() -> None:
    rule = {
        "name": "daily",
        "schedule": "cron(0 3 * * ? *)",
        "delete_after_days": 30,
        "copy_delete_after_days": 3,
    }
    ops = {**PROD_OPS, "backup": {**PROD_OPS["backup"], "rules": [rule]}}
    ((path, message),) = bad({"dataplatform:operations": ops}, "prod")
    assert path == "dataplatform:operations.backup.rules[0].copy_delete_after_days"
    assert "retention must be within vault_lock.min_retention_days..max_retention_days (7..400)" in message


def test_continuous_retention_and_prod_lock_and_lake_replication_without_dr() -> None:
    rule = {"name": "daily", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 60, "continuous": True}
    assert bad({"dataplatform:operations": {"backup": {"rules": [rule]}}}) == [
        (
            "dataplatform:operations.backup.rules[0].delete_after_days",
            "continuous backups are kept at most 35 days; lower it, or set continuous: false and keep the "
            "longer history in a snapshot rule",
        )
    ]
    issues = dict(bad({"dataplatform:operations": {"disaster_recovery": None, "backup": {}}}, "prod"))
    assert sorted(issues) == [
        "dataplatform:lake.replication.enabled",
        "dataplatform:operations.backup.vault_lock",
    ]
    assert issues["dataplatform:lake.replication.enabled"].endswith("set operations.disaster_recovery.region")
