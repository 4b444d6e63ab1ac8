"""The VPC every other component lives in: three subnet tiers per AZ, secure by default.

Per availability zone (``az_count``, 2 to 6, the first zones of the region in name
order) the VPC gets three subnets, carved from the VPC CIDR without overlaps:

- **public** (load balancers, NAT gateways; tagged ``kubernetes.io/role/elb``), routed to
  an internet gateway; instances get no public IP unless ``map_public_ip_on_launch``;
- **private** (EKS nodes and pods; tagged ``kubernetes.io/role/internal-elb``), one route
  table per AZ whose default route goes to the NAT gateway of the same AZ (``per_az``),
  to the one NAT gateway (``single``) or nowhere (``none``);
- **data** (warehouse), one route table with the local route and the S3 gateway endpoint
  only: no route to the internet, whatever the NAT mode.

Subnet layout (``subnet_plan``): the lower half of the VPC CIDR is split into one private
subnet per AZ; the upper half is split in quarters, the first holds the public subnets,
the second the data subnets, the last two are left free for later tiers. A /16 with 3 AZs
gives /19 private, /21 public and /21 data subnets.

The S3 gateway endpoint serves the private and data route tables (lake traffic stays
private and pays no NAT processing). Interface endpoints (``interface_endpoints``, e.g.
``ecr.api``, ``ecr.dkr``, ``sts``, ``logs``) sit in the private subnets with private DNS,
behind a security group that admits HTTPS from the VPC's CIDR blocks only.

VPC flow logs (all traffic) go to a CloudWatch log group with a retention limit,
encrypted with a KMS key that is passed in or created here (rotation on, a key policy
that lets CloudWatch Logs use it for this log group only). The VPC's default security
group is adopted and stripped of every rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pydantic import field_validator, model_validator

from components._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from components.iam import kms_account_admin_statement, kms_logs_statement, policy_json
from components.tags import merge_tags, validate_tags

__all__ = [
    "FLOW_LOG_RETENTION_DAYS",
    "Network",
    "NetworkArgs",
    "NetworkSettings",
    "flow_logs_key_policy",
    "flow_logs_role_policy",
    "flow_logs_trust_policy",
    "min_vpc_prefix",
    "pick_zones",
    "subnet_plan",
]

NatMode = Literal["none", "single", "per_az"]
TIERS: tuple[str, ...] = ("public", "private", "data")
MIN_AZS = 2
MAX_AZS = 6
MIN_SUBNET_PREFIX = 27
"""The smallest public/data subnet: load balancers need a /27 with 8 free addresses."""
FLOW_LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""Retention periods CloudWatch Logs accepts (0, never expire, is refused: retention is limited)."""
KMS_DELETION_WINDOW_DAYS = 30
TIER_TAG = "dataplatform:tier"
ELB_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"

_PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
_RFC1918 = _PRIVATE_RANGES[:3]
_DOCKER_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")
_SERVICE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
_GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


# --------------------------------------------------------------------------- CIDR helpers


def _block_problem(value: str) -> tuple[ipaddress.IPv4Network | None, str | None]:
    """The network ``value`` names, or why a VPC cannot use it."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None, "not an IPv4 CIDR block; use e.g. '10.0.0.0/16'"
    if not isinstance(network, ipaddress.IPv4Network):
        return None, "not an IPv4 CIDR block (IPv6 is not supported); use e.g. '10.0.0.0/16'"
    if str(network) != value:
        return None, f"has host bits set; use '{network}'"
    if not 16 <= network.prefixlen <= 28:
        return None, "AWS allows VPC CIDR blocks from /16 to /28; use a block in that range"
    if not any(network.subnet_of(r) for r in _PRIVATE_RANGES):
        return None, (
            "must be a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10) so the "
            "VPC never claims public addresses; pick a block inside one of them"
        )
    if network.overlaps(_DOCKER_BRIDGE):
        return None, "overlaps 172.17.0.0/16, which Docker and some AWS services use; pick another block"
    return network, None


def _zone_bits(az_count: int) -> int:
    """Bits that split a tier's block into one slot per AZ (2 AZs: 1, 3-4: 2, 5-6: 3)."""
    return (az_count - 1).bit_length()


def min_vpc_prefix(az_count: int) -> int:
    """The longest VPC prefix whose public and data subnets are still /27 or larger."""
    return MIN_SUBNET_PREFIX - 3 - _zone_bits(az_count)


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


# --------------------------------------------------------------------------- settings


class NetworkSettings(SettingsModel):
    """The VPC: CIDR, availability zones, NAT gateways, endpoints and flow logs."""

    cidr: str = "10.0.0.0/16"
    """The VPC's primary IPv4 CIDR block: /16 to /28, from a private range. Subnets of all
    three tiers are carved from it; public and data subnets must come out /27 or larger
    (2 AZs: /23 or larger; 3-4 AZs: /22; 5-6 AZs: /21)."""
    az_count: int = 3
    """Availability zones to span, 2 to 6 (the region's first zones in name order). EKS and
    RDS need at least 2; a cheap dev network keeps 2 and sets ``nat_gateways: single``."""
    nat_gateways: NatMode = "per_az"
    """Outbound internet for the private tier: ``per_az`` (one NAT gateway per AZ, no
    cross-AZ dependency: prod), ``single`` (one NAT gateway for every AZ: dev) or ``none``
    (no internet from private subnets; add interface endpoints for the AWS APIs they need)."""
    interface_endpoints: list[str] = []
    """Interface VPC endpoints to create in the private subnets, by service short name
    (``ecr.api``, ``ecr.dkr``, ``sts``, ``logs``...). Each costs per AZ and hour."""
    extra_cidrs: list[str] = []
    """Secondary IPv4 CIDR blocks to associate with the VPC (e.g. ``100.64.0.0/16`` for EKS
    pod networking); no subnets are carved from them. They must not overlap the primary
    block or each other, nor come from another RFC 1918 range than the primary."""
    map_public_ip_on_launch: bool = False
    """Give instances launched in the public subnets a public IPv4 address. Off: load
    balancers and NAT gateways get theirs anyway; nothing else should be reachable."""
    flow_logs: bool = True
    """Record VPC flow logs (all traffic) to an encrypted CloudWatch log group."""
    flow_logs_retention_days: int = 365
    """Days the flow logs are kept; one of CloudWatch's periods (1, 3, 5, 7, 14, 30, 60, 90,
    120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."""
    flow_logs_max_aggregation_interval: Literal[60, 600] = 600
    """Seconds over which a flow is aggregated into one record: 60 or 600."""
    deletion_protection: bool = True
    """Protect the flow-log group and the key made for it: Pulumi ``protect`` and
    ``retain_on_delete``, and the log group's own deletion protection. Dev sets it false."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        _, problem = _block_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("az_count")
    @classmethod
    def _az_count(cls, value: int) -> int:
        if not MIN_AZS <= value <= MAX_AZS:
            raise ValueError(
                f"must be {MIN_AZS} to {MAX_AZS}: EKS and RDS need subnets in at least {MIN_AZS} AZs and no "
                f"region has more than {MAX_AZS}; for a cheap dev network use {MIN_AZS} with "
                "nat_gateways: single"
            )
        return value

    @field_validator("flow_logs_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in FLOW_LOG_RETENTION_DAYS:
            below = [d for d in FLOW_LOG_RETENTION_DAYS if d < value]
            above = [d for d in FLOW_LOG_RETENTION_DAYS if d > value]
            near = ", ".join(str(d) for d in (below[-1:] + above[:1]))
            raise ValueError(
                f"CloudWatch Logs does not offer {value} days; use one of its periods"
                + (f" (nearest: {near})" if near else "")
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> NetworkSettings:
        issues: list[ConfigIssue] = []
        primary = ipaddress.IPv4Network(self.cidr)
        longest = min_vpc_prefix(self.az_count)
        if primary.prefixlen > longest:
            side = MIN_SUBNET_PREFIX - (longest - primary.prefixlen)
            issues.append(
                ConfigIssue(
                    "cidr",
                    self.cidr,
                    f"/{primary.prefixlen} is too small for 3 tiers x {self.az_count} AZs: public and data "
                    f"subnets would be /{side}, but load balancers need /{MIN_SUBNET_PREFIX} or larger; "
                    f"use /{longest} or larger, or fewer AZs",
                )
            )
        issues += _extra_cidr_issues(primary, self.extra_cidrs)
        issues += _endpoint_issues(self.interface_endpoints)
        if issues:
            raise CrossFieldError(issues)
        return self

    def subnet_plan(self) -> dict[str, list[str]]:
        """The subnet CIDRs of each tier, one per AZ (see :func:`subnet_plan`)."""
        return subnet_plan(self.cidr, self.az_count)

    @property
    def nat_gateway_count(self) -> int:
        return {"none": 0, "single": 1, "per_az": self.az_count}[self.nat_gateways]


def _rfc1918_range(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network | None:
    return next((r for r in _RFC1918 if network.subnet_of(r)), None)


def _extra_cidr_issues(primary: ipaddress.IPv4Network, extras: Sequence[str]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    seen: list[tuple[int, ipaddress.IPv4Network]] = []
    primary_range = _rfc1918_range(primary)
    for index, value in enumerate(extras):
        where = f"extra_cidrs[{index}]"
        network, problem = _block_problem(value)
        if network is None:
            issues.append(ConfigIssue(where, value, problem or "invalid"))
            continue
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


def _endpoint_slug(service: str) -> str:
    return service.replace(".", "-")


def _endpoint_issues(services: Sequence[str]) -> list[ConfigIssue]:
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
        slug = _endpoint_slug(service)
        if slug in slugs:
            issues.append(
                ConfigIssue(where, service, f"duplicates interface_endpoints[{slugs[slug]}]; remove one")
            )
            continue
        slugs[slug] = index
    return issues


# --------------------------------------------------------------------------- args


@dataclass(frozen=True)
class NetworkArgs:
    """Settings, tags and wiring of a :class:`Network`."""

    settings: NetworkSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child."""
    flow_logs_kms_key_arn: pulumi.Input[str] | None = None
    """A KMS key ARN for the flow-log group; one is created when omitted. A key passed in
    must let ``logs.<region>.amazonaws.com`` use it for this log group."""


def _check_args(args: NetworkArgs) -> dict[str, str]:
    """Every wiring check, before anything is registered."""
    if not isinstance(args.settings, NetworkSettings):
        raise InvalidConfigError(
            [
                ConfigIssue(
                    "args.settings",
                    type(args.settings).__name__,
                    "must be a NetworkSettings; build it with NetworkSettings(...) "
                    "or NetworkSettings.parse(...)",
                )
            ],
            subject="NetworkArgs",
        )
    tags = validate_tags(args.tags)
    key = args.flow_logs_kms_key_arn
    issues: list[ConfigIssue] = []
    if key is not None and not args.settings.flow_logs:
        issues.append(
            ConfigIssue(
                "args.flow_logs_kms_key_arn",
                key if isinstance(key, str) else "<output>",
                "flow_logs is false, so the key would be unused; drop it or set flow_logs: true",
            )
        )
    elif isinstance(key, str) and not _KMS_KEY_ARN.match(key):
        issues.append(
            ConfigIssue(
                "args.flow_logs_kms_key_arn",
                key,
                "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not a key id or alias: "
                "CloudWatch Logs only accepts key ARNs",
            )
        )
    if issues:
        raise InvalidConfigError(issues, subject="NetworkArgs")
    return tags


# --------------------------------------------------------------------------- policies


def flow_logs_key_policy(
    partition: str, region: str, account: str, dns_suffix: str, log_group_arn: str
) -> str:
    """Key policy of the flow-log key: the account administers it; CloudWatch Logs may use it
    for ``log_group_arn`` only (encryption-context condition)."""
    return policy_json(
        [
            kms_account_admin_statement(account, partition, "AccountAdministers"),
            kms_logs_statement(
                "CloudWatchLogsUseForFlowLogGroup", f"logs.{region}.{dns_suffix}", log_group_arn
            ),
        ]
    )


def flow_logs_trust_policy(partition: str, region: str, account: str) -> str:
    """The flow-log role's trust policy: the flow-logs service, for this account's flow logs only."""
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*"},
                },
            }
        ]
    )


def flow_logs_role_policy(partition: str, region: str, account: str, log_group_arn: str) -> str:
    """Least privilege for delivering flow logs: write streams of one log group."""
    return policy_json(
        [
            {
                "Sid": "WriteFlowLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {
                "Sid": "FindLogGroups",
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": f"arn:{partition}:logs:{region}:{account}:log-group:*",
            },
        ]
    )


# --------------------------------------------------------------------------- component


class Network(pulumi.ComponentResource):
    """A VPC with public, private and isolated data subnets in ``az_count`` AZs."""

    vpc_id: pulumi.Output[str]
    """The VPC."""
    vpc_cidr: pulumi.Output[str]
    """The VPC's primary CIDR block."""
    availability_zones: pulumi.Output[list[str]]
    """The AZs of the subnets, in subnet order."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets, one per AZ (load balancers, NAT gateways)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets, one per AZ (EKS nodes and pods)."""
    data_subnet_ids: pulumi.Output[list[str]]
    """Isolated data subnets, one per AZ (warehouse); no route to the internet."""
    public_route_table_ids: pulumi.Output[list[str]]
    """The public route table (one, shared by the public subnets)."""
    private_route_table_ids: pulumi.Output[list[str]]
    """The private route tables, one per AZ."""
    data_route_table_ids: pulumi.Output[list[str]]
    """The data route table (one, shared by the data subnets)."""
    nat_gateway_ids: pulumi.Output[list[str]]
    """NAT gateways (none, one, or one per AZ)."""
    s3_endpoint_id: pulumi.Output[str]
    """The S3 gateway endpoint."""
    s3_prefix_list_id: pulumi.Output[str]
    """The regional S3 prefix list (for security-group egress rules to S3)."""
    interface_endpoint_ids: pulumi.Output[dict[str, str]]
    """Interface endpoint ids by service short name."""
    endpoints_security_group_id: pulumi.Output[str] | None
    """The interface endpoints' security group (``None`` without interface endpoints)."""
    flow_logs_log_group_name: pulumi.Output[str] | None
    """The flow-log group (``None`` when flow logs are off)."""
    flow_logs_kms_key_arn: pulumi.Output[str] | None
    """The key encrypting the flow-log group (made here or passed in)."""
    subnet_cidrs: dict[str, list[str]]
    """The planned subnet CIDRs per tier (plain values, known before deployment)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags = _check_args(args)
        settings = args.settings
        plan = settings.subnet_plan()
        super().__init__("dataplatform:network:Network", name, None, opts)
        self._name = name
        self._tags = tags
        self._child = pulumi.ResourceOptions(parent=self)
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self.subnet_cidrs = plan
        count = settings.az_count

        region = aws.get_region_output(opts=invoke_opts).region
        zones_result = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=invoke_opts,
        )
        zones = pulumi.Output.all(zones_result.names, region).apply(lambda v: pick_zones(v[0], count, v[1]))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            instance_tenancy="default",
            tags=self._tagged(name),
            opts=self._child,
        )
        self._vpc = vpc
        vpc_cidrs = [settings.cidr, *settings.extra_cidrs]
        for index, cidr in enumerate(settings.extra_cidrs):
            aws.ec2.VpcIpv4CidrBlockAssociation(
                f"{name}-cidr-{index + 1}", vpc_id=vpc.id, cidr_block=cidr, opts=self._child
            )
        # Adopted, not created: the provider removes every rule, and the empty lists keep it so.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self._tagged(f"{name}-default-deny-all"),
            opts=self._child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=self._tagged(f"{name}-igw"), opts=self._child
        )

        subnets: dict[str, list[aws.ec2.Subnet]] = {tier: [] for tier in TIERS}
        for tier in TIERS:
            role_tag = {"public": {ELB_TAG: "1"}, "private": {INTERNAL_ELB_TAG: "1"}, "data": {}}[tier]
            for index, cidr in enumerate(plan[tier]):
                zone = _nth(zones, index)
                subnets[tier].append(
                    aws.ec2.Subnet(
                        f"{name}-{tier}-{index + 1}",
                        vpc_id=vpc.id,
                        cidr_block=cidr,
                        availability_zone=zone,
                        map_public_ip_on_launch=settings.map_public_ip_on_launch
                        if tier == "public"
                        else False,
                        tags=self._tagged(
                            pulumi.Output.concat(f"{name}-{tier}-", zone), {TIER_TAG: tier, **role_tag}
                        ),
                        opts=self._child,
                    )
                )

        # Public: one route table, default route to the internet gateway.
        public_rt = self._route_table("public", None)
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=self._child,
        )
        self._associate("public", subnets["public"], [public_rt] * count)

        # NAT gateways in the first public subnet(s); they need the internet gateway attached.
        nats: list[aws.ec2.NatGateway] = []
        for index in range(settings.nat_gateway_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{index + 1}",
                domain="vpc",
                tags=self._tagged(f"{name}-nat-{index + 1}"),
                opts=self._child,
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index + 1}",
                    allocation_id=eip.allocation_id,
                    subnet_id=subnets["public"][index].id,
                    connectivity_type="public",
                    tags=self._tagged(f"{name}-nat-{index + 1}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        # Private: one route table per AZ, default route to the NAT gateway of its own AZ
        # (per_az) or to the only one (single); none: no default route at all.
        private_rts = [self._route_table("private", index) for index in range(count)]
        for index, table in enumerate(private_rts):
            if nats:
                nat = nats[index] if settings.nat_gateways == "per_az" else nats[0]
                aws.ec2.Route(
                    f"{name}-private-{index + 1}-nat",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=self._child,
                )
        self._associate("private", subnets["private"], private_rts)

        # Data: one route table, local route and the S3 gateway endpoint only.
        data_rt = self._route_table("data", None)
        self._associate("data", subnets["data"], [data_rt] * count)

        s3_service = aws.ec2.get_vpc_endpoint_service_output(
            service="s3", service_type="Gateway", opts=invoke_opts
        )
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=s3_service.service_name,
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in [*private_rts, data_rt]],
            tags=self._tagged(f"{name}-s3"),
            opts=self._child,
        )

        endpoint_ids: dict[str, pulumi.Output[str]] = {}
        self.endpoints_security_group_id = None
        if settings.interface_endpoints:
            group = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                description="Interface VPC endpoints: HTTPS from the VPC's CIDR blocks only",
                vpc_id=vpc.id,
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        description="HTTPS from inside the VPC",
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=vpc_cidrs,
                    )
                ],
                egress=[],
                tags=self._tagged(f"{name}-endpoints"),
                opts=self._child,
            )
            self.endpoints_security_group_id = group.id
            private_ids = [s.id for s in subnets["private"]]
            for service in settings.interface_endpoints:
                found = aws.ec2.get_vpc_endpoint_service_output(
                    service=service, service_type="Interface", opts=invoke_opts
                )
                endpoint = aws.ec2.VpcEndpoint(
                    f"{name}-vpce-{_endpoint_slug(service)}",
                    vpc_id=vpc.id,
                    service_name=found.service_name,
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=private_ids,
                    security_group_ids=[group.id],
                    tags=self._tagged(f"{name}-{service}"),
                    opts=self._child,
                )
                endpoint_ids[service] = endpoint.id

        self.flow_logs_log_group_name = None
        self.flow_logs_kms_key_arn = None
        if settings.flow_logs:
            self._flow_logs(settings, vpc, region, args.flow_logs_kms_key_arn, invoke_opts)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.availability_zones = zones
        self.public_subnet_ids = _ids(subnets["public"])
        self.private_subnet_ids = _ids(subnets["private"])
        self.data_subnet_ids = _ids(subnets["data"])
        self.public_route_table_ids = _ids([public_rt])
        self.private_route_table_ids = _ids(private_rts)
        self.data_route_table_ids = _ids([data_rt])
        self.nat_gateway_ids = _ids(nats)
        self.s3_endpoint_id = s3.id
        self.s3_prefix_list_id = s3.prefix_list_id
        self.interface_endpoint_ids = (
            pulumi.Output.all(**endpoint_ids) if endpoint_ids else pulumi.Output.from_input({})
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "public_route_table_ids": self.public_route_table_ids,
                "private_route_table_ids": self.private_route_table_ids,
                "data_route_table_ids": self.data_route_table_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
                "s3_endpoint_id": self.s3_endpoint_id,
                "s3_prefix_list_id": self.s3_prefix_list_id,
                "interface_endpoint_ids": self.interface_endpoint_ids,
                "endpoints_security_group_id": self.endpoints_security_group_id,
                "flow_logs_log_group_name": self.flow_logs_log_group_name,
                "flow_logs_kms_key_arn": self.flow_logs_kms_key_arn,
                "subnet_cidrs": self.subnet_cidrs,
            }
        )

    # ------------------------------------------------------------------ helpers

    def _tagged(self, name: pulumi.Input[str], extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {**merge_tags(self._tags, extra), "Name": name}

    def _route_table(self, tier: str, index: int | None) -> aws.ec2.RouteTable:
        label = f"{self._name}-{tier}" if index is None else f"{self._name}-{tier}-{index + 1}"
        return aws.ec2.RouteTable(
            label, vpc_id=self._vpc.id, tags=self._tagged(label, {TIER_TAG: tier}), opts=self._child
        )

    def _associate(
        self, tier: str, subnets: Sequence[aws.ec2.Subnet], tables: Sequence[aws.ec2.RouteTable]
    ) -> None:
        for index, (subnet, table) in enumerate(zip(subnets, tables, strict=True)):
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{tier}-{index + 1}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child,
            )

    def _flow_logs(
        self,
        settings: NetworkSettings,
        vpc: aws.ec2.Vpc,
        region: pulumi.Output[str],
        key_arn: pulumi.Input[str] | None,
        invoke_opts: pulumi.InvokeOutputOptions,
    ) -> None:
        name = self._name
        protect = settings.deletion_protection
        protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts)
        # A stable name: the key policy must name the log group before the group exists.
        group_name = f"/dataplatform/{pulumi.get_project()}/{pulumi.get_stack()}/{name}/vpc-flow-logs"
        env = pulumi.Output.all(partition.partition, region, account, partition.dns_suffix)
        group_arn = env.apply(lambda v: f"arn:{v[0]}:logs:{v[1]}:{v[2]}:log-group:{group_name}")

        if key_arn is None:
            key = aws.kms.Key(
                f"{name}-flow-logs",
                description=f"Network {name}: encrypts the VPC flow-log group {group_name}",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                policy=pulumi.Output.all(env, group_arn).apply(
                    lambda v: flow_logs_key_policy(v[0][0], v[0][1], v[0][2], v[0][3], v[1])
                ),
                tags=self._tagged(f"{name}-flow-logs"),
                opts=protected,
            )
            key_arn = key.arn
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=settings.flow_logs_retention_days,
            kms_key_id=key_arn,
            deletion_protection_enabled=protect,
            tags=self._tagged(f"{name}-flow-logs"),
            opts=protected,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"VPC flow logs of network {name}: deliver to {group_name}",
            assume_role_policy=env.apply(lambda v: flow_logs_trust_policy(v[0], v[1], v[2])),
            tags=self._tags,
            opts=self._child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=pulumi.Output.all(env, group_arn).apply(
                lambda v: flow_logs_role_policy(v[0][0], v[0][1], v[0][2], v[1])
            ),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=settings.flow_logs_max_aggregation_interval,
            tags=self._tagged(f"{name}-flow-logs"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        self.flow_logs_log_group_name = log_group.name
        self.flow_logs_kms_key_arn = pulumi.Output.from_input(key_arn)


def _nth(values: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    return values.apply(lambda items: items[index])


def _ids(resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
    return pulumi.Output.all(*[r.id for r in resources]) if resources else pulumi.Output.from_input([])
