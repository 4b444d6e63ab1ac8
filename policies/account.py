"""Account-wide switches, snapshots and copies: the doors to data that are not a bucket or a database.

* ``aws.s3.AccountPublicAccessBlock``: every flag on. The provider defaults each flag to false
  (pulumi-aws ``s3.AccountPublicAccessBlock``: "Defaults to false"), so an unset flag is off.
* ``aws.ebs.EncryptionByDefault``: ``enabled`` defaults to true; an explicit false turns it off
  for the whole region.
* Snapshots and AMIs shared with everyone: ``shared_accounts`` containing ``all`` on RDS snapshots
  and their copies (pulumi-aws ``rds.Snapshot``: "use `all` to make snapshot public"), an
  ``ec2.AmiLaunchPermission`` for ``group="all"``, and the regional block-public-access switches for
  EBS snapshots and AMIs set to ``unblocked``.
* Copies: a copy is only as encrypted as its source unless it names a key. RDS ``SnapshotCopy`` and
  ``ClusterSnapshotCopy`` need ``kms_key_id`` (CopyDBSnapshot: with KmsKeyId an unencrypted source is
  copied encrypted; without it the copy keeps the source's state); EBS ``SnapshotCopy`` and
  ``SnapshotImport`` and EC2 ``AmiCopy`` need ``encrypted=true``. A Redshift ``SnapshotCopy`` copies
  what the cluster has: an unencrypted cluster is ``redshift-kms-encrypted``'s finding.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_to, as_list, resource_policy, truthy

DOMAIN = "account"

ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
SHARED_SNAPSHOTS = (
    "aws:rds/snapshot:Snapshot",
    "aws:rds/clusterSnapshot:ClusterSnapshot",
    "aws:rds/snapshotCopy:SnapshotCopy",
    "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy",
)
AMI_PERMISSION = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
BLOCK_SWITCHES = {
    "aws:ebs/snapshotBlockPublicAccess:SnapshotBlockPublicAccess": "EBS snapshots",
    "aws:ec2/imageBlockPublicAccess:ImageBlockPublicAccess": "AMIs",
}
KMS_COPIES = ("aws:rds/snapshotCopy:SnapshotCopy", "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy")
ENCRYPTED_COPIES = (
    "aws:ebs/snapshotCopy:SnapshotCopy",
    "aws:ebs/snapshotImport:SnapshotImport",
    "aws:ec2/amiCopy:AmiCopy",
)


@resource_policy(
    "s3-account-public-access-block",
    domain=DOMAIN,
    description="The account-level S3 public access block has all four settings on.",
    severity=Severity.CRITICAL,
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets "
    "to True on the aws.s3.AccountPublicAccessBlock (each defaults to False).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(ACCOUNT_PAB)
def s3_account_public_access_block(ctx: ResourceContext) -> None:
    off = [
        flag
        for flag in PAB_FLAGS
        if ctx.props.get(flag) is not UNKNOWN and truthy(ctx.props.get(flag)) is not True
    ]
    if off:
        ctx.report(
            f"account public access block '{ctx.name}' leaves {', '.join(off)} off (unset means false)"
        )


@resource_policy(
    "ebs-encryption-by-default",
    domain=DOMAIN,
    description="EBS encryption by default stays on for the region.",
    severity=Severity.HIGH,
    remediation="Set enabled=True on the aws.ebs.EncryptionByDefault (or remove it: AWS keeps the current "
    "setting), and choose the key with aws.ebs.DefaultKmsKey.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(EBS_DEFAULT)
def ebs_encryption_by_default(ctx: ResourceContext) -> None:
    if truthy(ctx.props.get("enabled")) is False:
        ctx.report(f"'{ctx.name}' turns EBS encryption by default off for the region")


@resource_policy(
    "snapshot-not-public",
    domain=DOMAIN,
    description="No RDS snapshot or AMI is shared with every AWS account, and the regional "
    "block-public-access switches for EBS snapshots and AMIs are not 'unblocked'.",
    severity=Severity.CRITICAL,
    remediation="Share snapshots with named account ids only (shared_accounts), launch permissions with "
    "named accounts or organizations; set state='block-all-sharing' (EBS snapshots) or "
    "'block-new-sharing' (AMIs).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*SHARED_SNAPSHOTS, AMI_PERMISSION, *BLOCK_SWITCHES)
def snapshot_not_public(ctx: ResourceContext) -> None:
    if ctx.type in BLOCK_SWITCHES:
        if ctx.props.get("state") == "unblocked":
            ctx.report(f"'{ctx.name}' unblocks public sharing of {BLOCK_SWITCHES[ctx.type]} for the region")
    elif ctx.type == AMI_PERMISSION:
        if ctx.props.get("group") == "all":
            ctx.report(f"'{ctx.name}' makes the AMI public (group 'all')")
    elif "all" in as_list(ctx.props.get("sharedAccounts")):
        ctx.report(f"'{ctx.name}' shares the snapshot with every AWS account (sharedAccounts 'all')")


@resource_policy(
    "snapshot-copy-encrypted",
    domain=DOMAIN,
    description="Snapshot and image copies are encrypted whatever their source: RDS copies name a KMS key, "
    "EBS snapshot copies and imports and AMI copies set encrypted.",
    severity=Severity.HIGH,
    remediation="RDS SnapshotCopy/ClusterSnapshotCopy: set kms_key_id (a customer-managed key in the copy's "
    "region). EBS SnapshotCopy/SnapshotImport and EC2 AmiCopy: set encrypted=True and kms_key_id.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*KMS_COPIES, *ENCRYPTED_COPIES)
def snapshot_copy_encrypted(ctx: ResourceContext) -> None:
    if ctx.type in KMS_COPIES:
        key = ctx.props.get("kmsKeyId")
        if key is not UNKNOWN and not key:
            ctx.report(f"'{ctx.name}' names no kmsKeyId: the copy is only as encrypted as its source")
        return
    encrypted = ctx.props.get("encrypted")
    if encrypted is not UNKNOWN and truthy(encrypted) is not True:
        ctx.report(f"'{ctx.name}' does not set encrypted=true: the copy is only as encrypted as its source")


POLICIES = [
    s3_account_public_access_block,
    ebs_encryption_by_default,
    snapshot_not_public,
    snapshot_copy_encrypted,
]
