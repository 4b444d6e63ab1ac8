"""Node pools as the scheduler sees them: labels, taints, instance types, zones and how far they grow.

Managed node groups (``aws:eks/nodeGroup:NodeGroup``, pulumi-eks ``ManagedNodeGroup``) label their nodes
with their own labels plus ``eks.amazonaws.com/capacityType`` and ``eks.amazonaws.com/nodegroup``
(https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html). Karpenter nodes carry the
NodePool's template labels, ``karpenter.sh/nodepool``, and a value of every requirement key
(``karpenter.sh/capacity-type``, ``node.kubernetes.io/instance-type``,
``karpenter.k8s.aws/instance-family``...; karpenter.sh docs, concepts/scheduling.md). Karpenter
launches on-demand capacity when ``capacity-type`` is not constrained (concepts/nodepools.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._common import UNKNOWN, StackResource, as_list, contains_unknown, get
from . import _model as m
from ._sizing import TABLE, InstanceType, lookup

ANY: Any = None
"""A label present with a value that is not known (or any of many)."""

EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
KARPENTER_TYPE_KEYS = {
    "node.kubernetes.io/instance-type": lambda t: t.name,
    "karpenter.k8s.aws/instance-family": lambda t: t.family,
    "karpenter.k8s.aws/instance-size": lambda t: t.size,
    "karpenter.k8s.aws/instance-category": lambda t: t.category,
    "karpenter.k8s.aws/instance-generation": lambda t: str(t.generation),
    "karpenter.k8s.aws/instance-cpu": lambda t: str(t.vcpu),
    "karpenter.k8s.aws/instance-memory": lambda t: str(t.memory_gib * 1024),
    "kubernetes.io/arch": lambda t: t.arch,
}


@dataclass
class Pool:
    resource: StackResource
    kind: str
    """``managed node group``, ``Karpenter NodePool`` or ``pulumi-eks node group``."""
    key: str | None
    labels: dict[str, Any] = field(default_factory=dict)
    """Label key -> the set of values its nodes may carry (ANY: some value)."""
    taints: list[tuple[Any, Any, Any]] = field(default_factory=list)
    types: list[InstanceType] = field(default_factory=list)
    outside_table: list[str] = field(default_factory=list)
    """Instance types (or families) the pool may use that the table does not size."""
    open_ended: bool = False
    """The pool may use instance types larger than any in the table (no type constraint)."""
    zones: Any = UNKNOWN
    max_nodes: Any = None
    limits: dict[str, float] = field(default_factory=dict)
    unknown: bool = False
    """Its labels, taints or types are unknown during preview."""

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.resource.name}'"


def _set_type_labels(pool: Pool) -> None:
    for key, of in KARPENTER_TYPE_KEYS.items():
        if key.startswith("karpenter.k8s.aws/") and pool.kind != "Karpenter NodePool":
            continue
        if key == "kubernetes.io/arch" and key in pool.labels:
            continue
        if pool.outside_table or pool.open_ended:
            pool.labels[key] = ANY
        else:
            pool.labels[key] = frozenset(of(t) for t in pool.types)


def _instance_types(pool: Pool, names: list[Any]) -> None:
    for name in names:
        if name is UNKNOWN:
            pool.unknown = True
            continue
        found = lookup(str(name))
        if found is None:
            pool.outside_table.append(str(name))
        else:
            pool.types.append(found)


def _managed(resource: StackResource, model: m.Model, kind: str) -> Pool:
    props = resource.props
    pool = Pool(resource, kind, model.cluster_key_for(resource, "clusterName", "cluster"))
    labels = props.get("labels")
    taints = props.get("taints")
    types = props.get("instanceTypes")
    if contains_unknown([labels, taints, types]):
        pool.unknown = True
    if isinstance(labels, dict):
        pool.labels.update({k: frozenset([v]) if v is not UNKNOWN else ANY for k, v in labels.items()})
    for taint in as_list(taints) if isinstance(taints, list) else []:
        if isinstance(taint, dict):
            effect = taint.get("effect")
            pool.taints.append((taint.get("key"), taint.get("value"), EFFECTS.get(str(effect), effect)))
    if types is None and props.get("launchTemplate") not in (None, UNKNOWN):
        pool.outside_table.append("the launch template's instance type")
    # The EKS API's default instance type for a managed node group.
    _instance_types(
        pool, as_list(types) if isinstance(types, list) else (["t3.medium"] if types is None else [])
    )
    capacity = props.get("capacityType") or "ON_DEMAND"
    pool.labels["eks.amazonaws.com/capacityType"] = ANY if capacity is UNKNOWN else frozenset([capacity])
    group = props.get("nodeGroupName")
    pool.labels["eks.amazonaws.com/nodegroup"] = frozenset([group]) if isinstance(group, str) else ANY
    ami = props.get("amiType")
    pool.labels["kubernetes.io/arch"] = (
        ANY if ami is UNKNOWN else frozenset(["arm64" if isinstance(ami, str) and "ARM" in ami else "amd64"])
    )
    pool.labels["kubernetes.io/os"] = frozenset(
        ["windows" if isinstance(ami, str) and "WINDOWS" in ami else "linux"]
    )
    _set_type_labels(pool)
    pool.zones = model.zones_of(resource, "subnetIds")
    pool.max_nodes = get(props, "scalingConfig", "maxSize")
    return pool


def _self_managed(resource: StackResource, model: m.Model) -> Pool:
    """pulumi-eks ``NodeGroup``/``NodeGroupV2``: one instance type, taints as a map."""
    props = resource.props
    pool = Pool(resource, "pulumi-eks node group", model.cluster_key_for(resource, "cluster"))
    labels = props.get("labels")
    taints = props.get("taints")
    if contains_unknown([labels, taints, props.get("instanceType")]):
        pool.unknown = True
    if isinstance(labels, dict):
        pool.labels.update({k: frozenset([v]) if v is not UNKNOWN else ANY for k, v in labels.items()})
    if isinstance(taints, dict):
        for key, taint in taints.items():
            pool.taints.append((key, get(taint, "value"), get(taint, "effect")))
    _instance_types(pool, [props.get("instanceType") or "t2.medium"])  # pulumi-eks's default
    pool.labels["kubernetes.io/os"] = frozenset(["linux"])
    _set_type_labels(pool)
    pool.zones = model.zones_of(resource, "nodeSubnetIds")
    pool.max_nodes = props.get("maxSize", 2)
    return pool


def _karpenter(resource: StackResource, model: m.Model) -> Pool:
    pool = Pool(resource, "Karpenter NodePool", model.key_of(resource))
    spec = get(resource.props, "spec", "template")
    if spec is UNKNOWN or contains_unknown(spec):
        pool.unknown = True
    labels = get(spec, "metadata", "labels")
    if isinstance(labels, dict):
        pool.labels.update({k: frozenset([v]) if v is not UNKNOWN else ANY for k, v in labels.items()})
    for taint in as_list(get(spec, "spec", "taints")):
        if isinstance(taint, dict):
            pool.taints.append((taint.get("key"), taint.get("value"), taint.get("effect")))
    candidates = list(TABLE.values())
    constrained = False
    zones: Any = UNKNOWN
    requirements = [r for r in as_list(get(spec, "spec", "requirements")) if isinstance(r, dict)]
    for requirement in requirements:
        key: Any = requirement.get("key")
        operator = requirement.get("operator")
        values = [str(v) for v in as_list(requirement.get("values")) if v is not UNKNOWN]
        if key in KARPENTER_TYPE_KEYS and key != "kubernetes.io/arch":
            constrained = constrained or operator in ("In", "Lt", "Lte")
            of = KARPENTER_TYPE_KEYS[key]
            if operator == "In":
                known = {of(t) for t in TABLE.values()}
                pool.outside_table += [f"{key}={v}" for v in values if v not in known]
                candidates = [t for t in candidates if of(t) in values]
            elif operator == "NotIn":
                candidates = [t for t in candidates if of(t) not in values]
            elif operator in ("Gt", "Lt", "Gte", "Lte") and values and values[0].isdigit():
                bound = int(values[0])
                test = {"Gt": int.__gt__, "Lt": int.__lt__, "Gte": int.__ge__, "Lte": int.__le__}[operator]
                candidates = [t for t in candidates if of(t).isdigit() and test(int(of(t)), bound)]
        elif key == "kubernetes.io/arch" and operator == "In":
            candidates = [t for t in candidates if t.arch in values]
        if key == "topology.kubernetes.io/zone" and operator == "In":
            zones = len(set(values))
        if operator == "In":
            pool.labels[key] = frozenset(values)
        elif operator in ("Exists", "NotIn", "Gt", "Lt", "Gte", "Lte"):
            pool.labels.setdefault(key, ANY)
        elif operator == "DoesNotExist":
            pool.labels.pop(key, None)
    if not any(r.get("key") == "kubernetes.io/arch" for r in requirements):
        candidates = [t for t in candidates if t.arch == "amd64"]
        pool.labels["kubernetes.io/arch"] = frozenset(["amd64"])
    pool.types = candidates
    pool.open_ended = not constrained
    pool.labels.setdefault("karpenter.sh/capacity-type", frozenset(["on-demand"]))
    pool.labels.setdefault("kubernetes.io/os", frozenset(["linux"]))
    name = m.object_name(resource)
    pool.labels["karpenter.sh/nodepool"] = frozenset([name]) if isinstance(name, str) else ANY
    _set_type_labels(pool)
    if zones is UNKNOWN and pool.key in model.clusters:
        zones = model.clusters[pool.key].zones
    pool.zones = zones
    for name in ("cpu", "memory"):
        limit = m.quantity(get(resource.props, "spec", "limits", name))
        if limit is not None:
            pool.limits[name] = limit
    return pool


def pools(model: m.Model) -> list[Pool]:
    found: list[Pool] = []
    ctx = model.ctx
    for r in ctx.of_type(m.NODE_GROUP):
        found.append(_managed(r, model, "managed node group"))
    for r in ctx.of_type(m.PULUMI_EKS_MANAGED_GROUP):
        found.append(_managed(r, model, "managed node group"))
    for r in ctx.of_type(*m.PULUMI_EKS_GROUPS):
        found.append(_self_managed(r, model))
    for r in ctx.of_type(m.PULUMI_EKS_CLUSTER):
        skip = r.props.get("skipDefaultNodeGroup")
        if skip is UNKNOWN or skip is True or r.props.get("autoMode"):
            continue
        default = _self_managed(r, model)
        default.kind, default.key = "pulumi-eks default node group", r.urn
        default.max_nodes = r.props.get("maxSize", 2)
        found.append(default)
    for r in ctx.of_type(m.NODE_POOL):
        found.append(_karpenter(r, model))
    return found


def tolerates(tolerations: Any, taint: tuple[Any, Any, Any]) -> bool | None:
    key, value, effect = taint
    if effect == "PreferNoSchedule":
        return True
    for toleration in as_list(tolerations):
        if not isinstance(toleration, dict):
            continue
        if contains_unknown(toleration):
            return None
        t_effect = toleration.get("effect")
        if t_effect not in (None, "", effect):
            continue
        t_key, operator = toleration.get("key"), toleration.get("operator") or "Equal"
        if t_key in (None, "") and operator == "Exists":
            return True
        if t_key == key and (operator == "Exists" or (toleration.get("value") or "") == (value or "")):
            return True
    return False


def _expression(domains: dict[str, Any], key: Any, operator: Any, values: list[Any]) -> bool:
    present = key in domains
    domain: Any = domains.get(key)
    if operator == "In":
        return present and (domain is ANY or bool(domain & set(values)))
    if operator == "NotIn":
        return not present or domain is ANY or bool(domain - set(values))
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return present  # Gt/Lt: a numeric label the model does not value


def selects(pool: Pool, spec: Any) -> tuple[bool | None, str]:
    """Whether ``spec``'s nodeSelector and required node affinity can match the pool's nodes, and
    why not."""
    selector = get(spec, "nodeSelector")
    terms = get(
        spec,
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    if contains_unknown([selector, terms]):
        return None, ""
    for key, value in (selector or {}).items() if isinstance(selector, dict) else []:
        if not _expression(pool.labels, key, "In", [value]):
            domain = pool.labels.get(key)
            has = "no such label" if key not in pool.labels else f"{key} in {sorted(domain or [])}"
            return False, f"nodeSelector {key}={value} (its nodes have {has})"
    if isinstance(terms, list) and terms:
        for term in terms:
            expressions = [e for e in as_list(get(term, "matchExpressions")) if isinstance(e, dict)]
            if all(
                _expression(pool.labels, e.get("key"), e.get("operator"), as_list(e.get("values")))
                for e in expressions
            ):
                break
        else:
            return False, "required node affinity (no nodeSelectorTerm matches its labels)"
    return True, ""
