"""Network exposure: databases not public, EKS API endpoint not open to the internet, no
internet-wide ingress on administration or database ports."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    UNKNOWN,
    ResourceContext,
    applies_to,
    as_list,
    get,
    resource_policy,
    truthy,
)

DOMAIN = "network"

OPEN_CIDRS = ("0.0.0.0/0", "::/0")
DEFAULT_RESTRICTED_PORTS = [22, 3389, 1433, 1521, 2049, 3306, 5432, 5439, 6379, 9200, 11211, 27017]
"""SSH, RDP, SQL Server, Oracle, NFS, MySQL, Postgres, Redshift, Redis, OpenSearch, Memcached, MongoDB."""


@resource_policy(
    "db-not-publicly-accessible",
    domain=DOMAIN,
    description="RDS instances and Redshift clusters are not publicly accessible.",
    severity=Severity.CRITICAL,
    remediation="Set publicly_accessible=False and place the database in private subnets; reach it through "
    "a bastion, SSM or a VPN.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to("aws:rds/instance:Instance", "aws:redshift/cluster:Cluster")
def db_not_publicly_accessible(ctx: ResourceContext) -> None:
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
    open_to = [c for c in as_list(cidrs) if c in OPEN_CIDRS] if cidrs else ["0.0.0.0/0 (default)"]
    if open_to:
        ctx.report(f"'{ctx.name}' has a public API endpoint open to {', '.join(open_to)}")


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
    description="Security groups allow no ingress from 0.0.0.0/0 or ::/0 on admin or database ports.",
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
        }
    },
)
@applies_to(
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)
def no_public_admin_ingress(ctx: ResourceContext) -> None:
    ports = [int(p) for p in as_list(ctx.config.get("restrictedPorts", DEFAULT_RESTRICTED_PORTS))]
    rules: list[tuple[str, list[Any], Any, Any, Any]] = []
    props = ctx.props
    if ctx.type == "aws:ec2/securityGroup:SecurityGroup":
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
    for where, cidrs, low, high, protocol in rules:
        open_cidrs = [c for c in cidrs if c in OPEN_CIDRS]
        if not open_cidrs:
            continue
        exposed = _covers(low, high, protocol, ports)
        if exposed:
            shown = ", ".join(str(p) for p in exposed[:6]) + (", ..." if len(exposed) > 6 else "")
            ctx.report(f"'{ctx.name}' {where} opens port(s) {shown} to {', '.join(open_cidrs)}")


POLICIES = [db_not_publicly_accessible, eks_endpoint_not_public, no_public_admin_ingress]
