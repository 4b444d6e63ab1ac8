"""Settings of who writes to a service's queue: lake prefix events and EventBridge rules.

A queue someone consumes needs a producer, or KEDA never sees a message. Three kinds exist:

- ``lake_events``: S3 event notifications of a lake layer's prefix (the lake bucket sends them; the
  queue policy and the queue key's policy admit ``s3.amazonaws.com`` for that bucket in this account);
- ``event_rules``: EventBridge rules whose target is the queue (the queue and key policies admit
  ``events.amazonaws.com`` for exactly those rules);
- another service of the stack with ``queue: {from_service: <this service>, access: produce}`` (its
  role gets ``sqs:SendMessage`` and ``kms:GenerateDataKey``/``kms:Decrypt`` on the queue's key).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .._validation import SettingsModel

__all__ = [
    "EVENT_TYPES",
    "EventRuleSource",
    "LakeEventSource",
    "QueueProducers",
    "S3EventType",
    "events_overlap",
]

S3EventType = Literal[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
]
"""The S3 event types a lake prefix can send (Amazon S3 user guide, "Supported event types for
SQS, SNS and Lambda")."""
EVENT_TYPES: tuple[str, ...] = S3EventType.__args__  # type: ignore[attr-defined]

_EVERY_CREATION: tuple[S3EventType, ...] = ("s3:ObjectCreated:*",)
_RULE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_SUFFIX = re.compile(r"^[A-Za-z0-9._/-]{1,64}$")


def events_overlap(first: str, second: str) -> bool:
    """Whether two S3 event types match a common event (``s3:ObjectCreated:*`` covers ``:Put``)."""
    a, b = first.rsplit(":", 1), second.rsplit(":", 1)
    return a[0] == b[0] and (a[1] == b[1] or "*" in (a[1], b[1]))


class LakeEventSource(SettingsModel):
    """S3 event notifications of one lake layer's prefix, delivered to the queue."""

    layer: str
    """The lake layer whose objects send events (its prefix ``<layer>/``, or its own bucket)."""
    events: list[S3EventType] = Field(default_factory=lambda: list(_EVERY_CREATION), min_length=1)
    """The event types sent (default every object creation: put, post, copy, multipart upload)."""
    suffix: str | None = None
    """Only keys ending with this, e.g. ``.parquet`` (S3's ``FilterRule`` ``suffix``)."""

    @field_validator("suffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and not _SUFFIX.match(value):
            raise ValueError("use 1-64 letters, digits, '.', '_', '-' or '/', e.g. '.parquet'")
        return value

    @field_validator("events")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        for index, event in enumerate(value):
            if any(events_overlap(event, other) for other in value[:index]):
                raise ValueError(
                    f"{event!r} overlaps another event type of the list (a '*' covers its kind); keep one"
                )
        return value


class EventRuleSource(SettingsModel):
    """An EventBridge rule the service creates, with the queue as its target."""

    name: str
    """The rule's short name (1-32 lowercase letters, digits and hyphens): the rule is
    ``<service>-<name>`` on its bus."""
    event_pattern: dict[str, Any]
    """The EventBridge event pattern, e.g. ``{source: [aws.glue], detail-type: [Glue Job State Change]}``."""
    event_bus: str = "default"
    """The event bus the rule is on (a bus of the stack's account and region)."""
    description: str | None = None
    """What the rule forwards (shown in the EventBridge console)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _RULE_NAME.match(value):
            raise ValueError("use 1-32 lowercase letters, digits and hyphens, e.g. 'glue-jobs'")
        return value

    @field_validator("event_pattern")
    @classmethod
    def _pattern(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError(
                "an empty pattern matches no event; name at least source, e.g. {source: [aws.s3]}"
            )
        for key, match in value.items():
            if key != "detail" and not isinstance(match, list):
                raise ValueError(f"{key}: EventBridge matches a list of values here, e.g. {key}: [value]")
        return value


class QueueProducers(SettingsModel):
    """Who writes to a queue the service creates (besides producer services of the stack)."""

    lake_events: list[LakeEventSource] = Field(default_factory=list)
    """S3 event notifications of lake layers (the lake's one bucket notification carries them)."""
    event_rules: list[EventRuleSource] = Field(default_factory=list)
    """EventBridge rules targeting the queue."""

    @model_validator(mode="after")
    def _unique(self) -> QueueProducers:
        names = [rule.name for rule in self.event_rules]
        for index, name in enumerate(names):
            if names.index(name) != index:
                raise ValueError(f"event_rules[{index}].name {name!r} is used twice; rename one")
        return self

    @property
    def declared(self) -> bool:
        """Whether this lists a producer."""
        return bool(self.lake_events or self.event_rules)
