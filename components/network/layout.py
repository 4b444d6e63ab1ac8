"""The network's layout as plain data: addresses, zones, routes, endpoints and security-group rules.

Nothing here registers a resource; the settings validate with these rules and the component
registers what they decide, so each rule is tested without the engine.

Subnet layout (:func:`subnet_plan`): the lower half of the VPC CIDR is split into one private
subnet per AZ; the upper half is split in quarters, the first holds the public subnets, the
second the data subnets, the last two are left free for later tiers. A /16 with 3 AZs gives
/19 private, /21 public and /21 data subnets.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from .._shared import cidr_problem
from .._validation import ConfigIssue, InvalidConfigError

__all__ = [
    "ANY_IPV4",
    "ELB_TAG",
    "INTERNAL_ELB_TAG",
    "MIN_SUBNET_PREFIX",
    "S3_GATEWAY_TIERS",
    "TIERS",
    "TIER_TAG",
    "endpoint_ingress_rules",
    "endpoint_issues",
    "endpoint_slug",
    "extra_cidr_issues",
    "min_vpc_prefix",
    "nat_gateway_count",
    "pick_zones",
    "private_nat_routes",
    "subnet_plan",
    "subnet_tags",
    "vpc_cidr_problem",
    "vpc_size_problem",
]

TIERS: tuple[str, ...] = ("public", "private", "data")
"""The subnet tiers, in the order their subnets are made."""
MIN_SUBNET_PREFIX = 27
"""The smallest public/data subnet: load balancers need a /27 with 8 free addresses."""
TIER_TAG = "dataplatform:tier"
"""The tag naming a subnet's or route table's tier."""
ELB_TAG = "kubernetes.io/role/elb"
"""Where the AWS Load Balancer Controller places internet-facing load balancers."""
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"
"""Where the AWS Load Balancer Controller places internal load balancers."""
ANY_IPV4 = "0.0.0.0/0"
"""The destination of a default route."""
S3_GATEWAY_TIERS: tuple[str, ...] = ("private", "data")
"""The tiers whose route tables the S3 gateway endpoint serves: lake traffic stays private and
pays no NAT processing. The public tier has nothing that reads the lake."""

_PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
_RFC1918 = _PRIVATE_RANGES[:3]
_DOCKER_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")
_SERVICE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
_GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
COMMON_INTERFACE_SERVICES = frozenset(
    {
        # What EKS private clusters need (AWS EKS user guide, "Deploy private clusters with
        # limited internet access") and what data platforms commonly reach. Not every AWS
        # service: a name not listed and not close to one is taken as given.
        "athena", "autoscaling", "ebs", "ec2", "ec2messages", "ecr.api", "ecr.dkr", "ecs", "eks",
        "eks-auth", "elasticfilesystem", "elasticloadbalancing", "elasticmapreduce", "emr-serverless",
        "events", "execute-api", "glue", "kinesis-firehose", "kinesis-streams", "kms", "lambda", "logs",
        "monitoring", "rds", "redshift", "redshift-data", "sagemaker.api", "sagemaker.runtime",
        "secretsmanager", "sns", "sqs", "ssm", "ssmmessages", "states", "sts", "xray",
    }
)  # fmt: skip
"""Interface endpoint service short names a typo is checked against (``ecr.dockr``)."""

# --------------------------------------------------------------------------- CIDR blocks


def vpc_cidr_problem(value: str) -> str | None:
    """Why a VPC cannot use the IPv4 block ``value``, or None.

    Beyond a well-formed block: AWS takes /16 to /28, a public range would claim addresses the
    VPC does not own, and the Docker bridge range breaks containers on hosts inside it.
    """
    problem = cidr_problem(value)
    if problem:
        return problem
    network = ipaddress.IPv4Network(value)
    if not 16 <= network.prefixlen <= 28:
        return "AWS allows VPC CIDR blocks from /16 to /28; use a block in that range"
    if not any(network.subnet_of(r) for r in _PRIVATE_RANGES):
        return (
            "must be a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10) so the "
            "VPC never claims public addresses; pick a block inside one of them"
        )
    if network.overlaps(_DOCKER_BRIDGE):
        return "overlaps 172.17.0.0/16, which Docker and some AWS services use; pick another block"
    return None


def _zone_bits(az_count: int) -> int:
    """Bits that split a tier's block into one slot per AZ (2 AZs: 1, 3-4: 2, 5-6: 3)."""
    return (az_count - 1).bit_length()


def min_vpc_prefix(az_count: int) -> int:
    """The longest VPC prefix whose public and data subnets are still /27 or larger."""
    return MIN_SUBNET_PREFIX - 3 - _zone_bits(az_count)


def vpc_size_problem(cidr: str, az_count: int) -> str | None:
    """Why the valid VPC block ``cidr`` is too small for three tiers in ``az_count`` AZs, or None."""
    prefix = ipaddress.IPv4Network(cidr).prefixlen
    longest = min_vpc_prefix(az_count)
    if prefix <= longest:
        return None
    side = MIN_SUBNET_PREFIX - (longest - prefix)
    return (
        f"/{prefix} is too small for 3 tiers x {az_count} AZs: public and data "
        f"subnets would be /{side}, but load balancers need /{MIN_SUBNET_PREFIX} or larger; "
        f"use /{longest} or larger, or fewer AZs"
    )


def subnet_plan(cidr: str, az_count: int) -> dict[str, list[str]]:
    """The subnet CIDRs of each tier, one per AZ, disjoint and inside ``cidr``.

    Private subnets share the lower half of the VPC; public and data subnets share the
    first and second quarter of the upper half; the last quarter stays free.
    """
    vpc = ipaddress.IPv4Network(cidr)
    bits = _zone_bits(az_count)
    lower, upper = vpc.subnets(prefixlen_diff=1)
    quarters = list(upper.subnets(prefixlen_diff=2))
    blocks = {"public": quarters[0], "private": lower, "data": quarters[1]}
    return {
        tier: [str(s) for s in list(blocks[tier].subnets(prefixlen_diff=bits))[:az_count]] for tier in TIERS
    }


def _rfc1918_range(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network | None:
    return next((r for r in _RFC1918 if network.subnet_of(r)), None)


def extra_cidr_issues(primary_cidr: str, extras: Sequence[str]) -> list[ConfigIssue]:
    """Problems of the secondary blocks ``extras`` (paths ``extra_cidrs[i]``) next to the valid
    primary block: each a valid VPC block, disjoint from the primary and from each other, and
    from the primary's RFC 1918 range (or 100.64.0.0/10), the only ones AWS will associate."""
    primary = ipaddress.IPv4Network(primary_cidr)
    issues: list[ConfigIssue] = []
    seen: list[tuple[int, ipaddress.IPv4Network]] = []
    primary_range = _rfc1918_range(primary)
    for index, value in enumerate(extras):
        where = f"extra_cidrs[{index}]"
        problem = vpc_cidr_problem(value)
        if problem:
            issues.append(ConfigIssue(where, value, problem))
            continue
        network = ipaddress.IPv4Network(value)
        if network.overlaps(primary):
            issues.append(
                ConfigIssue(where, value, f"overlaps the VPC CIDR {primary}; pick a block outside it")
            )
            continue
        clash = next((i for i, other in seen if network.overlaps(other)), None)
        if clash is not None:
            issues.append(
                ConfigIssue(where, value, f"overlaps extra_cidrs[{clash}] ({extras[clash]}); remove one")
            )
            continue
        own_range = _rfc1918_range(network)
        if primary_range is not None and own_range is not None and own_range != primary_range:
            issues.append(
                ConfigIssue(
                    where,
                    value,
                    f"AWS does not associate a block from {own_range} with a VPC whose primary CIDR is in "
                    f"{primary_range}; use a block from {primary_range} or 100.64.0.0/10",
                )
            )
            continue
        seen.append((index, network))
    return issues


# --------------------------------------------------------------------------- zones and subnets


def pick_zones(names: Sequence[str], count: int, region: str) -> list[str]:
    """The first ``count`` zones of the region in name order, or a clear error."""
    ordered = sorted(names)
    if len(ordered) < count:
        raise InvalidConfigError(
            [
                ConfigIssue(
                    "settings.az_count",
                    count,
                    f"region {region} has only {len(ordered)} available zone(s) "
                    f"({', '.join(ordered) or 'none'}); lower az_count to {len(ordered)} "
                    "or use another region",
                )
            ],
            subject="NetworkSettings",
        )
    return ordered[:count]


def subnet_tags(tier: str) -> dict[str, str]:
    """The tags that mark a subnet's tier and, for the load balancer controller, its role."""
    role = {"public": {ELB_TAG: "1"}, "private": {INTERNAL_ELB_TAG: "1"}}.get(tier, {})
    return {TIER_TAG: tier, **role}


# --------------------------------------------------------------------------- routes


def nat_gateway_count(nat_gateways: str, az_count: int) -> int:
    """NAT gateways of a NAT mode: none, one, or one per AZ."""
    return {"none": 0, "single": 1, "per_az": az_count}[nat_gateways]


def private_nat_routes(nat_gateways: str, az_count: int) -> list[int | None]:
    """For each private route table (one per AZ), the index of the NAT gateway its default route
    goes to: its own AZ's (``per_az``, no cross-AZ dependency), the only one (``single``), or
    ``None``, no default route (``none``)."""
    if nat_gateways == "none":
        return [None] * az_count
    return [index if nat_gateways == "per_az" else 0 for index in range(az_count)]


# --------------------------------------------------------------------------- endpoints


def endpoint_slug(service: str) -> str:
    """The part of an interface endpoint's logical name that names its service (``ecr-api``)."""
    return service.replace(".", "-")


def endpoint_issues(services: Sequence[str]) -> list[ConfigIssue]:
    """Problems of the interface endpoint names (paths ``interface_endpoints[i]``): short service
    names, no gateway services, no two that would get the same logical name."""
    issues: list[ConfigIssue] = []
    slugs: dict[str, int] = {}
    for index, service in enumerate(services):
        where = f"interface_endpoints[{index}]"
        if not _SERVICE.match(service):
            issues.append(
                ConfigIssue(
                    where,
                    service,
                    "not a service short name; use the part after com.amazonaws.<region>., e.g. 'ecr.api'",
                )
            )
            continue
        if service in _GATEWAY_SERVICES:
            issues.append(
                ConfigIssue(
                    where,
                    service,
                    f"{service} is served by a gateway endpoint (free, no NAT charges); remove it"
                    + (" - the network already has the S3 gateway endpoint" if service == "s3" else ""),
                )
            )
            continue
        close = difflib.get_close_matches(service, sorted(COMMON_INTERFACE_SERVICES), n=1, cutoff=0.75)
        if service not in COMMON_INTERFACE_SERVICES and close:
            issues.append(
                ConfigIssue(where, service, f"not an AWS endpoint service name; did you mean '{close[0]}'?")
            )
            continue
        slug = endpoint_slug(service)
        if slug in slugs:
            issues.append(
                ConfigIssue(where, service, f"duplicates interface_endpoints[{slugs[slug]}]; remove one")
            )
            continue
        slugs[slug] = index
    return issues


def endpoint_ingress_rules(vpc_cidrs: Sequence[str]) -> list[dict[str, Any]]:
    """Ingress of the interface endpoints' security group (``SecurityGroupIngressArgs`` fields):
    HTTPS from the VPC's own CIDR blocks only. It has no egress: endpoints only answer."""
    return [
        {
            "description": "HTTPS from inside the VPC",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_blocks": list(vpc_cidrs),
        }
    ]
