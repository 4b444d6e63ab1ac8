"""Settings of the service's NetworkPolicy: who may reach the pods, and where they may connect."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .._shared import DnsLabel, Labels, cidr_problem
from .._validation import SettingsModel

__all__ = [
    "METRICS_PORT_WORDS",
    "Cidr",
    "EgressRule",
    "NetworkPeer",
    "NetworkPolicySettings",
    "is_metrics_port_name",
]

METRICS_PORT_WORDS = frozenset({"metrics", "prom", "prometheus"})
"""A port is a metrics port when one of the ``-``-separated words of its name is one of these
(``metrics``, ``http-metrics``, ``metrics-tls``, ``prom``, ``prometheus``), so the monitoring
namespace may scrape it."""


def is_metrics_port_name(port_name: str) -> bool:
    """Whether ``port_name`` names a metrics port (see :data:`METRICS_PORT_WORDS`)."""
    return any(word in METRICS_PORT_WORDS for word in port_name.split("-"))


def _check_cidr(value: str) -> str:
    problem = cidr_problem(value, ipv6=True)
    if problem:
        raise ValueError(problem)
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]
"""An IPv4 or IPv6 block without host bits, e.g. ``10.0.0.0/16`` (NetworkPolicy ``ipBlock``)."""


class NetworkPeer(SettingsModel):
    """Where traffic may come from (or go to): pods, namespaces, or an IP block."""

    namespace: DnsLabel | None = None
    """A namespace by name (matched on ``kubernetes.io/metadata.name``)."""
    namespace_labels: Labels | None = None
    """Namespaces by label."""
    pod_labels: Labels | None = None
    """Pods by label (in the namespaces selected, or the service's own namespace when none is)."""
    cidr: Cidr | None = None
    """An IP block, e.g. ``10.0.0.0/16`` (not combined with selectors)."""
    except_cidrs: list[Cidr] = []
    """Blocks inside ``cidr`` to leave out."""

    @model_validator(mode="after")
    def _shape(self) -> NetworkPeer:
        selectors = [self.namespace, self.namespace_labels, self.pod_labels]
        if self.cidr is None and all(s is None for s in selectors):
            raise ValueError("a peer needs namespace, namespace_labels, pod_labels or cidr")
        if self.cidr is not None and any(s is not None for s in selectors):
            raise ValueError("cidr cannot be combined with selectors; write two peers")
        if self.namespace is not None and self.namespace_labels is not None:
            raise ValueError("set namespace or namespace_labels, not both")
        if self.except_cidrs and self.cidr is None:
            raise ValueError("except_cidrs needs cidr")
        if self.cidr is not None:
            outside = [c for c in self.except_cidrs if not _strictly_inside(c, self.cidr)]
            if outside:
                # The API server refuses an ipBlock whose except is not a strict subset of cidr.
                raise ValueError(
                    f"except_cidrs {', '.join(outside)} must lie strictly inside cidr {self.cidr}; "
                    "remove them or widen cidr"
                )
        return self


def _strictly_inside(inner: str, outer: str) -> bool:
    small, big = ipaddress.ip_network(inner), ipaddress.ip_network(outer)
    return small.version == big.version and small != big and small.subnet_of(big)  # type: ignore[arg-type]


class EgressRule(SettingsModel):
    """Allowed outbound traffic: to ``peers`` (anywhere when empty) on ``ports`` (all when empty)."""

    peers: list[NetworkPeer] = []
    """Where the pods may connect; empty means anywhere."""
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = []
    """The destination ports; empty means every port (of ``protocol``, or of every protocol)."""
    protocol: Literal["TCP", "UDP", "SCTP"] | None = None
    """The protocol of ``ports`` (TCP when unset). Without ports: every port of this protocol
    only; unset, every protocol."""


class NetworkPolicySettings(SettingsModel):
    """A NetworkPolicy for the service's pods: who may reach the container port.

    Reachable by design: a service with a port admits the pods of its own namespace
    (``allow_same_namespace``) and the peers in ``allow_from``; a metrics port (a name such as
    ``metrics``, ``http-metrics`` or ``prom``, see :data:`METRICS_PORT_WORDS`) also admits
    ``monitoring_namespace``. Every other peer is denied. Isolation is one setting away:
    ``allow_same_namespace: false`` leaves only ``allow_from`` (and monitoring on a metrics
    port; ``monitoring_namespace: null`` turns that off too). A service without a port admits
    nothing. On EKS the VPC CNI enforces it once network policy is enabled on the add-on.
    """

    enabled: bool = True
    """Make the NetworkPolicy (off leaves the pods open to every peer in the cluster)."""
    allow_same_namespace: bool = True
    """Admit every pod of the service's namespace to the container port; false isolates the
    service from its neighbours (then only ``allow_from`` reaches it)."""
    allow_from: list[NetworkPeer] = []
    """More peers allowed to reach the container port (other namespaces, pods, IP blocks)."""
    monitoring_namespace: DnsLabel | None = None
    """The namespace of a metrics scraper (Prometheus), admitted to a metrics port; unset: none (a
    stack admits only a namespace it makes, so there is no default)."""
    deny_egress: bool = True
    """Deny every egress but DNS (``allow_dns``), the AWS APIs (``allow_aws_apis``), the warehouse
    port for a service with warehouse access, and ``egress``; false leaves egress open."""
    egress: list[EgressRule] | None = None
    """The service's declared peers: more egress to allow (with ``deny_egress``)."""
    allow_dns: bool = True
    """Allow DNS (UDP and TCP 53) to kube-dns in ``kube-system``: without it no name resolves."""
    allow_aws_apis: bool = True
    """Allow HTTPS to the AWS APIs: the interface endpoints (private subnets) and, outside the VPC,
    S3's gateway endpoint and public endpoints through NAT (never link-local: the instance metadata
    service). IRSA's own STS call needs it."""

    @model_validator(mode="after")
    def _egress(self) -> NetworkPolicySettings:
        if self.egress and not self.deny_egress:
            raise ValueError("egress rules only apply with deny_egress: true (egress is open); drop one")
        return self
