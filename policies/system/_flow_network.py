"""Network hops of the data-flow proof: NetworkPolicies in both directions (with DNS) and security groups.

NetworkPolicy semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
a pod is isolated for a direction only when some policy selecting it has that direction in
``policyTypes`` (``Ingress`` always implied, ``Egress`` implied when the policy has egress rules);
then traffic is allowed when any rule of any selecting policy admits it. A rule with no ``to``/``from``
admits every peer, with no ``ports`` every port; ``ipBlock`` admits the addresses in ``cidr`` minus
``except``; ``namespaceSelector`` and ``podSelector`` in one peer are AND'ed. A pod whose egress is
isolated needs DNS (port 53) to resolve any name.

Security groups: a group admits traffic matching any of its ingress rules (inline ``ingress``,
``aws.vpc.SecurityGroupIngressRule``, ``aws.ec2.SecurityGroupRule`` of type ``ingress``), protocol
``-1`` meaning every protocol and port. Egress likewise on the source group; a group made by the
Terraform-bridged provider has no egress unless declared (the provider removes AWS's default rule).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .._common import UNKNOWN, StackResource, as_list, contains_unknown, get
from . import _model as m
from ._flow_plan import SECURITY_GROUP, SG_EGRESS, SG_INGRESS, SG_RULE, Plan

DNS_PORT = 53
Outcome = tuple[bool | None, str]
"""(True: allowed, False: refused, None: cannot decide; why)."""


def _network(cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def _contains(outer: Any, inner: Any) -> bool:
    a, b = _network(outer), _network(inner)
    return a is not None and b is not None and a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]


def _overlaps(a: Any, b: Any) -> bool:
    x, y = _network(a), _network(b)
    return x is not None and y is not None and x.version == y.version and x.overlaps(y)


# --------------------------------------------------------------------------- NetworkPolicies


def _types(spec: dict[str, Any]) -> list[str]:
    given = spec.get("policyTypes")
    if isinstance(given, list) and given:
        return given
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


def _selecting(
    plan: Plan, namespace: str, labels: dict[str, Any], direction: str
) -> list[StackResource] | None:
    """The NetworkPolicies isolating the pods (namespace, labels) for ``direction``; None: unknown."""
    found = []
    for policy in plan.of("kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        if m.namespace_of(policy) != namespace:
            continue
        spec = get(policy.props, "spec")
        if contains_unknown(spec):
            return None
        if not isinstance(spec, dict) or direction not in _types(spec):
            continue
        verdict = m.label_selector_matches(spec.get("podSelector") or {}, labels)
        if verdict is None:
            return None
        if verdict:
            found.append(policy)
    return found


def _port_admits(ports: Any, port: int, protocol: str, named: dict[str, int]) -> bool:
    if not ports:
        return True
    for entry in as_list(ports):
        if not isinstance(entry, dict):
            continue
        if (entry.get("protocol") or "TCP").upper() != protocol.upper():
            continue
        given = entry.get("port")
        if given is None:
            return True
        if isinstance(given, str):
            given = named.get(given)
        if isinstance(given, int) and (given == port or given <= port <= (entry.get("endPort") or given)):
            return True
    return False


def _peer_admits(plan: Plan, peer: Any, own_namespace: str, other: dict[str, Any]) -> bool:
    """Whether one peer of a rule covers ``other``: a pod (``namespace``, ``labels``) or ``cidrs``."""
    if not isinstance(peer, dict):
        return False
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        cidrs = other.get("cidrs")
        if not cidrs:
            return False
        return all(
            _contains(block.get("cidr"), c) and not any(_overlaps(e, c) for e in as_list(block.get("except")))
            for c in cidrs
        )
    if "namespace" not in other:
        return False
    namespaces = peer.get("namespaceSelector")
    pods = peer.get("podSelector")
    if namespaces is None and pods is None:
        return False
    if namespaces is None:
        namespace_ok = other["namespace"] == own_namespace
    else:
        namespace_ok = bool(m.label_selector_matches(namespaces, plan.namespace_labels(other["namespace"])))
    pods_ok = True if pods is None else bool(m.label_selector_matches(pods, other.get("labels") or {}))
    return namespace_ok and pods_ok


def _direction_admits(
    plan: Plan,
    policies: list[StackResource],
    direction: str,
    other: dict[str, Any],
    port: int,
    protocol: str,
    named: dict[str, int],
) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in policies:
        for rule in as_list(get(policy.props, "spec", key)):
            if not isinstance(rule, dict) or not _port_admits(rule.get("ports"), port, protocol, named):
                continue
            peers = rule.get(peers_key)
            if not peers:
                return True
            namespace = m.namespace_of(policy)
            if "namespace" not in other and other.get("cidrs"):
                # A rule lists one ipBlock per subnet: each CIDR of the hop may be covered by another peer.
                if all(
                    any(_peer_admits(plan, p, namespace, {"cidrs": [c]}) for p in peers)
                    for c in other["cidrs"]
                ):
                    return True
            elif any(_peer_admits(plan, p, namespace, other) for p in peers):
                return True
    return False


def _endpoint(plan: Plan, spec: Any) -> tuple[dict[str, Any] | None, str | None, m.PodTemplate | None]:
    """(peer description, problem, template) of a hop's ``from``/``to``."""
    if not isinstance(spec, dict):
        return None, "the hop names no endpoint", None
    if isinstance(spec.get("workload"), dict):
        template = plan.workload(spec["workload"])
        if template is None:
            w = spec["workload"]
            return None, f"{w.get('kind')} {w.get('namespace')}/{w.get('name')} is not in the plan", None
        labels = template.labels if isinstance(template.labels, dict) else {}
        return {"namespace": template.namespace, "labels": labels}, None, template
    if isinstance(spec.get("cidrs"), list):
        return {"cidrs": spec["cidrs"]}, None, None
    if spec.get("public") is True:
        return {"cidrs": ["8.8.8.8/32"]}, None, None  # any public address stands for the Internet
    return None, "the endpoint is neither a workload nor CIDRs", None


def _container_ports(template: m.PodTemplate | None) -> dict[str, int]:
    named: dict[str, int] = {}
    if template is None or not isinstance(template.spec, dict):
        return named
    for container in as_list(template.spec.get("containers")):
        for port in as_list(get(container, "ports")):
            if (
                isinstance(port, dict)
                and isinstance(port.get("name"), str)
                and isinstance(port.get("containerPort"), int)
            ):
                named[port["name"]] = port["containerPort"]
    return named


def _dns_allowed(plan: Plan, policies: list[StackResource]) -> bool:
    kube_dns = {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}
    return all(
        _direction_admits(plan, policies, "Egress", kube_dns, DNS_PORT, protocol, {})
        for protocol in ("UDP", "TCP")
    )


def network_policy_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    source, problem, source_template = _endpoint(plan, hop.get("from"))
    if source is None:
        return False, problem or ""
    target, problem, target_template = _endpoint(plan, hop.get("to"))
    if target is None:
        return False, problem or ""
    port, protocol = hop.get("port"), str(hop.get("protocol") or "TCP")
    if not isinstance(port, int):
        return None, "the hop's port is unknown"
    reasons = []
    if "namespace" in source:
        egress = _selecting(plan, source["namespace"], source["labels"], "Egress")
        if egress is None:
            return None, "a NetworkPolicy of the source namespace is unknown during preview"
        if egress and not _direction_admits(
            plan, egress, "Egress", target, port, protocol, _container_ports(target_template)
        ):
            names = ", ".join(sorted(p.name for p in egress))
            reasons.append(
                f"the source pods' egress ({names}) does not admit {protocol} {port} to the target"
            )
        if egress and not _dns_allowed(plan, egress) and "namespace" not in target:
            names = ", ".join(sorted(p.name for p in egress))
            reasons.append(
                f"the source pods' egress ({names}) does not admit DNS (UDP and TCP 53 to kube-dns)"
            )
    if "namespace" in target:
        ingress = _selecting(plan, target["namespace"], target["labels"], "Ingress")
        if ingress is None:
            return None, "a NetworkPolicy of the target namespace is unknown during preview"
        if ingress and not _direction_admits(
            plan, ingress, "Ingress", source, port, protocol, _container_ports(target_template)
        ):
            names = ", ".join(sorted(p.name for p in ingress))
            reasons.append(
                f"the target pods' ingress ({names}) does not admit {protocol} {port} from the source"
            )
    del source_template
    if reasons:
        return False, "; ".join(reasons)
    return True, f"{protocol} {port} is admitted both ways"


# --------------------------------------------------------------------------- security groups


def _protocol_matches(rule_protocol: Any, protocol: str) -> bool:
    given = str(rule_protocol).lower()
    return given in ("-1", "all") or given == protocol.lower() or (given == "6" and protocol.lower() == "tcp")


def _ports_match(rule: dict[str, Any], port: int) -> bool:
    if str(rule.get("ipProtocol", rule.get("protocol"))).lower() in ("-1", "all"):
        return True
    low, high = rule.get("fromPort"), rule.get("toPort")
    return isinstance(low, int) and isinstance(high, int) and low <= port <= high


def group_id_of(group: StackResource) -> Any:
    """A security group's id: its ``id`` output, else the last part of its ARN."""
    given = group.props.get("id")
    if isinstance(given, str):
        return given
    arn = group.props.get("arn")
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) and "/" in arn else arn


def _rules(plan: Plan, group_id: str, direction: str) -> list[tuple[dict[str, Any], list[str], list[str]]]:
    """(rule, peer group ids, peer CIDRs) of every ``direction`` rule of the group ``group_id``."""
    rules: list[tuple[dict[str, Any], list[str], list[str]]] = []
    single = SG_INGRESS if direction == "ingress" else SG_EGRESS
    for rule in plan.of(single):
        props = rule.props
        if props.get("securityGroupId") == group_id:
            rules.append(
                (props, as_list(props.get("referencedSecurityGroupId")), as_list(props.get("cidrIpv4")))
            )
    for rule in plan.of(SG_RULE):
        props = rule.props
        if props.get("securityGroupId") == group_id and props.get("type") == direction:
            peers = as_list(props.get("sourceSecurityGroupId")) + ([group_id] if props.get("self") else [])
            rules.append((props, peers, as_list(props.get("cidrBlocks"))))
    for group in plan.of(SECURITY_GROUP):
        if group_id_of(group) != group_id:
            continue
        for inline in as_list(group.props.get(direction)):
            if isinstance(inline, dict):
                peers = as_list(inline.get("securityGroups")) + ([group_id] if inline.get("self") else [])
                rules.append(
                    (
                        {**inline, "ipProtocol": inline.get("protocol")},
                        peers,
                        as_list(inline.get("cidrBlocks")),
                    )
                )
    return rules


def _admits(
    rules: list[tuple[dict[str, Any], list[str], list[str]]], peer: dict[str, Any], port: int, protocol: str
) -> bool:
    for props, groups, cidrs in rules:
        if not _protocol_matches(props.get("ipProtocol"), protocol) or not _ports_match(props, port):
            continue
        if peer.get("securityGroupId") in groups:
            return True
        if any(_contains(c, p) for c in cidrs for p in peer.get("cidrs", [])):
            return True
        if peer.get("anyAddress") and any(c == "0.0.0.0/0" for c in cidrs):
            return True
    return False


def security_group_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    source, target = hop.get("from"), hop.get("to")
    port, protocol = hop.get("port"), str(hop.get("protocol") or "tcp")
    if not isinstance(source, dict) or not isinstance(target, dict):
        return False, "the hop names no source or target"
    target_id = target.get("securityGroupId")
    if contains_unknown([source, target, port]) or target_id is UNKNOWN:
        return None, "a security group id or the port is unknown during preview"
    if not isinstance(port, int) or not isinstance(target_id, str):
        return False, "the hop names no target security group or port"
    peer: dict[str, Any] = {}
    if isinstance(source.get("securityGroupId"), str):
        peer["securityGroupId"] = source["securityGroupId"]
    if isinstance(source.get("cidrs"), list):
        peer["cidrs"] = source["cidrs"]
    if any(r.props.get("securityGroupId") is UNKNOWN for r in plan.of(SG_INGRESS, SG_RULE)):
        return None, "a security group rule's group is unknown during preview"
    if not _admits(_rules(plan, target_id, "ingress"), peer, port, protocol):
        return (
            False,
            f"security group {target_id} has no ingress rule admitting {protocol} {port} from the source",
        )
    source_id = peer.get("securityGroupId")
    if source_id is not None:
        declared = any(group_id_of(g) == source_id for g in plan.of(SECURITY_GROUP))
        if declared:
            egress = _rules(plan, source_id, "egress")
            if not _admits(egress, {"securityGroupId": target_id, "anyAddress": True}, port, protocol):
                return (
                    False,
                    f"security group {source_id} has no egress rule admitting {protocol} {port} "
                    f"to {target_id}",
                )
        elif not hop.get("assume"):
            return (
                None,
                f"security group {source_id} is not declared in this program: its egress is not visible",
            )
    return True, f"{protocol} {port} is admitted"
