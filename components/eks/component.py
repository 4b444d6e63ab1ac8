"""The ``EksCluster`` component: registration only, one method per step.

The steps run in this order (each child's ``depends_on`` says why): keys, control-plane logs, the
cluster role and the control plane, the IRSA provider, admin access, the add-ons nodes need, the
node groups, the add-ons that need nodes, Karpenter's AWS side; then, unless the settings put the
Kubernetes objects in a workloads project, the Kubernetes provider and the cluster runtime (the
default StorageClass, Karpenter's charts and pools: :mod:`.runtime`). What each child contains comes
from :mod:`.settings` (what is accepted), :mod:`.documents` (policies and options) and
:mod:`.addons` (add-on configuration, the StorageClass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from .._shared import customer_kms_key
from .._validation import InvalidConfigError
from ..iam import irsa_trust_policy
from .addons import (
    addon_configuration,
    configuration_json,
    system_node_groups,
    system_placement_values,
)
from .args import EksClusterArgs, check_args, irsa_role_issues
from .deployer import DeployerAccess
from .documents import (
    CLUSTER_POLICY,
    EBS_CSI_NAMESPACE,
    EBS_CSI_POLICY,
    EBS_CSI_SERVICE_ACCOUNT,
    INSTANCE_TAG_RESOURCE_TYPES,
    NODE_POLICIES,
    ROOT_DEVICE_NAME,
    STS_AUDIENCE,
    admin_access_entries,
    cluster_encryption_policy,
    cluster_role_trust_policy,
    control_plane_log_group_arn,
    control_plane_log_group_name,
    ebs_csi_kms_policy,
    ebs_key_policy,
    instance_tags,
    kubeconfig_field,
    launch_template_metadata_options,
    logs_key_policy,
    node_labels,
    node_scaling,
    node_taints,
    node_trust_policy,
    root_volume,
    secrets_key_policy,
)
from .karpenter import discovery_tags
from .karpenter_component import KarpenterPools
from .keda_component import KedaAddon
from .load_balancer_component import LoadBalancerAddon
from .observability_component import ObservabilityAddon
from .runtime import ClusterRuntime
from .runtime_step import RuntimeStep
from .settings import ADDONS_AFTER_NODES, ADDONS_BEFORE_NODES, NodeGroupSettings
from .transforms import disable_cluster_creator_admin, protect_transform

__all__ = ["EksCluster"]

DEPLOY_FROM_TAG = "dataplatform.io/deploy-from"
"""Cluster tag saying where the program is deployed from (``inside-vpc``): read by api-reachability."""


@dataclass(frozen=True)
class _Account:
    """Where the cluster is deployed, as Outputs of the provider's invokes."""

    account: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]

    def managed_policy(self, policy: str) -> pulumi.Output[str]:
        """The ARN of the AWS managed policy ``policy`` in this partition."""
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", policy)


class EksCluster(
    DeployerAccess,
    RuntimeStep,
    KarpenterPools,
    KedaAddon,
    LoadBalancerAddon,
    ObservabilityAddon,
    pulumi.ComponentResource,
):
    """A production EKS cluster for data workloads (see the package docstring)."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster name (resolves once the cluster exists)."""
    endpoint: pulumi.Output[str]
    """The API server URL."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig JSON (``aws eks get-token`` auth), a secret."""
    oidc_provider_arn: pulumi.Output[str]
    """The IAM OIDC provider of the cluster (IRSA's federated principal)."""
    oidc_provider_url: pulumi.Output[str]
    """The OIDC issuer URL, ``https://oidc.eks.<region>.amazonaws.com/id/<id>``."""
    oidc_issuer: pulumi.Output[str]
    """The issuer without ``https://`` (the prefix of IRSA condition keys)."""
    node_security_group_id: pulumi.Output[str]
    """The security group of every node (allow database/service ingress from it)."""
    cluster_security_group_id: pulumi.Output[str]
    """The control plane's security group."""
    node_role_arns: dict[str, pulumi.Output[str]]
    """Node group name -> its node IAM role ARN."""
    node_group_names: dict[str, pulumi.Output[str]]
    """Node group name -> the EKS node group's physical name."""
    secrets_kms_key_arn: pulumi.Output[str]
    """The key envelope-encrypting Kubernetes secrets."""
    ebs_kms_key_arn: pulumi.Output[str]
    """The key of the nodes' root volumes (use it for EBS CSI StorageClasses too)."""
    log_group_name: pulumi.Output[str] | None
    """The control-plane log group (None with logging off)."""
    ebs_csi_role_arn: pulumi.Output[str]
    """The IRSA role of the EBS CSI controller."""
    public_subnet_ids: pulumi.Output[Any] | None
    """The public subnets passed in (for internet-facing load balancers), if any."""
    runtime: ClusterRuntime | None
    """The cluster's in-cluster objects (None with ``kubernetes_objects: workloads_project``)."""
    workload_dependencies: list[pulumi.Resource]
    """What a workload's pods need before a rollout can finish: the node groups and CoreDNS.

    Pass it to ``PipelineServiceArgs.workload_dependencies`` (or ``depends_on`` of any
    Deployment): Pulumi awaits a Deployment's rollout, which cannot finish before.
    """
    cluster: eks.Cluster
    """The pulumi-eks component (its children are not visible to policies)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags, cluster_name = check_args(name, args, pulumi.get_stack())
        super().__init__("dataplatform:compute:EksCluster", name, None, opts)
        self._name = name
        self._tags = tags
        self._settings = args.settings
        self._eks_name = cluster_name
        self._warn_without_admins()
        where = self._account()

        self._keys(where, args.secrets_kms_key_arn)
        log_groups = self._control_plane_logs(where)
        cluster_role, role_policies = self._cluster_role(where)
        self._control_plane(args, cluster_role, before=[*log_groups, *role_policies])
        self._oidc_provider()
        access = [*self._admin_access(), *self._deployer_rules()]
        network = list(args.network_dependencies)
        addons = {
            addon: self._addon(
                addon, None, after=[], configuration=configuration_json(addon_configuration(addon))
            )
            for addon in ADDONS_BEFORE_NODES
        }
        node_groups = self._node_groups(where, args.private_subnet_ids, after=[*addons.values(), *network])
        addons.update(self._addons_after_nodes(where, [*node_groups, *network]))
        self._observability(where, node_groups)
        self.workload_dependencies = [*node_groups, addons["coredns"]]
        self._karpenter(where)
        self._provider: k8s.Provider | None = None
        self.runtime = None
        self.keda = None
        self.load_balancer_controller = None
        if self._settings.kubernetes_objects == "in_stack":
            self._kubernetes_provider(access)
            self._runtime(addons["aws-ebs-csi-driver"])
            self._keda(self.placement, self.provider)
            self._load_balancer_controller(self.placement, self.provider, where.region, args.vpc_id)

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_provider_url": self.oidc_provider_url,
                "oidc_issuer": self.oidc_issuer,
                "node_security_group_id": self.node_security_group_id,
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_role_arns": self.node_role_arns,
                "node_group_names": self.node_group_names,
                "secrets_kms_key_arn": self.secrets_kms_key_arn,
                "ebs_kms_key_arn": self.ebs_kms_key_arn,
                "log_group_name": self.log_group_name,
                "ebs_csi_role_arn": self.ebs_csi_role_arn,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    # ------------------------------------------------------------------ steps

    def _warn_without_admins(self) -> None:
        if not self._settings.admin_principal_arns:
            pulumi.log.warn(
                f"EksCluster {self._name}: admin_principal_arns is empty, so nobody (not even the principal "
                "running pulumi up) can use the Kubernetes API; list the deploying role to manage "
                "workloads through the exposed provider",
                resource=self,
            )

    def _account(self) -> _Account:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        region = aws.get_region_output(opts=invoke).region
        return _Account(identity.account_id, partition.partition, region, partition.dns_suffix)

    def _protected(self) -> pulumi.ResourceOptions:
        protect = self._settings.deletion_protection
        return pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)

    def _keys(self, where: _Account, secrets_kms_key_arn: pulumi.Input[str] | None) -> None:
        """The secrets key (unless one is passed in) and the nodes' EBS key."""
        self.secrets_kms_key_arn = customer_kms_key(
            f"{self._name}-secrets-key",
            description=f"EKS {self._eks_name}: envelope encryption of Kubernetes secrets",
            policy=pulumi.Output.all(where.account, where.partition).apply(
                lambda v: secrets_key_policy(v[0], v[1])
            ),
            tags=self._tags,
            opts=self._protected(),
            existing_arn=secrets_kms_key_arn,
        )
        self.ebs_kms_key_arn = customer_kms_key(
            f"{self._name}-ebs-key",
            description=f"EKS {self._eks_name}: node root volumes and EBS CSI volumes",
            policy=pulumi.Output.all(where.account, where.partition, where.region, where.dns_suffix).apply(
                lambda v: ebs_key_policy(v[0], v[1], v[2], v[3])
            ),
            tags=self._tags,
            opts=self._protected(),
        )

    def _control_plane_logs(self, where: _Account) -> list[pulumi.Resource]:
        """The log group (encrypted, with retention) exists before EKS writes its first line to it."""
        self.log_group_name = None
        if not self._settings.log_types:
            return []
        log_group_arn = pulumi.Output.all(where.partition, where.region, where.account).apply(
            lambda v: control_plane_log_group_arn(v[0], v[1], v[2], self._eks_name)
        )
        logs_key_arn = customer_kms_key(
            f"{self._name}-logs-key",
            description=f"EKS {self._eks_name}: control-plane log group",
            policy=pulumi.Output.all(
                where.account, where.partition, where.region, where.dns_suffix, log_group_arn
            ).apply(lambda v: logs_key_policy(v[0], v[1], v[2], v[3], v[4])),
            tags=self._tags,
            opts=self._protected(),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-cluster-logs",
            name=control_plane_log_group_name(self._eks_name),
            retention_in_days=self._settings.log_retention_days,
            kms_key_id=logs_key_arn,
            tags=self._tags,
            # The control plane's audit history: protected and retained like the cluster.
            opts=self._protected(),
        )
        self.log_group_name = log_group.name
        return [log_group]

    def _cluster_role(self, where: _Account) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The cluster's IAM role, native so that policies see it and it can use the secrets key; and
        its policies, which the control plane waits for."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{self._name}-cluster-role",
            assume_role_policy=cluster_role_trust_policy(),
            description=f"EKS {self._eks_name}: control plane service role",
            tags=self._tags,
            opts=child,
        )
        return role, [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-cluster-role-policy",
                role=role.name,
                policy_arn=where.managed_policy(CLUSTER_POLICY),
                opts=child,
            ),
            aws.iam.RolePolicy(
                f"{self._name}-cluster-encryption",
                role=role.id,
                policy=self.secrets_kms_key_arn.apply(cluster_encryption_policy),
                opts=child,
            ),
        ]

    def _control_plane(
        self, args: EksClusterArgs, service_role: aws.iam.Role, before: Sequence[pulumi.Resource]
    ) -> None:
        """The pulumi-eks cluster, and the attributes read from it.

        Add-ons, node groups and the OIDC provider are made natively, so pulumi-eks is told to make
        none of them: no default node group, no instance role, no OIDC provider, no kube-proxy/CoreDNS
        add-ons, no VPC CNI add-on (use_default_vpc_cni), and no self-managed add-ons at creation
        (bootstrap_self_managed_addons=False): every add-on has exactly one owner.
        """
        settings = self._settings
        protect = settings.deletion_protection
        public = settings.endpoint_public_access
        self.cluster = eks.Cluster(
            f"{self._name}-cluster",
            name=self._eks_name,
            version=settings.kubernetes_version,
            # Explicit: pulumi-eks defaults to EXTENDED (billed once the version leaves standard support).
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=settings.upgrade_policy),
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=list(settings.public_access_cidrs) if public else None,
            authentication_mode=eks.AuthenticationMode.API,
            encryption_config_key_arn=self.secrets_kms_key_arn,
            enabled_cluster_log_types=list(settings.log_types) or None,
            service_role=service_role,
            skip_default_node_group=True,
            create_instance_role=False,
            create_oidc_provider=False,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            deletion_protection=settings.deletion_protection,
            # Declares where `pulumi up` runs, for the api-reachability policy (policies/system).
            tags={**self._tags, DEPLOY_FROM_TAG: "inside-vpc"}
            if settings.deploy_from == "inside_vpc"
            else self._tags,
            node_security_group_tags=discovery_tags(self._eks_name) if settings.karpenter else None,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                retain_on_delete=protect,
                depends_on=list(before),
                transforms=[disable_cluster_creator_admin, protect_transform(protect)],
            ),
        )
        cluster = self.cluster
        eks_name = self._eks_name
        self.cluster_name = pulumi.Output.unsecret(
            cluster.kubeconfig.apply(lambda kc: kubeconfig_field(kc, "cluster-name", eks_name))
        )
        self.endpoint = pulumi.Output.unsecret(
            cluster.kubeconfig.apply(lambda kc: kubeconfig_field(kc, "server", ""))
        )
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.oidc_provider_url = cluster.oidc_provider_url
        self.oidc_issuer = cluster.oidc_issuer
        self.node_security_group_id = cluster.node_security_group_id
        self.cluster_security_group_id = cluster.cluster_security_group_id
        self.public_subnet_ids = (
            pulumi.Output.from_input(args.public_subnet_ids) if args.public_subnet_ids is not None else None
        )

    def _oidc_provider(self) -> None:
        """The IAM OIDC provider of the cluster's issuer: the federated principal of IRSA roles."""
        oidc = aws.iam.OpenIdConnectProvider(
            f"{self._name}-oidc",
            url=self.cluster.oidc_provider_url,
            client_id_lists=[STS_AUDIENCE],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.oidc_provider_arn = oidc.arn

    def _admin_access(self) -> list[pulumi.Resource]:
        """The admin access entries: the only way into the Kubernetes API (no implicit creator admin)."""
        associations: list[pulumi.Resource] = []
        for access in admin_access_entries(self._settings.admin_principal_arns):
            logical_name = f"{self._name}-admin-{access.resource_suffix}"
            entry = aws.eks.AccessEntry(
                logical_name,
                cluster_name=self.cluster_name,
                principal_arn=access.principal_arn,
                type="STANDARD",
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            associations.append(
                aws.eks.AccessPolicyAssociation(
                    logical_name,
                    cluster_name=self.cluster_name,
                    principal_arn=entry.principal_arn,
                    policy_arn=access.policy_arn,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )
        return associations

    def _node_groups(
        self,
        where: _Account,
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        after: Sequence[pulumi.Resource],
    ) -> list[pulumi.Resource]:
        """Every managed node group; each waits for ``after`` (the add-ons a node needs to be Ready)."""
        self.node_role_arns = {}
        self.node_group_names = {}
        node_groups: list[pulumi.Resource] = []
        for group in self._settings.all_node_groups:
            node_group, role = self._node_group(group, where, subnet_ids, after)
            node_groups.append(node_group)
            self.node_role_arns[group.name] = role.arn
            self.node_group_names[group.name] = node_group.node_group_name
        return node_groups

    def _addons_after_nodes(
        self, where: _Account, node_groups: Sequence[pulumi.Resource]
    ) -> dict[str, aws.eks.Addon]:
        """CoreDNS, the EBS CSI driver (with its IRSA role) and metrics-server: their pods need nodes to
        run on, and they prefer the system nodes (by the pool label)."""
        ebs_csi_role = self.irsa_role(
            "ebs-csi",
            EBS_CSI_NAMESPACE,
            EBS_CSI_SERVICE_ACCOUNT,
            policy_document=self.ebs_kms_key_arn.apply(ebs_csi_kms_policy),
            managed_policy_arns=[where.managed_policy(EBS_CSI_POLICY)],
        )
        self.ebs_csi_role_arn = ebs_csi_role.arn
        roles = {"aws-ebs-csi-driver": ebs_csi_role.arn}
        placement = system_placement_values(system_node_groups(self._settings))
        return {
            addon: self._addon(
                addon,
                roles.get(addon),
                node_groups,
                configuration=configuration_json(addon_configuration(addon, placement)),
            )
            for addon in ADDONS_AFTER_NODES
        }

    def _kubernetes_provider(self, access: Sequence[pulumi.Resource]) -> None:
        """The provider is usable once the deployer's API access exists: its access entries and, for a
        private endpoint, its path through the cluster security group (``_deployer_rules``). Only what
        runs pods waits for
        nodes and DNS (``workload_dependencies``), so namespaces, service accounts and policies are
        created while the node groups come up."""
        self._provider = k8s.Provider(
            f"{self._name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*access]),
        )

    # ------------------------------------------------------------------ children

    def _addon(
        self,
        addon: str,
        role_arn: pulumi.Input[str] | None,
        after: Sequence[pulumi.Resource],
        configuration: pulumi.Input[str | None] = None,
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self.cluster_name,
            addon_name=addon,
            addon_version=self._addon_version(addon),
            configuration_values=configuration,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            service_account_role_arn=role_arn,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )

    def _addon_version(self, addon: str) -> pulumi.Input[str]:
        """The pinned version, else the most recent EKS publishes for the cluster's Kubernetes version
        (so a version change moves the add-ons with it)."""
        pinned = self._settings.addon_versions.for_addon(addon)
        if pinned is not None:
            return pinned
        return aws.eks.get_addon_version_output(
            addon_name=addon,
            kubernetes_version=self._settings.kubernetes_version,
            most_recent=True,
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).version

    def _node_group(
        self,
        group: NodeGroupSettings,
        where: _Account,
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        after: Sequence[pulumi.Resource],
    ) -> tuple[aws.eks.NodeGroup, aws.iam.Role]:
        base = f"{self._name}-{group.name}"
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{base}-node-role",
            assume_role_policy=where.dns_suffix.apply(node_trust_policy),
            description=f"EKS {self._eks_name}: nodes of group {group.name}",
            tags=self._tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{base}-node-{policy}",
                role=role.name,
                policy_arn=where.managed_policy(policy),
                opts=child,
            )
            for policy in NODE_POLICIES
        ]
        launch_tags = instance_tags(self._tags, self._eks_name, group)
        template = aws.ec2.LaunchTemplate(
            f"{base}-nodes",
            description=f"EKS {self._eks_name}: node group {group.name}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                **launch_template_metadata_options(group)
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE_NAME,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        **root_volume(group), kms_key_id=self.ebs_kms_key_arn
                    ),
                )
            ],
            vpc_security_group_ids=[self.node_security_group_id],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=launch_tags)
                for kind in INSTANCE_TAG_RESOURCE_TYPES
            ],
            tags=self._tags,
            opts=child,
        )
        taints = node_taints(group)
        node_group = aws.eks.NodeGroup(
            f"{base}-nodes",
            cluster_name=self.cluster_name,
            version=self._settings.kubernetes_version,
            node_role_arn=role.arn,
            subnet_ids=subnet_ids,
            instance_types=list(group.instance_types),
            capacity_type=group.capacity_type,
            ami_type=group.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(**node_scaling(group)),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(
                max_unavailable_percentage=group.max_unavailable_percentage
            ),
            labels=node_labels(group),
            taints=[aws.eks.NodeGroupTaintArgs(**taint) for taint in taints] if taints else None,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id,
                version=template.latest_version.apply(str),
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*attachments, *after],
                # The cluster autoscaler owns the desired size once the group exists.
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )
        return node_group, role

    # ------------------------------------------------------------------ IRSA

    def irsa_role(
        self,
        name: str,
        namespace: str,
        service_account: str,
        policy_document: pulumi.Input[str] | None = None,
        managed_policy_arns: Sequence[pulumi.Input[str]] = (),
    ) -> aws.iam.Role:
        """An IAM role that exactly one Kubernetes service account, ``namespace:service_account``, may
        assume through the cluster's OIDC provider (``<issuer>:sub`` and ``<issuer>:aud`` pinned), with
        ``policy_document`` inline and ``managed_policy_arns`` attached. Children are named
        ``<cluster component>-<name>-irsa``."""
        issues = irsa_role_issues(name, namespace, service_account)
        if issues:
            raise InvalidConfigError(issues, subject="EksCluster.irsa_role")
        base = f"{self._name}-{name}-irsa"
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            base,
            assume_role_policy=irsa_trust_policy(
                self.oidc_provider_arn, self.oidc_provider_url, namespace, service_account
            ),
            description=f"IRSA: system:serviceaccount:{namespace}:{service_account}",
            tags=self._tags,
            opts=child,
        )
        if policy_document is not None:
            aws.iam.RolePolicy(base, role=role.id, policy=policy_document, opts=child)
        for index, arn in enumerate(managed_policy_arns):
            aws.iam.RolePolicyAttachment(f"{base}-{index}", role=role.name, policy_arn=arn, opts=child)
        return role
