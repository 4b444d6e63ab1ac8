"""Karpenter on the cluster: a child component of ``EksCluster``, registration only.

What it registers, in order (each ``depends_on`` says why):

- the node role (trust EC2; worker, CNI, ECR pull and SSM policies) and its ``EC2_LINUX`` access
  entry, so nodes Karpenter launches can join;
- the SQS interruption queue (SSE, 5 minutes' retention, TLS only, EventBridge of this account may
  send) and the 5 EventBridge rules feeding it;
- the controller's IRSA role (``kube-system:karpenter``) with the scoped v1 controller policy;
- the CRD chart, then the controller chart (on the controller's managed node group, after the node
  groups and CoreDNS), then the EC2NodeClass and one NodePool per pool.

The documents come from :mod:`.karpenter`; :class:`KarpenterPools` is the part ``EksCluster``
inherits (the step and the scheduling contract: ``placement``, ``pool_names``, ``node_pools``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._validation import ConfigIssue, InvalidConfigError
from ..iam import irsa_trust_policy
from .documents import node_trust_policy
from .karpenter import (
    INTERRUPTION_EVENTS,
    KARPENTER_NODE_POLICIES,
    controller_policy,
    controller_values,
    discovery_tags,
    event_pattern,
    interruption_queue_arn,
    interruption_queue_name,
    interruption_queue_policy,
    interruption_rule_name,
    node_class_manifest,
    node_class_tag_problems,
    node_pool_manifest,
)
from .karpenter_settings import (
    KARPENTER_CHART,
    KARPENTER_CRD_CHART,
    KARPENTER_NAMESPACE,
    KARPENTER_SERVICE_ACCOUNT,
    NODE_CLASS_NAME,
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
    controller_placement: Placement
    """The placement of the controller's managed node group."""
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
    provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    after: Sequence[pulumi.Resource] = ()
    """What the controller's pods need first: the managed node groups and CoreDNS."""


class Karpenter(pulumi.ComponentResource):
    """Karpenter: its IAM, interruption queue, chart, EC2NodeClass and NodePools."""

    node_role: aws.iam.Role
    """The role of every node Karpenter launches."""
    controller_role: aws.iam.Role
    """The controller's IRSA role."""
    queue_name: str
    """The interruption queue's name (Karpenter's ``settings.interruptionQueue``)."""
    queue: aws.sqs.Queue
    release: k8s.helm.v3.Release
    """The controller chart; custom resources wait for it (and for the CRD chart before it)."""
    node_class: k8s.apiextensions.CustomResource
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    """Pool name -> its NodePool."""

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
        access = self._node_role()
        queue_ready = self._interruption_queue()
        role_policy = self._controller_role()
        self._charts(after=[*args.after, role_policy, *queue_ready])
        self._custom_resources(after=[access])
        self.register_outputs(
            {
                "node_role_arn": self.node_role.arn,
                "controller_role_arn": self.controller_role.arn,
                "interruption_queue_name": self.queue_name,
                "node_pools": sorted(self.node_pools),
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
            opts=self._child(),
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

    def _charts(self, after: Sequence[pulumi.Resource]) -> None:
        """The CRD chart (Helm never upgrades a chart's own CRDs), then the controller."""
        a = self._args
        settings = a.settings
        k8s_child = self._child(provider=a.provider)
        crds = k8s.helm.v3.Release(
            f"{self._name}-crd",
            name="karpenter-crd",
            chart=KARPENTER_CRD_CHART,
            version=settings.version,
            namespace=KARPENTER_NAMESPACE,
            opts=k8s_child,
        )
        values = self.controller_role.arn.apply(
            lambda arn: controller_values(
                settings,
                cluster_name=a.eks_name,
                queue_name=self.queue_name,
                role_arn=arn,
                placement=a.controller_placement,
            )
        )
        self.release = k8s.helm.v3.Release(
            self._name,
            name="karpenter",
            chart=KARPENTER_CHART,
            version=settings.version,
            namespace=KARPENTER_NAMESPACE,
            skip_crds=True,
            values=values,
            opts=self._child(provider=a.provider, depends_on=[crds, *after]),
        )

    def _custom_resources(self, after: Sequence[pulumi.Resource]) -> None:
        """The EC2NodeClass and the NodePools: their CRDs and the controller come first."""
        a = self._args
        manifest = pulumi.Output.all(self.node_role.name, a.ebs_kms_key_arn).apply(
            lambda v: node_class_manifest(
                a.settings, cluster_name=a.eks_name, node_role_name=v[0], ebs_key_arn=v[1], tags=a.tags
            )
        )
        self.node_class = k8s.apiextensions.CustomResource(
            f"{self._name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": NODE_CLASS_NAME},
            spec=manifest["spec"],
            opts=self._child(provider=a.provider, depends_on=[self.release, *after]),
        )
        self.node_pools = {}
        for pool in a.settings.node_pools:
            document = node_pool_manifest(pool)
            self.node_pools[pool.name] = k8s.apiextensions.CustomResource(
                f"{self._name}-pool-{pool.name}",
                api_version=document["apiVersion"],
                kind=document["kind"],
                metadata=document["metadata"],
                spec=document["spec"],
                opts=self._child(provider=a.provider, depends_on=[self.release, self.node_class]),
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
    provider: k8s.Provider
    workload_dependencies: list[pulumi.Resource]

    karpenter: Karpenter | None
    """The Karpenter child component (None with ``karpenter`` unset)."""
    node_pools: dict[str, k8s.apiextensions.CustomResource]
    """NodePool name -> its custom resource (empty without Karpenter)."""
    karpenter_node_role_arn: pulumi.Output[str] | None
    """The role of Karpenter's nodes."""
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
        """Karpenter (when configured), after the node groups and CoreDNS."""
        self.karpenter = None
        self.node_pools = {}
        self.karpenter_node_role_arn = self.karpenter_controller_role_arn = None
        self.karpenter_interruption_queue_name = None
        settings = self._settings.karpenter
        if settings is None:
            return
        assert isinstance(self, pulumi.Resource)
        self.karpenter = Karpenter(
            f"{self._name}-karpenter",
            KarpenterArgs(
                settings=settings,
                controller_placement=self.placement(settings.controller_node_group),
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
                provider=self.provider,
                after=list(self.workload_dependencies),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.node_pools = dict(self.karpenter.node_pools)
        self.karpenter_node_role_arn = self.karpenter.node_role.arn
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
