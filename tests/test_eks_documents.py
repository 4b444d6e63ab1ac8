"""The pure parts of the EKS package (documents, wiring checks, transforms): no engine, no mocks.

Partitions, regions and accounts other than the mocks' (China, GovCloud) show what the code derives
rather than what a run happens to return.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pulumi
import pytest

from components.eks import (
    ADDONS_AFTER_NODES,
    ADDONS_BEFORE_NODES,
    AddonVersions,
    EksClusterSettings,
    NodeGroupSettings,
    Taint,
    cluster_encryption_policy,
    cluster_role_trust_policy,
    disable_cluster_creator_admin,
    ebs_csi_kms_policy,
    ebs_key_policy,
    logs_key_policy,
    node_trust_policy,
    secrets_key_policy,
)
from components.eks import versions as eks_versions
from components.eks.args import irsa_role_issues
from components.eks.documents import (
    admin_access_entries,
    control_plane_log_group_arn,
    control_plane_log_group_name,
    instance_tags,
    kubeconfig_field,
    launch_template_metadata_options,
    node_labels,
    node_scaling,
    node_taints,
    root_volume,
)
from components.eks.transforms import protect_transform


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    # The settings' version rule is date-bound: these tests run as on 2026-12-01.
    monkeypatch.setattr(eks_versions, "_today", lambda: datetime.date(2026, 12, 1))


ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"


def statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    return list(parsed["Statement"])


def apps(**fields: Any) -> NodeGroupSettings:
    return NodeGroupSettings(**{"name": "apps", "instance_types": ["m6i.xlarge"], **fields})


# --------------------------------------------------------------------------- key policies


def root_of(account: str, partition: str) -> dict[str, Any]:
    return {
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def test_secrets_key_policy_is_account_administration_only() -> None:
    # EKS uses the key through the cluster role's IAM policy, so the key policy grants no service.
    assert statements(secrets_key_policy(ACCOUNT, "aws-cn")) == [root_of(ACCOUNT, "aws-cn")]


def test_ebs_key_policy_allows_this_account_through_ec2_only() -> None:
    root, ebs = statements(ebs_key_policy(ACCOUNT, "aws-cn", "cn-north-1", "amazonaws.com.cn"))
    assert root == root_of(ACCOUNT, "aws-cn")
    # "Any principal" is bounded by both conditions: callers of this account, through EC2 of this region.
    assert ebs["Principal"] == {"AWS": "*"}
    assert ebs["Condition"] == {
        "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.cn-north-1.amazonaws.com.cn"}
    }
    assert "kms:*" not in ebs["Action"] and "kms:ScheduleKeyDeletion" not in ebs["Action"]
    assert "kms:CreateGrant" in ebs["Action"]  # the Auto Scaling role attaches volumes through grants


def test_logs_key_policy_names_one_log_group() -> None:
    group_arn = control_plane_log_group_arn("aws-us-gov", "us-gov-west-1", ACCOUNT, "analytics")
    assert group_arn == f"arn:aws-us-gov:logs:us-gov-west-1:{ACCOUNT}:log-group:/aws/eks/analytics/cluster"
    root, logs = statements(
        logs_key_policy(ACCOUNT, "aws-us-gov", "us-gov-west-1", "amazonaws.com", group_arn)
    )
    assert root == root_of(ACCOUNT, "aws-us-gov")
    assert logs["Principal"] == {"Service": "logs.us-gov-west-1.amazonaws.com"}
    # An exact ARN match: no other log group (and no pattern) may use the key.
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group_arn}}


def test_control_plane_log_group_name_is_the_one_eks_writes_to() -> None:
    assert control_plane_log_group_name("analytics-prod") == "/aws/eks/analytics-prod/cluster"


# --------------------------------------------------------------------------- IAM documents


def test_cluster_role_is_for_the_eks_service_only() -> None:
    [trust] = statements(cluster_role_trust_policy())
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }


def test_cluster_encryption_policy_is_scoped_to_the_secrets_key() -> None:
    [statement] = statements(cluster_encryption_policy(KEY_ARN))
    assert statement["Resource"] == KEY_ARN
    assert statement["Action"] == ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]


def test_ebs_csi_policy_grants_only_for_aws_resources() -> None:
    grants, use = statements(ebs_csi_kms_policy(KEY_ARN))
    assert {grants["Resource"], use["Resource"]} == {KEY_ARN}
    assert grants["Action"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert "kms:CreateGrant" not in use["Action"]  # grants only through the conditioned statement


def test_node_trust_follows_the_partition() -> None:
    assert statements(node_trust_policy("amazonaws.com.cn")) == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}
    ]


# --------------------------------------------------------------------------- node groups


def test_metadata_options_require_imdsv2() -> None:
    assert launch_template_metadata_options(apps()) == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
        "instance_metadata_tags": "disabled",
    }
    relaxed = launch_template_metadata_options(apps(metadata_hop_limit=2))
    assert (relaxed["http_tokens"], relaxed["http_put_response_hop_limit"]) == ("required", 2)


def test_root_volume_is_encrypted_gp3() -> None:
    assert root_volume(apps(disk_size_gib=200)) == {
        "volume_size": 200,
        "volume_type": "gp3",
        "encrypted": "true",
        "delete_on_termination": "true",
    }


def test_instance_tags_name_the_node_without_changing_the_stack_tags() -> None:
    stack = {"Owner": "platform", "Name": "stack"}
    assert instance_tags(stack, "analytics-prod", apps()) == {
        "Owner": "platform",
        "Name": "analytics-prod-apps",
    }
    assert stack == {"Owner": "platform", "Name": "stack"}


def test_scaling_starts_at_min_size_unless_desired_is_set() -> None:
    assert node_scaling(apps(min_size=2, max_size=5)) == {"min_size": 2, "max_size": 5, "desired_size": 2}
    assert node_scaling(apps(min_size=2, max_size=5, desired_size=4))["desired_size"] == 4


def test_labels_and_taints_are_left_out_when_empty() -> None:
    # Taints are left out; labels always name the pool (the scheduling contract of pools.py).
    assert node_labels(apps()) == {"dataplatform.io/pool": "apps"} and node_taints(apps()) is None
    group = apps(
        labels={"workload": "etl"},
        taints=[
            Taint(key="example.com/etl", effect="NO_EXECUTE"),
            Taint(key="a", value="b", effect="NO_SCHEDULE"),
        ],
    )
    assert node_labels(group) == {"workload": "etl", "dataplatform.io/pool": "apps"}
    assert node_taints(group) == [
        {"key": "example.com/etl", "value": None, "effect": "NO_EXECUTE"},
        {"key": "a", "value": "b", "effect": "NO_SCHEDULE"},
    ]


def test_spot_group_joins_the_configured_groups() -> None:
    settings = EksClusterSettings(
        deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], spot_node_group=True
    )
    spot = settings.all_node_groups[-1]
    assert [g.name for g in settings.all_node_groups] == ["system", "apps", "spot"]
    assert (spot.capacity_type, spot.initial_size) == ("SPOT", 5)
    assert node_taints(spot) == [{"key": "spot", "value": "true", "effect": "NO_SCHEDULE"}]


# --------------------------------------------------------------------------- add-ons and access


def test_every_managed_addon_has_a_version_setting() -> None:
    versions = AddonVersions(vpc_cni="v1.19.2-eksbuild.1", aws_ebs_csi_driver="v1.38.1-eksbuild.1")
    assert not set(ADDONS_BEFORE_NODES) & set(ADDONS_AFTER_NODES)
    got = {addon: versions.for_addon(addon) for addon in (*ADDONS_BEFORE_NODES, *ADDONS_AFTER_NODES)}
    assert got == {
        "vpc-cni": "v1.19.2-eksbuild.1",
        "kube-proxy": None,
        "coredns": None,
        "aws-ebs-csi-driver": "v1.38.1-eksbuild.1",
        "metrics-server": None,
    }


def test_admin_access_follows_the_principal_partition() -> None:
    commercial = f"arn:aws:iam::{ACCOUNT}:role/deployer"
    gov = f"arn:aws-us-gov:iam::{ACCOUNT}:user/ops"
    china = f"arn:aws-cn:iam::{ACCOUNT}:role/team/deployer"
    entries = admin_access_entries([commercial, gov, china])
    assert [e.principal_arn for e in entries] == [commercial, gov, china]
    assert [e.policy_arn for e in entries] == [
        f"arn:{p}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        for p in ("aws", "aws-us-gov", "aws-cn")
    ]


def test_admin_access_names_do_not_depend_on_the_order() -> None:
    one, two = f"arn:aws:iam::{ACCOUNT}:role/a", f"arn:aws:iam::{ACCOUNT}:role/b"
    forward = {e.principal_arn: e.resource_suffix for e in admin_access_entries([one, two])}
    backward = {e.principal_arn: e.resource_suffix for e in admin_access_entries([two, one])}
    assert forward == backward
    assert forward[one] != forward[two]
    assert all(len(s) == 8 and int(s, 16) >= 0 for s in forward.values())


def test_irsa_role_issues() -> None:
    assert irsa_role_issues("ingest", "pipelines", "ingest-worker") == []
    # A namespace is a DNS label (no dots); a service account name is a DNS subdomain (dots allowed).
    assert [i.path for i in irsa_role_issues("ingest", "data.team", "sa.v1")] == ["namespace"]
    assert [i.path for i in irsa_role_issues("x" * 25, "-ns", "")] == ["name", "namespace", "service_account"]


# --------------------------------------------------------------------------- kubeconfig


def test_kubeconfig_fields() -> None:
    config = {
        "clusters": [{"cluster": {"server": "https://api.example"}}],
        "users": [{"user": {"exec": {"args": ["eks", "get-token", "--cluster-name", "analytics"]}}}],
    }
    assert kubeconfig_field(config, "server", "") == "https://api.example"
    assert kubeconfig_field(json.dumps(config), "cluster-name", "fallback") == "analytics"
    assert kubeconfig_field({"users": [{"user": {"exec": {"args": []}}}]}, "cluster-name", "fb") == "fb"
    assert kubeconfig_field({}, "server", "") == ""


# --------------------------------------------------------------------------- transforms


class _Args:
    def __init__(self, type_: str, props: dict[str, Any]) -> None:
        self.type_ = type_
        self.props = props
        self.opts = pulumi.ResourceOptions()
        self.custom = True
        self.name = "eks-cluster-eksCluster"


def test_transform_turns_off_cluster_creator_admin() -> None:
    props: dict[str, Any] = {
        "name": "eks-dev",
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True},
    }
    result = disable_cluster_creator_admin(_Args("aws:eks/cluster:Cluster", props))  # type: ignore[arg-type]
    assert result is not None
    assert result.props["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    assert result.props["name"] == "eks-dev"
    assert props["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True  # input untouched
    for other in ("aws:ec2/securityGroup:SecurityGroup", "eks:index:Cluster", "aws:eks/addon:Addon"):
        assert disable_cluster_creator_admin(_Args(other, dict(props))) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("props", "key"),
    [
        (
            {"accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}},
            "accessConfig",
        ),
        ({"access_config": {"authentication_mode": "API_AND_CONFIG_MAP"}}, "access_config"),
        ({}, "accessConfig"),
    ],
)
def test_creator_admin_is_off_whatever_the_props_spelling(props: dict[str, Any], key: str) -> None:
    result = disable_cluster_creator_admin(_Args("aws:eks/cluster:Cluster", props))  # type: ignore[arg-type]
    assert result is not None
    access = result.props[key]
    assert access["bootstrapClusterCreatorAdminPermissions"] is False
    assert "bootstrap_cluster_creator_admin_permissions" not in access
    assert access["authenticationMode"] in ("API", "API_AND_CONFIG_MAP")


def test_protect_transform_reaches_the_hidden_cluster_only() -> None:
    transform = protect_transform(True)
    result = transform(_Args("aws:eks/cluster:Cluster", {}))  # type: ignore[arg-type]
    assert result is not None and result.opts is not None
    assert (result.opts.protect, result.opts.retain_on_delete) == (True, True)
    assert transform(_Args("aws:ec2/securityGroup:SecurityGroup", {})) is None  # type: ignore[arg-type]
    off = protect_transform(False)(_Args("aws:eks/cluster:Cluster", {}))  # type: ignore[arg-type]
    assert off is not None and off.opts is not None and off.opts.protect is False
