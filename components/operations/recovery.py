"""The :class:`DisasterRecovery` component: what the DR region holds, through its own aws provider.

Registered before the lake (the lake's replication names the replica bucket) and independent of
everything else in the stack: its only inputs are settings, so its branch of the deploy graph runs
in parallel with the network, the cluster and the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._access_logs import access_log_bucket, log_requests
from .._shared import customer_kms_key
from .._validation import ConfigIssue, InvalidConfigError
from ..tags import validate_tags
from .documents import account_key_policy, dr_bucket_lifecycle_rules, dr_bucket_policy
from .settings import DisasterRecoverySettings, VaultLockSettings

__all__ = ["DisasterRecovery", "DisasterRecoveryArgs"]


@dataclass(frozen=True)
class DisasterRecoveryArgs:
    """Settings, tags and what the DR region must hold."""

    settings: DisasterRecoverySettings
    """Validated settings (the DR region and its retention)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child in the DR region."""
    primary_region: str
    """The stack's own region (the DR region must differ)."""
    lake_replica: bool = False
    """Create the lake's replica bucket and its key (for ``lake.replication``)."""
    backup_vault: bool = False
    """Create the vault backup copies go to, and its key (also the RDS replicated backups' key)."""
    vault_lock: VaultLockSettings | None = None
    """Lock the DR vault like the primary one."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the bucket, the vault and the keys."""


def check_recovery_args(args: DisasterRecoveryArgs) -> dict[str, str]:
    """The wiring checks, before anything is registered; returns the validated tags."""
    tags = validate_tags(args.tags)
    if args.settings.region == args.primary_region:
        raise InvalidConfigError(
            [
                ConfigIssue(
                    "settings.region",
                    args.settings.region,
                    f"is the stack's own region ({args.primary_region}); a copy there is lost with it: "
                    "use another region, e.g. eu-central-1 for eu-west-1",
                )
            ],
            subject="DisasterRecoveryArgs",
        )
    return tags


class DisasterRecovery(pulumi.ComponentResource):
    """The DR region: an explicit provider, the lake replica bucket, the backup vault, their keys."""

    provider: aws.Provider
    """The aws provider of the DR region (every child here uses it)."""
    region: str
    lake_bucket_arn: pulumi.Output[str] | None
    """The replica bucket's ARN, once versioning is on (replication needs it); None without replica."""
    lake_kms_key_arn: pulumi.Output[str] | None
    """The key replicas are encrypted with."""
    vault_arn: pulumi.Output[str] | None
    """The DR backup vault (copy actions name it)."""
    backup_kms_key_arn: pulumi.Output[str] | None
    """The DR vault's key; RDS replicated backups use it too."""

    def __init__(
        self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = check_recovery_args(args)
        super().__init__("dataplatform:operations:DisasterRecovery", name, None, opts)
        self._name, self._tags = name, tags
        self.region = args.settings.region
        self.provider = aws.Provider(
            f"{name}-provider", region=self.region, opts=pulumi.ResourceOptions(parent=self)
        )
        protect = args.deletion_protection
        self._child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self._protected = pulumi.ResourceOptions(
            parent=self, provider=self.provider, protect=protect, retain_on_delete=protect
        )
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self.lake_bucket_arn = self.lake_kms_key_arn = None
        self.vault_arn = self.backup_kms_key_arn = None
        if args.lake_replica:
            self._lake_replica(args)
        if args.backup_vault:
            self._vault(args)
        self.register_outputs(
            {
                "region": self.region,
                "lake_bucket_arn": self.lake_bucket_arn,
                "lake_kms_key_arn": self.lake_kms_key_arn,
                "vault_arn": self.vault_arn,
                "backup_kms_key_arn": self.backup_kms_key_arn,
            }
        )

    def _key(self, role: str, description: str) -> pulumi.Output[str]:
        return customer_kms_key(
            f"{self._name}-{role}-key",
            description=description,
            policy=pulumi.Output.all(self._account, self._partition).apply(
                lambda v: account_key_policy(v[0], v[1])
            ),
            tags=self._tags,
            opts=self._protected,
        )

    def _lake_replica(self, args: DisasterRecoveryArgs) -> None:
        """The replica bucket with the baseline of every bucket here: versioned, SSE-KMS with a Bucket
        Key, all public access blocked, ACLs off, TLS only; noncurrent versions expire."""
        base = f"{self._name}-lake"
        key_arn = self._key("lake", f"DR replica of the data lake ({self.region})")
        bucket = aws.s3.Bucket(
            base, force_destroy=not args.deletion_protection, tags=self._tags, opts=self._protected
        )
        versioning = aws.s3.BucketVersioning(
            f"{base}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            # Deleting a BucketVersioning suspends versioning (pulumi-aws s3.BucketVersioning docs).
            opts=self._protected,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{base}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    ),
                    bucket_key_enabled=True,
                    blocked_encryption_types=["SSE-C"],
                )
            ],
            opts=self._child,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{base}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )
        aws.s3.BucketOwnershipControls(
            f"{base}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=self._child,
        )
        aws.s3.BucketPolicy(
            f"{base}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(dr_bucket_policy),
            # S3 rejects concurrent changes to a bucket's policy and public access block.
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[public_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{base}-lifecycle",
            bucket=bucket.id,
            rules=dr_bucket_lifecycle_rules(args.settings.replica_noncurrent_version_expiration_days),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[versioning]),
        )
        if args.settings.access_logging.enabled:
            logs, logs_policy = access_log_bucket(
                f"{base}-logs",
                logging=args.settings.access_logging,
                sources=[bucket.arn],
                account_id=self._account,
                force_destroy=not args.deletion_protection,
                tags=self._tags,
                protected=self._protected,
                child=self._child,
            )
            log_requests(
                f"{base}-logging",
                bucket=bucket,
                target=logs.bucket,
                depends_on=[logs_policy],
                child=self._child,
            )
        # Replication into the bucket needs its versioning on: the ARN is handed out once it is.
        self.lake_bucket_arn = pulumi.Output.all(bucket.arn, versioning.id).apply(lambda v: v[0])
        self.lake_kms_key_arn = key_arn

    def _vault(self, args: DisasterRecoveryArgs) -> None:
        key_arn = self._key("backup", f"DR backup vault and replicated RDS backups ({self.region})")
        vault = aws.backup.Vault(
            f"{self._name}-vault",
            kms_key_arn=key_arn,
            force_destroy=not args.deletion_protection,
            tags=self._tags,
            opts=self._protected,
        )
        arn: pulumi.Output[str] = vault.arn
        if args.vault_lock is not None:
            lock = aws.backup.VaultLockConfiguration(
                f"{self._name}-vault-lock",
                backup_vault_name=vault.name,
                min_retention_days=args.vault_lock.min_retention_days,
                max_retention_days=args.vault_lock.max_retention_days,
                changeable_for_days=args.vault_lock.changeable_for_days,
                opts=self._protected,
            )
            # Copies go to the vault once it is locked, so none escapes the lock.
            arn = pulumi.Output.all(vault.arn, lock.id).apply(lambda v: v[0])
        self.vault_arn = arn
        self.backup_kms_key_arn = key_arn
