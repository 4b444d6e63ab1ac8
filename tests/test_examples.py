"""examples/analytics: a separate Pulumi project that imports our components and reads the platform stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import policies
from dpengine.check import evaluate, load_config
from dpengine.engine import EngineError, run_program
from dpengine.pack import PolicyPackSpec

ROOT = Path(__file__).resolve().parent.parent
ANALYTICS = ROOT / "examples" / "analytics"
PLATFORM_OUTPUTS = json.loads((ANALYTICS / "stack-references.dev.json").read_text())

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


def test_analytics_stack_builds_on_the_platform_outputs() -> None:
    run = run_program(ANALYTICS, "dev", stack_references=PLATFORM_OUTPUTS)
    assert run.project == "analytics"
    assert sorted(r.type for r in run.resources if r.type.startswith("dataplatform:")) == [
        "dataplatform:storage:DataLakeBucket",
        "dataplatform:workload:PipelineService",
    ]
    provider = run.one("pulumi:providers:kubernetes", "platform-cluster")
    # The platform's kubeconfig is a secret output (marked in the file as `dataplatform outputs`
    # writes it): the consumer's provider input is the value, secret.
    assert PLATFORM_OUTPUTS["acme/dataplatform/dev"]["kubeconfig"]["secret"] is True
    assert provider.inputs["kubeconfig"] == PLATFORM_OUTPUTS["acme/dataplatform/dev"]["kubeconfig"]["value"]
    assert provider.masked_inputs["kubeconfig"] == "[secret]"
    kube_objects = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert len(kube_objects) == 7
    assert all(r.provider and r.provider.startswith(provider.urn + "::") for r in kube_objects)
    trust = json.loads(run.one("aws:iam/role:Role", "reporting-role").inputs["assumeRolePolicy"])
    statement = trust["Statement"][0]
    assert statement["Principal"]["Federated"] == PLATFORM_OUTPUTS["acme/dataplatform/dev"]["oidcProviderArn"]
    # The service trusts the platform's OIDC issuer (its URL without the scheme) for its own account.
    issuer = PLATFORM_OUTPUTS["acme/dataplatform/dev"]["oidcProviderUrl"].removeprefix("https://")
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:reporting:reporting",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "reporting-policy").inputs["policy"])
    object_arns = {
        arn
        for st in policy["Statement"]
        for arn in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
        if arn.startswith("arn:aws:s3:::") and "/" in arn
    }
    bucket = run.outputs["lakeBuckets"]["staging"]
    assert object_arns == {f"arn:aws:s3:::{bucket}/staging/*", f"arn:aws:s3:::{bucket}/marts/*"}
    assert run.outputs["platformCluster"] == PLATFORM_OUTPUTS["acme/dataplatform/dev"]["clusterName"]


def test_analytics_stack_passes_the_policy_pack() -> None:
    run = run_program(ANALYTICS, "dev", stack_references=PLATFORM_OUTPUTS)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / "dev.json"))
    assert report.mandatory == []


def test_missing_platform_outputs_is_a_clear_error() -> None:
    with pytest.raises(EngineError) as err:
        run_program(ANALYTICS, "dev", stack_references={})
    assert "StackReference 'acme/dataplatform/dev' has no mocked outputs" in str(err.value)


def test_bad_example_config_names_its_key() -> None:
    with pytest.raises(EngineError) as err:
        run_program(
            ANALYTICS,
            "dev",
            stack_references=PLATFORM_OUTPUTS,
            config_overrides={
                "analytics:service": json.dumps({"name": "reporting", "image": "repo/app:latest"})
            },
        )
    assert err.value.kind == "config"
    issues = err.value.error.issues  # type: ignore[union-attr]
    assert [(i.path, i.message.split(",")[0]) for i in issues] == [
        ("analytics:service.image", "uses the ':latest' tag")
    ]
    assert err.value.resources == []
