"""The shipped price table: a dated JSON file of AWS on-demand prices (USD) per region.

``prices-<date>.json`` beside this module; the newest one is the default. Every lookup that has no
figure raises :class:`PriceError` naming the region, the price and how to add it: an estimate never
prices an unknown instance type or region at zero.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class PriceError(ValueError):
    """A price the table does not have (a region, an instance type, a storage class...)."""


def default_table_path() -> Path:
    """The newest ``prices-YYYY-MM-DD.json`` beside this module."""
    found = sorted(HERE.glob("prices-*.json"))
    if not found:  # pragma: no cover - the package ships one
        raise PriceError(f"no price table (prices-*.json) in {HERE}")
    return found[-1]


@dataclass(frozen=True)
class PriceTable:
    price_date: str
    currency: str
    regions: Mapping[str, Mapping[str, Any]]
    eks_versions: Mapping[str, str]
    """Kubernetes minor version -> first day of extended support (ISO date)."""
    source: str
    """The table's file name, for messages."""

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        file = Path(path) if path is not None else default_table_path()
        try:
            data = json.loads(file.read_text())
        except OSError as error:
            raise PriceError(f"cannot read the price table {file}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise PriceError(f"{file}: not valid JSON ({error.msg} at line {error.lineno})") from None
        return cls.from_data(data, file.name)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], source: str = "price table") -> PriceTable:
        return cls(
            price_date=str(data["price_date"]),
            currency=str(data.get("currency", "USD")),
            regions=data["regions"],
            eks_versions=data.get("eks_versions", {}),
            source=source,
        )

    def region(self, region: str) -> RegionPrices:
        if region not in self.regions:
            raise PriceError(
                f"no prices for region {region!r} in {self.source} "
                f"(it has: {', '.join(sorted(self.regions))}); "
                f"add the region with `python -m dpengine.cost.update_prices --region {region}`"
            )
        return RegionPrices(region, self.regions[region], self)

    def eks_extended_from(self, version: str) -> datetime.date:
        if version not in self.eks_versions:
            raise PriceError(
                f"Kubernetes version {version!r} is not in the EKS support calendar of {self.source} "
                f"(it has {', '.join(self.eks_versions)}); add its end of standard support"
            )
        return datetime.date.fromisoformat(self.eks_versions[version])


@dataclass(frozen=True)
class RegionPrices:
    name: str
    prices: Mapping[str, Any]
    table: PriceTable

    def rate(self, key: str, option: str | None = None, *, what: str | None = None) -> float:
        """The price ``key`` (for a keyed price, its ``option``: an instance type, a storage class)."""
        if key not in self.prices:
            raise PriceError(f"{self.table.source} has no price {key!r} for {self.name}")
        value = self.prices[key]
        if option is None:
            if isinstance(value, Mapping):  # pragma: no cover - a programming error, not input
                raise PriceError(f"price {key!r} needs an option ({', '.join(value)})")
            return float(value)
        if not isinstance(value, Mapping) or option not in value:
            import difflib

            close = difflib.get_close_matches(option, list(value), n=3) if isinstance(value, Mapping) else []
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            label = what or key
            raise PriceError(
                f"no {label} price for {option!r} in {self.name} ({self.table.source}){hint}; "
                "check the name, or add its price with `python -m dpengine.cost.update_prices`"
            )
        return float(value[option])
