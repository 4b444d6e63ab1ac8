"""The :class:`DataCatalog` component: a Glue database per lake layer, the catalog's encryption, its key.

What each resource holds comes from :mod:`.documents`; what may be configured, from
:mod:`.settings`. This module only registers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._shared import customer_kms_key, kms_key_arn_problem, protection
from .._validation import ConfigIssue, InvalidConfigError
from ..tags import validate_tags
from .documents import catalog_access_document, catalog_key_policy, check_catalog_access, owner_key_arn
from .settings import CatalogSettings, database_name

__all__ = ["DataCatalog", "DataCatalogArgs"]


@dataclass(frozen=True)
class DataCatalogArgs:
    """Settings plus the lake's layout (``DataLakeBucket.bucket_names`` and ``layer_prefixes``)."""

    settings: CatalogSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to the databases and the key."""
    layer_buckets: Mapping[str, pulumi.Input[str]]
    """Layer -> the name of the bucket holding it (``DataLakeBucket.bucket_names``)."""
    layer_prefixes: Mapping[str, str]
    """Layer -> its key prefix in that bucket (``DataLakeBucket.layer_prefixes``: ``"gold/"``, or
    ``""`` for a bucket of its own)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """An existing KMS key ARN for the catalog's metadata and connection passwords; a customer
    key with rotation is created when omitted."""


def _check(args: DataCatalogArgs) -> dict[str, str]:
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, CatalogSettings):
        issues.append(ConfigIssue("args.settings", type(args.settings).__name__, "must be CatalogSettings"))
    if not args.layer_buckets:
        issues.append(
            ConfigIssue("args.layer_buckets", {}, "pass DataLakeBucket.bucket_names (one layer or more)")
        )
    missing = sorted(set(args.layer_buckets) - set(args.layer_prefixes))
    if missing:
        issues.append(
            ConfigIssue(
                "args.layer_prefixes",
                missing,
                "every layer needs its prefix; pass DataLakeBucket.layer_prefixes",
            )
        )
    problem = kms_key_arn_problem(args.kms_key_arn)
    if problem:
        issues.append(ConfigIssue("args.kms_key_arn", args.kms_key_arn, problem))
    if issues:
        raise InvalidConfigError(issues, subject="DataCatalog")
    return validate_tags(args.tags)


class DataCatalog(pulumi.ComponentResource):
    """One Glue database per lake layer, located at the layer; the catalog encrypted with a customer key."""

    database_names: dict[str, pulumi.Output[str]]
    """Layer -> its Glue database name (``<prefix>_<layer>``)."""
    database_arns: dict[str, pulumi.Output[str]]
    """Layer -> its Glue database ARN."""
    kms_key_arn: pulumi.Output[str]
    """The catalog key (made here or passed in)."""
    catalog_arn: pulumi.Output[str]
    """``arn:<partition>:glue:<region>:<account>:catalog``."""

    def __init__(self, name: str, args: DataCatalogArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags = _check(args)
        settings = args.settings
        super().__init__("dataplatform:catalog:DataCatalog", name, None, opts)
        protect = settings.deletion_protection
        protected = protection(protect, pulumi.ResourceOptions(parent=self))
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        region = aws.get_region_output().region
        self.catalog_arn = pulumi.Output.all(partition, region, identity.account_id).apply(
            lambda v: f"arn:{v[0]}:glue:{v[1]}:{v[2]}:catalog"
        )
        if settings.manage_encryption_settings or args.kms_key_arn is not None:
            self.kms_key_arn = customer_kms_key(
                f"{name}-key",
                description=f"Glue Data Catalog {name}: metadata and connection passwords",
                policy=pulumi.Output.all(identity.account_id, partition).apply(
                    lambda v: catalog_key_policy(v[0], v[1])
                ),
                tags=tags,
                opts=protected,
                existing_arn=args.kms_key_arn,
            )
        else:
            # Another stack of the account owns the settings (one per account and region): the
            # catalog's metadata is encrypted with its key, so the access policies name that key.
            owner = aws.glue.get_data_catalog_encryption_settings_output(
                catalog_id=identity.account_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.kms_key_arn = owner.data_catalog_encryption_settings.apply(owner_key_arn)
        if settings.manage_encryption_settings:
            # Deleting these writes empty settings: the account's catalog would be unencrypted from
            # then on (pulumi-aws glue.DataCatalogEncryptionSettings). Protected like the key.
            aws.glue.DataCatalogEncryptionSettings(
                f"{name}-encryption",
                data_catalog_encryption_settings=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsArgs(
                    encryption_at_rest=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRestArgs(
                        catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=self.kms_key_arn
                    ),
                    connection_password_encryption=aws.glue.DataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryptionArgs(
                        return_connection_password_encrypted=True, aws_kms_key_id=self.kms_key_arn
                    ),
                ),
                opts=protected,
            )
        self.database_names = {}
        self.database_arns = {}
        for layer, bucket in args.layer_buckets.items():
            prefix = args.layer_prefixes[layer]
            database = aws.glue.CatalogDatabase(
                f"{name}-{layer}",
                name=database_name(settings.database_prefix, layer),
                description=f"The {layer} layer of the data lake",
                location_uri=pulumi.Output.concat("s3://", bucket, "/", prefix),
                tags=tags,
                opts=protected,
            )
            self.database_names[layer] = database.name
            self.database_arns[layer] = database.arn
        self.register_outputs(
            {
                "database_names": self.database_names,
                "database_arns": self.database_arns,
                "kms_key_arn": self.kms_key_arn,
                "catalog_arn": self.catalog_arn,
            }
        )

    def access_policy(self, read: Sequence[str] = (), write: Sequence[str] = ()) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON for the catalog entries of ``read`` and ``write`` layers
        (see :func:`catalog_access_document`). Unknown layers raise :class:`InvalidConfigError`."""
        # Checked now, not inside an apply, so a typo fails the program at once.
        check_catalog_access(self.database_names, read, write)
        read, write = list(read), list(write)
        names = sorted(set(read) | set(write))
        return pulumi.Output.all(
            self.catalog_arn, self.kms_key_arn, *[self.database_names[n] for n in names]
        ).apply(
            lambda v: catalog_access_document(v[0], dict(zip(names, v[2:], strict=True)), v[1], read, write)
        )

    def read_policy(self, layers: Sequence[str]) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to read the catalog entries of ``layers``."""
        return self.access_policy(read=layers)

    def write_policy(self, layers: Sequence[str]) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to register and update tables of ``layers``."""
        return self.access_policy(write=layers)
