"""Kubernetes identity across services: system namespaces, shared namespaces and object names.

Pure checks over the settings of every service of a program (the stack config runs them before
anything is registered): a service never lands in a system namespace, a namespace is created by
one service only, its quota and LimitRange fit every service that shares it, and no two services
make an object of one kind, namespace and name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._validation import ConfigIssue
from .quantities import format_quantity, parse_quantity

if TYPE_CHECKING:
    from .settings import PipelineServiceSettings

__all__ = [
    "SYSTEM_NAMESPACES",
    "identity_issues",
    "namespace_owner",
    "object_keys",
    "pod_quota_use",
    "system_namespace_issue",
]

SYSTEM_NAMESPACES = frozenset({"default", "kube-node-lease", "kube-public", "kube-system"})
"""Namespaces the cluster owns: a service's Namespace resource for one of them would make
``pulumi destroy`` try to delete it, and workloads there escape the namespace's own policies."""

ObjectKey = tuple[str, str, str]
"""``(kind, namespace, name)`` of a Kubernetes object (namespace ``""`` for cluster-scoped kinds)."""


def system_namespace_issue(settings: PipelineServiceSettings, where: str = "") -> ConfigIssue | None:
    """The issue of a service whose namespace (``namespace``, or its name) is a system namespace."""
    namespace = settings.namespace_name
    if namespace not in SYSTEM_NAMESPACES:
        return None
    if settings.namespace is not None:
        return ConfigIssue(
            f"{where}namespace",
            namespace,
            f"{namespace!r} is a system namespace the cluster owns; put the service in a namespace "
            f"of its own, e.g. namespace: {settings.name}"
            if settings.name not in SYSTEM_NAMESPACES
            else f"{namespace!r} is a system namespace the cluster owns; set namespace: to one of your own",
        )
    return ConfigIssue(
        f"{where}name",
        namespace,
        f"the namespace defaults to the service's name, and {namespace!r} is a system namespace the "
        "cluster owns; rename the service or set namespace: to one of your own",
    )


def object_keys(settings: PipelineServiceSettings) -> list[ObjectKey]:
    """Every object the service makes, by kind, namespace and name."""
    namespace, name = settings.namespace_name, settings.name
    workload = {"deployment": "Deployment", "job": "Job", "cronjob": "CronJob", "scaledjob": "ScaledJob"}
    keys: list[ObjectKey] = [
        ("ServiceAccount", namespace, name),
        (workload[settings.kind], namespace, name),
    ]
    if settings.create_namespace:
        keys.insert(0, ("Namespace", "", namespace))
        if settings.resource_quota is not None:
            keys.append(("ResourceQuota", namespace, f"{name}-quota"))
        if settings.limit_range is not None:
            keys.append(("LimitRange", namespace, f"{name}-limits"))
    if settings.network_policy.enabled:
        keys.append(("NetworkPolicy", namespace, name))
    if settings.port is not None:
        keys.append(("Service", namespace, name))
    if settings.makes_hpa:
        keys.append(("HorizontalPodAutoscaler", namespace, name))
    if settings.makes_scaled_object:
        keys.append(("ScaledObject", namespace, name))
    if any(t.type in ("sqs", "kinesis", "cloudwatch") for t in settings.keda_triggers):
        keys.append(("TriggerAuthentication", namespace, name))
    if settings.makes_pdb:
        keys.append(("PodDisruptionBudget", namespace, name))
    return keys


def namespace_owner(services: Sequence[PipelineServiceSettings], index: int) -> int | None:
    """The index of the other service that creates ``services[index]``'s namespace, or None (the
    service creates it itself, or the namespace exists outside the program)."""
    if services[index].create_namespace:
        return None
    namespace = services[index].namespace_name
    for other, service in enumerate(services):
        if other != index and service.create_namespace and service.namespace_name == namespace:
            return other
    return None


def pod_quota_use(settings: PipelineServiceSettings) -> dict[str, str]:
    """What one pod of the service counts against a ResourceQuota, by quota key (unset requests
    and limits count nothing)."""
    requests, limits = settings.resources.requests, settings.resources.limits
    use = {
        "requests.cpu": requests.cpu,
        "cpu": requests.cpu,
        "requests.memory": requests.memory,
        "memory": requests.memory,
        "limits.cpu": limits.cpu,
        "limits.memory": limits.memory,
        "pods": "1",
    }
    return {key: value for key, value in use.items() if value is not None}


def identity_issues(
    services: Sequence[PipelineServiceSettings], prefix: str = "services"
) -> list[ConfigIssue]:
    """Every identity problem of ``services`` (paths ``<prefix>[i].<field>``)."""
    issues: list[ConfigIssue] = []
    for index, service in enumerate(services):
        issue = system_namespace_issue(service, f"{prefix}[{index}].")
        if issue is not None:
            issues.append(issue)
    issues += _duplicate_object_issues(services, prefix)
    issues += _shared_namespace_issues(services, prefix)
    return issues


def _duplicate_object_issues(services: Sequence[PipelineServiceSettings], prefix: str) -> list[ConfigIssue]:
    makers: dict[ObjectKey, list[int]] = {}
    for index, service in enumerate(services):
        for key in object_keys(service):
            makers.setdefault(key, []).append(index)
    issues: list[ConfigIssue] = []
    reported: set[tuple[int, ...]] = set()
    for (kind, namespace, name), indices in makers.items():
        if len(indices) < 2:
            continue
        where = ", ".join(f"{prefix}[{i}]" for i in indices)
        if kind == "Namespace":
            for index in indices:
                issues.append(
                    ConfigIssue(
                        f"{prefix}[{index}].create_namespace",
                        True,
                        f"namespace {name!r} would be created by {where}; a namespace has one owner: set "
                        "create_namespace: false on all but one (they then share it)",
                    )
                )
            continue
        # Objects are named after the service: one report per pair of services, not per kind.
        pair = tuple(indices)
        if pair in reported:
            continue
        reported.add(pair)
        for index in indices:
            issues.append(
                ConfigIssue(
                    f"{prefix}[{index}].name",
                    services[index].name,
                    f"{where} make the same {kind} {namespace}/{name}; rename one or move it to "
                    "another namespace",
                )
            )
    return issues


def _shared_namespace_issues(services: Sequence[PipelineServiceSettings], prefix: str) -> list[ConfigIssue]:
    """The owner's ResourceQuota must hold every sharer at its peak; sharers must fit its LimitRange."""
    issues: list[ConfigIssue] = []
    for owner_index, owner in enumerate(services):
        if not owner.create_namespace:
            continue
        members = [
            i
            for i, s in enumerate(services)
            if s.namespace_name == owner.namespace_name and (i == owner_index or not s.create_namespace)
        ]
        if len(members) < 2:
            continue  # a namespace of one service: its own settings checks cover it
        if owner.resource_quota is not None:
            for key, hard in owner.resource_quota.hard.items():
                parts = [
                    (services[i].peak_replicas, pod_quota_use(services[i])[key])
                    for i in members
                    if key in pod_quota_use(services[i])
                ]
                needed = sum((parse_quantity(each) * peak for peak, each in parts), parse_quantity("0"))
                if parse_quantity(hard) < needed:
                    sum_text = " + ".join(f"{peak} x {each}" for peak, each in parts)
                    issues.append(
                        ConfigIssue(
                            f"{prefix}[{owner_index}].resource_quota.hard.{key}",
                            hard,
                            f"namespace {owner.namespace_name!r} is shared by "
                            f"{', '.join(f'{prefix}[{i}]' for i in members)}, whose pods at their peak "
                            f"need {sum_text} = {format_quantity(needed)}; raise the quota or lower "
                            "their replica counts",
                        )
                    )
        if owner.limit_range is not None:
            for index in members:
                if index != owner_index:
                    issues += _limit_range_issues(owner, owner_index, services[index], index, prefix)
    return issues


def _limit_range_issues(
    owner: PipelineServiceSettings,
    owner_index: int,
    member: PipelineServiceSettings,
    index: int,
    prefix: str,
) -> list[ConfigIssue]:
    limit_range = owner.limit_range
    assert limit_range is not None
    issues = []
    for bound, side, compare in (("min", "requests", 1), ("max", "limits", -1)):
        edge = getattr(limit_range, bound)
        for field in ("cpu", "memory", "ephemeral_storage"):
            value, own = getattr(edge, field), getattr(getattr(member.resources, side), field)
            if value is None or own is None:
                continue
            if (parse_quantity(value) - parse_quantity(own)).compare(0) == compare:
                issues.append(
                    ConfigIssue(
                        f"{prefix}[{index}].resources.{side}.{field}",
                        own,
                        f"is outside the LimitRange of namespace {owner.namespace_name!r} "
                        f"({prefix}[{owner_index}].limit_range.{bound}.{field} is {value}), so the pods "
                        "would be rejected; bring the two in line",
                    )
                )
    return issues
