"""Stack-wide checks of what a first ``pulumi up`` needs from the config: which AMI the nodes run.
Plain functions on the stack config (no registration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._validation import ConfigIssue

if TYPE_CHECKING:
    from .stack_config import StackConfig

__all__ = ["deploy_issues"]


def deploy_issues(config: StackConfig) -> list[ConfigIssue]:
    """Problems across sections: (prod) nodes on an unpinned AMI, a secret endpoint never set."""
    issues: list[ConfigIssue] = []
    cluster = config.cluster
    # (A public access CIDR can never be the VPC's own: NetworkSettings keeps the VPC in private
    # space and public_cidr_problem refuses private space, each with its reason.)
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
    for index, subscription in enumerate(config.operations.alerts.subscriptions):
        name = subscription.endpoint_secret
        if name is not None and name not in config.alert_endpoints:
            known = ", ".join(sorted(config.alert_endpoints)) or "none"
            issues.append(
                ConfigIssue(
                    f"operations.alerts.subscriptions[{index}].endpoint_secret",
                    name,
                    f"is not an entry of alert_endpoints ({known}); "
                    f"set it with pulumi config set --secret --path "
                    f"'dataplatform:alert_endpoints.{name}' <address>",
                )
            )
    return issues
