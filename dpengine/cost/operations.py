"""Prices of the operations and data-service resources: alarms, alerts, budgets, backups, DR
replication, the Glue catalog, Athena and ECR."""

from __future__ import annotations

from .model import FREE, Context, Line, NotPriced, Outcome, Resource, prices

_CONFIG = "configuration only: AWS bills nothing for it"
FREE.update(
    {
        "aws:sns/topic:Topic": (
            "a topic is free; publishes and deliveries are usage (the first million publishes a month "
            "are free) and are not modelled"
        ),
        "aws:sns/topicPolicy:TopicPolicy": _CONFIG,
        "aws:sns/topicSubscription:TopicSubscription": _CONFIG,
        "aws:budgets/budget:Budget": (
            "AWS Budgets: an account's first two budgets are free (one per stack here)"
        ),
        "aws:backup/plan:Plan": "its recovery points are the vault's storage, priced on the vault",
        "aws:backup/selection:Selection": _CONFIG,
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _CONFIG,
        "aws:backup/vaultNotifications:VaultNotifications": _CONFIG,
        "aws:glue/catalogDatabase:CatalogDatabase": (
            "the Glue Data Catalog's first million objects a month are free (databases, tables, partitions)"
        ),
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": _CONFIG,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": _CONFIG,
    }
)


@prices("aws:ecr/repository:Repository")
def _repository(resource: Resource, ctx: Context) -> Outcome:
    gb = ctx.usage.ecr_gb_per_repository
    ctx.assume(f"{resource.name}: {gb:g} GB of images ({ctx.usage.origin('ecr_gb_per_repository')})")
    return [Line("ECR image storage", gb, "GB-month", ctx.prices.rate("ecr.storage_gb_month"))]


@prices("aws:athena/workgroup:Workgroup")
def _workgroup(resource: Resource, ctx: Context) -> Outcome:
    tb = ctx.usage.athena_tb_scanned_per_month
    ctx.assume(
        f"{resource.name}: {tb:g} TB scanned per month ({ctx.usage.origin('athena_tb_scanned_per_month')})"
    )
    return [Line("Athena data scanned", tb, "TB", ctx.prices.rate("athena.tb_scanned"))]


@prices("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(resource: Resource, ctx: Context) -> Outcome:
    metrics = resource.inputs.get("metricQueries")
    analysed = len(metrics) if isinstance(metrics, list) and metrics else 1
    if analysed > 1:
        ctx.assume(f"alarm {resource.name}: {analysed} metrics analysed (each is billed as an alarm metric)")
    return [
        Line("CloudWatch alarm metric", analysed, "alarm-month", ctx.prices.rate("cloudwatch.alarm_month"))
    ]


@prices("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
def _replicated_backups(resource: Resource, ctx: Context) -> Outcome:
    sources = [r for r in ctx.of_type("aws:rds/instance:Instance")]
    if len(sources) != 1 or not isinstance(sources[0].inputs.get("allocatedStorage"), int | float):
        return NotPriced("the source instance's storage is not known from the plan")
    gb = float(sources[0].inputs["allocatedStorage"])
    ctx.assume(
        f"{resource.name}: replicated backups take about the source's {gb:g} GB allocated storage in the "
        "destination region (cross-region transfer is not priced)"
    )
    return [Line("RDS replicated backup storage", gb, "GB-month", ctx.prices.rate("rds.backup_gb_month"))]
