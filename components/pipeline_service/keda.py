"""The KEDA objects of a service that scales on events: pure functions of the settings.

- ``ScaledObject`` (``kind: deployment`` with ``autoscaling.triggers``): KEDA creates and owns the
  Deployment's HPA (``keda-hpa-<name>``) with the service's min/max, ``behavior``, the triggers and
  the CPU/memory targets as KEDA ``cpu``/``memory`` triggers (they read metrics-server, which the
  cluster runs, and need the container requests, which the settings check);
- ``ScaledJob`` (``kind: scaledjob``): Jobs of the service's pod template, started while the
  triggers report work;
- ``TriggerAuthentication`` (any AWS trigger): KEDA's ``aws`` pod-identity provider with
  ``roleArn``, the service's scaler role (:mod:`.scaler`): KEDA reads the metrics as that role, which
  may do nothing else, never as the workload's own role (keda-docs ``authentication-providers/aws.md``).
  No ``identityOwner``: it is mutually exclusive with ``roleArn``.

Every metadata value is a string, as KEDA reads them.
"""

from __future__ import annotations

from typing import Any

from .manifests import Manifest, metadata, scaling_rules
from .settings import PipelineServiceSettings
from .settings_events import (
    AWS_TRIGGER_TYPES,
    CloudWatchTrigger,
    KinesisTrigger,
    PrometheusTrigger,
    SqsTrigger,
    Trigger,
)

__all__ = [
    "KEDA_API_VERSION",
    "keda_trigger",
    "resource_triggers",
    "scaled_job",
    "scaled_object",
    "trigger_authentication",
    "uses_aws_identity",
]

KEDA_API_VERSION = "keda.sh/v1alpha1"


def _text(value: float | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def uses_aws_identity(settings: PipelineServiceSettings) -> bool:
    """Whether a trigger calls AWS (so the service gets a TriggerAuthentication)."""
    return any(t.type in AWS_TRIGGER_TYPES for t in settings.keda_triggers)


def trigger_authentication(settings: PipelineServiceSettings, scaler_role_arn: Any) -> Manifest:
    """The TriggerAuthentication: KEDA's operator reads the metrics as the scaler role
    ``scaler_role_arn`` (may be an Output)."""
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "TriggerAuthentication",
        "metadata": metadata(settings),
        "spec": {"podIdentity": {"provider": "aws", "roleArn": scaler_role_arn}},
    }


def keda_trigger(trigger: Trigger, *, name: str, region: str, queue_url: Any = None) -> Manifest:
    """One KEDA trigger; AWS triggers authenticate with the service's TriggerAuthentication ``name``.
    ``queue_url`` (the service's queue, may be an Output) is required by ``sqs``."""
    wire: dict[str, Any]
    if isinstance(trigger, SqsTrigger):
        if queue_url is None:
            raise ValueError("an sqs trigger needs the service's queue URL")
        wire = {
            "type": "aws-sqs-queue",
            "metadata": {
                "queueURL": queue_url,
                "queueLength": _text(trigger.queue_length),
                "activationQueueLength": _text(trigger.activation_queue_length),
                "scaleOnInFlight": _text(trigger.scale_on_in_flight),
                "scaleOnDelayed": _text(trigger.scale_on_delayed),
                "awsRegion": region,
            },
        }
    elif isinstance(trigger, KinesisTrigger):
        wire = {
            "type": "aws-kinesis-stream",
            "metadata": {
                "streamName": trigger.stream_name,
                "shardCount": _text(trigger.shard_count),
                "activationShardCount": _text(trigger.activation_shard_count),
                # The stream's own region (its ARN's fourth field).
                "awsRegion": trigger.stream_arn.split(":")[3],
            },
        }
    elif isinstance(trigger, CloudWatchTrigger):
        meta: dict[str, Any] = {
            "namespace": trigger.namespace,
            "metricName": trigger.metric_name,
            "metricStat": trigger.statistic,
            "targetMetricValue": _text(trigger.target_value),
            "activationTargetMetricValue": _text(trigger.activation_target_value),
            "minMetricValue": _text(trigger.min_metric_value),
            "metricStatPeriod": _text(trigger.period_seconds),
            "metricCollectionTime": _text(trigger.collection_seconds),
            "awsRegion": region,
        }
        if trigger.dimensions:
            # KEDA takes several dimensions as ';'-separated names and values, in the same order.
            names = sorted(trigger.dimensions)
            meta["dimensionName"] = ";".join(names)
            meta["dimensionValue"] = ";".join(trigger.dimensions[n] for n in names)
        wire = {"type": "aws-cloudwatch", "metadata": meta}
    elif isinstance(trigger, PrometheusTrigger):
        wire = {
            "type": "prometheus",
            "metadata": {
                "serverAddress": trigger.server_address,
                "query": trigger.query,
                "threshold": _text(trigger.threshold),
                "activationThreshold": _text(trigger.activation_threshold),
            },
        }
    else:  # pragma: no cover - the discriminated union has no other member
        raise TypeError(f"unknown trigger {trigger!r}")
    if trigger.type in AWS_TRIGGER_TYPES:
        wire["authenticationRef"] = {"name": name, "kind": "TriggerAuthentication"}
    return wire


def resource_triggers(settings: PipelineServiceSettings) -> list[Manifest]:
    """The CPU and memory targets as KEDA ``cpu``/``memory`` triggers (utilization of the requests)."""
    found = []
    for resource, target in (
        ("cpu", settings.autoscaling.cpu_target_utilization),
        ("memory", settings.autoscaling.memory_target_utilization),
    ):
        if target is not None:
            found.append(
                {"type": resource, "metricType": "Utilization", "metadata": {"value": _text(target)}}
            )
    return found


def _triggers(settings: PipelineServiceSettings, region: str, queue_url: Any) -> list[Manifest]:
    return [
        keda_trigger(t, name=settings.name, region=region, queue_url=queue_url)
        for t in settings.keda_triggers
    ]


def scaled_object(settings: PipelineServiceSettings, *, region: str, queue_url: Any = None) -> Manifest:
    """The ScaledObject of the service's Deployment (``autoscaling`` with triggers)."""
    if not settings.makes_scaled_object:
        raise ValueError("the service scales without triggers: it has an HPA, not a ScaledObject")
    auto = settings.autoscaling
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "ScaledObject",
        "metadata": metadata(settings),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": settings.name},
            "pollingInterval": auto.polling_interval_seconds,
            "cooldownPeriod": auto.cooldown_period_seconds,
            "minReplicaCount": auto.min_replicas,
            "maxReplicaCount": auto.max_replicas,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "behavior": {
                        "scaleUp": scaling_rules(auto.behavior.scale_up),
                        "scaleDown": scaling_rules(auto.behavior.scale_down),
                    }
                }
            },
            "triggers": [*_triggers(settings, region, queue_url), *resource_triggers(settings)],
        },
    }


def scaled_job(
    settings: PipelineServiceSettings, template: Manifest, *, region: str, queue_url: Any = None
) -> Manifest:
    """The ScaledJob (``kind: scaledjob``): Jobs of ``template`` (see ``batch.pod_template``)."""
    scaling = settings.scaled_job
    if settings.kind != "scaledjob" or scaling is None:
        raise ValueError("settings are not a kind: scaledjob with scaled_job set")
    run = settings.job
    target: dict[str, Any] = {
        "parallelism": run.parallelism,
        "completions": run.completions,
        "backoffLimit": run.backoff_limit,
        "template": template,
    }
    if run.active_deadline_seconds is not None:
        target["activeDeadlineSeconds"] = run.active_deadline_seconds
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "ScaledJob",
        "metadata": metadata(settings),
        "spec": {
            "jobTargetRef": target,
            "pollingInterval": scaling.polling_interval_seconds,
            "minReplicaCount": scaling.min_replica_count,
            "maxReplicaCount": scaling.max_replica_count,
            "successfulJobsHistoryLimit": scaling.successful_jobs_history_limit,
            "failedJobsHistoryLimit": scaling.failed_jobs_history_limit,
            "scalingStrategy": {"strategy": scaling.scaling_strategy},
            "triggers": _triggers(settings, region, queue_url),
        },
    }
