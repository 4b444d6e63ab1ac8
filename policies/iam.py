"""IAM identity policies: no statement grants every action on every resource (checkov CKV_AWS_1/62/63).

Scope: identity-based policy documents, the ones IAM attaches to principals: ``aws.iam.Policy``,
``RolePolicy``, ``UserPolicy``, ``GroupPolicy`` and a Role's ``inline_policies``. Resource-based
policies are out of scope: in a KMS key policy ``"Resource": "*"`` means "this key" (AWS KMS
Developer Guide, "Key policies": the Resource element of a key policy is "*", this KMS key), and the
platform's account-administration statement (``kms:*`` for the account root) is how a key lets IAM
decide who uses it. Trust policies (``assume_role_policy``) name who may assume, not what is allowed.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    UNKNOWN,
    ResourceContext,
    applies_to,
    as_list,
    contains_unknown,
    parse_json_object,
    resource_policy,
)

DOMAIN = "iam"

POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ROLE = "aws:iam/role:Role"
_ANY_ACTION = ("*", "*:*")


def admin_statements(document: Any) -> list[int] | None:
    """Indexes of the Allow statements with Action ``*`` on Resource ``*``; None when unknown."""
    parsed = parse_json_object(document)
    if parsed is UNKNOWN or contains_unknown(parsed):
        return None
    if not isinstance(parsed, dict):
        return []
    found = []
    for index, statement in enumerate(as_list(parsed.get("Statement"))):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        if any(a in _ANY_ACTION for a in actions) and "*" in resources:
            found.append(index)
    return found


@resource_policy(
    "iam-no-admin-wildcard",
    domain=DOMAIN,
    description="IAM identity policies never allow every action ('*') on every resource ('*').",
    severity=Severity.CRITICAL,
    remediation="Name the actions and resources the principal needs (the components' policy helpers do: "
    "DataLakeBucket.access_policy, DataCatalog.access_policy, QueryWorkgroup.analyst_policy); for "
    "administrators attach the AWS-managed AdministratorAccess policy deliberately, outside this stack.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*POLICY_TYPES, ROLE)
def iam_no_admin_wildcard(ctx: ResourceContext) -> None:
    if ctx.type == ROLE:
        inline = ctx.props.get("inlinePolicies")
        if inline is UNKNOWN:
            return
        documents = [
            (f"inlinePolicies[{i}]", p.get("policy") if isinstance(p, dict) else None)
            for i, p in enumerate(as_list(inline))
        ]
    else:
        documents = [("policy", ctx.props.get("policy"))]
    for where, document in documents:
        found = admin_statements(document)
        for index in found or []:
            ctx.report(f"'{ctx.name}' {where} Statement[{index}] allows '*' actions on '*' resources")


POLICIES = [iam_no_admin_wildcard]
