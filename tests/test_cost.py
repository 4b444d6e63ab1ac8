"""The pricing model: exact line items of a small program, usage overrides, missing prices, the delta."""

from __future__ import annotations

import datetime
import json

import pulumi
import pulumi_aws as aws
import pytest

from dpengine.cost import Usage, compare, estimate, from_plan, from_records, parse_usage
from dpengine.cost.model import Estimate
from dpengine.cost.storage import class_shares
from dpengine.engine import run_function
from dpengine.plan import plan_json

DAY = datetime.date(2026, 12, 1)


def small_program() -> None:
    eip = aws.ec2.Eip("nat-ip", domain="vpc")
    aws.ec2.NatGateway("nat", subnet_id="subnet-1", allocation_id=eip.id)
    aws.kms.Key("key")
    template = aws.ec2.LaunchTemplate(
        "nodes",
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=40, volume_type="gp3"),
            )
        ],
    )
    aws.eks.NodeGroup(
        "system",
        cluster_name="c",
        node_role_arn="arn:aws:iam::123456789012:role/n",
        subnet_ids=["subnet-1"],
        instance_types=["m6i.large"],
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=2, max_size=4, desired_size=3),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version="1"),
    )
    aws.rds.Instance(
        "db",
        engine="postgres",
        instance_class="db.t4g.medium",
        allocated_storage=100,
        storage_type="gp3",
        multi_az=True,
        backup_retention_period=7,
        manage_master_user_password=True,
        username="admin",
    )
    aws.cloudwatch.LogGroup("app-logs", name="/app/logs", retention_in_days=30)
    aws.sqs.Queue("jobs", name="jobs")
    aws.ec2.VpcEndpoint(
        "sts",
        vpc_id="vpc-1",
        service_name="com.amazonaws.eu-west-1.sts",
        vpc_endpoint_type="Interface",
        subnet_ids=["subnet-1", "subnet-2", "subnet-3"],
    )
    aws.iam.Role("role", assume_role_policy="{}")
    aws.elasticache.Cluster("cache", engine="redis", node_type="cache.t4g.micro", num_cache_nodes=1)
    pulumi.export("done", True)


@pytest.fixture(scope="module")
def small() -> Estimate:
    run = run_function(small_program, project="demo", stack="dev")
    return estimate(from_records(run.resources), region="eu-west-1", today=DAY, project="demo", stack="dev")


def _lines(est: Estimate, name: str) -> list[tuple[str, float, str, float, float]]:
    (resource,) = [r for r in est.resources if r.name == name]
    return [(x.item, x.quantity, x.unit, x.unit_usd, x.monthly_usd) for x in resource.lines]


def test_exact_line_items_of_a_small_program(small: Estimate) -> None:
    assert _lines(small, "nat") == [
        ("NAT gateway hours", 730, "hour", 0.048, 35.04),
        ("NAT gateway data processed", 100, "GB", 0.048, 4.8),
    ]
    assert _lines(small, "nat-ip") == [("public IPv4 address", 730, "IP-hour", 0.005, 3.65)]
    assert _lines(small, "key") == [
        ("KMS customer managed key", 1, "key-month", 1.0, 1.0),
        ("KMS requests", 1, "10k requests", 0.03, 0.03),
    ]
    # desired size 3, root volume from the launch template it references
    assert _lines(small, "system") == [
        ("EC2 m6i.large on-demand, 3 nodes (desired size)", 2190, "instance-hour", 0.107, 234.33),
        ("EBS gp3 root volumes (40 GB each)", 120, "GB-month", 0.088, 10.56),
    ]
    # Multi-AZ doubles instance hours and storage; backups: 100 GB + 5%/day x 7 days, 100 GB free
    assert _lines(small, "db") == [
        ("RDS db.t4g.medium postgres, Multi-AZ (primary + standby)", 1460, "instance-hour", 0.072, 105.12),
        ("RDS gp3 storage, 100 GB x 2", 200, "GB-month", 0.127, 25.4),
        ("RDS backup storage beyond the free allowance", 35, "GB-month", 0.095, 3.33),
        ("Secrets Manager secret (RDS-managed master password)", 1, "secret-month", 0.4, 0.4),
        ("Secrets Manager API calls", 1, "10k calls", 0.05, 0.05),
    ]
    assert _lines(small, "app-logs") == [
        ("CloudWatch Logs ingestion", 1, "GB", 0.57, 0.57),
        ("CloudWatch Logs storage", 0.15, "GB-month", 0.03, 0.0),
    ]
    assert _lines(small, "jobs") == [("SQS standard requests", 1, "million requests", 0.4, 0.4)]
    assert _lines(small, "sts") == [
        ("interface endpoint sts, 3 AZs", 2190, "AZ-hour", 0.011, 24.09),
        ("interface endpoint data processed", 10, "GB", 0.01, 0.1),
    ]
    assert small.monthly_total_usd == 448.87
    assert [r.name for r in small.top_drivers(3)] == ["system", "db", "nat"]


def test_nothing_is_silently_free(small: Estimate) -> None:
    entries = {(u.type, u.status): u.count for u in small.unpriced}
    assert entries == {
        ("aws:elasticache/cluster:Cluster", "not priced"): 1,
        ("aws:iam/role:Role", "free"): 1,
        ("aws:ec2/launchTemplate:LaunchTemplate", "free"): 1,
    }
    assert small.not_priced[0].names == ("cache",)
    data = small.to_json()
    assert list(data) == [
        "currency",
        "region",
        "price_date",
        "monthly_total_usd",
        "resources",
        "unpriced",
        "assumptions",
    ]
    (ip,) = [r for r in data["resources"] if r["name"] == "nat-ip"]
    assert set(ip) == {"urn", "type", "name", "monthly_usd", "lines"}
    assert ip["lines"][0] == {
        "item": "public IPv4 address",
        "quantity": 730,
        "unit": "IP-hour",
        "unit_usd": 0.005,
        "monthly_usd": 3.65,
    }
    assert data["unpriced"][0] == {
        "type": "aws:elasticache/cluster:Cluster",
        "status": "not priced",
        "count": 1,
        "reason": "no price in this model yet",
        "names": ["cache"],
    }


def test_every_usage_based_quantity_is_an_assumption(small: Estimate) -> None:
    text = "\n".join(small.assumptions)
    assert (
        "NAT gateways: 100 GB processed each per month (default; set usage nat_gateway_gb_per_month)" in text
    )
    assert "KMS: 10000 requests per key per month (default; set usage kms_requests_per_key)" in text
    assert "queue jobs: 1e+06 requests per month (default; set usage sqs.requests_per_month)" in text


def test_usage_file_overrides() -> None:
    run = run_function(small_program, project="demo", stack="dev")
    usage = parse_usage(
        {
            "nat_gateway_gb_per_month": 1000,
            "kms_requests_per_key": 50_000,
            "logs": {"ingest_gb_per_month": {"/app/*": 20}},
            "sqs": {"requests_per_month": {"jobs": 3_000_000}},
            "rds_data_gb": {"db": 300},
            "hours_per_month": 720,
        }
    )
    est = estimate(from_records(run.resources), region="eu-west-1", usage=usage, today=DAY)
    assert _lines(est, "nat")[1] == ("NAT gateway data processed", 1000, "GB", 0.048, 48.0)
    assert _lines(est, "nat")[0] == ("NAT gateway hours", 720, "hour", 0.048, 34.56)
    assert _lines(est, "key")[1] == ("KMS requests", 5, "10k requests", 0.03, 0.15)
    assert _lines(est, "app-logs")[0] == ("CloudWatch Logs ingestion", 20, "GB", 0.57, 11.4)
    assert _lines(est, "jobs") == [("SQS standard requests", 3, "million requests", 0.4, 1.2)]
    # 300 GB of data + 5% x 7 days = 405 GB of backups, 100 GB free
    assert _lines(est, "db")[2] == (
        "RDS backup storage beyond the free allowance",
        305,
        "GB-month",
        0.095,
        28.98,
    )
    text = "\n".join(est.assumptions)
    assert "NAT gateways: 1000 GB processed each per month (usage nat_gateway_gb_per_month)" in text
    assert "log group /app/logs: 20 GB ingested per month (usage logs.ingest_gb_per_month['/app/*'])" in text


def test_bad_usage_names_the_key_path() -> None:
    with pytest.raises(ValueError) as error:
        parse_usage(
            {"nat_gateway_gb": 5, "karpenter": {"pools": {"apps": {"average_node": 2}}}, "spot_discount": 2}
        )
    message = str(error.value)
    assert "nat_gateway_gb: unknown setting (known here: " in message
    assert (
        "karpenter.pools.apps.average_node: unknown setting (known here: average_nodes, capacity_type, "
        in message
    )
    assert "spot_discount: Input should be less than 1 (got 2)" in message


def test_unknown_region_is_not_priced_never_a_zero_nor_an_abort() -> None:
    run = run_function(small_program, project="demo", stack="dev")
    result = estimate(from_records(run.resources), region="ap-south-2", today=DAY)
    assert result.resources == []  # nothing priced at zero
    assert result.monthly_total_usd == 0
    missing = result.missing_prices
    assert missing and all(u.status == "not priced" for u in missing)
    assert missing[0].reason == (
        "missing price: no prices for region 'ap-south-2' in prices-2026-12-01.json "
        "(it has: eu-central-1, eu-west-1, us-east-1); "
        "add the region with `python -m dpengine.cost.update_prices --region ap-south-2`"
    )


def test_unknown_instance_type_is_listed_not_priced_with_reason_and_count() -> None:
    def program() -> None:
        for name, size in (("gpu", "p5.48xlarge"), ("typo", "t3.lrge"), ("ok", "m5.large")):
            aws.eks.NodeGroup(
                name,
                cluster_name="c",
                node_role_arn="arn:aws:iam::123456789012:role/n",
                subnet_ids=["s"],
                instance_types=[size],
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=1, max_size=1, desired_size=1),
            )

    run = run_function(program)
    result = estimate(from_records(run.resources), region="eu-west-1", today=DAY)
    assert [r.name for r in result.resources] == ["ok"]
    assert result.monthly_total_usd > 0
    missing = {u.names: u for u in result.missing_prices}
    assert set(missing) == {("gpu",), ("typo",)}
    assert missing[("typo",)].count == 1
    assert missing[("typo",)].reason == (
        "missing price: no EC2 on-demand instance price for 't3.lrge' in eu-west-1 "
        "(prices-2026-12-01.json); did you mean t3.large or t3a.large or t3.xlarge?; check the name, or add "
        "its price with "
        "`python -m dpengine.cost.update_prices`"
    )


def test_eks_control_plane_standard_and_extended_support() -> None:
    def program() -> None:
        aws.eks.Cluster(
            "old",
            role_arn="arn:aws:iam::123456789012:role/c",
            version="1.33",
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["s"]),
        )
        aws.eks.Cluster(
            "pinned",
            role_arn="arn:aws:iam::123456789012:role/c",
            version="1.33",
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["s"]),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
        )
        aws.eks.Cluster(
            "new",
            role_arn="arn:aws:iam::123456789012:role/c",
            version="1.36",
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["s"]),
        )

    run = run_function(program)
    est = estimate(from_records(run.resources), region="us-east-1", today=DAY)
    assert _lines(est, "old") == [
        ("EKS control plane, 1.33 (extended support)", 730, "cluster-hour", 0.6, 438.0)
    ]
    assert _lines(est, "pinned") == [
        ("EKS control plane, 1.33 (standard support)", 730, "cluster-hour", 0.1, 73.0)
    ]
    assert _lines(est, "new") == [
        ("EKS control plane, 1.36 (standard support)", 730, "cluster-hour", 0.1, 73.0)
    ]


def test_lifecycle_transitions_spread_a_layer_over_storage_classes() -> None:
    shares = class_shares([(30, "STANDARD_IA"), (90, "GLACIER_IR"), (365, "DEEP_ARCHIVE")], None, 730)
    assert [(c, a, b) for c, a, b, _ in shares] == [
        ("STANDARD", 0, 30),
        ("STANDARD_IA", 30, 90),
        ("GLACIER_IR", 90, 365),
        ("DEEP_ARCHIVE", 365, 730),
    ]
    assert [round(s, 4) for *_, s in shares] == [0.0411, 0.0822, 0.3767, 0.5]
    # expiration is the horizon; a transition after it never holds data
    assert class_shares([(30, "STANDARD_IA"), (400, "GLACIER")], 365, 730) == [
        ("STANDARD", 0, 30, 30 / 365),
        ("STANDARD_IA", 30, 365, 335 / 365),
    ]


def test_karpenter_pool_from_usage_and_spot_discount() -> None:
    from dpengine.cost import Resource

    pool = Resource(
        urn="urn:pulumi:s::p::kubernetes:karpenter.sh/v1:NodePool::pool-apps",
        type="kubernetes:karpenter.sh/v1:NodePool",
        name="pool-apps",
        inputs={
            "metadata": {"name": "apps"},
            "spec": {
                "template": {
                    "spec": {
                        "nodeClassRef": {"name": "default"},
                        "requirements": [
                            {
                                "key": "karpenter.sh/capacity-type",
                                "operator": "In",
                                "values": ["spot", "on-demand"],
                            },
                            {
                                "key": "karpenter.k8s.aws/instance-family",
                                "operator": "In",
                                "values": ["c6i", "m6i"],
                            },
                            {
                                "key": "karpenter.k8s.aws/instance-size",
                                "operator": "In",
                                "values": ["xlarge"],
                            },
                        ],
                    }
                }
            },
        },
    )
    node_class = Resource(
        urn="urn:pulumi:s::p::kubernetes:karpenter.k8s.aws/v1:EC2NodeClass::nc",
        type="kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        name="nc",
        inputs={
            "metadata": {"name": "default"},
            "spec": {"blockDeviceMappings": [{"ebs": {"volumeSize": "80Gi", "volumeType": "gp3"}}]},
        },
    )
    default = estimate([pool, node_class], region="eu-west-1", today=DAY)
    assert _lines(default, "pool-apps") == [
        ("EC2 c6i.xlarge spot (60% off $0.192), 1 average nodes", 730, "instance-hour", 0.0768, 56.06),
        ("EBS gp3 root volumes (80 GB each)", 80, "GB-month", 0.088, 7.04),
    ]
    usage = Usage.model_validate(
        {
            "karpenter": {
                "pools": {
                    "apps": {
                        "average_nodes": 2.5,
                        "capacity_type": "on-demand",
                        "instance_type": "m6i.xlarge",
                    }
                }
            }
        }
    )
    sized = estimate([pool, node_class], region="eu-west-1", usage=usage, today=DAY)
    assert _lines(sized, "pool-apps")[0] == (
        "EC2 m6i.xlarge on-demand, 2.5 average nodes",
        1825,
        "instance-hour",
        0.214,
        390.55,
    )


def test_a_plan_file_prices_like_the_run_and_the_delta(small: Estimate) -> None:
    run = run_function(small_program, project="demo", stack="dev")
    plan = json.loads(json.dumps(plan_json(run)))
    from_file = estimate(from_plan(plan), region="eu-west-1", today=DAY)
    assert from_file.to_json()["resources"] == small.to_json()["resources"]

    def bigger() -> None:
        small_program()
        aws.ec2.NatGateway("nat-2", subnet_id="subnet-2")

    after = estimate(
        from_records(run_function(bigger, project="demo", stack="dev").resources),
        region="eu-west-1",
        today=DAY,
    )
    delta = compare(small, after, "main")
    assert delta.delta_usd == 39.84
    assert [(r.change, r.name, r.before_usd, r.after_usd, r.delta_usd) for r in delta.resources] == [
        ("added", "nat-2", 0.0, 39.84, 39.84),
    ]
    shrunk = compare(after, small, "branch")
    assert [(r.change, r.name, r.delta_usd) for r in shrunk.resources] == [("removed", "nat-2", -39.84)]
    assert shrunk.to_json()["delta_monthly_usd"] == -39.84
