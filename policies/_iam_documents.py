"""Identity policy documents as IAM reads them: where they sit on each resource type, and what an
``Allow`` statement grants (action and resource patterns, ``NotAction``/``NotResource``).

Pure functions over plain properties (camelCase wire shape, :data:`~._common.UNKNOWN` for values
unknown during preview). Patterns are matched as IAM matches them: ``*`` any run of characters,
``?`` one character, action names case-insensitive (IAM User Guide, "IAM JSON policy elements:
Action": "action names are not case-sensitive"; "Resource": wildcards in ARNs).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._common import UNKNOWN, as_list, contains_unknown, parse_json_object

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
SSO_INLINE = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"

DOCUMENT_PROPERTIES: dict[str, str] = {
    POLICY: "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    SSO_INLINE: "inlinePolicy",
}
"""Identity-policy resource types -> the property holding the document. A Role's
``inlinePolicies`` (deprecated in pulumi-aws v7, still honoured) are read besides.
``RolePoliciesExclusive``/``UserPoliciesExclusive``/``GroupPoliciesExclusive`` name inline
policies only: their documents are the ``RolePolicy``/``UserPolicy``/``GroupPolicy`` above."""

IDENTITY_DOCUMENT_TYPES = (*DOCUMENT_PROPERTIES, ROLE)


def documents(resource_type: str, props: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, document) for each identity document a resource carries; documents may be UNKNOWN."""
    if resource_type == ROLE:
        inline = props.get("inlinePolicies")
        if inline is UNKNOWN:
            yield "inlinePolicies", UNKNOWN
            return
        for index, policy in enumerate(as_list(inline)):
            yield f"inlinePolicies[{index}]", policy.get("policy") if isinstance(policy, dict) else None
        return
    key = DOCUMENT_PROPERTIES.get(resource_type)
    if key is not None:
        yield key, props.get(key)


@dataclass(frozen=True)
class Statement:
    """One ``Allow`` statement of an identity document."""

    index: int
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    """The ``NotAction`` patterns when the statement uses NotAction (it then allows every other action)."""
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    condition: Any

    def allows(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)


def allow_statements(document: Any) -> list[Statement] | None:
    """The Allow statements of a document; None when the document (or a part of it) is unknown."""
    parsed = parse_json_object(document)
    if parsed is UNKNOWN or contains_unknown(parsed):
        return None
    if not isinstance(parsed, dict):
        return []
    found = []
    for index, raw in enumerate(as_list(parsed.get("Statement"))):
        if not isinstance(raw, dict) or raw.get("Effect") != "Allow":
            continue
        not_actions = raw.get("NotAction")
        not_resources = raw.get("NotResource")
        found.append(
            Statement(
                index=index,
                actions=tuple(str(a) for a in as_list(raw.get("Action"))),
                not_actions=None if not_actions is None else tuple(str(a) for a in as_list(not_actions)),
                resources=tuple(str(r) for r in as_list(raw.get("Resource"))),
                not_resources=None
                if not_resources is None
                else tuple(str(r) for r in as_list(not_resources)),
                condition=raw.get("Condition"),
            )
        )
    return found


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()))


def action_matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (``iam:*``, ``iam:Put*Policy``) covers ``action``."""
    return _pattern(pattern).match(action.lower()) is not None


_BROAD_IAM_ARN = re.compile(r"^arn:[^:]*:(?:iam|\*):[^:]*:[^:]*:(?:\*|[A-Za-z-]+/\*)$")
"""An IAM ARN whose resource part is ``*`` or ``<type>/*`` (every role, every user): any name, any path."""


def broad_iam_resource(pattern: str) -> bool:
    """A Resource pattern that covers every IAM resource of a kind (``*``, ``arn:aws:iam::*:role/*``)."""
    return pattern == "*" or _BROAD_IAM_ARN.match(pattern) is not None


def on_every_iam_resource(statement: Statement) -> bool:
    """The statement reaches every role, user or policy: ``Resource: "*"`` (or a kind-wide IAM ARN), or
    NotResource."""
    if statement.not_resources is not None:
        return True
    return any(broad_iam_resource(r) for r in statement.resources)


def wildcard_everything(statement: Statement) -> str | None:
    """How the statement grants (nearly) every action on every resource; None when it does not."""
    any_action = any(a in ("*", "*:*") for a in statement.actions)
    every_resource = "*" in statement.resources
    if any_action and every_resource:
        return "allows '*' actions on '*' resources"
    if statement.not_actions is not None and (every_resource or statement.not_resources is not None):
        excluded = ", ".join(statement.not_actions) or "nothing"
        return f"allows every action except {excluded} (NotAction with Allow) on '*' resources"
    if any_action and statement.not_resources is not None:
        return "allows '*' actions on every resource but those in NotResource"
    return None
