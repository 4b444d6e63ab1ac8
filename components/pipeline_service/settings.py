"""Settings of a pipeline service: the service as a whole, with the checks across its parts.

The parts live beside this module: the pod and container (``settings_pod``), scaling and
availability (``settings_scaling``), the NetworkPolicy (``settings_network``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .._shared import (
    DnsLabel,
    Labels,
    dns_1035_label_problem,
    dns_label_problem,
    dns_subdomain_problem,
    label_key_problem,
    label_value_problem,
)
from .._validation import ConfigIssue, CrossFieldError, SettingsModel
from .namespaces import pod_quota_use
from .quantities import Quantity, format_quantity, parse_quantity, pods_of
from .settings_batch import CronJobSettings, JobSettings, ScaledJobSettings, WorkloadKind
from .settings_events import QueueSettings, Trigger
from .settings_ingress import IngressSettings, ingress_issues
from .settings_kinds import event_issues, kind_issues
from .settings_network import NetworkPolicySettings
from .settings_pod import (
    ProbeSettings,
    ProbesSettings,
    ResourceList,
    ResourcesSettings,
    SecretKeyRef,
    SecretName,
    SecuritySettings,
    Toleration,
    TopologySpreadSettings,
)
from .settings_scaling import AutoscalingSettings, PdbSettings, RollingUpdateSettings

__all__ = [
    "MAX_NAME_LENGTH",
    "ROLE_ARN_ANNOTATION",
    "LimitRangeSettings",
    "PipelineServiceSettings",
    "ResourceQuotaSettings",
    "image_reference_problem",
    "image_tag",
]

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
"""The ServiceAccount annotation the EKS pod identity webhook reads (IRSA)."""
MAX_NAME_LENGTH = 50
"""Service names stay short enough for derived names (``<name>-quota``) and pod names."""
MAX_PORT_NAME_LENGTH = 15
"""A container port name is an IANA service name: at most 15 characters."""

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")

# --------------------------------------------------------------------------- image

_IMAGE = re.compile(
    r"^(?P<name>[a-zA-Z0-9][a-zA-Z0-9._-]*(?::\d+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def image_reference_problem(image: str) -> str | None:
    """Why ``image`` is not a pinned image reference, or None.

    Accepted: ``repo:tag``, ``repo@sha256:<64 hex>`` and ``repo:tag@sha256:...``.
    """
    match = _IMAGE.match(image)
    if not match:
        return (
            "is not an image reference; write 'registry/repository:tag' or "
            "'registry/repository@sha256:<64 hex digits>'"
        )
    tag, digest = match.group("tag"), match.group("digest")
    if not tag and not digest:
        return (
            "has no tag or digest, so it means ':latest' and changes under you; "
            "pin a version tag (':1.4.2') or a digest ('@sha256:...')"
        )
    if tag and tag.lower() == "latest" and not digest:
        return "uses the ':latest' tag, which changes under you; pin a version tag (':1.4.2') or a digest"
    return None


def image_tag(image: str) -> str | None:
    """The tag of an image reference (``"1.4.2"`` of ``repo:1.4.2@sha256:...``), or None."""
    match = _IMAGE.match(image)
    return match.group("tag") if match else None


# --------------------------------------------------------------------------- namespace policies


class ResourceQuotaSettings(SettingsModel):
    """A ResourceQuota for the namespace (only where this service creates it)."""

    hard: dict[str, Quantity] = Field(min_length=1)
    """Hard limits by resource name, e.g. ``{requests.cpu: "8", limits.memory: 32Gi, pods: "40"}``."""

    @field_validator("hard")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            # Resource names follow the qualified-name grammar of label keys.
            if label_key_problem(key):
                raise ValueError(f"{key!r} is not a resource name; write e.g. 'requests.cpu' or 'pods'")
        return value


class LimitRangeSettings(SettingsModel):
    """A LimitRange for containers in the namespace (only where this service creates it)."""

    default_requests: ResourceList = ResourceList(cpu="100m", memory="128Mi")
    """Requests of containers that set none."""
    default_limits: ResourceList = ResourceList(cpu="500m", memory="256Mi")
    """Limits of containers that set none."""
    min: ResourceList = ResourceList()
    """The smallest requests a container may set."""
    max: ResourceList = ResourceList()
    """The largest limits a container may set."""


# --------------------------------------------------------------------------- the service


class PipelineServiceSettings(SettingsModel):
    """One pipeline service on the EKS cluster."""

    name: str
    """The service's name: the Kubernetes objects' name and ``app.kubernetes.io/name``."""
    kind: WorkloadKind = "deployment"
    """What runs the pods: ``deployment`` (long-running, with Service, HPA or ScaledObject, PDB),
    ``job`` (once), ``cronjob`` (on ``cron.schedule``) or ``scaledjob`` (KEDA starts Jobs while
    ``scaled_job.triggers`` report work). The jobs get the same hardening, IRSA and pool placement,
    and no Service, autoscaler or PodDisruptionBudget."""
    image: str | None = None
    """The container image, pinned: ``repo:tag`` or ``repo@sha256:...`` (never ``latest``). May be
    omitted when the wiring passes the image (``PipelineServiceArgs.image``: the service's own
    repository at ``image_repository.tag`` or ``.digest``)."""
    namespace: DnsLabel | None = None
    """The namespace; defaults to ``name``."""
    create_namespace: bool = True
    """Create the namespace (with Pod Security Admission labels); false to use an existing one."""
    pod_security_level: Literal["restricted", "baseline"] = "restricted"
    """The Pod Security Standard enforced on a created namespace."""
    component: str = "pipeline"
    """``app.kubernetes.io/component``, e.g. ``ingest-api``, ``consumer``, ``batch-worker``."""
    part_of: str = "dataplatform"
    """``app.kubernetes.io/part-of``."""
    labels: Labels = {}
    """Extra labels for every object and the pods."""
    command: list[str] | None = None
    """Overrides the image's entrypoint."""
    args: list[str] | None = None
    """Overrides the image's command arguments."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """The container port; a Service is created when set. Unset for workers with no API."""
    port_name: str = "http"
    """The port's name, used by the Service's target port and the probes."""
    service_port: int | None = Field(default=None, ge=1, le=65535)
    """The Service's port; defaults to ``port``."""
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    """The Service type; ClusterIP keeps it inside the cluster."""
    env: dict[str, str] = {}
    """Plain environment variables (never secrets: use ``env_from_secrets`` or ``secret_env``)."""
    secret_env: dict[str, SecretKeyRef] = {}
    """Environment variables read from keys of Secrets."""
    env_from_secrets: list[SecretName] = []
    """Secrets whose every key becomes an environment variable."""
    resources: ResourcesSettings = ResourcesSettings()
    """The container's requests and limits."""
    probes: ProbesSettings = ProbesSettings()
    """The container's liveness, readiness and startup probes."""
    replicas: int = Field(default=2, ge=1)
    """The fixed replica count when autoscaling is off (ignored by, and rejected with, the HPA)."""
    autoscaling: AutoscalingSettings = AutoscalingSettings()
    """The HorizontalPodAutoscaler, or KEDA's ScaledObject with ``triggers`` (Deployments only)."""
    pdb: PdbSettings = PdbSettings()
    """The PodDisruptionBudget."""
    network_policy: NetworkPolicySettings = NetworkPolicySettings()
    """The NetworkPolicy of the pods."""
    rolling_update: RollingUpdateSettings = RollingUpdateSettings()
    """How a new version replaces the old one."""
    security: SecuritySettings = SecuritySettings()
    """The pod and container security context."""
    topology_spread: TopologySpreadSettings = TopologySpreadSettings()
    """Spreading the pods across zones and nodes."""
    pool: str | None = None
    """The cluster pool the pods run on: a managed node group or a Karpenter NodePool of the cluster
    (``EksCluster.pool_names``). The cluster's placement for it (node selector and the tolerations
    of the pool's taints) goes into the pods, so a taint is written once, in the cluster settings.
    Unset: the cluster's default pool (in a stack) or no placement (a component used alone)."""
    node_selector: Labels = {}
    """Extra node labels the pods require, on top of the pool's (e.g. ``{"kubernetes.io/arch":
    "arm64"}``); a key the pool's selector sets must keep the pool's value."""
    tolerations: list[Toleration] = []
    """Extra taints the pods tolerate, on top of the pool's."""
    priority_class_name: str | None = None
    """The pods' PriorityClass (which pods the scheduler preempts first); the cluster default when unset."""
    automount_service_account_token: bool = False
    """Mount a Kubernetes API token. Off: pipeline services do not call the Kubernetes API (IRSA
    uses its own projected token, so AWS access works either way)."""
    termination_grace_period_seconds: int = Field(default=30, ge=1)
    """Time between SIGTERM and SIGKILL; must exceed the preStop sleep."""
    pre_stop_sleep_seconds: int = Field(default=5, ge=0)
    """Wait this long before SIGTERM, so endpoints drop the pod before it stops serving (uses the
    ``sleep`` lifecycle action, no shell needed); 0 for none."""
    pre_stop_command: list[str] | None = None
    """A preStop command to run instead of the sleep (e.g. to drain a consumer)."""
    image_pull_policy: Literal["IfNotPresent", "Always"] = "IfNotPresent"
    """``IfNotPresent`` suits pinned images; ``Always`` re-checks the registry at every pod start."""
    revision_history_limit: int = Field(default=5, ge=0)
    """Old ReplicaSets kept for ``kubectl rollout undo``."""
    resource_quota: ResourceQuotaSettings | None = None
    """A ResourceQuota for a namespace this service creates."""
    limit_range: LimitRangeSettings | None = None
    """A LimitRange for a namespace this service creates."""
    queue: QueueSettings | None = None
    """The service's SQS queue (``{}``: one the service creates, with its dead-letter queue), whose
    URL the pods get as ``QUEUE_URL``; ``sqs`` triggers scale on it."""
    job: JobSettings = JobSettings()
    """How each Job runs (``kind`` job, cronjob, scaledjob)."""
    cron: CronJobSettings | None = None
    """The schedule (``kind: cronjob``)."""
    scaled_job: ScaledJobSettings | None = None
    """The triggers and limits of the KEDA ScaledJob (``kind: scaledjob``)."""
    ingress: IngressSettings | None = None
    """Expose the service through an ALB (HTTPS only, IP targets; the cluster needs
    ``load_balancer_controller``); unset: reachable inside the cluster only."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > MAX_NAME_LENGTH or dns_1035_label_problem(value):
            raise ValueError(
                f"must be at most {MAX_NAME_LENGTH} lowercase letters, digits and '-', starting with a "
                "letter and ending with a letter or digit (a Service name), e.g. 'ingest-api'"
            )
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        problem = image_reference_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("port_name")
    @classmethod
    def _port_name(cls, value: str) -> str:
        # An IANA service name: a short DNS label with at least one letter (so never a number).
        if (
            len(value) > MAX_PORT_NAME_LENGTH
            or dns_label_problem(value)
            or not any(c.isalpha() for c in value)
        ):
            raise ValueError("a port name is at most 15 lowercase letters, digits and '-', e.g. 'http'")
        return value

    @field_validator("component", "part_of")
    @classmethod
    def _label_value(cls, value: str) -> str:
        problem = label_value_problem(value)
        if problem or not value:
            raise ValueError(problem or "must not be empty")
        return value

    @field_validator("env", "secret_env")
    @classmethod
    def _env_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in value if not _ENV_NAME.match(k)]
        if bad:
            raise ValueError(
                f"{', '.join(map(repr, bad))}: environment variable names are letters, digits, '_'"
            )
        return value

    @field_validator("priority_class_name")
    @classmethod
    def _priority_class(cls, value: str | None) -> str | None:
        problem = dns_subdomain_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @property
    def namespace_name(self) -> str:
        """The namespace the objects go to: ``namespace``, or the service's name."""
        return self.namespace or self.name

    @property
    def autoscaled(self) -> bool:
        """A Deployment whose replica count an autoscaler owns (an HPA, or KEDA's)."""
        return self.kind == "deployment" and self.autoscaling.enabled

    @property
    def keda_triggers(self) -> list[Trigger]:
        """The triggers KEDA scales this service on (empty: no KEDA object)."""
        if self.kind == "scaledjob":
            return list(self.scaled_job.triggers) if self.scaled_job is not None else []
        return list(self.autoscaling.triggers) if self.autoscaled else []

    @property
    def makes_hpa(self) -> bool:
        """A raw HorizontalPodAutoscaler (autoscaling on, no triggers)."""
        return self.autoscaled and not self.autoscaling.triggers

    @property
    def makes_scaled_object(self) -> bool:
        """A KEDA ScaledObject instead of the HPA (autoscaling with triggers)."""
        return self.autoscaled and bool(self.autoscaling.triggers)

    @property
    def makes_pdb(self) -> bool:
        """A PodDisruptionBudget (Deployments only)."""
        return self.kind == "deployment" and self.pdb.enabled

    @property
    def floor_replicas(self) -> int:
        """The fewest pods the service runs with (the autoscaler's minimum, or the fixed count; a
        job's parallelism)."""
        if self.kind != "deployment":
            return self.job.parallelism
        return self.autoscaling.min_replicas if self.autoscaling.enabled else self.replicas

    @property
    def peak_replicas(self) -> int:
        """The most pods the service runs with during a rollout (a ScaledJob: every Job at once)."""
        if self.kind == "scaledjob" and self.scaled_job is not None:
            return self.scaled_job.max_replica_count * self.job.parallelism
        if self.kind != "deployment":
            return self.job.parallelism
        top = self.autoscaling.max_replicas if self.autoscaling.enabled else self.replicas
        return top + pods_of(self.rolling_update.max_surge, top, round_up=True)

    @model_validator(mode="after")
    def _consistent(self) -> PipelineServiceSettings:
        issues: list[ConfigIssue] = []
        self._check_env(issues)
        self._check_ports_and_probes(issues)
        self._check_scaling(issues)
        self._check_pdb(issues)
        self._check_termination(issues)
        self._check_namespace_policies(issues)
        issues += kind_issues(self)
        issues += ingress_issues(self)
        issues += event_issues(self)
        if issues:
            raise CrossFieldError(issues)
        return self

    def _check_env(self, issues: list[ConfigIssue]) -> None:
        for key in sorted(set(self.env) & set(self.secret_env)):
            issues.append(ConfigIssue(f"secret_env.{key}", key, "is also set in env; keep one"))

    def _check_ports_and_probes(self, issues: list[ConfigIssue]) -> None:
        if self.port is None:
            if self.service_port is not None:
                issues.append(ConfigIssue("service_port", self.service_port, "needs port; set port"))
            if self.network_policy.allow_from:
                issues.append(
                    ConfigIssue(
                        "network_policy.allow_from",
                        len(self.network_policy.allow_from),
                        "allows ingress but the container exposes no port; set port or remove allow_from",
                    )
                )
        elif self.probes.readiness is None:
            issues.append(
                ConfigIssue(
                    "probes.readiness",
                    None,
                    "is required when a port is exposed, so the Service only routes to ready pods; "
                    "set e.g. {type: http, path: /readyz}",
                )
            )
        for kind in ("liveness", "readiness", "startup"):
            probe: ProbeSettings | None = getattr(self.probes, kind)
            if probe is None:
                continue
            where = f"probes.{kind}"
            if probe.type != "exec":
                if self.port is None:
                    issues.append(
                        ConfigIssue(
                            f"{where}.type",
                            probe.type,
                            f"a {probe.type} probe needs a container port, and none is exposed; "
                            "set port or use an exec probe",
                        )
                    )
                elif probe.port is not None and probe.port != self.port:
                    issues.append(
                        ConfigIssue(
                            f"{where}.port",
                            probe.port,
                            f"is not exposed by the container (port is {self.port}); "
                            f"probe port {self.port} or remove probe.port",
                        )
                    )
            if kind != "readiness" and probe.success_threshold != 1:
                issues.append(
                    ConfigIssue(
                        f"{where}.success_threshold",
                        probe.success_threshold,
                        f"must be 1 for {kind} probes (Kubernetes rejects other values)",
                    )
                )

    def _check_scaling(self, issues: list[ConfigIssue]) -> None:
        hpa = self.autoscaling
        if self.kind != "deployment":
            return  # kind_issues refuses autoscaling settings on a job
        if hpa.enabled and "replicas" in self.model_fields_set:
            issues.append(
                ConfigIssue(
                    "replicas",
                    self.replicas,
                    "is ignored while autoscaling is on (the HPA owns the replica count); "
                    "set autoscaling.min_replicas instead, or autoscaling.enabled: false",
                )
            )
        if not hpa.enabled:
            return
        requests = self.resources.requests
        for field, resource in (("cpu_target_utilization", "cpu"), ("memory_target_utilization", "memory")):
            if getattr(hpa, field) is not None and getattr(requests, resource) is None:
                issues.append(
                    ConfigIssue(
                        f"autoscaling.{field}",
                        getattr(hpa, field),
                        f"utilization is relative to the {resource} request, and none is set; "
                        f"set resources.requests.{resource}",
                    )
                )

    def _check_pdb(self, issues: list[ConfigIssue]) -> None:
        pdb = self.pdb
        if not self.makes_pdb or pdb.min_available is None:
            return
        floor = self.floor_replicas
        needed = pods_of(pdb.min_available, floor, round_up=True)
        if needed >= floor:
            source = "autoscaling.min_replicas" if self.autoscaling.enabled else "replicas"
            issues.append(
                ConfigIssue(
                    "pdb.min_available",
                    pdb.min_available,
                    f"keeps {needed} of {floor} pods ({source}) up, which blocks every eviction and so "
                    f"every node drain; set it below {floor}, or use max_unavailable: 1",
                )
            )

    def _check_termination(self, issues: list[ConfigIssue]) -> None:
        if self.pre_stop_command is not None and not self.pre_stop_command:
            issues.append(ConfigIssue("pre_stop_command", [], "is empty; remove it or give a command"))
        if (
            self.pre_stop_command is None
            and self.pre_stop_sleep_seconds >= self.termination_grace_period_seconds
        ):
            issues.append(
                ConfigIssue(
                    "pre_stop_sleep_seconds",
                    self.pre_stop_sleep_seconds,
                    f"must be shorter than termination_grace_period_seconds "
                    f"({self.termination_grace_period_seconds}) to leave time for a clean shutdown",
                )
            )

    def _check_namespace_policies(self, issues: list[ConfigIssue]) -> None:
        for field in ("resource_quota", "limit_range"):
            if getattr(self, field) is not None and not self.create_namespace:
                issues.append(
                    ConfigIssue(
                        field,
                        None,
                        "applies to the whole namespace, so it is only made where this service creates "
                        "the namespace; set create_namespace: true or manage it with the namespace",
                    )
                )
        limit_range = self.limit_range
        if limit_range is not None:
            for bound, compare in (("min", 1), ("max", -1)):
                edge: ResourceList = getattr(limit_range, bound)
                for field in ("cpu", "memory", "ephemeral_storage"):
                    value = getattr(edge, field)
                    side = "requests" if bound == "min" else "limits"
                    own = getattr(getattr(self.resources, side), field)
                    if value is None or own is None:
                        continue
                    if (parse_quantity(value) - parse_quantity(own)).compare(0) == compare:
                        issues.append(
                            ConfigIssue(
                                f"resources.{side}.{field}",
                                own,
                                f"is outside limit_range.{bound}.{field} ({value}), so the pods would be "
                                "rejected; bring the two in line",
                            )
                        )
        quota = self.resource_quota
        if quota is not None:
            self._check_quota(quota, issues)

    def _check_quota(self, quota: ResourceQuotaSettings, issues: list[ConfigIssue]) -> None:
        peak = self.peak_replicas
        per_pod = pod_quota_use(self)
        for key, hard in quota.hard.items():
            each = per_pod.get(key)
            if each is None:
                continue
            needed = parse_quantity(each) * peak
            if parse_quantity(hard) < needed:
                issues.append(
                    ConfigIssue(
                        f"resource_quota.hard.{key}",
                        hard,
                        f"is below what {peak} pods (the most during a rollout) need: {peak} x {each} = "
                        f"{format_quantity(needed)}; raise the quota or lower the replica count",
                    )
                )
