"""What a deployment waits for, per resource: its estimated creation time (weights) and the orderings
AWS or Kubernetes need though no data flows (edge kinds). The graph and its longest path are in
:mod:`benchmarks.criticalpath`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

# --------------------------------------------------------------------------- weights
#
# Typical creation times, in seconds, by type token. ESTIMATES, not measurements:
# they are the usual wall time of a create as reported by the AWS documentation
# and consoles (e.g. the EKS user guide: "cluster provisioning takes several
# minutes", typically ~10 min; node groups ~3-5 min; RDS: "creating a DB instance
# can take several minutes", multi-AZ longer as the standby is created and
# synchronised; NAT gateways go from "pending" to "available" in 1-2 min) and as
# commonly observed with the Terraform/Pulumi AWS provider (whose default create
# timeouts are upper bounds, not typical times: EKS cluster 30 min, node group
# 60 min, RDS instance 40 min, NAT gateway 10 min). Anything not listed is a
# quick control-plane API call (IAM, KMS, S3 settings, security group rules,
# Kubernetes objects): DEFAULT_SECONDS.
CREATION_SECONDS: dict[str, float] = {
    # EKS
    "eks:index:Cluster": 600.0,  # pulumi-eks: control plane (+ default node group, below)
    "aws:eks/cluster:Cluster": 600.0,  # control plane: ~8-12 min
    "aws:eks/nodeGroup:NodeGroup": 300.0,  # managed node group: ~3-6 min (instances join)
    "aws:eks/addon:Addon": 90.0,  # vpc-cni/kube-proxy ~30-60 s; coredns/ebs-csi need nodes: 1-2 min
    "aws:eks/fargateProfile:FargateProfile": 180.0,
    "aws:eks/accessEntry:AccessEntry": 5.0,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": 5.0,
    # Databases (RDS: see rds_seconds for multi-AZ)
    "aws:rds/instance:Instance": 600.0,  # single-AZ: ~8-12 min
    "aws:rds/cluster:Cluster": 300.0,  # Aurora cluster (instances are separate)
    "aws:rds/clusterInstance:ClusterInstance": 600.0,
    "aws:redshift/cluster:Cluster": 600.0,  # ~5-15 min depending on node type/count
    "aws:redshiftserverless/workgroup:Workgroup": 300.0,
    # Network
    "aws:ec2/natGateway:NatGateway": 120.0,  # pending -> available: ~1-2 min
    "aws:ec2/vpc:Vpc": 10.0,
    "aws:ec2/subnet:Subnet": 10.0,
    "aws:ec2/internetGateway:InternetGateway": 5.0,
    "aws:ec2/eip:Eip": 3.0,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 90.0,  # Interface: ENIs per AZ, ~1-2 min (Gateway: below)
    "aws:ec2/transitGatewayVpcAttachment:TransitGatewayVpcAttachment": 120.0,
    "aws:lb/loadBalancer:LoadBalancer": 180.0,
    # Storage and keys
    "aws:s3/bucket:Bucket": 3.0,
    "aws:s3/bucketV2:BucketV2": 3.0,
    "aws:kms/key:Key": 5.0,
    "aws:iam/role:Role": 5.0,  # IAM is eventually consistent: the provider waits a few seconds
    # Kubernetes: an API call each, except what pulumi-kubernetes awaits
    "kubernetes:apps/v1:Deployment": 60.0,  # await logic: waits for the rollout (pods ready)
    "kubernetes:apps/v1:StatefulSet": 90.0,
    "kubernetes:helm.sh/v3:Release": 120.0,  # waits for the chart's resources
}
DEFAULT_SECONDS = 5.0
"""A resource type not in the table: a quick API call."""
RDS_MULTI_AZ_SECONDS = 960.0
"""RDS multi-AZ: the primary, then a standby in another AZ, synchronised: ~15-20 min."""
VPC_GATEWAY_ENDPOINT_SECONDS = 10.0
"""A Gateway VPC endpoint (S3, DynamoDB) is a route-table entry: seconds."""
EKS_DEFAULT_NODE_GROUP_SECONDS = 180.0
"""pulumi-eks's default (self-managed, CloudFormation) node group, unless skipDefaultNodeGroup."""
K8S_LOAD_BALANCER_SERVICE_SECONDS = 120.0
"""A Service of type LoadBalancer waits for its cloud load balancer."""
PROVIDER_SECONDS = 0.0
"""Provider resources (``pulumi:providers:*``) are configured, not created."""


class Record(Protocol):
    """What the critical path reads of a :class:`dpengine.engine.ResourceRecord`."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str | None
    remote: bool


def creation_seconds(record: Record, table: Mapping[str, float] | None = None) -> float:
    """The estimated creation time of one resource (from its type, and inputs where they matter)."""
    weights = CREATION_SECONDS if table is None else table
    token = record.type
    inputs = record.inputs or {}
    if token.startswith("pulumi:providers:"):
        return PROVIDER_SECONDS
    if token == "aws:rds/instance:Instance" and inputs.get("multiAz") is True:
        return RDS_MULTI_AZ_SECONDS
    if token == "aws:ec2/vpcEndpoint:VpcEndpoint" and inputs.get("vpcEndpointType", "Gateway") == "Gateway":
        # The AWS default type is Gateway; only Interface endpoints create ENIs.
        return VPC_GATEWAY_ENDPOINT_SECONDS
    if token == "eks:index:Cluster":
        base = weights.get(token, DEFAULT_SECONDS)
        skip = inputs.get("skipDefaultNodeGroup") is True or inputs.get("fargate") not in (None, False)
        return base if skip else base + EKS_DEFAULT_NODE_GROUP_SECONDS
    if token == "kubernetes:core/v1:Service":
        spec = inputs.get("spec")
        if isinstance(spec, dict) and spec.get("type") == "LoadBalancer":
            return K8S_LOAD_BALANCER_SERVICE_SECONDS
    return float(weights.get(token, DEFAULT_SECONDS))


# --------------------------------------------------------------------------- edge kinds

EDGE_KINDS = ("data", "provider", "parent", "required", "explicit")
"""Why a resource waits for another; all but ``explicit`` are forced (by data, or by AWS/Kubernetes)."""
FORCED_KINDS = frozenset({"data", "provider", "parent", "required"})
DATA_KINDS = frozenset({"data", "provider", "parent"})

REQUIRED_ORDERINGS: dict[tuple[str, str], str] = {
    # (dependent, dependency) -> why the dependent cannot be created (or finish) before.
    # A key is a type token, ``aws:eks/addon:Addon#<addonName>`` for an add-on, or
    # ``kubernetes:*`` for any Kubernetes object.
    ("aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon#vpc-cni"): (
        "nodes turn Ready only with the CNI running (the cluster has no self-managed add-ons)"
    ),
    ("aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon#kube-proxy"): (
        "nodes need kube-proxy for Service routing (the cluster has no self-managed add-ons)"
    ),
    ("aws:eks/nodeGroup:NodeGroup", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"): (
        "EKS requires the node role's policies when it creates the group"
    ),
    ("aws:eks/addon:Addon#coredns", "aws:eks/nodeGroup:NodeGroup"): (
        "CoreDNS is a Deployment: the add-on turns ACTIVE once its pods run on nodes"
    ),
    ("aws:eks/addon:Addon#aws-ebs-csi-driver", "aws:eks/nodeGroup:NodeGroup"): (
        "the CSI controller is a Deployment: the add-on turns ACTIVE once its pods run on nodes"
    ),
    ("aws:eks/addon:Addon#amazon-cloudwatch-observability", "aws:eks/nodeGroup:NodeGroup"): (
        "the agent operator is a Deployment: the add-on turns ACTIVE once its pods run on nodes"
    ),
    ("aws:eks/addon:Addon#amazon-cloudwatch-observability", "aws:cloudwatch/logGroup:LogGroup"): (
        "the encrypted log groups must exist before the agent and Fluent Bit create their own"
    ),
    ("eks:index:Cluster", "aws:cloudwatch/logGroup:LogGroup"): (
        "the encrypted log group must exist before EKS creates its own, unencrypted one"
    ),
    ("aws:eks/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup"): (
        "the encrypted log group must exist before EKS creates its own, unencrypted one"
    ),
    ("eks:index:Cluster", "aws:iam/rolePolicy:RolePolicy"): (
        "the cluster role needs its KMS permissions when secrets encryption is set up"
    ),
    ("eks:index:Cluster", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"): (
        "EKS requires the cluster role's policies at creation"
    ),
    ("aws:rds/instance:Instance", "aws:cloudwatch/logGroup:LogGroup"): (
        "the encrypted log groups must exist before RDS creates its own for exported logs"
    ),
    ("aws:ec2/flowLog:FlowLog", "aws:iam/rolePolicy:RolePolicy"): (
        "the delivery role needs its permissions when the flow log is created"
    ),
    ("aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway"): (
        "a public NAT gateway needs the VPC's internet gateway"
    ),
    (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
    ): "noncurrent-version rules need versioning on first",
    ("aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"): (
        "S3 aborts concurrent configuration changes of one bucket (OperationAborted)"
    ),
    ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketPolicy:BucketPolicy"): (
        "log delivery needs the target bucket's policy to allow the logging service"
    ),
    ("kubernetes:*", "kubernetes:core/v1:Namespace"): "a namespaced object needs its namespace",
    ("kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount"): (
        "pods are not created until their service account exists"
    ),
    ("kubernetes:apps/v1:Deployment", "kubernetes:networking.k8s.io/v1:NetworkPolicy"): (
        "pods never run before their default-deny NetworkPolicy (a security ordering)"
    ),
    ("kubernetes:apps/v1:Deployment", "aws:eks/nodeGroup:NodeGroup"): (
        "the rollout Pulumi awaits needs nodes to schedule on"
    ),
    ("kubernetes:apps/v1:Deployment", "aws:eks/addon:Addon#coredns"): (
        "the rollout Pulumi awaits needs cluster DNS for readiness"
    ),
    # Karpenter: the controller chart runs on the system nodes; its custom resources need its CRDs.
    ("kubernetes:helm.sh/v3:Release", "aws:eks/nodeGroup:NodeGroup"): (
        "the Karpenter and KEDA controllers run on the system node group: the Release awaits its pods"
    ),
    ("kubernetes:helm.sh/v3:Release", "aws:eks/addon:Addon#coredns"): (
        "the controllers resolve the AWS and cluster endpoints through cluster DNS"
    ),
    ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Release"): (
        "the controller chart is installed without CRDs: the CRD chart comes first"
    ),
    ("kubernetes:helm.sh/v3:Release", "aws:iam/rolePolicy:RolePolicy"): (
        "the controller needs its IAM permissions when it starts (IRSA role policy)"
    ),
    ("kubernetes:helm.sh/v3:Release", "aws:sqs/queuePolicy:QueuePolicy"): (
        "the controller polls the interruption queue from its start"
    ),
    ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "kubernetes:helm.sh/v3:Release"): (
        "the EC2NodeClass CRD and its validation come with the Karpenter charts"
    ),
    ("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "aws:eks/accessEntry:AccessEntry"): (
        "nodes launched for the class join the cluster only with the node role's access entry"
    ),
    ("kubernetes:karpenter.sh/v1:NodePool", "kubernetes:helm.sh/v3:Release"): (
        "the NodePool CRD comes with the Karpenter charts"
    ),
    ("kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"): (
        "a NodePool launches nothing until the EC2NodeClass it references is ready"
    ),
    ("kubernetes:apps/v1:Deployment", "kubernetes:karpenter.sh/v1:NodePool"): (
        "the rollout Pulumi awaits needs Karpenter to launch nodes of the service's pool"
    ),
    # KEDA: the chart runs on the system nodes; its custom resources need its CRDs and webhook.
    ("kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:helm.sh/v3:Release"): (
        "the ScaledObject CRD and KEDA's admission webhook come with the KEDA chart"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:helm.sh/v3:Release"): (
        "the ScaledJob CRD and KEDA's admission webhook come with the KEDA chart"
    ),
    ("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "kubernetes:helm.sh/v3:Release"): (
        "the TriggerAuthentication CRD comes with the KEDA chart"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"): (
        "KEDA builds the scalers from the authenticationRef: without it the first reconcile fails"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"): (
        "KEDA builds the scalers from the authenticationRef: without it the first reconcile fails"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:apps/v1:Deployment"): (
        "KEDA's webhook reads the target Deployment's requests for cpu/memory triggers (refused before)"
    ),
    # Jobs: their pods need the service account and never run before the NetworkPolicy.
    ("kubernetes:batch/v1:Job", "kubernetes:core/v1:ServiceAccount"): (
        "pods are not created until their service account exists"
    ),
    ("kubernetes:batch/v1:Job", "kubernetes:networking.k8s.io/v1:NetworkPolicy"): (
        "pods never run before their default-deny NetworkPolicy (a security ordering)"
    ),
    ("kubernetes:batch/v1:Job", "aws:eks/nodeGroup:NodeGroup"): (
        "an awaited Job (job.await_completion) completes only once its pods run on nodes"
    ),
    ("kubernetes:batch/v1:Job", "aws:eks/addon:Addon#coredns"): "an awaited Job's pods need cluster DNS",
    ("kubernetes:batch/v1:Job", "kubernetes:karpenter.sh/v1:NodePool"): (
        "an awaited Job's pods need Karpenter to launch nodes of the service's pool"
    ),
    # The warehouse bootstrap Job: its pod mounts the SQL and reads the secret with the role's rights;
    # the services that connect start once it made their database users.
    ("kubernetes:batch/v1:Job", "kubernetes:core/v1:ConfigMap"): "the Job's pod mounts the SQL ConfigMap",
    ("kubernetes:batch/v1:Job", "aws:iam/rolePolicy:RolePolicy"): (
        "the bootstrap pod reads the master secret at once, with the role's permissions"
    ),
    ("kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"): (
        "a warehouse service connects as a database user the bootstrap Job makes"
    ),
    ("kubernetes:batch/v1:CronJob", "kubernetes:batch/v1:Job"): (
        "a warehouse service connects as a database user the bootstrap Job makes"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:batch/v1:Job"): (
        "a warehouse service connects as a database user the bootstrap Job makes"
    ),
    ("kubernetes:batch/v1:CronJob", "kubernetes:core/v1:ServiceAccount"): (
        "the pods of its runs are not created until their service account exists"
    ),
    ("kubernetes:batch/v1:CronJob", "kubernetes:networking.k8s.io/v1:NetworkPolicy"): (
        "the pods of its runs never start before their default-deny NetworkPolicy (a security ordering)"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:core/v1:ServiceAccount"): (
        "the pods of its Jobs are not created until their service account exists"
    ),
    ("kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:networking.k8s.io/v1:NetworkPolicy"): (
        "the pods of its Jobs never start before their default-deny NetworkPolicy (a security ordering)"
    ),
    ("pulumi:providers:kubernetes", "aws:eks/accessEntry:AccessEntry"): (
        "the deployer's access to the Kubernetes API"
    ),
    ("pulumi:providers:kubernetes", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"): (
        "the deployer's access to the Kubernetes API"
    ),
}
"""``depends_on`` edges that AWS or Kubernetes need: they count as forced, with their reason."""


def _ordering_keys(record: Record) -> list[str]:
    keys = [record.type]
    if record.type == "aws:eks/addon:Addon" and isinstance((record.inputs or {}).get("addonName"), str):
        keys.insert(0, f"{record.type}#{record.inputs['addonName']}")
    if record.type.startswith("kubernetes:"):
        keys.append("kubernetes:*")
    return keys


def required_reason(dependent: Record, dependency: Record) -> str | None:
    """Why ``dependent`` must wait for ``dependency`` though no data flows; None if unknown."""
    for first in _ordering_keys(dependent):
        for second in _ordering_keys(dependency):
            reason = REQUIRED_ORDERINGS.get((first, second))
            if reason is not None:
                return reason
    return None


def is_node(record: Record) -> bool:
    """A resource a deployment creates: custom, or a remote (multi-language) component."""
    return bool(record.custom or record.remote)


def provider_urn(reference: str | None) -> str | None:
    """The URN of a provider reference (``<urn>::<id>``)."""
    if not reference:
        return None
    urn, sep, _ = reference.rpartition("::")
    return urn if sep and urn.startswith("urn:") else reference
