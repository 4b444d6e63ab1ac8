"""The wiring of a data lake (:class:`DataLakeBucketArgs`) and every check on it, done before
anything is registered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .._shared import is_plain, kms_key_arn_problem
from .._validation import ConfigIssue, InvalidConfigError
from ..tags import validate_tags
from .settings import DataLakeSettings

__all__ = ["DataLakeBucketArgs", "check_args"]

_COMPONENT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Pulumi auto-names a bucket "<logical name>-<7 hex>"; S3 names are at most 63 characters.
_AUTONAME_SUFFIX = 8
_MAX_BUCKET_NAME = 63


@dataclass(frozen=True)
class DataLakeBucketArgs:
    """Settings, tags and wiring of a :class:`DataLakeBucket`."""

    settings: DataLakeSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child."""
    kms_key_arn: pulumi.Input[str] | None = None
    """A customer-managed KMS key (its ARN) for the lake; one with rotation is created when
    omitted. Its key policy must let IAM policies of the account grant its use."""
    log_bucket_name: pulumi.Input[str] | None = None
    """An existing server-access-log bucket (same account and region, SSE-S3, whose policy lets
    ``logging.s3.amazonaws.com`` put objects); one is created when omitted."""
    replication_destination_bucket_arn: pulumi.Input[str] | Mapping[str, pulumi.Input[str]] | None = None
    """Where replication copies the lake: one bucket ARN, or with ``bucket_per_layer`` a mapping of
    every layer to a bucket ARN. Destinations must be versioned, let the replication role
    replicate into them, and have Object Lock too when ``object_lock`` is on."""
    replication_destination_kms_key_arn: pulumi.Input[str] | None = None
    """The KMS key (ARN, in the destination's region) replicas are encrypted with."""


def _shown(value: Any) -> Any:
    """How an unused argument is shown in its issue: a mapping by its keys, an Output as such."""
    if isinstance(value, Mapping):
        return sorted(value)
    return value if is_plain(value) else "<output>"


def check_args(name: str, args: DataLakeBucketArgs) -> dict[str, str]:
    """Every wiring check, done before anything is registered; returns the validated tags."""
    if not isinstance(args.settings, DataLakeSettings):
        raise InvalidConfigError(
            [ConfigIssue("args.settings", type(args.settings).__name__, "must be a DataLakeSettings")],
            subject="DataLakeBucketArgs",
        )
    tags = validate_tags(args.tags)
    settings = args.settings
    issues: list[ConfigIssue] = []
    longest = max(settings.layer_names, key=len) if settings.bucket_per_layer else "lake"
    logical = f"{name}-{longest}"
    if not _COMPONENT_NAME.match(name):
        issues.append(
            ConfigIssue(
                "name",
                name,
                "bucket names derive from it, so use lowercase letters, digits and hyphens",
            )
        )
    elif len(logical) + _AUTONAME_SUFFIX > _MAX_BUCKET_NAME:
        issues.append(
            ConfigIssue(
                "name",
                name,
                f"the bucket name {logical!r} plus Pulumi's 8-character suffix exceeds S3's "
                f"{_MAX_BUCKET_NAME} characters; shorten the component or layer name",
            )
        )
    key_problem = kms_key_arn_problem(args.kms_key_arn)
    if key_problem:
        issues.append(
            ConfigIssue(
                "args.kms_key_arn", args.kms_key_arn, f"{key_problem}: the bucket policy pins uploads to it"
            )
        )
    if args.log_bucket_name is not None:
        if not settings.access_logging.enabled:
            issues.append(
                ConfigIssue(
                    "args.log_bucket_name",
                    _shown(args.log_bucket_name),
                    "access_logging.enabled is false, so it is unused; drop it or enable logging",
                )
            )
        elif is_plain(args.log_bucket_name) and not _BUCKET_NAME.match(str(args.log_bucket_name)):
            issues.append(
                ConfigIssue("args.log_bucket_name", args.log_bucket_name, "must be a bucket name, not an ARN")
            )
    issues += _replication_issues(settings, args)
    if issues:
        raise InvalidConfigError(issues, subject="DataLakeBucketArgs")
    return tags


def _replication_issues(settings: DataLakeSettings, args: DataLakeBucketArgs) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    destination = args.replication_destination_bucket_arn
    dest_key = args.replication_destination_kms_key_arn
    if not settings.replication.enabled:
        for field_name, value in (
            ("replication_destination_bucket_arn", destination),
            ("replication_destination_kms_key_arn", dest_key),
        ):
            if value is not None:
                issues.append(
                    ConfigIssue(
                        f"args.{field_name}",
                        _shown(value),
                        "replication.enabled is false, so it is unused; "
                        "set replication.enabled: true or drop it",
                    )
                )
        return issues
    if destination is None:
        issues.append(
            ConfigIssue(
                "args.replication_destination_bucket_arn",
                None,
                "replication.enabled needs a destination; pass the destination bucket ARN",
            )
        )
    elif settings.bucket_per_layer:
        if not isinstance(destination, Mapping):
            issues.append(
                ConfigIssue(
                    "args.replication_destination_bucket_arn",
                    "<one bucket>",
                    "with bucket_per_layer each layer bucket replicates to its own destination "
                    "(keys would collide in one); pass a mapping of layer to bucket ARN",
                )
            )
        else:
            missing = sorted(set(settings.layer_names) - set(destination))
            extra = sorted(set(destination) - set(settings.layer_names))
            if missing or extra:
                issues.append(
                    ConfigIssue(
                        "args.replication_destination_bucket_arn",
                        sorted(destination),
                        f"must map exactly the layers {', '.join(settings.layer_names)}"
                        + (f"; add {', '.join(missing)}" if missing else "")
                        + (f"; remove {', '.join(extra)}" if extra else ""),
                    )
                )
            for layer_name, arn in destination.items():
                if is_plain(arn) and not _BUCKET_ARN.match(str(arn)):
                    issues.append(
                        ConfigIssue(
                            f"args.replication_destination_bucket_arn.{layer_name}",
                            arn,
                            "must be an S3 bucket ARN (arn:aws:s3:::<bucket>)",
                        )
                    )
    elif isinstance(destination, Mapping):
        issues.append(
            ConfigIssue(
                "args.replication_destination_bucket_arn",
                sorted(destination),
                "the layers share one bucket, so pass one destination bucket ARN (or set bucket_per_layer)",
            )
        )
    elif is_plain(destination) and not _BUCKET_ARN.match(str(destination)):
        issues.append(
            ConfigIssue(
                "args.replication_destination_bucket_arn",
                destination,
                "must be an S3 bucket ARN (arn:aws:s3:::<bucket>)",
            )
        )
    if dest_key is None:
        issues.append(
            ConfigIssue(
                "args.replication_destination_kms_key_arn",
                None,
                "lake objects are SSE-KMS encrypted, so replicas need a key in the destination region; "
                "pass its ARN",
            )
        )
    elif dest_key_problem := kms_key_arn_problem(dest_key):
        issues.append(ConfigIssue("args.replication_destination_kms_key_arn", dest_key, dest_key_problem))
    return issues
