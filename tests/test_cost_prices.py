"""The price table's internal consistency (sizes within a family scale, regions keep their order,
every figure has a source, derived ones name their anchor), and `cost` never aborting: what it
cannot price is listed, and a mandatory budget fails on an incomplete estimate."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from dpengine.cli import main
from dpengine.cost.derive_sizes import KEYS, derive, family_sizes, size_factor, split
from dpengine.cost.prices import default_table_path

ROOT = Path(__file__).resolve().parent.parent
TABLE = json.loads(default_table_path().read_text())


def _families(options: dict[str, float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for option, price in options.items():
        family, size = split(option)
        out.setdefault(family, {})[size] = price
    return out


@pytest.mark.parametrize("region", sorted(TABLE["regions"]))
def test_sizes_within_a_family_scale_linearly(region: str) -> None:
    for key in KEYS:
        for family, sizes in _families(TABLE["regions"][region].get(key, {})).items():
            units = {size: price / factor for size, price in sizes.items() if (factor := size_factor(size))}
            low, high = min(units.values()), max(units.values())
            # Within 2 %: AWS rounds small figures to the cent's tenth (db.t4g.micro $0.016).
            assert high <= low * 1.02, f"{region} {key} {family}: per-size prices {units} do not scale"
            # Every current size of a priced family is priced (metal aside: no vCPU count in its name).
            assert sorted(sizes) == sorted(family_sizes(family)) or not family_sizes(family), family


def test_regions_keep_their_ordering() -> None:
    # us-east-1 is AWS's cheapest region for these families, Ireland dearer, Frankfurt dearer still.
    order = ["us-east-1", "eu-west-1", "eu-central-1"]
    for key in KEYS:
        for option in TABLE["regions"]["us-east-1"].get(key, {}):
            prices = [TABLE["regions"][r].get(key, {}).get(option) for r in order]
            present = [p for p in prices if p is not None]
            assert present == sorted(present), f"{key} {option}: {dict(zip(order, prices))}"


def test_every_figure_has_its_source_and_derived_ones_name_their_anchor() -> None:
    for region, prices in TABLE["regions"].items():
        for key in KEYS:
            sources = TABLE["figures"][region][key]
            assert set(sources) == set(prices.get(key, {})), (region, key)
            for option, source in sources.items():
                if source.startswith("derived: "):
                    anchor, _, factor = source.removeprefix("derived: ").partition(" x ")
                    assert not sources[anchor].startswith("derived"), (region, option)
                    assert split(anchor)[0] == split(option)[0]
                    expected = prices[key][anchor] * float(factor.split()[0])
                    assert prices[key][option] == pytest.approx(expected, rel=1e-6)
                else:
                    assert source.startswith(("hand-checked", "https://")), (region, option, source)


def test_the_table_is_what_the_derivation_makes() -> None:
    assert derive(TABLE) == TABLE, "run `python -m dpengine.cost.derive_sizes`"


UNPRICED = """
import pulumi_aws as aws

aws.eks.NodeGroup(
    "gpu",
    cluster_name="c",
    node_role_arn="arn:aws:iam::123456789012:role/n",
    subnet_ids=["s"],
    instance_types=["p5.48xlarge"],
    scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=1, max_size=1, desired_size=1),
)
aws.sqs.Queue("jobs")
"""


def test_cost_with_an_unknown_instance_type_lists_it_and_exits_0(tmp_path: Path, capsys) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (project / "__main__.py").write_text(textwrap.dedent(UNPRICED))
    assert main(["cost", "-C", str(project)]) == 0
    out = capsys.readouterr().out
    assert "INCOMPLETE: 1 resource(s) not priced for a missing price (listed below)" in out
    assert "Not priced (AWS bills these; the total leaves them out): 1" in out
    assert (
        "aws:eks/nodeGroup:NodeGroup: missing price: no EC2 on-demand instance price for 'p5.48xlarge'" in out
    )
    assert "(gpu)" in out
    assert "Total: $" in out  # an estimate all the same: the queue is priced


def test_the_prod_budget_fails_on_an_incomplete_estimate(capsys) -> None:
    # An arm64 family (valid, with its AMI type) that the table has no Ireland price for.
    group = (
        'dataplatform:cluster.node_groups=[{"name": "system", "instance_types": ["x2gd.xlarge"], '
        '"ami_type": "AL2023_ARM_64_STANDARD", "min_size": 3, "max_size": 6, "labels": {"workload": '
        '"system"}, "taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]}]'
    )
    argv = ["check", "--dir", str(ROOT), "--stack", "prod", "--format", "json", "-c", group]
    assert main(argv) == 1
    report = json.loads(capsys.readouterr().out)
    budget = [v for v in report["violations"] if v["policy"] == "stack-monthly-budget"]
    assert [v["enforcement"] for v in budget] == ["mandatory"]
    assert budget[0]["message"].startswith(
        "the cost estimate is incomplete: 1 resource(s) could not be priced"
    )
    assert "x2gd.xlarge" in budget[0]["message"]
    assert not [s for s in report["skipped"] if s["policy"] == "stack-monthly-budget"]
