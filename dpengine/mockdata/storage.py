"""S3 bucket sub-resources: the ids the provider gives them.

The bucket itself is in :mod:`dpengine.mockdata.core`. Its configuration resources
(versioning, encryption, public access block, ownership, lifecycle, logging, policy,
Object Lock, replication) have no ARN of their own in AWS; the provider's id is the
bucket name (``<bucket>,<name>`` for an Intelligent-Tiering configuration).
"""

from __future__ import annotations

from typing import Any

from ..mocks import MockContext, outputs_for

_BY_BUCKET = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
)


@outputs_for(*_BY_BUCKET)
def _bucket_config(ctx: MockContext) -> dict[str, Any]:
    bucket = ctx.inputs.get("bucket")
    return {"__id": bucket} if isinstance(bucket, str) and bucket else {}


@outputs_for("aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration")
def _tiering(ctx: MockContext) -> dict[str, Any]:
    bucket, name = ctx.inputs.get("bucket"), ctx.inputs.get("name")
    return {"__id": f"{bucket},{name}"} if isinstance(bucket, str) and bucket else {}
