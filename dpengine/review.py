"""The review commands (``diff``, ``graph``, ``export``) registered on the CLI's subparsers."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .diff import add_diff_arguments, cmd_diff
from .export import add_export_arguments, cmd_export
from .graph import add_graph_arguments, cmd_graph

_COMMANDS = (
    (
        "diff",
        "what a change does to the plan: two plan files, or --base-ref GIT_REF",
        add_diff_arguments,
        cmd_diff,
    ),
    ("graph", "the architecture from the plan (mermaid, dot, svg, png)", add_graph_arguments, cmd_graph),
    (
        "export",
        "the plan as Terraform plan JSON or Kubernetes manifests, for scanners",
        add_export_arguments,
        cmd_export,
    ),
)


def add_review_commands(
    sub: Any,
    add_program_arguments: Callable[[argparse.ArgumentParser, str], None],
    run: Callable[[argparse.Namespace], Any],
) -> None:
    for name, help_text, add_arguments, command in _COMMANDS:
        parser = sub.add_parser(name, help=help_text)
        add_program_arguments(parser, "dev")
        add_arguments(parser)

        def handler(args: argparse.Namespace, command: Any = command) -> int:
            code: int = command(args, run)
            return code

        parser.set_defaults(handler=handler)
