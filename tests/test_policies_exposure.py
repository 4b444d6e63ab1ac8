"""Network and data-store exposure by the other doors: internet-wide CIDRs beyond 0.0.0.0/0, the default
security group, network ACLs, every publicly accessible data store of pulumi-aws, account-wide switches,
public and unencrypted snapshot copies. Small pulumi-aws programs under the offline engine."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

import policies
from dpengine.check import evaluate, load_config
from dpengine.engine import run_function
from dpengine.pack import PolicyPackSpec
from policies import _cidr, network

PACK = PolicyPackSpec.from_module(policies)
PROD = load_config(Path(policies.__file__).parent / "prod.json")
VPC = "vpc-0123"


def report(program: Callable[[], None]) -> Any:
    return evaluate(run_function(program, project="demo", stack="prod"), PACK, PROD)


def found(program: Callable[[], None], policy: str) -> list[tuple[str, str]]:
    return sorted((v.name, v.message) for v in report(program).violations if v.policy == policy)


# --------------------------------------------------------------------------- CIDRs


@pytest.mark.parametrize(
    ("cidrs", "wide"),
    [
        (["0.0.0.0/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        (["::/0"], True),
        (["2000::/3"], True),
        (["52.0.0.0/8"], True),
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], False),
        (["203.0.113.7/32"], False),  # documentation range: not public anyway
        (["198.51.0.0/16"], False),  # one organisation-sized public block
        (["198.50.0.0/15"], True),
        (["224.0.0.0/3"], False),  # multicast and reserved only
        (["10.0.0.0/7"], True),  # 11.0.0.0/8 is public
        (["2001:db8::/32", "fd00::/8"], False),
    ],
)
def test_internet_wide_is_decided_on_public_address_space(cidrs: list[str], wide: bool) -> None:
    assert bool(_cidr.internet_wide(cidrs)) is wide


# --------------------------------------------------------------------------- security groups


def test_split_halves_and_ipv6_open_ssh_in_every_security_group_form() -> None:
    def program() -> None:
        aws.ec2.SecurityGroup(
            "halves",
            vpc_id=VPC,
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": 22,
                    "to_port": 22,
                    "cidr_blocks": ["0.0.0.0/1", "128.0.0.0/1"],
                }
            ],
        )
        aws.ec2.DefaultSecurityGroup(
            "default",
            vpc_id=VPC,
            ingress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/0"]}],
        )
        aws.ec2.SecurityGroupRule(
            "rule",
            type="ingress",
            security_group_id="sg-1",
            protocol="tcp",
            from_port=5432,
            to_port=5432,
            cidr_blocks=["52.0.0.0/8"],
        )
        aws.vpc.SecurityGroupIngressRule(
            "ingress",
            security_group_id="sg-1",
            ip_protocol="tcp",
            from_port=3389,
            to_port=3389,
            cidr_ipv6="2000::/3",
        )

    assert found(program, "no-public-admin-ingress") == [
        ("default", "'default' ingress[0] opens port(s) 22, 3389, 1433, 1521, 2049, 3306, ... to ::/0"),
        ("halves", "'halves' ingress[0] opens port(s) 22 to 0.0.0.0/1, 128.0.0.0/1"),
        ("ingress", "'ingress' rule opens port(s) 3389 to 2000::/3"),
        ("rule", "'rule' rule opens port(s) 5432 to 52.0.0.0/8"),
    ]


def test_office_ranges_and_private_space_pass() -> None:
    def program() -> None:
        aws.ec2.SecurityGroup(
            "office",
            vpc_id=VPC,
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": 22,
                    "to_port": 22,
                    "cidr_blocks": ["198.51.100.0/24", "10.0.0.0/8"],
                },
                {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]},
            ],
        )

    assert found(program, "no-public-admin-ingress") == []


def test_the_default_security_group_must_stay_closed() -> None:
    def program() -> None:
        default = aws.ec2.DefaultSecurityGroup(
            "default",
            vpc_id=VPC,
            ingress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}],
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
        )
        aws.vpc.SecurityGroupIngressRule(
            "into-default",
            security_group_id=default.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="10.0.0.0/8",
        )

    assert found(program, "vpc-default-security-group-closed") == [
        ("default", "default security group 'default' has 1 egress rule(s)"),
        ("default", "default security group 'default' has 1 ingress rule(s)"),
        ("into-default", "'into-default' adds a rule to the default security group 'default'"),
    ]

    def closed() -> None:
        aws.ec2.DefaultSecurityGroup("default", vpc_id=VPC, ingress=[], egress=[])

    assert found(closed, "vpc-default-security-group-closed") == []


# --------------------------------------------------------------------------- network ACLs


def test_nacls_open_to_the_world_fail_in_every_form() -> None:
    def program() -> None:
        acl = aws.ec2.NetworkAcl(
            "acl",
            vpc_id=VPC,
            ingress=[
                {
                    "protocol": "tcp",
                    "rule_no": 100,
                    "action": "allow",
                    "cidr_block": "0.0.0.0/0",
                    "from_port": 22,
                    "to_port": 22,
                },
            ],
        )
        aws.ec2.NetworkAclRule(
            "rdp",
            network_acl_id=acl.id,
            rule_number=110,
            egress=False,
            protocol="tcp",
            rule_action="allow",
            cidr_block="0.0.0.0/1",
            from_port=3389,
            to_port=3389,
        )
        aws.ec2.DefaultNetworkAcl(
            "default",
            default_network_acl_id="acl-default",
            ingress=[
                {
                    "protocol": "-1",
                    "rule_no": 100,
                    "action": "allow",
                    "ipv6_cidr_block": "::/0",
                    "from_port": 0,
                    "to_port": 0,
                }
            ],
        )

    assert found(program, "nacl-no-public-admin-ingress") == [
        ("acl", "network ACL 'acl' ingress[0] (rule 100) allows ingress on port(s) 22 from 0.0.0.0/0"),
        (
            "default",
            "network ACL 'default' ingress[0] (rule 100) allows ingress on port(s) 22, 3389, 1433, "
            "1521, 2049, 3306, "
            "... from ::/0",
        ),
        ("rdp", "network ACL 'rdp' rule 110 allows ingress on port(s) 3389 from 0.0.0.0/1"),
    ]


def test_a_lower_numbered_deny_shadows_the_allow_and_egress_is_not_ingress() -> None:
    def program() -> None:
        acl = aws.ec2.NetworkAcl(
            "acl",
            vpc_id=VPC,
            ingress=[
                {
                    "protocol": "-1",
                    "rule_no": 200,
                    "action": "allow",
                    "cidr_block": "0.0.0.0/0",
                    "from_port": 0,
                    "to_port": 0,
                },
                {
                    "protocol": "tcp",
                    "rule_no": 100,
                    "action": "deny",
                    "cidr_block": "0.0.0.0/0",
                    "from_port": 0,
                    "to_port": 65535,
                },
                {
                    "protocol": "udp",
                    "rule_no": 110,
                    "action": "deny",
                    "cidr_block": "0.0.0.0/0",
                    "from_port": 0,
                    "to_port": 65535,
                },
            ],
        )
        aws.ec2.NetworkAclRule(
            "out",
            network_acl_id=acl.id,
            rule_number=100,
            egress=True,
            protocol="-1",
            rule_action="allow",
            cidr_block="0.0.0.0/0",
        )

    assert found(program, "nacl-no-public-admin-ingress") == []


# --------------------------------------------------------------------------- public data stores


def test_every_publicly_accessible_input_of_the_sdk_is_covered() -> None:
    """Every resource whose ``<Resource>Args`` takes ``publicly_accessible`` (read from the SDK's source,
    without importing 1,500 modules) is one the rule reads."""
    from policies._taggable import _registered_classes

    with_input = set()
    for token, (module, cls) in _registered_classes("pulumi_aws").items():
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower()
        source = Path(spec.origin).parent / f"{snake}.py"
        if not source.is_file():
            continue
        text = source.read_text()
        start = text.find(f"class {cls}Args:")
        if start < 0:
            continue
        end = text.find("\nclass ", start + 1)
        if "def publicly_accessible(self) -> pulumi.Input" in text[start:end]:
            with_input.add(token)
    assert with_input == set(network.PUBLICLY_ACCESSIBLE_TYPES)


def test_public_aurora_redshift_serverless_neptune_dms_and_opensearch_fail() -> None:
    def program() -> None:
        aws.rds.ClusterInstance(
            "aurora",
            cluster_identifier="c",
            instance_class="db.r6g.large",
            engine="aurora-postgresql",
            publicly_accessible=True,
        )
        aws.redshiftserverless.Workgroup(
            "wg", namespace_name="ns", workgroup_name="wg", publicly_accessible=True
        )
        aws.neptune.ClusterInstance(
            "neptune", cluster_identifier="c", instance_class="db.r6g.large", publicly_accessible=True
        )
        aws.dms.ReplicationInstance(
            "dms",
            replication_instance_id="dms",
            replication_instance_class="dms.t3.micro",
            publicly_accessible=True,
        )
        aws.opensearch.Domain("search", domain_name="search")
        aws.opensearch.ServerlessSecurityPolicy(
            "collection-network",
            name="net",
            type="network",
            policy=json.dumps(
                [
                    {
                        "Rules": [{"ResourceType": "collection", "Resource": ["collection/logs"]}],
                        "AllowFromPublic": True,
                    }
                ]
            ),
        )

    assert found(program, "db-not-publicly-accessible") == [
        ("aurora", "'aurora' sets publiclyAccessible to true"),
        ("collection-network", "'collection-network' policy[0] sets AllowFromPublic to true"),
        ("dms", "'dms' sets publiclyAccessible to true"),
        ("neptune", "'neptune' sets publiclyAccessible to true"),
        ("search", "'search' has a public endpoint (no vpcOptions.subnetIds)"),
        ("wg", "'wg' sets publiclyAccessible to true"),
    ]


def test_private_data_stores_pass() -> None:
    def program() -> None:
        aws.rds.ClusterInstance(
            "aurora",
            cluster_identifier="c",
            instance_class="db.r6g.large",
            engine="aurora-postgresql",
            publicly_accessible=False,
        )
        aws.redshiftserverless.Workgroup("wg", namespace_name="ns", workgroup_name="wg")
        aws.opensearch.Domain(
            "search",
            domain_name="search",
            vpc_options={"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]},
        )

    assert found(program, "db-not-publicly-accessible") == []


# --------------------------------------------------------------------------- account switches, snapshots


def test_account_switches_turned_off_fail() -> None:
    def program() -> None:
        aws.ebs.EncryptionByDefault("ebs-default", enabled=False)
        aws.s3.AccountPublicAccessBlock("account-pab", block_public_acls=True, block_public_policy=False)
        aws.ebs.SnapshotBlockPublicAccess("snapshots", state="unblocked")
        aws.ec2.ImageBlockPublicAccess("images", state="unblocked")

    result = report(program)
    assert sorted((v.policy, v.name, v.message) for v in result.violations) == [
        (
            "ebs-encryption-by-default",
            "ebs-default",
            "'ebs-default' turns EBS encryption by default off for the region",
        ),
        (
            "s3-account-public-access-block",
            "account-pab",
            "account public access block 'account-pab' leaves blockPublicPolicy, ignorePublicAcls, "
            "restrictPublicBuckets off (unset means false)",
        ),
        ("snapshot-not-public", "images", "'images' unblocks public sharing of AMIs for the region"),
        (
            "snapshot-not-public",
            "snapshots",
            "'snapshots' unblocks public sharing of EBS snapshots for the region",
        ),
    ]


def test_account_switches_on_pass() -> None:
    def program() -> None:
        aws.ebs.EncryptionByDefault("ebs-default", enabled=True)
        aws.s3.AccountPublicAccessBlock(
            "account-pab",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.ebs.SnapshotBlockPublicAccess("snapshots", state="block-all-sharing")

    assert report(program).violations == []


def test_public_and_unencrypted_snapshot_copies_fail() -> None:
    def program() -> None:
        aws.rds.SnapshotCopy(
            "rds-copy", source_db_snapshot_identifier="snap", target_db_snapshot_identifier="copy"
        )
        aws.rds.ClusterSnapshotCopy(
            "aurora-copy",
            source_db_cluster_snapshot_identifier="snap",
            target_db_cluster_snapshot_identifier="copy",
            kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/k",
            shared_accounts=["all"],
        )
        aws.ebs.SnapshotCopy(
            "ebs-copy", source_snapshot_id="snap-1", source_region="eu-west-1", encrypted=False
        )
        aws.ec2.AmiCopy("ami-copy", source_ami_id="ami-1", source_ami_region="eu-west-1")
        aws.rds.Snapshot(
            "shared", db_instance_identifier="db", db_snapshot_identifier="s", shared_accounts=["all"]
        )
        aws.ec2.AmiLaunchPermission("public-ami", image_id="ami-1", group="all")

    result = sorted(
        (v.policy, v.name, v.message) for v in report(program).violations if v.policy.startswith("snapshot")
    )
    assert result == [
        (
            "snapshot-copy-encrypted",
            "ami-copy",
            "'ami-copy' does not set encrypted=true: the copy is only as encrypted as its source",
        ),
        (
            "snapshot-copy-encrypted",
            "ebs-copy",
            "'ebs-copy' does not set encrypted=true: the copy is only as encrypted as its source",
        ),
        (
            "snapshot-copy-encrypted",
            "rds-copy",
            "'rds-copy' names no kmsKeyId: the copy is only as encrypted as its source",
        ),
        (
            "snapshot-not-public",
            "aurora-copy",
            "'aurora-copy' shares the snapshot with every AWS account (sharedAccounts 'all')",
        ),
        ("snapshot-not-public", "public-ami", "'public-ami' makes the AMI public (group 'all')"),
        (
            "snapshot-not-public",
            "shared",
            "'shared' shares the snapshot with every AWS account (sharedAccounts 'all')",
        ),
    ]


def test_encrypted_private_copies_pass() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/k"

    def program() -> None:
        aws.rds.SnapshotCopy(
            "rds-copy",
            source_db_snapshot_identifier="snap",
            target_db_snapshot_identifier="copy",
            kms_key_id=key,
            shared_accounts=["210987654321"],
        )
        aws.ebs.SnapshotCopy(
            "ebs-copy", source_snapshot_id="snap-1", source_region="eu-west-1", encrypted=True, kms_key_id=key
        )
        aws.ec2.AmiCopy("ami-copy", source_ami_id="ami-1", source_ami_region="eu-west-1", encrypted=True)

    assert [v for v in report(program).violations if v.policy.startswith("snapshot")] == []
