"""Encryption at rest: S3 (SSE-KMS, across the split resource), RDS, Redshift, EKS secrets, EBS,
KMS key rotation, CloudWatch log groups and Secrets Manager secrets."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    UNKNOWN,
    ResourceContext,
    StackContext,
    StackResource,
    applies_to,
    as_list,
    get,
    resource_policy,
    stack_policy,
    truthy,
)

DOMAIN = "encryption"

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def attached_to_bucket(
    bucket: StackResource, candidates: list[StackResource]
) -> tuple[list[StackResource], bool]:
    """Resources among ``candidates`` that configure ``bucket`` (split S3 resources).

    A candidate belongs to the bucket when its ``bucket`` property depends on the bucket's
    URN (how the engine records ``bucket=b.id``) or equals the bucket's name, id or ARN.
    The second value is True when some candidate's bucket cannot be known (preview), so the
    absence of a match proves nothing.
    """
    names = {bucket.props.get(k) for k in ("bucket", "id", "arn")} - {None, UNKNOWN}
    found: list[StackResource] = []
    undecided = False
    for candidate in candidates:
        target = candidate.props.get("bucket")
        if bucket.urn in candidate.property_dependencies.get("bucket", []) or (
            isinstance(target, str) and target in names
        ):
            found.append(candidate)
        elif target is UNKNOWN and not candidate.property_dependencies.get("bucket"):
            undecided = True
    return found, undecided


@stack_policy(
    "s3-bucket-sse-kms",
    domain=DOMAIN,
    description="S3 buckets are encrypted with SSE-KMS (a BucketServerSideEncryptionConfiguration).",
    severity=Severity.HIGH,
    remediation=(
        "Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
        "apply_server_side_encryption_by_default.sse_algorithm='aws:kms' and kms_master_key_id set to a "
        "customer-managed key (the DataLakeBucket component does this)."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "requireKmsKeyId": {
            "type": "boolean",
            "default": True,
            "description": "Require an explicit (customer-managed) KMS key, not the aws/s3 managed key.",
        }
    },
    reads=(*SSE_TYPES, *BUCKET_TYPES),
)
def s3_bucket_sse_kms(ctx: StackContext) -> None:
    configs = ctx.of_type(*SSE_TYPES)
    require_key = ctx.config.get("requireKmsKeyId", True) is not False
    for config in configs:
        rules = config.props.get("rules")
        if rules is UNKNOWN:
            continue
        algorithms = [
            get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") for rule in as_list(rules)
        ]
        keys = [get(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId") for rule in as_list(rules)]
        if any(a is UNKNOWN for a in algorithms):
            continue
        if not any(a in KMS_ALGORITHMS for a in algorithms):
            ctx.report(
                f"encryption configuration '{config.name}' uses {algorithms or 'no algorithm'}, not aws:kms",
                config.urn,
            )
        elif require_key and not any(k for k in keys) and not any(k is UNKNOWN for k in keys):
            ctx.report(
                f"encryption configuration '{config.name}' uses the AWS-managed aws/s3 key; "
                "set kms_master_key_id",
                config.urn,
            )
    for bucket in ctx.of_type(*BUCKET_TYPES):
        found, undecided = attached_to_bucket(bucket, configs)
        if not found and not undecided:
            ctx.report(f"bucket '{bucket.name}' has no BucketServerSideEncryptionConfiguration", bucket.urn)


@resource_policy(
    "rds-storage-encrypted",
    domain=DOMAIN,
    description="RDS instances and clusters encrypt their storage.",
    severity=Severity.HIGH,
    remediation="Set storage_encrypted=True and kms_key_id to a customer-managed KMS key (storage encryption "
    "cannot be turned on later without a snapshot restore).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
def rds_storage_encrypted(ctx: ResourceContext) -> None:
    if ctx.type == "aws:rds/instance:Instance" and ctx.props.get("dbClusterIdentifier") is not None:
        return  # an Aurora cluster member: the cluster decides
    if ctx.props.get("replicateSourceDb") is not None:
        return  # a read replica inherits the source's encryption
    if truthy(ctx.props.get("storageEncrypted")) is False or "storageEncrypted" not in ctx.props:
        ctx.report(f"'{ctx.name}' has storageEncrypted unset or false")


@resource_policy(
    "rds-performance-insights-kms",
    domain=DOMAIN,
    description="RDS Performance Insights data is encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="With performance_insights_enabled=True, set performance_insights_kms_key_id to a KMS key.",
)
@applies_to("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
def rds_performance_insights_kms(ctx: ResourceContext) -> None:
    enabled = truthy(ctx.props.get("performanceInsightsEnabled"))
    key = ctx.props.get("performanceInsightsKmsKeyId")
    if enabled and key is not UNKNOWN and not key:
        ctx.report(f"'{ctx.name}' enables Performance Insights without performanceInsightsKmsKeyId")


@resource_policy(
    "redshift-kms-encrypted",
    domain=DOMAIN,
    description="Redshift clusters are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH,
    remediation="Set encrypted='true' (the default) and kms_key_id to a customer-managed KMS key ARN.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("aws:redshift/cluster:Cluster")
def redshift_kms_encrypted(ctx: ResourceContext) -> None:
    encrypted = ctx.props.get("encrypted", True)  # pulumi-aws v7 default: "true"
    if truthy(encrypted) is False:
        ctx.report(f"'{ctx.name}' sets encrypted to false")
        return
    key = ctx.props.get("kmsKeyId")
    if key is UNKNOWN or encrypted is UNKNOWN:
        return
    if not key:
        ctx.report(f"'{ctx.name}' has no kmsKeyId (the AWS-managed key is used)")


@resource_policy(
    "eks-secrets-encryption",
    domain=DOMAIN,
    description="EKS clusters envelope-encrypt Kubernetes secrets with a KMS key.",
    severity=Severity.HIGH,
    remediation="pulumi-eks: set encryption_config_key_arn. aws.eks.Cluster: set encryption_config with "
    "resources=['secrets'] and provider.key_arn.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("eks:index:Cluster", "aws:eks/cluster:Cluster")
def eks_secrets_encryption(ctx: ResourceContext) -> None:
    if ctx.type == "eks:index:Cluster":
        key = ctx.props.get("encryptionConfigKeyArn")
        if key is UNKNOWN:
            return
        if not key:
            ctx.report(f"'{ctx.name}' has no encryptionConfigKeyArn")
        return
    config = ctx.props.get("encryptionConfig")
    if config is UNKNOWN:
        return
    resources = get(config, "resources")
    key = get(config, "provider", "keyArn")
    if resources is UNKNOWN or key is UNKNOWN:
        return
    if not config or "secrets" not in as_list(resources) or not key:
        ctx.report(f"'{ctx.name}' has no encryptionConfig for 'secrets' with a provider.keyArn")


@resource_policy(
    "ebs-encrypted",
    domain=DOMAIN,
    description="EBS volumes, instance block devices and launch template block devices are encrypted.",
    severity=Severity.HIGH,
    remediation="Set encrypted=True on aws.ebs.Volume and on instances' root_block_device/ebs_block_devices, "
    "and ebs.encrypted='true' on every launch template block_device_mapping (or enable EBS encryption by "
    "default in the account).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("aws:ebs/volume:Volume", "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate")
def ebs_encrypted(ctx: ResourceContext) -> None:
    props = ctx.props
    if ctx.type == "aws:ebs/volume:Volume":
        if truthy(props.get("encrypted")) is False or "encrypted" not in props:
            ctx.report(f"volume '{ctx.name}' is not encrypted")
        return
    if ctx.type == "aws:ec2/instance:Instance":
        devices = [("rootBlockDevice", props.get("rootBlockDevice") or {})]
        for index, device in enumerate(as_list(props.get("ebsBlockDevices"))):
            devices.append((f"ebsBlockDevices[{index}]", device))
        for where, device in devices:
            if device is UNKNOWN:
                continue
            if truthy(get(device, "encrypted")) is not True and get(device, "encrypted") is not UNKNOWN:
                ctx.report(f"instance '{ctx.name}' {where} is not encrypted")
        return
    mappings = props.get("blockDeviceMappings")
    if mappings is UNKNOWN:
        return
    for index, mapping in enumerate(as_list(mappings)):
        ebs = get(mapping, "ebs")
        if ebs is None or ebs is UNKNOWN:
            continue  # instance-store or no EBS settings
        encrypted = get(ebs, "encrypted")
        if encrypted is not UNKNOWN and truthy(encrypted) is not True and not get(ebs, "snapshotId"):
            ctx.report(
                f"launch template '{ctx.name}' blockDeviceMappings[{index}].ebs.encrypted is not 'true'"
            )


@resource_policy(
    "kms-key-rotation",
    domain=DOMAIN,
    description="Symmetric KMS keys rotate their key material automatically.",
    severity=Severity.MEDIUM,
    remediation="Set enable_key_rotation=True on the aws.kms.Key.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("aws:kms/key:Key")
def kms_key_rotation(ctx: ResourceContext) -> None:
    spec = ctx.props.get("customerMasterKeySpec") or ctx.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    usage = ctx.props.get("keyUsage") or "ENCRYPT_DECRYPT"
    if spec is UNKNOWN or usage is UNKNOWN:
        return
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return  # asymmetric and HMAC keys cannot rotate automatically
    rotation = ctx.props.get("enableKeyRotation")
    if rotation is UNKNOWN:
        return
    if truthy(rotation) is not True:
        ctx.report(f"key '{ctx.name}' has enableKeyRotation unset or false")


@resource_policy(
    "cloudwatch-log-group-kms",
    domain=DOMAIN,
    description="CloudWatch log groups are encrypted with a KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set kms_key_id on the aws.cloudwatch.LogGroup to a KMS key ARN whose key policy allows "
    "logs.<region>.amazonaws.com.",
)
@applies_to("aws:cloudwatch/logGroup:LogGroup")
def cloudwatch_log_group_kms(ctx: ResourceContext) -> None:
    key = ctx.props.get("kmsKeyId")
    if key is not UNKNOWN and not key:
        ctx.report(f"log group '{ctx.name}' has no kmsKeyId")


@resource_policy(
    "secretsmanager-secret-cmk",
    domain=DOMAIN,
    description="Secrets Manager secrets are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set kms_key_id on the aws.secretsmanager.Secret to a customer-managed KMS key.",
)
@applies_to("aws:secretsmanager/secret:Secret")
def secretsmanager_secret_cmk(ctx: ResourceContext) -> None:
    key = ctx.props.get("kmsKeyId")
    if key is not UNKNOWN and not key:
        ctx.report(f"secret '{ctx.name}' has no kmsKeyId (the aws/secretsmanager key is used)")


POLICIES = [
    s3_bucket_sse_kms,
    rds_storage_encrypted,
    rds_performance_insights_kms,
    redshift_kms_encrypted,
    eks_secrets_encryption,
    ebs_encrypted,
    kms_key_rotation,
    cloudwatch_log_group_kms,
    secretsmanager_secret_cmk,
]
