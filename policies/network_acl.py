"""Network ACLs and the VPC's default security group.

* NACLs (``aws.ec2.NetworkAcl`` and ``DefaultNetworkAcl`` inline rules, ``aws.ec2.NetworkAclRule``)
  allow no ingress from internet-wide CIDRs (:mod:`._cidr`) to administration or database ports
  (CIS AWS Foundations 5.1, checkov CKV_AWS_229-232). NACL rules are evaluated in rule-number order
  and the first match decides (Amazon VPC User Guide, "Network ACL rules"), so an allow rule is
  shadowed by a lower-numbered deny rule of the same ACL covering the same port and source.
* The default security group restricts all traffic: no ingress or egress rule at all (CIS AWS
  Foundations 5.4, checkov CKV2_AWS_12): every ENI launched without a security group lands in it.
  Rules reach it inline (``aws.ec2.DefaultSecurityGroup``) or as separate rules whose
  ``security_group_id`` comes from the default group's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._cidr import internet_wide, parse
from ._common import UNKNOWN, StackContext, StackResource, as_list, stack_policy, truthy
from .network import DEFAULT_RESTRICTED_PORTS, _covers, max_prefix

DOMAIN = "network"

NACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE_TYPES = (
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)


@dataclass(frozen=True)
class _Rule:
    owner: StackResource
    where: str
    number: Any
    allow: bool
    cidrs: tuple[Any, ...]
    low: Any
    high: Any
    protocol: Any


def _inline(resource: StackResource) -> list[_Rule]:
    ingress = resource.props.get("ingress")
    if ingress is UNKNOWN:
        return []
    rules = []
    for index, rule in enumerate(as_list(ingress)):
        if not isinstance(rule, dict):
            continue
        rules.append(
            _Rule(
                resource,
                f"ingress[{index}] (rule {rule.get('ruleNo')})",
                rule.get("ruleNo"),
                rule.get("action") == "allow",
                (rule.get("cidrBlock"), rule.get("ipv6CidrBlock")),
                rule.get("fromPort"),
                rule.get("toPort"),
                rule.get("protocol"),
            )
        )
    return rules


def _standalone(resource: StackResource) -> _Rule | None:
    props = resource.props
    if truthy(props.get("egress")) is True or props.get("egress") is UNKNOWN:
        return None
    return _Rule(
        resource,
        f"rule {props.get('ruleNumber')}",
        props.get("ruleNumber"),
        props.get("ruleAction") == "allow",
        (props.get("cidrBlock"), props.get("ipv6CidrBlock")),
        props.get("fromPort"),
        props.get("toPort"),
        props.get("protocol"),
    )


def _acl_keys(resource: StackResource) -> set[str]:
    """What names the ACL a standalone rule belongs to: the URN it depends on, or its literal id."""
    if resource.type == NACL_RULE:
        keys = set(resource.property_dependencies.get("networkAclId", []))
        acl = resource.props.get("networkAclId")
        if isinstance(acl, str):
            keys.add(acl)
        return keys or {resource.urn}
    keys = {resource.urn}
    for key in ("id", "defaultNetworkAclId"):
        value = resource.props.get(key)
        if isinstance(value, str):
            keys.add(value)
    return keys


def _shadowed(rule: _Rule, port: int, denies: list[_Rule]) -> bool:
    """A lower-numbered deny rule of the same ACL that covers this port and the whole source."""
    if not isinstance(rule.number, int):
        return False
    for deny in denies:
        if not isinstance(deny.number, int) or deny.number >= rule.number:
            continue
        if port not in (_covers(deny.low, deny.high, deny.protocol, [port]) or []):
            continue
        sources = [parse(c) for c in rule.cidrs if isinstance(c, str)]
        blocks = [parse(c) for c in deny.cidrs if isinstance(c, str)]
        if sources and all(
            s is not None and any(b is not None and s.version == b.version and s.subnet_of(b) for b in blocks)  # type: ignore[arg-type]
            for s in sources
        ):
            return True
    return False


@stack_policy(
    "nacl-no-public-admin-ingress",
    domain=DOMAIN,
    description="Network ACLs allow no ingress from internet-wide CIDRs on admin or database ports (unless a "
    "lower-numbered deny rule of the same ACL shadows the allow).",
    severity=Severity.HIGH,
    remediation="Restrict the allow rule's cidr_block to known ranges, or add a lower-numbered deny rule for "
    "the port from 0.0.0.0/0 (and ::/0); keep admin access on SSM Session Manager.",
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
            "description": "The largest public block (prefix length) a rule may open.",
        },
    },
    reads=(NACL, DEFAULT_NACL, NACL_RULE),
)
def nacl_no_public_admin_ingress(ctx: StackContext) -> None:
    ports = [int(p) for p in as_list(ctx.config.get("restrictedPorts", DEFAULT_RESTRICTED_PORTS))]
    limits = max_prefix(ctx.config)
    acls = ctx.of_type(NACL, DEFAULT_NACL)
    groups: list[tuple[set[str], list[_Rule]]] = [(_acl_keys(a), _inline(a)) for a in acls]
    for standalone in ctx.of_type(NACL_RULE):
        rule = _standalone(standalone)
        if rule is None:
            continue
        keys = _acl_keys(standalone)
        group = next((g for g in groups if g[0] & keys), None)
        if group is None:
            groups.append((keys, [rule]))
        else:
            group[1].append(rule)
    for _, rules in groups:
        denies = [r for r in rules if not r.allow]
        for rule in rules:
            if not rule.allow:
                continue
            wide = internet_wide(rule.cidrs, limits)
            if not wide:
                continue
            exposed = [
                p
                for p in (_covers(rule.low, rule.high, rule.protocol, ports) or [])
                if not _shadowed(rule, p, denies)
            ]
            if exposed:
                shown = ", ".join(str(p) for p in exposed[:6]) + (", ..." if len(exposed) > 6 else "")
                ctx.report(
                    f"network ACL '{rule.owner.name}' {rule.where} allows ingress on port(s) {shown} from "
                    f"{', '.join(wide)}",
                    rule.owner.urn,
                )


@stack_policy(
    "vpc-default-security-group-closed",
    domain=DOMAIN,
    description="The VPC's default security group has no ingress or egress rules (inline or separate), so "
    "nothing launched without a security group can talk to anything.",
    severity=Severity.MEDIUM,
    remediation="Declare aws.ec2.DefaultSecurityGroup with ingress=[] and egress=[] (the Network component "
    "does) and give every workload its own security group.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(DEFAULT_SG, *SG_RULE_TYPES),
)
def vpc_default_security_group_closed(ctx: StackContext) -> None:
    defaults = ctx.of_type(DEFAULT_SG)
    for group in defaults:
        for key in ("ingress", "egress"):
            rules = group.props.get(key)
            if rules is not UNKNOWN and as_list(rules):
                ctx.report(
                    f"default security group '{group.name}' has {len(as_list(rules))} {key} rule(s)",
                    group.urn,
                )
    by_urn = {g.urn: g for g in defaults}
    for rule in ctx.of_type(*SG_RULE_TYPES):
        targets = [by_urn[u] for u in rule.property_dependencies.get("securityGroupId", []) if u in by_urn]
        for group in targets:
            ctx.report(f"'{rule.name}' adds a rule to the default security group '{group.name}'", rule.urn)


POLICIES = [nacl_no_public_admin_ingress, vpc_default_security_group_closed]
