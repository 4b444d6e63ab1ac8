"""The programs measured: the stacks as `dataplatform preview` runs them, the floor program (the same
resources, bare), and the policy pack as `dataplatform check` is handed it."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .measure import SkipError

ROOT = Path(__file__).resolve().parents[1]
SERVICES_KEY = "dataplatform:services"
WARM_MODULES = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_eks")


def _component_modules() -> list[str]:
    try:
        import components
    except ImportError:
        return []
    return [f"components.{m.name}" for m in pkgutil.iter_modules(components.__path__)]


def warm_imports() -> dict[str, Any]:
    """Import the SDKs and every component module once, in this process (not charged to runs).

    Also times the same imports in a fresh interpreter, reported separately.
    """
    modules = [*WARM_MODULES, *_component_modules()]
    failed = {}
    start = time.perf_counter()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 a broken component is reported, not fatal here
            failed[name] = f"{type(error).__name__}: {error}"
    in_process = time.perf_counter() - start
    code = (
        "import importlib, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "t = time.perf_counter()\n"
        f"for m in {modules!r}:\n"
        "    try: importlib.import_module(m)\n"
        "    except Exception: pass\n"
        "print(time.perf_counter() - t)\n"
    )
    cold: float | None = None
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
        )
        cold = float(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        cold = None
    return {"modules": modules, "cold_s": cold, "in_process_s": in_process, "failed": failed}


# --------------------------------------------------------------------------- programs


def stack_references(project_dir: Path, stack: str) -> dict[str, Any]:
    """StackReference outputs as ``dataplatform preview`` finds them (stack-references[.<stack>].json)."""
    for candidate in (project_dir / f"stack-references.{stack}.json", project_dir / "stack-references.json"):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text())
            except (OSError, json.JSONDecodeError) as error:
                raise SkipError(f"{candidate.name}: cannot read ({error})") from None
            return data if isinstance(data, dict) else {}
    return {}


def run_stack(
    project_dir: Path, stack: str, overrides: dict[str, Any] | None = None, refs: dict[str, Any] | None = None
) -> Any:
    """One offline run of a stack; an engine failure becomes :class:`SkipError` with its message."""
    from dpengine.engine import EngineError, run_program

    try:
        return run_program(project_dir, stack, config_overrides=overrides, stack_references=refs)
    except EngineError as error:
        raise SkipError(f"stack {stack!r} cannot run offline ({error.kind}): {error}") from None


def floor_program(records: Sequence[Any], *, with_inputs: bool = False) -> Callable[[], None]:
    """A program registering one bare resource per record: same types, no logic, flat.

    Custom (and remote) resources become ``CustomResource(type, name, {})``, components
    ``ComponentResource(type, name)``; StackReferences keep their ``name`` input, which
    the mocks need to answer. With ``with_inputs``, each custom resource also gets the
    recorded inputs (plain values) and its output names, as a generated resource class
    declares them: what the SDK itself spends on serializing that stack's properties.
    """
    import pulumi

    kinds = [
        (
            r.type,
            bool(r.custom or r.remote),
            r.inputs.get("name"),
            {**r.inputs, **{k: None for k in r.outputs if k not in r.inputs}} if with_inputs else {},
        )
        for r in records
    ]

    def program() -> None:
        for index, (token, custom, ref_name, props) in enumerate(kinds):
            name = f"floor-{index:05d}"
            if token == "pulumi:pulumi:StackReference":
                pulumi.CustomResource(token, name, {"name": ref_name, "outputs": None})
            elif custom:
                pulumi.CustomResource(token, name, dict(props))
            else:
                pulumi.ComponentResource(token, name)

    return program


def run_floor(
    records: Sequence[Any], project: str, stack: str, refs: dict[str, Any], *, with_inputs: bool = False
) -> Any:
    from dpengine.engine import run_function

    return run_function(
        floor_program(records, with_inputs=with_inputs), project=project, stack=stack, stack_references=refs
    )


def load_pack() -> tuple[Any, str | None]:
    """The dataplatform pack, as ``dataplatform check`` is handed it (None and a reason if it cannot load)."""
    try:
        import policies
        from dpengine.pack import PolicyPackSpec

        return PolicyPackSpec.from_module(policies), None
    except Exception as error:  # noqa: BLE001 reported with the figures, not as a traceback
        return None, f"the policy pack cannot be loaded ({type(error).__name__}: {error})"


def load_evaluate() -> tuple[Callable[[Any, dict[str, Any] | None], Any] | None, str | None]:
    """``evaluate(run, config)`` with the dataplatform pack (None and a reason if unavailable)."""
    pack, missing = load_pack()
    if pack is None:
        return None, missing
    try:
        from dpengine.check import evaluate
    except Exception as error:  # noqa: BLE001 reported with the figures, not as a traceback
        return None, f"dpengine.check.evaluate unavailable ({type(error).__name__}: {error})"
    return (lambda run, config: evaluate(run, pack, config)), None


def pack_config(project_dir: Path, stack: str) -> tuple[dict[str, Any] | None, str | None]:
    """The stack's policy pack config as ``dataplatform check`` finds it (``policies/<stack>.json``)."""
    path: Path | None = project_dir / "policies" / f"{stack}.json"
    pack, _ = load_pack()
    if pack is not None:
        from dpengine.pack import default_config_path

        path = default_config_path(stack, project_dir, pack)
    if path is None or not path.is_file():
        return None, None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SkipError(f"{path}: cannot read the policy pack config ({error})") from None
    return (data if isinstance(data, dict) else None), str(path)
