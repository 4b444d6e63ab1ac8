"""Rebuild the price table from the public AWS Price List bulk files (needs the network).

    python -m dpengine.cost.update_prices [--region eu-west-1 --region us-east-1 ...] [--date YYYY-MM-DD]

For each region and each offer in :data:`SPEC` it downloads
``https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/<region>/index.json``
(the format: https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html:
``products`` by SKU with ``productFamily`` and ``attributes``; ``terms.OnDemand[sku][offerTermCode]
.priceDimensions[rateCode]`` with ``unit``, ``beginRange`` and ``pricePerUnit.USD``), and writes
``prices-<date>.json`` beside this module, keeping the current table's notes and EKS calendar.
Keyed prices (instance types, storage classes) are limited to the options the current table has,
plus any ``--instance-type``: the EC2 file lists thousands.

:func:`extract` does the parsing, on an offer already read: the tests run it on a hand-made sample.
"""

from __future__ import annotations

import argparse
import datetime
import json
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .prices import default_table_path

BULK_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"


@dataclass(frozen=True)
class Rule:
    """How one price of the table is found in an offer file."""

    key: str
    offer: str
    product_family: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    """Attributes a product must have (exact values)."""
    usagetype_suffix: str | None = None
    """For a single price: the product's ``usagetype`` ends with this (prefixes carry the region)."""
    usagetype_contains: str | None = None
    option_attribute: str | None = None
    """For a keyed price: the attribute naming the option (``instanceType``)."""
    option_names: Mapping[str, str] = field(default_factory=dict)
    """Attribute value (or usagetype suffix) -> option name in the table, when they differ."""
    option_by_usagetype: bool = False
    """Options come from :attr:`option_names` matched as usagetype suffixes."""
    scale: float = 1.0
    """Table unit / bulk unit: 10,000 for "per 10k requests", 1e6 for "per million"."""


_EC2_LINUX = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}
_S3_CLASSES = {
    "Standard": "STANDARD",
    "Intelligent-Tiering Frequent Access": "INTELLIGENT_TIERING",
    "Standard - Infrequent Access": "STANDARD_IA",
    "One Zone - Infrequent Access": "ONEZONE_IA",
    "Glacier Instant Retrieval": "GLACIER_IR",
    "Amazon Glacier": "GLACIER",
    "Glacier Deep Archive": "DEEP_ARCHIVE",
}

SPEC: tuple[Rule, ...] = (
    Rule("eks.cluster_hour.standard", "AmazonEKS", usagetype_suffix="AmazonEKS-Hours:perCluster"),
    Rule("eks.cluster_hour.extended", "AmazonEKS", usagetype_suffix="AmazonEKS-Hours:extendedSupport"),
    Rule("vpc.nat_gateway_hour", "AmazonEC2", usagetype_suffix="NatGateway-Hours"),
    Rule("vpc.nat_gateway_gb", "AmazonEC2", usagetype_suffix="NatGateway-Bytes"),
    Rule("vpc.interface_endpoint_az_hour", "AmazonVPC", usagetype_suffix="VpcEndpoint-Hours"),
    Rule("vpc.interface_endpoint_gb", "AmazonVPC", usagetype_suffix="VpcEndpoint-Bytes"),
    Rule("vpc.public_ipv4_hour", "AmazonVPC", usagetype_suffix="PublicIPv4:InUseAddress"),
    # The classic ELB's usage types end the same way: the product family tells the ALB's apart.
    Rule("elb.alb_hour", "AWSELB", "Load Balancer-Application", usagetype_suffix="LoadBalancerUsage"),
    Rule("elb.alb_lcu_hour", "AWSELB", "Load Balancer-Application", usagetype_suffix="LCUUsage"),
    Rule(
        "ec2.instance_hour",
        "AmazonEC2",
        product_family="Compute Instance",
        attributes=_EC2_LINUX,
        usagetype_contains="BoxUsage:",
        option_attribute="instanceType",
    ),
    Rule("ebs.gb_month", "AmazonEC2", product_family="Storage", option_attribute="volumeApiName"),
    Rule(
        "rds.instance_hour.postgres",
        "AmazonRDS",
        product_family="Database Instance",
        attributes={"databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"},
        option_attribute="instanceType",
    ),
    Rule(
        "rds.storage_gb_month",
        "AmazonRDS",
        product_family="Database Storage",
        option_by_usagetype=True,
        option_names={"RDS:GP3-Storage": "gp3", "RDS:GP2-Storage": "gp2", "RDS:PIOPS-Storage": "io1"},
    ),
    Rule("rds.backup_gb_month", "AmazonRDS", usagetype_suffix="RDS:ChargedBackupUsage"),
    Rule(
        "redshift.node_hour",
        "AmazonRedshift",
        product_family="Compute Instance",
        option_attribute="instanceType",
    ),
    Rule("redshift.managed_storage_gb_month", "AmazonRedshift", product_family="Redshift Managed Storage"),
    Rule("kms.key_month", "awskms", usagetype_suffix="KMS-Keys"),
    Rule("kms.requests_10k", "awskms", usagetype_suffix="KMS-Requests", scale=10_000),
    Rule("secretsmanager.secret_month", "AWSSecretsManager", usagetype_suffix="AWSSecretsManager-Secrets"),
    Rule(
        "secretsmanager.api_calls_10k",
        "AWSSecretsManager",
        usagetype_suffix="AWSSecretsManager-APIRequest",
        scale=10_000,
    ),
    Rule("logs.ingest_gb", "AmazonCloudWatch", usagetype_suffix="DataProcessing-Bytes"),
    Rule("logs.storage_gb_month", "AmazonCloudWatch", usagetype_suffix="TimedStorage-ByteHrs"),
    Rule("cloudwatch.alarm_month", "AmazonCloudWatch", usagetype_suffix="CW:AlarmMonitorUsage"),
    Rule("ecr.storage_gb_month", "AmazonECR", usagetype_suffix="TimedStorage-ByteHrs"),
    Rule("athena.tb_scanned", "AmazonAthena", usagetype_suffix="DataScannedInTB"),
    Rule(
        "s3.storage_gb_month",
        "AmazonS3",
        product_family="Storage",
        option_attribute="volumeType",
        option_names=_S3_CLASSES,
    ),
    Rule(
        "sqs.requests_million",
        "AWSQueueService",
        option_by_usagetype=True,
        option_names={"Requests-Tier1": "standard", "Requests-FIFO-Tier1": "fifo"},
        scale=1e6,
    ),
    Rule("backup.warm_storage_gb_month", "AWSBackup", usagetype_suffix="WarmStorage-ByteHrs-EBS"),
)


def _on_demand_price(offer: Mapping[str, Any], sku: str) -> float | None:
    """The first paid tier of ``sku``'s on-demand price (a free first tier is skipped)."""
    terms = (offer.get("terms") or {}).get("OnDemand", {}).get(sku) or {}
    for term in terms.values():
        dimensions = sorted(
            (term.get("priceDimensions") or {}).values(), key=lambda d: float(d.get("beginRange") or 0)
        )
        prices = [
            float(d["pricePerUnit"]["USD"]) for d in dimensions if "USD" in (d.get("pricePerUnit") or {})
        ]
        paid = [p for p in prices if p > 0]
        if paid:
            return paid[0]
        if prices:
            return prices[0]
    return None


def _option(rule: Rule, product: Mapping[str, Any]) -> str | None:
    attributes = product.get("attributes") or {}
    if rule.option_by_usagetype:
        usagetype = str(attributes.get("usagetype", ""))
        for suffix, name in rule.option_names.items():
            if usagetype.endswith(suffix):
                return name
        return None
    value = attributes.get(rule.option_attribute or "")
    return rule.option_names.get(value, value) if isinstance(value, str) else None


def _matches(rule: Rule, product: Mapping[str, Any]) -> bool:
    attributes = product.get("attributes") or {}
    usagetype = str(attributes.get("usagetype", ""))
    if rule.product_family and product.get("productFamily") != rule.product_family:
        return False
    if any(attributes.get(k) != v for k, v in rule.attributes.items()):
        return False
    if rule.usagetype_suffix and not usagetype.endswith(rule.usagetype_suffix):
        return False
    return not (rule.usagetype_contains and rule.usagetype_contains not in usagetype)


def extract(
    rule: Rule, offer: Mapping[str, Any], wanted: Iterable[str] | None = None
) -> float | dict[str, float] | None:
    """The price ``rule`` describes in ``offer`` (a parsed bulk file): one number, or option -> price
    for a keyed rule (only the ``wanted`` options, when given). None when nothing matches."""
    keep = set(wanted) if wanted is not None else None
    keyed = rule.option_attribute is not None or rule.option_by_usagetype
    found: dict[str, float] = {}
    single: float | None = None
    for sku, product in (offer.get("products") or {}).items():
        if not _matches(rule, product):
            continue
        price = _on_demand_price(offer, sku)
        if price is None:
            continue
        price = round(price * rule.scale, 8)
        if not keyed:
            single = price if single is None else min(single, price)
            continue
        option = _option(rule, product)
        if option is not None and (keep is None or option in keep):
            found[option] = min(found.get(option, price), price)
    return found if keyed else single


def build_region(
    offers: Mapping[str, Mapping[str, Any]], current: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The region's prices from its ``offers`` (offer code -> parsed file), and the keys not found.

    ``current`` is the region's entry in the current table: its options are the ones kept, and a
    price the offers lack is kept from it (and reported)."""
    prices: dict[str, Any] = {}
    missing: list[str] = []
    for rule in SPEC:
        old = current.get(rule.key)
        wanted = list(old) if isinstance(old, Mapping) else None
        value = extract(rule, offers.get(rule.offer) or {}, wanted)
        if isinstance(value, dict):
            gaps = [o for o in wanted or [] if o not in value]
            missing += [f"{rule.key}[{o}]" for o in gaps]
            # a figure never found (an added --instance-type) is dropped, never kept as zero
            value = {**{o: old[o] for o in gaps if isinstance(old, Mapping) and old[o]}, **value}
            value = dict(sorted(value.items()))
        if value is None or value == {}:
            missing.append(rule.key)
            value = old
        if value is not None:
            prices[rule.key] = value
    return prices, missing


def _download(offer: str, region: str, fetch: Callable[[str], bytes]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fetch(BULK_URL.format(offer=offer, region=region)))
    return data


def _fetch(url: str) -> bytes:  # pragma: no cover - needs the network
    with urllib.request.urlopen(url, timeout=300) as response:
        body: bytes = response.read()
        return body


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - needs the network
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", action="append", help="regions (default: those of the current table)")
    parser.add_argument("--instance-type", action="append", default=[], help="also price these EC2 types")
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args(argv)
    current = json.loads(default_table_path().read_text())
    regions = args.region or list(current["regions"])
    table = {**current, "price_date": args.date, "regions": {}}
    for region in regions:
        base = dict(current["regions"].get(region) or next(iter(current["regions"].values())))
        base["ec2.instance_hour"] = {
            **base.get("ec2.instance_hour", {}),
            **dict.fromkeys(args.instance_type, 0),
        }
        offers = {offer: _download(offer, region, _fetch) for offer in sorted({r.offer for r in SPEC})}
        prices, missing = build_region(offers, base)
        table["regions"][region] = prices
        for key in missing:
            print(f"warning: {region}: {key} not found in the bulk files; kept the previous figure")
    out = default_table_path().parent / f"prices-{args.date}.json"
    out.write_text(json.dumps(table, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
