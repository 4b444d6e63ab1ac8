"""IAM: admin through managed policies in every attachment form, NotAction/NotResource with Allow,
privilege escalation on every identity kind; the conditions that scope a wildcard. Small programs
under the offline engine, evaluated with the prod pack config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

import policies
from dpengine.check import evaluate, load_config
from dpengine.engine import run_function
from dpengine.pack import PolicyPackSpec
from policies import iam

PACK = PolicyPackSpec.from_module(policies)
PROD = load_config(Path(policies.__file__).parent / "prod.json")
RULES = {"iam-no-admin-wildcard", "iam-no-admin-managed-policy", "iam-no-privilege-escalation"}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def report(program: Callable[[], None]) -> Any:
    return evaluate(run_function(program, project="demo", stack="prod"), PACK, PROD)


def violations(program: Callable[[], None]) -> list[tuple[str, str, str]]:
    return sorted((v.policy, v.name, v.message) for v in report(program).violations if v.policy in RULES)


def undecided(program: Callable[[], None]) -> list[str]:
    return [s.message for s in report(program).skipped if s.policy in RULES]


def test_the_rules_are_registered_mandatory() -> None:
    assert {n: policies.REGISTRY[n].enforcement.value for n in RULES} == dict.fromkeys(RULES, "mandatory")


# --------------------------------------------------------------------------- managed admin policies


def test_admin_managed_policies_in_every_attachment_form_fail() -> None:
    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy=TRUST)
        user = aws.iam.User("user")
        group = aws.iam.Group("group")
        aws.iam.RolePolicyAttachment("role-admin", role=role.name, policy_arn=ADMIN)
        aws.iam.UserPolicyAttachment("user-admin", user=user.name, policy_arn=ADMIN)
        aws.iam.GroupPolicyAttachment(
            "group-iam", group=group.name, policy_arn="arn:aws:iam::aws:policy/IAMFullAccess"
        )
        aws.iam.PolicyAttachment(
            "shared", policy_arn="arn:aws-us-gov:iam::aws:policy/PowerUserAccess", roles=[role.name]
        )
        aws.iam.RolePolicyAttachmentsExclusive(
            "exclusive",
            role_name=role.name,
            policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess", ADMIN],
        )
        aws.iam.UserPolicyAttachmentsExclusive("user-exclusive", user_name=user.name, policy_arns=[ADMIN])
        aws.iam.GroupPolicyAttachmentsExclusive("group-exclusive", group_name=group.name, policy_arns=[ADMIN])
        aws.iam.Role("legacy", assume_role_policy=TRUST, managed_policy_arns=[ADMIN])
        aws.ssoadmin.ManagedPolicyAttachment(
            "sso",
            instance_arn="arn:aws:sso:::instance/ssoins-1",
            permission_set_arn="arn:aws:sso:::permissionSet/ssoins-1/ps-1",
            managed_policy_arn=ADMIN,
        )

    found = [(n, m) for p, n, m in violations(program) if p == "iam-no-admin-managed-policy"]
    admin = "AdministratorAccess (every action on every resource)"
    assert found == [
        ("exclusive", f"'exclusive' attaches the AWS-managed {admin} via policyArns"),
        (
            "group-exclusive",
            f"'group-exclusive' attaches the AWS-managed {admin} via policyArns",
        ),
        (
            "group-iam",
            "'group-iam' attaches the AWS-managed IAMFullAccess (iam:* on every resource, so the principal "
            "can grant itself anything) via policyArn",
        ),
        ("legacy", f"'legacy' attaches the AWS-managed {admin} via managedPolicyArns"),
        ("role-admin", f"'role-admin' attaches the AWS-managed {admin} via policyArn"),
        (
            "shared",
            "'shared' attaches the AWS-managed PowerUserAccess (every action but iam:*, organizations:* and "
            "account:* (NotAction with Allow) on every resource) via policyArn",
        ),
        ("sso", f"'sso' attaches the AWS-managed {admin} via managedPolicyArn"),
        ("user-admin", f"'user-admin' attaches the AWS-managed {admin} via policyArn"),
        ("user-exclusive", f"'user-exclusive' attaches the AWS-managed {admin} via policyArns"),
    ]


def test_every_managed_policy_attachment_input_of_the_sdk_is_covered() -> None:
    """The SDK's own inputs that take managed policy ARNs, in iam and ssoadmin, are all read."""
    root = Path(aws.__file__).parent
    found = set()
    for module in ("iam", "ssoadmin"):
        for path in (root / module).glob("*.py"):
            if path.name.startswith(("get_", "_")) or path.name in ("outputs.py",):
                continue
            text = path.read_text()
            for python, wire in (
                ("policy_arn", "policyArn"),
                ("policy_arns", "policyArns"),
                ("managed_policy_arns", "managedPolicyArns"),
                ("managed_policy_arn", "managedPolicyArn"),
            ):
                if f"def {python}(self) -> pulumi.Input" in text:
                    found.add((path.stem, wire))
    covered = {(token.split(":")[1].split("/")[1], key) for token, key in iam.ATTACHMENT_PROPERTIES.items()}
    stems = {"".join(w.capitalize() if i else w for i, w in enumerate(s.split("_"))): k for s, k in found}
    assert {(stem, key) for stem, key in stems.items()} == covered


def test_named_and_customer_managed_policies_pass() -> None:
    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy=TRUST)
        aws.iam.RolePolicyAttachment(
            "read-only", role=role.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
        )
        aws.iam.RolePolicyAttachment(
            "named-admin-lookalike",
            role=role.name,
            # customer-managed: its own document is what the rules check
            policy_arn="arn:aws:iam::123456789012:policy/AdministratorAccess",
        )
        aws.iam.RolePolicyAttachment(
            "service-role",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        )
        managed = aws.iam.Policy("scoped", policy=doc(allow("s3:GetObject", "arn:aws:s3:::b/*")))
        aws.iam.RolePolicyAttachment("own", role=role.name, policy_arn=managed.arn)

    assert violations(program) == []


# --------------------------------------------------------------------------- NotAction / NotResource


def test_not_action_and_not_resource_with_allow_fail_on_every_identity_kind() -> None:
    def program() -> None:
        role = aws.iam.Role(
            "role",
            assume_role_policy=TRUST,
            inline_policies=[
                {"name": "inline", "policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}
            ],
        )
        user = aws.iam.User("user")
        group = aws.iam.Group("group")
        aws.iam.RolePolicy(
            "role-inline",
            role=role.id,
            policy=doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit/*"}),
        )
        aws.iam.UserPolicy(
            "user-inline",
            user=user.name,
            policy=doc(
                {"Effect": "Allow", "NotAction": ["iam:*", "sts:*"], "NotResource": "arn:aws:kms:*:*:key/*"}
            ),
        )
        aws.iam.GroupPolicy("group-inline", group=group.name, policy=doc(allow("*:*")))
        aws.ssoadmin.PermissionSetInlinePolicy(
            "sso-inline",
            instance_arn="arn:aws:sso:::instance/ssoins-1",
            permission_set_arn="arn:aws:sso:::permissionSet/ssoins-1/ps-1",
            inline_policy=doc({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}),
        )

    found = [(n, m) for p, n, m in violations(program) if p == "iam-no-admin-wildcard"]
    assert found == [
        ("group-inline", "'group-inline' policy Statement[0] allows '*' actions on '*' resources"),
        (
            "role",
            "'role' inlinePolicies[0] Statement[0] allows every action except iam:* (NotAction "
            "with Allow) on "
            "'*' resources",
        ),
        (
            "role-inline",
            "'role-inline' policy Statement[0] allows '*' actions on every resource but those in NotResource",
        ),
        (
            "sso-inline",
            "'sso-inline' inlinePolicy Statement[0] allows every action except s3:DeleteBucket "
            "(NotAction with "
            "Allow) on '*' resources",
        ),
        (
            "user-inline",
            "'user-inline' policy Statement[0] allows every action except iam:*, sts:* (NotAction "
            "with Allow) "
            "on '*' resources",
        ),
    ]


def test_not_action_with_deny_and_scoped_not_action_pass() -> None:
    def program() -> None:
        aws.iam.Policy(
            "guardrail",
            policy=doc(
                {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": "*"},
                {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"},
                allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*"),
            ),
        )

    assert violations(program) == []


# --------------------------------------------------------------------------- privilege escalation


def test_escalation_sets_fail_on_every_identity_kind() -> None:
    def program() -> None:
        role = aws.iam.Role(
            "role",
            assume_role_policy=TRUST,
            inline_policies=[{"name": "pass", "policy": doc(allow("iam:PassRole"))}],
        )
        user = aws.iam.User("user")
        group = aws.iam.Group("group")
        aws.iam.Policy("iam-star", policy=doc(allow(["iam:*", "sts:*"])))
        aws.iam.RolePolicy(
            "assume-any", role=role.id, policy=doc(allow("sts:AssumeRole", "arn:aws:iam::*:role/*"))
        )
        aws.iam.UserPolicy(
            "editor",
            user=user.name,
            policy=doc(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion"])),
        )
        aws.iam.GroupPolicy(
            "trust-editor",
            group=group.name,
            policy=doc(
                allow(
                    "iam:UpdateAssumeRolePolicy",
                    "*",
                    Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                )
            ),
        )
        aws.iam.Policy(
            "passed-to-ec2",
            policy=doc(
                allow(
                    "iam:PassRole",
                    "*",
                    Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                )
            ),
        )

    found = [(n, m) for p, n, m in violations(program) if p == "iam-no-privilege-escalation"]
    assert found == [
        (
            "assume-any",
            "'assume-any' policy Statement[0] allows privilege escalation on every resource: sts:AssumeRole "
            "(assume any role that trusts the account)",
        ),
        (
            "editor",
            "'editor' policy Statement[0] allows privilege escalation on every resource: "
            "iam:CreatePolicyVersion "
            "(rewrite any managed policy); iam:AttachRolePolicy (attach any policy to a role); "
            "iam:PutRolePolicy "
            "(write any inline policy on a role)",
        ),
        (
            "iam-star",
            "'iam-star' policy Statement[0] allows privilege escalation on every resource: "
            "iam:CreatePolicyVersion "
            "(rewrite any managed policy); iam:SetDefaultPolicyVersion (switch any managed policy to another "
            "version); iam:AttachUserPolicy (attach any policy (AdministratorAccess) to a user); "
            "iam:AttachGroupPolicy (attach any policy to a group) and 15 more",
        ),
        (
            "passed-to-ec2",
            "'passed-to-ec2' policy Statement[0] allows privilege escalation on every resource: iam:PassRole "
            "(hand any role (an admin one) to a service it controls)",
        ),
        (
            "role",
            "'role' inlinePolicies[0] Statement[0] allows privilege escalation on every resource: "
            "iam:PassRole "
            "(hand any role (an admin one) to a service it controls)",
        ),
        (
            "trust-editor",
            "'trust-editor' policy Statement[0] allows privilege escalation on every resource: "
            "iam:UpdateAssumeRolePolicy (let itself assume any role)",
        ),
    ]


def test_named_resources_and_scoping_conditions_pass() -> None:
    """The shapes of the platform's own roles (Karpenter's controller policy among them)."""

    def program() -> None:
        aws.iam.Policy(
            "controller",
            policy=doc(
                allow(
                    "iam:PassRole",
                    "arn:aws:iam::123456789012:role/node-role",
                    Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                ),
                allow(
                    ["iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile"],
                    "arn:aws:iam::123456789012:instance-profile/*",
                    Condition={"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/demo": "owned"}},
                ),
                allow("iam:ListInstanceProfiles"),
                allow(
                    "iam:AttachRolePolicy",
                    "*",
                    Condition={"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
                ),
                allow("sts:AssumeRole", "arn:aws:iam::123456789012:role/deployer"),
                allow("sts:AssumeRole", "*", Condition={"StringEquals": {"aws:ResourceTag/team": "data"}}),
                allow(
                    "iam:PutRolePolicy",
                    "*",
                    Condition={
                        "StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/b"}
                    },
                ),
                allow(
                    "iam:CreateServiceLinkedRole",
                    "*",
                    Condition={"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
                ),
            ),
        )

    assert violations(program) == []
    assert undecided(program) == []  # understood as scoped, not "cannot decide"


def test_an_unfamiliar_condition_is_cannot_decide_not_a_pass() -> None:
    def program() -> None:
        aws.iam.Policy(
            "odd",
            policy=doc(allow("iam:PassRole", "*", Condition={"StringEquals": {"aws:SomeNewKey": "x"}})),
        )

    assert violations(program) == []
    assert undecided(program) == [
        "can't run policy 'iam-no-privilege-escalation' from policy pack 'dataplatform@v0.1.0' "
        "during preview: "
        "cannot decide: 'odd' policy Statement[0]: condition key(s) aws:somenewkey may or may not scope "
        "iam:PassRole"
    ]


def test_unknown_documents_are_not_violations() -> None:
    def program() -> None:
        arn = aws.iam.Role("r", assume_role_policy=TRUST).arn
        aws.iam.Policy("later", policy=arn.apply(lambda a: doc(allow("iam:PassRole", a))))

    run = run_function(program, project="demo", stack="prod", preview=True)
    found = evaluate(run, PACK, PROD)
    assert [v for v in found.violations if v.policy in RULES] == []


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("iam:*", "iam:PassRole", True),
        ("IAM:pass*", "iam:PassRole", True),
        ("iam:Put?olePolicy", "iam:PutRolePolicy", True),
        ("iam:Get*", "iam:PassRole", False),
    ],
)
def test_action_patterns_match_as_iam_does(pattern: str, action: str, expected: bool) -> None:
    from policies._iam_documents import action_matches

    assert action_matches(pattern, action) is expected


def test_the_upstream_load_balancer_controller_policy_passes() -> None:
    """The statements of kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json that
    use '*' resources, IAM actions or tag conditions (its other statements are ELB and EC2 actions)."""

    def program() -> None:
        aws.iam.Policy(
            "lb-controller",
            policy=doc(
                allow(
                    ["iam:CreateServiceLinkedRole", "ec2:DescribeVpcs", "elasticloadbalancing:DescribeTags"]
                ),
                allow(["acm:ListCertificates", "iam:ListServerCertificates", "iam:GetServerCertificate"]),
                allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]),
                allow(
                    ["ec2:CreateTags", "ec2:DeleteTags"],
                    "*",
                    Condition={
                        "Null": {
                            "aws:RequestTag/ingress.k8s.aws/cluster": "true",
                            "aws:ResourceTag/ingress.k8s.aws/cluster": "false",
                        }
                    },
                ),
                allow(
                    "elasticloadbalancing:CreateLoadBalancer",
                    "*",
                    Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["ingress.k8s.aws/cluster"]}},
                ),
            ),
        )

    assert violations(program) == []
    assert undecided(program) == []
