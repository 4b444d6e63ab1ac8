"""Prices of how data enters: the ALBs the AWS Load Balancer Controller makes for ``alb`` Ingresses.

No Pulumi resource is the ALB (the controller creates it, its listeners and target groups from the
Ingress), so it is priced on the Ingress: one ALB per IngressGroup (:mod:`..load_balancers`), its
hours and its capacity units (LCU: the largest of new connections, active connections, processed
bytes and rule evaluations; https://aws.amazon.com/elasticloadbalancing/pricing/). Listeners and
target groups cost nothing of their own.
"""

from __future__ import annotations

from ..load_balancers import INGRESS, is_alb_ingress, load_balancers
from .model import Context, Free, Line, Outcome, Resource, prices


@prices(INGRESS)
def _ingress(resource: Resource, ctx: Context) -> Outcome:
    if not is_alb_ingress(resource.inputs):
        return Free("served by an in-cluster Ingress controller (its load balancer Service is priced)")
    ingresses = [(r.urn, r.inputs) for r in ctx.of_type(INGRESS)]
    (alb,) = [lb for lb in load_balancers(ingresses) if resource.urn in lb.ingresses]
    if alb.ingresses[0] != resource.urn:
        first = ctx.by_urn[alb.ingresses[0]].name
        return Free(f"shares the ALB of IngressGroup {alb.key}, priced on Ingress {first}")
    lcu = ctx.usage.alb_lcu_per_hour
    ctx.assume(
        f"{resource.name}: the {alb.scheme} ALB of {alb.key} (made by the AWS Load Balancer Controller, "
        f"listeners {', '.join(alb.listeners)}) uses {lcu:g} LCU on average "
        f"({ctx.usage.origin('alb_lcu_per_hour')})"
    )
    listeners = ", ".join(alb.listeners)
    return [
        Line(
            f"Application Load Balancer hours ({listeners})",
            ctx.hours,
            "hour",
            ctx.prices.rate("elb.alb_hour"),
        ),
        Line(
            "Application Load Balancer capacity units",
            lcu * ctx.hours,
            "LCU-hour",
            ctx.prices.rate("elb.alb_lcu_hour"),
        ),
    ]
