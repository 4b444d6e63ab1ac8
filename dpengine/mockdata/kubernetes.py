"""Kubernetes objects as the API server returns them after a server-side apply.

Every object gets the server-filled metadata (``uid``, ``resourceVersion``,
``generation``, ``creationTimestamp``), a ``metadata.name`` when the program left
it to Pulumi's auto-naming (``<logical name>-<8 hex>``), and the id the
pulumi-kubernetes provider uses: ``<namespace>/<name>`` for namespaced kinds,
``<name>`` for cluster-scoped ones. Namespaced objects without a namespace land
in ``default``, as they would with a kubeconfig that names none. A few kinds
get the status fields programs read (a Service's ``clusterIP``, a Namespace's
phase, a Deployment's replica counts).

A Helm ``Release`` (``kubernetes:helm.sh/v3:Release``) is deployed at revision 1 with the chart,
version and namespace it was given; its id is ``<namespace>/<release name>``.

The provider itself (``pulumi:providers:kubernetes``) needs nothing: mocks
record it like any resource and children reference it by URN and id.
"""

from __future__ import annotations

import copy
from typing import Any

from ..expand import decode_yaml, template_chart
from ..mocks import MockContext, invoke, outputs_for

CREATION_TIMESTAMP = "2025-01-01T00:00:00Z"

_CLUSTER_SCOPED = (
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:PersistentVolume",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    # Karpenter's custom resources are cluster-scoped.
    "kubernetes:karpenter.sh/v1:NodePool",
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
)
_NAMESPACED = (
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:ResourceQuota",
    "kubernetes:core/v1:LimitRange",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
)


def _uid(ctx: MockContext) -> str:
    h = ctx.hex(32, "uid")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _object(ctx: MockContext, *, namespaced: bool) -> dict[str, Any]:
    """The object with server-filled metadata, and its provider id."""
    metadata = copy.deepcopy(dict(ctx.inputs.get("metadata") or {}))
    metadata.setdefault("name", f"{ctx.name}-{ctx.hex(8, 'autoname')}")
    if namespaced:
        metadata.setdefault("namespace", "default")
    else:
        metadata.pop("namespace", None)
    metadata.update(
        {
            "uid": _uid(ctx),
            "resourceVersion": str(int(ctx.hex(6, "rv"), 16)),
            "generation": 1,
            "creationTimestamp": CREATION_TIMESTAMP,
        }
    )
    resource_id = f"{metadata['namespace']}/{metadata['name']}" if namespaced else metadata["name"]
    return {"__id": resource_id, "metadata": metadata}


@outputs_for(*_CLUSTER_SCOPED)
def _cluster_scoped(ctx: MockContext) -> dict[str, Any]:
    out = _object(ctx, namespaced=False)
    if ctx.token == "kubernetes:core/v1:Namespace":
        out["spec"] = {"finalizers": ["kubernetes"]}
        out["status"] = {"phase": "Active"}
    return out


@outputs_for(*_NAMESPACED)
def _namespaced(ctx: MockContext) -> dict[str, Any]:
    out = _object(ctx, namespaced=True)
    maker = _STATUS.get(ctx.token)
    if maker is not None:
        out.update(maker(ctx))
    return out


def _service(ctx: MockContext) -> dict[str, Any]:
    spec = copy.deepcopy(dict(ctx.inputs.get("spec") or {}))
    kind = spec.get("type", "ClusterIP")
    host = int(ctx.hex(4, "ip"), 16)
    cluster_ip = f"172.20.{host // 256 % 256}.{host % 254 + 1}"
    spec.setdefault("type", kind)
    spec.setdefault("sessionAffinity", "None")
    spec.update({"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "ipFamilies": ["IPv4"]})
    ingress = []
    if kind == "LoadBalancer":
        ingress = [{"hostname": f"{ctx.hex(32, 'elb')}.elb.{ctx.region}.amazonaws.com"}]
    return {"spec": spec, "status": {"loadBalancer": {"ingress": ingress} if ingress else {}}}


def _deployment(ctx: MockContext) -> dict[str, Any]:
    spec = dict(ctx.inputs.get("spec") or {})
    # Without spec.replicas (an HPA owns it) the API server defaults it to 1.
    replicas = int(spec.get("replicas", 1))
    return {
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "updatedReplicas": replicas,
        }
    }


def _hpa(ctx: MockContext) -> dict[str, Any]:
    spec = dict(ctx.inputs.get("spec") or {})
    replicas = int(spec.get("minReplicas", 1))
    return {"status": {"currentReplicas": replicas, "desiredReplicas": replicas}}


def _pdb(ctx: MockContext) -> dict[str, Any]:
    return {
        "status": {
            "observedGeneration": 1,
            "currentHealthy": 0,
            "desiredHealthy": 0,
            "disruptionsAllowed": 0,
            "expectedPods": 0,
        }
    }


_STATUS = {
    "kubernetes:core/v1:Service": _service,
    "kubernetes:apps/v1:Deployment": _deployment,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _hpa,
    "kubernetes:policy/v1:PodDisruptionBudget": _pdb,
}


@outputs_for("kubernetes:helm.sh/v3:Release")
def _helm_release(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs.get("name") or f"{ctx.name}-{ctx.hex(8, 'autoname')}"
    namespace = ctx.inputs.get("namespace") or "default"
    chart = str(ctx.inputs.get("chart", ""))
    version = ctx.inputs.get("version", "0.0.0")
    return {
        "__id": f"{namespace}/{name}",
        "name": name,
        "namespace": namespace,
        "status": {
            "name": name,
            "namespace": namespace,
            "chart": chart.rstrip("/").rsplit("/", 1)[-1],
            "version": version,
            "appVersion": version,
            "revision": 1,
            "status": "deployed",
        },
    }


@invoke("kubernetes:yaml:decode")
def _yaml_decode(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    """The provider parses the text (``yaml.ConfigFile``/``ConfigGroup`` v1): so does the mock."""
    return {"result": decode_yaml(str(args.get("text") or ""))}


@invoke("kubernetes:helm:template")
def _helm_template(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    """A v1 ``helm.v3.Chart`` on disk rendered by Helm; a remote one renders nothing here (the engine
    lists it as not evaluated)."""
    objects, _ = template_chart(str(args.get("jsonOpts") or "{}"))
    return {"result": objects}
