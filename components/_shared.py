"""Rules and builders every component shares: one home for each, so copies cannot drift apart.

Pure checks return a problem text (or ``None``) so that a settings model can wrap it in its own
``ValueError`` and a component can put it in a :class:`~components._validation.ConfigIssue`.
The pydantic ``Annotated`` types apply the same checks to settings fields.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws
from pydantic import AfterValidator

__all__ = [
    "DOCUMENTATION_RANGES",
    "KMS_DELETION_WINDOW_DAYS",
    "LOG_RETENTION_DAYS",
    "S3_MIN_TLS_VERSION",
    "DnsLabel",
    "KmsKeyArn",
    "LabelKey",
    "LabelValue",
    "Labels",
    "LogRetentionDays",
    "cidr_problem",
    "customer_kms_key",
    "deny_insecure_transport_statement",
    "dns_1035_label_problem",
    "dns_label_problem",
    "dns_subdomain_problem",
    "documentation_range",
    "is_plain",
    "kms_key_arn_problem",
    "label_key_problem",
    "label_value_problem",
    "new_customer_kms_key",
    "protection",
    "public_cidr_problem",
    "retention_days_problem",
    "s3_bucket_baseline",
    "s3_transport_statements",
]

# --------------------------------------------------------------------------- Kubernetes names
# The grammar of k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain,
# IsDNS1035Label and IsQualifiedName (label and taint keys), IsValidLabelValue.

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def dns_label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 label (namespace, Service port name...), or None."""
    if not isinstance(value, str) or len(value) > 63 or not _DNS_LABEL.match(value):
        return (
            "must be a DNS label: at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns_1035_label_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1035 label (a Service name: starts with a letter), or None."""
    if not isinstance(value, str) or len(value) > 63 or not _DNS_1035.match(value):
        return (
            "must be a DNS-1035 label: at most 63 lowercase letters, digits and '-', "
            "starting with a letter and ending with a letter or digit"
        )
    return None


def dns_subdomain_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain (most object names), or None."""
    if not isinstance(value, str) or len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        return (
            "must be a DNS subdomain: at most 253 lowercase letters, digits, '-' and '.', "
            "each dot-separated part starting and ending with a letter or digit"
        )
    return None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a label, annotation or taint key (``[prefix/]name``), or None."""
    if not isinstance(key, str):
        return f"label key {key!r} must be a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"label key prefix {prefix!r} must be a DNS subdomain (e.g. 'example.com')"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            f"label key {key!r} must be at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (optionally after a 'prefix/')"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a label or taint value (empty is allowed), or None."""
    if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
        return (
            f"label value {value!r} must be at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _raising(check: Any) -> Any:
    def validate(value: Any) -> Any:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return validate


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    problems = [p for k, v in labels.items() for p in (label_key_problem(k), label_value_problem(v)) if p]
    if problems:
        raise ValueError("; ".join(problems))
    return labels


DnsLabel = Annotated[str, AfterValidator(_raising(dns_label_problem))]
LabelKey = Annotated[str, AfterValidator(_raising(label_key_problem))]
LabelValue = Annotated[str, AfterValidator(_raising(label_value_problem))]
Labels = Annotated[dict[str, str], AfterValidator(_check_labels)]

# --------------------------------------------------------------------------- AWS identifiers

_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def is_plain(value: Any) -> bool:
    """True for a value known now (not a pulumi Output), which can be checked before registering."""
    return value is not None and not isinstance(value, pulumi.Output)


def kms_key_arn_problem(value: Any) -> str | None:
    """Why ``value`` is not a KMS key ARN, or None (Outputs are not checked).

    Key policies, bucket policies and CloudWatch Logs name keys by key ARN; a key id or an alias
    ARN would be accepted by some APIs and silently not match in others.
    """
    if not is_plain(value) or _KMS_KEY_ARN.match(str(value)):
        return None
    return "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not a key id or alias"


KmsKeyArn = Annotated[str, AfterValidator(_raising(kms_key_arn_problem))]

LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The retention periods CloudWatch Logs accepts (0, never expire, is refused: retention is limited)."""


def retention_days_problem(value: int) -> str | None:
    """Why CloudWatch Logs refuses ``value`` days of retention, with the nearest periods, or None."""
    if value in LOG_RETENTION_DAYS:
        return None
    below = [d for d in LOG_RETENTION_DAYS if d < value]
    above = [d for d in LOG_RETENTION_DAYS if d > value]
    near = ", ".join(str(d) for d in (below[-1:] + above[:1]))
    return f"CloudWatch Logs does not offer {value} days; use one of its periods" + (
        f" (nearest: {near})" if near else ""
    )


LogRetentionDays = Annotated[int, AfterValidator(_raising(retention_days_problem))]

# --------------------------------------------------------------------------- CIDR blocks


def cidr_problem(value: str, *, ipv6: bool = False) -> str | None:
    """Why ``value`` is not a CIDR block without host bits (IPv4, or IPv6 too with ``ipv6``), or None."""
    example = "'10.0.0.0/16'" + (" or 'fd00::/64'" if ipv6 else "")
    try:
        network = ipaddress.ip_network(value, strict=False)
    except (TypeError, ValueError):
        return f"not a CIDR block; use e.g. {example}"
    if not ipv6 and not isinstance(network, ipaddress.IPv4Network):
        return "not an IPv4 CIDR block (IPv6 is not supported here); use e.g. '10.0.0.0/16'"
    if "/" not in str(value):
        return f"needs a prefix length; use '{network}'"
    if str(network) != value:
        return f"has host bits set; use '{network}'"
    return None


DOCUMENTATION_RANGES: tuple[ipaddress.IPv4Network, ...] = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
"""TEST-NET-1/2/3 (RFC 5737): documentation ranges that no real host has, so a config holding one
holds an example nobody replaced."""


def documentation_range(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network | None:
    """The documentation range ``network`` overlaps, or None."""
    return next((doc for doc in DOCUMENTATION_RANGES if network.overlaps(doc)), None)


def public_cidr_problem(value: str) -> str | None:
    """Why ``value`` is not a public, routable IPv4 CIDR an internet client can come from, or None.

    An EKS public endpoint sees the client's public source address, so a private range (RFC 1918),
    shared address space (RFC 6598, carrier-grade NAT), loopback, link-local or a documentation
    range (RFC 5737) never matches a real caller; ``0.0.0.0/0`` matches everybody.
    """
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "not an IPv4 CIDR without host bits; write the runner's public egress, e.g. '52.17.40.12/32'"
    if network.prefixlen == 0:
        return "opens the API endpoint to the whole internet; list your runner's or office's egress ranges"
    doc = documentation_range(network)
    if doc is not None:
        return (
            f"overlaps the documentation range {doc} (RFC 5737), an example no real client has; set your "
            "runner's public egress CIDR"
        )
    reasons = (
        (ipaddress.IPv4Network("100.64.0.0/10"), "shared address space (RFC 6598, carrier-grade NAT)"),
        (ipaddress.IPv4Network("127.0.0.0/8"), "loopback"),
        (ipaddress.IPv4Network("169.254.0.0/16"), "link-local"),
        (ipaddress.IPv4Network("10.0.0.0/8"), "a private range (RFC 1918)"),
        (ipaddress.IPv4Network("172.16.0.0/12"), "a private range (RFC 1918)"),
        (ipaddress.IPv4Network("192.168.0.0/16"), "a private range (RFC 1918)"),
    )
    for reserved, reason in reasons:
        if network.overlaps(reserved):
            return (
                f"is or contains {reason}: the public endpoint never sees "
                f"it as a source address; list the public "
                "egress of the runner (a runner inside the VPC uses deploy_from: inside_vpc instead)"
            )
    if network.is_private or not network.is_global:
        return "is not a globally routable range (IANA special-purpose registry); list a public egress CIDR"
    return None


# --------------------------------------------------------------------------- S3 and KMS builders

S3_MIN_TLS_VERSION = "1.2"


def deny_insecure_transport_statement(service: str, resource: str | list[str]) -> dict[str, Any]:
    """A resource-policy statement that denies every ``service`` action over plain HTTP (S3 buckets,
    SQS queues: their APIs accept HTTP unless the resource policy refuses it)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def s3_transport_statements(bucket_arn: str) -> list[dict[str, Any]]:
    """Bucket-policy statements that deny plain HTTP and TLS older than 1.2, on the bucket and its objects."""
    both = [bucket_arn, f"{bucket_arn}/*"]
    return [
        deny_insecure_transport_statement("s3", both),
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": both,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": S3_MIN_TLS_VERSION}},
        },
    ]


KMS_DELETION_WINDOW_DAYS = 30
"""The longest wait KMS allows before a scheduled key deletion: a mistaken destroy can be undone."""


def customer_kms_key(
    resource_name: str,
    *,
    description: str,
    policy: pulumi.Input[str],
    tags: pulumi.Input[dict[str, str]],
    opts: pulumi.ResourceOptions,
    existing_arn: pulumi.Input[str] | None = None,
    deletion_window_in_days: int = KMS_DELETION_WINDOW_DAYS,
) -> pulumi.Output[str]:
    """The ARN of ``existing_arn`` when given, else of a new customer key with yearly rotation.

    Every component that encrypts something takes "a customer KMS key, or this existing ARN";
    the key a component creates is always rotated and has the longest deletion window.
    """
    if existing_arn is not None:
        return pulumi.Output.from_input(existing_arn)
    return new_customer_kms_key(
        resource_name,
        description=description,
        policy=policy,
        tags=tags,
        opts=opts,
        deletion_window_in_days=deletion_window_in_days,
    ).arn


def new_customer_kms_key(
    resource_name: str,
    *,
    description: str,
    policy: pulumi.Input[str],
    tags: pulumi.Input[dict[str, str]],
    opts: pulumi.ResourceOptions,
    deletion_window_in_days: int = KMS_DELETION_WINDOW_DAYS,
) -> aws.kms.Key:
    """A customer-managed symmetric key with yearly rotation (for callers that need the key itself)."""
    return aws.kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_in_days,
        policy=policy,
        tags=tags,
        opts=opts,
    )


def protection(protect: bool, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
    """``opts`` plus Pulumi ``protect`` and ``retain_on_delete``, both ``protect``: the one switch of
    every child whose deletion or replacement loses data or audit history (buckets and their
    versioning, keys, log groups, queues, databases, vaults, catalog settings). ``protect`` refuses
    a delete or a replace in ``pulumi up``/``destroy``; ``retain_on_delete`` keeps the cloud
    resource when Pulumi drops it anyway (``pulumi state delete``, a removed parent). The set of
    types it applies to is ``policies/system/protection.py``'s ``STATEFUL_TYPES``."""
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)
    )


def s3_bucket_baseline(
    base: str,
    bucket: aws.s3.Bucket,
    encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleArgs,
    opts: pulumi.ResourceOptions,
    *,
    protect: bool,
) -> tuple[aws.s3.BucketVersioning, aws.s3.BucketPublicAccessBlock]:
    """What every bucket of the platform gets: versioning, default encryption, all four public
    access blocks and ACLs disabled (BucketOwnerEnforced), as children ``<base>-<role>``.
    ``protect``: the versioning resource is protected and retained like the bucket (deleting it
    suspends versioning, and the next overwrite or delete loses the only copy)."""
    versioning = aws.s3.BucketVersioning(
        f"{base}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=protection(protect, opts),
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{base}-encryption", bucket=bucket.id, rules=[encryption], opts=opts
    )
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{base}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        f"{base}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    return versioning, public_block
