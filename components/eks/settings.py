"""What an EKS cluster accepts: the settings models, their constants, the wiring and its checks.

Everything here is plain validation: no resource is registered, so a mistake is reported (with its
key path and the fix) before anything exists.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .._shared import (
    LogRetentionDays,
    documentation_range,
    public_cidr_problem,
)
from .._validation import ConfigIssue, CrossFieldError, SettingsModel
from .compat import chart_support_problem
from .karpenter import discovery_tags
from .karpenter_settings import KarpenterSettings, cluster_issues
from .keda import KEDA_NAMESPACE, KedaSettings
from .load_balancer import LoadBalancerControllerSettings
from .observability import CLOUDWATCH_NAMESPACE, ObservabilitySettings
from .pools import Placement, placements
from .settings_nodes import (
    CAPACITY_TYPES,
    GROUP_NAME_PATTERN,
    MAX_INSTANCE_TYPES,
    MAX_TAINTS,
    TAINT_EFFECTS,
    AmiType,
    CapacityType,
    NodeGroupSettings,
    Taint,
    TaintEffect,
    _close,
    default_node_groups,
    default_spot_node_group,
)
from .versions import (
    DEFAULT_KUBERNETES_VERSION,
    UPGRADE_POLICIES,
    UpgradePolicy,
    kubernetes_version_problem,
    unquoted_version_hint,
)

__all__ = [
    "ADDONS_AFTER_NODES",
    "ADDONS_BEFORE_NODES",
    "CAPACITY_TYPES",
    "CLUSTER_NAME_PATTERN",
    "DEFAULT_LOG_TYPES",
    "GROUP_NAME_PATTERN",
    "MAX_INSTANCE_TYPES",
    "MAX_TAINTS",
    "TAINT_EFFECTS",
    "AddonVersions",
    "AmiType",
    "CapacityType",
    "EksClusterSettings",
    "LogType",
    "NodeGroupSettings",
    "Taint",
    "TaintEffect",
    "default_node_groups",
    "default_spot_node_group",
    "principal_partition",
]

# --------------------------------------------------------------------------- constants

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
DEFAULT_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator")
ADDONS_BEFORE_NODES: tuple[str, ...] = ("vpc-cni", "kube-proxy")
"""DaemonSet add-ons: active without nodes, and nodes only become Ready with a CNI."""
ADDONS_AFTER_NODES: tuple[str, ...] = ("coredns", "aws-ebs-csi-driver", "metrics-server")
"""Add-ons with Deployments: they only become active once nodes can run their pods."""

_VERSION = re.compile(r"^1\.(\d{1,2})$")
CLUSTER_NAME_PATTERN = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
"""An EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit."""
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_SECURITY_GROUP_ID = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
_PRINCIPAL_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


def principal_partition(principal_arn: str) -> str:
    """The partition of an IAM role/user ARN (``aws``, ``aws-cn``, ``aws-us-gov``); ``aws`` if unparsable."""
    match = _PRINCIPAL_ARN.match(principal_arn)
    return match.group(1) if match else "aws"


# --------------------------------------------------------------------------- add-ons


class AddonVersions(SettingsModel):
    """Pinned versions of the managed add-ons; unset means the most recent version EKS publishes for
    the cluster's Kubernetes version (looked up at each deployment, so it moves with new builds)."""

    vpc_cni: str | None = None
    """``vpc-cni`` version, e.g. ``v1.19.2-eksbuild.1``."""
    kube_proxy: str | None = None
    """``kube-proxy`` version, e.g. ``v1.32.0-eksbuild.2``."""
    coredns: str | None = None
    """``coredns`` version, e.g. ``v1.11.4-eksbuild.2``."""
    aws_ebs_csi_driver: str | None = None
    """``aws-ebs-csi-driver`` version, e.g. ``v1.38.1-eksbuild.1``."""
    metrics_server: str | None = None
    """``metrics-server`` (EKS community add-on) version, e.g. ``v0.8.0-eksbuild.2``."""

    @field_validator("vpc_cni", "kube_proxy", "coredns", "aws_ebs_csi_driver", "metrics_server")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and not _ADDON_VERSION.match(value):
            raise ValueError(
                "write an EKS add-on version like 'v1.19.2-eksbuild.1' "
                "(see `aws eks describe-addon-versions`), or leave it unset for the most recent one"
            )
        return value

    def for_addon(self, addon: str) -> str | None:
        """The pinned version of ``addon`` (its EKS name, e.g. ``vpc-cni``), or None for the most recent."""
        return {
            "vpc-cni": self.vpc_cni,
            "kube-proxy": self.kube_proxy,
            "coredns": self.coredns,
            "aws-ebs-csi-driver": self.aws_ebs_csi_driver,
            "metrics-server": self.metrics_server,
        }[addon]


# --------------------------------------------------------------------------- the cluster


class EksClusterSettings(SettingsModel):
    """The EKS cluster: version, endpoint access, logging, access, node groups, add-ons, protection."""

    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """The Kubernetes minor version, quoted (e.g. ``"1.36"``, the default); there is no "latest". It
    must be in EKS standard support, or in extended support with ``upgrade_policy: EXTENDED`` (the
    table with the dates is in ``components/eks/versions.py``)."""
    upgrade_policy: UpgradePolicy = "STANDARD"
    """``STANDARD``: EKS upgrades the control plane when the version leaves standard support (no
    extended-support charge). ``EXTENDED``: it stays, billed for extended support, until that ends."""
    cluster_name: str | None = None
    """The EKS cluster name (default ``<component name>-<stack>``); changing it replaces the cluster."""
    endpoint_public_access: bool = False
    """Open the API server endpoint to the internet (then ``public_access_cidrs`` is required).
    The private endpoint is always on."""
    deploy_from: Literal["outside_vpc", "inside_vpc"] | None = None
    """Where ``pulumi up`` runs, which must reach the API endpoint: the cluster creates Kubernetes
    objects through it (the default StorageClass, Karpenter and its pools) and so does every
    pipeline service. ``inside_vpc``: a runner in the VPC (self-hosted CI runner, CodeBuild, a host
    behind SSM or VPN), which reaches the private endpoint. ``outside_vpc``: a laptop or a hosted
    CI runner, which needs ``endpoint_public_access`` with its egress CIDRs. A private endpoint
    without ``inside_vpc`` is refused unless ``kubernetes_objects`` is ``workloads_project``:
    pulumi-eks skips its health check for a private endpoint, so the cluster would "succeed" and
    every Kubernetes object time out."""
    kubernetes_objects: Literal["in_stack", "workloads_project"] = "in_stack"
    """Where the cluster's Kubernetes objects live (the default StorageClass, Karpenter's charts,
    EC2NodeClass and NodePools; the pipeline services). ``in_stack``: this stack creates them through
    the API endpoint, so ``deploy_from`` must reach it. ``workloads_project``: this stack holds no
    Kubernetes object and calls only AWS APIs (a private endpoint needs no ``deploy_from``); it
    exports what a separate workloads project needs (``EksCluster.runtime_outputs``) to make them
    with ``ClusterRuntime``, from a place that reaches the endpoint (examples/workloads)."""
    public_access_cidrs: list[str] = Field(default_factory=list)
    """Public IPv4 CIDRs allowed to reach the public endpoint: the deployer's egress (office, VPN, CI
    runner's NAT). Private, shared (CGNAT), loopback, link-local and documentation ranges are
    refused (the endpoint never sees them as a source), so is ``0.0.0.0/0`` and the VPC's own CIDR."""
    deployer_security_group_ids: list[str] = Field(default_factory=list)
    """With ``deploy_from: inside_vpc``: the security groups of the runner that runs ``pulumi up``
    (``sg-...``, in this VPC or a peered one). Each gets tcp/443 ingress on the cluster security group,
    the only way into the private endpoint (pulumi-eks admits only the nodes)."""
    deployer_cidrs: list[str] = Field(default_factory=list)
    """With ``deploy_from: inside_vpc``: the IPv4 CIDRs the runner connects from (a subnet of this VPC,
    or a network routed to it by peering, Transit Gateway or VPN). Each gets tcp/443 ingress on the
    cluster security group. Never ``0.0.0.0/0``, never a documentation range."""
    log_types: list[LogType] = Field(default_factory=lambda: list(DEFAULT_LOG_TYPES))
    """Control-plane log types sent to CloudWatch: any of api, audit, authenticator,
    controllerManager, scheduler (empty turns control-plane logging off)."""
    log_retention_days: LogRetentionDays = 90
    """Days CloudWatch keeps control-plane logs (one of the periods CloudWatch accepts)."""
    admin_principal_arns: list[str] = Field(default_factory=list)
    """IAM role/user ARNs given cluster-admin access entries (AmazonEKSClusterAdminPolicy). Nobody
    else, not even the principal that creates the cluster, can use the Kubernetes API: list the
    role that runs ``pulumi up`` when pipeline services are deployed on the cluster."""
    node_groups: list[NodeGroupSettings] = Field(default_factory=default_node_groups)
    """The managed node groups (default: ``system`` tainted CriticalAddonsOnly, and ``apps``)."""
    spot_node_group: bool = False
    """Add the default ``spot`` batch group (SPOT capacity, tainted ``spot=true:NoSchedule``)."""
    addon_versions: AddonVersions = Field(default_factory=AddonVersions)
    """Pinned managed add-on versions (unset: the most recent for the Kubernetes version)."""
    deletion_protection: bool = True
    """EKS deletion protection, plus Pulumi ``protect`` and ``retain_on_delete`` on the cluster and
    its KMS keys. Dev stacks set it false to allow teardown."""
    karpenter: KarpenterSettings | None = None
    """Karpenter node autoscaling: the controller on ``controller_node_group`` and its NodePools
    (``{}`` turns it on with the default ``apps`` and ``batch`` pools; unset: no Karpenter)."""
    keda: KedaSettings | None = None
    """KEDA event-driven autoscaling on ``keda.node_group`` (``{}`` turns it on; unset: no KEDA).
    A stack whose services scale on triggers needs it (the stack config says so)."""
    load_balancer_controller: LoadBalancerControllerSettings | None = None
    """The AWS Load Balancer Controller on ``load_balancer_controller.node_group`` (``{}`` turns it on;
    unset: none). It makes the ALBs of the services' ``ingress``, which need it (the stack config says
    so)."""
    observability: ObservabilitySettings | None = None
    """Container Insights and Fluent Bit (the ``amazon-cloudwatch-observability`` add-on, its IRSA role
    and its KMS-encrypted log groups; ``{}`` turns it on; unset: none)."""

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version_type(cls, value: Any) -> Any:
        if isinstance(value, float | int) and not isinstance(value, bool):
            raise ValueError(unquoted_version_hint(value))
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = _VERSION.match(value)
        if not match:
            raise ValueError(
                f"pin a Kubernetes minor version such as '{DEFAULT_KUBERNETES_VERSION}' "
                "(no 'latest', no 'v' prefix, no patch)"
            )
        return value

    @field_validator("upgrade_policy", mode="before")
    @classmethod
    def _upgrade_policy(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in UPGRADE_POLICIES:
            raise ValueError(
                f"unknown upgrade policy; {_close(value, UPGRADE_POLICIES)}use STANDARD or EXTENDED"
            )
        return value

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name(cls, value: str | None) -> str | None:
        if value is not None and not CLUSTER_NAME_PATTERN.match(value):
            raise ValueError(
                "EKS cluster names are 1-100 letters, digits, '-' and '_', starting with a letter or digit"
            )
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        issues = [
            ConfigIssue(f"[{index}]", cidr, problem)
            for index, cidr in enumerate(value)
            if (problem := public_cidr_problem(cidr)) is not None
        ]
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("deployer_cidrs")
    @classmethod
    def _deployer_cidrs(cls, value: list[str]) -> list[str]:
        issues: list[ConfigIssue] = []
        for index, cidr in enumerate(value):
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                issues.append(
                    ConfigIssue(f"[{index}]", cidr, "not an IPv4 CIDR without host bits; e.g. '10.0.8.0/24'")
                )
                continue
            doc = documentation_range(network)
            if network.prefixlen == 0:
                issues.append(
                    ConfigIssue(f"[{index}]", cidr, "admits everybody; list the runner's subnet or network")
                )
            elif doc is not None:
                issues.append(
                    ConfigIssue(
                        f"[{index}]",
                        cidr,
                        f"overlaps the documentation range {doc} (RFC 5737), an example no runner has; "
                        "list the runner's real subnet",
                    )
                )
            elif value.index(cidr) != index:
                issues.append(ConfigIssue(f"[{index}]", cidr, "listed twice; remove one"))
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("deployer_security_group_ids")
    @classmethod
    def _deployer_groups(cls, value: list[str]) -> list[str]:
        issues = [
            ConfigIssue(f"[{index}]", group, "not a security group id; write sg- and 8 or 17 hex digits")
            for index, group in enumerate(value)
            if not _SECURITY_GROUP_ID.match(group)
        ]
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("log_types")
    @classmethod
    def _log_types(cls, value: list[str]) -> list[str]:
        dupes = [
            ConfigIssue(f"[{i}]", t, "listed twice; remove one")
            for i, t in enumerate(value)
            if value.index(t) != i
        ]
        if dupes:
            raise CrossFieldError(dupes)
        return value

    @field_validator("admin_principal_arns")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        issues: list[ConfigIssue] = []
        for index, arn in enumerate(value):
            if ":assumed-role/" in arn:
                issues.append(
                    ConfigIssue(
                        f"[{index}]",
                        arn,
                        "is an STS session ARN; use the IAM role ARN (arn:aws:iam::<account>:role/<name>)",
                    )
                )
            elif not _PRINCIPAL_ARN.match(arn):
                issues.append(
                    ConfigIssue(
                        f"[{index}]",
                        arn,
                        "not an IAM role or user ARN; write arn:aws:iam::<account>:role/<name>",
                    )
                )
            elif value.index(arn) != index:
                issues.append(ConfigIssue(f"[{index}]", arn, "listed twice; remove one"))
        if issues:
            raise CrossFieldError(issues)
        return value

    @model_validator(mode="after")
    def _check(self) -> EksClusterSettings:
        issues: list[ConfigIssue] = []
        version_problem = kubernetes_version_problem(self.kubernetes_version, self.upgrade_policy)
        if version_problem:
            issues.append(ConfigIssue("kubernetes_version", self.kubernetes_version, version_problem))
        if self.endpoint_public_access and not self.public_access_cidrs:
            issues.append(
                ConfigIssue(
                    "public_access_cidrs",
                    [],
                    "is required when endpoint_public_access is true; list the office/VPN CIDRs that may "
                    "reach the API (never 0.0.0.0/0), or keep the endpoint private",
                )
            )
        if (
            not self.endpoint_public_access
            and self.deploy_from != "inside_vpc"
            and self.kubernetes_objects == "in_stack"
        ):
            issues.append(
                ConfigIssue(
                    "deploy_from",
                    self.deploy_from,
                    "the API endpoint is private, so only a deployer inside the VPC reaches it; set "
                    "deploy_from: inside_vpc (a runner in the VPC), or endpoint_public_access: true with "
                    "public_access_cidrs of the runner's egress (and deploy_from: outside_vpc), or "
                    "kubernetes_objects: workloads_project (this stack then makes no Kubernetes object)",
                )
            )
        issues += self._deployer_issues()
        if self.keda is not None and self.kubernetes_objects == "workloads_project":
            issues.append(
                ConfigIssue(
                    "keda",
                    "set",
                    "KEDA is a Helm release through the Kubernetes API, which this stack does not use "
                    "(kubernetes_objects: workloads_project); drop keda here (the workloads project's "
                    "ClusterRuntime does not install KEDA yet) or set kubernetes_objects: in_stack",
                )
            )
        if self.load_balancer_controller is not None and self.kubernetes_objects == "workloads_project":
            issues.append(
                ConfigIssue(
                    "load_balancer_controller",
                    "set",
                    "the controller is a Helm release through the Kubernetes API, which this stack does not "
                    "use (kubernetes_objects: workloads_project); drop it here or set kubernetes_objects: "
                    "in_stack",
                )
            )
        if self.public_access_cidrs and not self.endpoint_public_access:
            issues.append(
                ConfigIssue(
                    "public_access_cidrs",
                    self.public_access_cidrs,
                    "only applies to a public endpoint; remove it or set endpoint_public_access: true",
                )
            )
        if not self.node_groups and not self.spot_node_group:
            issues.append(
                ConfigIssue(
                    "node_groups",
                    [],
                    "the cluster needs at least one node group to run CoreDNS and workloads; add one",
                )
            )
        names = [group.name for group in self.node_groups]
        for index, group_name in enumerate(names):
            if names.index(group_name) != index:
                issues.append(
                    ConfigIssue(
                        f"node_groups[{index}].name", group_name, "group names must be unique; rename one"
                    )
                )
        if self.spot_node_group and "spot" in names:
            issues.append(
                ConfigIssue(
                    "spot_node_group",
                    True,
                    "node_groups already has a group named 'spot'; drop spot_node_group or rename the group",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self

    def _deployer_issues(self) -> list[ConfigIssue]:
        deployers = self.deployer_security_group_ids or self.deployer_cidrs
        in_stack = self.kubernetes_objects == "in_stack"
        if self.deploy_from == "inside_vpc" and in_stack and not deployers:
            return [
                ConfigIssue(
                    "deployer_security_group_ids",
                    [],
                    "deploy_from is inside_vpc, but no runner is named: the cluster security group admits "
                    "only the nodes on tcp/443, so every Kubernetes object would time out; list the runner's "
                    "security groups (deployer_security_group_ids) or its CIDRs (deployer_cidrs)",
                )
            ]
        if deployers and self.deploy_from != "inside_vpc":
            key = "deployer_security_group_ids" if self.deployer_security_group_ids else "deployer_cidrs"
            return [
                ConfigIssue(
                    key,
                    deployers,
                    "only applies with deploy_from: inside_vpc (a runner reaching the private endpoint); "
                    "remove it, or set deploy_from: inside_vpc",
                )
            ]
        return []

    @property
    def all_node_groups(self) -> list[NodeGroupSettings]:
        """``node_groups`` plus the default spot group when ``spot_node_group`` is on."""
        return [*self.node_groups, *([default_spot_node_group()] if self.spot_node_group else [])]

    @model_validator(mode="after")
    def _karpenter_fits(self) -> EksClusterSettings:
        issues = cluster_issues(self.karpenter, self.all_node_groups) if self.karpenter else []
        groups = [group.name for group in self.all_node_groups]
        if self.keda is not None and self.keda.node_group not in groups:
            issues.append(
                ConfigIssue(
                    "keda.node_group",
                    self.keda.node_group,
                    f"is not a managed node group of the cluster ({', '.join(groups)}); KEDA runs on the "
                    "system nodes: name one of them",
                )
            )
        issues += self._version_support_issues()
        lbc = self.load_balancer_controller
        if lbc is not None and lbc.node_group not in groups:
            issues.append(
                ConfigIssue(
                    "load_balancer_controller.node_group",
                    lbc.node_group,
                    f"is not a managed node group of the cluster ({', '.join(groups)}); the controller "
                    "runs on the system nodes: name one of them",
                )
            )
        if issues:
            raise CrossFieldError(issues)
        return self

    def _version_support_issues(self) -> list[ConfigIssue]:
        """Every chart and pinned add-on against the cluster's Kubernetes version (``.compat``)."""
        checks: list[tuple[str, str, str]] = []
        if self.karpenter is not None:
            checks.append(("karpenter.version", "karpenter", self.karpenter.version))
        if self.keda is not None:
            checks.append(("keda.version", "keda", self.keda.version))
        if self.addon_versions.metrics_server is not None:
            checks.append(
                ("addon_versions.metrics_server", "metrics-server", self.addon_versions.metrics_server)
            )
        return [
            ConfigIssue(path, version, problem)
            for path, product, version in checks
            if (problem := chart_support_problem(product, version, self.kubernetes_version)) is not None
        ]

    def placements(self) -> dict[str, Placement]:
        """Pool name -> how a pod is placed there, for every managed node group and NodePool."""
        return placements(self.all_node_groups, self.karpenter.node_pools if self.karpenter else [])

    @property
    def runtime_namespaces(self) -> list[str]:
        """The namespaces the cluster and its runtime have: ``kube-system`` (CoreDNS, Karpenter, the
        load balancer controller), ``keda`` and ``amazon-cloudwatch`` when those are on."""
        found = ["kube-system"]
        if self.keda is not None:
            found.append(KEDA_NAMESPACE)
        if self.observability is not None:
            found.append(CLOUDWATCH_NAMESPACE)
        return found

    def eks_name(self, component_name: str, stack: str) -> str:
        """The EKS cluster name: ``cluster_name``, else ``<component name>-<stack>``."""
        return self.cluster_name or f"{component_name}-{stack}"

    def subnet_discovery_tags(self, component_name: str, stack: str) -> dict[str, str]:
        """The tags the private subnets need so Karpenter's EC2NodeClass finds them (empty without
        Karpenter); the stack gives them to ``Network``, which exists before the cluster."""
        return discovery_tags(self.eks_name(component_name, stack)) if self.karpenter else {}

    @property
    def default_pool(self) -> str | None:
        """The pool of workloads that name none: the first untainted NodePool (autoscaled), else the
        first untainted managed node group, else None (every pool is tainted: workloads must choose)."""
        found = [p for p in self.placements().values() if not p.tolerations]
        found.sort(key=lambda p: p.kind != "node_pool")
        return found[0].pool if found else None
