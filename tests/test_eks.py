"""EksCluster: pulumi-eks control plane plus native node groups, add-ons, IRSA, keys and logs, under mocks."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.sync_await import _sync_await

from components._validation import InvalidConfigError
from components.eks import (
    EksCluster,
    EksClusterArgs,
    EksClusterSettings,
    NodeGroupSettings,
    Taint,
)
from components.eks import versions as eks_versions
from dpengine.engine import ResourceRecord
from dpengine.testing import ComponentRun, assert_tagged, run_component

CLUSTER = "eks:index:Cluster"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
K8S_PROVIDER = "pulumi:providers:kubernetes"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
RUNTIME = "dataplatform:compute:ClusterRuntime"
ADDON_VERSION = "aws:eks/getAddonVersion:getAddonVersion"
POOL = "dataplatform.io/pool"
"""The scheduling contract's node label (components/eks/pools.py): every group's nodes carry their pool."""

ACCOUNT = "123456789012"
VPC = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/platform-deployer"
SRE = f"arn:aws:iam::{ACCOUNT}:role/sre/oncall"
GIVEN_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"

# Default config: 3 keys, log group, cluster role (+ managed policy + encryption policy), the
# pulumi-eks cluster, OIDC provider, 2 groups x (role + 3 policies + template + group),
# 5 add-ons, EBS CSI IRSA role (+ managed policy + KMS policy), Kubernetes provider, the cluster
# runtime (a child component) with the StorageClass.
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEPLOYER_CIDR = "10.0.8.0/24"
"""The runners' network (a shared-services VPC routed to this one): the deployer of these tests."""
DEFAULT_COUNTS = {
    KEY: 3,
    LOG_GROUP: 1,
    ROLE: 1 + 2 + 1,
    ATTACHMENT: 1 + 2 * 3 + 1,
    ROLE_POLICY: 1 + 1,
    CLUSTER: 1,
    OIDC: 1,
    TEMPLATE: 2,
    NODE_GROUP: 2,
    ADDON: 5,
    INGRESS_RULE: 1,
    K8S_PROVIDER: 1,
    RUNTIME: 1,
    STORAGE_CLASS: 1,
}
TODAY = datetime.date(2026, 12, 1)
"""The day the version rules see in these tests (1.36 in standard support, 1.33 in extended)."""


@pytest.fixture(autouse=True, scope="module")
def _today() -> Iterator[None]:
    # Module scope: the module-scoped default_run is made on this date too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(eks_versions, "_today", lambda: TODAY)
        yield


def make(tags: dict[str, str], name: str = "eks", **fields: Any) -> ComponentRun[EksCluster]:
    wiring: dict[str, Any] = {"vpc_id": VPC, "private_subnet_ids": SUBNETS}
    wiring.update({k: fields.pop(k) for k in list(fields) if k in EksClusterArgs.__dataclass_fields__})
    stack = fields.pop("stack", "dev")
    settings = fields.pop("settings", None) or EksClusterSettings(
        **{
            "deploy_from": "inside_vpc",
            "deployer_cidrs": [DEPLOYER_CIDR],
            "admin_principal_arns": [DEPLOYER],
            **fields,
        }
    )
    return run_component(
        lambda: EksCluster(name, EksClusterArgs(settings=settings, tags=tags, **wiring)), stack=stack
    )


def named(cr: ComponentRun[Any], token: str, name: str) -> ResourceRecord:
    return cr.one(token, name)


def statements(document: str) -> list[dict[str, Any]]:
    return list(json.loads(document)["Statement"])


def is_secret(output: pulumi.Output[Any]) -> bool:
    return bool(_sync_await(output.is_secret()))


@pytest.fixture(scope="module")
def default_run() -> ComponentRun[EksCluster]:
    from tests.conftest import TAGS

    return make(dict(TAGS))


# --------------------------------------------------------------------------- defaults


def test_default_resources(default_run: ComponentRun[EksCluster], tags: dict[str, str]) -> None:
    cr = default_run
    assert cr.counts() == {**DEFAULT_COUNTS, ACCESS_ENTRY: 1, ACCESS_POLICY: 1}
    assert cr.record.type == "dataplatform:compute:EksCluster"
    runtime = cr.one(RUNTIME, "eks")
    # Every child is the component's own, except the runtime's objects (moved there with aliases).
    assert {r.name: r.parent for r in cr.children if r.parent != cr.record.urn} == {"eks-gp3": runtime.urn}
    assert runtime.parent == cr.record.urn
    assert_tagged(cr.children, tags)
    # pulumi-eks tags everything it makes with the same set; the cluster also says where the program
    # is deployed from (deploy_from: inside_vpc), for the api-reachability policy.
    assert cr.one(CLUSTER).inputs["tags"] == {**tags, "dataplatform.io/deploy-from": "inside-vpc"}


def test_control_plane_defaults(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    cluster = cr.one(CLUSTER)
    assert cluster.remote is True
    inputs = cluster.inputs
    assert inputs["name"] == "eks-dev"
    assert inputs["version"] == "1.36"
    # Explicit, since pulumi-eks would default to EXTENDED (billed past standard support).
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["vpcId"] == VPC
    assert inputs["privateSubnetIds"] == SUBNETS
    assert "publicSubnetIds" not in inputs and "subnetIds" not in inputs
    # Private endpoint only.
    assert inputs["endpointPrivateAccess"] is True
    assert inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs
    # Access entries, no aws-auth ConfigMap.
    assert inputs["authenticationMode"] == "API"
    assert "accessEntries" not in inputs and "roleMappings" not in inputs
    # Secrets envelope encryption with the created key.
    secrets_key = named(cr, KEY, "eks-secrets-key")
    assert inputs["encryptionConfigKeyArn"] == secrets_key.outputs["arn"]
    assert inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert inputs["deletionProtection"] is True
    # Everything pulumi-eks would make on its own is made natively instead (one owner each).
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["createInstanceRole"] is False
    assert inputs["createOidcProvider"] is False
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["useDefaultVpcCni"] is True
    assert "vpcCniOptions" not in inputs
    assert inputs["kubeProxyAddonOptions"]["enabled"] is False
    assert inputs["corednsAddonOptions"]["enabled"] is False
    role = named(cr, ROLE, "eks-cluster-role")
    assert inputs["serviceRole"] == role.urn
    # Protected, and made after its log group and role policies.
    assert (cluster.protect, cluster.retain_on_delete) == (True, True)
    for dependency in ("eks-cluster-logs", "eks-cluster-role-policy", "eks-cluster-encryption"):
        assert any(d.endswith(f"::{dependency}") for d in cluster.dependencies), dependency


def test_cluster_role(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    role = named(cr, ROLE, "eks-cluster-role")
    trust = statements(role.inputs["assumeRolePolicy"])
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    attachment = named(cr, ATTACHMENT, "eks-cluster-role-policy")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    encryption = named(cr, ROLE_POLICY, "eks-cluster-encryption")
    [statement] = statements(encryption.inputs["policy"])
    assert statement["Resource"] == named(cr, KEY, "eks-secrets-key").outputs["arn"]
    assert statement["Action"] == ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]


def test_keys_rotate_and_are_protected(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    keys = {k.name: k for k in cr.of_type(KEY)}
    assert sorted(keys) == ["eks-ebs-key", "eks-logs-key", "eks-secrets-key"]
    for key in keys.values():
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30
        assert (key.protect, key.retain_on_delete) == (True, True)
        root = statements(key.inputs["policy"])[0]
        assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    ebs = statements(keys["eks-ebs-key"].inputs["policy"])[1]
    assert ebs["Principal"] == {"AWS": "*"}
    assert ebs["Condition"] == {
        "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.us-east-1.amazonaws.com"}
    }
    assert "kms:CreateGrant" in ebs["Action"]


def test_control_plane_log_group(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    group = cr.one(LOG_GROUP)
    assert group.name == "eks-cluster-logs"
    assert group.inputs["name"] == "/aws/eks/eks-dev/cluster"
    assert group.inputs["retentionInDays"] == 90
    logs_key = named(cr, KEY, "eks-logs-key")
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    logs = statements(logs_key.inputs["policy"])[1]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/eks/eks-dev/cluster"
            )
        }
    }
    assert cr.value(cr.component.log_group_name) == "/aws/eks/eks-dev/cluster"


def test_outputs(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    c = cr.component
    cluster = cr.one(CLUSTER)
    issuer = cluster.outputs["oidcProviderUrl"]
    # The name and the endpoint are read from pulumi-eks's kubeconfig (so they resolve with the cluster).
    assert cr.value(c.cluster_name) == "eks-dev"
    assert cr.value(c.endpoint) == cluster.outputs["kubeconfig"]["clusters"][0]["cluster"]["server"]
    assert cr.value(c.oidc_provider_url) == issuer
    assert cr.value(c.oidc_issuer) == issuer.removeprefix("https://")
    oidc = cr.one(OIDC)
    assert cr.value(c.oidc_provider_arn) == oidc.outputs["arn"]
    assert cr.value(c.node_security_group_id) == cluster.outputs["nodeSecurityGroupId"]
    assert cr.value(c.cluster_security_group_id) == cluster.outputs["clusterSecurityGroupId"]
    roles = {name: cr.value(arn) for name, arn in c.node_role_arns.items()}
    assert roles == {
        "system": named(cr, ROLE, "eks-system-node-role").outputs["arn"],
        "apps": named(cr, ROLE, "eks-apps-node-role").outputs["arn"],
    }
    assert cr.value(c.secrets_kms_key_arn) == named(cr, KEY, "eks-secrets-key").outputs["arn"]
    assert cr.value(c.ebs_kms_key_arn) == named(cr, KEY, "eks-ebs-key").outputs["arn"]
    # The kubeconfig is a secret, for the exports and for the provider.
    assert is_secret(c.kubeconfig)
    assert not is_secret(c.cluster_name) and not is_secret(c.endpoint)
    assert json.loads(cr.value(c.kubeconfig)) == cluster.outputs["kubeconfig"]
    provider = cr.one(K8S_PROVIDER)
    assert provider.masked_inputs["kubeconfig"] == "[secret]"
    assert isinstance(c.provider, pulumi.ProviderResource)


def test_oidc_provider(default_run: ComponentRun[EksCluster], tags: dict[str, str]) -> None:
    cr = default_run
    oidc = cr.one(OIDC)
    assert oidc.inputs["url"] == cr.one(CLUSTER).outputs["oidcProviderUrl"]
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc.inputs["tags"] == tags


# --------------------------------------------------------------------------- node groups


def test_node_groups_and_launch_templates(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    node_sg = cr.one(CLUSTER).outputs["nodeSecurityGroupId"]
    ebs_key = named(cr, KEY, "eks-ebs-key").outputs["arn"]
    expected = {
        "system": (
            ["c5.2xlarge"],
            {"minSize": 3, "maxSize": 6, "desiredSize": 3},
            {"workload": "system", POOL: "system"},
        ),
        "apps": (
            ["c5.4xlarge"],
            {"minSize": 6, "maxSize": 50, "desiredSize": 6},
            {"workload": "application", POOL: "apps"},
        ),
    }
    for group, (types, scaling, labels) in expected.items():
        template = named(cr, TEMPLATE, f"eks-{group}-nodes")
        assert template.inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
            "instanceMetadataTags": "disabled",
        }
        assert template.inputs["blockDeviceMappings"] == [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    "volumeSize": 50,
                    "volumeType": "gp3",
                    "encrypted": "true",
                    "kmsKeyId": ebs_key,
                    "deleteOnTermination": "true",
                },
            }
        ]
        assert template.inputs["vpcSecurityGroupIds"] == [node_sg]
        assert "iamInstanceProfile" not in template.inputs and "imageId" not in template.inputs
        kinds = [spec["resourceType"] for spec in template.inputs["tagSpecifications"]]
        assert kinds == ["instance", "volume", "network-interface"]
        assert template.inputs["tagSpecifications"][0]["tags"]["Name"] == f"eks-dev-{group}"

        node_group = named(cr, NODE_GROUP, f"eks-{group}-nodes")
        inputs = node_group.inputs
        assert node_group.ignore_changes == ["scalingConfig.desiredSize"]
        assert inputs["clusterName"] == "eks-dev"
        assert inputs["version"] == "1.36"
        assert inputs["subnetIds"] == SUBNETS
        assert inputs["instanceTypes"] == types
        assert inputs["capacityType"] == "ON_DEMAND"
        assert inputs["amiType"] == "AL2023_x86_64_STANDARD"
        assert inputs["scalingConfig"] == scaling
        assert inputs["labels"] == labels
        assert inputs["updateConfig"] == {"maxUnavailablePercentage": 33}
        assert inputs["launchTemplate"] == {"id": template.id, "version": "1"}
        assert "diskSize" not in inputs and "remoteAccess" not in inputs
        assert inputs["nodeRoleArn"] == named(cr, ROLE, f"eks-{group}-node-role").outputs["arn"]
        assert (node_group.protect, node_group.retain_on_delete) == (False, False)

        attached = sorted(
            r.inputs["policyArn"] for r in cr.of_type(ATTACHMENT) if r.name.startswith(f"eks-{group}-node-")
        )
        assert attached == [
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        ]
        role = named(cr, ROLE, f"eks-{group}-node-role")
        assert statements(role.inputs["assumeRolePolicy"]) == [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]

    system = named(cr, NODE_GROUP, "eks-system-nodes").inputs
    assert system["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert "taints" not in named(cr, NODE_GROUP, "eks-apps-nodes").inputs


def test_node_group_overrides(tags: dict[str, str]) -> None:
    group = NodeGroupSettings(
        name="etl",
        instance_types=["m7g.2xlarge", "m6g.2xlarge"],
        capacity_type="SPOT",
        min_size=0,
        max_size=10,
        labels={"workload": "etl", "example.com/team": "data"},
        taints=[
            Taint(key="example.com/etl", effect="NO_EXECUTE"),
            Taint(key="batch", value="yes", effect="PREFER_NO_SCHEDULE"),
        ],
        disk_size_gib=200,
        ami_type="AL2023_ARM_64_STANDARD",
        metadata_hop_limit=2,
        max_unavailable_percentage=50,
    )
    cr = make(tags, node_groups=[group])
    assert len(cr.of_type(NODE_GROUP)) == 1
    inputs = named(cr, NODE_GROUP, "eks-etl-nodes").inputs
    assert inputs["capacityType"] == "SPOT"
    assert inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert inputs["instanceTypes"] == ["m7g.2xlarge", "m6g.2xlarge"]
    # desired_size unset: the group starts at min_size.
    assert inputs["scalingConfig"] == {"minSize": 0, "maxSize": 10, "desiredSize": 0}
    assert inputs["labels"] == {"workload": "etl", "example.com/team": "data", POOL: "etl"}
    assert inputs["taints"] == [
        {"key": "example.com/etl", "effect": "NO_EXECUTE"},
        {"key": "batch", "value": "yes", "effect": "PREFER_NO_SCHEDULE"},
    ]
    assert inputs["updateConfig"] == {"maxUnavailablePercentage": 50}
    template = named(cr, TEMPLATE, "eks-etl-nodes").inputs
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 2
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 200


def test_spot_group(tags: dict[str, str]) -> None:
    cr = make(tags, spot_node_group=True)
    assert sorted(r.name for r in cr.of_type(NODE_GROUP)) == [
        "eks-apps-nodes",
        "eks-spot-nodes",
        "eks-system-nodes",
    ]
    spot = named(cr, NODE_GROUP, "eks-spot-nodes")
    assert spot.inputs["capacityType"] == "SPOT"
    assert spot.inputs["instanceTypes"] == ["t3.large", "t3a.large"]
    assert spot.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 20, "desiredSize": 5}
    assert spot.inputs["labels"] == {"workload": "batch", POOL: "spot"}
    assert spot.inputs["taints"] == [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]
    assert spot.ignore_changes == ["scalingConfig.desiredSize"]
    assert len(cr.of_type(TEMPLATE)) == 3
    assert set(cr.component.node_role_arns) == {"system", "apps", "spot"}


# --------------------------------------------------------------------------- add-ons


def test_addons_and_ordering(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    addons = {r.inputs["addonName"]: r for r in cr.of_type(ADDON)}
    assert {name: r.name for name, r in addons.items()} == {
        "vpc-cni": "eks-vpc-cni",
        "kube-proxy": "eks-kube-proxy",
        "coredns": "eks-coredns",
        "aws-ebs-csi-driver": "eks-aws-ebs-csi-driver",
        "metrics-server": "eks-metrics-server",
    }
    for addon in addons.values():
        assert addon.inputs["clusterName"] == "eks-dev"
        assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
    groups = {r.urn for r in cr.of_type(NODE_GROUP)}
    # Nodes need the CNI and kube-proxy to become Ready; CoreDNS, metrics-server and the CSI
    # controller need nodes.
    for group in cr.of_type(NODE_GROUP):
        assert {addons["vpc-cni"].urn, addons["kube-proxy"].urn} <= set(group.dependencies)
    for name in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        assert groups <= set(addons[name].dependencies)
    for name in ("vpc-cni", "kube-proxy"):
        assert not groups & set(addons[name].dependencies)
    ebs_role = named(cr, ROLE, "eks-ebs-csi-irsa")
    assert addons["aws-ebs-csi-driver"].inputs["serviceAccountRoleArn"] == ebs_role.outputs["arn"]
    assert "serviceAccountRoleArn" not in addons["coredns"].inputs
    assert "serviceAccountRoleArn" not in addons["metrics-server"].inputs
    # The provider waits for the deployer's access only (its access entry, and its tcp/443 path through
    # the cluster security group): API objects need no nodes. What runs pods waits for the nodes and
    # DNS through workload_dependencies.
    provider = cr.one(K8S_PROVIDER)
    access = cr.one(ACCESS_POLICY).urn
    deployer = cr.one(INGRESS_RULE).urn
    cluster = cr.one("eks:index:Cluster").urn  # the kubeconfig: data
    assert set(provider.dependencies) == {access, deployer, cluster}
    workload = sorted(type(r).__name__ for r in cr.component.workload_dependencies)
    assert workload == ["Addon"] + ["NodeGroup"] * len(groups)
    coredns = cr.component.workload_dependencies[-1]
    assert coredns._name == "eks-coredns"  # type: ignore[attr-defined]


def addon_version_lookups(cr: ComponentRun[Any]) -> list[dict[str, Any]]:
    return [args for token, args in cr.run.invokes if token == ADDON_VERSION]


def test_addon_versions_follow_the_cluster_version(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    # One lookup per add-on, for the cluster's version, most recent build.
    assert sorted(addon_version_lookups(cr), key=lambda a: a["addonName"]) == [
        {"addonName": name, "kubernetesVersion": "1.36", "mostRecent": True}
        for name in sorted(["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "metrics-server"])
    ]
    # Each add-on gets the version the lookup answered (the offline engine's table for 1.36).
    got = {r.inputs["addonName"]: r.inputs["addonVersion"] for r in cr.of_type(ADDON)}
    assert got == {
        "vpc-cni": "v1.20.4-eksbuild.2",
        "kube-proxy": "v1.36.3-eksbuild.2",
        "coredns": "v1.13.1-eksbuild.1",
        "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
        "metrics-server": "v0.8.0-eksbuild.2",
    }


def test_extended_support_version_and_policy(tags: dict[str, str]) -> None:
    cr = make(tags, kubernetes_version="1.33", upgrade_policy="EXTENDED")
    assert cr.one(CLUSTER).inputs["upgradePolicy"] == {"supportType": "EXTENDED"}
    assert {a["kubernetesVersion"] for a in addon_version_lookups(cr)} == {"1.33"}
    assert {r.inputs["version"] for r in cr.of_type(NODE_GROUP)} == {"1.33"}
    got = {r.inputs["addonName"]: r.inputs["addonVersion"] for r in cr.of_type(ADDON)}
    assert (got["kube-proxy"], got["coredns"]) == ("v1.33.3-eksbuild.2", "v1.12.4-eksbuild.1")


def test_pinned_addon_versions(tags: dict[str, str]) -> None:
    versions = {
        "vpc_cni": "v1.19.2-eksbuild.1",
        "kube_proxy": "v1.36.0-eksbuild.2",
        "coredns": "v1.11.4-eksbuild.2",
        "aws_ebs_csi_driver": "v1.38.1-eksbuild.1",
        "metrics_server": "v0.7.2-eksbuild.4",
    }
    cr = make(tags, addon_versions=versions)
    got = {r.inputs["addonName"]: r.inputs["addonVersion"] for r in cr.of_type(ADDON)}
    assert got == {
        "vpc-cni": "v1.19.2-eksbuild.1",
        "kube-proxy": "v1.36.0-eksbuild.2",
        "coredns": "v1.11.4-eksbuild.2",
        "aws-ebs-csi-driver": "v1.38.1-eksbuild.1",
        "metrics-server": "v0.7.2-eksbuild.4",
    }
    # A pinned add-on is not looked up; the others still are.
    assert addon_version_lookups(cr) == []
    partly = make(tags, addon_versions={"coredns": "v1.11.4-eksbuild.2"})
    assert sorted(a["addonName"] for a in addon_version_lookups(partly)) == [
        "aws-ebs-csi-driver",
        "kube-proxy",
        "metrics-server",
        "vpc-cni",
    ]


def configuration(cr: ComponentRun[Any], addon: str) -> Any:
    record = cr.one(ADDON, f"eks-{addon}")
    raw = record.inputs.get("configurationValues")
    return None if raw is None else json.loads(raw)


def test_addon_configuration_values(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    # By the contract's pool label, which the group's nodes carry (the EKS node-group name is generated).
    assert named(cr, NODE_GROUP, "eks-system-nodes").inputs["labels"][POOL] == "system"
    tolerations = [
        {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    affinity = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "preference": {
                        "matchExpressions": [{"key": POOL, "operator": "In", "values": ["system"]}]
                    },
                }
            ]
        }
    }
    assert cr.one(ADDON, "eks-vpc-cni").inputs["configurationValues"] == '{"enableNetworkPolicy":"true"}'
    assert "configurationValues" not in cr.one(ADDON, "eks-kube-proxy").inputs
    assert configuration(cr, "coredns") == {"tolerations": tolerations, "affinity": affinity}
    assert configuration(cr, "metrics-server") == {"tolerations": tolerations, "affinity": affinity}
    assert configuration(cr, "aws-ebs-csi-driver") == {
        "controller": {"tolerations": tolerations, "affinity": affinity}
    }


def test_no_system_group_no_placement(tags: dict[str, str]) -> None:
    cr = make(tags, node_groups=[{"name": "apps", "instance_types": ["m6i.large"]}])
    for addon in ("coredns", "metrics-server", "aws-ebs-csi-driver", "kube-proxy"):
        assert configuration(cr, addon) is None, addon
    assert configuration(cr, "vpc-cni") == {"enableNetworkPolicy": "true"}


def test_default_storage_class(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    storage = cr.one(STORAGE_CLASS, "eks-gp3")
    ebs_key = named(cr, KEY, "eks-ebs-key").outputs["arn"]
    manifest = dict(storage.inputs)
    assert manifest == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {
            "type": "gp3",
            "encrypted": "true",
            "kmsKeyId": ebs_key,
            "csi.storage.k8s.io/fstype": "ext4",
        },
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    kubernetes_validate.validate(manifest, "1.36", strict=True)
    # Through the cluster's provider, after the EBS CSI add-on that provisions its volumes.
    provider = cr.one(K8S_PROVIDER)
    assert storage.provider is not None and storage.provider.startswith(provider.urn + "::")
    assert cr.one(ADDON, "eks-aws-ebs-csi-driver").urn in storage.dependencies
    # The runtime's child, moved from the cluster with an alias (existing stacks keep the object).
    runtime = cr.one(RUNTIME, "eks")
    assert storage.parent == runtime.urn
    # (pulumi-kubernetes adds the v1beta1 spelling of the type itself.)
    assert [a for a in storage.aliases if "/v1:" in a] == [
        "urn:pulumi:dev::test::dataplatform:compute:EksCluster$kubernetes:storage.k8s.io/v1:StorageClass::eks-gp3"
    ]
    assert cr.value(cr.component.default_storage_class.metadata["name"]) == "gp3"


def test_ebs_csi_role(default_run: ComponentRun[EksCluster]) -> None:
    cr = default_run
    role = named(cr, ROLE, "eks-ebs-csi-irsa")
    issuer = cr.one(CLUSTER).outputs["oidcIssuer"]
    [trust] = statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Federated": cr.one(OIDC).outputs["arn"]}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    managed = named(cr, ATTACHMENT, "eks-ebs-csi-irsa-0")
    assert managed.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    # The role may use the customer key of the StorageClass (AmazonEBSCSIDriverPolicy does not
    # cover customer keys: research notes §7): grants for AWS resources, and the data-key actions.
    policy = named(cr, ROLE_POLICY, "eks-ebs-csi-irsa")
    assert policy.inputs["role"] == role.id  # attached to the controller's role
    kms = statements(policy.inputs["policy"])
    ebs_key = named(cr, KEY, "eks-ebs-key").outputs["arn"]
    assert cr.one(STORAGE_CLASS).inputs["parameters"]["kmsKeyId"] == ebs_key
    assert kms == [
        {
            "Sid": "GrantsForAttachedVolumes",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": ebs_key,
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
            "Resource": ebs_key,
        },
    ]


# --------------------------------------------------------------------------- IRSA helper


def test_irsa_role_helper(tags: dict[str, str]) -> None:
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket"}]}
    )

    def program() -> EksCluster:
        cluster = EksCluster(
            "eks",
            EksClusterArgs(
                settings=EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"]),
                tags=tags,
                vpc_id=VPC,
                private_subnet_ids=SUBNETS,
            ),
        )
        cluster.irsa_role("ingest", "pipelines", "ingest-worker", policy_document=policy)
        return cluster

    cr = run_component(program)
    role = named(cr, ROLE, "eks-ingest-irsa")
    assert role.parent == cr.record.urn
    assert role.inputs["tags"] == tags
    issuer = cr.one(CLUSTER).outputs["oidcIssuer"]
    [trust] = statements(role.inputs["assumeRolePolicy"])
    assert trust["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:pipelines:ingest-worker",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    assert trust["Principal"] == {"Federated": cr.one(OIDC).outputs["arn"]}
    # The inline policy goes on this role, and nothing else is attached to it.
    inline = named(cr, ROLE_POLICY, "eks-ingest-irsa")
    assert inline.inputs["role"] == role.id
    assert not [r for r in cr.of_type(ATTACHMENT) if r.name.startswith("eks-ingest-irsa")]


def test_irsa_role_rejects_bad_names(tags: dict[str, str]) -> None:
    def program() -> EksCluster:
        cluster = EksCluster(
            "eks",
            EksClusterArgs(
                settings=EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"]),
                tags=tags,
                vpc_id=VPC,
                private_subnet_ids=SUBNETS,
            ),
        )
        cluster.irsa_role("Ingest", "Pipelines_NS", "worker..sa")
        return cluster

    with pytest.raises(InvalidConfigError) as err:
        run_component(program)
    assert [issue.path for issue in err.value.issues] == ["name", "namespace", "service_account"]
    assert err.value.issues[1].message.startswith("not a Kubernetes namespace name: must be a DNS label")
    assert err.value.issues[2].message.startswith(
        "not a Kubernetes service account name: must be a DNS subdomain"
    )
    # The cluster exists, the role was refused before any of its children was registered.
    names = [r.name for r in err.value.recorded_run.resources]  # type: ignore[attr-defined]
    assert "eks-cluster" in names
    assert not [n for n in names if "irsa" in n and not n.startswith("eks-ebs-csi-irsa")]


# --------------------------------------------------------------------------- overrides


def test_admin_access_entries(tags: dict[str, str]) -> None:
    cr = make(tags, admin_principal_arns=[DEPLOYER, SRE])
    entries = {r.inputs["principalArn"]: r for r in cr.of_type(ACCESS_ENTRY)}
    assert sorted(entries) == sorted([DEPLOYER, SRE])
    for entry in entries.values():
        assert entry.inputs["type"] == "STANDARD"
        assert entry.inputs["clusterName"] == "eks-dev"
        assert "kubernetesGroups" not in entry.inputs
    associations = {r.inputs["principalArn"]: r for r in cr.of_type(ACCESS_POLICY)}
    assert sorted(associations) == sorted([DEPLOYER, SRE])
    for principal, association in associations.items():
        assert association.inputs["policyArn"] == (
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        )
        assert association.inputs["accessScope"] == {"type": "cluster"}
        assert entries[principal].urn in association.dependencies
    # Access entries never go through pulumi-eks (whose children policies cannot see).
    assert "accessEntries" not in cr.one(CLUSTER).inputs


def test_no_admins_warns(tags: dict[str, str]) -> None:
    cr = make(tags, admin_principal_arns=[])
    assert cr.counts() == DEFAULT_COUNTS
    warnings = [m for level, m in cr.run.diagnostics if level == "warning"]
    assert any("admin_principal_arns is empty" in m for m in warnings), cr.run.diagnostics


def test_public_endpoint_with_cidrs(tags: dict[str, str]) -> None:
    cr = make(
        tags,
        endpoint_public_access=True,
        public_access_cidrs=["52.17.40.0/24", "34.240.1.7/32"],
        deploy_from="outside_vpc",
        deployer_cidrs=[],
    )
    inputs = cr.one(CLUSTER).inputs
    assert inputs["endpointPublicAccess"] is True
    assert inputs["endpointPrivateAccess"] is True
    assert inputs["publicAccessCidrs"] == ["52.17.40.0/24", "34.240.1.7/32"]
    # Through the public endpoint: no deployer rule on the cluster security group.
    assert cr.of_type(INGRESS_RULE) == []


def test_public_subnets_stay_out_of_the_cluster(tags: dict[str, str]) -> None:
    public = ["subnet-0fedcba9876543210", "subnet-0fedcba9876543211"]
    cr = make(tags, public_subnet_ids=public)
    inputs = cr.one(CLUSTER).inputs
    assert "publicSubnetIds" not in inputs and "subnetIds" not in inputs
    assert not {s for g in cr.of_type(NODE_GROUP) for s in g.inputs["subnetIds"]} & set(public)
    assert cr.value(cr.component.public_subnet_ids) == public
    assert make(tags).component.public_subnet_ids is None


def test_secrets_key_passed_in(tags: dict[str, str]) -> None:
    cr = make(tags, secrets_kms_key_arn=GIVEN_KEY)
    assert sorted(k.name for k in cr.of_type(KEY)) == ["eks-ebs-key", "eks-logs-key"]
    assert cr.one(CLUSTER).inputs["encryptionConfigKeyArn"] == GIVEN_KEY
    [statement] = statements(named(cr, ROLE_POLICY, "eks-cluster-encryption").inputs["policy"])
    assert statement["Resource"] == GIVEN_KEY
    assert cr.value(cr.component.secrets_kms_key_arn) == GIVEN_KEY


def test_logging_choices(tags: dict[str, str]) -> None:
    cr = make(
        tags,
        log_types=["api", "audit", "authenticator", "controllerManager", "scheduler"],
        log_retention_days=365,
    )
    assert cr.one(CLUSTER).inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert cr.one(LOG_GROUP).inputs["retentionInDays"] == 365

    off = make(tags, log_types=[])
    assert "enabledClusterLogTypes" not in off.one(CLUSTER).inputs
    assert not off.of_type(LOG_GROUP)
    assert sorted(k.name for k in off.of_type(KEY)) == ["eks-ebs-key", "eks-secrets-key"]
    assert off.component.log_group_name is None


def test_deletion_protection_off(tags: dict[str, str]) -> None:
    cr = make(tags, deletion_protection=False)
    cluster = cr.one(CLUSTER)
    assert cluster.inputs["deletionProtection"] is False
    assert (cluster.protect, cluster.retain_on_delete) == (False, False)
    assert all(not k.protect and not k.retain_on_delete for k in cr.of_type(KEY))


def test_explicit_cluster_name_and_stack(tags: dict[str, str]) -> None:
    cr = make(tags, cluster_name="analytics-prod")
    assert cr.one(CLUSTER).inputs["name"] == "analytics-prod"
    assert cr.one(LOG_GROUP).inputs["name"] == "/aws/eks/analytics-prod/cluster"
    assert cr.value(cr.component.cluster_name) == "analytics-prod"
    derived = make(tags, name="platform", stack="prod")
    assert derived.one(CLUSTER).inputs["name"] == "platform-prod"


def test_preview_runs_with_unknown_outputs(tags: dict[str, str]) -> None:
    settings = EksClusterSettings(
        deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], admin_principal_arns=[DEPLOYER]
    )
    cr = run_component(
        lambda: EksCluster(
            "eks", EksClusterArgs(settings=settings, tags=tags, vpc_id=VPC, private_subnet_ids=SUBNETS)
        ),
        preview=True,
    )
    assert cr.counts() == {**DEFAULT_COUNTS, ACCESS_ENTRY: 1, ACCESS_POLICY: 1}


# --------------------------------------------------------------------------- bad input


def issues_of(**fields: Any) -> dict[str, str]:
    """Every problem of settings with ``fields``, by exact key path (a path reported twice fails)."""
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings(**{"deploy_from": "inside_vpc", "deployer_cidrs": ["10.0.8.0/24"], **fields})
    found = {issue.path: issue.message for issue in err.value.issues}
    assert len(found) == len(err.value.issues), err.value.issues
    return found


def group(**fields: Any) -> dict[str, Any]:
    return {"name": "apps", "instance_types": ["m6i.xlarge"], **fields}


def test_min_greater_than_max() -> None:
    assert issues_of(node_groups=[group(min_size=5, max_size=2)]) == {
        "node_groups[0].min_size": "must not exceed max_size (2); lower min_size or raise max_size"
    }
    assert issues_of(node_groups=[group(min_size=1, max_size=3, desired_size=4)]) == {
        "node_groups[0].desired_size": "must be between min_size (1) and max_size (3)"
    }


def test_unknown_capacity_type() -> None:
    assert issues_of(node_groups=[group(capacity_type="spot")]) == {
        "node_groups[0].capacity_type": "unknown capacity type; did you mean 'SPOT'? use ON_DEMAND or SPOT"
    }
    assert issues_of(node_groups=[group(capacity_type="RESERVED")]) == {
        "node_groups[0].capacity_type": "unknown capacity type; use ON_DEMAND or SPOT"
    }


def test_misspelled_taint_effect() -> None:
    found = issues_of(node_groups=[group(taints=[{"key": "spot", "value": "true", "effect": "NoSchedule"}])])
    assert found == {
        "node_groups[0].taints[0].effect": (
            "unknown taint effect; did you mean 'NO_SCHEDULE'? use one of NO_SCHEDULE, NO_EXECUTE, "
            "PREFER_NO_SCHEDULE (the EKS API spelling)"
        )
    }
    found = issues_of(node_groups=[group(taints=[{"key": "spot", "effect": "NO_SCHEDUAL"}])])
    assert found == {
        "node_groups[0].taints[0].effect": (
            "unknown taint effect; use one of NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE "
            "(the EKS API spelling)"
        )
    }


def test_taint_keys_and_values_follow_kubernetes() -> None:
    found = issues_of(
        node_groups=[
            group(
                taints=[
                    {"key": "bad key!", "effect": "NO_SCHEDULE"},
                    {"key": "a..b/x", "effect": "NO_SCHEDULE"},
                    {"key": "ok", "value": "-no", "effect": "NO_SCHEDULE"},
                ]
            )
        ]
    )
    assert sorted(found) == [
        "node_groups[0].taints[0].key",
        "node_groups[0].taints[1].key",
        "node_groups[0].taints[2].value",
    ]
    assert found["node_groups[0].taints[0].key"].startswith(
        "not a Kubernetes taint key: label key 'bad key!'"
    )
    # The shared rule: a prefix is a DNS subdomain, so 'a..b/x' is refused (the old EKS copy let it pass).
    assert found["node_groups[0].taints[1].key"].startswith(
        "not a Kubernetes taint key: label key prefix 'a..b' must be a DNS subdomain"
    )
    assert found["node_groups[0].taints[2].value"].startswith(
        "not a Kubernetes taint value: label value '-no'"
    )
    assert issues_of(node_groups=[group(taints=[{"key": "spot", "effect": "NO_SCHEDULE"}] * 2)]) == {
        "node_groups[0].taints[1]": (
            "a taint with this key and effect NO_SCHEDULE is already listed; remove one"
        )
    }


def test_node_labels_follow_kubernetes() -> None:
    found = issues_of(node_groups=[group(labels={"a..b/x": "ok", "team": "data team"})])
    assert sorted(found) == ["node_groups[0].labels.a..b/x", "node_groups[0].labels.team"]
    assert found["node_groups[0].labels.a..b/x"].startswith("not a Kubernetes label key: label key prefix")
    assert found["node_groups[0].labels.team"].startswith(
        "not a Kubernetes label value: label value 'data team'"
    )
    # YAML booleans and numbers are not strings: pydantic refuses them before the label rules run.
    assert list(issues_of(node_groups=[group(labels={"spot": True})])) == ["node_groups[0].labels.spot"]


def test_public_endpoint_needs_cidrs() -> None:
    assert issues_of(endpoint_public_access=True) == {
        "public_access_cidrs": (
            "is required when endpoint_public_access is true; list the office/VPN CIDRs that may "
            "reach the API (never 0.0.0.0/0), or keep the endpoint private"
        )
    }
    assert issues_of(endpoint_public_access=True, public_access_cidrs=["52.17.40.0/24", "0.0.0.0/0"]) == {
        "public_access_cidrs[1]": (
            "opens the API endpoint to the whole internet; list your runner's or office's egress ranges"
        )
    }
    assert issues_of(endpoint_public_access=True, public_access_cidrs=["10.0.0.1/8"]) == {
        "public_access_cidrs[0]": (
            "not an IPv4 CIDR without host bits; write the runner's public egress, e.g. '52.17.40.12/32'"
        )
    }
    assert issues_of(public_access_cidrs=["52.17.40.0/24"]) == {
        "public_access_cidrs": (
            "only applies to a public endpoint; remove it or set endpoint_public_access: true"
        )
    }


def test_kubernetes_version_is_pinned() -> None:
    # The support rules (table, dates, policy) are in tests/test_eks_versions.py.
    assert (
        EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"]).kubernetes_version
        == "1.36"
    )
    pin = "pin a Kubernetes minor version such as '1.36' (no 'latest', no 'v' prefix, no patch)"
    assert issues_of(kubernetes_version="latest") == {"kubernetes_version": pin}
    assert issues_of(kubernetes_version="1.36.1") == {"kubernetes_version": pin}
    assert issues_of(kubernetes_version="1.29") == {
        "kubernetes_version": (
            "1.29 is past EKS extended support (it ended on 2026-03-23): EKS creates no cluster on it; "
            "use 1.35 or 1.36"
        )
    }
    assert (
        EksClusterSettings(
            deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], kubernetes_version="1.35"
        ).kubernetes_version
        == "1.35"
    )
    # YAML reads an unquoted 1.30 as 1.3: the hint names the version meant.
    assert issues_of(kubernetes_version=1.3) == {
        "kubernetes_version": (
            'quote the version: kubernetes_version: "1.30" (YAML reads it unquoted as the number 1.3)'
        )
    }


def test_log_retention_uses_cloudwatch_periods() -> None:
    # The shared retention rule (components._shared) and its message.
    assert issues_of(log_retention_days=10) == {
        "log_retention_days": (
            "CloudWatch Logs does not offer 10 days; use one of its periods (nearest: 7, 14)"
        )
    }
    assert issues_of(log_retention_days=0) == {
        "log_retention_days": "CloudWatch Logs does not offer 0 days; use one of its periods (nearest: 1)"
    }


def test_other_setting_errors() -> None:
    [(path, message)] = issues_of(log_types=["apiserver"]).items()
    assert path == "log_types[0]" and message.startswith("Input should be 'api', 'audit'")
    assert issues_of(log_types=["api", "audit", "api"]) == {"log_types[2]": "listed twice; remove one"}
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/session"
    assert issues_of(admin_principal_arns=[DEPLOYER, session, "deployer", DEPLOYER]) == {
        "admin_principal_arns[1]": (
            "is an STS session ARN; use the IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        ),
        "admin_principal_arns[2]": "not an IAM role or user ARN; write arn:aws:iam::<account>:role/<name>",
        "admin_principal_arns[3]": "listed twice; remove one",
    }
    assert issues_of(node_groups=[group(), group()]) == {
        "node_groups[1].name": "group names must be unique; rename one"
    }
    assert issues_of(spot_node_group=True, node_groups=[group(name="spot")]) == {
        "spot_node_group": (
            "node_groups already has a group named 'spot'; drop spot_node_group or rename the group"
        )
    }
    assert issues_of(node_groups=[group(instance_types=["xlarge", "m6i.large", "m6i.large"])]) == {
        "node_groups[0].instance_types[0]": "not an EC2 instance type; write e.g. 'm6i.xlarge'",
        "node_groups[0].instance_types[2]": "listed twice; remove the duplicate",
    }
    assert issues_of(node_groups=[]) == {
        "node_groups": "the cluster needs at least one node group to run CoreDNS and workloads; add one"
    }
    assert issues_of(
        node_groups=[{"name": "apps", "instance_type": "m6i.xlarge", "instance_types": ["m6i.xlarge"]}]
    ) == {"node_groups[0].instance_type": "unknown key; did you mean 'instance_types'?"}
    assert list(issues_of(node_groups=[group(name="Apps_1")])) == ["node_groups[0].name"]
    assert list(issues_of(cluster_name="-bad")) == ["cluster_name"]
    assert issues_of(addon_versions={"coredns": "latest"}) == {
        "addon_versions.coredns": (
            "write an EKS add-on version like 'v1.19.2-eksbuild.1' "
            "(see `aws eks describe-addon-versions`), or leave it unset for the most recent one"
        )
    }


def test_stack_config_path() -> None:
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings.parse(
            {"node_groups": [group(min_size=4, max_size=2)]},
            prefix="dataplatform:cluster",
        )
    assert [issue.path for issue in err.value.issues] == ["dataplatform:cluster.node_groups[0].min_size"]


def test_bad_wiring_registers_nothing(tags: dict[str, str]) -> None:
    settings = EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"])
    with pytest.raises(InvalidConfigError) as err:
        run_component(
            lambda: EksCluster(
                "eks",
                EksClusterArgs(
                    settings=settings,
                    tags={**tags, "Owner": ""},
                    vpc_id="vpc-1",
                    private_subnet_ids=["subnet-0123456789abcdef0", "subnet-1"],
                    secrets_kms_key_arn="alias/eks",
                ),
            )
        )
    found = {issue.path: issue.message for issue in err.value.issues}
    assert found == {
        "args.vpc_id": "not a VPC id; pass e.g. network.vpc_id",
        "args.private_subnet_ids": "not subnet ids (subnet-...)",
        "args.secrets_kms_key_arn": (
            "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not a key id or alias; "
            "omit it to create a key"
        ),
        "args.tags.Owner": "required tag must not be empty",
    }
    # Validation runs before super().__init__: not even the component is registered.
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


def test_one_subnet_and_alias_arns_are_refused(tags: dict[str, str]) -> None:
    alias = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/eks-secrets"
    with pytest.raises(InvalidConfigError) as err:
        make(tags, private_subnet_ids=SUBNETS[:1], secrets_kms_key_arn=alias)
    assert [issue.path for issue in err.value.issues] == [
        "args.private_subnet_ids",
        "args.secrets_kms_key_arn",
    ]
    assert err.value.issues[0].message == (
        "EKS needs subnets in at least two availability zones; pass two or more"
    )
    # The shared KMS rule names keys by key ARN: an alias ARN (accepted by the old EKS copy) is refused.
    assert "not a key id or alias" in err.value.issues[1].message
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]


def test_derived_cluster_name_must_be_valid(tags: dict[str, str]) -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(tags, name="eks.platform")
    assert [issue.path for issue in err.value.issues] == ["settings.cluster_name"]
    assert err.value.issues[0].value == "eks.platform-dev"


def test_deployer_rules_admit_each_runner_on_https(tags: dict[str, str]) -> None:
    cr = make(tags, deployer_cidrs=["10.0.8.0/24"], deployer_security_group_ids=["sg-0123456789abcdef0"])
    rules = {r.name: r for r in cr.of_type(INGRESS_RULE)}
    assert sorted(rules) == ["eks-deployer-10-0-8-0-24", "eks-deployer-sg-0123456789abcdef0"]
    cluster = cr.one(CLUSTER)
    for rule in rules.values():
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
            "tcp",
            443,
            443,
        )
        # On the security group pulumi-eks attaches to the control plane (its clusterSecurityGroupId).
        assert rule.inputs["securityGroupId"] == cluster.outputs["clusterSecurityGroupId"]
        assert rule.property_dependencies["securityGroupId"] == [cluster.urn]
        assert rule.inputs["tags"]["dataplatform.io/deployer"] == "true"
    assert rules["eks-deployer-10-0-8-0-24"].inputs["cidrIpv4"] == "10.0.8.0/24"
    assert "referencedSecurityGroupId" not in rules["eks-deployer-10-0-8-0-24"].inputs
    assert (
        rules["eks-deployer-sg-0123456789abcdef0"].inputs["referencedSecurityGroupId"]
        == "sg-0123456789abcdef0"
    )
    assert {r.urn for r in rules.values()} <= set(cr.one(K8S_PROVIDER).dependencies)


def test_deployer_settings_are_refused_without_a_runner_or_outside_the_vpc() -> None:
    assert issues_of(deployer_cidrs=[]) == {
        "deployer_security_group_ids": (
            "deploy_from is inside_vpc, but no runner is named: the cluster security group admits only the "
            "nodes on tcp/443, so every Kubernetes object would time out; list the runner's security groups "
            "(deployer_security_group_ids) or its CIDRs (deployer_cidrs)"
        )
    }
    assert issues_of(
        deploy_from="outside_vpc", endpoint_public_access=True, public_access_cidrs=["52.17.40.0/24"]
    ) == {
        "deployer_cidrs": (
            "only applies with deploy_from: inside_vpc (a runner reaching the private endpoint); remove it, "
            "or set deploy_from: inside_vpc"
        )
    }
    assert issues_of(
        deployer_cidrs=["0.0.0.0/0", "192.0.2.0/24"], deployer_security_group_ids=["sg-xyz"]
    ) == {
        "deployer_cidrs[0]": "admits everybody; list the runner's subnet or network",
        "deployer_cidrs[1]": (
            "overlaps the documentation range 192.0.2.0/24 (RFC 5737), an example no runner has; list the "
            "runner's real subnet"
        ),
        "deployer_security_group_ids[0]": "not a security group id; write sg- and 8 or 17 hex digits",
    }


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.1.0.0/16", "is or contains a private range (RFC 1918)"),
        ("172.20.0.0/16", "is or contains a private range (RFC 1918)"),
        ("192.168.1.0/24", "is or contains a private range (RFC 1918)"),
        ("100.64.0.0/10", "is or contains shared address space (RFC 6598, carrier-grade NAT)"),
        ("127.0.0.1/32", "is or contains loopback"),
        ("169.254.169.254/32", "is or contains link-local"),
        ("198.51.100.0/24", "overlaps the documentation range 198.51.100.0/24 (RFC 5737)"),
        ("203.0.113.7/32", "overlaps the documentation range 203.0.113.0/24 (RFC 5737)"),
        ("198.18.0.0/15", "is not a globally routable range"),
    ],
)
def test_public_access_cidrs_must_be_public_and_routable(cidr: str, reason: str) -> None:
    issues = issues_of(
        endpoint_public_access=True, deploy_from="outside_vpc", deployer_cidrs=[], public_access_cidrs=[cidr]
    )
    assert list(issues) == ["public_access_cidrs[0]"]
    assert issues["public_access_cidrs[0]"].startswith(reason)


def test_nodes_and_addons_wait_for_the_network_they_need(tags: dict[str, str]) -> None:
    def program() -> EksCluster:
        table = aws.ec2.RouteTable("private-1", vpc_id=VPC)
        route = aws.ec2.Route(
            "private-1-nat",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            nat_gateway_id="nat-1",
        )
        settings = EksClusterSettings(
            deploy_from="inside_vpc", deployer_cidrs=[DEPLOYER_CIDR], admin_principal_arns=[DEPLOYER]
        )
        return EksCluster(
            "eks",
            EksClusterArgs(
                settings=settings,
                tags=tags,
                vpc_id=VPC,
                private_subnet_ids=SUBNETS,
                network_dependencies=[route],
            ),
        )

    cr = run_component(program)
    route = cr.run.one("aws:ec2/route:Route").urn
    for group in cr.of_type(NODE_GROUP):
        assert route in group.dependencies
    addons = {r.inputs["addonName"]: r for r in cr.of_type(ADDON)}
    for name in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        assert route in addons[name].dependencies
    # The DaemonSet add-ons pull nothing before nodes exist: they do not wait for the routes.
    for name in ("vpc-cni", "kube-proxy"):
        assert route not in addons[name].dependencies
