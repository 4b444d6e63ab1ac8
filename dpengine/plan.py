"""The plan of a run: JSON in the shape of ``pulumi preview --json``, and text for people."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from .engine import STACK_TYPE, ResourceRecord, StackRun
from .wire import SECRET_MASK


def _new_state(record: ResourceRecord) -> dict[str, Any]:
    state: dict[str, Any] = {
        "urn": record.urn,
        "custom": record.custom,
        "type": record.type,
        "inputs": record.masked_inputs,
        "parent": record.parent or "",
        "protect": record.protect,
        "retainOnDelete": record.retain_on_delete,
        "dependencies": record.dependencies,
        "propertyDependencies": record.property_dependencies,
    }
    if record.provider:
        state["provider"] = record.provider
    if record.ignore_changes:
        state["ignoreChanges"] = record.ignore_changes
    if record.replace_on_changes:
        state["replaceOnChanges"] = record.replace_on_changes
    if record.delete_before_replace:
        state["deleteBeforeReplace"] = True
    if record.additional_secret_outputs:
        state["additionalSecretOutputs"] = record.additional_secret_outputs
    if record.remote:
        state["remote"] = True
    return state


def plan_json(run: StackRun) -> dict[str, Any]:
    """The run as ``pulumi preview --json`` would print it (secrets masked)."""
    stack_step = {
        "op": "create",
        "urn": run.stack_urn,
        "newState": {
            "urn": run.stack_urn,
            "custom": False,
            "type": STACK_TYPE,
            "inputs": {},
            "outputs": run.masked_outputs,
            "parent": "",
        },
    }
    steps = [stack_step]
    for record in run.resources:
        step: dict[str, Any] = {"op": "create", "urn": record.urn, "newState": _new_state(record)}
        if record.provider:
            step["provider"] = record.provider
        steps.append(step)
    config = {k: (SECRET_MASK if k in run.secret_config_keys else v) for k, v in run.config.items()}
    return {
        "config": config,
        "steps": steps,
        "diagnostics": [{"severity": sev, "message": msg} for sev, msg in run.diagnostics],
        "changeSummary": {"create": len(steps)},
        "offline": {"project": run.project, "stack": run.stack, "engine": "dataplatform mock engine"},
    }


def write_plan(run: StackRun, path: Path) -> None:
    path.write_text(json.dumps(plan_json(run), indent=2, sort_keys=False) + "\n")


def load_plan(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _tree_lines(run: StackRun) -> list[tuple[str, ResourceRecord | None]]:
    children: dict[str, list[ResourceRecord]] = {}
    for record in run.resources:
        children.setdefault(record.parent or run.stack_urn, []).append(record)
    lines: list[tuple[str, ResourceRecord | None]] = [("", None)]

    def walk(urn: str, prefix: str) -> None:
        kids = children.get(urn, [])
        for index, kid in enumerate(kids):
            last = index == len(kids) - 1
            lines.append((prefix + ("└─ " if last else "├─ "), kid))
            walk(kid.urn, prefix + ("   " if last else "│  "))

    walk(run.stack_urn, "")
    # Resources whose parent was never registered (should not happen) still show.
    shown = {id(r) for _, r in lines if r is not None}
    for record in run.resources:
        if id(record) not in shown:
            lines.append(("?  ", record))
    return lines


def render_text(run: StackRun, *, show_counts: bool = True) -> str:
    """A resource tree, counts per type, outputs (secrets masked) and a summary line."""
    out: list[str] = [
        f"Previewing stack '{run.stack}' of project '{run.project}' "
        "(offline: Pulumi mock runtime, no cloud calls)",
        "",
    ]
    rows = []
    for prefix, record in _tree_lines(run):
        if record is None:
            rows.append((f"{STACK_TYPE}", f"{run.project}-{run.stack}", ""))
            continue
        flags = []
        if record.protect:
            flags.append("protect")
        if record.retain_on_delete:
            flags.append("retain")
        if record.ignore_changes:
            flags.append("ignore:" + ",".join(record.ignore_changes))
        rows.append((prefix + record.type, record.name, " ".join(flags)))
    type_width = min(max(len(r[0]) for r in rows), 100)
    name_width = min(max(len(r[1]) for r in rows), 48)
    out.append(f" +  {'Type':<{type_width}}  {'Name':<{name_width}}  Options")
    for type_col, name, options in rows:
        out.append(f" +  {type_col:<{type_width}}  {name:<{name_width}}  {options}".rstrip())
    if show_counts:
        out += ["", "Resources by type:"]
        counts = Counter(r.type for r in run.resources)
        for token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            out.append(f"    {count:>4}  {token}")
    if run.masked_outputs:
        out += ["", "Outputs:"]
        width = max(len(k) for k in run.masked_outputs)
        for key in sorted(run.masked_outputs):
            out.append(f"    {key:<{width}}: {json.dumps(run.masked_outputs[key], sort_keys=True)}")
    warnings = [m for sev, m in run.diagnostics if sev in ("warning", "error")]
    if warnings:
        out += ["", "Diagnostics:"] + [f"    {m}" for m in warnings]
    custom = sum(1 for r in run.resources if r.custom)
    components = len(run.resources) - custom
    protected = sum(1 for r in run.resources if r.protect)
    out += [
        "",
        f"Resources: + {len(run.resources) + 1} to create "
        f"({custom} resources, {components} components, 1 stack; {protected} protected)",
    ]
    return "\n".join(out)
