"""``dataplatform outputs``: a stack's outputs as a stack-references file.

The file maps the stack's fully qualified name to its outputs (``{"org/project/stack": {...}}``),
the shape ``--stack-outputs`` and ``stack-references.<stack>.json`` read, so a consumer project is
previewed offline against this stack without a hand-written file. A secret output is written
``{"value": ..., "secret": true}`` (the shape ``pulumi config --json --show-secrets`` gives a
secret) and read back as a secret: the consumer's Output of it is secret too. Offline the values
are the mocks' (deterministic ids, ARNs, endpoints), never real ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .engine import StackRun

DEFAULT_ORG = "organization"
"""The organization of a stack name without one: what Pulumi's DIY (self-managed) backends use."""


def stack_references_document(run: StackRun, name: str, *, show_secrets: bool = True) -> dict[str, Any]:
    """``{name: outputs}`` with each secret output wrapped ``{"value": ..., "secret": true}``; without
    ``show_secrets`` the value of a secret output is ``[secret]``."""
    secret = set(run.secret_outputs)
    source = run.outputs if show_secrets else run.masked_outputs
    outputs = {k: {"value": v, "secret": True} if k in secret else v for k, v in source.items()}
    return {name: dict(sorted(outputs.items()))}


def add_outputs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="reference_name",
        metavar="ORG/PROJECT/STACK",
        help="the name to file the outputs under (default: the --stack name, with organization "
        f"{DEFAULT_ORG!r} when --stack names none)",
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout (- : stdout)")
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="write the values of secret outputs (default: [secret], as `pulumi stack output --json` "
        "prints them without --show-secrets)",
    )


def cli_outputs(args: argparse.Namespace) -> int:
    from .cli import run_stack

    run = run_stack(args)
    name = args.reference_name or f"{args.org or DEFAULT_ORG}/{run.project}/{run.stack}"
    document = stack_references_document(run, name, show_secrets=bool(getattr(args, "show_secrets", False)))
    text = json.dumps(document, indent=2) + "\n"
    from .textio import is_stdout, write_text

    write_text(args.output, text, "outputs")
    if not is_stdout(args.output):
        print(f"outputs of {name} written to {args.output}", file=sys.stderr)
    return 0
