"""IAM identity policies: no statement grants every action on every resource (checkov CKV_AWS_1/62/63),
and no principal gets an AWS-managed administrator policy (CIS AWS Foundations 1.16).

Scope: identity-based policy documents, the ones IAM attaches to principals: ``aws.iam.Policy``,
``RolePolicy``, ``UserPolicy``, ``GroupPolicy``, a Role's ``inline_policies`` and an IAM Identity
Center permission set's inline policy; and every way pulumi-aws attaches a managed policy.
Resource-based policies are out of scope: in a KMS key policy ``"Resource": "*"`` means "this key"
(AWS KMS Developer Guide, "Key policies": the Resource element of a key policy is "*", this KMS
key), and the platform's account-administration statement (``kms:*`` for the account root) is how
a key lets IAM decide who uses it. Trust policies (``assume_role_policy``) name who may assume,
not what is allowed. Privilege escalation short of admin is :mod:`.iam_escalation`.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_to, as_list, resource_policy
from ._iam_documents import IDENTITY_DOCUMENT_TYPES, allow_statements, documents, wildcard_everything

DOMAIN = "iam"

ATTACHMENT_PROPERTIES: dict[str, str] = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/role:Role": "managedPolicyArns",
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "managedPolicyArn",
    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive": "managedPolicyArns",
}
"""Every pulumi-aws v7 input that attaches a managed policy by ARN (the SDK's ``policy_arn``,
``policy_arns``, ``managed_policy_arns`` and ``managed_policy_arn`` inputs of ``iam`` and
``ssoadmin``; ``iam.User`` and ``iam.Group`` have none). ``eks.AccessPolicyAssociation`` attaches
EKS cluster-access policies (Kubernetes RBAC, not IAM) and is not listed."""

ADMIN_MANAGED_POLICIES: dict[str, str] = {
    "AdministratorAccess": "every action on every resource",
    "IAMFullAccess": "iam:* on every resource, so the principal can grant itself anything",
    "PowerUserAccess": "every action but iam:*, organizations:* and account:* (NotAction with Allow) "
    "on every resource",
}
"""AWS-managed policies that make a principal an administrator, or let it make itself one (AWS
Managed Policy Reference Guide: AdministratorAccess is ``Action: *`` on ``*``; IAMFullAccess is
``iam:*`` on ``*``; PowerUserAccess is ``NotAction: [iam:*, organizations:*, account:*]`` on ``*``,
the same shape the inline-document rule reports). ``ReadOnlyAccess``, the job-function and
service-role policies are not admin and are not listed."""

_MANAGED_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::aws:policy/(?:[^/]+/)*([^/]+)$")


def admin_managed_policy(arn: Any) -> str | None:
    """The admin-like AWS-managed policy name an ARN points at; None otherwise (or unknown)."""
    if not isinstance(arn, str):
        return None
    match = _MANAGED_ARN.match(arn)
    return match.group(1) if match and match.group(1) in ADMIN_MANAGED_POLICIES else None


@resource_policy(
    "iam-no-admin-wildcard",
    domain=DOMAIN,
    description="IAM identity policies never allow every action ('*', or NotAction with Allow) on every "
    "resource ('*', or NotResource).",
    severity=Severity.CRITICAL,
    remediation="Name the actions and resources the principal needs (the components' policy helpers do: "
    "DataLakeBucket.access_policy, DataCatalog.access_policy, QueryWorkgroup.analyst_policy); never "
    "'Allow' with 'NotAction' or 'NotResource' (use explicit Deny statements to carve out). For "
    "administrators, grant access outside this stack (IAM Identity Center), deliberately.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*IDENTITY_DOCUMENT_TYPES)
def iam_no_admin_wildcard(ctx: ResourceContext) -> None:
    for where, document in documents(ctx.type, ctx.props):
        for statement in allow_statements(document) or []:
            how = wildcard_everything(statement)
            if how:
                ctx.report(f"'{ctx.name}' {where} Statement[{statement.index}] {how}")


@resource_policy(
    "iam-no-admin-managed-policy",
    domain=DOMAIN,
    description="No role, user, group or permission set is attached an AWS-managed administrator policy "
    "(AdministratorAccess, IAMFullAccess, PowerUserAccess), in any attachment form.",
    severity=Severity.CRITICAL,
    remediation="Attach a customer-managed policy naming the actions and resources the principal needs. "
    "Grant administrator access to people through IAM Identity Center outside this stack; if a stack must "
    "own such an attachment, exempt it with the reason (tag policy-exempt.dataplatform.io/"
    "iam-no-admin-managed-policy).",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*ATTACHMENT_PROPERTIES)
def iam_no_admin_managed_policy(ctx: ResourceContext) -> None:
    key = ATTACHMENT_PROPERTIES[ctx.type]
    value = ctx.props.get(key)
    if value is UNKNOWN:
        return
    for arn in as_list(value):
        name = admin_managed_policy(arn)
        if name:
            ctx.report(
                f"'{ctx.name}' attaches the AWS-managed {name} ({ADMIN_MANAGED_POLICIES[name]}) via {key}"
            )


POLICIES = [iam_no_admin_wildcard, iam_no_admin_managed_policy]
