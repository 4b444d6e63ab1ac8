"""Required tags on every taggable AWS resource.

Which types take tags is derived from the installed pulumi-aws SDK
(:func:`policies._taggable.is_taggable`), never from a hand-kept list. Tags the AWS provider
adds through ``defaultTags`` count as present.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_when, parse_json_object, resource_policy
from ._taggable import is_taggable

DOMAIN = "tagging"

REQUIRED_TAG_KEYS: tuple[str, ...] = ("Environment", "Project", "Owner", "CostCenter", "ManagedBy")
"""The same keys as ``components.tags.REQUIRED_TAG_KEYS`` (kept in step by a test)."""

DEFAULT_REQUIRED_TAGS: dict[str, list[str]] = {key: [] for key in REQUIRED_TAG_KEYS}
DEFAULT_REQUIRED_TAGS["Environment"] = ["dev", "staging", "prod"]


def provider_default_tags(provider_props: dict[str, Any]) -> dict[str, Any] | Any:
    """``defaultTags.tags`` of the AWS provider (nested provider inputs arrive JSON-encoded)."""
    default_tags = parse_json_object(provider_props.get("defaultTags"))
    if default_tags is UNKNOWN:
        return UNKNOWN
    if not isinstance(default_tags, dict):
        return {}
    tags = parse_json_object(default_tags.get("tags"))
    if tags is UNKNOWN:
        return UNKNOWN
    return tags if isinstance(tags, dict) else {}


@resource_policy(
    "aws-required-tags",
    domain=DOMAIN,
    description="Every taggable AWS resource carries the required tags with allowed values.",
    severity=Severity.MEDIUM,
    remediation="Pass the stack's tag set (config 'tags') to every component and set tags= on every taggable "
    "resource, or set default_tags on the AWS provider. Required keys and allowed values come from the "
    "pack config 'requiredTags'.",
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "requiredTags": {
            "type": "object",
            "description": "Required tag keys, each with its allowed values (empty: any non-empty value).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": DEFAULT_REQUIRED_TAGS,
        }
    },
)
@applies_when(lambda resource_type: resource_type.startswith("aws:") and is_taggable(resource_type))
def aws_required_tags(ctx: ResourceContext) -> None:
    own = ctx.props.get("tags")
    defaults = provider_default_tags(ctx.provider_props)
    if own is UNKNOWN or defaults is UNKNOWN:
        return
    tags = {**(defaults or {}), **(own if isinstance(own, dict) else {})}
    required = ctx.config.get("requiredTags")
    if not isinstance(required, dict):
        required = DEFAULT_REQUIRED_TAGS
    missing: list[str] = []
    problems: list[str] = []
    for key in sorted(required):
        value = tags.get(key)
        if value is UNKNOWN:
            continue
        if not isinstance(value, str) or not value.strip():
            missing.append(key)
            continue
        allowed = required[key] or []
        if allowed and value not in allowed:
            problems.append(f"{key}={value!r} is not one of {sorted(allowed)}")
    if missing:
        problems.insert(0, f"missing tags: {', '.join(missing)}")
    if problems:
        ctx.report(f"'{ctx.name}': " + "; ".join(problems))


POLICIES = [aws_required_tags]
