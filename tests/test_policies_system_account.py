"""spot-service-linked-role and stateful-resource-protection on small programs (any Pulumi program)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from system_programs import check, node_group, opts, raw_cluster, undecided, violations

from policies.system.protection import STATEFUL_TYPES

SPOT = "spot-service-linked-role"
PROTECT = "stateful-resource-protection"
SPOT_MESSAGE = (
    "NodeGroup 'spot-workers', NodePool 'batch' launch(es) spot capacity, and neither the plan nor the pack "
    "config has the EC2 Spot service-linked role (AWSServiceRoleForEC2Spot): in an account that never used "
    "Spot the launch fails (ServiceLinkedRoleCreationNotPermitted). Create it once per account "
    "(`dataplatform bootstrap`) and declare spot.amazonaws.com in "
    "spot-service-linked-role.accountPrerequisites"
)


def node_pool(provider: k8s.Provider, name: str, requirement: dict | None) -> None:
    requirements = [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]
    if requirement is not None:
        requirements.append({"key": "karpenter.sh/capacity-type", **requirement})
    k8s.apiextensions.CustomResource(
        name,
        api_version="karpenter.sh/v1",
        kind="NodePool",
        metadata={"name": name},
        spec={
            "template": {
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                    "requirements": requirements,
                }
            }
        },
        opts=opts(provider),
    )


def spot_program(*, with_role: bool = False) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)  # on-demand: not spot
    node_group(cluster, nets, "spot-workers", capacity_type="SPOT")
    node_pool(provider, "batch", {"operator": "In", "values": ["spot", "on-demand"]})
    node_pool(provider, "apps", {"operator": "In", "values": ["on-demand"]})
    node_pool(provider, "default", None)  # no requirement: on-demand only
    if with_role:
        aws.iam.ServiceLinkedRole("spot", aws_service_name="spot.amazonaws.com")


def test_spot_capacity_without_the_role_is_reported() -> None:
    report = check(spot_program)
    assert violations(report, SPOT) == [("demo-prod", SPOT_MESSAGE)]
    # Advisory: the role is account-wide, and the plan cannot see the account.
    assert [v.enforcement for v in report.violations if v.policy == SPOT] == ["advisory"]


def test_the_role_in_the_plan_or_declared_as_a_prerequisite_passes() -> None:
    assert violations(check(lambda: spot_program(with_role=True)), SPOT) == []
    config = {SPOT: {"accountPrerequisites": ["spot.amazonaws.com"]}}
    assert violations(check(spot_program, config), SPOT) == []
    # Another service's role is not the Spot role.
    other = {SPOT: {"accountPrerequisites": ["autoscaling.amazonaws.com"]}}
    assert violations(check(spot_program, other), SPOT) == [("demo-prod", SPOT_MESSAGE)]


def test_not_in_and_exists_allow_spot_and_on_demand_only_pools_do_not() -> None:
    def program(requirement: dict | None) -> None:
        _, provider, _ = raw_cluster(public=True)
        node_pool(provider, "pool", requirement)

    def reported(requirement: dict | None) -> bool:
        return bool(violations(check(lambda: program(requirement)), SPOT))

    assert reported({"operator": "NotIn", "values": ["on-demand"]}) is True
    assert reported({"operator": "Exists"}) is True
    assert reported({"operator": "NotIn", "values": ["spot"]}) is False
    assert reported({"operator": "In", "values": ["on-demand", "reserved"]}) is False
    assert reported(None) is False


def test_unknown_capacity_type_in_preview_is_undecided() -> None:
    def program() -> None:
        cluster, _, nets = raw_cluster(public=True)
        group = node_group(cluster, nets)
        aws.eks.NodeGroup(
            "later",
            cluster_name=cluster.name,
            node_role_arn="arn:aws:iam::123456789012:role/eks-nodes",
            subnet_ids=[s.id for s in nets],
            capacity_type=group.arn.apply(lambda _: "SPOT"),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=1, max_size=2, desired_size=1),
        )

    report = check(program, preview=True)
    assert violations(report, SPOT) == []
    assert undecided(report, SPOT) == [
        "NodeGroup 'later': its capacity type is unknown during preview, so spot-service-linked-role "
        "cannot tell whether it launches spot"
    ]


# --------------------------------------------------------------------------- stateful-resource-protection


def stateful_program(*, protect: bool) -> None:
    kept = pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)
    key = aws.kms.Key("key", enable_key_rotation=True, opts=kept)
    aws.sqs.Queue("orders", kms_master_key_id=key.arn, opts=kept)
    aws.cloudwatch.LogGroup("audit", retention_in_days=365, kms_key_id=key.arn, opts=kept)
    bucket = aws.s3.Bucket("data", opts=kept)
    aws.s3.BucketVersioning(
        "data-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=kept,
    )
    aws.sns.Topic("alerts")  # not stateful: never reported


PROTECTED = {PROTECT: {"protected": True}}


def test_unprotected_stateful_resources_in_a_protected_stack_are_refused() -> None:
    report = check(lambda: stateful_program(protect=False), PROTECTED)
    found = violations(report, PROTECT)
    assert sorted(name for name, _ in found) == ["audit", "data", "data-versioning", "key", "orders"]
    assert dict(found)["orders"] == (
        "Queue 'orders' holds the messages waiting in it, and is not protected in a stack marked protected: "
        "`pulumi destroy`, a replace or a rename without an alias would delete it; set protect=True and "
        "retain_on_delete=True (a dataplatform component: deletion_protection: true)"
    )
    assert {v.enforcement for v in report.violations if v.policy == PROTECT} == {"mandatory"}


def test_protected_resources_or_an_unprotected_stack_pass() -> None:
    assert violations(check(lambda: stateful_program(protect=True), PROTECTED), PROTECT) == []
    # dev: the pack config does not mark the stack protected.
    assert violations(check(lambda: stateful_program(protect=False)), PROTECT) == []


def test_an_exemption_with_a_reason_lets_one_resource_go() -> None:
    config = {PROTECT: {"protected": True, "exemptions": [{"name": "audit", "reason": "scratch logs"}]}}
    found = violations(check(lambda: stateful_program(protect=False), config), PROTECT)
    assert sorted(name for name, _ in found) == ["data", "data-versioning", "key", "orders"]


def test_the_stateful_types_are_the_providers_tokens() -> None:
    # Every listed type is one the provider SDK registers (a typo would never match a resource).
    import pulumi_aws

    modules = {token.split(":")[1].split("/")[0] for token in STATEFUL_TYPES}
    assert all(hasattr(pulumi_aws, module) for module in modules), modules
    assert {
        "aws:sqs/queue:Queue",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:kms/key:Key",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
    } <= set(STATEFUL_TYPES)


def test_spot_requests_are_spot_capacity_too() -> None:
    def program() -> None:
        aws.ec2.SpotInstanceRequest("bid", ami="ami-0123456789abcdef0", instance_type="m6i.large")

    assert [m.split(" launch")[0] for _, m in violations(check(program), SPOT)] == [
        "SpotInstanceRequest 'bid'"
    ]
    config = {SPOT: {"accountPrerequisites": ["spot.amazonaws.com"]}}
    assert violations(check(program, config), SPOT) == []
