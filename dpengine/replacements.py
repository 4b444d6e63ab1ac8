"""Which input changes replace a resource instead of updating it in place.

pulumi-aws is bridged from the Terraform AWS provider: an input whose Terraform schema says
``ForceNew: true`` makes ``pulumi up`` replace the resource (delete and create, or create then
delete), and for a database, bucket, key, repository or catalog that means losing its data. Neither
the Python SDK nor pulumi-aws's schema carries that flag. pulumi-kubernetes replaces an object when
a path of its own ``forceNew`` table changes (``metadata.name`` and ``metadata.namespace`` of every
kind, plus per-kind paths such as a Deployment's ``spec.selector``).

The table is data, ``replace_on_change.json`` beside this module: per type, the Pulumi wire paths
that force replacement and the provider source file each entry was read from
(:mod:`.replace_table` re-reads them from a checkout). Every type the stacks create has an entry; a
type whose source was not read yet has ``replace_on: null``, and :func:`replacing_paths` says the
replacement is unknown (never a silent "update").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent / "replace_on_change.json"


@dataclass(frozen=True)
class ReplaceRule:
    properties: frozenset[str]
    """Wire (camelCase) input paths whose change (or a change below them) forces replacement."""
    source: str
    """Where the provider says so: ``owner/repo@commit:path``."""


def _load() -> tuple[dict[str, ReplaceRule], frozenset[str]]:
    data = json.loads(TABLE_PATH.read_text())
    rules: dict[str, ReplaceRule] = {}
    unread: set[str] = set()
    for token, entry in data["types"].items():
        if entry.get("replace_on") is None:
            unread.add(token)
        else:
            rules[token] = ReplaceRule(frozenset(entry["replace_on"]), str(entry["source"]))
    return rules, frozenset(unread)


REPLACE_ON_CHANGE, UNREAD = _load()
"""Type token -> its rule; the types listed but not read yet."""


def replacement_known(token: str) -> bool:
    """Whether the table says which inputs replace ``token`` (a read entry)."""
    return token in REPLACE_ON_CHANGE


def replacing_paths(token: str, changed: list[str], replace_on_changes: list[str]) -> tuple[list[str], str]:
    """The changed paths that force replacement, and why (empty when the change is an update)."""
    rule = REPLACE_ON_CHANGE.get(token)
    hits: list[str] = []
    reasons: list[str] = []
    if rule is not None:
        table_hits = [p for p in changed if any(_under(p, prop) for prop in rule.properties)]
        if table_hits:
            hits += table_hits
            names = sorted({prop for p in table_hits for prop in rule.properties if _under(p, prop)})
            reasons.append(f"{', '.join(names)} force replacement ({rule.source})")
    option_hits = [p for p in changed if p not in hits and _matches_option(p, replace_on_changes)]
    if option_hits:
        hits += option_hits
        reasons.append("the resource's replaceOnChanges option")
    return hits, "; ".join(reasons)


def _under(path: str, prop: str) -> bool:
    """``path`` is ``prop`` or inside it (``spec.selector.matchLabels.app`` is under ``spec.selector``)."""
    return path == prop or path.startswith((prop + ".", prop + "["))


def _matches_option(path: str, patterns: list[str]) -> bool:
    """Pulumi's replaceOnChanges paths: ``a.b``, ``a[*].b``, ``*`` (every property)."""
    for pattern in patterns:
        if pattern == "*":
            return True
        parts = pattern.replace("[*]", ".*").split(".")
        got = path.replace("[", ".").replace("]", "").split(".")
        if len(got) >= len(parts) and all(p in ("*", g) for p, g in zip(parts, got)):
            return True
    return False
