"""Checks across the services of a stack about their traffic (pure; the stack config runs them
before anything is registered).

- An ``ingress`` needs a controller that serves its class: the AWS Load Balancer Controller on the
  cluster (``cluster.load_balancer_controller``). Without it the Ingress is stored and nothing ever
  makes the ALB.
- A namespace a NetworkPolicy names (``monitoring_namespace``, an ``allow_from`` or ``egress``
  peer's ``namespace``) must be one the stack has: a service's, or one the cluster runtime makes.
  A rule for a namespace that does not exist admits nobody, and a namespace made later under that
  name would be admitted without anyone having decided it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .._validation import ConfigIssue

if TYPE_CHECKING:
    from .settings import PipelineServiceSettings

__all__ = ["traffic_stack_issues"]


def _named_namespaces(service: PipelineServiceSettings) -> list[tuple[str, str]]:
    """(key path, namespace) of every namespace the service's NetworkPolicy names."""
    policy = service.network_policy
    found: list[tuple[str, str]] = []
    if policy.monitoring_namespace is not None:
        found.append(("network_policy.monitoring_namespace", policy.monitoring_namespace))
    for index, peer in enumerate(policy.allow_from):
        if peer.namespace is not None:
            found.append((f"network_policy.allow_from[{index}].namespace", peer.namespace))
    for index, rule in enumerate(policy.egress or []):
        for position, peer in enumerate(rule.peers):
            if peer.namespace is not None:
                found.append((f"network_policy.egress[{index}].peers[{position}].namespace", peer.namespace))
    return found


def traffic_stack_issues(
    services: Sequence[PipelineServiceSettings],
    *,
    load_balancer_controller: bool,
    runtime_namespaces: Iterable[str],
    prefix: str = "services",
) -> list[ConfigIssue]:
    """Every ingress has its controller; every namespace a policy names exists in the stack
    (``runtime_namespaces``: the ones the cluster makes, ``kube-system`` included)."""
    issues: list[ConfigIssue] = []
    known = {s.namespace_name for s in services} | set(runtime_namespaces)
    for index, service in enumerate(services):
        where = f"{prefix}[{index}]"
        if service.ingress is not None and not load_balancer_controller:
            issues.append(
                ConfigIssue(
                    f"{where}.ingress",
                    "set",
                    "no controller would make its ALB; turn on cluster.load_balancer_controller ({}), or "
                    "drop ingress",
                )
            )
        for path, namespace in _named_namespaces(service):
            if namespace not in known:
                issues.append(
                    ConfigIssue(
                        f"{where}.{path}",
                        namespace,
                        f"the stack has no such namespace (it has {', '.join(sorted(known))}); name one of "
                        "them, or deploy what runs there from this stack first",
                    )
                )
    return issues
