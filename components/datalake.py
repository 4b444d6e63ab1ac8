"""The data lake: medallion layers on S3, encrypted with a customer-managed key, secure by default.

Layers (``bronze``, ``silver``, ``gold`` by default) are prefixes of one bucket, or one
bucket each (``bucket_per_layer``). Every lake bucket is versioned, SSE-KMS encrypted
with S3 Bucket Keys, fully public-blocked with ACLs disabled, TLS-1.2-only and refuses
uploads that ask for another encryption or another key. Each layer has its own
lifecycle (transitions, expiration, noncurrent versions, aborted multipart uploads,
optional Intelligent-Tiering archive tiers). Server access logs go to a separate,
hardened log bucket. Object Lock and cross-region replication are opt-in.

``deletion_protection`` (default ``True``) sets Pulumi ``protect`` and
``retain_on_delete`` on the buckets and the key and keeps ``force_destroy`` off, so
``pulumi destroy`` cannot lose data; dev stacks set it false to allow teardown.

:meth:`DataLakeBucket.access_policy` returns least-privilege IAM policy JSON for
readers and writers of given layers (used by the pipeline services' IRSA roles).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator, model_validator

from components._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from components.iam import kms_account_admin_statement, policy_json, service_trust_policy
from components.tags import merge_tags, validate_tags

__all__ = [
    "AccessLoggingSettings",
    "DataLakeBucket",
    "DataLakeBucketArgs",
    "DataLakeSettings",
    "IntelligentTieringSettings",
    "LayerSettings",
    "ObjectLockSettings",
    "ReplicationSettings",
    "Transition",
    "access_policy_document",
    "lake_bucket_policy_statements",
    "log_bucket_policy_statements",
]

StorageClass = Literal[
    "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
WATERFALL: tuple[str, ...] = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
"""Lifecycle transitions may only move objects down this list (S3's transition waterfall)."""
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MIN_DAYS = 30
"""S3 refuses a transition to Standard-IA / One Zone-IA before 30 days, and a transition out of
them less than 30 days after the transition into them."""
KMS_DELETION_WINDOW_DAYS = 30
LOG_PREFIX = "s3-access-logs/"
RESERVED_LAYER_NAMES = frozenset({"lake", "logs", "key", "replication"})
"""Names the component uses for its own children (``<name>-lake``, ``<name>-logs``...)."""

_LAYER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")
_COMPONENT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Pulumi auto-names a bucket "<logical name>-<7 hex>"; S3 names are at most 63 characters.
_AUTONAME_SUFFIX = 8
_MAX_BUCKET_NAME = 63


# --------------------------------------------------------------------------- settings


class Transition(SettingsModel):
    """Move current object versions to a cheaper storage class after some days."""

    days: int = Field(ge=0)
    """Days after creation (Standard-IA and One Zone-IA: at least 30)."""
    storage_class: StorageClass
    """``STANDARD_IA``, ``INTELLIGENT_TIERING``, ``ONEZONE_IA``, ``GLACIER_IR`` (Glacier Instant
    Retrieval), ``GLACIER`` (Glacier Flexible Retrieval) or ``DEEP_ARCHIVE``."""


class IntelligentTieringSettings(SettingsModel):
    """Opt-in archive tiers for objects in the Intelligent-Tiering storage class."""

    archive_access_days: int | None = Field(default=90, ge=90, le=730)
    """Days without access before the Archive Access tier (90 to 730; null turns it off)."""
    deep_archive_access_days: int | None = Field(default=180, ge=180, le=730)
    """Days without access before the Deep Archive Access tier (180 to 730; null turns it off)."""

    @model_validator(mode="after")
    def _check(self) -> IntelligentTieringSettings:
        archive, deep = self.archive_access_days, self.deep_archive_access_days
        if archive is None and deep is None:
            raise ValueError(
                "both archive tiers are off, so the configuration would do nothing; "
                "set archive_access_days or deep_archive_access_days, or drop intelligent_tiering"
            )
        if archive is not None and deep is not None and deep <= archive:
            raise CrossFieldError(
                [
                    ConfigIssue(
                        "deep_archive_access_days",
                        deep,
                        f"must be greater than archive_access_days ({archive}); raise it",
                    )
                ]
            )
        return self


class LayerSettings(SettingsModel):
    """One medallion layer: a prefix (or a bucket) with its own lifecycle."""

    name: str
    """The layer name: 1-24 lowercase letters, digits and hyphens (the S3 prefix is ``<name>/``)."""
    transitions: list[Transition] = Field(default_factory=list)
    """Storage-class transitions of current versions, in ascending days, down S3's waterfall
    (Standard-IA, Intelligent-Tiering, One Zone-IA, Glacier IR, Glacier, Deep Archive)."""
    expiration_days: int | None = Field(default=None, ge=1)
    """Expire current versions this many days after creation (null: keep forever). With
    versioning, expiry adds a delete marker; the data goes when the noncurrent version expires."""
    noncurrent_version_expiration_days: int | None = Field(default=90, ge=1)
    """Permanently delete versions this many days after they become noncurrent (null: keep)."""
    noncurrent_versions_to_keep: int | None = Field(default=None, ge=1, le=100)
    """Keep this many newest noncurrent versions regardless of age (1 to 100)."""
    abort_incomplete_multipart_upload_days: int = Field(default=7, ge=1)
    """Remove parts of multipart uploads not completed within this many days."""
    intelligent_tiering: IntelligentTieringSettings | None = None
    """Archive tiers for this layer's Intelligent-Tiering objects; needs an
    ``INTELLIGENT_TIERING`` transition."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _LAYER_NAME.match(value):
            raise ValueError(
                "use 1-24 lowercase letters, digits and hyphens, not starting or ending with a hyphen"
            )
        if value in RESERVED_LAYER_NAMES:
            raise ValueError(
                f"{value!r} is reserved for the component's own resources "
                f"({', '.join(sorted(RESERVED_LAYER_NAMES))}); rename the layer"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> LayerSettings:
        issues = transition_issues(self.transitions)
        last = self.transitions[-1].days if self.transitions else None
        if self.expiration_days is not None and last is not None and self.expiration_days <= last:
            issues.append(
                ConfigIssue(
                    "expiration_days",
                    self.expiration_days,
                    f"must be later than the last transition (day {last}); raise it or drop the transition",
                )
            )
        if self.noncurrent_versions_to_keep is not None and self.noncurrent_version_expiration_days is None:
            issues.append(
                ConfigIssue(
                    "noncurrent_versions_to_keep",
                    self.noncurrent_versions_to_keep,
                    "only applies with noncurrent_version_expiration_days; set that too or drop it",
                )
            )
        tiering_class = any(t.storage_class == "INTELLIGENT_TIERING" for t in self.transitions)
        if self.intelligent_tiering is not None and not tiering_class:
            issues.append(
                ConfigIssue(
                    "intelligent_tiering",
                    None,
                    "archive tiers only apply to objects in the INTELLIGENT_TIERING storage class; add "
                    "a transition {days: 0, storage_class: INTELLIGENT_TIERING} or drop intelligent_tiering",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self

    @property
    def rule_id(self) -> str:
        return f"layer-{self.name}"


def transition_issues(transitions: Sequence[Transition]) -> list[ConfigIssue]:
    """Every reason S3 would refuse ``transitions`` (paths relative to the layer)."""
    issues: list[ConfigIssue] = []
    for index, transition in enumerate(transitions):
        where = f"transitions[{index}]"
        cls = transition.storage_class
        if cls in IA_CLASSES and transition.days < IA_MIN_DAYS:
            issues.append(
                ConfigIssue(
                    f"{where}.days",
                    transition.days,
                    f"S3 moves objects to {cls} only after at least {IA_MIN_DAYS} days; "
                    f"use {IA_MIN_DAYS} or more",
                )
            )
        if index == 0:
            continue
        before = transitions[index - 1]
        if transition.days <= before.days:
            issues.append(
                ConfigIssue(
                    f"{where}.days",
                    transition.days,
                    f"transitions must be in ascending days; this one must come after day {before.days}",
                )
            )
        elif before.storage_class in IA_CLASSES and transition.days - before.days < IA_MIN_DAYS:
            issues.append(
                ConfigIssue(
                    f"{where}.days",
                    transition.days,
                    f"objects must stay {IA_MIN_DAYS} days in {before.storage_class} before moving on; "
                    f"use {before.days + IA_MIN_DAYS} or more",
                )
            )
        if WATERFALL.index(cls) <= WATERFALL.index(before.storage_class):
            issues.append(
                ConfigIssue(
                    f"{where}.storage_class",
                    cls,
                    f"S3 cannot transition from {before.storage_class} to {cls}; order transitions "
                    f"along {' > '.join(WATERFALL)}",
                )
            )
    return issues


def _default_layers() -> list[LayerSettings]:
    return [
        # Raw landing data: rarely read after the first month, kept (cheaply) for reprocessing.
        LayerSettings(
            name="bronze",
            transitions=[
                Transition(days=30, storage_class="STANDARD_IA"),
                Transition(days=90, storage_class="GLACIER_IR"),
                Transition(days=365, storage_class="DEEP_ARCHIVE"),
            ],
            noncurrent_version_expiration_days=90,
        ),
        # Cleaned data: read for a few months, then occasionally.
        LayerSettings(
            name="silver",
            transitions=[Transition(days=90, storage_class="STANDARD_IA")],
            noncurrent_version_expiration_days=30,
        ),
        # Curated data: queried all the time; stays in Standard.
        LayerSettings(name="gold", noncurrent_version_expiration_days=30),
    ]


class ObjectLockSettings(SettingsModel):
    """S3 Object Lock (WORM); it can only be turned on when a bucket is created."""

    enabled: bool = False
    """Create the lake buckets with Object Lock and a default retention. Changing it later
    replaces the buckets (refused while ``deletion_protection`` is on)."""
    mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    """``GOVERNANCE`` (users with s3:BypassGovernanceRetention may delete early) or ``COMPLIANCE``
    (nobody, not even the root user, can delete a version before its retention ends)."""
    retention_days: int = Field(default=30, ge=1, le=36500)
    """Default retention of every new object version, in days (1 to 36500)."""

    @model_validator(mode="after")
    def _check(self) -> ObjectLockSettings:
        if not self.enabled:
            stray = sorted(self.model_fields_set & {"mode", "retention_days"})
            if stray:
                raise CrossFieldError(
                    [
                        ConfigIssue(
                            stray[0],
                            getattr(self, stray[0]),
                            "is ignored while Object Lock is off; set enabled: true or remove it",
                        )
                    ]
                )
        return self


class AccessLoggingSettings(SettingsModel):
    """S3 server access logging into a separate log bucket."""

    enabled: bool = True
    """Log every request to the lake buckets (into the log bucket made here, or
    ``DataLakeBucketArgs.log_bucket_name``)."""
    retention_days: int = Field(default=365, ge=1)
    """Days the log bucket keeps access logs."""
    noncurrent_version_expiration_days: int = Field(default=30, ge=1)
    """Days the log bucket keeps overwritten or deleted log versions."""


class ReplicationSettings(SettingsModel):
    """Cross-region replication of every lake bucket (destinations are wired in the args)."""

    enabled: bool = False
    """Replicate new objects (SSE-KMS included) to ``DataLakeBucketArgs.replication_destination_bucket_arn``,
    re-encrypted with ``replication_destination_kms_key_arn``."""
    storage_class: Literal[
        "STANDARD",
        "STANDARD_IA",
        "INTELLIGENT_TIERING",
        "ONEZONE_IA",
        "GLACIER_IR",
        "GLACIER",
        "DEEP_ARCHIVE",
    ] = "STANDARD"
    """Storage class of the replicas."""
    replicate_delete_markers: bool = False
    """Replicate delete markers too. Off by default, so a delete in the source cannot hide
    data in the disaster-recovery copy."""
    replication_time_control: bool = False
    """S3 Replication Time Control (15-minute SLA, with replication metrics; extra cost)."""


class DataLakeSettings(SettingsModel):
    """The S3 data lake: layers, layout, lifecycle, locking, logging, replication, protection."""

    layers: list[LayerSettings] = Field(default_factory=_default_layers)
    """The medallion layers, each with its lifecycle (default ``bronze``, ``silver``, ``gold``)."""
    bucket_per_layer: bool = False
    """One bucket per layer instead of one bucket with a prefix per layer."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the buckets and the KMS key, and
    ``force_destroy`` off. Dev stacks set it false to allow teardown."""
    object_lock: ObjectLockSettings = Field(default_factory=ObjectLockSettings)
    """Object Lock (off by default); fixed when the buckets are created."""
    access_logging: AccessLoggingSettings = Field(default_factory=AccessLoggingSettings)
    """Server access logging (on by default)."""
    replication: ReplicationSettings = Field(default_factory=ReplicationSettings)
    """Cross-region replication (off by default)."""
    additional_policy_statements: list[dict[str, Any]] = Field(default_factory=list)
    """Extra bucket-policy statements merged after the built-in ones. ``${bucket_arn}`` in a
    string is replaced by each lake bucket's ARN; a statement without ``Resource`` applies to
    the bucket and its objects. Allow statements need a named principal (never ``*``)."""

    @field_validator("additional_policy_statements")
    @classmethod
    def _statements(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        issues: list[ConfigIssue] = []
        sids: list[str] = []
        for index, statement in enumerate(value):
            issues += _statement_issues(index, statement)
            sid = statement.get("Sid")
            if isinstance(sid, str):
                if sid in sids:
                    issues.append(ConfigIssue(f"[{index}].Sid", sid, "Sids must be unique; rename one"))
                sids.append(sid)
        if issues:
            raise CrossFieldError(issues)
        return value

    @model_validator(mode="after")
    def _check(self) -> DataLakeSettings:
        issues: list[ConfigIssue] = []
        if not self.layers:
            issues.append(
                ConfigIssue("layers", [], "a lake needs at least one layer; add one or remove the key")
            )
        names = [layer.name for layer in self.layers]
        for index, layer_name in enumerate(names):
            if names.index(layer_name) != index:
                issues.append(
                    ConfigIssue(f"layers[{index}].name", layer_name, "layer names must be unique; rename one")
                )
        lock = self.object_lock
        if lock.enabled and lock.mode == "COMPLIANCE" and not self.deletion_protection:
            issues.append(
                ConfigIssue(
                    "object_lock.mode",
                    "COMPLIANCE",
                    "compliance-mode versions cannot be deleted by anyone before their retention ends, so "
                    "a lake that may be torn down (deletion_protection: false) could never be; use "
                    "GOVERNANCE or keep deletion_protection on",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self

    @property
    def layer_names(self) -> list[str]:
        """The layer names, in configured order."""
        return [layer.name for layer in self.layers]

    def layer(self, name: str) -> LayerSettings:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


_OUR_SIDS = frozenset(
    {
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenyOtherEncryption",
        "DenyOtherKmsKey",
        "DenySseC",
        "AllowS3ServerAccessLogs",
    }
)


def _statement_issues(index: int, statement: Any) -> list[ConfigIssue]:
    where = f"[{index}]"
    if not isinstance(statement, dict):
        return [ConfigIssue(where, statement, "must be a policy statement (a mapping)")]
    issues: list[ConfigIssue] = []
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        issues.append(ConfigIssue(f"{where}.Effect", effect, "must be 'Allow' or 'Deny'"))
    if "Action" not in statement and "NotAction" not in statement:
        issues.append(ConfigIssue(f"{where}.Action", None, "is required; name the s3: actions"))
    if "Principal" not in statement and "NotPrincipal" not in statement:
        issues.append(ConfigIssue(f"{where}.Principal", None, "a bucket policy statement needs a Principal"))
    principal = statement.get("Principal")
    if effect == "Allow" and (
        principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
    ):
        issues.append(
            ConfigIssue(
                f"{where}.Principal",
                principal,
                "allowing '*' makes the lake public (and BlockPublicPolicy rejects it); name the "
                "account or role ARNs",
            )
        )
    sid = statement.get("Sid")
    if sid is not None and (not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9]+", sid)):
        issues.append(ConfigIssue(f"{where}.Sid", sid, "Sids hold letters and digits only"))
    elif sid in _OUR_SIDS:
        issues.append(ConfigIssue(f"{where}.Sid", sid, "is a built-in statement's Sid; rename it"))
    return issues


# --------------------------------------------------------------------------- args


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


def _is_plain(value: Any) -> bool:
    return isinstance(value, str)


def _check_args(name: str, args: DataLakeBucketArgs) -> dict[str, str]:
    """Every wiring check, before anything is registered."""
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
    key = args.kms_key_arn
    if _is_plain(key) and not _KMS_KEY_ARN.match(str(key)):
        issues.append(
            ConfigIssue(
                "args.kms_key_arn",
                key,
                "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not a key id or "
                "alias: the bucket policy pins uploads to it",
            )
        )
    if args.log_bucket_name is not None:
        if not settings.access_logging.enabled:
            issues.append(
                ConfigIssue(
                    "args.log_bucket_name",
                    args.log_bucket_name if _is_plain(args.log_bucket_name) else "<output>",
                    "access_logging.enabled is false, so it is unused; drop it or enable logging",
                )
            )
        elif _is_plain(args.log_bucket_name) and not _BUCKET_NAME.match(str(args.log_bucket_name)):
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
                        value if _is_plain(value) else "<output>",
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
                if _is_plain(arn) and not _BUCKET_ARN.match(str(arn)):
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
    elif _is_plain(destination) and not _BUCKET_ARN.match(str(destination)):
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
    elif _is_plain(dest_key) and not _KMS_KEY_ARN.match(str(dest_key)):
        issues.append(
            ConfigIssue(
                "args.replication_destination_kms_key_arn",
                dest_key,
                "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
            )
        )
    return issues


# --------------------------------------------------------------------------- policy documents


def _region_of_key(key_arn: str) -> str:
    return key_arn.split(":")[3]


def lake_bucket_policy_statements(
    bucket_arn: str, key_arn: str, additional: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The statements of a lake bucket's policy: TLS 1.2+ only, our key only, then ``additional``."""
    both = [bucket_arn, f"{bucket_arn}/*"]
    objects = f"{bucket_arn}/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": both,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": both,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
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
    """The log bucket's policy: the S3 logging service may write logs of our buckets only; TLS only."""
    both = [log_bucket_arn, f"{log_bucket_arn}/*"]
    return [
        # With ACLs disabled (BucketOwnerEnforced) the log-delivery group grant cannot be used;
        # S3 server access logging is authorised by this service-principal statement instead,
        # limited to our own source buckets and account so no one else can write here.
        {
            "Sid": "AllowS3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_bucket_arn}/{LOG_PREFIX}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": sorted(set(source_bucket_arns))},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": both,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": both,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]


def _check_access(
    known: Sequence[str] | Mapping[str, Any], read: Sequence[str], write: Sequence[str]
) -> None:
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
    *,
    allow_delete: bool = False,
) -> str:
    """Least-privilege IAM policy JSON for reading ``read`` and writing ``write`` layers.

    ``layers`` maps each layer to ``(bucket_arn, prefix)`` (prefix ``""`` for a bucket of its
    own). Readers get s3:GetObject on the layer's objects and s3:ListBucket limited to its
    prefix; writers s3:PutObject, s3:AbortMultipartUpload and s3:ListMultipartUploadParts
    (s3:DeleteObject with ``allow_delete``); both may use the lake key through S3 only.
    """
    _check_access(layers, read, write)

    def objects(names: Sequence[str]) -> list[str]:
        return sorted({f"{layers[n][0]}/{layers[n][1]}*" for n in names})

    statements: list[dict[str, Any]] = []
    if read:
        statements.append(
            {
                "Sid": "ReadLayerObjects",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": objects(read),
            }
        )
        prefixes: dict[str, set[str]] = {}
        for layer_name in read:
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
        actions = ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"]
        if allow_delete:
            actions.append("s3:DeleteObject")
        statements.append(
            {
                "Sid": "WriteLayerObjects",
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": objects(write),
            }
        )
    buckets = sorted({layers[n][0] for n in (*read, *write)})
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


def _replication_policy(
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


def _key_policy(account: str, partition: str) -> str:
    """Account administration through IAM: who may use the key is decided by IAM policies
    (the access policies this component hands out), not by the key policy."""
    return policy_json([kms_account_admin_statement(account, partition, "AccountAdministersThroughIam")])


def _lifecycle_rule(layer: LayerSettings, prefix: str) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
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


# --------------------------------------------------------------------------- component


@dataclass
class _Slot:
    """One lake bucket and the layers it holds."""

    key: str
    layers: list[LayerSettings]
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning


class DataLakeBucket(pulumi.ComponentResource):
    """Medallion layers on S3: SSE-KMS with Bucket Keys, versioned, private, TLS-only, logged."""

    bucket_names: dict[str, pulumi.Output[str]]
    """Layer -> the name of the bucket holding it (the same bucket for every layer by default)."""
    bucket_arns: dict[str, pulumi.Output[str]]
    """Layer -> the ARN of the bucket holding it."""
    layer_prefixes: dict[str, str]
    """Layer -> its key prefix in its bucket (``"bronze/"``; ``""`` with ``bucket_per_layer``)."""
    kms_key_arn: pulumi.Output[str]
    """The lake's KMS key (made here or passed in)."""
    log_bucket_name: pulumi.Output[str] | None
    """The server-access-log bucket (``None`` when access logging is off)."""
    replication_role_arn: pulumi.Output[str] | None
    """The replication role (``None`` unless replication is on)."""

    def __init__(
        self, name: str, args: DataLakeBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = _check_args(name, args)
        settings = args.settings
        super().__init__("dataplatform:storage:DataLakeBucket", name, None, opts)
        self._name = name
        self._tags = tags
        self._settings = settings
        protect = settings.deletion_protection
        self._child = pulumi.ResourceOptions(parent=self)
        self._protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        self._account = identity.account_id

        if args.kms_key_arn is not None:
            self.kms_key_arn = pulumi.Output.from_input(args.kms_key_arn)
        else:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Data lake {name}: SSE-KMS of every layer",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                policy=pulumi.Output.all(self._account, partition).apply(lambda v: _key_policy(v[0], v[1])),
                tags=tags,
                opts=self._protected,
            )
            self.kms_key_arn = key.arn

        if settings.bucket_per_layer:
            groups = [(layer.name, [layer]) for layer in settings.layers]
        else:
            groups = [("lake", list(settings.layers))]
        slots = [self._lake_bucket(key_name, layers) for key_name, layers in groups]

        self.bucket_names = {}
        self.bucket_arns = {}
        self.layer_prefixes = {}
        for slot in slots:
            for layer in slot.layers:
                self.bucket_names[layer.name] = slot.bucket.bucket
                self.bucket_arns[layer.name] = slot.bucket.arn
                self.layer_prefixes[layer.name] = "" if settings.bucket_per_layer else f"{layer.name}/"

        self.log_bucket_name = None
        if settings.access_logging.enabled:
            self.log_bucket_name = self._access_logging(args, slots)
        self.replication_role_arn = None
        if settings.replication.enabled:
            self.replication_role_arn = self._replication(args, slots)

        self.register_outputs(
            {
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "layer_prefixes": self.layer_prefixes,
                "kms_key_arn": self.kms_key_arn,
                "log_bucket_name": self.log_bucket_name,
                "replication_role_arn": self.replication_role_arn,
            }
        )

    # ------------------------------------------------------------------ lake buckets

    def _lake_bucket(self, key: str, layers: list[LayerSettings]) -> _Slot:
        settings, base = self._settings, f"{self._name}-{key}"
        lock = settings.object_lock
        per_layer = settings.bucket_per_layer
        tags = merge_tags(self._tags, {"DataLakeLayer": key} if per_layer else None)
        bucket = aws.s3.Bucket(
            base,
            force_destroy=not settings.deletion_protection,
            # Object Lock can only be enabled when the bucket is created.
            object_lock_enabled=lock.enabled,
            tags=tags,
            opts=self._protected,
        )
        versioning, public_block = self._baseline(
            base,
            bucket,
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms",
                    kms_master_key_id=self.kms_key_arn,
                ),
                # One data key per bucket instead of a KMS call per object: cost and throttling.
                bucket_key_enabled=True,
                blocked_encryption_types=["SSE-C"],
            ),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{base}-lifecycle",
            bucket=bucket.id,
            rules=[_lifecycle_rule(layer, "" if per_layer else f"{layer.name}/") for layer in layers],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        for layer in layers:
            tiering = layer.intelligent_tiering
            if tiering is None:
                continue
            tiers = [
                aws.s3.BucketIntelligentTieringConfigurationTieringArgs(access_tier=tier, days=days)
                for tier, days in (
                    ("ARCHIVE_ACCESS", tiering.archive_access_days),
                    ("DEEP_ARCHIVE_ACCESS", tiering.deep_archive_access_days),
                )
                if days is not None
            ]
            aws.s3.BucketIntelligentTieringConfiguration(
                f"{self._name}-{layer.name}-tiering",
                bucket=bucket.id,
                name=f"{layer.name}-archive",
                status="Enabled",
                filter=None
                if per_layer
                else aws.s3.BucketIntelligentTieringConfigurationFilterArgs(prefix=f"{layer.name}/"),
                tierings=tiers,
                opts=self._child,
            )
        if lock.enabled:
            aws.s3.BucketObjectLockConfiguration(
                f"{base}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=lock.mode, days=lock.retention_days
                    )
                ),
                # Object Lock needs versioning enabled first.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        extra = settings.additional_policy_statements
        aws.s3.BucketPolicy(
            f"{base}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, self.kms_key_arn).apply(
                lambda v: policy_json(lake_bucket_policy_statements(v[0], v[1], extra))
            ),
            # S3 rejects concurrent changes to a bucket's policy and public access block.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        return _Slot(key=key, layers=layers, bucket=bucket, versioning=versioning)

    def _baseline(
        self,
        base: str,
        bucket: aws.s3.Bucket,
        encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleArgs,
    ) -> tuple[aws.s3.BucketVersioning, aws.s3.BucketPublicAccessBlock]:
        """What every bucket here gets: versioning, default encryption, all four public access
        blocks and ACLs disabled (BucketOwnerEnforced)."""
        versioning = aws.s3.BucketVersioning(
            f"{base}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=self._child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{base}-encryption", bucket=bucket.id, rules=[encryption], opts=self._child
        )
        public_block = self._public_access_block(base, bucket)
        aws.s3.BucketOwnershipControls(
            f"{base}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=self._child,
        )
        return versioning, public_block

    def _public_access_block(self, base: str, bucket: aws.s3.Bucket) -> aws.s3.BucketPublicAccessBlock:
        return aws.s3.BucketPublicAccessBlock(
            f"{base}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )

    # ------------------------------------------------------------------ access logs

    def _access_logging(self, args: DataLakeBucketArgs, slots: list[_Slot]) -> pulumi.Output[str]:
        if args.log_bucket_name is not None:
            target: pulumi.Output[str] = pulumi.Output.from_input(args.log_bucket_name)
            depends: list[pulumi.Resource] = []
        else:
            log_bucket, log_policy = self._log_bucket(slots)
            target, depends = log_bucket.bucket, [log_policy]
        for slot in slots:
            aws.s3.BucketLogging(
                f"{self._name}-{slot.key}-logging",
                bucket=slot.bucket.id,
                target_bucket=target,
                target_prefix=LOG_PREFIX,
                # <prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/: one layout for every
                # lake bucket, partitioned for Athena.
                target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                    partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                        partition_date_source="EventTime"
                    )
                ),
                # Logging is checked against the log bucket's policy when it is turned on.
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
        return target

    def _log_bucket(self, slots: list[_Slot]) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
        settings, base = self._settings, f"{self._name}-logs"
        logging = settings.access_logging
        bucket = aws.s3.Bucket(
            base,
            force_destroy=not settings.deletion_protection,
            tags=self._tags,
            opts=self._protected,
        )
        versioning, public_block = self._baseline(
            base,
            bucket,
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                # S3 server access logging cannot deliver to a bucket whose default encryption
                # is SSE-KMS (the logging service has no grant on customer keys); SSE-S3 is the
                # encryption AWS supports for log target buckets.
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                ),
                blocked_encryption_types=["SSE-C"],
            ),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{base}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=logging.retention_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=logging.noncurrent_version_expiration_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        sources = [slot.bucket.arn for slot in slots]
        policy = aws.s3.BucketPolicy(
            f"{base}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, self._account, *sources).apply(
                lambda v: policy_json(log_bucket_policy_statements(v[0], v[2:], v[1]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        return bucket, policy

    # ------------------------------------------------------------------ replication

    def _replication(self, args: DataLakeBucketArgs, slots: list[_Slot]) -> pulumi.Output[str]:
        settings, name = self._settings, self._name
        replication = settings.replication
        destination = args.replication_destination_bucket_arn
        dest_key = pulumi.Output.from_input(args.replication_destination_kms_key_arn or "")

        def destination_of(slot: _Slot) -> pulumi.Input[str]:
            if isinstance(destination, Mapping):
                return destination[slot.key]
            assert destination is not None  # checked in _check_args
            return destination

        destinations = [pulumi.Output.from_input(destination_of(slot)) for slot in slots]
        sources = [slot.bucket.arn for slot in slots]
        count = len(slots)
        role = aws.iam.Role(
            f"{name}-replication-role",
            description=f"S3 replication of data lake {name}",
            assume_role_policy=service_trust_policy("s3.amazonaws.com"),
            tags=self._tags,
            opts=self._child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=role.id,
            policy=pulumi.Output.all(self.kms_key_arn, dest_key, *sources, *destinations).apply(
                lambda v: _replication_policy(
                    v[2 : 2 + count], v[2 + count :], v[0], v[1], settings.object_lock.enabled
                )
            ),
            opts=self._child,
        )
        rtc = replication.replication_time_control
        for slot, target in zip(slots, destinations, strict=True):
            aws.s3.BucketReplicationConfig(
                f"{name}-{slot.key}-replication",
                bucket=slot.bucket.id,
                role=role.arn,
                rules=[
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
                            bucket=target,
                            storage_class=replication.storage_class,
                            encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                                replica_kms_key_id=dest_key
                            ),
                            replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                                status="Enabled",
                                time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
                                    minutes=15
                                ),
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
                ],
                # Replication needs versioning on, and the role's permissions in place.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[slot.versioning, role_policy]),
            )
        return role.arn

    # ------------------------------------------------------------------ access policies

    def access_policy(
        self, read: Sequence[str] = (), write: Sequence[str] = (), *, allow_delete: bool = False
    ) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to read ``read`` and write ``write`` layers
        (see :func:`access_policy_document`). Unknown layers raise :class:`InvalidConfigError`."""
        # Checked now, not inside an apply, so a typo fails the program at once.
        _check_access(self.layer_prefixes, read, write)
        read, write = list(read), list(write)
        names = sorted(set(read) | set(write))
        arns = [self.bucket_arns[n] for n in names]
        prefixes = [self.layer_prefixes[n] for n in names]
        return pulumi.Output.all(self.kms_key_arn, *arns).apply(
            lambda v: access_policy_document(
                {n: (arn, p) for n, arn, p in zip(names, v[1:], prefixes, strict=True)},
                v[0],
                read,
                write,
                allow_delete=allow_delete,
            )
        )

    def read_policy(self, layers: Sequence[str]) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to read ``layers``."""
        return self.access_policy(read=layers)

    def write_policy(self, layers: Sequence[str], *, allow_delete: bool = False) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to write ``layers`` (not read them)."""
        return self.access_policy(write=layers, allow_delete=allow_delete)
