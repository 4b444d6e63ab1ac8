"""The pricing model: resource records + usage + the price table -> line items. Pure functions.

Every resource of a run ends in exactly one of three places:

- **priced**: one or more line items (``item, quantity, unit, unit_usd, monthly_usd``);
- **free by AWS pricing**: AWS bills nothing for the resource itself (IAM, route tables, security
  groups, tags and other pure configuration, components and providers, Kubernetes objects that run
  on nodes priced elsewhere). When such a resource causes a cost, the reason names where it is priced
  (a launch template's volumes are lines of the node group that uses it);
- **not priced**: AWS bills it, but this model has no price for it. Listed with its count, so the
  total is known to be short, never silently.

The model reads resources as :class:`Resource` (what both a recorded run and a ``preview --json``
plan hold), so a plan file from another branch is priced exactly like a live run.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .prices import PriceError, PriceTable, RegionPrices
from .usage import Usage

STACK_TYPE = "pulumi:pulumi:Stack"
MISSING_PRICE = "missing price"
"""How a not-priced reason starts when the table lacks a figure the model needs."""


@dataclass(frozen=True)
class Resource:
    """One resource as the pricing model sees it (wire-shape camelCase inputs)."""

    urn: str
    type: str
    name: str
    parent: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider: str | None = None
    """``<provider urn>::<id>``, as the engine records it."""


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit: str
    unit_usd: float

    @property
    def monthly_usd(self) -> float:
        return round(self.quantity * self.unit_usd, 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_usd": self.unit_usd,
            "monthly_usd": self.monthly_usd,
        }


@dataclass(frozen=True)
class Free:
    reason: str


@dataclass(frozen=True)
class NotPriced:
    reason: str


Outcome = list[Line] | Free | NotPriced


@dataclass(frozen=True)
class PricedResource:
    urn: str
    type: str
    name: str
    component: str
    """The top-level component (or resource) it belongs to: the text report's groups."""
    region: str
    lines: tuple[Line, ...]

    @property
    def monthly_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "monthly_usd": self.monthly_usd,
            "lines": [line.to_json() for line in self.lines],
        }


@dataclass(frozen=True)
class Unpriced:
    type: str
    status: str
    """``not priced`` (AWS bills it; the total lacks it) or ``free`` (AWS bills nothing for it)."""
    reason: str
    names: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.names)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": self.status,
            "count": self.count,
            "reason": self.reason,
            "names": list(self.names),
        }


@dataclass
class Estimate:
    project: str
    stack: str
    region: str
    price_date: str
    resources: list[PricedResource]
    unpriced: list[Unpriced]
    assumptions: list[str]
    currency: str = "USD"

    @property
    def monthly_total_usd(self) -> float:
        return round(sum(r.monthly_usd for r in self.resources), 2)

    @property
    def not_priced(self) -> list[Unpriced]:
        return [u for u in self.unpriced if u.status == "not priced"]

    @property
    def missing_prices(self) -> list[Unpriced]:
        """Resources the model prices, whose figure the table lacks (an instance type, a region):
        the estimate is incomplete and a budget cannot be judged on it."""
        return [u for u in self.not_priced if u.reason.startswith(MISSING_PRICE)]

    def top_drivers(self, count: int = 5) -> list[PricedResource]:
        ranked = sorted(self.resources, key=lambda r: (-r.monthly_usd, r.urn))
        return [r for r in ranked[:count] if r.monthly_usd > 0]

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "region": self.region,
            "price_date": self.price_date,
            "monthly_total_usd": self.monthly_total_usd,
            "resources": [r.to_json() for r in self.resources],
            "unpriced": [u.to_json() for u in self.unpriced],
            "assumptions": list(self.assumptions),
        }


class Context:
    """What a pricer sees: the region's prices, the usage, the other resources, the assumptions."""

    def __init__(
        self,
        resources: Sequence[Resource],
        usage: Usage,
        table: PriceTable,
        today: datetime.date,
        assumptions: list[str],
    ) -> None:
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self.usage = usage
        self.table = table
        self.today = today
        self._assumptions = assumptions
        self.prices: RegionPrices

    @property
    def hours(self) -> float:
        return self.usage.hours_per_month

    def assume(self, text: str) -> None:
        if text not in self._assumptions:
            self._assumptions.append(text)

    def dependency(self, resource: Resource, prop: str, type_: str) -> Resource | None:
        """The resource of ``type_`` that ``resource``'s input ``prop`` came from, if any."""
        for urn in resource.property_dependencies.get(prop, ()):
            found = self.by_urn.get(urn)
            if found is not None and found.type == type_:
                return found
        return None

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]


Pricer = Callable[[Resource, Context], Outcome]

PRICERS: dict[str, Pricer] = {}
"""Type token -> the function that prices it."""

FREE: dict[str, str] = {}
"""Type token -> why AWS bills nothing for it."""

FREE_PREFIXES: dict[str, str] = {}
"""Type-token prefix -> why (``pulumi:providers:``, ``dataplatform:``, ``kubernetes:``...)."""


def prices(*types: str) -> Callable[[Pricer], Pricer]:
    def register(function: Pricer) -> Pricer:
        for type_ in types:
            PRICERS[type_] = function
        return function

    return register


def classify(type_: str) -> str:
    """``priced``, ``free`` or ``not priced``: where a type lands before looking at its inputs."""
    if type_ in PRICERS:
        return "priced"
    if type_ in FREE or any(type_.startswith(p) for p in FREE_PREFIXES):
        return "free"
    return "not priced"


def _free_reason(type_: str) -> str | None:
    if type_ in FREE:
        return FREE[type_]
    for prefix, reason in FREE_PREFIXES.items():
        if type_.startswith(prefix):
            return reason
    return None


def _component_of(resource: Resource, by_urn: Mapping[str, Resource]) -> str:
    current = resource
    seen = set()
    while current.parent and current.parent in by_urn and current.parent not in seen:
        seen.add(current.parent)
        current = by_urn[current.parent]
    return current.name


def _provider_regions(resources: Iterable[Resource]) -> dict[str, str]:
    return {
        r.urn: str(r.inputs["region"])
        for r in resources
        if r.type == "pulumi:providers:aws" and isinstance(r.inputs.get("region"), str)
    }


def estimate(
    resources: Sequence[Resource],
    *,
    region: str,
    usage: Usage | None = None,
    table: PriceTable | None = None,
    project: str = "",
    stack: str = "",
    today: datetime.date | None = None,
) -> Estimate:
    """Price ``resources`` (a stack's, in ``region`` unless their AWS provider sets another one).

    Never aborts and never prices a missing figure at zero: a resource whose price is missing (a
    region or an instance type the table lacks) is listed as not priced, with the reason and the
    count, as Infracost lists the resources it skipped; the total is then known to be short
    (:attr:`Estimate.incomplete`).
    """
    usage = usage or Usage()
    table = table or PriceTable.load()
    day = today or usage.as_of or datetime.datetime.now(datetime.UTC).date()
    assumptions: list[str] = [
        f"AWS on-demand list prices of {table.price_date} ({table.source}), USD, without free tiers, "
        "taxes, Savings Plans or Reserved Instances; data transfer out is not included",
        f"{usage.hours_per_month:g} hours per month ({usage.origin('hours_per_month')})",
    ]
    ctx = Context(resources, usage, table, day, assumptions)
    provider_regions = _provider_regions(resources)
    priced: list[PricedResource] = []
    groups: dict[tuple[str, str, str], list[str]] = {}
    for resource in resources:
        if resource.type == STACK_TYPE:
            continue
        provider_urn = (resource.provider or "").rsplit("::", 1)[0]
        where = provider_regions.get(provider_urn, region)
        pricer = PRICERS.get(resource.type)
        outcome: Outcome
        if pricer is not None:
            try:
                ctx.prices = table.region(where)
                outcome = pricer(resource, ctx)
            except PriceError as error:
                outcome = NotPriced(f"{MISSING_PRICE}: {error}")
        else:
            reason = _free_reason(resource.type)
            outcome = Free(reason) if reason is not None else NotPriced("no price in this model yet")
        if isinstance(outcome, list):
            component = _component_of(resource, ctx.by_urn)
            priced.append(
                PricedResource(resource.urn, resource.type, resource.name, component, where, tuple(outcome))
            )
        else:
            status = "free" if isinstance(outcome, Free) else "not priced"
            groups.setdefault((resource.type, status, outcome.reason), []).append(resource.name)
    unpriced = [
        Unpriced(type_, status, reason, tuple(names))
        for (type_, status, reason), names in sorted(
            groups.items(), key=lambda item: (item[0][1] != "not priced", item[0][0], item[0][2])
        )
    ]
    return Estimate(
        project=project,
        stack=stack,
        region=region,
        price_date=table.price_date,
        resources=priced,
        unpriced=unpriced,
        assumptions=assumptions,
        currency=table.currency,
    )


# --------------------------------------------------------------------------- sources of resources


def from_records(records: Iterable[Any]) -> list[Resource]:
    """Resources from the engine's :class:`~dpengine.engine.ResourceRecord` list."""
    return [
        Resource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            parent=r.parent,
            inputs=r.inputs,
            property_dependencies=r.property_dependencies,
            provider=r.provider,
        )
        for r in records
    ]


def from_plan(plan: Mapping[str, Any]) -> list[Resource]:
    """Resources from a ``preview --json`` plan (``steps[].newState``)."""
    resources = []
    for step in plan.get("steps", []):
        state = step.get("newState") or {}
        urn = state.get("urn") or step.get("urn")
        if not urn or state.get("type") == STACK_TYPE:
            continue
        resources.append(
            Resource(
                urn=urn,
                type=str(state.get("type", "")),
                name=urn.rsplit("::", 1)[-1],
                parent=state.get("parent") or None,
                inputs=state.get("inputs") or {},
                property_dependencies=state.get("propertyDependencies") or {},
                provider=state.get("provider") or step.get("provider"),
            )
        )
    return resources
