"""The measured sections of a run: one stack (preview, check, floor, critical path, processes) and
the scaling runs."""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .criticalpath import critical_path
from .measure import (
    SkipError,
    least_squares,
    marginal_ms_per_resource,
    peak_memory,
    r_squared,
    time_interleaved,
)
from .processes import bench_processes
from .programs import SERVICES_KEY, load_evaluate, pack_config, run_floor, run_stack, stack_references


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
