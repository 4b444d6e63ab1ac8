"""``dataplatform diff``: what a change does to the plan, offline.

Each side is a plan in the shape of ``pulumi preview --json`` (``preview --json``), or, with
``--base-ref``, the program run at that git revision in a temporary worktree. Resources are matched
by URN; a resource is created, deleted, updated (the changed input paths) or replaced (a changed
input forces replacement: :mod:`.replacements`, or its ``replaceOnChanges`` option). Secrets: the
plans hold ``[secret]`` in place of every secret value, so a path whose secret value differs shows
as changed (a plain value that becomes secret too) and its value is never printed. Two masked
values cannot be compared: they count as unchanged (offline, every ``secure:`` config value reads
as one placeholder anyway, so no offline run could tell them apart).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .replacements import replacement_known, replacing_paths
from .wire import SECRET_MASK

STACK_TYPE = "pulumi:pulumi:Stack"
EXIT_PROTECTED = 3
UNKNOWN_REPLACEMENT = (
    "whether these inputs replace the resource is not known offline (its type has no entry read in "
    "dpengine/replace_on_change.json)"
)


@dataclass
class Change:
    urn: str
    type: str
    op: str
    """``create``, ``delete``, ``update`` or ``replace``."""
    changed: list[str] = field(default_factory=list)
    reason: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass
class PlanDiff:
    changes: list[Change]
    unchanged: int

    def of(self, op: str) -> list[Change]:
        return [c for c in self.changes if c.op == op]

    def protected_losses(self) -> list[Change]:
        """Protected resources the change would replace or delete (``pulumi up`` refuses them)."""
        return [c for c in self.changes if c.op in ("replace", "delete") and c.protect]

    def to_json(self) -> dict[str, Any]:
        return {
            "create": [c.urn for c in self.of("create")],
            "delete": [c.urn for c in self.of("delete")],
            "update": [
                {"urn": c.urn, "changed": c.changed, **({"note": c.reason} if c.reason else {})}
                for c in self.of("update")
            ],
            "replace": [{"urn": c.urn, "changed": c.changed, "reason": c.reason} for c in self.of("replace")],
            "unchanged": self.unchanged,
        }


def plan_states(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The resources of a plan by URN (the stack itself left out)."""
    steps = plan.get("steps")
    if not isinstance(steps, list):
        raise ValueError("not a plan of `preview --json`: no 'steps' list")
    states: dict[str, dict[str, Any]] = {}
    for step in steps:
        state = step.get("newState") or step.get("oldState") or {}
        if state.get("type") != STACK_TYPE and state.get("urn"):
            states[state["urn"]] = state
    return states


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """The paths (``a.b[0].c``) where two input values differ, leaves and added/removed keys."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                out.append(path)
            else:
                out += changed_paths(old[key], new[key], path)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for index, (a, b) in enumerate(zip(old, new)):
            out += changed_paths(a, b, f"{prefix}[{index}]")
        return out
    return [] if old == new else [prefix]


def _moved(base: Mapping[str, dict[str, Any]], head: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """Old URN -> new URN for each head resource whose ``aliases`` name a base resource: the Pulumi
    engine carries the old state over to the new URN (pulumi/pulumi
    ``pkg/resource/deploy/step_generator.go`` looks a new resource's aliases up in the old state),
    so it is the same resource, not a delete and a create."""
    moved: dict[str, str] = {}
    for urn, state in head.items():
        if urn in base:
            continue
        for alias in state.get("aliases") or []:
            if alias in base and alias not in head and alias not in moved:
                moved[alias] = urn
                break
    return moved


def diff_states(
    base: Mapping[str, dict[str, Any]],
    head: Mapping[str, dict[str, Any]],
) -> PlanDiff:
    """Per-resource changes from two sets of plan states (by URN, or by an alias the head names)."""
    changes: list[Change] = []
    unchanged = 0
    moved = _moved(base, head)
    renamed_from = {new: old for old, new in moved.items()}
    for urn in sorted((set(base) - set(moved)) | set(head)):
        old, new = base.get(renamed_from.get(urn, urn)), head.get(urn)
        if old is None and new is not None:
            changes.append(_change(urn, new, "create"))
            continue
        if new is None and old is not None:
            changes.append(_change(urn, old, "delete"))
            continue
        assert old is not None and new is not None
        paths = changed_paths(old.get("inputs", {}), new.get("inputs", {}))
        if not paths:
            unchanged += 1
            continue
        hits, reason = replacing_paths(new["type"], paths, list(new.get("replaceOnChanges", [])))
        if not hits and not replacement_known(new["type"]):
            reason = UNKNOWN_REPLACEMENT
        change = _change(urn, new, "replace" if hits else "update", paths, reason)
        # Pulumi checks protect against the state it holds: the base's options decide.
        change.protect = bool(old.get("protect")) or change.protect
        change.old = old.get("inputs", {})
        changes.append(change)
    return PlanDiff(changes, unchanged)


def _change(
    urn: str, state: dict[str, Any], op: str, paths: list[str] | None = None, reason: str = ""
) -> Change:
    inputs = state.get("inputs", {})
    return Change(
        urn=urn,
        type=state.get("type", ""),
        op=op,
        changed=paths or [],
        reason=reason,
        protect=bool(state.get("protect")),
        retain_on_delete=bool(state.get("retainOnDelete")),
        old=inputs if op == "delete" else {},
        new=inputs if op != "delete" else {},
    )


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any]) -> PlanDiff:
    return diff_states(plan_states(base), plan_states(head))


# --- rendering ---------------------------------------------------------------------------------

_SYMBOL = {"create": "+ ", "delete": "- ", "update": "~ ", "replace": "+-"}


def _value_at(value: Any, path: str) -> Any:
    current = value
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


class _Missing:
    pass


_MISSING = _Missing()


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(none)"
    if _holds_secret(value):
        return SECRET_MASK
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _holds_secret(value: Any) -> bool:
    if value == SECRET_MASK:
        return True
    if isinstance(value, dict):
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def _flags(change: Change) -> str:
    flags = [f for f, on in (("protected", change.protect), ("retain", change.retain_on_delete)) if on]
    return f" [{', '.join(flags)}]" if flags else ""


def render_text(diff: PlanDiff, title: str = "") -> str:
    """In the style of ``pulumi preview --diff``."""
    out = [f"Previewing update{f' ({title})' if title else ''}, offline:", ""]
    for change in diff.changes:
        out.append(f"    {_SYMBOL[change.op]}{change.type}: ({change.op}){_flags(change)}")
        out.append(f"        [urn={change.urn}]")
        if change.op == "replace":
            out.append(f"        [reason: {change.reason}]")
        elif change.reason:
            out.append(f"        [note: {change.reason}]")
        for path in change.changed:
            old, new = _value_at(change.old, path), _value_at(change.new, path)
            mark = "+" if old is _MISSING else "-" if new is _MISSING else "~"
            if _holds_secret(old) or _holds_secret(new):
                # Secret on either side: neither value is shown (a value made plain by mistake too).
                old, new = (v if v is _MISSING else SECRET_MASK for v in (old, new))
            out.append(f"      {mark} {path}: {_show(old)} => {_show(new)}")
    out += ["", "Resources:"]
    for op, verb in (("create", "to create"), ("update", "to update"), ("replace", "to replace")):
        if diff.of(op):
            out.append(f"    {_SYMBOL[op]}{len(diff.of(op))} {verb}")
    if diff.of("delete"):
        out.append(f"    - {len(diff.of('delete'))} to delete")
    out.append(f"    {diff.unchanged} unchanged")
    for change in diff.protected_losses():
        out.append(f"warning: protected resource would be {change.op}d: {change.urn}")
    return "\n".join(out)


def render_markdown(diff: PlanDiff, title: str = "") -> str:
    """For a GitHub job summary."""
    counts = ", ".join(f"{len(diff.of(op))} to {op}" for op in ("create", "update", "replace", "delete"))
    out = [f"### Plan diff{f': {title}' if title else ''}", "", f"{counts}; {diff.unchanged} unchanged.", ""]
    for change in diff.protected_losses():
        out.append(f"> [!WARNING]\n> Protected `{change.name}` ({change.type}) would be {change.op}d.\n")
    if diff.changes:
        out += ["| | resource | type | changed inputs | options |", "|---|---|---|---|---|"]
        for change in diff.changes:
            changed = "<br>".join(f"`{p}`" for p in change.changed)
            if change.reason:
                changed += f"<br>_{change.reason}_"
            options = ", ".join(
                f for f, on in (("protect", change.protect), ("retain", change.retain_on_delete)) if on
            )
            out.append(f"| {change.op} | `{change.name}` | `{change.type}` | {changed} | {options} |")
    else:
        out.append("No resource changes.")
    return "\n".join(out) + "\n"


# --- runs at a git revision ----------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ValueError("--base-ref needs git on PATH") from None
    if done.returncode != 0:
        raise ValueError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def plan_at_revision(
    project_dir: Path, stack: str, ref: str, extra: list[str] | None = None
) -> dict[str, Any]:
    """The plan of ``project_dir``'s program at git revision ``ref``, from a temporary worktree.

    The program runs in a child process: the revision's own modules (``components``...) must not
    mix with the ones this process has imported already.
    """
    project_dir = project_dir.resolve()
    root = Path(_git(["rev-parse", "--show-toplevel"], project_dir))
    relative = project_dir.relative_to(root)
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    with tempfile.TemporaryDirectory(prefix="dataplatform-base-") as tmp:
        tree = Path(tmp) / "tree"
        _git(["worktree", "add", "--detach", "--quiet", str(tree), ref], root)
        try:
            plan_file = Path(tmp) / "plan.json"
            package = __package__ or "dpengine"
            code = f"import sys; from {package}.cli import main; sys.exit(main())"
            command = [
                sys.executable,
                "-c",
                code,
                "preview",
                "--stack",
                stack,
                "--dir",
                ".",
                "--json",
                str(plan_file),
            ]
            env = dict(os.environ)
            # The revision's packages first (cwd), then this engine's for an installed library.
            engine_root = str(Path(__file__).resolve().parents[len(package.split("."))])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (engine_root, env.get("PYTHONPATH")) if p)
            done = subprocess.run(
                command + (extra or []),
                cwd=tree / relative,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0 or not plan_file.is_file():
                tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-8:]
                raise ValueError(f"the program at {ref} failed to preview:\n" + "\n".join(tail))
            data: dict[str, Any] = json.loads(plan_file.read_text())
            return data
        finally:
            _git(["worktree", "remove", "--force", str(tree)], root)


# --- CLI ---------------------------------------------------------------------------------------


def add_diff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "plans", nargs="*", metavar="PLAN", help="BASE HEAD: two plans written by `preview --json`"
    )
    parser.add_argument(
        "--base-ref", metavar="GIT_REF", help="compare the program at this git revision with HEAD's"
    )
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout (- : stdout)")
    parser.add_argument(
        "--allow-different-stacks",
        action="store_true",
        help="compare plans of two different stacks or projects (refused by default: nearly every "
        "resource would show as deleted and created)",
    )
    parser.add_argument(
        "--fail-on-protected-replace",
        action="store_true",
        help=f"exit {EXIT_PROTECTED} when a protected resource would be replaced or deleted",
    )


def _read_plan(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as error:
        raise ValueError(f"cannot read plan {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a plan object written by `preview --json`")
    return data


def plan_stack(plan: Mapping[str, Any]) -> tuple[str, str] | None:
    """(project, stack) of a plan: the engine's ``offline`` block, else the stack part of its URNs
    (``urn:pulumi:<stack>::<project>::...``, as a real ``pulumi preview --json`` has them)."""
    offline = plan.get("offline")
    if isinstance(offline, dict) and offline.get("stack"):
        return str(offline.get("project", "")), str(offline["stack"])
    for step in plan.get("steps") or []:
        urn = str(step.get("urn") or (step.get("newState") or {}).get("urn") or "")
        parts = urn.split("::")
        if urn.startswith("urn:pulumi:") and len(parts) >= 2:
            return parts[1], parts[0].removeprefix("urn:pulumi:")
    return None


def same_stack(base: Mapping[str, Any], head: Mapping[str, Any], base_name: str, head_name: str) -> None:
    """Refuse plans of two different stacks (URNs hold the stack: every resource would differ)."""
    left, right = plan_stack(base), plan_stack(head)
    if left is not None and right is not None and left != right:
        raise ValueError(
            f"{base_name} is a plan of {left[0]}/{left[1]} but {head_name} of {right[0]}/{right[1]}: "
            "plans of different stacks differ in every URN; compare two plans of one stack, or pass "
            "--allow-different-stacks to compare them anyway"
        )


def restacked(base: dict[str, Any], head: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with its URNs moved to ``head``'s stack and project, so that two stacks' plans are
    compared resource by resource (``--allow-different-stacks``)."""
    left, right = plan_stack(base), plan_stack(head)
    if left is None or right is None or left == right:
        return base
    text = json.dumps(base).replace(
        f"urn:pulumi:{left[1]}::{left[0]}::", f"urn:pulumi:{right[1]}::{right[0]}::"
    )
    moved: dict[str, Any] = json.loads(text)
    return moved


def cmd_diff(args: argparse.Namespace, run: Callable[[argparse.Namespace], Any]) -> int:
    if args.base_ref:
        if args.plans:
            raise ValueError("give either BASE HEAD plan files or --base-ref, not both")
        from .plan import plan_json

        head_run = run(args)
        # The base runs with the same -c values as the working tree: an override must not show
        # as a change of every resource it touches.
        extra = [f"--stack-outputs={flag}" for flag in (args.stack_outputs or [])]
        extra += [f"--config={flag}" for flag in (getattr(args, "config", None) or [])]
        if getattr(args, "timeout", None):
            extra.append(f"--timeout={args.timeout}")
        from .project import find_project_dir

        base_plan = plan_at_revision(find_project_dir(args.dir), args.stack, args.base_ref, extra)
        diff = diff_states(plan_states(base_plan), plan_states(plan_json(head_run)))
        title = f"{args.stack}: {args.base_ref} → working tree"
    elif len(args.plans) == 2:
        base, head = _read_plan(args.plans[0]), _read_plan(args.plans[1])
        if not getattr(args, "allow_different_stacks", False):
            same_stack(base, head, args.plans[0], args.plans[1])
        else:
            base = restacked(base, head)
        diff = diff_plans(base, head)
        title = f"{args.plans[0]} → {args.plans[1]}"
    else:
        raise ValueError("diff takes two plan files (BASE HEAD) or --stack S --base-ref GIT_REF")
    if args.format == "json":
        text = json.dumps(diff.to_json(), indent=2) + "\n"
    elif args.format == "markdown":
        text = render_markdown(diff, title)
    else:
        from .textio import fit_lines, report_width

        text = fit_lines(render_text(diff, title), report_width()) + "\n"
    from .textio import write_text

    write_text(args.output, text, f"{args.format} diff")
    if args.fail_on_protected_replace and diff.protected_losses():
        names = ", ".join(c.name for c in diff.protected_losses())
        print(f"error: protected resources would be replaced or deleted: {names}", file=sys.stderr)
        return EXIT_PROTECTED
    return 0
