"""The documents of a service's SQS queue and of what scales on it: pure functions, no engine.

- the queue's URL from its ARN, the redrive policy to the dead-letter queue, the queue policy
  (no request without TLS; ``sqs:SendMessage`` for the AWS services that publish to it, each scoped
  to its source ARNs and the account) and the key policy of a created queue's customer key (the
  same publishers may generate and decrypt data keys for this queue only);
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
    "EVENTS_PRINCIPAL",
    "KEDA_OPERATOR_SUBJECT",
    "PRODUCE_ACTIONS",
    "PUBLISHER_KEY_ACTIONS",
    "S3_PRINCIPAL",
    "SCALER_QUEUE_ACTIONS",
    "Publisher",
    "dead_letter_queue_name",
    "queue_access_statements",
    "queue_arn",
    "queue_key_policy",
    "queue_name",
    "queue_policy",
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
S3_PRINCIPAL = "s3.amazonaws.com"
"""The principal S3 event notifications publish as (S3 user guide, "Granting permissions to publish
event notification messages to a destination")."""
EVENTS_PRINCIPAL = "events.amazonaws.com"
"""The principal EventBridge delivers to an SQS target as (EventBridge user guide, "Using
resource-based policies for Amazon EventBridge": SQS permissions, scoped by ``aws:SourceArn``)."""
PUBLISHER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What an AWS service publishing to an SSE-KMS queue needs in the key policy (SQS developer guide,
"Key management: Configure KMS permissions for AWS services"; S3 user guide, event notifications to
an encrypted queue: the key policy must allow ``s3.amazonaws.com`` both actions)."""

Publisher = tuple[str, str]
"""An AWS service that sends to a queue: (service principal, source ARN) — the lake bucket's ARN for
``s3.amazonaws.com``, a rule's ARN for ``events.amazonaws.com``."""

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


def queue_arn(partition: str, region: str, account: str, name: str) -> str:
    """The ARN a queue named ``name`` gets (known before the queue exists: the key policy needs it)."""
    return f"arn:{partition}:sqs:{region}:{account}:{name}"


def _by_principal(publishers: Sequence[Publisher]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for principal, source in publishers:
        arns = grouped.setdefault(principal, [])
        if source not in arns:
            arns.append(source)
    return dict(sorted(grouped.items()))


def _sid(principal: str) -> str:
    return {S3_PRINCIPAL: "S3", EVENTS_PRINCIPAL: "EventBridge"}.get(principal, "Service")


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else sorted(values)


def queue_policy(queue_arn: str, account: str, publishers: Sequence[Publisher] = ()) -> str:
    """The queue policy: nothing without TLS; each publishing AWS service may ``sqs:SendMessage``
    for its own source ARNs (``aws:SourceArn``) in this account (``aws:SourceAccount``: an S3 bucket
    ARN names no account), the confused-deputy guard of the S3 and EventBridge guides."""
    statements = [deny_insecure_transport_statement("sqs", queue_arn)]
    for principal, sources in _by_principal(publishers).items():
        statements.append(
            {
                "Sid": f"{_sid(principal)}SendsEvents",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": _one_or_list(sources)},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        )
    return policy_json(statements)


def queue_transport_policy(queue_arn: str) -> str:
    """The queue policy of a queue nobody outside IAM sends to (the dead-letter queue): TLS only."""
    return queue_policy(queue_arn, "", ())


def queue_key_policy(
    account: str, partition: str, queue_arn: str | None = None, publishers: Sequence[Publisher] = ()
) -> str:
    """The key policy of a created queue's key: the account administers it (producer and consumer
    roles use it through their IAM policies), and each publishing AWS service may generate and
    decrypt data keys for this queue only (``kms:EncryptionContext:aws:sqs:arn``, the context SQS
    encrypts with), for its own source ARNs in this account."""
    statements = [kms_account_admin_statement(account, partition, "AccountAdministration")]
    grouped = _by_principal(publishers)
    if grouped and queue_arn is None:
        raise ValueError("publishers need the queue's ARN (the encryption context they are limited to)")
    for principal, sources in grouped.items():
        statements.append(
            {
                "Sid": f"{_sid(principal)}EncryptsForTheQueue",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": list(PUBLISHER_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": _one_or_list(sources)},
                    "StringEquals": {
                        "aws:SourceAccount": account,
                        "kms:EncryptionContext:aws:sqs:arn": queue_arn,
                    },
                },
            }
        )
    return policy_json(statements)


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
