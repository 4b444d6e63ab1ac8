"""The Job and CronJob of a service that runs to completion: pure functions of the settings.

The pods are the Deployment's pods (same container, restricted security context, service account,
probes, topology spread) with a Job's restart policy; :func:`pod_template` takes the environment
and placement the component adds, so a ScaledJob (``keda``) shares the same template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..eks.pools import Placement
from .manifests import Manifest, labels, metadata, pod_spec, with_environment, with_image, with_placement
from .settings import PipelineServiceSettings

__all__ = ["SKIP_AWAIT_ANNOTATION", "cron_job", "cron_job_spec", "job", "job_spec", "pod_template"]

SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
"""pulumi-kubernetes waits for a Job to complete unless this annotation is ``"true"``."""


def pod_template(
    settings: PipelineServiceSettings,
    environment: Mapping[str, Any] | None = None,
    placement: Placement | None = None,
    image: Any = None,
) -> Manifest:
    """A Job's pod template: the service's pod with ``restartPolicy`` from ``job``, the extra
    ``environment``, the pool's ``placement`` and the wiring's ``image`` (when given).

    The topology spread counts every pod of the service (Job pods carry no ``pod-template-hash``,
    which the Deployment's constraints match on)."""
    spec = pod_spec(settings)
    spec["restartPolicy"] = settings.job.restart_policy
    for constraint in spec.get("topologySpreadConstraints", []):
        constraint.pop("matchLabelKeys", None)
    wrapped = {"spec": {"template": {"metadata": {"labels": labels(settings)}, "spec": spec}}}
    wrapped = with_image(with_placement(with_environment(wrapped, environment or {}), placement), image)
    template: Manifest = wrapped["spec"]["template"]
    return template


def job_spec(settings: PipelineServiceSettings, template: Manifest | None = None) -> Manifest:
    """The Job's spec (also a CronJob's job template): retries, deadline, TTL, completions."""
    run = settings.job
    spec: dict[str, Any] = {
        "backoffLimit": run.backoff_limit,
        "completions": run.completions,
        "parallelism": run.parallelism,
        "template": template if template is not None else pod_template(settings),
    }
    if run.active_deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = run.active_deadline_seconds
    if run.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = run.ttl_seconds_after_finished
    return spec


def job(settings: PipelineServiceSettings, template: Manifest | None = None) -> Manifest:
    """The Job (``kind: job``); Pulumi does not wait for it to finish unless ``job.await_completion``."""
    job_metadata = metadata(settings)
    if not settings.job.await_completion:
        job_metadata["annotations"] = {SKIP_AWAIT_ANNOTATION: "true"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": job_metadata,
        "spec": job_spec(settings, template),
    }


def cron_job_spec(settings: PipelineServiceSettings, template: Manifest | None = None) -> Manifest:
    """The CronJob's spec: the schedule, how runs overlap, the history kept, and the Job."""
    cron = settings.cron
    if cron is None:
        raise ValueError("settings.cron is not set: a CronJob needs a schedule")
    spec: dict[str, Any] = {
        "schedule": cron.schedule,
        "concurrencyPolicy": cron.concurrency_policy,
        "suspend": cron.suspend,
        "successfulJobsHistoryLimit": cron.successful_jobs_history_limit,
        "failedJobsHistoryLimit": cron.failed_jobs_history_limit,
        "jobTemplate": {"metadata": {"labels": labels(settings)}, "spec": job_spec(settings, template)},
    }
    if cron.time_zone is not None:
        spec["timeZone"] = cron.time_zone
    if cron.starting_deadline_seconds is not None:
        spec["startingDeadlineSeconds"] = cron.starting_deadline_seconds
    return spec


def cron_job(settings: PipelineServiceSettings, template: Manifest | None = None) -> Manifest:
    """The CronJob (``kind: cronjob``)."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(settings),
        "spec": cron_job_spec(settings, template),
    }
