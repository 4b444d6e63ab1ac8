"""Producers of a service's queue: EventBridge rules the service makes, lake events the lake's one
notification delivers, and what is refused (with its key path, before anything is registered)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_datalake import build_lake
from test_datalake_documents import decide
from test_pipeline_service import make

from components._validation import InvalidConfigError
from components.datalake import DataLakeBucket, LakeEventTarget
from components.pipeline_service import PipelineServiceSettings
from components.pipeline_service.queue import queue_key_policy, queue_policy
from components.pipeline_service.settings_events import QueueSettings
from components.pipeline_service.settings_producers import LakeEventSource
from dpengine.testing import run_component
from tests.pipeline_service_cases import BASE

ACCOUNT = "123456789012"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:ingest-api"
LAKE_ARN = "arn:aws:s3:::lake-abc"
RULE = {
    "name": "glue-jobs",
    "event_pattern": {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"]},
}


def consumer(**producers: Any) -> dict[str, Any]:
    return {**BASE, "queue": {"producers": producers}}


def _statements(document: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(document)["Statement"]
    return statements


def test_an_event_rule_targets_the_queue_which_admits_exactly_that_rule(tags: dict[str, str]) -> None:
    cr = make(consumer(event_rules=[RULE]), tags)
    rule = cr.one("aws:cloudwatch/eventRule:EventRule")
    target = cr.one("aws:cloudwatch/eventTarget:EventTarget")
    queue = cr.one("aws:sqs/queue:Queue", "ingest-queue")
    policy = cr.one("aws:sqs/queuePolicy:QueuePolicy", "ingest-queue-policy")
    assert rule.name == "ingest-rule-glue-jobs"
    assert rule.inputs == {
        "name": "ingest-glue-jobs",
        "description": "Events for the queue of ingest",
        "eventBusName": "default",
        "eventPattern": json.dumps(RULE["event_pattern"], sort_keys=True),
        "tags": tags,
    }
    assert target.inputs == {
        "rule": rule.outputs["name"],
        "eventBusName": "default",
        "arn": queue.outputs["arn"],
    }
    assert policy.urn in target.dependencies  # the first delivery finds SendMessage allowed
    rule_arn = rule.outputs["arn"]
    events = ("Service", "events.amazonaws.com")
    statements = _statements(policy.inputs["policy"])
    source = {"aws:SourceArn": rule_arn, "aws:SourceAccount": ACCOUNT}
    assert decide(statements, "sqs:SendMessage", queue.outputs["arn"], source, caller=events) == "allow"
    other_rule = {**source, "aws:SourceArn": rule_arn + "-other"}
    assert (
        decide(statements, "sqs:SendMessage", queue.outputs["arn"], other_rule, caller=events) == "implicit"
    )
    s3 = ("Service", "s3.amazonaws.com")
    assert decide(statements, "sqs:SendMessage", queue.outputs["arn"], source, caller=s3) == "implicit"
    key = _statements(cr.one("aws:kms/key:Key", "ingest-queue-key").inputs["policy"])
    assert key[1] == {
        "Sid": "EventBridgeEncryptsForTheQueue",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {
            "ArnEquals": {"aws:SourceArn": rule_arn},
            "StringEquals": {
                "aws:SourceAccount": ACCOUNT,
                "kms:EncryptionContext:aws:sqs:arn": queue.outputs["arn"],
            },
        },
    }
    assert cr.component.lake_events == []


def test_lake_events_admit_s3_for_the_layers_bucket_and_are_handed_to_the_lake(tags: dict[str, str]) -> None:
    cr = make(
        consumer(lake_events=[{"layer": "bronze", "suffix": ".json"}]),
        tags,
        lake_bucket_arns={"bronze": LAKE_ARN},
    )
    statements = _statements(
        cr.one("aws:sqs/queuePolicy:QueuePolicy", "ingest-queue-policy").inputs["policy"]
    )
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "S3SendsEvents"]
    assert statements[1]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": LAKE_ARN},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert cr.component.lake_events == [LakeEventSource(layer="bronze", suffix=".json")]
    assert cr.of_type("aws:cloudwatch/eventRule:EventRule") == []


def test_lake_events_need_the_lakes_bucket_arns_and_register_nothing_without(tags: dict[str, str]) -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(
            consumer(lake_events=[{"layer": "bronze"}]),
            tags,
            with_provider=False,
            lake_bucket_arns={"gold": LAKE_ARN},
        )
    assert [(i.path, i.value) for i in err.value.issues] == [("args.lake_bucket_arns", ["gold"])]
    assert "DataLakeBucket.bucket_arns" in err.value.issues[0].message
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("queue", "path", "fix"),
    [
        (
            {"arn": QUEUE_ARN, "producers": {"event_rules": [RULE]}},
            "queue",
            "producers configure a queue this service creates",
        ),
        (
            {"producers": {"event_rules": [RULE]}, "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"},
            "queue",
            "drop kms_key_arn",
        ),
        ({"access": "produce", "producers": {"event_rules": [RULE]}}, "queue", "drop producers"),
        (
            {
                "producers": {
                    "lake_events": [
                        {"layer": "bronze", "events": ["s3:ObjectCreated:*", "s3:ObjectCreated:Put"]}
                    ]
                }
            },
            "queue.producers.lake_events[0].events",
            "keep one",
        ),
        (
            {"producers": {"lake_events": [{"layer": "bronze", "suffix": "*.json"}]}},
            "queue.producers.lake_events[0].suffix",
            "'.parquet'",
        ),
        (
            {"producers": {"event_rules": [{**RULE, "name": "Glue"}]}},
            "queue.producers.event_rules[0].name",
            "glue-jobs",
        ),
        (
            {"producers": {"event_rules": [{"name": "x", "event_pattern": {"source": "aws.glue"}}]}},
            "queue.producers.event_rules[0].event_pattern",
            "source: [value]",
        ),
        ({"producers": {"event_rules": [RULE, RULE]}}, "queue.producers", "rename one"),
    ],
)
def test_producer_settings_are_refused_at_their_key(queue: dict[str, Any], path: str, fix: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings(**{**BASE, "queue": queue})
    assert [i.path for i in err.value.issues] == [path]
    assert fix in err.value.issues[0].message


def test_queue_documents_without_publishers_stay_as_they_were() -> None:
    assert [s["Sid"] for s in _statements(queue_policy(QUEUE_ARN, ACCOUNT))] == ["DenyInsecureTransport"]
    assert [s["Sid"] for s in _statements(queue_key_policy(ACCOUNT, "aws"))] == ["AccountAdministration"]
    with pytest.raises(ValueError, match="queue's ARN"):
        queue_key_policy(ACCOUNT, "aws", None, [("s3.amazonaws.com", LAKE_ARN)])
    assert QueueSettings().producers.declared is False


# --------------------------------------------------------------------------- the lake's one notification


def _lake_with(targets: list[LakeEventTarget], tags: dict[str, str], **fields: Any) -> Any:
    build = build_lake(tags, **fields)

    def program() -> DataLakeBucket:
        lake = build()
        lake.notify(targets)
        return lake

    return run_component(program)


QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"


def test_one_notification_per_lake_bucket_each_layer_on_its_prefix_or_its_own_bucket(
    tags: dict[str, str],
) -> None:
    targets = [
        LakeEventTarget("bronze", ["s3:ObjectCreated:*"], QUEUE + "1"),
        LakeEventTarget("silver", ["s3:ObjectCreated:Put"], QUEUE + "2", ".parquet"),
        LakeEventTarget("bronze", ["s3:ObjectRemoved:*"], QUEUE + "3"),
    ]
    cr = _lake_with(targets, tags, deletion_protection=False)
    [notification] = cr.of_type("aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs == {
        "bucket": cr.one("aws:s3/bucket:Bucket", "lake-lake").id,
        "queues": [
            {
                "id": "bronze-0",
                "queueArn": QUEUE + "1",
                "events": ["s3:ObjectCreated:*"],
                "filterPrefix": "bronze/",
            },
            {
                "id": "silver-1",
                "queueArn": QUEUE + "2",
                "events": ["s3:ObjectCreated:Put"],
                "filterPrefix": "silver/",
                "filterSuffix": ".parquet",
            },
            {
                "id": "bronze-2",
                "queueArn": QUEUE + "3",
                "events": ["s3:ObjectRemoved:*"],
                "filterPrefix": "bronze/",
            },
        ],
    }
    per_layer = _lake_with(targets, tags, deletion_protection=False, bucket_per_layer=True)
    notifications = per_layer.of_type("aws:s3/bucketNotification:BucketNotification")
    assert sorted(n.name for n in notifications) == ["lake-bronze-notifications", "lake-silver-notifications"]
    bronze = next(n for n in notifications if n.name == "lake-bronze-notifications")
    assert [q.get("filterPrefix") for q in bronze.inputs["queues"]] == [None, None]  # the whole bucket


def test_overlapping_or_unknown_targets_are_refused_before_anything_is_notified(tags: dict[str, str]) -> None:
    targets = [
        LakeEventTarget("bronze", ["s3:ObjectCreated:*"], QUEUE + "1"),
        LakeEventTarget("bronze", ["s3:ObjectCreated:Put"], QUEUE + "2", ".json"),
        LakeEventTarget("platinum", ["s3:ObjectCreated:*"], QUEUE + "3"),
    ]
    with pytest.raises(InvalidConfigError) as err:
        _lake_with(targets, tags)
    assert [i.path for i in err.value.issues] == ["targets[2].layer"]
    with pytest.raises(InvalidConfigError) as err:
        _lake_with(targets[:2], tags)
    assert [i.path for i in err.value.issues] == ["targets[1]"]
    assert "S3 refuses overlapping notification filters" in err.value.issues[0].message
    recorded = err.value.recorded_run.resources  # type: ignore[attr-defined]
    assert [r for r in recorded if r.type == "aws:s3/bucketNotification:BucketNotification"] == []


def test_the_lake_is_notified_once(tags: dict[str, str]) -> None:
    build = build_lake(tags)

    def program() -> DataLakeBucket:
        lake = build()
        lake.notify([LakeEventTarget("bronze", ["s3:ObjectCreated:*"], QUEUE)])
        lake.notify([LakeEventTarget("gold", ["s3:ObjectCreated:*"], QUEUE)])
        return lake

    with pytest.raises(InvalidConfigError) as err:
        run_component(program)
    assert [i.path for i in err.value.issues] == ["targets"]
    assert "ONE notification configuration" in err.value.issues[0].message
