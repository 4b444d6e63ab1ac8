"""The settings bootstrap wants on the state bucket and how it recognises them: plain functions, no AWS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .report import ABORT_MULTIPART_DAYS, LIFECYCLE_RULE_ID, POLICY_SID


def is_wanted_encryption(rule: Mapping[str, Any], key_arn: str) -> bool:
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    key = str(default.get("KMSMasterKeyID", ""))
    key_id = key_arn.rsplit("/", 1)[-1]
    same_key = key in (key_arn, key_id) or key.endswith(f":key/{key_id}")
    return default.get("SSEAlgorithm") == "aws:kms" and same_key and rule.get("BucketKeyEnabled") is True


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
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


def denies_insecure_transport(statement: Mapping[str, Any], bucket_arn: str) -> bool:
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


def lifecycle_rule(noncurrent_days: int) -> dict[str, Any]:
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Filter": {},
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
    }


def same_lifecycle_rule(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    whole_bucket = current.get("Filter", {}) in ({}, {"Prefix": ""}) and current.get("Prefix", "") == ""
    keys = ("Status", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload", "Expiration")
    return whole_bucket and all(current.get(key) == wanted[key] for key in keys)
