"""Both stacks pass the system policies with nothing undecided; the examples, whose cluster is another
stack's, pass with the undecided parts said as such."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from system_programs import PACK

from dpengine.check import evaluate, load_config
from dpengine.engine import run_program

ROOT = Path(__file__).resolve().parent.parent
SYSTEM = {name for name, meta in PACK.registry.items() if meta.domain == "system"}


def test_the_system_domain() -> None:
    assert sorted(SYSTEM) == [
        "api-reachability",
        "autoscaling-capacity",
        "autoscaling-chain",
        "awaited-image-pushed",
        "catalog-location-readable",
        "chart-version-support",
        "data-flows",
        "egress-dns",
        "ingress-controller",
        "keda-scaler-identity",
        "master-secret-workload-access",
        "networkpolicy-enforcement",
        "pod-schedulability",
        "queue-has-producer",
        "spot-service-linked-role",
        "stateful-resource-protection",
        "workload-identity",
        "workload-wiring",
    ]
    assert {name: PACK.registry[name].kind for name in SYSTEM} == dict.fromkeys(SYSTEM, "stack")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stacks_pass_with_nothing_undecided(stack: str) -> None:
    report = evaluate(run_program(ROOT, stack), PACK, load_config(ROOT / "policies" / f"{stack}.json"))
    assert [v for v in report.violations if v.policy in SYSTEM] == []
    assert [s for s in report.skipped if s.policy in SYSTEM] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_first_preview_fails_nothing_and_says_what_it_cannot_decide(stack: str) -> None:
    # As in `pulumi preview` before the first deploy, computed outputs (role trust policies built
    # from the cluster's OIDC provider ARN, ...) are unknown: never a violation, an advisory at most.
    run = run_program(ROOT, stack, preview=True)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / f"{stack}.json"))
    assert [v for v in report.violations if v.policy in SYSTEM] == []
    undecided = [s for s in report.skipped if s.policy in SYSTEM]
    assert undecided and all("unknown during preview" in s.message for s in undecided)


def test_prod_without_the_deploy_from_declaration_is_unreachable() -> None:
    run = run_program(ROOT, "prod")
    cluster = run.one("eks:index:Cluster")
    cluster.inputs["tags"].pop("dataplatform.io/deploy-from")
    report = evaluate(run, PACK, load_config(ROOT / "policies" / "prod.json"))
    assert [(v.policy, v.name, v.enforcement) for v in report.violations] == [
        ("api-reachability", "eks-cluster", "mandatory")
    ]


@pytest.mark.parametrize(
    ("example", "undecided"),
    [
        ("analytics", ["autoscaling-chain", "networkpolicy-enforcement", "pod-schedulability"]),
        # Its Karpenter chart goes to the platform's cluster, whose version this program does not see.
        ("workloads", ["autoscaling-chain", "chart-version-support", "networkpolicy-enforcement"]),
    ],
)
def test_examples_on_another_stacks_cluster(example: str, undecided: list[str]) -> None:
    directory = ROOT / "examples" / example
    references = json.loads((directory / "stack-references.dev.json").read_text())
    report = evaluate(
        run_program(directory, "dev", stack_references=references),
        PACK,
        load_config(ROOT / "policies" / "dev.json"),
    )
    assert [v for v in report.violations if v.policy in SYSTEM] == []
    # The platform stack's add-ons and node group are not in this program: said, not guessed.
    assert sorted(s.policy for s in report.skipped if s.policy in SYSTEM) == undecided
