"""The components as other Pulumi languages see them: one wrapper per component whose ``args`` is a
TypedDict the Pulumi Python SDK's component provider host reads to infer the package schema.

Deliberately no ``from __future__ import annotations``: the SDK's analyzer reads
``inspect.get_annotations`` without evaluating strings (pulumi/provider/experimental/analyzer.py), so
the annotations here must be real types. The analyzer rejects unions, callables and pydantic models
with unions, so every argument has a serializable form: the settings are the same mapping as the
stack-config section (validated by the same pydantic model, errors naming ``settings.<key path>``),
a Kubernetes provider is a kubeconfig, and resources to wait for are not offered (a remote
component's ``dependsOn`` covers them).
"""

from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from .. import datalake, eks, network, pipeline_service, warehouse
from .._validation import ConfigIssue, InvalidConfigError

__all__ = [
    "COMPONENTS",
    "DataLakeBucket",
    "DataLakeBucketArgs",
    "EksCluster",
    "EksClusterArgs",
    "Network",
    "NetworkArgs",
    "PipelineService",
    "PipelineServiceArgs",
    "Warehouse",
    "WarehouseArgs",
]


def _child(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent)


class NetworkArgs(TypedDict):
    """The inputs of a Network."""

    settings: NotRequired[dict[str, Any]]
    """The ``network`` section of the stack config (same keys and validation); defaults when omitted."""
    tags: dict[str, str]
    """The stack's tag set (must hold the required tag keys); applied to every taggable child."""
    private_subnet_tags: NotRequired[dict[str, str]]
    """Extra tags for the private subnets (e.g. ``karpenter.sh/discovery``)."""
    flow_logs_kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key ARN for the flow-log group; one is created when omitted."""


class Network(pulumi.ComponentResource):
    """A VPC with public, private and isolated data subnets across AZs, endpoints and flow logs."""

    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    vpc_cidr: pulumi.Output[str]
    """The VPC's IPv4 CIDR."""
    availability_zones: pulumi.Output[list[str]]
    """The zones the subnets are in."""
    public_subnet_ids: pulumi.Output[list[str]]
    """The public subnets (load balancers, NAT)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """The private subnets (nodes, pods)."""
    data_subnet_ids: pulumi.Output[list[str]]
    """The isolated data subnets (warehouse), no route to the internet."""
    endpoints_security_group_id: pulumi.Output[str]
    """The security group of the interface endpoints."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dataplatform:index:Network", name, {}, opts)
        inner = network.Network(
            name,
            network.NetworkArgs(
                settings=network.NetworkSettings.parse(args.get("settings") or {}, "settings"),
                tags=args["tags"],
                private_subnet_tags=args.get("private_subnet_tags") or {},
                flow_logs_kms_key_arn=args.get("flow_logs_kms_key_arn"),
            ),
            _child(self),
        )
        self.vpc_id = pulumi.Output.from_input(inner.vpc_id)
        self.vpc_cidr = pulumi.Output.from_input(inner.vpc_cidr)
        self.availability_zones = pulumi.Output.from_input(inner.availability_zones)
        self.public_subnet_ids = pulumi.Output.from_input(inner.public_subnet_ids)
        self.private_subnet_ids = pulumi.Output.from_input(inner.private_subnet_ids)
        self.data_subnet_ids = pulumi.Output.from_input(inner.data_subnet_ids)
        if inner.endpoints_security_group_id is not None:  # no interface endpoints: the output is absent
            self.endpoints_security_group_id = inner.endpoints_security_group_id
        self.register_outputs({})


class DataLakeBucketArgs(TypedDict):
    """The inputs of a DataLakeBucket."""

    settings: NotRequired[dict[str, Any]]
    """The ``datalake`` section of the stack config (same keys and validation); defaults when omitted."""
    tags: dict[str, str]
    """The stack's tag set (must hold the required tag keys); applied to every taggable child."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """A customer-managed KMS key ARN for the lake; one with rotation is created when omitted."""
    log_bucket_name: NotRequired[pulumi.Input[str]]
    """An existing server-access-log bucket; one is created when omitted."""
    replication_destination_bucket_arn: NotRequired[pulumi.Input[str]]
    """With replication on and one lake bucket: the destination bucket ARN."""
    replication_destination_bucket_arns: NotRequired[dict[str, pulumi.Input[str]]]
    """With replication on and ``bucket_per_layer``: every layer mapped to its destination bucket ARN
    (the Python API takes either form in one argument; a union cannot cross languages)."""
    replication_destination_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The KMS key ARN (destination region) replicas are encrypted with."""


class DataLakeBucket(pulumi.ComponentResource):
    """A KMS-encrypted, versioned data lake with layers (raw, curated, gold by default)."""

    bucket_names: pulumi.Output[dict[str, str]]
    """Every layer's bucket name."""
    bucket_arns: pulumi.Output[dict[str, str]]
    """Every layer's bucket ARN."""
    layer_prefixes: pulumi.Output[dict[str, str]]
    """Every layer's key prefix in its bucket."""
    kms_key_arn: pulumi.Output[str]
    """The lake's KMS key ARN."""

    def __init__(
        self, name: str, args: DataLakeBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dataplatform:index:DataLakeBucket", name, {}, opts)
        one = args.get("replication_destination_bucket_arn")
        per_layer = args.get("replication_destination_bucket_arns")
        if one is not None and per_layer is not None:
            raise InvalidConfigError(
                [
                    ConfigIssue(
                        "args.replication_destination_bucket_arns",
                        sorted(per_layer),
                        "pass replication_destination_bucket_arn (one bucket) or "
                        "replication_destination_bucket_arns (per layer), not both",
                    )
                ],
                subject="DataLakeBucketArgs",
            )
        inner = datalake.DataLakeBucket(
            name,
            datalake.DataLakeBucketArgs(
                settings=datalake.DataLakeSettings.parse(args.get("settings") or {}, "settings"),
                tags=args["tags"],
                kms_key_arn=args.get("kms_key_arn"),
                log_bucket_name=args.get("log_bucket_name"),
                replication_destination_bucket_arn=per_layer if per_layer is not None else one,
                replication_destination_kms_key_arn=args.get("replication_destination_kms_key_arn"),
            ),
            _child(self),
        )
        self.bucket_names = pulumi.Output.all(**inner.bucket_names)
        self.bucket_arns = pulumi.Output.all(**inner.bucket_arns)
        self.layer_prefixes = pulumi.Output.all(**inner.layer_prefixes)
        self.kms_key_arn = pulumi.Output.from_input(inner.kms_key_arn)
        self.register_outputs({})


class WarehouseArgs(TypedDict):
    """The inputs of a Warehouse."""

    settings: NotRequired[dict[str, Any]]
    """The ``warehouse`` section of the stack config (same keys and validation); defaults when omitted."""
    tags: dict[str, str]
    """The stack's tag set (must hold the required tag keys); applied to every taggable child."""
    vpc_id: pulumi.Input[str]
    """The VPC of the data subnets (a Network's ``vpcId``)."""
    data_subnet_ids: pulumi.Input[list[str]]
    """The isolated data subnets, in at least 2 AZs (a Network's ``dataSubnetIds``)."""
    allowed_security_group_ids: list[pulumi.Input[str]]
    """Security groups allowed to reach the engine port (e.g. an EksCluster's ``nodeSecurityGroupId``);
    the list's length must be known (one ingress rule each)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key ARN for storage, the master secret and logs; one with rotation is created when omitted."""
    lake_read_policy_json: NotRequired[pulumi.Input[str]]
    """Redshift only: the lake's read policy for the cluster's IAM role."""
    aws_backup_retention_days: NotRequired[int]
    """PostgreSQL only: the retention of the AWS Backup rule that owns the instance's backups."""


class Warehouse(pulumi.ComponentResource):
    """A private PostgreSQL (RDS) or Redshift warehouse in the data subnets, encrypted, IAM auth."""

    endpoint: pulumi.Output[str]
    """The engine's host name."""
    port: pulumi.Output[int]
    """The engine's port."""
    database_name: pulumi.Output[str]
    """The database's name."""
    master_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret (managed by the engine) of the admin user."""
    security_group_id: pulumi.Output[str]
    """The warehouse's security group."""
    kms_key_arn: pulumi.Output[str]
    """The warehouse's KMS key ARN."""

    def __init__(self, name: str, args: WarehouseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dataplatform:index:Warehouse", name, {}, opts)
        inner = warehouse.Warehouse(
            name,
            warehouse.WarehouseArgs(
                settings=warehouse.WarehouseSettings.parse(args.get("settings") or {}, "settings"),
                tags=args["tags"],
                vpc_id=args["vpc_id"],
                data_subnet_ids=args["data_subnet_ids"],
                allowed_security_group_ids=list(args["allowed_security_group_ids"]),
                kms_key_arn=args.get("kms_key_arn"),
                lake_read_policy_json=args.get("lake_read_policy_json"),
                aws_backup_retention_days=args.get("aws_backup_retention_days"),
            ),
            _child(self),
        )
        self.endpoint = pulumi.Output.from_input(inner.endpoint)
        self.port = pulumi.Output.from_input(inner.port)
        self.database_name = pulumi.Output.from_input(inner.database_name)
        self.master_secret_arn = pulumi.Output.from_input(inner.master_secret_arn)
        self.security_group_id = pulumi.Output.from_input(inner.security_group_id)
        self.kms_key_arn = pulumi.Output.from_input(inner.kms_key_arn)
        self.register_outputs({})


class EksClusterArgs(TypedDict):
    """The inputs of an EksCluster."""

    settings: NotRequired[dict[str, Any]]
    """The ``eks`` section of the stack config (same keys and validation); defaults when omitted."""
    tags: dict[str, str]
    """The stack's tag set (must hold the required tag keys); applied to every taggable child."""
    vpc_id: pulumi.Input[str]
    """The cluster's VPC (a Network's ``vpcId``)."""
    private_subnet_ids: pulumi.Input[list[str]]
    """The private subnets of nodes and pods (a Network's ``privateSubnetIds``)."""
    public_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """The public subnets internet-facing load balancers use."""
    secrets_kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key ARN for envelope encryption of Kubernetes secrets; one is created when omitted."""


class EksCluster(pulumi.ComponentResource):
    """A private EKS cluster with managed node groups, add-ons, Karpenter and KEDA."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    endpoint: pulumi.Output[str]
    """The API server endpoint."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig (secret) for a Kubernetes provider, e.g. a PipelineService's ``kubeconfig``."""
    oidc_provider_arn: pulumi.Output[str]
    """The IAM OIDC provider ARN (for IRSA: a PipelineService's ``oidcProviderArn``)."""
    oidc_issuer: pulumi.Output[str]
    """The OIDC issuer URL (a PipelineService's ``oidcIssuerUrl``)."""
    node_security_group_id: pulumi.Output[str]
    """The nodes' security group (a Warehouse's ``allowedSecurityGroupIds``)."""
    cluster_security_group_id: pulumi.Output[str]
    """The cluster security group."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dataplatform:index:EksCluster", name, {}, opts)
        inner = eks.EksCluster(
            name,
            eks.EksClusterArgs(
                settings=eks.EksClusterSettings.parse(args.get("settings") or {}, "settings"),
                tags=args["tags"],
                vpc_id=args["vpc_id"],
                private_subnet_ids=args["private_subnet_ids"],
                public_subnet_ids=args.get("public_subnet_ids"),
                secrets_kms_key_arn=args.get("secrets_kms_key_arn"),
            ),
            _child(self),
        )
        self.cluster_name = pulumi.Output.from_input(inner.cluster_name)
        self.endpoint = pulumi.Output.from_input(inner.endpoint)
        self.kubeconfig = pulumi.Output.secret(inner.kubeconfig)
        self.oidc_provider_arn = pulumi.Output.from_input(inner.oidc_provider_arn)
        self.oidc_issuer = pulumi.Output.from_input(inner.oidc_issuer)
        self.node_security_group_id = pulumi.Output.from_input(inner.node_security_group_id)
        self.cluster_security_group_id = pulumi.Output.from_input(inner.cluster_security_group_id)
        self.register_outputs({})


class PipelineServiceArgs(TypedDict):
    """The inputs of a PipelineService."""

    settings: dict[str, Any]
    """One entry of the ``services`` section of the stack config (same keys, same validation)."""
    tags: dict[str, str]
    """The stack's tag set (must hold the required tag keys); applied to every taggable child."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider ARN (an EksCluster's ``oidcProviderArn``)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL (an EksCluster's ``oidcIssuer``)."""
    kubeconfig: NotRequired[pulumi.Input[str]]
    """The cluster's kubeconfig (an EksCluster's ``kubeconfig``): the service's Kubernetes objects go
    through a provider built from it (the Python API takes the provider itself; a provider object
    cannot cross languages). The ambient kubeconfig is used when omitted."""
    iam_policy_json: NotRequired[pulumi.Input[str]]
    """An IAM policy document (JSON) for the service's role (lake, warehouse, queues)."""
    environment: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment variables of the service's container."""
    image: NotRequired[pulumi.Input[str]]
    """The container image; the settings' image is used when omitted."""
    await_rollout: NotRequired[bool]
    """Wait for the Deployment to be available (default true); false while CI has not pushed the image."""
    kubernetes_version: NotRequired[str]
    """The cluster's Kubernetes version (the manifests' API versions follow it)."""
    lake_bucket_arns: NotRequired[dict[str, pulumi.Input[str]]]
    """Every lake layer's bucket ARN (a DataLakeBucket's ``bucketArns``) for the service's lake access."""
    ingress_class: NotRequired[str]
    """The ingress class of an exposed service (default ``alb``)."""


class PipelineService(pulumi.ComponentResource):
    """A workload on the cluster with its own IAM role (IRSA), service account and autoscaling."""

    namespace: pulumi.Output[str]
    """The service's namespace."""
    service_account_name: pulumi.Output[str]
    """The service account bound to the role."""
    role_arn: pulumi.Output[str]
    """The service's IAM role ARN (absent without AWS access)."""
    workload_name: pulumi.Output[str]
    """The Deployment's (or job's) name."""

    def __init__(
        self, name: str, args: PipelineServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dataplatform:index:PipelineService", name, {}, opts)
        settings = pipeline_service.PipelineServiceSettings.parse(args["settings"], "settings")
        kubeconfig = args.get("kubeconfig")
        provider = (
            k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, opts=_child(self))
            if kubeconfig is not None
            else None
        )
        extra: dict[str, Any] = {
            key: args[key] for key in ("kubernetes_version", "ingress_class", "await_rollout") if key in args
        }
        inner = pipeline_service.PipelineService(
            name,
            pipeline_service.PipelineServiceArgs(
                settings=settings,
                tags=args["tags"],
                oidc_provider_arn=args["oidc_provider_arn"],
                oidc_issuer_url=args["oidc_issuer_url"],
                provider=provider,
                iam_policy_json=args.get("iam_policy_json"),
                environment=args.get("environment") or {},
                image=args.get("image"),
                lake_bucket_arns=args.get("lake_bucket_arns") or {},
                **extra,
            ),
            _child(self),
        )
        self.namespace = pulumi.Output.from_input(inner.namespace)
        self.service_account_name = pulumi.Output.from_input(inner.service_account_name)
        if inner.role_arn is not None:  # a service without AWS access has no role: the output is absent
            self.role_arn = inner.role_arn
        self.workload_name = inner.workload_name
        self.register_outputs({})


COMPONENTS: list[type[pulumi.ComponentResource]] = [
    DataLakeBucket,
    EksCluster,
    Network,
    PipelineService,
    Warehouse,
]
"""Every component the package serves, in schema order."""
