"""The policy pack ``dataplatform check`` is handed, how to load one, and its config.

The engine never imports a pack by name: a caller builds a :class:`PolicyPackSpec` from a
pack package it imported (:meth:`PolicyPackSpec.from_module`) or from a pack directory
(:func:`load_pack_dir`, as ``pulumi preview --policy-pack DIR`` takes) and hands it to
:func:`dpengine.check.evaluate`. Only the CLI chooses a default pack.

A pack package publishes, in its ``__init__``: ``ALL_POLICIES`` (``pulumi_policy`` policies, in
report order), ``PACK_NAME``, ``PACK_VERSION`` and optionally ``PACK_DESCRIPTION``,
``PACK_ENFORCEMENT_LEVEL``, ``REGISTRY`` (policy name -> metadata with ``kind``, ``domain``,
``severity`` and ``applies``, the types a policy can say anything about) and
``collect_exemptions`` (a context manager collecting the exemptions applied while policies
run). Without a registry each policy's metadata comes from the policy object itself.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationPolicy

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
"""The enforcement levels a pack config may name."""


@dataclass(frozen=True)
class PolicyInfo:
    """What the check needs to know of a policy beyond the ``pulumi_policy`` object."""

    kind: str
    """``resource`` or ``stack``."""
    domain: str
    severity: Severity
    applies: Callable[[str], bool] | None = None
    """The resource types the policy can say anything about (for a stack policy: those it reads);
    None: every type. Lets the check hand each policy only what can matter to it."""

    def applies_to_type(self, resource_type: str) -> bool:
        return self.applies is None or self.applies(resource_type)


@contextlib.contextmanager
def _no_exemptions() -> Iterator[list[Any]]:
    yield []


@dataclass(frozen=True)
class PolicyPackSpec:
    """A policy pack as the check sees it: metadata, policies, their registry, the exemption collector."""

    name: str
    version: str
    policies: tuple[Policy, ...]
    """Every policy, in report order."""
    registry: Mapping[str, PolicyInfo]
    """Policy name -> :class:`PolicyInfo`, for every policy."""
    description: str | None = None
    enforcement_level: EnforcementLevel = EnforcementLevel.ADVISORY
    """The pack's default level (each policy may set its own)."""
    collect_exemptions: Callable[[], AbstractContextManager[list[Any]]] = _no_exemptions
    """Context manager yielding the list the pack appends applied exemptions to (each with
    ``policy``, ``urn``, ``reason``, ``source`` and ``message``)."""
    directory: Path | None = None
    """The pack's directory (its ``<stack>.json`` configs live there), if known."""

    @classmethod
    def from_module(cls, module: ModuleType) -> PolicyPackSpec:
        """The pack a package publishes (see the module docstring for the names read)."""
        missing = [n for n in ("ALL_POLICIES", "PACK_NAME", "PACK_VERSION") if not hasattr(module, n)]
        if missing:
            raise ValueError(
                f"{module.__name__} is not a policy pack for dataplatform check: it does not publish "
                f"{', '.join(missing)} (see dpengine.pack)"
            )
        policies = tuple(module.ALL_POLICIES)
        published = getattr(module, "REGISTRY", None) or {}
        registry = {p.name: _info(p, published.get(p.name)) for p in policies}
        file = getattr(module, "__file__", None)
        return cls(
            name=str(module.PACK_NAME),
            version=str(module.PACK_VERSION),
            policies=policies,
            registry=registry,
            description=getattr(module, "PACK_DESCRIPTION", None),
            enforcement_level=getattr(module, "PACK_ENFORCEMENT_LEVEL", None) or EnforcementLevel.ADVISORY,
            collect_exemptions=getattr(module, "collect_exemptions", None) or _no_exemptions,
            directory=Path(file).resolve().parent if file else None,
        )


def _info(policy: Policy, meta: Any) -> PolicyInfo:
    if meta is not None:
        return PolicyInfo(kind=meta.kind, domain=meta.domain, severity=meta.severity, applies=meta.applies)
    tags = getattr(policy, "tags", None) or []
    return PolicyInfo(
        kind="stack" if isinstance(policy, StackValidationPolicy) else "resource",
        domain=str(tags[0]) if tags else "",
        severity=policy.severity or Severity.MEDIUM,
    )


def load_pack_dir(directory: str | Path) -> PolicyPackSpec:
    """The pack in ``directory``: a package whose ``__init__.py`` publishes the pack's names.

    The directory is imported as a package (its relative imports work) and never run as a
    script: its ``__main__.py``, which builds a ``PolicyPack`` and blocks, is not touched. A
    directory already imported (the default pack) is reused, so its policies register once.
    """
    path = Path(directory).resolve()
    init = path / "__init__.py"
    if not init.is_file():
        raise ValueError(f"{path}: not a policy pack package (no __init__.py)")
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == init:
            return PolicyPackSpec.from_module(module)
    name = f"_dataplatform_pack_{path.name}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(path)])
    if spec is None or spec.loader is None:  # pragma: no cover - a file location always has a loader
        raise ValueError(f"{path}: cannot be imported as a package")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 a broken pack is the user's to fix: a message, no traceback
        del sys.modules[name]
        problem = f"{type(error).__name__}: {error}"
        raise ValueError(f"{path}: the policy pack cannot be imported: {problem}") from None
    return PolicyPackSpec.from_module(module)


DEFAULT_CONFIG_SOURCE = (
    "built-in default for programs outside the pack's project: high and critical severity mandatory"
)
"""How a report names the config :func:`default_pack_config` makes."""


def default_pack_config(pack: PolicyPackSpec) -> dict[str, Any]:
    """The pack config of a program that has none of its own and is not the pack's own project.

    The pack's ``<stack>.json`` files are its own project's stacks' (dev keeps most rules
    advisory); another program must not inherit them by sharing a stack name. Every policy of
    high or critical severity is mandatory, the rest keep their own default level.
    """
    return {
        p.name: "mandatory"
        for p in pack.policies
        if pack.registry[p.name].severity in (Severity.HIGH, Severity.CRITICAL)
    }


def choose_config(
    stack: str, project_dir: Path | None, pack: PolicyPackSpec
) -> tuple[dict[str, Any] | None, Path | None, str]:
    """The pack config a check uses when none is given: (config, its file, where it came from).

    ``policies/<stack>.json`` in the project; else, for the pack's own project only, the pack's
    ``<stack>.json``; else the pack's ``default.json`` (its documented default for any program),
    else :func:`default_pack_config`.
    """
    if project_dir is not None:
        own = project_dir / "policies" / f"{stack}.json"
        if own.is_file():
            return load_config(own), own, "the project's policies/<stack>.json"
    if pack.directory is not None:
        packs = pack.directory / f"{stack}.json"
        same_project = project_dir is not None and pack.directory.parent.resolve() == project_dir.resolve()
        if same_project and packs.is_file():
            return load_config(packs), packs, "the pack's own <stack>.json"
        published = pack.directory / "default.json"
        if published.is_file():  # the pack's documented default (its own components' exemptions included)
            return load_config(published), published, DEFAULT_CONFIG_SOURCE
    return default_pack_config(pack), None, DEFAULT_CONFIG_SOURCE


def default_config_path(stack: str, project_dir: Path | None, pack: PolicyPackSpec) -> Path | None:
    """``policies/<stack>.json`` in the project, else ``<stack>.json`` in the pack's directory, if present."""
    candidates = []
    if project_dir is not None:
        candidates.append(project_dir / "policies" / f"{stack}.json")
    if pack.directory is not None:
        candidates.append(pack.directory / f"{stack}.json")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- pack config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a pack config file (the JSON ``--policy-pack-config`` takes)."""
    file = Path(path)
    try:
        data = json.loads(file.read_text())
    except OSError as error:
        raise ValueError(f"cannot read policy config {file}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{file}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{file}: a policy pack config is a JSON object of policy name -> level or settings")
    return data


def resolve_config(
    pack: PolicyPackSpec, config: Mapping[str, Any] | None
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Policy name -> (enforcement level, properties), reconciled as the Pulumi CLI does.

    Schema defaults and each policy's own level first, then ``"all"``, then per-policy entries.
    Stricter than the CLI: unknown policy names and unknown settings are errors (a typo would
    otherwise silently drop an exemption or a setting). Raises ``ValueError`` with every problem.
    """
    problems: list[str] = []
    names = [p.name for p in pack.policies]
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in pack.policies:
        schema = policy.config_schema.properties if policy.config_schema else {}
        defaults = {k: v["default"] for k, v in schema.items() if "default" in v}
        default_level = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
        result[policy.name] = (default_level, defaults)

    parsed: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for key, value in (config or {}).items():
        if key != "all" and key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{key}: no policy of that name{hint}")
            continue
        level: str | None = None
        props: dict[str, Any] = {}
        if isinstance(value, str):
            level = value
        elif isinstance(value, dict):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level = value.get("enforcementLevel")
        else:
            problems.append(f"{key}: must be an enforcement level or an object, not {type(value).__name__}")
            continue
        if level is not None and level not in LEVELS:
            problems.append(f"{key}: {level!r} is not an enforcement level ({', '.join(LEVELS)})")
            continue
        if key == "all" and props:
            problems.append(
                "all: only 'enforcementLevel' applies to all policies; put settings under a policy"
            )
        parsed[key] = (level, props)

    if "all" in parsed and parsed["all"][0]:
        result = {name: (str(parsed["all"][0]), props) for name, (_, props) in result.items()}
    for key, (level, props) in parsed.items():
        if key == "all":
            continue
        current_level, current = result[key]
        result[key] = (level or current_level, {**current, **props})

    by_name = {p.name: p for p in pack.policies}
    for name, (_, props) in result.items():
        policy_schema = by_name[name].config_schema
        known: dict[str, dict[str, Any]] = policy_schema.properties if policy_schema else {}
        for prop in props:
            if prop not in known:
                problems.append(f"{name}.{prop}: unknown setting (known: {', '.join(sorted(known))})")
        problems += [f"{name}: {p}" for p in _schema_problems(known, props)]
    if problems:
        raise ValueError("invalid policy pack config:\n  " + "\n  ".join(problems))
    return result


def _schema_problems(properties: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is optional
        return []
    schema = {"type": "object", "properties": dict(properties)}
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(dict(values)), key=lambda e: list(e.absolute_path))
    ]


def skipping_config(
    pack: PolicyPackSpec, config: Mapping[str, Any] | None, names: list[str]
) -> dict[str, Any]:
    """``config`` with each policy of ``--skip-policy`` disabled; an unknown name is an error."""
    known = [p.name for p in pack.policies]
    out = dict(config or {})
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (the pack has {len(known)} policies)"
            raise ValueError(f"--skip-policy {name}: no policy of that name{hint}")
        current = out.get(name)
        out[name] = {**current, "enforcementLevel": "disabled"} if isinstance(current, dict) else "disabled"
    return out
