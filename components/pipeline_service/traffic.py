"""Where a service's traffic may come from and go to on the VPC: pure functions, no engine.

:class:`ServiceNetwork` is the VPC as a service sees it (plain CIDRs, known before anything is
created: ``Network.subnet_cidrs``). From it come the NetworkPolicy rules that are not the service's
own choice:

- ingress from the load balancer: with IP targets the ALB's nodes connect to the pod IPs from
  addresses in the ALB's subnets (the public ones when internet-facing, the private ones when
  internal: the controller picks the subnets tagged ``kubernetes.io/role/elb`` /
  ``kubernetes.io/role/internal-elb``, which ``Network`` tags), on the container port;
- egress, denied by default, except:

  - DNS to kube-dns in ``kube-system`` (UDP and TCP 53);
  - HTTPS (443) to the interface endpoints, which live in the private subnets;
  - HTTPS to addresses outside the VPC: S3 is reached through the gateway endpoint, i.e. at the
    public addresses of the S3 prefix list, and the APIs without an interface endpoint through NAT
    at public addresses. A NetworkPolicy cannot name a prefix list (only ``ipBlock`` CIDRs), and those
    ranges change, so the rule is "443 anywhere outside the VPC", never the VPC itself (no other
    in-VPC service on 443) and never link-local ``169.254.0.0/16`` (the instance metadata service,
    whose node-role credentials a pod must not reach);
  - the warehouse port to the data subnets, for a service with warehouse access;
  - the service's declared ``egress`` rules (its peers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AWS_API_PORT",
    "LINK_LOCAL",
    "ServiceNetwork",
    "alb_source_cidrs",
    "aws_api_rules",
    "dns_rule",
    "warehouse_rule",
]

AWS_API_PORT = 443
LINK_LOCAL = "169.254.0.0/16"
"""The instance metadata service (169.254.169.254) and the other link-local services."""

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ServiceNetwork:
    """The VPC as a service's NetworkPolicy sees it: plain CIDRs (``Network.subnet_cidrs``)."""

    vpc_cidrs: Sequence[str]
    """The VPC's CIDR blocks (primary first)."""
    public_subnet_cidrs: Sequence[str]
    """Where an internet-facing ALB's nodes are."""
    private_subnet_cidrs: Sequence[str]
    """Where the nodes, the pods, the interface endpoints and an internal ALB's nodes are."""
    data_subnet_cidrs: Sequence[str]
    """Where the warehouse is."""
    warehouse_port: int | None = None
    """The warehouse port this service may reach (None: no warehouse access)."""

    def with_warehouse(self, port: int | None) -> ServiceNetwork:
        """The same network, with the warehouse port of one service (None: no access)."""
        return ServiceNetwork(
            self.vpc_cidrs, self.public_subnet_cidrs, self.private_subnet_cidrs, self.data_subnet_cidrs, port
        )


def alb_source_cidrs(network: ServiceNetwork, scheme: str) -> list[str]:
    """The subnets an ALB of ``scheme`` connects to its IP targets from."""
    return list(network.public_subnet_cidrs if scheme == "internet-facing" else network.private_subnet_cidrs)


def _blocks(cidrs: Sequence[str]) -> list[Manifest]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def dns_rule() -> Manifest:
    """DNS to CoreDNS (its pods carry ``k8s-app: kube-dns`` in ``kube-system``), UDP and TCP."""
    return {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }


def aws_api_rules(network: ServiceNetwork | None) -> list[Manifest]:
    """HTTPS to the AWS APIs: the interface endpoints (private subnets) and everything outside the
    VPC but link-local (S3's prefix list, public endpoints through NAT). Without ``network`` the VPC is
    unknown: 443 anywhere but link-local."""
    port = [{"port": AWS_API_PORT, "protocol": "TCP"}]
    if network is None:
        return [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [LINK_LOCAL]}}], "ports": port}]
    outside = {"ipBlock": {"cidr": "0.0.0.0/0", "except": [*network.vpc_cidrs, LINK_LOCAL]}}
    return [
        {"to": _blocks(network.private_subnet_cidrs), "ports": port},
        {"to": [outside], "ports": port},
    ]


def warehouse_rule(network: ServiceNetwork | None) -> Manifest | None:
    """The warehouse port to the data subnets (None: no warehouse access)."""
    if network is None or network.warehouse_port is None:
        return None
    return {
        "to": _blocks(network.data_subnet_cidrs),
        "ports": [{"port": network.warehouse_port, "protocol": "TCP"}],
    }
