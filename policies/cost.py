"""Cost: the stack's estimated monthly cost stays within its budget (pack config ``max_monthly_usd``).

The pack does not price anything itself: ``dataplatform check`` hands it the estimate of the run it
checks (the same one ``dataplatform cost`` prints) in the config property ``cost_estimate`` (see
``dpengine/cost/budget.py``). Without a budget the policy has nothing to check; without an estimate
(the Pulumi CLI runs the pack without the engine) it has nothing to decide on and reports nothing. An
estimate with missing prices (an instance type or region the price table lacks) is a violation: the
total is short by an unknown amount, and a mandatory budget must not pass on it.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import StackContext, stack_policy

DOMAIN = "cost"

CANNOT_DECIDE = "can't run policy 'stack-monthly-budget'"
"""How a check that cannot decide starts: ``dataplatform check`` lists it as skipped (as pulumi-policy's
own message for a value unknown during preview), never as a violation."""


def _money(value: float) -> str:
    return f"${value:,.2f}"


def budget_message(estimate: dict[str, Any], limit: float) -> str | None:
    """The violation for ``estimate`` (the engine's summary) against ``limit``, or None within budget."""
    if "error" in estimate:
        return f"{CANNOT_DECIDE}: the stack cannot be priced: {estimate['error']}"
    missing = estimate.get("missing_prices") or []
    if missing:
        # A figure the table lacks (a mistyped instance type, an unpriced region) leaves the total
        # short by an unknown amount: the budget cannot pass on it. Reported as a violation, not as
        # "cannot decide", so that a mandatory budget (prod) fails rather than being skipped.
        count = sum(int(m.get("count", 0)) for m in missing)
        items = "; ".join(
            f"{', '.join(m.get('names', []))} ({m.get('type')}): {m.get('reason')}" for m in missing
        )
        return (
            f"the cost estimate is incomplete: {count} resource(s) could not be priced, so the budget "
            f"{_money(limit)} cannot be checked: {items}"
        )
    total = float(estimate.get("monthly_total_usd", 0.0))
    if total <= limit:
        return None
    drivers = ", ".join(f"{d['name']} {_money(float(d['monthly_usd']))}" for d in estimate.get("top", []))
    return (
        f"estimated monthly cost {_money(total)} exceeds max_monthly_usd {_money(limit)} by "
        f"{_money(total - limit)} ({estimate.get('region')}, AWS prices of {estimate.get('price_date')}); "
        f"top drivers: {drivers}"
    )


@stack_policy(
    "stack-monthly-budget",
    domain=DOMAIN,
    description="The stack's estimated monthly AWS cost (dataplatform cost) is within max_monthly_usd.",
    severity=Severity.MEDIUM,
    remediation="Run `dataplatform cost --stack <stack>` to see the line items; size the top drivers down, "
    "or raise max_monthly_usd in the stack's pack config (policies/<stack>.json) if the cost is intended.",
    enforcement=EnforcementLevel.ADVISORY,
    config={
        "max_monthly_usd": {
            "type": "number",
            "minimum": 0,
            "description": "The stack's monthly budget in USD (unset: no budget).",
        },
        "cost_estimate": {
            "type": "object",
            "description": "Filled in by `dataplatform check` from the run it checks; do not set it by hand.",
        },
    },
    reads=(),
)
def stack_monthly_budget(ctx: StackContext) -> None:
    limit = ctx.config.get("max_monthly_usd")
    estimate = ctx.config.get("cost_estimate")
    if limit is None or not isinstance(estimate, dict):
        return
    message = budget_message(estimate, float(limit))
    if message is not None:
        ctx.report(message)


POLICIES = [stack_monthly_budget]
