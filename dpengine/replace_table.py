"""Regenerate ``replace_on_change.json`` from the providers' own sources (a maintainer's tool).

pulumi-aws is bridged from the Terraform AWS provider: ``pulumi up`` replaces a resource when an
input whose Terraform schema says ``ForceNew: true`` changes (the bridge asks the provider's diff;
neither the Python SDK nor pulumi-aws's schema carries the flag). pulumi-kubernetes replaces a
Kubernetes object when a path of its ``forceNew`` table changes (``.metadata.name`` and
``.metadata.namespace`` of every kind, plus per-kind paths), in ``provider/pkg/provider/diff.go``.

Each entry of the table keeps the file it came from. With checkouts of both repositories::

    python -m dpengine.replace_table --terraform-provider-aws ~/src/terraform-provider-aws

re-reads every entry's source file, takes its top-level ``ForceNew`` attributes (Terraform SDKv2
schemas) and writes the Pulumi wire names (checked against the installed pulumi-aws SDK's input
names: Pulumi pluralises list blocks, ``encryption_configuration`` is ``encryptionConfigurations``).
The Kubernetes entries are the ``forceNew`` table of that ``diff.go``, per kind (a Go map literal,
copied by kind). Every type a stack creates has an entry (a test keeps it so; ``--add-missing``
adds the types of ``tests/golden/*.urns`` that have none); a type whose source was not read has
``"replace_on": null``, and ``diff`` then says the replacement is not known rather than guess.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parent / "replace_on_change.json"

_KEY = re.compile(r'^\s*(?:"(?P<quoted>[a-z0-9_]+)"|names\.(?P<const>Attr[A-Za-z0-9]+))\s*:\s*(?P<rest>.*)$')
_SCHEMA_START = re.compile(r"(?:Schema:\s*|[A-Za-z]+Schema\s*=\s*)map\[string\]\*schema\.Schema\{")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+")


def attr_constant_name(constant: str) -> str:
    """``names.AttrKMSKeyID`` -> ``kms_key_id`` (the provider's constants spell the attribute)."""
    return "_".join(word.lower() for word in _WORDS.findall(constant.removeprefix("Attr")))


def force_new_attributes(go_source: str) -> list[str]:
    """The top-level attributes of the first SDKv2 resource schema in ``go_source`` whose own
    block (not a nested ``Elem``) sets ``ForceNew: true``."""
    start = _SCHEMA_START.search(go_source)
    if start is None:
        return []
    depth = 1
    current: str | None = None
    found: list[str] = []
    for line in go_source[start.end() :].splitlines():
        if depth == 1:
            match = _KEY.match(line)
            if match:
                current = match.group("quoted") or attr_constant_name(match.group("const") or "")
        elif depth == 2 and current and re.match(r"^\s*ForceNew:\s*true,?\s*$", line):
            found.append(current)
        depth += line.count("{") - line.count("}")
        if depth <= 0:
            break
    return sorted(set(found))


def sdk_input_names(token: str) -> dict[str, str]:
    """snake_case -> wire (camelCase) input names of a pulumi-aws resource, from the installed SDK."""
    package, module, name = token.split(":")
    module_path = module.split("/")[0]
    if package != "aws":
        return {}
    found = importlib.import_module(f"pulumi_aws.{module_path.replace('-', '_')}")
    # The resource's own constructor: a package may also export an input type named <Name>Args
    # (pulumi_aws.s3.BucketVersioningArgs is the Bucket's nested block, not this resource's args).
    cls = getattr(found, name, None)
    if cls is None or not hasattr(cls, "_internal_init"):
        return {}
    params = inspect.signature(cls._internal_init).parameters
    return {p: _camel(p) for p in params if p not in ("self", "resource_name", "opts", "__props__")}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# Attributes pulumi-aws renames outright (not a pluralisation): the SDK's own docstring says which
# input carries the Terraform attribute (pulumi_aws/cloudwatch/metric_alarm.py documents
# ``name`` as "The descriptive name for the alarm", Terraform's ``alarm_name``).
RENAMED = {("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm_name"): "name"}


def wire_names(token: str, attributes: list[str]) -> list[str]:
    """Terraform attribute names as the pulumi-aws SDK spells its inputs (list blocks pluralised)."""
    known = sdk_input_names(token)
    out = []
    for attribute in attributes:
        attribute = RENAMED.get((token, attribute), attribute)
        for candidate in (attribute, f"{attribute}s", f"{attribute}es"):
            if candidate in known:
                out.append(known[candidate])
                break
    return sorted(out)


def regenerate(table: dict[str, Any], roots: dict[str, Path]) -> dict[str, Any]:
    """``table`` with each AWS entry's ``replace_on`` re-read from its source under ``roots``."""
    types = dict(table["types"])
    for token, entry in types.items():
        source = entry.get("source") or ""
        repo, _, path = source.partition(":")
        root = roots.get(repo.split("@")[0])
        if root is None or not path or not token.startswith("aws:"):
            continue
        attributes = force_new_attributes((root / path).read_text())
        types[token] = {**entry, "terraform": attributes, "replace_on": wire_names(token, attributes)}
    return {**table, "types": types}


def stack_types(golden: Path) -> set[str]:
    """Every resource type in the golden URN lists (the stacks' and examples' plans)."""
    types = set()
    for path in golden.glob("*.urns"):
        for line in path.read_text().splitlines():
            if line.strip():
                types.add(line.strip().split("::")[-2].split("$")[-1])
    return {t for t in types if not t.startswith("dataplatform:")}


def with_missing(table: dict[str, Any], types: set[str]) -> dict[str, Any]:
    """``table`` with an unread entry for each of ``types`` it lacks."""
    entries = dict(table["types"])
    for token in sorted(types - set(entries)):
        entries[token] = {"replace_on": None, "source": None, "read": None}
    return {**table, "types": dict(sorted(entries.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--terraform-provider-aws", type=Path, metavar="DIR", help="a checkout to re-read")
    parser.add_argument(
        "--add-missing", action="store_true", help="add an unread entry for each stack type without one"
    )
    args = parser.parse_args(argv)
    table = json.loads(TABLE.read_text())
    if args.add_missing:
        table = with_missing(table, stack_types(TABLE.parents[1] / "tests" / "golden"))
    if args.terraform_provider_aws:
        table = regenerate(table, {"hashicorp/terraform-provider-aws": args.terraform_provider_aws})
    TABLE.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
    print(f"{TABLE.name}: {len(table['types'])} types", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
