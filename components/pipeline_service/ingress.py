"""The Ingress of a service exposed through an ALB: a pure function of its settings.

The AWS Load Balancer Controller reads these annotations (kubernetes-sigs/aws-load-balancer-controller
``docs/guide/ingress/annotations.md`` at v3.5.0):

- ``scheme``: ``internal`` or ``internet-facing`` (changing it replaces the ALB);
- ``target-type: ip``: the ALB sends to the pod IPs (no NodePort, no extra hop through kube-proxy),
  so the service's NetworkPolicy admits the ALB's subnets on the container port;
- ``listen-ports: [{"HTTPS": 443}]`` with ``certificate-arn`` and ``ssl-policy``: HTTPS only (no
  HTTP listener at all, so nothing is served in the clear);
- ``inbound-cidrs``: the ALB security group's sources (the controller's default is ``0.0.0.0/0``,
  also for an internal ALB);
- ``wafv2-acl-arn``: an optional regional WAF web ACL; ``group.name``: one ALB for several Ingresses;
- ``healthcheck-path``: the readiness probe's path, so the ALB only sends to ready pods;
- ``load-balancer-attributes``: drop invalid header fields (request smuggling);
- ``tags``: the stack's tag set on the ALB, its listeners and target groups.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .manifests import metadata
from .settings import PipelineServiceSettings
from .traffic import ServiceNetwork

__all__ = ["ALB_ANNOTATION", "HTTPS_PORT", "inbound_cidrs", "ingress"]

ALB_ANNOTATION = "alb.ingress.kubernetes.io/"
HTTPS_PORT = 443

Manifest = dict[str, Any]


def inbound_cidrs(settings: PipelineServiceSettings, network: ServiceNetwork | None) -> list[str]:
    """Who may connect to the ALB: ``ingress.inbound_cidrs``, else the VPC (internal) or everyone
    (internet-facing)."""
    spec = settings.ingress
    if spec is None:
        raise ValueError("the service has no ingress")
    if spec.inbound_cidrs is not None:
        return list(spec.inbound_cidrs)
    if spec.scheme == "internet-facing":
        return ["0.0.0.0/0"]
    if network is None:
        raise ValueError("an internal ALB admits the VPC's CIDR blocks: pass the network (ServiceNetwork)")
    return list(network.vpc_cidrs)


def _tags(tags: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(tags.items()))


def ingress(
    settings: PipelineServiceSettings,
    network: ServiceNetwork | None,
    *,
    ingress_class: str,
    tags: Mapping[str, str],
) -> Manifest:
    """The Ingress of class ``ingress_class`` routing ``ingress.host``/``ingress.path`` to the
    service's Service port."""
    spec = settings.ingress
    if spec is None or settings.port is None:
        raise ValueError("the service has no ingress (or no port to route to)")
    a = ALB_ANNOTATION
    annotations: dict[str, str] = {
        f"{a}scheme": spec.scheme,
        f"{a}target-type": "ip",
        f"{a}backend-protocol": "HTTP",
        f"{a}listen-ports": json.dumps([{"HTTPS": HTTPS_PORT}]),
        f"{a}certificate-arn": spec.certificate_arn,
        f"{a}ssl-policy": spec.ssl_policy,
        f"{a}inbound-cidrs": ",".join(inbound_cidrs(settings, network)),
        f"{a}load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
        f"{a}tags": _tags(tags),
    }
    readiness = settings.probes.readiness
    if readiness is not None and readiness.type == "http" and readiness.path:
        annotations[f"{a}healthcheck-path"] = readiness.path
    if spec.waf_acl_arn is not None:
        annotations[f"{a}wafv2-acl-arn"] = spec.waf_acl_arn
    if spec.group is not None:
        annotations[f"{a}group.name"] = spec.group
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": spec.path,
                    "pathType": "Prefix",
                    "backend": {
                        "service": {
                            "name": settings.name,
                            "port": {"number": settings.service_port or settings.port},
                        }
                    },
                }
            ]
        }
    }
    if spec.host is not None:
        rule = {"host": spec.host, **rule}
    meta = metadata(settings)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {**meta, "annotations": annotations},
        "spec": {"ingressClassName": ingress_class, "rules": [rule]},
    }
