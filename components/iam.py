"""IAM documents shared by components: trust policies and policy JSON builders."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def policy_json(statements: Sequence[Mapping[str, Any]]) -> str:
    """An IAM policy document with ``statements``, as JSON."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


KMS_USE_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
"""What CloudWatch Logs needs on a key that encrypts a log group."""


def kms_account_admin_statement(account: str, partition: str, sid: str) -> dict[str, Any]:
    """Key-policy statement: the account administers the key, and IAM policies decide who uses it."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def kms_logs_statement(
    sid: str, logs_service: str, log_group_arn: str, *, match: str = "ArnEquals"
) -> dict[str, Any]:
    """Key-policy statement: CloudWatch Logs (``logs.<region>.<dns suffix>``) may use the key for
    the log group(s) ``log_group_arn`` names (``match``: ``ArnEquals``, or ``ArnLike`` for a pattern)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": logs_service},
        "Action": list(KMS_USE_ACTIONS),
        "Resource": "*",
        "Condition": {match: {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
    }


def merge_policy_documents(*documents: str) -> str:
    """One IAM policy document (JSON) holding the statements of ``documents`` in order; their
    ``Sid`` values must differ (IAM refuses a policy with two statements of one Sid)."""
    statements: list[Any] = []
    for document in documents:
        statements += json.loads(document)["Statement"]
    sids = [s["Sid"] for s in statements if "Sid" in s]
    duplicated = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicated:
        raise ValueError(f"statements share Sid(s) {', '.join(duplicated)}; rename them in one document")
    return policy_json(statements)


def service_trust_policy(*services: str) -> str:
    """A role trust policy for AWS service principals (e.g. ``ec2.amazonaws.com``)."""
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def irsa_trust_policy_document(
    oidc_provider_arn: str, oidc_issuer_url: str, namespace: str, service_account: str
) -> str:
    """The trust policy of an IRSA role: exactly one ``namespace:service_account`` may assume it."""
    issuer = oidc_issuer_url.removeprefix("https://")
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ]
    )


def irsa_trust_policy(
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
) -> pulumi.Output[str]:
    """:func:`irsa_trust_policy_document` for values that are Outputs."""
    return pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(
        lambda values: irsa_trust_policy_document(values[0], values[1], namespace, service_account)
    )
