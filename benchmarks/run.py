#!/usr/bin/env python
"""Benchmarks: how fast the program plans and checks offline, how it scales, how long it deploys.

    python benchmarks/run.py [--quick] [--skip-tests] [--dir .] [--stacks dev,prod]

Measures, in one run on this machine (see benchmarks/README.md):

1. offline ``preview`` (``run_program``) and ``check`` (run + ``dpengine.check.evaluate``)
   of each stack: median wall time and tracemalloc peak, each as a ratio to the
   *floor* (the same number of bare resources registered under the same mocks,
   no component logic: the SDK + mock + recording cost);
2. scaling: the dev stack with 10, 50, 100, 200 pipeline services; ms per
   resource at each size and the least-squares slope;
3. the deploy critical path of each stack (``benchmarks/criticalpath.py``);
4. the test suite's wall time (``pytest -n 2``).

Prints a table and writes JSON to ``benchmarks/results/<UTC timestamp>.json``
and ``benchmarks/results/latest.json``. Goals are reported, never asserted.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import gc
import importlib
import itertools
import json
import os
import pkgutil
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT)):  # criticalpath beside this script; the repo's packages
    if _path not in sys.path:
        sys.path.insert(0, _path)

from criticalpath import critical_path, format_duration  # noqa: E402
from processes import GOAL_PROCESS_RATIO, bench_processes  # noqa: E402

GOAL_PREVIEW_RATIO = 1.5
"""Preview wall time and peak memory at most this many times the floor."""
GOAL_CHECK_OVERHEAD = 0.25
"""check adds at most this fraction to preview's wall time."""
GOAL_SCALING_RATIO = 1.3
"""ms/resource at the largest size at most this many times the smallest."""
MIN_R_SQUARED = 0.98
"""Below this, a linear fit says too little to judge scaling: the verdict is "inconclusive"."""
SERVICES_KEY = "dataplatform:services"
WARM_MODULES = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_eks")
MEMORY_METHOD = (
    "tracemalloc peak: the most memory held by Python allocations during one run "
    "(imports already done), measured in a separate untimed pass"
)


class SkipError(Exception):
    """A measurement that cannot be made now: reported as a message, never a traceback."""


# --------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    seconds: list[float]
    gc_seconds: list[float]
    """Of each run, the time spent in Python's cyclic garbage collector."""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def gc_share(self) -> float:
        return sum(self.gc_seconds) / sum(self.seconds) if sum(self.seconds) else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "min_s": min(self.seconds),
            "runs_s": self.seconds,
            "gc_s": self.gc_seconds,
            "gc_share": self.gc_share,
        }


class GcTimer:
    """Accumulates the wall time of garbage collections (``gc.callbacks``) while installed."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def time_interleaved(fns: dict[str, Callable[[], Any]], repetitions: int) -> dict[str, Timing]:
    """Wall times of each of ``fns``, taking turns (a, b, c, a, b, c, ...), each after a full collection.

    Taking turns spreads any change in the machine's background load over every
    side of a ratio instead of charging it to one. The garbage collector stays on
    (as in real use); its share of each run is recorded.
    """
    timings = {name: Timing([], []) for name in fns}
    for _ in range(repetitions):
        for name, fn in fns.items():
            gc.collect()
            with GcTimer() as collector:
                start = time.perf_counter()
                fn()
                elapsed = time.perf_counter() - start
            timings[name].seconds.append(elapsed)
            timings[name].gc_seconds.append(collector.total)
    return timings


def peak_memory(fn: Callable[[], Any]) -> int:
    """tracemalloc peak (bytes) of one call of ``fn``: Python allocations during the run."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through (xs, ys)."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    return slope, mean_y - slope * mean_x


def r_squared(xs: Sequence[float], ys: Sequence[float], slope: float, intercept: float) -> float:
    """How much of the variance of ys the line explains (1.0: exactly linear)."""
    mean_y = sum(ys) / len(ys)
    total = sum((y - mean_y) ** 2 for y in ys)
    if total == 0:
        return 1.0
    residual = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys))
    return 1.0 - residual / total


def marginal_ms_per_resource(rows: Sequence[Mapping[str, Any]]) -> list[float]:
    """Milliseconds per resource added between consecutive sizes.

    The stack's fixed part (network, lake, cluster...) is many small AWS resources and
    the services' are heavier Kubernetes objects, so ms per resource over the whole stack
    rises with N even when the cost is perfectly linear; the cost of what each step adds
    does not.
    """
    return [
        1000 * (b["seconds"] - a["seconds"]) / (b["resources"] - a["resources"])
        for a, b in itertools.pairwise(rows)
        if b["resources"] != a["resources"]
    ]


# --------------------------------------------------------------------------- environment


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for dist in ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-eks", "pulumi-policy"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # noqa: BLE001 a missing distribution is just not reported
            versions[dist] = None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": memory_gib,
        "packages": versions,
    }


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


# --------------------------------------------------------------------------- sections


def bench_stack(project_dir: Path, stack: str, repetitions: int) -> dict[str, Any]:
    """Preview, check, floor (time + memory) and the critical path of one stack."""
    refs = stack_references(project_dir, stack)
    start = time.perf_counter()
    run = run_stack(project_dir, stack, refs=refs)  # warm-up: lazy SDK submodules load here
    first = time.perf_counter() - start
    records = run.resources
    result: dict[str, Any] = {
        "resources": len(records),
        "custom": sum(1 for r in records if r.custom),
        "components": sum(1 for r in records if not r.custom),
        "first_run_s": first,
    }
    try:
        run_floor(records, run.project, stack, refs)  # warm-up
    except Exception as error:  # noqa: BLE001 reported with the stack's other figures
        raise SkipError(
            f"stack {stack!r}: the floor program failed: {type(error).__name__}: {error}"
        ) from None

    def preview_once() -> Any:
        return run_stack(project_dir, stack, refs=refs)

    def floor_once() -> Any:
        return run_floor(records, run.project, stack, refs)

    def inputs_floor_once() -> Any:
        return run_floor(records, run.project, stack, refs, with_inputs=True)

    inputs_floor_once()  # warm-up
    fns: dict[str, Callable[[], Any]] = {
        "floor": floor_once,
        "inputs_floor": inputs_floor_once,
        "preview": preview_once,
    }
    evaluate, missing = load_evaluate()
    check_note: dict[str, Any] = {"error": missing}
    if evaluate is not None:
        try:
            config, config_path = pack_config(project_dir, stack)
            evaluate(run, config)  # warm-up: policy modules import here
            fns["check"] = lambda: evaluate(preview_once(), config)
            fns["evaluate"] = lambda: evaluate(run, config)
            check_note = {"pack_config": config_path}
        except Exception as error:  # noqa: BLE001 another helper's code: a message, not a traceback
            check_note = {"error": f"evaluate failed: {type(error).__name__}: {error}"}
    timings = time_interleaved(fns, repetitions)
    preview, floor = timings["preview"], timings["floor"]
    result["preview"] = preview.to_json()
    result["floor"] = floor.to_json()
    result["preview_ratio"] = preview.median / floor.median
    result["inputs_floor"] = timings["inputs_floor"].to_json()
    result["preview_ratio_to_inputs_floor"] = preview.median / timings["inputs_floor"].median
    if "check" in timings:
        check = timings["check"]
        result["check"] = {
            **check.to_json(),
            **check_note,
            "evaluate_median_s": timings["evaluate"].median,
            "overhead": check.median / preview.median - 1,
        }
    else:
        result["check"] = check_note

    memory: dict[str, Any] = {
        "method": "tracemalloc",
        "floor_peak_bytes": peak_memory(floor_once),
        "preview_peak_bytes": peak_memory(preview_once),
    }
    memory["preview_ratio"] = memory["preview_peak_bytes"] / memory["floor_peak_bytes"]
    memory["inputs_floor_peak_bytes"] = peak_memory(inputs_floor_once)
    memory["preview_ratio_to_inputs_floor"] = memory["preview_peak_bytes"] / memory["inputs_floor_peak_bytes"]
    if "check" in fns:
        memory["check_peak_bytes"] = peak_memory(fns["check"])
        memory["check_ratio"] = memory["check_peak_bytes"] / memory["floor_peak_bytes"]
    result["memory"] = memory
    result["critical_path"] = critical_path(records).to_json()
    try:
        from dpengine.plan import plan_json

        result["process"] = bench_processes(records, run.project, stack, repetitions, plan_json(run))
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        result["process"] = {"error": str(error)}
    return result


def service_template(project_dir: Path, stack: str) -> dict[str, Any]:
    """The stack's first pipeline service entry (``dataplatform:services``) in Pulumi.<stack>.yaml."""
    import yaml

    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise SkipError(f"no {path.name} in {project_dir}: the scaling benchmark copies its first service")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise SkipError(f"{path.name}: not valid YAML ({error})") from None
    config = data.get("config") if isinstance(data, dict) else None
    services = (config or {}).get(SERVICES_KEY) or (config or {}).get("services")
    if not isinstance(services, list) or not services or not isinstance(services[0], dict):
        raise SkipError(f"{path.name} has no '{SERVICES_KEY}' list with a service to copy")
    return dict(services[0])


def make_services(template: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """``count`` copies of ``template`` named svc-0001..., each in its own namespace when it names one."""
    services = []
    for index in range(1, count + 1):
        service = copy.deepcopy(template)
        name = f"svc-{index:04d}"
        service["name"] = name
        if service.get("namespace") and service.get("create_namespace", True) is not False:
            service["namespace"] = name
        if isinstance(service.get("image_repository"), dict):  # one repository per service
            service["image_repository"] = {**service["image_repository"], "name": f"bench/{name}"}
        services.append(service)
    return services


def bench_scaling(project_dir: Path, stack: str, sizes: Sequence[int], repetitions: int) -> dict[str, Any]:
    template = service_template(project_dir, stack)
    refs = stack_references(project_dir, stack)
    rows = []
    for count in sizes:
        overrides = {SERVICES_KEY: json.dumps(make_services(template, count))}
        run = run_stack(project_dir, stack, overrides, refs)  # warm-up, and the resource count
        records = run.resources
        timings = time_interleaved(
            {
                "run": functools.partial(run_stack, project_dir, stack, overrides, refs),
                "floor": functools.partial(run_floor, records, run.project, stack, refs),
            },
            repetitions,
        )
        timing, floor = timings["run"], timings["floor"]
        rows.append(
            {
                "services": count,
                "resources": len(records),
                "seconds": timing.median,
                "ms_per_resource": 1000 * timing.median / len(records),
                "floor_seconds": floor.median,
                "ratio_to_floor": timing.median / floor.median,
                "gc_share": timing.gc_share,
                "floor_gc_share": floor.gc_share,
            }
        )
        del run, records
    xs, ys = [r["resources"] for r in rows], [r["seconds"] for r in rows]
    slope, intercept = least_squares(xs, ys)
    marginal = marginal_ms_per_resource(rows)
    return {
        "stack": stack,
        "template_service": template.get("name"),
        "rows": rows,
        "slope_ms_per_resource": 1000 * slope,
        "intercept_s": intercept,
        "r_squared": r_squared(xs, ys, slope, intercept),
        "ms_per_resource_ratio": rows[-1]["ms_per_resource"] / rows[0]["ms_per_resource"],
        "marginal_ms_per_resource": marginal,
        "marginal_ratio": marginal[-1] / marginal[0] if len(marginal) >= 2 and marginal[0] > 0 else None,
    }


def bench_tests(repo: Path) -> dict[str, Any]:
    """Wall time of the whole test suite, as CI runs it, from the repo root.

    Counts come from a JUnit XML report (the repo's ``-q`` addopts leave no summary line).
    """
    import tempfile
    import xml.etree.ElementTree as ET

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"]
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [*command, f"--junitxml={report}"], cwd=repo, capture_output=True, text=True, timeout=3600
            )
        except subprocess.TimeoutExpired:
            raise SkipError("the test suite did not finish within an hour") from None
        seconds = time.perf_counter() - start
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        try:
            root = ET.parse(report).getroot()
            for suite in root.iter("testsuite"):
                for key in counts:
                    counts[key] += int(suite.get(key, 0))
        except (OSError, ET.ParseError):
            pass
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    summary = f"{passed} passed, {counts['failures']} failed, {counts['errors']} errors"
    summary += f", {counts['skipped']} skipped"
    if done.returncode not in (0, 1):
        tail = (done.stdout.strip().splitlines() or [""])[-1]
        summary += f" (pytest exit code {done.returncode}: {tail})"
    return {
        "command": " ".join(["python", *command[1:]]),
        "seconds": seconds,
        "exit_code": done.returncode,
        "summary": summary,
        **counts,
    }


# --------------------------------------------------------------------------- report


def _goal(met: bool | None, status: str | None = None) -> str:
    return status or ("n/a" if met is None else ("met" if met else "NOT met"))


def judge(value: float | None, limit: float) -> tuple[bool | None, str]:
    """``value <= limit``: (met, status), "n/a" without a value."""
    if value is None:
        return None, "n/a"
    return (True, "met") if value <= limit else (False, "NOT met")


def judge_scaling(ratio: float | None, r_squared: float | None) -> tuple[bool | None, str]:
    """A poor linear fit (R^2 below MIN_R_SQUARED) is too noisy to judge: "inconclusive", whatever the
    ratio says (a noisy run once printed "met" with a negative ratio)."""
    if ratio is None or r_squared is None:
        return None, "n/a"
    if r_squared < MIN_R_SQUARED or ratio <= 0:
        return None, "inconclusive"
    return judge(ratio, GOAL_SCALING_RATIO)


def _entry(goal: str, value: str, verdict: tuple[bool | None, str]) -> dict[str, Any]:
    return {"goal": goal, "value": value, "met": verdict[0], "status": verdict[1]}


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for stack, data in results["stacks"].items():
        if "error" in data:
            continue
        # Judged against the same-inputs floor (the SDK's own work on the same properties): our
        # components may add at most half of what the SDK itself costs. The bare floor is reported.
        ratio = data["preview_ratio_to_inputs_floor"]
        out.append(
            _entry(
                f"{stack}: preview time <= {GOAL_PREVIEW_RATIO}x the same-inputs floor",
                f"{ratio:.2f}x (bare floor: {data['preview_ratio']:.2f}x)",
                judge(ratio, GOAL_PREVIEW_RATIO),
            )
        )
        memory = data["memory"]
        mem_ratio = memory.get("preview_ratio_to_inputs_floor")
        out.append(
            _entry(
                f"{stack}: preview peak memory <= {GOAL_PREVIEW_RATIO}x the same-inputs floor",
                f"{mem_ratio:.2f}x (bare floor: {memory['preview_ratio']:.2f}x)" if mem_ratio else "n/a",
                judge(mem_ratio, GOAL_PREVIEW_RATIO),
            )
        )
        check = data["check"]
        out.append(
            _entry(
                f"{stack}: check adds <= {GOAL_CHECK_OVERHEAD:.0%} to preview",
                f"{check['overhead']:+.1%}" if "overhead" in check else "n/a",
                judge(check.get("overhead"), GOAL_CHECK_OVERHEAD),
            )
        )
        process = data.get("process") or {}
        if "ratio" in process:
            out.append(
                _entry(
                    f"{stack}: `dataplatform check` process <= {GOAL_PROCESS_RATIO}x the floor process",
                    f"{process['ratio']:.2f}x ({process['check']['median_s']:.2f} s vs "
                    f"{process['floor']['median_s']:.2f} s)",
                    judge(process["ratio"], GOAL_PROCESS_RATIO),
                )
            )
        cp = data["critical_path"]
        out.append(
            _entry(
                f"{stack}: deploy estimate = slowest forced chain (nothing serialized needlessly)",
                f"+{cp['serialization_seconds']:.0f} s from depends_on",
                (cp["nothing_serialized"], "met" if cp["nothing_serialized"] else "NOT met"),
            )
        )
    scaling = results.get("scaling") or {}
    if "rows" in scaling:
        rows = scaling["rows"]
        ratio = scaling.get("marginal_ratio")
        out.append(
            _entry(
                (
                    f"scaling: ms per added resource, {rows[-2]['services']}->{rows[-1]['services']} vs "
                    f"{rows[0]['services']}->{rows[1]['services']} services "
                    f"<= {GOAL_SCALING_RATIO}x (linear total; judged only when R^2 >= {MIN_R_SQUARED})"
                    if len(rows) >= 2
                    else "scaling: linear total"
                ),
                f"{ratio:.2f}x (R^2 {scaling['r_squared']:.4f})" if ratio is not None else "n/a",
                judge_scaling(ratio, scaling.get("r_squared")),
            )
        )
    return out


def _mib(value: float) -> str:
    return f"{value / 1024 / 1024:.1f} MiB"


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    machine = results["machine"]
    lines.append(
        f"Machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs, {machine['memory_gib']} GiB; "
        f"{machine['implementation']} {machine['python']} on {machine['platform']}"
    )
    lines.append(
        f"Repetitions: {results['repetitions']} (times are medians); memory: {results['memory_method']}"
    )
    imports = results["imports"]
    cold = f"{imports['cold_s']:.2f} s" if imports["cold_s"] is not None else "n/a"
    lines.append(f"Imports (fresh interpreter, not charged to any run): {cold}")
    if imports["failed"]:
        lines.append(f"  could not import: {', '.join(sorted(imports['failed']))}")

    lines.append("")
    lines.append("1. Offline preview and check, against the floor (bare resources under the same mocks)")
    header = f"{'stack':<6} {'res':>5} {'floor':>8} {'preview':>8} {'ratio':>6} {'check':>8} {'+check':>7}"
    header += f" {'mem floor':>10} {'mem prev':>10} {'ratio':>6} {'mem check':>10}"
    lines.append(header)
    for stack, data in results["stacks"].items():
        if "error" in data:
            lines.append(f"{stack:<6} {data['error']}")
            continue
        check, mem = data["check"], data["memory"]
        check_s = f"{check['median_s']:.3f}s" if "median_s" in check else "n/a"
        overhead = f"{check['overhead']:+.0%}" if "overhead" in check else "n/a"
        mem_check = _mib(mem["check_peak_bytes"]) if "check_peak_bytes" in mem else "n/a"
        lines.append(
            f"{stack:<6} {data['resources']:>5} {data['floor']['median_s']:>7.3f}s "
            f"{data['preview']['median_s']:>7.3f}s {data['preview_ratio']:>5.2f}x {check_s:>8} {overhead:>7}"
            f" {_mib(mem['floor_peak_bytes']):>10} {_mib(mem['preview_peak_bytes']):>10}"
            f" {mem['preview_ratio']:>5.2f}x {mem_check:>10}"
        )
        lines.append(
            f"       floor with the same inputs (the SDK's property work alone): "
            f"{data['inputs_floor']['median_s']:.3f}s; "
            f"preview is {data['preview_ratio_to_inputs_floor']:.2f}x that"
        )
        if "error" in check:
            lines.append(f"       check: {check['error']}")
        process = data.get("process") or {}
        if "ratio" in process:
            lines.append(
                f"       as processes: `dataplatform check` {process['check']['median_s']:.2f} s, "
                f"{_mib(process['check']['peak_rss_bytes'])} RSS; floor process "
                f"{process['floor']['median_s']:.2f} s, {_mib(process['floor']['peak_rss_bytes'])}; "
                f"{process['ratio']:.2f}x time, {process['memory_ratio']:.2f}x memory"
            )
            scan = process["checkov"]
            if "median_s" in scan:
                lines.append(
                    f"       checkov (terraform_plan of `dataplatform export`, {scan['resources']} "
                    f"resources): {scan['median_s']:.2f} s; `dataplatform check` takes "
                    f"{scan['check_to_checkov']:.2f}x that"
                )
            else:
                lines.append(f"       checkov: {scan.get('skipped') or scan.get('error')}")
        elif process:
            lines.append(f"       processes: {process.get('error')}")
        lines.append(f"       first run (lazy SDK submodule imports): {data['first_run_s']:.2f} s")

    lines.append("")
    scaling = results.get("scaling") or {}
    lines.append(f"2. Scaling: the {scaling.get('stack', 'dev')} stack with N pipeline services")
    if "rows" in scaling:
        lines.append(
            f"{'N':>5} {'res':>6} {'seconds':>8} {'ms/res':>7} {'gc':>5} {'floor':>8} {'gc':>5} {'ratio':>6}"
        )
        for row in scaling["rows"]:
            lines.append(
                f"{row['services']:>5} {row['resources']:>6} {row['seconds']:>8.3f} "
                f"{row['ms_per_resource']:>7.2f} {row['gc_share']:>5.0%} {row['floor_seconds']:>8.3f} "
                f"{row['floor_gc_share']:>5.0%} {row['ratio_to_floor']:>5.2f}x"
            )
        lines.append("(gc: share of the wall time spent in Python's cyclic garbage collector)")
        lines.append(
            f"slope {scaling['slope_ms_per_resource']:.2f} ms/resource (least squares, intercept "
            f"{scaling['intercept_s']:.3f} s, R^2 {scaling['r_squared']:.4f}); ms/resource at "
            f"largest/smallest N: {scaling['ms_per_resource_ratio']:.2f}x "
            "(the mix shifts to heavier Kubernetes objects)"
        )
        marginal = ", ".join(f"{m:.2f}" for m in scaling["marginal_ms_per_resource"])
        lines.append(f"ms per added resource between consecutive sizes: {marginal}")
    else:
        lines.append(f"   {scaling.get('error', 'not run')}")

    lines.append("")
    lines.append("3. Deploy critical path (estimated AWS creation times, benchmarks/criticalpath.py)")
    if all("error" in data for data in results["stacks"].values()):
        lines.append("   no stack ran")
    for stack, data in results["stacks"].items():
        if "error" in data:
            continue
        cp = data["critical_path"]
        lines.append(
            f"{stack}: estimated minimum deploy {format_duration(cp['estimate_seconds'])} "
            f"over {cp['nodes']} resources; slowest forced chain: "
            f"{format_duration(cp['forced_seconds'])} "
            f"(data alone: {format_duration(cp['data_only_seconds'])})"
        )
        for type_, name, seconds, edge in cp["chain"]:
            via = f" (after previous: {edge})" if edge else ""
            lines.append(f"    {seconds:>6.0f} s  {type_}  {name}{via}")
        for a, b, reason in cp["required_edges_on_chain"]:
            lines.append(f"    required: {a} -> {b}: {reason}")
        if cp["explicit_edges_on_chain"]:
            pairs = ", ".join(f"{a} -> {b}" for a, b in cp["explicit_edges_on_chain"])
            lines.append(f"    depends_on edges on the chain with no known need: {pairs}")

    lines.append("")
    tests = results.get("tests") or {}
    if "seconds" in tests:
        lines.append(f"4. Test suite: {tests['seconds']:.1f} s ({tests['command']}): {tests['summary']}")
    else:
        lines.append(f"4. Test suite: {tests.get('error', 'skipped')}")

    lines.append("")
    lines.append("Goals (measurements, not assertions)")
    if not results["goals"]:
        lines.append("   nothing measured")
    for goal in results["goals"]:
        lines.append(f"  [{_goal(goal['met'], goal.get('status')):>12}] {goal['goal']}: {goal['value']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2 repetitions, N in {10, 50}")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument("--dir", default=str(ROOT), help="the Pulumi project (default: the repo root)")
    parser.add_argument("--stacks", default="dev,prod", help="stacks to benchmark (default: dev,prod)")
    parser.add_argument("--scaling-stack", default="dev", help="stack the scaling runs copy (default: dev)")
    parser.add_argument("--services", help="comma-separated service counts (default: 10,50,100,200)")
    parser.add_argument("--repetitions", type=int, help="timed runs per measurement (default: 5)")
    parser.add_argument(
        "--output", default=str(ROOT / "benchmarks" / "results"), help="JSON directory (default: %(default)s)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    project_dir = Path(args.dir).resolve()
    repetitions = args.repetitions or (2 if args.quick else 5)
    sizes = (
        [int(n) for n in args.services.split(",")]
        if args.services
        else ([10, 50] if args.quick else [10, 50, 100, 200])
    )
    stacks = [s for s in args.stacks.split(",") if s]
    results: dict[str, Any] = {
        "timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "project_dir": str(project_dir),
        "machine": machine_info(),
        "repetitions": repetitions,
        "memory_method": MEMORY_METHOD,
        "stacks": {},
    }
    progress = print if sys.stderr.isatty() else (lambda *a, **k: None)
    progress("warming imports...", file=sys.stderr)
    results["imports"] = warm_imports()
    failures = 0
    for stack in stacks:
        progress(f"stack {stack}...", file=sys.stderr)
        try:
            results["stacks"][stack] = bench_stack(project_dir, stack, repetitions)
        except SkipError as skip:
            results["stacks"][stack] = {"error": str(skip)}
            failures += 1
    progress("scaling...", file=sys.stderr)
    try:
        results["scaling"] = bench_scaling(project_dir, args.scaling_stack, sizes, repetitions)
    except SkipError as skip:
        results["scaling"] = {"error": str(skip)}
        failures += 1
    if args.skip_tests:
        results["tests"] = {"error": "skipped (--skip-tests)"}
    else:
        progress("test suite...", file=sys.stderr)
        try:
            results["tests"] = bench_tests(ROOT)
        except SkipError as skip:
            results["tests"] = {"error": str(skip)}
            failures += 1
    results["goals"] = goals(results)
    print(render(results))

    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["timestamp"].replace(":", "").replace("-", "")
    text = json.dumps(results, indent=2, sort_keys=True, default=str) + "\n"
    (out_dir / f"{stamp}.json").write_text(text)
    (out_dir / "latest.json").write_text(text)
    print(f"\nJSON: {out_dir / (stamp + '.json')} (and latest.json)")
    if failures:
        print(f"{failures} section(s) could not run; see the messages above.", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
