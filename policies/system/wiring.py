"""Wiring: Services select pods, and PodDisruptionBudgets leave room for one eviction.

A Service whose selector matches no pod has no endpoints. A PDB that allows no disruption at the
workload's minimum replicas blocks every eviction: node drains, upgrades and Karpenter consolidation
never finish (https://kubernetes.io/docs/tasks/run-application/configure-pdb/; minAvailable and
maxUnavailable percentages round up).
"""

from __future__ import annotations

import math
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, contains_unknown, get, stack_policy
from . import _model as m

DOMAIN = "system"
SERVICE = "kubernetes:core/v1:Service"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
READS = (*m.CLUSTER_READS, *m.POD_TEMPLATE_PATHS, *m.HPA_TYPES, m.SCALED_OBJECT, SERVICE, PDB, *m.HELM_TYPES)


def _services(ctx: StackContext, model: m.Model, templates: list[m.PodTemplate]) -> None:
    for service in ctx.of_type(SERVICE):
        spec = get(service.props, "spec")
        selector = get(spec, "selector")
        if get(spec, "type") == "ExternalName" or selector is None or selector == {}:
            continue  # no selector: endpoints are managed by hand
        key, namespace = model.key_of(service), m.namespace_of(service)
        label = f"Service '{service.name}' (namespace {namespace})"
        if contains_unknown(selector) or namespace is UNKNOWN:
            ctx.undecided(f"{label}: its selector is unknown during preview", service.urn)
            continue
        verdicts = [
            m.selector_matches(selector, t.labels)
            for t in templates
            if t.key == key and t.namespace in (namespace, UNKNOWN)
        ]
        if any(verdicts):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in sorted(selector.items()))
        message = (
            f"{label} selects {shown}, which no pod template in its namespace carries: it has no endpoints; "
            "make the selector match the workload's pod template labels"
        )
        if None in verdicts:
            ctx.undecided(f"{label}: some pod labels are unknown during preview", service.urn)
        elif m.helm_in_namespace(model, key, namespace) or not model.in_program(key):
            ctx.undecided(
                message + " (unless a Helm release or another program makes those pods)", service.urn
            )
        else:
            ctx.report(message, service.urn)


def _minimum(ctx: StackContext, model: m.Model, template: m.PodTemplate) -> Any:
    """The fewest replicas the workload runs: its autoscaler's minimum, else spec.replicas."""
    name = m.object_name(template.resource)
    kind = template.resource.type.rsplit(":", 1)[-1]
    for scaler in ctx.of_type(*m.HPA_TYPES, m.SCALED_OBJECT):
        ref = get(scaler.props, "spec", "scaleTargetRef")
        if scaler.type == m.SCALED_OBJECT:
            ref_kind, low = (
                get(ref, "kind") or "Deployment",
                get(scaler.props, "spec", "minReplicaCount", default=0),
            )
            # Scaled to zero nothing is disrupted; the first replica is the case that blocks drains.
            low = max(low, 1) if isinstance(low, int) else low
        else:
            ref_kind, low = get(ref, "kind"), get(scaler.props, "spec", "minReplicas", default=1)
        if ref is UNKNOWN:
            return UNKNOWN
        same = (ref_kind, get(ref, "name")) == (kind, name) and m.namespace_of(scaler) == template.namespace
        if same and model.key_of(scaler) == template.key:
            return low
    return template.replicas


def _allowed(budget: Any, replicas: int, minimum: bool) -> int | None:
    if isinstance(budget, bool):
        return None
    if isinstance(budget, int):
        count = budget
    elif isinstance(budget, str) and budget.endswith("%") and budget[:-1].isdigit():
        count = math.ceil(int(budget[:-1]) * replicas / 100)
    else:
        return None
    return replicas - count if minimum else count


def _budgets(ctx: StackContext, model: m.Model, templates: list[m.PodTemplate]) -> None:
    scalable = [t for t in templates if t.resource.type in m.SCALABLE]
    for pdb in ctx.of_type(PDB):
        key, namespace = model.key_of(pdb), m.namespace_of(pdb)
        spec = get(pdb.props, "spec")
        label = f"PodDisruptionBudget '{pdb.name}' (namespace {namespace})"
        if contains_unknown(spec) or namespace is UNKNOWN:
            ctx.undecided(f"{label}: its spec is unknown during preview", pdb.urn)
            continue
        selector = get(spec, "selector")
        for template in scalable:
            if template.key != key or template.namespace != namespace:
                continue
            verdict = m.label_selector_matches(selector, template.labels)
            if verdict is None:
                ctx.undecided(
                    f"{label}: whether it selects {template.label} is unknown during preview", pdb.urn
                )
                continue
            if not verdict:
                continue
            low = _minimum(ctx, model, template)
            if not isinstance(low, int):
                ctx.undecided(
                    f"{label}: the minimum replicas of {template.label} are unknown during preview", pdb.urn
                )
                continue
            if "minAvailable" in spec:
                allowed, setting = (
                    _allowed(spec["minAvailable"], low, True),
                    f"minAvailable={spec['minAvailable']}",
                )
            elif "maxUnavailable" in spec:
                allowed, setting = (
                    _allowed(spec["maxUnavailable"], low, False),
                    f"maxUnavailable={spec['maxUnavailable']}",
                )
            else:
                continue
            if allowed is not None and allowed < 1:
                ctx.report(
                    f"{label} with {setting} allows no eviction of {template.label} at its minimum of {low} "
                    "replica(s): node drains and Karpenter consolidation never finish; use maxUnavailable: "
                    "1, "
                    f"or minAvailable below {low}",
                    pdb.urn,
                )


@stack_policy(
    "workload-wiring",
    domain=DOMAIN,
    description="Services select some pod template; PodDisruptionBudgets leave room for one eviction at "
    "the workload's minimum replicas.",
    severity=Severity.MEDIUM,
    remediation="Make each Service's selector match the pod template labels of a workload in its namespace; "
    "set PDBs to maxUnavailable: 1 (or minAvailable below the minimum replicas of the HPA/ScaledObject).",
    enforcement=EnforcementLevel.MANDATORY,
    reads=READS,
)
def wiring(ctx: StackContext) -> None:
    model = m.build(ctx)
    templates = m.pod_templates(model)
    _services(ctx, model, templates)
    _budgets(ctx, model, templates)


POLICIES = [wiring]
