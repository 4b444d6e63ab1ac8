"""The data lake's pure documents (components.datalake.documents), without the engine.

Policies are judged by evaluating them against requests (the pack's IAM evaluator,
``policies/_iam_eval.py``), not by comparing them with a copy of themselves.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from components._shared import s3_transport_statements
from components._validation import InvalidConfigError
from components.datalake import AccessLoggingSettings, LayerSettings, ReplicationSettings
from components.datalake.documents import (
    access_policy_document,
    check_access,
    intelligent_tierings,
    lake_bucket_policy_statements,
    lake_encryption_rule,
    lake_key_policy,
    lake_lifecycle_rules,
    layer_prefix,
    log_bucket_policy_statements,
    log_encryption_rule,
    log_lifecycle_rules,
    replication_role_policy,
    replication_rules,
)
from components.datalake.settings import BUILT_IN_SIDS, DataLakeSettings, IntelligentTieringSettings
from policies._iam_eval import DELEGATED, Caller, Request, evaluate

ACCOUNT = "111122223333"
LAKE = "arn:aws:s3:::lake-lake-0a1b2c3"
LOGS = "arn:aws:s3:::lake-logs-4d5e6f7"
# A key in another region than the default us-east-1: the kms:ViaService conditions must follow it.
KEY = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/99999999-8888-7777-6666-555555555555"
DEST = "arn:aws:s3:::lake-dr"
DEST_KEY = "arn:aws:kms:ap-southeast-2:111122223333:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

# --------------------------------------------------------------------------- the pack's IAM evaluator

SECURE = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.2"}
"""What every request below carries unless it says otherwise: HTTPS with TLS 1.2."""


def _caller(caller: tuple[str, str] | None) -> Caller:
    if caller is None:
        return Caller()
    kind, name = caller
    return Caller(service=name) if kind == "Service" else Caller(arn=name)


def decide(
    statements: Sequence[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
    *,
    caller: tuple[str, str] | None = None,
) -> str:
    """``"deny"`` (an explicit Deny matches), ``"allow"`` (an Allow matches, no Deny) or ``"implicit"``."""
    request = Request(action, resource, _caller(caller), {**SECURE, **(context or {})})
    decision = evaluate(list(statements), request).decision
    return "allow" if decision == DELEGATED else decision


def denied(
    statements: Sequence[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> list[str]:
    """Sids of the Deny statements (Principal ``*``) that match the request."""
    request = Request(action, resource, Caller(), {**SECURE, **(context or {})})
    deny_all = [s for s in statements if s["Effect"] == "Deny" and s["Principal"] == "*"]
    return sorted(evaluate(deny_all, request, resource_policy=True).statements)


def _document(policy: str) -> list[dict[str, Any]]:
    parsed = json.loads(policy)
    assert parsed["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in parsed["Statement"] if "Sid" in s]
    assert len(sids) == len(set(sids)), sids
    statements: list[dict[str, Any]] = parsed["Statement"]
    return statements


def test_the_evaluator_itself_tells_allow_deny_and_implicit_apart() -> None:
    allow = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
    deny = {"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    deny["Condition"] = {"StringNotEquals": {"s3:x": "ok"}}
    assert decide([allow], "s3:GetObject", "arn:aws:s3:::b/k") == "allow"
    assert decide([allow], "s3:PutObject", "arn:aws:s3:::b/k") == "implicit"
    assert decide([allow, deny], "s3:GetObject", "arn:aws:s3:::b/k") == "deny"  # key absent: negated is true
    assert decide([allow, deny], "s3:GetObject", "arn:aws:s3:::b/k", {"s3:x": "ok"}) == "allow"


# --------------------------------------------------------------------------- lake bucket policy

SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"


def test_lake_policy_starts_with_the_shared_transport_statements_in_a_fixed_order() -> None:
    statements = lake_bucket_policy_statements(LAKE, KEY)
    assert [s["Sid"] for s in statements] == [
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenyOtherEncryption",
        "DenyOtherKmsKey",
        "DenySseC",
    ]
    assert statements[:2] == s3_transport_statements(LAKE)
    assert all(s["Effect"] == "Deny" and s["Principal"] == "*" for s in statements)
    # No ...IfExists operator: it is true when the header is absent, so it would deny default encryption.
    assert not any(op.endswith("IfExists") for s in statements for op in s.get("Condition", {}))


def test_lake_policy_denies_plain_http_old_tls_and_foreign_encryption() -> None:
    policy = lake_bucket_policy_statements(LAKE, KEY)
    obj = f"{LAKE}/bronze/2024/01/part-0.parquet"
    assert denied(policy, "s3:GetObject", obj, {"aws:SecureTransport": "false"}) == ["DenyInsecureTransport"]
    assert denied(policy, "s3:ListBucket", LAKE, {"s3:TlsVersion": "1.1"}) == ["DenyOutdatedTls"]
    assert denied(policy, "s3:GetObject", obj, {"s3:TlsVersion": "1.3"}) == []
    assert denied(policy, "s3:GetObject", obj) == []
    # Relying on the bucket default (no header), or asking for our key, is fine.
    assert denied(policy, "s3:PutObject", obj) == []
    assert denied(policy, "s3:PutObject", obj, {SSE: "aws:kms"}) == []
    assert denied(policy, "s3:PutObject", obj, {SSE: "aws:kms", SSE_KEY: KEY}) == []
    # Anything else is refused.
    assert denied(policy, "s3:PutObject", obj, {SSE: "AES256"}) == ["DenyOtherEncryption"]
    assert denied(policy, "s3:PutObject", obj, {SSE: "aws:kms:dsse"}) == ["DenyOtherEncryption"]
    assert denied(policy, "s3:PutObject", obj, {SSE: "aws:kms", SSE_KEY: OTHER_KEY}) == ["DenyOtherKmsKey"]
    assert denied(policy, "s3:PutObject", obj, {SSE_C: "AES256"}) == ["DenySseC"]
    # The statements are about this bucket only.
    assert denied(policy, "s3:PutObject", "arn:aws:s3:::elsewhere/k", {SSE: "AES256"}) == []


def test_additional_statements_get_the_bucket_arn_and_default_to_bucket_and_objects() -> None:
    auditor = f"arn:aws:iam::{ACCOUNT}:role/auditor"
    extra = [
        {
            "Sid": "AuditorReadsGold",
            "Effect": "Allow",
            "Principal": {"AWS": auditor},
            "Action": "s3:GetObject",
            "Resource": "${bucket_arn}/gold/*",
            "Condition": {"ArnLike": {"aws:SourceArn": ["${bucket_arn}", "${bucket_arn}/x/*"]}},
        },
        {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"},
    ]
    given = copy.deepcopy(extra)
    statements = lake_bucket_policy_statements(LAKE, KEY, extra)
    assert extra == given  # the settings' statements are not modified
    assert [s["Sid"] for s in statements[5:]] == ["AuditorReadsGold", "NoDeletes"]
    auditor_reads, no_deletes = statements[5:]
    assert auditor_reads["Resource"] == f"{LAKE}/gold/*"
    assert auditor_reads["Condition"] == {"ArnLike": {"aws:SourceArn": [LAKE, f"{LAKE}/x/*"]}}
    assert no_deletes["Resource"] == [LAKE, f"{LAKE}/*"]
    assert denied(statements, "s3:DeleteBucket", LAKE) == ["NoDeletes"]
    gold = f"{LAKE}/gold/report.parquet"
    source = {"aws:SourceArn": LAKE}
    assert decide(statements, "s3:GetObject", gold, source, caller=("AWS", auditor)) == "allow"
    bronze = f"{LAKE}/bronze/raw.json"
    assert decide(statements, "s3:GetObject", bronze, source, caller=("AWS", auditor)) == "implicit"
    someone = ("AWS", f"arn:aws:iam::{ACCOUNT}:role/someone")
    assert decide(statements, "s3:GetObject", gold, source, caller=someone) == "implicit"


def test_every_built_in_sid_is_reserved_for_the_component() -> None:
    written = {s["Sid"] for s in lake_bucket_policy_statements(LAKE, KEY)}
    written |= {s["Sid"] for s in log_bucket_policy_statements(LOGS, [LAKE], ACCOUNT)}
    assert written == BUILT_IN_SIDS


# --------------------------------------------------------------------------- log bucket policy


def test_only_the_s3_logging_service_writes_logs_of_our_buckets() -> None:
    other = "arn:aws:s3:::lake-silver-1234567"
    statements = log_bucket_policy_statements(LOGS, [other, LAKE, other], ACCOUNT)
    assert [s["Sid"] for s in statements] == [
        "AllowS3ServerAccessLogs",
        "DenyInsecureTransport",
        "DenyOutdatedTls",
    ]
    assert statements[1:] == s3_transport_statements(LOGS)
    assert statements[0]["Condition"]["ArnLike"]["aws:SourceArn"] == [LAKE, other]  # once each, sorted
    logging = ("Service", "logging.s3.amazonaws.com")
    log_object = f"{LOGS}/s3-access-logs/{ACCOUNT}/us-east-1/lake/2024/01/01/x"

    def put(key: str = log_object, caller: tuple[str, str] = logging, **context: str) -> str:
        request = {"aws:SourceArn": LAKE, "aws:SourceAccount": ACCOUNT, **context}
        return decide(statements, "s3:PutObject", key, request, caller=caller)

    assert put() == "allow"
    assert put(**{"aws:SourceAccount": "999999999999"}) == "implicit"
    assert put(**{"aws:SourceArn": "arn:aws:s3:::theirs"}) == "implicit"
    assert put(key=f"{LOGS}/elsewhere/x") == "implicit"
    assert put(caller=("AWS", f"arn:aws:iam::{ACCOUNT}:root")) == "implicit"
    assert put(**{"aws:SecureTransport": "false"}) == "deny"
    ours = {"aws:SourceArn": LAKE, "aws:SourceAccount": ACCOUNT}
    assert decide(statements, "s3:DeleteObject", log_object, ours, caller=logging) == "implicit"


# --------------------------------------------------------------------------- access policies

SHARED = {name: (LAKE, f"{name}/") for name in ("bronze", "silver", "gold")}
"""Three layers as prefixes of one bucket."""


@pytest.mark.parametrize(
    ("read", "write", "paths", "fix"),
    [
        (["platinum"], [], ["read"], "the lake has bronze, gold, silver"),
        ([], ["Gold"], ["write"], "unknown lake layer"),
        (["platinum"], ["Gold"], ["read", "write"], "unknown lake layer"),
        ([], [], ["read/write"], "name layers to read or write"),
        ("gold", [], ["read"], "wrap it in [ ]"),
        ([], "gold", ["write"], "wrap it in [ ]"),
    ],
)
def test_check_access_rejects_bad_layers(read: Any, write: Any, paths: list[str], fix: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        check_access(SHARED, read, write)
    assert [issue.path for issue in err.value.issues] == paths
    assert fix in err.value.issues[0].message


def test_check_access_accepts_known_layers() -> None:
    check_access(SHARED, ["gold"], [])
    check_access(["bronze", "gold"], [], ["bronze"])


def test_a_reader_gets_its_layers_objects_and_listing_only() -> None:
    policy = _document(access_policy_document(SHARED, KEY, read=["bronze"]))
    obj = f"{LAKE}/bronze/2024/part-0.parquet"
    assert decide(policy, "s3:GetObject", obj) == "allow"
    assert decide(policy, "s3:GetObject", f"{LAKE}/silver/x") == "implicit"
    assert decide(policy, "s3:PutObject", obj) == "implicit"
    assert decide(policy, "s3:DeleteObject", obj) == "implicit"
    assert decide(policy, "s3:ListBucket", LAKE, {"s3:prefix": "bronze/2024/"}) == "allow"
    assert decide(policy, "s3:ListBucket", LAKE, {"s3:prefix": "silver/"}) == "implicit"
    assert decide(policy, "s3:ListBucket", LAKE) == "implicit"  # no prefix: the whole bucket
    assert decide(policy, "s3:GetBucketLocation", LAKE) == "allow"
    # The key only through S3 in the key's own region, and only to decrypt.
    via_s3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert decide(policy, "kms:Decrypt", KEY, via_s3) == "allow"
    assert decide(policy, "kms:Decrypt", KEY, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}) == "implicit"
    assert decide(policy, "kms:Decrypt", KEY) == "implicit"
    assert decide(policy, "kms:GenerateDataKey", KEY, via_s3) == "implicit"
    assert decide(policy, "kms:Decrypt", OTHER_KEY, via_s3) == "implicit"


VIA_S3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}


def test_a_writer_gets_exactly_what_a_table_format_needs_in_its_layer() -> None:
    policy = _document(access_policy_document(SHARED, KEY, write=["silver"]))
    assert policy == [
        {
            "Sid": "ReadLayerObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"{LAKE}/silver/*"],
        },
        {
            "Sid": "ListLayers0",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": LAKE,
            "Condition": {"StringLike": {"s3:prefix": ["silver/*"]}},
        },
        {
            "Sid": "WriteLayerObjects",
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            "Resource": [f"{LAKE}/silver/*"],
        },
        {
            "Sid": "ListPendingUploads",
            "Effect": "Allow",
            "Action": "s3:ListBucketMultipartUploads",
            "Resource": [LAKE],
        },
        {"Sid": "LocateLakeBuckets", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": [LAKE]},
        {
            "Sid": "UseLakeKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": KEY,
            "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
        },
    ]


# What an Iceberg/Delta commit into silver, reading bronze, sends to S3 and KMS: each must be allowed.
TABLE_COMMIT = [
    ("s3:ListBucket", LAKE, {"s3:prefix": "silver/events/metadata/"}),  # find the current snapshot
    ("s3:GetObject", f"{LAKE}/silver/events/metadata/v3.metadata.json", {}),  # read it back
    ("s3:GetObject", f"{LAKE}/bronze/raw/2024/01/part-0.json", {}),  # the input
    ("s3:ListBucket", LAKE, {"s3:prefix": "bronze/raw/"}),
    ("s3:PutObject", f"{LAKE}/silver/events/data/part-00001.parquet", {}),
    ("s3:PutObject", f"{LAKE}/silver/events/metadata/v4.metadata.json", {}),
    ("s3:DeleteObject", f"{LAKE}/silver/events/_temporary/0/task-1/part-00001.parquet", {}),  # temp files
    ("s3:ListBucketMultipartUploads", LAKE, {}),  # the S3A committer finds its pending uploads
    ("s3:ListMultipartUploadParts", f"{LAKE}/silver/events/data/part-00002.parquet", {}),
    ("s3:AbortMultipartUpload", f"{LAKE}/silver/events/data/part-00002.parquet", {}),  # a failed task
    ("s3:GetBucketLocation", LAKE, {}),
    ("kms:GenerateDataKey", KEY, VIA_S3),
    ("kms:Decrypt", KEY, VIA_S3),  # reading SSE-KMS objects, and completing multipart uploads
]
# What the same service must never do.
OUT_OF_BOUNDS = [
    ("s3:PutObject", f"{LAKE}/gold/events/part-0.parquet", {}),  # another layer
    ("s3:DeleteObject", f"{LAKE}/gold/events/part-0.parquet", {}),
    ("s3:GetObject", f"{LAKE}/gold/events/part-0.parquet", {}),
    ("s3:ListBucket", LAKE, {"s3:prefix": "gold/"}),
    ("s3:ListBucket", LAKE, {"s3:prefix": ""}),  # the whole bucket
    ("s3:ListBucket", LAKE, {}),
    ("s3:DeleteObject", f"{LAKE}/bronze/raw/2024/01/part-0.json", {}),  # a layer it only reads
    ("s3:PutObject", f"{LAKE}/bronze/raw/2024/01/part-1.json", {}),
    ("s3:AbortMultipartUpload", f"{LAKE}/bronze/raw/big.json", {}),
    ("s3:GetObject", "arn:aws:s3:::someone-else/silver/events/x", {}),  # another bucket
    ("s3:ListBucket", "arn:aws:s3:::someone-else", {"s3:prefix": "silver/"}),
    ("s3:ListBucketMultipartUploads", "arn:aws:s3:::someone-else", {}),
    ("s3:DeleteBucket", LAKE, {}),
    ("s3:PutBucketPolicy", LAKE, {}),
    ("s3:DeleteObjectVersion", f"{LAKE}/silver/events/data/part-00001.parquet", {}),  # history stays
    ("kms:Decrypt", KEY, {}),  # the key outside S3
    ("kms:GenerateDataKey", OTHER_KEY, VIA_S3),
]


@pytest.mark.parametrize(("action", "resource", "context"), TABLE_COMMIT)
def test_a_table_format_commit_is_allowed(action: str, resource: str, context: dict[str, str]) -> None:
    policy = _document(access_policy_document(SHARED, KEY, read=["bronze"], write=["silver"]))
    assert decide(policy, action, resource, context) == "allow"


@pytest.mark.parametrize(("action", "resource", "context"), OUT_OF_BOUNDS)
def test_the_committer_stays_inside_its_layers(action: str, resource: str, context: dict[str, str]) -> None:
    policy = _document(access_policy_document(SHARED, KEY, read=["bronze"], write=["silver"]))
    assert decide(policy, action, resource, context) == "implicit"


def test_a_reader_never_writes_deletes_or_uploads() -> None:
    policy = _document(access_policy_document(SHARED, KEY, read=["bronze"]))
    obj = f"{LAKE}/bronze/t/part-1.parquet"
    for action in (
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    ):
        assert decide(policy, action, obj) == "implicit", action
    assert decide(policy, "s3:ListBucketMultipartUploads", LAKE) == "implicit"
    assert decide(policy, "kms:GenerateDataKey", KEY, VIA_S3) == "implicit"


def test_writers_of_buckets_of_their_own_are_scoped_to_those_buckets() -> None:
    layers = {"gold": ("arn:aws:s3:::g", ""), "silver": ("arn:aws:s3:::s", "")}
    policy = _document(access_policy_document(layers, KEY, read=["silver"], write=["gold"]))
    assert decide(policy, "s3:ListBucket", "arn:aws:s3:::g") == "allow"  # the whole bucket is the layer
    assert decide(policy, "s3:DeleteObject", "arn:aws:s3:::g/t/part-0.parquet") == "allow"
    assert decide(policy, "s3:ListBucketMultipartUploads", "arn:aws:s3:::g") == "allow"
    assert decide(policy, "s3:DeleteObject", "arn:aws:s3:::s/t/part-0.parquet") == "implicit"
    assert decide(policy, "s3:ListBucketMultipartUploads", "arn:aws:s3:::s") == "implicit"
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::s/t/part-0.parquet") == "allow"
    assert decide(policy, "s3:PutObject", "arn:aws:s3:::other/t/part-0.parquet") == "implicit"


def test_a_reader_of_buckets_of_their_own_lists_each_whole_bucket() -> None:
    layers = {"gold": ("arn:aws:s3:::g", ""), "silver": ("arn:aws:s3:::s", "")}
    policy = _document(access_policy_document(layers, KEY, read=["gold", "silver"]))
    lists = [s for s in policy if s["Action"] == "s3:ListBucket"]
    assert [(s["Sid"], s["Resource"]) for s in lists] == [
        ("ListLayers0", "arn:aws:s3:::g"),
        ("ListLayers1", "arn:aws:s3:::s"),
    ]
    assert decide(policy, "s3:ListBucket", "arn:aws:s3:::g") == "allow"
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::s/any/key") == "allow"
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::other/any/key") == "implicit"


def test_access_policy_document_checks_its_layers_too() -> None:
    with pytest.raises(InvalidConfigError) as err:
        access_policy_document(SHARED, KEY, read=["platinum"])
    assert [issue.path for issue in err.value.issues] == ["read"]


# --------------------------------------------------------------------------- replication role and key


@pytest.mark.parametrize("object_lock", [False, True])
def test_the_replication_role_reads_our_versions_and_writes_replicas_only(object_lock: bool) -> None:
    source = "arn:aws:s3:::lake-lake-0a1b2c3"
    policy = _document(replication_role_policy([source], [DEST], KEY, DEST_KEY, object_lock))
    assert decide(policy, "s3:GetReplicationConfiguration", source) == "allow"
    assert decide(policy, "s3:GetObjectVersionForReplication", f"{source}/bronze/x") == "allow"
    lock_reads = {
        decide(policy, a, f"{source}/x") for a in ("s3:GetObjectRetention", "s3:GetObjectLegalHold")
    }
    assert lock_reads == {"allow" if object_lock else "implicit"}
    assert decide(policy, "s3:ReplicateObject", f"{DEST}/bronze/x") == "allow"
    assert decide(policy, "s3:ReplicateObject", "arn:aws:s3:::someone-else/x") == "implicit"
    assert decide(policy, "s3:GetObjectVersionForReplication", f"{DEST}/x") == "implicit"

    # Each key through S3 in its own region, for our buckets' encryption contexts only.
    def kms(action: str, key: str, region: str, arn: str) -> str:
        context = {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": arn}
        return decide(policy, action, key, context)

    assert kms("kms:Decrypt", KEY, "eu-west-1", source) == "allow"
    assert kms("kms:Decrypt", KEY, "eu-west-1", f"{source}/bronze/x") == "allow"
    assert kms("kms:Decrypt", KEY, "eu-west-1", DEST) == "implicit"
    assert kms("kms:Decrypt", KEY, "us-east-1", source) == "implicit"
    assert kms("kms:GenerateDataKey", DEST_KEY, "ap-southeast-2", f"{DEST}/x") == "allow"
    assert kms("kms:Encrypt", DEST_KEY, "ap-southeast-2", DEST) == "allow"
    assert kms("kms:GenerateDataKey", DEST_KEY, "eu-west-1", f"{DEST}/x") == "implicit"
    assert kms("kms:GenerateDataKey", DEST_KEY, "ap-southeast-2", f"{source}/x") == "implicit"
    assert kms("kms:Decrypt", DEST_KEY, "ap-southeast-2", f"{DEST}/x") == "implicit"
    assert not any(s["Resource"] == "*" for s in policy)


def test_the_lake_key_is_administered_by_the_account_through_iam_in_its_partition() -> None:
    policy = _document(lake_key_policy(ACCOUNT, "aws-us-gov"))
    assert policy == [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws-us-gov:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]


# --------------------------------------------------------------------------- bucket configuration


def test_layer_prefixes() -> None:
    assert layer_prefix("bronze", bucket_per_layer=False) == "bronze/"
    assert layer_prefix("bronze", bucket_per_layer=True) == ""


def test_lake_lifecycle_one_rule_per_layer_on_its_prefix() -> None:
    layers = DataLakeSettings().layers
    rules = lake_lifecycle_rules(layers, bucket_per_layer=False)
    assert [(r.id, r.status, r.filter.prefix) for r in rules] == [
        ("layer-bronze", "Enabled", "bronze/"),
        ("layer-silver", "Enabled", "silver/"),
        ("layer-gold", "Enabled", "gold/"),
    ]
    # gold stays in Standard: no transitions at all (an empty list would be refused by S3).
    assert rules[2].transitions is None and rules[2].expiration is None
    # A layer with a bucket of its own: the rule covers the whole bucket.
    [whole] = lake_lifecycle_rules(layers[:1], bucket_per_layer=True)
    assert whole.filter.prefix is None


def test_layer_lifecycle_leaves_out_what_the_layer_turns_off() -> None:
    kept = LayerSettings(name="raw", noncurrent_version_expiration_days=7, noncurrent_versions_to_keep=3)
    forever = LayerSettings(name="curated", noncurrent_version_expiration_days=None)
    [kept_rule, forever_rule] = lake_lifecycle_rules([kept, forever], bucket_per_layer=False)
    assert kept_rule.noncurrent_version_expiration.newer_noncurrent_versions == 3
    assert forever_rule.noncurrent_version_expiration is None
    # Stale multipart uploads are always cleaned up (default one week).
    assert forever_rule.abort_incomplete_multipart_upload.days_after_initiation == 7


def test_log_lifecycle_expires_logs_and_stale_uploads() -> None:
    [rule] = log_lifecycle_rules(AccessLoggingSettings())
    assert (rule.id, rule.filter.prefix) == ("expire-access-logs", None)
    assert rule.expiration.days == 365
    assert rule.noncurrent_version_expiration.noncurrent_days == 30
    assert rule.abort_incomplete_multipart_upload.days_after_initiation == 1


def test_intelligent_tierings_leave_out_the_tiers_turned_off() -> None:
    both = intelligent_tierings(IntelligentTieringSettings())
    assert [(t.access_tier, t.days) for t in both] == [("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)]
    deep_only = intelligent_tierings(IntelligentTieringSettings(archive_access_days=None))
    assert [t.access_tier for t in deep_only] == ["DEEP_ARCHIVE_ACCESS"]


def test_lake_buckets_use_sse_kms_with_a_bucket_key_and_log_buckets_sse_s3() -> None:
    lake = lake_encryption_rule(KEY)
    default = lake.apply_server_side_encryption_by_default
    assert (default.sse_algorithm, default.kms_master_key_id) == ("aws:kms", KEY)
    assert lake.bucket_key_enabled is True
    assert lake.blocked_encryption_types == ["SSE-C"]
    logs = log_encryption_rule()
    # Server access logging cannot deliver into SSE-KMS buckets.
    assert logs.apply_server_side_encryption_by_default.sse_algorithm == "AES256"
    assert logs.apply_server_side_encryption_by_default.kms_master_key_id is None
    assert logs.blocked_encryption_types == ["SSE-C"]


@pytest.mark.parametrize("rtc", [False, True])
def test_replication_rules_replicate_kms_objects_and_keep_delete_markers_back(rtc: bool) -> None:
    [rule] = replication_rules(
        ReplicationSettings(enabled=True, replication_time_control=rtc), DEST, DEST_KEY
    )
    assert rule.status == "Enabled"
    assert rule.source_selection_criteria.sse_kms_encrypted_objects.status == "Enabled"
    # A delete in the source must not hide data in the disaster-recovery copy.
    assert rule.delete_marker_replication.status == "Disabled"
    destination = rule.destination
    assert destination.encryption_configuration.replica_kms_key_id == DEST_KEY
    if rtc:
        assert (destination.replication_time.status, destination.replication_time.time.minutes) == (
            "Enabled",
            15,
        )
        assert destination.metrics.event_threshold.minutes == 15
    else:
        assert destination.replication_time is None and destination.metrics is None
