"""api-reachability and networkpolicy-enforcement on raw aws.eks programs and pulumi-eks."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
from system_programs import check, deployment, node_group, opts, raw_cluster, undecided, violations

REACH = "api-reachability"
NETPOL = "networkpolicy-enforcement"
PRIVATE = (
    "cluster 'demo' has a private-only API endpoint and 1 Kubernetes resource(s) go through its provider "
    "(Deployment 'web'), but the program does not declare that it deploys from inside the VPC: they would "
    "time out. Deploy from inside the VPC and tag the cluster dataplatform.io/deploy-from=inside-vpc (or set "
    "api-reachability.deployFromInsideVpc), or open the public endpoint to the deployer's CIDRs"
)


def private_program(
    tags: dict[str, str] | None = None, public: bool = False, deployer: dict[str, str] | None = None
) -> None:
    cluster, provider, nets = raw_cluster(public=public, tags=tags)
    node_group(cluster, nets)
    deployment(provider)
    if deployer is not None:
        # The runner's path to the API: tcp/443 on the security group EKS attaches to the control plane.
        aws.vpc.SecurityGroupIngressRule(
            "deployer",
            security_group_id=cluster.vpc_config.cluster_security_group_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="10.0.8.0/24",
            tags=deployer,
        )


INSIDE = {"dataplatform.io/deploy-from": "inside-vpc"}
NO_PATH = (
    "cluster 'demo' is deployed from inside the VPC (tag "
    "dataplatform.io/deploy-from) through its private-only "
    "endpoint, but no tcp/443 ingress rule on its security group is the deployer's (tagged "
    "dataplatform.io/deployer=true, or named by the pack config's deployerCidrs/deployerSecurityGroupIds); "
    "pulumi-eks admits only the nodes there: 1 Kubernetes "
    "resource(s) would time out. Add an ingress rule for "
    "tcp/443 from the runner's security group or CIDR on the cluster security group, tagged "
    "dataplatform.io/deployer=true"
)


def test_declared_inside_the_vpc_without_a_path_for_the_deployer_is_refused() -> None:
    # Mutation that makes this pass: return None at the top of reachability._path_problem.
    assert violations(check(lambda: private_program(INSIDE)), REACH) == [("demo", NO_PATH)]
    # A rule on the cluster security group not marked as the deployer's is no declared path.
    assert violations(check(lambda: private_program(INSIDE, deployer={"team": "x"})), REACH) == [
        ("demo", NO_PATH)
    ]


def test_the_deployer_path_by_tag_or_by_pack_config() -> None:
    assert (
        violations(
            check(lambda: private_program(INSIDE, deployer={"dataplatform.io/deployer": "true"})), REACH
        )
        == []
    )
    # The pack config names the runners: the rule must cover each of them.
    program = lambda: private_program(INSIDE, deployer={"team": "x"})  # noqa: E731
    assert violations(check(program, {REACH: {"deployerCidrs": ["10.0.8.16/28"]}}), REACH) == []
    ((name, message),) = violations(check(program, {REACH: {"deployerCidrs": ["10.9.0.0/24"]}}), REACH)
    assert name == "demo"
    assert "no tcp/443 ingress on its security group admits the declared deployer(s) 10.9.0.0/24" in message


def test_private_endpoint_without_declaration_is_refused() -> None:
    assert violations(check(private_program), REACH) == [("demo", PRIVATE)]


def test_declared_by_tag_or_pack_config_or_public_endpoint_passes() -> None:
    assert (
        violations(
            check(lambda: private_program(INSIDE, deployer={"dataplatform.io/deployer": "true"})), REACH
        )
        == []
    )
    assert violations(check(private_program, {REACH: {"deployFromInsideVpc": True}}), REACH) == []
    assert violations(check(lambda: private_program(public=True)), REACH) == []
    # Another value of the tag declares nothing.
    assert violations(check(lambda: private_program({"dataplatform.io/deploy-from": "laptop"})), REACH) == [
        ("demo", PRIVATE)
    ]


def test_pulumi_eks_cluster_and_its_provider_from_the_kubeconfig() -> None:
    def program() -> None:
        cluster = eks.Cluster(
            "platform",
            vpc_id="vpc-0123",
            private_subnet_ids=["subnet-1", "subnet-2"],
            endpoint_private_access=True,
            endpoint_public_access=False,
            skip_default_node_group=True,
        )
        provider = k8s.Provider("platform-k8s", kubeconfig=cluster.kubeconfig_json)
        k8s.core.v1.Namespace("apps", metadata={"name": "apps"}, opts=opts(provider))

    assert [(n, m.split(":")[0]) for n, m in violations(check(program), REACH)] == [
        (
            "platform",
            "cluster 'platform' has a private-only API endpoint and 1 Kubernetes resource(s) go through its "
            "provider (Namespace 'apps'), but the program does not declare that it deploys from inside the "
            "VPC",
        )
    ]


def test_unknown_endpoint_access_in_preview_is_advisory() -> None:
    def program() -> None:
        # Known only once another cluster exists: unknown during preview.
        public = raw_cluster(public=True)[0].endpoint.apply(lambda _: False)
        cluster = aws.eks.Cluster(
            "late",
            name="late",
            role_arn="arn:aws:iam::123456789012:role/eks-cluster",
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-1"], endpoint_public_access=public),
        )
        provider = k8s.Provider("late-k8s", kubeconfig=cluster.endpoint)
        k8s.core.v1.Namespace("apps", metadata={"name": "apps"}, opts=opts(provider))

    preview = check(program, preview=True)
    assert violations(preview, REACH) == []
    assert undecided(preview, REACH) == [
        "cluster 'late': whether its endpoint is public is unknown during preview, so api-reachability "
        "cannot "
        "tell whether its Kubernetes resources are reachable"
    ]


def vpc_cni(cluster: aws.eks.Cluster, values: dict[str, str] | None) -> aws.eks.Addon:
    return aws.eks.Addon(
        "vpc-cni",
        cluster_name=cluster.name,
        addon_name="vpc-cni",
        configuration_values=json.dumps(values) if values is not None else None,
    )


def netpol_program(values: dict[str, str] | None, chart: str | None = None) -> None:
    cluster, provider, _ = raw_cluster(public=True)
    vpc_cni(cluster, values)
    if chart:
        k8s.helm.v3.Release("cni", chart=chart, namespace="kube-system", opts=opts(provider))
    k8s.networking.v1.NetworkPolicy(
        "deny-all",
        metadata={"name": "deny-all", "namespace": "apps"},
        spec={"podSelector": {}, "policyTypes": ["Ingress"]},
        opts=opts(provider),
    )


UNENFORCED = (
    "NetworkPolicy 'deny-all' (namespace apps) is not enforced: nothing in cluster 'demo' enforces "
    'NetworkPolicies (no vpc-cni add-on with enableNetworkPolicy "true", no Calico or Cilium); '
    "enable network policy in the vpc-cni add-on's configuration values"
)


def test_network_policy_without_an_enforcing_cni_is_refused() -> None:
    assert violations(check(lambda: netpol_program(None)), NETPOL) == [("deny-all", UNENFORCED)]
    assert violations(check(lambda: netpol_program({"enableNetworkPolicy": "false"})), NETPOL) == [
        ("deny-all", UNENFORCED)
    ]


def test_vpc_cni_with_network_policy_or_calico_or_a_declaration_passes() -> None:
    assert violations(check(lambda: netpol_program({"enableNetworkPolicy": "true"})), NETPOL) == []
    assert violations(check(lambda: netpol_program(None, chart="tigera-operator")), NETPOL) == []
    assert violations(check(lambda: netpol_program(None), {NETPOL: {"enforcedBy": "cilium"}}), NETPOL) == []


def test_network_policy_on_a_cluster_of_another_program_cannot_be_decided() -> None:
    def program() -> None:
        provider = k8s.Provider("elsewhere", kubeconfig="{}")
        k8s.networking.v1.NetworkPolicy(
            "deny-all",
            metadata={"name": "deny-all", "namespace": "apps"},
            spec={"podSelector": {}},
            opts=opts(provider),
        )

    report = check(program)
    assert violations(report, NETPOL) == []
    assert undecided(report, NETPOL) == [
        "NetworkPolicy 'deny-all' (namespace apps) goes to the cluster of provider 'elsewhere' (not "
        "declared in "
        "this program): whether its CNI enforces NetworkPolicies is not visible (set "
        "networkpolicy-enforcement.enforcedBy)"
    ]
