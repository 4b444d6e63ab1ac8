"""The components' side of issue 25: protection flags per child, the catalog that reads its
singleton's owner, the warehouse under AWS Backup, a Job's queue, KEDA's chart values."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components._validation import InvalidConfigError
from components.catalog import CatalogSettings, DataCatalog, DataCatalogArgs
from components.catalog.documents import owner_key_arn
from components.eks.keda import KedaSettings, keda_values
from components.eks.pools import Placement
from components.pipeline_service import PipelineService, PipelineServiceArgs, PipelineServiceSettings
from components.pipeline_service.stack_checks import event_stack_issues
from components.warehouse import Warehouse, WarehouseArgs, WarehouseSettings
from dpengine.testing import run_component

IMAGE = "public.ecr.aws/acme/x:1.0"
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
QUEUE_TYPES = ("aws:sqs/queue:Queue", "aws:kms/key:Key")


def job(**values: Any) -> dict[str, Any]:
    return {
        "name": "batch",
        "image": IMAGE,
        "kind": "scaledjob",
        "queue": {"visibility_timeout_seconds": 3600},
        "job": {"active_deadline_seconds": 3600},
        "scaled_job": {"triggers": [{"type": "sqs", "queue_length": 1}]},
        **values,
    }


def service(settings: dict[str, Any], tags: dict[str, str]) -> Any:
    def factory() -> PipelineService:
        return PipelineService(
            "batch",
            PipelineServiceArgs(
                settings=PipelineServiceSettings(**settings),
                tags=tags,
                provider=k8s.Provider("k8s", kubeconfig="{}"),
                oidc_provider_arn=OIDC_ARN,
                oidc_issuer_url=ISSUER,
                kubernetes_version="1.36",
            ),
        )

    return run_component(factory)


# --------------------------------------------------------------------------- queues


@pytest.mark.parametrize("protect", [True, False])
def test_the_queue_its_dead_letter_queue_and_key_follow_deletion_protection(
    tags: dict[str, str], protect: bool
) -> None:
    cr = service(job(queue={"visibility_timeout_seconds": 3600, "deletion_protection": protect}), tags)
    kept = {(r.type, r.name): (r.protect, r.retain_on_delete) for r in cr.children if r.type in QUEUE_TYPES}
    assert kept == {
        ("aws:kms/key:Key", "batch-queue-key"): (protect, protect),
        ("aws:sqs/queue:Queue", "batch-dlq"): (protect, protect),
        ("aws:sqs/queue:Queue", "batch-queue"): (protect, protect),
    }
    # The queue policies hold no data: never protected.
    assert {r.protect for r in cr.of_type("aws:sqs/queuePolicy:QueuePolicy")} == {False}


def test_a_referenced_queue_takes_no_deletion_protection() -> None:
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings(
            **job(queue={"arn": "arn:aws:sqs:eu-west-1:123456789012:orders", "deletion_protection": False})
        )
    assert [i.path for i in err.value.issues] == ["queue"]
    assert "deletion_protection" in err.value.issues[0].message


def test_a_job_queue_hidden_less_than_the_deadline_is_refused() -> None:
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings(**job(queue={"visibility_timeout_seconds": 60}))
    assert [i.path for i in err.value.issues] == ["queue.visibility_timeout_seconds"]
    # A producer's queue, a Job without a deadline, and a long enough timeout pass.
    PipelineServiceSettings(**job(queue={"visibility_timeout_seconds": 60, "access": "produce"}))
    PipelineServiceSettings(**job(queue={"visibility_timeout_seconds": 60}, job={}))
    PipelineServiceSettings(**job(queue={"visibility_timeout_seconds": 7200}))


def test_accurate_with_in_flight_messages_is_refused() -> None:
    accurate = {"triggers": [{"type": "sqs", "queue_length": 1}], "scaling_strategy": "accurate"}
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings(**job(scaled_job=accurate))
    assert [i.path for i in err.value.issues] == ["scaled_job.triggers[0].scale_on_in_flight"]
    ok = {
        "triggers": [{"type": "sqs", "queue_length": 1, "scale_on_in_flight": False}],
        "scaling_strategy": "accurate",
    }
    PipelineServiceSettings(**job(scaled_job=ok))
    # The default strategy subtracts running Jobs: in-flight messages belong in its count.
    PipelineServiceSettings(**job(scaled_job={"triggers": [{"type": "sqs", "queue_length": 1}]}))


def test_a_job_reading_another_services_queue_needs_it_hidden_for_its_deadline() -> None:
    producer = PipelineServiceSettings(name="api", image=IMAGE, queue={"visibility_timeout_seconds": 120})
    consumer = PipelineServiceSettings(**job(name="batch", queue={"from_service": "api"}))
    issues = event_stack_issues([producer, consumer], keda_on=True, region="eu-west-1")
    assert [(i.path, i.value) for i in issues] == [("services[0].queue.visibility_timeout_seconds", 120)]
    assert "job.active_deadline_seconds (3600) of batch" in issues[0].message


# --------------------------------------------------------------------------- catalog


def test_a_catalog_that_does_not_own_the_settings_reads_the_owners_key(tags: dict[str, str]) -> None:
    cr = run_component(
        lambda: DataCatalog(
            "catalog",
            DataCatalogArgs(
                settings=CatalogSettings(manage_encryption_settings=False, deletion_protection=False),
                tags=tags,
                layer_buckets={"gold": "lake"},
                layer_prefixes={"gold": "gold/"},
            ),
        )
    )
    assert cr.counts() == {"aws:glue/catalogDatabase:CatalogDatabase": 1}
    key = cr.value(cr.component.kms_key_arn)
    assert key.startswith("arn:aws:kms:") and ":key/" in key


def test_the_owned_settings_are_protected_like_the_key(tags: dict[str, str]) -> None:
    cr = run_component(
        lambda: DataCatalog(
            "catalog",
            DataCatalogArgs(
                settings=CatalogSettings(),
                tags=tags,
                layer_buckets={"gold": "lake"},
                layer_prefixes={"gold": "gold/"},
            ),
        )
    )
    settings = cr.one("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings")
    assert (settings.protect, settings.retain_on_delete) == (True, True)


@pytest.mark.parametrize(
    "settings",
    [
        [],
        [{"encryption_at_rests": [{"catalog_encryption_mode": "DISABLED", "sse_aws_kms_key_id": ""}]}],
        [{"encryptionAtRests": [{"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": "1234abcd"}]}],
    ],
)
def test_an_owner_without_a_customer_key_is_an_error_naming_the_fix(settings: list[Any]) -> None:
    with pytest.raises(InvalidConfigError) as err:
        owner_key_arn(settings)
    assert [i.path for i in err.value.issues] == ["settings.manage_encryption_settings"]
    assert "deploy the stack that owns them first" in err.value.issues[0].message


# --------------------------------------------------------------------------- warehouse


def warehouse(tags: dict[str, str], engine: str, owned: bool) -> Warehouse:
    return Warehouse(
        "warehouse",
        WarehouseArgs(
            settings=WarehouseSettings(engine=engine, deletion_protection=False, production=False),  # type: ignore[arg-type]
            tags=tags,
            vpc_id="vpc-1",
            data_subnet_ids=["subnet-1", "subnet-2"],
            allowed_security_group_ids=["sg-1"],
            aws_backup_retention_days=21 if owned else None,
        ),
    )


def test_aws_backup_owned_backups_are_ignored_after_creation(tags: dict[str, str]) -> None:
    owned = run_component(lambda: warehouse(tags, "postgres", True)).one("aws:rds/instance:Instance")
    assert owned.ignore_changes == ["backupRetentionPeriod", "backupWindow"]
    assert owned.inputs["backupRetentionPeriod"] == 21  # the rule's, not the settings' 7
    own = run_component(lambda: warehouse(tags, "postgres", False)).one("aws:rds/instance:Instance")
    assert own.ignore_changes == []
    assert own.inputs["backupRetentionPeriod"] == 7


def test_aws_backup_ownership_on_redshift_is_refused_before_anything_is_registered(
    tags: dict[str, str],
) -> None:
    with pytest.raises(InvalidConfigError) as err:
        run_component(lambda: warehouse(tags, "redshift", True))
    assert [i.path for i in err.value.issues] == ["args.aws_backup_retention_days"]
    # Checked before super().__init__: not even the component is registered.
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- KEDA


def test_keda_budgets_only_for_replicated_parts() -> None:
    placement = Placement(pool="system", kind="node_group", node_selector={"workload": "system"})
    values = keda_values(
        KedaSettings(operator_replicas=2, metrics_server_replicas=1),
        operator_role_arn="r",
        placement=placement,
    )
    assert values["podDisruptionBudget"] == {
        "operator": {"maxUnavailable": 1},
        "webhooks": {"maxUnavailable": 1},
    }
    single = KedaSettings(operator_replicas=1, metrics_server_replicas=1, webhook_replicas=1)
    assert not {"podDisruptionBudget", "topologySpreadConstraints"} & set(
        keda_values(single, operator_role_arn="r", placement=placement)
    )
    assert sorted(values["topologySpreadConstraints"]) == ["operator", "webhooks"]
    assert values["topologySpreadConstraints"]["webhooks"] == [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": "keda-admission-webhooks"}},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]
    assert (
        KedaSettings().operator_replicas,
        KedaSettings().metrics_server_replicas,
        KedaSettings().webhook_replicas,
    ) == (2, 2, 2)
