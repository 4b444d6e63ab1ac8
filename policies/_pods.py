"""Where the pod spec sits in every pod-bearing Kubernetes kind, and how to walk its containers.

Shared by the Pod Security Standards (:mod:`.pod_security`) and the plaintext-secret rule
(:mod:`.k8s_secrets`). A kind is read from the type token (``kubernetes:<group>/<version>:<Kind>``),
so every API version the SDK still has (``apps/v1beta2``, ``extensions/v1beta1``, ``batch/v1beta1``)
and every ``<Kind>Patch`` (server-side apply patches) is covered by one table.
"""

from __future__ import annotations

from typing import Any

from ._common import UNKNOWN, as_list, get

POD_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "PodTemplate": ("template",),
    "ReplicationController": ("spec", "template"),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Kind -> the path of its pod (``metadata`` and ``spec``) inside the object."""

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
"""Every container list of a pod spec (the Pod Security admission visits all three:
k8s.io/pod-security-admission policy/visitor.go, ``visitContainers``)."""


def kind_of(token: str) -> tuple[str, bool] | None:
    """(kind, is a patch) for a pod-bearing Kubernetes type token; None for any other type."""
    if not token.startswith("kubernetes:"):
        return None
    kind = token.rsplit(":", 1)[-1]
    patch = kind.endswith("Patch")
    if patch:
        kind = kind[: -len("Patch")]
    return (kind, patch) if kind in POD_PATHS else None


def is_pod_bearing(token: str) -> bool:
    return kind_of(token) is not None


def pod_of(token: str, props: dict[str, Any]) -> tuple[str, Any, Any] | None:
    """(path prefix, pod metadata, pod spec) of an object; None when absent; parts may be UNKNOWN."""
    found = kind_of(token)
    if found is None:
        return None
    path = POD_PATHS[found[0]]
    pod = get(props, *path) if path else props
    if pod is UNKNOWN:
        return ".".join(path), UNKNOWN, UNKNOWN
    if not isinstance(pod, dict):
        return None
    prefix = ".".join(path)
    return prefix, pod.get("metadata"), pod.get("spec")


def containers(spec: Any) -> list[tuple[str, dict[str, Any]]]:
    """(path inside the pod spec, container) for each known container of every list."""
    found = []
    for kind in CONTAINER_LISTS:
        listed = get(spec, kind)
        if listed is UNKNOWN:
            continue
        for index, container in enumerate(as_list(listed)):
            if isinstance(container, dict):
                found.append((f"{kind}[{index}]", container))
    return found
