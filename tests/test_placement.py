"""Reachability settings and the scheduling contract as a PipelineService consumes it."""

from __future__ import annotations

from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.eks import EksClusterSettings, Placement
from components.pipeline_service import PipelineServiceArgs, PipelineServiceSettings
from components.pipeline_service.args import placement_issues
from components.pipeline_service.manifests import deployment, with_placement
from tests.pipeline_service_cases import BASE, assert_valid_object

SPOT = Placement(
    pool="batch",
    kind="node_pool",
    node_selector={"dataplatform.io/pool": "batch"},
    tolerations=[
        {"key": "dataplatform.io/spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ],
)
OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
TAGS = {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"}


def cluster_issues(**fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings(**fields)
    return {issue.path: issue.message for issue in err.value.issues}


def test_a_private_endpoint_needs_a_deployer_inside_the_vpc() -> None:
    message = cluster_issues()["deploy_from"]
    assert message.startswith("the API endpoint is private, so only a deployer inside the VPC reaches it")
    assert set(cluster_issues(deploy_from="outside_vpc")) == {"deploy_from"}
    assert (
        EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"]).endpoint_public_access
        is False
    )
    public = EksClusterSettings(
        endpoint_public_access=True, public_access_cidrs=["52.17.40.0/24"], deploy_from="outside_vpc"
    )
    assert public.public_access_cidrs == ["52.17.40.0/24"]
    # A public endpoint without CIDRs is still refused, whatever the deployer.
    assert set(cluster_issues(endpoint_public_access=True, deploy_from="outside_vpc")) == {
        "public_access_cidrs"
    }


def test_default_pool_is_the_first_untainted_autoscaled_pool() -> None:
    system = {
        "name": "system",
        "instance_types": ["m6i.large"],
        "min_size": 2,
        "taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}],
    }
    with_karpenter = EksClusterSettings(
        deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], node_groups=[system], karpenter={}
    )
    assert list(with_karpenter.placements()) == ["system", "apps", "batch"]
    assert with_karpenter.default_pool == "apps"
    only_system = EksClusterSettings(
        deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], node_groups=[system]
    )
    assert only_system.default_pool is None
    assert (
        EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"]).default_pool == "apps"
    )  # the managed 'apps' group


def test_placement_goes_into_the_pod_template_before_the_service_own() -> None:
    settings = PipelineServiceSettings(
        **BASE,
        pool="batch",
        node_selector={"kubernetes.io/arch": "amd64"},
        tolerations=[{"key": "example.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    )
    placed = with_placement(deployment(settings), SPOT)
    pod = placed["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"dataplatform.io/pool": "batch", "kubernetes.io/arch": "amd64"}
    assert pod["tolerations"] == [
        *SPOT.tolerations,
        {"key": "example.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    ]
    assert_valid_object(placed, "1.36")
    assert with_placement(deployment(settings), None) == deployment(settings)


def _args(settings: PipelineServiceSettings, placement: Placement | None) -> PipelineServiceArgs:
    return PipelineServiceArgs(
        settings=settings,
        tags=TAGS,
        oidc_provider_arn=OIDC_ARN,
        oidc_issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        placement=placement,
    )


def test_a_placement_of_another_pool_or_a_contradicting_selector_is_refused() -> None:
    wrong_pool = PipelineServiceSettings(**BASE, pool="apps")
    assert [(i.path, i.value) for i in placement_issues(_args(wrong_pool, SPOT))] == [
        ("args.placement", "batch")
    ]
    clash = PipelineServiceSettings(**BASE, pool="batch", node_selector={"dataplatform.io/pool": "apps"})
    (issue,) = placement_issues(_args(clash, SPOT))
    assert issue.path == "settings.node_selector.dataplatform.io/pool"
    assert "no node would match" in issue.message
    assert placement_issues(_args(PipelineServiceSettings(**BASE, pool="batch"), SPOT)) == []
