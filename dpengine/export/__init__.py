"""``dataplatform export``: the plan for other scanners (Terraform plan JSON, Kubernetes manifests)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from .kubernetes import kubernetes_manifests, manifests_yaml
from .terraform import terraform_plan
from .types import terraform_type

__all__ = ["add_export_arguments", "cmd_export", "kubernetes_manifests", "terraform_plan", "terraform_type"]

FORMATS = ("terraform-plan", "kubernetes")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument(
        "--output", "-o", metavar="PATH", required=True, help="the file to write (- : stdout)"
    )


def export_text(plan: dict[str, Any], fmt: str) -> tuple[str, int, list[str]]:
    """The export's text, how many resources or objects it holds, and the URNs left out."""
    if fmt == "terraform-plan":
        document, skipped = terraform_plan(plan)
        count = len(document["planned_values"]["root_module"]["resources"])
        return json.dumps(document, indent=2, sort_keys=True) + "\n", count, skipped
    objects, skipped = kubernetes_manifests(plan)
    return manifests_yaml(objects), len(objects), skipped


def cmd_export(args: argparse.Namespace, run: Callable[[argparse.Namespace], Any]) -> int:
    from ..plan import plan_json
    from ..textio import is_stdout, write_text

    text, count, skipped = export_text(plan_json(run(args)), args.format)
    write_text(args.output, text, f"{args.format} export")
    what = "resources" if args.format == "terraform-plan" else "objects"
    # The export on stdout stays clean for a pipe: the summary goes to stderr then.
    stream = sys.stderr if is_stdout(args.output) else sys.stdout
    print(f"{count} {what} written to {args.output} ({args.format}).", file=stream)
    for urn in skipped:
        print(f"  left out (no {args.format} equivalent): {urn}", file=stream)
    return 0
