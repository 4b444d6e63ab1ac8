"""The figures README.md quotes, each from the command that produces it, so none can drift.

A figure in README.md is written between markers, ``<!--fig:NAME-->VALUE<!--/fig-->`` (invisible
once rendered). Each NAME is computed here:

- ``policies``: the policies of the shipped pack (what ``dataplatform check`` runs);
- ``dev-resources``, ``dev-custom``, ``dev-components`` (and ``prod-*``): the resources the stack's
  program registers, counted as the CLI counts them (components included, the stack not);
- ``bench-*``: the stacks' sizes when the performance table was measured, from the newest
  ``benchmarks/baseline-*.json`` (``make bench`` writes it);
- ``tests-*``: the test suite's wall time and size, from ``benchmarks/test-suite.json``
  (``make test-time`` writes it: one timed ``pytest -n 2`` run).

    python -m benchmarks.readme_figures            # check: exit 1 naming every stale figure
    python -m benchmarks.readme_figures --write    # rewrite README.md (make readme-figures)
    python -m benchmarks.readme_figures --time-tests   # time the suite, write test-suite.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEST_SUITE = ROOT / "benchmarks" / "test-suite.json"
MARK = re.compile(r"<!--fig:(?P<name>[a-z0-9-]+)-->(?P<value>.*?)<!--/fig-->")


def _stack_counts(stack: str) -> dict[str, str]:
    from dpengine.engine import run_program

    run = run_program(ROOT, stack)
    custom = sum(1 for r in run.resources if r.custom)
    return {
        f"{stack}-resources": str(len(run.resources)),
        f"{stack}-custom": str(custom),
        f"{stack}-components": str(len(run.resources) - custom),
    }


def _policies() -> dict[str, str]:
    from dpengine.cli import default_pack

    return {"policies": str(len(default_pack().policies))}


def _bench() -> dict[str, str]:
    newest = sorted((ROOT / "benchmarks").glob("baseline-*.json"))[-1]
    stacks = json.loads(newest.read_text())["stacks"]
    return {f"bench-{stack}-resources": str(stacks[stack]["resources"]) for stack in ("dev", "prod")}


def _tests() -> dict[str, str]:
    data = json.loads(TEST_SUITE.read_text())
    return {
        "tests-count": f"{data['tests']:,}",
        "tests-seconds": f"{round(data['seconds']):d}",
        "tests-date": data["date"],
    }


SOURCES: tuple[Callable[[], dict[str, str]], ...] = (
    _policies,
    lambda: _stack_counts("dev"),
    lambda: _stack_counts("prod"),
    _bench,
    _tests,
)


def current() -> dict[str, str]:
    values: dict[str, str] = {}
    for source in SOURCES:
        values.update(source())
    return values


def stale(text: str, values: dict[str, str]) -> list[str]:
    """Each marked figure of ``text`` that differs from ``values`` (or that nothing computes)."""
    problems = []
    for match in MARK.finditer(text):
        name, shown = match.group("name"), match.group("value")
        if name not in values:
            problems.append(f"{name}: no command computes this figure (README shows {shown!r})")
        elif shown != values[name]:
            problems.append(f"{name}: README shows {shown}, the command gives {values[name]}")
    return problems


def rewrite(text: str, values: dict[str, str]) -> str:
    return MARK.sub(
        lambda m: f"<!--fig:{m.group('name')}-->{values.get(m.group('name'), m.group('value'))}<!--/fig-->",
        text,
    )


def time_tests() -> None:
    from .suite import bench_tests

    result = bench_tests(ROOT)
    result["date"] = datetime.datetime.now(datetime.UTC).date().isoformat()
    TEST_SUITE.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"{TEST_SUITE.relative_to(ROOT)}: {result['summary']} in {result['seconds']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help="rewrite the figures in README.md")
    parser.add_argument("--time-tests", action="store_true", help="time the suite into test-suite.json first")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.time_tests:
        time_tests()
    text = README.read_text()
    values = current()
    if args.write:
        README.write_text(rewrite(text, values))
        print(f"README.md: {len(MARK.findall(text))} figures written")
        return 0
    problems = stale(text, values)
    for problem in problems:
        print(f"README.md: {problem}", file=sys.stderr)
    if problems:
        print("run `make readme-figures` to update them", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
