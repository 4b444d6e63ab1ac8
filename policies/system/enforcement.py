"""NetworkPolicy enforcement: a NetworkPolicy does nothing unless the CNI enforces it.

The Amazon VPC CNI enforces NetworkPolicies only with ``enableNetworkPolicy: "true"`` in the
``vpc-cni`` add-on's configuration values
(https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html); pulumi-eks's own
VPC CNI takes ``vpcCniOptions.enableNetworkPolicy``. Calico (``tigera-operator``) and Cilium enforce
them as well.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, get, stack_policy, truthy
from . import _model as m

DOMAIN = "system"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ENFORCING_CHARTS = ("calico", "tigera-operator", "cilium", "antrea")
READS = (*m.CLUSTER_READS, NETWORK_POLICY, m.ADDON, *m.HELM_TYPES)


def _enforcer(model: m.Model, key: str, declared: Any) -> tuple[Any, str]:
    """(True/False/UNKNOWN, why) for whether the cluster of ``key`` enforces NetworkPolicies."""
    if isinstance(declared, str) and declared:
        return True, f"declared: {declared}"
    for release in model.helm():
        if release.key == key and release.chart in ENFORCING_CHARTS:
            return True, f"Helm release '{release.resource.name}'"
    unknown = ""
    for addon in model.addons():
        if addon.key != key or addon.name != "vpc-cni":
            continue
        values = m.parse_json(addon.configuration)
        if addon.configuration is UNKNOWN or m.contains(values):
            unknown = f"the configuration values of add-on '{addon.resource.name}' are unknown during preview"
            continue
        if truthy(get(values, "enableNetworkPolicy")) is True:
            return True, f"add-on '{addon.resource.name}'"
    cluster = model.clusters.get(key)
    pulumi_eks = cluster is not None and cluster.resource.type == m.PULUMI_EKS_CLUSTER
    if cluster is not None and pulumi_eks and cluster.resource.props.get("useDefaultVpcCni") is not True:
        enabled = get(cluster.resource.props, "vpcCniOptions", "enableNetworkPolicy")
        if enabled is UNKNOWN:
            unknown = "pulumi-eks vpcCniOptions.enableNetworkPolicy is unknown during preview"
        elif truthy(enabled) is True:
            return True, f"pulumi-eks cluster '{cluster.resource.name}' (vpcCniOptions)"
    if unknown:
        return UNKNOWN, unknown
    return False, ""


@stack_policy(
    "networkpolicy-enforcement",
    domain=DOMAIN,
    description="NetworkPolicies go to a cluster whose CNI enforces them.",
    severity=Severity.HIGH,
    remediation='Enable network policy in the VPC CNI: aws.eks.Addon("vpc-cni", configuration_values='
    'json.dumps({"enableNetworkPolicy": "true"})) (pulumi-eks: vpc_cni_options enable_network_policy=True), '
    "or install Calico/Cilium, or declare the CNI that enforces them in the pack config "
    '({"networkpolicy-enforcement": {"enforcedBy": "calico"}}).',
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "enforcedBy": {
            "type": "string",
            "default": "",
            "description": "The CNI that enforces NetworkPolicies when this program does not install it.",
        }
    },
    reads=READS,
)
def networkpolicy_enforcement(ctx: StackContext) -> None:
    model = m.build(ctx)
    verdicts: dict[str, tuple[Any, str]] = {}
    for policy in ctx.of_type(NETWORK_POLICY):
        key = model.key_of(policy)
        if key not in verdicts:
            verdicts[key] = _enforcer(model, key, ctx.config.get("enforcedBy"))
        enforced, why = verdicts[key]
        if enforced is True:
            continue
        label = f"NetworkPolicy '{policy.name}' (namespace {m.namespace_of(policy)})"
        if enforced is UNKNOWN:
            ctx.undecided(f"{label}: {why}", policy.urn)
        elif not model.in_program(key):
            ctx.undecided(
                f"{label} goes to {model.describe(key)}: whether its CNI enforces NetworkPolicies is not "
                "visible (set networkpolicy-enforcement.enforcedBy)",
                policy.urn,
            )
        else:
            ctx.report(
                f"{label} is not enforced: nothing in {model.describe(key)} enforces NetworkPolicies (no "
                'vpc-cni add-on with enableNetworkPolicy "true", no Calico or Cilium); enable network policy '
                "in the vpc-cni add-on's configuration values",
                policy.urn,
            )


POLICIES = [networkpolicy_enforcement]
