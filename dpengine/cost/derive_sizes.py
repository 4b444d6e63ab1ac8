"""Fill in every size of each priced instance family, from one figure of the family, with its source.

AWS prices the sizes of one EC2 (and RDS) instance family linearly in their vCPUs: ``xlarge`` is
twice ``large``, ``4xlarge`` eight times, ``medium`` half (the EC2 On-Demand pricing page lists
them so; the shipped table's own figures agree to the rounding, and ``tests/test_cost_prices.py``
checks it). So one published figure per family and region prices the whole family, and every figure
so derived says which one it came from.

    python -m dpengine.cost.derive_sizes          # rewrite the newest prices-*.json in place

Sizes come from the installed pulumi-aws SDK's ``ec2.InstanceType`` enum (an RDS class is ``db.``
and an EC2 type of the same name). ``metal`` sizes are left out: their vCPUs are not in their
names. The table's ``figures`` section records, per region, price and option, where each figure
came from: the hand-checked figure of the table (``sources``/``notes``), a page quoting it (URL and
date), or ``derived: <anchor> x <factor>``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .prices import default_table_path

KEYS = ("ec2.instance_hour", "rds.instance_hour.postgres")
"""Keyed prices whose options are instance types or DB classes."""

_SIZES = {"nano": 1 / 16, "micro": 1 / 8, "small": 1 / 4, "medium": 1 / 2, "large": 1.0, "xlarge": 2.0}
_N_XLARGE = re.compile(r"^(\d+)xlarge$")


def size_factor(size: str) -> float | None:
    """A size's price relative to ``large`` (None for ``metal`` and other unnamed sizes)."""
    if size in _SIZES:
        return _SIZES[size]
    match = _N_XLARGE.match(size)
    return 2.0 * int(match.group(1)) if match else None


def split(option: str) -> tuple[str, str]:
    """``m7g.2xlarge`` -> (``m7g``, ``2xlarge``); ``db.r7g.large`` -> (``db.r7g``, ``large``)."""
    family, _, size = option.rpartition(".")
    return family, size


def family_sizes(family: str) -> list[str]:
    """Every named size of ``family`` the SDK knows (EC2 types; ``db.X`` takes X's sizes)."""
    from pulumi_aws.ec2 import InstanceType

    base = family.removeprefix("db.")
    sizes = [str(m.value).split(".", 1)[1] for m in InstanceType if str(m.value).split(".", 1)[0] == base]
    # RDS has no nano classes (its smallest is micro: RDS user guide, "DB instance classes").
    skip = {"nano"} if family.startswith("db.") else set()
    named = (s for s in sizes if size_factor(s) is not None and s not in skip)
    return sorted(named, key=lambda s: size_factor(s) or 0)


def derive(table: Mapping[str, Any]) -> dict[str, Any]:
    """``table`` with each family's missing sizes derived from an anchor figure, and ``figures``."""
    out = json.loads(json.dumps(table))
    figures: dict[str, Any] = out.setdefault("figures", {})
    for region, prices in out["regions"].items():
        region_figures = figures.setdefault(region, {})
        for key in KEYS:
            options: dict[str, float] = prices.get(key, {})
            sources = region_figures.setdefault(key, {})
            for option in options:
                sources.setdefault(option, "hand-checked figure of this table (see notes and sources)")
            anchors: dict[str, str] = {}
            for option in sorted(options):
                family, size = split(option)
                if size_factor(size) is not None and not sources[option].startswith("derived:"):
                    # The anchor: the family's own figure closest to `large`.
                    current = anchors.get(family)
                    if current is None or abs((size_factor(size) or 1) - 1) < abs(
                        (size_factor(split(current)[1]) or 1) - 1
                    ):
                        anchors[family] = option
            for family, anchor in sorted(anchors.items()):
                unit = options[anchor] / (size_factor(split(anchor)[1]) or 1)
                for size in family_sizes(family):
                    option = f"{family}.{size}"
                    if option in options and not sources.get(option, "").startswith("derived:"):
                        continue
                    factor = size_factor(size) or 1
                    anchor_factor = size_factor(split(anchor)[1]) or 1
                    options[option] = round(unit * factor, 6)
                    sources[option] = (
                        f"derived: {anchor} x {factor / anchor_factor:g} (linear within the family)"
                    )
            prices[key] = dict(sorted(options.items()))
            region_figures[key] = dict(sorted(sources.items()))
    return out


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0]) if argv else default_table_path()
    table = json.loads(path.read_text())
    path.write_text(json.dumps(derive(table), indent=2) + "\n")
    print(f"{path.name}: every size of each priced family filled in", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
