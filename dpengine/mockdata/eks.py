"""EKS: the pulumi-eks ``Cluster`` component and the native EKS resources next to it.

pulumi-eks is a multi-language component: the Python SDK registers one remote resource,
``eks:index:Cluster``, and the real engine builds its children in the plugin. Under mocks there
are no children, so this module returns the component's *scalar* outputs the way pulumi-eks 4.x
computes them (``nodejs/eks/cluster/cluster.ts``):

- ``kubeconfig`` (an object) and ``kubeconfigJson`` (the same, as JSON): server = the cluster
  endpoint, exec auth ``aws --region <r> eks get-token --cluster-name <name> --output json``;
- ``oidcProviderUrl`` = the cluster's issuer URL (also without ``createOidcProvider``),
  ``oidcIssuer`` = the same without ``https://``, ``oidcProviderArn`` = ``""`` unless
  ``createOidcProvider`` is true;
- ``clusterSecurityGroupId`` / ``nodeSecurityGroupId``: the security groups pulumi-eks makes, or
  the EKS-made cluster security group for both with ``skipDefaultSecurityGroups``;
- the empty strings pulumi-eks returns for a default node group, Fargate profile or Auto Mode
  role it did not make.

Outputs that are resource references (``eksCluster``, ``core``, ``nodeSecurityGroup``,
``instanceRoles``...) are left out: programs should read the scalars.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..mocks import MockContext, autoname, invoke, outputs_for

CERTIFICATE = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nMIIC/offline-engine/mock/eks/ca\n-----END CERTIFICATE-----\n"
).decode()


def _cluster_id(ctx: MockContext) -> str:
    """The 32-hex id EKS puts in both the endpoint host and the OIDC issuer."""
    return ctx.hex(32, "cluster-id").upper()


def kubeconfig(cluster_name: str, endpoint: str, region: str, ca_data: str = CERTIFICATE) -> dict[str, Any]:
    """A kubeconfig shaped like pulumi-eks's ``generateKubeconfig`` (no profile)."""
    return {
        "apiVersion": "v1",
        "clusters": [
            {"cluster": {"server": endpoint, "certificate-authority-data": ca_data}, "name": "kubernetes"}
        ],
        "contexts": [{"context": {"cluster": "kubernetes", "user": "aws"}, "name": "aws"}],
        "current-context": "aws",
        "kind": "Config",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "--region",
                            region,
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--output",
                            "json",
                        ],
                        "env": [
                            {
                                "name": "KUBERNETES_EXEC_INFO",
                                "value": '{"apiVersion": "client.authentication.k8s.io/v1beta1"}',
                            }
                        ],
                    }
                },
            }
        ],
    }


@outputs_for("eks:index:Cluster")
def _eks_component(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs.get("name")
    if not isinstance(name, str) or not name:
        name = f"{ctx.name}-eksCluster-{ctx.hex(7, 'autoname')}"
    cluster_id = _cluster_id(ctx)
    endpoint = f"https://{cluster_id}.gr7.{ctx.region}.eks.amazonaws.com"
    issuer = f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{cluster_id}"
    config = kubeconfig(name, endpoint, ctx.region)
    eks_security_group = f"sg-{ctx.hex(17, 'eks-cluster-sg')}"
    if ctx.inputs.get("skipDefaultSecurityGroups"):
        cluster_sg = node_sg = eks_security_group
        ingress_rule = ""
    else:
        cluster_sg = f"sg-{ctx.hex(17, 'cluster-sg')}"
        node_sg = f"sg-{ctx.hex(17, 'node-sg')}"
        ingress_rule = f"sgr-{ctx.hex(17, 'cluster-ingress')}"
    oidc_arn = ctx.arn("iam", f"oidc-provider/{issuer.removeprefix('https://')}", region=False)
    return {
        "kubeconfig": config,
        "kubeconfigJson": json.dumps(config),
        "oidcProviderUrl": issuer,
        "oidcIssuer": issuer.removeprefix("https://"),
        "oidcProviderArn": oidc_arn if ctx.inputs.get("createOidcProvider") else "",
        "clusterSecurityGroupId": cluster_sg,
        "nodeSecurityGroupId": node_sg,
        "clusterIngressRuleId": ingress_rule,
        "defaultNodeGroupAsgName": "",
        "fargateProfileId": "",
        "fargateProfileStatus": "",
        "autoModeNodeRoleName": "",
    }


autoname("aws:eks/cluster:Cluster")


@outputs_for("aws:eks/cluster:Cluster")
def _native_cluster(ctx: MockContext) -> dict[str, Any]:
    """A raw ``aws.eks.Cluster``: what a hand-written kubeconfig and IRSA setup read.

    The endpoint and the OIDC issuer share the 32-hex id, as EKS makes them; the version is the
    requested one, or the EKS default (the newest standard-support minor) when none is given.
    """
    name = ctx.inputs["name"]
    cluster_id = _cluster_id(ctx)
    vpc_config = dict(ctx.inputs.get("vpcConfig") or {})
    vpc_config.setdefault("clusterSecurityGroupId", f"sg-{ctx.hex(17, 'eks-cluster-sg')}")
    vpc_config.setdefault("vpcId", f"vpc-{ctx.hex(17, 'vpc')}")
    vpc_config.setdefault("endpointPrivateAccess", False)
    vpc_config.setdefault("endpointPublicAccess", True)
    vpc_config.setdefault("securityGroupIds", [])
    vpc_config.setdefault("publicAccessCidrs", ["0.0.0.0/0"])
    network = dict(ctx.inputs.get("kubernetesNetworkConfig") or {})
    network.setdefault("ipFamily", "ipv4")
    network.setdefault("serviceIpv4Cidr", "172.20.0.0/16")
    return {
        "__id": name,
        "arn": ctx.arn("eks", f"cluster/{name}"),
        "clusterId": "-".join(ctx.hex(n, f"uuid{n}{i}") for i, n in enumerate((8, 4, 4, 4, 12))),
        "endpoint": f"https://{cluster_id}.gr7.{ctx.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": CERTIFICATE},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{cluster_id}"}]}
        ],
        "version": ctx.inputs.get("version") or "1.33",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "createdAt": "2025-01-01T00:00:00Z",
        "vpcConfig": vpc_config,
        "kubernetesNetworkConfig": network,
        "tagsAll": dict(ctx.inputs.get("tags") or {}),
    }


autoname("aws:eks/nodeGroup:NodeGroup", prop="nodeGroupName")
autoname("aws:ec2/launchTemplate:LaunchTemplate")


@outputs_for("aws:eks/nodeGroup:NodeGroup")
def _node_group(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    group = ctx.inputs["nodeGroupName"]
    return {
        "__id": f"{cluster}:{group}",
        "arn": ctx.arn("eks", f"nodegroup/{cluster}/{group}/{ctx.hex(8, 'uuid')}"),
        "status": "ACTIVE",
        "releaseVersion": f"{ctx.inputs.get('version', '1.32')}.0-20250101",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{ctx.hex(8, 'asg')}"}]}],
    }


@outputs_for("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(ctx: MockContext) -> dict[str, Any]:
    template_id = f"lt-{ctx.hex(17)}"
    return {
        "__id": template_id,
        "arn": ctx.arn("ec2", f"launch-template/{template_id}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


@outputs_for("aws:eks/addon:Addon")
def _addon(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    addon = ctx.inputs.get("addonName", ctx.name)
    # Without a pinned version, EKS installs its default for the cluster's Kubernetes version.
    version = ctx.inputs.get("addonVersion") or "v1.0.0-eksbuild.1"
    return {
        "__id": f"{cluster}:{addon}",
        "arn": ctx.arn("eks", f"addon/{cluster}/{addon}/{ctx.hex(8, 'uuid')}"),
        "addonVersion": version,
    }


@outputs_for("aws:eks/accessEntry:AccessEntry")
def _access_entry(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    principal = ctx.inputs.get("principalArn", "")
    return {
        "__id": f"{cluster}:{principal}",
        "accessEntryArn": ctx.arn("eks", f"access-entry/{cluster}/{ctx.hex(8, 'uuid')}"),
        "type": ctx.inputs.get("type", "STANDARD"),
        "userName": principal,
    }


@outputs_for("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
def _access_policy_association(ctx: MockContext) -> dict[str, Any]:
    cluster = ctx.inputs.get("clusterName", "cluster")
    principal = ctx.inputs.get("principalArn", "")
    policy = ctx.inputs.get("policyArn", "")
    return {"__id": f"{cluster}#{principal}#{policy}", "associatedAt": "2025-01-01T00:00:00Z"}


# A mock, not AWS's catalogue: plausible "most recent" builds per add-on, keyed by the Kubernetes minor
# version where the add-on's builds follow it (kube-proxy matches the minor; CoreDNS moves with it).
# Deterministic, so plans and tests are stable; answers are shaped like DescribeAddonVersions'.
_ADDON_BUILDS: dict[str, dict[str, str]] = {
    "vpc-cni": {"*": "v1.20.4-eksbuild.2"},
    "coredns": {
        "1.29": "v1.11.4-eksbuild.14",
        "1.30": "v1.11.4-eksbuild.14",
        "1.31": "v1.11.4-eksbuild.14",
        "1.32": "v1.11.4-eksbuild.14",
        "1.33": "v1.12.4-eksbuild.1",
        "1.34": "v1.12.4-eksbuild.1",
        "*": "v1.13.1-eksbuild.1",
    },
    "aws-ebs-csi-driver": {"*": "v1.51.1-eksbuild.1"},
    "metrics-server": {"*": "v0.8.0-eksbuild.2"},
    "amazon-cloudwatch-observability": {"*": "v4.4.0-eksbuild.1"},
}


@invoke("aws:eks/getAddonVersion:getAddonVersion")
def _addon_version(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    addon = args.get("addonName", "")
    kubernetes = args.get("kubernetesVersion", "")
    if addon == "kube-proxy":
        version = f"v{kubernetes}.3-eksbuild.2"
    elif addon in _ADDON_BUILDS:
        builds = _ADDON_BUILDS[addon]
        version = builds.get(kubernetes, builds["*"])
    else:
        # EKS answers an unknown add-on name with an error, not an empty version.
        raise ValueError(
            f"mock getAddonVersion: no add-on {addon!r} (known: kube-proxy, {', '.join(_ADDON_BUILDS)})"
        )
    return {
        "id": addon,
        "addonName": addon,
        "kubernetesVersion": kubernetes,
        "mostRecent": args.get("mostRecent", False),
        "region": ctx.region,
        "version": version,
    }
