"""``dataplatform cost --stack S [--dir D] [--format text|json|markdown] [--usage FILE]
[--compare PLAN_OR_STACK]``.

The usage file defaults to ``cost-usage.<stack>.yaml`` (or ``.json``) in the project, when present.
``--compare`` takes a plan file (``dataplatform preview --json``, or a real ``pulumi preview --json``)
or another stack of the same project.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .compare import compare
from .model import Estimate, estimate, from_plan, from_records
from .prices import PriceTable
from .render import FORMATS, render
from .usage import Usage, load_usage


def add_cost_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument(
        "--usage",
        metavar="FILE",
        default=None,
        help="usage quantities, YAML or JSON (default: cost-usage.<stack>.yaml in the project, if present; "
        "see dpengine/cost/usage.py for every setting and its default)",
    )
    parser.add_argument(
        "--compare",
        metavar="PLAN_OR_STACK",
        default=None,
        help="show the delta against a plan JSON file (`preview --json`) or another stack of the project",
    )
    parser.add_argument(
        "--prices", metavar="FILE", default=None, help="price table (default: the shipped one)"
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", default=None, help="write the report to FILE (- : stdout)"
    )


def default_usage_path(project_dir: Path | None, stack: str) -> Path | None:
    if project_dir is None:
        return None
    for suffix in (".yaml", ".yml", ".json"):
        candidate = project_dir / f"cost-usage.{stack}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _region(config: dict[str, Any], where: str) -> str:
    region = config.get("aws:region")
    if not isinstance(region, str) or not region:
        raise ValueError(
            f"{where} sets no aws:region: set it in the stack config (e.g. aws:region: eu-west-1)"
        )
    return region


def estimate_run(run: Any, usage: Usage | None = None, table: PriceTable | None = None) -> Estimate:
    """The estimate of a run of the engine (:class:`~dpengine.engine.StackRun`)."""
    if usage is None:
        usage = load_usage(default_usage_path(run.project_dir, run.stack))
    return estimate(
        from_records(run.resources),
        region=_region(run.config, f"stack {run.stack!r}"),
        usage=usage,
        table=table,
        project=run.project,
        stack=run.stack,
    )


def estimate_plan(plan: dict[str, Any], usage: Usage, table: PriceTable | None, label: str) -> Estimate:
    offline = plan.get("offline") or {}
    return estimate(
        from_plan(plan),
        region=_region(plan.get("config") or {}, f"plan {label}"),
        usage=usage,
        table=table,
        project=str(offline.get("project", "")),
        stack=str(offline.get("stack", "")),
    )


def _load_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read plan {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError(
            f"{path}: not a plan (expected the JSON of `dataplatform preview --json`, with steps)"
        )
    return data


def cli_cost(args: argparse.Namespace, run_stack: Callable[[argparse.Namespace], Any]) -> int:
    """Run the program (``run_stack(args)``, the CLI's own runner), estimate it, print the report."""
    table = PriceTable.load(args.prices) if getattr(args, "prices", None) else PriceTable.load()
    # The usage file is read before the program runs: a typo fails fast.
    from ..project import find_project_dir, split_stack_name

    stack = split_stack_name(args.stack)[2]
    usage_path = Path(args.usage) if args.usage else default_usage_path(find_project_dir(args.dir), stack)
    usage = load_usage(usage_path)
    run = run_stack(args)
    current = estimate_run(run, usage, table)
    if usage_path is not None:
        current.assumptions.insert(0, f"usage file: {usage_path}")
    else:
        current.assumptions.insert(
            0, f"usage file: none (defaults; write cost-usage.{run.stack}.yaml to set them)"
        )
    delta = None
    if args.compare:
        target = Path(args.compare)
        if target.is_file():
            base = estimate_plan(_load_plan(target), usage, table, str(target))
            label = f"plan {target}"
        elif target.suffix == ".json" or "/" in args.compare:
            raise ValueError(f"--compare {args.compare}: no such plan file (or give a stack name)")
        else:
            other = argparse.Namespace(**{**vars(args), "stack": args.compare, "stack_outputs": []})
            base = estimate_run(run_stack(other), None, table)
            label = f"stack {args.compare}"
        delta = compare(base, current, label)
    from ..textio import fit_lines, is_stdout, report_width, write_text

    text = render(current, args.format, delta)
    if args.format == "text":
        text = fit_lines(text, report_width())
    write_text(args.output, text, f"{args.format} report")
    if not is_stdout(args.output):
        print(
            f"cost estimate of {run.stack}: ${current.monthly_total_usd:,.2f} per month; "
            f"{args.format} report written to {args.output}",
            file=sys.stderr,
        )
    return 0
