"""API reachability: Kubernetes objects through a provider for a private-only endpoint need a
deployer inside the VPC.

EKS: with public access off, "the cluster's API server endpoint is only accessible through your VPC"
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html). pulumi-eks skips its
health check for such a cluster, so the cluster succeeds and every Kubernetes object times out.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, stack_policy
from . import _model as m

DOMAIN = "system"
TAG = "dataplatform.io/deploy-from"


def _reads(type_: str) -> bool:
    return type_ in m.CLUSTER_READS or type_.startswith("kubernetes:")


@stack_policy(
    "api-reachability",
    domain=DOMAIN,
    description="Kubernetes resources do not go to a private-only EKS endpoint unless the program "
    "declares that it deploys from inside the VPC.",
    severity=Severity.HIGH,
    remediation="Run `pulumi up` from inside the VPC (a self-hosted runner, CodeBuild, SSM/VPN) and declare "
    f"it: tag the cluster {TAG}=inside-vpc (EksCluster: cluster.deploy_from: inside_vpc) or set "
    '{"api-reachability": {"deployFromInsideVpc": true}} in the pack config; or enable the public '
    "endpoint with publicAccessCidrs of the deployer; or move the Kubernetes objects to a project that "
    "runs inside the VPC.",
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "deployFromInsideVpc": {
            "type": "boolean",
            "default": False,
            "description": "This program is deployed from inside the cluster's VPC "
            "(reaches a private endpoint).",
        }
    },
    reads=_reads,
)
def api_reachability(ctx: StackContext) -> None:
    model = m.build(ctx)
    if ctx.config.get("deployFromInsideVpc") is True:
        return
    through: dict[str, list[Any]] = {}
    for resource in ctx.resources:
        if not resource.type.startswith("kubernetes:") or not resource.provider:
            continue
        key = model.key_of(resource)
        if key in model.clusters:
            through.setdefault(key, []).append(resource)
    for key, resources in through.items():
        cluster = model.clusters[key]
        if m.declares_inside_vpc(cluster):
            continue
        if UNKNOWN in (cluster.public, cluster.private):
            ctx.undecided(
                f"cluster '{cluster.resource.name}': whether its endpoint is public is unknown during "
                "preview, so api-reachability cannot tell whether its Kubernetes resources are reachable",
                cluster.resource.urn,
            )
            continue
        if cluster.public is not False:
            continue
        labels = [f"{r.type.rsplit(':', 1)[-1]} '{r.name}'" for r in resources]
        ctx.report(
            f"cluster '{cluster.resource.name}' has a private-only API endpoint and {len(resources)} "
            f"Kubernetes resource(s) go through its provider ({m.names(labels, 3)}), but the program does "
            f"not declare that it deploys from inside the VPC: they would time out. Deploy from inside the "
            f"VPC and tag the cluster {TAG}=inside-vpc (or set api-reachability.deployFromInsideVpc), or "
            "open the public endpoint to the deployer's CIDRs",
            cluster.resource.urn,
        )


POLICIES = [api_reachability]
