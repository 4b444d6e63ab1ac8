"""A plain model of the clusters a stack declares, built from its resources (no engine, no SDK).

Works for any Pulumi Python program: raw ``aws.eks.Cluster`` / ``aws.eks.NodeGroup``, the pulumi-eks
components, Karpenter NodePools, EKS add-ons and Helm releases. Everything is keyed by a *cluster
key*: the URN of the cluster a Kubernetes provider talks to when the program declares that cluster,
else the provider's own URN (a cluster made elsewhere, reached through a kubeconfig from a stack
reference), else ``"default"`` (the ambient kubeconfig). Only for a cluster the program declares is
what the model sees complete (its pools, add-ons and releases); rules say "cannot decide" otherwise.

Values unknown during preview stay :data:`UNKNOWN`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._common import UNKNOWN, StackContext, StackResource, as_list, get

EKS_CLUSTER = "aws:eks/cluster:Cluster"
PULUMI_EKS_CLUSTER = "eks:index:Cluster"
CLUSTER_TYPES = (EKS_CLUSTER, PULUMI_EKS_CLUSTER)
K8S_PROVIDER = "pulumi:providers:kubernetes"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
PULUMI_EKS_MANAGED_GROUP = "eks:index:ManagedNodeGroup"
PULUMI_EKS_GROUPS = ("eks:index:NodeGroup", "eks:index:NodeGroupV2")
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
ADDON = "aws:eks/addon:Addon"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart")
SUBNET = "aws:ec2/subnet:Subnet"
IAM_ROLE = "aws:iam/role:Role"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
SCALED_JOB = "kubernetes:keda.sh/v1alpha1:ScaledJob"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
HPA_TYPES = (
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
)

POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
    SCALED_JOB: ("spec", "jobTargetRef", "template"),
}
"""Pod templates the scheduler places on a pool (DaemonSets go on every node: not placed)."""
SCALABLE = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:ReplicaSet",
)

CLUSTER_READS = (EKS_CLUSTER, PULUMI_EKS_CLUSTER, K8S_PROVIDER, SUBNET)
POOL_READS = (NODE_GROUP, PULUMI_EKS_MANAGED_GROUP, *PULUMI_EKS_GROUPS, NODE_POOL)


def is_kubernetes_object(type_: str) -> bool:
    """A Kubernetes object the provider creates (not a Helm/YAML group, a patch or a list)."""
    if not type_.startswith("kubernetes:") or type_.startswith(("kubernetes:helm.sh/", "kubernetes:yaml/")):
        return False
    kind = type_.rsplit(":", 1)[-1]
    return not kind.endswith(("Patch", "List"))


def group_version_kind(type_: str) -> tuple[str, str, str]:
    """``kubernetes:apps/v1:Deployment`` -> (``apps``, ``v1``, ``Deployment``); core group is ``""``."""
    _, api, kind = type_.split(":", 2)
    group, _, version = api.rpartition("/")
    return ("" if group == "core" else group), version, kind


def namespace_of(resource: StackResource) -> Any:
    namespace = get(resource.props, "metadata", "namespace")
    return "default" if namespace in (None, "") else namespace


def object_name(resource: StackResource) -> Any:
    return get(resource.props, "metadata", "name")


def parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity as a number (CPU in cores, memory in bytes); None when not one."""
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    suffixes = {
        "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
        "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    }  # fmt: skip
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * suffixes[suffix]
            except ValueError:
                return None
    try:
        return float(text)
    except ValueError:
        return None


def mib(value: float) -> str:
    return f"{value / 2**20:.0f}Mi"


def cores(value: float) -> str:
    return f"{value * 1000:.0f}m"


# --------------------------------------------------------------------------- clusters


@dataclass
class Cluster:
    resource: StackResource
    name: Any
    public: Any
    private: Any
    tags: dict[str, Any]
    zones: Any
    """How many AZs its subnets span (UNKNOWN when not known)."""


@dataclass
class Helm:
    resource: StackResource
    chart: Any
    """The chart's name (last path element of ``chart``, version and ``oci://`` host dropped)."""
    namespace: Any
    values: Any
    key: str


@dataclass
class Addon:
    resource: StackResource
    name: Any
    configuration: Any
    key: str


def _chart_name(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return value.rstrip("/").rsplit("/", 1)[-1].split(":", 1)[0]


@dataclass
class Model:
    ctx: StackContext
    clusters: dict[str, Cluster] = field(default_factory=dict)
    provider_cluster: dict[str, str] = field(default_factory=dict)
    """Provider URN -> cluster key."""
    cluster_names: dict[str, str] = field(default_factory=dict)
    subnet_zone: dict[str, Any] = field(default_factory=dict)

    def key_of(self, resource: StackResource) -> str:
        """The cluster key of a Kubernetes resource (its provider's cluster)."""
        if not resource.provider:
            return "default"
        urn = resource.provider.rsplit("::", 1)[0] if resource.provider.count("::") > 3 else resource.provider
        return self.provider_cluster.get(urn, urn)

    def in_program(self, key: str) -> bool:
        return key in self.clusters

    def describe(self, key: str) -> str:
        if key in self.clusters:
            return f"cluster '{self.clusters[key].resource.name}'"
        if key == "default":
            return "the cluster of the default Kubernetes provider (not declared in this program)"
        return f"the cluster of provider '{key.rsplit('::', 1)[-1]}' (not declared in this program)"

    def cluster_key_for(self, resource: StackResource, *keys: str) -> str | None:
        """The cluster an AWS-side resource (node group, add-on) belongs to."""
        linked: set[str] = set(resource.dependencies)
        for key in keys:
            linked |= set(resource.property_dependencies.get(key, []))
        for urn in linked:
            if urn in self.clusters:
                return urn
        name = resource.props.get("clusterName")
        if isinstance(name, str) and name in self.cluster_names:
            return self.cluster_names[name]
        if len(self.clusters) == 1 and resource.parent in self.clusters:
            return resource.parent
        return None

    def helm(self) -> list[Helm]:
        found = []
        for r in self.ctx.of_type(*HELM_TYPES):
            found.append(
                Helm(
                    r,
                    _chart_name(r.props.get("chart")),
                    r.props.get("namespace"),
                    r.props.get("values"),
                    self.key_of(r),
                )
            )
        return found

    def addons(self) -> list[Addon]:
        found = []
        for r in self.ctx.of_type(ADDON):
            key = self.cluster_key_for(r, "clusterName")
            if key is not None:
                found.append(Addon(r, r.props.get("addonName"), r.props.get("configurationValues"), key))
        return found

    def zones_of(self, resource: StackResource, *keys: str) -> Any:
        """How many AZs the subnets a resource names span; UNKNOWN when it cannot be told."""
        urns: list[str] = []
        for key in keys:
            urns += resource.property_dependencies.get(key, [])
        zones = {self.subnet_zone.get(u, UNKNOWN) for u in urns if u in self.subnet_zone}
        if not zones or UNKNOWN in zones:
            return UNKNOWN
        return len(zones)


def build(ctx: StackContext) -> Model:
    """The clusters, and which provider talks to which (``CLUSTER_READS`` and subnets must be read)."""
    model = Model(ctx)
    for subnet in ctx.of_type(SUBNET):
        model.subnet_zone[subnet.urn] = subnet.props.get("availabilityZone", UNKNOWN) or UNKNOWN
    for r in ctx.of_type(*CLUSTER_TYPES):
        props = r.props
        if r.type == EKS_CLUSTER:
            vpc = props.get("vpcConfig")
            public = get(vpc, "endpointPublicAccess", default=True) if vpc is not UNKNOWN else UNKNOWN
            private = get(vpc, "endpointPrivateAccess", default=False) if vpc is not UNKNOWN else UNKNOWN
            zones = model.zones_of(r, "vpcConfig")
        else:
            public = props.get("endpointPublicAccess", True)
            private = props.get("endpointPrivateAccess", False)
            zones = model.zones_of(r, "privateSubnetIds", "subnetIds", "publicSubnetIds")
        tags = props.get("tags")
        cluster = Cluster(
            r, props.get("name"), public, private, tags if isinstance(tags, dict) else {}, zones
        )
        model.clusters[r.urn] = cluster
        if isinstance(cluster.name, str):
            model.cluster_names[cluster.name] = r.urn
    for provider in ctx.of_type(K8S_PROVIDER):
        linked = set(provider.property_dependencies.get("kubeconfig", [])) | set(provider.dependencies)
        if provider.parent in model.clusters:  # pulumi-eks's own provider is its child
            linked.add(provider.parent)
        clusters = [urn for urn in linked if urn in model.clusters]
        if len(clusters) == 1:
            model.provider_cluster[provider.urn] = clusters[0]
    return model


def declares_inside_vpc(cluster: Cluster) -> bool:
    return cluster.tags.get("dataplatform.io/deploy-from") == "inside-vpc"


# --------------------------------------------------------------------------- pod templates


@dataclass
class PodTemplate:
    resource: StackResource
    namespace: Any
    labels: Any
    spec: Any
    replicas: Any
    key: str

    @property
    def label(self) -> str:
        return f"{self.resource.type.rsplit(':', 1)[-1]} '{self.resource.name}'"


def pod_templates(model: Model) -> list[PodTemplate]:
    found = []
    for type_, path in POD_TEMPLATE_PATHS.items():
        for r in model.ctx.of_type(type_):
            template = get(r.props, *path)
            if template is UNKNOWN:
                found.append(PodTemplate(r, namespace_of(r), UNKNOWN, UNKNOWN, UNKNOWN, model.key_of(r)))
                continue
            if not isinstance(template, dict):
                continue
            if type_ in SCALABLE:
                replicas = get(r.props, "spec", "replicas", default=1)
            elif type_ == "kubernetes:batch/v1:CronJob":
                replicas = get(r.props, "spec", "jobTemplate", "spec", "parallelism", default=1)
            elif type_ == SCALED_JOB:
                replicas = get(r.props, "spec", "jobTargetRef", "parallelism", default=1)
            else:
                replicas = get(r.props, "spec", "parallelism", default=1)
            found.append(
                PodTemplate(
                    r,
                    namespace_of(r),
                    get(template, "metadata", "labels", default={}),
                    get(template, "spec", default={}),
                    replicas,
                    model.key_of(r),
                )
            )
    return found


def _container_requests(container: Any) -> tuple[Any, Any]:
    resources = get(container, "resources")
    if resources is UNKNOWN:
        return UNKNOWN, UNKNOWN
    values = []
    for name in ("cpu", "memory"):
        # An unset request defaults to the limit (API server defaulting).
        raw = get(resources, "requests", name)
        if raw is None:
            raw = get(resources, "limits", name)
        values.append(UNKNOWN if raw is UNKNOWN else (quantity(raw) or 0.0))
    return values[0], values[1]


def pod_requests(spec: Any) -> tuple[Any, Any]:
    """(cpu cores, memory bytes) the scheduler reserves: the containers' sum, or the largest init
    container when larger (init containers run one at a time). UNKNOWN when not known."""
    if spec is UNKNOWN or get(spec, "containers") is UNKNOWN or get(spec, "initContainers") is UNKNOWN:
        return UNKNOWN, UNKNOWN
    total = [0.0, 0.0]
    init = [0.0, 0.0]
    for kind, target in (("containers", total), ("initContainers", init)):
        for container in as_list(get(spec, kind)):
            requested = _container_requests(container)
            for i, value in enumerate(requested):
                if value is UNKNOWN:
                    return UNKNOWN, UNKNOWN
                target[i] = target[i] + value if kind == "containers" else max(target[i], value)
    return max(total[0], init[0]), max(total[1], init[1])


def selector_matches(selector: Any, labels: Any) -> bool | None:
    """Whether ``matchLabels``-style ``selector`` selects ``labels``; None when unknown."""
    if selector is UNKNOWN or labels is UNKNOWN:
        return None
    if not isinstance(selector, dict) or not isinstance(labels, dict):
        return False
    if any(v is UNKNOWN for v in selector.values()) or any(v is UNKNOWN for v in labels.values()):
        return None
    return all(labels.get(k) == v for k, v in selector.items())


def label_selector_matches(selector: Any, labels: Any) -> bool | None:
    """A full LabelSelector (``matchLabels`` and ``matchExpressions``)."""
    if selector is UNKNOWN or labels is UNKNOWN:
        return None
    if not isinstance(selector, dict) or not isinstance(labels, dict):
        return False
    verdict = selector_matches(selector.get("matchLabels") or {}, labels)
    if verdict is not True:
        return verdict
    for expression in as_list(selector.get("matchExpressions")):
        if not isinstance(expression, dict) or contains(expression):
            return None
        key, operator, values = (
            expression.get("key"),
            expression.get("operator"),
            as_list(expression.get("values")),
        )
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def contains(value: Any) -> bool:
    from .._common import contains_unknown

    return contains_unknown(value)


def helm_in_namespace(model: Model, key: str, namespace: Any) -> list[Helm]:
    return [h for h in model.helm() if h.key == key and h.namespace in (namespace, UNKNOWN)]


def names(items: Iterable[str], limit: int = 4) -> str:
    listed = sorted(set(items))
    shown = ", ".join(listed[:limit])
    return shown + (f" and {len(listed) - limit} more" if len(listed) > limit else "")
