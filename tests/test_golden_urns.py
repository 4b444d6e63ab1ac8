"""Golden URN lists: a changed logical name replaces the real resource on the next `pulumi up`.

Each stack's URNs are compared with ``tests/golden/<project>-<stack>.urns``. A rename that is
intended needs an ``aliases`` option on the resource (so Pulumi moves it instead of replacing it)
and then a regenerated list: ``python tests/test_golden_urns.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

if __name__ == "__main__":  # run as a script: the repository's packages, as pytest's pythonpath gives them
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dpengine.engine import StackRun, run_program

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
ANALYTICS = ROOT / "examples" / "analytics"
WORKLOADS = ROOT / "examples" / "workloads"

PROGRAMS = {
    "dataplatform-dev": (ROOT, "dev"),
    "dataplatform-prod": (ROOT, "prod"),
    "analytics-dev": (ANALYTICS, "dev"),
    "workloads-dev": (WORKLOADS, "dev"),
}


def _run(key: str) -> StackRun:
    project_dir, stack = PROGRAMS[key]
    refs = None
    if project_dir != ROOT:
        refs = json.loads((project_dir / f"stack-references.{stack}.json").read_text())
    return run_program(project_dir, stack, stack_references=refs)


def _urns(run: StackRun) -> list[str]:
    return sorted(r.urn for r in run.resources)


@pytest.mark.parametrize("key", sorted(PROGRAMS))
def test_urns_match_the_golden_list(key: str) -> None:
    expected = (GOLDEN / f"{key}.urns").read_text().splitlines()
    actual = _urns(_run(key))
    added = sorted(set(actual) - set(expected))
    removed = sorted(set(expected) - set(actual))
    assert not added and not removed, (
        f"{key}: URNs changed (a rename replaces the real resource; add `aliases` if intended, then "
        f"regenerate with `python tests/test_golden_urns.py`).\n"
        f"added: {json.dumps(added, indent=1)}\nremoved: {json.dumps(removed, indent=1)}"
    )
    assert actual == expected


if __name__ == "__main__":
    for key in sorted(PROGRAMS):
        (GOLDEN / f"{key}.urns").write_text("\n".join(_urns(_run(key))) + "\n")
        print(f"wrote {GOLDEN / f'{key}.urns'}")
