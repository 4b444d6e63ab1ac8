"""What Karpenter node autoscaling accepts: the controller's settings and the NodePools.

Plain validation, like :mod:`.settings`: a mistake is reported with its key path and the fix
before any resource is registered. Facts that decide a rule cite their source (Karpenter's v1
CRDs and docs, aws/karpenter-provider-aws).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from .._aws_names import architecture_of_family, instance_family_problem
from .._shared import label_key_problem, label_value_problem
from .._validation import ConfigIssue, CrossFieldError, SettingsModel
from .settings_nodes import TaintKeyValue, duplicate_taint_issues

if TYPE_CHECKING:
    from .settings_nodes import NodeGroupSettings

__all__ = [
    "CONTROLLER_NODE_GROUP",
    "KARPENTER_CHART",
    "KARPENTER_CRD_CHART",
    "KARPENTER_NAMESPACE",
    "KARPENTER_SERVICE_ACCOUNT",
    "KARPENTER_VERSION",
    "NODE_CLASS_NAME",
    "POOL_LABEL",
    "RESTRICTED_LABEL_DOMAINS",
    "Architecture",
    "ConsolidationPolicy",
    "DisruptionBudget",
    "KarpenterSettings",
    "NodePoolCapacityType",
    "NodePoolLimits",
    "NodePoolSettings",
    "PoolTaint",
    "cluster_issues",
    "default_node_pools",
]

KARPENTER_VERSION = "1.14.1"
"""The chart (= controller) version pinned by default; Karpenter >= 1.13 supports Kubernetes 1.36
(aws/karpenter-provider-aws ``website/content/en/docs/upgrading/compatibility.md``)."""
KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter"
"""The controller chart (Karpenter's getting-started ``step08-apply-helm-chart.sh``)."""
KARPENTER_CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd"
"""The CRDs alone: Helm never upgrades a chart's ``crds/``, so Karpenter's upgrade guide installs
them from this chart (``website/content/en/docs/upgrading/upgrade-guide.md``)."""
KARPENTER_NAMESPACE = "kube-system"
KARPENTER_SERVICE_ACCOUNT = "karpenter"
NODE_CLASS_NAME = "default"
"""The one EC2NodeClass every NodePool refers to."""
CONTROLLER_NODE_GROUP = "system"
POOL_LABEL = "dataplatform.io/pool"
"""The node label naming a node's pool, on managed node groups and NodePools alike: the key of the
scheduling contract (:mod:`.pools`). The EKS label ``eks.amazonaws.com/nodegroup`` carries the
generated physical group name, so it cannot be written in settings."""
RESTRICTED_LABEL_DOMAINS: tuple[str, ...] = ("kubernetes.io", "k8s.io", "karpenter.sh", "karpenter.k8s.aws")
"""Label domains a NodePool template may not set (the NodePool CRD's label rules); Karpenter and the
kubelet own them."""

NodePoolCapacityType = Literal["on-demand", "spot"]
Architecture = Literal["amd64", "arm64"]
PoolTaintEffect = Literal["NoSchedule", "NoExecute", "PreferNoSchedule"]
ConsolidationPolicy = Literal["WhenEmptyOrUnderutilized", "WhenEmpty"]
DisruptionReason = Literal["Underutilized", "Empty", "Drifted"]

_POOL_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")
# Same rule as node group names (settings.GROUP_NAME_PATTERN): pools and groups share one namespace.
_FAMILY = re.compile(r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*$")
_SIZE = re.compile(r"^(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$")
_DURATION = re.compile(r"^(([0-9]+(s|m|h))+|Never)$")
"""consolidateAfter / expireAfter (NodePool CRD pattern)."""
_BUDGET_NODES = re.compile(r"^((100|[0-9]{1,2})%|[0-9]+)$")
_BUDGET_DURATION = re.compile(r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$")
_BUDGET_SCHEDULE = re.compile(
    r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))$|^(\S+\s+\S+\s+\S+\s+\S+\s+\S+)$"
)
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")
_CHART_VERSION = re.compile(r"^1\.(\d+)\.(\d+)$")
_AMI_ALIAS = re.compile(r"^al2023@(latest|v\d{8})$")
_EKS_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


def _duplicates(values: Sequence[Any]) -> list[ConfigIssue]:
    return [
        ConfigIssue(f"[{i}]", v, "listed twice; remove one")
        for i, v in enumerate(values)
        if values.index(v) != i
    ]


def _restricted(prefix: str) -> bool:
    return any(prefix == domain or prefix.endswith("." + domain) for domain in RESTRICTED_LABEL_DOMAINS)


def label_problems(labels: dict[str, str]) -> list[ConfigIssue]:
    """Bad keys and values of node labels, each at the label's own path (relative to the map)."""
    issues: list[ConfigIssue] = []
    for key, value in labels.items():
        problem = label_key_problem(key)
        if problem:
            issues.append(ConfigIssue(key, key, f"not a Kubernetes label key: {problem}"))
        elif key == POOL_LABEL:
            issues.append(ConfigIssue(key, key, "is set by the component to the pool name; remove it"))
        elif "/" in key and _restricted(key.partition("/")[0]):
            issues.append(
                ConfigIssue(
                    key,
                    key,
                    f"label domains {', '.join(RESTRICTED_LABEL_DOMAINS)} belong to Kubernetes and "
                    "Karpenter; use your own prefix (e.g. dataplatform.io/...)",
                )
            )
        problem = label_value_problem(value) if isinstance(value, str) else "must be a string"
        if problem:
            issues.append(ConfigIssue(key, value, f"not a Kubernetes label value: {problem}"))
    return issues


# --------------------------------------------------------------------------- NodePools


class PoolTaint(TaintKeyValue):
    """A taint on every node of a NodePool; pods placed there get the matching toleration from the
    cluster's placement (:meth:`EksCluster.placement`), so it is written only here."""

    effect: PoolTaintEffect
    """``NoSchedule``, ``NoExecute`` or ``PreferNoSchedule`` (the Kubernetes spelling, as in a
    NodePool)."""

    @field_validator("effect", mode="before")
    @classmethod
    def _effect(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in _EKS_EFFECTS.values():
            spelled = _EKS_EFFECTS.get(value.upper())
            hint = f"did you mean '{spelled}'? NodePools use the Kubernetes spelling; " if spelled else ""
            raise ValueError(
                f"unknown taint effect; {hint}use one of NoSchedule, NoExecute, PreferNoSchedule"
            )
        return value


class NodePoolLimits(SettingsModel):
    """The most a NodePool may provision in total; Karpenter stops launching nodes beyond it."""

    cpu: str
    """Total vCPUs, a Kubernetes quantity (e.g. ``"200"``)."""
    memory: str
    """Total memory, a Kubernetes quantity (e.g. ``"800Gi"``)."""

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _QUANTITY.match(value):
            raise ValueError("not a Kubernetes quantity; write e.g. '200' (cpu) or '800Gi' (memory)")
        return value


class DisruptionBudget(SettingsModel):
    """How many nodes Karpenter may disrupt at once (optionally during a schedule only)."""

    nodes: str = "10%"
    """A node count (``"2"``) or a percentage of the pool (``"10%"``); ``"0"`` blocks disruption."""
    schedule: str | None = None
    """When the budget applies: a cron expression (UTC) or ``@daily``, ``@weekly``...; needs
    ``duration``."""
    duration: str | None = None
    """How long the budget applies from each ``schedule`` start, e.g. ``"8h"`` or ``"1h30m"``."""
    reasons: list[DisruptionReason] | None = None
    """The disruption reasons the budget limits (``Underutilized``, ``Empty``, ``Drifted``); all
    when unset."""

    @field_validator("nodes", mode="before")
    @classmethod
    def _nodes(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _BUDGET_NODES.match(value):
            raise ValueError("write a node count ('2') or a percentage ('10%')")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None and not _BUDGET_SCHEDULE.match(value):
            raise ValueError("write a 5-field cron expression ('0 9 * * mon-fri') or @daily/@weekly/...")
        return value

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and not _BUDGET_DURATION.match(value):
            raise ValueError("write hours and minutes, e.g. '8h', '30m' or '1h30m'")
        return value

    @model_validator(mode="after")
    def _together(self) -> DisruptionBudget:
        # The NodePool CRD's rule: "'schedule' must be set with 'duration'".
        if (self.schedule is None) != (self.duration is None):
            missing = "duration" if self.duration is None else "schedule"
            raise CrossFieldError(
                [ConfigIssue(missing, None, "schedule and duration go together; set both or neither")]
            )
        return self


def _on_demand() -> list[NodePoolCapacityType]:
    return ["on-demand"]


def _amd64() -> list[Architecture]:
    return ["amd64"]


class NodePoolSettings(SettingsModel):
    """One Karpenter NodePool: what capacity it may launch, its taints, limits and disruption."""

    name: str
    """The pool name: 1-24 lowercase letters, digits and hyphens; unique among NodePools and managed
    node groups (services name it as their ``pool``)."""
    capacity_types: list[NodePoolCapacityType] = Field(default_factory=_on_demand, min_length=1)
    """``on-demand`` and/or ``spot`` (with both, Karpenter prefers spot and falls back to on-demand)."""
    instance_families: list[str] = Field(min_length=1)
    """EC2 instance families, e.g. ``[c6i, m6i, r6i]``; spot pools need at least two so an
    interruption can be replaced from another capacity pool."""
    instance_sizes: list[str] = Field(default_factory=list)
    """Allowed sizes (``large``, ``xlarge``, ``2xlarge``...); empty allows every size of the families."""
    architectures: list[Architecture] = Field(default_factory=_amd64, min_length=1)
    """CPU architectures: ``amd64`` and/or ``arm64`` (match the families: ``m7g`` is arm64)."""
    taints: list[PoolTaint] = Field(default_factory=list)
    """Taints on every node of the pool; only pods placed on the pool tolerate them."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra node labels (``dataplatform.io/pool: <name>`` is always set)."""
    limits: NodePoolLimits
    """The pool's total vCPU and memory ceiling."""
    consolidation_policy: ConsolidationPolicy = "WhenEmptyOrUnderutilized"
    """``WhenEmptyOrUnderutilized`` (repack pods onto fewer/cheaper nodes) or ``WhenEmpty`` (only
    remove empty nodes: running batch pods are never moved)."""
    consolidate_after: str = "1m"
    """How long a node stays empty/underutilized before consolidation (e.g. ``30s``, ``5m``, ``Never``)."""
    expire_after: str = "720h"
    """Node lifetime before replacement (``720h`` = 30 days, or ``Never``): picks up new AMIs."""
    budgets: list[DisruptionBudget] = Field(default_factory=lambda: [DisruptionBudget()])
    """Disruption budgets (default: at most 10% of the nodes at once)."""
    weight: int | None = Field(default=None, ge=1, le=100)
    """Priority among pools a pod could use (higher first); unset is lowest."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _POOL_NAME.match(value):
            raise ValueError(
                "use 1-24 lowercase letters, digits and hyphens, not starting or ending with a hyphen"
            )
        return value

    @field_validator("capacity_types", "architectures")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        issues = _duplicates(value)
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("instance_families")
    @classmethod
    def _families(cls, value: list[str]) -> list[str]:
        issues = [
            ConfigIssue(f"[{i}]", family, "not an EC2 instance family; write e.g. 'm6i' (no size)")
            if not _FAMILY.match(family)
            else ConfigIssue(f"[{i}]", family, problem)
            for i, family in enumerate(value)
            if (problem := instance_family_problem(family)) is not None
        ]
        issues += _duplicates(value)
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("instance_sizes")
    @classmethod
    def _sizes(cls, value: list[str]) -> list[str]:
        issues = [
            ConfigIssue(f"[{i}]", size, "not an EC2 instance size; write e.g. 'xlarge' or '2xlarge'")
            for i, size in enumerate(value)
            if not _SIZE.match(size)
        ]
        issues += _duplicates(value)
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        issues = label_problems(value)
        if issues:
            raise CrossFieldError(issues)
        return value

    @field_validator("consolidate_after", "expire_after")
    @classmethod
    def _durations(cls, value: str) -> str:
        if not _DURATION.match(value):
            raise ValueError("write a duration in s/m/h (e.g. '30s', '5m', '720h') or 'Never'")
        return value

    @model_validator(mode="after")
    def _check(self) -> NodePoolSettings:
        issues: list[ConfigIssue] = []
        if "spot" in self.capacity_types and len(self.instance_families) < 2:
            issues.append(
                ConfigIssue(
                    "instance_families",
                    self.instance_families,
                    "a spot pool needs at least two instance families, so interrupted capacity can be "
                    "replaced from another spot pool; add e.g. 'm6i' and 'c6i'",
                )
            )
        issues += duplicate_taint_issues(self.taints)
        # Karpenter intersects the requirements: a family of an architecture the pool does not
        # allow matches no instance type, and the pool silently never launches it.
        for index, family in enumerate(self.instance_families):
            arch = architecture_of_family(family)
            if arch not in self.architectures:
                issues.append(
                    ConfigIssue(
                        f"instance_families[{index}]",
                        family,
                        f"is an {arch} family but the pool's architectures are {list(self.architectures)}; "
                        f"add {arch} to architectures or choose {'/'.join(self.architectures)} families",
                    )
                )
        if issues:
            raise CrossFieldError(issues)
        return self


def default_node_pools() -> list[NodePoolSettings]:
    """``apps`` (on demand) for services and ``batch`` (spot, tainted) for jobs that can be retried."""
    sizes = ["large", "xlarge", "2xlarge", "4xlarge"]
    return [
        NodePoolSettings(
            name="apps",
            capacity_types=["on-demand"],
            instance_families=["c6i", "m6i", "r6i", "c7i", "m7i"],
            instance_sizes=sizes,
            limits=NodePoolLimits(cpu="200", memory="800Gi"),
        ),
        NodePoolSettings(
            name="batch",
            capacity_types=["spot"],
            instance_families=["c6i", "c7i", "m6i", "m7i", "c5", "m5"],
            instance_sizes=sizes,
            taints=[PoolTaint(key="dataplatform.io/spot", value="true", effect="NoSchedule")],
            limits=NodePoolLimits(cpu="100", memory="400Gi"),
            # Jobs are not restartable mid-way for free: only empty nodes are removed.
            consolidation_policy="WhenEmpty",
        ),
    ]


# --------------------------------------------------------------------------- the controller


class KarpenterSettings(SettingsModel):
    """Karpenter: the controller (Helm chart on a managed node group) and the NodePools it scales."""

    version: str = KARPENTER_VERSION
    """The Karpenter chart version, pinned (e.g. ``"1.14.1"``); it also versions the CRDs."""
    replicas: int = Field(default=2, ge=1, le=5)
    """Controller replicas (leader election); each needs its own node of ``controller_node_group``."""
    controller_node_group: str = CONTROLLER_NODE_GROUP
    """The managed node group the controller runs on (never a node Karpenter itself manages)."""
    controller_cpu: str = "1"
    """CPU request (= limit) of each controller pod (Karpenter's docs use 1)."""
    controller_memory: str = "1Gi"
    """Memory request (= limit) of each controller pod (Karpenter's docs use 1Gi)."""
    ami_alias: str = "al2023@latest"
    """The EKS-optimized AL2023 AMI: ``al2023@latest``, or pinned ``al2023@v20250101`` (pin in prod:
    ``latest`` rolls every node when AWS publishes an AMI)."""
    root_volume_gib: int = Field(default=50, ge=20, le=16384)
    """Size of each node's encrypted gp3 root volume, in GiB."""
    node_pools: list[NodePoolSettings] = Field(default_factory=default_node_pools, min_length=1)
    """The NodePools (default: ``apps`` on demand, ``batch`` on spot tainted
    ``dataplatform.io/spot=true:NoSchedule``)."""

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _CHART_VERSION.match(value):
            raise ValueError(
                "pin a Karpenter 1.x chart version such as '1.14.1' (quoted; no 'v', no 'latest')"
            )
        return value

    @field_validator("controller_cpu", "controller_memory", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _QUANTITY.match(value):
            raise ValueError("not a Kubernetes quantity; write e.g. '1' or '500m' (cpu), '1Gi' (memory)")
        return value

    @field_validator("ami_alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        if not _AMI_ALIAS.match(value):
            raise ValueError(
                "write an AL2023 alias: 'al2023@latest' or a release such as 'al2023@v20250101' "
                "(other AMI families are not supported by this component)"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> KarpenterSettings:
        names = [pool.name for pool in self.node_pools]
        issues = [
            ConfigIssue(f"node_pools[{i}].name", name, "pool names must be unique; rename one")
            for i, name in enumerate(names)
            if names.index(name) != i
        ]
        if issues:
            raise CrossFieldError(issues)
        return self

    def pool(self, name: str) -> NodePoolSettings:
        """The NodePool named ``name`` (KeyError when there is none)."""
        for pool in self.node_pools:
            if pool.name == name:
                return pool
        raise KeyError(name)


def cluster_issues(
    karpenter: KarpenterSettings, node_groups: Sequence[NodeGroupSettings]
) -> list[ConfigIssue]:
    """What is wrong with Karpenter next to the cluster's managed node groups (paths from the cluster
    settings): pool names clashing with groups, the controller's group, its room for the replicas."""
    issues: list[ConfigIssue] = []
    groups = {group.name: group for group in node_groups}
    for index, pool in enumerate(karpenter.node_pools):
        if pool.name in groups:
            issues.append(
                ConfigIssue(
                    f"karpenter.node_pools[{index}].name",
                    pool.name,
                    "a managed node group has this name; pools and groups share one namespace (services "
                    "name them as their pool): rename the NodePool or the group",
                )
            )
    for index, group in enumerate(node_groups):
        if POOL_LABEL in group.labels:
            issues.append(
                ConfigIssue(
                    f"node_groups[{index}].labels.{POOL_LABEL}",
                    group.labels[POOL_LABEL],
                    "is set by the component to the group name; remove it",
                )
            )
    controller = groups.get(karpenter.controller_node_group)
    if controller is None:
        issues.append(
            ConfigIssue(
                "karpenter.controller_node_group",
                karpenter.controller_node_group,
                "is not a managed node group; Karpenter must run on nodes it does not manage: name one of "
                f"{', '.join(groups) or '(none: add a node group)'}",
            )
        )
    elif karpenter.replicas > controller.initial_size:
        issues.append(
            ConfigIssue(
                "karpenter.replicas",
                karpenter.replicas,
                f"each replica needs its own node (hostname anti-affinity), and group '{controller.name}' "
                f"starts with {controller.initial_size}; lower replicas or raise that group's min_size",
            )
        )
    return issues
