"""Whole-process figures: what a user waits for, from `python` starting to the report printed.

``dataplatform check --stack S`` as a process, against a floor process that imports the same SDK
modules and registers the same-inputs resources under the same engine and mocks (no components,
no config, no policies), and against checkov when it is installed. Run by ``run.py``; also
``python -m benchmarks.processes floor RECORDS.json MODULES.json PROJECT STACK`` (the floor process).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOAL_PROCESS_RATIO = 1.3
"""``dataplatform check`` as a process at most this many times the floor process."""
SDK_PACKAGES = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_eks", "pulumi_policy")
"""The SDKs: every module of theirs the check process loads (submodules such as
``pulumi_aws.ec2`` included), the floor process imports too."""

# VmHWM, the process's own peak RSS. A child of this (large) benchmark process reports the parent's
# peak (measured: ru_maxrss and VmHWM both carry it over here), so each command runs under a small
# launcher, which times it and whose own children start from its small peak.
_MAXRSS = (
    "print('MAXRSS', next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')), "
    "file=sys.stderr)"
)
_LAUNCHER = (
    "import subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('SECONDS', time.perf_counter() - start, file=sys.stderr)\n"
    "sys.exit(code)\n"
)

CHECK_SCRIPT = (
    "import json, sys\n"
    "from dpengine.cli import main\n"
    "code = main(['check', '--stack', sys.argv[1]])\n"
    f"{_MAXRSS}\n"
    f"sdk = sorted(m for m in sys.modules if m.split('.')[0] in {SDK_PACKAGES!r})\n"
    "open(sys.argv[2], 'w').write(json.dumps(sdk))\n"
    "sys.exit(code)\n"
)


def _records_file(records: list[Any], path: Path) -> None:
    rows = [
        {
            "type": r.type,
            "custom": bool(r.custom or r.remote),
            "inputs": r.inputs,
            "outputs": sorted(r.outputs),
        }
        for r in records
    ]
    path.write_text(json.dumps(rows, default=str))


def floor_main(records_path: str, modules_path: str, project: str, stack: str) -> int:
    """The floor process: the check process's SDK imports, then the same-inputs resources, flat."""
    import importlib
    from types import SimpleNamespace

    for name in json.loads(Path(modules_path).read_text()):
        try:
            importlib.import_module(name)
        except ImportError:  # a module the SDK made at run time (none known); the rest still count
            continue
    from .programs import run_floor, stack_references

    rows = json.loads(Path(records_path).read_text())
    records = [
        SimpleNamespace(type=r["type"], custom=r["custom"], remote=False, inputs=r["inputs"],
                        outputs=dict.fromkeys(r["outputs"]))
        for r in rows
    ]  # fmt: skip
    run_floor(records, project, stack, stack_references(ROOT, stack), with_inputs=True)
    exec(_MAXRSS)  # the same measurement as the check process makes
    return 0


def _timed(command: list[str], cwd: Path) -> tuple[float, int]:
    launched = [sys.executable, "-c", _LAUNCHER, *command]
    done = subprocess.run(launched, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    times = [float(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("SECONDS ")]
    if not times:
        raise RuntimeError(
            f"the launcher of {' '.join(command[:3])}... reported no time: {done.stderr[-300:]}"
        )
    seconds = times[-1]
    if done.returncode not in (0, 1):
        tail = (done.stderr.strip().splitlines() or [""])[-1]
        raise RuntimeError(f"{' '.join(command[:3])}... exited {done.returncode}: {tail}")
    rss = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("MAXRSS ")]
    return seconds, (rss[-1] * 1024 if rss else 0)  # VmHWM is in kB


def bench_processes(
    records: list[Any], project: str, stack: str, repetitions: int, plan: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Median wall time and peak RSS of the check process and of the floor process, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        records_path, modules_path = Path(tmp) / "records.json", Path(tmp) / "modules.json"
        _records_file(records, records_path)
        floor = [sys.executable, "-m", "benchmarks.processes", "floor", str(records_path), str(modules_path)]
        commands = {
            "check": [sys.executable, "-c", CHECK_SCRIPT, stack, str(modules_path)],
            "floor": [*floor, project, stack],
        }
        _timed(commands["check"], ROOT)  # warm-up (file caches), and the SDK modules it loads
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for _ in range(repetitions):
            for name, command in commands.items():
                samples[name].append(_timed(command, ROOT))
    result: dict[str, Any] = {"stack": stack, "repetitions": repetitions}
    for name, rows in samples.items():
        result[name] = {
            "median_s": statistics.median(s for s, _ in rows),
            "peak_rss_bytes": max(m for _, m in rows),
        }
    result["ratio"] = result["check"]["median_s"] / result["floor"]["median_s"]
    result["memory_ratio"] = result["check"]["peak_rss_bytes"] / max(result["floor"]["peak_rss_bytes"], 1)
    result["checkov"] = checkov_figure(plan, result["check"]["median_s"])
    return result


def find_checkov() -> str | None:
    """checkov: ``$CHECKOV``, the scan virtualenv ``make scan-tools`` makes, or PATH."""
    import os

    for candidate in (os.environ.get("CHECKOV"), str(ROOT / ".venv-scan" / "bin" / "checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("checkov")


CHECKOV_RUNS = 2
"""checkov takes tens of seconds on these plans: the median of two runs."""


def checkov_figure(plan: dict[str, Any] | None, check_seconds: float) -> dict[str, Any]:
    """checkov on the same resources, when installed: the plan exported as Terraform plan JSON
    (``dataplatform export``, which is how checkov reads a Pulumi program), scanned with its
    ``terraform_plan`` framework, as a process; the ratio is the check process's time to it."""
    checkov = find_checkov()
    if checkov is None:
        return {"skipped": "checkov is not installed (make scan-tools)"}
    if plan is None:
        return {"skipped": "no plan to export"}
    sys.path.insert(0, str(ROOT))
    from dpengine.export.terraform import terraform_plan

    document, _ = terraform_plan(plan)
    import os
    import time

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(document))
        seconds = []
        for _ in range(CHECKOV_RUNS):
            start = time.perf_counter()
            done = subprocess.run(
                [checkov, "-f", str(path), "--framework", "terraform_plan", "--skip-download", "-o", "json"],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
            )
            seconds.append(time.perf_counter() - start)
            if done.returncode not in (0, 1):
                return {"error": f"checkov exited {done.returncode}: {done.stderr[-300:]}"}
    median = statistics.median(seconds)
    return {
        "median_s": median,
        "runs": CHECKOV_RUNS,
        "resources": len(document["planned_values"]["root_module"]["resources"]),
        "check_to_checkov": check_seconds / median,
    }


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "floor":
        sys.exit(floor_main(*sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
