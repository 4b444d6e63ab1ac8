"""The offline engine as the Pulumi engine behaves: outputs a program may read, duplicate URNs refused,
URNs with the whole parent chain, and where a failing program failed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from test_engine import make_project

from dpengine.engine import DuplicateUrnError, EngineError, run_program

RAW_EKS = """
import json
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

role = aws.iam.Role("cluster-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
cluster = aws.eks.Cluster("raw", role_arn=role.arn, version="1.31",
                          vpc_config={"subnet_ids": ["subnet-1", "subnet-2"]})


def kubeconfig(args):
    name, endpoint, ca = args
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "users": [{"name": name, "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                   "command": "aws", "args": ["eks", "get-token", "--cluster-name", name]}}}],
    })


provider = k8s.Provider("raw-k8s", kubeconfig=pulumi.Output.all(
    cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(kubeconfig))
k8s.apps.v1.Deployment(
    "web",
    spec={"selector": {"matchLabels": {"app": "web"}}, "replicas": 1,
          "template": {"metadata": {"labels": {"app": "web"}},
                       "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}},
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("issuer", cluster.identities[0].oidcs[0].issuer)
pulumi.export("security_group", cluster.vpc_config.cluster_security_group_id)
"""


def test_a_raw_eks_program_builds_its_kubeconfig_and_deploys(tmp_path: Path) -> None:
    run = run_program(make_project(tmp_path / "p", program=RAW_EKS), "dev")
    cluster = run.one("aws:eks/cluster:Cluster", "raw")
    provider = run.one("pulumi:providers:kubernetes", "raw-k8s")
    deployment = run.one("kubernetes:apps/v1:Deployment", "web")
    config = json.loads(provider.inputs["kubeconfig"])
    server = config["clusters"][0]["cluster"]["server"]
    assert server == cluster.outputs["endpoint"]
    # The endpoint host and the OIDC issuer carry one cluster id, as EKS makes them.
    cluster_id = server.removeprefix("https://").split(".")[0]
    assert run.outputs["issuer"] == f"https://oidc.eks.eu-west-1.amazonaws.com/id/{cluster_id}"
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
    assert ca.startswith(b"-----BEGIN CERTIFICATE-----")
    assert cluster.outputs["version"] == "1.31"
    assert cluster.outputs["arn"] == f"arn:aws:eks:eu-west-1:123456789012:cluster/{cluster.outputs['name']}"
    assert run.outputs["security_group"].startswith("sg-")
    assert deployment.provider is not None and deployment.provider.startswith(provider.urn + "::")


SYNTHESIZED = """
import pulumi
import pulumi_aws as aws

repo = aws.ecr.Repository("images")
cache = aws.elasticache.Cluster("cache", engine="redis", node_type="cache.t4g.micro", num_cache_nodes=1)
balancer = aws.lb.LoadBalancer("edge", load_balancer_type="application", subnets=["subnet-1"],
                               access_logs={"bucket": "logs", "enabled": True})
pulumi.export("url", repo.repository_url)
pulumi.export("node", cache.cache_nodes[0].address)
pulumi.export("dns", balancer.dns_name)
pulumi.export("zone", balancer.zone_id)
pulumi.export("logs", balancer.access_logs)
"""


def test_types_without_a_mock_get_outputs_from_the_sdk_types(tmp_path: Path) -> None:
    run = run_program(make_project(tmp_path / "p", program=SYNTHESIZED), "dev")
    # (ECR repositories have a hand-written mock: the registry URL form ECR returns, no scheme.)
    repo = run.one("aws:ecr/repository:Repository")
    assert run.outputs["url"] == f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{repo.outputs['name']}"
    # A list of nested output objects gets one element, with its fields.
    assert run.outputs["node"].endswith(".elasticache.eu-west-1.amazonaws.com")
    balancer = run.one("aws:lb/loadBalancer:LoadBalancer")
    assert run.outputs["dns"] == balancer.outputs["dnsName"]
    assert run.outputs["dns"].startswith(balancer.outputs["name"] + "-")
    assert run.outputs["zone"].startswith("zone-")
    # A nested object the program set keeps its values and gets the output fields it lacked.
    assert run.outputs["logs"]["bucket"] == "logs" and run.outputs["logs"]["enabled"] is True
    assert run.outputs["logs"]["prefix"] == f"{balancer.outputs['name']}-prefix"


DUPLICATE = """
import pulumi_aws as aws

aws.s3.Bucket("data")
aws.sqs.Queue("jobs")
aws.s3.Bucket("data")
"""


def test_two_resources_with_one_urn_are_refused_naming_both_places(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", program=DUPLICATE)
    with pytest.raises(EngineError) as err:
        run_program(project, "dev")
    urn = "urn:pulumi:dev::demo::aws:s3/bucket:Bucket::data"
    assert str(err.value).startswith(f"Duplicate resource URN '{urn}'; try giving it a unique name")
    assert "declared at __main__.py:4 (first) and at __main__.py:6 (again)" in str(err.value)
    assert isinstance(err.value.error, DuplicateUrnError)
    assert err.value.location == (str(project / "__main__.py"), 6)
    # Refused, not merged: one bucket recorded, as far as the program got.
    assert [r.type for r in err.value.resources].count("aws:s3/bucket:Bucket") == 1


FAILING = """
import pulumi
import pulumi_aws as aws
from helpers import tag_set

bucket = aws.s3.Bucket("data", tags=tag_set())
pulumi.export("first", bucket.bucket.apply(lambda name: name.split("-")[9]))
"""


def test_a_failing_program_names_the_users_own_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", program=FAILING)
    (project / "helpers.py").write_text("def tag_set():\n    return {'Team': 'a'}\n")
    with pytest.raises(EngineError) as err:
        run_program(project, "dev")
    # The lambda's line in the user's file, not the SDK's apply machinery.
    assert err.value.location == (str(project / "__main__.py"), 7)
    assert "IndexError" in str(err.value) and "at __main__.py:7:" in str(err.value)


def test_the_innermost_project_frame_is_the_location(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", program=FAILING)
    (project / "helpers.py").write_text("def tag_set():\n    return {'Team': undefined_name}\n")
    with pytest.raises(EngineError) as err:
        run_program(project, "dev")
    assert err.value.location == (str(project / "helpers.py"), 2)


CHAIN = """
import pulumi
import pulumi_aws as aws

class Inner(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("demo:x:Inner", name, None, opts)
        aws.sqs.Queue(f"{name}-queue", opts=pulumi.ResourceOptions(parent=self))

class Outer(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("demo:x:Outer", name, None, opts)
        Inner(f"{name}-inner", opts=pulumi.ResourceOptions(parent=self))
        aws.sns.Topic(f"{name}-topic",
                      opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="old-topic")]))

outer = Outer("app")
aws.sqs.Queue("moved", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=outer)]))
"""


def test_urns_carry_the_whole_parent_chain_as_the_pulumi_engine_makes_them(tmp_path: Path) -> None:
    run = run_program(make_project(tmp_path / "p", program=CHAIN), "dev")
    prefix = "urn:pulumi:dev::demo::"
    assert sorted(r.urn.removeprefix(prefix) for r in run.resources) == [
        "aws:sqs/queue:Queue::moved",
        "demo:x:Outer$aws:sns/topic:Topic::app-topic",
        "demo:x:Outer$demo:x:Inner$aws:sqs/queue:Queue::app-inner-queue",
        "demo:x:Outer$demo:x:Inner::app-inner",
        "demo:x:Outer::app",
    ]
    # Alias specs resolve against the same chain (parent + name + type).
    topic = run.one("aws:sns/topic:Topic")
    assert topic.aliases == [f"{prefix}demo:x:Outer$aws:sns/topic:Topic::old-topic"]
    moved = run.one("aws:sqs/queue:Queue", "moved")
    assert moved.aliases == [f"{prefix}demo:x:Outer$aws:sqs/queue:Queue::moved"]
    for record in run.resources:  # every URN's type is its parent's qualified type + $ + its own
        if record.parent and "pulumi:pulumi:Stack" not in record.parent:
            assert record.urn.split("::")[2] == record.parent.split("::")[2] + "$" + record.type
