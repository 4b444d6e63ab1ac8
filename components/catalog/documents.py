"""Pure documents of the catalog and the workgroup: IAM policies, the key policy, lifecycle rules.

Plain functions of names and ARNs; none registers anything. The components call them inside
``Output.apply`` once the ARNs are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi_aws as aws

from .._shared import s3_transport_statements
from .._validation import ConfigIssue, InvalidConfigError
from ..iam import kms_account_admin_statement, policy_json
from .settings import QuerySettings

__all__ = [
    "CATALOG_READ_ACTIONS",
    "CATALOG_WRITE_ACTIONS",
    "QUERY_ACTIONS",
    "catalog_access_document",
    "catalog_key_policy",
    "check_catalog_access",
    "layer_location",
    "owner_key_arn",
    "query_policy_document",
    "results_bucket_policy_statements",
    "results_lifecycle_rules",
]

CATALOG_READ_ACTIONS = [
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
]
"""What a query engine (Athena, Spark, Trino) reads to plan a query over a database's tables."""
CATALOG_WRITE_ACTIONS = [
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
    "glue:BatchUpdatePartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:DeletePartition",
    "glue:DeleteTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
]
"""What a table writer adds: register and drop tables, commit new metadata (an Iceberg commit
is an UpdateTable of the metadata location), manage partitions. Never database-level changes."""
QUERY_ACTIONS = [
    "athena:BatchGetQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:GetQueryRuntimeStatistics",
    "athena:GetWorkGroup",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
]
"""Run, follow, read and stop queries in one workgroup (the JDBC/ODBC drivers and the console
use these); no workgroup administration."""


def layer_location(bucket: str, prefix: str) -> str:
    """The S3 location of a layer: ``s3://<bucket>/<prefix>`` (``s3://<bucket>/`` for a bucket of its own)."""
    return f"s3://{bucket}/{prefix}"


def _region_of_key(key_arn: str) -> str:
    return key_arn.split(":")[3]


def check_catalog_access(
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
                ConfigIssue(
                    mode,
                    unknown,
                    f"no catalog database for these layer(s); the catalog has {', '.join(sorted(known))}",
                )
            )
    if not issues and not read and not write:
        issues.append(
            ConfigIssue(
                "read/write", [], "a policy granting nothing is a mistake; name layers to read or write"
            )
        )
    if issues:
        raise InvalidConfigError(issues, subject="catalog access policy")


def catalog_access_document(
    catalog_arn: str,
    databases: Mapping[str, str],
    key_arn: str,
    read: Sequence[str] = (),
    write: Sequence[str] = (),
) -> str:
    """Least-privilege IAM policy JSON for the catalog entries of ``read`` and ``write`` layers.

    ``databases`` maps each layer to its database name; ``catalog_arn`` is
    ``arn:<partition>:glue:<region>:<account>:catalog``. Glue authorises a table call on the
    catalog, the database and the table together, so each statement names exactly those three
    of the layers it covers. The catalog key may be used through Glue only: Decrypt to read,
    Encrypt and GenerateDataKey as well to write (Glue encrypts new metadata with the caller's
    access to the key).
    """
    check_catalog_access(databases, read, write)
    prefix = catalog_arn.removesuffix(":catalog")

    def resources(names: Sequence[str]) -> list[str]:
        arns = [catalog_arn]
        for name in sorted(set(names)):
            arns += [f"{prefix}:database/{databases[name]}", f"{prefix}:table/{databases[name]}/*"]
        return arns

    visible = sorted(set(read) | set(write))
    statements: list[dict[str, Any]] = [
        {
            "Sid": "CatalogRead",
            "Effect": "Allow",
            "Action": list(CATALOG_READ_ACTIONS),
            "Resource": resources(visible),
        }
    ]
    if write:
        statements.append(
            {
                "Sid": "CatalogWrite",
                "Effect": "Allow",
                "Action": list(CATALOG_WRITE_ACTIONS),
                "Resource": resources(write),
            }
        )
    statements.append(
        {
            "Sid": "UseCatalogKeyThroughGlue",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
            "Resource": key_arn,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"glue.{_region_of_key(key_arn)}.amazonaws.com"}
            },
        }
    )
    return policy_json(statements)


def catalog_key_policy(account: str, partition: str) -> str:
    """Account administration through IAM: who may use the catalog key is decided by the IAM
    policies the catalog hands out (Glue uses the key with the caller's permissions)."""
    return policy_json([kms_account_admin_statement(account, partition, "AccountAdministersThroughIam")])


def query_policy_document(
    workgroup_arn: str, results_bucket_arn: str, results_prefix: str, results_key_arn: str
) -> str:
    """Least-privilege IAM policy JSON to run queries in one workgroup and keep their results.

    Athena writes results with the caller's credentials, so the caller reads and writes the
    results prefix (and only it), lists it, and uses the results key through S3. What a query may
    read is granted separately (the catalog's and the lake's read policies).
    """
    objects = f"{results_bucket_arn}/{results_prefix}*"
    return policy_json(
        [
            {
                "Sid": "RunQueriesInWorkgroup",
                "Effect": "Allow",
                "Action": list(QUERY_ACTIONS),
                "Resource": workgroup_arn,
            },
            {
                "Sid": "ReadWriteQueryResults",
                "Effect": "Allow",
                "Action": [
                    "s3:AbortMultipartUpload",
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject",
                ],
                "Resource": objects,
            },
            {
                "Sid": "ListQueryResults",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": results_bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{results_prefix}*"]}},
            },
            {
                "Sid": "LocateResultsBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": results_bucket_arn,
            },
            {
                "Sid": "UseResultsKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": results_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{_region_of_key(results_key_arn)}.amazonaws.com"}
                },
            },
        ]
    )


def results_bucket_policy_statements(bucket_arn: str) -> list[dict[str, Any]]:
    """The results bucket's policy: TLS 1.2+ only (the workgroup enforces SSE-KMS on every result)."""
    return s3_transport_statements(bucket_arn)


def results_lifecycle_rules(settings: QuerySettings) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Query results expire after ``result_expiration_days``; overwritten versions a day later."""
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-query-results",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                days=settings.result_expiration_days
            ),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=1
            ),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=1
            ),
        )
    ]


def owner_key_arn(settings: Any) -> str:
    """The customer key ARN of the account's catalog encryption settings (what the data source
    ``aws.glue.get_data_catalog_encryption_settings`` returns), read by a stack that does not own
    them. Anything else (not encrypted, the AWS managed key, a key id) is an error naming the fix:
    the access policies must name the key the catalog really uses."""
    rests = _get(_first(settings), "encryption_at_rests")
    rest = _first(rests)
    mode = _get(rest, "catalog_encryption_mode")
    key = _get(rest, "sse_aws_kms_key_id") or ""
    if mode != "SSE-KMS" or not str(key).startswith("arn:") or ":key/" not in str(key):
        raise InvalidConfigError(
            [
                ConfigIssue(
                    "settings.manage_encryption_settings",
                    False,
                    "this catalog reads the account's Glue Data Catalog encryption settings, and they are "
                    f"not SSE-KMS with a customer key ARN (mode {mode!r}, key {key!r}); deploy the stack "
                    "that owns them first (manage_encryption_settings: true there), or pass the catalog "
                    "key as DataCatalogArgs.kms_key_arn",
                )
            ],
            subject="DataCatalog",
        )
    return str(key)


def _first(values: Any) -> Any:
    return values[0] if values else None


def _get(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        camel = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(name.split("_")))
        return value.get(name, value.get(camel))
    return getattr(value, name, None)
