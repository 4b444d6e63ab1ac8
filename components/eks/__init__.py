"""The EKS cluster: a private, encrypted, audited control plane with managed node groups for data workloads.

The control plane is a pulumi-eks ``Cluster`` (a multi-language component: under a preview or
mocks it is one ``eks:index:Cluster`` resource whose children nobody else can see or change).
Everything policies and users must see stays outside it, as native pulumi-aws resources:

- KMS keys (rotation on) for Kubernetes secrets (or a key passed in), for the control-plane log
  group, and for the nodes' EBS volumes;
- the control-plane log group ``/aws/eks/<cluster>/cluster``, made *before* the cluster so its
  retention and KMS key apply from the first log line;
- the cluster's IAM service role, the IAM OIDC provider (IRSA), admin access entries;
- one managed node group per configured group, each with its own IAM role and a launch template
  (IMDSv2 required, hop limit 1 or 2, encrypted gp3 root volume); the desired size belongs to the
  autoscaler, so changes to it are ignored after creation;
- the managed add-ons vpc-cni (NetworkPolicy enforcement on), kube-proxy, coredns,
  aws-ebs-csi-driver (with its IRSA role) and the community add-on metrics-server, each at the most
  recent version for the cluster's Kubernetes version unless pinned; the Deployments among them
  tolerate and prefer the system nodes;
- the cluster runtime (:class:`ClusterRuntime`, a child component unless the settings put the
  Kubernetes objects in a separate workloads project: ``kubernetes_objects``): the default
  StorageClass ``gp3`` (EBS CSI, encrypted with the EBS key) and Karpenter's charts, EC2NodeClass
  and NodePools (Karpenter's IAM and interruption queue stay with the cluster).

Defaults are at least as strict as terraform-aws-eks: private endpoint only (a public endpoint
needs explicit CIDRs, never ``0.0.0.0/0``), authentication mode ``API`` (access entries) with **no
implicit cluster-creator admin**, api/audit/authenticator logs with a retention, secrets
envelope encryption, and deletion protection (Pulumi ``protect`` plus EKS's own).

The deploying principal gets no access to the Kubernetes API unless it is listed in
``admin_principal_arns``: the Kubernetes provider this component exposes (for the pipeline
services) authenticates as whoever runs ``pulumi up``, through ``aws eks get-token``.

The package: :mod:`.settings` (the settings models and their constants), :mod:`.args` (the wiring,
checked before anything is registered), :mod:`.documents` (key and IAM policies, launch-template
 options, access entries: plain functions), :mod:`.versions` (the EKS support calendar),
:mod:`.addons` (add-on configuration and the StorageClass), :mod:`.transforms` (for the hidden
``aws.eks.Cluster``) and :mod:`.component` (``EksCluster``: registration only); Karpenter in
:mod:`.karpenter_settings` (settings), :mod:`.karpenter` (its documents) and
:mod:`.karpenter_component` (its AWS side, a child component); the in-cluster objects in
:mod:`.runtime` (``ClusterRuntime``), :mod:`.runtime_inputs` (its checks and the platform outputs
it reads) and :mod:`.runtime_step` (the cluster's runtime step); the scheduling contract (pool
placements) in :mod:`.pools`. Every public name is importable from here.
"""

from __future__ import annotations

from .._shared import KMS_DELETION_WINDOW_DAYS as KMS_DELETION_WINDOW_DAYS
from .._shared import LOG_RETENTION_DAYS as LOG_RETENTION_DAYS
from .addons import DEFAULT_STORAGE_CLASS as DEFAULT_STORAGE_CLASS
from .addons import VPC_CNI_CONFIGURATION as VPC_CNI_CONFIGURATION
from .addons import addon_configuration as addon_configuration
from .addons import default_storage_class as default_storage_class
from .addons import system_placement_values as system_placement_values
from .args import EksClusterArgs as EksClusterArgs
from .component import EksCluster as EksCluster
from .documents import ADMIN_ACCESS_POLICY as ADMIN_ACCESS_POLICY
from .documents import CLUSTER_POLICY as CLUSTER_POLICY
from .documents import EBS_CSI_NAMESPACE as EBS_CSI_NAMESPACE
from .documents import EBS_CSI_POLICY as EBS_CSI_POLICY
from .documents import EBS_CSI_SERVICE_ACCOUNT as EBS_CSI_SERVICE_ACCOUNT
from .documents import NODE_POLICIES as NODE_POLICIES
from .documents import ROOT_DEVICE_NAME as ROOT_DEVICE_NAME
from .documents import STS_AUDIENCE as STS_AUDIENCE
from .documents import cluster_encryption_policy as cluster_encryption_policy
from .documents import cluster_role_trust_policy as cluster_role_trust_policy
from .documents import ebs_csi_kms_policy as ebs_csi_kms_policy
from .documents import ebs_key_policy as ebs_key_policy
from .documents import logs_key_policy as logs_key_policy
from .documents import node_trust_policy as node_trust_policy
from .documents import secrets_key_policy as secrets_key_policy
from .karpenter_component import Karpenter as Karpenter
from .karpenter_component import KarpenterArgs as KarpenterArgs
from .karpenter_settings import POOL_LABEL as POOL_LABEL
from .karpenter_settings import DisruptionBudget as DisruptionBudget
from .karpenter_settings import KarpenterSettings as KarpenterSettings
from .karpenter_settings import NodePoolLimits as NodePoolLimits
from .karpenter_settings import NodePoolSettings as NodePoolSettings
from .karpenter_settings import PoolTaint as PoolTaint
from .keda import KEDA_NAMESPACE as KEDA_NAMESPACE
from .keda import KEDA_OPERATOR_SERVICE_ACCOUNT as KEDA_OPERATOR_SERVICE_ACCOUNT
from .keda import KEDA_VERSION as KEDA_VERSION
from .keda import KedaSettings as KedaSettings
from .keda_component import Keda as Keda
from .keda_component import KedaArgs as KedaArgs
from .load_balancer import INGRESS_CLASS as INGRESS_CLASS
from .load_balancer import LBC_VERSION as LBC_VERSION
from .load_balancer import LoadBalancerControllerSettings as LoadBalancerControllerSettings
from .load_balancer_component import LoadBalancerController as LoadBalancerController
from .load_balancer_component import LoadBalancerControllerArgs as LoadBalancerControllerArgs
from .observability import OBSERVABILITY_ADDON as OBSERVABILITY_ADDON
from .observability import ObservabilitySettings as ObservabilitySettings
from .pools import Placement as Placement
from .runtime import ClusterRuntime as ClusterRuntime
from .runtime import ClusterRuntimeArgs as ClusterRuntimeArgs
from .runtime import RuntimeOrigin as RuntimeOrigin
from .runtime import plain_stack_output as plain_stack_output
from .runtime import runtime_args_from_stack as runtime_args_from_stack
from .runtime_inputs import RUNTIME_OUTPUTS as RUNTIME_OUTPUTS
from .settings import ADDONS_AFTER_NODES as ADDONS_AFTER_NODES
from .settings import ADDONS_BEFORE_NODES as ADDONS_BEFORE_NODES
from .settings import CAPACITY_TYPES as CAPACITY_TYPES
from .settings import DEFAULT_LOG_TYPES as DEFAULT_LOG_TYPES
from .settings import MAX_INSTANCE_TYPES as MAX_INSTANCE_TYPES
from .settings import TAINT_EFFECTS as TAINT_EFFECTS
from .settings import AddonVersions as AddonVersions
from .settings import AmiType as AmiType
from .settings import CapacityType as CapacityType
from .settings import EksClusterSettings as EksClusterSettings
from .settings import LogType as LogType
from .settings import NodeGroupSettings as NodeGroupSettings
from .settings import Taint as Taint
from .settings import TaintEffect as TaintEffect
from .settings import default_node_groups as default_node_groups
from .settings import default_spot_node_group as default_spot_node_group
from .transforms import disable_cluster_creator_admin as disable_cluster_creator_admin
from .versions import DEFAULT_KUBERNETES_VERSION as DEFAULT_KUBERNETES_VERSION
from .versions import EKS_VERSIONS as EKS_VERSIONS
from .versions import EksVersion as EksVersion
from .versions import UpgradePolicy as UpgradePolicy
from .versions import support_status as support_status

__all__ = [
    "ADDONS_AFTER_NODES",
    "ADDONS_BEFORE_NODES",
    "ADMIN_ACCESS_POLICY",
    "CAPACITY_TYPES",
    "CLUSTER_POLICY",
    "DEFAULT_KUBERNETES_VERSION",
    "DEFAULT_LOG_TYPES",
    "DEFAULT_STORAGE_CLASS",
    "EBS_CSI_NAMESPACE",
    "EBS_CSI_POLICY",
    "EBS_CSI_SERVICE_ACCOUNT",
    "EKS_VERSIONS",
    "INGRESS_CLASS",
    "KEDA_NAMESPACE",
    "KEDA_OPERATOR_SERVICE_ACCOUNT",
    "KEDA_VERSION",
    "KMS_DELETION_WINDOW_DAYS",
    "LBC_VERSION",
    "LOG_RETENTION_DAYS",
    "MAX_INSTANCE_TYPES",
    "NODE_POLICIES",
    "OBSERVABILITY_ADDON",
    "POOL_LABEL",
    "ROOT_DEVICE_NAME",
    "RUNTIME_OUTPUTS",
    "STS_AUDIENCE",
    "TAINT_EFFECTS",
    "VPC_CNI_CONFIGURATION",
    "AddonVersions",
    "AmiType",
    "CapacityType",
    "ClusterRuntime",
    "ClusterRuntimeArgs",
    "DisruptionBudget",
    "EksCluster",
    "EksClusterArgs",
    "EksClusterSettings",
    "EksVersion",
    "Karpenter",
    "KarpenterArgs",
    "KarpenterSettings",
    "Keda",
    "KedaArgs",
    "KedaSettings",
    "LoadBalancerController",
    "LoadBalancerControllerArgs",
    "LoadBalancerControllerSettings",
    "LogType",
    "NodeGroupSettings",
    "NodePoolLimits",
    "NodePoolSettings",
    "ObservabilitySettings",
    "Placement",
    "PoolTaint",
    "RuntimeOrigin",
    "Taint",
    "TaintEffect",
    "UpgradePolicy",
    "addon_configuration",
    "cluster_encryption_policy",
    "cluster_role_trust_policy",
    "default_node_groups",
    "default_spot_node_group",
    "default_storage_class",
    "disable_cluster_creator_admin",
    "ebs_csi_kms_policy",
    "ebs_key_policy",
    "logs_key_policy",
    "node_trust_policy",
    "plain_stack_output",
    "runtime_args_from_stack",
    "secrets_key_policy",
    "support_status",
    "system_placement_values",
]
