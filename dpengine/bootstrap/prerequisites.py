"""Account prerequisites: what a fresh AWS account lacks that the stacks need, made once per account.

The stacks cannot own these: they are one per account (every stack of the account would fight over
them, and destroying one stack would take them from the others), and some must exist before the
first ``pulumi up``. So the account bootstrap makes them, idempotently, beside the state backend:

- **The EC2 Spot service-linked role** (``spot.amazonaws.com``, ``AWSServiceRoleForEC2Spot``).
  Karpenter launches spot capacity with ``CreateFleet``, which needs this role; its controller
  policy has no ``iam:CreateServiceLinkedRole``, so in an account that never used Spot the launch
  fails with ``ServiceLinkedRoleCreationNotPermitted`` (Karpenter getting-started guide, step
  "Create the EC2 Spot service-linked role"; Karpenter troubleshooting,
  "ServiceLinkedRoleCreationNotPermitted"). The other service-linked roles the stacks use are
  created by the services themselves on first use, when the deployer may call
  ``iam:CreateServiceLinkedRole``: EKS (``AWSServiceRoleForAmazonEKS``, and
  ``...EKSNodegroup`` for managed node groups), Elastic Load Balancing, EC2 Auto Scaling, RDS and
  AWS Backup each document that they create theirs "when you create" the resource (IAM user guide,
  "AWS services that work with IAM", the "Service-linked role" column, and each service's
  "Using service-linked roles" page), so they are not prerequisites.
- **Cost allocation tags**: the budgets filter on ``user:<key>$<value>`` (``Environment`` by
  default, ``operations.budget.cost_tag_key``), and a user-defined tag key counts in Cost Explorer
  and Budgets only once activated (``ce:UpdateCostAllocationTagsStatus``). AWS lists a tag key for
  activation only after it has been seen on a resource, up to 24 hours after it is applied (the
  Billing user guide, "Activating user-defined cost allocation tags"). In a fresh account the key
  is therefore not there yet: the step reports ``pending`` with what to do (run bootstrap again a
  day after the first ``pulumi up``), and is never reported as done.

Each step reads first and writes only when something is missing; ``--dry-run`` only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ._aws import ACCESS_DENIED, aws_call, error_code, reraise
from .report import BootstrapError, Outcome

if TYPE_CHECKING:
    from .steps import BootstrapRun

__all__ = [
    "COST_EXPLORER_REGION",
    "DEFAULT_COST_ALLOCATION_TAGS",
    "SERVICE_LINKED_ROLES",
    "ServiceLinkedRole",
    "check_cost_allocation_tags",
    "ensure_account_prerequisites",
    "prerequisite_step_names",
]

COST_EXPLORER_REGION = "us-east-1"
"""Cost Explorer has one endpoint, ``ce.us-east-1.amazonaws.com`` (AWS General Reference, "AWS
Cost Explorer endpoints")."""
DEFAULT_COST_ALLOCATION_TAGS = ("Environment",)
"""The budgets' default ``cost_tag_key`` (``components.operations.BudgetSettings``)."""


@dataclass(frozen=True)
class ServiceLinkedRole:
    """A service-linked role a fresh account lacks and the service does not create by itself."""

    service: str
    """The service principal, the ``AWSServiceName`` of ``iam:CreateServiceLinkedRole``."""
    name: str
    """The role's name, fixed by AWS."""
    needed_by: str
    """What in the stacks needs it."""

    @property
    def path(self) -> str:
        """The path AWS puts a service-linked role under (``/aws-service-role/<service>/``)."""
        return f"/aws-service-role/{self.service}/"

    @property
    def step(self) -> str:
        return f"service-linked role {self.name}"


SERVICE_LINKED_ROLES = (
    ServiceLinkedRole(
        "spot.amazonaws.com",
        "AWSServiceRoleForEC2Spot",
        "Karpenter NodePools and node groups with spot capacity",
    ),
)


def _tag_step(key: str) -> str:
    return f"cost allocation tag {key}"


def prerequisite_step_names(cost_allocation_tags: Sequence[str] = DEFAULT_COST_ALLOCATION_TAGS) -> list[str]:
    """The names of the steps :func:`ensure_account_prerequisites` records, in order."""
    return [role.step for role in SERVICE_LINKED_ROLES] + [_tag_step(key) for key in cost_allocation_tags]


def ensure_account_prerequisites(run: BootstrapRun, cost_allocation_tags: Sequence[str]) -> None:
    """Ensure every account prerequisite, recording one step each on ``run``."""
    for role in SERVICE_LINKED_ROLES:
        _ensure_service_linked_role(run, role)
    if cost_allocation_tags:
        _ensure_cost_allocation_tags(run, list(dict.fromkeys(cost_allocation_tags)))


# --------------------------------------------------------------------------- service-linked roles


def _ensure_service_linked_role(run: BootstrapRun, role: ServiceLinkedRole) -> None:
    iam = run.session.client("iam", region_name=run.region)
    # Found by its path, not its name: the path is what makes a role service-linked to this service.
    pages = aws_call(
        "iam:ListRoles",
        f"roles under {role.path}",
        lambda: list(iam.get_paginator("list_roles").paginate(PathPrefix=role.path)),
    )
    found = [r["RoleName"] for page in pages for r in page.get("Roles", [])]
    if found:
        run.record(role.step, Outcome.UNCHANGED, f"{found[0]} ({role.service})")
        return
    detail = f"{role.service}, for {role.needed_by}"
    if run.dry_run:
        run.record(role.step, Outcome.WOULD_CREATE, detail)
        return
    try:
        iam.create_service_linked_role(AWSServiceName=role.service)
    except ClientError as error:
        # Made between the read and the write (another bootstrap, or the console): it is there.
        if error_code(error) == "InvalidInput" and "has been taken" in str(error):
            run.record(role.step, Outcome.UNCHANGED, f"{role.name} ({role.service})")
            return
        aws_call(
            "iam:CreateServiceLinkedRole",
            f"{role.service} in account {run.account_id}",
            reraise(error),
        )
    run.record(role.step, Outcome.CREATED, detail)


# --------------------------------------------------------------------------- cost allocation tags


_MANAGEMENT_ACCOUNT_HINT = (
    "\nIn an AWS Organizations member account only the management account can activate cost "
    "allocation tags (Billing user guide, 'Activating user-defined cost allocation tags'): run "
    "bootstrap there with --cost-allocation-tag, or activate the keys in its Billing console."
)


def _ce_call(run: BootstrapRun, action: str, call: Any, /, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ClientError as error:
        resource = f"the cost allocation tags of account {run.account_id}"
        try:
            aws_call(action, resource, reraise(error))
        except BootstrapError as explained:
            if error_code(error) in ACCESS_DENIED:
                explained.message += _MANAGEMENT_ACCOUNT_HINT
                explained.args = (explained.message,)
            raise
        raise  # pragma: no cover  (aws_call always raises on a ClientError)


def _ensure_cost_allocation_tags(run: BootstrapRun, keys: list[str]) -> None:
    ce = run.session.client("ce", region_name=COST_EXPLORER_REGION)
    status: dict[str, str] = {}
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"TagKeys": keys, "Type": "UserDefined"}
        if token:
            kwargs["NextToken"] = token
        page = _ce_call(run, "ce:ListCostAllocationTags", ce.list_cost_allocation_tags, **kwargs)
        for tag in page.get("CostAllocationTags", []):
            status[tag["TagKey"]] = tag["Status"]
        token = page.get("NextToken")
        if not token:
            break
    inactive = [key for key in keys if status.get(key) == "Inactive"]
    errors: dict[str, str] = {}
    if inactive and not run.dry_run:
        response = _ce_call(
            run,
            "ce:UpdateCostAllocationTagsStatus",
            ce.update_cost_allocation_tags_status,
            CostAllocationTagsStatus=[{"TagKey": key, "Status": "Active"} for key in inactive],
        )
        errors = {
            e["TagKey"]: f"{e.get('Code', '')}: {e.get('Message', '')}" for e in response.get("Errors", [])
        }
    for key in keys:
        name = _tag_step(key)
        if status.get(key) == "Active":
            run.record(name, Outcome.UNCHANGED, f"user:{key} active")
        elif key not in status:
            run.record(
                name,
                Outcome.PENDING,
                f"user:{key} not seen on any resource yet; AWS lists a tag key up to 24 hours after it is "
                "first applied: run bootstrap again a day after the first `pulumi up` (budgets filtered "
                "on it see no cost until then)",
            )
        elif key in errors:
            run.record(
                name, Outcome.PENDING, f"user:{key} not activated ({errors[key]}); run bootstrap again"
            )
        else:
            run.record(name, run.change(exists=True), f"user:{key} active (was inactive)")


def check_cost_allocation_tags(keys: Sequence[str]) -> None:
    """Refuse tag keys AWS cannot have as user-defined cost allocation tags, before any AWS call."""
    for key in keys:
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise BootstrapError(
                f"--cost-allocation-tag {key!r} is not a user-defined tag key: use 1-128 characters not "
                "starting with 'aws:' (e.g. Environment, the budgets' default)."
            )
