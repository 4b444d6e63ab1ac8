"""The NetworkPolicy of a pipeline service: pure functions of its settings and of the VPC as the
service sees it (:class:`~.traffic.ServiceNetwork`), wire-shaped dicts."""

from __future__ import annotations

from typing import Any

from . import labels as _labels
from .labels import Manifest
from .settings import PipelineServiceSettings
from .settings_network import NetworkPeer, is_metrics_port_name
from .traffic import ServiceNetwork, alb_source_cidrs, aws_api_rules, dns_rule, warehouse_rule

__all__ = [
    "egress_ports",
    "egress_rules",
    "ingress_rules",
    "network_peer",
    "network_policy",
    "network_policy_spec",
]


def network_peer(settings: NetworkPeer) -> Manifest:
    """One NetworkPolicy peer: an ``ipBlock``, or namespace and pod selectors."""
    if settings.cidr is not None:
        block: dict[str, Any] = {"cidr": settings.cidr}
        if settings.except_cidrs:
            block["except"] = list(settings.except_cidrs)
        return {"ipBlock": block}
    wire: dict[str, Any] = {}
    if settings.namespace is not None:
        wire["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": settings.namespace}}
    elif settings.namespace_labels is not None:
        wire["namespaceSelector"] = {"matchLabels": dict(settings.namespace_labels)}
    if settings.pod_labels is not None:
        wire["podSelector"] = {"matchLabels": dict(settings.pod_labels)}
    return wire


def _namespace_peer(name: str) -> Manifest:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def ingress_rules(settings: PipelineServiceSettings, network: ServiceNetwork | None = None) -> list[Manifest]:
    """Who may reach the container port: the own namespace and ``allow_from``, monitoring on a
    metrics port, and the ALB's subnets with ``ingress`` (``network`` says which). None without a port
    (or with every source off): all ingress is denied."""
    s = settings
    policy = s.network_policy
    if s.port is None:
        return []
    port = [{"port": s.port, "protocol": "TCP"}]
    rules: list[Manifest] = []
    # A peer with only an empty podSelector is every pod of the policy's own namespace.
    peers: list[Manifest] = [{"podSelector": {}}] if policy.allow_same_namespace else []
    peers += [network_peer(peer) for peer in policy.allow_from]
    if peers:
        rules.append({"from": peers, "ports": port})
    if policy.monitoring_namespace is not None and is_metrics_port_name(s.port_name):
        rules.append({"from": [_namespace_peer(policy.monitoring_namespace)], "ports": port})
    if s.ingress is not None:
        if network is None:
            raise ValueError("a service with ingress needs the network (ServiceNetwork) to admit its ALB")
        sources = alb_source_cidrs(network, s.ingress.scheme)
        rules.append({"from": [{"ipBlock": {"cidr": cidr}} for cidr in sources], "ports": port})
    return rules


def egress_ports(ports: list[int], protocol: str | None) -> list[Manifest] | None:
    """An egress rule's ports: each port of ``protocol`` (TCP by default); with no ports, every port
    of ``protocol`` (an entry with only the protocol), or None (every protocol) when it is unset."""
    if ports:
        return [{"port": port, "protocol": protocol or "TCP"} for port in ports]
    return [{"protocol": protocol}] if protocol is not None else None


def egress_rules(settings: PipelineServiceSettings, network: ServiceNetwork | None = None) -> list[Manifest]:
    """The egress the NetworkPolicy allows (all else denied): DNS, the AWS APIs, the warehouse port
    (``network.warehouse_port``) and the declared ``egress`` rules (:mod:`.traffic` says why)."""
    policy = settings.network_policy
    rules: list[Manifest] = []
    if policy.allow_dns:
        rules.append(dns_rule())
    if policy.allow_aws_apis:
        rules += aws_api_rules(network)
    warehouse = warehouse_rule(network)
    if warehouse is not None:
        rules.append(warehouse)
    for rule in policy.egress or []:
        wire: dict[str, Any] = {}
        if rule.peers:
            wire["to"] = [network_peer(peer) for peer in rule.peers]
        ports = egress_ports(rule.ports, rule.protocol)
        if ports is not None:
            wire["ports"] = ports
        rules.append(wire)
    return rules


def network_policy_spec(settings: PipelineServiceSettings, network: ServiceNetwork | None = None) -> Manifest:
    """The NetworkPolicy's spec: ingress as :func:`ingress_rules` says; egress denied but for
    :func:`egress_rules` (``deny_egress``, the default), else open."""
    s = settings
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": _labels.selector_labels(s)},
        "policyTypes": ["Ingress"],
        "ingress": ingress_rules(s, network),
    }
    if s.network_policy.deny_egress:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress_rules(s, network)
    return spec


def network_policy(settings: PipelineServiceSettings, network: ServiceNetwork | None = None) -> Manifest:
    """The NetworkPolicy of the service's pods."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _labels.metadata(settings),
        "spec": network_policy_spec(settings, network),
    }
