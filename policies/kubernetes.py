"""Kubernetes workloads: resource limits, probes, non-root, read-only root filesystem, no privilege
escalation, pinned images, no LoadBalancer Services unless allowed, sane HPAs backed by PDBs."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import (
    UNKNOWN,
    ResourceContext,
    StackContext,
    StackResource,
    applies_to,
    as_list,
    get,
    resource_policy,
    stack_policy,
    truthy,
)

DOMAIN = "kubernetes"

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA_TYPES = (
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
)
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SERVICE = "kubernetes:core/v1:Service"

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    DEPLOYMENT: ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "kubernetes:core/v1:Pod": ("spec",),
}
LONG_RUNNING = (
    DEPLOYMENT,
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
)


def pod_spec(ctx: ResourceContext) -> Any:
    """The pod spec of a workload; None for other types, UNKNOWN when not known."""
    path = POD_SPEC_PATHS.get(ctx.type)
    if path is None:
        return None
    spec = get(ctx.props, *path)
    return spec if spec is UNKNOWN or isinstance(spec, dict) else None


def containers(spec: Any, *, init: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """(label, container) for each known container (init containers too, unless ``init=False``)."""
    found: list[tuple[str, dict[str, Any]]] = []
    kinds = ("containers", "initContainers") if init else ("containers",)
    for kind in kinds:
        for index, container in enumerate(as_list(get(spec, kind))):
            if isinstance(container, dict):
                label = container.get("name")
                found.append(
                    (
                        f"{kind}[{index}] {label!r}" if isinstance(label, str) else f"{kind}[{index}]",
                        container,
                    )
                )
    return found


def _workload_rule(ctx: ResourceContext) -> Any:
    spec = pod_spec(ctx)
    return None if spec is None or spec is UNKNOWN else spec


@resource_policy(
    "k8s-resource-limits",
    domain=DOMAIN,
    description="Every container sets CPU and memory requests and limits.",
    severity=Severity.MEDIUM,
    remediation="Set resources.requests and resources.limits (cpu, memory) on each container; the "
    "PipelineService component takes them from its settings.",
    config={
        "requiredLimits": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["cpu", "memory"],
            "description": "Resources every container must limit (e.g. drop 'cpu' to allow CPU bursting).",
        }
    },
)
@applies_to(*POD_SPEC_PATHS)
def k8s_resource_limits(ctx: ResourceContext) -> None:
    spec = _workload_rule(ctx)
    if spec is None:
        return
    required = [str(r) for r in as_list(ctx.config.get("requiredLimits", ["cpu", "memory"]))]
    for label, container in containers(spec):
        resources = container.get("resources")
        if resources is UNKNOWN:
            continue
        missing = [f"limits.{r}" for r in required if get(resources, "limits", r) in (None, "")]
        missing += [f"requests.{r}" for r in ("cpu", "memory") if get(resources, "requests", r) in (None, "")]
        if missing:
            ctx.report(f"'{ctx.name}' container {label} has no {', '.join(missing)}")


@resource_policy(
    "k8s-probes",
    domain=DOMAIN,
    description="Long-running containers define readiness and liveness probes.",
    severity=Severity.MEDIUM,
    remediation="Add readinessProbe and livenessProbe (httpGet, tcpSocket, grpc, exec) to each container of "
    "Deployments, StatefulSets and DaemonSets.",
)
@applies_to(*LONG_RUNNING)
def k8s_probes(ctx: ResourceContext) -> None:
    spec = _workload_rule(ctx)
    if spec is None:
        return
    for label, container in containers(spec, init=False):
        missing = [p for p in ("readinessProbe", "livenessProbe") if container.get(p) is None]
        if missing:
            ctx.report(f"'{ctx.name}' container {label} has no {', '.join(missing)}")


def _security(container: dict[str, Any], spec: dict[str, Any], key: str) -> Any:
    """A security setting of the container, falling back to the pod's securityContext."""
    value = get(container, "securityContext", key)
    if value is None and key in ("runAsNonRoot", "runAsUser"):
        value = get(spec, "securityContext", key)
    return value


@resource_policy(
    "k8s-run-as-non-root",
    domain=DOMAIN,
    description="Containers run as a non-root user.",
    severity=Severity.HIGH,
    remediation="Set securityContext.runAsNonRoot=true (pod or container) and a non-zero runAsUser; build "
    "images with a USER.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*POD_SPEC_PATHS)
def k8s_run_as_non_root(ctx: ResourceContext) -> None:
    spec = _workload_rule(ctx)
    if spec is None:
        return
    for label, container in containers(spec):
        non_root = _security(container, spec, "runAsNonRoot")
        user = _security(container, spec, "runAsUser")
        if non_root is UNKNOWN or user is UNKNOWN:
            continue
        if user == 0:
            ctx.report(f"'{ctx.name}' container {label} runs as UID 0")
        elif truthy(non_root) is not True:
            ctx.report(f"'{ctx.name}' container {label} does not set runAsNonRoot=true")


@resource_policy(
    "k8s-read-only-root-filesystem",
    domain=DOMAIN,
    description="Containers mount their root filesystem read-only.",
    severity=Severity.MEDIUM,
    remediation="Set securityContext.readOnlyRootFilesystem=true on each container; mount an emptyDir for "
    "scratch space (/tmp).",
)
@applies_to(*POD_SPEC_PATHS)
def k8s_read_only_root_filesystem(ctx: ResourceContext) -> None:
    spec = _workload_rule(ctx)
    if spec is None:
        return
    for label, container in containers(spec):
        value = _security(container, spec, "readOnlyRootFilesystem")
        if value is not UNKNOWN and truthy(value) is not True:
            ctx.report(f"'{ctx.name}' container {label} does not set readOnlyRootFilesystem=true")


@resource_policy(
    "k8s-no-privilege-escalation",
    domain=DOMAIN,
    description="Containers are not privileged and cannot escalate privileges.",
    severity=Severity.HIGH,
    remediation="Set securityContext.allowPrivilegeEscalation=false and do not set privileged=true; drop all "
    "capabilities.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*POD_SPEC_PATHS)
def k8s_no_privilege_escalation(ctx: ResourceContext) -> None:
    spec = _workload_rule(ctx)
    if spec is None:
        return
    for label, container in containers(spec):
        privileged = _security(container, spec, "privileged")
        escalation = _security(container, spec, "allowPrivilegeEscalation")
        if truthy(privileged) is True:
            ctx.report(f"'{ctx.name}' container {label} is privileged")
        elif escalation is not UNKNOWN and truthy(escalation) is not False:
            ctx.report(f"'{ctx.name}' container {label} does not set allowPrivilegeEscalation=false")


def image_problem(image: Any) -> str | None:
    """Why ``image`` is not pinned, or None when it is (or is unknown)."""
    if image is UNKNOWN or not isinstance(image, str):
        return None if image is UNKNOWN else "has no image"
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag (means :latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image!r} uses the :latest tag"
    return None


@resource_policy(
    "k8s-no-latest-image",
    domain=DOMAIN,
    description="Container images are pinned to a version tag or digest, never :latest.",
    severity=Severity.MEDIUM,
    remediation="Use an immutable tag (e.g. 1.4.2) or a digest (@sha256:...) for every container image.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*POD_SPEC_PATHS)
def k8s_no_latest_image(ctx: ResourceContext) -> None:
    spec = _workload_rule(ctx)
    if spec is None:
        return
    for label, container in containers(spec):
        problem = image_problem(container.get("image"))
        if problem:
            ctx.report(f"'{ctx.name}' container {label} {problem}")


@resource_policy(
    "k8s-no-loadbalancer-service",
    domain=DOMAIN,
    description="Services are not of type LoadBalancer unless allowed (use an Ingress or internal LB).",
    severity=Severity.MEDIUM,
    remediation="Use type ClusterIP behind an Ingress, or exempt the Service with a reason, or list it in "
    "the pack config 'allowedServices' (namespace/name).",
    config={
        "allowedServices": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Services (namespace/name) allowed to be of type LoadBalancer.",
        },
        "allowInternal": {
            "type": "boolean",
            "default": True,
            "description": "Allow LoadBalancers annotated as internal (aws-load-balancer-scheme: internal).",
        },
    },
)
@applies_to(SERVICE)
def k8s_no_loadbalancer_service(ctx: ResourceContext) -> None:
    if get(ctx.props, "spec", "type") != "LoadBalancer":
        return
    namespace = get(ctx.props, "metadata", "namespace") or "default"
    name = get(ctx.props, "metadata", "name")
    if isinstance(name, str) and f"{namespace}/{name}" in as_list(ctx.config.get("allowedServices")):
        return
    annotations = get(ctx.props, "metadata", "annotations") or {}
    if ctx.config.get("allowInternal", True) and isinstance(annotations, dict):
        scheme = annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme")
        internal = annotations.get("service.beta.kubernetes.io/aws-load-balancer-internal")
        if scheme == "internal" or truthy(internal) is True:
            return
    ctx.report(f"Service '{ctx.name}' is of type LoadBalancer (internet-facing)")


@resource_policy(
    "k8s-hpa-min-le-max",
    domain=DOMAIN,
    description="HorizontalPodAutoscalers have 1 <= minReplicas <= maxReplicas.",
    severity=Severity.MEDIUM,
    remediation="Set spec.minReplicas (default 1) no greater than spec.maxReplicas.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_to(*HPA_TYPES)
def k8s_hpa_min_le_max(ctx: ResourceContext) -> None:
    low = get(ctx.props, "spec", "minReplicas", default=1)
    high = get(ctx.props, "spec", "maxReplicas")
    if UNKNOWN in (low, high) or not isinstance(high, (int, float)) or not isinstance(low, (int, float)):
        return
    if low < 1 or low > high:
        ctx.report(f"HPA '{ctx.name}' has minReplicas={low} and maxReplicas={high}")


def _namespace(resource: StackResource) -> Any:
    namespace = get(resource.props, "metadata", "namespace")
    return namespace if namespace is not None else "default"


def _hpa_target(hpa: StackResource, deployments: list[StackResource]) -> StackResource | Any | None:
    """The Deployment an HPA scales; UNKNOWN when it cannot be told (preview)."""
    ref = get(hpa.props, "spec", "scaleTargetRef") or {}
    if ref is UNKNOWN:
        return UNKNOWN
    if get(ref, "kind") not in ("Deployment", UNKNOWN):
        return None
    name = get(ref, "name")
    linked = set(hpa.property_dependencies.get("spec", [])) | set(hpa.dependencies)
    for deployment in deployments:
        same_name = isinstance(name, str) and get(deployment.props, "metadata", "name") == name
        if (same_name and _namespace(deployment) == _namespace(hpa)) or deployment.urn in linked:
            return deployment
    return UNKNOWN if name is UNKNOWN else None


def _selects(pdb: StackResource, labels: Any) -> bool | None:
    selector = get(pdb.props, "spec", "selector", "matchLabels")
    if selector is UNKNOWN or labels is UNKNOWN:
        return None
    if not isinstance(selector, dict) or not selector or not isinstance(labels, dict):
        return False
    if any(v is UNKNOWN for v in selector.values()):
        return None
    return all(labels.get(k) == v for k, v in selector.items())


@stack_policy(
    "k8s-hpa-has-pdb",
    domain=DOMAIN,
    description="Every Deployment scaled by an HPA has a PodDisruptionBudget selecting its pods.",
    severity=Severity.MEDIUM,
    remediation="Add a policy/v1 PodDisruptionBudget in the Deployment's namespace, its selector.matchLabels "
    "matching the pod template labels (e.g. maxUnavailable: 1).",
    reads=(DEPLOYMENT, PDB, *HPA_TYPES),
)
def k8s_hpa_has_pdb(ctx: StackContext) -> None:
    deployments = ctx.of_type(DEPLOYMENT)
    pdbs = ctx.of_type(PDB)
    for hpa in ctx.of_type(*HPA_TYPES):
        target = _hpa_target(hpa, deployments)
        if target is None:
            continue  # scales something else, or a Deployment this stack does not declare
        if target is UNKNOWN:
            continue
        labels = get(target.props, "spec", "template", "metadata", "labels")
        verdicts = [_selects(p, labels) for p in pdbs if _namespace(p) in (_namespace(target), UNKNOWN)]
        if any(verdicts) or None in verdicts:
            continue
        ctx.report(
            f"Deployment '{target.name}' is scaled by HPA '{hpa.name}' but no PodDisruptionBudget "
            "selects its pods",
            target.urn,
        )


POLICIES = [
    k8s_resource_limits,
    k8s_probes,
    k8s_run_as_non_root,
    k8s_read_only_root_filesystem,
    k8s_no_privilege_escalation,
    k8s_no_latest_image,
    k8s_no_loadbalancer_service,
    k8s_hpa_min_le_max,
    k8s_hpa_has_pdb,
]
