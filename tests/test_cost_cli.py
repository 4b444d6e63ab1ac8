"""``dataplatform cost`` on the real stacks, the price table's coverage and its generator, the budget."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from components.eks.versions import EKS_VERSIONS
from dpengine.check import evaluate, load_config
from dpengine.cli import _stack_reference_outputs, default_pack, main
from dpengine.cost import PriceTable, classify
from dpengine.cost.cli import estimate_run
from dpengine.cost.update_prices import SPEC, build_region, extract
from dpengine.engine import StackRun, run_program
from policies.cost import budget_message

REPO = Path(__file__).resolve().parent.parent
PROJECTS = [
    (REPO, "dev"),
    (REPO, "prod"),
    (REPO / "examples" / "analytics", "dev"),
    (REPO / "examples" / "workloads", "dev"),
]


@pytest.fixture(scope="module")
def runs() -> dict[str, StackRun]:
    return {
        f"{d.name}:{s}": run_program(d, s, stack_references=_stack_reference_outputs(d, s, []))
        for d, s in PROJECTS
    }


def test_every_type_the_stacks_and_examples_create_is_priced_or_explicitly_free(
    runs: dict[str, StackRun],
) -> None:
    types = sorted({r.type for run in runs.values() for r in run.resources})
    assert [t for t in types if classify(t) == "not priced"] == []
    assert estimate_run(_stack_run(runs, "dev")).not_priced == []
    # Listed, never silently free: the inter-region replication transfer of prod's DR copy.
    assert [(u.type, u.names) for u in estimate_run(_stack_run(runs, "prod")).not_priced] == [
        ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", ("lake-lake-replication",))
    ]
    priced = {t for t in types if classify(t) == "priced"}
    assert priced >= {
        "eks:index:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "kubernetes:karpenter.sh/v1:NodePool",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:rds/instance:Instance",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:s3/bucket:Bucket",
        "aws:sqs/queue:Queue",
    }


def _stack_run(runs: dict[str, StackRun], stack: str) -> StackRun:
    return runs[f"{REPO.name}:{stack}"]


def test_dev_costs_at_most_a_third_of_prod(runs: dict[str, StackRun]) -> None:
    dev = estimate_run(_stack_run(runs, "dev"))
    prod = estimate_run(_stack_run(runs, "prod"))
    assert 0 < dev.monthly_total_usd * 3 <= prod.monthly_total_usd
    # the prod drivers the README names (the two node costs tie: ranked by URN then)
    assert [r.name for r in prod.top_drivers(3)] == [
        "eks-system-nodes",
        "eks-karpenter-pool-apps",
        "warehouse-db",
    ]
    assert [r.name for r in dev.top_drivers(2)] == ["eks-system-nodes", "eks-cluster"]


def test_prod_prices_what_prod_configures(runs: dict[str, StackRun]) -> None:
    prod = estimate_run(_stack_run(runs, "prod"))
    by_name = {(r.type, r.name): r for r in prod.resources}
    nats = [r for r in prod.resources if r.type == "aws:ec2/natGateway:NatGateway"]
    assert len(nats) == 3  # per_az
    db = by_name[("aws:rds/instance:Instance", "warehouse-db")]
    assert db.lines[0].item == "RDS db.r7g.large postgres, Multi-AZ (primary + standby)"
    assert db.lines[0].quantity == 2 * 730
    endpoints = [r for r in prod.resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"]
    assert sorted(r.lines[0].item for r in endpoints) == [
        "interface endpoint ecr.api, 3 AZs",
        "interface endpoint ecr.dkr, 3 AZs",
        "interface endpoint logs, 3 AZs",
        "interface endpoint sts, 3 AZs",
    ]


def _cost(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["cost", "--dir", str(REPO), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_text_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cost(capsys, "--stack", "dev", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == [
        "currency",
        "region",
        "price_date",
        "monthly_total_usd",
        "resources",
        "unpriced",
        "assumptions",
    ]
    assert (data["currency"], data["region"], data["price_date"]) == ("USD", "eu-west-1", "2026-12-01")
    assert data["monthly_total_usd"] == round(sum(r["monthly_usd"] for r in data["resources"]), 2)
    assert data["assumptions"][0] == f"usage file: {REPO / 'cost-usage.dev.yaml'}"
    code, text, _ = _cost(capsys, "--stack", "dev")
    assert f"Total: ${data['monthly_total_usd']:,.2f} per month" in text
    assert "Top cost drivers:\n  1. eks-system-nodes (aws:eks/nodeGroup:NodeGroup): $141.95 (" in text
    code, markdown, _ = _cost(capsys, "--stack", "dev", "--format", "markdown")
    assert markdown.startswith(
        f"### Cost estimate: stack `dev`: ${data['monthly_total_usd']:,.2f} per month\n"
    )
    assert "| `eks` | $" in markdown


def test_cli_compare_with_a_stack_and_with_a_plan(
    runs: dict[str, StackRun], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dev_total = estimate_run(_stack_run(runs, "dev")).monthly_total_usd
    prod_total = estimate_run(_stack_run(runs, "prod")).monthly_total_usd
    code, out, _ = _cost(capsys, "--stack", "dev", "--format", "json", "--compare", "prod")
    assert code == 0
    delta = json.loads(out)["compare"]
    assert delta["base"] == "stack prod"
    assert delta["delta_monthly_usd"] == round(dev_total - prod_total, 2)
    added_nats = [r for r in delta["resources"] if r["name"] in ("network-nat-2", "network-nat-3")]
    assert {(r["change"], r["type"]) for r in added_nats} == {
        ("removed", "aws:ec2/natGateway:NatGateway"),
        ("removed", "aws:ec2/eip:Eip"),
    }
    plan = tmp_path / "dev-plan.json"
    assert main(["preview", "--dir", str(REPO), "--stack", "dev", "--json", str(plan)]) == 0
    capsys.readouterr()
    code, text, _ = _cost(capsys, "--stack", "dev", "--compare", str(plan))
    # The report wraps at 120 columns (the temporary path is long): compare the words.
    line = f"Compared with plan {plan}: ${dev_total:,.2f} -> ${dev_total:,.2f} per month ($0.00)"
    assert line in " ".join(text.split())
    assert "  no resource changes cost\n" in text


def test_cli_errors_are_messages(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "usage.yaml"
    bad.write_text("nat_gateway_gb_per_month: lots\n")
    code, _, err = _cost(capsys, "--stack", "dev", "--usage", str(bad))
    assert code == 2
    assert err.startswith(
        f"error: {bad}: invalid usage file:\n  nat_gateway_gb_per_month: Input should be a valid number"
    )
    code, _, err = _cost(capsys, "--stack", "dev", "--compare", "missing.json")
    assert (code, err) == (2, "error: --compare missing.json: no such plan file (or give a stack name)\n")


def test_price_table_eks_calendar_matches_the_component_one() -> None:
    table = PriceTable.load()
    assert {v: datetime.date.fromisoformat(d) for v, d in table.eks_versions.items()} == {
        v.version: v.end_of_standard for v in EKS_VERSIONS.values()
    }


def _product(sku: str, family: str, **attributes: str) -> dict[str, object]:
    return {"sku": sku, "productFamily": family, "attributes": attributes}


def _term(sku: str, *tiers: tuple[str, str, str]) -> dict[str, object]:
    return {
        f"{sku}.JRTCKXETXF": {
            "offerTermCode": "JRTCKXETXF",
            "sku": sku,
            "priceDimensions": {
                f"{sku}.JRTCKXETXF.{i}": {"unit": unit, "beginRange": begin, "pricePerUnit": {"USD": usd}}
                for i, (begin, usd, unit) in enumerate(tiers)
            },
        }
    }


SAMPLE_EC2 = {
    "formatVersion": "v1.0",
    "offerCode": "AmazonEC2",
    "products": {
        "A": _product(
            "A",
            "Compute Instance",
            instanceType="m6i.large",
            operatingSystem="Linux",
            tenancy="Shared",
            preInstalledSw="NA",
            capacitystatus="Used",
            licenseModel="No License required",
            usagetype="EU-BoxUsage:m6i.large",
        ),
        "B": _product(
            "B",
            "Compute Instance",
            instanceType="m6i.large",
            operatingSystem="Windows",
            tenancy="Shared",
            preInstalledSw="NA",
            capacitystatus="Used",
            licenseModel="No License required",
            usagetype="EU-BoxUsage:m6i.large",
        ),
        "C": _product(
            "C",
            "Compute Instance",
            instanceType="c6i.large",
            operatingSystem="Linux",
            tenancy="Shared",
            preInstalledSw="NA",
            capacitystatus="Used",
            licenseModel="No License required",
            usagetype="EU-BoxUsage:c6i.large",
        ),
        "N": _product("N", "NAT Gateway", usagetype="EU-NatGateway-Hours"),
        "S": _product("S", "Storage", volumeApiName="gp3", usagetype="EU-EBS:VolumeUsage.gp3"),
    },
    "terms": {
        "OnDemand": {
            **{"A": _term("A", ("0", "0.1070000000", "Hrs"))},
            **{"B": _term("B", ("0", "0.1990000000", "Hrs"))},
            **{"C": _term("C", ("0", "0.0960000000", "Hrs"))},
            **{"N": _term("N", ("0", "0.0480000000", "Hrs"))},
            **{"S": _term("S", ("0", "0.0880000000", "GB-Mo"))},
        }
    },
}
SAMPLE_SQS = {
    "offerCode": "AWSQueueService",
    "products": {"Q": _product("Q", "API Request", usagetype="EU-Requests-Tier1")},
    # a free first tier in line: the first paid tier is the price
    "terms": {
        "OnDemand": {
            "Q": _term("Q", ("0", "0.0000000000", "Requests"), ("1000000", "0.0000004000", "Requests"))
        }
    },
}


def test_update_prices_parses_the_bulk_format() -> None:
    rules = {r.key: r for r in SPEC}
    assert extract(rules["ec2.instance_hour"], SAMPLE_EC2, ["m6i.large", "c6i.large"]) == {
        "m6i.large": 0.107,
        "c6i.large": 0.096,  # the Windows SKU is not Linux
    }
    assert extract(rules["ec2.instance_hour"], SAMPLE_EC2, ["m6i.large"]) == {"m6i.large": 0.107}
    assert extract(rules["vpc.nat_gateway_hour"], SAMPLE_EC2) == 0.048
    assert extract(rules["ebs.gb_month"], SAMPLE_EC2, ["gp3"]) == {"gp3": 0.088}
    assert extract(rules["vpc.nat_gateway_gb"], SAMPLE_EC2) is None
    assert extract(rules["sqs.requests_million"], SAMPLE_SQS) == {"standard": 0.4}


def test_update_prices_builds_a_region_and_reports_gaps() -> None:
    current = PriceTable.load().regions["eu-west-1"]
    prices, missing = build_region({"AmazonEC2": SAMPLE_EC2, "AWSQueueService": SAMPLE_SQS}, current)
    assert prices["vpc.nat_gateway_hour"] == 0.048
    assert prices["ec2.instance_hour"]["m6i.large"] == 0.107
    assert prices["sqs.requests_million"] == {"fifo": 0.5, "standard": 0.4}  # fifo kept from the table
    assert "sqs.requests_million[fifo]" in missing and "vpc.nat_gateway_gb" in missing
    assert "ec2.instance_hour[t3.large]" in missing
    assert set(prices) == set(current)  # nothing dropped


# --------------------------------------------------------------------------- the budget policy


def test_budget_passes_within_and_fails_above_with_the_exact_message(runs: dict[str, StackRun]) -> None:
    pack = default_pack()
    run = _stack_run(runs, "prod")
    config = load_config(REPO / "policies" / "prod.json")
    assert [v for v in evaluate(run, pack, config).violations if v.policy == "stack-monthly-budget"] == []
    total = estimate_run(run).monthly_total_usd
    config["stack-monthly-budget"]["max_monthly_usd"] = 1000
    (violation,) = [v for v in evaluate(run, pack, config).violations if v.policy == "stack-monthly-budget"]
    top = estimate_run(run).top_drivers(3)
    assert violation.enforcement == "mandatory"
    assert violation.message == (
        f"estimated monthly cost ${total:,.2f} exceeds max_monthly_usd $1,000.00 by ${total - 1000:,.2f} "
        "(eu-west-1, AWS prices of 2026-12-01); top drivers: "
        + ", ".join(f"{r.name} ${r.monthly_usd:,.2f}" for r in top)
    )
    dev = load_config(REPO / "policies" / "dev.json")
    dev["stack-monthly-budget"]["max_monthly_usd"] = 10
    (advisory,) = [
        v
        for v in evaluate(_stack_run(runs, "dev"), pack, dev).violations
        if v.policy == "stack-monthly-budget"
    ]
    assert advisory.enforcement == "advisory"


def test_budget_cannot_decide_without_a_price_and_says_nothing_without_a_budget() -> None:
    assert budget_message({"error": "no prices for region 'xx-1'"}, 100) == (
        "can't run policy 'stack-monthly-budget': the stack cannot be priced: no prices for region 'xx-1'"
    )
    assert budget_message({"monthly_total_usd": 99.5, "top": []}, 100) is None
    assert budget_message({"monthly_total_usd": 100.0, "top": []}, 100) is None
