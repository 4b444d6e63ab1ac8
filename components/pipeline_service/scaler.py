"""KEDA's scaler identity of a service: a role that reads the triggers' metrics and nothing else.

KEDA's ``aws`` pod-identity provider takes ``roleArn``: the operator assumes that role instead of its
own (keda-docs ``authentication-providers/aws.md``, 2.20: "roleArn - Role ARN to be used by KEDA";
``roleArn`` and ``identityOwner`` are mutually exclusive). It assumes it with its own IRSA token
(kedacore/keda ``pkg/scalers/aws/aws_config_cache.go``, ``retrievePodIdentityCredentials``: a
web-identity role provider with the operator's ``AWS_WEB_IDENTITY_TOKEN_FILE``, session name
``KEDA``, and only if that fails ``AssumeRole`` with the operator's own role), so the role trusts
the operator's service account through the cluster's OIDC provider, and the operator's own role
needs no ``sts:AssumeRole``.

The service's workload role no longer trusts the operator: a scaler reading a queue length cannot
touch the lake, the warehouse or the queue's messages. What each scaler calls:

- ``aws-sqs-queue``: ``sqs:GetQueueAttributes`` on the queue (the counts; no KMS: attributes are not
  message bodies);
- ``aws-kinesis-stream``: ``kinesis:DescribeStreamSummary`` on the stream;
- ``aws-cloudwatch``: ``cloudwatch:GetMetricData`` (no resource-level permissions: ``*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..iam import policy_json
from .queue import STS_AUDIENCE, trigger_statements
from .settings_events import SqsTrigger, Trigger

__all__ = [
    "KEDA_OPERATOR_SUBJECT",
    "SCALER_ACTIONS",
    "scaler_policy_document",
    "scaler_trust_policy_document",
]

KEDA_OPERATOR_SUBJECT = "system:serviceaccount:keda:keda-operator"
SCALER_ACTIONS = frozenset(
    {"sqs:GetQueueAttributes", "kinesis:DescribeStreamSummary", "cloudwatch:GetMetricData"}
)
"""Every action a scaler role may hold (the system rule keda-scaler-identity holds the same line)."""


def scaler_policy_document(triggers: Sequence[Trigger], queue_arn: str | None) -> str:
    """The scaler role's permissions: what the triggers' scalers call, on exactly their resources."""
    statements: list[dict[str, Any]] = []
    if any(isinstance(t, SqsTrigger) for t in triggers):
        if queue_arn is None:
            raise ValueError("an sqs trigger needs the service's queue ARN")
        statements.append(
            {
                "Sid": "ScalerQueueDepth",
                "Effect": "Allow",
                "Action": ["sqs:GetQueueAttributes"],
                "Resource": queue_arn,
            }
        )
    statements += trigger_statements(triggers)
    if not statements:
        raise ValueError("no AWS trigger: the service needs no scaler role")
    return policy_json(statements)


def scaler_trust_policy_document(oidc_provider_arn: str, oidc_issuer_url: str) -> str:
    """Only KEDA's operator (its IRSA token, subject and audience pinned) may assume the role."""
    issuer = oidc_issuer_url.removeprefix("https://")
    return policy_json(
        [
            {
                "Sid": "KedaOperator",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{issuer}:sub": KEDA_OPERATOR_SUBJECT, f"{issuer}:aud": STS_AUDIENCE}
                },
            }
        ]
    )
