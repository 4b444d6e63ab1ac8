"""The AWS Load Balancer Controller on the cluster: its settings, chart values and IAM policy, pure.

The controller (chart ``aws-load-balancer-controller`` 3.5.0, appVersion v3.5.0, from the eks-charts
repository ``https://aws.github.io/eks-charts``; aws/eks-charts ``stable/aws-load-balancer-controller/
Chart.yaml``) turns an Ingress of class ``alb`` into an Application Load Balancer, its listeners and
target groups. It is how data enters the platform: client -> ALB -> a service's pods (IP targets).

Its IAM policy is the upstream one, kept byte for byte in
``aws-load-balancer-controller-v3.5.0-iam_policy.json`` beside this module (kubernetes-sigs/aws-load-balancer-
controller ``docs/install/iam_policy.json`` at tag v3.5.0): the controller creates and tags load
balancers, target groups, listeners and security groups, and associates WAF web ACLs and ACM
certificates. A test compares the file with the upstream digest; :func:`controller_policy` is the
document the controller's own IRSA role gets (``kube-system:aws-load-balancer-controller``), and
nothing else does.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

from pydantic import Field, field_validator

from .._validation import SettingsModel
from .pools import Placement

__all__ = [
    "DEFAULT_SSL_POLICY",
    "INGRESS_CLASS",
    "INGRESS_CONTROLLER",
    "LBC_CHART",
    "LBC_NAMESPACE",
    "LBC_POLICY_FILE",
    "LBC_POLICY_SHA256",
    "LBC_POLICY_SOURCE",
    "LBC_REPOSITORY",
    "LBC_SERVICE_ACCOUNT",
    "LBC_VERSION",
    "LoadBalancerControllerSettings",
    "controller_policy",
    "controller_values",
]

LBC_CHART = "aws-load-balancer-controller"
LBC_REPOSITORY = "https://aws.github.io/eks-charts"
LBC_VERSION = "3.5.0"
"""The chart version (appVersion v3.5.0; aws/eks-charts and the controller's own ``helm/`` agree)."""
LBC_NAMESPACE = "kube-system"
"""Where the eks-charts install guide puts the controller (its webhook service lives there too)."""
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"
"""The IngressClass the chart creates (``ingressClass``, ``createIngressClassResource: true``)."""
INGRESS_CONTROLLER = "ingress.k8s.aws/alb"
"""The ``spec.controller`` of that IngressClass: what the controller serves."""
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
"""The policy AWS recommends for new HTTPS listeners (TLS 1.3 and 1.2, forward secrecy only, hybrid
post-quantum key exchange; ELB user guide "Security policies for your Application Load Balancer").
Without one, a listener made through the API gets ``ELBSecurityPolicy-2016-08`` (TLS 1.0)."""

LBC_POLICY_FILE = "aws-load-balancer-controller-v3.5.0-iam_policy.json"
LBC_POLICY_SOURCE = (
    "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/install/iam_policy.json"
)
LBC_POLICY_SHA256 = "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a"
"""The digest of the upstream file at v3.5.0 (commit 5982613953df58f3227301b7121abde6abaa2c20)."""

_CHART_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


class LoadBalancerControllerSettings(SettingsModel):
    """The AWS Load Balancer Controller: ALBs for the services' Ingresses."""

    version: str = LBC_VERSION
    """The chart version, pinned (e.g. ``"3.5.0"``). The IAM policy is the one of this version:
    change both together (the policy file in components/eks)."""
    node_group: str = "system"
    """The managed node group the controller runs on (the cluster's system nodes)."""
    replicas: int = Field(default=2, ge=1, le=3)
    """Controller replicas (one leads; the other takes over, and the webhook keeps answering)."""

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if value != LBC_VERSION:
            raise ValueError(
                f"the IAM policy kept in components/eks is chart {LBC_VERSION}'s; pin "
                f"'{LBC_VERSION}', or add the new version's upstream iam_policy.json first"
            )
        return value


def _policy_bytes() -> bytes:
    return resources.files(__package__).joinpath(LBC_POLICY_FILE).read_bytes()


def controller_policy() -> str:
    """The controller's IAM policy (the upstream document, checked against its digest), as JSON."""
    raw = _policy_bytes()
    if hashlib.sha256(raw).hexdigest() != LBC_POLICY_SHA256:
        raise ValueError(f"{LBC_POLICY_FILE} differs from {LBC_POLICY_SOURCE}; restore it")
    # Compact: IAM counts inline policy characters (10,240 per role), not the file's indentation.
    return json.dumps(json.loads(raw), separators=(",", ":"))


def controller_values(
    settings: LoadBalancerControllerSettings,
    *,
    cluster_name: str,
    region: str,
    vpc_id: str,
    role_arn: str,
    placement: Placement,
) -> dict[str, Any]:
    """The chart values: the cluster, region and VPC given (so the controller never asks the
    instance metadata service, which the nodes' hop limit keeps from pods), its service account with
    the IRSA role, the system nodes, the ``alb`` IngressClass, a TLS 1.3 default policy, and no
    Service mutator webhook (it would turn every ``LoadBalancer`` Service into an NLB)."""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": settings.replicas,
        "serviceAccount": {
            "create": True,
            "name": LBC_SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "nodeSelector": dict(placement.node_selector),
        "tolerations": [dict(t) for t in placement.tolerations],
        "ingressClass": INGRESS_CLASS,
        "createIngressClassResource": True,
        "defaultSSLPolicy": DEFAULT_SSL_POLICY,
        "defaultTargetType": "ip",
        "enableServiceMutatorWebhook": False,
        "podDisruptionBudget": {"maxUnavailable": 1},
    }
