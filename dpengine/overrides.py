"""``-c KEY=VALUE``: config values for one run, over the stack file's (as ``pulumi config set``
takes them, and ``--config-path`` for ``ns:key.a.b``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def config_overrides(flags: Sequence[str], project: str) -> dict[str, Any]:
    """``-c KEY=VALUE`` flags as config values for one run.

    A key without a namespace is the project's (``environment`` is ``<project>:environment``), as
    ``pulumi config set`` takes it. The value is JSON when it parses as JSON (``3``, ``true``,
    ``["a"]``, ``{"cidr": "10.0.0.0/16"}``), else the string as given. ``ns:key.a.b=VALUE`` sets
    one value inside an object key (like Pulumi's ``--config-path``), keeping the rest of it.
    """
    values: dict[str, Any] = {}
    for flag in flags:
        key, sep, text = flag.partition("=")
        if not sep or not key:
            raise ValueError(f"-c/--config takes KEY=VALUE, e.g. -c aws:region=eu-west-1 (got {flag!r})")
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text
        namespace, colon, rest = key.partition(":")
        if colon and not (namespace and rest):
            raise ValueError(f"-c/--config: {key!r} is not a config key (namespace:key or key)")
        full, _, path = (key if colon else f"{project}:{key}").partition(".")
        values[full] = _set_path(values.get(full), path.split(".") if path else [], value, key)
    return values


def _set_path(current: Any, path: list[str], value: Any, key: str) -> Any:
    if not path:
        return value
    if current is None:
        current = {}
    if not isinstance(current, dict):
        raise ValueError(f"-c/--config {key}: the value above {path[0]!r} is not an object")
    return {**current, path[0]: _set_path(current.get(path[0]), path[1:], value, key)}


def with_stack_file_values(overrides: dict[str, Any], project_dir: Path, stack: str) -> dict[str, Any]:
    """Path overrides (``ns:key.a=...``) merged into the key's value from the stack file."""
    from .project import load_project, load_stack_config

    config, _ = load_stack_config(project_dir, load_project(project_dir), stack)
    merged = {}
    for key, value in overrides.items():
        base = config.get(key)
        merged[key] = (
            _deep_merge(base, value) if isinstance(base, dict) and isinstance(value, dict) else value
        )
    return merged


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        out[key] = (
            _deep_merge(out[key], value)
            if isinstance(out.get(key), dict) and isinstance(value, dict)
            else value
        )
    return out
