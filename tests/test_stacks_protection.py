"""Issue 25 in the plans: nothing stateful unprotected in prod, one owner per account singleton,
AWS Backup owning the warehouse's backup settings, KEDA's replicas, a Job's queue held for its run."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from components.stack_account import StackFacts, other_stack_files, singleton_issues
from dpengine.engine import EngineError, StackRun, run_program
from policies.system.protection import STATEFUL_TYPES

ROOT = Path(__file__).resolve().parent.parent


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


def bad(overrides: dict[str, object], stack_name: str = "dev") -> list[tuple[str, str]]:
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    with pytest.raises(EngineError) as err:
        run_program(ROOT, stack_name, config_overrides=config)
    assert err.value.kind == "config"
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return [(issue.path, issue.message) for issue in err.value.error.issues]  # type: ignore[union-attr]


# --------------------------------------------------------------------------- nothing stateful unprotected


def test_every_stateful_resource_of_prod_is_protected_and_retained() -> None:
    prod = stack("prod")
    stateful = [r for r in prod.resources if r.type in STATEFUL_TYPES]
    assert Counter(r.type for r in stateful) == {
        "aws:athena/workgroup:Workgroup": 1,
        "aws:backup/vault:Vault": 2,
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration": 2,
        "aws:cloudwatch/logGroup:LogGroup": 8,
        "aws:ecr/repository:Repository": 3,
        "aws:glue/catalogDatabase:CatalogDatabase": 3,
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": 1,
        "aws:kms/key:Key": 15,
        "aws:rds/instance:Instance": 1,
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": 1,
        "aws:s3/bucket:Bucket": 6,
        "aws:s3/bucketVersioning:BucketVersioning": 6,
        "aws:sqs/queue:Queue": 3,
    }
    assert [(r.type, r.name) for r in stateful if not (r.protect and r.retain_on_delete)] == []


def test_the_resources_the_review_found_unprotected_are_kept_in_prod() -> None:
    prod = stack("prod")
    kept = {r.name for r in prod.resources if r.protect and r.retain_on_delete}
    assert {
        "stream-consumer-queue",
        "stream-consumer-dlq",
        "stream-consumer-queue-key",
        "eks-karpenter-interruption",
        "eks-cluster-logs",
        "eks-insights-application",
        "eks-insights-dataplane",
        "eks-insights-host",
        "eks-insights-performance",
        "warehouse-log-postgresql",
        "warehouse-log-upgrade",
        "ops-rds-backups-dr",
        "catalog-encryption",
        "lake-lake-versioning",
        "lake-logs-versioning",
        "analytics-results-versioning",
        "dr-lake-versioning",
    } <= kept


def test_dev_keeps_nothing_so_it_can_be_torn_down() -> None:
    assert [r.name for r in stack("dev").resources if r.protect or r.retain_on_delete] == []


def test_prod_refuses_an_unprotected_queue() -> None:
    prod = yaml_section("prod", "services")
    prod[1]["queue"]["deletion_protection"] = False
    assert bad({"dataplatform:services": prod}, "prod") == [
        (
            "dataplatform:services[1].queue.deletion_protection",
            "must be true in prod so a destroy, a replace or a rename cannot lose the messages waiting in "
            "the queue and its dead-letter queue; remove the override",
        )
    ]


# --------------------------------------------------------------------------- one owner per singleton


def test_prod_owns_the_catalog_encryption_and_dev_reads_its_key() -> None:
    prod, dev = stack("prod"), stack("dev")
    settings = prod.one("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings")
    encryption = settings.inputs["dataCatalogEncryptionSettings"]["encryptionAtRest"]
    assert encryption["catalogEncryptionMode"] == "SSE-KMS"
    assert encryption["sseAwsKmsKeyId"] == prod.one("aws:kms/key:Key", "catalog-key").outputs["arn"]
    assert dev.by_type("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings") == []
    assert [r.name for r in dev.by_type("aws:kms/key:Key") if r.name.startswith("catalog")] == []
    # The services' catalog policies name the key the account's settings use (read, not made).
    owner_key = "arn:aws:kms:eu-west-1:"
    policies = [
        json.loads(r.inputs["policy"])
        for r in dev.by_type("aws:iam/rolePolicy:RolePolicy")
        if "CatalogRead" in r.inputs["policy"]
    ]
    keys = {s["Resource"] for p in policies for s in p["Statement"] if s["Sid"] == "UseCatalogKeyThroughGlue"}
    assert len(keys) == 1 and next(iter(keys)).startswith(owner_key)


def test_a_second_owner_of_the_catalog_encryption_is_refused_naming_both() -> None:
    catalog = {"database_prefix": "dataplatform_dev", "deletion_protection": False}
    [(path, message)] = bad({"dataplatform:catalog": {**catalog, "manage_encryption_settings": True}})
    assert path == "dataplatform:catalog.manage_encryption_settings"
    assert message.startswith(
        "the Glue Data Catalog encryption settings are one per account and region, and stack 'dev' and "
        "stack 'prod' (Pulumi.prod.yaml) would both manage them in eu-west-1, an account not declared by "
        "both (aws:allowedAccountIds), so possibly the same one;"
    )
    assert "set catalog.manage_encryption_settings: false in the others" in message
    # The default (no key at all) makes dev an owner too.
    assert [p for p, _ in bad({"dataplatform:catalog": catalog})] == [path]


def facts(
    name: str, region: str = "eu-west-1", accounts: list[str] | None = None, owns: bool = True
) -> StackFacts:
    return StackFacts(
        name=name,
        region=region,
        accounts=frozenset(accounts) if accounts else None,
        sections={"catalog": {"manage_encryption_settings": owns}},
        file=f"Pulumi.{name}.yaml",
    )


def test_owners_in_different_accounts_or_regions_or_non_owners_are_fine() -> None:
    dev = facts("dev", accounts=["111111111111"])
    assert singleton_issues(dev, [facts("prod", accounts=["222222222222"])]) == []
    assert singleton_issues(dev, [facts("prod", region="eu-central-1")]) == []
    assert singleton_issues(dev, [facts("prod", owns=False)]) == []
    assert singleton_issues(facts("dev", owns=False), [facts("prod")]) == []
    same = singleton_issues(dev, [facts("prod", accounts=["111111111111"])])
    assert [i.path for i in same] == ["dataplatform:catalog.manage_encryption_settings"]
    assert "in eu-west-1, the same account;" in same[0].message


def test_other_stack_files_are_read_from_the_stack_config_dir(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: config\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  aws:allowedAccountIds: ['111111111111']\n"
        "  dataplatform:environment: prod\n"
    )
    (tmp_path / "config" / "Pulumi.dev.yaml").write_text("config:\n  dataplatform:environment: dev\n")
    # Not a dataplatform stack (another program's): ignored.
    (tmp_path / "config" / "Pulumi.tools.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    [prod] = other_stack_files(tmp_path, "dev")
    assert (prod.name, prod.region, prod.accounts, prod.file) == (
        "prod",
        "eu-west-1",
        frozenset({"111111111111"}),
        "Pulumi.prod.yaml",
    )
    # The default of the switch is to own the settings.
    assert singleton_issues(facts("dev", accounts=["111111111111"]), [prod])[0].path.endswith(
        "manage_encryption_settings"
    )


# --------------------------------------------------------------------------- backups, KEDA, Job queues


def test_aws_backup_owns_the_warehouse_backup_retention_and_window() -> None:
    for name, days in (("prod", 35), ("dev", 7)):
        db = stack(name).one("aws:rds/instance:Instance")
        assert db.inputs["backupRetentionPeriod"] == days
        assert db.ignore_changes == ["backupRetentionPeriod", "backupWindow"]
    # An explicit other value does not fight AWS Backup: the rule's retention is the instance's.
    warehouse = {**yaml_section("prod", "warehouse"), "backup_retention_days": 14}
    run = run_program(ROOT, "prod", config_overrides={"dataplatform:warehouse": json.dumps(warehouse)})
    assert run.one("aws:rds/instance:Instance").inputs["backupRetentionPeriod"] == 35


def test_keda_runs_two_of_each_with_a_disruption_budget_in_prod_and_one_in_dev() -> None:
    def values(name: str) -> dict:
        release = next(
            r for r in stack(name).by_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "keda"
        )
        return release.inputs["values"]

    prod = values("prod")
    assert (
        prod["operator"]["replicaCount"],
        prod["metricsServer"]["replicaCount"],
        prod["webhooks"]["replicaCount"],
    ) == (2, 2, 2)
    assert prod["podDisruptionBudget"] == {
        "operator": {"maxUnavailable": 1},
        "metricServer": {"maxUnavailable": 1},
        "webhooks": {"maxUnavailable": 1},
    }
    dev = values("dev")
    assert (dev["operator"], dev["metricsServer"], dev["webhooks"]) == (
        {"replicaCount": 1},
        {"replicaCount": 1},
        {"replicaCount": 1},
    )
    assert "podDisruptionBudget" not in dev


def test_dev_batch_job_holds_its_message_for_its_deadline_and_counts_it_once() -> None:
    dev = stack("dev")
    queue = dev.one("aws:sqs/queue:Queue", "batch-worker-queue")
    job = dev.one("kubernetes:keda.sh/v1alpha1:ScaledJob")
    deadline = job.inputs["spec"]["jobTargetRef"]["activeDeadlineSeconds"]
    assert queue.inputs["visibilityTimeoutSeconds"] >= deadline == 3600
    assert job.inputs["spec"]["scalingStrategy"] == {"strategy": "accurate"}
    [trigger] = job.inputs["spec"]["triggers"]
    assert trigger["metadata"]["scaleOnInFlight"] == "false"


def test_a_job_queue_hidden_less_than_the_deadline_or_counted_twice_is_refused() -> None:
    services = yaml_section("dev", "services")
    services[2]["queue"]["visibility_timeout_seconds"] = 60
    services[2]["scaled_job"]["triggers"][0].pop("scale_on_in_flight")
    assert bad({"dataplatform:services": services}) == [
        (
            "dataplatform:services[2].queue.visibility_timeout_seconds",
            "is below job.active_deadline_seconds (3600): a message would be delivered again while its Job "
            "still runs; set queue.visibility_timeout_seconds to 3600 or more (SQS allows up to 43200), or "
            "shorten the deadline",
        ),
        (
            "dataplatform:services[2].scaled_job.triggers[0].scale_on_in_flight",
            "counts the messages running Jobs hold, and scaling_strategy 'accurate' does not subtract "
            "running Jobs, so each is counted twice; set scale_on_in_flight: false (what 'accurate' "
            "expects), or use scaling_strategy: default",
        ),
    ]


def yaml_section(stack_name: str, section: str) -> list | dict:
    import yaml

    data = yaml.safe_load((ROOT / f"Pulumi.{stack_name}.yaml").read_text())
    value = data["config"][f"dataplatform:{section}"]
    return json.loads(json.dumps(value))


def test_the_pack_refuses_prod_when_one_stateful_resource_loses_its_protection() -> None:
    import dataclasses

    import policies
    from dpengine.check import evaluate, load_config
    from dpengine.pack import PolicyPackSpec

    prod = stack("prod")
    # The same plan, with the audit log group unprotected as the review found it.
    records = [
        dataclasses.replace(r, protect=False, retain_on_delete=False) if r.name == "eks-cluster-logs" else r
        for r in prod.resources
    ]
    report = evaluate(
        dataclasses.replace(prod, resources=records),
        PolicyPackSpec.from_module(policies),
        load_config(ROOT / "policies" / "prod.json"),
    )
    assert [(v.policy, v.name, v.enforcement) for v in report.violations] == [
        ("stateful-resource-protection", "eks-cluster-logs", "mandatory")
    ]
