"""Pure documents of the data lake: bucket, key and role policies, access policies, lifecycle rules.

Plain functions of settings and ARNs; none registers anything, so each is tested without the
engine. The component calls them inside ``Output.apply`` once the ARNs are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .._access_logs import access_log_encryption_rule as log_encryption_rule
from .._access_logs import access_log_lifecycle_rules, access_log_policy_statements
from .._shared import s3_transport_statements
from .._validation import ConfigIssue, InvalidConfigError
from ..iam import kms_account_admin_statement, policy_json
from .settings import (
    AccessLoggingSettings,
    IntelligentTieringSettings,
    LayerSettings,
    ReplicationSettings,
)

__all__ = [
    "access_policy_document",
    "check_access",
    "intelligent_tierings",
    "lake_bucket_policy_statements",
    "lake_encryption_rule",
    "lake_key_policy",
    "lake_lifecycle_rules",
    "layer_prefix",
    "log_bucket_policy_statements",
    "log_encryption_rule",
    "log_lifecycle_rules",
    "replication_role_policy",
    "replication_rules",
]


def layer_prefix(layer_name: str, bucket_per_layer: bool) -> str:
    """The key prefix of a layer in its bucket: ``"<name>/"``, or ``""`` for a bucket of its own."""
    return "" if bucket_per_layer else f"{layer_name}/"


def _region_of_key(key_arn: str) -> str:
    return key_arn.split(":")[3]


# --------------------------------------------------------------------------- bucket policies


def lake_bucket_policy_statements(
    bucket_arn: str, key_arn: str, additional: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The statements of a lake bucket's policy: TLS 1.2+ only, our key only, then ``additional``."""
    both = [bucket_arn, f"{bucket_arn}/*"]
    objects = f"{bucket_arn}/*"
    statements: list[dict[str, Any]] = [
        *s3_transport_statements(bucket_arn),
        # Uploads are denied only when they *ask* for something else: an absent encryption
        # header means "use the bucket default", which is SSE-KMS with our key. Requiring the
        # header would break clients that rely on default encryption, and UploadPart requests,
        # which never carry it. "Null": false makes each condition apply only when the header
        # is present (a negated operator such as StringNotEquals, or any ...IfExists variant,
        # is true when the key is missing, and would deny those requests).
        {
            "Sid": "DenyOtherEncryption",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {
                "Null": {"s3:x-amz-server-side-encryption": "false"},
                "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            },
        },
        # S3 compares this header as sent; clients that name our key must use its full ARN.
        {
            "Sid": "DenyOtherKmsKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
            },
        },
        # SSE-C uploads carry no x-amz-server-side-encryption header, so the statements above
        # would let them through with a key we do not hold.
        {
            "Sid": "DenySseC",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}},
        },
    ]
    for extra in additional:
        statement = _substitute(dict(extra), bucket_arn)
        statement.setdefault("Resource", both)
        statements.append(statement)
    return statements


def _substitute(value: Any, bucket_arn: str) -> Any:
    if isinstance(value, str):
        return value.replace("${bucket_arn}", bucket_arn)
    if isinstance(value, list):
        return [_substitute(v, bucket_arn) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, bucket_arn) for k, v in value.items()}
    return value


def log_bucket_policy_statements(
    log_bucket_arn: str, source_bucket_arns: Sequence[str], account_id: str
) -> list[dict[str, Any]]:
    """The lake's log bucket policy (:func:`components._access_logs.access_log_policy_statements`)."""
    return access_log_policy_statements(log_bucket_arn, source_bucket_arns, account_id)


def log_lifecycle_rules(logging: AccessLoggingSettings) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """The log bucket's lifecycle (:func:`components._access_logs.access_log_lifecycle_rules`)."""
    return access_log_lifecycle_rules(logging)


# --------------------------------------------------------------------------- IAM policies


def check_access(known: Sequence[str] | Mapping[str, Any], read: Sequence[str], write: Sequence[str]) -> None:
    issues: list[ConfigIssue] = []
    for mode, names in (("read", read), ("write", write)):
        if isinstance(names, str):
            issues.append(ConfigIssue(mode, names, "must be a list of layer names; wrap it in [ ]"))
            continue
        unknown = sorted(set(names) - set(known))
        if unknown:
            issues.append(
                ConfigIssue(mode, unknown, f"unknown lake layer(s); the lake has {', '.join(sorted(known))}")
            )
    if not issues and not read and not write:
        issues.append(
            ConfigIssue(
                "read/write", [], "a policy granting nothing is a mistake; name layers to read or write"
            )
        )
    if issues:
        raise InvalidConfigError(issues, subject="lake access policy")


def access_policy_document(
    layers: Mapping[str, tuple[str, str]],
    key_arn: str,
    read: Sequence[str] = (),
    write: Sequence[str] = (),
) -> str:
    """Least-privilege IAM policy JSON for reading ``read`` and writing ``write`` layers.

    ``layers`` maps each layer to ``(bucket_arn, prefix)`` (prefix ``""`` for a bucket of its
    own). Readers get s3:GetObject on the layer's objects and s3:ListBucket limited to its prefix
    (the whole bucket for a bucket of its own). Writers get what table formats (Iceberg, Delta,
    Hudi) and Spark's S3A committers do inside the layer they commit to: read and list it, put and
    delete objects (temporary files, compaction, vacuum), and run multipart uploads (list and
    abort them). Both may use the lake key through S3 only: Decrypt to read, GenerateDataKey and
    Decrypt to write.
    """
    check_access(layers, read, write)

    def objects(names: Sequence[str]) -> list[str]:
        return sorted({f"{layers[n][0]}/{layers[n][1]}*" for n in names})

    # A table-format commit reads the table's metadata back and lists the layer it writes.
    visible = sorted(set(read) | set(write))
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadLayerObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": objects(visible),
        }
    ]
    prefixes: dict[str, set[str]] = {}
    for layer_name in visible:
        bucket_arn, prefix = layers[layer_name]
        prefixes.setdefault(bucket_arn, set()).add(prefix)
    for index, bucket_arn in enumerate(sorted(prefixes)):
        listing: dict[str, Any] = {
            "Sid": f"ListLayers{index}",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
        }
        if "" not in prefixes[bucket_arn]:
            listing["Condition"] = {
                "StringLike": {"s3:prefix": sorted(f"{p}*" for p in prefixes[bucket_arn])}
            }
        statements.append(listing)
    if write:
        statements.append(
            {
                "Sid": "WriteLayerObjects",
                "Effect": "Allow",
                "Action": [
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject",
                ],
                "Resource": objects(write),
            }
        )
        # S3A committers and SDK cleanup list the bucket's pending uploads to abort their own.
        # The action takes no s3:prefix condition (IAM would then never match), so it is granted
        # on the written buckets; it lists upload ids and keys, never object data.
        statements.append(
            {
                "Sid": "ListPendingUploads",
                "Effect": "Allow",
                "Action": "s3:ListBucketMultipartUploads",
                "Resource": sorted({layers[n][0] for n in write}),
            }
        )
    buckets = sorted({layers[n][0] for n in visible})
    # SDKs and engines (Spark, Athena) look up the bucket region first; s3:prefix cannot scope it.
    statements.append(
        {"Sid": "LocateLakeBuckets", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": buckets}
    )
    # Multipart uploads to SSE-KMS objects need kms:Decrypt as well as kms:GenerateDataKey.
    kms_actions = ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
    statements.append(
        {
            "Sid": "UseLakeKeyThroughS3",
            "Effect": "Allow",
            "Action": kms_actions,
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{_region_of_key(key_arn)}.amazonaws.com"}},
        }
    )
    return policy_json(statements)


def replication_role_policy(
    sources: Sequence[str],
    destinations: Sequence[str],
    source_key: str,
    destination_key: str,
    object_lock: bool,
) -> str:
    """The replication role may read versions of our buckets and write replicas to the destinations."""
    source_objects = [f"{arn}/*" for arn in sources]
    read_actions = [
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionTagging",
    ]
    if object_lock:
        read_actions += ["s3:GetObjectLegalHold", "s3:GetObjectRetention"]
    # With S3 Bucket Keys the KMS encryption context is the bucket ARN, without them the object
    # ARN: allow both so the grant survives either setting on either side.
    return policy_json(
        [
            {
                "Sid": "ReadReplicationConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": sorted(sources),
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": sorted(read_actions),
                "Resource": sorted(source_objects),
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                "Resource": sorted({f"{arn}/*" for arn in destinations}),
            },
            {
                "Sid": "DecryptSource",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": source_key,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{_region_of_key(source_key)}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": sorted([*sources, *source_objects])},
                },
            },
            {
                "Sid": "EncryptReplicas",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": destination_key,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{_region_of_key(destination_key)}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": sorted(
                            {*destinations, *(f"{arn}/*" for arn in destinations)}
                        )
                    },
                },
            },
        ]
    )


def lake_key_policy(account: str, partition: str) -> str:
    """Account administration through IAM: who may use the key is decided by IAM policies
    (the access policies this component hands out), not by the key policy."""
    return policy_json([kms_account_admin_statement(account, partition, "AccountAdministersThroughIam")])


# --------------------------------------------------------------------------- bucket configuration


def lake_encryption_rule(
    key_arn: pulumi.Input[str],
) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
    """Default encryption of a lake bucket: SSE-KMS with ``key_arn`` and an S3 Bucket Key; SSE-C refused."""
    return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms",
            kms_master_key_id=key_arn,
        ),
        # One data key per bucket instead of a KMS call per object: cost and throttling.
        bucket_key_enabled=True,
        blocked_encryption_types=["SSE-C"],
    )


def lake_lifecycle_rules(
    layers: Sequence[LayerSettings], bucket_per_layer: bool
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """The lifecycle of a lake bucket: one rule per layer it holds, on the layer's prefix."""
    return [_layer_lifecycle_rule(layer, layer_prefix(layer.name, bucket_per_layer)) for layer in layers]


def _layer_lifecycle_rule(layer: LayerSettings, prefix: str) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    noncurrent = None
    if layer.noncurrent_version_expiration_days is not None:
        noncurrent = aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=layer.noncurrent_version_expiration_days,
            newer_noncurrent_versions=layer.noncurrent_versions_to_keep,
        )
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=layer.rule_id,
        status="Enabled",
        # An empty filter is the whole bucket (a layer with a bucket of its own).
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix or None),
        transitions=[
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=t.days, storage_class=t.storage_class)
            for t in layer.transitions
        ]
        or None,
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=layer.expiration_days)
        if layer.expiration_days is not None
        else None,
        noncurrent_version_expiration=noncurrent,
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=layer.abort_incomplete_multipart_upload_days
        ),
    )


def intelligent_tierings(
    tiering: IntelligentTieringSettings,
) -> list[aws.s3.BucketIntelligentTieringConfigurationTieringArgs]:
    """The archive tiers that are on (a tier set to null is left out)."""
    return [
        aws.s3.BucketIntelligentTieringConfigurationTieringArgs(access_tier=tier, days=days)
        for tier, days in (
            ("ARCHIVE_ACCESS", tiering.archive_access_days),
            ("DEEP_ARCHIVE_ACCESS", tiering.deep_archive_access_days),
        )
        if days is not None
    ]


def replication_rules(
    replication: ReplicationSettings,
    destination_bucket_arn: pulumi.Input[str],
    destination_key_arn: pulumi.Input[str],
) -> list[aws.s3.BucketReplicationConfigRuleArgs]:
    """The replication of a lake bucket: every object (SSE-KMS ones included), re-encrypted with
    ``destination_key_arn``; delete markers and Replication Time Control as ``replication`` says."""
    rtc = replication.replication_time_control
    return [
        aws.s3.BucketReplicationConfigRuleArgs(
            id="replicate-lake",
            status="Enabled",
            filter=aws.s3.BucketReplicationConfigRuleFilterArgs(),
            delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                status="Enabled" if replication.replicate_delete_markers else "Disabled"
            ),
            # SSE-KMS objects are skipped unless asked for explicitly.
            source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                    status="Enabled"
                )
            ),
            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                bucket=destination_bucket_arn,
                storage_class=replication.storage_class,
                encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                    replica_kms_key_id=destination_key_arn
                ),
                replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                    status="Enabled",
                    time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=15),
                )
                if rtc
                else None,
                metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                    status="Enabled",
                    event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                        minutes=15
                    ),
                )
                if rtc
                else None,
            ),
        )
    ]
