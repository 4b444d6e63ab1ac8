"""The catalog, query and registry layer: Glue Data Catalog encryption, Athena workgroup enforcement
and result encryption, ECR tag immutability, scan on push and KMS encryption."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_to, as_list, get, resource_policy, truthy

DOMAIN = "data"

GLUE_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
WORKGROUP = "aws:athena/workgroup:Workgroup"
REPOSITORY = "aws:ecr/repository:Repository"


@resource_policy(
    "glue-catalog-encrypted",
    domain=DOMAIN,
    description="The Glue Data Catalog encrypts metadata (SSE-KMS) and connection passwords with a KMS key.",
    severity=Severity.HIGH,
    remediation="On the aws.glue.DataCatalogEncryptionSettings set "
    "encryption_at_rest.catalog_encryption_mode='SSE-KMS' with sse_aws_kms_key_id, and "
    "connection_password_encryption with "
    "return_connection_password_encrypted=True and aws_kms_key_id (the DataCatalog component does this).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(GLUE_ENCRYPTION)
def glue_catalog_encrypted(ctx: ResourceContext) -> None:
    settings = ctx.props.get("dataCatalogEncryptionSettings")
    if settings is UNKNOWN:
        return
    mode = get(settings, "encryptionAtRest", "catalogEncryptionMode")
    key = get(settings, "encryptionAtRest", "sseAwsKmsKeyId")
    if mode is not UNKNOWN and mode not in ("SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE"):
        ctx.report(f"'{ctx.name}' leaves the catalog metadata unencrypted (catalogEncryptionMode={mode!r})")
    elif mode is not UNKNOWN and key is not UNKNOWN and not key:
        ctx.report(f"'{ctx.name}' encrypts the catalog with the AWS-managed key; set sseAwsKmsKeyId")
    returned = get(settings, "connectionPasswordEncryption", "returnConnectionPasswordEncrypted")
    password_key = get(settings, "connectionPasswordEncryption", "awsKmsKeyId")
    if returned is UNKNOWN or password_key is UNKNOWN:
        return
    if truthy(returned) is not True or not password_key:
        ctx.report(
            f"'{ctx.name}' does not encrypt connection passwords with a KMS key "
            "(connectionPasswordEncryption.returnConnectionPasswordEncrypted and awsKmsKeyId)"
        )


@resource_policy(
    "athena-workgroup-enforced",
    domain=DOMAIN,
    description="Athena workgroups enforce their configuration, so clients cannot change the results "
    "location, encryption or scan cutoff.",
    severity=Severity.MEDIUM,
    remediation="Set configuration.enforce_workgroup_configuration=True on the aws.athena.Workgroup.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(WORKGROUP)
def athena_workgroup_enforced(ctx: ResourceContext) -> None:
    configuration = ctx.props.get("configuration")
    if configuration is UNKNOWN:
        return
    enforced = get(configuration, "enforceWorkgroupConfiguration")
    if enforced is UNKNOWN:
        return
    # The provider's default is true: only an explicit false lets clients override.
    if truthy(enforced) is False:
        ctx.report(
            f"workgroup '{ctx.name}' lets clients override its settings (enforceWorkgroupConfiguration false)"
        )


@resource_policy(
    "athena-workgroup-results-encrypted",
    domain=DOMAIN,
    description="Athena workgroups encrypt query results with a customer-managed KMS key.",
    severity=Severity.HIGH,
    remediation="Set configuration.result_configuration.encryption_configuration with encryption_option="
    "'SSE_KMS' (or 'CSE_KMS') and kms_key_arn on the aws.athena.Workgroup.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(WORKGROUP)
def athena_workgroup_results_encrypted(ctx: ResourceContext) -> None:
    encryption = get(ctx.props, "configuration", "resultConfiguration", "encryptionConfiguration")
    if encryption is UNKNOWN:
        return
    option = get(encryption, "encryptionOption")
    key = get(encryption, "kmsKeyArn")
    if option is UNKNOWN or key is UNKNOWN:
        return
    if option not in ("SSE_KMS", "CSE_KMS"):
        ctx.report(f"workgroup '{ctx.name}' does not encrypt results with KMS (encryptionOption={option!r})")
    elif not key:
        ctx.report(f"workgroup '{ctx.name}' encrypts results with {option} but names no kmsKeyArn")


@resource_policy(
    "ecr-repository-immutable-tags",
    domain=DOMAIN,
    description="ECR repositories have immutable image tags, so a pinned tag always means the same image.",
    severity=Severity.MEDIUM,
    remediation="Set image_tag_mutability='IMMUTABLE' on the aws.ecr.Repository.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(REPOSITORY)
def ecr_repository_immutable_tags(ctx: ResourceContext) -> None:
    mutability = ctx.props.get("imageTagMutability", "MUTABLE")  # the provider's default
    if mutability is UNKNOWN:
        return
    if not str(mutability).startswith("IMMUTABLE"):
        ctx.report(f"repository '{ctx.name}' has mutable tags (imageTagMutability={mutability!r})")


@resource_policy(
    "ecr-repository-scan-on-push",
    domain=DOMAIN,
    description="ECR repositories scan every pushed image for vulnerabilities.",
    severity=Severity.MEDIUM,
    remediation="Set image_scanning_configuration.scan_on_push=True on the aws.ecr.Repository (or an "
    "account-level aws.ecr.RegistryScanningConfiguration, then exempt the repository with its reason).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(REPOSITORY)
def ecr_repository_scan_on_push(ctx: ResourceContext) -> None:
    scan = get(ctx.props, "imageScanningConfiguration", "scanOnPush")
    if scan is UNKNOWN:
        return
    if truthy(scan) is not True:
        ctx.report(f"repository '{ctx.name}' does not scan images on push")


@resource_policy(
    "ecr-repository-kms",
    domain=DOMAIN,
    description="ECR repositories are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set encryption_configurations=[{encryption_type: 'KMS', kms_key: <key ARN>}] on the "
    "aws.ecr.Repository (fixed at creation: a change replaces the repository).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(REPOSITORY)
def ecr_repository_kms(ctx: ResourceContext) -> None:
    configurations = ctx.props.get("encryptionConfigurations")
    if configurations is UNKNOWN:
        return
    first = as_list(configurations)[0] if as_list(configurations) else {}
    kind, key = get(first, "encryptionType"), get(first, "kmsKey")
    if kind is UNKNOWN or key is UNKNOWN:
        return
    if kind not in ("KMS", "KMS_DSSE"):
        ctx.report(f"repository '{ctx.name}' is encrypted with {kind or 'AES256'}, not KMS")
    elif not key:
        ctx.report(f"repository '{ctx.name}' uses the AWS-managed ECR key; set kmsKey")


POLICIES = [
    glue_catalog_encrypted,
    athena_workgroup_enforced,
    athena_workgroup_results_encrypted,
    ecr_repository_immutable_tags,
    ecr_repository_scan_on_push,
    ecr_repository_kms,
]
