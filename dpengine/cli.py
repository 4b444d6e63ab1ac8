"""``dataplatform``: offline preview and policy checks of Pulumi Python programs, and backend bootstrap.

Each subcommand is one :func:`register` call at the end of this module (name, help texts, the
function that adds its options, the function that runs it); ``dataplatform --help`` lists them
in that order. A subcommand that runs the stack's program passes ``program=<default stack>`` and
gets the shared options (``--stack``, ``--dir``, ``--config``, ``--stack-outputs``); its handler
calls :func:`run_stack`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import StackRun
    from .pack import PolicyPackSpec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]
AddArguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Subcommand:
    """One ``dataplatform NAME``: what ``--help`` says about it, its options and its handler.

    ``run`` and ``arguments`` are callables or ``"module:function"`` strings naming a module of
    this package (imported only when needed, so a subcommand's dependencies load with it).
    """

    name: str
    summary: str
    description: str
    examples: tuple[str, ...]
    run: Handler | str
    arguments: AddArguments | str | None = None
    program: str | None = None


SUBCOMMANDS: dict[str, Subcommand] = {}


def register(
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[str] = (),
    run: Handler | str,
    arguments: AddArguments | str | None = None,
    program: str | None = None,
) -> Subcommand:
    """Add ``dataplatform NAME``. ``program`` is the default stack of a subcommand that runs the
    stack's program (it then takes ``--stack``, ``--dir``, ``--config`` and ``--stack-outputs``)."""
    if name in SUBCOMMANDS:
        raise ValueError(f"subcommand {name!r} is registered twice")
    command = Subcommand(name, summary, description, tuple(examples), run, arguments, program)
    SUBCOMMANDS[name] = command
    return command


def _resolve(target: Callable[..., Any] | str) -> Callable[..., Any]:
    if callable(target):
        return target
    module, _, function = target.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(f".{module}", __package__), function)
    return found


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


def run_stack(args: argparse.Namespace) -> StackRun:
    """Run the stack's program under mocks, as the shared program options say."""
    from .engine import run_program

    project_dir = Path(args.dir).resolve()
    refs = _stack_reference_outputs(project_dir, args.stack, args.stack_outputs or [])
    return run_program(project_dir, args.stack, stack_references=refs)


def _cmd_preview(args: argparse.Namespace) -> int:
    from .plan import render_text, write_plan

    run = run_stack(args)
    print(render_text(run))
    if args.json:
        write_plan(run, Path(args.json))
        print(f"\nPlan written to {args.json} (shape of `pulumi preview --json`).")
    return EXIT_OK


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="FILE", help="also write the plan as `pulumi preview --json` does")


def default_pack() -> PolicyPackSpec:
    """The dataplatform policy pack (the ``policies`` package beside the engine): the CLI's choice."""
    from ._siblings import sibling
    from .pack import PolicyPackSpec

    return PolicyPackSpec.from_module(sibling("policies"))


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import cli_check
    from .pack import load_pack_dir

    run = run_stack(args)
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


def _schema_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")


def _add_program_arguments(parser: argparse.ArgumentParser, default_stack: str) -> None:
    parser.add_argument("--stack", "-s", default=default_stack, help=f"stack name (default: {default_stack})")
    parser.add_argument("--dir", "-C", default=".", help="Pulumi project directory (default: current)")
    parser.add_argument(
        "--stack-outputs",
        action="append",
        metavar="NAME=FILE",
        help="mocked outputs of a StackReference NAME (org/project/stack), from a JSON file; repeatable",
    )


def _optional_arguments(target: AddArguments | str) -> AddArguments | None:
    try:
        return _resolve(target)
    except ImportError:  # pragma: no cover - only without the cli extra
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dataplatform",
        description="Offline preview and policy checks of Pulumi Python programs (no CLI, no cloud).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS.values():
        epilog = (
            "examples:\n" + "\n".join(f"  {line}" for line in command.examples) if command.examples else None
        )
        child = sub.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command.program is not None:
            _add_program_arguments(child, command.program)
        if command.arguments is not None and (add := _optional_arguments(command.arguments)) is not None:
            add(child)
        child.set_defaults(handler=command.run)
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
        code: int = _resolve(args.handler)(args)
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


# --------------------------------------------------------------------------- the subcommands
# One call per subcommand; `dataplatform --help` lists them in this order.

register(
    "preview",
    summary="run the program under mocks and show the plan",
    description="Run the stack's Pulumi program offline (mock runtime: no Pulumi CLI, no cloud) and show "
    "what `pulumi preview` would create.",
    examples=("dataplatform preview --stack dev", "dataplatform preview --stack prod --json plan.json"),
    run=_cmd_preview,
    arguments=_preview_arguments,
    program="dev",
)
register(
    "check",
    summary="run the program under mocks and evaluate the policy pack",
    description="Run the stack's program offline and evaluate the CrossGuard policy pack on what it "
    "registers, as `pulumi preview --policy-pack` would. Exit 1 when a mandatory policy is violated.",
    examples=(
        "dataplatform check --stack prod",
        "dataplatform check --stack prod --format sarif --output prod.sarif",
    ),
    run=_cmd_check,
    arguments="check:add_check_arguments",
    program="dev",
)
register(
    "schema",
    summary="print the JSON Schema of the stack config",
    description="Print (or write) the JSON Schema of the stack configuration.",
    examples=("dataplatform schema --output schema/stack-config.schema.json",),
    run=_cmd_schema,
    arguments=_schema_arguments,
)
register(
    "bootstrap",
    summary="create an S3 + KMS Pulumi state backend (boto3)",
    description="Create (or verify) an encrypted, versioned S3 bucket and KMS key for Pulumi state.",
    examples=("dataplatform bootstrap --region eu-west-1 --dry-run",),
    run="bootstrap:cli_bootstrap",
    arguments="bootstrap:add_bootstrap_arguments",
)


if __name__ == "__main__":
    sys.exit(main())
