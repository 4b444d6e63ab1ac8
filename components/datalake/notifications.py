"""The lake's event notifications: which queue gets which layer's object events (pure).

S3 keeps ONE notification configuration per bucket (``PutBucketNotificationConfiguration`` replaces
the whole set), and pulumi-aws models it as one ``aws.s3.BucketNotification`` per bucket: two of them
on one bucket overwrite each other on every update. So every queue's lake events are gathered here
and registered once per bucket by :meth:`DataLakeBucket.notify`. S3 refuses a configuration whose
filters overlap for one event type ("Configurations overlap"), so overlaps are refused first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from .._validation import ConfigIssue, InvalidConfigError

__all__ = ["LakeEventTarget", "notification_issues", "overlapping"]


@dataclass(frozen=True)
class LakeEventTarget:
    """A queue that receives one layer's object events (from ``PipelineService.lake_events``)."""

    layer: str
    """The lake layer whose objects send events."""
    events: Sequence[str]
    """S3 event types, e.g. ``s3:ObjectCreated:*``."""
    queue_arn: pulumi.Input[str]
    """The queue (its policy must let ``s3.amazonaws.com`` send for the lake bucket)."""
    suffix: str | None = None
    """Only keys ending with this."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist first: the queue policy admitting S3 (S3 sends a test message to validate
    the destination when the configuration is put, and refuses it if the queue does not accept)."""


def _events_overlap(first: Sequence[str], second: Sequence[str]) -> bool:
    for a in first:
        for b in second:
            kind_a, type_a = a.rsplit(":", 1)
            kind_b, type_b = b.rsplit(":", 1)
            if kind_a == kind_b and (type_a == type_b or "*" in (type_a, type_b)):
                return True
    return False


def overlapping(
    first: LakeEventTarget, second: LakeEventTarget, prefixes: Mapping[str, str], buckets: Mapping[str, str]
) -> bool:
    """Whether S3 would see the two filters overlap: the same bucket, prefixes and suffixes of which
    one starts (ends) with the other, and a common event type."""
    if buckets[first.layer] != buckets[second.layer]:
        return False
    a, b = prefixes[first.layer], prefixes[second.layer]
    if not (a.startswith(b) or b.startswith(a)):
        return False
    x, y = first.suffix or "", second.suffix or ""
    if not (x.endswith(y) or y.endswith(x)):
        return False
    return _events_overlap(first.events, second.events)


def notification_issues(
    targets: Sequence[LakeEventTarget], prefixes: Mapping[str, str], buckets: Mapping[str, str]
) -> list[ConfigIssue]:
    """Unknown layers and overlapping filters, by index into ``targets``."""
    issues: list[ConfigIssue] = []
    for index, target in enumerate(targets):
        if not isinstance(target, LakeEventTarget):
            issues.append(ConfigIssue(f"targets[{index}]", type(target).__name__, "pass LakeEventTarget"))
        elif target.layer not in prefixes:
            issues.append(
                ConfigIssue(
                    f"targets[{index}].layer",
                    target.layer,
                    f"the lake has no such layer (its layers: {', '.join(sorted(prefixes))})",
                )
            )
    if issues:
        return issues
    for index, target in enumerate(targets):
        for other in range(index):
            if overlapping(targets[other], target, prefixes, buckets):
                issues.append(
                    ConfigIssue(
                        f"targets[{index}]",
                        target.layer,
                        f"overlaps targets[{other}] (same layer prefix, suffix and event type): S3 refuses "
                        "overlapping notification filters; give one a distinct suffix or other events",
                    )
                )
    return issues


def raise_issues(issues: list[ConfigIssue]) -> None:
    """Raise the issues of :func:`notification_issues` as one config error."""
    if issues:
        raise InvalidConfigError(issues, subject="DataLakeBucket.notify")
