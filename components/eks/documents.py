"""The documents of an EKS cluster, as plain functions of settings and plain strings.

Key policies, IAM trust and permission policies, the launch-template options of a node group, the
admin access entries: nothing here registers a resource or needs the engine, so each rule is
tested on its own (``tests/test_eks_documents.py``) and the component only wires the results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from ..iam import kms_account_admin_statement, kms_logs_statement, policy_json
from ..tags import merge_tags
from .pools import pool_labels
from .settings import NodeGroupSettings, principal_partition

__all__ = [
    "ADMIN_ACCESS_POLICY",
    "CLUSTER_POLICY",
    "EBS_CSI_NAMESPACE",
    "EBS_CSI_POLICY",
    "EBS_CSI_SERVICE_ACCOUNT",
    "INSTANCE_TAG_RESOURCE_TYPES",
    "NODE_POLICIES",
    "ROOT_DEVICE_NAME",
    "STS_AUDIENCE",
    "AdminAccess",
    "NodeTaint",
    "admin_access_entries",
    "cluster_encryption_policy",
    "cluster_role_trust_policy",
    "control_plane_log_group_arn",
    "control_plane_log_group_name",
    "ebs_csi_kms_policy",
    "ebs_key_policy",
    "instance_tags",
    "kubeconfig_field",
    "launch_template_metadata_options",
    "logs_key_policy",
    "node_labels",
    "node_scaling",
    "node_taints",
    "node_trust_policy",
    "root_volume",
    "secrets_key_policy",
]

ROOT_DEVICE_NAME = "/dev/xvda"
"""The root device of the Amazon Linux 2023 EKS AMIs."""
STS_AUDIENCE = "sts.amazonaws.com"
"""The audience of IRSA web identity tokens (the OIDC provider's client id)."""
NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)
"""AWS managed policies of every node role."""
CLUSTER_POLICY = "AmazonEKSClusterPolicy"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"
INSTANCE_TAG_RESOURCE_TYPES: tuple[str, ...] = ("instance", "volume", "network-interface")
"""What a node's launch template tags at launch: the instance and the volumes and ENIs it gets."""

# --------------------------------------------------------------------------- KMS key policies


def _root_statement(account: str, partition: str) -> dict[str, Any]:
    return kms_account_admin_statement(account, partition, "AccountAdministration")


def secrets_key_policy(account: str, partition: str) -> str:
    """Key policy of the secrets key: the account administers it; EKS uses it through the cluster role."""
    return policy_json([_root_statement(account, partition)])


def logs_key_policy(account: str, partition: str, region: str, dns_suffix: str, log_group_arn: str) -> str:
    """Key policy of the log-group key: CloudWatch Logs may use it for this one log group only."""
    return policy_json(
        [
            _root_statement(account, partition),
            kms_logs_statement(
                "CloudWatchLogsForTheClusterLogGroup", f"logs.{region}.{dns_suffix}", log_group_arn
            ),
        ]
    )


def ebs_key_policy(account: str, partition: str, region: str, dns_suffix: str) -> str:
    """Key policy of the EBS key: principals of this account may use it through EC2 only (the pattern of
    the ``aws/ebs`` key), which covers the Auto Scaling service-linked role that launches the nodes
    without naming it (a key policy naming a role that does not exist yet is refused)."""
    return policy_json(
        [
            _root_statement(account, partition),
            {
                "Sid": "EbsThroughEc2ForThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account,
                        "kms:ViaService": f"ec2.{region}.{dns_suffix}",
                    }
                },
            },
        ]
    )


# --------------------------------------------------------------------------- IAM documents


def cluster_role_trust_policy() -> str:
    """Trust policy of the cluster role: the EKS service only."""
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    )


def cluster_encryption_policy(key_arn: str) -> str:
    """What the cluster role needs on the secrets key (as terraform-aws-eks grants it)."""
    return policy_json(
        [
            {
                "Sid": "EnvelopeEncryptionOfSecrets",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": key_arn,
            }
        ]
    )


def ebs_csi_kms_policy(key_arn: str) -> str:
    """What the EBS CSI controller needs to create and attach volumes encrypted with ``key_arn``."""
    return policy_json(
        [
            {
                "Sid": "GrantsForAttachedVolumes",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Sid": "UseOfTheVolumeKey",
                "Effect": "Allow",
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": key_arn,
            },
        ]
    )


def node_trust_policy(dns_suffix: str) -> str:
    """Trust policy of a node role: EC2 of this partition (``ec2.<dns suffix>``) only."""
    return policy_json(
        [{"Effect": "Allow", "Principal": {"Service": f"ec2.{dns_suffix}"}, "Action": "sts:AssumeRole"}]
    )


# --------------------------------------------------------------------------- control-plane logs


def control_plane_log_group_name(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to; it must have exactly this name."""
    return f"/aws/eks/{cluster_name}/cluster"


def control_plane_log_group_arn(partition: str, region: str, account: str, cluster_name: str) -> str:
    """The ARN of the control-plane log group, as CloudWatch Logs puts it in the encryption context."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:{control_plane_log_group_name(cluster_name)}"


# --------------------------------------------------------------------------- node groups


def launch_template_metadata_options(group: NodeGroupSettings) -> dict[str, Any]:
    """Instance metadata of a node: IMDSv2 only (tokens required), the group's hop limit, no tags in IMDS."""
    return {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": group.metadata_hop_limit,
        "instance_metadata_tags": "disabled",
    }


def root_volume(group: NodeGroupSettings) -> dict[str, Any]:
    """The node's root EBS volume without its key: encrypted gp3 of the group's size, deleted with the node.

    The launch-template API takes the booleans as strings.
    """
    return {
        "volume_size": group.disk_size_gib,
        "volume_type": "gp3",
        "encrypted": "true",
        "delete_on_termination": "true",
    }


def instance_tags(tags: Mapping[str, str], cluster_name: str, group: NodeGroupSettings) -> dict[str, str]:
    """Tags of a node's instance, volumes and ENIs: the stack's set and a ``Name`` of cluster and group."""
    return merge_tags(tags, {"Name": f"{cluster_name}-{group.name}"})


def node_scaling(group: NodeGroupSettings) -> dict[str, int]:
    """The scaling config at creation (the desired size is the autoscaler's afterwards)."""
    return {"min_size": group.min_size, "max_size": group.max_size, "desired_size": group.initial_size}


def node_labels(group: NodeGroupSettings) -> dict[str, str]:
    """The group's Kubernetes labels and the pool label naming the group (the scheduling contract:
    EKS's own ``eks.amazonaws.com/nodegroup`` carries the generated physical name)."""
    return pool_labels(group.name, group.labels)


class NodeTaint(TypedDict):
    """A taint in the EKS API shape (``effect`` as EKS spells it)."""

    key: str
    value: str | None
    effect: str


def node_taints(group: NodeGroupSettings) -> list[NodeTaint] | None:
    """The group's taints in the EKS API shape, or None (the input left out) when it has none."""
    return [NodeTaint(key=t.key, value=t.value, effect=t.effect) for t in group.taints] or None


# --------------------------------------------------------------------------- access entries


@dataclass(frozen=True)
class AdminAccess:
    """One principal's cluster-admin access: an access entry and its policy association."""

    principal_arn: str
    """The IAM role or user ARN."""
    resource_suffix: str
    """A stable, short suffix of the children's logical names (from the ARN, so reordering the list
    renames nothing)."""
    policy_arn: str
    """The cluster admin access policy, in the principal's partition."""


def admin_access_entries(principal_arns: Sequence[str]) -> list[AdminAccess]:
    """Cluster-admin access for each of ``principal_arns``, in order."""
    return [
        AdminAccess(
            principal_arn=arn,
            resource_suffix=hashlib.sha256(arn.encode()).hexdigest()[:8],
            policy_arn=(
                f"arn:{principal_partition(arn)}:eks::aws:cluster-access-policy/{ADMIN_ACCESS_POLICY}"
            ),
        )
        for arn in principal_arns
    ]


# --------------------------------------------------------------------------- kubeconfig


def kubeconfig_field(kubeconfig: Any, field: str, fallback: str) -> str:
    """The API server URL (``server``) or the cluster name (``cluster-name``) from a pulumi-eks kubeconfig
    (an object or its JSON), or ``fallback`` when the kubeconfig does not have that shape."""
    config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    try:
        if field == "server":
            return str(config["clusters"][0]["cluster"]["server"])
        exec_args = list(config["users"][0]["user"]["exec"]["args"])
        return str(exec_args[exec_args.index("--cluster-name") + 1])
    except (KeyError, IndexError, TypeError, ValueError):
        return fallback
