"""Which resource types take tags, derived from the installed provider SDKs (never a hand-kept list).

Part of the pack (the tagging policy needs it); ``dpengine.testing.assert_tagged`` gets it from
the pack too, so the rule for "taggable" has one home.

pulumi-aws registers every resource class with its type token; a type is
taggable when its constructor has a ``tags`` argument. Lookups are lazy (one
provider module imported per type) and cached.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import json
import re
from pathlib import Path


@functools.cache
def _registered_classes(package: str) -> dict[str, tuple[str, str]]:
    """Type token -> (module, class name), from the package's own registration table."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return {}
    source = Path(spec.origin).read_text()
    match = re.search(r'resource_modules="""(.*?)"""', source, re.S)
    if not match:
        return {}
    table: dict[str, tuple[str, str]] = {}
    for entry in json.loads(match.group(1)):
        for token, class_name in entry["classes"].items():
            table[token] = (entry["fqn"], class_name)
    return table


def _package_for(token: str) -> str | None:
    return {"aws": "pulumi_aws"}.get(token.split(":", 1)[0])


@functools.cache
def is_taggable(token: str) -> bool:
    """True when resources of ``token`` accept a ``tags`` input."""
    package = _package_for(token)
    if package is None:
        return False
    found = _registered_classes(package).get(token)
    if found is None:
        return False
    module_name, class_name = found
    cls = getattr(importlib.import_module(module_name), class_name, None)
    init = getattr(cls, "_internal_init", None)
    if init is None:
        return False
    return "tags" in inspect.signature(init).parameters
