"""Security baseline for storage and compute: S3 public access block and TLS-only bucket policy,
IMDSv2 on instances and launch templates."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    UNKNOWN,
    ResourceContext,
    StackContext,
    applies_to,
    as_list,
    get,
    parse_json_object,
    resource_policy,
    stack_policy,
    truthy,
)
from .encryption import BUCKET_TYPES, attached_to_bucket

DOMAIN = "baseline"

PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_policy(
    "s3-bucket-public-access-block",
    domain=DOMAIN,
    description="S3 buckets have a public access block with all four settings on.",
    severity=Severity.CRITICAL,
    remediation="Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
    "block_public_policy, ignore_public_acls and restrict_public_buckets all True.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(PUBLIC_ACCESS_BLOCK, *BUCKET_TYPES),
)
def s3_bucket_public_access_block(ctx: StackContext) -> None:
    blocks = ctx.of_type(PUBLIC_ACCESS_BLOCK)
    for block in blocks:
        off = [
            flag for flag in PAB_FLAGS if truthy(block.props.get(flag)) is False or flag not in block.props
        ]
        if off:
            ctx.report(f"public access block '{block.name}' does not set {', '.join(off)} to true", block.urn)
    for bucket in ctx.of_type(*BUCKET_TYPES):
        found, undecided = attached_to_bucket(bucket, blocks)
        if not found and not undecided:
            ctx.report(f"bucket '{bucket.name}' has no BucketPublicAccessBlock", bucket.urn)


def denies_insecure_transport(document: Any) -> bool | None:
    """True when the policy denies requests with aws:SecureTransport false; None when unknown."""
    document = parse_json_object(document)
    if document is UNKNOWN:
        return None
    if not isinstance(document, dict):
        return False
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
        if not any(a in ("*", "s3:*") for a in actions):
            continue
        principal = statement.get("Principal")
        if principal not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
            continue
        condition = statement.get("Condition") or {}
        secure = get(condition, "Bool", "aws:SecureTransport")
        if secure is UNKNOWN:
            return None
        if any(str(v).lower() == "false" for v in as_list(secure)):
            return True
        numeric = get(condition, "NumericLessThan", "s3:TlsVersion")
        if numeric is not None and numeric is not UNKNOWN:
            return True
    return False


@stack_policy(
    "s3-bucket-tls-only",
    domain=DOMAIN,
    description="S3 buckets have a bucket policy that denies requests not using TLS.",
    severity=Severity.HIGH,
    remediation="Attach an aws.s3.BucketPolicy with a statement Effect=Deny, Principal='*', Action='s3:*', "
    "Resource=[bucket ARN, bucket ARN/*], Condition {'Bool': {'aws:SecureTransport': 'false'}}.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(BUCKET_POLICY, *BUCKET_TYPES),
)
def s3_bucket_tls_only(ctx: StackContext) -> None:
    policies = ctx.of_type(BUCKET_POLICY)
    for bucket in ctx.of_type(*BUCKET_TYPES):
        found, undecided = attached_to_bucket(bucket, policies)
        if not found:
            if not undecided:
                ctx.report(
                    f"bucket '{bucket.name}' has no bucket policy denying non-TLS requests", bucket.urn
                )
            continue
        verdicts = [denies_insecure_transport(p.props.get("policy")) for p in found]
        if None in verdicts or any(verdicts):
            continue
        ctx.report(
            f"the bucket policy of '{bucket.name}' does not deny aws:SecureTransport=false", found[0].urn
        )


@resource_policy(
    "imdsv2-required",
    domain=DOMAIN,
    description="EC2 instances and launch templates require IMDSv2 (session tokens).",
    severity=Severity.HIGH,
    remediation="Set metadata_options.http_tokens='required' (and keep http_put_response_hop_limit at 1 or 2 "
    "for containers) on the instance or launch template.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate")
def imdsv2_required(ctx: ResourceContext) -> None:
    options = ctx.props.get("metadataOptions")
    if options is UNKNOWN:
        return
    if get(options, "httpEndpoint") == "disabled":
        return  # no metadata service at all
    tokens = get(options, "httpTokens")
    if tokens is UNKNOWN:
        return
    if tokens != "required":
        ctx.report(f"'{ctx.name}' has metadataOptions.httpTokens={tokens!r}; IMDSv1 stays reachable")


POLICIES = [s3_bucket_public_access_block, s3_bucket_tls_only, imdsv2_required]
