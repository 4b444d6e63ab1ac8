"""A pipeline service (ingest API, stream consumer, batch worker) on the EKS cluster.

One component makes everything a production workload needs, secure by default
(following what kube-score and Polaris check):

- a Namespace (created, with Pod Security Admission ``restricted`` enforced, or
  given), with an optional ResourceQuota and LimitRange;
- an IAM role for the service account (IRSA) trusted by exactly this
  ``namespace:service-account``, with the policy passed in;
- a ServiceAccount annotated with the role, no API token mounted unless asked;
- a Deployment: pinned image (tag or digest, never ``latest``), validated
  requests and limits, probes, RollingUpdate, graceful termination, the
  restricted security context, topology spread across zones and nodes,
  node selector and tolerations, the recommended ``app.kubernetes.io/*`` labels;
- a Service (ClusterIP) when the container exposes a port;
- a HorizontalPodAutoscaler (``autoscaling/v2``) with scale-up/down behavior;
- a PodDisruptionBudget that always allows at least one eviction;
- a NetworkPolicy denying ingress except from the peers given (egress optional).

Kubernetes objects get explicit names (the service name) in an explicit
namespace, so other programs and people can find them; they are applied with
the provider passed in (the cluster's), server-side.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from components._validation import ConfigIssue, CrossFieldError, InvalidConfigError, SettingsModel
from components.iam import irsa_trust_policy
from components.tags import validate_tags

__all__ = [
    "AutoscalingSettings",
    "EgressRule",
    "ExternalMetric",
    "HpaBehaviorSettings",
    "LimitRangeSettings",
    "NetworkPeer",
    "NetworkPolicySettings",
    "PdbSettings",
    "PipelineService",
    "PipelineServiceArgs",
    "PipelineServiceSettings",
    "PodsMetric",
    "ProbeSettings",
    "ProbesSettings",
    "ResourceList",
    "ResourcesSettings",
    "RollingUpdateSettings",
    "ScalingPolicy",
    "ScalingRules",
    "SecretKeyRef",
    "SecuritySettings",
    "Toleration",
    "TopologySpreadSettings",
    "parse_quantity",
]

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
"""The ServiceAccount annotation the EKS pod identity webhook reads (IRSA)."""

# --------------------------------------------------------------------------- quantities

_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY_HINT = "write e.g. '500m' or '2' for CPU, '512Mi', '1Gi' or '1e9' for memory"


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity (``"500m"`` is 0.5, ``"1Ki"`` is 1024, ``"1e3"`` is 1000).

    Raises ``ValueError`` naming the bad text and the accepted forms.
    """
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if not match or text != text.strip():
        raise ValueError(f"{text!r} is not a Kubernetes quantity; {_QUANTITY_HINT}")
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{text!r} is not a Kubernetes quantity; {_QUANTITY_HINT}") from None
    suffix = match.group("suffix") or ""
    if suffix in _BINARY:
        return number * (Decimal(1024) ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    return number.scaleb(int(suffix[1:]))


def _to_text(value: Any) -> Any:
    # YAML gives `cpu: 2` or `cpu: 0.5` as numbers; Kubernetes takes the same as strings.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_quantity(value: str) -> str:
    if parse_quantity(value) < 0:
        raise ValueError(f"{value!r} is negative; resource quantities must be zero or more")
    return value


Quantity = Annotated[str, BeforeValidator(_to_text), AfterValidator(_check_quantity)]
"""A non-negative Kubernetes quantity, kept as written (``"500m"``, ``"1Gi"``)."""


def _format_quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------- names, labels

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_PERCENT = re.compile(r"^(\d{1,3})%$")
_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$|^[0-9a-fA-F:]+/\d{1,3}$")
MAX_NAME_LENGTH = 50
"""Service names stay short enough for derived names (``<name>-quota``) and pod names."""


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label key, or None."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"label key prefix {prefix!r} must be a DNS subdomain (e.g. 'example.com')"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return (
            f"label key {key!r} must be at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (optionally after a 'prefix/')"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None."""
    if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
        return (
            f"label value {value!r} must be at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    problems = [p for k, v in labels.items() for p in (label_key_problem(k), label_value_problem(v)) if p]
    if problems:
        raise ValueError("; ".join(problems))
    return labels


Labels = Annotated[dict[str, str], AfterValidator(_check_labels)]


def _check_dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS label: at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _check_secret_name(value: str) -> str:
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            "must be a Secret name: lowercase letters, digits, '-' and '.', e.g. 'ingest-api-env'"
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_check_dns_label)]
SecretName = Annotated[str, AfterValidator(_check_secret_name)]


def _check_int_or_percent(value: int | str) -> int | str:
    if isinstance(value, bool):
        raise ValueError("write a number of pods (e.g. 1) or a percentage (e.g. '25%')")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    match = _PERCENT.match(value)
    if not match or int(match.group(1)) > 100:
        raise ValueError("write a number of pods (e.g. 1) or a percentage from '0%' to '100%' (e.g. '25%')")
    return value


IntOrPercent = Annotated[int | str, AfterValidator(_check_int_or_percent)]


def _is_zero(value: int | str) -> bool:
    return value == 0 or (isinstance(value, str) and int(value.rstrip("%")) == 0)


def _pods_of(value: int | str, replicas: int, *, round_up: bool) -> int:
    """Pods meant by ``value`` (an int or a percentage of ``replicas``), rounded as Kubernetes does."""
    if isinstance(value, int):
        return value
    share = int(value.rstrip("%")) * replicas / 100
    return math.ceil(share) if round_up else math.floor(share)


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


def _image_tag(image: str) -> str | None:
    match = _IMAGE.match(image)
    return match.group("tag") if match else None


# --------------------------------------------------------------------------- settings


class ResourceList(SettingsModel):
    """CPU, memory and ephemeral storage of one container (requests or limits)."""

    cpu: Quantity | None = None
    """CPU cores, e.g. ``"250m"`` or ``"2"``."""
    memory: Quantity | None = None
    """Memory bytes, e.g. ``"512Mi"`` or ``"1Gi"``."""
    ephemeral_storage: Quantity | None = None
    """Local scratch space (including the ``/tmp`` volume), e.g. ``"1Gi"``."""

    def as_wire(self) -> dict[str, str]:
        values = {"cpu": self.cpu, "memory": self.memory, "ephemeral-storage": self.ephemeral_storage}
        return {k: v for k, v in values.items() if v is not None}


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
    period_seconds: int = Field(default=10, ge=1)
    timeout_seconds: int = Field(default=1, ge=1)
    failure_threshold: int = Field(default=3, ge=1)
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


class RollingUpdateSettings(SettingsModel):
    """How a new version replaces the old one."""

    max_surge: IntOrPercent = "25%"
    """Extra pods allowed above the desired count during a rollout."""
    max_unavailable: IntOrPercent = 0
    """Pods allowed below the desired count during a rollout (0: never lose capacity)."""

    @model_validator(mode="after")
    def _progress(self) -> RollingUpdateSettings:
        if _is_zero(self.max_surge) and _is_zero(self.max_unavailable):
            raise ValueError(
                "max_surge and max_unavailable are both zero, so a rollout can never progress; "
                "set max_surge to 1 or '25%'"
            )
        return self


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
        if self.key and label_key_problem(self.key):
            raise ValueError(str(label_key_problem(self.key)))
        return self

    def as_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"operator": self.operator}
        for field, key in (("key", "key"), ("value", "value"), ("effect", "effect")):
            if getattr(self, field) is not None:
                wire[key] = getattr(self, field)
        if self.toleration_seconds is not None:
            wire["tolerationSeconds"] = self.toleration_seconds
        return wire


SpreadMode = Literal["DoNotSchedule", "ScheduleAnyway"]


class TopologySpreadSettings(SettingsModel):
    """Spread the pods across availability zones and nodes."""

    zones: SpreadMode | None = "ScheduleAnyway"
    """``DoNotSchedule`` refuses to skew zones by more than ``max_skew`` (strict HA, needs capacity in
    every zone); ``ScheduleAnyway`` prefers spreading; unset turns the constraint off."""
    nodes: SpreadMode | None = "ScheduleAnyway"
    """The same across nodes (``kubernetes.io/hostname``)."""
    max_skew: int = Field(default=1, ge=1)
    """The largest allowed difference in pod count between two zones (or nodes)."""


class ScalingPolicy(SettingsModel):
    """At most ``value`` pods (or percent of the current pods) per ``period_seconds``."""

    type: Literal["Pods", "Percent"]
    value: int = Field(ge=1)
    period_seconds: int = Field(ge=1, le=1800)


class ScalingRules(SettingsModel):
    """How fast the HPA may scale in one direction."""

    stabilization_window_seconds: int = Field(ge=0, le=3600)
    """The HPA acts on the most conservative recommendation within this window."""
    policies: list[ScalingPolicy] = Field(min_length=1, max_length=10)
    select_policy: Literal["Max", "Min", "Disabled"] = "Max"
    """``Max``: the policy allowing the biggest change wins; ``Min``: the smallest; ``Disabled``:
    never scale in this direction."""

    def as_wire(self) -> dict[str, Any]:
        return {
            "stabilizationWindowSeconds": self.stabilization_window_seconds,
            "selectPolicy": self.select_policy,
            "policies": [
                {"type": p.type, "value": p.value, "periodSeconds": p.period_seconds} for p in self.policies
            ],
        }


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


class AutoscalingSettings(SettingsModel):
    """The HorizontalPodAutoscaler (``autoscaling/v2``)."""

    enabled: bool = True
    """Scale between ``min_replicas`` and ``max_replicas``; off uses the fixed ``replicas``."""
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=10, ge=1)
    cpu_target_utilization: Utilization = 70
    """Target average CPU use, percent of the CPU request (1-100); unset for none."""
    memory_target_utilization: Utilization = None
    """Target average memory use, percent of the memory request (1-100). Off by default: memory
    rarely falls after a scale-up, so it tends to pin the service at its peak."""
    pods_metrics: list[PodsMetric] = []
    external_metrics: list[ExternalMetric] = []
    behavior: HpaBehaviorSettings = HpaBehaviorSettings()

    @model_validator(mode="after")
    def _range(self) -> AutoscalingSettings:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) is greater than max_replicas ({self.max_replicas}); "
                "raise max_replicas or lower min_replicas"
            )
        metrics = [self.cpu_target_utilization, self.memory_target_utilization]
        if self.enabled and all(m is None for m in metrics) and not self.pods_metrics + self.external_metrics:
            raise ValueError(
                "the autoscaler has no metric; set cpu_target_utilization (e.g. 70), a pods or external "
                "metric, or enabled: false"
            )
        return self


class PdbSettings(SettingsModel):
    """The PodDisruptionBudget: how many pods voluntary evictions (node drains) may take at once."""

    enabled: bool = True
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
        if self.max_unavailable is not None and _is_zero(self.max_unavailable):
            raise ValueError(
                "max_unavailable 0 blocks every eviction, so nodes can never be drained; set it to 1 or more"
            )
        return self


class NetworkPeer(SettingsModel):
    """Where traffic may come from (or go to): pods, namespaces, or an IP block."""

    namespace: DnsLabel | None = None
    """A namespace by name (matched on ``kubernetes.io/metadata.name``)."""
    namespace_labels: Labels | None = None
    """Namespaces by label."""
    pod_labels: Labels | None = None
    """Pods by label (in the namespaces selected, or the service's own namespace when none is)."""
    cidr: str | None = None
    """An IP block, e.g. ``10.0.0.0/16`` (not combined with selectors)."""
    except_cidrs: list[str] = []
    """Blocks inside ``cidr`` to leave out."""

    @model_validator(mode="after")
    def _shape(self) -> NetworkPeer:
        selectors = [self.namespace, self.namespace_labels, self.pod_labels]
        if self.cidr is None and all(s is None for s in selectors):
            raise ValueError("a peer needs namespace, namespace_labels, pod_labels or cidr")
        if self.cidr is not None and any(s is not None for s in selectors):
            raise ValueError("cidr cannot be combined with selectors; write two peers")
        if self.namespace is not None and self.namespace_labels is not None:
            raise ValueError("set namespace or namespace_labels, not both")
        for block in [self.cidr, *self.except_cidrs]:
            if block is not None and not _CIDR.match(block):
                raise ValueError(f"{block!r} is not a CIDR block; write e.g. '10.0.0.0/16'")
        if self.except_cidrs and self.cidr is None:
            raise ValueError("except_cidrs needs cidr")
        return self

    def as_wire(self) -> dict[str, Any]:
        if self.cidr is not None:
            block: dict[str, Any] = {"cidr": self.cidr}
            if self.except_cidrs:
                block["except"] = list(self.except_cidrs)
            return {"ipBlock": block}
        wire: dict[str, Any] = {}
        if self.namespace is not None:
            wire["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": self.namespace}}
        elif self.namespace_labels is not None:
            wire["namespaceSelector"] = {"matchLabels": dict(self.namespace_labels)}
        if self.pod_labels is not None:
            wire["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return wire


class EgressRule(SettingsModel):
    """Allowed outbound traffic: to ``peers`` (anywhere when empty) on ``ports`` (all when empty)."""

    peers: list[NetworkPeer] = []
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = []
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"


class NetworkPolicySettings(SettingsModel):
    """A NetworkPolicy for the service's pods: ingress denied except from ``allow_from``.

    On EKS the VPC CNI enforces it once network policy is enabled on the add-on.
    """

    enabled: bool = True
    allow_from: list[NetworkPeer] = []
    """Peers allowed to reach the container port; none means no ingress at all."""
    egress: list[EgressRule] | None = None
    """Unset leaves egress open. A list denies all other egress: add rules for what the service
    calls (e.g. 443 to AWS APIs for IRSA's STS calls)."""
    allow_dns: bool = True
    """With ``egress`` set, also allow DNS (port 53) to kube-dns in ``kube-system``."""


class ResourceQuotaSettings(SettingsModel):
    """A ResourceQuota for the namespace (only where this service creates it)."""

    hard: dict[str, Quantity] = Field(min_length=1)
    """Hard limits by resource name, e.g. ``{requests.cpu: "8", limits.memory: 32Gi, pods: "40"}``."""

    @field_validator("hard")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
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
    max: ResourceList = ResourceList()


class PipelineServiceSettings(SettingsModel):
    """One pipeline service on the EKS cluster."""

    name: str
    """The service's name: the Kubernetes objects' name and ``app.kubernetes.io/name``."""
    image: str
    """The container image, pinned: ``repo:tag`` or ``repo@sha256:...`` (never ``latest``)."""
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
    probes: ProbesSettings = ProbesSettings()
    replicas: int = Field(default=2, ge=1)
    """The fixed replica count when autoscaling is off (ignored by, and rejected with, the HPA)."""
    autoscaling: AutoscalingSettings = AutoscalingSettings()
    pdb: PdbSettings = PdbSettings()
    network_policy: NetworkPolicySettings = NetworkPolicySettings()
    rolling_update: RollingUpdateSettings = RollingUpdateSettings()
    security: SecuritySettings = SecuritySettings()
    topology_spread: TopologySpreadSettings = TopologySpreadSettings()
    node_selector: Labels = {}
    """Node labels the pods require, e.g. ``{"eks.amazonaws.com/capacityType": "SPOT"}``."""
    tolerations: list[Toleration] = []
    """Taints the pods tolerate, e.g. a spot node group's ``spot=true:NoSchedule``."""
    priority_class_name: str | None = None
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
    revision_history_limit: int = Field(default=5, ge=0)
    resource_quota: ResourceQuotaSettings | None = None
    """A ResourceQuota for a namespace this service creates."""
    limit_range: LimitRangeSettings | None = None
    """A LimitRange for a namespace this service creates."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > MAX_NAME_LENGTH or not _DNS_1035.match(value):
            raise ValueError(
                f"must be at most {MAX_NAME_LENGTH} lowercase letters, digits and '-', starting with a "
                "letter and ending with a letter or digit (a Service name), e.g. 'ingest-api'"
            )
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        problem = image_reference_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("port_name")
    @classmethod
    def _port_name(cls, value: str) -> str:
        if len(value) > 15 or not _PORT_NAME.match(value):
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
        return None if value is None else _check_secret_name(value)

    @property
    def namespace_name(self) -> str:
        return self.namespace or self.name

    @property
    def floor_replicas(self) -> int:
        """The fewest pods the service runs with (the HPA's minimum, or the fixed count)."""
        return self.autoscaling.min_replicas if self.autoscaling.enabled else self.replicas

    @property
    def peak_replicas(self) -> int:
        """The most pods the service runs with during a rollout."""
        top = self.autoscaling.max_replicas if self.autoscaling.enabled else self.replicas
        return top + _pods_of(self.rolling_update.max_surge, top, round_up=True)

    @model_validator(mode="after")
    def _consistent(self) -> PipelineServiceSettings:
        issues: list[ConfigIssue] = []
        self._check_env(issues)
        self._check_ports_and_probes(issues)
        self._check_scaling(issues)
        self._check_pdb(issues)
        self._check_termination(issues)
        self._check_namespace_policies(issues)
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
        if not pdb.enabled or pdb.min_available is None:
            return
        floor = self.floor_replicas
        needed = _pods_of(pdb.min_available, floor, round_up=True)
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
        per_pod = {
            "requests.cpu": self.resources.requests.cpu,
            "cpu": self.resources.requests.cpu,
            "requests.memory": self.resources.requests.memory,
            "memory": self.resources.requests.memory,
            "limits.cpu": self.resources.limits.cpu,
            "limits.memory": self.resources.limits.memory,
            "pods": "1",
        }
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
                        f"{_format_quantity(needed)}; raise the quota or lower the replica count",
                    )
                )


@dataclass(frozen=True)
class PipelineServiceArgs:
    """Settings plus the wiring a pipeline service needs from the cluster and the lake."""

    settings: PipelineServiceSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to the IAM role (Kubernetes objects get labels instead)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider ARN (the IRSA role's federated principal)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL (``https://oidc.eks.<region>.amazonaws.com/id/...``)."""
    provider: pulumi.ProviderResource | None = None
    """The cluster's Kubernetes provider; every Kubernetes child uses it."""
    iam_policy_json: pulumi.Input[str] | None = None
    """The IRSA role's permissions (e.g. the lake's per-layer read/write policy); no role when None."""
    kubernetes_version: str = "1.32"
    """The cluster's Kubernetes minor version; sets the Pod Security Standard version."""
    workload_dependencies: Sequence[pulumi.Resource] = ()
    """What the pods need before the rollout can finish (``EksCluster.workload_dependencies``:
    node groups and CoreDNS); only the Deployment waits for them."""


_K8S_VERSION = re.compile(r"^v?1\.(\d+)$")
MIN_KUBERNETES_MINOR = 30
"""The preStop ``sleep`` action is on by default from 1.30."""


def _check_args(args: PipelineServiceArgs) -> dict[str, str]:
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, PipelineServiceSettings):
        issues.append(
            ConfigIssue("args.settings", type(args.settings).__name__, "must be PipelineServiceSettings")
        )
    for index, dependency in enumerate(args.workload_dependencies):
        if not isinstance(dependency, pulumi.Resource):
            issues.append(
                ConfigIssue(
                    f"args.workload_dependencies[{index}]",
                    type(dependency).__name__,
                    "pass resources (e.g. EksCluster.workload_dependencies)",
                )
            )
    match = _K8S_VERSION.match(args.kubernetes_version) if isinstance(args.kubernetes_version, str) else None
    if not match:
        issues.append(
            ConfigIssue(
                "args.kubernetes_version", args.kubernetes_version, "write the minor version, e.g. '1.32'"
            )
        )
    elif int(match.group(1)) < MIN_KUBERNETES_MINOR:
        issues.append(
            ConfigIssue(
                "args.kubernetes_version",
                args.kubernetes_version,
                f"is past EKS standard support; upgrade the cluster to 1.{MIN_KUBERNETES_MINOR} or later",
            )
        )
    if isinstance(args.oidc_issuer_url, str) and not args.oidc_issuer_url.startswith("https://"):
        issues.append(
            ConfigIssue("args.oidc_issuer_url", args.oidc_issuer_url, "must be the issuer's https:// URL")
        )
    if isinstance(args.oidc_provider_arn, str) and ":oidc-provider/" not in args.oidc_provider_arn:
        issues.append(
            ConfigIssue(
                "args.oidc_provider_arn",
                args.oidc_provider_arn,
                "is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer host>)",
            )
        )
    if isinstance(args.iam_policy_json, str):
        problem = _policy_problem(args.iam_policy_json)
        if problem:
            issues.append(ConfigIssue("args.iam_policy_json", args.iam_policy_json, problem))
    if args.provider is not None and not isinstance(args.provider, pulumi.ProviderResource):
        issues.append(
            ConfigIssue("args.provider", type(args.provider).__name__, "must be a pulumi_kubernetes.Provider")
        )
    try:
        tags = validate_tags(args.tags, path="args.tags")
    except InvalidConfigError as error:
        issues.extend(error.issues)
        tags = {}
    if issues:
        raise InvalidConfigError(issues, subject="PipelineServiceArgs")
    return tags


def _policy_problem(document: str) -> str | None:
    try:
        policy = json.loads(document)
    except json.JSONDecodeError as error:
        return f"is not JSON ({error.msg} at {error.pos}); pass a policy document"
    if not isinstance(policy, dict) or not policy.get("Statement"):
        return "is not an IAM policy document (no Statement); pass e.g. the lake's access policy"
    return None


# --------------------------------------------------------------------------- the component


class PipelineService(pulumi.ComponentResource):
    """One pipeline service on the cluster: IRSA role, ServiceAccount, Deployment, HPA, PDB,
    NetworkPolicy, and a Service when it exposes a port."""

    namespace: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    role_arn: pulumi.Output[str] | None
    """The IRSA role's ARN (None without ``iam_policy_json``)."""
    deployment_name: pulumi.Output[str]
    service_name: pulumi.Output[str] | None
    """None without a port."""
    hpa_name: pulumi.Output[str] | None
    """None with autoscaling off."""
    selector_labels: dict[str, str]
    """The labels selecting the service's pods (for other NetworkPolicies, monitors...)."""

    def __init__(
        self, name: str, args: PipelineServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = _check_args(args)
        settings = args.settings
        super().__init__("dataplatform:workload:PipelineService", name, None, opts)
        self._name = name
        self._settings = settings
        self._aws = pulumi.ResourceOptions(parent=self)
        self._k8s = pulumi.ResourceOptions(parent=self, provider=args.provider)
        version = _K8S_VERSION.match(args.kubernetes_version)
        self._version = f"v1.{version.group(1) if version else MIN_KUBERNETES_MINOR}"

        self.selector_labels = {
            "app.kubernetes.io/name": settings.name,
            "app.kubernetes.io/instance": settings.name,
        }
        labels = {
            **settings.labels,
            **self.selector_labels,
            "app.kubernetes.io/component": settings.component,
            "app.kubernetes.io/part-of": settings.part_of,
            "app.kubernetes.io/managed-by": "pulumi",
        }
        tag = _image_tag(settings.image)
        if tag and not label_value_problem(tag):
            labels["app.kubernetes.io/version"] = tag
        self._labels = labels
        namespace = settings.namespace_name

        after_namespace: list[pulumi.Resource] = []
        if settings.create_namespace:
            after_namespace.append(self._namespace(namespace))
            if settings.resource_quota is not None:
                self._quota(namespace, settings.resource_quota, after_namespace)
            if settings.limit_range is not None:
                self._limit_range(namespace, settings.limit_range, after_namespace)

        role_arn: pulumi.Output[str] | None = None
        if args.iam_policy_json is not None:
            role_arn = self._role(args, namespace, tags)
        account = self._service_account(namespace, role_arn, after_namespace)
        policy = self._network_policy(namespace, after_namespace) if settings.network_policy.enabled else None
        deployment = self._deployment(
            namespace,
            [
                *after_namespace,
                account,
                *([policy] if policy is not None else []),
                *args.workload_dependencies,
            ],
        )
        service = self._service(namespace, after_namespace) if settings.port is not None else None
        hpa = self._hpa(namespace, after_namespace) if settings.autoscaling.enabled else None
        if settings.pdb.enabled:
            self._pdb(namespace, after_namespace)

        self.namespace = (
            _name_of(after_namespace[0]) if settings.create_namespace else pulumi.Output.from_input(namespace)
        )
        self.service_account_name = _name_of(account)
        self.role_arn = role_arn
        self.deployment_name = _name_of(deployment)
        self.service_name = _name_of(service) if service is not None else None
        self.hpa_name = _name_of(hpa) if hpa is not None else None
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_account_name": self.service_account_name,
                "role_arn": self.role_arn,
                "deployment_name": self.deployment_name,
                "service_name": self.service_name,
                "hpa_name": self.hpa_name,
            }
        )

    # ----------------------------------------------------------------- helpers

    def _metadata(self, namespace: str | None, name: str | None = None, **extra: Any) -> Any:
        metadata: dict[str, Any] = {
            "name": name or self._settings.name,
            "labels": dict(self._labels),
            **extra,
        }
        if namespace is not None:
            metadata["namespace"] = namespace
        return metadata

    def _after(self, depends_on: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(self._k8s, pulumi.ResourceOptions(depends_on=list(depends_on)))

    # ----------------------------------------------------------------- namespace

    def _namespace(self, namespace: str) -> k8s.core.v1.Namespace:
        level = self._settings.pod_security_level
        metadata = self._metadata(None, namespace)
        # The namespace outlives image versions: no version label on it.
        metadata["labels"].pop("app.kubernetes.io/version", None)
        metadata["labels"].update(
            {
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/enforce-version": self._version,
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/warn-version": self._version,
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/audit-version": self._version,
            }
        )
        return k8s.core.v1.Namespace(f"{self._name}-namespace", metadata=metadata, opts=self._k8s)

    def _quota(self, namespace: str, quota: ResourceQuotaSettings, after: list[pulumi.Resource]) -> None:
        k8s.core.v1.ResourceQuota(
            f"{self._name}-quota",
            metadata=self._metadata(namespace, f"{self._settings.name}-quota"),
            spec=_wire({"hard": dict(quota.hard)}),
            opts=self._after(after[:1]),
        )

    def _limit_range(self, namespace: str, limits: LimitRangeSettings, after: list[pulumi.Resource]) -> None:
        item: dict[str, Any] = {"type": "Container"}
        for key, values in (
            ("defaultRequest", limits.default_requests),
            ("default", limits.default_limits),
            ("min", limits.min),
            ("max", limits.max),
        ):
            if values.as_wire():
                item[key] = values.as_wire()
        k8s.core.v1.LimitRange(
            f"{self._name}-limits",
            metadata=self._metadata(namespace, f"{self._settings.name}-limits"),
            spec=_wire({"limits": [item]}),
            opts=self._after(after[:1]),
        )

    # ----------------------------------------------------------------- identity

    def _role(self, args: PipelineServiceArgs, namespace: str, tags: dict[str, str]) -> pulumi.Output[str]:
        service_account = self._settings.name
        role = aws.iam.Role(
            f"{self._name}-role",
            description=f"IRSA role of {namespace}/{service_account}",
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_issuer_url, namespace, service_account
            ),
            max_session_duration=3600,
            tags=tags,
            opts=self._aws,
        )
        aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=role.id,
            policy=args.iam_policy_json,
            opts=self._aws,
        )
        return role.arn

    def _service_account(
        self, namespace: str, role_arn: pulumi.Output[str] | None, after: list[pulumi.Resource]
    ) -> k8s.core.v1.ServiceAccount:
        metadata = self._metadata(namespace)
        if role_arn is not None:
            metadata["annotations"] = {ROLE_ARN_ANNOTATION: role_arn}
        return k8s.core.v1.ServiceAccount(
            f"{self._name}-service-account",
            metadata=metadata,
            automount_service_account_token=self._settings.automount_service_account_token,
            opts=self._after(after),
        )

    # ----------------------------------------------------------------- workload

    def _probe(self, probe: ProbeSettings) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "initialDelaySeconds": probe.initial_delay_seconds,
            "periodSeconds": probe.period_seconds,
            "timeoutSeconds": probe.timeout_seconds,
            "failureThreshold": probe.failure_threshold,
            "successThreshold": probe.success_threshold,
        }
        if probe.type == "http":
            wire["httpGet"] = {"path": probe.path, "port": self._settings.port_name, "scheme": "HTTP"}
        elif probe.type == "tcp":
            wire["tcpSocket"] = {"port": self._settings.port_name}
        else:
            wire["exec"] = {"command": list(probe.command)}
        return wire

    def _container(self) -> dict[str, Any]:
        s = self._settings
        security = s.security
        container: dict[str, Any] = {
            "name": s.name,
            "image": s.image,
            "imagePullPolicy": s.image_pull_policy,
            "resources": {
                key: values
                for key, values in (
                    ("requests", s.resources.requests.as_wire()),
                    ("limits", s.resources.limits.as_wire()),
                )
                if values
            },
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": security.run_as_user,
                "runAsGroup": security.run_as_group,
                "allowPrivilegeEscalation": False,
                "privileged": False,
                "readOnlyRootFilesystem": security.read_only_root_filesystem,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "terminationMessagePolicy": "FallbackToLogsOnError",
        }
        if s.command is not None:
            container["command"] = list(s.command)
        if s.args is not None:
            container["args"] = list(s.args)
        env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(s.env.items())]
        env += [
            {"name": k, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}
            for k, ref in sorted(s.secret_env.items())
        ]
        if env:
            container["env"] = env
        if s.env_from_secrets:
            container["envFrom"] = [{"secretRef": {"name": secret}} for secret in s.env_from_secrets]
        if s.port is not None:
            container["ports"] = [{"name": s.port_name, "containerPort": s.port, "protocol": "TCP"}]
        for kind in ("liveness", "readiness", "startup"):
            probe = getattr(s.probes, kind)
            if probe is not None:
                container[f"{kind}Probe"] = self._probe(probe)
        if s.pre_stop_command is not None:
            container["lifecycle"] = {"preStop": {"exec": {"command": list(s.pre_stop_command)}}}
        elif s.pre_stop_sleep_seconds > 0:
            container["lifecycle"] = {"preStop": {"sleep": {"seconds": s.pre_stop_sleep_seconds}}}
        if security.writable_tmp:
            container["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
        return container

    def _topology_spread(self) -> list[dict[str, Any]]:
        spread = self._settings.topology_spread
        constraints = []
        for key, mode in (
            ("topology.kubernetes.io/zone", spread.zones),
            ("kubernetes.io/hostname", spread.nodes),
        ):
            if mode is None:
                continue
            constraints.append(
                {
                    "maxSkew": spread.max_skew,
                    "topologyKey": key,
                    "whenUnsatisfiable": mode,
                    "labelSelector": {"matchLabels": dict(self.selector_labels)},
                    # Count only the pods of the same ReplicaSet, so a rollout spreads the new pods too.
                    "matchLabelKeys": ["pod-template-hash"],
                }
            )
        return constraints

    def _pod_spec(self) -> dict[str, Any]:
        s = self._settings
        security = s.security
        spec: dict[str, Any] = {
            "serviceAccountName": s.name,
            "automountServiceAccountToken": s.automount_service_account_token,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": s.termination_grace_period_seconds,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": security.run_as_user,
                "runAsGroup": security.run_as_group,
                "fsGroup": security.fs_group,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [self._container()],
        }
        constraints = self._topology_spread()
        if constraints:
            spec["topologySpreadConstraints"] = constraints
        if s.node_selector:
            spec["nodeSelector"] = dict(s.node_selector)
        if s.tolerations:
            spec["tolerations"] = [t.as_wire() for t in s.tolerations]
        if s.priority_class_name:
            spec["priorityClassName"] = s.priority_class_name
        if security.writable_tmp:
            spec["volumes"] = [{"name": "tmp", "emptyDir": {"sizeLimit": security.tmp_size_limit}}]
        return spec

    def _deployment(self, namespace: str, after: list[pulumi.Resource]) -> k8s.apps.v1.Deployment:
        s = self._settings
        spec: dict[str, Any] = {
            "selector": {"matchLabels": dict(self.selector_labels)},
            "revisionHistoryLimit": s.revision_history_limit,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {
                    "maxSurge": s.rolling_update.max_surge,
                    "maxUnavailable": s.rolling_update.max_unavailable,
                },
            },
            "template": {"metadata": {"labels": dict(self._labels)}, "spec": self._pod_spec()},
        }
        # With the HPA on, spec.replicas is left out on purpose. pulumi-kubernetes applies
        # server-side: a field in our object is owned by Pulumi's field manager, and every
        # `pulumi up` would reset the count the HPA chose (a scale-down in the middle of a
        # peak) or conflict with it. Left out, the API server defaults it to 1 at creation and
        # the HPA alone owns it (it raises it to minReplicas within seconds). Turning the HPA
        # on later releases the field the same way.
        if not s.autoscaling.enabled:
            spec["replicas"] = s.replicas
        return k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._metadata(namespace),
            spec=_wire(spec),
            opts=self._after(after),
        )

    def _service(self, namespace: str, after: list[pulumi.Resource]) -> k8s.core.v1.Service:
        s = self._settings
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=self._metadata(namespace),
            spec=_wire(
                {
                    "type": s.service_type,
                    "selector": dict(self.selector_labels),
                    "ports": [
                        {
                            "name": s.port_name,
                            "port": s.service_port or s.port,
                            "targetPort": s.port_name,
                            "protocol": "TCP",
                        }
                    ],
                }
            ),
            opts=self._after(after),
        )

    # ----------------------------------------------------------------- availability

    def _hpa(
        self, namespace: str, after: list[pulumi.Resource]
    ) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
        s = self._settings
        hpa = s.autoscaling
        metrics: list[dict[str, Any]] = []
        for resource, target in (
            ("cpu", hpa.cpu_target_utilization),
            ("memory", hpa.memory_target_utilization),
        ):
            if target is not None:
                metrics.append(
                    {
                        "type": "Resource",
                        "resource": {
                            "name": resource,
                            "target": {"type": "Utilization", "averageUtilization": target},
                        },
                    }
                )
        for pods in hpa.pods_metrics:
            metric: dict[str, Any] = {"name": pods.name}
            if pods.selector:
                metric["selector"] = {"matchLabels": dict(pods.selector)}
            metrics.append(
                {
                    "type": "Pods",
                    "pods": {
                        "metric": metric,
                        "target": {"type": "AverageValue", "averageValue": pods.target_average_value},
                    },
                }
            )
        for external in hpa.external_metrics:
            metric = {"name": external.name}
            if external.selector:
                metric["selector"] = {"matchLabels": dict(external.selector)}
            goal = (
                {"type": "Value", "value": external.target_value}
                if external.target_value is not None
                else {"type": "AverageValue", "averageValue": external.target_average_value}
            )
            metrics.append({"type": "External", "external": {"metric": metric, "target": goal}})
        return k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa",
            metadata=self._metadata(namespace),
            spec=_wire(
                {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": s.name},
                    "minReplicas": hpa.min_replicas,
                    "maxReplicas": hpa.max_replicas,
                    "metrics": metrics,
                    "behavior": {
                        "scaleUp": hpa.behavior.scale_up.as_wire(),
                        "scaleDown": hpa.behavior.scale_down.as_wire(),
                    },
                }
            ),
            opts=self._after(after),
        )

    def _pdb(self, namespace: str, after: list[pulumi.Resource]) -> k8s.policy.v1.PodDisruptionBudget:
        pdb = self._settings.pdb
        spec: dict[str, Any] = {
            "selector": {"matchLabels": dict(self.selector_labels)},
            "unhealthyPodEvictionPolicy": pdb.unhealthy_pod_eviction_policy,
        }
        if pdb.min_available is not None:
            spec["minAvailable"] = pdb.min_available
        else:
            spec["maxUnavailable"] = pdb.max_unavailable if pdb.max_unavailable is not None else 1
        return k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb", metadata=self._metadata(namespace), spec=_wire(spec), opts=self._after(after)
        )

    def _network_policy(
        self, namespace: str, after: list[pulumi.Resource]
    ) -> k8s.networking.v1.NetworkPolicy:
        s = self._settings
        policy = s.network_policy
        spec: dict[str, Any] = {
            "podSelector": {"matchLabels": dict(self.selector_labels)},
            "policyTypes": ["Ingress"],
            "ingress": [],
        }
        if policy.allow_from and s.port is not None:
            spec["ingress"] = [
                {
                    "from": [peer.as_wire() for peer in policy.allow_from],
                    "ports": [{"port": s.port, "protocol": "TCP"}],
                }
            ]
        if policy.egress is not None:
            spec["policyTypes"].append("Egress")
            rules: list[dict[str, Any]] = []
            if policy.allow_dns:
                rules.append(
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                    }
                )
            for rule in policy.egress:
                wire: dict[str, Any] = {}
                if rule.peers:
                    wire["to"] = [peer.as_wire() for peer in rule.peers]
                if rule.ports:
                    wire["ports"] = [{"port": port, "protocol": rule.protocol} for port in rule.ports]
                rules.append(wire)
            spec["egress"] = rules
        return k8s.networking.v1.NetworkPolicy(
            f"{self._name}-network-policy",
            metadata=self._metadata(namespace),
            spec=_wire(spec),
            opts=self._after(after),
        )


def _wire(value: dict[str, Any]) -> Any:
    """A part of a Kubernetes object in wire shape (camelCase keys, exactly as in a manifest).

    The SDK's typed dicts spell keys in snake_case; the Python runtime passes a key it has
    no snake_case name for through unchanged (and types its value by that key), so the
    object reaches the provider as written here and as the tests validate it.
    """
    return value


def _name_of(resource: pulumi.Resource) -> pulumi.Output[str]:
    """The object's name as the cluster reports it (so consumers wait for the object)."""
    metadata: pulumi.Output[Any] = resource.metadata  # type: ignore[attr-defined]
    return metadata.apply(lambda m: m.name if m is not None else None)
