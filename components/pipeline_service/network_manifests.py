"""The NetworkPolicy of a pipeline service: pure functions of its settings (wire-shaped dicts)."""

from __future__ import annotations

from typing import Any

from . import manifests as _manifests
from .settings import PipelineServiceSettings
from .settings_network import NetworkPeer, is_metrics_port_name

__all__ = ["egress_ports", "ingress_rules", "network_peer", "network_policy", "network_policy_spec"]

Manifest = dict[str, Any]


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


def ingress_rules(settings: PipelineServiceSettings) -> list[Manifest]:
    """Who may reach the container port: the own namespace and ``allow_from``, then monitoring on a
    metrics port. None without a port (or with every source off): all ingress is denied."""
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
    return rules


def egress_ports(ports: list[int], protocol: str | None) -> list[Manifest] | None:
    """An egress rule's ports: each port of ``protocol`` (TCP by default); with no ports, every port
    of ``protocol`` (an entry with only the protocol), or None (every protocol) when it is unset."""
    if ports:
        return [{"port": port, "protocol": protocol or "TCP"} for port in ports]
    return [{"protocol": protocol}] if protocol is not None else None


def network_policy_spec(settings: PipelineServiceSettings) -> Manifest:
    """The NetworkPolicy's spec: ingress as :func:`ingress_rules` says; egress limited when set."""
    s = settings
    policy = s.network_policy
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": _manifests.selector_labels(s)},
        "policyTypes": ["Ingress"],
        "ingress": ingress_rules(s),
    }
    if policy.egress is not None:
        spec["policyTypes"].append("Egress")
        rules: list[dict[str, Any]] = []
        if policy.allow_dns:
            rules.append(
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                }
            )
        for rule in policy.egress:
            wire: dict[str, Any] = {}
            if rule.peers:
                wire["to"] = [network_peer(peer) for peer in rule.peers]
            ports = egress_ports(rule.ports, rule.protocol)
            if ports is not None:
                wire["ports"] = ports
            rules.append(wire)
        spec["egress"] = rules
    return spec


def network_policy(settings: PipelineServiceSettings) -> Manifest:
    """The NetworkPolicy of the service's pods."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _manifests.metadata(settings),
        "spec": network_policy_spec(settings),
    }
