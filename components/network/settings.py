"""What a :class:`~components.network.Network` is configured with: settings, wiring and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
from pydantic import field_validator, model_validator

from .._shared import LogRetentionDays, kms_key_arn_problem
from .._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from ..tags import validate_tags
from .layout import (
    endpoint_issues,
    extra_cidr_issues,
    nat_gateway_count,
    subnet_plan,
    subnet_tags,
    vpc_cidr_problem,
    vpc_size_problem,
)

__all__ = ["MAX_AZS", "MIN_AZS", "NatMode", "NetworkArgs", "NetworkSettings", "check_args"]

NatMode = Literal["none", "single", "per_az"]
MIN_AZS = 2
"""EKS and RDS need subnets in at least 2 AZs."""
MAX_AZS = 6
"""No region has more than 6 AZs."""


class NetworkSettings(SettingsModel):
    """The VPC: CIDR, availability zones, NAT gateways, endpoints and flow logs."""

    cidr: str = "10.0.0.0/16"
    """The VPC's primary IPv4 CIDR block: /16 to /28, from a private range. Subnets of all
    three tiers are carved from it; public and data subnets must come out /27 or larger
    (2 AZs: /23 or larger; 3-4 AZs: /22; 5-6 AZs: /21)."""
    az_count: int = 3
    """Availability zones to span, 2 to 6 (the region's first zones in name order). EKS and
    RDS need at least 2; a cheap dev network keeps 2 and sets ``nat_gateways: single``."""
    nat_gateways: NatMode = "per_az"
    """Outbound internet for the private tier: ``per_az`` (one NAT gateway per AZ, no
    cross-AZ dependency: prod), ``single`` (one NAT gateway for every AZ: dev) or ``none``
    (no internet from private subnets; add interface endpoints for the AWS APIs they need)."""
    interface_endpoints: list[str] = []
    """Interface VPC endpoints to create in the private subnets, by service short name
    (``ecr.api``, ``ecr.dkr``, ``sts``, ``logs``...). Each costs per AZ and hour."""
    extra_cidrs: list[str] = []
    """Secondary IPv4 CIDR blocks to associate with the VPC (e.g. ``100.64.0.0/16`` for EKS
    pod networking); no subnets are carved from them. They must not overlap the primary
    block or each other, nor come from another RFC 1918 range than the primary."""
    map_public_ip_on_launch: bool = False
    """Give instances launched in the public subnets a public IPv4 address. Off: load
    balancers and NAT gateways get theirs anyway; nothing else should be reachable."""
    flow_logs: bool = True
    """Record VPC flow logs (all traffic) to an encrypted CloudWatch log group."""
    flow_logs_retention_days: LogRetentionDays = 365
    """Days the flow logs are kept; one of CloudWatch's periods (1, 3, 5, 7, 14, 30, 60, 90,
    120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."""
    flow_logs_max_aggregation_interval: Literal[60, 600] = 600
    """Seconds over which a flow is aggregated into one record: 60 or 600."""
    deletion_protection: bool = True
    """Protect the flow-log group and the key made for it: Pulumi ``protect`` and
    ``retain_on_delete``, and the log group's own deletion protection. Dev sets it false."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        problem = vpc_cidr_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("az_count")
    @classmethod
    def _az_count(cls, value: int) -> int:
        if not MIN_AZS <= value <= MAX_AZS:
            raise ValueError(
                f"must be {MIN_AZS} to {MAX_AZS}: EKS and RDS need subnets in at least {MIN_AZS} AZs and no "
                f"region has more than {MAX_AZS}; for a cheap dev network use {MIN_AZS} with "
                "nat_gateways: single"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> NetworkSettings:
        issues: list[ConfigIssue] = []
        too_small = vpc_size_problem(self.cidr, self.az_count)
        if too_small:
            issues.append(ConfigIssue("cidr", self.cidr, too_small))
        issues += extra_cidr_issues(self.cidr, self.extra_cidrs)
        issues += endpoint_issues(self.interface_endpoints)
        if issues:
            raise CrossFieldError(issues)
        return self

    def subnet_plan(self) -> dict[str, list[str]]:
        """The subnet CIDRs of each tier, one per AZ (see :func:`~components.network.subnet_plan`)."""
        return subnet_plan(self.cidr, self.az_count)

    @property
    def nat_gateway_count(self) -> int:
        """NAT gateways this network makes: none, one, or one per AZ."""
        return nat_gateway_count(self.nat_gateways, self.az_count)


@dataclass(frozen=True)
class NetworkArgs:
    """Settings, tags and wiring of a :class:`~components.network.Network`."""

    settings: NetworkSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child."""
    private_subnet_tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags on the private subnets, e.g. ``EksClusterSettings.subnet_discovery_tags`` so
    Karpenter launches nodes there; they may not override the tier tags."""
    flow_logs_kms_key_arn: pulumi.Input[str] | None = None
    """A KMS key ARN for the flow-log group; one is created when omitted. A key passed in
    must let ``logs.<region>.amazonaws.com`` use it for this log group."""


def check_args(args: NetworkArgs) -> dict[str, str]:
    """Every wiring check, before anything is registered; the validated tags."""
    if not isinstance(args.settings, NetworkSettings):
        raise InvalidConfigError(
            [
                ConfigIssue(
                    "args.settings",
                    type(args.settings).__name__,
                    "must be a NetworkSettings; build it with NetworkSettings(...) "
                    "or NetworkSettings.parse(...)",
                )
            ],
            subject="NetworkArgs",
        )
    tags = validate_tags(args.tags)
    key = args.flow_logs_kms_key_arn
    issues: list[ConfigIssue] = []
    key_problem = kms_key_arn_problem(key)
    if key is not None and not args.settings.flow_logs:
        issues.append(
            ConfigIssue(
                "args.flow_logs_kms_key_arn",
                key if isinstance(key, str) else "<output>",
                "flow_logs is false, so the key would be unused; drop it or set flow_logs: true",
            )
        )
    elif key_problem:
        issues.append(
            ConfigIssue(
                "args.flow_logs_kms_key_arn", key, f"{key_problem}: CloudWatch Logs only accepts key ARNs"
            )
        )
    clash = sorted(set(args.private_subnet_tags) & (set(subnet_tags("private")) | set(tags)))
    if clash:
        issues.append(
            ConfigIssue(
                "args.private_subnet_tags",
                clash,
                "would override the stack's or the tier's own tags; use other keys",
            )
        )
    if issues:
        raise InvalidConfigError(issues, subject="NetworkArgs")
    return tags
