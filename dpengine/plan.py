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
    if record.aliases:
        # The URNs the resource had before (its ``aliases`` option): `diff` matches an old state
        # under one of them as the same resource moved, as the Pulumi engine does.
        state["aliases"] = list(record.aliases)
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
        if record.transforms:
            step["transforms"] = list(record.transforms)
        steps.append(step)
    config = {k: (SECRET_MASK if k in run.secret_config_keys else v) for k, v in run.config.items()}
    return {
        "config": config,
        "steps": steps,
        "diagnostics": [{"severity": sev, "message": msg} for sev, msg in run.diagnostics],
        "changeSummary": {"create": len(steps)},
        "notEvaluated": [
            {"urn": n.urn, "type": n.type, "name": n.name, "what": n.what, "reason": n.reason}
            for n in run.not_evaluated
        ],
        "offline": {"project": run.project, "stack": run.stack, "engine": "dataplatform mock engine"},
    }


def plan_text(run: StackRun) -> str:
    return json.dumps(plan_json(run), indent=2, sort_keys=False) + "\n"


def write_plan(run: StackRun, path: Path) -> None:
    from .textio import write_text

    write_text(path, plan_text(run), "plan")


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


WIDTH = 120
"""Preview lines fit this many columns."""


def short_type(token: str) -> str:
    """The type token as Pulumi displays it: the module's last segment is dropped when it only
    repeats the type name (``aws:s3/bucket:Bucket`` → ``aws:s3:Bucket``; pulumi/pulumi
    ``pkg/backend/display``'s ``simplifyTypeName``); other tokens stay as they are."""
    parts = token.split(":")
    if len(parts) != 3 or not parts[2]:
        return token
    package, module, name = parts
    camel = name[0].lower() + name[1:]
    if module.endswith("/" + camel):
        module = module[: -len(camel) - 1]
    return f"{package}:{module}:{name}"


class _Style:
    """ANSI styles, or none (``color=False``)."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color and text else text


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _counted(run: StackRun) -> str:
    """What the one resource count of the CLI (preview, check, README) is made of: every resource
    the program registers, components included, the stack itself not counted."""
    custom = sum(1 for r in run.resources if r.custom)
    return f"{custom} custom resources, {len(run.resources) - custom} components"


def _diagnostics(run: StackRun) -> list[str]:
    """``pulumi.log`` messages grouped by resource, as Pulumi's Diagnostics section shows them
    (info messages bare, warnings and errors prefixed; debug messages hidden)."""
    by_urn: dict[str, list[str]] = {}
    urns = run.diagnostic_urns or [""] * len(run.diagnostics)
    for (severity, message), urn in zip(run.diagnostics, urns):
        if severity == "debug":
            continue
        prefix = "" if severity == "info" else f"{severity}: "
        by_urn.setdefault(urn or run.stack_urn, []).append(prefix + message)
    lines: list[str] = []
    for urn, messages in by_urn.items():
        if urn == run.stack_urn:
            label = f"{STACK_TYPE} ({run.project}-{run.stack})"
        else:
            try:
                record = run.get(urn)
                label = f"{short_type(record.type)} ({record.name})"
            except KeyError:
                label = urn
        lines += ["", f"  {label}:"]
        for message in messages:
            lines += [f"    {line}" for line in message.splitlines() or [""]]
    return ["", "Diagnostics:", *lines[1:]] if lines else []


def _input_lines(record: ResourceRecord, width: int) -> list[str]:
    """A resource's inputs under its row, as ``pulumi preview --diff`` lists a create's
    (``+ key: value``, nested values indented; secrets are already ``[secret]``)."""
    lines: list[str] = []

    def show(key: str, value: Any, indent: int) -> None:
        pad = " " * indent
        if isinstance(value, dict) and value:
            lines.append(f"{pad}+ {key}: {{")
            for sub in sorted(value):
                show(sub, value[sub], indent + 4)
            lines.append(f"{pad}  }}")
        elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
            lines.append(f"{pad}+ {key}: [")
            for index, item in enumerate(value):
                show(f"[{index}]", item, indent + 4)
            lines.append(f"{pad}  ]")
        else:
            text = json.dumps(value, sort_keys=True)
            limit = max(width - indent - len(key) - 4, 16)
            lines.append(f"{pad}+ {key}: {_fit(text, limit)}")

    for key in sorted(record.masked_inputs):
        show(key, record.masked_inputs[key], 9)
    return lines


def render_text(
    run: StackRun,
    *,
    show_counts: bool = False,
    color: bool = False,
    width: int = WIDTH,
    show_inputs: bool = False,
    show_outputs: bool = True,
) -> str:
    """A resource tree (types shortened as Pulumi shows them, at most ``width`` columns), each
    resource's inputs (``show_inputs``, as ``--diff``), counts per type when asked, outputs (secrets
    masked; not with ``show_outputs=False``), diagnostics and a summary line."""
    style = _Style(color)
    out: list[str] = [
        style(f"Previewing stack '{run.stack}' of project '{run.project}'", "1")
        + " (offline: Pulumi mock runtime, no cloud calls)",
        "",
    ]
    rows = []
    for prefix, record in _tree_lines(run):
        if record is None:
            rows.append(("", STACK_TYPE, f"{run.project}-{run.stack}", ""))
            continue
        flags = []
        if record.protect:
            flags.append("protect")
        if record.retain_on_delete:
            flags.append("retain")
        if record.ignore_changes:
            flags.append("ignore:" + ",".join(record.ignore_changes))
        rows.append((prefix, short_type(record.type), record.name, " ".join(flags)))
    # " +  " then type, name and options, two spaces apart; long options give way first, then names.
    type_width = min(max(len(p) + len(t) for p, t, _, _ in rows), 72, max(width - 8 - 12 - 2, 20))
    options_width = min(max(len(o) for *_, o in rows), 14)
    name_width = max(min(max(len(n) for _, _, n, _ in rows), width - 8 - type_width - options_width), 12)
    out.append(style(f"     {'Type':<{type_width}}  {'Name':<{name_width}}  Options", "1"))
    records = [record for _, record in _tree_lines(run)]
    for (prefix, token, name, options), record in zip(rows, records):
        type_col = _fit(prefix + token, type_width)
        options = _fit(options, width - 8 - type_width - name_width)
        line = (
            f" {style('+', '32')}  {type_col:<{type_width}}  "
            f"{_fit(name, name_width):<{name_width}}  {style(options, '33')}"
        )
        out.append(line.rstrip())
        if show_inputs and record is not None:
            out += [style(text, "2") for text in _input_lines(record, width)]
    if show_counts:
        out += ["", style("Resources by type:", "1")]
        counts = Counter(r.type for r in run.resources)
        for token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            out.append(f"    {count:>4}  {short_type(token)}")
    if run.masked_outputs and show_outputs:
        out += ["", style("Outputs:", "1")]
        key_width = max(len(k) for k in run.masked_outputs)
        for key in sorted(run.masked_outputs):
            line = f"    {key:<{key_width}}: {json.dumps(run.masked_outputs[key], sort_keys=True)}"
            if len(line) > width and isinstance(run.masked_outputs[key], (dict, list)):
                value = json.dumps(run.masked_outputs[key], sort_keys=True, indent=4)
                line = f"    {key:<{key_width}}: " + value.replace("\n", "\n    ")
                if max(len(part) for part in line.splitlines()) > width:  # a document: say where it is
                    kind = "a list" if isinstance(run.masked_outputs[key], list) else "an object"
                    line = (
                        f"    {key:<{key_width}}: ({kind} wider than {width} columns: `dataplatform outputs`)"
                    )
            elif len(line) > width:  # a long string (an ARN, an endpoint) on a line of its own
                line = f"    {key}:\n        {json.dumps(run.masked_outputs[key])}"
            out.append(line)
    diagnostics = _diagnostics(run)
    if diagnostics:
        out += [diagnostics[0], style(diagnostics[1], "1"), *diagnostics[2:]]
    protected = sum(1 for r in run.resources if r.protect)
    out += [
        "",
        style("Resources:", "1")
        + f" {style(f'+ {len(run.resources)} to create', '32')} ({_counted(run)}; {protected} protected;"
        " the stack itself not counted)",
    ]
    return "\n".join(out)
