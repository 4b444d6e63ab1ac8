"""Settings of a service's entry: an ALB Ingress served by the AWS Load Balancer Controller."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import field_validator

from .._shared import DnsLabel
from .._validation import ConfigIssue, SettingsModel
from .settings_network import Cidr

if TYPE_CHECKING:
    from .settings import PipelineServiceSettings

__all__ = ["SSL_POLICY_PREFIX", "IngressSettings", "ingress_issues"]

SSL_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"
"""Only the TLS 1.3 policies (TLS 1.2 at the lowest): the older ones still offer TLS 1.0/1.1 or CBC
ciphers (ELB user guide, "Security policies for your Application Load Balancer")."""

_ACM_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_WAF_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[\w-]+/[0-9a-f-]{36}$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class IngressSettings(SettingsModel):
    """An Application Load Balancer in front of the service: HTTPS only, IP targets (the ALB sends
    to the pods' IPs, which the service's NetworkPolicy admits from the ALB's subnets)."""

    scheme: Literal["internal", "internet-facing"] = "internal"
    """``internal`` (default): reachable from the VPC and what is routed to it (VPN, peering);
    ``internet-facing``: a public ALB in the public subnets."""
    certificate_arn: str
    """The ACM certificate of the HTTPS listener (``arn:aws:acm:<region>:<account>:certificate/<id>``,
    in the stack's region); there is no HTTP listener."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    """The listener's TLS policy: one of the ``ELBSecurityPolicy-TLS13-*`` policies (the default is
    the one AWS recommends: TLS 1.3 and 1.2, hybrid post-quantum key exchange)."""
    host: str | None = None
    """The host name the rule matches (e.g. ``ingest.example.com``); unset: any host."""
    path: str = "/"
    """The path prefix routed to the service."""
    waf_acl_arn: str | None = None
    """A regional WAFv2 web ACL to associate with the ALB (``...:regional/webacl/<name>/<id>``)."""
    inbound_cidrs: list[Cidr] | None = None
    """Who may connect to the ALB (its security group). Unset: the VPC's CIDR blocks when internal,
    everyone (``0.0.0.0/0``) when internet-facing."""
    group: DnsLabel | None = None
    """An IngressGroup name: Ingresses of one group share one ALB (unset: an ALB of its own)."""

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str) -> str:
        if not _ACM_ARN.match(value):
            raise ValueError(
                "is not an ACM certificate ARN; use arn:aws:acm:<region>:<account>:certificate/<uuid> "
                "(request or import it in ACM first)"
            )
        return value

    @field_validator("ssl_policy")
    @classmethod
    def _ssl_policy(cls, value: str) -> str:
        if not value.startswith(SSL_POLICY_PREFIX):
            raise ValueError(
                f"allows TLS older than 1.2 or legacy ciphers; use an {SSL_POLICY_PREFIX}* policy such as "
                "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
            )
        return value

    @field_validator("waf_acl_arn")
    @classmethod
    def _waf(cls, value: str | None) -> str | None:
        if value is not None and not _WAF_ARN.match(value):
            raise ValueError(
                "is not a regional WAFv2 web ACL ARN; use arn:aws:wafv2:<region>:<account>:regional/webacl/"
                "<name>/<id> (an ALB takes a REGIONAL web ACL, not a CLOUDFRONT one)"
            )
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and not _HOST.match(value):
            raise ValueError("is not a DNS name; write e.g. ingest.example.com (lowercase, no scheme)")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or " " in value:
            raise ValueError("write an absolute path prefix such as '/' or '/v1'")
        return value


def ingress_issues(settings: PipelineServiceSettings) -> list[ConfigIssue]:
    """An Ingress routes to the service's Service: a Deployment with a port."""
    if settings.ingress is None:
        return []
    if settings.kind != "deployment":
        return [
            ConfigIssue(
                "ingress",
                "set",
                f"a {settings.kind} serves no requests; only kind: deployment takes an ingress",
            )
        ]
    if settings.port is None:
        return [ConfigIssue("ingress", "set", "routes to the service's port, and none is set; set port")]
    return []
