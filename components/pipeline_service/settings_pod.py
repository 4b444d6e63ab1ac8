"""Settings of the pod and its container: resources, probes, security context, secrets, scheduling."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .._shared import dns_subdomain_problem, label_key_problem
from .._validation import ConfigIssue, CrossFieldError, SettingsModel
from .quantities import Quantity, parse_quantity

__all__ = [
    "ProbeSettings",
    "ProbesSettings",
    "ResourceList",
    "ResourcesSettings",
    "SecretKeyRef",
    "SecretName",
    "SecuritySettings",
    "SpreadMode",
    "Toleration",
    "TopologySpreadSettings",
]


class ResourceList(SettingsModel):
    """CPU, memory and ephemeral storage of one container (requests or limits)."""

    cpu: Quantity | None = None
    """CPU cores, e.g. ``"250m"`` or ``"2"``."""
    memory: Quantity | None = None
    """Memory bytes, e.g. ``"512Mi"`` or ``"1Gi"``."""
    ephemeral_storage: Quantity | None = None
    """Local scratch space (including the ``/tmp`` volume), e.g. ``"1Gi"``."""


class ResourcesSettings(SettingsModel):
    """Requests and limits of the container; each request must not exceed its limit."""

    requests: ResourceList = ResourceList(cpu="250m", memory="512Mi")
    """What the scheduler reserves; the HPA's utilization targets are relative to these."""
    limits: ResourceList = ResourceList(cpu="1", memory="512Mi")
    """The ceiling: memory over the limit is OOM-killed, CPU over it is throttled."""

    @model_validator(mode="after")
    def _request_within_limit(self) -> ResourcesSettings:
        issues = []
        for field in ("cpu", "memory", "ephemeral_storage"):
            request, limit = getattr(self.requests, field), getattr(self.limits, field)
            if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
                issues.append(
                    ConfigIssue(
                        f"requests.{field}",
                        request,
                        f"the request exceeds the limit {limit!r}; lower the request or raise "
                        f"limits.{field} to at least {request!r}",
                    )
                )
        if issues:
            raise CrossFieldError(issues)
        return self


class ProbeSettings(SettingsModel):
    """One probe: HTTP GET, TCP connect or a command in the container."""

    type: Literal["http", "tcp", "exec"] = "http"
    """``http`` (GET ``path`` on the container port), ``tcp`` (connect to it) or ``exec`` (``command``)."""
    path: str = "/healthz"
    """The HTTP path (``http`` only)."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """The port to probe; must be the container's ``port`` (the default)."""
    command: list[str] = []
    """The command to run (``exec`` only); exit code 0 is success."""
    initial_delay_seconds: int = Field(default=0, ge=0)
    """Seconds after the container starts before the first probe."""
    period_seconds: int = Field(default=10, ge=1)
    """Seconds between two probes."""
    timeout_seconds: int = Field(default=1, ge=1)
    """Seconds after which one probe counts as failed."""
    failure_threshold: int = Field(default=3, ge=1)
    """Consecutive failures to count as unhealthy (liveness: restart; readiness: out of the Service)."""
    success_threshold: int = Field(default=1, ge=1)
    """Consecutive successes to count as healthy; must be 1 for liveness and startup probes."""

    @model_validator(mode="after")
    def _shape(self) -> ProbeSettings:
        if self.type == "exec" and not self.command:
            raise ValueError("an exec probe needs a command; set command, e.g. ['/app/healthcheck']")
        if self.type != "exec" and self.command:
            raise ValueError(
                f"command is only used by exec probes; remove it or set type: exec (got {self.type})"
            )
        if self.type == "http" and not self.path.startswith("/"):
            raise ValueError(f"the HTTP path must start with '/' (got {self.path!r}); write e.g. '/healthz'")
        return self


class ProbesSettings(SettingsModel):
    """Liveness, readiness and startup probes; each is off when unset."""

    liveness: ProbeSettings | None = None
    """Restarts the container when it fails: check the process, not its dependencies."""
    readiness: ProbeSettings | None = None
    """Removes the pod from the Service while it fails. Required when a port is exposed."""
    startup: ProbeSettings | None = None
    """Holds the other probes off until the application has started (slow starters)."""


class SecuritySettings(SettingsModel):
    """The pod and container security context (Pod Security Standard ``restricted``)."""

    run_as_user: int = Field(default=10001, ge=1)
    """The UID the container runs as; never 0 (root). Above 10000 avoids host users."""
    run_as_group: int = Field(default=10001, ge=1)
    """The primary GID; never 0."""
    fs_group: int = Field(default=10001, ge=1)
    """The group that owns mounted volumes."""
    read_only_root_filesystem: bool = True
    """Mount the image read-only; write to ``/tmp`` (an emptyDir) instead."""
    writable_tmp: bool = True
    """Mount an emptyDir at ``/tmp`` so read-only images can still write scratch files."""
    tmp_size_limit: Quantity = "256Mi"
    """Size limit of the ``/tmp`` emptyDir (counts against ephemeral storage)."""


def _check_secret_name(value: str) -> str:
    problem = dns_subdomain_problem(value)
    if problem:
        raise ValueError(f"{problem}; a Secret name is e.g. 'ingest-api-env'")
    return value


SecretName = Annotated[str, AfterValidator(_check_secret_name)]
"""The name of a Secret in the service's namespace (a DNS subdomain)."""


class SecretKeyRef(SettingsModel):
    """One key of a Kubernetes Secret, as an environment variable's value."""

    secret: SecretName
    """The Secret's name (in the service's namespace)."""
    key: str = Field(min_length=1)
    """The key inside the Secret."""


class Toleration(SettingsModel):
    """Lets pods schedule onto nodes with a matching taint (e.g. a spot node group)."""

    key: str | None = None
    """The taint key; unset with ``operator: Exists`` tolerates every taint."""
    operator: Literal["Equal", "Exists"] = "Equal"
    """``Equal`` matches the taint's ``value``; ``Exists`` matches any value of the key."""
    value: str | None = None
    """The taint value (``Equal`` only)."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """The taint effect; unset matches every effect."""
    toleration_seconds: int | None = Field(default=None, ge=0)
    """How long the pod stays bound after a ``NoExecute`` taint appears."""

    @model_validator(mode="after")
    def _shape(self) -> Toleration:
        if self.operator == "Exists" and self.value:
            raise ValueError("operator Exists takes no value; remove value or use operator: Equal")
        if self.operator == "Equal" and not self.key:
            raise ValueError("operator Equal needs a key; set key or use operator: Exists")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError(
                "toleration_seconds only applies to effect NoExecute; remove it or set the effect"
            )
        problem = label_key_problem(self.key) if self.key else None
        if problem:
            raise ValueError(problem)
        return self


SpreadMode = Literal["DoNotSchedule", "ScheduleAnyway"]
"""``whenUnsatisfiable`` of a topology spread constraint."""


class TopologySpreadSettings(SettingsModel):
    """Spread the pods across availability zones and nodes."""

    zones: SpreadMode | None = "ScheduleAnyway"
    """``DoNotSchedule`` refuses to skew zones by more than ``max_skew`` (strict HA, needs capacity in
    every zone); ``ScheduleAnyway`` prefers spreading; unset turns the constraint off."""
    nodes: SpreadMode | None = "ScheduleAnyway"
    """The same across nodes (``kubernetes.io/hostname``)."""
    max_skew: int = Field(default=1, ge=1)
    """The largest allowed difference in pod count between two zones (or nodes)."""
