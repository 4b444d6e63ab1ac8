"""Account prerequisites a plan needs but cannot show: the EC2 Spot service-linked role.

Spot capacity is launched with the service-linked role ``AWSServiceRoleForEC2Spot``
(``spot.amazonaws.com``). It exists once per account; EC2 creates it only when the caller may
``iam:CreateServiceLinkedRole``, which Karpenter's controller policy does not grant, so in an
account that never used Spot the launch fails with ``ServiceLinkedRoleCreationNotPermitted``
(Karpenter getting-started guide, "Create the EC2 Spot service-linked role"; Karpenter
troubleshooting). A plan shows it only when the program declares an
``aws.iam.ServiceLinkedRole``; otherwise the pack config says that the account bootstrap made it.
The role is account-wide, and an account that used Spot before has it already, so the rule is
advisory: it cannot see the account.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, StackResource, as_list, get, stack_policy
from . import _model as m

DOMAIN = "system"
SPOT_SERVICE = "spot.amazonaws.com"
SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
SPOT_REQUESTS = (
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    "aws:ec2/spotFleetRequest:SpotFleetRequest",
)
"""Spot capacity by definition (EC2 user guide, "Service-linked role for Spot Instance requests")."""


def _node_pool_spot(resource: StackResource) -> Any:
    """Whether a Karpenter NodePool may launch spot (UNKNOWN when its requirements are unknown).

    Karpenter's NodePool docs: without a ``karpenter.sh/capacity-type`` requirement a pool launches
    on-demand only; ``In`` lists the types, ``NotIn`` excludes some, ``Exists`` allows every type."""
    requirements = get(resource.props, "spec", "template", "spec", "requirements")
    if requirements is UNKNOWN:
        return UNKNOWN
    for requirement in as_list(requirements):
        if not isinstance(requirement, dict) or requirement.get("key") != CAPACITY_TYPE:
            continue
        operator, values = requirement.get("operator"), requirement.get("values")
        if UNKNOWN in (operator, values):
            return UNKNOWN
        values = [str(v) for v in as_list(values)]
        if operator == "In" and "spot" in values:
            return True
        if operator == "NotIn" and "spot" not in values:
            return True
        if operator == "Exists":
            return True
    return False


def _spot_users(ctx: StackContext) -> tuple[list[str], list[StackResource]]:
    spot, unknown = [], []
    for resource in ctx.of_type(
        m.NODE_GROUP, m.PULUMI_EKS_MANAGED_GROUP, m.NODE_POOL, *SPOT_REQUESTS, *m.PULUMI_EKS_GROUPS
    ):
        if resource.type == m.NODE_POOL:
            allows = _node_pool_spot(resource)
        elif resource.type in SPOT_REQUESTS:
            allows = True
        elif resource.type in m.PULUMI_EKS_GROUPS:
            # pulumi-eks self-managed groups bid for spot when spotPrice is set.
            price = resource.props.get("spotPrice")
            allows = UNKNOWN if price is UNKNOWN else price not in (None, "")
        else:
            capacity = resource.props.get("capacityType")
            allows = UNKNOWN if capacity is UNKNOWN else capacity == "SPOT"
        if allows is UNKNOWN:
            unknown.append(resource)
        elif allows:
            spot.append(f"{resource.type.rsplit(':', 1)[-1]} '{resource.name}'")
    return spot, unknown


@stack_policy(
    "spot-service-linked-role",
    domain=DOMAIN,
    description="Spot capacity (EKS node groups with capacityType SPOT, Karpenter NodePools allowing spot, "
    "spot requests and fleets, pulumi-eks groups with a spot price) has the EC2 Spot service-linked role: "
    "in the plan, or declared an account prerequisite.",
    severity=Severity.MEDIUM,
    remediation="Create the role once per account before the first deploy (`dataplatform bootstrap` does; "
    "or `aws iam create-service-linked-role --aws-service-name spot.amazonaws.com`) and declare it: "
    '{"spot-service-linked-role": {"accountPrerequisites": ["spot.amazonaws.com"]}} in the pack config; or '
    "declare aws.iam.ServiceLinkedRole(aws_service_name='spot.amazonaws.com') in one program of the account.",
    enforcement=EnforcementLevel.ADVISORY,
    config={
        "accountPrerequisites": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Service principals whose service-linked roles the account already has "
            "(made by the account bootstrap), e.g. spot.amazonaws.com.",
        }
    },
    reads=(
        m.NODE_GROUP,
        m.PULUMI_EKS_MANAGED_GROUP,
        m.NODE_POOL,
        *SPOT_REQUESTS,
        *m.PULUMI_EKS_GROUPS,
        SERVICE_LINKED_ROLE,
    ),
)
def spot_service_linked_role(ctx: StackContext) -> None:
    spot, unknown = _spot_users(ctx)
    if not spot and not unknown:
        return
    if SPOT_SERVICE in as_list(ctx.config.get("accountPrerequisites")):
        return
    for role in ctx.of_type(SERVICE_LINKED_ROLE):
        service = role.props.get("awsServiceName")
        if service == SPOT_SERVICE:
            return
        if service is UNKNOWN:
            ctx.undecided(
                f"ServiceLinkedRole '{role.name}': its service is unknown during preview, so "
                "spot-service-linked-role cannot tell whether it is the EC2 Spot role",
                role.urn,
            )
            return
    for resource in unknown:
        ctx.undecided(
            f"{resource.type.rsplit(':', 1)[-1]} '{resource.name}': its capacity type is unknown during "
            "preview, so spot-service-linked-role cannot tell whether it launches spot",
            resource.urn,
        )
    if spot:
        ctx.report(
            f"{m.names(spot, 3)} launch(es) spot capacity, and neither the plan nor the pack config has the "
            "EC2 Spot service-linked role (AWSServiceRoleForEC2Spot): in an account that never used Spot the "
            "launch fails (ServiceLinkedRoleCreationNotPermitted). Create it once per account "
            "(`dataplatform bootstrap`) and declare spot.amazonaws.com in "
            "spot-service-linked-role.accountPrerequisites",
        )


POLICIES = [spot_service_linked_role]
