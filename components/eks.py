"""The EKS cluster: a private, encrypted, audited control plane with managed node groups for data workloads.

The control plane is a pulumi-eks ``Cluster`` (a multi-language component: under a preview or
mocks it is one ``eks:index:Cluster`` resource whose children nobody else can see or change).
Everything policies and users must see stays outside it, as native pulumi-aws resources:

- KMS keys (rotation on) for Kubernetes secrets (or a key passed in), for the control-plane log
  group, and for the nodes' EBS volumes;
- the control-plane log group ``/aws/eks/<cluster>/cluster``, made *before* the cluster so its
  retention and KMS key apply from the first log line;
- the cluster's IAM service role, the IAM OIDC provider (IRSA), admin access entries;
- one managed node group per configured group, each with its own IAM role and a launch template
  (IMDSv2 required, hop limit 1 or 2, encrypted gp3 root volume); the desired size belongs to the
  autoscaler, so changes to it are ignored after creation;
- the managed add-ons vpc-cni, kube-proxy, coredns and aws-ebs-csi-driver (with its IRSA role).

Defaults are at least as strict as terraform-aws-eks: private endpoint only (a public endpoint
needs explicit CIDRs, never ``0.0.0.0/0``), authentication mode ``API`` (access entries) with **no
implicit cluster-creator admin**, api/audit/authenticator logs with a retention, secrets
envelope encryption, and deletion protection (Pulumi ``protect`` plus EKS's own).

The deploying principal gets no access to the Kubernetes API unless it is listed in
``admin_principal_arns``: the Kubernetes provider this component exposes (for the pipeline
services) authenticates as whoever runs ``pulumi up``, through ``aws eks get-token``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from components._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from components.iam import irsa_trust_policy, kms_account_admin_statement, kms_logs_statement, policy_json
from components.tags import merge_tags, validate_tags

__all__ = [
    "AddonVersions",
    "EksCluster",
    "EksClusterArgs",
    "EksClusterSettings",
    "NodeGroupSettings",
    "Taint",
    "default_node_groups",
    "default_spot_node_group",
    "disable_cluster_creator_admin",
]

# --------------------------------------------------------------------------- constants

MIN_KUBERNETES_MINOR = 30
"""The oldest minor version accepted for a new cluster (older ones are past EKS standard support)."""
LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")
LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
DEFAULT_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator")
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The retention periods CloudWatch Logs accepts."""
TAINT_EFFECTS: tuple[str, ...] = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
"""Taint effects as the EKS API spells them."""
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
_KUBERNETES_EFFECT_SPELLING = {
    "noschedule": "NO_SCHEDULE",
    "noexecute": "NO_EXECUTE",
    "prefernoschedule": "PREFER_NO_SCHEDULE",
}
CAPACITY_TYPES: tuple[str, ...] = ("ON_DEMAND", "SPOT")
CapacityType = Literal["ON_DEMAND", "SPOT"]
AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
]
ROOT_DEVICE_NAME = "/dev/xvda"
"""The root device of the Amazon Linux 2023 EKS AMIs."""
MAX_INSTANCE_TYPES = 20
"""EKS accepts at most 20 instance types per managed node group."""
STS_AUDIENCE = "sts.amazonaws.com"
NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)
"""AWS managed policies of every node role."""
CLUSTER_POLICY = "AmazonEKSClusterPolicy"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"
KMS_DELETION_WINDOW_DAYS = 30
ADDONS_BEFORE_NODES: tuple[str, ...] = ("vpc-cni", "kube-proxy")
"""DaemonSet add-ons: active without nodes, and nodes only become Ready with a CNI."""
ADDONS_AFTER_NODES: tuple[str, ...] = ("coredns", "aws-ebs-csi-driver")
"""Add-ons with Deployments: they only become active once nodes can run their pods."""

_VERSION = re.compile(r"^1\.(\d{1,2})$")
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_GROUP_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_PRINCIPAL_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")


# --------------------------------------------------------------------------- settings


def _label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a Kubernetes label/taint key, or None."""
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.match(name):
        return (
            "the name part must be 1-63 letters, digits, '-', '_' or '.', starting and ending "
            "with a letter or digit"
        )
    if "/" in key and not _DNS_SUBDOMAIN.match(prefix):
        return "the prefix before '/' must be a lowercase DNS subdomain (e.g. 'example.com')"
    return None


def _close(value: str, choices: Sequence[str]) -> str:
    """A 'did you mean' hint for a near miss of ``choices`` (case, '-' vs '_', Kubernetes spelling)."""
    folded = re.sub(r"[^a-z]", "", value.lower())
    for choice in choices:
        if re.sub(r"[^a-z]", "", choice.lower()) == folded:
            return f"did you mean '{choice}'? "
    return ""


class Taint(SettingsModel):
    """A Kubernetes taint on every node of a group; pods need a matching toleration."""

    key: str
    """The taint key, e.g. ``CriticalAddonsOnly`` or ``example.com/dedicated``."""
    value: str | None = None
    """The taint value (optional, at most 63 characters)."""
    effect: TaintEffect
    """``NO_SCHEDULE``, ``NO_EXECUTE`` or ``PREFER_NO_SCHEDULE`` (the EKS API spelling of Kubernetes'
    NoSchedule, NoExecute and PreferNoSchedule)."""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        problem = _label_key_problem(value)
        if problem:
            raise ValueError(f"not a Kubernetes taint key: {problem}")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        if value is not None and not _LABEL_VALUE.match(value):
            raise ValueError(
                "taint values are at most 63 letters, digits, '-', '_' or '.', starting and ending "
                "with a letter or digit"
            )
        return value

    @field_validator("effect", mode="before")
    @classmethod
    def _effect(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in TAINT_EFFECTS:
            kubernetes = _KUBERNETES_EFFECT_SPELLING.get(value.replace("_", "").lower())
            hint = f"did you mean '{kubernetes}'? " if kubernetes else _close(value, TAINT_EFFECTS)
            raise ValueError(
                f"unknown taint effect; {hint}use one of {', '.join(TAINT_EFFECTS)} (the EKS API spelling)"
            )
        return value


class NodeGroupSettings(SettingsModel):
    """One EKS managed node group in the private subnets."""

    name: str
    """The group name: 1-24 lowercase letters, digits and hyphens (part of resource names)."""
    instance_types: list[str] = Field(min_length=1)
    """EC2 instance types, most preferred first (several types make SPOT capacity more reliable)."""
    capacity_type: CapacityType = "ON_DEMAND"
    """``ON_DEMAND`` or ``SPOT``."""
    min_size: int = Field(default=1, ge=0)
    """The fewest nodes the group may scale in to."""
    max_size: int = Field(default=3, ge=1)
    """The most nodes the group may scale out to."""
    desired_size: int | None = Field(default=None, ge=0)
    """Nodes at creation (default: ``min_size``). Owned by the cluster autoscaler afterwards:
    later changes to it are ignored."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes labels on every node (EKS adds ``eks.amazonaws.com/capacityType`` and
    ``eks.amazonaws.com/nodegroup`` itself)."""
    taints: list[Taint] = Field(default_factory=list)
    """Kubernetes taints on every node (at most 50)."""
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    """Size of the encrypted gp3 root volume, in GiB."""
    ami_type: AmiType = "AL2023_x86_64_STANDARD"
    """The EKS-optimized Amazon Linux 2023 AMI flavour (match ARM instance types with ``*_ARM_64_*``)."""
    metadata_hop_limit: Literal[1, 2] = 1
    """IMDSv2 response hop limit: 1 keeps pods away from the node's instance metadata (and its IAM
    role); 2 lets pods without IRSA reach it."""
    max_unavailable_percentage: int = Field(default=33, ge=1, le=100)
    """Share of nodes replaced at once during a node group update."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _GROUP_NAME.match(value):
            raise ValueError(
                "use 1-24 lowercase letters, digits and hyphens, not starting or ending with a hyphen"
            )
        return value

    @field_validator("capacity_type", mode="before")
    @classmethod
    def _capacity(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in CAPACITY_TYPES:
            raise ValueError(f"unknown capacity type; {_close(value, CAPACITY_TYPES)}use ON_DEMAND or SPOT")
        return value

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        issues = [
            ConfigIssue(f"[{i}]", t, "not an EC2 instance type; write e.g. 'm6i.xlarge'")
            for i, t in enumerate(value)
            if not _INSTANCE_TYPE.match(t)
        ]
        issues += [
            ConfigIssue(f"[{i}]", t, "listed twice; remove the duplicate")
            for i, t in enumerate(value)
            if value.index(t) != i
        ]
        if len(value) > MAX_INSTANCE_TYPES:
            issues.append(
                ConfigIssue("", len(value), f"EKS accepts at most {MAX_INSTANCE_TYPES} instance types")
            )
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        issues: list[ConfigIssue] = []
        for key, label in value.items():
            problem = _label_key_problem(key)
            if problem:
                issues.append(ConfigIssue(f"{key}", key, f"not a Kubernetes label key: {problem}"))
            if not isinstance(label, str) or not _LABEL_VALUE.match(label):
                issues.append(
                    ConfigIssue(
                        f"{key}",
                        label,
                        "label values are at most 63 letters, digits, '-', '_' or '.', starting and "
                        "ending with a letter or digit; quote numbers and booleans",
                    )
                )
        if issues:
            raise CrossFieldError(issues)
        return value

    @model_validator(mode="after")
    def _check(self) -> NodeGroupSettings:
        issues: list[ConfigIssue] = []
        if self.min_size > self.max_size:
            issues.append(
                ConfigIssue(
                    "min_size",
                    self.min_size,
                    f"must not exceed max_size ({self.max_size}); lower min_size or raise max_size",
                )
            )
        desired = self.desired_size
        if desired is not None and not self.min_size <= desired <= self.max_size:
            issues.append(
                ConfigIssue(
                    "desired_size",
                    desired,
                    f"must be between min_size ({self.min_size}) and max_size ({self.max_size})",
                )
            )
        if len(self.taints) > 50:
            issues.append(ConfigIssue("taints", len(self.taints), "EKS accepts at most 50 taints per group"))
        seen: set[tuple[str, str]] = set()
        for index, taint in enumerate(self.taints):
            if (taint.key, taint.effect) in seen:
                issues.append(
                    ConfigIssue(
                        f"taints[{index}]",
                        taint.key,
                        f"a taint with this key and effect {taint.effect} is already listed; remove one",
                    )
                )
            seen.add((taint.key, taint.effect))
        if issues:
            raise CrossFieldError(issues)
        return self

    @property
    def initial_size(self) -> int:
        """The desired size at creation."""
        return self.min_size if self.desired_size is None else self.desired_size


def default_node_groups() -> list[NodeGroupSettings]:
    """The default groups (``shared/seeds``): ``system`` for cluster services, ``apps`` for workloads."""
    return [
        # Cluster services (CoreDNS, the EBS CSI controller, operators). CriticalAddonsOnly is the
        # taint the EKS add-ons already tolerate, so they land here without extra configuration.
        NodeGroupSettings(
            name="system",
            instance_types=["c5.2xlarge"],
            min_size=3,
            max_size=6,
            desired_size=3,
            labels={"workload": "system"},
            taints=[Taint(key="CriticalAddonsOnly", value="true", effect="NO_SCHEDULE")],
        ),
        NodeGroupSettings(
            name="apps",
            instance_types=["c5.4xlarge"],
            min_size=6,
            max_size=50,
            desired_size=6,
            labels={"workload": "application"},
        ),
    ]


def default_spot_node_group() -> NodeGroupSettings:
    """The optional batch group on SPOT capacity (``spot_node_group: true``); pods need to tolerate
    ``spot=true:NoSchedule``."""
    return NodeGroupSettings(
        name="spot",
        instance_types=["t3.large", "t3a.large"],
        capacity_type="SPOT",
        min_size=0,
        max_size=20,
        desired_size=5,
        labels={"workload": "batch"},
        taints=[Taint(key="spot", value="true", effect="NO_SCHEDULE")],
    )


class AddonVersions(SettingsModel):
    """Pinned versions of the managed add-ons; unset means the default version AWS picks for the
    cluster's Kubernetes version when the add-on is created."""

    vpc_cni: str | None = None
    """``vpc-cni`` version, e.g. ``v1.19.2-eksbuild.1``."""
    kube_proxy: str | None = None
    """``kube-proxy`` version, e.g. ``v1.32.0-eksbuild.2``."""
    coredns: str | None = None
    """``coredns`` version, e.g. ``v1.11.4-eksbuild.2``."""
    aws_ebs_csi_driver: str | None = None
    """``aws-ebs-csi-driver`` version, e.g. ``v1.38.1-eksbuild.1``."""

    @field_validator("vpc_cni", "kube_proxy", "coredns", "aws_ebs_csi_driver")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and not _ADDON_VERSION.match(value):
            raise ValueError(
                "write an EKS add-on version like 'v1.19.2-eksbuild.1' "
                "(see `aws eks describe-addon-versions`), or leave it unset for AWS's default"
            )
        return value

    def for_addon(self, addon: str) -> str | None:
        return {
            "vpc-cni": self.vpc_cni,
            "kube-proxy": self.kube_proxy,
            "coredns": self.coredns,
            "aws-ebs-csi-driver": self.aws_ebs_csi_driver,
        }[addon]


class EksClusterSettings(SettingsModel):
    """The EKS cluster: version, endpoint access, logging, access, node groups, add-ons, protection."""

    kubernetes_version: str
    """The Kubernetes minor version, pinned and quoted (e.g. ``"1.32"``); there is no "latest"."""
    cluster_name: str | None = None
    """The EKS cluster name (default ``<component name>-<stack>``); changing it replaces the cluster."""
    endpoint_public_access: bool = False
    """Open the API server endpoint to the internet (then ``public_access_cidrs`` is required).
    The private endpoint is always on."""
    public_access_cidrs: list[str] = Field(default_factory=list)
    """IPv4 CIDRs allowed to reach the public endpoint (office, VPN); never ``0.0.0.0/0``."""
    log_types: list[LogType] = Field(default_factory=lambda: list(DEFAULT_LOG_TYPES))
    """Control-plane log types sent to CloudWatch: any of api, audit, authenticator,
    controllerManager, scheduler (empty turns control-plane logging off)."""
    log_retention_days: int = 90
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
    """Pinned managed add-on versions (unset: AWS's default for the Kubernetes version)."""
    deletion_protection: bool = True
    """EKS deletion protection, plus Pulumi ``protect`` and ``retain_on_delete`` on the cluster and
    its KMS keys. Dev stacks set it false to allow teardown."""

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version_type(cls, value: Any) -> Any:
        if isinstance(value, float | int) and not isinstance(value, bool):
            raise ValueError(
                f'quote the version (e.g. "1.{str(value).partition(".")[2] or "32"}"): YAML reads an '
                "unquoted 1.30 as the number 1.3"
            )
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = _VERSION.match(value)
        if not match:
            raise ValueError(
                "pin a Kubernetes minor version such as '1.32' (no 'latest', no 'v' prefix, no patch)"
            )
        if int(match.group(1)) < MIN_KUBERNETES_MINOR:
            raise ValueError(f"is past EKS standard support; use 1.{MIN_KUBERNETES_MINOR} or later")
        return value

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name(cls, value: str | None) -> str | None:
        if value is not None and not _CLUSTER_NAME.match(value):
            raise ValueError(
                "EKS cluster names are 1-100 letters, digits, '-' and '_', starting with a letter or digit"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            nearest = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - value))
            raise ValueError(f"CloudWatch does not accept this retention; use e.g. {nearest}")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        issues: list[ConfigIssue] = []
        for index, cidr in enumerate(value):
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                issues.append(
                    ConfigIssue(f"[{index}]", cidr, "not an IPv4 CIDR; write e.g. '203.0.113.0/24'")
                )
                continue
            if network.prefixlen == 0:
                issues.append(
                    ConfigIssue(
                        f"[{index}]",
                        cidr,
                        "opens the API endpoint to the whole internet; list your office/VPN ranges",
                    )
                )
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
        if self.endpoint_public_access and not self.public_access_cidrs:
            issues.append(
                ConfigIssue(
                    "public_access_cidrs",
                    [],
                    "is required when endpoint_public_access is true; list the office/VPN CIDRs that may "
                    "reach the API (never 0.0.0.0/0), or keep the endpoint private",
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

    @property
    def all_node_groups(self) -> list[NodeGroupSettings]:
        """``node_groups`` plus the default spot group when ``spot_node_group`` is on."""
        return [*self.node_groups, *([default_spot_node_group()] if self.spot_node_group else [])]


@dataclass(frozen=True)
class EksClusterArgs:
    """Settings, tags and the network wiring of the cluster."""

    settings: EksClusterSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child (and, through pulumi-eks, to its own)."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cluster."""
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets (at least two AZs) for the control-plane ENIs and every node group."""
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Public subnets for internet-facing load balancers. Never given to the control plane or the
    nodes; kept as the ``public_subnet_ids`` attribute for load-balancer wiring."""
    secrets_kms_key_arn: pulumi.Input[str] | None = None
    """A KMS key for envelope encryption of Kubernetes secrets; one (with rotation) is created
    when omitted."""


def _cluster_name(name: str, settings: EksClusterSettings) -> str:
    return settings.cluster_name or f"{name}-{pulumi.get_stack()}"


def _check_args(name: str, args: EksClusterArgs) -> tuple[dict[str, str], str]:
    """Every problem with the wiring, before anything is registered."""
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, EksClusterSettings):
        issues.append(
            ConfigIssue("args.settings", type(args.settings).__name__, "must be EksClusterSettings")
        )
        raise InvalidConfigError(issues, subject="EksClusterArgs")
    cluster_name = _cluster_name(name, args.settings)
    if not _CLUSTER_NAME.match(cluster_name):
        issues.append(
            ConfigIssue(
                "settings.cluster_name",
                cluster_name,
                "the derived cluster name is not a valid EKS name (1-100 letters, digits, '-', '_'); "
                "set cluster_name",
            )
        )
    if isinstance(args.vpc_id, str) and not _VPC_ID.match(args.vpc_id):
        issues.append(ConfigIssue("args.vpc_id", args.vpc_id, "not a VPC id; pass e.g. network.vpc_id"))
    subnets = args.private_subnet_ids
    if isinstance(subnets, list | tuple):
        plain = [s for s in subnets if isinstance(s, str)]
        if len(subnets) < 2:
            issues.append(
                ConfigIssue(
                    "args.private_subnet_ids",
                    list(subnets),
                    "EKS needs subnets in at least two availability zones; pass two or more",
                )
            )
        bad = [s for s in plain if not _SUBNET_ID.match(s)]
        if bad:
            issues.append(ConfigIssue("args.private_subnet_ids", bad, "not subnet ids (subnet-...)"))
    if isinstance(args.secrets_kms_key_arn, str) and not _KMS_KEY_ARN.match(args.secrets_kms_key_arn):
        issues.append(
            ConfigIssue(
                "args.secrets_kms_key_arn",
                args.secrets_kms_key_arn,
                "not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); omit it to create a key",
            )
        )
    try:
        tags = validate_tags(args.tags, path="args.tags")
    except InvalidConfigError as error:
        issues.extend(error.issues)
        tags = {}
    if issues:
        raise InvalidConfigError(issues, subject="EksClusterArgs")
    return tags, cluster_name


# --------------------------------------------------------------------------- documents


def _root_statement(account: str, partition: str) -> dict[str, Any]:
    return kms_account_admin_statement(account, partition, "AccountAdministration")


def secrets_key_policy(account: str, partition: str) -> str:
    """Key policy of the secrets key: the account administers it; EKS uses it through the cluster role."""
    return policy_json([_root_statement(account, partition)])


def logs_key_policy(account: str, partition: str, region: str, dns_suffix: str, log_group_arn: str) -> str:
    """Key policy of the log-group key: CloudWatch Logs may use it for this one log group only."""
    return policy_json(
        [
            _root_statement(account, partition),
            kms_logs_statement(
                "CloudWatchLogsForTheClusterLogGroup", f"logs.{region}.{dns_suffix}", log_group_arn
            ),
        ]
    )


def ebs_key_policy(account: str, partition: str, region: str, dns_suffix: str) -> str:
    """Key policy of the EBS key: principals of this account may use it through EC2 only (the pattern of
    the ``aws/ebs`` key), which covers the Auto Scaling service-linked role that launches the nodes
    without naming it (a key policy naming a role that does not exist yet is refused)."""
    return policy_json(
        [
            _root_statement(account, partition),
            {
                "Sid": "EbsThroughEc2ForThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account,
                        "kms:ViaService": f"ec2.{region}.{dns_suffix}",
                    }
                },
            },
        ]
    )


def cluster_role_trust_policy() -> str:
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    )


def cluster_encryption_policy(key_arn: str) -> str:
    """What the cluster role needs on the secrets key (as terraform-aws-eks grants it)."""
    return policy_json(
        [
            {
                "Sid": "EnvelopeEncryptionOfSecrets",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": key_arn,
            }
        ]
    )


def ebs_csi_kms_policy(key_arn: str) -> str:
    """What the EBS CSI controller needs to create and attach volumes encrypted with ``key_arn``."""
    return policy_json(
        [
            {
                "Sid": "GrantsForAttachedVolumes",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Sid": "UseOfTheVolumeKey",
                "Effect": "Allow",
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": key_arn,
            },
        ]
    )


def node_trust_policy(dns_suffix: str) -> str:
    return policy_json(
        [{"Effect": "Allow", "Principal": {"Service": f"ec2.{dns_suffix}"}, "Action": "sts:AssumeRole"}]
    )


def disable_cluster_creator_admin(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Transform for the pulumi-eks component: create its ``aws.eks.Cluster`` without the implicit
    cluster-creator admin access entry.

    pulumi-eks hard-codes ``accessConfig.bootstrapClusterCreatorAdminPermissions: true`` whenever an
    authentication mode is set, and offers no input to turn it off (pulumi/pulumi-eks#2373). Engine-side
    transforms reach the children of multi-language components, so this sets it to false at creation
    (pulumi-eks ignores later changes to the field, and EKS only reads it at creation). Admin access
    comes from the explicit access entries instead.
    """
    if args.type_ != "aws:eks/cluster:Cluster":
        return None
    props = dict(args.props)
    key = "accessConfig" if "accessConfig" in props or "access_config" not in props else "access_config"
    current = props.get(key)
    access: dict[str, Any] = dict(current) if isinstance(current, Mapping) else {}
    mode = access.pop("authentication_mode", None)
    access["authenticationMode"] = access.get("authenticationMode") or mode or "API"
    access.pop("bootstrap_cluster_creator_admin_permissions", None)
    access["bootstrapClusterCreatorAdminPermissions"] = False
    props[key] = access
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


def _protect_transform(protect: bool) -> Any:
    """Transform giving the hidden ``aws.eks.Cluster`` the component's protection explicitly."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "aws:eks/cluster:Cluster":
            return None
        opts = pulumi.ResourceOptions.merge(
            args.opts, pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)
        )
        return pulumi.ResourceTransformResult(props=args.props, opts=opts)

    return transform


def _kubeconfig_field(kubeconfig: Any, field: str, fallback: str) -> str:
    """The API server URL (``server``) or the cluster name (``cluster-name``) from a pulumi-eks kubeconfig."""
    config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    try:
        if field == "server":
            return str(config["clusters"][0]["cluster"]["server"])
        exec_args = list(config["users"][0]["user"]["exec"]["args"])
        return str(exec_args[exec_args.index("--cluster-name") + 1])
    except (KeyError, IndexError, TypeError, ValueError):
        return fallback


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:8]


# --------------------------------------------------------------------------- the component


class EksCluster(pulumi.ComponentResource):
    """A production EKS cluster for data workloads (see the module docstring)."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster name (resolves once the cluster exists)."""
    endpoint: pulumi.Output[str]
    """The API server URL."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig JSON (``aws eks get-token`` auth), a secret."""
    oidc_provider_arn: pulumi.Output[str]
    """The IAM OIDC provider of the cluster (IRSA's federated principal)."""
    oidc_provider_url: pulumi.Output[str]
    """The OIDC issuer URL, ``https://oidc.eks.<region>.amazonaws.com/id/<id>``."""
    oidc_issuer: pulumi.Output[str]
    """The issuer without ``https://`` (the prefix of IRSA condition keys)."""
    node_security_group_id: pulumi.Output[str]
    """The security group of every node (allow database/service ingress from it)."""
    cluster_security_group_id: pulumi.Output[str]
    """The control plane's security group."""
    node_role_arns: dict[str, pulumi.Output[str]]
    """Node group name -> its node IAM role ARN."""
    node_group_names: dict[str, pulumi.Output[str]]
    """Node group name -> the EKS node group's physical name."""
    secrets_kms_key_arn: pulumi.Output[str]
    """The key envelope-encrypting Kubernetes secrets."""
    ebs_kms_key_arn: pulumi.Output[str]
    """The key of the nodes' root volumes (use it for EBS CSI StorageClasses too)."""
    log_group_name: pulumi.Output[str] | None
    """The control-plane log group (None with logging off)."""
    ebs_csi_role_arn: pulumi.Output[str]
    """The IRSA role of the EBS CSI controller."""
    public_subnet_ids: pulumi.Output[Any] | None
    """The public subnets passed in (for internet-facing load balancers), if any."""
    provider: k8s.Provider
    """A Kubernetes provider for the cluster; it waits for the node groups, CoreDNS and the admin
    access entries."""
    cluster: eks.Cluster
    """The pulumi-eks component (its children are not visible to policies)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags, cluster_name = _check_args(name, args)
        settings = args.settings
        super().__init__("dataplatform:compute:EksCluster", name, None, opts)
        self._name = name
        self._tags = tags
        protect = settings.deletion_protection
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        if not settings.admin_principal_arns:
            pulumi.log.warn(
                f"EksCluster {name}: admin_principal_arns is empty, so nobody (not even the principal "
                "running pulumi up) can use the Kubernetes API; list the deploying role to manage "
                "workloads through the exposed provider",
                resource=self,
            )

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition_info = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        account = identity.account_id
        partition = partition_info.partition
        dns_suffix = partition_info.dns_suffix

        def managed_policy(policy: str) -> pulumi.Output[str]:
            return pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy)

        # ---- keys
        if args.secrets_kms_key_arn is not None:
            self.secrets_kms_key_arn = pulumi.Output.from_input(args.secrets_kms_key_arn)
        else:
            secrets_key = aws.kms.Key(
                f"{name}-secrets-key",
                description=f"EKS {cluster_name}: envelope encryption of Kubernetes secrets",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                policy=pulumi.Output.all(account, partition).apply(lambda v: secrets_key_policy(v[0], v[1])),
                tags=tags,
                opts=protected,
            )
            self.secrets_kms_key_arn = secrets_key.arn
        ebs_key = aws.kms.Key(
            f"{name}-ebs-key",
            description=f"EKS {cluster_name}: node root volumes and EBS CSI volumes",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            policy=pulumi.Output.all(account, partition, region, dns_suffix).apply(
                lambda v: ebs_key_policy(v[0], v[1], v[2], v[3])
            ),
            tags=tags,
            opts=protected,
        )
        self.ebs_kms_key_arn = ebs_key.arn

        # ---- control-plane logs: the group exists (encrypted, with retention) before EKS writes to it
        before_cluster: list[pulumi.Resource] = []
        self.log_group_name = None
        if settings.log_types:
            log_group_name = f"/aws/eks/{cluster_name}/cluster"
            log_group_arn = pulumi.Output.all(partition, region, account).apply(
                lambda v: f"arn:{v[0]}:logs:{v[1]}:{v[2]}:log-group:{log_group_name}"
            )
            logs_key = aws.kms.Key(
                f"{name}-logs-key",
                description=f"EKS {cluster_name}: control-plane log group",
                enable_key_rotation=True,
                deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
                policy=pulumi.Output.all(account, partition, region, dns_suffix, log_group_arn).apply(
                    lambda v: logs_key_policy(v[0], v[1], v[2], v[3], v[4])
                ),
                tags=tags,
                opts=protected,
            )
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-cluster-logs",
                name=log_group_name,
                retention_in_days=settings.log_retention_days,
                kms_key_id=logs_key.arn,
                tags=tags,
                opts=child,
            )
            before_cluster.append(log_group)
            self.log_group_name = log_group.name

        # ---- the cluster's IAM role (native, so policies see it and it can use the secrets key)
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=cluster_role_trust_policy(),
            description=f"EKS {cluster_name}: control plane service role",
            tags=tags,
            opts=child,
        )
        before_cluster.append(
            aws.iam.RolePolicyAttachment(
                f"{name}-cluster-role-policy",
                role=cluster_role.name,
                policy_arn=managed_policy(CLUSTER_POLICY),
                opts=child,
            )
        )
        before_cluster.append(
            aws.iam.RolePolicy(
                f"{name}-cluster-encryption",
                role=cluster_role.id,
                policy=self.secrets_kms_key_arn.apply(cluster_encryption_policy),
                opts=child,
            )
        )

        # ---- the control plane (pulumi-eks). Add-ons, node groups and the OIDC provider are made
        # natively below, so pulumi-eks is told to make none of them: no default node group, no
        # instance role, no OIDC provider, no kube-proxy/CoreDNS add-ons, no VPC CNI add-on
        # (use_default_vpc_cni), and no self-managed add-ons at creation
        # (bootstrap_self_managed_addons=False): every add-on has exactly one owner.
        public = settings.endpoint_public_access
        self.cluster = eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=settings.kubernetes_version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=list(settings.public_access_cidrs) if public else None,
            authentication_mode=eks.AuthenticationMode.API,
            encryption_config_key_arn=self.secrets_kms_key_arn,
            enabled_cluster_log_types=list(settings.log_types) or None,
            service_role=cluster_role,
            skip_default_node_group=True,
            create_instance_role=False,
            create_oidc_provider=False,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            deletion_protection=settings.deletion_protection,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                retain_on_delete=protect,
                depends_on=before_cluster,
                transforms=[disable_cluster_creator_admin, _protect_transform(protect)],
            ),
        )
        cluster = self.cluster
        self.cluster_name = pulumi.Output.unsecret(
            cluster.kubeconfig.apply(lambda kc: _kubeconfig_field(kc, "cluster-name", cluster_name))
        )
        self.endpoint = pulumi.Output.unsecret(
            cluster.kubeconfig.apply(lambda kc: _kubeconfig_field(kc, "server", ""))
        )
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.oidc_provider_url = cluster.oidc_provider_url
        self.oidc_issuer = cluster.oidc_issuer
        self.node_security_group_id = cluster.node_security_group_id
        self.cluster_security_group_id = cluster.cluster_security_group_id
        self.public_subnet_ids = (
            pulumi.Output.from_input(args.public_subnet_ids) if args.public_subnet_ids is not None else None
        )

        # ---- IRSA
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=cluster.oidc_provider_url,
            client_id_lists=[STS_AUDIENCE],
            tags=tags,
            opts=child,
        )
        self.oidc_provider_arn = oidc.arn

        # ---- admin access entries (the only way into the Kubernetes API)
        access: list[pulumi.Resource] = []
        for arn in settings.admin_principal_arns:
            match = _PRINCIPAL_ARN.match(arn)
            arn_partition = match.group(1) if match else "aws"
            suffix = _short_hash(arn)
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{suffix}",
                cluster_name=self.cluster_name,
                principal_arn=arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            access.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-admin-{suffix}",
                    cluster_name=self.cluster_name,
                    principal_arn=entry.principal_arn,
                    policy_arn=f"arn:{arn_partition}:eks::aws:cluster-access-policy/{ADMIN_ACCESS_POLICY}",
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )

        # ---- add-ons nodes need before they can become Ready
        addons: dict[str, aws.eks.Addon] = {}
        for addon in ADDONS_BEFORE_NODES:
            addons[addon] = self._addon(addon, settings, None, [])

        # ---- node groups
        self.node_role_arns = {}
        self.node_group_names = {}
        node_groups: list[pulumi.Resource] = []
        for group in settings.all_node_groups:
            node_group, role = self._node_group(
                group, settings, cluster_name, args.private_subnet_ids, ebs_key.arn, managed_policy,
                dns_suffix, [addons[a] for a in ADDONS_BEFORE_NODES],
            )  # fmt: skip
            node_groups.append(node_group)
            self.node_role_arns[group.name] = role.arn
            self.node_group_names[group.name] = node_group.node_group_name

        # ---- add-ons that need nodes
        ebs_csi_role = self.irsa_role(
            "ebs-csi",
            EBS_CSI_NAMESPACE,
            EBS_CSI_SERVICE_ACCOUNT,
            policy_document=ebs_key.arn.apply(ebs_csi_kms_policy),
            managed_policy_arns=[managed_policy(EBS_CSI_POLICY)],
        )
        self.ebs_csi_role_arn = ebs_csi_role.arn
        addons["coredns"] = self._addon("coredns", settings, None, node_groups)
        addons["aws-ebs-csi-driver"] = self._addon(
            "aws-ebs-csi-driver", settings, ebs_csi_role.arn, node_groups
        )

        # ---- the Kubernetes provider: usable once the deployer's API access exists. Only
        # what runs pods waits for nodes and DNS (workload_dependencies), so namespaces,
        # service accounts and policies are created while the node groups come up.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*access]),
        )
        self.workload_dependencies: list[pulumi.Resource] = [*node_groups, addons["coredns"]]
        """What a workload's pods need before a rollout can finish: the node groups and CoreDNS.

        Pass it to ``PipelineServiceArgs.workload_dependencies`` (or ``depends_on`` of any
        Deployment): Pulumi awaits a Deployment's rollout, which cannot finish before.
        """

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_provider_url": self.oidc_provider_url,
                "oidc_issuer": self.oidc_issuer,
                "node_security_group_id": self.node_security_group_id,
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_role_arns": self.node_role_arns,
                "node_group_names": self.node_group_names,
                "secrets_kms_key_arn": self.secrets_kms_key_arn,
                "ebs_kms_key_arn": self.ebs_kms_key_arn,
                "log_group_name": self.log_group_name,
                "ebs_csi_role_arn": self.ebs_csi_role_arn,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    # ------------------------------------------------------------------ children

    def _addon(
        self,
        addon: str,
        settings: EksClusterSettings,
        role_arn: pulumi.Input[str] | None,
        after: Sequence[pulumi.Resource],
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self.cluster_name,
            addon_name=addon,
            addon_version=settings.addon_versions.for_addon(addon),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            service_account_role_arn=role_arn,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )

    def _node_group(
        self,
        group: NodeGroupSettings,
        settings: EksClusterSettings,
        cluster_name: str,
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        volume_key_arn: pulumi.Output[str],
        managed_policy: Any,
        dns_suffix: pulumi.Output[str],
        after: Sequence[pulumi.Resource],
    ) -> tuple[aws.eks.NodeGroup, aws.iam.Role]:
        base = f"{self._name}-{group.name}"
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{base}-node-role",
            assume_role_policy=dns_suffix.apply(node_trust_policy),
            description=f"EKS {cluster_name}: nodes of group {group.name}",
            tags=self._tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{base}-node-{policy}",
                role=role.name,
                policy_arn=managed_policy(policy),
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        instance_tags = merge_tags(self._tags, {"Name": f"{cluster_name}-{group.name}"})
        template = aws.ec2.LaunchTemplate(
            f"{base}-nodes",
            description=f"EKS {cluster_name}: node group {group.name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=group.metadata_hop_limit,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE_NAME,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=group.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=volume_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            vpc_security_group_ids=[self.node_security_group_id],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=self._tags,
            opts=child,
        )
        node_group = aws.eks.NodeGroup(
            f"{base}-nodes",
            cluster_name=self.cluster_name,
            version=settings.kubernetes_version,
            node_role_arn=role.arn,
            subnet_ids=subnet_ids,
            instance_types=list(group.instance_types),
            capacity_type=group.capacity_type,
            ami_type=group.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=group.min_size,
                max_size=group.max_size,
                desired_size=group.initial_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(
                max_unavailable_percentage=group.max_unavailable_percentage
            ),
            labels=dict(group.labels) or None,
            taints=[
                aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in group.taints
            ]
            or None,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id,
                version=template.latest_version.apply(str),
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*attachments, *after],
                # The cluster autoscaler owns the desired size once the group exists.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )
        return node_group, role

    # ------------------------------------------------------------------ IRSA

    def irsa_role(
        self,
        name: str,
        namespace: str,
        service_account: str,
        policy_document: pulumi.Input[str] | None = None,
        managed_policy_arns: Sequence[pulumi.Input[str]] = (),
    ) -> aws.iam.Role:
        """An IAM role that exactly one Kubernetes service account, ``namespace:service_account``, may
        assume through the cluster's OIDC provider (``<issuer>:sub`` and ``<issuer>:aud`` pinned), with
        ``policy_document`` inline and ``managed_policy_arns`` attached. Children are named
        ``<cluster component>-<name>-irsa``."""
        issues = []
        if not _GROUP_NAME.match(name):
            issues.append(ConfigIssue("name", name, "use 1-24 lowercase letters, digits and hyphens"))
        if not _DNS_LABEL.match(namespace):
            issues.append(ConfigIssue("namespace", namespace, "not a Kubernetes namespace name"))
        if not _DNS_SUBDOMAIN.match(service_account):
            issues.append(
                ConfigIssue("service_account", service_account, "not a Kubernetes service account name")
            )
        if issues:
            raise InvalidConfigError(issues, subject="EksCluster.irsa_role")
        base = f"{self._name}-{name}-irsa"
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            base,
            assume_role_policy=irsa_trust_policy(
                self.oidc_provider_arn, self.oidc_provider_url, namespace, service_account
            ),
            description=f"IRSA: system:serviceaccount:{namespace}:{service_account}",
            tags=self._tags,
            opts=child,
        )
        if policy_document is not None:
            aws.iam.RolePolicy(base, role=role.id, policy=policy_document, opts=child)
        for index, arn in enumerate(managed_policy_arns):
            aws.iam.RolePolicyAttachment(f"{base}-{index}", role=role.name, policy_arn=arn, opts=child)
        return role
