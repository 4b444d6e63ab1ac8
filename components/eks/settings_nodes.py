"""Managed node groups: their settings, taints and the default groups (EKS API spelling)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .._aws_names import architecture_of_family, instance_type_problem
from .._shared import label_key_problem, label_value_problem
from .._validation import ConfigIssue, CrossFieldError, SettingsModel

__all__ = [
    "CAPACITY_TYPES",
    "GROUP_NAME_PATTERN",
    "MAX_INSTANCE_TYPES",
    "MAX_TAINTS",
    "TAINT_EFFECTS",
    "AmiType",
    "CapacityType",
    "NodeGroupSettings",
    "Taint",
    "TaintEffect",
    "TaintKeyValue",
    "default_node_groups",
    "default_spot_node_group",
    "duplicate_taint_issues",
]

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
MAX_INSTANCE_TYPES = 20
"""EKS accepts at most 20 instance types per managed node group."""
MAX_TAINTS = 50
"""EKS accepts at most 50 taints per managed node group."""
GROUP_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$")
"""A node group or IRSA role name: 1-24 lowercase letters, digits and hyphens (part of resource names)."""
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


def _close(value: str, choices: Sequence[str]) -> str:
    """A 'did you mean' hint for a near miss of ``choices`` (case, '-' vs '_', Kubernetes spelling)."""
    folded = re.sub(r"[^a-z]", "", value.lower())
    for choice in choices:
        if re.sub(r"[^a-z]", "", choice.lower()) == folded:
            return f"did you mean '{choice}'? "
    return ""


# --------------------------------------------------------------------------- node groups


class TaintKeyValue(SettingsModel):
    """The key and value of a taint, as Kubernetes checks them (node groups and NodePools share
    them; they spell the effect differently)."""

    key: str
    """The taint key, e.g. ``CriticalAddonsOnly`` or ``dataplatform.io/spot``."""
    value: str | None = None
    """The taint value (optional, at most 63 characters)."""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        problem = label_key_problem(value)
        if problem:
            raise ValueError(f"not a Kubernetes taint key: {problem}")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        problem = None if value is None else label_value_problem(value)
        if problem:
            raise ValueError(f"not a Kubernetes taint value: {problem}")
        return value


def duplicate_taint_issues(taints: Sequence[TaintKeyValue]) -> list[ConfigIssue]:
    """A taint key listed twice with one effect (paths ``taints[i]``): the API refuses the pool."""
    issues: list[ConfigIssue] = []
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(taints):
        effect = str(getattr(taint, "effect", ""))
        if (taint.key, effect) in seen:
            issues.append(
                ConfigIssue(
                    f"taints[{index}]",
                    taint.key,
                    f"a taint with this key and effect {effect} is already listed; remove one",
                )
            )
        seen.add((taint.key, effect))
    return issues


class Taint(TaintKeyValue):
    """A Kubernetes taint on every node of a group; pods need a matching toleration."""

    effect: TaintEffect
    """``NO_SCHEDULE``, ``NO_EXECUTE`` or ``PREFER_NO_SCHEDULE`` (the EKS API spelling of Kubernetes'
    NoSchedule, NoExecute and PreferNoSchedule)."""

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
        if not GROUP_NAME_PATTERN.match(value):
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
            if not _INSTANCE_TYPE.match(t)
            else ConfigIssue(f"[{i}]", t, problem)
            for i, t in enumerate(value)
            if (problem := instance_type_problem(t)) is not None
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
        # One issue per bad key or value, each at the label's own path.
        issues: list[ConfigIssue] = []
        for key, label in value.items():
            key_problem = label_key_problem(key)
            if key_problem:
                issues.append(ConfigIssue(key, key, f"not a Kubernetes label key: {key_problem}"))
            value_problem = label_value_problem(label)
            if value_problem:
                issues.append(ConfigIssue(key, label, f"not a Kubernetes label value: {value_problem}"))
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
        if len(self.taints) > MAX_TAINTS:
            issues.append(
                ConfigIssue("taints", len(self.taints), f"EKS accepts at most {MAX_TAINTS} taints per group")
            )
        issues += duplicate_taint_issues(self.taints)
        # An arm64 type on an x86 AMI (or the reverse) cannot boot: EKS fails the group's creation
        # after minutes ("AMI type ... is not compatible with instance type"), so say it here.
        ami_arch = "arm64" if "_ARM_64_" in self.ami_type else "amd64"
        for index, instance_type in enumerate(self.instance_types):
            arch = architecture_of_family(instance_type.split(".", 1)[0])
            if arch != ami_arch:
                fix = "AL2023_ARM_64_STANDARD" if arch == "arm64" else "AL2023_x86_64_STANDARD"
                issues.append(
                    ConfigIssue(
                        f"instance_types[{index}]",
                        instance_type,
                        f"is an {arch} instance type but ami_type {self.ami_type} is {ami_arch}; set "
                        f"ami_type: {fix}, or choose {ami_arch} instance types (one architecture per group)",
                    )
                )
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
