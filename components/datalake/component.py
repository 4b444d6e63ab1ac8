"""The :class:`DataLakeBucket` component: registers the lake buckets, their key, logs and replication.

What each resource holds (policies, lifecycle rules, encryption) comes from :mod:`.documents`;
what may be configured, from :mod:`.settings` and :mod:`.args`. This module only registers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._shared import customer_kms_key, protection, s3_bucket_baseline
from .._validation import ConfigIssue, InvalidConfigError
from ..iam import policy_json, service_trust_policy
from ..tags import merge_tags
from .args import DataLakeBucketArgs, check_args
from .documents import (
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
from .notifications import LakeEventTarget, notification_issues, raise_issues
from .settings import LOG_PREFIX, LayerSettings

__all__ = ["DataLakeBucket"]


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
        tags = check_args(name, args)
        settings = args.settings
        super().__init__("dataplatform:storage:DataLakeBucket", name, None, opts)
        self._name = name
        self._tags = tags
        self._settings = settings
        protect = settings.deletion_protection
        self._child = pulumi.ResourceOptions(parent=self)
        self._keep = protect
        self._protected = protection(protect, self._child)
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        self._account = identity.account_id

        self.kms_key_arn = customer_kms_key(
            f"{name}-key",
            description=f"Data lake {name}: SSE-KMS of every layer",
            policy=pulumi.Output.all(self._account, partition).apply(lambda v: lake_key_policy(v[0], v[1])),
            tags=tags,
            opts=self._protected,
            existing_arn=args.kms_key_arn,
        )

        if settings.bucket_per_layer:
            groups = [(layer.name, [layer]) for layer in settings.layers]
        else:
            groups = [("lake", list(settings.layers))]
        slots = [self._lake_bucket(key_name, layers) for key_name, layers in groups]
        self._slots = slots
        self._notified = False

        self.bucket_names = {}
        self.bucket_arns = {}
        self.layer_prefixes = {}
        for slot in slots:
            for layer in slot.layers:
                self.bucket_names[layer.name] = slot.bucket.bucket
                self.bucket_arns[layer.name] = slot.bucket.arn
                self.layer_prefixes[layer.name] = layer_prefix(layer.name, settings.bucket_per_layer)

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
        versioning, public_block = self._baseline(base, bucket, lake_encryption_rule(self.kms_key_arn))
        aws.s3.BucketLifecycleConfiguration(
            f"{base}-lifecycle",
            bucket=bucket.id,
            rules=lake_lifecycle_rules(layers, per_layer),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        for layer in layers:
            if layer.intelligent_tiering is None:
                continue
            aws.s3.BucketIntelligentTieringConfiguration(
                f"{self._name}-{layer.name}-tiering",
                bucket=bucket.id,
                name=f"{layer.name}-archive",
                status="Enabled",
                filter=None
                if per_layer
                else aws.s3.BucketIntelligentTieringConfigurationFilterArgs(prefix=f"{layer.name}/"),
                tierings=intelligent_tierings(layer.intelligent_tiering),
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
        """What every bucket here gets (the platform's shared S3 baseline)."""
        return s3_bucket_baseline(base, bucket, encryption, self._child, protect=self._keep)

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
        bucket = aws.s3.Bucket(
            base,
            force_destroy=not settings.deletion_protection,
            tags=self._tags,
            opts=self._protected,
        )
        versioning, public_block = self._baseline(base, bucket, log_encryption_rule())
        aws.s3.BucketLifecycleConfiguration(
            f"{base}-lifecycle",
            bucket=bucket.id,
            rules=log_lifecycle_rules(settings.access_logging),
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
        destination = args.replication_destination_bucket_arn
        dest_key = pulumi.Output.from_input(args.replication_destination_kms_key_arn or "")

        def destination_of(slot: _Slot) -> pulumi.Input[str]:
            if isinstance(destination, Mapping):
                return destination[slot.key]
            assert destination is not None  # checked in check_args
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
                lambda v: replication_role_policy(
                    v[2 : 2 + count], v[2 + count :], v[0], v[1], settings.object_lock.enabled
                )
            ),
            opts=self._child,
        )
        for slot, target in zip(slots, destinations, strict=True):
            aws.s3.BucketReplicationConfig(
                f"{name}-{slot.key}-replication",
                bucket=slot.bucket.id,
                role=role.arn,
                rules=replication_rules(settings.replication, target, dest_key),
                # Replication needs versioning on, and the role's permissions in place.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[slot.versioning, role_policy]),
            )
        return role.arn

    # ------------------------------------------------------------------ event notifications

    def notify(self, targets: Sequence[LakeEventTarget]) -> list[aws.s3.BucketNotification]:
        """Register the lake's event notifications: one ``aws.s3.BucketNotification`` per lake bucket
        with targets, carrying every queue's layer events (a bucket has one notification
        configuration, so this is called once, with all of them). Unknown layers and overlapping
        filters are refused before anything is registered."""
        if self._notified:
            raise InvalidConfigError(
                [
                    ConfigIssue(
                        "targets",
                        len(targets),
                        "notify was already called: a bucket has ONE notification configuration, and a "
                        "second resource would overwrite the first; pass every target in one call",
                    )
                ],
                subject="DataLakeBucket.notify",
            )
        buckets = {layer.name: slot.key for slot in self._slots for layer in slot.layers}
        raise_issues(notification_issues(targets, self.layer_prefixes, buckets))
        self._notified = True
        made = []
        for slot in self._slots:
            mine = [t for t in targets if buckets[t.layer] == slot.key]
            if not mine:
                continue
            made.append(
                aws.s3.BucketNotification(
                    f"{self._name}-{slot.key}-notifications",
                    bucket=slot.bucket.id,
                    queues=[
                        aws.s3.BucketNotificationQueueArgs(
                            id=f"{target.layer}-{index}",
                            queue_arn=target.queue_arn,
                            events=list(target.events),
                            filter_prefix=self.layer_prefixes[target.layer] or None,
                            filter_suffix=target.suffix,
                        )
                        for index, target in enumerate(mine)
                    ],
                    opts=pulumi.ResourceOptions(
                        parent=self, depends_on=[d for t in mine for d in t.depends_on]
                    ),
                )
            )
        return made

    # ------------------------------------------------------------------ access policies

    def access_policy(self, read: Sequence[str] = (), write: Sequence[str] = ()) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to read ``read`` and write ``write`` layers
        (see :func:`access_policy_document`). Unknown layers raise :class:`InvalidConfigError`."""
        # Checked now, not inside an apply, so a typo fails the program at once.
        check_access(self.layer_prefixes, read, write)
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
            )
        )

    def read_policy(self, layers: Sequence[str]) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to read ``layers``."""
        return self.access_policy(read=layers)

    def write_policy(self, layers: Sequence[str]) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to write ``layers`` (a writer reads, lists and deletes
        inside the layers it writes, as table-format commits need)."""
        return self.access_policy(write=layers)
