"""The autoscaling chain: every HPA and ScaledObject has the metrics API it reads, its target, and room
to grow.

- ``Resource``/``ContainerResource`` metrics come from ``metrics.k8s.io``, served by metrics-server (the
  EKS community add-on ``metrics-server``, its Helm chart, or a Deployment of that name).
- ``Pods``/``Object`` metrics come from ``custom.metrics.k8s.io``, ``External`` from
  ``external.metrics.k8s.io``: an adapter (prometheus-adapter) or what the pack config declares.
  KEDA registers the external metrics API, but serves only its own ScaledObjects, and only one
  external metrics APIService can exist (keda.sh docs, operate/metrics-server).
- ScaledObjects and ScaledJobs need KEDA (Helm chart ``keda``); their cpu/memory triggers need
  metrics-server as an HPA's Resource metrics do (keda.sh docs, scalers/cpu).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, StackResource, as_list, get, stack_policy
from . import _model as m
from . import scheduling

DOMAIN = "system"
METRICS = "metrics.k8s.io"
CUSTOM = "custom.metrics.k8s.io"
EXTERNAL = "external.metrics.k8s.io"
ADAPTERS = {"prometheus-adapter": (CUSTOM, EXTERNAL), "k8s-prometheus-adapter": (CUSTOM, EXTERNAL)}
API_OF_METRIC = {
    "Resource": METRICS,
    "ContainerResource": METRICS,
    "Pods": CUSTOM,
    "Object": CUSTOM,
    "External": EXTERNAL,
}
READS = (
    *m.CLUSTER_READS,
    *m.POOL_READS,
    *m.POD_TEMPLATE_PATHS,
    *m.HPA_TYPES,
    m.SCALED_OBJECT,
    m.ADDON,
    *m.HELM_TYPES,
)


def _served(model: m.Model, config: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Cluster key -> metrics API (or ``keda``) -> what serves it."""
    served: dict[str, dict[str, str]] = {}
    for addon in model.addons():
        if addon.name == "metrics-server":
            served.setdefault(addon.key, {})[METRICS] = f"add-on '{addon.resource.name}'"
    for release in model.helm():
        apis = {"metrics-server": (METRICS,), "keda": ("keda",), **ADAPTERS}.get(release.chart, ())
        for api in apis:
            served.setdefault(release.key, {})[api] = f"Helm release '{release.resource.name}'"
    for deployment in model.ctx.of_type("kubernetes:apps/v1:Deployment"):
        if m.object_name(deployment) == "metrics-server":
            served.setdefault(model.key_of(deployment), {})[METRICS] = f"Deployment '{deployment.name}'"
    declared = [str(a) for a in as_list(config.get("metricsApis"))]
    for key in {*served, *model.clusters, *model.provider_cluster.values(), "default"}:
        for api in declared:
            served.setdefault(key, {}).setdefault(api, "the pack config")
    return served


def _target(model: m.Model, scaler: StackResource, ref: Any, default_kind: str | None) -> Any:
    """The pod template an HPA or ScaledObject scales; None when absent; UNKNOWN when not told."""
    if ref is UNKNOWN or not isinstance(ref, dict):
        return UNKNOWN if ref is UNKNOWN else None
    kind, name = ref.get("kind") or default_kind, ref.get("name")
    if UNKNOWN in (kind, name):
        return UNKNOWN
    key, namespace = model.key_of(scaler), m.namespace_of(scaler)
    for template in m.pod_templates(model):
        resource = template.resource
        same = m.object_name(resource) == name and template.namespace == namespace and template.key == key
        if same and resource.type.rsplit(":", 1)[-1] == kind:
            return template
    return None


def _needs(hpa: StackResource) -> list[tuple[str, str]]:
    """(metrics API, metric label) an HPA reads."""
    if hpa.type.startswith("kubernetes:autoscaling/v1:"):
        return [(METRICS, "CPU utilization")]
    found = []
    for metric in as_list(get(hpa.props, "spec", "metrics")):
        kind = get(metric, "type")
        if kind in API_OF_METRIC:
            found.append((API_OF_METRIC[kind], f"{kind} metric"))
    return found


@stack_policy(
    "autoscaling-chain",
    domain=DOMAIN,
    description="HPAs and KEDA ScaledObjects have the metrics API they read (metrics-server, an adapter, "
    "KEDA) and an existing target.",
    severity=Severity.HIGH,
    remediation="Install what serves the metrics: the EKS add-on metrics-server for Resource metrics and "
    "KEDA cpu/memory triggers, an adapter (prometheus-adapter) for Pods/Object/External metrics, the keda "
    "Helm chart for ScaledObjects; or declare an API served outside the program in the pack config "
    '({"autoscaling-chain": {"metricsApis": ["metrics.k8s.io"]}}). '
    "Point scaleTargetRef at a workload "
    "of that kind and name in the same namespace.",
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "metricsApis": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Metrics APIs served in the cluster by something outside this program "
            "(metrics.k8s.io, custom.metrics.k8s.io, external.metrics.k8s.io).",
        }
    },
    reads=READS,
)
def autoscaling_chain(ctx: StackContext) -> None:
    model = m.build(ctx)
    served = _served(model, ctx.config)

    def missing(scaler: StackResource, what: str, api: str, fix: str) -> None:
        key = model.key_of(scaler)
        if api in served.get(key, {}):
            return
        needed = "KEDA" if api == "keda" else api
        message = f"{what} needs {needed}, and nothing in {model.describe(key)} serves it: {fix}"
        if model.in_program(key):
            ctx.report(message, scaler.urn)
        else:
            ctx.undecided(message + " (unless the cluster has it from elsewhere)", scaler.urn)

    def target(scaler: StackResource, label: str, ref: Any, default_kind: str | None) -> None:
        found = _target(model, scaler, ref, default_kind)
        if found is UNKNOWN:
            ctx.undecided(f"{label}: its scale target is unknown during preview", scaler.urn)
        elif found is None:
            kind = get(ref, "kind") or default_kind
            namespace = m.namespace_of(scaler)
            message = (
                f"{label} scales {kind} '{get(ref, 'name')}' in namespace {namespace}, which this program "
                "does "
                f"not declare in {model.describe(model.key_of(scaler))}: point scaleTargetRef at an "
                "existing workload"
            )
            if m.helm_in_namespace(model, model.key_of(scaler), namespace) or not model.in_program(
                model.key_of(scaler)
            ):
                ctx.undecided(message + " (a Helm release or another program may create it)", scaler.urn)
            else:
                ctx.report(message, scaler.urn)

    for hpa in ctx.of_type(*m.HPA_TYPES):
        label = f"HPA '{hpa.name}'"
        if get(hpa.props, "spec") is UNKNOWN or get(hpa.props, "spec", "metrics") is UNKNOWN:
            ctx.undecided(f"{label}: its metrics are unknown during preview", hpa.urn)
            continue
        for api, metric in dict.fromkeys(_needs(hpa)):
            if api == METRICS:
                fix = "add the metrics-server EKS add-on (aws.eks.Addon addon_name='metrics-server')"
            else:
                fix = "install an adapter for it (e.g. prometheus-adapter)"
                if "keda" in served.get(model.key_of(hpa), {}):
                    fix += "; KEDA serves external metrics only to its own ScaledObjects: use a ScaledObject"
            missing(hpa, f"{label} ({metric})", api, fix)
        target(hpa, label, get(hpa.props, "spec", "scaleTargetRef"), None)
    for scaled in ctx.of_type(m.SCALED_OBJECT, m.SCALED_JOB):
        kind = scaled.type.rsplit(":", 1)[-1]
        label = f"{kind} '{scaled.name}'"
        missing(
            scaled, label, "keda", "install KEDA (Helm chart 'keda' from https://kedacore.github.io/charts)"
        )
        triggers = get(scaled.props, "spec", "triggers")
        if triggers is UNKNOWN:
            ctx.undecided(f"{label}: its triggers are unknown during preview", scaled.urn)
        for trigger in as_list(triggers):
            if get(trigger, "type") in ("cpu", "memory"):
                missing(
                    scaled,
                    f"{label} ({get(trigger, 'type')} trigger)",
                    METRICS,
                    "add the metrics-server EKS add-on (aws.eks.Addon addon_name='metrics-server')",
                )
        if scaled.type == m.SCALED_OBJECT:
            target(scaled, label, get(scaled.props, "spec", "scaleTargetRef"), "Deployment")


def _max_replicas(scaler: StackResource) -> Any:
    if scaler.type == m.SCALED_OBJECT:
        return get(scaler.props, "spec", "maxReplicaCount", default=100)
    return get(scaler.props, "spec", "maxReplicas")


@stack_policy(
    "autoscaling-capacity",
    domain=DOMAIN,
    description="An autoscaler's maximum replicas times the pod's requests fit what its node pools can "
    "grow to (NodePool limits, node groups' max size times their instance type).",
    severity=Severity.MEDIUM,
    remediation="Raise the NodePool's spec.limits or the node group's max size, or lower maxReplicas or the "
    "pod's requests; pods beyond the pools' capacity stay Pending.",
    enforcement=EnforcementLevel.ADVISORY,
    reads=READS,
)
def autoscaling_capacity(ctx: StackContext) -> None:
    model = m.build(ctx)
    grouped = scheduling.pools_by_cluster(model)
    for scaler in ctx.of_type(*m.HPA_TYPES, m.SCALED_OBJECT):
        found = _target(model, scaler, get(scaler.props, "spec", "scaleTargetRef"), None)
        most = _max_replicas(scaler)
        if not isinstance(found, m.PodTemplate) or not isinstance(most, int) or found.spec is UNKNOWN:
            continue
        cpu, memory = m.pod_requests(found.spec)
        if UNKNOWN in (cpu, memory):
            continue
        pools = [
            pool
            for pool in scheduling.candidate_pools(model, grouped, found.key)
            if scheduling.fit(pool, found.spec).verdict
        ]
        if not pools:
            continue
        room = {"cpu": 0.0, "memory": 0.0}
        for pool in pools:
            if pool.kind == "Karpenter NodePool":
                if len(pool.limits) < 2:
                    room = {"cpu": float("inf"), "memory": float("inf")}
                    break
                room["cpu"] += pool.limits["cpu"]
                room["memory"] += pool.limits["memory"]
            elif isinstance(pool.max_nodes, int) and pool.types:
                largest = max(pool.types, key=lambda t: (t.memory_allocatable, t.cpu_allocatable))
                room["cpu"] += pool.max_nodes * largest.cpu_allocatable
                room["memory"] += pool.max_nodes * largest.memory_allocatable
            else:
                room = {"cpu": float("inf"), "memory": float("inf")}
                break
        need = {"cpu": most * cpu, "memory": most * memory}
        short = [
            f"{name} {m.cores(need[name]) if name == 'cpu' else m.mib(need[name])} > "
            f"{m.cores(room[name]) if name == 'cpu' else m.mib(room[name])}"
            for name in ("cpu", "memory")
            if need[name] > room[name]
        ]
        if short:
            ctx.report(
                f"{scaler.type.rsplit(':', 1)[-1]} '{scaler.name}' may scale {found.label} to {most} "
                f"replicas, needing more than its pools ({m.names(p.label for p in pools)}) can grow to: "
                f"{', '.join(short)}; raise the pools' limits or max size, or lower maxReplicas",
                scaler.urn,
            )


POLICIES = [autoscaling_chain, autoscaling_capacity]
