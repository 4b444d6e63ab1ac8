"""Helm: the values a chart is installed with do not ask for privileged or host-level pods.

A chart from a repository or registry is rendered by Helm at deploy time (inside the provider for a
``helm.v3.Release``, by the provider plugin for a ``helm.v4.Chart``): offline its templates cannot
be fetched, so the objects it creates cannot be checked (the check lists such a chart as "not
evaluated: remote chart"). What the program does decide is the values, and most charts spell the
settings that matter with Kubernetes' own field names (``securityContext.privileged``,
``hostNetwork``, ``image.tag``). This rule reads those names anywhere in the values: a setting a
chart spells differently is not seen, which is why the chart itself stays listed as not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_to, resource_policy, truthy

DOMAIN = "kubernetes"

CHART_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")

_HOST_LEVEL = ("privileged", "hostNetwork", "hostPID", "hostIPC", "allowPrivilegeEscalation")
# The capabilities Pod Security Standards' baseline forbids adding beyond its default set that
# matter most: each is close to root on the node.
_DANGEROUS_CAPABILITIES = frozenset({"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_RAW"})


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
            yield path, str(key), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def findings(values: Any) -> list[str]:
    """What the values ask for that a policy on the rendered objects would refuse (paths and settings)."""
    found: list[str] = []
    for parent, key, item in _walk(values, ""):
        where = f"{parent}.{key}" if parent else key
        if item is UNKNOWN:
            continue
        if key in _HOST_LEVEL and truthy(item) is True:
            found.append(f"{where} is true")
        elif key == "tag" and isinstance(item, str) and item.strip().lower() == "latest":
            found.append(f"{where} is 'latest' (a mutable tag: pin a version or a digest)")
        elif key == "image" and isinstance(item, str) and item.rsplit("/", 1)[-1].endswith(":latest"):
            found.append(f"{where} {item!r} uses the mutable 'latest' tag")
        elif key == "add" and parent.endswith("capabilities") and isinstance(item, list):
            added = sorted({str(c).upper() for c in item if isinstance(c, str)} & _DANGEROUS_CAPABILITIES)
            if added:
                found.append(f"{where} adds {', '.join(added)}")
        elif key == "hostPath" and isinstance(item, dict) and str(item.get("path", "")).rstrip("/") == "":
            found.append(f"{where} mounts the node's root filesystem")
    return sorted(found)


@resource_policy(
    "helm-values-insecure",
    domain=DOMAIN,
    description="Helm chart values do not ask for privileged or host-level pods, dangerous capabilities or "
    "mutable ':latest' images.",
    severity=Severity.HIGH,
    remediation="Remove privileged/hostNetwork/hostPID/hostIPC/allowPrivilegeEscalation from the chart's "
    "values, add no capabilities, and pin image tags; if the chart needs one of them, exempt the release "
    "with the reason.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*CHART_TYPES)
def helm_values_insecure(ctx: ResourceContext) -> None:
    values = ctx.props.get("values")
    if values is UNKNOWN or not isinstance(values, dict):
        return
    for finding in findings(values):
        ctx.report(f"'{ctx.name}' values: {finding}")


POLICIES = [helm_values_insecure]
