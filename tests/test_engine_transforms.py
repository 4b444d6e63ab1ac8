"""Transforms run offline in the engine's order, and the check sees what they send (issue 27, item 1).

The Pulumi engine runs a resource's own ``transforms``, then each ancestor's, then the stack's
(``register_resource_transform``), before anything else (pulumi/pulumi
``pkg/resource/deploy/source_eval.go``); the legacy ``transformations`` run in the SDK before
that. What a transform would do to a multi-language component's children is reported.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from dpengine.check import evaluate
from dpengine.plan import plan_json
from dpengine.report import render
from tests.system_programs import PACK, check, run, violations

DB: dict[str, Any] = {
    "instance_class": "db.t3.micro",
    "engine": "postgres",
    "allocated_storage": 20,
    "storage_encrypted": True,
    "publicly_accessible": False,
}


def _rds_public(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ == "aws:rds/instance:Instance":
        return pulumi.ResourceTransformResult(
            props={**args.props, "publiclyAccessible": True}, opts=args.opts
        )
    return None


def _sg_open(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ == "aws:ec2/securityGroup:SecurityGroup":
        ingress = [{**rule, "cidrBlocks": ["0.0.0.0/0"]} for rule in args.props.get("ingress", [])]
        return pulumi.ResourceTransformResult(props={**args.props, "ingress": ingress}, opts=args.opts)
    return None


def _ssh_group(opts: pulumi.ResourceOptions | None = None) -> aws.ec2.SecurityGroup:
    return aws.ec2.SecurityGroup(
        "admin",
        vpc_id="vpc-0123",
        description="ssh from the office",
        ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/16"]}],
        opts=opts,
    )


def test_a_stack_transform_that_makes_rds_public_is_a_violation() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(_rds_public)
        aws.rds.Instance("db", **DB)

    report = check(program)
    record = run(program).one("aws:rds/instance:Instance")
    assert record.inputs["publiclyAccessible"] is True
    assert record.transforms == [f"{_rds_public.__module__}._rds_public"]
    found = violations(report, "db-not-publicly-accessible")
    assert [name for name, _ in found] == ["db"]
    assert not report.passed


def test_without_the_transform_the_same_database_passes() -> None:
    def program() -> None:
        aws.rds.Instance("db", **DB)

    assert violations(check(program), "db-not-publicly-accessible") == []


def test_a_resource_transform_that_opens_a_security_group_is_a_violation() -> None:
    def program() -> None:
        _ssh_group(pulumi.ResourceOptions(transforms=[_sg_open]))

    record = run(program).one("aws:ec2/securityGroup:SecurityGroup")
    assert record.inputs["ingress"][0]["cidrBlocks"] == ["0.0.0.0/0"]
    assert [name for name, _ in violations(check(program), "no-public-admin-ingress")] == ["admin"]


def test_the_untransformed_security_group_passes() -> None:
    assert violations(check(lambda: _ssh_group()), "no-public-admin-ingress") == []


def test_the_order_is_own_then_ancestors_then_stack_after_legacy_transformations() -> None:
    seen: list[tuple[str, str]] = []

    def mark(label: str, value: str) -> Any:
        def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
            if args.type_ == "aws:rds/instance:Instance":
                # Each one sees what the one before returned: the last word wins.
                seen.append((label, str(args.props.get("storageType"))))
                return pulumi.ResourceTransformResult(
                    props={**args.props, "storageType": value}, opts=args.opts
                )
            return None

        return transform

    def legacy(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ == "aws:rds/instance:Instance":
            return pulumi.ResourceTransformationResult({**args.props, "storage_type": "legacy"}, args.opts)
        return None

    class Outer(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("test:index:Outer", name, {}, opts)
            Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self, transforms=[mark("inner", "inner")]))

    class Inner(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("test:index:Inner", name, {}, opts)
            opts = pulumi.ResourceOptions(
                parent=self, transforms=[mark("own", "own")], transformations=[legacy]
            )
            aws.rds.Instance("db", **DB, opts=opts)

    def program() -> None:
        pulumi.runtime.register_resource_transform(mark("stack", "gp3"))
        Outer("outer", pulumi.ResourceOptions(transforms=[mark("outer", "outer")]))

    record = run(program).one("aws:rds/instance:Instance")
    assert seen == [("own", "legacy"), ("inner", "own"), ("outer", "inner"), ("stack", "outer")]
    assert record.inputs["storageType"] == "gp3"
    assert [name.rsplit(".", 1)[-1] for name in record.transforms] == ["transform"] * 4


def test_a_transform_can_set_options_and_the_plan_records_them() -> None:
    def protect(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        opts = pulumi.ResourceOptions.merge(
            args.opts, pulumi.ResourceOptions(protect=True, ignore_changes=["tags"])
        )
        return pulumi.ResourceTransformResult(props=args.props, opts=opts)

    def program() -> None:
        aws.rds.Instance("db", **DB, opts=pulumi.ResourceOptions(transforms=[protect]))

    stack = run(program)
    record = stack.one("aws:rds/instance:Instance")
    assert record.protect is True
    assert record.ignore_changes == ["tags"]
    step = next(s for s in plan_json(stack)["steps"] if s["urn"] == record.urn)
    assert [t.rsplit(".", 1)[-1] for t in step["transforms"]] == ["protect"]
    assert step["newState"]["protect"] is True


def test_transforms_that_would_reach_a_multi_language_component_children_are_not_evaluated() -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(_sg_open)
        eks.Cluster("eks", skip_default_node_group=True)

    stack = run(program)
    [missed] = stack.not_evaluated
    assert missed.type == "eks:index:Cluster"
    assert missed.what == "transforms on the children of a multi-language component"
    assert "_sg_open" in missed.reason
    report = evaluate(stack, PACK)
    assert report.not_evaluated == [missed]
    assert "Not evaluated, cannot be seen offline (1):" in render(report, "text")
    assert report.to_json()["notEvaluated"][0]["type"] == "eks:index:Cluster"
    sarif = report.to_sarif()["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert sarif[0]["message"]["text"].startswith("not evaluated: transforms on the children")
    assert plan_json(stack)["notEvaluated"][0]["name"] == "eks"


def test_a_multi_language_component_without_transforms_is_not_listed() -> None:
    assert run(lambda: eks.Cluster("eks", skip_default_node_group=True)).not_evaluated == []
