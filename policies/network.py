"""Network exposure: data stores not public, EKS API endpoint not open to the internet, no
internet-wide ingress on administration or database ports (any CIDR set covering a large share of
public address space, not only ``0.0.0.0/0``: see :mod:`._cidr`). Network ACLs and the default
security group: :mod:`.network_acl`."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._cidr import DEFAULT_MAX_PREFIX, internet_wide
from ._common import (
    UNKNOWN,
    ResourceContext,
    applies_to,
    as_list,
    get,
    parse_json_object,
    resource_policy,
    truthy,
)

DOMAIN = "network"

PUBLICLY_ACCESSIBLE_TYPES = (
    "aws:rds/instance:Instance",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/cluster:Cluster",
    "aws:rds/shardGroup:ShardGroup",
    "aws:redshift/cluster:Cluster",
    "aws:redshiftserverless/workgroup:Workgroup",
    "aws:neptune/clusterInstance:ClusterInstance",
    "aws:dms/replicationInstance:ReplicationInstance",
    "aws:dms/instanceProfile:InstanceProfile",
    "aws:lightsail/database:Database",
    "aws:mq/broker:Broker",
    "aws:timestreaminfluxdb/dbInstance:DbInstance",
    "aws:timestreaminfluxdb/dbCluster:DbCluster",
    "aws:m2/environment:Environment",
)
"""Every pulumi-aws v7 resource with a ``publicly_accessible`` input (the SDK's own list: a test
keeps them equal): Aurora and RDS instances, Multi-AZ DB clusters, Aurora Limitless shard groups,
Redshift and Redshift Serverless, Neptune instances (DocumentDB instances have no such input: always
in the VPC), DMS, Lightsail databases,
Amazon MQ brokers, Timestream for InfluxDB and Mainframe Modernization environments."""
DOMAIN_TYPES = ("aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain")
"""Search domains: public when they have no ``vpc_options`` (the endpoint is on the internet and only
the access policy stands in front of it)."""
OPENSEARCH_SERVERLESS_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
DEFAULT_RESTRICTED_PORTS = [22, 3389, 1433, 1521, 2049, 3306, 5432, 5439, 6379, 9200, 11211, 27017]
"""SSH, RDP, SQL Server, Oracle, NFS, MySQL, Postgres, Redshift, Redis, OpenSearch, Memcached, MongoDB."""


@resource_policy(
    "db-not-publicly-accessible",
    domain=DOMAIN,
    description="Databases and data services are not publicly accessible: every pulumi-aws resource with "
    "publicly_accessible (RDS and Aurora instances, Redshift, Redshift Serverless, Neptune, DMS, "
    "MQ, ...), OpenSearch domains outside a VPC, OpenSearch Serverless collections open to the public.",
    severity=Severity.CRITICAL,
    remediation="Set publicly_accessible=False and place the database in private subnets; reach it through "
    "a bastion, SSM or a VPN. OpenSearch: set vpc_options (subnets, security groups); OpenSearch "
    "Serverless: AllowFromPublic false with SourceVPCEs.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*PUBLICLY_ACCESSIBLE_TYPES, *DOMAIN_TYPES, OPENSEARCH_SERVERLESS_POLICY)
def db_not_publicly_accessible(ctx: ResourceContext) -> None:
    if ctx.type in DOMAIN_TYPES:
        vpc = ctx.props.get("vpcOptions")
        if vpc is UNKNOWN:
            return
        if not as_list(get(vpc, "subnetIds")):
            ctx.report(f"'{ctx.name}' has a public endpoint (no vpcOptions.subnetIds)")
        return
    if ctx.type == OPENSEARCH_SERVERLESS_POLICY:
        if ctx.props.get("type") != "network":
            return
        rules = parse_json_object(ctx.props.get("policy"))
        for index, rule in enumerate(as_list(rules)):
            if isinstance(rule, dict) and truthy(rule.get("AllowFromPublic")) is True:
                ctx.report(f"'{ctx.name}' policy[{index}] sets AllowFromPublic to true")
        return
    if truthy(ctx.props.get("publiclyAccessible")) is True:
        ctx.report(f"'{ctx.name}' sets publiclyAccessible to true")


@resource_policy(
    "eks-endpoint-not-public",
    domain=DOMAIN,
    description="The EKS API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0).",
    severity=Severity.HIGH,
    remediation="Set endpoint_public_access=False (with endpoint_private_access=True), or keep it public and "
    "set public_access_cidrs to your office/VPN ranges.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("eks:index:Cluster", "aws:eks/cluster:Cluster")
def eks_endpoint_not_public(ctx: ResourceContext) -> None:
    # Both default to a public endpoint open to 0.0.0.0/0 when unset.
    settings = ctx.props if ctx.type == "eks:index:Cluster" else (ctx.props.get("vpcConfig") or {})
    if settings is UNKNOWN:
        return
    public = get(settings, "endpointPublicAccess")
    cidrs = get(settings, "publicAccessCidrs")
    if public is UNKNOWN or truthy(public) is False:
        return
    if cidrs is UNKNOWN or any(c is UNKNOWN for c in as_list(cidrs)):
        return
    open_to = internet_wide(as_list(cidrs)) if cidrs else ["0.0.0.0/0 (default)"]
    if open_to:
        ctx.report(f"'{ctx.name}' has a public API endpoint open to {', '.join(open_to)}")


def max_prefix(config: dict[str, Any]) -> dict[int, int]:
    """The pack config's ``maxPublicPrefix`` as {IP version: prefix length}."""
    configured = config.get("maxPublicPrefix")
    configured = configured if isinstance(configured, dict) else {}
    return {
        4: int(configured.get("ipv4", DEFAULT_MAX_PREFIX[4])),
        6: int(configured.get("ipv6", DEFAULT_MAX_PREFIX[6])),
    }


def _covers(from_port: Any, to_port: Any, protocol: Any, ports: list[int]) -> list[int] | None:
    """The restricted ports a rule opens; None when unknown."""
    if UNKNOWN in (from_port, to_port, protocol):
        return None
    proto = str(protocol).lower()
    if proto in ("-1", "all"):
        return list(ports)
    if proto not in ("tcp", "6", "udp", "17"):
        return []
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        return []
    if low == -1:
        low, high = 0, 65535
    return [p for p in ports if low <= p <= high]


@resource_policy(
    "no-public-admin-ingress",
    domain=DOMAIN,
    description="Security groups (the default one too) allow no ingress from internet-wide CIDRs (0.0.0.0/0, "
    "::/0, 0.0.0.0/1 + 128.0.0.0/1, any large public block) on admin or database ports.",
    severity=Severity.CRITICAL,
    remediation="Restrict the rule's source to a security group or a known CIDR (VPN, bastion); for admin "
    "access use SSM Session Manager instead of opening SSH/RDP.",
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "restrictedPorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": DEFAULT_RESTRICTED_PORTS,
            "description": "Ports that must never be open to the whole internet.",
        },
        "maxPublicPrefix": {
            "type": "object",
            "properties": {"ipv4": {"type": "integer"}, "ipv6": {"type": "integer"}},
            "default": {"ipv4": DEFAULT_MAX_PREFIX[4], "ipv6": DEFAULT_MAX_PREFIX[6]},
            "description": "The largest public block (prefix length) a rule may open: more public space than "
            "one such block counts as the internet.",
        },
    },
)
@applies_to(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)
def no_public_admin_ingress(ctx: ResourceContext) -> None:
    ports = [int(p) for p in as_list(ctx.config.get("restrictedPorts", DEFAULT_RESTRICTED_PORTS))]
    rules: list[tuple[str, list[Any], Any, Any, Any]] = []
    props = ctx.props
    if ctx.type in (
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    ):
        ingress = props.get("ingress")
        if ingress is UNKNOWN:
            return
        for index, rule in enumerate(as_list(ingress)):
            if rule is UNKNOWN:
                continue
            cidrs = as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks"))
            rules.append(
                (
                    f"ingress[{index}]",
                    cidrs,
                    get(rule, "fromPort"),
                    get(rule, "toPort"),
                    get(rule, "protocol"),
                )
            )
    elif ctx.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") != "ingress":
            return
        cidrs = as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks"))
        rules.append(("rule", cidrs, props.get("fromPort"), props.get("toPort"), props.get("protocol")))
    else:
        cidrs = [props.get("cidrIpv4"), props.get("cidrIpv6")]
        protocol = props.get("ipProtocol")
        low, high = props.get("fromPort"), props.get("toPort")
        if str(protocol) == "-1":
            low, high = 0, 65535
        rules.append(("rule", cidrs, low, high, protocol))
    limits = max_prefix(ctx.config)
    for where, cidrs, low, high, protocol in rules:
        open_cidrs = internet_wide(cidrs, limits)
        if not open_cidrs:
            continue
        exposed = _covers(low, high, protocol, ports)
        if exposed:
            shown = ", ".join(str(p) for p in exposed[:6]) + (", ..." if len(exposed) > 6 else "")
            ctx.report(f"'{ctx.name}' {where} opens port(s) {shown} to {', '.join(open_cidrs)}")


POLICIES = [db_not_publicly_accessible, eks_endpoint_not_public, no_public_admin_ingress]
