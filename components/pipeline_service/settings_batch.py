"""Settings of services that run to completion: Jobs, CronJobs and KEDA ScaledJobs.

``kind: job`` runs once per change of its pod template; ``kind: cronjob`` on a schedule;
``kind: scaledjob`` starts Jobs while its triggers report work (e.g. messages in the service's
queue), one message batch per Job, instead of a long-running consumer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .._validation import SettingsModel
from .cron import cron_problem, time_zone_problem
from .settings_events import Trigger

__all__ = ["CronJobSettings", "JobSettings", "ScaledJobSettings", "WorkloadKind"]

WorkloadKind = Literal["deployment", "job", "cronjob", "scaledjob"]
"""What runs the pods: a Deployment (long-running), a Job, a CronJob, or a KEDA ScaledJob."""


class JobSettings(SettingsModel):
    """How one Job runs its pods (for ``kind`` job, cronjob and scaledjob)."""

    backoff_limit: int = Field(default=3, ge=0)
    """Retries before the Job is marked failed."""
    active_deadline_seconds: int | None = Field(default=None, ge=1)
    """The longest a Job may run, retries included, before it is stopped and marked failed."""
    ttl_seconds_after_finished: int | None = Field(default=86400, ge=0)
    """Delete a finished Job (and its pods) after this long; unset keeps it. Not for scaledjob
    (KEDA keeps ``scaled_job``'s history limits instead)."""
    completions: int = Field(default=1, ge=1)
    """Successful pods needed for the Job to complete."""
    parallelism: int = Field(default=1, ge=1)
    """Pods running at once."""
    restart_policy: Literal["Never", "OnFailure"] = "Never"
    """``Never``: a failed pod is replaced by a new one (its logs stay); ``OnFailure``: the
    container restarts in place."""
    await_completion: bool = False
    """``kind: job`` only: make ``pulumi up`` wait until the Job completes (e.g. a schema migration
    later resources need). Off: Pulumi only creates it."""


class CronJobSettings(SettingsModel):
    """The CronJob's schedule and how runs overlap."""

    schedule: str
    """Five cron fields (minute hour day-of-month month day-of-week, e.g. ``"30 2 * * *"``,
    month and weekday names allowed) or ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``,
    ``@yearly``."""
    time_zone: str | None = None
    """The IANA time zone of the schedule (e.g. ``Europe/Paris``); unset: the controller's (UTC on EKS)."""
    concurrency_policy: Literal["Allow", "Forbid", "Replace"] = "Forbid"
    """``Forbid``: skip a run while the previous one still runs; ``Replace``: stop it; ``Allow``: overlap."""
    starting_deadline_seconds: int | None = Field(default=None, ge=10)
    """A run that could not start within this long of its time is skipped (at least 10 s: the
    controller checks every 10 s)."""
    successful_jobs_history_limit: int = Field(default=3, ge=0)
    """Finished Jobs kept."""
    failed_jobs_history_limit: int = Field(default=1, ge=0)
    """Failed Jobs kept."""
    suspend: bool = False
    """Stop scheduling new runs (the running one continues)."""

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        problem = time_zone_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class ScaledJobSettings(SettingsModel):
    """The KEDA ScaledJob: Jobs started while the triggers report work."""

    triggers: list[Trigger] = Field(min_length=1)
    """What to scale on, e.g. ``[{type: sqs, queue_length: 1}]`` (one Job per message)."""
    polling_interval_seconds: int = Field(default=30, ge=1)
    """How often KEDA checks the triggers."""
    min_replica_count: int = Field(default=0, ge=0)
    """Jobs kept running with no work."""
    max_replica_count: int = Field(default=10, ge=1)
    """The most Jobs at once."""
    scaling_strategy: Literal["default", "accurate", "eager"] = "default"
    """``accurate`` suits queues whose messages are deleted when a Job takes them; ``eager``
    fills every free slot at once."""
    successful_jobs_history_limit: int = Field(default=5, ge=0)
    """Finished Jobs kept."""
    failed_jobs_history_limit: int = Field(default=5, ge=0)
    """Failed Jobs kept."""
