"""The documents of a service's SQS queue and of what scales on it: pure functions, no engine.

- the queue's URL from its ARN, the redrive policy to the dead-letter queue, the queue policy
  (no request without TLS) and the key policy of a created queue's customer key;
- the role's statements: exactly the SQS actions of the service's access mode on its queue, the
  KMS use they need, and what KEDA's scalers call as the role (``sqs:GetQueueAttributes``,
  ``kinesis:DescribeStreamSummary``, ``cloudwatch:GetMetricData``);
- the role's trust policy, which also admits KEDA's operator when KEDA scales the service.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._shared import deny_insecure_transport_statement
from .._validation import check_choice
from ..iam import irsa_trust_policy_document, kms_account_admin_statement, policy_json
from .settings_events import (
    DEAD_LETTER_SUFFIX,
    CloudWatchTrigger,
    KinesisTrigger,
    QueueSettings,
    Trigger,
    sqs_queue_arn_parts,
)

__all__ = [
    "CONSUME_ACTIONS",
    "KEDA_OPERATOR_SUBJECT",
    "PRODUCE_ACTIONS",
    "SCALER_QUEUE_ACTIONS",
    "dead_letter_queue_name",
    "queue_access_statements",
    "queue_key_policy",
    "queue_name",
    "queue_transport_policy",
    "queue_url",
    "redrive_policy",
    "trigger_statements",
    "workload_trust_policy_document",
]

CONSUME_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)
"""What a consumer calls: receive, extend the visibility of, and delete messages."""
PRODUCE_ACTIONS = ("sqs:GetQueueUrl", "sqs:SendMessage")
"""What a producer calls (``SendMessageBatch`` is authorized by ``sqs:SendMessage``)."""
SCALER_QUEUE_ACTIONS = ("sqs:GetQueueAttributes",)
"""What KEDA's ``aws-sqs-queue`` scaler calls as the workload role (keda-docs
``authentication-providers/aws.md``; research notes §6)."""
CONSUMER_KEY_ACTIONS = ("kms:Decrypt",)
"""A consumer of an SSE-KMS queue decrypts the data key (SQS developer guide, key management)."""
PRODUCER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""A producer generates the data key (and decrypts a reused one)."""
KEDA_OPERATOR_SUBJECT = "system:serviceaccount:keda:keda-operator"
"""The identity KEDA's operator presents when it assumes a workload role: its own IRSA token
(kedacore/keda ``pkg/scalers/aws/aws_config_cache.go``: AssumeRoleWithWebIdentity with the
operator's ``AWS_WEB_IDENTITY_TOKEN_FILE``, falling back to AssumeRole)."""
STS_AUDIENCE = "sts.amazonaws.com"

_DNS_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}


def queue_name(service: str, settings: QueueSettings) -> str:
    """The created queue's name: ``settings.name``, else the service's."""
    return settings.name or service


def dead_letter_queue_name(name: str) -> str:
    """The dead-letter queue of queue ``name``: ``<name>-dlq`` (what alarms and dashboards look for)."""
    return f"{name}{DEAD_LETTER_SUFFIX}"


def queue_url(arn: str) -> str:
    """The URL of the queue ``arn`` (``https://sqs.<region>.<dns suffix>/<account>/<name>``)."""
    parts = sqs_queue_arn_parts(arn)
    if parts is None:
        raise ValueError(f"{arn!r} is not an SQS queue ARN")
    suffix = _DNS_SUFFIX[parts["partition"]]
    return f"https://sqs.{parts['region']}.{suffix}/{parts['account']}/{parts['name']}"


def queue_region(arn: str) -> str:
    """The region of the queue ``arn``."""
    parts = sqs_queue_arn_parts(arn)
    if parts is None:
        raise ValueError(f"{arn!r} is not an SQS queue ARN")
    return parts["region"]


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    """The source queue's redrive policy: after ``max_receive_count`` deliveries, to the DLQ."""
    return json.dumps(
        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}, sort_keys=True
    )


def queue_transport_policy(queue_arn: str) -> str:
    """The queue policy: nothing may use the queue without TLS (access itself is granted by IAM)."""
    return policy_json([deny_insecure_transport_statement("sqs", queue_arn)])


def queue_key_policy(account: str, partition: str) -> str:
    """The key policy of a created queue's key: the account administers it; producers and consumers
    use it through their IAM policies (no AWS service sends to the queue)."""
    return policy_json([kms_account_admin_statement(account, partition, "AccountAdministration")])


def queue_access_statements(
    queue_arn: str, access: str, *, scaler: bool, key_arn: str | None
) -> list[dict[str, Any]]:
    """The role's statements on its queue: the actions of ``access`` (``consume`` or ``produce``),
    ``sqs:GetQueueAttributes`` when KEDA's scaler reads the queue as the role, and the key use of
    ``access`` on ``key_arn`` (None: SQS-managed encryption, no key grant)."""
    check_choice("access", access, ("consume", "produce"), subject="queue_access_statements")
    actions = list(CONSUME_ACTIONS if access == "consume" else PRODUCE_ACTIONS)
    if scaler:
        actions += SCALER_QUEUE_ACTIONS
    statements: list[dict[str, Any]] = [
        {
            "Sid": "QueueConsume" if access == "consume" else "QueueProduce",
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": queue_arn,
        }
    ]
    if key_arn is not None:
        statements.append(
            {
                "Sid": "QueueKey",
                "Effect": "Allow",
                "Action": list(CONSUMER_KEY_ACTIONS if access == "consume" else PRODUCER_KEY_ACTIONS),
                "Resource": key_arn,
            }
        )
    return statements


def trigger_statements(triggers: Sequence[Trigger]) -> list[dict[str, Any]]:
    """What KEDA's Kinesis and CloudWatch scalers call as the role (the SQS scaler's action is in
    :func:`queue_access_statements`)."""
    streams = sorted({t.stream_arn for t in triggers if isinstance(t, KinesisTrigger)})
    statements: list[dict[str, Any]] = []
    if streams:
        statements.append(
            {
                "Sid": "ScalerKinesis",
                "Effect": "Allow",
                "Action": ["kinesis:DescribeStreamSummary"],
                "Resource": streams if len(streams) > 1 else streams[0],
            }
        )
    if any(isinstance(t, CloudWatchTrigger) for t in triggers):
        # GetMetricData supports no resource-level permissions (Service Authorization Reference).
        statements.append(
            {
                "Sid": "ScalerCloudWatch",
                "Effect": "Allow",
                "Action": ["cloudwatch:GetMetricData"],
                "Resource": "*",
            }
        )
    return statements


def workload_trust_policy_document(
    oidc_provider_arn: str, oidc_issuer_url: str, namespace: str, service_account: str, *, keda: bool
) -> str:
    """The IRSA trust policy of a workload role: its own service account and, with ``keda``, KEDA's
    operator, which assumes the role with its own web-identity token to read the scaler's metrics
    (``identityOwner: workload``; research notes §6, option a). Each subject and the audience are pinned."""
    if not keda:
        return irsa_trust_policy_document(oidc_provider_arn, oidc_issuer_url, namespace, service_account)
    issuer = oidc_issuer_url.removeprefix("https://")
    subjects = [
        ("ServiceAccount", f"system:serviceaccount:{namespace}:{service_account}"),
        ("KedaOperatorScalesTheWorkload", KEDA_OPERATOR_SUBJECT),
    ]
    return policy_json(
        [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{issuer}:sub": subject, f"{issuer}:aud": STS_AUDIENCE}},
            }
            for sid, subject in subjects
        ]
    )
