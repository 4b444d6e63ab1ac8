"""The load balancers a plan makes without declaring them: the ALBs of its ``alb`` Ingresses.

The AWS Load Balancer Controller, not Pulumi, creates an Application Load Balancer for each
IngressGroup: the Ingresses sharing an ``alb.ingress.kubernetes.io/group.name`` share one ALB, every
other Ingress of class ``alb`` gets its own (kubernetes-sigs/aws-load-balancer-controller
``docs/guide/ingress/annotations.md``, ``group.name``). Its listeners are the ``listen-ports``
annotation's, by default HTTP 80, or HTTPS 443 when a certificate is named. ``cost`` prices these
ALBs and ``graph`` draws them; both read them from here. Pure: plain inputs in, plain values out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ALB_CLASS", "INGRESS", "LoadBalancer", "is_alb_ingress", "load_balancers"]

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ALB_CLASS = "alb"
_PREFIX = "alb.ingress.kubernetes.io/"


@dataclass(frozen=True)
class LoadBalancer:
    """One ALB the controller makes."""

    key: str
    """The IngressGroup name, or ``<namespace>/<name>`` of an Ingress of its own."""
    scheme: str
    """``internal`` (the controller's default) or ``internet-facing``."""
    listeners: tuple[str, ...]
    """``PROTOCOL:port``, sorted (e.g. ``HTTPS:443``)."""
    ingresses: tuple[str, ...]
    """The URNs of the Ingresses it serves, sorted (the first carries its cost)."""


def _annotations(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = inputs.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def is_alb_ingress(inputs: Mapping[str, Any]) -> bool:
    """Whether an Ingress's inputs ask for the ``alb`` class (``spec.ingressClassName`` or the legacy
    ``kubernetes.io/ingress.class`` annotation)."""
    spec = inputs.get("spec")
    wanted = spec.get("ingressClassName") if isinstance(spec, Mapping) else None
    return (wanted or _annotations(inputs).get("kubernetes.io/ingress.class")) == ALB_CLASS


def _listeners(annotations: Mapping[str, Any]) -> tuple[str, ...]:
    raw = annotations.get(f"{_PREFIX}listen-ports")
    found: set[str] = set()
    try:
        for entry in json.loads(raw) if isinstance(raw, str) else []:
            for protocol, port in dict(entry).items():
                found.add(f"{protocol}:{port}")
    except (ValueError, TypeError):
        found = set()
    if not found:
        found = {"HTTPS:443" if annotations.get(f"{_PREFIX}certificate-arn") else "HTTP:80"}
    return tuple(sorted(found))


def load_balancers(ingresses: Iterable[tuple[str, Mapping[str, Any]]]) -> list[LoadBalancer]:
    """The ALBs of ``ingresses`` (URN, inputs), one per IngressGroup, sorted by key."""
    groups: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for urn, inputs in ingresses:
        if not is_alb_ingress(inputs):
            continue
        annotations = _annotations(inputs)
        raw = inputs.get("metadata")
        metadata: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        group = annotations.get(f"{_PREFIX}group.name")
        key = (
            group
            if isinstance(group, str) and group
            else f"{metadata.get('namespace')}/{metadata.get('name')}"
        )
        groups.setdefault(key, []).append((urn, inputs))
    found = []
    for key, members in sorted(groups.items()):
        members.sort(key=lambda member: member[0])
        schemes = {_annotations(i).get(f"{_PREFIX}scheme") or "internal" for _, i in members}
        listeners = sorted({listener for _, i in members for listener in _listeners(_annotations(i))})
        found.append(
            LoadBalancer(
                key=key,
                scheme="internet-facing" if "internet-facing" in schemes else "internal",
                listeners=tuple(listeners),
                ingresses=tuple(urn for urn, _ in members),
            )
        )
    return found
