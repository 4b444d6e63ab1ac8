"""Placeholders and plain secrets in stack config, found before anything is validated or registered.

A stack file that still holds an example (``REPLACE_ME``, an ``example.com`` address, a
documentation IP range) deploys something that cannot work: an alert subscription nobody
receives, an API endpoint nobody can reach. These are refused anywhere in the ``dataplatform:``
namespace, with the key path. ``secure:`` values are not seen here: the CLI (and the offline
engine) hand them over as secrets.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from typing import Any

from ._shared import documentation_range
from ._validation import ConfigIssue

__all__ = ["SECRET_SECTIONS", "placeholder_issues", "placeholder_problem", "secret_section_issues"]

_WORDS = re.compile(r"(?i)(?<![A-Za-z0-9])(replace[_-]?me|change[_-]?me|todo|fixme|tbd)(?![A-Za-z0-9])")
_ANGLE = re.compile(r"<[A-Za-z][^<>]*>")
_EXAMPLE_DOMAIN = re.compile(r"(?i)(?:^|[@/.])example\.(?:com|org|net)(?=$|[/:?#.])")
_EXAMPLE_TLD = re.compile(r"(?i)[A-Za-z0-9-]\.example(?=$|[/:?#])")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?:/(\d{1,2}))?(?![\d.])")

SECRET_SECTIONS: tuple[str, ...] = ("alert_endpoints",)
"""Top-level keys whose values must be ``secure:`` (they hold keys or personal addresses)."""


def placeholder_problem(value: str) -> str | None:
    """Why the string ``value`` is a placeholder, or None."""
    word = _WORDS.search(value)
    if word:
        return f"holds the placeholder {word.group(1)!r}; set the real value"
    if _ANGLE.search(value):
        return "holds an unfilled <placeholder>; set the real value"
    if _EXAMPLE_DOMAIN.search(value) or _EXAMPLE_TLD.search(value):
        return (
            "uses an example domain (RFC 2606: example.com/.org/.net, "
            ".example), which nobody receives; set the real address"
        )
    for match in _IPV4.finditer(value):
        try:
            network = ipaddress.IPv4Network(match.group(0), strict=False)
        except ValueError:
            continue
        doc = documentation_range(network)
        if doc is not None:
            return (
                f"uses the documentation range {doc} (RFC 5737), which no real host has; set the real address"
            )
    return None


def _walk(value: Any, path: str) -> list[ConfigIssue]:
    if isinstance(value, str):
        problem = placeholder_problem(value)
        return [ConfigIssue(path, value, problem)] if problem else []
    if isinstance(value, Mapping):
        return [issue for key, item in value.items() for issue in _walk(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [issue for index, item in enumerate(value) for issue in _walk(item, f"{path}[{index}]")]
    return []


def placeholder_issues(values: Mapping[str, Any], prefix: str) -> list[ConfigIssue]:
    """Every placeholder in the namespace's ``values`` (keys without prefix), by key path."""
    return [issue for key, value in values.items() for issue in _walk(value, f"{prefix}{key}")]


def secret_section_issues(
    values: Mapping[str, Any], secret_keys: Collection[str], prefix: str
) -> list[ConfigIssue]:
    """A section of :data:`SECRET_SECTIONS` set as plain values (its value is never echoed)."""
    return [
        ConfigIssue(
            f"{prefix}{key}",
            "(not shown)",
            f"must hold secure: values; set each entry with pulumi config set --secret --path "
            f"'{prefix}{key}.<name>' <value>",
        )
        for key in SECRET_SECTIONS
        if key in values and values[key] and key not in secret_keys
    ]
