"""S3 storage per class: a bucket's lifecycle rules spread each layer's GB over storage classes.

Steady state: a layer holds its stored GB (usage ``s3.layers_gb``), its objects spread evenly over
their age from 0 to the layer's horizon (its expiration, else usage ``s3.history_days``). A
transition at day *d* to class *C* puts the share of objects older than *d* (until the next
transition) in *C*. The lake's rules are named ``layer-<name>`` (one per layer, by prefix or by
bucket); a bucket without layer rules is priced as a whole (usage ``s3.buckets_gb``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import Context, Line, Outcome, Resource
from .usage import match_name

LIFECYCLE_TYPE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def class_shares(
    transitions: Sequence[tuple[int, str]], expiration_days: int | None, history_days: int
) -> list[tuple[str, int, int, float]]:
    """``(storage class, from day, to day, share of the data)`` for each class a layer's objects
    pass through, oldest last. Transitions at or beyond the horizon never hold data."""
    horizon = expiration_days or history_days
    steps = [(0, "STANDARD"), *sorted((d, c) for d, c in transitions if d < horizon)]
    result = []
    for index, (start, storage_class) in enumerate(steps):
        end = steps[index + 1][0] if index + 1 < len(steps) else horizon
        if end > start:
            result.append((storage_class, start, end, (end - start) / horizon))
    return result


def _rule_shape(rule: Mapping[str, Any]) -> tuple[list[tuple[int, str]], int | None]:
    transitions = []
    for item in rule.get("transitions") or []:
        days = item.get("days") if isinstance(item, Mapping) else None
        if isinstance(days, (int, float)) and isinstance(item.get("storageClass"), str):
            transitions.append((int(days), item["storageClass"]))
    expiration = (rule.get("expiration") or {}).get("days")
    return transitions, int(expiration) if isinstance(expiration, (int, float)) else None


def _lifecycle_rules(resource: Resource, ctx: Context) -> list[Mapping[str, Any]]:
    rules: list[Mapping[str, Any]] = []
    for config in ctx.of_type(LIFECYCLE_TYPE):
        if resource.urn in config.property_dependencies.get("bucket", ()):
            rules += [r for r in config.inputs.get("rules") or [] if isinstance(r, Mapping)]
    return [r for r in rules if r.get("status", "Enabled") == "Enabled"]


def _class_lines(
    ctx: Context, label: str, gb: float, shares: list[tuple[str, int, int, float]]
) -> list[Line]:
    lines = []
    for storage_class, start, end, share in shares:
        rate = ctx.prices.rate("s3.storage_gb_month", storage_class, what="S3 storage class")
        lines.append(
            Line(f"S3 {storage_class}: {label}, days {start}-{end}", round(gb * share, 4), "GB-month", rate)
        )
    return lines


def s3_bucket_lines(resource: Resource, ctx: Context) -> Outcome:
    s3 = ctx.usage.s3
    rules = _lifecycle_rules(resource, ctx)
    layers = [r for r in rules if str(r.get("id", "")).startswith("layer-")]
    lines: list[Line] = []
    if layers:
        for rule in layers:
            layer = str(rule["id"])[len("layer-") :]
            gb = s3.layers_gb.get(layer, s3.default_layer_gb)
            origin = (
                f"usage s3.layers_gb.{layer}" if layer in s3.layers_gb else "default; set usage s3.layers_gb"
            )
            transitions, expiration = _rule_shape(rule)
            ctx.assume(
                f"lake layer {layer}: {gb:g} GB stored ({origin}), spread over "
                f"{expiration or s3.history_days} days of objects"
                f"{'' if expiration else ' (s3.history_days; it never expires)'}"
            )
            lines += _class_lines(
                ctx, f"layer {layer}", gb, class_shares(transitions, expiration, s3.history_days)
            )
        return lines
    found = match_name(s3.buckets_gb, resource.name)
    gb = found[1] if found else s3.default_bucket_gb
    origin = f"usage s3.buckets_gb[{found[0]!r}]" if found else "default; set usage s3.buckets_gb"
    whole = [r for r in rules if not (r.get("filter") or {}).get("prefix")]
    transitions, expiration = _rule_shape(whole[0]) if whole else ([], None)
    ctx.assume(f"bucket {resource.name}: {gb:g} GB stored ({origin}); requests not priced")
    return _class_lines(ctx, "whole bucket", gb, class_shares(transitions, expiration, s3.history_days))
