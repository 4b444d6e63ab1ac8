"""Which Kubernetes versions each chart and add-on version supports, and the check a setting must pass.

The table is ``policies/kubernetes_versions.json`` (with a source per row): the policy pack reads the
same file for ``chart-version-support``, so the stack config and the pack never disagree, and
neither imports the other (the pack runs alone under the Pulumi CLI). Installed, the file is
``dataplatform/policies/kubernetes_versions.json``, beside ``dataplatform/components``, so the same
relative path finds it in both layouts.

The EBS CSI driver and the CloudWatch observability add-on have no upstream table: EKS publishes, per
add-on build, the cluster versions it runs on, and an unpinned add-on is resolved by EKS for the
cluster's version (``aws.eks.get_addon_version(kubernetes_version=..., most_recent=True)``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

__all__ = ["TABLE_PATH", "chart_support_problem", "minor_of", "table"]

TABLE_PATH = Path(__file__).resolve().parents[2] / "policies" / "kubernetes_versions.json"
"""The one table of supported versions (read, never imported)."""

_NAMES = {"karpenter": "Karpenter", "keda": "KEDA", "metrics-server": "metrics-server"}


@functools.cache
def table() -> dict[str, Any]:
    """The parsed table (read once)."""
    loaded: dict[str, Any] = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    return loaded


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def minor_of(version: str) -> str:
    """``"2.20.2"`` / ``"v0.8.0-eksbuild.2"`` -> ``"2.20"`` / ``"0.8"``."""
    core = version.lstrip("v").split("-", 1)[0]
    return ".".join(core.split(".")[:2])


def chart_support_problem(product: str, version: str, kubernetes: str) -> str | None:
    """Why ``product`` (``karpenter``, ``keda``, ``metrics-server``) at ``version`` does not support
    Kubernetes ``kubernetes`` according to the table (naming both versions and the fix), or None."""
    row = table()["charts"][product]
    name = _NAMES[product]
    source = row["source"].split(" ", 1)[0]
    if row["rule"] == "minimum":
        minimum = row["minimum"].get(kubernetes)
        if minimum is None:
            return (
                f"{name}'s compatibility table has no row for Kubernetes {kubernetes} "
                f"(policies/kubernetes_versions.json, from {source}); use a Kubernetes version it lists "
                f"({', '.join(row['minimum'])}) or add the row from the source"
            )
        if _key(version) < _key(minimum):
            return (
                f"{name} {version} does not support Kubernetes {kubernetes}: it needs {name} >= {minimum} "
                f"({source}); raise the {name} version or lower kubernetes_version"
            )
        return None
    minor = minor_of(version)
    if row["rule"] == "range":
        ranges: dict[str, list[str]] = row["range"]
        fits = [m for m, (low, high) in ranges.items() if _key(low) <= _key(kubernetes) <= _key(high)]
        hint = f"use {name} {' or '.join(fits)}.x" if fits else "use a Kubernetes version the table lists"
        if minor not in ranges:
            return (
                f"{name} {version} is not in the compatibility table (policies/kubernetes_versions.json, "
                f"from {source}); {hint}, or add its row from the source"
            )
        low, high = ranges[minor]
        if not _key(low) <= _key(kubernetes) <= _key(high):
            return (
                f"{name} {version} is tested on Kubernetes {low}-{high}, not {kubernetes} ({source}); "
                f"{hint} or change kubernetes_version"
            )
        return None
    starts: dict[str, str] = row["from"]
    if minor not in starts:
        return (
            f"{name} {version} is not in the compatibility table (policies/kubernetes_versions.json, "
            f"from {source}); pin a listed minor ({', '.join(starts)}) or add its row"
        )
    if _key(kubernetes) < _key(starts[minor]):
        return (
            f"{name} {version} needs Kubernetes {starts[minor]} or later, not {kubernetes} ({source}); "
            "pin an older metrics-server or raise kubernetes_version"
        )
    return None
