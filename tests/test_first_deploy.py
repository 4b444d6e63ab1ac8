"""A first `pulumi up` in a fresh account: the deployer's path, versions that agree, pinned nodes.

Each refusal is made by the real stack program with one config value changed, and nothing may be
registered before it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.eks import EksClusterSettings
from components.eks.compat import TABLE_PATH, chart_support_problem, table
from components.eks.karpenter_settings import KARPENTER_VERSION
from components.eks.keda import KEDA_VERSION
from components.eks.versions import DEFAULT_KUBERNETES_VERSION
from dpengine.engine import EngineError, run_program

ROOT = Path(__file__).resolve().parent.parent


def _section(stack: str, key: str) -> Any:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"][f"dataplatform:{key}"]


def refused(stack: str, key: str, value: Any) -> dict[str, str]:
    """The issues (path -> message) of ``stack`` with ``dataplatform:<key>`` set to ``value``."""
    with pytest.raises(EngineError) as err:
        run_program(ROOT, stack, config_overrides={f"dataplatform:{key}": json.dumps(value)})
    assert err.value.kind == "config"
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return {issue.path: issue.message for issue in err.value.error.issues}  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the deployer


def test_prod_inside_the_vpc_without_a_runner_is_refused() -> None:
    cluster = _section("prod", "cluster")
    del cluster["deployer_cidrs"]
    issues = refused("prod", "cluster", cluster)
    assert list(issues) == ["dataplatform:cluster.deployer_security_group_ids"]
    assert issues["dataplatform:cluster.deployer_security_group_ids"].startswith(
        "deploy_from is inside_vpc, but no runner is named"
    )


@pytest.mark.parametrize(
    ("cidr", "start"),
    [
        ("203.0.113.0/24", "overlaps the documentation range 203.0.113.0/24 (RFC 5737)"),
        ("10.10.4.0/24", "is or contains a private range (RFC 1918)"),
        ("0.0.0.0/0", "opens the API endpoint to the whole internet"),
    ],
)
def test_dev_public_access_cidrs_must_be_a_real_public_egress(cidr: str, start: str) -> None:
    cluster = {**_section("dev", "cluster"), "public_access_cidrs": [cidr]}
    issues = refused("dev", "cluster", cluster)
    assert list(issues) == ["dataplatform:cluster.public_access_cidrs[0]"]
    assert issues["dataplatform:cluster.public_access_cidrs[0]"].startswith(start)


def test_the_vpc_cidr_as_public_access_cidr_is_refused_with_its_reason() -> None:
    # The VPC is always private space (NetworkSettings), so its own CIDR is refused as private.
    cluster = {**_section("dev", "cluster"), "public_access_cidrs": [_section("dev", "network")["cidr"]]}
    issues = refused("dev", "cluster", cluster)
    assert issues["dataplatform:cluster.public_access_cidrs[0]"].startswith(
        "is or contains a private range (RFC 1918): the public endpoint never sees it as a source address"
    )


# --------------------------------------------------------------------------- versions


def test_the_table_is_package_data_beside_the_pack() -> None:
    assert TABLE_PATH == ROOT / "policies" / "kubernetes_versions.json"
    assert set(table()["charts"]) == {"karpenter", "keda", "metrics-server"}
    for row in table()["charts"].values():
        assert row["source"].startswith("https://")


def test_the_defaults_satisfy_the_table() -> None:
    for product, version in (("karpenter", KARPENTER_VERSION), ("keda", KEDA_VERSION)):
        assert chart_support_problem(product, version, DEFAULT_KUBERNETES_VERSION) is None, product


def test_the_rules_of_each_row() -> None:
    # Karpenter: a minimum per Kubernetes version (1.36 needs >= 1.13).
    assert chart_support_problem("karpenter", "1.13.0", "1.36") is None
    assert chart_support_problem("karpenter", "1.12.3", "1.36") == (
        "Karpenter 1.12.3 does not support Kubernetes 1.36: it needs Karpenter >= 1.13 "
        "(https://karpenter.sh/docs/upgrading/compatibility/); raise the Karpenter version or lower "
        "kubernetes_version"
    )
    assert chart_support_problem("karpenter", "1.14.1", "1.37").startswith(  # type: ignore[union-attr]
        "Karpenter's compatibility table has no row for Kubernetes 1.37"
    )
    # KEDA: the tested window of each minor (2.20: 1.33-1.35; 2.21: 1.34-1.36).
    assert chart_support_problem("keda", "2.20.2", "1.35") is None
    assert chart_support_problem("keda", "2.20.2", "1.36") == (
        "KEDA 2.20.2 is tested on Kubernetes 1.33-1.35, not 1.36 "
        "(https://keda.sh/docs/2.22/operate/cluster/); "
        "use KEDA 2.21.x or change kubernetes_version"
    )
    assert chart_support_problem("keda", "2.21.1", "1.33") is not None
    # metrics-server: each minor from a Kubernetes version on (0.9 needs 1.34+).
    assert chart_support_problem("metrics-server", "v0.8.1-eksbuild.1", "1.31") is None
    assert chart_support_problem("metrics-server", "v0.9.0-eksbuild.1", "1.33") == (
        "metrics-server v0.9.0-eksbuild.1 needs Kubernetes 1.34 or later, not 1.33 "
        "(https://github.com/kubernetes-sigs/metrics-server#compatibility-matrix); pin an older "
        "metrics-server or raise kubernetes_version"
    )


def test_a_keda_version_outside_the_cluster_version_names_both() -> None:
    cluster = {**_section("prod", "cluster"), "keda": {"version": "2.20.2"}}
    issues = refused("prod", "cluster", cluster)
    assert list(issues) == ["dataplatform:cluster.keda.version"]
    assert (
        "KEDA 2.20.2 is tested on Kubernetes 1.33-1.35, not 1.36"
        in issues["dataplatform:cluster.keda.version"]
    )


def test_settings_check_every_chart_and_pinned_addon(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    from components._validation import InvalidConfigError
    from components.eks import versions

    # A day when 1.33 is in extended support (the EKS calendar is not under test here).
    monkeypatch.setattr(versions, "_today", lambda: datetime.date(2026, 12, 1))

    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings(
            deploy_from="inside_vpc",
            deployer_cidrs=["10.0.8.0/24"],
            kubernetes_version="1.33",
            upgrade_policy="EXTENDED",
            keda={"version": "2.21.1"},
            addon_versions={"metrics_server": "v0.9.0-eksbuild.1"},
        )
    assert {issue.path: issue.message.split(" (")[0] for issue in err.value.issues} == {
        "keda.version": "KEDA 2.21.1 is tested on Kubernetes 1.34-1.36, not 1.33",
        "addon_versions.metrics_server": (
            "metrics-server v0.9.0-eksbuild.1 needs Kubernetes 1.34 or later, not 1.33"
        ),
    }


# --------------------------------------------------------------------------- nodes


def test_prod_nodes_run_a_pinned_ami_and_latest_is_refused() -> None:
    run = run_program(ROOT, "prod")
    (node_class,) = run.by_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    assert node_class.inputs["spec"]["amiSelectorTerms"] == [{"alias": "al2023@v20260714"}]
    cluster = {**_section("prod", "cluster"), "karpenter": {"ami_alias": "al2023@latest"}}
    issues = refused("prod", "cluster", cluster)
    assert list(issues) == ["dataplatform:cluster.karpenter.ami_alias"]
    assert issues["dataplatform:cluster.karpenter.ami_alias"].startswith(
        "prod nodes must run a pinned AMI release"
    )


# --------------------------------------------------------------------------- placeholders and secrets


def test_placeholders_anywhere_are_refused_with_their_key_path() -> None:
    operations = _section("prod", "operations")
    operations["alerts"]["subscriptions"] = [
        {"protocol": "https", "endpoint": "https://events.pagerduty.com/integration/REPLACE_ME/enqueue"},
        {"protocol": "email", "endpoint": "platform-oncall@example.com"},
    ]
    issues = refused("prod", "operations", operations)
    assert issues == {
        "dataplatform:operations.alerts.subscriptions[0].endpoint": (
            "holds the placeholder 'REPLACE_ME'; set the real value"
        ),
        "dataplatform:operations.alerts.subscriptions[1].endpoint": (
            "uses an example domain (RFC 2606: example.com/.org/.net, .example), which nobody receives; "
            "set the real address"
        ),
    }


def test_a_documentation_range_deeper_in_the_config_is_refused() -> None:
    network = {**_section("dev", "network"), "extra_cidrs": ["198.51.100.0/24"]}
    with pytest.raises(EngineError) as err:
        run_program(ROOT, "dev", config_overrides={"dataplatform:network": json.dumps(network)})
    assert err.value.resources == []
    found = [(i.path, i.message) for i in err.value.error.issues]  # type: ignore[union-attr]
    assert (
        "dataplatform:network.extra_cidrs[0]",
        "uses the documentation range 198.51.100.0/24 (RFC 5737), "
        "which no real host has; set the real address",
    ) in found


def test_an_endpoint_carrying_a_key_must_be_a_secret() -> None:
    operations = _section("prod", "operations")
    url = "https://events.pagerduty.com/integration/3f9a0c2e7b514d8e9a1c6b2d4e5f7a80/enqueue"
    operations["alerts"]["subscriptions"] = [{"protocol": "https", "endpoint": url}]
    issues = refused("prod", "operations", operations)
    assert list(issues) == ["dataplatform:operations.alerts.subscriptions[0].endpoint"]
    message = issues["dataplatform:operations.alerts.subscriptions[0].endpoint"]
    assert message.startswith("carries a key in its URL")
    assert "endpoint_secret" in message


def test_alert_endpoints_set_in_plain_text_are_refused_without_echoing_them() -> None:
    from components._validation import InvalidConfigError
    from components.stack_config import load_stack_config

    values = {
        key.split(":", 1)[1]: value
        for key, value in yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"].items()
        if key.startswith("dataplatform:")
    }
    values["alert_endpoints"] = {"oncall": "oncall@corp.internal"}
    with pytest.raises(InvalidConfigError) as err:
        load_stack_config(values, "eu-west-1", secret_keys=())
    issues = {i.path: i.message for i in err.value.issues}
    assert list(issues) == ["dataplatform:alert_endpoints"]
    assert issues["dataplatform:alert_endpoints"].startswith("must hold secure: values")
    assert "oncall@corp.internal" not in str(err.value)
    # Set with --secret (as the stack file does), the same values load.
    assert load_stack_config(values, "eu-west-1", secret_keys={"alert_endpoints"}).alert_endpoints == {
        "oncall": "oncall@corp.internal"
    }


def test_a_subscription_naming_a_missing_secret_is_refused() -> None:
    operations = _section("dev", "operations")
    operations["alerts"]["subscriptions"] = [{"protocol": "email", "endpoint_secret": "pager"}]
    issues = refused("dev", "operations", operations)
    assert list(issues) == ["dataplatform:operations.alerts.subscriptions[0].endpoint_secret"]


def test_the_prod_plan_subscribes_secret_endpoints_only() -> None:
    run = run_program(ROOT, "prod")
    subscriptions = run.by_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["protocol"] for s in subscriptions) == ["email", "https"]
    assert all(s.masked_inputs["endpoint"] == "[secret]" for s in subscriptions)


# --------------------------------------------------------------------------- ordering by need


def test_prod_nodes_and_addons_wait_for_routes_associations_and_endpoints() -> None:
    run = run_program(ROOT, "prod")
    needed = {
        r.urn
        for token in (
            "aws:ec2/route:Route",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/vpcEndpoint:VpcEndpoint",
        )
        for r in run.by_type(token)
        if not r.name.startswith(("network-public", "network-data"))
    }
    # Three NAT routes and three private associations (one per AZ), the S3 gateway and four interface
    # endpoints (ecr.api, ecr.dkr, sts, logs).
    assert len(needed) == 3 + 3 + 1 + 4
    (group,) = run.by_type("aws:eks/nodeGroup:NodeGroup")
    assert needed <= set(group.dependencies)
    addons = {r.inputs["addonName"]: r for r in run.by_type("aws:eks/addon:Addon")}
    for name in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        assert needed <= set(addons[name].dependencies), name
