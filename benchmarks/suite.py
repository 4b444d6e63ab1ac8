"""The test suite's wall time, as CI runs it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .measure import SkipError


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
