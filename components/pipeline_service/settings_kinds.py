"""Cross-field checks of the workload kind, the queue and the KEDA triggers (pure; the service
settings run them with their other checks, so every problem is listed at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._validation import ConfigIssue

if TYPE_CHECKING:
    from .settings import PipelineServiceSettings

__all__ = ["QUEUE_ENV_NAME", "event_issues", "kind_issues"]

QUEUE_ENV_NAME = "QUEUE_URL"
"""The environment variable holding the service's queue URL."""

_DEPLOYMENT_ONLY = {
    "autoscaling": "scale queue-driven Jobs with kind: scaledjob and scaled_job.triggers, or set "
    "job.parallelism",
    "replicas": "set job.parallelism (pods at once) and job.completions",
    "pdb": "a Job's pods are not protected by a PodDisruptionBudget; remove it",
    "rolling_update": "Jobs are not rolled out; remove it",
    "service_port": "a Job gets no Service; remove it",
    "service_type": "a Job gets no Service; remove it",
}


def kind_issues(settings: PipelineServiceSettings) -> list[ConfigIssue]:
    """Settings that do not fit ``kind``: Deployment-only settings on a job, a job's on a Deployment."""
    s = settings
    issues: list[ConfigIssue] = []
    for field, kind in (("cron", "cronjob"), ("scaled_job", "scaledjob")):
        if getattr(s, field) is not None and s.kind != kind:
            issues.append(
                ConfigIssue(
                    field, s.kind, f"configures a {kind}, and kind is {s.kind}; set kind: {kind} or remove it"
                )
            )
    if s.kind == "deployment":
        if "job" in s.model_fields_set:
            issues.append(
                ConfigIssue(
                    "job",
                    "deployment",
                    "configures Jobs, and kind is deployment; set kind: job, cronjob or scaledjob, "
                    "or remove it",
                )
            )
        return issues
    if s.port is not None:
        issues.append(
            ConfigIssue(
                "port",
                s.port,
                f"a {s.kind} runs to completion and gets no Service; remove port, or use kind: deployment "
                "for a service that serves requests",
            )
        )
    for field, fix in _DEPLOYMENT_ONLY.items():
        if field in s.model_fields_set:
            issues.append(
                ConfigIssue(field, getattr(s, field), f"is for Deployments, and kind is {s.kind}; {fix}")
            )
    if s.kind == "cronjob" and s.cron is None:
        issues.append(
            ConfigIssue("cron", None, "kind cronjob needs a schedule; set cron: {schedule: '30 2 * * *'}")
        )
    if s.kind == "scaledjob" and s.scaled_job is None:
        issues.append(
            ConfigIssue(
                "scaled_job", None, "kind scaledjob needs triggers; set scaled_job: {triggers: [{type: sqs}]}"
            )
        )
    if (
        s.kind == "scaledjob"
        and s.job.ttl_seconds_after_finished is not None
        and ("ttl_seconds_after_finished" in s.job.model_fields_set)
    ):
        issues.append(
            ConfigIssue(
                "job.ttl_seconds_after_finished",
                s.job.ttl_seconds_after_finished,
                "KEDA cleans up a ScaledJob's Jobs by its history limits; set "
                "scaled_job.successful_jobs_history_limit instead",
            )
        )
    if s.kind != "job" and s.job.await_completion:
        issues.append(
            ConfigIssue(
                "job.await_completion",
                True,
                f"only a kind: job is created once per deployment; a {s.kind}'s runs are not "
                "awaited, remove it",
            )
        )
    return issues


def event_issues(settings: PipelineServiceSettings) -> list[ConfigIssue]:
    """The queue and the triggers fit together, and raw External metrics name their provider."""
    s = settings
    auto = s.autoscaling
    issues: list[ConfigIssue] = []
    located = [(f"autoscaling.triggers[{i}]", t) for i, t in enumerate(auto.triggers)]
    if s.scaled_job is not None:
        located += [(f"scaled_job.triggers[{i}]", t) for i, t in enumerate(s.scaled_job.triggers)]
    for where, trigger in located:
        if trigger.type == "sqs" and s.queue is None:
            issues.append(
                ConfigIssue(
                    f"{where}.type",
                    "sqs",
                    "scales on the service's queue, and the service has none; set queue: {} (a queue the "
                    "service creates), queue.arn (an existing one) or queue.from_service (another service's)",
                )
            )
    issues += job_queue_issues(s)
    if auto.triggers and not auto.enabled:
        issues.append(
            ConfigIssue(
                "autoscaling.triggers",
                len(auto.triggers),
                "are ignored with autoscaling.enabled: false; remove them or turn autoscaling on",
            )
        )
    if auto.triggers and (auto.pods_metrics or auto.external_metrics):
        issues.append(
            ConfigIssue(
                "autoscaling.triggers",
                len(auto.triggers),
                "make KEDA own the service's HPA, which then takes no pods or external metrics; express "
                "them as triggers (e.g. type: prometheus) or remove the triggers",
            )
        )
    provider = auto.external_metrics_provider
    if provider is not None and provider.strip().lower() == "keda":
        issues.append(
            ConfigIssue(
                "autoscaling.external_metrics_provider",
                provider,
                "KEDA serves external metrics only for its own ScaledObjects, never for a raw HPA; "
                "replace external_metrics with autoscaling.triggers (e.g. [{type: sqs}])",
            )
        )
    elif provider is not None and not auto.external_metrics:
        issues.append(
            ConfigIssue(
                "autoscaling.external_metrics_provider",
                provider,
                "has no effect without external_metrics; remove it",
            )
        )
    if auto.external_metrics and provider is None and not auto.triggers:
        issues.append(
            ConfigIssue(
                "autoscaling.external_metrics",
                [m.name for m in auto.external_metrics],
                "nothing in the cluster serves external.metrics.k8s.io for a raw HPA, so it would never "
                "scale; scale on the queue with autoscaling.triggers: [{type: sqs}] (KEDA), or name the "
                "adapter that serves these metrics in autoscaling.external_metrics_provider",
            )
        )
    if s.queue is not None:
        for field in ("env", "secret_env"):
            if QUEUE_ENV_NAME in getattr(s, field):
                issues.append(
                    ConfigIssue(
                        f"{field}.{QUEUE_ENV_NAME}",
                        QUEUE_ENV_NAME,
                        f"is set by queue; remove it from {field}",
                    )
                )
        if s.queue.from_service == s.name:
            issues.append(
                ConfigIssue(
                    "queue.from_service", s.name, "is this service; remove from_service to create the queue"
                )
            )
    return issues


JOB_KINDS = ("job", "cronjob", "scaledjob")


def job_queue_issues(s: PipelineServiceSettings) -> list[ConfigIssue]:
    """A Job that consumes its own queue: the message stays hidden for the whole run, and KEDA counts
    each message once.

    - SQS delivers a received message again once its visibility timeout ends (SQS developer guide,
      "Amazon SQS visibility timeout"), so a queue read by a Job that may run ``active_deadline_seconds``
      needs a visibility timeout at least that long, or a second Job takes the same message mid-run.
    - KEDA's ``accurate`` ScaledJob strategy is for scalers whose queue length leaves out messages
      being processed (keda.sh/docs/2.20/reference/scaledjob-spec, "scalingStrategy": it returns
      ``maxScale - pendingJobCount``, not subtracting running Jobs). The SQS scaler counts in-flight
      messages by default (``scaleOnInFlight: true``, keda.sh/docs/2.20/scalers/aws-sqs), so every
      running Job's message would be counted again and start another Job.
    """
    issues: list[ConfigIssue] = []
    deadline = s.job.active_deadline_seconds
    queue = s.queue
    if (
        s.kind in JOB_KINDS
        and queue is not None
        and queue.created
        and queue.access == "consume"
        and deadline is not None
        and queue.visibility_timeout_seconds < deadline
    ):
        issues.append(
            ConfigIssue(
                "queue.visibility_timeout_seconds",
                queue.visibility_timeout_seconds,
                f"is below job.active_deadline_seconds ({deadline}): a message would be delivered again "
                f"while its Job still runs; set queue.visibility_timeout_seconds to {deadline} or more "
                "(SQS allows up to 43200), or shorten the deadline",
            )
        )
    if s.scaled_job is not None and s.scaled_job.scaling_strategy == "accurate":
        for index, trigger in enumerate(s.scaled_job.triggers):
            if trigger.type == "sqs" and trigger.scale_on_in_flight:
                issues.append(
                    ConfigIssue(
                        f"scaled_job.triggers[{index}].scale_on_in_flight",
                        True,
                        "counts the messages running Jobs hold, and scaling_strategy 'accurate' does not "
                        "subtract running Jobs, so each is counted twice; set scale_on_in_flight: false "
                        "(what 'accurate' expects), or use scaling_strategy: default",
                    )
                )
    return issues
