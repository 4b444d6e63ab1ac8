"""The estimate the engine hands to a budget policy of the pack (the pack never imports the engine).

The boundary: the pricing model lives in the engine (it needs the price table, the usage file and
the whole run, and the pack must stay runnable in its own virtualenv under the Pulumi CLI). A policy
asks for the estimate by declaring the config property :data:`ESTIMATE_PROPERTY` in its schema; when
its pack config also sets ``max_monthly_usd``, ``dataplatform check`` computes the estimate once from
the same run it checks (and the same usage file as ``dataplatform cost``) and puts a summary in that
property. Under the Pulumi CLI nobody fills it in, and the policy has nothing to decide on.
"""

from __future__ import annotations

from typing import Any

from .prices import PriceError

ESTIMATE_PROPERTY = "cost_estimate"
"""The pack-config property a policy declares to be handed the stack's estimate."""


def estimate_summary(run: Any) -> dict[str, Any]:
    """What a budget policy needs: the total, the prices' date and region, and the top drivers;
    ``{"error": ...}`` when the stack cannot be priced (an unknown region or instance type)."""
    from .cli import estimate_run

    try:
        estimate = estimate_run(run)
    except (PriceError, ValueError) as error:
        return {"error": str(error)}
    return {
        "monthly_total_usd": estimate.monthly_total_usd,
        "region": estimate.region,
        "price_date": estimate.price_date,
        "not_priced": sum(u.count for u in estimate.not_priced),
        # Priced types whose figure is missing (a typo'd instance type, a region): the total is short
        # by an unknown amount, so a budget cannot pass on it.
        "missing_prices": [
            {"type": u.type, "count": u.count, "reason": u.reason, "names": list(u.names)}
            for u in estimate.missing_prices
        ],
        "top": [
            {"name": r.name, "type": r.type, "monthly_usd": r.monthly_usd} for r in estimate.top_drivers(3)
        ],
    }


def with_cost_estimate(
    run: Any, policies: Any, resolved: dict[str, tuple[str, dict[str, Any]]]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """``resolved`` (policy -> (level, config)) with the estimate in the config of each enabled policy
    that declares :data:`ESTIMATE_PROPERTY` and has a ``max_monthly_usd``."""
    wanting = []
    for policy in policies:
        schema = policy.config_schema.properties if policy.config_schema else {}
        level, props = resolved[policy.name]
        if ESTIMATE_PROPERTY in schema and level != "disabled" and props.get("max_monthly_usd") is not None:
            wanting.append(policy.name)
    if not wanting:
        return resolved
    summary = estimate_summary(run)
    updated = dict(resolved)
    for name in wanting:
        level, props = resolved[name]
        updated[name] = (level, {**props, ESTIMATE_PROPERTY: summary})
    return updated
