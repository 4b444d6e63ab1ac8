"""Stack-wide checks of what a first ``pulumi up`` needs from the config: who reaches the API, and
which AMI the nodes run. Plain functions on the stack config (no registration)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ._validation import ConfigIssue

if TYPE_CHECKING:
    from .stack_config import StackConfig

__all__ = ["deploy_issues"]


def deploy_issues(config: StackConfig) -> list[ConfigIssue]:
    """Problems across sections: a public access CIDR inside the VPC, and (prod) an unpinned node AMI."""
    issues: list[ConfigIssue] = []
    cluster = config.cluster
    vpc = ipaddress.IPv4Network(config.network.cidr)
    for index, cidr in enumerate(cluster.public_access_cidrs):
        if ipaddress.IPv4Network(cidr).overlaps(vpc):
            issues.append(
                ConfigIssue(
                    f"cluster.public_access_cidrs[{index}]",
                    cidr,
                    f"overlaps the VPC's own CIDR ({vpc}): hosts in the VPC use the private endpoint, the "
                    "public one never sees them; list the deployer's public egress",
                )
            )
    if config.environment == "prod" and cluster.karpenter is not None:
        alias = cluster.karpenter.ami_alias
        if alias.endswith("@latest"):
            issues.append(
                ConfigIssue(
                    "cluster.karpenter.ami_alias",
                    alias,
                    "prod nodes must run a pinned AMI release (latest replaces every node the day AWS "
                    "publishes one); pin a dated alias such as 'al2023@v20260714' (Karpenter's "
                    "amiSelectorTerms alias, family@version) and move it on purpose",
                )
            )
    return issues
