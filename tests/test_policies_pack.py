"""The pack as a whole: metadata of every policy, config files, exemptions, enforcement levels
from config, and the real engine's entry point (checked without running it)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy

import policies
from dpengine.check import (
    evaluate,
    load_config,
    make_servicer,
    resolve_config,
    resource_record,
    synthetic_run,
)
from dpengine.engine import ResourceRecord
from dpengine.pack import PolicyPackSpec
from policies import ALL_POLICIES, EXEMPT_PREFIX, REGISTRY

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
OPEN_SSH = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


def test_every_policy_has_complete_metadata() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names)) == len(REGISTRY) == 66
    for policy in ALL_POLICIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name), policy.name
        assert policy.description.endswith("."), policy.name
        assert isinstance(policy.severity, Severity), policy.name
        assert policy.remediation_steps and len(policy.remediation_steps) > 20, policy.name
        assert policy.enforcement_level in (EnforcementLevel.ADVISORY, EnforcementLevel.MANDATORY)
        assert policy.config_schema is not None and "exemptions" in policy.config_schema.properties
        assert isinstance(policy, (ResourceValidationPolicy, StackValidationPolicy))
        assert REGISTRY[policy.name].kind == (
            "stack" if isinstance(policy, StackValidationPolicy) else "resource"
        )


def test_analyzer_info_carries_severity_and_remediation() -> None:
    info = make_servicer(PACK).GetAnalyzerInfo(None, None)
    assert info.name == "dataplatform"
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == set(REGISTRY)
    tags = by_name["aws-required-tags"]
    assert tags.remediation_steps.startswith("Pass the stack's tag set")
    assert tags.severity != 0
    assert "requiredTags" in tags.configSchema.properties


def test_main_only_builds_the_pack() -> None:
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    calls = [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PolicyPack"
    ]
    assert len(calls) == 1
    assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def test_pack_project_file_and_requirements() -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    requirements = (PACK_DIR / "requirements.txt").read_text()
    for package in ("pulumi-policy", "pulumi-aws", "pulumi>=", "PyYAML"):
        assert package in requirements


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_configs_are_valid(stack: str) -> None:
    resolved = resolve_config(PACK, load_config(PACK_DIR / f"{stack}.json"))
    assert set(resolved) == set(REGISTRY)
    tags = resolved["aws-required-tags"][1]["requiredTags"]
    assert set(tags) == {"Environment", "Project", "Owner", "CostCenter", "ManagedBy"}
    levels = {level for level, _ in resolved.values()}
    if stack == "prod":
        assert levels == {"mandatory", "advisory"}
        # Advisory in prod: the capacity warning (issue 17: a warning, not a failure) and what only
        # says a rule could not decide.
        assert sorted(n for n, (level, _) in resolved.items() if level == "advisory") == [
            "autoscaling-capacity",
            "provider-conformance-undecided",
        ]
        assert tags["Environment"] == ["prod"]
    else:
        assert resolved["k8s-probes"][0] == "advisory"
        assert resolved["no-public-admin-ingress"][0] == "mandatory"
        assert set(tags["Environment"]) == {"dev", "staging", "prod"}


def test_config_errors_name_the_problem() -> None:
    with pytest.raises(ValueError) as error:
        resolve_config(
            PACK,
            {
                "no-public-admin-ingres": "mandatory",
                "k8s-probes": "blocking",
                "aws-required-tags": {"requiredTag": {}},
                "no-public-admin-ingress": {"restrictedPorts": ["ssh"]},
                "all": [],
            },
        )
    # One line per problem, each starting with the exact key path it is about.
    assert str(error.value).splitlines() == [
        "invalid policy pack config:",
        "  no-public-admin-ingres: no policy of that name; did you mean 'no-public-admin-ingress'?",
        "  k8s-probes: 'blocking' is not an enforcement level (advisory, mandatory, remediate, disabled)",
        "  all: must be an enforcement level or an object, not list",
        "  aws-required-tags.requiredTag: unknown setting (known: exemptions, requiredTags)",
        "  no-public-admin-ingress: restrictedPorts.0: 'ssh' is not of type 'integer'",
    ]


# --------------------------------------------------------------------------- enforcement levels


def levels(config: dict[str, Any] | None) -> dict[str, str]:
    record = resource_record("aws:ec2/securityGroup:SecurityGroup", "sg", OPEN_SSH)
    cluster = resource_record("eks:index:Cluster", "eks", {"encryptionConfigKeyArn": "arn:k"})
    report = evaluate(synthetic_run([record, cluster]), PACK, config)
    return {v.policy: v.enforcement for v in report.violations}


def test_enforcement_defaults_come_from_each_policy() -> None:
    assert levels(None) == {
        "no-public-admin-ingress": "mandatory",
        "aws-required-tags": "mandatory",
        "eks-endpoint-not-public": "mandatory",
    }


def test_enforcement_levels_come_from_config() -> None:
    assert levels({"all": "advisory"}) == {
        "no-public-admin-ingress": "advisory",
        "aws-required-tags": "advisory",
        "eks-endpoint-not-public": "advisory",
    }
    config = {
        "all": "advisory",
        "no-public-admin-ingress": {"enforcementLevel": "mandatory"},
        "aws-required-tags": "disabled",
    }
    assert levels(config) == {"no-public-admin-ingress": "mandatory", "eks-endpoint-not-public": "advisory"}


def test_report_exit_code_follows_mandatory_violations() -> None:
    record = resource_record("aws:ec2/securityGroup:SecurityGroup", "sg", OPEN_SSH)
    assert evaluate(synthetic_run([record]), PACK, {"all": "advisory"}).exit_code == 0
    assert evaluate(synthetic_run([record]), PACK, {"all": "mandatory"}).exit_code == 1


# --------------------------------------------------------------------------- exemptions


def evaluate_one(record: ResourceRecord, config: dict[str, Any] | None = None) -> Any:
    return evaluate(synthetic_run([record]), PACK, config)


def test_tag_exempts_a_resource_from_one_policy_with_its_reason() -> None:
    tags = {EXEMPT_PREFIX + "no-public-admin-ingress": "bastion behind SSO until Q3"}
    report = evaluate_one(
        resource_record("aws:ec2/securityGroup:SecurityGroup", "sg", {**OPEN_SSH, "tags": tags})
    )
    assert "no-public-admin-ingress" not in {v.policy for v in report.violations}
    assert "aws-required-tags" in {v.policy for v in report.violations}  # other policies still apply
    (exemption,) = report.exemptions
    assert (exemption.policy, exemption.name, exemption.reason, exemption.source) == (
        "no-public-admin-ingress",
        "sg",
        "bastion behind SSO until Q3",
        "tag",
    )
    assert exemption.message == "'sg' ingress[0] opens port(s) 22 to 0.0.0.0/0"


def test_kubernetes_annotation_exempts() -> None:
    props = {
        "metadata": {
            "name": "api",
            "annotations": {EXEMPT_PREFIX + "k8s-no-loadbalancer-service": "public API"},
        },
        "spec": {"type": "LoadBalancer"},
    }
    report = evaluate_one(resource_record("kubernetes:core/v1:Service", "api", props))
    assert report.violations == []
    assert [(e.policy, e.reason) for e in report.exemptions] == [
        ("k8s-no-loadbalancer-service", "public API")
    ]


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "sg", "reason": "vendor appliance"},
        {"name": "legacy-*", "reason": "vendor appliance"},
        {
            "urn": "urn:pulumi:test::test::aws:ec2/securityGroup:SecurityGroup::sg",
            "reason": "vendor appliance",
        },
    ],
)
def test_config_exempts_by_name_or_urn(entry: dict[str, str]) -> None:
    name = "legacy-sg" if entry.get("name") == "legacy-*" else "sg"
    record = resource_record("aws:ec2/securityGroup:SecurityGroup", name, OPEN_SSH)
    report = evaluate_one(record, {"no-public-admin-ingress": {"exemptions": [entry]}})
    assert "no-public-admin-ingress" not in {v.policy for v in report.violations}
    assert [(e.policy, e.name, e.reason, e.source) for e in report.exemptions] == [
        ("no-public-admin-ingress", name, "vendor appliance", "config")
    ]


def test_exemption_without_reason_is_not_honoured() -> None:
    tags = {EXEMPT_PREFIX + "no-public-admin-ingress": " "}
    report = evaluate_one(
        resource_record("aws:ec2/securityGroup:SecurityGroup", "sg", {**OPEN_SSH, "tags": tags})
    )
    assert "no-public-admin-ingress" in {v.policy for v in report.violations}
    assert report.exemptions == []
    with pytest.raises(ValueError) as error:
        resolve_config(PACK, {"no-public-admin-ingress": {"exemptions": [{"name": "sg"}]}})
    assert str(error.value).splitlines()[1:] == [
        "  no-public-admin-ingress: exemptions.0: 'reason' is a required property"
    ]


def test_exemption_from_another_policy_does_not_apply() -> None:
    tags = {EXEMPT_PREFIX + "imdsv2-required": "appliance"}
    report = evaluate_one(
        resource_record("aws:ec2/securityGroup:SecurityGroup", "sg", {**OPEN_SSH, "tags": tags})
    )
    assert "no-public-admin-ingress" in {v.policy for v in report.violations}
    assert report.exemptions == []


def test_stack_policy_exemption_by_tag_on_the_bucket() -> None:
    tags = {
        EXEMPT_PREFIX + "s3-bucket-tls-only": "static website bucket served over CloudFront",
        EXEMPT_PREFIX + "s3-bucket-public-access-block": "static website",
    }
    bucket = resource_record("aws:s3/bucket:Bucket", "site", {"bucket": "site-1", "tags": tags})
    report = evaluate(synthetic_run([bucket]), PACK)
    assert {v.policy for v in report.violations} == {"s3-bucket-sse-kms", "aws-required-tags"}
    assert sorted(e.policy for e in report.exemptions) == [
        "s3-bucket-public-access-block",
        "s3-bucket-tls-only",
    ]


def test_exempted_resource_is_not_applicable_in_the_real_engine() -> None:
    from dpengine.check import analyze_request

    tags = {EXEMPT_PREFIX + "no-public-admin-ingress": "bastion"}
    record = resource_record("aws:ec2/securityGroup:SecurityGroup", "sg", {**OPEN_SSH, "tags": tags})
    response = make_servicer(PACK).Analyze(analyze_request(record, {}), None)
    assert "no-public-admin-ingress" not in {d.policyName for d in response.diagnostics}
    assert [(n.policy_name, n.reason) for n in response.not_applicable] == [
        ("no-public-admin-ingress", "exempted: bastion")
    ]


def test_unknown_values_from_the_engine_are_not_violations() -> None:
    # What the real engine sends during preview: the unknown sentinel string.
    sentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    record = resource_record(
        "aws:rds/instance:Instance",
        "db",
        {"storageEncrypted": sentinel, "publiclyAccessible": sentinel, "tags": sentinel},
    )
    report = evaluate(synthetic_run([record]), PACK)
    assert report.violations == []
    assert report.skipped == []


def test_stack_config_json_files_are_plain_json_for_the_cli() -> None:
    for stack in ("dev", "prod"):
        data = json.loads((PACK_DIR / f"{stack}.json").read_text())
        # The CLI takes a string level or an object per key; never a list.
        assert all(isinstance(v, (str, dict)) for v in data.values())


def absolute_imports(path: Path) -> set[str]:
    """Top-level package names a module imports absolutely."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_pack_imports_neither_the_engine_nor_the_components() -> None:
    """Self-contained (relative imports only), so it installs as ``dataplatform.policies`` too."""
    found = {
        path.name: sorted(absolute_imports(path) & {"dpengine", "components", "policies"})
        for path in sorted(PACK_DIR.glob("*.py"))
        if path.name != "__main__.py"  # run as a script by the Pulumi CLI: imports the package by name
    }
    assert {name: names for name, names in found.items() if names} == {}
