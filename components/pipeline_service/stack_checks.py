"""Checks across the services of a stack about queues and KEDA, and the order to create them in
(pure; the stack config runs them before anything is registered).

- KEDA objects need KEDA on the cluster (``cluster.keda``), and with KEDA on, nothing else can
  serve ``external.metrics.k8s.io`` (one APIService per group-version and cluster): a raw External
  HPA's provider is then refused. Without KEDA, the raw HPAs of the stack must agree on one provider.
- A queue is referenced by ARN only when the stack does not create it: the queue another service
  creates is referenced with ``queue.from_service`` (its ARN exists only once it is made, and the
  reference then also carries its key). Created queue names are unique; ARNs are in the stack's region.
- Services are created owners first: a namespace's creator before the services sharing it, a
  queue's creator before the services using it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._validation import ConfigIssue
from .namespaces import namespace_owner
from .queue import queue_name
from .settings_events import sqs_queue_arn_parts
from .settings_kinds import JOB_KINDS

if TYPE_CHECKING:
    from .settings import PipelineServiceSettings

__all__ = ["creation_order", "event_stack_issues", "queue_owner"]


def queue_owner(services: Sequence[PipelineServiceSettings], index: int) -> int | None:
    """The index of the service whose queue ``services[index]`` uses (``queue.from_service``), or None."""
    queue = services[index].queue
    if queue is None or queue.from_service is None:
        return None
    for other, service in enumerate(services):
        if service.name == queue.from_service and other != index:
            return other
    return None


def _created_queues(services: Sequence[PipelineServiceSettings]) -> dict[str, str]:
    """Created queue name -> the service creating it."""
    return {queue_name(s.name, s.queue): s.name for s in services if s.queue is not None and s.queue.created}


def event_stack_issues(
    services: Sequence[PipelineServiceSettings], *, keda_on: bool, region: str, prefix: str = "services"
) -> list[ConfigIssue]:
    """Every problem of the stack's queues and KEDA use (paths ``<prefix>[i]...`` and ``cluster.keda``)."""
    issues: list[ConfigIssue] = []
    scaled = [s.name for s in services if s.keda_triggers]
    if scaled and not keda_on:
        issues.append(
            ConfigIssue(
                "cluster.keda",
                None,
                f"service(s) {', '.join(scaled)} scale on triggers, which only KEDA acts on; set "
                "cluster.keda: {} (KEDA on the system nodes) or remove the triggers",
            )
        )
    providers: dict[str, int] = {}
    for index, service in enumerate(services):
        provider = service.autoscaling.external_metrics_provider
        if provider is None or not service.autoscaling.external_metrics or not service.makes_hpa:
            continue
        where = f"{prefix}[{index}].autoscaling.external_metrics_provider"
        if keda_on:
            issues.append(
                ConfigIssue(
                    where,
                    provider,
                    "the cluster runs KEDA, whose metrics server is the one external.metrics.k8s.io "
                    f"APIService, so {provider!r} cannot serve this HPA; scale with autoscaling.triggers "
                    "instead (KEDA)",
                )
            )
        elif providers.setdefault(provider, index) == index and len(providers) > 1:
            first = next(iter(providers))
            issues.append(
                ConfigIssue(
                    where,
                    provider,
                    f"a cluster has one external.metrics.k8s.io provider and {prefix}[{providers[first]}] "
                    f"names {first!r}; use the same",
                )
            )
    created = _created_queues(services)
    seen: dict[str, int] = {}
    for index, service in enumerate(services):
        queue = service.queue
        if queue is None:
            continue
        where = f"{prefix}[{index}].queue"
        if queue.created:
            name = queue_name(service.name, queue)
            if name in seen:
                issues.append(
                    ConfigIssue(
                        f"{where}.name",
                        name,
                        f"{prefix}[{seen[name]}] creates a queue of this name too; set queue.name on one",
                    )
                )
            seen.setdefault(name, index)
        elif queue.arn is not None:
            parts = sqs_queue_arn_parts(queue.arn) or {}
            owner = created.get(parts.get("name", ""))
            if owner is not None and parts.get("region") == region:
                issues.append(
                    ConfigIssue(
                        f"{where}.arn",
                        queue.arn,
                        f"is the queue service {owner!r} creates in this stack; reference it with "
                        f"queue.from_service: {owner} (its ARN and key come from that service)",
                    )
                )
            elif parts.get("region") != region:
                issues.append(
                    ConfigIssue(
                        f"{where}.arn",
                        queue.arn,
                        f"is in {parts.get('region')}, and the stack is in {region}; reference a "
                        "queue of the stack's region",
                    )
                )
        elif queue.from_service is not None:
            source = next((s for s in services if s.name == queue.from_service), None)
            if source is None:
                issues.append(
                    ConfigIssue(
                        f"{where}.from_service",
                        queue.from_service,
                        "no service of the stack has this name (services: "
                        f"{', '.join(s.name for s in services)})",
                    )
                )
            elif source.queue is None or not source.queue.created:
                issues.append(
                    ConfigIssue(
                        f"{where}.from_service",
                        queue.from_service,
                        "that service creates no queue; give it queue: {} or reference the queue by arn",
                    )
                )
            elif (
                service.kind in JOB_KINDS
                and queue.access == "consume"
                and service.job.active_deadline_seconds is not None
                and source.queue.visibility_timeout_seconds < service.job.active_deadline_seconds
            ):
                # The same rule as a Job's own queue (settings_kinds.job_queue_issues), across services.
                issues.append(
                    ConfigIssue(
                        f"{prefix}[{services.index(source)}].queue.visibility_timeout_seconds",
                        source.queue.visibility_timeout_seconds,
                        f"is below the job.active_deadline_seconds ({service.job.active_deadline_seconds}) "
                        f"of {service.name}, which consumes this queue: a message would be delivered again "
                        "while its Job still runs; raise the visibility timeout to the deadline or more",
                    )
                )
    return issues


def creation_order(services: Sequence[PipelineServiceSettings]) -> list[int]:
    """The indexes of ``services`` with every namespace and queue owner before its users (input order
    otherwise). An owner cycle cannot be ordered: those services keep their input order."""
    order: list[int] = []
    visiting: set[int] = set()

    def visit(index: int) -> None:
        if index in order or index in visiting:
            return
        visiting.add(index)
        for owner in (namespace_owner(services, index), queue_owner(services, index)):
            if owner is not None:
                visit(owner)
        visiting.discard(index)
        order.append(index)

    for index in range(len(services)):
        visit(index)
    return order
