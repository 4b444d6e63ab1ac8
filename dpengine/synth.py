"""Outputs for resource types no hand-written mock covers, synthesized from the provider SDK's types.

A program may read any output of any resource (``cluster.certificate_authority.data``,
``cluster.identities[0].oidcs[0].issuer``). Under bare mocks an output the program did not set
is ``None`` and the program fails far from the cause. For a type without a mock in
:mod:`dpengine.mockdata`, the resource class's own output properties (``pulumi._types`` via
:mod:`dpengine._sdk`) say what exists and its type: strings get a placeholder shaped by the
property's name (``...Arn`` an ARN, ``...Id`` an id, ``endpoint``/``...Url`` an HTTPS URL),
nested output types get their fields, a list of objects one element, other lists and maps stay
empty. Values set in the inputs are kept; nested objects the program passed get their missing
output fields too. Deterministic: the values derive from the type, the name and the property.

The type analysis is cached per class; the resource class is found from the provider package's
own registration table (the ``resource_modules`` JSON every Pulumi Python SDK ships).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import importlib.util
import json
import re
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _sdk

_SECRET_INPUT = re.compile(r"(?i)password|secret(string|binary)?$|token$|privatekey|credential")
"""Top-level properties that are secret inputs: left unset unless the program set them."""

MAX_DEPTH = 4
"""Nested output types deeper than this are left out (provider types nest, and some recurse)."""

CERTIFICATE_DATA = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nMIIC/offline-engine/synthesized\n-----END CERTIFICATE-----\n"
).decode()
"""A base64 PEM-shaped placeholder for certificate ``data`` fields."""


@functools.cache
def _registered_classes(package: str) -> dict[str, tuple[str, str]]:
    """Type token -> (module, class name), from the package's own registration table."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return {}
    match = re.search(r'resource_modules="""(.*?)"""', Path(spec.origin).read_text(), re.S)
    if not match:
        return {}
    table: dict[str, tuple[str, str]] = {}
    for entry in json.loads(match.group(1)):
        for token, class_name in entry.get("classes", {}).items():
            table[token] = (entry["fqn"], class_name)
    return table


@functools.cache
def resource_class(token: str) -> type | None:
    """The SDK class of resource type ``token`` (``aws:eks/cluster:Cluster``), if installed."""
    package = "pulumi_" + token.split(":", 1)[0].replace("-", "_")
    try:
        found = _registered_classes(package).get(token)
    except (ImportError, ValueError, OSError):
        return None
    if found is None:
        return None
    try:
        cls = getattr(importlib.import_module(found[0]), found[1], None)
    except ImportError:
        return None
    return cls if isinstance(cls, type) else None


@functools.cache
def _output_types(token: str) -> dict[str, Any]:
    cls = resource_class(token)
    if cls is None:
        return {}
    try:
        return _sdk.resource_output_types(cls)
    except (TypeError, NameError, AttributeError):  # a class whose hints do not resolve: nothing to add
        return {}


def synthesize(
    token: str, state: dict[str, Any], *, physical: str, seed: str, region: str, account: str
) -> None:
    """Fill the outputs of ``token`` that ``state`` (the inputs so far) lacks, in place."""
    types = _output_types(token)
    if not types:
        return
    maker = _Maker(token, physical, seed, region, account)
    for prop, hint in types.items():
        if prop not in state and _SECRET_INPUT.search(prop):
            continue  # a provider returns a password or secret only when the program set one
        state[prop] = maker.fill(prop, hint, state.get(prop), 0)


class _Maker:
    def __init__(self, token: str, physical: str, seed: str, region: str, account: str) -> None:
        self.service = token.split(":")[1].split("/")[0] if ":" in token else "resource"
        self.kind = _kebab(token.rsplit(":", 1)[-1])
        self.physical = physical
        self.seed = seed
        self.region = region
        self.account = account

    def fill(self, prop: str, hint: Any, given: Any, depth: int) -> Any:
        fields = _sdk.output_type_fields(hint)
        if fields is not None:
            if given is None and depth >= MAX_DEPTH:
                return None
            if given is not None and not isinstance(given, dict):
                return given
            result = dict(given or {})
            for name, field_hint in fields.items():
                result[name] = self.fill(name, field_hint, result.get(name), depth + 1)
            return result
        origin = typing.get_origin(hint)
        if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
            return {} if given is None else given
        if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence):
            args = typing.get_args(hint)
            item = args[0] if args else Any
            if given is None:
                if _sdk.output_type_fields(item) is not None and depth < MAX_DEPTH:
                    return [self.fill(prop, item, None, depth + 1)]
                return []
            if isinstance(given, list) and _sdk.output_type_fields(item) is not None:
                return [self.fill(prop, item, g, depth + 1) for g in given]
            return given
        if given is not None:
            return given
        if hint is bool:
            return False
        if hint is int or hint is float:
            return 0
        if hint is str:
            return self.string(prop)
        return None

    def string(self, prop: str) -> str:
        """A placeholder shaped by the property's name."""
        lower = prop.lower()
        digest = _sdk_hex(f"{self.seed}/{prop}")
        if prop == "arn" or lower.endswith("arn"):
            what = _kebab(prop[:-3]) if len(prop) > 3 else self.kind
            return f"arn:aws:{self.service}:{self.region}:{self.account}:{what or self.kind}/{self.physical}"
        if prop == "data":
            return CERTIFICATE_DATA
        if lower == "issuer" or lower.endswith("issuerurl"):
            return f"https://oidc.{self.service}.{self.region}.amazonaws.com/id/{digest.upper()}"
        if lower.endswith("dnsname") or lower in ("hostname", "address"):
            return f"{self.physical}-{digest[:8]}.{self.service}.{self.region}.amazonaws.com"
        if lower.endswith(("endpoint", "url", "uri")):
            return f"https://{digest}.{self.service}.{self.region}.amazonaws.com"
        if lower == "region":
            return self.region
        if lower in ("accountid", "owneraccountid", "ownerid"):
            return self.account
        if lower == "status" or lower == "state":
            return "ACTIVE"
        if lower.endswith(("createdat", "createdate", "createtime", "time", "date")):
            return "2025-01-01T00:00:00Z"
        if lower == "id" or lower.endswith("id"):
            return f"{_kebab(prop[:-2]) or self.kind}-{digest}"
        if lower == "name" or lower.endswith("name"):
            return self.physical
        return f"{self.physical}-{_kebab(prop)}"


def _sdk_hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:17]


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
