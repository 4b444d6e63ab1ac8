#!/usr/bin/env python
"""Benchmarks: how fast the program plans and checks offline, how it scales, how long it deploys.

    python -m benchmarks.run [--quick] [--skip-tests] [--dir .] [--stacks dev,prod]

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
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .measure import SkipError, machine_info
from .programs import ROOT, warm_imports
from .report import goals, render
from .sections import bench_scaling, bench_stack
from .suite import bench_tests

MEMORY_METHOD = (
    "tracemalloc peak: the most memory held by Python allocations during one run "
    "(imports already done), measured in a separate untimed pass"
)


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
