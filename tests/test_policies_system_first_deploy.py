"""awaited-image-pushed and chart-version-support on hand-written programs (not the platform's)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from system_programs import check, opts, raw_cluster, undecided, violations

from components.eks.compat import chart_support_problem, table
from policies.system.first_deploy import version_problem

IMAGE = "awaited-image-pushed"
VERSIONS = "chart-version-support"


def image_program(*, annotations: dict[str, str] | None = None, own_repository: bool = True) -> None:
    _, provider, _ = raw_cluster(public=True)
    image: pulumi.Input[str] = "public.ecr.aws/nginx/nginx:1.27"
    if own_repository:
        repository = aws.ecr.Repository("api", name="team/api", image_tag_mutability="IMMUTABLE")
        image = repository.repository_url.apply(lambda url: f"{url}:1.0.0")
    k8s.apps.v1.Deployment(
        "api",
        metadata={
            "name": "api",
            "namespace": "apps",
            **({"annotations": annotations} if annotations else {}),
        },
        spec={
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": image}]},
            },
        },
        opts=opts(provider),
    )


AWAITED = (
    "Deployment 'api' runs an image from the ECR repository 'team/api', which this plan creates empty, and "
    "Pulumi awaits its pods: the first `pulumi up` times out in ImagePullBackOff. Push the image before the "
    'workload exists, or annotate it pulumi.com/skipAwait: "true"'
)


def test_an_awaited_workload_on_an_image_this_plan_creates_is_refused() -> None:
    # Mutation that makes this pass: `continue` instead of ctx.report in awaited_image_pushed.
    assert violations(check(image_program), IMAGE) == [("api", AWAITED)]


def test_not_awaited_or_another_registry_passes() -> None:
    assert violations(check(lambda: image_program(annotations={"pulumi.com/skipAwait": "true"})), IMAGE) == []
    assert violations(check(lambda: image_program(own_repository=False)), IMAGE) == []


def test_found_by_the_image_string_too() -> None:
    def program() -> None:
        _, provider, _ = raw_cluster(public=True)
        aws.ecr.Repository("api", name="team/api")
        k8s.batch.v1.Job(
            "migrate",
            metadata={"name": "migrate"},
            spec={
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "m",
                                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.0.0",
                            }
                        ],
                    }
                }
            },
            opts=opts(provider),
        )

    ((name, message),) = violations(check(program), IMAGE)
    assert name == "migrate" and message.startswith(
        "Job 'migrate' runs an image from the ECR repository 'team/api'"
    )


def versions_program(keda: str, kubernetes: str = "1.36", metrics_server: str | None = None) -> None:
    _, _, nets = raw_cluster(public=True)
    # raw_cluster has no version: a second cluster with one, and its own provider.
    versioned = aws.eks.Cluster(
        "platform",
        name="platform",
        version=kubernetes,
        role_arn="arn:aws:iam::123456789012:role/eks-cluster",
        vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=[s.id for s in nets], endpoint_public_access=True),
    )
    kubeconfig = pulumi.Output.all(versioned.name, versioned.endpoint).apply(
        lambda a: json.dumps({"apiVersion": "v1", "clusters": [{"cluster": {"server": a[1]}, "name": a[0]}]})
    )
    platform = k8s.Provider("platform-k8s", kubeconfig=kubeconfig)
    k8s.helm.v3.Release(
        "keda",
        chart="keda",
        version=keda,
        namespace="keda",
        repository_opts={"repo": "https://kedacore.github.io/charts"},
        opts=opts(platform),
    )
    if metrics_server is not None:
        aws.eks.Addon(
            "metrics-server",
            cluster_name=versioned.name,
            addon_name="metrics-server",
            addon_version=metrics_server,
        )


def test_a_chart_outside_the_clusters_version_is_refused() -> None:
    # Mutation that makes this pass: `return None` at the top of first_deploy.version_problem.
    ((name, message),) = violations(check(lambda: versions_program("2.20.2")), VERSIONS)
    assert name == "keda"
    assert message == (
        "Release 'keda' installs keda 2.20.2 on cluster 'platform' (Kubernetes 1.36), outside its supported "
        "range: keda 2.20 is tested on 1.33-1.35 (https://keda.sh/docs/2.22/operate/cluster/)"
    )
    # A pinned metrics-server add-on: 0.9 needs Kubernetes 1.34+ (KEDA 2.20 is fine on 1.33).
    report = check(lambda: versions_program("2.20.2", kubernetes="1.33", metrics_server="v0.9.0-eksbuild.1"))
    assert violations(report, VERSIONS) == [
        (
            "metrics-server",
            "Addon 'metrics-server' installs metrics-server "
            "v0.9.0-eksbuild.1 on cluster 'platform' (Kubernetes "
            "1.33), outside its supported range: metrics-server 0.9 needs Kubernetes 1.34+ "
            "(https://github.com/kubernetes-sigs/metrics-server#compatibility-matrix)",
        )
    ]


def test_supported_versions_pass() -> None:
    assert violations(check(lambda: versions_program("2.21.1")), VERSIONS) == []
    assert (
        violations(
            check(lambda: versions_program("2.20.2", kubernetes="1.35", metrics_server="v0.8.0-eksbuild.1")),
            VERSIONS,
        )
        == []
    )


def test_a_cluster_from_elsewhere_cannot_be_decided() -> None:
    def program() -> None:
        provider = k8s.Provider("elsewhere", kubeconfig="{}")
        k8s.helm.v3.Release("keda", chart="keda", version="2.20.2", namespace="keda", opts=opts(provider))

    report = check(program)
    assert violations(report, VERSIONS) == []
    assert undecided(report, VERSIONS) == [
        "Release 'keda': its cluster is not declared in this program, so its Kubernetes version is unknown"
    ]


@pytest.mark.parametrize("product", ["karpenter", "keda", "metrics-server"])
def test_the_component_check_and_the_rule_agree_on_every_cell(product: str) -> None:
    # Two readers of one table (the pack may not import the components): they must agree everywhere.
    kube = [f"1.{minor}" for minor in range(25, 38)]
    candidates = {
        "karpenter": ["0.37.0", "1.0.5", "1.2.0", "1.5.0", "1.9.1", "1.12.0", "1.13.0", "1.14.1"],
        "keda": [f"2.{m}.0" for m in range(14, 23)],
        "metrics-server": [f"v0.{m}.0-eksbuild.1" for m in range(5, 11)],
    }[product]
    for version in candidates:
        for kubernetes in kube:
            assert (chart_support_problem(product, version, kubernetes) is None) == (
                version_problem(table(), product, version, kubernetes) is None
            ), (product, version, kubernetes)
