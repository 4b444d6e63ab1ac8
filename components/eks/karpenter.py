"""Karpenter's documents, as plain functions of settings and plain names/ARNs.

The controller's IAM policy (least privilege, as Karpenter's v1 reference policy scopes it), the node
role's trust, the interruption queue's policy, the EventBridge patterns feeding it, the Helm values,
and the EC2NodeClass / NodePool manifests. Nothing here registers a resource; the component
(:mod:`.karpenter_component`) only wires the results, and ``tests/test_karpenter.py`` checks each
document exactly and against the CRD schemas.

Sources: Karpenter's CloudFormation reference (``website/content/en/docs/getting-started/
getting-started-with-karpenter/cloudformation.yaml``) and terraform-aws-eks ``modules/karpenter/
policy.tf`` (v21), which carry the same statements; the v1 CRDs (``pkg/apis/crds``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .._shared import deny_insecure_transport_statement
from ..iam import policy_json
from .karpenter_settings import (
    KARPENTER_SERVICE_ACCOUNT,
    NODE_CLASS_NAME,
    KarpenterSettings,
    NodePoolSettings,
)
from .pools import Placement, node_pool_taints, pool_labels

__all__ = [
    "DISCOVERY_TAG",
    "FORBIDDEN_NODE_CLASS_TAGS",
    "INTERRUPTION_EVENTS",
    "KARPENTER_NODE_POLICIES",
    "MAX_QUEUE_NAME",
    "MAX_RULE_NAME",
    "bounded_name",
    "controller_policy",
    "controller_values",
    "discovery_tags",
    "event_pattern",
    "interruption_queue_arn",
    "interruption_queue_name",
    "interruption_queue_policy",
    "interruption_rule_name",
    "node_class_manifest",
    "node_class_tag_problems",
    "node_pool_manifest",
]

DISCOVERY_TAG = "karpenter.sh/discovery"
"""The tag (value: the cluster name) the EC2NodeClass selects subnets and security groups by."""
KARPENTER_NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
"""AWS managed policies of the Karpenter node role (Karpenter's CloudFormation reference)."""
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "health": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "capacity-reservation": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}
"""Rule suffix -> (source, detail-type) of the events Karpenter drains nodes on; the fifth
(capacity reservations) is in both the current CloudFormation reference and terraform-aws-eks v21."""
FORBIDDEN_NODE_CLASS_TAGS: tuple[str, ...] = (
    "eks:eks-cluster-name",
    "karpenter.sh/nodepool",
    "karpenter.sh/nodeclaim",
    "karpenter.k8s.aws/ec2nodeclass",
)
"""Tag keys the EC2NodeClass CRD refuses (Karpenter sets them), besides ``kubernetes.io/cluster/*``."""
MAX_QUEUE_NAME = 80
"""SQS queue names are 1-80 characters."""
MAX_RULE_NAME = 64
"""EventBridge rule names are 1-64 characters."""


# --------------------------------------------------------------------------- names


def bounded_name(base: str, suffix: str, limit: int) -> str:
    """``<base><suffix>`` within ``limit`` characters; a base too long is cut and made unique again
    with a hash of the whole base (stable across runs)."""
    name = base + suffix
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    return f"{base[: limit - len(suffix) - len(digest) - 1]}-{digest}{suffix}"


def interruption_queue_name(cluster_name: str) -> str:
    """``<cluster>-karpenter`` (SQS names are at most 80 characters)."""
    return bounded_name(cluster_name, "-karpenter", MAX_QUEUE_NAME)


def interruption_rule_name(cluster_name: str, event: str) -> str:
    """``<cluster>-karpenter-<event>`` (EventBridge rule names are at most 64 characters)."""
    return bounded_name(cluster_name, f"-karpenter-{event}", MAX_RULE_NAME)


def interruption_queue_arn(partition: str, region: str, account: str, queue_name: str) -> str:
    """The queue's ARN (``arn:<partition>:sqs:<region>:<account>:<name>``)."""
    return f"arn:{partition}:sqs:{region}:{account}:{queue_name}"


def discovery_tags(cluster_name: str) -> dict[str, str]:
    """The tags that let the EC2NodeClass find the private subnets and the node security group."""
    return {DISCOVERY_TAG: cluster_name}


# --------------------------------------------------------------------------- IAM


def controller_policy(
    *,
    partition: str,
    region: str,
    account: str,
    dns_suffix: str,
    cluster_name: str,
    queue_arn: str,
    node_role_arn: str,
    ebs_key_arn: str,
) -> str:
    """The controller's permissions: launch, tag and terminate only what it tagged as this cluster's,
    manage only its own instance profiles, read the region, its queue, pass only the node role, and
    use the EBS key through EC2 (a node whose encrypted root volume cannot be created terminates at
    once: Karpenter's troubleshooting guide, "Node terminates before ready on failed encrypted EBS
    volume")."""
    ec2 = f"arn:{partition}:ec2:{region}"
    profiles = f"arn:{partition}:iam::{account}:instance-profile/*"
    cluster_arn = f"arn:{partition}:eks:{region}:{account}:cluster/{cluster_name}"
    owned = f"kubernetes.io/cluster/{cluster_name}"
    request_owned = {f"aws:RequestTag/{owned}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster_name}
    tagged_kinds = [
        "fleet",
        "instance",
        "volume",
        "network-interface",
        "launch-template",
        "spot-instances-request",
    ]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": [
                f"{ec2}::image/*",
                f"{ec2}::snapshot/*",
                f"{ec2}:*:security-group/*",
                f"{ec2}:*:subnet/*",
                f"{ec2}:*:capacity-reservation/*",
                f"{ec2}:*:placement-group/*",
            ],
        },
        {
            "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": f"{ec2}:*:launch-template/*",
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedEC2InstanceActionsWithTags",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Resource": [f"{ec2}:*:{kind}/*" for kind in [*tagged_kinds, "capacity-reservation"]],
            "Condition": {
                "StringEquals": request_owned,
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceCreationTagging",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [f"{ec2}:*:{kind}/*" for kind in tagged_kinds],
            "Condition": {
                "StringEquals": {
                    **request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceTagging",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": f"{ec2}:*:instance/*",
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "AllowScopedDeletion",
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowRegionalReadActions",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeInstances",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "AllowSSMReadActions",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:{partition}:ssm:{region}::parameter/aws/service/*",
        },
        {
            "Sid": "AllowPricingReadActions",
            "Effect": "Allow",
            "Action": "pricing:GetProducts",
            "Resource": "*",
        },
        # Upstream's getting-started CloudFormation (KarpenterControllerZonalShiftPolicy) allows this
        # read on "*" with arc-zonal-shift:ResourceIdentifier set to the cluster ARN: the action's
        # resource is the zonal-shift managed resource, not the cluster, so a cluster-ARN Resource
        # never matches and Karpenter's zonal-shift check is denied.
        {
            "Sid": "AllowZonalShiftReadActions",
            "Effect": "Allow",
            "Action": "arc-zonal-shift:GetManagedResource",
            "Resource": "*",
            "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
        },
        {
            "Sid": "AllowInterruptionQueueActions",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": f"ec2.{dns_suffix}"}},
        },
        {
            "Sid": "AllowScopedInstanceProfileCreationActions",
            "Effect": "Allow",
            "Action": "iam:CreateInstanceProfile",
            "Resource": profiles,
            "Condition": {
                "StringEquals": {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region},
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileTagActions",
            "Effect": "Allow",
            "Action": "iam:TagInstanceProfile",
            "Resource": profiles,
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/{owned}": "owned",
                    "aws:ResourceTag/topology.kubernetes.io/region": region,
                    **request_owned,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            "Resource": profiles,
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/{owned}": "owned",
                    "aws:ResourceTag/topology.kubernetes.io/region": region,
                },
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowInstanceProfileReadActions",
            "Effect": "Allow",
            "Action": "iam:GetInstanceProfile",
            "Resource": profiles,
        },
        {
            "Sid": "AllowUnscopedInstanceProfileListAction",
            "Effect": "Allow",
            "Action": "iam:ListInstanceProfiles",
            "Resource": "*",
        },
        {
            "Sid": "AllowAPIServerEndpointDiscovery",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": cluster_arn,
        },
        {
            "Sid": "AllowEbsKeyThroughEc2",
            "Effect": "Allow",
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:DescribeKey",
            ],
            "Resource": ebs_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{region}.{dns_suffix}"}},
        },
    ]
    return policy_json(statements)


def interruption_queue_policy(queue_arn: str, account: str) -> str:
    """EventBridge rules of this account may send to the queue; nothing may use it without TLS.

    Karpenter's reference also lets ``sqs.amazonaws.com`` send; nothing in the interruption path
    needs it, so it is left out, and ``aws:SourceAccount`` keeps other accounts' rules out.
    """
    return policy_json(
        [
            {
                "Sid": "EventBridgeMaySend",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            deny_insecure_transport_statement("sqs", queue_arn),
        ]
    )


def event_pattern(event: str) -> str:
    """The EventBridge pattern of one of :data:`INTERRUPTION_EVENTS`, as JSON."""
    source, detail_type = INTERRUPTION_EVENTS[event]
    return json.dumps({"source": [source], "detail-type": [detail_type]}, sort_keys=True)


# --------------------------------------------------------------------------- Helm values


def controller_values(
    settings: KarpenterSettings,
    *,
    cluster_name: str,
    queue_name: str,
    role_arn: str,
    placement: Placement,
    cluster_endpoint: str | None = None,
) -> dict[str, Any]:
    """The chart values: the cluster (and its endpoint when given: Karpenter looks it up otherwise)
    and queue, the IRSA role, and the controller pinned to its managed node group. ``affinity``
    replaces the chart's whole default, so both default terms are kept (never on a Karpenter node; one
    replica per host; the chart adds the label selector) next to the pool."""
    (pool_key, pool_name), *_ = placement.node_selector.items()
    resources = {"cpu": settings.controller_cpu, "memory": settings.controller_memory}
    cluster: dict[str, str] = {"clusterName": cluster_name, "interruptionQueue": queue_name}
    if cluster_endpoint is not None:
        cluster["clusterEndpoint"] = cluster_endpoint
    return {
        "settings": cluster,
        "serviceAccount": {
            "create": True,
            "name": KARPENTER_SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "replicas": settings.replicas,
        "tolerations": [dict(t) for t in placement.tolerations],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"},
                                {"key": pool_key, "operator": "In", "values": [pool_name]},
                            ]
                        }
                    ]
                }
            },
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname"}]
            },
        },
        "controller": {"resources": {"requests": dict(resources), "limits": dict(resources)}},
    }


# --------------------------------------------------------------------------- custom resources


def node_class_tag_problems(tags: Mapping[str, str]) -> list[str]:
    """Tag keys the EC2NodeClass CRD would refuse (empty when none)."""
    return sorted(
        key for key in tags if key in FORBIDDEN_NODE_CLASS_TAGS or key.startswith("kubernetes.io/cluster")
    )


def node_class_manifest(
    settings: KarpenterSettings,
    *,
    cluster_name: str,
    node_role_name: str,
    ebs_key_arn: str,
    tags: Mapping[str, str],
    discovery: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The EC2NodeClass every pool uses: the AL2023 alias, the node role (Karpenter makes the instance
    profiles), subnets and security groups by discovery tag, IMDSv2 with hop limit 1 (pods cannot reach
    the node's credentials), an encrypted gp3 root volume with the cluster's EBS key, the stack's tags.
    Subnets and security groups are found by ``discovery`` (default: the cluster's discovery tag)."""
    selector = [{"tags": dict(discovery) if discovery is not None else discovery_tags(cluster_name)}]
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": NODE_CLASS_NAME},
        "spec": {
            "role": node_role_name,
            "amiSelectorTerms": [{"alias": settings.ami_alias}],
            "subnetSelectorTerms": selector,
            "securityGroupSelectorTerms": [dict(term) for term in selector],
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "rootVolume": True,
                    "ebs": {
                        "volumeSize": f"{settings.root_volume_gib}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "kmsKeyID": ebs_key_arn,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "tags": dict(tags),
        },
    }


def node_pool_manifest(pool: NodePoolSettings) -> dict[str, Any]:
    """The NodePool of ``pool``: its requirements (capacity types, families, sizes, architectures,
    Linux), its labels and taints, its limits and disruption settings."""
    requirements: list[dict[str, Any]] = [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
        {
            "key": "karpenter.k8s.aws/instance-family",
            "operator": "In",
            "values": list(pool.instance_families),
        },
    ]
    if pool.instance_sizes:
        requirements.append(
            {"key": "karpenter.k8s.aws/instance-size", "operator": "In", "values": list(pool.instance_sizes)}
        )
    requirements += [
        {"key": "kubernetes.io/arch", "operator": "In", "values": list(pool.architectures)},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    template_spec: dict[str, Any] = {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS_NAME},
        "requirements": requirements,
        "expireAfter": pool.expire_after,
    }
    taints = node_pool_taints(pool)
    if taints:
        template_spec["taints"] = taints
    budgets = [
        {
            "nodes": budget.nodes,
            **({"schedule": budget.schedule, "duration": budget.duration} if budget.schedule else {}),
            **({"reasons": list(budget.reasons)} if budget.reasons else {}),
        }
        for budget in pool.budgets
    ]
    spec: dict[str, Any] = {
        "template": {"metadata": {"labels": pool_labels(pool.name, pool.labels)}, "spec": template_spec},
        "limits": {"cpu": pool.limits.cpu, "memory": pool.limits.memory},
        "disruption": {
            "consolidationPolicy": pool.consolidation_policy,
            "consolidateAfter": pool.consolidate_after,
            "budgets": budgets,
        },
    }
    if pool.weight is not None:
        spec["weight"] = pool.weight
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": pool.name},
        "spec": spec,
    }
