"""``dataplatform bootstrap`` against moto: first run, second run, dry run, merges and error paths.

AWS errors moto cannot produce (a foreign bucket, AccessDenied) are injected with a botocore
``before-call`` hook: a handler that returns a response short-circuits the request.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws

from dpengine.bootstrap import (
    DEFAULT_COST_ALLOCATION_TAGS,
    EXIT_OK,
    EXIT_USER_ERROR,
    LIFECYCLE_RULE_ID,
    POLICY_SID,
    BootstrapError,
    BootstrapReport,
    Outcome,
    add_bootstrap_arguments,
    bootstrap,
    cli_bootstrap,
)
from dpengine.bootstrap.prerequisites import prerequisite_step_names
from tests.fake_ce import fake_cost_explorer

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
BUCKET = f"pulumi-state-{ACCOUNT}-{REGION}"
ALIAS = "alias/pulumi-secrets"
READ_PREFIXES = ("Get", "Head", "Describe", "List")
PREREQUISITE_STEPS = prerequisite_step_names()
STEP_NAMES = [
    "kms key",
    "kms key rotation",
    "kms alias",
    "s3 bucket",
    "bucket versioning",
    "bucket encryption",
    "public access block",
    "object ownership",
    "bucket policy",
    "lifecycle",
]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and region in the environment, every AWS call served by moto (Cost Explorer
    by tests/fake_ce.py). The account prerequisites are already in place here, so these tests are
    about the state backend; tests/test_bootstrap_prerequisites.py covers the prerequisites."""
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


class Calls:
    """Records the AWS operations a session makes (client events are copied from the session)."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.names: list[str] = []
        session.events.register("before-call", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    @property
    def writes(self) -> list[str]:
        return [name for name in self.names if not name.startswith(READ_PREFIXES)]


def fail_with(
    session: boto3.session.Session, event: str, code: str, status: int, headers: dict[str, str] | None = None
) -> None:
    """Make the operation named by ``event`` (``service.Operation``) fail with an AWS error."""

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {
            "Error": {"Code": code, "Message": f"{code} (injected)"},
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}},
        }
        return AWSResponse("https://aws.invalid", status, HTTPHeaders.from_dict(headers or {}), None), parsed

    session.events.register(f"before-call.{event}", handler)  # type: ignore[arg-type]


def run(session: boto3.session.Session, **overrides: Any) -> BootstrapReport:
    kwargs: dict[str, Any] = {
        "region": REGION,
        "bucket": None,
        "key_alias": ALIAS,
        "noncurrent_days": 90,
        "dry_run": False,
    }
    kwargs.update(overrides)
    return bootstrap(session, **kwargs)


_LOADER = botocore.loaders.create_loader()


def new_session(region: str = REGION) -> boto3.session.Session:
    """A fresh session (own events and credentials) sharing one model loader, so tests stay fast."""
    core = botocore.session.Session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core, region_name=region)


def backend_steps(report: BootstrapReport) -> list[Any]:
    """The state backend's steps (the account prerequisites after them are left out)."""
    return [step for step in report.steps if step.name not in PREREQUISITE_STEPS]


def outcomes(report: BootstrapReport) -> dict[str, Outcome]:
    return {step.name: step.outcome for step in backend_steps(report)}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bootstrap_arguments(parser)
    return parser.parse_args(list(argv))


# --------------------------------------------------------------------------- first and second run


def test_first_run_creates_everything(aws: None) -> None:
    session = new_session()
    report = run(session)

    assert [step.name for step in backend_steps(report)] == STEP_NAMES
    assert set(outcomes(report).values()) == {Outcome.CREATED}
    assert report.bucket == BUCKET
    assert report.account_id == ACCOUNT
    assert report.changed is True

    kms = session.client("kms", region_name=REGION)
    key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert report.key_arn == key["Arn"]
    assert key["KeyState"] == "Enabled"
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in aliases] == [(ALIAS, key["KeyId"])]
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [
        {"TagKey": "ManagedBy", "TagValue": "dataplatform-bootstrap"}
    ]
    key_policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert key_policy["Statement"] == [
        {
            "Sid": "AccountRootAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]

    s3 = session.client("s3", region_name=REGION)
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == REGION
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"] == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
            "BucketKeyEnabled": True,
        }
    ]
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": POLICY_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["ID"] == LIFECYCLE_RULE_ID
    assert rule["Status"] == "Enabled"
    assert rule["Filter"] == {}
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [
        {"Key": "ManagedBy", "Value": "dataplatform-bootstrap"}
    ]


def test_second_run_changes_nothing_and_makes_no_write_call(aws: None) -> None:
    first = run(new_session())
    session = new_session()
    calls = Calls(session)

    second = run(session)

    assert [step.name for step in backend_steps(second)] == STEP_NAMES
    assert set(outcomes(second).values()) == {Outcome.UNCHANGED}
    assert second.changed is False
    assert calls.writes == []
    assert "HeadBucket" in calls.names and "GetBucketPolicy" in calls.names
    assert (second.key_arn, second.bucket) == (first.key_arn, first.bucket)
    assert "Nothing to change" in second.render()


def test_us_east_1_bucket_has_no_location_constraint(aws: None) -> None:
    session = new_session("us-east-1")
    report = run(session, region="us-east-1")

    assert report.bucket == f"pulumi-state-{ACCOUNT}-us-east-1"
    s3 = session.client("s3", region_name="us-east-1")
    assert s3.get_bucket_location(Bucket=report.bucket)["LocationConstraint"] is None
    assert set(outcomes(run(session, region="us-east-1")).values()) == {Outcome.UNCHANGED}


# --------------------------------------------------------------------------- dry run


def test_dry_run_on_a_fresh_account_changes_nothing(aws: None) -> None:
    session = new_session()
    calls = Calls(session)

    report = run(session, dry_run=True)

    assert [step.name for step in backend_steps(report)] == STEP_NAMES
    assert set(outcomes(report).values()) == {Outcome.WOULD_CREATE}
    assert report.key_arn is None
    assert report.changed is False
    assert calls.writes == []
    assert session.client("s3").list_buckets()["Buckets"] == []
    assert session.client("kms").list_keys()["Keys"] == []
    assert "dry run: nothing was changed" in report.render()


def test_dry_run_reports_drift_then_a_real_run_repairs_it(aws: None) -> None:
    session = new_session()
    run(session)
    s3 = session.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": LIFECYCLE_RULE_ID,
                    "Filter": {},
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                }
            ]
        },
    )

    dry_session = new_session()
    calls = Calls(dry_session)
    dry = run(dry_session, dry_run=True)
    assert calls.writes == []
    assert {name: o for name, o in outcomes(dry).items() if o is not Outcome.UNCHANGED} == {
        "bucket versioning": Outcome.WOULD_UPDATE,
        "public access block": Outcome.WOULD_CREATE,
        "lifecycle": Outcome.WOULD_UPDATE,
    }
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"

    repaired = run(new_session(), noncurrent_days=120)
    assert {name: o for name, o in outcomes(repaired).items() if o is not Outcome.UNCHANGED} == {
        "bucket versioning": Outcome.UPDATED,
        "public access block": Outcome.CREATED,
        "lifecycle": Outcome.UPDATED,
    }
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 120}
    assert set(outcomes(run(new_session(), noncurrent_days=120)).values()) == {Outcome.UNCHANGED}


# --------------------------------------------------------------------------- existing resources


def test_existing_policy_and_lifecycle_rules_are_kept(aws: None) -> None:
    session = new_session()
    s3 = session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})  # type: ignore[typeddict-item]
    theirs = {
        "Sid": "CiReads",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [theirs]}))
    their_rule = {
        "ID": "tmp-cleanup",
        "Filter": {"Prefix": "tmp/"},
        "Status": "Enabled",
        "Expiration": {"Days": 1},
    }
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [their_rule]})  # type: ignore[list-item]

    report = run(session)

    steps = {step.name: step for step in report.steps}
    assert steps["s3 bucket"].outcome is Outcome.UNCHANGED
    assert steps["bucket policy"].outcome is Outcome.UPDATED
    assert "1 other statement(s) kept" in steps["bucket policy"].detail
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["CiReads", POLICY_SID]
    assert statements[0] == theirs
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [r["ID"] for r in rules] == ["tmp-cleanup", LIFECYCLE_RULE_ID]
    assert rules[0]["Expiration"] == {"Days": 1}
    assert set(outcomes(run(session)).values()) == {Outcome.UNCHANGED}


def test_existing_key_is_used_and_its_rotation_switched_on(aws: None) -> None:
    session = new_session()
    kms = session.client("kms", region_name=REGION)
    key = kms.create_key(Description="theirs")["KeyMetadata"]
    kms.create_alias(AliasName="alias/team-state", TargetKeyId=key["KeyId"])

    report = run(session, key_alias="alias/team-state", bucket="team-pulumi-state")

    assert report.key_arn == key["Arn"]
    steps = outcomes(report)
    assert (steps["kms key"], steps["kms key rotation"], steps["kms alias"]) == (
        Outcome.UNCHANGED,
        Outcome.UPDATED,
        Outcome.UNCHANGED,
    )
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert len(kms.list_keys()["Keys"]) == 1
    rules = session.client("s3").get_bucket_encryption(Bucket="team-pulumi-state")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key["Arn"]
    assert report.secrets_provider == f"awskms://alias/team-state?region={REGION}"


def test_key_pending_deletion_is_an_error_to_fix(aws: None) -> None:
    session = new_session()
    kms = session.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)

    with pytest.raises(BootstrapError) as error:
        run(session)

    assert error.value.exit_code == EXIT_USER_ERROR
    assert "PendingDeletion" in error.value.message
    assert f"aws kms cancel-key-deletion --key-id {key['KeyId']}" in error.value.message
    assert "--key-alias" in error.value.message


def test_bucket_in_another_region_is_an_error_to_fix(aws: None) -> None:
    session = new_session()
    session.client("s3", region_name="us-west-2").create_bucket(
        Bucket="elsewhere-state",
        CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
    )
    calls = Calls(session)

    with pytest.raises(BootstrapError) as error:
        run(session, bucket="elsewhere-state")

    assert "bucket elsewhere-state already exists in us-west-2, not in eu-west-1" in error.value.message
    assert "--region us-west-2" in error.value.message
    assert calls.writes == []


# --------------------------------------------------------------------------- error paths via the CLI


def test_bucket_owned_by_another_account_exits_2_before_any_write(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = new_session()
    calls = Calls(session)
    fail_with(session, "s3.HeadBucket", "403", 403)
    monkeypatch.setattr(boto3.session, "Session", lambda **_: session)

    code = cli_bootstrap(parse("--region", REGION, "--bucket", "someone-elses-bucket"))

    out, err = capsys.readouterr()
    assert code == EXIT_USER_ERROR
    assert out == ""
    assert err.startswith("error: bucket someone-elses-bucket exists but is not usable")
    assert "owned by another AWS account" in err
    assert "s3:ListBucket on arn:aws:s3:::someone-elses-bucket" in err
    assert "pass another --bucket name" in err
    assert "Traceback" not in err
    assert calls.writes == []
    assert session.client("kms").list_keys()["Keys"] == []


def test_access_denied_on_a_put_names_the_iam_action(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = new_session()
    fail_with(session, "s3.PutBucketVersioning", "AccessDenied", 403)
    monkeypatch.setattr(boto3.session, "Session", lambda **_: session)

    code = cli_bootstrap(parse("--region", REGION))

    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert f"error: access denied: s3:PutBucketVersioning on arn:aws:s3:::{BUCKET}." in err
    assert f"Grant s3:PutBucketVersioning on arn:aws:s3:::{BUCKET}" in err
    # What was done before the error is listed, so the user knows the state it left.
    assert "Done before the error:" in err
    assert "created       s3 bucket" in err
    assert "Traceback" not in err


def test_access_denied_on_create_alias_names_the_orphan_key(aws: None) -> None:
    session = new_session()
    fail_with(session, "kms.CreateAlias", "AccessDeniedException", 400)

    with pytest.raises(BootstrapError) as error:
        run(session)

    message = error.value.message
    assert message.startswith(f"access denied: kms:CreateAlias on {ALIAS} and key arn:aws:kms:{REGION}:")
    assert "was created without the alias" in message
    assert "aws kms schedule-key-deletion --key-id" in message
    assert [step.name for step in error.value.steps] == ["kms key", "kms key rotation"]


@pytest.mark.parametrize(
    ("event", "code", "expected"),
    [
        ("kms.CreateKey", "AccessDeniedException", "access denied: kms:CreateKey"),
        ("s3.PutBucketPolicy", "AccessDenied", f"access denied: s3:PutBucketPolicy on arn:aws:s3:::{BUCKET}"),
        ("s3.GetBucketEncryption", "AccessDenied", "access denied: s3:GetEncryptionConfiguration"),
        (
            "sts.GetCallerIdentity",
            "InvalidClientTokenId",
            "AWS rejected the credentials (InvalidClientTokenId",
        ),
    ],
)
def test_aws_errors_are_explained(aws: None, event: str, code: str, expected: str) -> None:
    session = new_session()
    fail_with(session, event, code, 403)

    with pytest.raises(BootstrapError) as error:
        run(session)

    assert error.value.exit_code == EXIT_USER_ERROR
    assert error.value.message.startswith(expected)


def test_bucket_name_taken_at_create_time(aws: None) -> None:
    session = new_session()
    fail_with(session, "s3.CreateBucket", "BucketAlreadyExists", 409)

    with pytest.raises(BootstrapError) as error:
        run(session)

    assert error.value.exit_code == EXIT_USER_ERROR
    assert f"bucket name {BUCKET} is taken by another AWS account" in error.value.message


def test_unexpected_aws_error_exits_1_without_traceback(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = new_session()
    fail_with(session, "s3.PutBucketOwnershipControls", "InternalError", 500)
    monkeypatch.setattr(boto3.session, "Session", lambda **_: session)

    code = cli_bootstrap(parse("--region", REGION))

    err = capsys.readouterr().err
    assert code == 1
    assert "error: unexpected AWS error from s3:PutBucketOwnershipControls" in err
    assert "InternalError" in err


def test_no_credentials_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
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

    code = cli_bootstrap(parse("--region", REGION))

    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert err.startswith("error: no usable AWS credentials")
    assert "aws configure" in err
    assert "Traceback" not in err


def test_unknown_profile_is_a_clear_error(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    code = cli_bootstrap(parse("--region", REGION, "--profile", "nope"))

    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert "nope" in err and "--profile" in err


def test_missing_region_is_a_clear_error(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    code = cli_bootstrap(parse())

    assert code == EXIT_USER_ERROR
    assert "error: no AWS region: pass --region" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--bucket", "Bad_Name"], "--bucket 'Bad_Name' is not a valid S3 bucket name"),
        (["--key-alias", "pulumi-secrets"], "--key-alias 'pulumi-secrets' is not a valid KMS alias"),
        (["--key-alias", "alias/aws/s3"], "--key-alias 'alias/aws/s3': the alias/aws/ prefix is reserved"),
        (["--noncurrent-days", "0"], "--noncurrent-days must be 1 or more"),
    ],
)
def test_invalid_arguments_exit_2_before_any_aws_call(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    session = new_session()
    calls = Calls(session)
    monkeypatch.setattr(boto3.session, "Session", lambda **_: session)

    code = cli_bootstrap(parse("--region", REGION, *argv))

    assert code == EXIT_USER_ERROR
    assert f"error: {expected}" in capsys.readouterr().err
    assert calls.names == []


# --------------------------------------------------------------------------- the report


def test_cli_prints_the_exact_next_commands(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_bootstrap(parse("--region", REGION, "--bucket", "acme-pulumi-state"))

    out = capsys.readouterr().out
    assert code == EXIT_OK
    lines = out.splitlines()
    assert '  pulumi login "s3://acme-pulumi-state?region=eu-west-1&awssdk=v2"' in lines
    assert (
        '  pulumi stack init dev --secrets-provider "awskms://alias/pulumi-secrets?region=eu-west-1"' in lines
    )
    assert "Bucket:   acme-pulumi-state" in lines
    assert any(line.startswith("KMS key:  arn:aws:kms:eu-west-1:123456789012:key/") for line in lines)
    assert "10 created, 2 unchanged." in lines

    assert cli_bootstrap(parse("--region", REGION, "--bucket", "acme-pulumi-state")) == EXIT_OK
    again = capsys.readouterr().out
    assert "Nothing to change: every step was already in place." in again
    assert all(f"  unchanged     {name}" in again for name in STEP_NAMES)


def test_cli_with_a_profile_exports_it_for_pulumi(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "credentials").write_text(
        "[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    (tmp_path / "config").write_text("[profile ops]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    code = cli_bootstrap(parse("--profile", "ops", "--dry-run"))

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "region eu-central-1 (dry run: nothing was changed)" in out
    assert "  export AWS_PROFILE=ops" in out.splitlines()
    assert f'pulumi login "s3://pulumi-state-{ACCOUNT}-eu-central-1?region=eu-central-1&awssdk=v2"' in out


def test_report_counts_and_urls() -> None:
    report = BootstrapReport(
        account_id=ACCOUNT,
        region="ap-southeast-2",
        bucket="b-state",
        key_alias="alias/k",
        key_arn=None,
        dry_run=True,
    )
    assert report.backend_url == "s3://b-state?region=ap-southeast-2&awssdk=v2"
    assert report.next_commands == [
        'pulumi login "s3://b-state?region=ap-southeast-2&awssdk=v2"',
        'pulumi stack init dev --secrets-provider "awskms://alias/k?region=ap-southeast-2"',
    ]
    assert report.counts() == {}


def test_parser_defaults() -> None:
    args = parse()
    assert (args.region, args.bucket, args.key_alias, args.noncurrent_days, args.profile, args.dry_run) == (
        None,
        None,
        "alias/pulumi-secrets",
        90,
        None,
        False,
    )


def test_dataplatform_bootstrap_command(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    from dpengine.cli import main

    assert main(["bootstrap", "--region", REGION, "--dry-run"]) == EXIT_OK
    assert "10 would-create, 2 unchanged." in capsys.readouterr().out


# --------------------------------------------------------------------------- wanted settings (pure)


def test_the_tls_statement_is_recognised_and_narrower_ones_are_not() -> None:
    from dpengine.bootstrap.wanted import denies_insecure_transport, tls_only_statement

    arn = f"arn:aws:s3:::{BUCKET}"
    wanted = tls_only_statement(arn)
    assert wanted["Sid"] == POLICY_SID
    assert denies_insecure_transport(wanted, arn)
    assert denies_insecure_transport({**wanted, "Principal": {"AWS": "*"}, "Sid": "Other"}, arn)
    assert not denies_insecure_transport({**wanted, "Resource": arn}, arn)  # objects still reachable
    assert not denies_insecure_transport({**wanted, "Effect": "Allow"}, arn)
    assert not denies_insecure_transport({**wanted, "Principal": {"AWS": "arn:aws:iam::1:root"}}, arn)
    assert not denies_insecure_transport({**wanted, "Action": "s3:GetObject"}, arn)
    assert not denies_insecure_transport(
        {**wanted, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, arn
    )


def test_the_lifecycle_rule_matches_only_a_whole_bucket_rule_with_the_same_settings() -> None:
    from dpengine.bootstrap.wanted import lifecycle_rule, same_lifecycle_rule

    wanted = lifecycle_rule(30)
    assert wanted["ID"] == LIFECYCLE_RULE_ID
    assert wanted["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert same_lifecycle_rule(wanted, wanted)
    assert same_lifecycle_rule({**wanted, "Filter": {"Prefix": ""}}, wanted)
    assert not same_lifecycle_rule({**wanted, "Filter": {"Prefix": "logs/"}}, wanted)
    assert not same_lifecycle_rule(lifecycle_rule(90), wanted)
    assert not same_lifecycle_rule({**wanted, "Status": "Disabled"}, wanted)


def test_encryption_is_wanted_with_this_key_by_arn_or_id_and_a_bucket_key() -> None:
    from dpengine.bootstrap.wanted import is_wanted_encryption

    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def rule(key: str, algorithm: str = "aws:kms", bucket_key: bool = True) -> dict[str, Any]:
        default = {"SSEAlgorithm": algorithm, "KMSMasterKeyID": key}
        return {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket_key}

    assert is_wanted_encryption(rule(key_arn), key_arn)
    assert is_wanted_encryption(rule("1234abcd-12ab-34cd-56ef-1234567890ab"), key_arn)
    assert not is_wanted_encryption(rule(key_arn, bucket_key=False), key_arn)
    assert not is_wanted_encryption(rule(key_arn, algorithm="AES256"), key_arn)
    assert not is_wanted_encryption(rule(key_arn.replace("1234abcd", "ffffffff")), key_arn)
