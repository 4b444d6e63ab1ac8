"""The goals each figure is judged against (reported, never asserted) and the printed report."""

from __future__ import annotations

from typing import Any

from .criticalpath import format_duration
from .processes import GOAL_PROCESS_RATIO

GOAL_PREVIEW_RATIO = 1.5
"""Preview wall time and peak memory at most this many times the floor."""
GOAL_CHECK_OVERHEAD = 0.25
"""check adds at most this fraction to preview's wall time."""
GOAL_SCALING_RATIO = 1.3
"""ms/resource at the largest size at most this many times the smallest."""
MIN_R_SQUARED = 0.98
"""Below this, a linear fit says too little to judge scaling: the verdict is "inconclusive"."""


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
