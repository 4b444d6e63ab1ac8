"""provider-conformance: what the provider's Check or the Kubernetes API server would reject, each rule
with a program that breaks it and the exact violation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
import pytest
from pulumi_policy import EnforcementLevel

import policies
from dpengine.check import evaluate, load_config
from dpengine.engine import run_function, run_program
from dpengine.pack import PolicyPackSpec
from policies import _k8s_schema

ROOT = Path(__file__).resolve().parent.parent
PACK = PolicyPackSpec.from_module(policies)
CONFORMANCE = ("provider-conformance", "provider-conformance-undecided")


def found(program: Callable[[], Any], *, preview: bool = False, project: str = "demo") -> list[tuple]:
    run = run_function(program, project=project, stack="dev", preview=preview)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / "prod.json"))
    return sorted((v.policy, v.enforcement, v.message) for v in report.violations if v.policy in CONFORMANCE)


SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def test_an_unknown_nested_key_in_a_dict_literal() -> None:
    def program() -> None:
        aws.s3.BucketServerSideEncryptionConfiguration(
            "enc",
            bucket="data",
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithmm": "aws:kms"}}],
        )

    # Sorted by message: the missing key (the typo hides it) first.
    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            f"'enc' ({SSE}): rules[0].applyServerSideEncryptionByDefault.sseAlgorithm: required key missing "
            "(BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs requires "
            "'sse_algorithm'); set it",
        ),
        (
            "provider-conformance",
            "mandatory",
            f"'enc' ({SSE}): rules[0].applyServerSideEncryptionByDefault.sse_algorithmm: unknown key (not in "
            "BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs); "
            "did you mean "
            "'sse_algorithm' (sseAlgorithm)? The provider rejects it, or drops it silently",
        ),
    ]


def test_a_missing_required_nested_key() -> None:
    def program() -> None:
        aws.eks.Cluster(
            "raw",
            role_arn="arn:aws:iam::123456789012:role/eks",
            vpc_config={"subnet_ids": ["subnet-1"]},
            encryption_config={"resources": ["secrets"]},
        )

    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            "'raw' (aws:eks/cluster:Cluster): encryptionConfig.provider: required key missing "
            "(ClusterEncryptionConfigArgs requires 'provider'); set it",
        )
    ]


def test_a_value_outside_a_strict_enum_names_the_right_case() -> None:
    # A top-level enum input the SDK converts itself (and refuses); one inside a dict literal reaches the
    # provider as the string written.
    def program() -> None:
        eks.Cluster(
            "c",
            skip_default_node_group=True,
            access_entries={
                "ci": {"principal_arn": "arn:aws:iam::123456789012:role/ci", "type": "ec2_linux"}
            },
        )

    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            "'c' (eks:index:Cluster): accessEntries.ci.type: 'ec2_linux' is not one of 'STANDARD', "
            "'FARGATE_LINUX', 'EC2_LINUX', 'EC2_WINDOWS', 'EC2' (AccessEntryType); write 'EC2_LINUX' "
            "(values are case-sensitive)",
        )
    ]


def test_deprecated_properties_and_types_say_what_replaces_them() -> None:
    def program() -> None:
        aws.s3.Bucket("old", acl="private")
        aws.ec2.EncryptionControl("control", vpc_id="vpc-1", mode="monitor")

    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            "'control' (aws:ec2/encryptionControl:EncryptionControl): the resource type is deprecated: "
            "aws.ec2/encryptioncontrol.EncryptionControl has been deprecated in favor of "
            "aws.ec2/vpcencryptioncontrol.VpcEncryptionControl",
        ),
        (
            "provider-conformance",
            "mandatory",
            "'old' (aws:s3/bucket:Bucket): acl is deprecated: acl is deprecated. "
            "Use the s3.BucketAcl resource "
            "instead.",
        ),
    ]


def _deployment(container: dict[str, Any]) -> Callable[[], None]:
    def program() -> None:
        aws.eks.Cluster(
            "raw",
            role_arn="arn:aws:iam::123456789012:role/eks",
            version="1.30",
            vpc_config={"subnet_ids": ["subnet-1"]},
        )
        k8s.apps.v1.Deployment(
            "web",
            spec={
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}},
            },
        )

    return program


def test_kubernetes_objects_against_the_clusters_openapi_schema_strictly() -> None:
    version = _k8s_schema.schema_version("1.30")
    assert version.startswith("1.30")
    program = _deployment({"name": "web", "image": "nginx:1.27", "imagePullPolicyy": "Always"})
    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            "'web' (kubernetes:apps/v1:Deployment): spec.template.spec.containers.0: "
            "Additional properties are not allowed ('imagePullPolicyy' was unexpected) "
            f"(the Kubernetes {version} OpenAPI schema, strict)",
        )
    ]
    assert found(_deployment({"name": "web", "image": "nginx:1.27"})) == []
    # A container without its required name.
    assert [m for _, _, m in found(_deployment({"image": "nginx:1.27"}))] == [
        "'web' (kubernetes:apps/v1:Deployment): spec.template.spec.containers.0: "
        "'name' is a required property "
        f"(the Kubernetes {version} OpenAPI schema, strict)"
    ]


def test_custom_resources_against_the_crd_schemas_the_pack_ships() -> None:
    def program() -> None:
        k8s.apiextensions.CustomResource(
            "pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata={"name": "apps"},
            spec={
                "template": {
                    "spec": {
                        "nodeClassRef": {
                            "group": "karpenter.k8s.aws",
                            "kind": "EC2NodeClass",
                            "name": "default",
                        },
                        "requirements": [
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}
                        ],
                    }
                },
                "limitz": {"cpu": "100"},
            },
        )
        k8s.apiextensions.CustomResource(
            "other", api_version="example.com/v1", kind="Widget", metadata={"name": "w"}, spec={}
        )

    # A stack of its own: the Kubernetes version is the stack's cluster's (none here: the newest).
    assert found(program, project="crds") == [
        (
            "provider-conformance",
            "mandatory",
            "'pool' (kubernetes:karpenter.sh/v1:NodePool): spec: "
            "Additional properties are not allowed ('limitz' "
            "was unexpected) (the CRD schema karpenter.sh_v1_NodePool.json, strict)",
        ),
        (
            "provider-conformance-undecided",
            "advisory",
            "'other' (kubernetes:example.com/v1:Widget): no schema for example.com/v1 Widget "
            f"(not a Kubernetes {_k8s_schema.schema_version(None)} API, and no CRD schema "
            "in the pack's crds/): its fields are not checked",
        ),
    ]


def test_an_unknown_value_that_hides_required_keys_is_undecided_not_a_violation() -> None:
    def program() -> None:
        key = aws.kms.Key("key")  # its policy is an output no mock answers: unknown in preview
        aws.s3.BucketServerSideEncryptionConfiguration(
            "enc",
            bucket="data",
            rules=[
                {
                    "apply_server_side_encryption_by_default": key.policy.apply(
                        lambda _: {"sse_algorithm": "aws:kms"}
                    )
                }
            ],
        )

    assert found(program, preview=True) == [
        (
            "provider-conformance-undecided",
            "advisory",
            f"'enc' ({SSE}): rules[0].applyServerSideEncryptionByDefault is unknown until deployment",
        )
    ]
    assert found(program) == []  # known, the same program conforms


@pytest.mark.parametrize(
    ("project_dir", "stack"),
    [
        (ROOT, "dev"),
        (ROOT, "prod"),
        (ROOT / "examples" / "analytics", "dev"),
        (ROOT / "examples" / "workloads", "dev"),
    ],
)
def test_our_stacks_and_examples_conform(project_dir: Path, stack: str) -> None:
    refs_file = project_dir / f"stack-references.{stack}.json"
    refs = json.loads(refs_file.read_text()) if refs_file.exists() else None
    run = run_program(project_dir, stack, stack_references=refs)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / f"{stack}.json"))
    assert [v for v in report.violations if v.policy in CONFORMANCE] == []
    assert report.policy("provider-conformance").enforcement == "mandatory"


def test_the_policies_are_in_the_pack_with_their_enforcement() -> None:
    assert policies.REGISTRY["provider-conformance"].enforcement == EnforcementLevel.MANDATORY
    assert policies.REGISTRY["provider-conformance-undecided"].enforcement == EnforcementLevel.ADVISORY
    for stack in ("dev", "prod"):
        config = json.loads((ROOT / "policies" / f"{stack}.json").read_text())
        assert config["provider-conformance-undecided"] == "advisory"


def test_an_open_enum_value_wrong_only_by_case_names_the_spelling() -> None:
    """pulumi-aws enums are mostly ``Union[str, Enum]``: any string passes the SDK, but the provider
    compares case-sensitively; new values the SDK does not list still pass."""

    def program() -> None:
        aws.ec2.Instance("vm", ami="ami-1", instance_type="T3.MICRO")
        aws.ec2.Instance("new-type", ami="ami-1", instance_type="m99.large")
        aws.lambda_.Function(
            "fn",
            role="arn:aws:iam::123456789012:role/r",
            runtime="python9.99",
            handler="h",
            s3_bucket="b",
            s3_key="k",
        )

    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            "'vm' (aws:ec2/instance:Instance): instanceType: 'T3.MICRO' differs from 't3.micro' "
            "(InstanceType) only "
            "by case; write 't3.micro' (the provider compares values case-sensitively)",
        )
    ]


def test_an_open_enum_the_provider_validates_strictly_is_closed_over_the_providers_list() -> None:
    def program() -> None:
        for name, storage in (("upper", "GP3"), ("unknown", "gp4"), ("io2", "io2"), ("gp3", "gp3")):
            aws.rds.Instance(
                name,
                instance_class="db.t3.micro",
                engine="postgres",
                allocated_storage=20,
                storage_type=storage,
                storage_encrypted=True,
                manage_master_user_password=True,
                username="app",
            )

    values = "'standard', 'gp2', 'gp3', 'io1', 'io2', 'aurora-iopt1' (StorageType)"
    assert found(program) == [
        (
            "provider-conformance",
            "mandatory",
            f"'unknown' (aws:rds/instance:Instance): storageType: 'gp4' is not one of {values}; "
            f"use one of them",
        ),
        (
            "provider-conformance",
            "mandatory",
            f"'upper' (aws:rds/instance:Instance): storageType: 'GP3' is not one of {values}; write 'gp3' "
            "(values are case-sensitive)",
        ),
    ]


def test_the_prod_stack_in_preview_leaves_custom_resources_undecided_not_failing() -> None:
    """In preview a KEDA trigger's values and the EC2NodeClass spec are unknown: which oneOf branch a
    trigger is, and whether the spec is there, is decided at deployment (advisory), never a violation."""
    run = run_program(ROOT, "prod", preview=True)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / "prod.json"))
    assert [(v.policy, v.name) for v in report.violations if v.enforcement == "mandatory"] == []
    undecided = sorted(
        (v.name, v.message) for v in report.violations if v.policy == "provider-conformance-undecided"
    )
    assert [name for name, _ in undecided] == ["eks-karpenter-node-class", "stream-consumer-scaled-object"]
    assert "no alternative matches yet" in undecided[1][1]
