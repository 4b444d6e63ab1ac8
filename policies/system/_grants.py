"""Which identity policies of a program a principal holds, and whether they may allow a request.

"May allow": an Allow statement matches the action and the resource (wildcards as IAM reads them,
``NotAction``/``NotResource`` included), and no unconditional Deny matches. Conditions of an Allow are
not evaluated (they narrow who may, not whether it is granted at all); a conditional Deny is not
trusted to deny. Policies attached by ARN that the program does not declare (AWS managed ones) are
not visible: callers say "cannot decide" for them.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

from .._common import UNKNOWN, StackContext, StackResource, as_list, contains_unknown

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"
IDENTITY_POLICY_TYPES = (
    MANAGED_POLICY,
    ROLE_POLICY,
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
READS = (ROLE, ROLE_POLICY, ATTACHMENT, *IDENTITY_POLICY_TYPES)


def parse(document: Any) -> Any:
    """A policy document as a dict, UNKNOWN while unknown, {} when unreadable."""
    if document is UNKNOWN:
        return UNKNOWN
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return {}
    if contains_unknown(document):
        return UNKNOWN
    return document if isinstance(document, dict) else {}


def _matches(patterns: Any, value: str) -> bool:
    return any(
        isinstance(p, str) and fnmatch.fnmatchcase(value.lower(), p.lower()) for p in as_list(patterns)
    )


def _resource_matches(patterns: Any, value: str) -> bool:
    return any(isinstance(p, str) and fnmatch.fnmatchcase(value, p) for p in as_list(patterns))


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement and not _matches(statement["Action"], action):
        return False
    if "NotAction" in statement and _matches(statement["NotAction"], action):
        return False
    if "Resource" in statement and not _resource_matches(statement["Resource"], resource):
        return False
    return not ("NotResource" in statement and _resource_matches(statement["NotResource"], resource))


def may_allow(documents: list[Any], action: str, resource: str) -> bool:
    """Whether the identity ``documents`` (parsed) may allow ``action`` on ``resource``."""
    statements = [s for d in documents if isinstance(d, dict) for s in as_list(d.get("Statement"))]
    statements = [s for s in statements if isinstance(s, dict)]
    if any(
        s.get("Effect") == "Deny" and not s.get("Condition") and _applies(s, action, resource)
        for s in statements
    ):
        return False
    return any(s.get("Effect") == "Allow" and _applies(s, action, resource) for s in statements)


@dataclass
class Holder:
    """A role and the documents it holds."""

    role: StackResource
    documents: list[Any] = field(default_factory=list)
    unknown: bool = False
    """A document is unknown during preview."""
    invisible: list[str] = field(default_factory=list)
    """Attached policy ARNs the program does not declare."""


def _linked(resource: StackResource, key: str, role: StackResource) -> bool:
    value = resource.props.get(key)
    return role.urn in resource.property_dependencies.get(key, []) or (
        isinstance(value, str)
        and value in (role.props.get("name"), role.props.get("id"), role.props.get("arn"))
    )


def role_documents(ctx: StackContext) -> list[Holder]:
    """Every role of the program with its inline, ``inlinePolicies`` and attached documents."""
    managed = {
        p.props.get("arn"): p for p in ctx.of_type(MANAGED_POLICY) if isinstance(p.props.get("arn"), str)
    }
    inline = ctx.of_type(ROLE_POLICY)
    attachments = ctx.of_type(ATTACHMENT)
    holders = []
    for role in ctx.of_type(ROLE):
        holder = Holder(role)
        raw = [p.props.get("policy") for p in inline if _linked(p, "role", role)]
        raw += [i.get("policy") for i in as_list(role.props.get("inlinePolicies")) if isinstance(i, dict)]
        for attachment in (a for a in attachments if _linked(a, "role", role)):
            arn = attachment.props.get("policyArn")
            linked = [
                p for p in managed.values() if p.urn in attachment.property_dependencies.get("policyArn", [])
            ]
            policy = managed.get(arn) or (linked[0] if linked else None)
            if policy is not None:
                raw.append(policy.props.get("policy"))
            elif arn is UNKNOWN:
                holder.unknown = True
            else:
                holder.invisible.append(str(arn))
        for arn in as_list(role.props.get("managedPolicyArns")):
            if arn in managed:
                raw.append(managed[arn].props.get("policy"))
            elif arn is UNKNOWN:
                holder.unknown = True
            else:
                holder.invisible.append(str(arn))
        for document in raw:
            parsed = parse(document)
            if parsed is UNKNOWN:
                holder.unknown = True
            else:
                holder.documents.append(parsed)
        holders.append(holder)
    return holders


def identity_documents(ctx: StackContext) -> list[tuple[StackResource, Any]]:
    """Every identity policy document of the program (managed, inline of roles, users, groups)."""
    found = [(p, parse(p.props.get("policy"))) for p in ctx.of_type(*IDENTITY_POLICY_TYPES)]
    for role in ctx.of_type(ROLE):
        for item in as_list(role.props.get("inlinePolicies")):
            if isinstance(item, dict):
                found.append((role, parse(item.get("policy"))))
    return found


def web_identity_subjects(role: StackResource) -> Any:
    """The ``<issuer>:sub`` values a role's trust admits with ``sts:AssumeRoleWithWebIdentity``
    (``(value, like)`` pairs), or UNKNOWN."""
    trust = parse(role.props.get("assumeRolePolicy"))
    if trust is UNKNOWN:
        return UNKNOWN
    subjects: list[tuple[str, bool]] = []
    for statement in as_list(trust.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action")):
            continue
        named: list[tuple[str, bool]] = []
        for operator, conditions in (statement.get("Condition") or {}).items():
            if isinstance(conditions, dict):
                for key, value in conditions.items():
                    if key.endswith(":sub"):
                        named += [(str(v), operator.startswith("StringLike")) for v in as_list(value)]
        # No subject condition: every service account of the issuer's cluster may assume the role.
        subjects += named or [("system:serviceaccount:*", True)]
    return subjects
