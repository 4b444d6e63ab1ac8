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

from .overrides import config_overrides as config_overrides
from .overrides import with_stack_file_values
from .project import find_project_dir, split_stack_name

if TYPE_CHECKING:
    from .engine import StackRun
    from .pack import PolicyPackSpec

EXIT_OK = 0
EXIT_FAILED = 1
"""``check``: a mandatory policy is violated."""
EXIT_USAGE = 2
"""Bad input: arguments, the project or stack files, the config, a program that fails."""
EXIT_PROTECTED = 3
"""``diff --fail-on-protected-replace``: a protected resource would be replaced or deleted."""
EXIT_IO = 4
"""A file named on the command line cannot be read or written."""
EXIT_INTERNAL = 5
"""An error inside dataplatform itself (a bug: please report it with --verbose's traceback)."""
EXIT_TIMEOUT = 124
"""The program ran past ``--timeout`` (the code of timeout(1))."""

EXIT_CODES = (
    (EXIT_OK, "success (check: no mandatory violation)"),
    (EXIT_FAILED, "check: a mandatory policy is violated"),
    (EXIT_USAGE, "bad input: arguments, project or stack file, config, or the program failed"),
    (EXIT_PROTECTED, "diff --fail-on-protected-replace: a protected resource would be replaced or deleted"),
    (EXIT_IO, "a file cannot be read or written"),
    (EXIT_INTERNAL, "internal error in dataplatform (a bug; --verbose shows the traceback)"),
    (EXIT_TIMEOUT, "the program ran past --timeout"),
)

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
    from .project import load_project

    project_dir = find_project_dir(args.dir)
    org, project_name, stack = split_stack_name(args.stack)
    args.org, args.stack = org, stack
    project = load_project(project_dir)
    if project_name is not None and project_name != project.name:
        raise ValueError(
            f"--stack {org}/{project_name}/{stack} names project {project_name!r}, but {project_dir} is "
            f"project {project.name!r}; use --dir to pick the other project"
        )
    flags = getattr(args, "config", None) or []
    overrides = config_overrides(flags, project.name)
    paths = {f.partition("=")[0].partition(".")[0] for f in flags if "." in f.partition("=")[0]}
    if paths:
        overrides = with_stack_file_values(overrides, project_dir, stack)
    refs = _stack_reference_outputs(project_dir, stack, args.stack_outputs or [])
    from .deadline import deadline

    with deadline(getattr(args, "timeout", None)):
        return run_program(project_dir, stack, stack_references=refs, config_overrides=overrides)


def _cmd_preview(args: argparse.Namespace) -> int:
    from .plan import plan_text, render_text
    from .textio import is_stdout, report_width, write_text

    run = run_stack(args)
    if args.json and is_stdout(args.json):
        # `--json -`: the plan alone on stdout, for a pipe (as `pulumi preview --json` prints it).
        write_text("-", plan_text(run))
        return EXIT_OK
    from .textio import fit_lines

    color = use_color(sys.stdout)
    width = report_width()
    text = render_text(
        run,
        show_counts=args.by_type,
        color=color,
        width=width,
        show_inputs=args.diff,
        show_outputs=not args.suppress_outputs,
    )
    # The table fits already; the title, outputs and summary wrap (colour codes would count).
    print(text if color else fit_lines(text, width))
    if args.json:
        write_text(args.json, plan_text(run), "plan")
        print(f"\nPlan written to {args.json} (shape of `pulumi preview --json`).")
    return EXIT_OK


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        metavar="FILE",
        help="also write the plan as `pulumi preview --json` does (- : only the plan, on stdout)",
    )
    parser.add_argument("--by-type", action="store_true", help="also count the resources by type")
    parser.add_argument(
        "--diff",
        action="store_true",
        help="show each resource's inputs, as `pulumi preview --diff` does (secrets masked)",
    )
    parser.add_argument(
        "--suppress-outputs", action="store_true", help="do not show the stack's outputs (as pulumi's flag)"
    )


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    import os

    return not os.environ.get("NO_COLOR") and bool(getattr(stream, "isatty", lambda: False)())


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
    from .textio import is_stdout, write_text

    schema = sibling("components.stack_config").stack_file_json_schema()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    write_text(args.output, text, "schema")
    if not is_stdout(args.output):
        print(f"JSON Schema of the stack config written to {args.output}")
    return EXIT_OK


def _schema_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout (- : stdout)")


def _add_program_arguments(parser: argparse.ArgumentParser, default_stack: str) -> None:
    parser.add_argument(
        "--stack",
        "-s",
        default=default_stack,
        metavar="[ORG/[PROJECT/]]STACK",
        help=f"the stack (default: {default_stack}); a project named must be this project",
    )
    parser.add_argument(
        "--dir",
        "-C",
        default=None,
        help="where to look for Pulumi.yaml, then in the directories above (default: current)",
    )
    parser.add_argument(
        "--config",
        "-c",
        action="append",
        metavar="KEY=VALUE",
        help="a config value for this run only, over the stack file's (KEY=namespace:key, e.g. "
        "aws:region=eu-west-2; VALUE is JSON or a string; namespace:key.a.b=VALUE sets one field); "
        "repeatable",
    )
    parser.add_argument(
        "--stack-outputs",
        action="append",
        metavar="NAME=FILE",
        help="mocked outputs of a StackReference NAME (org/project/stack), from a JSON file; repeatable",
    )
    parser.add_argument(
        "--timeout",
        type=_resolve("deadline:positive_seconds"),
        metavar="SECONDS",
        default=None,
        help=f"stop the program when it runs longer (exit {EXIT_TIMEOUT}); default: no limit",
    )


def _optional_arguments(target: AddArguments | str) -> AddArguments | None:
    try:
        return _resolve(target)
    except ImportError:  # pragma: no cover - only without the cli extra
        return None


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("dataplatform")
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dataplatform",
        description="Offline preview and policy checks of Pulumi Python programs (no CLI, no cloud).",
        epilog="Run `dataplatform COMMAND --help` for a command's options and examples.\n\n"
        + _EXIT_HELP
        + "\n\nA file option given - writes to standard output. Text reports are as wide as the "
        "terminal (COLUMNS when set), 120 columns otherwise.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    verbose_help = "on a failing program, show the full traceback"
    parser.add_argument("--verbose", "-v", action="store_true", help=verbose_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS.values():
        epilog = (
            "examples:\n" + "\n".join(f"  {line}" for line in command.examples) if command.examples else ""
        )
        epilog = f"{epilog}\n\n{_EXIT_HELP}".strip()
        child = sub.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # Also after the subcommand; SUPPRESS keeps a --verbose given before it.
        child.add_argument(
            "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help=verbose_help
        )
        if command.program is not None:
            _add_program_arguments(child, command.program)
        if command.arguments is not None and (add := _optional_arguments(command.arguments)) is not None:
            add(child)
        child.set_defaults(handler=command.run)
    return parser


_EXIT_HELP = "exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)


def user_location(error: BaseException, project_dir: Path | None) -> str | None:
    """``file:line: code`` of the innermost frame of ``error`` in the user's own files: inside the
    project, outside this library's packages (their frames say where a check fired, not which
    line of the program to fix). Paths relative to the project."""
    import traceback

    from ._siblings import sibling

    if project_dir is None:
        return None
    root = project_dir.resolve()
    library = [Path(__file__).resolve().parent]
    for name in ("components", "policies"):
        try:
            library.append(Path(str(sibling(name).__file__)).resolve().parent)
        except ImportError:
            continue
    own = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root) and not any(path.is_relative_to(lib) for lib in library):
            own.append((path, frame))
    if not own:
        return None
    path, frame = own[-1]
    return f"{path.relative_to(root).as_posix()}:{frame.lineno}: {(frame.line or '').strip()}"


def _is_stack_config_error(error: BaseException) -> bool:
    """An ``InvalidConfigError`` about stack config keys (``namespace:key...``), not one raised by
    settings the program builds in code."""
    issues = getattr(error, "issues", None) or []
    return bool(issues) and all(":" in issue.path.split(".")[0].split("[")[0] for issue in issues)


def engine_error_message(error: Any, project_dir: Path | None, verbose: bool) -> tuple[str, int]:
    """What ``main`` prints for an ``EngineError`` (after ``error: ``), and the exit code."""
    import traceback

    message = str(error)
    if error.kind in ("project", "stack"):
        heading = "cannot load the project" if error.kind == "project" else "cannot load the stack"
        return f"{heading}: {message}", EXIT_USAGE
    cause = error.error
    if error.kind == "config" and cause is not None and _is_stack_config_error(cause):
        lines = message.splitlines()
        first = lines[0].removeprefix("invalid configuration: ")
        return "\n".join([f"the stack configuration is invalid: {first}", *lines[1:]]), EXIT_USAGE
    # The program's own failure: said once, with the line of the user's file it came from.
    body = message.removeprefix("the program failed: ")
    body = body.split("\n  at ")[0] if "\n  at " in body else body
    where = user_location(cause, project_dir) if cause else None
    if where is None and getattr(error, "location", None):
        # The engine's own answer (e.g. a duplicate URN's second declaration): (path, line).
        path, line = error.location
        shown = Path(path)
        if project_dir is not None and shown.resolve().is_relative_to(project_dir.resolve()):
            shown = shown.resolve().relative_to(project_dir.resolve())
        where = f"{shown.as_posix()}:{line}"
    text = f"the program failed: {body}" + (f"\n  at {where}" if where else "")
    if verbose and cause is not None:
        text += "\n\n" + "".join(traceback.format_exception(type(cause), cause, cause.__traceback__)).rstrip()
    elif cause is not None:
        text += "\n  (--verbose shows the full traceback)"
    # A program that fails is bad input too (exit 2), never the code of a policy violation.
    return text, EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_usage(sys.stderr)
        print("error: name a command, e.g. `dataplatform preview --stack dev` (see --help)", file=sys.stderr)
        return EXIT_USAGE
    from .engine import EngineError

    # A failed program leaves SDK tasks whose exceptions asyncio would log with a
    # traceback when they are collected; the error has been reported already.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        code: int = _resolve(args.handler)(args)
    except EngineError as error:
        directory = find_project_dir(getattr(args, "dir", None)) if hasattr(args, "stack") else None
        message, code = engine_error_message(error, directory, bool(getattr(args, "verbose", False)))
        return _fail(message, code)
    except ValueError as error:
        return _fail(str(error))
    except OSError as error:
        # A file the user named (--output into a missing directory...): one line, its own code.
        return _fail(_os_error_line(error), EXIT_IO)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BaseException as error:
        from .deadline import ProgramTimeout

        if isinstance(error, ProgramTimeout):
            return _fail(str(error), EXIT_TIMEOUT)
        if isinstance(error, SystemExit):
            raise
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        return _fail(
            f"internal error: {type(error).__name__}: {error} (a bug in dataplatform; --verbose shows "
            "the traceback to report)",
            EXIT_INTERNAL,
        )
    return code


def _os_error_line(error: OSError) -> str:
    if error.filename is None or type(error).__name__ == "OutputError":
        return str(error)
    return f"cannot access {error.filename}: {error.strerror or type(error).__name__}"


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
    "outputs",
    summary="print the stack's outputs as a stack-references file",
    description="Run the stack's program offline and print its outputs as a stack-references file "
    '({"org/project/stack": {...}}, secrets as {"value": ..., "secret": true}), which a consumer project '
    "reads as stack-references.<stack>.json or with --stack-outputs NAME=FILE.",
    examples=(
        "dataplatform outputs --stack acme/dataplatform/dev > examples/analytics/stack-references.dev.json",
        "dataplatform preview --dir examples/analytics --stack-outputs acme/dataplatform/dev=platform.json",
    ),
    run="outputs:cli_outputs",
    arguments="outputs:add_outputs_arguments",
    program="dev",
)
register(
    "schema",
    summary="print the JSON Schema of a stack file (Pulumi.<stack>.yaml)",
    description="Print (or write) the JSON Schema of a whole Pulumi.<stack>.yaml (config: with aws:region "
    "and the dataplatform:* sections, secretsprovider, encryptedkey...), for editors through "
    "yaml-language-server and for CI.",
    examples=("dataplatform schema --output schema/stack-config.schema.json",),
    run=_cmd_schema,
    arguments=_schema_arguments,
)
register(
    "bootstrap",
    summary="create an S3 + KMS Pulumi state backend and the account prerequisites (boto3)",
    description="Create (or verify) an encrypted, versioned S3 bucket and KMS key for Pulumi state, then the "
    "account prerequisites the stacks need: the EC2 Spot service-linked role and the activation of the "
    "budgets' cost allocation tags.",
    examples=("dataplatform bootstrap --region eu-west-1 --dry-run",),
    run="bootstrap:cli_bootstrap",
    arguments="bootstrap:add_bootstrap_arguments",
)

register(
    "cost",
    summary="run the program under mocks and estimate its monthly AWS cost",
    description="Run the stack's program offline and price what it creates from the shipped, dated AWS "
    "price table and a usage file (every assumption printed; nothing silently free).",
    examples=(
        "dataplatform cost --stack prod",
        "dataplatform cost --stack prod --format markdown --compare base-prod.json",
    ),
    run=lambda args: _resolve("cost.cli:cli_cost")(args, run_stack),
    arguments="cost.cli:add_cost_arguments",
    program="dev",
)
register(
    "diff",
    summary="what a change does to the plan: two plan files, or --base-ref GIT_REF",
    description="Compare two plans (written by `preview --json`), or the stack at a git revision with the "
    "working tree: creates, deletes, updates with the changed paths, replacements of stateful resources.",
    examples=(
        "dataplatform diff base.json head.json",
        "dataplatform diff --stack prod --base-ref origin/main",
    ),
    run=lambda args: _resolve("diff:cmd_diff")(args, run_stack),
    arguments="diff:add_diff_arguments",
    program="dev",
)
register(
    "graph",
    summary="the architecture from the plan (mermaid, dot, svg, png)",
    description="Draw the plan: components as groups, the resources that matter at the chosen detail, "
    "data edges, the AWS and Kubernetes layers apart.",
    examples=("dataplatform graph --stack prod --format mermaid --detail key",),
    run=lambda args: _resolve("graph:cmd_graph")(args, run_stack),
    arguments="graph:add_graph_arguments",
    program="dev",
)
register(
    "export",
    summary="the plan as Terraform plan JSON or Kubernetes manifests, for scanners",
    description="Write the plan in the shape of `terraform show -json` (or the Kubernetes objects as "
    "manifests), so checkov, Trivy or KICS can scan a Pulumi Python program.",
    examples=("dataplatform export --stack prod --format terraform-plan --output prod.tfplan.json",),
    run=lambda args: _resolve("export:cmd_export")(args, run_stack),
    arguments="export:add_export_arguments",
    program="dev",
)


if __name__ == "__main__":
    sys.exit(main())
