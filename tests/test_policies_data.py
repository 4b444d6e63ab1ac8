"""The catalog/query/registry, IAM and secrets policies: a failing program for each rule, and the
passing shapes, evaluated through the analyzer as the CLI would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

import policies
from dpengine.check import evaluate, load_config
from dpengine.engine import run_function
from dpengine.pack import PolicyPackSpec

PACK = PolicyPackSpec.from_module(policies)
PROD = load_config(Path(policies.__file__).parent / "prod.json")
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGS = {"Environment": "prod", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"}
NEW = {
    "glue-catalog-encrypted",
    "athena-workgroup-enforced",
    "athena-workgroup-results-encrypted",
    "ecr-repository-immutable-tags",
    "ecr-repository-scan-on-push",
    "ecr-repository-kms",
    "iam-no-admin-wildcard",
    "no-plaintext-secret-property",
}


def violations(program: Callable[[], None], *, preview: bool = False) -> list[tuple[str, str, str]]:
    run = run_function(program, project="demo", stack="prod", preview=preview)
    report = evaluate(run, PACK, PROD)
    return sorted((v.policy, v.name, v.message) for v in report.violations if v.policy in NEW)


def test_the_new_policies_are_registered_mandatory_in_prod() -> None:
    assert set(policies.REGISTRY) >= NEW
    assert {policies.REGISTRY[n].domain for n in NEW} == {"data", "iam", "secrets"}


# --------------------------------------------------------------------------- Glue


def test_unencrypted_glue_catalog_fails() -> None:
    def program() -> None:
        aws.glue.DataCatalogEncryptionSettings(
            "catalog",
            data_catalog_encryption_settings={
                "encryption_at_rest": {"catalog_encryption_mode": "DISABLED"},
                "connection_password_encryption": {"return_connection_password_encrypted": False},
            },
        )

    assert violations(program) == [
        (
            "glue-catalog-encrypted",
            "catalog",
            "'catalog' does not encrypt connection passwords with a KMS key "
            "(connectionPasswordEncryption.returnConnectionPasswordEncrypted and awsKmsKeyId)",
        ),
        (
            "glue-catalog-encrypted",
            "catalog",
            "'catalog' leaves the catalog metadata unencrypted (catalogEncryptionMode='DISABLED')",
        ),
    ]


def test_glue_catalog_with_the_aws_managed_key_fails_and_with_a_customer_key_passes() -> None:
    def program(key: str | None) -> Callable[[], None]:
        def run() -> None:
            aws.glue.DataCatalogEncryptionSettings(
                "catalog",
                data_catalog_encryption_settings={
                    "encryption_at_rest": {"catalog_encryption_mode": "SSE-KMS", "sse_aws_kms_key_id": key},
                    "connection_password_encryption": {
                        "return_connection_password_encrypted": True,
                        "aws_kms_key_id": KEY,
                    },
                },
            )

        return run

    assert [v[2] for v in violations(program(None))] == [
        "'catalog' encrypts the catalog with the AWS-managed key; set sseAwsKmsKeyId"
    ]
    assert violations(program(KEY)) == []


# --------------------------------------------------------------------------- Athena


def test_workgroup_without_enforcement_or_kms_results_fails() -> None:
    def program() -> None:
        aws.athena.Workgroup(
            "wg",
            configuration={
                "enforce_workgroup_configuration": False,
                "result_configuration": {
                    "output_location": "s3://results/",
                    "encryption_configuration": {"encryption_option": "SSE_S3"},
                },
            },
            tags=TAGS,
        )

    assert violations(program) == [
        (
            "athena-workgroup-enforced",
            "wg",
            "workgroup 'wg' lets clients override its settings (enforceWorkgroupConfiguration false)",
        ),
        (
            "athena-workgroup-results-encrypted",
            "wg",
            "workgroup 'wg' does not encrypt results with KMS (encryptionOption='SSE_S3')",
        ),
    ]


def test_workgroup_with_kms_and_no_key_fails_and_unknown_key_in_preview_passes() -> None:
    def program() -> None:
        key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS)
        for name, arn in (("nokey", None), ("withkey", key.arn)):
            aws.athena.Workgroup(
                name,
                configuration={
                    "result_configuration": {
                        "output_location": "s3://results/",
                        "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": arn},
                    },
                },
                tags=TAGS,
            )

    expected = [
        (
            "athena-workgroup-results-encrypted",
            "nokey",
            "workgroup 'nokey' encrypts results with SSE_KMS but names no kmsKeyArn",
        )
    ]
    assert violations(program) == expected
    assert violations(program, preview=True) == expected


# --------------------------------------------------------------------------- ECR


def test_a_default_repository_fails_all_three_ecr_rules() -> None:
    def program() -> None:
        aws.ecr.Repository("repo", tags=TAGS)

    assert violations(program) == [
        (
            "ecr-repository-immutable-tags",
            "repo",
            "repository 'repo' has mutable tags (imageTagMutability='MUTABLE')",
        ),
        ("ecr-repository-kms", "repo", "repository 'repo' is encrypted with AES256, not KMS"),
        ("ecr-repository-scan-on-push", "repo", "repository 'repo' does not scan images on push"),
    ]


def test_repository_with_the_aws_managed_key_fails_and_the_hardened_one_passes() -> None:
    def program() -> None:
        for name, key in (("managed", None), ("customer", KEY)):
            aws.ecr.Repository(
                name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": key}],
                tags=TAGS,
            )

    assert violations(program) == [
        ("ecr-repository-kms", "managed", "repository 'managed' uses the AWS-managed ECR key; set kmsKey")
    ]


# --------------------------------------------------------------------------- IAM


def admin(sid: str = "Admin") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": sid, "Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )


def test_star_on_star_fails_in_every_identity_policy_form() -> None:
    def program() -> None:
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        role = aws.iam.Role(
            "role",
            assume_role_policy=trust,
            inline_policies=[{"name": "inline", "policy": admin()}],
            tags=TAGS,
        )
        aws.iam.Policy("managed", policy=admin(), tags=TAGS)
        aws.iam.RolePolicy(
            "attached",
            role=role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                        {
                            "Effect": "Allow",
                            "Action": ["logs:PutLogEvents", "*:*"],
                            "Resource": ["arn:aws:s3:::b", "*"],
                        },
                    ],
                }
            ),
        )

    assert violations(program) == [
        (
            "iam-no-admin-wildcard",
            "attached",
            "'attached' policy Statement[1] allows '*' actions on '*' resources",
        ),
        (
            "iam-no-admin-wildcard",
            "managed",
            "'managed' policy Statement[0] allows '*' actions on '*' resources",
        ),
        (
            "iam-no-admin-wildcard",
            "role",
            "'role' inlinePolicies[0] Statement[0] allows '*' actions on '*' resources",
        ),
    ]


def test_key_policies_deny_statements_and_scoped_wildcards_are_out_of_scope() -> None:
    def program() -> None:
        root = {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
        aws.kms.Key(
            "key",
            enable_key_rotation=True,
            policy=json.dumps({"Version": "2012-10-17", "Statement": [root]}),
            tags=TAGS,
        )
        aws.iam.Policy(
            "scoped",
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Action": "*",
                            "Resource": "*",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"},
                    ],
                }
            ),
            tags=TAGS,
        )

    assert violations(program) == []


# --------------------------------------------------------------------------- secrets


def rds(name: str, **kwargs: object) -> aws.rds.Instance:
    return aws.rds.Instance(
        name,
        engine="postgres",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        username="admin_user",
        storage_encrypted=True,
        kms_key_id=KEY,
        skip_final_snapshot=True,
        tags=TAGS,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_plain_password_fails() -> None:
    assert violations(lambda: rds("db", password="plain")) == [
        (
            "no-plaintext-secret-property",
            "db",
            "'db' sets password from a value written into the program or its "
            "config (not generated by a resource)",
        )
    ]


def test_a_literal_wrapped_in_output_secret_still_fails() -> None:
    # pulumi-aws wraps `password` in Output.secret itself, so the two programs send the same
    # request: the wrapping hides the literal from the state, not from the source.
    assert [v[1] for v in violations(lambda: rds("db", password=pulumi.Output.secret("plain")))] == ["db"]


def test_a_generated_or_managed_password_passes() -> None:
    def program() -> None:
        # A value another resource produces (as a RandomPassword's result would be), kept secret.
        version = aws.secretsmanager.SecretVersion(
            "generated",
            secret_id="arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            secret_string_wo="x",
        )
        rds("from-resource", password=pulumi.Output.secret(version.version_id))
        rds("managed", manage_master_user_password=True)

    assert violations(program) == []


def test_a_password_unknown_in_preview_passes() -> None:
    def program() -> None:
        key = aws.kms.Key("k", enable_key_rotation=True, tags=TAGS)
        rds("db", password=pulumi.Output.secret(key.key_id))

    assert violations(program, preview=True) == []


@pytest.mark.parametrize(("kind", "expected"), [("SecureString", ["param"]), ("String", [])])
def test_ssm_parameters_only_secure_strings_are_secrets(kind: str, expected: list[str]) -> None:
    def program() -> None:
        aws.ssm.Parameter("param", type=kind, value="plain", tags=TAGS)

    assert [v[1] for v in violations(program)] == expected
