"""Settings of scaling and availability: rollouts, the HorizontalPodAutoscaler, the PodDisruptionBudget."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .._shared import Labels
from .._validation import SettingsModel
from .quantities import IntOrPercent, Quantity, is_zero
from .settings_events import Trigger

__all__ = [
    "AutoscalingSettings",
    "ExternalMetric",
    "HpaBehaviorSettings",
    "PdbSettings",
    "PodsMetric",
    "RollingUpdateSettings",
    "ScalingPolicy",
    "ScalingRules",
    "Utilization",
]


class RollingUpdateSettings(SettingsModel):
    """How a new version replaces the old one."""

    max_surge: IntOrPercent = "25%"
    """Extra pods allowed above the desired count during a rollout."""
    max_unavailable: IntOrPercent = 0
    """Pods allowed below the desired count during a rollout (0: never lose capacity)."""

    @model_validator(mode="after")
    def _progress(self) -> RollingUpdateSettings:
        if is_zero(self.max_surge) and is_zero(self.max_unavailable):
            raise ValueError(
                "max_surge and max_unavailable are both zero, so a rollout can never progress; "
                "set max_surge to 1 or '25%'"
            )
        return self


class ScalingPolicy(SettingsModel):
    """At most ``value`` pods (or percent of the current pods) per ``period_seconds``."""

    type: Literal["Pods", "Percent"]
    """``Pods``: ``value`` is a number of pods; ``Percent``: a percentage of the current pods."""
    value: int = Field(ge=1)
    """The largest change allowed within one period."""
    period_seconds: int = Field(ge=1, le=1800)
    """The window the change is counted over (at most 30 minutes)."""


class ScalingRules(SettingsModel):
    """How fast the HPA may scale in one direction."""

    stabilization_window_seconds: int = Field(ge=0, le=3600)
    """The HPA acts on the most conservative recommendation within this window."""
    policies: list[ScalingPolicy] = Field(min_length=1, max_length=10)
    """The allowed rates of change; ``select_policy`` picks among them."""
    select_policy: Literal["Max", "Min", "Disabled"] = "Max"
    """``Max``: the policy allowing the biggest change wins; ``Min``: the smallest; ``Disabled``:
    never scale in this direction."""


class HpaBehaviorSettings(SettingsModel):
    """Scale-up and scale-down behavior; each direction can be overridden on its own."""

    scale_up: ScalingRules = ScalingRules(
        stabilization_window_seconds=0,
        policies=[
            ScalingPolicy(type="Percent", value=100, period_seconds=15),
            ScalingPolicy(type="Pods", value=4, period_seconds=15),
        ],
        select_policy="Max",
    )
    """Default: at once, by 100% or 4 pods per 15 s, whichever is more."""
    scale_down: ScalingRules = ScalingRules(
        stabilization_window_seconds=300,
        policies=[ScalingPolicy(type="Percent", value=10, period_seconds=60)],
        select_policy="Max",
    )
    """Default: after a 300 s stabilization window, by at most 10% per 60 s."""


class PodsMetric(SettingsModel):
    """A per-pod custom metric (from a custom metrics adapter), averaged over the pods."""

    name: str = Field(min_length=1)
    """The metric name, e.g. ``http_requests_per_second``."""
    target_average_value: Quantity
    """The target per pod, e.g. ``"1k"``."""
    selector: Labels = {}
    """Labels narrowing the metric series."""


class ExternalMetric(SettingsModel):
    """A metric from outside the cluster (e.g. SQS queue depth via KEDA or an external adapter)."""

    name: str = Field(min_length=1)
    """The metric name, e.g. ``sqs_messages_visible``."""
    selector: Labels = {}
    """Labels selecting the series, e.g. ``{queue: ingest}``."""
    target_value: Quantity | None = None
    """A total target (the HPA divides the metric by it)."""
    target_average_value: Quantity | None = None
    """A per-pod target, e.g. ``"30"`` messages per pod."""

    @model_validator(mode="after")
    def _one_target(self) -> ExternalMetric:
        if (self.target_value is None) == (self.target_average_value is None):
            raise ValueError("set exactly one of target_value and target_average_value")
        return self


def _check_utilization(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 100:
        raise ValueError("target utilization must be 1 to 100 percent of the request; e.g. 70")
    return value


Utilization = Annotated[int | None, AfterValidator(_check_utilization)]
"""A target utilization in percent of the request (1-100), or None for no such metric."""


class AutoscalingSettings(SettingsModel):
    """The HorizontalPodAutoscaler (``autoscaling/v2``), or a KEDA ScaledObject with ``triggers``."""

    enabled: bool = True
    """Scale between ``min_replicas`` and ``max_replicas``; off uses the fixed ``replicas``."""
    min_replicas: int = Field(default=2, ge=1)
    """The fewest pods the HPA keeps (2 or more survives the loss of a node)."""
    max_replicas: int = Field(default=10, ge=1)
    """The most pods the HPA scales to."""
    cpu_target_utilization: Utilization = 70
    """Target average CPU use, percent of the CPU request (1-100); unset for none."""
    memory_target_utilization: Utilization = None
    """Target average memory use, percent of the memory request (1-100). Off by default: memory
    rarely falls after a scale-up, so it tends to pin the service at its peak."""
    pods_metrics: list[PodsMetric] = []
    """Per-pod custom metrics to scale on (from a custom metrics adapter)."""
    external_metrics: list[ExternalMetric] = []
    """Metrics from outside the cluster for a raw HPA: only with ``external_metrics_provider``
    (nothing in the cluster serves ``external.metrics.k8s.io`` otherwise). To scale on a queue,
    use ``triggers``."""
    external_metrics_provider: str | None = None
    """The adapter that serves ``external.metrics.k8s.io`` on this cluster for ``external_metrics``
    (e.g. ``prometheus-adapter``); there is one per cluster, and it cannot be KEDA, which serves
    only its own ScaledObjects."""
    triggers: list[Trigger] = []
    """Event sources KEDA scales on (``sqs`` on the service's queue, ``kinesis``, ``cloudwatch``,
    ``prometheus``): the service gets a KEDA ScaledObject (with the CPU/memory targets as ``cpu``
    and ``memory`` triggers, and ``behavior``) instead of a raw HPA. Needs KEDA on the cluster."""
    polling_interval_seconds: int = Field(default=30, ge=1)
    """With ``triggers``: how often KEDA checks them."""
    cooldown_period_seconds: int = Field(default=300, ge=0)
    """With ``triggers``: the wait after the last active trigger before scaling to ``min_replicas``
    (KEDA's ``cooldownPeriod``)."""
    behavior: HpaBehaviorSettings = HpaBehaviorSettings()
    """How fast the HPA scales up and down."""

    @model_validator(mode="after")
    def _range(self) -> AutoscalingSettings:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) is greater than max_replicas ({self.max_replicas}); "
                "raise max_replicas or lower min_replicas"
            )
        metrics = [self.cpu_target_utilization, self.memory_target_utilization]
        others = [*self.pods_metrics, *self.external_metrics, *self.triggers]
        if self.enabled and all(m is None for m in metrics) and not others:
            raise ValueError(
                "the autoscaler has no metric; set cpu_target_utilization (e.g. 70), a trigger (e.g. "
                "{type: sqs}), a pods or external metric, or enabled: false"
            )
        return self


class PdbSettings(SettingsModel):
    """The PodDisruptionBudget: how many pods voluntary evictions (node drains) may take at once."""

    enabled: bool = True
    """Make the PodDisruptionBudget."""
    min_available: IntOrPercent | None = None
    """Pods that must stay up; must be below the minimum replica count."""
    max_unavailable: IntOrPercent | None = None
    """Pods that may be down at once; 1 when neither is set. Never 0."""
    unhealthy_pod_eviction_policy: Literal["AlwaysAllow", "IfHealthyBudget"] = "AlwaysAllow"
    """``AlwaysAllow`` lets drains evict pods that are not ready anyway, so a crash-looping pod
    never blocks node maintenance."""

    @model_validator(mode="after")
    def _one(self) -> PdbSettings:
        if self.min_available is not None and self.max_unavailable is not None:
            raise ValueError("set min_available or max_unavailable, not both")
        if self.max_unavailable is not None and is_zero(self.max_unavailable):
            raise ValueError(
                "max_unavailable 0 blocks every eviction, so nodes can never be drained; set it to 1 or more"
            )
        return self
