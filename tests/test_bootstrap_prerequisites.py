"""The account prerequisites of ``dataplatform bootstrap``: a fresh account, one where they are
present, one where they are half present, the dry run, and the errors to fix.

IAM is served by moto; Cost Explorer's cost allocation tags, which moto does not implement, by
tests/fake_ce.py (the API's documented behaviour: a key is listed only once seen on a resource).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from dpengine.bootstrap import (
    EXIT_OK,
    EXIT_USER_ERROR,
    BootstrapError,
    BootstrapReport,
    Outcome,
    add_bootstrap_arguments,
    bootstrap,
    cli_bootstrap,
)
from tests.fake_ce import FakeCostExplorer, fake_cost_explorer

REGION = "eu-west-1"
SPOT = "service-linked role AWSServiceRoleForEC2Spot"
ENVIRONMENT = "cost allocation tag Environment"


@pytest.fixture
def ce(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCostExplorer]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with mock_aws(), fake_cost_explorer() as fake:
        yield fake


def run(**overrides: Any) -> BootstrapReport:
    kwargs: dict[str, Any] = {
        "region": REGION,
        "bucket": None,
        "key_alias": "alias/pulumi-secrets",
        "noncurrent_days": 90,
        "dry_run": False,
    }
    kwargs.update(overrides)
    return bootstrap(boto3.session.Session(region_name=REGION), **kwargs)


def prerequisites(report: BootstrapReport) -> dict[str, tuple[Outcome, str]]:
    return {
        s.name: (s.outcome, s.detail)
        for s in report.steps
        if s.name.startswith(("service-linked role", "cost allocation tag"))
    }


def spot_roles() -> list[dict[str, Any]]:
    roles = boto3.client("iam").list_roles(PathPrefix="/aws-service-role/spot.amazonaws.com/")["Roles"]
    return list(roles)


def test_fresh_account_creates_the_spot_role_and_reports_the_unseen_tag_pending(ce: FakeCostExplorer) -> None:
    report = run()

    steps = prerequisites(report)
    assert list(steps) == [SPOT, ENVIRONMENT]
    assert steps[SPOT] == (
        Outcome.CREATED,
        "spot.amazonaws.com, for Karpenter NodePools and node groups with spot capacity",
    )
    (role,) = spot_roles()
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["spot.amazonaws.com"]
    }
    # A fresh account never carried the tag: it cannot be activated yet, and is not reported done.
    outcome, detail = steps[ENVIRONMENT]
    assert outcome is Outcome.PENDING
    assert "not seen on any resource yet" in detail and "run bootstrap again" in detail
    assert ce.writes == []
    assert ce.regions == {"https://ce.us-east-1.amazonaws.com"}
    assert ce.calls == [("ListCostAllocationTags", {"TagKeys": ["Environment"], "Type": "UserDefined"})]
    assert "1 pending" in report.render()

    # After the stacks' first `pulumi up` AWS lists the key (inactive); the next run activates it.
    ce.see("Environment")
    again = prerequisites(run())
    assert again == {
        SPOT: (Outcome.UNCHANGED, "AWSServiceRoleForspot (spot.amazonaws.com)"),
        ENVIRONMENT: (Outcome.UPDATED, "user:Environment active (was inactive)"),
    }
    assert ce.status == {"Environment": "Active"}
    assert ce.writes == ["UpdateCostAllocationTagsStatus"]
    assert len(spot_roles()) == 1


def test_already_present_makes_no_write_call(ce: FakeCostExplorer) -> None:
    boto3.client("iam").create_service_linked_role(AWSServiceName="spot.amazonaws.com")
    ce.see("Environment", "CostCenter", active=True)
    session = boto3.session.Session(region_name=REGION)
    iam_writes: list[str] = []
    session.events.register(
        "before-call.iam",
        lambda model, **_: (
            iam_writes.append(model.name) if not model.name.startswith(("Get", "List")) else None
        ),
    )

    report = bootstrap(
        session,
        region=REGION,
        bucket=None,
        key_alias="alias/pulumi-secrets",
        noncurrent_days=90,
        cost_allocation_tags=["Environment", "CostCenter"],
    )

    assert {name: outcome for name, (outcome, _) in prerequisites(report).items()} == {
        SPOT: Outcome.UNCHANGED,
        ENVIRONMENT: Outcome.UNCHANGED,
        "cost allocation tag CostCenter": Outcome.UNCHANGED,
    }
    assert iam_writes == []
    assert ce.writes == []
    assert len(spot_roles()) == 1


def test_half_present_completes_only_what_is_missing(ce: FakeCostExplorer) -> None:
    # The role exists (the account used Spot before); one tag is active, one seen but inactive.
    boto3.client("iam").create_service_linked_role(AWSServiceName="spot.amazonaws.com")
    ce.see("Environment")
    ce.see("Project", active=True)

    report = run(cost_allocation_tags=["Environment", "Project"])

    assert {name: outcome for name, (outcome, _) in prerequisites(report).items()} == {
        SPOT: Outcome.UNCHANGED,
        ENVIRONMENT: Outcome.UPDATED,
        "cost allocation tag Project": Outcome.UNCHANGED,
    }
    assert ce.calls[-1] == (
        "UpdateCostAllocationTagsStatus",
        {"CostAllocationTagsStatus": [{"TagKey": "Environment", "Status": "Active"}]},
    )
    assert len(spot_roles()) == 1


def test_half_present_the_other_way_creates_the_role_only(ce: FakeCostExplorer) -> None:
    ce.see("Environment", active=True)

    steps = prerequisites(run())

    assert steps[SPOT][0] is Outcome.CREATED
    assert steps[ENVIRONMENT] == (Outcome.UNCHANGED, "user:Environment active")
    assert ce.writes == []


def test_dry_run_lists_the_prerequisites_and_changes_nothing(
    ce: FakeCostExplorer, capsys: pytest.CaptureFixture[str]
) -> None:
    ce.see("Environment")

    code = cli_bootstrap(parse("--region", REGION, "--dry-run"))

    out = capsys.readouterr().out
    assert code == EXIT_OK
    lines = out.splitlines()
    assert any(
        line.split()
        == [
            "would-create",
            *SPOT.split(),
            "spot.amazonaws.com,",
            "for",
            "Karpenter",
            "NodePools",
            "and",
            "node",
            "groups",
            "with",
            "spot",
            "capacity",
        ]
        for line in lines
    )
    assert any(line.split()[:4] == ["would-update", *ENVIRONMENT.split()[:3]] for line in lines)
    assert spot_roles() == []
    assert ce.writes == []
    assert ce.status == {"Environment": "Inactive"}


def test_cost_allocation_tags_come_from_the_command_line(
    ce: FakeCostExplorer, capsys: pytest.CaptureFixture[str]
) -> None:
    ce.see("Environment", "Team")

    code = cli_bootstrap(
        parse("--region", REGION, "--cost-allocation-tag", "Team", "--cost-allocation-tag", "Team")
    )

    assert code == EXIT_OK
    assert ce.status == {"Environment": "Inactive", "Team": "Active"}
    assert "cost allocation tag Team" in capsys.readouterr().out


def test_member_account_access_denied_says_where_tags_are_activated(ce: FakeCostExplorer) -> None:
    ce.see("Environment")
    ce.deny.add("UpdateCostAllocationTagsStatus")

    with pytest.raises(BootstrapError) as error:
        run()

    message = error.value.message
    assert "access denied: ce:UpdateCostAllocationTagsStatus" in message
    assert "only the management account can activate cost allocation tags" in message
    assert error.value.exit_code == EXIT_USER_ERROR
    # The state backend and the role were done before; the error lists them.
    assert [s.name for s in error.value.steps][-1] == SPOT


def test_a_role_created_meanwhile_counts_as_present(
    ce: FakeCostExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ce.see("Environment", active=True)
    session = boto3.session.Session(region_name=REGION)

    def taken(**_: Any) -> Any:
        raise ClientError(
            {
                "Error": {
                    "Code": "InvalidInput",
                    "Message": "Service role name AWSServiceRoleForEC2Spot has been taken in this account, "
                    "please try a different suffix.",
                }
            },
            "CreateServiceLinkedRole",
        )

    session.events.register("before-call.iam.CreateServiceLinkedRole", taken)

    report = bootstrap(
        session, region=REGION, bucket=None, key_alias="alias/pulumi-secrets", noncurrent_days=90
    )

    assert prerequisites(report)[SPOT] == (Outcome.UNCHANGED, "AWSServiceRoleForEC2Spot (spot.amazonaws.com)")


def test_access_denied_on_the_role_names_the_iam_action(ce: FakeCostExplorer) -> None:
    session = boto3.session.Session(region_name=REGION)

    def denied(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "CreateServiceLinkedRole")

    session.events.register("before-call.iam.CreateServiceLinkedRole", denied)

    with pytest.raises(BootstrapError) as error:
        bootstrap(session, region=REGION, bucket=None, key_alias="alias/pulumi-secrets", noncurrent_days=90)

    assert error.value.message.startswith(
        "access denied: iam:CreateServiceLinkedRole on spot.amazonaws.com in account 123456789012."
    )


@pytest.mark.parametrize("key", ["", "aws:createdBy", "x" * 129])
def test_invalid_tag_keys_exit_2_before_any_aws_call(
    ce: FakeCostExplorer, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_bootstrap(parse("--region", REGION, "--cost-allocation-tag", key)) == EXIT_USER_ERROR
    assert "is not a user-defined tag key" in capsys.readouterr().err
    assert ce.calls == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bootstrap_arguments(parser)
    return parser.parse_args(list(argv))
