"""The steps of one bootstrap run: read each setting, compare with the wanted one, write only if different."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ._aws import ACCESS_DENIED, aws_call, aws_read, error_code, reraise
from .report import (
    ABORT_MULTIPART_DAYS,
    KEY_DESCRIPTION,
    LIFECYCLE_RULE_ID,
    MANAGED_BY_TAG,
    POLICY_SID,
    BootstrapError,
    Outcome,
    Step,
)
from .wanted import (
    denies_insecure_transport,
    is_wanted_encryption,
    lifecycle_rule,
    same_lifecycle_rule,
    tls_only_statement,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client


class BootstrapRun:
    """One bootstrap run: the clients, the arguments and the steps so far."""

    def __init__(
        self,
        session: boto3.session.Session,
        *,
        region: str,
        key_alias: str,
        noncurrent_days: int,
        dry_run: bool,
        force: bool = False,
    ) -> None:
        self.force = force
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
        identity = aws_call("sts:GetCallerIdentity", "the caller identity", sts.get_caller_identity)
        self.account_id = identity["Account"]
        self.partition = identity["Arn"].split(":")[1]

    # -- KMS

    def ensure_key(self) -> str | None:
        """Find the key behind the alias or create it (and the alias); ensure rotation.
        Returns the key ARN (``None`` in a dry run that would create it)."""
        alias = self.key_alias
        metadata = aws_read(
            "kms:DescribeKey", alias, {"NotFoundException"}, self.kms.describe_key, KeyId=alias
        )
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
        created = aws_call(
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
            aws_call(
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
            status = aws_call(
                "kms:GetKeyRotationStatus", key_arn, self.kms.get_key_rotation_status, KeyId=key_arn
            )
            if status.get("KeyRotationEnabled"):
                self.record("kms key rotation", Outcome.UNCHANGED, "automatic yearly rotation")
                return
        outcome = self.change(exists=exists)
        if not self.dry_run:
            aws_call("kms:EnableKeyRotation", key_arn, self.kms.enable_key_rotation, KeyId=key_arn)
        self.record("kms key rotation", outcome, "automatic yearly rotation")

    # -- S3

    def bucket_exists(self, bucket: str) -> bool:
        """``head_bucket`` with ``ExpectedBucketOwner``: whether the bucket exists (and is ours)."""
        try:
            response = self.s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=self.account_id)
        except ClientError as error:
            code = error_code(error)
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
            if code in ACCESS_DENIED or status == 403:
                raise BootstrapError(
                    f"bucket {bucket} exists but is not usable: it is owned by another AWS account, "
                    f"or this identity lacks s3:ListBucket on arn:{self.partition}:s3:::{bucket}.\n"
                    "Bucket names are global: pass another --bucket name, or, if the bucket is yours "
                    f"(account {self.account_id}), grant s3:ListBucket on it and run again."
                ) from None
            return aws_call("s3:ListBucket", f"bucket {bucket}", reraise(error))
        except BotoCoreError as error:
            return aws_call("s3:ListBucket", f"bucket {bucket}", reraise(error))
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
            code = error_code(error)
            if code == "BucketAlreadyExists":
                raise BootstrapError(
                    f"bucket name {bucket} is taken by another AWS account (bucket names are global); "
                    "pass another --bucket name."
                ) from None
            if code != "BucketAlreadyOwnedByYou":
                aws_call("s3:CreateBucket", f"bucket {bucket}", reraise(error))
        except BotoCoreError as error:
            aws_call("s3:CreateBucket", f"bucket {bucket}", reraise(error))
        aws_call(
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
            self.audit_existing(bucket)
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

    def audit_existing(self, bucket: str) -> None:
        """Refuse an existing bucket's lifecycle rules and policy statements that would expire or open
        the state (:mod:`.audit`), listing each; ``--force`` keeps them, each reported as kept."""
        from .audit import lifecycle_findings, policy_findings, refusal

        arn = f"arn:{self.partition}:s3:::{bucket}"
        owner = {"Bucket": bucket, "ExpectedBucketOwner": self.account_id}
        lifecycle = aws_read(
            "s3:GetLifecycleConfiguration",
            arn,
            {"NoSuchLifecycleConfiguration"},
            self.s3.get_bucket_lifecycle_configuration,
            **owner,
        )
        rules: list[Any] = list(lifecycle.get("Rules", [])) if lifecycle is not None else []
        findings = lifecycle_findings(rules)
        current = aws_read(
            "s3:GetBucketPolicy", arn, {"NoSuchBucketPolicy"}, self.s3.get_bucket_policy, **owner
        )
        if current is not None:
            # An unreadable policy is the policy step's error to report.
            with contextlib.suppress(KeyError, ValueError):
                findings += policy_findings(json.loads(current["Policy"]))
        if findings and not self.force:
            raise BootstrapError(refusal(bucket, findings))
        for finding in findings:
            self.record(finding.kind, Outcome.KEPT, f"{finding.name}: {finding.why} (--force)")

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

    def __init__(self, run: BootstrapRun, bucket: str, *, new: bool) -> None:
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
        current = aws_call("s3:GetBucketVersioning", self.arn, self.s3.get_bucket_versioning, **self.owner)
        status = current.get("Status")
        if status == "Enabled":
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        self._apply(
            name,
            status is not None,
            f"Enabled (was {status})" if status else detail,
            lambda: aws_call(
                "s3:PutBucketVersioning",
                self.arn,
                self.s3.put_bucket_versioning,
                VersioningConfiguration={"Status": "Enabled"},
                **self.owner,
            ),
        )

    def encryption(self, key_arn: str | None) -> None:
        name = "bucket encryption"
        current = aws_read(
            "s3:GetEncryptionConfiguration",
            self.arn,
            {"ServerSideEncryptionConfigurationNotFoundError"},
            self.s3.get_bucket_encryption,
            **self.owner,
        )
        rules = list(current["ServerSideEncryptionConfiguration"]["Rules"]) if current is not None else []
        detail = f"aws:kms with {key_arn or self.run.key_alias}, bucket key on"
        if key_arn and len(rules) == 1 and is_wanted_encryption(rules[0], key_arn):
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
            lambda: aws_call(
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
        current = aws_read(
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
            lambda: aws_call(
                "s3:PutBucketPublicAccessBlock",
                self.arn,
                self.s3.put_public_access_block,
                PublicAccessBlockConfiguration=wanted,
                **self.owner,
            ),
        )

    def ownership_controls(self) -> None:
        name, detail = "object ownership", "BucketOwnerEnforced (ACLs off)"
        current = aws_read(
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
            lambda: aws_call(
                "s3:PutBucketOwnershipControls",
                self.arn,
                self.s3.put_bucket_ownership_controls,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                **self.owner,
            ),
        )

    def tls_only_policy(self) -> None:
        name = "bucket policy"
        current = aws_read(
            "s3:GetBucketPolicy", self.arn, {"NoSuchBucketPolicy"}, self.s3.get_bucket_policy, **self.owner
        )
        wanted = tls_only_statement(self.arn)
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
            if any(denies_insecure_transport(s, self.arn) for s in statements if isinstance(s, dict)):
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
            lambda: aws_call(
                "s3:PutBucketPolicy",
                self.arn,
                self.s3.put_bucket_policy,
                Policy=json.dumps(policy),
                **self.owner,
            ),
        )

    def lifecycle(self) -> None:
        name = "lifecycle"
        current = aws_read(
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
        wanted = lifecycle_rule(self.run.noncurrent_days)
        detail = self.run._lifecycle_summary()
        if ours is not None and same_lifecycle_rule(ours, wanted):
            self.run.record(name, Outcome.UNCHANGED, detail)
            return
        others = [rule for rule in rules if rule.get("ID") != LIFECYCLE_RULE_ID]
        if others:
            detail += f" ({len(others)} other rule(s) kept)"
        self._apply(
            name,
            ours is not None,
            detail,
            lambda: aws_call(
                "s3:PutLifecycleConfiguration",
                self.arn,
                self.s3.put_bucket_lifecycle_configuration,
                LifecycleConfiguration={"Rules": [*others, wanted]},
                **self.owner,
            ),
        )
