"""Bootstrap on an existing state bucket refuses lifecycle rules and policy statements that would
expire or open the state (exit 2, each one listed; ``--force`` keeps them), and ``--dry-run`` works
without credentials (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from test_bootstrap import new_session, parse, run

from dpengine.bootstrap import (
    DEFAULT_COST_ALLOCATION_TAGS,
    EXIT_OK,
    EXIT_USER_ERROR,
    LIFECYCLE_RULE_ID,
    BootstrapError,
    Outcome,
    cli_bootstrap,
)
from dpengine.bootstrap.audit import lifecycle_findings, policy_findings
from tests.fake_ce import fake_cost_explorer

REGION = "eu-west-1"
BUCKET = f"pulumi-state-123456789012-{REGION}"
ARN = f"arn:aws:s3:::{BUCKET}"

EXPIRE_CURRENT = {"ID": "cleanup", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}
ARCHIVE_CURRENT = {
    "ID": "cold",
    "Filter": {"Prefix": ""},
    "Status": "Enabled",
    "Transitions": [{"Days": 30, "StorageClass": "DEEP_ARCHIVE"}],
}
HARMLESS_RULE = {
    "ID": "tmp",
    "Filter": {"Prefix": "tmp/"},
    "Status": "Enabled",
    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
}
OPEN = {
    "Sid": "Public",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"{ARN}/*",
}
ORG_ONLY = {
    "Sid": "Org",
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": "s3:GetObject",
    "Resource": f"{ARN}/*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
}
TLS_ONLY_ALLOW = {**OPEN, "Sid": "StillOpen", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Moto for S3 and KMS, tests/fake_ce.py for Cost Explorer, with the account prerequisites in
    place: these tests are about the existing state bucket, not the prerequisites."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with mock_aws(), fake_cost_explorer() as ce:
        boto3.client("iam").create_service_linked_role(AWSServiceName="spot.amazonaws.com")
        ce.see(*DEFAULT_COST_ALLOCATION_TAGS, active=True)
        yield


def existing_bucket(rules: list[dict[str, Any]], statements: list[dict[str, Any]]) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": rules})
    if statements:
        s3.put_bucket_policy(
            Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )


def test_the_rules_and_statements_that_endanger_state() -> None:
    ours = {"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True}}
    disabled = {**EXPIRE_CURRENT, "Status": "Disabled"}
    elsewhere = {**EXPIRE_CURRENT, "ID": "tmp-only", "Filter": {"Prefix": "tmp/"}}  # not the state's path
    tagged = {**EXPIRE_CURRENT, "ID": "tagged", "Filter": {"Tag": {"Key": "scratch", "Value": "yes"}}}
    on_state = {**EXPIRE_CURRENT, "ID": "history", "Filter": {"Prefix": ".pulumi/history/"}}
    found = lifecycle_findings(
        [EXPIRE_CURRENT, ARCHIVE_CURRENT, HARMLESS_RULE, ours, disabled, elsewhere, tagged]
    )
    assert [f.name for f in lifecycle_findings([on_state])] == ["history"]
    assert [str(f) for f in found] == [
        "lifecycle rule cleanup: expires current objects after 1 day(s): the state files would be deleted",
        "lifecycle rule cold: moves current objects to DEEP_ARCHIVE: Pulumi could not read its state until "
        "each object is restored",
    ]
    found = policy_findings({"Statement": [OPEN, ORG_ONLY, TLS_ONLY_ALLOW]})
    assert [f.name for f in found] == ["Public", "StillOpen"]  # the organization condition narrows who
    assert policy_findings({"Statement": {**OPEN, "Effect": "Deny"}}) == []


def test_an_existing_bucket_that_would_expire_or_open_state_is_refused(aws: None) -> None:
    existing_bucket([EXPIRE_CURRENT, HARMLESS_RULE], [OPEN, ORG_ONLY])
    session = new_session()
    with pytest.raises(BootstrapError) as error:
        run(session)
    assert error.value.exit_code == EXIT_USER_ERROR
    assert error.value.message.splitlines()[:3] == [
        f"the existing bucket {BUCKET} has settings that would expire or open the Pulumi state:",
        "  - lifecycle rule cleanup: expires current objects after 1 day(s): the state files would be "
        "deleted",
        "  - bucket policy statement Public: allows s3:GetObject to every principal ('*') with no condition "
        "on the organization, account or network: anyone could use the state",
    ]
    # Refused before any setting of the bucket was written: the rules and the policy are as they were.
    s3 = boto3.client("s3", region_name=REGION)
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]] == [
        "cleanup",
        "tmp",
    ]
    assert [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]] == [
        "Public",
        "Org",
    ]
    assert "Status" not in s3.get_bucket_versioning(Bucket=BUCKET)


def test_force_keeps_them_and_reports_each(aws: None) -> None:
    existing_bucket([EXPIRE_CURRENT], [OPEN])
    report = run(new_session(), force=True)
    kept = [(s.name, s.detail) for s in report.steps if s.outcome is Outcome.KEPT]
    assert kept == [
        (
            "lifecycle rule",
            "cleanup: expires current objects after 1 day(s): the state files would be deleted (--force)",
        ),
        (
            "bucket policy statement",
            "Public: allows s3:GetObject to every principal ('*') with no condition on the organization, "
            "account or network: anyone could use the state (--force)",
        ),
    ]
    rules = boto3.client("s3", region_name=REGION).get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert sorted(r["ID"] for r in rules) == ["cleanup", LIFECYCLE_RULE_ID]


def test_the_cli_refuses_with_exit_2_and_lists_each(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    existing_bucket([EXPIRE_CURRENT, ARCHIVE_CURRENT], [])
    assert cli_bootstrap(parse("--region", REGION)) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "  - lifecycle rule cleanup: expires current objects" in err
    assert "  - lifecycle rule cold: moves current objects to DEEP_ARCHIVE" in err
    assert "pass --force to keep them" in err and "Traceback" not in err
    assert cli_bootstrap(parse("--region", REGION, "--dry-run")) == EXIT_USER_ERROR  # a dry run says so too
    capsys.readouterr()
    assert cli_bootstrap(parse("--region", REGION, "--force")) == EXIT_OK
    assert "kept          lifecycle rule" in capsys.readouterr().out


def test_dry_run_without_credentials_prints_the_plan(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Without --dry-run, no credentials is still the clear error it was.
    assert cli_bootstrap(parse("--region", REGION)) == EXIT_USER_ERROR
    assert capsys.readouterr().err.startswith("error: no usable AWS credentials")
    calls: list[str] = []
    monkeypatch.setattr(
        boto3.session.Session, "client", lambda self, *a, **k: calls.append(a[0]) or pytest.fail("no client")
    )
    assert cli_bootstrap(parse("--region", REGION, "--dry-run", "--bucket", "acme-state")) == EXIT_OK
    out = capsys.readouterr().out
    assert calls == []
    assert out.startswith("Pulumi state backend in region eu-west-1 (dry run without AWS credentials")
    assert "  would-create  s3 bucket            acme-state in eu-west-1 when missing" in out
    assert "  would-check   existing settings" in out
    assert "refused (exit 2) unless --force" in out
