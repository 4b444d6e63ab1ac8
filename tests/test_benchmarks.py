"""The benchmark's pure parts: the deploy critical path on small synthetic graphs, the fit, the
service copies. Nothing here is timed (no timed assertions: `python -m benchmarks.run` measures)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.criticalpath import build_graph, critical_path, format_duration, longest_path
from benchmarks.deploy_times import (
    DEFAULT_SECONDS,
    EKS_DEFAULT_NODE_GROUP_SECONDS,
    RDS_MULTI_AZ_SECONDS,
    VPC_GATEWAY_ENDPOINT_SECONDS,
    creation_seconds,
    provider_urn,
    required_reason,
)
from dpengine.engine import ResourceRecord

VPC = "aws:ec2/vpc:Vpc"  # 10 s
SUBNET = "aws:ec2/subnet:Subnet"  # 10 s
NAT = "aws:ec2/natGateway:NatGateway"  # 120 s
RDS = "aws:rds/instance:Instance"  # 600 s single-AZ
EKS = "aws:eks/cluster:Cluster"  # 600 s
NODES = "aws:eks/nodeGroup:NodeGroup"  # 300 s
KEY = "aws:kms/key:Key"  # 5 s
ROLE = "aws:iam/role:Role"  # 5 s
DEPLOYMENT = "kubernetes:apps/v1:Deployment"  # 60 s
NAMESPACE = "kubernetes:core/v1:Namespace"  # default 5 s
K8S_PROVIDER = "pulumi:providers:kubernetes"  # 0 s
COMPONENT = "dataplatform:test:Thing"


def urn(name: str, type_: str = VPC) -> str:
    return f"urn:pulumi:test::test::{type_}::{name}"


def rec(
    name: str,
    type_: str = VPC,
    *,
    custom: bool = True,
    parent: str | None = None,
    data: list[str] | None = None,
    explicit: list[str] | None = None,
    inputs: dict[str, Any] | None = None,
    provider: str | None = None,
    remote: bool = False,
) -> ResourceRecord:
    """A record whose ``data`` URNs are property dependencies and ``explicit`` ones depends_on only."""
    data = data or []
    explicit = explicit or []
    return ResourceRecord(
        urn=urn(name, type_),
        type=type_,
        name=name,
        custom=custom,
        parent=parent,
        inputs=inputs or {},
        masked_inputs=inputs or {},
        outputs={},
        dependencies=[*data, *explicit],
        property_dependencies={"prop": list(data)} if data else {},
        provider=provider,
        protect=False,
        retain_on_delete=False,
        ignore_changes=[],
        delete_before_replace=False,
        replace_on_changes=[],
        additional_secret_outputs=[],
        remote=remote,
    )


def names(chain: list[tuple[str, str, float]]) -> list[str]:
    return [name for _, name, _ in chain]


# --------------------------------------------------------------------------- weights


def test_weights_come_from_type_and_inputs() -> None:
    assert creation_seconds(rec("db", RDS)) == 600.0
    assert creation_seconds(rec("db", RDS, inputs={"multiAz": True})) == RDS_MULTI_AZ_SECONDS == 960.0
    assert creation_seconds(rec("db", RDS, inputs={"multiAz": False})) == 600.0
    endpoint = "aws:ec2/vpcEndpoint:VpcEndpoint"
    assert creation_seconds(rec("s3", endpoint, inputs={"vpcEndpointType": "Gateway"})) == 10.0
    assert creation_seconds(rec("s3", endpoint)) == VPC_GATEWAY_ENDPOINT_SECONDS  # AWS default: Gateway
    assert creation_seconds(rec("sts", endpoint, inputs={"vpcEndpointType": "Interface"})) == 90.0
    assert creation_seconds(rec("nat", NAT)) == 120.0
    assert creation_seconds(rec("p", K8S_PROVIDER)) == 0.0
    assert creation_seconds(rec("x", "aws:s3/bucketVersioning:BucketVersioning")) == DEFAULT_SECONDS == 5.0
    service = "kubernetes:core/v1:Service"
    assert creation_seconds(rec("svc", service, inputs={"spec": {"type": "ClusterIP"}})) == 5.0
    assert creation_seconds(rec("svc", service, inputs={"spec": {"type": "LoadBalancer"}})) == 120.0


def test_remote_eks_cluster_weight_includes_its_default_node_group_unless_skipped() -> None:
    cluster = rec("eks", "eks:index:Cluster", custom=False, remote=True)
    assert creation_seconds(cluster) == 600.0 + EKS_DEFAULT_NODE_GROUP_SECONDS
    skipped = rec(
        "eks", "eks:index:Cluster", custom=False, remote=True, inputs={"skipDefaultNodeGroup": True}
    )
    assert creation_seconds(skipped) == 600.0


def test_a_table_can_override_weights() -> None:
    assert creation_seconds(rec("v"), {VPC: 42.0}) == 42.0
    assert creation_seconds(rec("k", KEY), {VPC: 42.0}) == DEFAULT_SECONDS


# --------------------------------------------------------------------------- longest path


def test_linear_chain_is_the_sum_and_independent_resources_run_in_parallel() -> None:
    vpc = rec("vpc", VPC)
    subnet = rec("subnet", SUBNET, data=[vpc.urn])
    nat = rec("nat", NAT, data=[subnet.urn])
    role = rec("role", ROLE)  # independent: in parallel
    result = critical_path([role, nat, subnet, vpc])  # any order in
    assert result.estimate.seconds == 140.0
    assert result.estimate.chain == [(VPC, "vpc", 10.0), (SUBNET, "subnet", 10.0), (NAT, "nat", 120.0)]
    assert [s.edge for s in result.estimate.steps] == [None, "data", "data"]
    assert result.forced.seconds == 140.0
    assert result.nothing_serialized is True
    assert result.nodes == 4
    assert result.edges == {"data": 2, "provider": 0, "parent": 0, "required": 0, "explicit": 0}
    assert result.heaviest is not None and result.heaviest.as_tuple() == (NAT, "nat", 120.0)


def test_the_heaviest_branch_wins() -> None:
    vpc = rec("vpc", VPC)
    subnet = rec("subnet", SUBNET, data=[vpc.urn])
    db = rec("db", RDS, data=[subnet.urn], inputs={"multiAz": True})
    nat = rec("nat", NAT, data=[subnet.urn])
    eks = rec("eks", EKS, data=[subnet.urn])
    nodes = rec("nodes", NODES, data=[eks.urn])
    result = critical_path([vpc, subnet, db, nat, eks, nodes])
    # vpc 10 + subnet 10 + eks 600 + node group 300 = 920 < vpc + subnet + multi-AZ RDS 960 = 980
    assert result.estimate.seconds == 980.0
    assert names(result.estimate.chain) == ["vpc", "subnet", "db"]


def test_explicit_depends_on_is_told_apart_from_data() -> None:
    vpc = rec("vpc", VPC)
    nat = rec("nat", NAT, data=[vpc.urn])
    eks = rec("eks", EKS, data=[vpc.urn], explicit=[nat.urn])  # waits for the NAT for no data
    nodes = rec("nodes", NODES, data=[eks.urn])
    result = critical_path([vpc, nat, eks, nodes])
    assert result.estimate.seconds == 10 + 120 + 600 + 300
    assert names(result.estimate.chain) == ["vpc", "nat", "eks", "nodes"]
    assert [s.edge for s in result.estimate.steps] == [None, "data", "explicit", "data"]
    assert result.estimate.explicit_edges == [("nat", "eks")]
    assert result.forced.seconds == 10 + 600 + 300
    assert names(result.forced.chain) == ["vpc", "eks", "nodes"]
    assert result.serialization_seconds == 120.0
    assert result.nothing_serialized is False
    assert result.edges["explicit"] == 1
    as_json = result.to_json()
    assert as_json["explicit_edges_on_chain"] == [["nat", "eks"]]
    assert as_json["chain"][2] == [EKS, "eks", 600.0, "explicit"]
    assert as_json["nothing_serialized"] is False


def test_a_dependency_both_in_data_and_depends_on_counts_as_data() -> None:
    vpc = rec("vpc", VPC)
    subnet = rec("subnet", SUBNET, data=[vpc.urn], explicit=[vpc.urn])
    graph = build_graph([vpc, subnet])
    assert graph.waits_for[subnet.urn] == {vpc.urn: "data"}


def test_a_dependency_on_a_component_means_every_resource_below_it() -> None:
    comp = rec("comp", COMPONENT, custom=False)
    inner = rec("inner", COMPONENT, custom=False, parent=comp.urn)
    key = rec("comp-key", KEY, parent=comp.urn)
    eks = rec("comp-eks", EKS, parent=inner.urn)  # a grandchild through a nested component
    after = rec("after", ROLE, explicit=[comp.urn])
    graph = build_graph([comp, inner, key, eks, after])
    assert set(graph.nodes) == {key.urn, eks.urn, after.urn}  # components are not nodes
    assert graph.waits_for[after.urn] == {key.urn: "explicit", eks.urn: "explicit"}
    result = critical_path([comp, inner, key, eks, after])
    assert result.estimate.seconds == 605.0
    assert names(result.estimate.chain) == ["comp-eks", "after"]


def test_component_expansion_stops_at_custom_and_remote_resources() -> None:
    comp = rec("comp", COMPONENT, custom=False)
    bucket = rec("bucket", "aws:s3/bucket:Bucket", parent=comp.urn)
    under_bucket = rec("policy", "aws:s3/bucketPolicy:BucketPolicy", parent=bucket.urn)
    cluster = rec("eks", "eks:index:Cluster", custom=False, remote=True, parent=comp.urn)
    user = rec("user", ROLE, data=[comp.urn])
    graph = build_graph([comp, bucket, under_bucket, cluster, user])
    # As the SDK expands it: the custom child and the remote component, not the custom's child.
    assert graph.waits_for[user.urn] == {bucket.urn: "data", cluster.urn: "data"}
    # A custom resource's child waits for its parent (the SDK awaits the parent's URN).
    assert graph.waits_for[under_bucket.urn] == {bucket.urn: "parent"}
    # A component parent costs nothing.
    assert graph.waits_for[bucket.urn] == {}


def test_a_remote_component_is_one_weighted_node() -> None:
    vpc = rec("vpc", VPC)
    cluster = rec(
        "eks",
        "eks:index:Cluster",
        custom=False,
        remote=True,
        data=[vpc.urn],
        inputs={"skipDefaultNodeGroup": True},
    )
    nodes = rec("nodes", NODES, data=[cluster.urn])
    result = critical_path([vpc, cluster, nodes])
    assert result.estimate.chain == [
        (VPC, "vpc", 10.0),
        ("eks:index:Cluster", "eks", 600.0),
        (NODES, "nodes", 300.0),
    ]
    assert result.estimate.seconds == 910.0


def test_kubernetes_resources_wait_for_the_cluster_through_their_provider() -> None:
    eks = rec("eks", EKS)
    provider = rec("k8s", K8S_PROVIDER, data=[eks.urn])
    namespace = rec("ns", NAMESPACE, provider=f"{provider.urn}::provider-id")
    deployment = rec("app", DEPLOYMENT, provider=f"{provider.urn}::provider-id", explicit=[namespace.urn])
    result = critical_path([eks, provider, namespace, deployment])
    assert result.estimate.seconds == 600 + 0 + 5 + 60
    assert names(result.estimate.chain) == ["eks", "k8s", "ns", "app"]
    # A namespaced object's depends_on on its namespace is a need, not a choice.
    assert [s.edge for s in result.estimate.steps] == [None, "data", "provider", "required"]
    assert result.estimate.required_edges == [("ns", "app", "a namespaced object needs its namespace")]
    assert result.forced.seconds == 665.0
    assert result.serialization_seconds == 0.0
    # Data alone would let the deployment start with the namespace: 600 + 0 + 60.
    assert result.data_only.seconds == 660.0
    assert result.to_json()["required_edges_on_chain"] == [
        ["ns", "app", "a namespaced object needs its namespace"]
    ]


def test_required_orderings_match_add_ons_by_name_and_nothing_else() -> None:
    cni = rec("cni", "aws:eks/addon:Addon", inputs={"addonName": "vpc-cni"})
    dns = rec("dns", "aws:eks/addon:Addon", inputs={"addonName": "coredns"})
    nodes = rec("nodes", NODES, explicit=[cni.urn])
    after_nodes = rec("dns2", "aws:eks/addon:Addon", inputs={"addonName": "coredns"}, explicit=[nodes.urn])
    key_after_nodes = rec("key", KEY, explicit=[nodes.urn])  # no known need
    graph = build_graph([cni, dns, nodes, after_nodes, key_after_nodes])
    assert graph.waits_for[nodes.urn] == {cni.urn: "required"}
    assert graph.waits_for[after_nodes.urn] == {nodes.urn: "required"}
    assert graph.waits_for[key_after_nodes.urn] == {nodes.urn: "explicit"}
    assert required_reason(nodes, dns) is None  # nodes do not wait for CoreDNS
    assert "CNI" in (required_reason(nodes, cni) or "")


def test_provider_reference_parsing() -> None:
    provider = "urn:pulumi:dev::p::pulumi:providers:kubernetes::k8s"
    assert provider_urn(f"{provider}::04da6b54-80e4-46f7-96ec-b56ff0331ba9") == provider
    assert provider_urn(None) is None
    assert provider_urn("") is None


def test_dependencies_outside_the_run_are_ignored() -> None:
    stack = "urn:pulumi:test::test::pulumi:pulumi:Stack::test-test"
    vpc = rec("vpc", VPC, explicit=[stack], parent=stack)
    result = critical_path([vpc])
    assert result.estimate.seconds == 10.0
    assert result.edges == {"data": 0, "provider": 0, "parent": 0, "required": 0, "explicit": 0}


def test_ties_are_broken_by_urn_so_the_chain_is_stable() -> None:
    a = rec("a", ROLE)
    b = rec("b", ROLE)
    c = rec("c", ROLE, data=[b.urn, a.urn])
    first = critical_path([a, b, c])
    second = critical_path([c, b, a])
    assert first.estimate.chain == second.estimate.chain == [(ROLE, "a", 5.0), (ROLE, "c", 5.0)]


def test_an_empty_run_takes_no_time() -> None:
    result = critical_path([])
    assert result.estimate.seconds == 0.0
    assert result.estimate.chain == []
    assert result.heaviest is None
    assert result.nothing_serialized is True


def test_longest_path_on_a_subset_of_edge_kinds() -> None:
    vpc = rec("vpc", VPC)
    subnet = rec("subnet", SUBNET, explicit=[vpc.urn])
    graph = build_graph([vpc, subnet])
    assert longest_path(graph).seconds == 20.0
    assert longest_path(graph, ["data"]).seconds == 10.0


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0 s"), (59.6, "1 min 00 s"), (905, "15 min 05 s"), (3600, "60 min 00 s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# ------------------------------------------------------------------- run helpers (measure, sections, report)


def test_least_squares_and_service_copies() -> None:
    from benchmarks.measure import least_squares
    from benchmarks.sections import make_services

    slope, intercept = least_squares([10, 20, 30], [1.5, 2.5, 3.5])
    assert slope == pytest.approx(0.1)
    assert intercept == pytest.approx(0.5)
    assert least_squares([5, 5], [1.0, 3.0]) == (0.0, 2.0)

    template = {"name": "ingest", "image": "ghcr.io/acme/ingest:1.2.3", "port": 8080}
    services = make_services(template, 3)
    assert [s["name"] for s in services] == ["svc-0001", "svc-0002", "svc-0003"]
    assert all(s["image"] == "ghcr.io/acme/ingest:1.2.3" and s["port"] == 8080 for s in services)
    assert "namespace" not in services[0]
    assert template["name"] == "ingest"  # the template is not changed

    named = make_services({"name": "x", "image": "i:1", "namespace": "data", "env": {"A": "1"}}, 2)
    assert [s["namespace"] for s in named] == ["svc-0001", "svc-0002"]  # one namespace each
    named[0]["env"]["A"] = "2"
    assert named[1]["env"] == {"A": "1"}  # deep copies
    shared = make_services({"name": "x", "image": "i:1", "namespace": "data", "create_namespace": False}, 2)
    assert [s["namespace"] for s in shared] == ["data", "data"]  # an existing namespace is kept


def test_linearity_is_judged_on_what_each_step_adds() -> None:
    from benchmarks.measure import least_squares, marginal_ms_per_resource, r_squared
    from benchmarks.report import goals

    # A fixed part of 100 cheap resources (1 ms each) plus services of 10 heavy resources
    # (3 ms each): exactly linear, though ms/resource over the whole stack rises with N.
    rows = [
        {"services": n, "resources": 100 + 10 * n, "seconds": (100 * 1.0 + 10 * n * 3.0) / 1000}
        for n in (10, 50, 100, 200)
    ]
    whole = [1000 * r["seconds"] / r["resources"] for r in rows]
    assert whole[-1] / whole[0] > 1.3
    assert marginal_ms_per_resource(rows) == pytest.approx([3.0, 3.0, 3.0])
    xs, ys = [r["resources"] for r in rows], [r["seconds"] for r in rows]
    assert r_squared(xs, ys, *least_squares(xs, ys)) == pytest.approx(1.0)
    (goal,) = goals({"stacks": {}, "scaling": {"rows": rows, "marginal_ratio": 1.0, "r_squared": 1.0}})
    assert goal["met"] is True and "100->200 vs 10->50" in goal["goal"]

    # Quadratic growth: each step adds dearer resources, and the goal says so.
    grown = [{**r, "seconds": r["resources"] ** 2 / 1e6} for r in rows]
    marginal = marginal_ms_per_resource(grown)
    assert marginal[-1] / marginal[0] > 1.3
    (goal,) = goals(
        {
            "stacks": {},
            "scaling": {"rows": grown, "marginal_ratio": marginal[-1] / marginal[0], "r_squared": 0.99},
        }
    )
    assert (goal["met"], goal["status"]) == (False, "NOT met")


def test_a_poor_fit_is_inconclusive_never_met() -> None:
    from benchmarks.report import MIN_R_SQUARED, judge_scaling

    assert MIN_R_SQUARED == 0.98
    assert judge_scaling(1.0, 0.999) == (True, "met")
    assert judge_scaling(1.0, 0.97) == (None, "inconclusive")  # a good ratio from a noisy fit
    assert judge_scaling(-0.4, 0.99) == (None, "inconclusive")  # a negative ratio is noise
    assert judge_scaling(2.0, 0.5) == (None, "inconclusive")
    assert judge_scaling(None, 0.99) == (None, "n/a")


def _stack_figures(preview: float, bare: float, inputs: float, mem: float, mem_inputs: float) -> dict:
    return {
        "preview_ratio": preview / bare,
        "preview_ratio_to_inputs_floor": preview / inputs,
        "memory": {"preview_ratio": mem / 100, "preview_ratio_to_inputs_floor": mem / mem_inputs},
        "check": {"overhead": 0.1},
        "process": {"ratio": 1.2, "check": {"median_s": 1.2}, "floor": {"median_s": 1.0}},
        "critical_path": {"serialization_seconds": 0, "nothing_serialized": True},
    }


def test_preview_is_judged_against_the_same_inputs_floor_and_the_process_against_its_floor() -> None:
    from benchmarks.report import goals

    # 3x the bare floor but 1.2x the same-inputs floor: met; the bare ratio is still shown.
    found = goals({"stacks": {"prod": _stack_figures(3.0, 1.0, 2.5, 140, 120)}})
    by_goal = {g["goal"]: g for g in found}
    time_goal = by_goal["prod: preview time <= 1.5x the same-inputs floor"]
    assert (time_goal["status"], time_goal["value"]) == ("met", "1.20x (bare floor: 3.00x)")
    memory = by_goal["prod: preview peak memory <= 1.5x the same-inputs floor"]
    assert memory["status"] == "met"
    assert by_goal["prod: `dataplatform check` process <= 1.3x the floor process"]["status"] == "met"
    # Over the same-inputs floor by more than half: not met.
    found = goals({"stacks": {"prod": _stack_figures(4.0, 1.0, 2.0, 200, 120)}})
    assert [g["status"] for g in found if g["goal"].startswith("prod: preview")] == ["NOT met", "NOT met"]


def test_floors_register_the_same_types_flat_with_or_without_the_inputs() -> None:
    import pulumi
    import pulumi_aws as aws

    from benchmarks.programs import floor_program
    from dpengine.engine import run_function

    class Pair(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("demo:index:Pair", name)
            key = aws.kms.Key(
                f"{name}-key", enable_key_rotation=True, opts=pulumi.ResourceOptions(parent=self)
            )
            aws.s3.Bucket(f"{name}-bucket", tags={"k": key.arn}, opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    recorded = run_function(lambda: Pair("p"), project="demo", stack="dev").resources
    bare = run_function(floor_program(recorded), project="demo", stack="dev").resources
    full = run_function(floor_program(recorded, with_inputs=True), project="demo", stack="dev").resources

    for floor in (bare, full):
        assert sorted(r.type for r in floor) == sorted(r.type for r in recorded)
        # Flat: every resource directly under the stack (no component logic, no nesting).
        assert all(r.parent == "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev" for r in floor)
    assert all(r.inputs == {} for r in bare)
    key_inputs = next(r.inputs for r in full if r.type == "aws:kms/key:Key")
    assert key_inputs["enableKeyRotation"] is True
    bucket = next(r for r in full if r.type == "aws:s3/bucket:Bucket")
    assert bucket.inputs["tags"] == next(
        r.inputs["tags"] for r in recorded if r.type == "aws:s3/bucket:Bucket"
    )
