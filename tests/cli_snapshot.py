"""Every output of the ``dataplatform`` CLI for dev, prod and both examples, into one folder.

A refactoring that must not change behaviour (issue 28: the engine in layers) is checked by taking a
snapshot before and after and comparing the two folders byte for byte::

    .venv/bin/python tests/cli_snapshot.py take /tmp/before        # on the base commit
    .venv/bin/python tests/cli_snapshot.py take /tmp/after         # on the change
    .venv/bin/python tests/cli_snapshot.py compare /tmp/before /tmp/after

Each case is one ``dataplatform`` invocation (the installed console script, run from the repository
root with ``COLUMNS=120`` and ``NO_COLOR``); its standard output, standard error, exit code and every
file it writes are kept. Not a test (it runs the CLI some ninety times, minutes on two cores): a tool
for a change that says "byte-identical".
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(ROOT / ".venv" / "bin" / "dataplatform")]
BASE_REF = "d6fe596"
"""The commit --base-ref diffs compare against (any fixed revision: the output must not depend on
the code that runs it)."""

PROJECTS = {
    "dev": ["--stack", "dev"],
    "prod": ["--stack", "prod"],
    "analytics": ["--stack", "dev", "--dir", "examples/analytics"],
    "workloads": ["--stack", "dev", "--dir", "examples/workloads"],
}


def cases(out: str) -> dict[str, list[str]]:
    """Case name -> arguments. ``{out}`` is the folder files are written into (relative to ROOT)."""
    found: dict[str, list[str]] = {
        "help": ["--help"],
        "no-command": [],
        "bad-stack": ["preview", "--stack", "a/b/c/d"],
        "missing-stack": ["check", "--stack", "nosuch"],
        "bad-config": ["preview", "--stack", "dev", "-c", "dataplatform:network.az_count=99"],
        "schema": ["schema"],
        "schema-file": ["schema", "--output", f"{out}/schema.json"],
        "bootstrap-dry-run-offline": ["bootstrap", "--region", "eu-west-1", "--dry-run", "--bucket", "b-1"],
        "bootstrap-no-profile": ["bootstrap", "--region", "eu-west-1", "--profile", "nosuch"],
    }
    for command in ("preview", "check", "outputs", "schema", "bootstrap", "cost", "diff", "graph", "export"):
        found[f"help-{command}"] = [command, "--help"]
    for name, target in PROJECTS.items():
        found[f"{name}-preview"] = ["preview", *target]
        found[f"{name}-preview-by-type-diff"] = ["preview", *target, "--by-type", "--diff"]
        found[f"{name}-preview-suppress-outputs"] = ["preview", *target, "--suppress-outputs"]
        found[f"{name}-preview-json-stdout"] = ["preview", *target, "--json", "-"]
        found[f"{name}-preview-json-file"] = ["preview", *target, "--json", f"{out}/{name}.plan.json"]
        for fmt in ("text", "json", "sarif"):
            found[f"{name}-check-{fmt}"] = ["check", *target, "--format", fmt, "--no-fail"]
        found[f"{name}-check-file-summary"] = [
            "check",
            *target,
            "--format",
            "sarif",
            "--output",
            f"{out}/{name}.sarif",
            "--summary",
            f"{out}/{name}.summary.md",
        ]
        found[f"{name}-check-skip"] = ["check", *target, "--skip-policy", "required-tags"]
        found[f"{name}-outputs"] = ["outputs", *target]
        found[f"{name}-outputs-secrets"] = ["outputs", *target, "--show-secrets", "--as", "o/p/s"]
        found[f"{name}-outputs-file"] = ["outputs", *target, "--output", f"{out}/{name}.outputs.json"]
        for fmt in ("text", "json", "markdown"):
            found[f"{name}-cost-{fmt}"] = ["cost", *target, "--format", fmt]
        found[f"{name}-cost-file"] = ["cost", *target, "--output", f"{out}/{name}.cost.txt"]
        for fmt in ("mermaid", "dot"):
            for detail in ("components", "key", "all"):
                graph = ["graph", *target, "--format", fmt, "--detail", detail]
                found[f"{name}-graph-{fmt}-{detail}"] = graph
        found[f"{name}-graph-flows"] = ["graph", *target, "--flows"]
        found[f"{name}-export-terraform"] = ["export", *target, "--format", "terraform-plan", "--output", "-"]
        found[f"{name}-export-kubernetes"] = [
            "export",
            *target,
            "--format",
            "kubernetes",
            "--output",
            f"{out}/{name}.k8s.yaml",
        ]
        for fmt in ("text", "json", "markdown"):
            found[f"{name}-diff-base-ref-{fmt}"] = ["diff", *target, "--base-ref", BASE_REF, "--format", fmt]
    found["cost-compare-prod-dev"] = ["cost", "--stack", "prod", "--compare", "dev"]
    return found


# Cases that read what an earlier case wrote: run after the others.
LATER = {
    "diff-files-same": ["diff", "{out}/dev.plan.json", "{out}/dev.plan.json"],
    "diff-files-refused": ["diff", "{out}/dev.plan.json", "{out}/prod.plan.json"],
    "diff-files-allowed-text": [
        "diff",
        "{out}/dev.plan.json",
        "{out}/prod.plan.json",
        "--allow-different-stacks",
        "--fail-on-protected-replace",
    ],
    "diff-files-allowed-json": [
        "diff",
        "{out}/prod.plan.json",
        "{out}/dev.plan.json",
        "--allow-different-stacks",
        "--format",
        "json",
        "--fail-on-protected-replace",
    ],
    "diff-files-allowed-markdown": [
        "diff",
        "{out}/dev.plan.json",
        "{out}/prod.plan.json",
        "--allow-different-stacks",
        "--format",
        "markdown",
    ],
    "cost-compare-plan": ["cost", "--stack", "prod", "--compare", "{out}/dev.plan.json"],
}


def _run(name: str, args: list[str], folder: Path) -> None:
    # No AWS settings from the environment: bootstrap's dry run is the offline one, the same every time.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(COLUMNS="120", NO_COLOR="1")
    env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    done = subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, check=False)
    (folder / f"{name}.stdout").write_bytes(done.stdout)
    (folder / f"{name}.stderr").write_bytes(done.stderr)
    (folder / f"{name}.code").write_text(f"{done.returncode}\n")
    print(f"{done.returncode:>3} {name}", flush=True)


def take(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # Files are written under a fixed relative path, so messages naming them match across snapshots.
    out = ".cli-snapshot-out"
    written = ROOT / out
    if written.exists():
        shutil.rmtree(written)
    written.mkdir()
    try:
        with ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as pool:
            list(pool.map(lambda item: _run(item[0], item[1], folder), cases(out).items()))
            later = {name: [a.replace("{out}", out) for a in args] for name, args in LATER.items()}
            list(pool.map(lambda item: _run(item[0], item[1], folder), later.items()))
        for path in sorted(written.iterdir()):
            shutil.copy(path, folder / f"file-{path.name}")
    finally:
        shutil.rmtree(written)


def compare(before: Path, after: Path) -> int:
    left = sorted(p.name for p in before.iterdir())
    right = sorted(p.name for p in after.iterdir())
    problems = [f"only in {before}: {n}" for n in sorted(set(left) - set(right))]
    problems += [f"only in {after}: {n}" for n in sorted(set(right) - set(left))]
    for name in sorted(set(left) & set(right)):
        if not filecmp.cmp(before / name, after / name, shallow=False):
            problems.append(f"differs: {name}")
    for line in problems:
        print(line)
    print(f"{len(set(left) & set(right))} files compared, {len(problems)} differences")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "take":
        take(Path(argv[1]).resolve())
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
