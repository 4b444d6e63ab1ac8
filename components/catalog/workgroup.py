"""The :class:`QueryWorkgroup` component: the stack's Athena workgroup and its results bucket and key.

What each resource holds comes from :mod:`.documents`; what may be configured, from
:mod:`.settings`. This module only registers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._access_logs import access_log_bucket, log_requests
from .._shared import customer_kms_key, kms_key_arn_problem, s3_bucket_baseline
from .._validation import ConfigIssue, InvalidConfigError
from ..iam import kms_account_admin_statement, merge_policy_documents, policy_json
from ..tags import validate_tags
from .documents import query_policy_document, results_bucket_policy_statements, results_lifecycle_rules
from .settings import RESULTS_PREFIX, QuerySettings

__all__ = ["QueryWorkgroup", "QueryWorkgroupArgs"]


@dataclass(frozen=True)
class QueryWorkgroupArgs:
    """Settings plus tags; the results bucket and key are made here."""

    settings: QuerySettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child."""
    kms_key_arn: pulumi.Input[str] | None = None
    """An existing KMS key ARN for the query results; a customer key with rotation is created
    when omitted."""


def _check(args: QueryWorkgroupArgs) -> dict[str, str]:
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, QuerySettings):
        issues.append(ConfigIssue("args.settings", type(args.settings).__name__, "must be QuerySettings"))
    problem = kms_key_arn_problem(args.kms_key_arn)
    if problem:
        issues.append(ConfigIssue("args.kms_key_arn", args.kms_key_arn, problem))
    if issues:
        raise InvalidConfigError(issues, subject="QueryWorkgroup")
    return validate_tags(args.tags)


class QueryWorkgroup(pulumi.ComponentResource):
    """An Athena workgroup whose settings override the client's: engine 3, SSE-KMS results in a
    bucket of its own that expires them, and a per-query scan cutoff."""

    workgroup_name: pulumi.Output[str]
    """The workgroup's name (analysts select it in their client)."""
    workgroup_arn: pulumi.Output[str]
    """The workgroup's ARN."""
    results_bucket_name: pulumi.Output[str]
    """The bucket holding query results (under ``results/``)."""
    results_bucket_arn: pulumi.Output[str]
    """The results bucket's ARN."""
    kms_key_arn: pulumi.Output[str]
    """The results key (made here or passed in)."""

    def __init__(
        self, name: str, args: QueryWorkgroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = _check(args)
        settings = args.settings
        super().__init__("dataplatform:catalog:QueryWorkgroup", name, None, opts)
        protect = settings.deletion_protection
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        self.kms_key_arn = customer_kms_key(
            f"{name}-key",
            description=f"Athena workgroup {name}: query results",
            policy=pulumi.Output.all(identity.account_id, partition).apply(
                lambda v: policy_json(
                    [kms_account_admin_statement(v[0], v[1], "AccountAdministersThroughIam")]
                )
            ),
            tags=tags,
            opts=protected,
            existing_arn=args.kms_key_arn,
        )
        base = f"{name}-results"
        bucket = aws.s3.Bucket(base, force_destroy=not protect, tags=tags, opts=protected)
        versioning, public_block = s3_bucket_baseline(
            base,
            bucket,
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=self.kms_key_arn
                ),
                bucket_key_enabled=True,
                blocked_encryption_types=["SSE-C"],
            ),
            child,
            protect=protect,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{base}-lifecycle",
            bucket=bucket.id,
            rules=results_lifecycle_rules(settings),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{base}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: policy_json(results_bucket_policy_statements(arn))),
            # S3 rejects concurrent changes to a bucket's policy and public access block.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        if settings.access_logging.enabled:
            logs, logs_policy = access_log_bucket(
                f"{base}-logs",
                logging=settings.access_logging,
                sources=[bucket.arn],
                account_id=identity.account_id,
                force_destroy=not protect,
                tags=tags,
                protected=protected,
                child=child,
            )
            log_requests(
                f"{base}-logging", bucket=bucket, target=logs.bucket, depends_on=[logs_policy], child=child
            )
        workgroup = aws.athena.Workgroup(
            name,
            state="ENABLED",
            force_destroy=not protect,
            configuration=aws.athena.WorkgroupConfigurationArgs(
                # Clients cannot pick another results location, encryption or cutoff.
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=settings.publish_cloudwatch_metrics,
                bytes_scanned_cutoff_per_query=settings.bytes_scanned_cutoff_per_query,
                requester_pays_enabled=False,
                engine_version=aws.athena.WorkgroupConfigurationEngineVersionArgs(
                    selected_engine_version=settings.engine_version
                ),
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=bucket.bucket.apply(lambda b: f"s3://{b}/{RESULTS_PREFIX}"),
                    expected_bucket_owner=identity.account_id,
                    encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                        encryption_option="SSE_KMS", kms_key_arn=self.kms_key_arn
                    ),
                ),
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect),
        )
        self.workgroup_name = workgroup.name
        self.workgroup_arn = workgroup.arn
        self.results_bucket_name = bucket.bucket
        self.results_bucket_arn = bucket.arn
        self.register_outputs(
            {
                "workgroup_name": self.workgroup_name,
                "workgroup_arn": self.workgroup_arn,
                "results_bucket_name": self.results_bucket_name,
                "results_bucket_arn": self.results_bucket_arn,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    def query_policy(self) -> pulumi.Output[str]:
        """Least-privilege IAM policy JSON to run queries in this workgroup and keep their results."""
        return pulumi.Output.all(self.workgroup_arn, self.results_bucket_arn, self.kms_key_arn).apply(
            lambda v: query_policy_document(v[0], v[1], RESULTS_PREFIX, v[2])
        )

    def analyst_policy(
        self, catalog_read_policy: pulumi.Input[str], lake_read_policy: pulumi.Input[str]
    ) -> pulumi.Output[str]:
        """The analysts' policy: query through this workgroup, read the catalog entries and the lake
        objects the two read policies grant (``DataCatalog.read_policy(["gold"])`` and
        ``DataLakeBucket.read_policy(["gold"])``), nothing else."""
        return pulumi.Output.all(self.query_policy(), catalog_read_policy, lake_read_policy).apply(
            lambda v: merge_policy_documents(*v)
        )
