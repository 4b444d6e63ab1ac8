"""Encryption policies: each rule on passing and failing camelCase props, through the analyzer path."""

from __future__ import annotations

from typing import Any

import pytest

import policies
from dpengine import wire
from dpengine.check import evaluate, resource_record, synthetic_run
from dpengine.engine import ResourceRecord
from dpengine.pack import PolicyPackSpec

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


def found(
    policy: str, *records: ResourceRecord, config: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    report = evaluate(synthetic_run(list(records)), PACK, config)
    return [(v.name, v.message) for v in report.violations if v.policy == policy]


def one(type_: str, props: dict[str, Any], name: str = "r") -> ResourceRecord:
    return resource_record(type_, name, props)


def sse(
    bucket: ResourceRecord | None, rules: Any, *, by_dependency: bool = True, name: str = "sse"
) -> ResourceRecord:
    target = bucket.inputs["bucket"] if bucket is not None else wire.UNKNOWN_VALUE
    deps = {"bucket": [bucket.urn]} if bucket is not None and by_dependency else {}
    return resource_record(SSE, name, {"bucket": target, "rules": rules}, property_dependencies=deps)


def kms_rule(key: Any = KEY, algorithm: str = "aws:kms") -> list[dict[str, Any]]:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key is not None:
        default["kmsMasterKeyId"] = key
    return [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]


class TestS3BucketSseKms:
    bucket = one(BUCKET, {"bucket": "raw-1234567"}, "raw")

    def test_bucket_with_kms_configuration_passes(self) -> None:
        assert found("s3-bucket-sse-kms", self.bucket, sse(self.bucket, kms_rule())) == []

    def test_correlates_by_bucket_name_without_dependency(self) -> None:
        assert (
            found("s3-bucket-sse-kms", self.bucket, sse(self.bucket, kms_rule(), by_dependency=False)) == []
        )

    def test_bucket_without_configuration_fails(self) -> None:
        assert found("s3-bucket-sse-kms", self.bucket) == [
            ("raw", "bucket 'raw' has no BucketServerSideEncryptionConfiguration")
        ]

    def test_other_buckets_configuration_does_not_count(self) -> None:
        other = one(BUCKET, {"bucket": "other-1"}, "other")
        assert found("s3-bucket-sse-kms", self.bucket, other, sse(other, kms_rule())) == [
            ("raw", "bucket 'raw' has no BucketServerSideEncryptionConfiguration")
        ]

    def test_aes256_fails_on_the_configuration(self) -> None:
        result = found("s3-bucket-sse-kms", self.bucket, sse(self.bucket, kms_rule(None, "AES256")))
        assert result == [("sse", "encryption configuration 'sse' uses ['AES256'], not aws:kms")]

    def test_aws_managed_key_fails_unless_allowed_by_config(self) -> None:
        records = (self.bucket, sse(self.bucket, kms_rule(None)))
        assert [n for n, _ in found("s3-bucket-sse-kms", *records)] == ["sse"]
        config = {"s3-bucket-sse-kms": {"requireKmsKeyId": False}}
        assert found("s3-bucket-sse-kms", *records, config=config) == []

    def test_unknown_values_are_not_violations(self) -> None:
        # The configuration's bucket is unknown during preview: no proof the bucket is unencrypted.
        assert found("s3-bucket-sse-kms", self.bucket, sse(None, kms_rule())) == []
        assert found("s3-bucket-sse-kms", self.bucket, sse(self.bucket, kms_rule(wire.UNKNOWN_VALUE))) == []


CASES = [
    # policy, type, passing props, failing props
    (
        "rds-storage-encrypted",
        "aws:rds/instance:Instance",
        {"storageEncrypted": True, "kmsKeyId": KEY},
        {"instanceClass": "db.t3.micro"},
    ),
    (
        "rds-storage-encrypted",
        "aws:rds/cluster:Cluster",
        {"storageEncrypted": True},
        {"storageEncrypted": False},
    ),
    (
        "rds-performance-insights-kms",
        "aws:rds/instance:Instance",
        {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY},
        {"performanceInsightsEnabled": True},
    ),
    (
        "rds-performance-insights-kms",
        "aws:rds/cluster:Cluster",
        {"performanceInsightsEnabled": False},
        {"performanceInsightsEnabled": True, "storageEncrypted": True},
    ),
    ("redshift-kms-encrypted", "aws:redshift/cluster:Cluster", {"encrypted": "true", "kmsKeyId": KEY}, {}),
    ("redshift-kms-encrypted", "aws:redshift/cluster:Cluster", {"kmsKeyId": KEY}, {"encrypted": "false"}),
    ("eks-secrets-encryption", "eks:index:Cluster", {"encryptionConfigKeyArn": KEY}, {"version": "1.31"}),
    (
        "eks-secrets-encryption",
        "aws:eks/cluster:Cluster",
        {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY}}},
        {"encryptionConfig": {"resources": [], "provider": {"keyArn": KEY}}},
    ),
    ("ebs-encrypted", "aws:ebs/volume:Volume", {"encrypted": True, "size": 10}, {"size": 10}),
    (
        "ebs-encrypted",
        "aws:ec2/instance:Instance",
        {
            "rootBlockDevice": {"encrypted": True},
            "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True}],
        },
        {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]},
    ),
    (
        "ebs-encrypted",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 20}}
            ]
        },
        {
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "volumeSize": 20}}
            ]
        },
    ),
    ("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": True}, {"description": "lake"}),
    (
        "kms-key-rotation",
        "aws:kms/key:Key",
        {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
        {"enableKeyRotation": False},
    ),
    (
        "cloudwatch-log-group-kms",
        "aws:cloudwatch/logGroup:LogGroup",
        {"kmsKeyId": KEY},
        {"retentionInDays": 30},
    ),
    ("secretsmanager-secret-cmk", "aws:secretsmanager/secret:Secret", {"kmsKeyId": KEY}, {"name": "db"}),
]


@pytest.mark.parametrize(("policy", "type_", "good", "bad"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_rule_passes_and_fails(policy: str, type_: str, good: dict[str, Any], bad: dict[str, Any]) -> None:
    assert found(policy, one(type_, good)) == []
    result = found(policy, one(type_, bad))
    assert len(result) == 1, result
    assert result[0][0] == "r"


def test_messages_name_the_problem() -> None:
    instance = one("aws:ec2/instance:Instance", {"ebsBlockDevices": [{"encrypted": False}]})
    assert sorted(found("ebs-encrypted", instance)) == [
        ("r", "instance 'r' ebsBlockDevices[0] is not encrypted"),
        ("r", "instance 'r' rootBlockDevice is not encrypted"),
    ]
    assert found("redshift-kms-encrypted", one("aws:redshift/cluster:Cluster", {})) == [
        ("r", "'r' has no kmsKeyId (the AWS-managed key is used)")
    ]


def test_aurora_members_and_replicas_are_left_to_their_cluster_or_source() -> None:
    member = one("aws:rds/instance:Instance", {"dbClusterIdentifier": "c1"})
    replica = one("aws:rds/instance:Instance", {"replicateSourceDb": "db1"}, "replica")
    assert found("rds-storage-encrypted", member, replica) == []


@pytest.mark.parametrize(
    ("policy", "type_", "props"),
    [
        ("rds-storage-encrypted", "aws:rds/instance:Instance", {"storageEncrypted": wire.UNKNOWN_VALUE}),
        ("redshift-kms-encrypted", "aws:redshift/cluster:Cluster", {"kmsKeyId": wire.UNKNOWN_VALUE}),
        ("eks-secrets-encryption", "eks:index:Cluster", {"encryptionConfigKeyArn": wire.UNKNOWN_VALUE}),
        ("eks-secrets-encryption", "aws:eks/cluster:Cluster", {"encryptionConfig": wire.UNKNOWN_VALUE}),
        ("cloudwatch-log-group-kms", "aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": wire.UNKNOWN_VALUE}),
        ("secretsmanager-secret-cmk", "aws:secretsmanager/secret:Secret", {"kmsKeyId": wire.UNKNOWN_VALUE}),
        ("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": wire.UNKNOWN_VALUE}),
        (
            "ebs-encrypted",
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"blockDeviceMappings": [{"ebs": {"encrypted": wire.UNKNOWN_VALUE}}]},
        ),
    ],
)
def test_unknown_values_are_not_violations(policy: str, type_: str, props: dict[str, Any]) -> None:
    report = evaluate(synthetic_run([one(type_, props)]), PACK)
    assert [v for v in report.violations if v.policy == policy] == []
    assert [s for s in report.skipped if s.policy == policy] == []
