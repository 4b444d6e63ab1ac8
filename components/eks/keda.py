"""KEDA on the cluster: its settings and chart values, pure (no engine needed).

KEDA (chart ``keda`` 2.20.x from ``https://kedacore.github.io/charts``, namespace ``keda``;
keda-docs ``deploy.md``, research notes §6) runs an operator, a metrics API server and admission
webhooks. Its metrics server registers ``v1beta1.external.metrics.k8s.io``, and a cluster has one
APIService per group-version, so with KEDA on no other adapter can serve External metrics; and
KEDA serves them only for its own ScaledObjects (a raw External HPA gets nothing from it).

Identity (``identityOwner: workload``): the operator assumes each workload's role with its own
web-identity token (kedacore/keda ``pkg/scalers/aws/aws_config_cache.go``: AssumeRoleWithWebIdentity
with ``AWS_WEB_IDENTITY_TOKEN_FILE``, falling back to AssumeRole). The EKS pod identity webhook
mounts that token only into pods whose service account carries ``eks.amazonaws.com/role-arn``, so
the operator gets an IRSA role of its own (``podIdentity.aws.irsa.enabled`` + ``roleArn``). That
role needs no permission: each workload role trusts ``keda:keda-operator`` directly.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from .._validation import SettingsModel
from .pools import Placement

__all__ = [
    "KEDA_CHART",
    "KEDA_NAMESPACE",
    "KEDA_OPERATOR_SERVICE_ACCOUNT",
    "KEDA_REPOSITORY",
    "KEDA_VERSION",
    "KedaSettings",
    "keda_values",
]

KEDA_CHART = "keda"
KEDA_REPOSITORY = "https://kedacore.github.io/charts"
"""The chart's HTTP repository (no OCI location is documented: research notes §6)."""
KEDA_NAMESPACE = "keda"
KEDA_OPERATOR_SERVICE_ACCOUNT = "keda-operator"
"""The chart's default operator service account (``serviceAccount.operator.name``)."""
KEDA_VERSION = "2.21.1"
"""The chart version (appVersion 2.21.1, kedacore/charts release v2.21.1): KEDA 2.21 is tested on
Kubernetes 1.34-1.36, 2.20 only up to 1.35 (keda.sh/docs/2.22/operate/cluster, "Kubernetes
Compatibility"), and the cluster default is 1.36."""

_CHART_VERSION = re.compile(r"^2\.\d+\.\d+$")


class KedaSettings(SettingsModel):
    """KEDA: event-driven autoscaling for the services' ScaledObjects and ScaledJobs."""

    version: str = KEDA_VERSION
    """The KEDA chart version, pinned (e.g. ``"2.21.1"``); it also versions KEDA's CRDs."""
    node_group: str = "system"
    """The managed node group KEDA runs on (the cluster's system nodes)."""
    operator_replicas: int = Field(default=2, ge=1, le=3)
    """Operator replicas: one is active, the others stand by for a faster failover (KEDA's
    "High Availability" table, keda.sh/docs/<version>/operate/cluster)."""
    metrics_server_replicas: int = Field(default=2, ge=1, le=3)
    """Metrics API server replicas. One serves at a time; a second one shortens the outage when a
    node goes (the chart's values.yaml: "only one instance will used and serve traffic ... it could
    only reduce downtime during a failover"). With one, a drained node stops every HPA KEDA feeds."""
    webhook_replicas: int = Field(default=2, ge=1, le=3)
    """Admission webhook replicas (they validate ScaledObjects and ScaledJobs before they are
    stored; with the only one down, creating or changing one fails)."""

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _CHART_VERSION.match(value):
            raise ValueError("pin a KEDA 2.x chart version such as '2.21.1' (quoted; no 'v', no 'latest')")
        return value


def keda_values(settings: KedaSettings, *, operator_role_arn: str, placement: Placement) -> dict[str, Any]:
    """The chart values: the replicas, every KEDA pod on ``placement`` (the system nodes: node selector
    and the tolerations of their taints), and the operator's IRSA role (its token is what assumes
    the workload roles)."""
    # The chart's podDisruptionBudget.{operator,metricServer,webhooks} (kedacore/charts keda/values.yaml,
    # templates/*/poddisruptionbudget.yaml): a drain then takes one replica of each at a time. None for
    # a single replica: maxUnavailable 1 would protect nothing, and minAvailable 1 would block drains.
    replicas = {
        "operator": settings.operator_replicas,
        "metricServer": settings.metrics_server_replicas,
        "webhooks": settings.webhook_replicas,
    }
    budgets = {part: {"maxUnavailable": 1} for part, count in replicas.items() if count > 1}
    # Replicas on one node (or zone) fall together: spread them, softly (ScheduleAnyway never keeps a
    # pod pending). The chart's topologySpreadConstraints.{operator,metricsServer,webhooks} are
    # rendered as given; the pods' ``app`` labels are the chart's (templates/*/deployment.yaml).
    spread = {
        part: _spread(app)
        for part, app, count in (
            ("operator", "keda-operator", settings.operator_replicas),
            ("metricsServer", "keda-operator-metrics-apiserver", settings.metrics_server_replicas),
            ("webhooks", "keda-admission-webhooks", settings.webhook_replicas),
        )
        if count > 1
    }
    return {
        "operator": {"replicaCount": settings.operator_replicas},
        "metricsServer": {"replicaCount": settings.metrics_server_replicas},
        "webhooks": {"replicaCount": settings.webhook_replicas},
        **({"podDisruptionBudget": budgets} if budgets else {}),
        **({"topologySpreadConstraints": spread} if spread else {}),
        "nodeSelector": dict(placement.node_selector),
        "tolerations": [dict(t) for t in placement.tolerations],
        "podIdentity": {
            "aws": {
                "irsa": {
                    "enabled": True,
                    "roleArn": operator_role_arn,
                    "audience": "sts.amazonaws.com",
                    "stsRegionalEndpoints": "true",
                }
            }
        },
    }


def _spread(app: str) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": app}},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]
