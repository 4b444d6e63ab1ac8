"""The labels and metadata every Kubernetes object of a pipeline service carries: pure functions of the
settings, beside the manifests (:mod:`.manifests`, :mod:`.network_manifests`) that both use them."""

from __future__ import annotations

from typing import Any

from .._shared import label_value_problem
from .settings import PipelineServiceSettings, image_tag

__all__ = ["Manifest", "labels", "metadata", "selector_labels"]

Manifest = dict[str, Any]
"""A Kubernetes object, or a part of one, in wire shape."""

# --------------------------------------------------------------------------- labels, metadata


def selector_labels(settings: PipelineServiceSettings) -> dict[str, str]:
    """The labels selecting the service's pods (stable across versions: a selector is immutable)."""
    return {"app.kubernetes.io/name": settings.name, "app.kubernetes.io/instance": settings.name}


def labels(settings: PipelineServiceSettings) -> dict[str, str]:
    """The labels of every object and pod: the extra ``labels``, then ``app.kubernetes.io/*``."""
    result = {
        **settings.labels,
        **selector_labels(settings),
        "app.kubernetes.io/component": settings.component,
        "app.kubernetes.io/part-of": settings.part_of,
        "app.kubernetes.io/managed-by": "pulumi",
    }
    tag = image_tag(settings.image) if settings.image is not None else None
    # A digest-only image has no tag, and a tag may not be a valid label value (e.g. 'v1+build').
    if tag and not label_value_problem(tag):
        result["app.kubernetes.io/version"] = tag
    return result


def metadata(settings: PipelineServiceSettings, name: str | None = None) -> Manifest:
    """The metadata of a namespaced object: ``name`` (the service's name by default), labels, namespace."""
    return {
        "name": name or settings.name,
        "labels": labels(settings),
        "namespace": settings.namespace_name,
    }
