"""API reachability: Kubernetes objects through a provider for a private-only endpoint need a
deployer inside the VPC.

EKS: with public access off, "the cluster's API server endpoint is only accessible through your VPC"
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html). pulumi-eks skips its
health check for such a cluster, so the cluster succeeds and every Kubernetes object times out.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, stack_policy
from . import _model as m

DOMAIN = "system"
TAG = "dataplatform.io/deploy-from"
DEPLOYER_TAG = "dataplatform.io/deployer"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


def _reads(type_: str) -> bool:
    return type_ in m.CLUSTER_READS or type_.startswith("kubernetes:") or type_ in (INGRESS_RULE, SG_RULE)


def _https_rules(ctx: StackContext) -> list[tuple[Any, list[str], list[Any], list[Any]]]:
    """Ingress rules admitting tcp/443: (resource, URNs its security group comes from, source CIDRs,
    source security groups)."""
    found = []
    for rule in ctx.of_type(INGRESS_RULE, SG_RULE):
        p = rule.props
        if rule.type == SG_RULE and p.get("type") != "ingress":
            continue
        protocol = p.get("ipProtocol" if rule.type == INGRESS_RULE else "protocol")
        low, high = p.get("fromPort"), p.get("toPort")
        if str(protocol) not in ("tcp", "6", "-1", "all"):
            continue
        if str(protocol) not in ("-1", "all") and not (
            isinstance(low, int) and isinstance(high, int) and low <= 443 <= high
        ):
            continue
        if rule.type == INGRESS_RULE:
            cidrs, groups = [p.get("cidrIpv4")], [p.get("referencedSecurityGroupId")]
        else:
            cidrs, groups = list(p.get("cidrBlocks") or []), [p.get("sourceSecurityGroupId")]
        origin = list(rule.property_dependencies.get("securityGroupId", []))
        found.append((rule, origin, [c for c in cidrs if c], [g for g in groups if g]))
    return found


def _on_cluster(cluster: m.Cluster, origin: list[str]) -> bool:
    """The rule's security group is the cluster's: read from the cluster (pulumi-eks's
    clusterSecurityGroupId, EKS's vpcConfig.clusterSecurityGroupId) or one the cluster is given."""
    attached = set(cluster.resource.property_dependencies.get("vpcConfig", [])) | set(
        cluster.resource.property_dependencies.get("clusterSecurityGroup", [])
    )
    return any(urn == cluster.resource.urn or urn in attached for urn in origin)


def _covers(cidr: Any, wanted: str) -> bool:
    try:
        inner, outer = ipaddress.ip_network(wanted, strict=False), ipaddress.ip_network(cidr, strict=False)
        return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _path_problem(ctx: StackContext, cluster: m.Cluster, rules: list[Any]) -> str | None:
    """Why no declared deployer has a tcp/443 path through the cluster's security group, or None."""
    on_cluster = [r for r in rules if _on_cluster(cluster, r[1])]
    cidrs = [c for c in ctx.config.get("deployerCidrs") or [] if isinstance(c, str)]
    groups = [g for g in ctx.config.get("deployerSecurityGroupIds") or [] if isinstance(g, str)]
    if cidrs or groups:
        missing = [c for c in cidrs if not any(_covers(rc, c) for r in on_cluster for rc in r[2])]
        missing += [g for g in groups if not any(g in r[3] for r in on_cluster)]
        if missing:
            return (
                f"no tcp/443 ingress on its security group admits the "
                f"declared deployer(s) {', '.join(missing)}"
            )
        return None
    tagged = [
        r for r in on_cluster if str((r[0].props.get("tags") or {}).get(DEPLOYER_TAG, "")).lower() == "true"
    ]
    if not tagged:
        return (
            "no tcp/443 ingress rule on its security group is the deployer's (tagged "
            f"{DEPLOYER_TAG}=true, or named by the pack config's deployerCidrs/deployerSecurityGroupIds); "
            "pulumi-eks admits only the nodes there"
        )
    return None


@stack_policy(
    "api-reachability",
    domain=DOMAIN,
    description="Kubernetes resources do not go to a private-only EKS endpoint unless the program "
    "declares that it deploys from inside the VPC, and then a tcp/443 path from the declared deployer "
    "(a rule tagged dataplatform.io/deployer=true, or the pack config's deployer CIDRs and security groups) "
    "exists on the cluster's security group.",
    severity=Severity.HIGH,
    remediation="Run `pulumi up` from inside the VPC (a self-hosted runner, CodeBuild, SSM/VPN) and declare "
    f"it: tag the cluster {TAG}=inside-vpc (EksCluster: cluster.deploy_from: inside_vpc) or set "
    '{"api-reachability": {"deployFromInsideVpc": true}} in the pack config; or enable the public '
    "endpoint with publicAccessCidrs of the deployer; or move the Kubernetes objects to a project that "
    "runs inside the VPC.",
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "deployerCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "CIDRs `pulumi up` runs from; each needs a tcp/443 path on the cluster's "
            "security group when the program deploys from inside the VPC.",
        },
        "deployerSecurityGroupIds": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Security groups of the runner; each needs a tcp/443 path on the cluster's "
            "security group when the program deploys from inside the VPC.",
        },
        "deployFromInsideVpc": {
            "type": "boolean",
            "default": False,
            "description": "This program is deployed from inside the cluster's VPC "
            "(reaches a private endpoint).",
        },
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
    rules = _https_rules(ctx)
    for key, resources in through.items():
        cluster = model.clusters[key]
        if m.declares_inside_vpc(cluster):
            problem = _path_problem(ctx, cluster, rules) if cluster.public is False else None
            if problem is not None:
                ctx.report(
                    f"cluster '{cluster.resource.name}' is deployed from "
                    f"inside the VPC (tag {TAG}) through its "
                    f"private-only endpoint, but {problem}: "
                    f"{len(resources)} Kubernetes resource(s) would time "
                    "out. Add an ingress rule for tcp/443 from the runner's security group or CIDR on the "
                    f"cluster security group, tagged {DEPLOYER_TAG}=true",
                    cluster.resource.urn,
                )
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
