"""IAM privilege escalation: an identity policy that lets its principal become more than it is.

The action sets are the published IAM escalation paths (Rhino Security Labs, "AWS IAM Privilege
Escalation - Methods and Mitigation": CreatePolicyVersion, SetDefaultPolicyVersion, PassRole,
CreateAccessKey, CreateLoginProfile, UpdateLoginProfile, Attach/Put User/Group/Role Policy,
AddUserToGroup, UpdateAssumeRolePolicy; permissions boundaries removed or replaced), plus
``sts:AssumeRole`` on every role. Each is an escalation when allowed on every resource of its kind
(``*``, ``arn:aws:iam::*:role/*``, or NotResource): on a named role or policy it is a scoped grant.

Conditions: a statement whose Condition limits *which* resources it applies to is scoped, and
passes: ``aws:ResourceTag/…`` and ``iam:ResourceTag/…`` (only resources carrying the tag; this is
how the Karpenter controller policy scopes its instance-profile actions), ``iam:PolicyARN`` (only
the named managed policies may be attached), ``iam:PermissionsBoundary`` (only principals held by
the boundary). Keys that limit who, when or from where (``aws:SourceIp``, ``aws:MultiFactorAuthPresent``,
``iam:PassedToService``: any role may still be passed to that service) do not change what can be
reached, so the statement is still reported. Any other key is "cannot decide" (advisory).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, StackContext, contains_unknown, stack_policy
from ._iam_documents import (
    IDENTITY_DOCUMENT_TYPES,
    Statement,
    allow_statements,
    documents,
    on_every_iam_resource,
)

DOMAIN = "iam"

ESCALATION_ACTIONS: dict[str, str] = {
    "iam:CreatePolicyVersion": "rewrite any managed policy",
    "iam:SetDefaultPolicyVersion": "switch any managed policy to another version",
    "iam:AttachUserPolicy": "attach any policy (AdministratorAccess) to a user",
    "iam:AttachGroupPolicy": "attach any policy to a group",
    "iam:AttachRolePolicy": "attach any policy to a role",
    "iam:PutUserPolicy": "write any inline policy on a user",
    "iam:PutGroupPolicy": "write any inline policy on a group",
    "iam:PutRolePolicy": "write any inline policy on a role",
    "iam:AddUserToGroup": "join any group",
    "iam:UpdateAssumeRolePolicy": "let itself assume any role",
    "iam:CreateAccessKey": "create keys for any user",
    "iam:CreateLoginProfile": "set a console password for any user",
    "iam:UpdateLoginProfile": "reset any user's console password",
    "iam:PutRolePermissionsBoundary": "replace a role's permissions boundary",
    "iam:DeleteRolePermissionsBoundary": "remove a role's permissions boundary",
    "iam:PutUserPermissionsBoundary": "replace a user's permissions boundary",
    "iam:DeleteUserPermissionsBoundary": "remove a user's permissions boundary",
    "iam:PassRole": "hand any role (an admin one) to a service it controls",
    "sts:AssumeRole": "assume any role that trusts the account",
}

SCOPING_CONDITION_KEYS = ("aws:resourcetag/", "iam:resourcetag/", "iam:policyarn", "iam:permissionsboundary")
"""Condition keys (lower-case prefixes) that limit which resources a statement reaches."""

NON_SCOPING_CONDITION_KEYS = (
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:requestedregion",
    "aws:currenttime",
    "aws:securetransport",
    "aws:principalarn",
    "aws:principaltag/",
    "aws:calledvia",
    "aws:viaawsservice",
    "iam:passedtoservice",
    "iam:associatedresourcearn",
)
"""Condition keys that limit who, when or from where, not which resources: the grant stays an escalation."""


def _condition_keys(condition: Any) -> list[str]:
    if not isinstance(condition, dict):
        return []
    keys: list[str] = []
    for block in condition.values():
        if isinstance(block, dict):
            keys.extend(str(k) for k in block)
    return keys


def verdict(statement: Statement) -> tuple[list[str], str | None]:
    """(escalation actions the statement allows unscoped, why it cannot decide or None)."""
    if not on_every_iam_resource(statement):
        return [], None
    allowed = [action for action in ESCALATION_ACTIONS if statement.allows(action)]
    if not allowed:
        return [], None
    keys = [k.lower() for k in _condition_keys(statement.condition)]
    if any(k.startswith(SCOPING_CONDITION_KEYS) for k in keys):
        return [], None
    unknown = [k for k in keys if not k.startswith(NON_SCOPING_CONDITION_KEYS)]
    if unknown:
        return [], f"condition key(s) {', '.join(sorted(set(unknown)))} may or may not scope {allowed[0]}"
    return allowed, None


@stack_policy(
    "iam-no-privilege-escalation",
    domain=DOMAIN,
    description="IAM identity policies do not allow privilege escalation: iam:* or policy-editing actions, "
    "iam:PassRole or sts:AssumeRole, on every resource ('*', a type-wide ARN, or NotResource), unless a "
    "condition scopes them (resource tags, iam:PolicyARN, iam:PermissionsBoundary).",
    severity=Severity.HIGH,
    remediation="Name the roles, users and policies in Resource (iam:PassRole on the one role the service "
    "needs, e.g. arn:aws:iam::<account>:role/<node-role>); or scope the statement with a Condition on "
    "aws:ResourceTag/..., iam:PolicyARN or iam:PermissionsBoundary.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=IDENTITY_DOCUMENT_TYPES,
)
def iam_no_privilege_escalation(ctx: StackContext) -> None:
    for resource in ctx.of_type(*IDENTITY_DOCUMENT_TYPES):
        for where, document in documents(resource.type, resource.props):
            statements = allow_statements(document)
            if statements is None:
                continue  # known at deployment, checked then
            for statement in statements:
                if contains_unknown(statement.condition) or statement.condition is UNKNOWN:
                    continue
                allowed, undecided = verdict(statement)
                label = f"'{resource.name}' {where} Statement[{statement.index}]"
                if undecided:
                    ctx.undecided(f"{label}: {undecided}", resource.urn)
                if not allowed:
                    continue
                shown = allowed[:4]
                reasons = "; ".join(f"{a} ({ESCALATION_ACTIONS[a]})" for a in shown)
                more = f" and {len(allowed) - len(shown)} more" if len(allowed) > len(shown) else ""
                ctx.report(
                    f"{label} allows privilege escalation on every resource: {reasons}{more}", resource.urn
                )


POLICIES = [iam_no_privilege_escalation]
