"""Settings of the service's NetworkPolicy: who may reach the pods, and where they may connect."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .._shared import DnsLabel, Labels, cidr_problem
from .._validation import SettingsModel

__all__ = ["Cidr", "EgressRule", "NetworkPeer", "NetworkPolicySettings"]


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
        return self


class EgressRule(SettingsModel):
    """Allowed outbound traffic: to ``peers`` (anywhere when empty) on ``ports`` (all when empty)."""

    peers: list[NetworkPeer] = []
    """Where the pods may connect; empty means anywhere."""
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = []
    """The destination ports; empty means every port."""
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    """The protocol of ``ports``."""


class NetworkPolicySettings(SettingsModel):
    """A NetworkPolicy for the service's pods: ingress denied except from ``allow_from``.

    On EKS the VPC CNI enforces it once network policy is enabled on the add-on.
    """

    enabled: bool = True
    """Make the NetworkPolicy (off leaves the pods open to every peer in the cluster)."""
    allow_from: list[NetworkPeer] = []
    """Peers allowed to reach the container port; none means no ingress at all."""
    egress: list[EgressRule] | None = None
    """Unset leaves egress open. A list denies all other egress: add rules for what the service
    calls (e.g. 443 to AWS APIs for IRSA's STS calls)."""
    allow_dns: bool = True
    """With ``egress`` set, also allow DNS (port 53) to kube-dns in ``kube-system``."""
