"""Baseline and network policies: S3 public access block and TLS-only, IMDSv2, public databases,
EKS endpoint, security group ingress. Props in camelCase wire shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

import policies
from dpengine import wire
from dpengine.check import evaluate, resource_record, synthetic_run
from dpengine.engine import ResourceRecord
from dpengine.pack import PolicyPackSpec

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


def found(
    policy: str, *records: ResourceRecord, config: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    report = evaluate(synthetic_run(list(records)), PACK, config)
    return sorted((v.name, v.message) for v in report.violations if v.policy == policy)


def one(type_: str, props: dict[str, Any], name: str = "r") -> ResourceRecord:
    return resource_record(type_, name, props)


def attached(type_: str, bucket: ResourceRecord, props: dict[str, Any], name: str) -> ResourceRecord:
    return resource_record(
        type_,
        name,
        {"bucket": bucket.inputs["bucket"], **props},
        property_dependencies={"bucket": [bucket.urn]},
    )


ALL_ON = {
    flag: True
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
}


def tls_policy(secure: Any = "false", effect: str = "Deny") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": effect,
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::raw", "arn:aws:s3:::raw/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": secure}},
                }
            ],
        }
    )


class TestS3PublicAccessBlock:
    bucket = one(BUCKET, {"bucket": "raw-1"}, "raw")

    def test_all_flags_on_passes(self) -> None:
        assert (
            found("s3-bucket-public-access-block", self.bucket, attached(PAB, self.bucket, ALL_ON, "pab"))
            == []
        )

    def test_missing_block_fails(self) -> None:
        assert found("s3-bucket-public-access-block", self.bucket) == [
            ("raw", "bucket 'raw' has no BucketPublicAccessBlock")
        ]

    def test_a_flag_off_fails(self) -> None:
        block = attached(PAB, self.bucket, {**ALL_ON, "restrictPublicBuckets": False}, "pab")
        assert found("s3-bucket-public-access-block", self.bucket, block) == [
            ("pab", "public access block 'pab' does not set restrictPublicBuckets to true")
        ]


class TestS3TlsOnly:
    bucket = one(BUCKET, {"bucket": "raw-1"}, "raw")

    def test_deny_insecure_transport_passes(self) -> None:
        policy = attached(POLICY, self.bucket, {"policy": tls_policy()}, "policy")
        assert found("s3-bucket-tls-only", self.bucket, policy) == []

    def test_boolean_false_condition_passes(self) -> None:
        policy = attached(POLICY, self.bucket, {"policy": tls_policy(False)}, "policy")
        assert found("s3-bucket-tls-only", self.bucket, policy) == []

    def test_no_policy_fails(self) -> None:
        assert found("s3-bucket-tls-only", self.bucket) == [
            ("raw", "bucket 'raw' has no bucket policy denying non-TLS requests")
        ]

    def test_policy_without_the_deny_fails(self) -> None:
        policy = attached(POLICY, self.bucket, {"policy": tls_policy(effect="Allow")}, "policy")
        assert found("s3-bucket-tls-only", self.bucket, policy) == [
            ("policy", "the bucket policy of 'raw' does not deny aws:SecureTransport=false")
        ]

    def test_unknown_policy_document_is_not_a_violation(self) -> None:
        policy = attached(POLICY, self.bucket, {"policy": wire.UNKNOWN_VALUE}, "policy")
        assert found("s3-bucket-tls-only", self.bucket, policy) == []


CASES = [
    (
        "imdsv2-required",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"}},
        {"metadataOptions": {"httpTokens": "optional"}},
    ),
    (
        "imdsv2-required",
        "aws:ec2/instance:Instance",
        {"metadataOptions": {"httpTokens": "required"}},
        {"ami": "a"},
    ),
    (
        "db-not-publicly-accessible",
        "aws:rds/instance:Instance",
        {"publiclyAccessible": False},
        {"publiclyAccessible": True},
    ),
    ("db-not-publicly-accessible", "aws:redshift/cluster:Cluster", {}, {"publiclyAccessible": True}),
    (
        "eks-endpoint-not-public",
        "eks:index:Cluster",
        {"endpointPublicAccess": False, "endpointPrivateAccess": True},
        {"endpointPublicAccess": True},
    ),
    (
        "eks-endpoint-not-public",
        "eks:index:Cluster",
        {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
        {"publicAccessCidrs": ["0.0.0.0/0"]},
    ),
    (
        "eks-endpoint-not-public",
        "aws:eks/cluster:Cluster",
        {"vpcConfig": {"endpointPublicAccess": False, "subnetIds": ["s1"]}},
        {"vpcConfig": {"subnetIds": ["s1"]}},
    ),
    (
        "no-public-admin-ingress",
        SG,
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]},
    ),
    (
        "no-public-admin-ingress",
        SG,
        {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]}]},
        {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]},
    ),
    (
        "no-public-admin-ingress",
        SG_RULE,
        {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
        {"type": "ingress", "protocol": "tcp", "fromPort": 3000, "toPort": 4000, "cidrBlocks": ["0.0.0.0/0"]},
    ),
    (
        "no-public-admin-ingress",
        INGRESS,
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "0.0.0.0/0"},
    ),
]


@pytest.mark.parametrize(("policy", "type_", "good", "bad"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_rule_passes_and_fails(policy: str, type_: str, good: dict[str, Any], bad: dict[str, Any]) -> None:
    assert found(policy, one(type_, good)) == []
    result = found(policy, one(type_, bad))
    assert len(result) == 1, result


def test_security_group_message_lists_ports_and_source() -> None:
    rule = one(INGRESS, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"})
    assert found("no-public-admin-ingress", rule) == [
        ("r", "'r' rule opens port(s) 22, 3389, 1433, 1521, 2049, 3306, ... to 0.0.0.0/0")
    ]


def test_restricted_ports_come_from_config() -> None:
    rule = one(INGRESS, {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrIpv4": "0.0.0.0/0"})
    assert found("no-public-admin-ingress", rule) == []
    config = {"no-public-admin-ingress": {"restrictedPorts": [8080]}}
    assert found("no-public-admin-ingress", rule, config=config) == [
        ("r", "'r' rule opens port(s) 8080 to 0.0.0.0/0")
    ]


def test_eks_default_endpoint_is_public() -> None:
    assert found("eks-endpoint-not-public", one("eks:index:Cluster", {})) == [
        ("r", "'r' has a public API endpoint open to 0.0.0.0/0 (default)")
    ]


@pytest.mark.parametrize(
    ("policy", "type_", "props"),
    [
        ("imdsv2-required", "aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": wire.UNKNOWN_VALUE}),
        (
            "db-not-publicly-accessible",
            "aws:rds/instance:Instance",
            {"publiclyAccessible": wire.UNKNOWN_VALUE},
        ),
        ("eks-endpoint-not-public", "eks:index:Cluster", {"publicAccessCidrs": [wire.UNKNOWN_VALUE]}),
        (
            "no-public-admin-ingress",
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": wire.UNKNOWN_VALUE, "toPort": 22, "cidrIpv4": "0.0.0.0/0"},
        ),
        ("no-public-admin-ingress", SG, {"ingress": wire.UNKNOWN_VALUE}),
    ],
)
def test_unknown_values_are_not_violations(policy: str, type_: str, props: dict[str, Any]) -> None:
    assert found(policy, one(type_, props)) == []
