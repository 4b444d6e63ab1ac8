"""``dataplatform bootstrap``: a self-managed Pulumi state backend on AWS, created with boto3.

What it makes (in one region of one account):

- a KMS key (rotation on, tagged ``ManagedBy=dataplatform-bootstrap``) behind an alias, for
  ``pulumi stack init --secrets-provider "awskms://<alias>?region=<region>"``;
- an S3 state bucket: versioned, default encryption SSE-KMS with that key and an S3 Bucket Key,
  all four public access blocks, ``BucketOwnerEnforced`` object ownership (no ACLs), a bucket
  policy denying requests without TLS, and a lifecycle rule that expires old state versions,
  aborts incomplete multipart uploads and removes expired delete markers.

Every step reads the current setting, compares it with the wanted one and writes only when they
differ, so a second run reports every step ``unchanged`` and makes no write call. ``--dry-run``
makes only read calls and reports ``would-create`` / ``would-update``.

Existing settings owned by someone else are merged, never silently dropped: the TLS-only statement
is added to (or refreshed in) an existing bucket policy, keeping its other statements, and the
lifecycle rule is added next to the bucket's other rules (matched by its ``ID``). Adding a ``Deny``
statement can only narrow access, so merging it is safe, whereas overwriting the policy would drop
grants its owner relies on and refusing would leave the state bucket reachable over plain HTTP.
An existing key found by the alias is used as it is (its key policy is not touched); only its
rotation is switched on when off.

Errors the user must fix (missing IAM permission, no credentials, a bucket name owned by someone
else or in another region, an unusable key behind the alias) raise :class:`BootstrapError` with a
message naming the IAM action, the resource and the fix; :func:`cli_bootstrap` prints it without a
traceback and returns 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client

__all__ = [
    "DEFAULT_KEY_ALIAS",
    "DEFAULT_NONCURRENT_DAYS",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USER_ERROR",
    "BootstrapError",
    "BootstrapReport",
    "Outcome",
    "Step",
    "add_bootstrap_arguments",
    "bootstrap",
    "cli_bootstrap",
]

EXIT_OK = 0
EXIT_ERROR = 1
"""Unexpected failure (an AWS error this tool does not know how to explain)."""
EXIT_USER_ERROR = 2
"""An error the user must fix: permissions, credentials, names, arguments."""

DEFAULT_KEY_ALIAS = "alias/pulumi-secrets"
DEFAULT_NONCURRENT_DAYS = 90
ABORT_MULTIPART_DAYS = 7
MANAGED_BY_TAG = ("ManagedBy", "dataplatform-bootstrap")
KEY_DESCRIPTION = "Pulumi state and secrets (created by dataplatform bootstrap)"
POLICY_SID = "DenyInsecureTransport"
LIFECYCLE_RULE_ID = "dataplatform-pulumi-state-versions"
STACK_EXAMPLE = "dev"

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")

# Codes AWS uses for "you are not allowed to do this".
_ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "403",
    "Forbidden",
    "UnauthorizedOperation",
    "AllAccessDisabled",
}
# Codes AWS uses for "these credentials are not valid".
_BAD_CREDENTIALS = {
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
}
_CREDENTIALS_HELP = (
    "configure AWS credentials (`aws configure`, `aws sso login --profile NAME` then --profile NAME, "
    "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run again"
)

T = TypeVar("T")


class Outcome(str, Enum):
    """What a step did (or, in a dry run, would do)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WOULD_CREATE = "would-create"
    WOULD_UPDATE = "would-update"


@dataclass(frozen=True)
class Step:
    """One thing bootstrap ensures, and its outcome."""

    name: str
    """What the step ensures, e.g. ``"bucket versioning"``."""
    outcome: Outcome
    detail: str = ""
    """For people: the setting now in place, or what changed."""


@dataclass
class BootstrapReport:
    """The result of :func:`bootstrap`: every step with its outcome, and what to run next."""

    account_id: str
    region: str
    bucket: str
    key_alias: str
    key_arn: str | None
    """The key's ARN; ``None`` only in a dry run that would create the key."""
    dry_run: bool
    steps: list[Step] = field(default_factory=list)

    @property
    def backend_url(self) -> str:
        """The ``pulumi login`` URL of the state bucket."""
        return f"s3://{self.bucket}?region={self.region}&awssdk=v2"

    @property
    def secrets_provider(self) -> str:
        """The ``--secrets-provider`` URL of the key (by alias, so the key can be replaced)."""
        return f"awskms://{self.key_alias}?region={self.region}"

    @property
    def next_commands(self) -> list[str]:
        """The commands to run next, exactly (quoted for POSIX shells: the URLs contain ``&``/``?``)."""
        return [
            f'pulumi login "{self.backend_url}"',
            f'pulumi stack init {STACK_EXAMPLE} --secrets-provider "{self.secrets_provider}"',
        ]

    @property
    def changed(self) -> bool:
        """Whether any step created or updated something (always false in a dry run)."""
        return any(step.outcome in (Outcome.CREATED, Outcome.UPDATED) for step in self.steps)

    def counts(self) -> dict[Outcome, int]:
        """How many steps had each outcome (outcomes that did not occur are left out)."""
        result: dict[Outcome, int] = {}
        for step in self.steps:
            result[step.outcome] = result.get(step.outcome, 0) + 1
        return result

    def render(self, *, profile: str | None = None) -> str:
        """The report for people. ``profile`` adds an ``export AWS_PROFILE=...`` line to the next
        commands, so the Pulumi CLI uses the same credentials."""
        mode = " (dry run: nothing was changed)" if self.dry_run else ""
        lines = [f"Pulumi state backend in account {self.account_id}, region {self.region}{mode}", ""]
        width = max(len(step.name) for step in self.steps) if self.steps else 0
        for step in self.steps:
            lines.append(f"  {step.outcome.value:<13} {step.name:<{width}}  {step.detail}".rstrip())
        lines.append("")
        counts = self.counts()
        if all(step.outcome is Outcome.UNCHANGED for step in self.steps):
            lines.append("Nothing to change: every step was already in place.")
        else:
            lines.append(", ".join(f"{n} {outcome.value}" for outcome, n in counts.items()) + ".")
        lines.append("")
        lines.append(f"Bucket:   {self.bucket}")
        lines.append(f"KMS key:  {self.key_arn or '(created by a real run)'}")
        lines.append(f"Alias:    {self.key_alias}")
        lines.append("")
        lines.append("Next, run:" if not self.dry_run else "Next, after a real run:")
        commands = self.next_commands
        if profile:
            commands = [f"export AWS_PROFILE={profile}", *commands]
        lines.extend(f"  {command}" for command in commands)
        lines.append("")
        lines.append(
            "Whoever runs Pulumi needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on "
            "the bucket, and kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on the key."
        )
        return "\n".join(lines)


class BootstrapError(Exception):
    """An error with a message for people; ``exit_code`` is 2 when the user must fix something."""

    def __init__(self, message: str, exit_code: int = EXIT_USER_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.steps: list[Step] = []
        """The steps completed before the error (filled in by :func:`bootstrap`)."""


# --------------------------------------------------------------------------- AWS call wrapper


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_text(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "") or _error_code(error))


def _aws(action: str, resource: str, call: Callable[..., T], /, **kwargs: Any) -> T:
    """Call ``call(**kwargs)``; turn AWS errors into :class:`BootstrapError` naming ``action``
    (the IAM action, e.g. ``s3:PutBucketVersioning``) and ``resource``."""
    try:
        return call(**kwargs)
    except ClientError as error:
        code = _error_code(error)
        if code in _ACCESS_DENIED:
            raise BootstrapError(
                f"access denied: {action} on {resource}.\n"
                f"Grant {action} on {resource} to the identity running bootstrap "
                "(or run it with credentials that have it), then run again."
            ) from None
        if code in _BAD_CREDENTIALS:
            raise BootstrapError(
                f"AWS rejected the credentials ({code}: {_error_text(error)}); {_CREDENTIALS_HELP}."
            ) from None
        raise BootstrapError(
            f"unexpected AWS error from {action} on {resource}: {code}: {_error_text(error)}",
            EXIT_ERROR,
        ) from None
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError) as error:
        raise BootstrapError(f"no usable AWS credentials ({error}); {_CREDENTIALS_HELP}.") from None
    except (SSOError, TokenRetrievalError) as error:
        raise BootstrapError(
            f"the AWS SSO session is missing or expired ({error}); run `aws sso login` and run again."
        ) from None
    except EndpointConnectionError as error:
        raise BootstrapError(
            f"cannot reach AWS ({error}); check the network and that --region is a valid region."
        ) from None
    except NoRegionError:
        raise BootstrapError("no AWS region: pass --region or set AWS_REGION.") from None
    except BotoCoreError as error:
        raise BootstrapError(f"unexpected error from {action} on {resource}: {error}", EXIT_ERROR) from None


def _read(
    action: str, resource: str, missing: set[str], call: Callable[..., T], /, **kwargs: Any
) -> T | None:
    """Like :func:`_aws` for a read, but ``None`` when the AWS error code is one of ``missing``
    (the setting does not exist yet)."""
    try:
        return call(**kwargs)
    except ClientError as error:
        if _error_code(error) in missing:
            return None
        return _aws(action, resource, _reraise(error))


def _reraise(error: Exception) -> Callable[[], Any]:
    def call() -> Any:
        raise error

    return call


# --------------------------------------------------------------------------- the steps


class _Run:
    """One bootstrap run: the clients, the arguments and the steps so far."""

    def __init__(
        self,
        session: boto3.session.Session,
        *,
        region: str,
        key_alias: str,
        noncurrent_days: int,
        dry_run: bool,
    ) -> None:
        self.session = session
        self.region = region
        self.key_alias = key_alias
        self.noncurrent_days = noncurrent_days
        self.dry_run = dry_run
        self.steps: list[Step] = []
        self.account_id = ""
        self.partition = "aws"
        self.kms: KMSClient = session.client("kms", region_name=region)
        self.s3: S3Client = session.client("s3", region_name=region)

    # -- helpers

    def record(self, name: str, outcome: Outcome, detail: str = "") -> None:
        self.steps.append(Step(name, outcome, detail))

    def change(self, *, exists: bool) -> Outcome:
        """The outcome of a write: of the real run, or what a dry run would do."""
        if self.dry_run:
            return Outcome.WOULD_UPDATE if exists else Outcome.WOULD_CREATE
        return Outcome.UPDATED if exists else Outcome.CREATED

    # -- identity

    def identify(self) -> None:
        sts = self.session.client("sts", region_name=self.region)
        identity = _aws("sts:GetCallerIdentity", "the caller identity", sts.get_caller_identity)
        self.account_id = identity["Account"]
        self.partition = identity["Arn"].split(":")[1]

    # -- KMS

    def ensure_key(self) -> str | None:
        """Find the key behind the alias or create it (and the alias); ensure rotation.
        Returns the key ARN (``None`` in a dry run that would create it)."""
        alias = self.key_alias
        metadata = _read("kms:DescribeKey", alias, {"NotFoundException"}, self.kms.describe_key, KeyId=alias)
        if metadata is None:
            return self._create_key()
        key = metadata["KeyMetadata"]
        key_arn = key["Arn"]
        state = key.get("KeyState", "")
        if state != "Enabled":
            key_id = key["KeyId"]
            fix = (
                f"cancel its deletion (aws kms cancel-key-deletion --key-id {key_id}) and enable it"
                if state == "PendingDeletion"
                else f"enable it (aws kms enable-key --key-id {key_id})"
            )
            raise BootstrapError(
                f"the KMS key {key_arn} behind {alias} is {state}, so it cannot encrypt state.\n"
                f"Either {fix}, or pass another --key-alias."
            )
        spec, usage = key.get("KeySpec", "SYMMETRIC_DEFAULT"), key.get("KeyUsage", "ENCRYPT_DECRYPT")
        if (spec, usage) != ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"):
            raise BootstrapError(
                f"the KMS key {key_arn} behind {alias} is not a symmetric encryption key "
                f"({spec}, {usage}); pass another --key-alias."
            )
        if key.get("KeyManager") == "AWS":
            raise BootstrapError(
                f"{alias} points at an AWS managed key; pass a --key-alias for a customer managed key."
            )
        self.record("kms key", Outcome.UNCHANGED, f"{key_arn} (found by {alias})")
        self._ensure_rotation(key_arn, exists=True)
        self.record("kms alias", Outcome.UNCHANGED, f"{alias} -> {key['KeyId']}")
        return key_arn

    def _create_key(self) -> str | None:
        alias = self.key_alias
        if self.dry_run:
            self.record("kms key", Outcome.WOULD_CREATE, f"symmetric key, tagged {'='.join(MANAGED_BY_TAG)}")
            self.record("kms key rotation", Outcome.WOULD_CREATE, "automatic yearly rotation")
            self.record("kms alias", Outcome.WOULD_CREATE, alias)
            return None
        root = f"arn:{self.partition}:iam::{self.account_id}:root"
        policy = {
            "Version": "2012-10-17",
            "Id": "dataplatform-bootstrap",
            "Statement": [
                {
                    "Sid": "AccountRootAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
        created = _aws(
            "kms:CreateKey and kms:TagResource",
            f"account {self.account_id} in {self.region}",
            self.kms.create_key,
            Description=KEY_DESCRIPTION,
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Policy=json.dumps(policy),
            Tags=[{"TagKey": MANAGED_BY_TAG[0], "TagValue": MANAGED_BY_TAG[1]}],
        )["KeyMetadata"]
        key_arn, key_id = created["Arn"], created["KeyId"]
        self.record("kms key", Outcome.CREATED, f"{key_arn} (policy: account root administers)")
        try:
            self._ensure_rotation(key_arn, exists=False)
            _aws(
                "kms:CreateAlias",
                f"{alias} and key {key_arn}",
                self.kms.create_alias,
                AliasName=alias,
                TargetKeyId=key_id,
            )
        except BootstrapError as error:
            error.message += (
                f"\nNote: key {key_arn} was created without the alias; the next run creates another key, "
                f"so either schedule its deletion (aws kms schedule-key-deletion --key-id {key_id}) or "
                f"point the alias at it (aws kms create-alias --alias-name {alias} --target-key-id {key_id})."
            )
            error.args = (error.message,)
            raise
        self.record("kms alias", Outcome.CREATED, f"{alias} -> {key_id}")
        return key_arn

    def _ensure_rotation(self, key_arn: str, *, exists: bool) -> None:
        if exists:
            status = _aws(
                "kms:GetKeyRotationStatus", key_arn, self.kms.get_key_rotation_status, KeyId=key_arn
            )
            if status.get("KeyRotationEnabled"):
                self.record("kms key rotation", Outcome.UNCHANGED, "automatic yearly rotation")
                return
        outcome = self.change(exists=exists)
        if not self.dry_run:
            _aws("kms:EnableKeyRotation", key_arn, self.kms.enable_key_rotation, KeyId=key_arn)
        self.record("kms key rotation", outcome, "automatic yearly rotation")

    # -- S3

    def bucket_exists(self, bucket: str) -> bool:
        """``head_bucket`` with ``ExpectedBucketOwner``: whether the bucket exists (and is ours)."""
        try:
            response = self.s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=self.account_id)
        except ClientError as error:
            code = _error_code(error)
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("404", "NoSuchBucket", "NotFound") or status == 404:
                return False
            if code in ("301", "PermanentRedirect") or status == 301:
                other = (
                    error.response.get("ResponseMetadata", {})
                    .get("HTTPHeaders", {})
                    .get("x-amz-bucket-region", "another region")
                )
                raise self._wrong_region(bucket, other) from None
            if code in _ACCESS_DENIED or status == 403:
                raise BootstrapError(
                    f"bucket {bucket} exists but is not usable: it is owned by another AWS account, "
                    f"or this identity lacks s3:ListBucket on arn:{self.partition}:s3:::{bucket}.\n"
                    "Bucket names are global: pass another --bucket name, or, if the bucket is yours "
                    f"(account {self.account_id}), grant s3:ListBucket on it and run again."
                ) from None
            return _aws("s3:ListBucket", f"bucket {bucket}", _reraise(error))
        except BotoCoreError as error:
            return _aws("s3:ListBucket", f"bucket {bucket}", _reraise(error))
        actual = response.get("BucketRegion") or response.get("ResponseMetadata", {}).get(
            "HTTPHeaders", {}
        ).get("x-amz-bucket-region")
        if actual and actual != self.region:
            raise self._wrong_region(bucket, actual)
        return True

    def _wrong_region(self, bucket: str, other: str) -> BootstrapError:
        return BootstrapError(
            f"bucket {bucket} already exists in {other}, not in {self.region}.\n"
            f"Pass --region {other} to use it, or pass another --bucket name."
        )

    def create_bucket(self, bucket: str) -> None:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.s3.create_bucket(**kwargs)
        except ClientError as error:
            code = _error_code(error)
            if code == "BucketAlreadyExists":
                raise BootstrapError(
                    f"bucket name {bucket} is taken by another AWS account (bucket names are global); "
                    "pass another --bucket name."
                ) from None
            if code != "BucketAlreadyOwnedByYou":
                _aws("s3:CreateBucket", f"bucket {bucket}", _reraise(error))
        except BotoCoreError as error:
            _aws("s3:CreateBucket", f"bucket {bucket}", _reraise(error))
        _aws(
            "s3:PutBucketTagging",
            f"bucket {bucket}",
            self.s3.put_bucket_tagging,
            Bucket=bucket,
            ExpectedBucketOwner=self.account_id,
            Tagging={"TagSet": [{"Key": MANAGED_BY_TAG[0], "Value": MANAGED_BY_TAG[1]}]},
        )

    def ensure_bucket(self, bucket: str, exists: bool, key_arn: str | None) -> None:
        """Create the bucket when missing, then ensure each of its settings."""
        if exists:
            self.record("s3 bucket", Outcome.UNCHANGED, bucket)
        elif self.dry_run:
            self.record("s3 bucket", Outcome.WOULD_CREATE, f"{bucket} in {self.region}")
            for name, detail in self._settings_summary(key_arn):
                self.record(name, Outcome.WOULD_CREATE, detail)
            return
        else:
            self.create_bucket(bucket)
            self.record("s3 bucket", Outcome.CREATED, f"{bucket} in {self.region}")
        settings = _BucketSettings(self, bucket, new=not exists)
        settings.versioning()
        settings.encryption(key_arn)
        settings.public_access_block()
        settings.ownership_controls()
        settings.tls_only_policy()
        settings.lifecycle()

    def _settings_summary(self, key_arn: str | None) -> list[tuple[str, str]]:
        return [
            ("bucket versioning", "Enabled"),
            ("bucket encryption", f"aws:kms with {key_arn or self.key_alias}, bucket key on"),
            ("public access block", "all four blocks on"),
            ("object ownership", "BucketOwnerEnforced (ACLs off)"),
            ("bucket policy", f"{POLICY_SID}: deny aws:SecureTransport=false"),
            ("lifecycle", self._lifecycle_summary()),
        ]

    def _lifecycle_summary(self) -> str:
        return (
            f"old state versions expire after {self.noncurrent_days} days; incomplete uploads aborted "
            f"after {ABORT_MULTIPART_DAYS}; expired delete markers removed"
        )


class _BucketSettings:
    """Read, compare, write (only when different) each setting of one bucket."""

    def __init__(self, run: _Run, bucket: str, *, new: bool) -> None:
        self.run = run
        self.s3 = run.s3
        self.bucket = bucket
        self.new = new
        self.arn = f"arn:{run.partition}:s3:::{bucket}"
        self.owner = {"Bucket": bucket, "ExpectedBucketOwner": run.account_id}

    def _apply(self, name: str, current_exists: bool, detail: str, write: Callable[[], object]) -> None:
        """Record and (unless dry run) perform a write; on a bucket created by this run it is 'created'."""
        outcome = self.run.change(exists=current_exists and not self.new)
        if not self.run.dry_run:
            write()
        self.run.record(name, outcome, detail)

    def versioning(self) -> None:
        name, detail = "bucket versioning", "Enabled"
        current = _aws("s3:GetBucketVersioning", self.arn, self.s3.get_bucket_versioning, **self.owner)
        status = current.get("Status")
        if status == "Enabled":
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        self._apply(
            name,
            status is not None,
            f"Enabled (was {status})" if status else detail,
            lambda: _aws(
                "s3:PutBucketVersioning",
                self.arn,
                self.s3.put_bucket_versioning,
                VersioningConfiguration={"Status": "Enabled"},
                **self.owner,
            ),
        )

    def encryption(self, key_arn: str | None) -> None:
        name = "bucket encryption"
        current = _read(
            "s3:GetEncryptionConfiguration",
            self.arn,
            {"ServerSideEncryptionConfigurationNotFoundError"},
            self.s3.get_bucket_encryption,
            **self.owner,
        )
        rules = list(current["ServerSideEncryptionConfiguration"]["Rules"]) if current is not None else []
        detail = f"aws:kms with {key_arn or self.run.key_alias}, bucket key on"
        if key_arn and len(rules) == 1 and _is_wanted_encryption(rules[0], key_arn):
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        if rules:
            default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
            was = " ".join(v for v in (default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")) if v)
            if was:
                detail += f" (was {was})"
        self._apply(
            name,
            bool(rules),
            detail,
            lambda: _aws(
                "s3:PutEncryptionConfiguration",
                self.arn,
                self.s3.put_bucket_encryption,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": str(key_arn),
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
                **self.owner,
            ),
        )

    def public_access_block(self) -> None:
        name, detail = "public access block", "all four blocks on"
        wanted = {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        current = _read(
            "s3:GetBucketPublicAccessBlock",
            self.arn,
            {"NoSuchPublicAccessBlockConfiguration"},
            self.s3.get_public_access_block,
            **self.owner,
        )
        config: dict[str, Any] = (
            dict(current["PublicAccessBlockConfiguration"]) if current is not None else {}
        )
        if all(config.get(key) is True for key in wanted):
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        off = [key for key in wanted if config.get(key) is not True]
        self._apply(
            name,
            current is not None,
            f"{detail} (was off: {', '.join(off)})" if current is not None else detail,
            lambda: _aws(
                "s3:PutBucketPublicAccessBlock",
                self.arn,
                self.s3.put_public_access_block,
                PublicAccessBlockConfiguration=wanted,
                **self.owner,
            ),
        )

    def ownership_controls(self) -> None:
        name, detail = "object ownership", "BucketOwnerEnforced (ACLs off)"
        current = _read(
            "s3:GetBucketOwnershipControls",
            self.arn,
            {"OwnershipControlsNotFoundError"},
            self.s3.get_bucket_ownership_controls,
            **self.owner,
        )
        rules = list(current["OwnershipControls"]["Rules"]) if current is not None else []
        values = [rule.get("ObjectOwnership") for rule in rules]
        if values == ["BucketOwnerEnforced"]:
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        self._apply(
            name,
            current is not None,
            f"{detail} (was {', '.join(str(v) for v in values)})" if values else detail,
            lambda: _aws(
                "s3:PutBucketOwnershipControls",
                self.arn,
                self.s3.put_bucket_ownership_controls,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                **self.owner,
            ),
        )

    def tls_only_policy(self) -> None:
        name = "bucket policy"
        current = _read(
            "s3:GetBucketPolicy", self.arn, {"NoSuchBucketPolicy"}, self.s3.get_bucket_policy, **self.owner
        )
        wanted = _tls_only_statement(self.arn)
        if current is None:
            policy: dict[str, Any] = {"Version": "2012-10-17", "Statement": [wanted]}
            detail = f"{POLICY_SID}: deny aws:SecureTransport=false"
        else:
            try:
                policy = json.loads(current["Policy"])
            except (KeyError, ValueError):
                raise BootstrapError(
                    f"the bucket policy of {self.bucket} is not valid JSON; fix or delete it and run again."
                ) from None
            statements = policy.get("Statement", [])
            if isinstance(statements, dict):
                statements = [statements]
            if any(_denies_insecure_transport(s, self.arn) for s in statements if isinstance(s, dict)):
                self.run.record(name, Outcome.UNCHANGED, "TLS-only access enforced")
                return
            others = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == POLICY_SID)]
            policy["Statement"] = [*others, wanted]
            detail = (
                f"{POLICY_SID} added to the existing policy ({len(others)} other statement(s) kept)"
                if len(others) == len(statements)
                else f"{POLICY_SID} refreshed ({len(others)} other statement(s) kept)"
            )
        self._apply(
            name,
            current is not None,
            detail,
            lambda: _aws(
                "s3:PutBucketPolicy",
                self.arn,
                self.s3.put_bucket_policy,
                Policy=json.dumps(policy),
                **self.owner,
            ),
        )

    def lifecycle(self) -> None:
        name = "lifecycle"
        current = _read(
            "s3:GetLifecycleConfiguration",
            self.arn,
            {"NoSuchLifecycleConfiguration"},
            self.s3.get_bucket_lifecycle_configuration,
            **self.owner,
        )
        rules: list[dict[str, Any]] = (
            [dict(rule) for rule in current.get("Rules", [])] if current is not None else []
        )
        ours = next((rule for rule in rules if rule.get("ID") == LIFECYCLE_RULE_ID), None)
        wanted = _lifecycle_rule(self.run.noncurrent_days)
        detail = self.run._lifecycle_summary()
        if ours is not None and _same_lifecycle_rule(ours, wanted):
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        others = [rule for rule in rules if rule.get("ID") != LIFECYCLE_RULE_ID]
        if others:
            detail += f" ({len(others)} other rule(s) kept)"
        self._apply(
            name,
            ours is not None,
            detail,
            lambda: _aws(
                "s3:PutLifecycleConfiguration",
                self.arn,
                self.s3.put_bucket_lifecycle_configuration,
                LifecycleConfiguration={"Rules": [*others, wanted]},
                **self.owner,
            ),
        )


# --------------------------------------------------------------------------- wanted settings


def _is_wanted_encryption(rule: Mapping[str, Any], key_arn: str) -> bool:
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    key = str(default.get("KMSMasterKeyID", ""))
    key_id = key_arn.rsplit("/", 1)[-1]
    same_key = key in (key_arn, key_id) or key.endswith(f":key/{key_id}")
    return default.get("SSEAlgorithm") == "aws:kms" and same_key and rule.get("BucketKeyEnabled") is True


def _tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    return {
        "Sid": POLICY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _denies_insecure_transport(statement: Mapping[str, Any], bucket_arn: str) -> bool:
    """Whether a statement already denies every non-TLS request to the bucket and its objects."""
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and _as_list(principal.get("AWS")) == ["*"])
    condition = statement.get("Condition", {})
    secure = condition.get("Bool", {}).get("aws:SecureTransport") if isinstance(condition, dict) else None
    resources = set(_as_list(statement.get("Resource", [])))
    return (
        statement.get("Effect") == "Deny"
        and everyone
        and "s3:*" in _as_list(statement.get("Action", []))
        and str(secure).lower() == "false"
        and {bucket_arn, f"{bucket_arn}/*"} <= resources
    )


def _lifecycle_rule(noncurrent_days: int) -> dict[str, Any]:
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Filter": {},
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
    }


def _same_lifecycle_rule(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    whole_bucket = current.get("Filter", {}) in ({}, {"Prefix": ""}) and current.get("Prefix", "") == ""
    keys = ("Status", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload", "Expiration")
    return whole_bucket and all(current.get(key) == wanted[key] for key in keys)


# --------------------------------------------------------------------------- public API


def _check_arguments(bucket: str | None, key_alias: str, noncurrent_days: int) -> None:
    if bucket is not None and (not _BUCKET_NAME.match(bucket) or ".." in bucket):
        raise BootstrapError(
            f"--bucket {bucket!r} is not a valid S3 bucket name: use 3-63 lowercase letters, digits, "
            "hyphens and dots, starting and ending with a letter or digit."
        )
    if not _ALIAS_NAME.match(key_alias):
        raise BootstrapError(
            f"--key-alias {key_alias!r} is not a valid KMS alias: use alias/NAME with letters, digits, "
            "'/', '_' and '-' (e.g. alias/pulumi-secrets)."
        )
    if key_alias.startswith("alias/aws/"):
        raise BootstrapError(
            f"--key-alias {key_alias!r}: the alias/aws/ prefix is reserved for AWS managed keys; "
            f"pass another alias (e.g. {DEFAULT_KEY_ALIAS})."
        )
    if noncurrent_days < 1:
        raise BootstrapError(f"--noncurrent-days must be 1 or more (got {noncurrent_days}).")


def bootstrap(
    session: boto3.session.Session,
    *,
    region: str,
    bucket: str | None,
    key_alias: str,
    noncurrent_days: int,
    dry_run: bool = False,
) -> BootstrapReport:
    """Create (or check) the S3 state bucket and KMS key of a self-managed Pulumi backend.

    ``bucket`` defaults to ``pulumi-state-<account id>-<region>``. Idempotent: each setting is read,
    compared and written only when different. With ``dry_run`` only read calls are made.

    Raises :class:`BootstrapError` (with the steps done so far in ``.steps``) for errors to report.
    """
    _check_arguments(bucket, key_alias, noncurrent_days)
    run = _Run(session, region=region, key_alias=key_alias, noncurrent_days=noncurrent_days, dry_run=dry_run)
    try:
        run.identify()
        bucket_name = bucket or f"pulumi-state-{run.account_id}-{region}"
        # The bucket name is checked before anything is created, so a taken name costs no key.
        exists = run.bucket_exists(bucket_name)
        key_arn = run.ensure_key()
        run.ensure_bucket(bucket_name, exists, key_arn)
    except BootstrapError as error:
        error.steps = list(run.steps)
        raise
    return BootstrapReport(
        account_id=run.account_id,
        region=region,
        bucket=bucket_name,
        key_alias=key_alias,
        key_arn=key_arn,
        dry_run=dry_run,
        steps=run.steps,
    )


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``dataplatform bootstrap`` options to ``parser``."""
    parser.add_argument(
        "--region",
        default=None,
        help="AWS region of the bucket and key (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)",
    )
    parser.add_argument(
        "--bucket",
        metavar="NAME",
        default=None,
        help="state bucket name (default: pulumi-state-<account id>-<region>)",
    )
    parser.add_argument(
        "--key-alias",
        default=DEFAULT_KEY_ALIAS,
        help=f"KMS alias of the secrets/state key, found or created (default: {DEFAULT_KEY_ALIAS})",
    )
    parser.add_argument(
        "--noncurrent-days",
        type=int,
        metavar="DAYS",
        default=DEFAULT_NONCURRENT_DAYS,
        help=f"days before old state versions expire (default: {DEFAULT_NONCURRENT_DAYS})",
    )
    parser.add_argument("--profile", default=None, help="AWS profile to use (default: the usual AWS chain)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done; change nothing")


@contextmanager
def _session_errors() -> Iterator[None]:
    try:
        yield
    except ProfileNotFound as error:
        raise BootstrapError(f"{error}; check --profile against `aws configure list-profiles`.") from None


def cli_bootstrap(args: argparse.Namespace) -> int:
    """Run bootstrap from parsed arguments; print the report (stdout) or the error (stderr).

    Returns 0 on success, 2 for errors the user must fix, 1 for unexpected AWS errors.
    """
    profile: str | None = getattr(args, "profile", None)
    try:
        with _session_errors():
            session = boto3.session.Session(profile_name=profile)
            region = (
                getattr(args, "region", None)
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
                or session.region_name
            )
            if not region:
                raise BootstrapError("no AWS region: pass --region (or set AWS_REGION).")
            report = bootstrap(
                session,
                region=region,
                bucket=getattr(args, "bucket", None),
                key_alias=getattr(args, "key_alias", DEFAULT_KEY_ALIAS),
                noncurrent_days=getattr(args, "noncurrent_days", DEFAULT_NONCURRENT_DAYS),
                dry_run=bool(getattr(args, "dry_run", False)),
            )
    except BootstrapError as error:
        if error.steps:
            print("Done before the error:", file=sys.stderr)
            for step in error.steps:
                print(f"  {step.outcome.value:<13} {step.name}  {step.detail}".rstrip(), file=sys.stderr)
        print(f"error: {error.message}", file=sys.stderr)
        return error.exit_code
    print(report.render(profile=profile))
    return EXIT_OK
