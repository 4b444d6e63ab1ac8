"""aws-required-tags: taggable types from the SDK, allowed values from config, provider default tags."""

from __future__ import annotations

import json
from typing import Any

import policies
from components.tags import REQUIRED_TAG_KEYS
from dpengine import wire
from dpengine.check import evaluate, resource_record, synthetic_run
from dpengine.engine import ResourceRecord
from dpengine.pack import PolicyPackSpec
from policies import tagging

TAGS = {
    "Environment": "prod",
    "Project": "dataplatform",
    "Owner": "platform-team",
    "CostCenter": "cc-1234",
    "ManagedBy": "pulumi",
}

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


def found(*records: ResourceRecord, config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    report = evaluate(synthetic_run(list(records)), PACK, config)
    return sorted((v.name, v.message) for v in report.violations if v.policy == "aws-required-tags")


def test_required_keys_match_the_components() -> None:
    assert tagging.REQUIRED_TAG_KEYS == REQUIRED_TAG_KEYS
    assert set(tagging.DEFAULT_REQUIRED_TAGS) == set(REQUIRED_TAG_KEYS)


def test_tagged_resource_passes() -> None:
    assert found(resource_record("aws:s3/bucket:Bucket", "raw", {"tags": TAGS})) == []


def test_untagged_resource_fails_naming_every_missing_key() -> None:
    assert found(resource_record("aws:s3/bucket:Bucket", "raw", {})) == [
        ("raw", "'raw': missing tags: CostCenter, Environment, ManagedBy, Owner, Project")
    ]


def test_value_outside_allowed_values_fails() -> None:
    record = resource_record("aws:kms/key:Key", "key", {"tags": {**TAGS, "Environment": "qa"}})
    assert found(record) == [("key", "'key': Environment='qa' is not one of ['dev', 'prod', 'staging']")]


def test_required_tags_come_from_config() -> None:
    config = {"aws-required-tags": {"requiredTags": {"Environment": ["prod"], "Team": []}}}
    record = resource_record("aws:kms/key:Key", "key", {"tags": {**TAGS, "Environment": "dev"}})
    assert found(record, config=config) == [
        ("key", "'key': missing tags: Team; Environment='dev' is not one of ['prod']")
    ]


def test_types_without_tags_are_ignored() -> None:
    # Derived from the SDK: BucketPolicy and SecurityGroupRule take no tags; Kubernetes is not AWS.
    records = [
        resource_record("aws:s3/bucketPolicy:BucketPolicy", "p", {"policy": "{}"}),
        resource_record("aws:ec2/securityGroupRule:SecurityGroupRule", "r", {"type": "ingress"}),
        resource_record("kubernetes:core/v1:Namespace", "ns", {}),
        resource_record("dataplatform:storage:DataLakeBucket", "lake", {}, custom=False),
    ]
    assert found(*records) == []


def test_provider_default_tags_count() -> None:
    provider = resource_record(
        "pulumi:providers:aws", "aws", {"region": "eu-west-1", "defaultTags": json.dumps({"tags": TAGS})}
    )
    bucket = resource_record("aws:s3/bucket:Bucket", "raw", {}, provider=f"{provider.urn}::provider-id")
    assert found(provider, bucket) == []


def test_unknown_tags_are_not_violations() -> None:
    whole = resource_record("aws:s3/bucket:Bucket", "a", {"tags": wire.UNKNOWN_VALUE})
    value = resource_record("aws:s3/bucket:Bucket", "b", {"tags": {**TAGS, "Owner": wire.UNKNOWN_VALUE}})
    assert found(whole, value) == []
