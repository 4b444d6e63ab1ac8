"""The network's pure rules (components.network.layout, .flow_logs): no engine, no mocks."""

from __future__ import annotations

import ipaddress
import json

import pytest

from components._validation import InvalidConfigError
from components.network import NetworkSettings
from components.network.flow_logs import (
    flow_log_group_arn,
    flow_log_group_name,
    flow_logs_key_policy,
    flow_logs_role_policy,
    flow_logs_trust_policy,
)
from components.network.layout import (
    ELB_TAG,
    INTERNAL_ELB_TAG,
    S3_GATEWAY_TIERS,
    TIER_TAG,
    endpoint_ingress_rules,
    endpoint_issues,
    endpoint_slug,
    extra_cidr_issues,
    min_vpc_prefix,
    nat_gateway_count,
    pick_zones,
    private_nat_routes,
    subnet_plan,
    subnet_tags,
    vpc_cidr_problem,
    vpc_size_problem,
)

# --------------------------------------------------------------------------- CIDR blocks


@pytest.mark.parametrize(
    "cidr", ["10.0.0.0/16", "172.20.0.0/20", "192.168.4.0/24", "100.64.0.0/16", "10.9.9.0/28"]
)
def test_vpc_blocks_accepted(cidr: str) -> None:
    assert vpc_cidr_problem(cidr) is None


@pytest.mark.parametrize(
    ("cidr", "problem"),
    [
        ("banana", "not a CIDR block; use e.g. '10.0.0.0/16'"),
        ("fd00::/56", "not an IPv4 CIDR block (IPv6 is not supported here); use e.g. '10.0.0.0/16'"),
        ("10.0.0.0", "needs a prefix length; use '10.0.0.0/32'"),
        ("10.0.0.1/16", "has host bits set; use '10.0.0.0/16'"),
        ("10.0.0.0/8", "AWS allows VPC CIDR blocks from /16 to /28; use a block in that range"),
        ("10.0.0.0/29", "AWS allows VPC CIDR blocks from /16 to /28; use a block in that range"),
        ("8.8.0.0/16", "must be a private range"),
        ("172.17.0.0/16", "overlaps 172.17.0.0/16, which Docker"),
        ("172.17.128.0/20", "overlaps 172.17.0.0/16, which Docker"),
    ],
)
def test_vpc_blocks_refused(cidr: str, problem: str) -> None:
    found = vpc_cidr_problem(cidr)
    assert found is not None and found.startswith(problem)


def test_min_vpc_prefix_keeps_public_and_data_subnets_at_27() -> None:
    assert {n: min_vpc_prefix(n) for n in range(2, 7)} == {2: 23, 3: 22, 4: 22, 5: 21, 6: 21}
    for az_count in range(2, 7):
        largest = subnet_plan(f"10.0.0.0/{min_vpc_prefix(az_count)}", az_count)
        assert max(ipaddress.IPv4Network(c).prefixlen for c in largest["public"] + largest["data"]) == 27


def test_vpc_size_problem_names_the_subnet_size_and_the_fix() -> None:
    assert vpc_size_problem("10.0.0.0/22", 3) is None
    assert vpc_size_problem("10.0.0.0/23", 3) == (
        "/23 is too small for 3 tiers x 3 AZs: public and data subnets would be /28, but load balancers "
        "need /27 or larger; use /22 or larger, or fewer AZs"
    )
    assert vpc_size_problem("10.0.0.0/23", 2) is None


@pytest.mark.parametrize("az_count", [2, 3, 4, 5, 6])
def test_plan_is_disjoint_inside_and_big_enough_for_every_valid_size(az_count: int) -> None:
    for prefix in range(16, 29):
        cidr = f"10.0.0.0/{prefix}"
        try:
            NetworkSettings(az_count=az_count, cidr=cidr)
        except InvalidConfigError:
            assert prefix > 24 - (az_count - 1).bit_length()
            continue
        plan = subnet_plan(cidr, az_count)
        vpc = ipaddress.IPv4Network(cidr)
        blocks = [ipaddress.IPv4Network(c) for t in ("public", "private", "data") for c in plan[t]]
        assert [len(plan[t]) for t in ("public", "private", "data")] == [az_count] * 3
        assert all(b.subnet_of(vpc) for b in blocks), cidr
        assert len(set(blocks)) == len(blocks)
        assert not [(a, b) for i, a in enumerate(blocks) for b in blocks[i + 1 :] if a.overlaps(b)], cidr
        assert max(b.prefixlen for b in blocks) <= 27, cidr
        # Private subnets (EKS pods) get 4 times the addresses of a public or data subnet.
        sizes = {t: {ipaddress.IPv4Network(c).prefixlen for c in plan[t]} for t in plan}
        assert sizes["public"] == sizes["data"] == {p + 2 for p in sizes["private"]}, cidr


def test_default_layout() -> None:
    assert subnet_plan("10.0.0.0/16", 3) == {
        "public": ["10.0.128.0/21", "10.0.136.0/21", "10.0.144.0/21"],
        "private": ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
        "data": ["10.0.160.0/21", "10.0.168.0/21", "10.0.176.0/21"],
    }


def test_the_last_quarter_of_the_upper_half_stays_free() -> None:
    plan = subnet_plan("10.0.0.0/16", 6)
    used = [ipaddress.IPv4Network(c) for cidrs in plan.values() for c in cidrs]
    free = ipaddress.IPv4Network("10.0.192.0/18")
    assert not [block for block in used if block.overlaps(free)]


def test_extra_cidrs_good() -> None:
    assert extra_cidr_issues("10.0.0.0/16", ["100.64.0.0/16", "10.1.0.0/16"]) == []
    assert extra_cidr_issues("172.20.0.0/16", ["172.21.0.0/16", "100.65.0.0/16"]) == []


def test_extra_cidrs_each_problem_at_its_index() -> None:
    issues = extra_cidr_issues(
        "10.0.0.0/16",
        [
            "10.0.128.0/20",
            "100.64.0.0/16",
            "100.64.128.0/17",
            "192.168.0.0/16",
            "100.64.0.0/12",
            "10.2.0.1/16",
        ],
    )
    assert [(i.path, i.message) for i in issues] == [
        ("extra_cidrs[0]", "overlaps the VPC CIDR 10.0.0.0/16; pick a block outside it"),
        ("extra_cidrs[2]", "overlaps extra_cidrs[1] (100.64.0.0/16); remove one"),
        (
            "extra_cidrs[3]",
            "AWS does not associate a block from 192.168.0.0/16 with a VPC whose primary CIDR is in "
            "10.0.0.0/8; use a block from 10.0.0.0/8 or 100.64.0.0/10",
        ),
        ("extra_cidrs[4]", "AWS allows VPC CIDR blocks from /16 to /28; use a block in that range"),
        ("extra_cidrs[5]", "has host bits set; use '10.2.0.0/16'"),
    ]


def test_a_refused_extra_cidr_is_no_clash_for_later_ones() -> None:
    # [0] is refused (/12 is too large); [1] lies inside it but is not reported twice for one mistake.
    issues = extra_cidr_issues("10.0.0.0/16", ["100.64.0.0/12", "100.64.0.0/16"])
    assert [i.path for i in issues] == ["extra_cidrs[0]"]


# --------------------------------------------------------------------------- zones and subnets


def test_pick_zones_sorts_and_refuses_a_short_region() -> None:
    assert pick_zones(["us-west-1c", "us-west-1a"], 2, "us-west-1") == ["us-west-1a", "us-west-1c"]
    assert pick_zones(["b", "c", "a"], 2, "r") == ["a", "b"]
    with pytest.raises(InvalidConfigError) as err:
        pick_zones(["us-west-1a", "us-west-1c"], 3, "us-west-1")
    (issue,) = err.value.issues
    assert issue.path == "settings.az_count"
    assert issue.message == (
        "region us-west-1 has only 2 available zone(s) (us-west-1a, us-west-1c); lower az_count to 2 "
        "or use another region"
    )


def test_subnet_tags_mark_tier_and_load_balancer_role() -> None:
    assert subnet_tags("public") == {TIER_TAG: "public", ELB_TAG: "1"}
    assert subnet_tags("private") == {TIER_TAG: "private", INTERNAL_ELB_TAG: "1"}
    assert subnet_tags("data") == {TIER_TAG: "data"}


# --------------------------------------------------------------------------- routes


@pytest.mark.parametrize(
    ("mode", "az_count", "count", "routes"),
    [
        ("none", 3, 0, [None, None, None]),
        ("single", 3, 1, [0, 0, 0]),
        ("per_az", 3, 3, [0, 1, 2]),
        ("per_az", 2, 2, [0, 1]),
        ("single", 6, 1, [0] * 6),
    ],
)
def test_private_tables_route_to_these_nat_gateways(
    mode: str, az_count: int, count: int, routes: list[int | None]
) -> None:
    assert nat_gateway_count(mode, az_count) == count
    assert private_nat_routes(mode, az_count) == routes
    assert all(r is None or r < count for r in routes)


def test_s3_gateway_serves_private_and_data_not_public() -> None:
    assert S3_GATEWAY_TIERS == ("private", "data")


# --------------------------------------------------------------------------- endpoints


def test_endpoint_slugs_name_resources() -> None:
    assert endpoint_slug("ecr.api") == "ecr-api"
    assert endpoint_slug("sts") == "sts"


def test_endpoint_issues() -> None:
    assert endpoint_issues(["ecr.api", "ecr.dkr", "sts", "logs"]) == []
    issues = endpoint_issues(["ecr api", "s3", "dynamodb", "sts", "sts", "ecr.api", "ecr-api"])
    assert [(i.path, i.value) for i in issues] == [
        ("interface_endpoints[0]", "ecr api"),
        ("interface_endpoints[1]", "s3"),
        ("interface_endpoints[2]", "dynamodb"),
        ("interface_endpoints[4]", "sts"),
        ("interface_endpoints[6]", "ecr-api"),  # a typo of ecr.api (and its logical name)
    ]
    messages = [i.message for i in issues]
    assert messages[0].startswith("not a service short name")
    assert messages[1].endswith("remove it - the network already has the S3 gateway endpoint")
    assert messages[2] == "dynamodb is served by a gateway endpoint (free, no NAT charges); remove it"
    assert messages[3] == "duplicates interface_endpoints[3]; remove one"
    assert messages[4] == "not an AWS endpoint service name; did you mean 'ecr.api'?"
    # A name close to no known service is taken as given; its duplicate is still one.
    issues = endpoint_issues(["aps-workspaces", "aps.workspaces"])
    assert [(i.path, i.message) for i in issues] == [
        ("interface_endpoints[1]", "duplicates interface_endpoints[0]; remove one")
    ]


def test_endpoint_ingress_is_https_from_the_vpc_blocks_only() -> None:
    cidrs = ["10.0.0.0/16", "100.64.0.0/16"]
    (rule,) = endpoint_ingress_rules(cidrs)
    assert rule == {
        "description": "HTTPS from inside the VPC",
        "protocol": "tcp",
        "from_port": 443,
        "to_port": 443,
        "cidr_blocks": cidrs,
    }
    assert rule["cidr_blocks"] is not cidrs  # a copy: the caller's list can change later


# --------------------------------------------------------------------------- flow logs

ACCOUNT = "123456789012"
GROUP_ARN = flow_log_group_arn("aws", "us-east-1", ACCOUNT, "/g")


def test_flow_log_group_name_and_arn() -> None:
    assert flow_log_group_name("proj", "prod", "net") == "/dataplatform/proj/prod/net/vpc-flow-logs"
    assert flow_log_group_arn("aws-cn", "cn-north-1", ACCOUNT, "/g") == (
        f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/g"
    )


def test_flow_logs_key_policy_lets_logs_use_the_key_for_one_group() -> None:
    policy = json.loads(flow_logs_key_policy("aws-cn", "cn-north-1", ACCOUNT, "amazonaws.com.cn", GROUP_ARN))
    admin, logs = policy["Statement"]
    assert admin["Principal"] == {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"}
    assert admin["Sid"] == "AccountAdministers"
    # The service principal follows the partition's DNS suffix (China regions differ).
    assert logs["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}
    assert "kms:*" not in logs["Action"] and "kms:GenerateDataKey*" in logs["Action"]
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": GROUP_ARN}}


def test_flow_logs_trust_policy_is_this_accounts_flow_logs_only() -> None:
    (trust,) = json.loads(flow_logs_trust_policy("aws", "eu-west-1", ACCOUNT))["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"},
        },
    }


def test_flow_logs_role_policy_writes_one_group() -> None:
    write, describe = json.loads(flow_logs_role_policy("aws", "us-east-1", ACCOUNT, GROUP_ARN))["Statement"]
    assert write["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert write["Resource"] == [GROUP_ARN, f"{GROUP_ARN}:*"]
    assert describe["Action"] == "logs:DescribeLogGroups"
    assert describe["Resource"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"
    assert "logs:CreateLogGroup" not in write["Action"]
