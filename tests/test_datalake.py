"""DataLakeBucket: medallion layers on S3, secure by default, under mocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.datalake import (
    DataLakeBucket,
    DataLakeBucketArgs,
    DataLakeSettings,
    LayerSettings,
    Transition,
    lake_bucket_policy_statements,
    log_bucket_policy_statements,
    transition_issues,
)
from components.iam import policy_json
from dpengine.engine import ResourceRecord
from dpengine.testing import ComponentRun, assert_tagged, run_component

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
TIERING = "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

ACCOUNT = "123456789012"
DEST_KEY = "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
DEST_BUCKET = "arn:aws:s3:::lake-dr-eu-west-1"

PER_BUCKET = {BUCKET: 1, VERSIONING: 1, SSE: 1, PAB: 1, OWNERSHIP: 1, LIFECYCLE: 1, POLICY: 1}


def build_lake(tags: dict[str, str], name: str = "lake", **fields: Any) -> Callable[[], DataLakeBucket]:
    """A factory of a lake, ``fields`` split into settings and wiring (the settings built inside it,
    so that a settings error is raised inside the run too)."""

    def build() -> DataLakeBucket:
        wiring = {k: fields[k] for k in fields if k in DataLakeBucketArgs.__dataclass_fields__}
        settings = DataLakeSettings(**{k: v for k, v in fields.items() if k not in wiring})
        return DataLakeBucket(name, DataLakeBucketArgs(settings=settings, tags=tags, **wiring))

    return build


def make(tags: dict[str, str], name: str = "lake", **fields: Any) -> ComponentRun[DataLakeBucket]:
    return run_component(build_lake(tags, name, **fields))


def counts(*parts: dict[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for token, n in part.items():
            total[token] = total.get(token, 0) + n
    return total


def by_bucket(cr: ComponentRun[DataLakeBucket], token: str, bucket: ResourceRecord) -> ResourceRecord:
    found = [r for r in cr.of_type(token) if r.inputs.get("bucket") == bucket.id]
    assert len(found) == 1, (token, bucket.name, [r.name for r in found])
    return found[0]


def statements(record: ResourceRecord) -> dict[str, dict[str, Any]]:
    document = json.loads(record.inputs["policy"])
    assert document["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids))
    return {s["Sid"]: s for s in document["Statement"]}


def issues_of(error: InvalidConfigError) -> dict[str, str]:
    """Issue path -> message; every path once (so a dict loses nothing)."""
    paths = [issue.path for issue in error.issues]
    assert len(paths) == len(set(paths)), paths
    return {issue.path: issue.message for issue in error.issues}


def attempt(build: Callable[[], DataLakeBucket]) -> tuple[InvalidConfigError | None, list[ResourceRecord]]:
    """Run ``build`` under mocks: the config error it raised (None if it raised none) and every
    resource the run recorded, with or without the error (the engine keeps the run on the error)."""
    try:
        run = run_component(build).run
    except InvalidConfigError as error:
        return error, error.__dict__["recorded_run"].resources
    return None, run.resources


# --------------------------------------------------------------------------- defaults


def test_defaults_one_bucket_three_layers(tags: dict[str, str]) -> None:
    cr = make(tags)
    assert cr.record.type == "dataplatform:storage:DataLakeBucket"
    assert cr.counts() == counts(PER_BUCKET, PER_BUCKET, {KEY: 1, LOGGING: 1})
    assert len(cr.children) == 16
    assert all(r.parent == cr.record.urn for r in cr.children)
    assert all(r.name.startswith("lake-") for r in cr.children)
    assert_tagged(cr.children, tags)

    lake, logs = cr.one(BUCKET, "lake-lake"), cr.one(BUCKET, "lake-logs")
    key = cr.one(KEY)
    c = cr.component
    assert cr.value(c.bucket_names) == {layer: lake.id for layer in ("bronze", "silver", "gold")}
    assert cr.value(c.bucket_arns) == {layer: lake.outputs["arn"] for layer in ("bronze", "silver", "gold")}
    assert c.layer_prefixes == {"bronze": "bronze/", "silver": "silver/", "gold": "gold/"}
    assert cr.value(c.kms_key_arn) == key.outputs["arn"]
    assert cr.value(c.log_bucket_name) == logs.id
    assert c.replication_role_arn is None


def test_key_rotates_and_only_the_account_administers_it(tags: dict[str, str]) -> None:
    key = make(tags).one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    policy = statements(key)
    assert policy == {
        "AccountAdministersThroughIam": {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    }


def test_lake_bucket_is_versioned_kms_encrypted_private_and_acl_free(tags: dict[str, str]) -> None:
    cr = make(tags)
    lake = cr.one(BUCKET, "lake-lake")
    key_arn = cr.one(KEY).outputs["arn"]
    assert lake.inputs["forceDestroy"] is False
    assert lake.inputs["objectLockEnabled"] is False
    assert by_bucket(cr, VERSIONING, lake).inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert by_bucket(cr, SSE, lake).inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
            "bucketKeyEnabled": True,
            "blockedEncryptionTypes": ["SSE-C"],
        }
    ]
    pab = by_bucket(cr, PAB, lake).inputs
    assert {
        k: pab[k]
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    } == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert by_bucket(cr, OWNERSHIP, lake).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    # The policy is put after the public access block (S3 rejects concurrent changes).
    policy = by_bucket(cr, POLICY, lake)
    assert by_bucket(cr, PAB, lake).urn in policy.dependencies
    assert cr.of_type(LOCK) == [] and cr.of_type(TIERING) == [] and cr.of_type(REPLICATION) == []


def test_lake_policy_is_the_lake_document_for_this_bucket_and_key(tags: dict[str, str]) -> None:
    # What the document allows and denies is evaluated in test_datalake_documents.py; here: the
    # component installs it on the right bucket, with the bucket's own ARN and the lake key.
    cr = make(tags)
    lake = cr.one(BUCKET, "lake-lake")
    arn, key_arn = lake.outputs["arn"], cr.one(KEY).outputs["arn"]
    record = by_bucket(cr, POLICY, lake)
    assert record.inputs["policy"] == policy_json(lake_bucket_policy_statements(arn, key_arn))
    policy = statements(record)
    assert list(policy) == [
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenyOtherEncryption",
        "DenyOtherKmsKey",
        "DenySseC",
    ]
    assert policy["DenyInsecureTransport"]["Resource"] == [arn, f"{arn}/*"]
    assert policy["DenyOtherKmsKey"]["Condition"]["StringNotEquals"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn
    }


def test_access_logs_go_to_a_hardened_sse_s3_log_bucket(tags: dict[str, str]) -> None:
    cr = make(tags)
    lake, logs = cr.one(BUCKET, "lake-lake"), cr.one(BUCKET, "lake-logs")
    assert logs.inputs["forceDestroy"] is False
    assert (logs.protect, logs.retain_on_delete) == (True, True)
    assert by_bucket(cr, VERSIONING, logs).inputs["versioningConfiguration"] == {"status": "Enabled"}
    # Log delivery cannot write to SSE-KMS buckets: SSE-S3, and no bucket key / KMS key id.
    assert by_bucket(cr, SSE, logs).inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"},
            "blockedEncryptionTypes": ["SSE-C"],
        }
    ]
    pab = by_bucket(cr, PAB, logs).inputs
    assert all(
        pab[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert by_bucket(cr, OWNERSHIP, logs).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert by_bucket(cr, LIFECYCLE, logs).inputs["rules"] == [
        {
            "id": "expire-access-logs",
            "status": "Enabled",
            "filter": {},
            "expiration": {"days": 365},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        }
    ]
    # The log bucket lets the logging service write logs of the lake bucket, for the caller's
    # account (what that allows is evaluated in test_datalake_documents.py).
    log_policy = by_bucket(cr, POLICY, logs)
    assert log_policy.inputs["policy"] == policy_json(
        log_bucket_policy_statements(logs.outputs["arn"], [lake.outputs["arn"]], ACCOUNT)
    )
    assert by_bucket(cr, PAB, logs).urn in log_policy.dependencies
    logging = cr.one(LOGGING)
    assert logging.inputs["bucket"] == lake.id
    assert logging.inputs["targetBucket"] == logs.id
    assert logging.inputs["targetPrefix"] == "s3-access-logs/"
    assert logging.inputs["targetObjectKeyFormat"] == {
        "partitionedPrefix": {"partitionDateSource": "EventTime"}
    }
    assert log_policy.urn in logging.dependencies


def test_each_layer_gets_its_own_lifecycle_rule_on_its_prefix(tags: dict[str, str]) -> None:
    cr = make(tags)
    rules = by_bucket(cr, LIFECYCLE, cr.one(BUCKET, "lake-lake")).inputs["rules"]
    assert rules == [
        {
            "id": "layer-bronze",
            "status": "Enabled",
            "filter": {"prefix": "bronze/"},
            "transitions": [
                {"days": 30, "storageClass": "STANDARD_IA"},
                {"days": 90, "storageClass": "GLACIER_IR"},
            ],
            "noncurrentVersionExpiration": {"noncurrentDays": 90},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        },
        {
            "id": "layer-silver",
            "status": "Enabled",
            "filter": {"prefix": "silver/"},
            "transitions": [{"days": 90, "storageClass": "STANDARD_IA"}],
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        },
        {
            "id": "layer-gold",
            "status": "Enabled",
            "filter": {"prefix": "gold/"},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        },
    ]
    lifecycle = by_bucket(cr, LIFECYCLE, cr.one(BUCKET, "lake-lake"))
    assert by_bucket(cr, VERSIONING, cr.one(BUCKET, "lake-lake")).urn in lifecycle.dependencies


def test_custom_layers_with_expiry_kept_versions_and_intelligent_tiering(tags: dict[str, str]) -> None:
    layers = [
        {
            "name": "raw",
            "transitions": [
                {"days": 0, "storage_class": "INTELLIGENT_TIERING"},
                {"days": 180, "storage_class": "DEEP_ARCHIVE"},
            ],
            "expiration_days": 730,
            "noncurrent_version_expiration_days": 7,
            "noncurrent_versions_to_keep": 3,
            "abort_incomplete_multipart_upload_days": 2,
            "intelligent_tiering": {"archive_access_days": 120, "deep_archive_access_days": None},
            # Kept for retention, not queried: only such a layer may archive.
            "archive_only": True,
        },
        {"name": "curated", "noncurrent_version_expiration_days": None},
    ]
    cr = make(tags, layers=layers)
    lake = cr.one(BUCKET, "lake-lake")
    assert cr.component.layer_prefixes == {"raw": "raw/", "curated": "curated/"}
    assert by_bucket(cr, LIFECYCLE, lake).inputs["rules"] == [
        {
            "id": "layer-raw",
            "status": "Enabled",
            "filter": {"prefix": "raw/"},
            "transitions": [
                {"days": 0, "storageClass": "INTELLIGENT_TIERING"},
                {"days": 180, "storageClass": "DEEP_ARCHIVE"},
            ],
            "expiration": {"days": 730},
            "noncurrentVersionExpiration": {"noncurrentDays": 7, "newerNoncurrentVersions": 3},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 2},
        },
        {
            "id": "layer-curated",
            "status": "Enabled",
            "filter": {"prefix": "curated/"},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        },
    ]
    tiering = cr.one(TIERING)
    assert tiering.name == "lake-raw-tiering"
    assert {k: tiering.inputs[k] for k in ("bucket", "name", "status", "filter", "tierings")} == {
        "bucket": lake.id,
        "name": "raw-archive",
        "status": "Enabled",
        "filter": {"prefix": "raw/"},
        "tierings": [{"accessTier": "ARCHIVE_ACCESS", "days": 120}],
    }


# --------------------------------------------------------------------------- layout


def test_bucket_per_layer(tags: dict[str, str]) -> None:
    cr = make(tags, bucket_per_layer=True)
    assert cr.counts() == counts(PER_BUCKET, PER_BUCKET, PER_BUCKET, PER_BUCKET, {KEY: 1, LOGGING: 3})
    assert_tagged(cr.children, tags)
    c = cr.component
    names = cr.value(c.bucket_names)
    assert len(set(names.values())) == 3
    assert c.layer_prefixes == {"bronze": "", "silver": "", "gold": ""}
    key_arn = cr.one(KEY).outputs["arn"]
    arns = []
    for layer in ("bronze", "silver", "gold"):
        bucket = cr.one(BUCKET, f"lake-{layer}")
        arns.append(bucket.outputs["arn"])
        assert names[layer] == bucket.id
        assert bucket.inputs["tags"]["DataLakeLayer"] == layer
        assert (bucket.protect, bucket.retain_on_delete, bucket.inputs["forceDestroy"]) == (True, True, False)
        [rule] = by_bucket(cr, LIFECYCLE, bucket).inputs["rules"]
        assert rule["id"] == f"layer-{layer}"
        assert rule["filter"] == {}
        assert by_bucket(cr, SSE, bucket).inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": key_arn,
        }
        assert by_bucket(cr, LOGGING, bucket).inputs["targetBucket"] == cr.one(BUCKET, "lake-logs").id
        assert sorted(statements(by_bucket(cr, POLICY, bucket))) == [
            "DenyInsecureTransport",
            "DenyOtherEncryption",
            "DenyOtherKmsKey",
            "DenyOutdatedTls",
            "DenySseC",
        ]
    assert cr.one(BUCKET, "lake-logs").inputs["tags"] == tags
    log_policy = statements(by_bucket(cr, POLICY, cr.one(BUCKET, "lake-logs")))
    assert log_policy["AllowS3ServerAccessLogs"]["Condition"]["ArnLike"]["aws:SourceArn"] == sorted(arns)
    # A reader of a bucket of its own may list it whole.
    read = json.loads(cr.value(c.read_policy(["silver"])))
    listing = next(s for s in read["Statement"] if s["Action"] == "s3:ListBucket")
    assert listing["Resource"] == cr.one(BUCKET, "lake-silver").outputs["arn"]
    assert "Condition" not in listing


# --------------------------------------------------------------------------- protection


def test_dev_allows_teardown(tags: dict[str, str]) -> None:
    cr = make(tags, deletion_protection=False)
    for record in [*cr.of_type(BUCKET), cr.one(KEY)]:
        assert (record.protect, record.retain_on_delete) == (False, False), record.name
    assert [b.inputs["forceDestroy"] for b in cr.of_type(BUCKET)] == [True, True]
    assert cr.one(KEY).inputs["deletionWindowInDays"] == 30


def test_prod_protects_buckets_their_versioning_and_key_only(tags: dict[str, str]) -> None:
    cr = make(tags)
    protected = sorted(r.name for r in cr.children if r.protect)
    retained = sorted(r.name for r in cr.children if r.retain_on_delete)
    # Deleting a BucketVersioning suspends versioning: kept like its bucket.
    assert (
        protected
        == retained
        == [
            "lake-key",
            "lake-lake",
            "lake-lake-versioning",
            "lake-logs",
            "lake-logs-versioning",
        ]
    )


# --------------------------------------------------------------------------- wiring overrides


def test_a_given_key_and_log_bucket_replace_the_ones_made_here(tags: dict[str, str]) -> None:
    # A key in another region than the stack's: the access policy must follow the key.
    given_key = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    cr = make(tags, kms_key_arn=given_key, log_bucket_name="central-access-logs")
    # No key, no log bucket and no log bucket policy of our own.
    assert cr.counts() == counts(PER_BUCKET, {LOGGING: 1})
    lake = cr.one(BUCKET)
    rule = by_bucket(cr, SSE, lake).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": given_key,
    }
    policy = statements(by_bucket(cr, POLICY, lake))
    assert policy["DenyOtherKmsKey"]["Condition"]["StringNotEquals"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": given_key
    }
    logging = cr.one(LOGGING)
    assert logging.inputs["targetBucket"] == cr.value(cr.component.log_bucket_name)
    assert logging.dependencies == [lake.urn]  # no log bucket policy to wait for
    access = json.loads(cr.value(cr.component.read_policy(["gold"])))
    [use_key] = [s for s in access["Statement"] if s["Sid"] == "UseLakeKeyThroughS3"]
    assert use_key["Resource"] == given_key
    assert use_key["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}


def test_access_logging_off(tags: dict[str, str]) -> None:
    cr = make(tags, access_logging={"enabled": False})
    assert cr.counts() == counts(PER_BUCKET, {KEY: 1})
    assert cr.component.log_bucket_name is None


def test_log_retention_override(tags: dict[str, str]) -> None:
    cr = make(tags, access_logging={"retention_days": 90, "noncurrent_version_expiration_days": 7})
    [rule] = by_bucket(cr, LIFECYCLE, cr.one(BUCKET, "lake-logs")).inputs["rules"]
    assert rule["expiration"] == {"days": 90}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 7}


@pytest.mark.parametrize(("mode", "days"), [("GOVERNANCE", 30), ("COMPLIANCE", 2555)])
def test_object_lock(tags: dict[str, str], mode: str, days: int) -> None:
    cr = make(tags, object_lock={"enabled": True, "mode": mode, "retention_days": days})
    lake = cr.one(BUCKET, "lake-lake")
    assert lake.inputs["objectLockEnabled"] is True
    assert cr.one(BUCKET, "lake-logs").inputs.get("objectLockEnabled") is None
    lock = cr.one(LOCK)
    assert lock.inputs["bucket"] == lake.id
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": mode, "days": days}}
    assert by_bucket(cr, VERSIONING, lake).urn in lock.dependencies


@pytest.mark.parametrize("bucket_per_layer", [False, True])
def test_additional_policy_statements_follow_the_built_in_ones_on_every_bucket(
    tags: dict[str, str], bucket_per_layer: bool
) -> None:
    auditor = f"arn:aws:iam::{ACCOUNT}:role/auditor"
    extra = [
        {
            "Sid": "AuditorReadsGold",
            "Effect": "Allow",
            "Principal": {"AWS": auditor},
            "Action": "s3:GetObject",
            "Resource": "${bucket_arn}/gold/*",
        },
        {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"},
    ]
    cr = make(tags, additional_policy_statements=extra, bucket_per_layer=bucket_per_layer)
    lake_buckets = [b for b in cr.of_type(BUCKET) if b.name != "lake-logs"]
    assert len(lake_buckets) == (3 if bucket_per_layer else 1)
    for bucket in lake_buckets:
        arn = bucket.outputs["arn"]
        policy = statements(by_bucket(cr, POLICY, bucket))
        assert list(policy)[5:] == ["AuditorReadsGold", "NoDeletes"]
        # Each bucket's own ARN, and the bucket and its objects where no Resource was given.
        assert policy["AuditorReadsGold"]["Resource"] == f"{arn}/gold/*"
        assert policy["NoDeletes"]["Resource"] == [arn, f"{arn}/*"]
    # The log bucket's policy is not the place for lake statements.
    assert "NoDeletes" not in statements(by_bucket(cr, POLICY, cr.one(BUCKET, "lake-logs")))


# --------------------------------------------------------------------------- replication


def test_replication_to_another_region(tags: dict[str, str]) -> None:
    cr = make(
        tags,
        replication={"enabled": True},
        replication_destination_bucket_arn=DEST_BUCKET,
        replication_destination_kms_key_arn=DEST_KEY,
    )
    assert cr.counts() == counts(
        PER_BUCKET, PER_BUCKET, {KEY: 1, LOGGING: 1, ROLE: 1, ROLE_POLICY: 1, REPLICATION: 1}
    )
    assert_tagged(cr.children, tags)
    lake = cr.one(BUCKET, "lake-lake")
    arn, key_arn = lake.outputs["arn"], cr.one(KEY).outputs["arn"]
    role = cr.one(ROLE)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    config = cr.one(REPLICATION)
    assert config.inputs["bucket"] == lake.id
    assert config.inputs["role"] == role.outputs["arn"]
    assert config.inputs["rules"] == [
        {
            "id": "replicate-lake",
            "status": "Enabled",
            "filter": {},
            "deleteMarkerReplication": {"status": "Disabled"},
            "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
            "destination": {
                "bucket": DEST_BUCKET,
                "storageClass": "STANDARD",
                "encryptionConfiguration": {"replicaKmsKeyId": DEST_KEY},
            },
        }
    ]
    assert by_bucket(cr, VERSIONING, lake).urn in config.dependencies
    assert cr.one(ROLE_POLICY).urn in config.dependencies
    policy = statements(cr.one(ROLE_POLICY))
    assert sorted(policy) == [
        "DecryptSource",
        "EncryptReplicas",
        "ReadReplicationConfiguration",
        "ReadSourceVersions",
        "WriteReplicas",
    ]
    assert all(s["Effect"] == "Allow" for s in policy.values())
    assert policy["ReadReplicationConfiguration"]["Resource"] == [arn]
    assert policy["ReadSourceVersions"]["Resource"] == [f"{arn}/*"]
    assert policy["ReadSourceVersions"]["Action"] == [
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionTagging",
    ]
    assert policy["WriteReplicas"]["Resource"] == [f"{DEST_BUCKET}/*"]
    assert policy["DecryptSource"]["Resource"] == key_arn
    assert policy["DecryptSource"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.us-east-1.amazonaws.com"
    }
    assert policy["EncryptReplicas"]["Resource"] == DEST_KEY
    assert policy["EncryptReplicas"]["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.eu-west-1.amazonaws.com"
    }
    assert policy["EncryptReplicas"]["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": [DEST_BUCKET, f"{DEST_BUCKET}/*"]
    }
    assert not any(s["Resource"] == "*" for s in policy.values())
    assert cr.value(cr.component.replication_role_arn) == role.outputs["arn"]


def test_replication_per_layer_with_rtc_and_object_lock(tags: dict[str, str]) -> None:
    destinations = {layer: f"arn:aws:s3:::dr-{layer}" for layer in ("bronze", "silver", "gold")}
    cr = make(
        tags,
        bucket_per_layer=True,
        object_lock={"enabled": True},
        replication={
            "enabled": True,
            "replication_time_control": True,
            "replicate_delete_markers": True,
            "storage_class": "GLACIER_IR",
        },
        replication_destination_bucket_arn=destinations,
        replication_destination_kms_key_arn=DEST_KEY,
    )
    assert len(cr.of_type(REPLICATION)) == 3 and len(cr.of_type(ROLE)) == 1
    for layer, target in destinations.items():
        [rule] = by_bucket(cr, REPLICATION, cr.one(BUCKET, f"lake-{layer}")).inputs["rules"]
        assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
        assert rule["destination"] == {
            "bucket": target,
            "storageClass": "GLACIER_IR",
            "encryptionConfiguration": {"replicaKmsKeyId": DEST_KEY},
            "replicationTime": {"status": "Enabled", "time": {"minutes": 15}},
            "metrics": {"status": "Enabled", "eventThreshold": {"minutes": 15}},
        }
    policy = statements(cr.one(ROLE_POLICY))
    assert policy["WriteReplicas"]["Resource"] == sorted(f"{t}/*" for t in destinations.values())
    assert "s3:GetObjectRetention" in policy["ReadSourceVersions"]["Action"]
    assert "s3:GetObjectLegalHold" in policy["ReadSourceVersions"]["Action"]


# --------------------------------------------------------------------------- access policies


def test_access_policy_is_least_privilege(tags: dict[str, str]) -> None:
    cr = make(tags)
    lake = cr.one(BUCKET, "lake-lake")
    arn, key_arn = lake.outputs["arn"], cr.one(KEY).outputs["arn"]
    document = json.loads(cr.value(cr.component.access_policy(read=["bronze", "silver"], write=["silver"])))
    policy = {s["Sid"]: s for s in document["Statement"]}
    assert policy == {
        "ReadLayerObjects": {
            "Sid": "ReadLayerObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"{arn}/bronze/*", f"{arn}/silver/*"],
        },
        "ListLayers0": {
            "Sid": "ListLayers0",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn,
            "Condition": {"StringLike": {"s3:prefix": ["bronze/*", "silver/*"]}},
        },
        "WriteLayerObjects": {
            "Sid": "WriteLayerObjects",
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            "Resource": [f"{arn}/silver/*"],
        },
        "ListPendingUploads": {
            "Sid": "ListPendingUploads",
            "Effect": "Allow",
            "Action": "s3:ListBucketMultipartUploads",
            "Resource": [arn],
        },
        "LocateLakeBuckets": {
            "Sid": "LocateLakeBuckets",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": [arn],
        },
        "UseLakeKeyThroughS3": {
            "Sid": "UseLakeKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
        },
    }


def test_read_and_write_policies(tags: dict[str, str]) -> None:
    cr = make(tags)
    arn = cr.one(BUCKET, "lake-lake").outputs["arn"]
    read = {s["Sid"]: s for s in json.loads(cr.value(cr.component.read_policy(["gold"])))["Statement"]}
    assert sorted(read) == ["ListLayers0", "LocateLakeBuckets", "ReadLayerObjects", "UseLakeKeyThroughS3"]
    assert read["UseLakeKeyThroughS3"]["Action"] == ["kms:Decrypt"]
    assert read["ReadLayerObjects"]["Resource"] == [f"{arn}/gold/*"]
    write = {s["Sid"]: s for s in json.loads(cr.value(cr.component.write_policy(["bronze"])))["Statement"]}
    assert sorted(write) == [
        "ListLayers0",
        "ListPendingUploads",
        "LocateLakeBuckets",
        "ReadLayerObjects",
        "UseLakeKeyThroughS3",
        "WriteLayerObjects",
    ]
    assert write["WriteLayerObjects"]["Action"] == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ]
    # A writer reads and lists the layer it writes, and nothing else.
    assert write["WriteLayerObjects"]["Resource"] == [f"{arn}/bronze/*"]
    assert write["ReadLayerObjects"]["Resource"] == [f"{arn}/bronze/*"]
    assert write["ListLayers0"]["Condition"] == {"StringLike": {"s3:prefix": ["bronze/*"]}}


@pytest.mark.parametrize(
    ("read", "write", "path", "fix"),
    [
        (["platinum"], [], "read", "the lake has bronze, gold, silver"),
        ([], ["Gold"], "write", "unknown lake layer"),
        ([], [], "read/write", "name layers to read or write"),
        ("gold", [], "read", "wrap it in [ ]"),
    ],
)
def test_access_policy_rejects_bad_layers_at_once(
    tags: dict[str, str], read: Any, write: Any, path: str, fix: str
) -> None:
    cr = make(tags)
    # Raised by the call itself, not later inside an apply, so a typo fails the program at once.
    with pytest.raises(InvalidConfigError) as err:
        cr.component.access_policy(read=read, write=write)
    assert [issue.path for issue in err.value.issues] == [path]
    assert fix in err.value.issues[0].message


# --------------------------------------------------------------------------- validation


def test_valid_transition_chain_has_no_issues() -> None:
    chain = [
        Transition(days=30, storage_class="STANDARD_IA"),
        Transition(days=60, storage_class="INTELLIGENT_TIERING"),
        Transition(days=90, storage_class="ONEZONE_IA"),
        Transition(days=120, storage_class="GLACIER_IR"),
        Transition(days=121, storage_class="GLACIER"),
        Transition(days=200, storage_class="DEEP_ARCHIVE"),
    ]
    assert transition_issues(chain) == []
    layer = LayerSettings(name="x", transitions=chain, expiration_days=201, archive_only=True)
    assert layer.expiration_days == 201


_DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"}


def _layer(**fields: Any) -> dict[str, Any]:
    # archive_only: these cases are about S3's own rules, which archive layers meet too.
    return {"layers": [{"name": "bronze", "archive_only": True, **fields}]}


@pytest.mark.parametrize(
    ("data", "path", "fix"),
    [
        (
            _layer(transitions=[{"days": 7, "storage_class": "STANDARD_IA"}]),
            "layers[0].transitions[0].days",
            "use 30 or more",
        ),
        (
            _layer(transitions=[{"days": 10, "storage_class": "ONEZONE_IA"}]),
            "layers[0].transitions[0].days",
            "at least 30 days",
        ),
        (
            _layer(
                transitions=[
                    {"days": 90, "storage_class": "GLACIER_IR"},
                    {"days": 60, "storage_class": "DEEP_ARCHIVE"},
                ]
            ),
            "layers[0].transitions[1].days",
            "ascending days",
        ),
        (
            _layer(
                transitions=[
                    {"days": 30, "storage_class": "GLACIER"},
                    {"days": 60, "storage_class": "GLACIER_IR"},
                ]
            ),
            "layers[0].transitions[1].storage_class",
            "order transitions along STANDARD_IA > ",
        ),
        (
            _layer(
                transitions=[
                    {"days": 30, "storage_class": "STANDARD_IA"},
                    {"days": 45, "storage_class": "GLACIER"},
                ]
            ),
            "layers[0].transitions[1].days",
            "use 60 or more",
        ),
        (
            _layer(transitions=[{"days": 90, "storage_class": "GLACIER"}], expiration_days=90),
            "layers[0].expiration_days",
            "later than the last transition (day 90)",
        ),
        (
            _layer(transitions=[{"days": 1, "storage_class": "TAPE"}]),
            "layers[0].transitions[0].storage_class",
            "DEEP_ARCHIVE",
        ),
        (
            _layer(transitions=[{"days": -1, "storage_class": "GLACIER"}]),
            "layers[0].transitions[0].days",
            "0",
        ),
        (_layer(expiration_days=0), "layers[0].expiration_days", "1"),
        (
            _layer(abort_incomplete_multipart_upload_days=0),
            "layers[0].abort_incomplete_multipart_upload_days",
            "1",
        ),
        (
            _layer(noncurrent_version_expiration_days=None, noncurrent_versions_to_keep=2),
            "layers[0].noncurrent_versions_to_keep",
            "set that too",
        ),
        (
            _layer(intelligent_tiering={}),
            "layers[0].intelligent_tiering",
            "{days: 0, storage_class: INTELLIGENT_TIERING}",
        ),
        (
            _layer(
                transitions=[{"days": 0, "storage_class": "INTELLIGENT_TIERING"}],
                intelligent_tiering={"archive_access_days": 200, "deep_archive_access_days": 190},
            ),
            "layers[0].intelligent_tiering.deep_archive_access_days",
            "greater than archive_access_days (200)",
        ),
        (
            _layer(
                transitions=[{"days": 0, "storage_class": "INTELLIGENT_TIERING"}],
                intelligent_tiering={"archive_access_days": 30},
            ),
            "layers[0].intelligent_tiering.archive_access_days",
            "90",
        ),
        (
            _layer(
                transitions=[{"days": 0, "storage_class": "INTELLIGENT_TIERING"}],
                intelligent_tiering={"archive_access_days": None, "deep_archive_access_days": None},
            ),
            "layers[0].intelligent_tiering",
            "drop intelligent_tiering",
        ),
        ({"layers": []}, "layers", "at least one layer"),
        ({"layers": [{"name": "gold"}, {"name": "gold"}]}, "layers[1].name", "unique"),
        ({"layers": [{"name": "Gold"}]}, "layers[0].name", "lowercase letters"),
        ({"layers": [{"name": "logs"}]}, "layers[0].name", "rename the layer"),
        ({"layers": [{"name": "gold", "lifecycle": {}}]}, "layers[0].lifecycle", "valid keys"),
        ({"object_lock": {"mode": "COMPLIANCE"}}, "object_lock.mode", "set enabled: true"),
        ({"object_lock": {"enabled": True, "mode": "WORM"}}, "object_lock.mode", "GOVERNANCE"),
        ({"object_lock": {"enabled": True, "retention_days": 0}}, "object_lock.retention_days", "1"),
        (
            {"deletion_protection": False, "object_lock": {"enabled": True, "mode": "COMPLIANCE"}},
            "object_lock.mode",
            "use GOVERNANCE or keep deletion_protection on",
        ),
        ({"bucket_per_layers": True}, "bucket_per_layers", "did you mean 'bucket_per_layer'?"),
        (
            {
                "additional_policy_statements": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
                ]
            },
            "additional_policy_statements[0].Principal",
            "name the account or role ARNs",
        ),
        (
            {
                "additional_policy_statements": [
                    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Sid": "DenySseC"}
                ]
            },
            "additional_policy_statements[0].Sid",
            "rename it",
        ),
        (
            {"additional_policy_statements": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*"}]},
            "additional_policy_statements[0].Effect",
            "'Allow' or 'Deny'",
        ),
        (
            {"additional_policy_statements": [{"Effect": "Deny", "Action": "s3:*"}]},
            "additional_policy_statements[0].Principal",
            "needs a Principal",
        ),
    ],
)
def test_bad_settings_are_rejected_with_path_and_fix(data: dict[str, Any], path: str, fix: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        DataLakeSettings(**data)
    # Exactly one problem, at exactly this path (a substring test would let "layers" match "layers[0]").
    assert [issue.path for issue in err.value.issues] == [path], str(err.value)
    assert fix in err.value.issues[0].message, str(err.value)


def test_every_problem_of_a_statement_is_reported_at_once() -> None:
    with pytest.raises(InvalidConfigError) as err:
        DataLakeSettings(
            additional_policy_statements=[
                {"Effect": "Maybe"},
                {"Sid": "A-1", **_DENY},
                {"Sid": "Same", **_DENY},
                {"Sid": "Same", **_DENY},
            ]
        )
    assert [issue.path for issue in err.value.issues] == [
        "additional_policy_statements[0].Effect",
        "additional_policy_statements[0].Action",
        "additional_policy_statements[0].Principal",
        "additional_policy_statements[1].Sid",
        "additional_policy_statements[3].Sid",
    ]
    assert "unique" in issues_of(err.value)["additional_policy_statements[3].Sid"]


def test_stack_config_paths_are_prefixed() -> None:
    data = _layer(transitions=[{"days": 5, "storage_class": "STANDARD_IA"}])
    with pytest.raises(InvalidConfigError) as err:
        DataLakeSettings.parse(data, prefix="dataplatform:lake")
    assert [issue.path for issue in err.value.issues] == ["dataplatform:lake.layers[0].transitions[0].days"]
    assert DataLakeSettings().layer_names == ["bronze", "silver", "gold"]


@pytest.mark.parametrize(
    ("name", "fields", "path", "fix"),
    [
        ("lake", {"kms_key_arn": "alias/lake"}, "args.kms_key_arn", "not a key id or alias"),
        (
            "lake",
            {"log_bucket_name": "logs", "access_logging": {"enabled": False}},
            "args.log_bucket_name",
            "drop it",
        ),
        ("lake", {"log_bucket_name": "arn:aws:s3:::logs"}, "args.log_bucket_name", "not an ARN"),
        ("Lake", {}, "name", "lowercase"),
        ("l" * 50, {"bucket_per_layer": True}, "name", "shorten"),
        (
            "lake",
            {"replication": {"enabled": True}, "replication_destination_kms_key_arn": DEST_KEY},
            "args.replication_destination_bucket_arn",
            "pass the destination bucket ARN",
        ),
        (
            "lake",
            {"replication": {"enabled": True}, "replication_destination_bucket_arn": DEST_BUCKET},
            "args.replication_destination_kms_key_arn",
            "pass its ARN",
        ),
        (
            "lake",
            {
                "replication": {"enabled": True},
                "replication_destination_bucket_arn": "lake-dr",
                "replication_destination_kms_key_arn": DEST_KEY,
            },
            "args.replication_destination_bucket_arn",
            "arn:aws:s3:::<bucket>",
        ),
        (
            "lake",
            {
                "bucket_per_layer": True,
                "replication": {"enabled": True},
                "replication_destination_bucket_arn": DEST_BUCKET,
                "replication_destination_kms_key_arn": DEST_KEY,
            },
            "args.replication_destination_bucket_arn",
            "pass a mapping of layer to bucket ARN",
        ),
        (
            "lake",
            {
                "bucket_per_layer": True,
                "replication": {"enabled": True},
                "replication_destination_bucket_arn": {"gold": DEST_BUCKET, "platinum": DEST_BUCKET},
                "replication_destination_kms_key_arn": DEST_KEY,
            },
            "args.replication_destination_bucket_arn",
            "add bronze, silver; remove platinum",
        ),
        (
            "lake",
            {"replication_destination_bucket_arn": DEST_BUCKET},
            "args.replication_destination_bucket_arn",
            "set replication.enabled: true",
        ),
    ],
)
def test_bad_wiring_is_rejected_before_registration(
    tags: dict[str, str], name: str, fields: dict[str, Any], path: str, fix: str
) -> None:
    error, registered = attempt(build_lake(tags, name, **fields))
    assert error is not None
    assert [issue.path for issue in error.issues] == [path], str(error)
    assert fix in error.issues[0].message
    # The run recorded nothing at all: not the component, not its key (see the test below for
    # the same check seeing what a valid run registers).
    assert [(r.type, r.name) for r in registered] == []


def test_the_registration_check_sees_what_a_run_registers(tags: dict[str, str]) -> None:
    error, registered = attempt(build_lake(tags))
    assert error is None
    types = {r.type for r in registered}
    assert {"dataplatform:storage:DataLakeBucket", KEY, BUCKET} <= types


def test_every_wiring_problem_is_reported_at_once(tags: dict[str, str]) -> None:
    error, registered = attempt(
        build_lake(
            tags,
            kms_key_arn="11111111-2222-3333-4444-555555555555",
            log_bucket_name="arn:aws:s3:::logs",
            bucket_per_layer=True,
            replication={"enabled": True},
            replication_destination_bucket_arn={
                "bronze": DEST_BUCKET,
                "silver": "dr-silver",
                "gold": DEST_BUCKET,
            },
            replication_destination_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:alias/dr",
        )
    )
    assert error is not None and registered == []
    issues = issues_of(error)
    assert list(issues) == [
        "args.kms_key_arn",
        "args.log_bucket_name",
        "args.replication_destination_bucket_arn.silver",
        "args.replication_destination_kms_key_arn",
    ]
    # One rule for every KMS key ARN (components._shared): key ids and alias ARNs are refused.
    assert "not a key id or alias: the bucket policy pins uploads to it" in issues["args.kms_key_arn"]
    assert "not a key id or alias" in issues["args.replication_destination_kms_key_arn"]


def test_outputs_are_not_judged_before_they_are_known(tags: dict[str, str]) -> None:
    import pulumi

    key = pulumi.Output.from_input("arn:aws:kms:us-east-1:123456789012:key/abc")
    cr = make(tags, kms_key_arn=key, log_bucket_name=pulumi.Output.from_input("central-logs"))
    assert cr.of_type(KEY) == []
    assert cr.one(LOGGING).inputs["targetBucket"] == "central-logs"


def test_unused_wiring_shows_a_mapping_by_its_layers(tags: dict[str, str]) -> None:
    error, registered = attempt(
        build_lake(tags, replication_destination_bucket_arn={"gold": DEST_BUCKET}, bucket_per_layer=True)
    )
    assert error is not None and registered == []
    [issue] = error.issues
    assert (issue.path, issue.value) == ("args.replication_destination_bucket_arn", ["gold"])
    assert "set replication.enabled: true or drop it" in issue.message


def test_missing_tags_are_rejected_before_registration(tags: dict[str, str]) -> None:
    del tags["Owner"]
    error, registered = attempt(build_lake(tags))
    assert error is not None and registered == []
    assert [issue.path for issue in error.issues] == ["tags.Owner"]
