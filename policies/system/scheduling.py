"""Schedulability: every pod template can land on some node pool of its cluster.

A pod lands on a pool when it tolerates the pool's NoSchedule/NoExecute taints, its nodeSelector and
required node affinity match the pool's labels, its requests fit the allocatable resources of an
instance type the pool may use (``_sizing``), and its zone spread constraints (``DoNotSchedule`` with
``minDomains``) can be met with the pool's AZs. Without ``minDomains`` a zone spread counts only the
zones that have eligible nodes, so it is always satisfiable
(https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, as_list, contains_unknown, get, stack_policy
from . import _model as m
from . import _pools as p

DOMAIN = "system"
READS = (*m.CLUSTER_READS, *m.POOL_READS, *m.POD_TEMPLATE_PATHS)
ZONE = "topology.kubernetes.io/zone"


@dataclass
class Fit:
    verdict: bool | None
    """True: lands; False: cannot; None: cannot decide."""
    score: int
    """How many of the four checks (taints, labels, size, zones) it passed: the closest pool."""
    reason: str = ""
    fix: str = ""


def fit(pool: p.Pool, spec: Any) -> Fit:
    """Whether a pod of ``spec`` can land on ``pool``."""
    if pool.unknown:
        return Fit(None, 0, f"{pool.label}'s labels, taints or instance types are unknown during preview")
    tolerations = get(spec, "tolerations")
    for taint in pool.taints:
        if taint[2] not in ("NoSchedule", "NoExecute"):
            continue
        verdict = p.tolerates(tolerations, taint)
        if verdict is None:
            return Fit(None, 0, "its tolerations are unknown during preview")
        if not verdict:
            key, value, effect = taint
            shown = f"{key}={value}:{effect}" if value else f"{key}:{effect}"
            return Fit(
                False, 0, f"has taint {shown} that it does not tolerate", f"add a toleration for {shown}"
            )
    selected, why = p.selects(pool, spec)
    if selected is None:
        return Fit(None, 1, "its node selector or affinity is unknown during preview")
    if not selected:
        return Fit(
            False, 1, f"does not match its {why}", "select a label the pool's nodes carry, or label the pool"
        )
    cpu, memory = m.pod_requests(spec)
    if UNKNOWN in (cpu, memory):
        return Fit(None, 2, "its resource requests are unknown during preview")
    wanted = f"{m.cores(cpu)} CPU/{m.mib(memory)} memory"
    for name, value in (("cpu", cpu), ("memory", memory)):
        limit = pool.limits.get(name)
        if limit is not None and value > limit:
            return Fit(
                False, 2, f"has spec.limits.{name} below the pod's request ({wanted})", "raise the limit"
            )
    fitting = [t for t in pool.types if t.cpu_allocatable >= cpu and t.memory_allocatable >= memory]
    if not fitting:
        if pool.outside_table or pool.open_ended or not pool.types:
            outside = ", ".join(pool.outside_table) or "types larger than the sizing table"
            return Fit(
                None, 2, f"the pod requests {wanted} and {pool.label} may use {outside}, not in the table"
            )
        largest = max(pool.types, key=lambda t: (t.memory_allocatable, t.cpu_allocatable))
        return Fit(
            False,
            2,
            f"cannot fit its requests ({wanted}) on its largest instance type {largest.describe()}",
            "lower the requests, or allow a larger instance type in the pool",
        )
    for constraint in as_list(get(spec, "topologySpreadConstraints")):
        if not isinstance(constraint, dict) or contains_unknown(constraint):
            continue
        if constraint.get("topologyKey") != ZONE or constraint.get("whenUnsatisfiable") != "DoNotSchedule":
            continue
        wanted_zones = constraint.get("minDomains")
        if not isinstance(wanted_zones, int):
            continue
        if pool.zones is UNKNOWN:
            return Fit(None, 3, f"the number of AZs of {pool.label} is not known (minDomains {wanted_zones})")
        if pool.zones < wanted_zones:
            return Fit(
                False,
                3,
                f"spans {pool.zones} AZ(s) but its zone spread needs minDomains={wanted_zones} with "
                "DoNotSchedule",
                f"lower minDomains to {pool.zones}, use ScheduleAnyway, or give the pool subnets in more AZs",
            )
    return Fit(True, 4)


def pools_by_cluster(model: m.Model) -> dict[str | None, list[p.Pool]]:
    grouped: dict[str | None, list[p.Pool]] = {}
    for pool in p.pools(model):
        grouped.setdefault(pool.key, []).append(pool)
    return grouped


def candidate_pools(model: m.Model, grouped: dict[str | None, list[p.Pool]], key: str) -> list[p.Pool]:
    """The pools of a cluster; pools whose cluster is not told count when there is at most one."""
    found = list(grouped.get(key, []))
    if len(model.clusters) <= 1:
        found += [pool for pool in grouped.get(None, []) if pool not in found]
    return found


@stack_policy(
    "pod-schedulability",
    domain=DOMAIN,
    description="Every pod template can land on some node pool: taints tolerated, node selector and "
    "required affinity matched, requests within an instance type's allocatable, zone spread satisfiable.",
    severity=Severity.HIGH,
    remediation="Make the pod fit the pool it is meant for (tolerations for the pool's taints, a node "
    "selector the pool's labels satisfy, requests below the allocatable of its largest instance type, "
    "minDomains within its AZs), or add a pool it fits. The message names the closest pool and what does "
    "not fit.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=READS,
)
def schedulability(ctx: StackContext) -> None:
    model = m.build(ctx)
    grouped = pools_by_cluster(model)
    hidden: dict[str, list[str]] = {}
    for template in m.pod_templates(model):
        where = f"{template.label} (namespace {template.namespace})"
        if template.spec is UNKNOWN:
            ctx.undecided(f"{where}: its pod template is unknown during preview", template.resource.urn)
            continue
        pools = candidate_pools(model, grouped, template.key)
        if not pools:
            hidden.setdefault(template.key, []).append(template.label)
            continue
        fits = [(pool, fit(pool, template.spec)) for pool in pools]
        if any(f.verdict for _, f in fits):
            continue
        undecided = [(pool, f) for pool, f in fits if f.verdict is None]
        if undecided:
            pool, f = undecided[0]
            ctx.undecided(
                f"{where} fits no pool for sure: for {pool.label}, {f.reason}", template.resource.urn
            )
            continue
        pool, closest = max(fits, key=lambda item: item[1].score)
        message = (
            f"{where} fits no node pool of {model.describe(template.key)}: the closest, {pool.label}, "
            f"{closest.reason}; {closest.fix}"
        )
        if model.in_program(template.key):
            ctx.report(message, template.resource.urn)
        else:
            ctx.undecided(message + " (the cluster may have pools declared elsewhere)", template.resource.urn)
    for key, labels in hidden.items():
        ctx.undecided(
            f"{m.names(labels, 3)}: no node pool of {model.describe(key)} is in this program "
            "(Fargate, Auto Mode, self-managed nodes or another project), so pod-schedulability cannot tell "
            "whether they land",
        )


POLICIES = [schedulability]
