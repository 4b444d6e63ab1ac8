"""Settings of event-driven work: the service's SQS queue and the KEDA triggers it scales on.

A trigger names an event source KEDA polls (research notes §6, keda-docs ``scalers/*.md``): the
service's own queue (``sqs``), a Kinesis stream, a CloudWatch metric or a Prometheus query. With
triggers, the service gets a KEDA ``ScaledObject`` (or ``ScaledJob``) instead of a raw HPA; AWS
triggers authenticate as the service's own IAM role.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .._validation import SettingsModel
from .settings_producers import QueueProducers

__all__ = [
    "AWS_TRIGGER_TYPES",
    "CloudWatchTrigger",
    "KinesisTrigger",
    "PrometheusTrigger",
    "QueueSettings",
    "SqsTrigger",
    "Trigger",
    "kinesis_stream_arn_problem",
    "sqs_queue_arn_parts",
    "sqs_queue_arn_problem",
]

MAX_QUEUE_NAME_LENGTH = 80
"""SQS queue names are 1-80 characters (letters, digits, ``-`` and ``_``)."""
DEAD_LETTER_SUFFIX = "-dlq"
"""The dead-letter queue is named ``<queue>-dlq``, so alarms and dashboards find it by name."""

_PARTITIONS = "aws|aws-cn|aws-us-gov"
_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d"
_SQS_ARN = re.compile(
    rf"^arn:(?P<partition>{_PARTITIONS}):sqs:(?P<region>{_REGION}):(?P<account>\d{{12}}):"
    r"(?P<name>[A-Za-z0-9_-]{1,75}(?:\.fifo)?|[A-Za-z0-9_-]{1,80})$"
)
_KINESIS_ARN = re.compile(
    rf"^arn:(?:{_PARTITIONS}):kinesis:{_REGION}:\d{{12}}:stream/(?P<name>[A-Za-z0-9_.-]{{1,128}})$"
)
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_CREATION_FIELDS = (
    "name",
    "producers",
    "visibility_timeout_seconds",
    "message_retention_seconds",
    "max_receive_count",
    "dead_letter_retention_seconds",
    "deletion_protection",
)


def sqs_queue_arn_parts(arn: str) -> dict[str, str] | None:
    """``{partition, region, account, name}`` of an SQS queue ARN, or None when it is not one."""
    match = _SQS_ARN.match(arn)
    return match.groupdict() if match else None


def sqs_queue_arn_problem(arn: str) -> str | None:
    """Why ``arn`` is not an SQS queue ARN, or None."""
    if sqs_queue_arn_parts(arn) is None:
        return (
            "is not an SQS queue ARN; write arn:aws:sqs:<region>:<12-digit account>:<queue name> "
            "(the queue's ARN, not its URL)"
        )
    return None


def kinesis_stream_arn_problem(arn: str) -> str | None:
    """Why ``arn`` is not a Kinesis data stream ARN, or None."""
    if not _KINESIS_ARN.match(arn):
        return "is not a Kinesis stream ARN; write arn:aws:kinesis:<region>:<account>:stream/<name>"
    return None


class QueueSettings(SettingsModel):
    """The service's SQS queue: created by the service (the default) or an existing one by ARN.

    A created queue is encrypted with a customer KMS key, has a dead-letter queue ``<name>-dlq``
    behind a redrive policy, and refuses requests without TLS. The pods get ``QUEUE_URL``; the IAM
    role gets exactly the actions of ``access`` on this queue (plus ``sqs:GetQueueAttributes``
    when KEDA scales on it) and the key use they need.
    """

    access: Literal["consume", "produce"] = "consume"
    """``consume``: receive, delete and change the visibility of messages; ``produce``: send."""
    arn: str | None = None
    """An existing queue (not created here), in the stack's region. A queue another service of the
    stack creates is referenced with ``from_service`` instead (its ARN is not known before it exists)."""
    from_service: str | None = None
    """The service of this stack whose queue this is (e.g. a producer of the consumer's queue)."""
    kms_key_arn: str | None = None
    """The key that encrypts the queue: for a created queue, use this key instead of a new one; for
    ``arn``, the existing queue's key (unset: it uses SQS-managed encryption, no key grant needed)."""
    name: str | None = None
    """The created queue's name (default: the service's name); stacks sharing an account and region
    set it, as queue names are unique there."""
    visibility_timeout_seconds: int = Field(default=60, ge=0, le=43200)
    """How long a received message stays hidden before it is delivered again: longer than the
    slowest processing of one message."""
    message_retention_seconds: int = Field(default=345600, ge=60, le=1209600)
    """How long an unprocessed message is kept (default 4 days; at most 14)."""
    max_receive_count: int = Field(default=5, ge=1, le=1000)
    """Deliveries of one message before it moves to the dead-letter queue."""
    dead_letter_retention_seconds: int = Field(default=1209600, ge=60, le=1209600)
    """How long the dead-letter queue keeps a message (default 14 days, the most: time to look)."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the queue, its dead-letter queue and its key:
    deleting or replacing them (a rename, a new name) loses every message waiting in them. Dev
    sets it false to allow teardown; prod refuses false."""
    producers: QueueProducers = Field(default_factory=QueueProducers)
    """Who writes to the created queue: lake prefix events and EventBridge rules (a producer service
    of the stack names this one in its own ``queue.from_service`` with ``access: produce``). A queue
    that is consumed needs at least one producer."""

    @field_validator("arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        problem = sqs_queue_arn_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        limit = MAX_QUEUE_NAME_LENGTH - len(DEAD_LETTER_SUFFIX)
        if value is not None and (len(value) > limit or not _QUEUE_NAME.match(value)):
            raise ValueError(
                f"an SQS queue name is 1-{limit} letters, digits, '-' and '_' here (the dead-letter "
                f"queue adds '{DEAD_LETTER_SUFFIX}'), e.g. 'orders'"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> QueueSettings:
        if self.arn is not None and self.from_service is not None:
            raise ValueError("set arn (an existing queue) or from_service (another service's), not both")
        if not self.created:
            set_here = sorted(set(_CREATION_FIELDS) & self.model_fields_set)
            if set_here:
                raise ValueError(
                    f"{', '.join(set_here)} configure a queue this service creates, and this one is "
                    "referenced; remove them (set them where the queue is made)"
                )
            if self.from_service is not None and self.kms_key_arn is not None:
                raise ValueError("kms_key_arn comes from the service that creates the queue; remove it")
        elif self.producers.declared and self.kms_key_arn is not None:
            raise ValueError(
                "producers.lake_events and producers.event_rules need the key policy this service writes "
                "for the queue's key (S3 and EventBridge encrypt with it); drop kms_key_arn, or send from "
                "a producer service instead"
            )
        if self.producers.declared and self.access != "consume":
            raise ValueError(
                "producers write to a queue the service consumes; with access: produce the service is "
                "the producer itself: drop producers"
            )
        return self

    @property
    def created(self) -> bool:
        """Whether the service creates the queue (no ``arn`` and no ``from_service``)."""
        return self.arn is None and self.from_service is None


class SqsTrigger(SettingsModel):
    """Scale on the service's queue (KEDA ``aws-sqs-queue``): one replica per ``queue_length``
    messages."""

    type: Literal["sqs"]
    queue_length: int = Field(default=5, ge=1)
    """The target number of messages per replica."""
    activation_queue_length: int = Field(default=0, ge=0)
    """Scale from zero only above this many messages (with ``min_replicas: 0`` scaling)."""
    scale_on_in_flight: bool = True
    """Count messages being processed (received, not yet deleted) too."""
    scale_on_delayed: bool = False
    """Count delayed messages too."""


class KinesisTrigger(SettingsModel):
    """Scale on a Kinesis stream's shard count (KEDA ``aws-kinesis-stream``)."""

    type: Literal["kinesis"]
    stream_arn: str
    """The stream; the role gets ``kinesis:DescribeStreamSummary`` on it (what the scaler calls)."""
    shard_count: int = Field(default=2, ge=1)
    """The target number of shards per replica."""
    activation_shard_count: int = Field(default=0, ge=0)
    """Scale from zero only above this many shards."""

    @field_validator("stream_arn")
    @classmethod
    def _stream(cls, value: str) -> str:
        problem = kinesis_stream_arn_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def stream_name(self) -> str:
        """The stream's name (the last part of its ARN)."""
        return self.stream_arn.rsplit("/", 1)[-1]


class CloudWatchTrigger(SettingsModel):
    """Scale on a CloudWatch metric (KEDA ``aws-cloudwatch``); the role gets
    ``cloudwatch:GetMetricData``, which has no resource-level permissions."""

    type: Literal["cloudwatch"]
    namespace: str = Field(min_length=1, max_length=255)
    """The metric's namespace, e.g. ``AWS/Kinesis``."""
    metric_name: str = Field(min_length=1, max_length=255)
    """The metric, e.g. ``GetRecords.IteratorAgeMilliseconds``."""
    dimensions: dict[str, str] = Field(default_factory=dict, max_length=30)
    """Dimension name -> value, e.g. ``{StreamName: orders}``."""
    statistic: Literal["Average", "Sum", "Maximum", "Minimum", "SampleCount"] = "Average"
    """How the datapoints of a period are combined."""
    target_value: float = Field(gt=0)
    """The target metric value per replica."""
    activation_target_value: float = Field(default=0, ge=0)
    """Scale from zero only above this value."""
    min_metric_value: float = Field(default=0, ge=0)
    """The value used when CloudWatch returns no datapoint."""
    period_seconds: int = Field(default=300, ge=60)
    """The statistic's period (a multiple of 60)."""
    collection_seconds: int = Field(default=300, ge=60)
    """How far back datapoints are read (at least one period)."""

    @model_validator(mode="after")
    def _periods(self) -> CloudWatchTrigger:
        if self.period_seconds % 60:
            raise ValueError("period_seconds must be a multiple of 60 (CloudWatch's standard resolution)")
        if self.collection_seconds < self.period_seconds:
            raise ValueError("collection_seconds must be at least period_seconds, or no datapoint is read")
        for key, value in self.dimensions.items():
            if ";" in key or ";" in value:
                raise ValueError(f"dimension {key!r}: ';' separates dimensions for KEDA and cannot be used")
        return self


class PrometheusTrigger(SettingsModel):
    """Scale on a Prometheus query (KEDA ``prometheus``), e.g. consumer lag; no AWS identity."""

    type: Literal["prometheus"]
    server_address: str
    """The Prometheus URL inside the cluster, e.g. ``http://prometheus.monitoring:9090``."""
    query: str = Field(min_length=1)
    """A PromQL query returning one value."""
    threshold: float = Field(gt=0)
    """The target value per replica."""
    activation_threshold: float = Field(default=0, ge=0)
    """Scale from zero only above this value."""

    @field_validator("server_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("write the server's http(s):// URL, e.g. http://prometheus.monitoring:9090")
        return value


Trigger = Annotated[
    SqsTrigger | KinesisTrigger | CloudWatchTrigger | PrometheusTrigger, Field(discriminator="type")
]
"""One event source, chosen by ``type``: ``sqs``, ``kinesis``, ``cloudwatch`` or ``prometheus``."""

AWS_TRIGGER_TYPES = frozenset({"sqs", "kinesis", "cloudwatch"})
"""Triggers that call AWS, as the service's role (through the TriggerAuthentication)."""
