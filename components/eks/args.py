"""The wiring of an EKS cluster: ``EksClusterArgs`` (settings plus ``pulumi.Input`` values) and the
checks made on it before anything is registered (of the plain values; Outputs are not known yet)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from .._shared import dns_label_problem, dns_subdomain_problem, kms_key_arn_problem
from .._validation import ConfigIssue, InvalidConfigError
from ..tags import validate_tags
from .settings import CLUSTER_NAME_PATTERN, GROUP_NAME_PATTERN, EksClusterSettings

__all__ = ["EksClusterArgs", "check_args", "irsa_role_issues"]

_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")


@dataclass(frozen=True)
class EksClusterArgs:
    """Settings, tags and the network wiring of the cluster."""

    settings: EksClusterSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to every taggable child (and, through pulumi-eks, to its own)."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cluster."""
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets (at least two AZs) for the control-plane ENIs and every node group."""
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Public subnets for internet-facing load balancers. Never given to the control plane or the
    nodes; kept as the ``public_subnet_ids`` attribute for load-balancer wiring."""
    secrets_kms_key_arn: pulumi.Input[str] | None = None
    """A KMS key for envelope encryption of Kubernetes secrets; one (with rotation) is created
    when omitted."""
    network_dependencies: Sequence[pulumi.Resource] = ()
    """What nodes need before they can join and pull images: the private subnets' route-table
    associations, NAT routes and VPC endpoints (``Network.private_egress_dependencies``). The node
    groups and the add-ons that run pods wait for them."""


def check_args(name: str, args: EksClusterArgs, stack: str) -> tuple[dict[str, str], str]:
    """Every problem with the wiring (raised together), else the validated tags and the cluster name
    (``settings.cluster_name``, or ``<name>-<stack>``)."""
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, EksClusterSettings):
        issues.append(
            ConfigIssue("args.settings", type(args.settings).__name__, "must be EksClusterSettings")
        )
        raise InvalidConfigError(issues, subject="EksClusterArgs")
    cluster_name = args.settings.eks_name(name, stack)
    if not CLUSTER_NAME_PATTERN.match(cluster_name):
        issues.append(
            ConfigIssue(
                "settings.cluster_name",
                cluster_name,
                "the derived cluster name is not a valid EKS name (1-100 letters, digits, '-', '_'); "
                "set cluster_name",
            )
        )
    if isinstance(args.vpc_id, str) and not _VPC_ID.match(args.vpc_id):
        issues.append(ConfigIssue("args.vpc_id", args.vpc_id, "not a VPC id; pass e.g. network.vpc_id"))
    subnets = args.private_subnet_ids
    if isinstance(subnets, list | tuple):
        plain = [s for s in subnets if isinstance(s, str)]
        if len(subnets) < 2:
            issues.append(
                ConfigIssue(
                    "args.private_subnet_ids",
                    list(subnets),
                    "EKS needs subnets in at least two availability zones; pass two or more",
                )
            )
        bad = [s for s in plain if not _SUBNET_ID.match(s)]
        if bad:
            issues.append(ConfigIssue("args.private_subnet_ids", bad, "not subnet ids (subnet-...)"))
    key_problem = kms_key_arn_problem(args.secrets_kms_key_arn)
    if key_problem:
        issues.append(
            ConfigIssue(
                "args.secrets_kms_key_arn",
                args.secrets_kms_key_arn,
                f"{key_problem}; omit it to create a key",
            )
        )
    try:
        tags = validate_tags(args.tags, path="args.tags")
    except InvalidConfigError as error:
        issues.extend(error.issues)
        tags = {}
    if issues:
        raise InvalidConfigError(issues, subject="EksClusterArgs")
    return tags, cluster_name


def irsa_role_issues(name: str, namespace: str, service_account: str) -> list[ConfigIssue]:
    """What is wrong with the names given to :meth:`EksCluster.irsa_role` (empty when nothing is)."""
    issues = []
    if not isinstance(name, str) or not GROUP_NAME_PATTERN.match(name):
        issues.append(ConfigIssue("name", name, "use 1-24 lowercase letters, digits and hyphens"))
    namespace_problem = dns_label_problem(namespace)
    if namespace_problem:
        issues.append(
            ConfigIssue("namespace", namespace, f"not a Kubernetes namespace name: {namespace_problem}")
        )
    account_problem = dns_subdomain_problem(service_account)
    if account_problem:
        issues.append(
            ConfigIssue(
                "service_account",
                service_account,
                f"not a Kubernetes service account name: {account_problem}",
            )
        )
    return issues
