"""Reports of an estimate: text (like the rest of the CLI), JSON, markdown (a pull request's job summary)."""

from __future__ import annotations

import json

from .compare import Delta
from .model import Estimate, PricedResource

FORMATS = ("text", "json", "markdown")


def money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def signed(value: float) -> str:
    return f"+{money(value)}" if value > 0 else money(value)


def _unit(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return f"${text}"


def _quantity(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _groups(estimate: Estimate) -> list[tuple[str, list[PricedResource]]]:
    groups: dict[str, list[PricedResource]] = {}
    for resource in estimate.resources:
        groups.setdefault(resource.component, []).append(resource)
    return sorted(groups.items(), key=lambda item: (-sum(r.monthly_usd for r in item[1]), item[0]))


def _share(part: float, total: float) -> str:
    return f"{part / total:.0%}" if total else "-"


def render_text(estimate: Estimate, delta: Delta | None = None) -> str:
    total = estimate.monthly_total_usd
    out = [
        f"Monthly cost estimate of stack '{estimate.stack}' (project '{estimate.project}'), "
        f"{estimate.region}, "
        f"AWS on-demand prices of {estimate.price_date} (offline; {estimate.currency})",
        "",
    ]
    for component, resources in _groups(estimate):
        subtotal = round(sum(r.monthly_usd for r in resources), 2)
        out.append(f"{component}  {money(subtotal)}")
        for resource in sorted(resources, key=lambda r: (-r.monthly_usd, r.urn)):
            region = "" if resource.region == estimate.region else f" [{resource.region}]"
            out.append(f"    {resource.name} ({resource.type}){region}  {money(resource.monthly_usd)}")
            for line in resource.lines:
                out.append(
                    f"        {line.item}: {_quantity(line.quantity)} {line.unit} x {_unit(line.unit_usd)}"
                    f" = {money(line.monthly_usd)}"
                )
        out.append("")
    out.append(f"Total: {money(total)} per month")
    missing = sum(u.count for u in estimate.missing_prices)
    if missing:
        out.append(f"INCOMPLETE: {missing} resource(s) not priced for a missing price (listed below)")
    drivers = estimate.top_drivers()
    if drivers:
        out += ["", "Top cost drivers:"]
        for index, resource in enumerate(drivers, 1):
            out.append(
                f"  {index}. {resource.name} ({resource.type}): {money(resource.monthly_usd)} "
                f"({_share(resource.monthly_usd, total)})"
            )
    not_priced = estimate.not_priced
    out += [
        "",
        f"Not priced (AWS bills these; the total leaves them out): {sum(u.count for u in not_priced)}",
    ]
    for item in not_priced:
        out.append(f"  {item.count:>4}  {item.type}: {item.reason} ({', '.join(item.names)})")
    free = [u for u in estimate.unpriced if u.status == "free"]
    out += ["", f"Free by AWS pricing (no charge for the resource itself): {sum(u.count for u in free)}"]
    for item in free:
        out.append(f"  {item.count:>4}  {item.type}: {item.reason}")
    out += ["", "Assumptions:"] + [f"  - {a}" for a in estimate.assumptions]
    if delta is not None:
        out += ["", *_delta_text(delta)]
    return "\n".join(out) + "\n"


def _delta_text(delta: Delta) -> list[str]:
    out = [
        f"Compared with {delta.base_label}: {money(delta.before.monthly_total_usd)} -> "
        f"{money(delta.after.monthly_total_usd)} per month ({signed(delta.delta_usd)})"
    ]
    if not delta.resources:
        out.append("  no resource changes cost")
    for row in delta.resources:
        out.append(
            f"  {row.change:<8} {row.name} ({row.type}): {money(row.before_usd)} -> {money(row.after_usd)} "
            f"({signed(row.delta_usd)})"
        )
    return out


def render_json(estimate: Estimate, delta: Delta | None = None) -> str:
    data = estimate.to_json()
    if delta is not None:
        data["compare"] = delta.to_json()
    return json.dumps(data, indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(estimate: Estimate, delta: Delta | None = None) -> str:
    total = estimate.monthly_total_usd
    out = [f"### Cost estimate: stack `{estimate.stack}`: {money(total)} per month", ""]
    if delta is not None:
        out += [
            f"**{signed(delta.delta_usd)} per month** against {delta.base_label} "
            f"({money(delta.before.monthly_total_usd)} -> {money(delta.after.monthly_total_usd)})",
            "",
        ]
        if delta.resources:
            out += [
                "| change | resource | type | before | after | delta |",
                "| --- | --- | --- | ---: | ---: | ---: |",
            ]
            for row in delta.resources:
                out.append(
                    f"| {row.change} | `{_md(row.name)}` | `{row.type}` | {money(row.before_usd)} | "
                    f"{money(row.after_usd)} | {signed(row.delta_usd)} |"
                )
            out.append("")
    out += [
        f"{estimate.region}, AWS on-demand prices of {estimate.price_date} (USD), offline, "
        "from the same run as "
        "`dataplatform preview`.",
        "",
        "| component | monthly | share |",
        "| --- | ---: | ---: |",
    ]
    for component, resources in _groups(estimate):
        subtotal = round(sum(r.monthly_usd for r in resources), 2)
        out.append(f"| `{_md(component)}` | {money(subtotal)} | {_share(subtotal, total)} |")
    out += [f"| **total** | **{money(total)}** | |", "", "**Top cost drivers**", ""]
    for index, resource in enumerate(estimate.top_drivers(), 1):
        out.append(f"{index}. `{_md(resource.name)}` (`{resource.type}`): {money(resource.monthly_usd)}")
    not_priced = estimate.not_priced
    out += [
        "",
        f"**Not priced** (AWS bills these; the total leaves them out): {sum(u.count for u in not_priced)}",
    ]
    out += [f"- `{u.type}` x {u.count}: {_md(u.reason)} ({_md(', '.join(u.names))})" for u in not_priced]
    out += [
        "",
        "<details><summary>Line items</summary>",
        "",
        "| resource | item | quantity | unit price | monthly |",
    ]
    out.append("| --- | --- | ---: | ---: | ---: |")
    for resource in estimate.resources:
        for line in resource.lines:
            out.append(
                f"| `{_md(resource.name)}` | {_md(line.item)} | {_quantity(line.quantity)} {line.unit} | "
                f"{_unit(line.unit_usd)} | {money(line.monthly_usd)} |"
            )
    out += ["", "</details>", "", "<details><summary>Assumptions</summary>", ""]
    out += [f"- {_md(a)}" for a in estimate.assumptions]
    out += ["", "</details>", ""]
    return "\n".join(out)


def render(estimate: Estimate, fmt: str, delta: Delta | None = None) -> str:
    renderers = {"text": render_text, "json": render_json, "markdown": render_markdown}
    return renderers[fmt](estimate, delta)
