"""Karpenter's AWS side: a child component of ``EksCluster``, registration only.

What it registers, in order (each ``depends_on`` says why):

- the node role (trust EC2; worker, CNI, ECR pull and SSM policies) and its ``EC2_LINUX`` access
  entry, so nodes Karpenter launches can join;
- the SQS interruption queue (SSE, 5 minutes' retention, TLS only, EventBridge of this account may
  send) and the 5 EventBridge rules feeding it;
- the controller's IRSA role (``kube-system:karpenter``) with the scoped v1 controller policy.

Only AWS APIs: the in-cluster parts (the charts, the EC2NodeClass, the NodePools) are
:class:`~.runtime.ClusterRuntime`'s, in the same stack or in a workloads project. The documents come
from :mod:`.karpenter`; :class:`KarpenterPools` is the part ``EksCluster`` inherits (the step and
the scheduling contract: ``placement``, ``pool_names``, ``node_pools``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._shared import protection
from .._validation import ConfigIssue, InvalidConfigError
from ..iam import irsa_trust_policy
from .documents import node_trust_policy
from .karpenter import (
    INTERRUPTION_EVENTS,
    KARPENTER_NODE_POLICIES,
    controller_policy,
    discovery_tags,
    event_pattern,
    interruption_queue_arn,
    interruption_queue_name,
    interruption_queue_policy,
    interruption_rule_name,
    node_class_tag_problems,
)
from .karpenter_settings import (
    KARPENTER_NAMESPACE,
    KARPENTER_SERVICE_ACCOUNT,
    KarpenterSettings,
)
from .pools import Placement

if TYPE_CHECKING:
    from .settings import EksClusterSettings

__all__ = ["INTERRUPTION_QUEUE_RETENTION_SECONDS", "Karpenter", "KarpenterArgs", "KarpenterPools"]

INTERRUPTION_QUEUE_RETENTION_SECONDS = 300
"""Interruption notices are useless after a few minutes (Karpenter's reference queue keeps 300 s)."""


@dataclass(frozen=True)
class KarpenterArgs:
    """What Karpenter needs from the cluster: plain names where they are known at config time."""

    settings: KarpenterSettings
    """Validated Karpenter settings."""
    eks_name: str
    """The EKS cluster name (plain: it is decided before the cluster exists)."""
    cluster_name: pulumi.Input[str]
    """The same name as an Output of the cluster (what waits for the cluster)."""
    tags: Mapping[str, str]
    """The stack's tag set."""
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    ebs_kms_key_arn: pulumi.Input[str]
    """The key of node root volumes."""
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    account: pulumi.Input[str]
    dns_suffix: pulumi.Input[str]
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the interruption queue (the cluster's setting):
    a replace would delete it and recreate the same name, which SQS refuses for 60 seconds."""


class Karpenter(pulumi.ComponentResource):
    """Karpenter's AWS side: its IAM, the node access entry, the interruption queue and its rules."""

    node_role: aws.iam.Role
    """The role of every node Karpenter launches."""
    controller_role: aws.iam.Role
    """The controller's IRSA role."""
    queue_name: str
    """The interruption queue's name (Karpenter's ``settings.interruptionQueue``)."""
    queue: aws.sqs.Queue
    node_access: pulumi.Resource
    """The nodes' ``EC2_LINUX`` access entry: the EC2NodeClass waits for it (nodes could not join)."""
    controller_ready: list[pulumi.Resource]
    """What the controller needs before it starts: its IAM policy, the queue policy, the rules' targets."""

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        forbidden = node_class_tag_problems(args.tags)
        if forbidden:
            raise InvalidConfigError(
                [
                    ConfigIssue(f"args.tags.{key}", key, "Karpenter sets this tag itself; remove it")
                    for key in forbidden
                ],
                subject="KarpenterArgs",
            )
        super().__init__("dataplatform:compute:Karpenter", name, None, opts)
        self._name = name
        self._args = args
        self.queue_name = interruption_queue_name(args.eks_name)
        self.node_access = self._node_role()
        queue_ready = self._interruption_queue()
        role_policy = self._controller_role()
        self.controller_ready = [role_policy, *queue_ready]
        self.register_outputs(
            {
                "node_role_arn": self.node_role.arn,
                "controller_role_arn": self.controller_role.arn,
                "interruption_queue_name": self.queue_name,
                "node_pools": sorted(pool.name for pool in args.settings.node_pools),
            }
        )

    def _child(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def _queue_arn(self) -> pulumi.Output[str]:
        a = self._args
        return pulumi.Output.all(a.partition, a.region, a.account).apply(
            lambda v: interruption_queue_arn(v[0], v[1], v[2], self.queue_name)
        )

    def _node_role(self) -> pulumi.Resource:
        """The node role, its managed policies, and the access entry that lets its nodes join."""
        a = self._args
        self.node_role = aws.iam.Role(
            f"{self._name}-node-role",
            assume_role_policy=pulumi.Output.from_input(a.dns_suffix).apply(node_trust_policy),
            description=f"EKS {a.eks_name}: nodes launched by Karpenter",
            tags=dict(a.tags),
            opts=self._child(),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=pulumi.Output.concat("arn:", a.partition, ":iam::aws:policy/", policy),
                opts=self._child(),
            )
            for policy in KARPENTER_NODE_POLICIES
        ]
        return aws.eks.AccessEntry(
            f"{self._name}-node-access",
            cluster_name=a.cluster_name,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            tags=dict(a.tags),
            opts=self._child(depends_on=attachments),
        )

    def _interruption_queue(self) -> list[pulumi.Resource]:
        """The queue, its policy, and the rules and targets sending interruption events to it."""
        a = self._args
        queue_arn = self._queue_arn()
        self.queue = aws.sqs.Queue(
            f"{self._name}-interruption",
            name=self.queue_name,
            message_retention_seconds=INTERRUPTION_QUEUE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=dict(a.tags),
            opts=protection(a.deletion_protection, self._child()),
        )
        policy = aws.sqs.QueuePolicy(
            f"{self._name}-interruption",
            # A queue's provider id is its URL.
            queue_url=self.queue.id,
            policy=pulumi.Output.all(queue_arn, a.account).apply(
                lambda v: interruption_queue_policy(v[0], v[1])
            ),
            opts=self._child(),
        )
        targets: list[pulumi.Resource] = []
        for event in INTERRUPTION_EVENTS:
            rule = aws.cloudwatch.EventRule(
                f"{self._name}-{event}",
                name=interruption_rule_name(a.eks_name, event),
                description=f"EKS {a.eks_name}: {INTERRUPTION_EVENTS[event][1]} -> Karpenter",
                event_pattern=event_pattern(event),
                tags=dict(a.tags),
                opts=self._child(),
            )
            targets.append(
                aws.cloudwatch.EventTarget(
                    f"{self._name}-{event}",
                    rule=rule.name,
                    target_id="KarpenterInterruptionQueue",
                    arn=queue_arn,
                    # Deliveries fail until the queue policy lets EventBridge send.
                    opts=self._child(depends_on=[self.queue, policy]),
                )
            )
        return [policy, *targets]

    def _controller_role(self) -> pulumi.Resource:
        """The controller's IRSA role and its inline policy (what the controller waits for)."""
        a = self._args
        self.controller_role = aws.iam.Role(
            f"{self._name}-controller",
            assume_role_policy=irsa_trust_policy(
                a.oidc_provider_arn, a.oidc_provider_url, KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT
            ),
            description=f"IRSA: system:serviceaccount:{KARPENTER_NAMESPACE}:{KARPENTER_SERVICE_ACCOUNT}",
            tags=dict(a.tags),
            opts=self._child(),
        )
        document = pulumi.Output.all(
            a.partition,
            a.region,
            a.account,
            a.dns_suffix,
            self._queue_arn(),
            self.node_role.arn,
            a.ebs_kms_key_arn,
        ).apply(
            lambda v: controller_policy(
                partition=v[0],
                region=v[1],
                account=v[2],
                dns_suffix=v[3],
                cluster_name=a.eks_name,
                queue_arn=v[4],
                node_role_arn=v[5],
                ebs_key_arn=v[6],
            )
        )
        return aws.iam.RolePolicy(
            f"{self._name}-controller", role=self.controller_role.id, policy=document, opts=self._child()
        )


class KarpenterPools:
    """The part of ``EksCluster`` that is about pools: the Karpenter step and the scheduling contract.

    A pool is a managed node group or a NodePool; :meth:`placement` says how a pod gets there and
    :meth:`workload_dependencies_for` what its rollout waits for.
    """

    _name: str
    _eks_name: str
    _tags: dict[str, str]
    _settings: EksClusterSettings
    cluster_name: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]
    ebs_kms_key_arn: pulumi.Output[str]
    workload_dependencies: list[pulumi.Resource]

    karpenter: Karpenter | None
    """The Karpenter child component (None with ``karpenter`` unset)."""
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    """NodePool name -> its custom resource (empty without Karpenter, and when the Kubernetes objects
    live in a workloads project: take them from that project's ``ClusterRuntime``)."""
    karpenter_node_role_arn: pulumi.Output[str] | None
    """The role of Karpenter's nodes."""
    karpenter_node_role_name: pulumi.Output[str] | None
    """The name of that role (the EC2NodeClass's ``role``)."""
    karpenter_controller_role_arn: pulumi.Output[str] | None
    """The controller's IRSA role."""
    karpenter_interruption_queue_name: str | None
    """The SQS queue Karpenter drains nodes from."""

    @property
    def discovery_tags(self) -> dict[str, str]:
        """Tags to put on the cluster's private subnets so Karpenter's nodes find them (empty without
        Karpenter); the node security group carries them already."""
        return discovery_tags(self._eks_name) if self._settings.karpenter else {}

    def _karpenter(self, where: Any) -> None:
        """Karpenter's AWS side (when configured): IAM, the nodes' access entry, the queue."""
        self.karpenter = None
        self.node_pools = {}
        self.karpenter_node_role_arn = self.karpenter_controller_role_arn = None
        self.karpenter_node_role_name = None
        self.karpenter_interruption_queue_name = None
        settings = self._settings.karpenter
        if settings is None:
            return
        assert isinstance(self, pulumi.Resource)
        self.karpenter = Karpenter(
            f"{self._name}-karpenter",
            KarpenterArgs(
                settings=settings,
                eks_name=self._eks_name,
                cluster_name=self.cluster_name,
                tags=self._tags,
                oidc_provider_arn=self.oidc_provider_arn,
                oidc_provider_url=self.oidc_provider_url,
                ebs_kms_key_arn=self.ebs_kms_key_arn,
                partition=where.partition,
                region=where.region,
                account=where.account,
                dns_suffix=where.dns_suffix,
                deletion_protection=self._settings.deletion_protection,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.karpenter_node_role_arn = self.karpenter.node_role.arn
        self.karpenter_node_role_name = self.karpenter.node_role.name
        self.karpenter_controller_role_arn = self.karpenter.controller_role.arn
        self.karpenter_interruption_queue_name = self.karpenter.queue_name

    @property
    def pool_names(self) -> list[str]:
        """Every pool a workload may ask for: managed node groups, then NodePools."""
        return list(self._settings.placements())

    def placement(self, pool: str) -> Placement:
        """The node selector and tolerations that place a pod on ``pool``."""
        found = self._settings.placements().get(pool)
        if found is None:
            raise InvalidConfigError([self._unknown_pool(pool)], subject="EksCluster.placement")
        return found

    def workload_dependencies_for(self, pool: str) -> list[pulumi.Resource]:
        """What a workload on ``pool`` waits for: the node groups and CoreDNS, and the pool's NodePool
        (a rollout cannot finish before Karpenter can launch its nodes)."""
        self.placement(pool)
        return [*self.workload_dependencies, *([self.node_pools[pool]] if pool in self.node_pools else [])]

    def _unknown_pool(self, pool: str) -> ConfigIssue:
        names = ", ".join(self._settings.placements())
        return ConfigIssue("pool", pool, f"the cluster has no such pool; use one of {names}")
