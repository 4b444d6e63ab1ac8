"""The one tag set of a stack: required keys, AWS limits, and merging."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._validation import ConfigIssue, InvalidConfigError

REQUIRED_TAG_KEYS: tuple[str, ...] = ("Environment", "Project", "Owner", "CostCenter", "ManagedBy")
"""Tag keys every stack must set; policies check the same keys."""

# AWS tag limits: keys 1-128, values 0-256 Unicode characters, letters, digits,
# spaces and + - = . _ : / @ only; the aws: prefix is reserved.
_ALLOWED = re.compile(r"^[\w\s+\-=.:/@]*$", re.UNICODE)
MAX_TAGS = 50


def tag_issues(
    tags: Mapping[str, str], path: str = "tags", required: tuple[str, ...] = REQUIRED_TAG_KEYS
) -> list[ConfigIssue]:
    """Every problem with ``tags`` against AWS's limits and the required keys."""
    issues: list[ConfigIssue] = []
    if not isinstance(tags, Mapping):
        return [ConfigIssue(path, tags, "must be a mapping of tag key to value")]
    for key in required:
        value = tags.get(key)
        if value is None:
            issues.append(ConfigIssue(f"{path}.{key}", None, f"required tag is missing; set {path}.{key}"))
        elif not str(value).strip():
            issues.append(ConfigIssue(f"{path}.{key}", value, "required tag must not be empty"))
    if len(tags) > MAX_TAGS:
        issues.append(ConfigIssue(path, len(tags), f"AWS allows at most {MAX_TAGS} tags per resource"))
    for key, value in tags.items():
        where = f"{path}.{key}"
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            issues.append(ConfigIssue(where, key, "tag keys must be 1 to 128 characters"))
            continue
        if key.lower().startswith("aws:"):
            issues.append(ConfigIssue(where, key, "the 'aws:' prefix is reserved by AWS; rename the key"))
        if not _ALLOWED.match(key):
            issues.append(
                ConfigIssue(where, key, "tag keys may hold letters, digits, spaces and + - = . _ : / @ only")
            )
        if not isinstance(value, str):
            issues.append(ConfigIssue(where, value, "tag values must be strings; quote the value"))
            continue
        if len(value) > 256:
            issues.append(ConfigIssue(where, value, "tag values must be at most 256 characters"))
        if not _ALLOWED.match(value):
            issues.append(
                ConfigIssue(
                    where, value, "tag values may hold letters, digits, spaces and + - = . _ : / @ only"
                )
            )
    return issues


def validate_tags(
    tags: Mapping[str, str], path: str = "tags", required: tuple[str, ...] = REQUIRED_TAG_KEYS
) -> dict[str, str]:
    """Return ``tags`` as a plain dict, or raise :class:`InvalidConfigError`."""
    issues = tag_issues(tags, path, required)
    if issues:
        raise InvalidConfigError(issues, subject="tags")
    return dict(tags)


def merge_tags(base: Mapping[str, str], *extra: Mapping[str, str] | None) -> dict[str, str]:
    """``base`` with each of ``extra`` laid over it (later wins)."""
    merged = dict(base)
    for more in extra:
        if more:
            merged.update(more)
    return merged
