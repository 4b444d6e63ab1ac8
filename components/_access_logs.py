"""S3 server access logs: the one way every bucket that holds data is logged (the lake's buckets,
the Athena query results, the DR replica of the lake).

A log bucket receives the logs of buckets in its own region and account only (S3 user guide,
"Enabling Amazon S3 server access logging": the destination bucket must be in the same Region and
account as the source), so the DR region has a log bucket of its own. The log bucket is SSE-S3
(server access logging cannot write to an SSE-KMS default-encrypted bucket), versioned, private,
ACLs off, TLS only, and admits the logging service for the named source buckets of this account
only. Its own requests are not logged (a log bucket logging to itself loops).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from ._shared import s3_bucket_baseline, s3_transport_statements
from ._validation import SettingsModel
from .iam import policy_json

__all__ = [
    "ACCESS_LOG_PREFIX",
    "AccessLoggingSettings",
    "access_log_bucket",
    "access_log_encryption_rule",
    "access_log_lifecycle_rules",
    "access_log_policy_statements",
    "log_requests",
]

ACCESS_LOG_PREFIX = "s3-access-logs/"
"""Where in a log bucket the logs go (``<prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/``)."""


class AccessLoggingSettings(SettingsModel):
    """S3 server access logging into a separate log bucket."""

    enabled: bool = True
    """Log every request to the buckets that hold data (into a log bucket made for them, or for the
    lake ``DataLakeBucketArgs.log_bucket_name``)."""
    retention_days: int = Field(default=365, ge=1)
    """Days the log bucket keeps access logs."""
    noncurrent_version_expiration_days: int = Field(default=30, ge=1)
    """Days the log bucket keeps overwritten or deleted log versions."""


def access_log_policy_statements(
    log_bucket_arn: str, source_bucket_arns: Sequence[str], account_id: str
) -> list[dict[str, Any]]:
    """The log bucket's policy: the S3 logging service may write logs of our buckets only; TLS only."""
    return [
        # With ACLs disabled (BucketOwnerEnforced) the log-delivery group grant cannot be used;
        # S3 server access logging is authorised by this service-principal statement instead,
        # limited to our own source buckets and account so no one else can write here.
        {
            "Sid": "AllowS3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_bucket_arn}/{ACCESS_LOG_PREFIX}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": sorted(set(source_bucket_arns))},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        },
        *s3_transport_statements(log_bucket_arn),
    ]


def access_log_encryption_rule() -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
    """Default encryption of a log bucket: SSE-S3; SSE-C refused."""
    return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        # S3 server access logging cannot deliver to a bucket whose default encryption
        # is SSE-KMS (the logging service has no grant on customer keys); SSE-S3 is the
        # encryption AWS supports for log target buckets.
        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        ),
        blocked_encryption_types=["SSE-C"],
    )


def access_log_lifecycle_rules(
    logging: AccessLoggingSettings,
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """A log bucket's lifecycle: logs and their old versions expire; stale uploads go after a day."""
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=logging.retention_days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=logging.noncurrent_version_expiration_days
            ),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=1
            ),
        )
    ]


def access_log_bucket(
    base: str,
    *,
    logging: AccessLoggingSettings,
    sources: Sequence[pulumi.Output[str]],
    account_id: pulumi.Input[str],
    force_destroy: bool,
    tags: dict[str, str],
    protected: pulumi.ResourceOptions,
    child: pulumi.ResourceOptions,
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """A log bucket ``base`` (children ``<base>-<role>``) that admits the logs of ``sources``
    (bucket ARNs); ``protected``/``child`` carry the parent and the provider (the region)."""
    bucket = aws.s3.Bucket(base, force_destroy=force_destroy, tags=tags, opts=protected)
    versioning, public_block = s3_bucket_baseline(
        base, bucket, access_log_encryption_rule(), child, protect=not force_destroy
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{base}-lifecycle",
        bucket=bucket.id,
        rules=access_log_lifecycle_rules(logging),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
    )
    policy = aws.s3.BucketPolicy(
        f"{base}-policy",
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, account_id, *sources).apply(
            lambda v: policy_json(access_log_policy_statements(v[0], v[2:], v[1]))
        ),
        # S3 rejects concurrent changes to a bucket's policy and public access block.
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_block])),
    )
    return bucket, policy


def log_requests(
    name: str,
    *,
    bucket: aws.s3.Bucket,
    target: pulumi.Input[str],
    depends_on: Sequence[pulumi.Resource],
    child: pulumi.ResourceOptions,
) -> aws.s3.BucketLogging:
    """Server access logging of ``bucket`` into the log bucket ``target``, partitioned by date."""
    return aws.s3.BucketLogging(
        name,
        bucket=bucket.id,
        target_bucket=target,
        target_prefix=ACCESS_LOG_PREFIX,
        # <prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/, partitioned for Athena.
        target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
            partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                partition_date_source="EventTime"
            )
        ),
        # Logging is checked against the log bucket's policy when it is turned on.
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(depends_on))),
    )
