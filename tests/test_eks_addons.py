"""The cluster runtime's pure documents: add-on configuration values and the default StorageClass."""

from __future__ import annotations

import datetime
import json
from typing import Any

import kubernetes_validate
import pytest

from components.eks import EksClusterSettings, NodeGroupSettings, Taint
from components.eks import versions as eks_versions
from components.eks.addons import (
    SYSTEM_PLACED_ADDONS,
    addon_configuration,
    configuration_json,
    default_storage_class,
    system_node_groups,
    system_placement_values,
    tolerations,
)
from components.eks.settings import ADDONS_AFTER_NODES, ADDONS_BEFORE_NODES

KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
K8S_VERSION = "1.36"

# The configuration keys each add-on's schema offers that the project relies on (research notes §2:
# EKS add-on schemas expose tolerations/nodeSelector/affinity; §3: vpc-cni enableNetworkPolicy; the
# EBS CSI chart nests the controller's placement under ``controller``). A key outside this fixture
# would be refused by EKS's schema check at deploy time: check it with
# `aws eks describe-addon-configuration --addon-name <name> --addon-version <v>` before adding it.
SCHEMA_KEYS: dict[str, set[str]] = {
    "vpc-cni": {"enableNetworkPolicy"},
    "coredns": {"tolerations", "affinity"},
    "metrics-server": {"tolerations", "affinity"},
    "aws-ebs-csi-driver": {"controller"},
}
CONTROLLER_KEYS = {"tolerations", "affinity"}

SYSTEM_AFFINITY = {
    "nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "preference": {
                    "matchExpressions": [
                        {
                            "key": "dataplatform.io/pool",
                            "operator": "In",
                            "values": ["system"],
                        }
                    ]
                },
            }
        ]
    }
}
SYSTEM_TOLERATIONS = [
    {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
]


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    # The settings' version rule is date-bound: these tests run as on 2026-12-01 (1.36 in standard support).
    monkeypatch.setattr(eks_versions, "_today", lambda: datetime.date(2026, 12, 1))


def placement() -> dict[str, Any] | None:
    settings = EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"])
    return system_placement_values(system_node_groups(settings))


# --------------------------------------------------------------------------- placement


def test_the_system_group_comes_from_the_settings() -> None:
    settings = EksClusterSettings(
        deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], spot_node_group=True
    )
    assert [g.name for g in system_node_groups(settings)] == ["system"]
    renamed = EksClusterSettings(
        deploy_from="inside_vpc",
        deployer_cidrs=["10.0.8.0/24"],
        node_groups=[
            {"name": "apps", "instance_types": ["m6i.large"]},
            {
                "name": "platform",
                "instance_types": ["m6i.large"],
                "taints": [
                    {"key": "CriticalAddonsOnly", "effect": "NO_EXECUTE"},
                    {"key": "example.com/dedicated", "value": "ops", "effect": "PREFER_NO_SCHEDULE"},
                ],
            },
        ],
    )
    groups = system_node_groups(renamed)
    assert [g.name for g in groups] == ["platform"]
    # Every taint of the group is tolerated, in Kubernetes spelling; no value means Exists.
    assert tolerations(groups) == [
        {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoExecute"},
        {"key": "example.com/dedicated", "operator": "Equal", "value": "ops", "effect": "PreferNoSchedule"},
    ]
    values = system_placement_values(groups)
    assert values is not None
    term = values["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["preference"]["matchExpressions"][0]["values"] == ["platform"]


def test_a_toleration_is_listed_once() -> None:
    taint = Taint(key="CriticalAddonsOnly", value="true", effect="NO_SCHEDULE")
    groups = [
        NodeGroupSettings(name=name, instance_types=["m6i.large"], taints=[taint])
        for name in ("sys-a", "sys-b")
    ]
    assert tolerations(groups) == SYSTEM_TOLERATIONS
    values = system_placement_values(groups)
    assert values is not None
    expression = values["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert expression["preference"]["matchExpressions"] == [
        {"key": "dataplatform.io/pool", "operator": "In", "values": ["sys-a", "sys-b"]}
    ]


def test_without_a_system_group_nothing_is_placed() -> None:
    settings = EksClusterSettings(
        deploy_from="inside_vpc",
        deployer_cidrs=["10.0.8.0/24"],
        node_groups=[{"name": "apps", "instance_types": ["m6i.large"]}],
    )
    assert system_node_groups(settings) == []
    assert system_placement_values([]) is None
    for addon in SYSTEM_PLACED_ADDONS:
        assert addon_configuration(addon, None) is None


# --------------------------------------------------------------------------- configuration values


def test_configuration_documents_are_exact() -> None:
    values = placement()
    assert values == {"tolerations": SYSTEM_TOLERATIONS, "affinity": SYSTEM_AFFINITY}
    got = {addon: addon_configuration(addon, values) for addon in (*ADDONS_BEFORE_NODES, *ADDONS_AFTER_NODES)}
    assert got == {
        # The string "true", as the vpc-cni schema takes it (research §3).
        "vpc-cni": {"enableNetworkPolicy": "true"},
        "kube-proxy": None,
        "coredns": {"tolerations": SYSTEM_TOLERATIONS, "affinity": SYSTEM_AFFINITY},
        "aws-ebs-csi-driver": {
            "controller": {"tolerations": SYSTEM_TOLERATIONS, "affinity": SYSTEM_AFFINITY}
        },
        "metrics-server": {"tolerations": SYSTEM_TOLERATIONS, "affinity": SYSTEM_AFFINITY},
    }
    # The vpc-cni document does not depend on placement, and is a fresh copy each time.
    assert addon_configuration("vpc-cni") == {"enableNetworkPolicy": "true"}
    first = addon_configuration("vpc-cni")
    assert first is not None
    first["enableNetworkPolicy"] = "false"
    assert addon_configuration("vpc-cni") == {"enableNetworkPolicy": "true"}


def test_only_keys_of_the_addon_schemas_are_emitted() -> None:
    values = placement()
    for addon, keys in SCHEMA_KEYS.items():
        document = addon_configuration(addon, values)
        assert document is not None and set(document) <= keys, addon
    ebs = addon_configuration("aws-ebs-csi-driver", values)
    assert ebs is not None and set(ebs["controller"]) <= CONTROLLER_KEYS
    # Every add-on that runs a Deployment is placed; the DaemonSet ones are not.
    assert set(SYSTEM_PLACED_ADDONS) == {"coredns", "metrics-server", "aws-ebs-csi-driver"}
    assert not set(SYSTEM_PLACED_ADDONS) & set(ADDONS_BEFORE_NODES)


def test_configuration_json_is_stable() -> None:
    assert configuration_json(None) is None
    assert configuration_json({"b": 1, "a": {"d": "x", "c": True}}) == '{"a":{"c":true,"d":"x"},"b":1}'
    assert configuration_json(addon_configuration("vpc-cni")) == '{"enableNetworkPolicy":"true"}'
    assert json.loads(str(configuration_json(addon_configuration("coredns", placement())))) == {
        "tolerations": SYSTEM_TOLERATIONS,
        "affinity": SYSTEM_AFFINITY,
    }


def test_placement_values_validate_as_pod_spec_fields() -> None:
    # The placement goes into the add-ons' pod specs: it must be valid Kubernetes for the version.
    values = placement()
    assert values is not None
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **values},
    }
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


# --------------------------------------------------------------------------- storage


def test_default_storage_class_document() -> None:
    assert default_storage_class(KEY) == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {
            "type": "gp3",
            "encrypted": "true",
            "kmsKeyId": KEY,
            "csi.storage.k8s.io/fstype": "ext4",
        },
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def test_default_storage_class_validates_for_the_cluster_version() -> None:
    # kubernetes_validate 1.37.0 ships the 1.36 schemas (strict: unknown fields are errors).
    assert "1.36.0" in kubernetes_validate.utils.all_versions()
    kubernetes_validate.validate(default_storage_class(KEY), K8S_VERSION, strict=True)
    broken = {**default_storage_class(KEY), "allowVolumeExpansion": "yes"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
