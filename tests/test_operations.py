"""The operations package on its own: settings checks, pure documents, wiring checks, the DR provider."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from components._validation import InvalidConfigError
from components.operations import (
    BackupSettings,
    DisasterRecovery,
    DisasterRecoveryArgs,
    DisasterRecoverySettings,
    Operations,
    OperationsArgs,
    OperationsSettings,
    SubscriptionSettings,
)
from components.operations.documents import (
    MonitoredQueue,
    backup_plan_rules,
    budget_cost_filter,
    queue_alarms,
)
from components.operations.settings import AlarmSettings, BudgetSettings
from dpengine.engine import run_function
from dpengine.testing import run_component


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("email", "not-an-address"),
        ("https", "http://hooks.example.com/alerts"),
        ("sqs", "arn:aws:sns:eu-west-1:123456789012:topic"),
        ("sms", "0861234567"),
    ],
)
def test_bad_subscription_endpoints_name_the_endpoint(protocol: str, endpoint: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        SubscriptionSettings(protocol=protocol, endpoint=endpoint)  # type: ignore[arg-type]
    assert [i.path for i in err.value.issues] == ["endpoint"]


def test_good_subscription_endpoints_are_accepted() -> None:
    for protocol, endpoint in [
        ("email", "oncall@example.com"),
        ("https", "https://events.pagerduty.com/integration/abc/enqueue"),
        ("sqs", "arn:aws:sqs:eu-west-1:123456789012:alerts"),
        ("lambda", "arn:aws:lambda:eu-west-1:123456789012:function:notify"),
        ("sms", "+353861234567"),
    ]:
        assert SubscriptionSettings(protocol=protocol, endpoint=endpoint).endpoint == endpoint  # type: ignore[arg-type]


def test_budget_filter_and_notification_limits() -> None:
    assert budget_cost_filter("Environment", "prod") == {
        "name": "TagKeyValue",
        "values": ["user:Environment$prod"],
    }
    with pytest.raises(InvalidConfigError) as err:
        BudgetSettings(limit_usd=10, actual_thresholds_percent=[80, 80])
    assert [i.path for i in err.value.issues] == ["actual_thresholds_percent[1]"]
    with pytest.raises(InvalidConfigError):
        BudgetSettings(limit_usd=0)


def test_cold_storage_needs_ninety_days_and_lock_bounds_both_retentions() -> None:
    with pytest.raises(InvalidConfigError) as err:
        BackupSettings(**
            {"rules": [{"name": "m", "schedule": "cron(0 4 1 * ? *)", "delete_after_days": 100,
                        "cold_storage_after_days": 30}]}
        )  # fmt: skip
    assert [i.path for i in err.value.issues] == ["rules[0].delete_after_days"]
    assert "at least 120 days" in err.value.issues[0].message
    with pytest.raises(InvalidConfigError) as err:
        BackupSettings(
            **{
                "rules": [{"name": "d", "schedule": "cron(0 3 * * ? *)", "delete_after_days": 500}],
                "vault_lock": {"min_retention_days": 7, "max_retention_days": 400},
            }
        )
    # The copy defaults to the source's retention: both are out of the lock's range.
    assert [i.path for i in err.value.issues] == [
        "rules[0].delete_after_days",
        "rules[0].copy_delete_after_days",
    ]


def test_plan_rules_copy_only_with_a_dr_vault() -> None:
    settings = BackupSettings()
    local = backup_plan_rules(settings, "vault", None)
    assert [r.copy_actions for r in local] == [None, None]
    copied = backup_plan_rules(settings, "vault", "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr")
    assert [r.copy_actions[0].lifecycle.delete_after for r in copied] == [14, 365]  # type: ignore[index,union-attr]
    assert [r.enable_continuous_backup for r in copied] == [True, False]


def test_a_queue_without_dead_letter_queue_gets_only_the_age_alarm() -> None:
    specs = queue_alarms([MonitoredQueue("a", "a-dlq"), MonitoredQueue("b")], AlarmSettings())
    assert [s.key for s in specs] == ["a-age", "a-dlq-messages", "b-age"]


def _ops(**overrides: object) -> Operations:
    args = {
        "settings": OperationsSettings(),
        "tags": {
            "Environment": "dev",
            "Project": "p",
            "Owner": "o",
            "CostCenter": "c",
            "ManagedBy": "pulumi",
        },
        "primary_region": "eu-west-1",
        "lake_bucket_arns": ["arn:aws:s3:::lake"],
        **overrides,
    }
    return Operations("ops", OperationsArgs(**args))  # type: ignore[arg-type]


def test_dr_region_equal_to_the_primary_registers_nothing() -> None:
    registered: list[str] = []

    def program() -> None:
        settings = DisasterRecoverySettings(region="eu-west-1")
        tags = {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"}
        try:
            DisasterRecovery(
                "dr", DisasterRecoveryArgs(settings=settings, tags=tags, primary_region="eu-west-1")
            )
        except InvalidConfigError as error:
            registered.append(str(error))

    run = run_function(
        program, project="test", stack="dev", config={"aws:region": "eu-west-1"}, region="eu-west-1"
    )
    assert run.resources == [] or [r.type for r in run.resources] == ["pulumi:pulumi:Stack"]
    assert "settings.region" in registered[0] and "use another region" in registered[0]


def test_operations_wiring_issues_are_reported_before_registration() -> None:
    settings = OperationsSettings(
        **{"disaster_recovery": {"region": "eu-central-1", "rds_backup_replication": True}}
    )
    with pytest.raises(InvalidConfigError) as err:
        run_component(lambda: _ops(settings=settings), region="eu-west-1")
    assert [i.path for i in err.value.issues] == [
        "args.disaster_recovery",
        "settings.disaster_recovery.rds_backup_replication",
    ]


def test_resources_of_an_explicit_provider_are_in_its_region() -> None:
    """The mocks answer in the explicit provider's region (ARNs and invokes), as AWS would."""

    def program() -> None:
        dr = aws.Provider("dr", region="eu-central-1")
        aws.kms.Key("k", opts=pulumi.ResourceOptions(provider=dr))
        aws.kms.Key("here")
        pulumi.export("region", aws.get_region_output(opts=pulumi.InvokeOutputOptions(provider=dr)).region)

    run = run_function(
        program, project="test", stack="dev", config={"aws:region": "eu-west-1"}, region="eu-west-1"
    )
    assert run.one("aws:kms/key:Key", "k").outputs["arn"].startswith("arn:aws:kms:eu-central-1:")
    assert run.one("aws:kms/key:Key", "here").outputs["arn"].startswith("arn:aws:kms:eu-west-1:")
    assert run.outputs["region"] == "eu-central-1"
    assert json.dumps(run.outputs)  # plain data
