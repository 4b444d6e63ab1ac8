"""The delta between two estimates: per resource (by URN) and in total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Estimate


@dataclass(frozen=True)
class ResourceDelta:
    urn: str
    type: str
    name: str
    change: str
    """``added``, ``removed`` or ``changed``."""
    before_usd: float
    after_usd: float

    @property
    def delta_usd(self) -> float:
        return round(self.after_usd - self.before_usd, 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "change": self.change,
            "before_usd": self.before_usd,
            "after_usd": self.after_usd,
            "delta_usd": self.delta_usd,
        }


@dataclass(frozen=True)
class Delta:
    before: Estimate
    after: Estimate
    base_label: str
    resources: tuple[ResourceDelta, ...]

    @property
    def delta_usd(self) -> float:
        return round(self.after.monthly_total_usd - self.before.monthly_total_usd, 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base_label,
            "before_monthly_usd": self.before.monthly_total_usd,
            "after_monthly_usd": self.after.monthly_total_usd,
            "delta_monthly_usd": self.delta_usd,
            "resources": [r.to_json() for r in self.resources],
        }


def compare(before: Estimate, after: Estimate, base_label: str = "base") -> Delta:
    """What changes from ``before`` to ``after``; resources whose monthly cost is unchanged are left out.

    Resources are matched by URN without its stack part (so two stacks of a project compare too); a
    renamed resource shows as removed + added, as Pulumi would replace it."""
    old = {_key(r.urn): r for r in before.resources}
    new = {_key(r.urn): r for r in after.resources}
    rows = []
    for key, resource in new.items():
        urn = resource.urn
        if key not in old:
            rows.append(ResourceDelta(urn, resource.type, resource.name, "added", 0.0, resource.monthly_usd))
        elif old[key].monthly_usd != resource.monthly_usd:
            rows.append(
                ResourceDelta(
                    urn, resource.type, resource.name, "changed", old[key].monthly_usd, resource.monthly_usd
                )
            )
    for key, resource in old.items():
        if key not in new:
            rows.append(
                ResourceDelta(
                    resource.urn, resource.type, resource.name, "removed", resource.monthly_usd, 0.0
                )
            )
    rows.sort(key=lambda r: (-abs(r.delta_usd), r.urn))
    return Delta(before, after, base_label, tuple(rows))


def _key(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<type chain>::<name>
    return urn.split("::", 1)[1] if "::" in urn else urn
