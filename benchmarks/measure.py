"""Measuring: interleaved wall times with the garbage collector's share, peak memory, linear fits,
and the machine the figures come from."""

from __future__ import annotations

import gc
import itertools
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SkipError(Exception):
    """A measurement that cannot be made now: reported as a message, never a traceback."""


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
