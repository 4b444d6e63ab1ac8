"""``dataplatform``: offline preview and policy checks of Pulumi Python programs, and backend bootstrap.

dataplatform preview [--stack dev] [--dir .] [--json plan.json]
dataplatform check   [--stack prod] [--policy-pack DIR] [--format text|json|sarif] [--output FILE]
dataplatform cost    [--stack dev] [--format text|json|markdown] [--usage FILE] [--compare PLAN_OR_STACK]
dataplatform schema  [--output FILE]
dataplatform bootstrap --region eu-west-1
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pack import PolicyPackSpec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _stack_reference_outputs(project_dir: Path, stack: str, flags: Sequence[str]) -> dict[str, Any]:
    """StackReference outputs: ``stack-references.<stack>.json`` (or ``stack-references.json``)
    in the project, then each ``--stack-outputs NAME=FILE`` flag."""
    refs: dict[str, Any] = {}
    for candidate in (project_dir / f"stack-references.{stack}.json", project_dir / "stack-references.json"):
        if candidate.is_file():
            refs.update(_read_json(candidate, "stack references file"))
            break
    for flag in flags:
        name, sep, file_name = flag.partition("=")
        if not sep or not name or not file_name:
            raise ValueError(f"--stack-outputs takes NAME=FILE.json (got {flag!r})")
        refs[name] = _read_json(Path(file_name), f"outputs of {name}")
    return refs


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read {what} {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def _run(args: argparse.Namespace) -> Any:
    from .engine import run_program

    project_dir = Path(args.dir).resolve()
    refs = _stack_reference_outputs(project_dir, args.stack, args.stack_outputs or [])
    return run_program(project_dir, args.stack, stack_references=refs)


def _cmd_preview(args: argparse.Namespace) -> int:
    from .plan import render_text, write_plan

    run = _run(args)
    print(render_text(run))
    if args.json:
        write_plan(run, Path(args.json))
        print(f"\nPlan written to {args.json} (shape of `pulumi preview --json`).")
    return EXIT_OK


def default_pack() -> PolicyPackSpec:
    """The dataplatform policy pack (the ``policies`` package beside the engine): the CLI's choice."""
    from ._siblings import sibling
    from .pack import PolicyPackSpec

    return PolicyPackSpec.from_module(sibling("policies"))


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import cli_check
    from .pack import load_pack_dir

    run = _run(args)
    pack = load_pack_dir(args.policy_pack) if getattr(args, "policy_pack", None) else default_pack()
    return cli_check(run, args, pack)


def _cmd_schema(args: argparse.Namespace) -> int:
    from ._siblings import sibling

    schema = sibling("components.stack_config").stack_config_json_schema()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text)
        print(f"JSON Schema of the stack config written to {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_bootstrap(args: argparse.Namespace) -> int:
    from .bootstrap import cli_bootstrap

    return cli_bootstrap(args)


def _add_program_arguments(parser: argparse.ArgumentParser, default_stack: str) -> None:
    parser.add_argument("--stack", "-s", default=default_stack, help=f"stack name (default: {default_stack})")
    parser.add_argument("--dir", "-C", default=".", help="Pulumi project directory (default: current)")
    parser.add_argument(
        "--stack-outputs",
        action="append",
        metavar="NAME=FILE",
        help="mocked outputs of a StackReference NAME (org/project/stack), from a JSON file; repeatable",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dataplatform",
        description="Offline preview and policy checks of Pulumi Python programs (no CLI, no cloud).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    preview = sub.add_parser("preview", help="run the program under mocks and show the plan")
    _add_program_arguments(preview, "dev")
    preview.add_argument("--json", metavar="FILE", help="also write the plan as `pulumi preview --json` does")
    preview.set_defaults(handler=_cmd_preview)

    check = sub.add_parser("check", help="run the program under mocks and evaluate the policy pack")
    _add_program_arguments(check, "dev")
    try:
        from .check import add_check_arguments

        add_check_arguments(check)
    except ImportError:  # pragma: no cover - only without the cli extra
        pass
    check.set_defaults(handler=_cmd_check)

    cost = sub.add_parser("cost", help="run the program under mocks and estimate its monthly AWS cost")
    _add_program_arguments(cost, "dev")
    from .cost.cli import add_cost_arguments, cli_cost

    add_cost_arguments(cost)
    cost.set_defaults(handler=lambda args: cli_cost(args, _run))

    schema = sub.add_parser("schema", help="print the JSON Schema of the stack config")
    schema.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    schema.set_defaults(handler=_cmd_schema)

    bootstrap = sub.add_parser("bootstrap", help="create an S3 + KMS Pulumi state backend (boto3)")
    try:
        from .bootstrap import add_bootstrap_arguments

        add_bootstrap_arguments(bootstrap)
    except ImportError:  # pragma: no cover - only without the cli extra
        pass
    bootstrap.set_defaults(handler=_cmd_bootstrap)
    from .review import add_review_commands

    add_review_commands(sub, _add_program_arguments, _run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        # The main job: an offline preview of the dev stack.
        args = parser.parse_args(["preview", *(argv or [])])
    from .engine import EngineError

    # A failed program leaves SDK tasks whose exceptions asyncio would log with a
    # traceback when they are collected; the error has been reported already.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        code: int = args.handler(args)
    except EngineError as error:
        heading = {
            "project": "cannot load the project",
            "stack": "cannot load the stack",
            "config": "the stack configuration is invalid",
            "program": "the program failed",
        }[error.kind]
        return _fail(f"{heading}\n{error}", EXIT_USAGE if error.kind != "program" else EXIT_FAILED)
    except ValueError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    return code


if __name__ == "__main__":
    sys.exit(main())
