"""Small Pulumi programs for the system policies: a raw aws.eks.Cluster, node groups, workloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

import policies
from dpengine.check import CheckReport, evaluate
from dpengine.engine import StackRun, run_function
from dpengine.pack import PolicyPackSpec

PACK = PolicyPackSpec.from_module(policies)
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
LABELS = {"app": "web"}
CONTAINER: dict[str, Any] = {
    "name": "web",
    "image": "public.ecr.aws/acme/web:1.0.0",
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
}


def subnets(count: int = 3) -> list[aws.ec2.Subnet]:
    return [
        aws.ec2.Subnet(
            f"private-{i}", vpc_id="vpc-0123", cidr_block=f"10.0.{i}.0/24", availability_zone=ZONES[i]
        )
        for i in range(count)
    ]


def raw_cluster(
    *, public: bool = False, tags: dict[str, str] | None = None, zones: int = 3
) -> tuple[aws.eks.Cluster, k8s.Provider, list[aws.ec2.Subnet]]:
    """A raw EKS cluster and a Kubernetes provider built from its outputs, as a hand-written program does."""
    nets = subnets(zones)
    cluster = aws.eks.Cluster(
        "demo",
        name="demo",  # the offline mocks give a raw cluster no auto-name (an engine gap, issue 17)
        role_arn="arn:aws:iam::123456789012:role/eks-cluster",
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=[s.id for s in nets], endpoint_private_access=True, endpoint_public_access=public
        ),
        tags=tags,
    )
    kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint).apply(
        lambda args: json.dumps(
            {"apiVersion": "v1", "clusters": [{"cluster": {"server": args[1]}, "name": args[0]}]}
        )
    )
    return cluster, k8s.Provider("demo-k8s", kubeconfig=kubeconfig), nets


def node_group(
    cluster: aws.eks.Cluster,
    nets: list[aws.ec2.Subnet],
    name: str = "general",
    *,
    instance_types: list[str] | None = None,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    capacity_type: str = "ON_DEMAND",
    max_size: int = 3,
) -> aws.eks.NodeGroup:
    return aws.eks.NodeGroup(
        name,
        cluster_name=cluster.name,
        node_role_arn="arn:aws:iam::123456789012:role/eks-nodes",
        subnet_ids=[s.id for s in nets],
        instance_types=instance_types or ["m6i.large"],
        capacity_type=capacity_type,
        labels=labels,
        taints=[aws.eks.NodeGroupTaintArgs(**t) for t in taints or []],
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=1, max_size=max_size, desired_size=1),
    )


def opts(provider: k8s.Provider, *depends: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=provider, depends_on=list(depends))


def pod_spec(container: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {"containers": [container or CONTAINER], **spec}


def deployment(
    provider: k8s.Provider,
    name: str = "web",
    *,
    namespace: str = "apps",
    replicas: int = 2,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> k8s.apps.v1.Deployment:
    labels = labels or LABELS
    return k8s.apps.v1.Deployment(
        name,
        metadata={"name": name, "namespace": namespace},
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec(**spec)},
        },
        opts=opts(provider),
    )


def run(program: Callable[[], None], *, preview: bool = False) -> StackRun:
    return run_function(program, project="demo", stack="prod", preview=preview)


def check(
    program: Callable[[], None], config: dict[str, Any] | None = None, *, preview: bool = False
) -> CheckReport:
    return evaluate(run(program, preview=preview), PACK, config)


def violations(report: CheckReport, policy: str) -> list[tuple[str, str]]:
    """(resource name, message) of one policy's violations."""
    return [(v.name, v.message) for v in report.violations if v.policy == policy]


def undecided(report: CheckReport, policy: str) -> list[str]:
    """The "cannot decide" text of one policy (the advisory pulumi-policy reports for it)."""
    prefix = (
        f"can't run policy '{policy}' from policy pack 'dataplatform@v0.1.0' during preview: cannot decide: "
    )
    found = [s.message for s in report.skipped if s.policy == policy]
    assert all(text.startswith(prefix) for text in found), found
    return [text[len(prefix) :] for text in found]
