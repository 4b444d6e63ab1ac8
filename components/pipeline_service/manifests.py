"""The Kubernetes objects of a pipeline service, as plain dicts: pure functions of the settings.

Every object is returned in wire shape (camelCase keys, exactly as in a YAML manifest, with
``apiVersion`` and ``kind``), so tests validate it against the Kubernetes OpenAPI schema as it is.
The component passes the ``metadata`` and ``spec`` parts to the SDK's resources: the SDK's typed
dicts spell keys in snake_case, and the Python runtime passes a key it has no snake_case name for
through unchanged, so the object reaches the provider exactly as written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..eks.pools import Placement

# Labels and metadata live in .labels (the NetworkPolicy's module uses them too); re-exported here:
# one import path for every manifest.
from .labels import Manifest as Manifest
from .labels import labels as labels
from .labels import metadata as metadata
from .labels import selector_labels as selector_labels
from .settings import (
    ROLE_ARN_ANNOTATION,
    LimitRangeSettings,
    PipelineServiceSettings,
    ResourceQuotaSettings,
)
from .settings_pod import ProbeSettings, ResourceList, Toleration
from .settings_scaling import ScalingRules

if TYPE_CHECKING:
    import pulumi

__all__ = [
    "container",
    "deployment",
    "deployment_spec",
    "egress_ports",
    "hpa",
    "hpa_spec",
    "ingress_rules",
    "labels",
    "limit_range",
    "limit_range_spec",
    "metadata",
    "namespace",
    "network_peer",
    "network_policy",
    "network_policy_spec",
    "pdb",
    "pdb_spec",
    "pod_spec",
    "probe",
    "resource_list",
    "resource_quota",
    "resource_quota_spec",
    "scaling_rules",
    "selector_labels",
    "service",
    "service_account",
    "service_spec",
    "toleration",
    "topology_spread",
    "with_environment",
    "with_image",
]

# --------------------------------------------------------------------------- namespace


def namespace(settings: PipelineServiceSettings, pod_security_version: str) -> Manifest:
    """The Namespace, enforcing the settings' Pod Security Standard and warning/auditing ``restricted``.

    ``pod_security_version`` is the cluster's minor version as ``"v1.32"``, so the standard does not
    change under the namespace when the cluster is upgraded.
    """
    level = settings.pod_security_level
    namespace_labels = labels(settings)
    # The namespace outlives image versions: no version label on it.
    namespace_labels.pop("app.kubernetes.io/version", None)
    namespace_labels.update(
        {
            "pod-security.kubernetes.io/enforce": level,
            "pod-security.kubernetes.io/enforce-version": pod_security_version,
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": pod_security_version,
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": pod_security_version,
        }
    )
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": settings.namespace_name, "labels": namespace_labels},
    }


def resource_list(values: ResourceList) -> dict[str, str]:
    """Requests or limits in wire shape (``ephemeral-storage``), leaving out what is unset."""
    wire = {"cpu": values.cpu, "memory": values.memory, "ephemeral-storage": values.ephemeral_storage}
    return {k: v for k, v in wire.items() if v is not None}


def resource_quota_spec(quota: ResourceQuotaSettings) -> Manifest:
    """The ResourceQuota's spec."""
    return {"hard": dict(quota.hard)}


def resource_quota(settings: PipelineServiceSettings) -> Manifest:
    """The namespace's ResourceQuota, named ``<name>-quota``; ``settings.resource_quota`` must be set."""
    if settings.resource_quota is None:
        raise ValueError("settings.resource_quota is not set")
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata(settings, f"{settings.name}-quota"),
        "spec": resource_quota_spec(settings.resource_quota),
    }


def limit_range_spec(limits: LimitRangeSettings) -> Manifest:
    """The LimitRange's spec: one ``Container`` item with the bounds that are set."""
    item: dict[str, Any] = {"type": "Container"}
    for key, values in (
        ("defaultRequest", limits.default_requests),
        ("default", limits.default_limits),
        ("min", limits.min),
        ("max", limits.max),
    ):
        if resource_list(values):
            item[key] = resource_list(values)
    return {"limits": [item]}


def limit_range(settings: PipelineServiceSettings) -> Manifest:
    """The namespace's LimitRange, named ``<name>-limits``; ``settings.limit_range`` must be set."""
    if settings.limit_range is None:
        raise ValueError("settings.limit_range is not set")
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": metadata(settings, f"{settings.name}-limits"),
        "spec": limit_range_spec(settings.limit_range),
    }


# --------------------------------------------------------------------------- identity


def service_account(settings: PipelineServiceSettings, role_arn: pulumi.Input[str] | None) -> Manifest:
    """The ServiceAccount, annotated with the IRSA role's ARN when there is a role."""
    account_metadata = metadata(settings)
    if role_arn is not None:
        account_metadata["annotations"] = {ROLE_ARN_ANNOTATION: role_arn}
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": account_metadata,
        "automountServiceAccountToken": settings.automount_service_account_token,
    }


# --------------------------------------------------------------------------- workload


def probe(settings: ProbeSettings, port_name: str) -> Manifest:
    """One probe; HTTP and TCP probes target the container port by its name ``port_name``."""
    wire: dict[str, Any] = {
        "initialDelaySeconds": settings.initial_delay_seconds,
        "periodSeconds": settings.period_seconds,
        "timeoutSeconds": settings.timeout_seconds,
        "failureThreshold": settings.failure_threshold,
        "successThreshold": settings.success_threshold,
    }
    if settings.type == "http":
        wire["httpGet"] = {"path": settings.path, "port": port_name, "scheme": "HTTP"}
    elif settings.type == "tcp":
        wire["tcpSocket"] = {"port": port_name}
    else:
        wire["exec"] = {"command": list(settings.command)}
    return wire


def container(settings: PipelineServiceSettings) -> Manifest:
    """The service's one container, with the restricted security context."""
    s = settings
    security = s.security
    wire: dict[str, Any] = {
        "name": s.name,
        "image": s.image,
        "imagePullPolicy": s.image_pull_policy,
        "resources": {
            key: values
            for key, values in (
                ("requests", resource_list(s.resources.requests)),
                ("limits", resource_list(s.resources.limits)),
            )
            if values
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": security.run_as_user,
            "runAsGroup": security.run_as_group,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": security.read_only_root_filesystem,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if s.command is not None:
        wire["command"] = list(s.command)
    if s.args is not None:
        wire["args"] = list(s.args)
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(s.env.items())]
    env += [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}
        for k, ref in sorted(s.secret_env.items())
    ]
    if env:
        wire["env"] = env
    if s.env_from_secrets:
        wire["envFrom"] = [{"secretRef": {"name": secret}} for secret in s.env_from_secrets]
    if s.port is not None:
        wire["ports"] = [{"name": s.port_name, "containerPort": s.port, "protocol": "TCP"}]
    for kind in ("liveness", "readiness", "startup"):
        settings_of_kind: ProbeSettings | None = getattr(s.probes, kind)
        if settings_of_kind is not None:
            wire[f"{kind}Probe"] = probe(settings_of_kind, s.port_name)
    if s.pre_stop_command is not None:
        wire["lifecycle"] = {"preStop": {"exec": {"command": list(s.pre_stop_command)}}}
    elif s.pre_stop_sleep_seconds > 0:
        wire["lifecycle"] = {"preStop": {"sleep": {"seconds": s.pre_stop_sleep_seconds}}}
    if security.writable_tmp:
        wire["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    return wire


def topology_spread(settings: PipelineServiceSettings) -> list[Manifest]:
    """The topology spread constraints: across zones, then across nodes (each may be off)."""
    spread = settings.topology_spread
    constraints = []
    for key, mode in (
        ("topology.kubernetes.io/zone", spread.zones),
        ("kubernetes.io/hostname", spread.nodes),
    ):
        if mode is None:
            continue
        constraints.append(
            {
                "maxSkew": spread.max_skew,
                "topologyKey": key,
                "whenUnsatisfiable": mode,
                "labelSelector": {"matchLabels": selector_labels(settings)},
                # Count only the pods of the same ReplicaSet, so a rollout spreads the new pods too.
                "matchLabelKeys": ["pod-template-hash"],
            }
        )
    return constraints


def toleration(settings: Toleration) -> Manifest:
    """One toleration, leaving out what is unset."""
    wire: dict[str, Any] = {"operator": settings.operator}
    for key in ("key", "value", "effect"):
        if getattr(settings, key) is not None:
            wire[key] = getattr(settings, key)
    if settings.toleration_seconds is not None:
        wire["tolerationSeconds"] = settings.toleration_seconds
    return wire


def pod_spec(settings: PipelineServiceSettings) -> Manifest:
    """The pod template's spec."""
    s = settings
    security = s.security
    spec: dict[str, Any] = {
        "serviceAccountName": s.name,
        "automountServiceAccountToken": s.automount_service_account_token,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": s.termination_grace_period_seconds,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": security.run_as_user,
            "runAsGroup": security.run_as_group,
            "fsGroup": security.fs_group,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(s)],
    }
    constraints = topology_spread(s)
    if constraints:
        spec["topologySpreadConstraints"] = constraints
    if s.node_selector:
        spec["nodeSelector"] = dict(s.node_selector)
    if s.tolerations:
        spec["tolerations"] = [toleration(t) for t in s.tolerations]
    if s.priority_class_name:
        spec["priorityClassName"] = s.priority_class_name
    if security.writable_tmp:
        spec["volumes"] = [{"name": "tmp", "emptyDir": {"sizeLimit": security.tmp_size_limit}}]
    return spec


def deployment_spec(settings: PipelineServiceSettings) -> Manifest:
    """The Deployment's spec: RollingUpdate, and the replica count only without the HPA."""
    s = settings
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_labels(s)},
        "revisionHistoryLimit": s.revision_history_limit,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": s.rolling_update.max_surge,
                "maxUnavailable": s.rolling_update.max_unavailable,
            },
        },
        "template": {"metadata": {"labels": labels(s)}, "spec": pod_spec(s)},
    }
    # With the HPA on, spec.replicas is left out on purpose. pulumi-kubernetes applies
    # server-side: a field in our object is owned by Pulumi's field manager, and every
    # `pulumi up` would reset the count the HPA chose (a scale-down in the middle of a
    # peak) or conflict with it. Left out, the API server defaults it to 1 at creation and
    # the HPA alone owns it (it raises it to minReplicas within seconds). Turning the HPA
    # on later releases the field the same way.
    if not s.autoscaling.enabled:
        spec["replicas"] = s.replicas
    return spec


def deployment(settings: PipelineServiceSettings) -> Manifest:
    """The Deployment."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(settings),
        "spec": deployment_spec(settings),
    }


def with_environment(workload: Manifest, environment: Mapping[str, Any]) -> Manifest:
    """A copy of ``workload`` whose container also gets ``environment`` (values may be Outputs), by
    name after its own variables. The workload itself is not changed."""
    if not environment:
        return workload
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    added = [{"name": name, "value": value} for name, value in sorted(environment.items())]
    pod = {
        **workload["spec"]["template"]["spec"],
        "containers": [{**container, "env": [*container.get("env", []), *added]}],
    }
    template = {**workload["spec"]["template"], "spec": pod}
    return {**workload, "spec": {**workload["spec"], "template": template}}


def with_image(workload: Manifest, image: Any) -> Manifest:
    """A copy of ``workload`` whose container runs ``image`` (a value or an Output: the service's
    own repository at its pinned tag or digest). Unchanged for None."""
    if image is None:
        return workload
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    pod = {**workload["spec"]["template"]["spec"], "containers": [{**container, "image": image}]}
    template = {**workload["spec"]["template"], "spec": pod}
    return {**workload, "spec": {**workload["spec"], "template": template}}


def with_placement(workload: Manifest, placement: Placement | None) -> Manifest:
    """A copy of ``workload`` whose pods carry ``placement`` (the cluster's node selector and
    tolerations for the service's pool) before the service's own extra ones. Unchanged for None."""
    if placement is None:
        return workload
    pod = dict(workload["spec"]["template"]["spec"])
    pod["nodeSelector"] = {**placement.node_selector, **pod.get("nodeSelector", {})}
    own = pod.get("tolerations", [])
    pod["tolerations"] = [*placement.tolerations, *(t for t in own if t not in placement.tolerations)]
    if not pod["tolerations"]:
        del pod["tolerations"]
    template = {**workload["spec"]["template"], "spec": pod}
    return {**workload, "spec": {**workload["spec"], "template": template}}


def service_spec(settings: PipelineServiceSettings) -> Manifest:
    """The Service's spec: ``service_port`` (or ``port``) to the container port by name."""
    if settings.port is None:
        raise ValueError("settings.port is not set: a service without a port has no Service")
    return {
        "type": settings.service_type,
        "selector": selector_labels(settings),
        "ports": [
            {
                "name": settings.port_name,
                "port": settings.service_port or settings.port,
                "targetPort": settings.port_name,
                "protocol": "TCP",
            }
        ],
    }


def service(settings: PipelineServiceSettings) -> Manifest:
    """The Service; ``settings.port`` must be set."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(settings),
        "spec": service_spec(settings),
    }


# --------------------------------------------------------------------------- availability


def scaling_rules(settings: ScalingRules) -> Manifest:
    """The HPA behavior of one direction (``scaleUp`` or ``scaleDown``)."""
    return {
        "stabilizationWindowSeconds": settings.stabilization_window_seconds,
        "selectPolicy": settings.select_policy,
        "policies": [
            {"type": p.type, "value": p.value, "periodSeconds": p.period_seconds} for p in settings.policies
        ],
    }


def hpa_spec(settings: PipelineServiceSettings) -> Manifest:
    """The HorizontalPodAutoscaler's spec: resource, then pods, then external metrics."""
    hpa = settings.autoscaling
    metrics: list[dict[str, Any]] = []
    for resource, target in (
        ("cpu", hpa.cpu_target_utilization),
        ("memory", hpa.memory_target_utilization),
    ):
        if target is not None:
            metrics.append(
                {
                    "type": "Resource",
                    "resource": {
                        "name": resource,
                        "target": {"type": "Utilization", "averageUtilization": target},
                    },
                }
            )
    for pods in hpa.pods_metrics:
        metric: dict[str, Any] = {"name": pods.name}
        if pods.selector:
            metric["selector"] = {"matchLabels": dict(pods.selector)}
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": metric,
                    "target": {"type": "AverageValue", "averageValue": pods.target_average_value},
                },
            }
        )
    for external in hpa.external_metrics:
        metric = {"name": external.name}
        if external.selector:
            metric["selector"] = {"matchLabels": dict(external.selector)}
        goal = (
            {"type": "Value", "value": external.target_value}
            if external.target_value is not None
            else {"type": "AverageValue", "averageValue": external.target_average_value}
        )
        metrics.append({"type": "External", "external": {"metric": metric, "target": goal}})
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": settings.name},
        "minReplicas": hpa.min_replicas,
        "maxReplicas": hpa.max_replicas,
        "metrics": metrics,
        "behavior": {
            "scaleUp": scaling_rules(hpa.behavior.scale_up),
            "scaleDown": scaling_rules(hpa.behavior.scale_down),
        },
    }


def hpa(settings: PipelineServiceSettings) -> Manifest:
    """The HorizontalPodAutoscaler (``autoscaling/v2``) of the Deployment."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(settings),
        "spec": hpa_spec(settings),
    }


def pdb_spec(settings: PipelineServiceSettings) -> Manifest:
    """The PodDisruptionBudget's spec: ``min_available`` when set, else ``max_unavailable`` (1 by default)."""
    pdb = settings.pdb
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_labels(settings)},
        "unhealthyPodEvictionPolicy": pdb.unhealthy_pod_eviction_policy,
    }
    if pdb.min_available is not None:
        spec["minAvailable"] = pdb.min_available
    else:
        spec["maxUnavailable"] = pdb.max_unavailable if pdb.max_unavailable is not None else 1
    return spec


def pdb(settings: PipelineServiceSettings) -> Manifest:
    """The PodDisruptionBudget."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(settings),
        "spec": pdb_spec(settings),
    }


# The NetworkPolicy's functions live beside (re-exported: one import path for every manifest).
from .network_manifests import (  # noqa: E402
    egress_ports as egress_ports,
)
from .network_manifests import (  # noqa: E402
    ingress_rules as ingress_rules,
)
from .network_manifests import (  # noqa: E402
    network_peer as network_peer,
)
from .network_manifests import (  # noqa: E402
    network_policy as network_policy,
)
from .network_manifests import (  # noqa: E402
    network_policy_spec as network_policy_spec,
)
