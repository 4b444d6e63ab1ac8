"""Settings of the data lake: layers and their lifecycle, Object Lock, access logging, replication.

Plain pydantic models (also the ``lake`` section of stack config) and the S3 limits they are
checked against; every check here runs before anything is registered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .._access_logs import ACCESS_LOG_PREFIX
from .._access_logs import AccessLoggingSettings as AccessLoggingSettings
from .._validation import ConfigIssue, CrossFieldError, SettingsModel

__all__ = [
    "ARCHIVE_CLASSES",
    "BUILT_IN_SIDS",
    "IA_CLASSES",
    "IA_MIN_DAYS",
    "LOG_PREFIX",
    "RESERVED_LAYER_NAMES",
    "WATERFALL",
    "AccessLoggingSettings",
    "DataLakeSettings",
    "IntelligentTieringSettings",
    "LayerSettings",
    "ObjectLockSettings",
    "ReplicationSettings",
    "StorageClass",
    "Transition",
    "transition_issues",
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
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
"""Storage classes whose objects are not readable in real time: S3 must restore a copy first
(S3 user guide, "Restoring an archived object"), and Athena skips them in queries (Athena user
guide, "Query restored Amazon S3 Glacier objects": only restored objects of Hive tables, opted in
per table). Glacier Instant Retrieval is read like Standard-IA (millisecond access), so it stays."""
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MIN_DAYS = 30
"""S3 refuses a transition to Standard-IA / One Zone-IA before 30 days, and a transition out of
them less than 30 days after the transition into them."""
LOG_PREFIX = ACCESS_LOG_PREFIX
"""Key prefix of the server access logs in the log bucket (the log bucket policy allows only it)."""
RESERVED_LAYER_NAMES = frozenset({"lake", "logs", "key", "replication"})
"""Names the component uses for its own children (``<name>-lake``, ``<name>-logs``...)."""

_LAYER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")


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
    ``INTELLIGENT_TIERING`` transition. Archived objects are not readable until restored, so only
    an ``archive_only`` layer may have them."""
    archive_only: bool = False
    """A layer kept for retention, not for queries: it gets no catalog database, and only it may
    move objects to ``GLACIER``/``DEEP_ARCHIVE`` or Intelligent-Tiering's archive tiers (which Athena
    and Spark cannot read without a restore). Every other layer stays readable in real time."""

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
        issues += self._stranding_issues()
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

    def _stranding_issues(self) -> list[ConfigIssue]:
        """A queryable layer never moves its data where the query engines cannot read it."""
        if self.archive_only:
            return []
        issues = [
            ConfigIssue(
                f"transitions[{index}].storage_class",
                transition.storage_class,
                f"layer {self.name!r} is in the catalog, and Athena and Spark cannot read "
                f"{transition.storage_class} objects without a restore (its tables would silently lose "
                "rows); use GLACIER_IR (read in real time), or mark the layer archive_only: true "
                "(no catalog database)",
            )
            for index, transition in enumerate(self.transitions)
            if transition.storage_class in ARCHIVE_CLASSES
        ]
        if self.intelligent_tiering is not None:
            issues.append(
                ConfigIssue(
                    "intelligent_tiering",
                    "archive tiers",
                    f"layer {self.name!r} is in the catalog, and objects in Intelligent-Tiering's archive "
                    "tiers cannot be read without a restore; drop intelligent_tiering (its frequent and "
                    "infrequent tiers need no setting), or mark the layer archive_only: true",
                )
            )
        return issues

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
        # Raw landing data: rarely read after the first month, kept (cheaply) for reprocessing. It is
        # in the catalog, so it stops at Glacier Instant Retrieval: still read in real time.
        LayerSettings(
            name="bronze",
            transitions=[
                Transition(days=30, storage_class="STANDARD_IA"),
                Transition(days=90, storage_class="GLACIER_IR"),
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

    @property
    def catalog_layer_names(self) -> list[str]:
        """The layers registered in the catalog (every layer but the ``archive_only`` ones)."""
        return [layer.name for layer in self.layers if not layer.archive_only]


BUILT_IN_SIDS = frozenset(
    {
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenyOtherEncryption",
        "DenyOtherKmsKey",
        "DenySseC",
        "AllowS3ServerAccessLogs",
    }
)
"""Sids of the statements the component writes into the lake and log bucket policies: an
additional statement may not reuse one (IAM requires unique Sids in a policy)."""


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
    elif sid in BUILT_IN_SIDS:
        issues.append(ConfigIssue(f"{where}.Sid", sid, "is a built-in statement's Sid; rename it"))
    return issues
