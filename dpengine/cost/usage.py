"""Usage: the quantities no plan can know (GB stored, requests, average Karpenter nodes).

A usage file (YAML or JSON) overrides any of the defaults below; every default is documented on its
field, and every value an estimate uses is printed among its assumptions, marked "usage file" or
"default". Names in the ``*_by_name`` maps are resource logical names or physical names (log group
names, queue names), and may be globs (``"*-dlq"``).
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PoolUsage(_Model):
    average_nodes: float | None = Field(default=None, ge=0)
    """Average number of nodes the pool runs over a month (default: ``karpenter.default_average_nodes``)."""
    instance_type: str | None = None
    """The instance type to price the pool's nodes at (default: the pool's first allowed family in its
    first allowed size, e.g. ``c6i.large``)."""
    capacity_type: Literal["spot", "on-demand"] | None = None
    """Spot or on-demand (default: spot when the pool allows spot, since Karpenter prefers it)."""


class KarpenterUsage(_Model):
    default_average_nodes: float = Field(default=1.0, ge=0)
    """Average nodes of a pool without its own entry."""
    pools: dict[str, PoolUsage] = Field(default_factory=dict)
    """Per NodePool (its ``metadata.name``)."""


class LogsUsage(_Model):
    default_ingest_gb_per_month: float = Field(default=1.0, ge=0)
    """GB ingested per month into a log group without its own entry."""
    ingest_gb_per_month: dict[str, float] = Field(default_factory=dict)
    """Per log group name (or resource name), globs allowed."""
    compression_ratio: float = Field(default=0.15, gt=0, le=1)
    """Stored size / ingested size: CloudWatch bills storage on compressed data."""


class S3Usage(_Model):
    layers_gb: dict[str, float] = Field(default_factory=dict)
    """Stored GB per lake layer (the ``layer-<name>`` lifecycle rules), in steady state."""
    default_layer_gb: float = Field(default=50.0, ge=0)
    """Stored GB of a layer without its own entry."""
    buckets_gb: dict[str, float] = Field(default_factory=dict)
    """Stored GB of a bucket without layer rules, per bucket resource name (globs allowed)."""
    default_bucket_gb: float = Field(default=10.0, ge=0)
    """Stored GB of a bucket without layer rules and without its own entry."""
    history_days: int = Field(default=730, ge=1)
    """How far back the data of a layer without expiration reaches: objects are spread evenly over
    their age, so the share in each storage class is the share of this span its transitions cover."""


class SqsUsage(_Model):
    default_requests_per_month: float = Field(default=1_000_000, ge=0)
    """API requests per queue per month (KEDA alone polls a queue every 30 s: ~86,400)."""
    requests_per_month: dict[str, float] = Field(default_factory=dict)
    """Per queue name or resource name, globs allowed."""


class Usage(_Model):
    hours_per_month: float = Field(default=730.0, gt=0, le=744)
    """Hours in the month the estimate is for (AWS's own calculator uses 730)."""
    as_of: datetime.date | None = None
    """The day the EKS support status is decided on (default: today)."""
    spot_discount: float = Field(default=0.6, ge=0, lt=1)
    """Spot's discount off on-demand. Spot prices are not in the Price List; AWS quotes 'up to 90%'
    (https://aws.amazon.com/ec2/spot/pricing/), 60% is a conservative average for c/m families."""
    nat_gateway_gb_per_month: float = Field(default=100.0, ge=0)
    """GB processed per NAT gateway per month."""
    interface_endpoint_gb_per_month: float = Field(default=10.0, ge=0)
    """GB processed per interface endpoint per month."""
    alb_lcu_per_hour: float = Field(default=1.0, ge=0)
    """Average load balancer capacity units per ALB (one LCU: 25 new connections/s, 3,000 active
    connections, 1 GB/hour of traffic to targets or 1,000 rule evaluations/s, whichever is largest)."""
    karpenter: KarpenterUsage = Field(default_factory=KarpenterUsage)
    logs: LogsUsage = Field(default_factory=LogsUsage)
    s3: S3Usage = Field(default_factory=S3Usage)
    sqs: SqsUsage = Field(default_factory=SqsUsage)
    kms_requests_per_key: float = Field(default=10_000, ge=0)
    """KMS API requests per key per month."""
    secret_api_calls_per_month: float = Field(default=10_000, ge=0)
    """Secrets Manager API calls per secret per month."""
    rds_data_gb: dict[str, float] = Field(default_factory=dict)
    """Data size per database resource name (default: its allocated storage)."""
    rds_daily_change_fraction: float = Field(default=0.05, ge=0, le=1)
    """Share of the data that changes per day: each retained day adds that much backup storage."""
    redshift_managed_storage_gb: float = Field(default=100.0, ge=0)
    """Redshift managed storage (RA3) per cluster."""
    backup_vault_gb: float = Field(default=50.0, ge=0)
    """AWS Backup warm storage per vault."""
    ecr_gb_per_repository: float = Field(default=5.0, ge=0)
    """Image storage per ECR repository (the lifecycle policy bounds it)."""
    athena_tb_scanned_per_month: float = Field(default=0.1, ge=0)
    """Data Athena scans per workgroup per month, in TB (the workgroup's per-query cutoff bounds one
    query, not the month)."""

    def given(self, path: str) -> bool:
        """Whether the usage file set ``path`` (dotted), as opposed to the default."""
        node: Any = self
        for part in path.split("."):
            if isinstance(node, BaseModel):
                if part not in node.model_fields_set:
                    return False
                node = getattr(node, part)
            elif isinstance(node, Mapping):
                if part not in node:
                    return False
                node = node[part]
            else:
                return False
        return True

    def origin(self, path: str) -> str:
        return f"usage {path}" if self.given(path) else f"default; set usage {path}"


def match_name(table: Mapping[str, float], *names: str) -> tuple[str, float] | None:
    """The entry of ``table`` for the first of ``names`` it matches: exact keys first, then globs."""
    for name in names:
        if name in table:
            return name, table[name]
    for name in names:
        for pattern, value in table.items():
            if fnmatch.fnmatchcase(name, pattern):
                return pattern, value
    return None


def load_usage(path: str | Path | None) -> Usage:
    """The usage file at ``path`` (YAML or JSON; None: all defaults). Raises ``ValueError`` naming
    each bad key path."""
    if path is None:
        return Usage()
    file = Path(path)
    try:
        text = file.read_text()
    except OSError as error:
        raise ValueError(f"cannot read usage file {file}: {error.strerror}") from None
    data: Any
    if file.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{file}: not valid JSON ({error.msg} at line {error.lineno})") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"{file}: not valid YAML ({error})") from None
    return parse_usage(data or {}, str(file))


def parse_usage(data: Any, source: str = "usage") -> Usage:
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{source}: a usage file is a mapping of setting -> value (see dpengine/cost/usage.py)"
        )
    try:
        return Usage.model_validate(dict(data))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"]) or "(root)"
            if item["type"] == "extra_forbidden":
                known = ", ".join(_known_fields(item["loc"]))
                problems.append(f"{where}: unknown setting (known here: {known})")
            else:
                problems.append(f"{where}: {item['msg']} (got {item.get('input')!r})")
        raise ValueError(f"{source}: invalid usage file:\n  " + "\n  ".join(problems)) from None


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Usage
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field is not None else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif model is KarpenterUsage and part == "pools":
            model = PoolUsage
        elif model is PoolUsage:
            continue
        else:
            return []
    return sorted(model.model_fields)
