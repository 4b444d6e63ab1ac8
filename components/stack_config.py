"""The typed config of a platform stack: one model per concern, validated once.

The stack program reads the ``dataplatform:`` namespace of ``Pulumi.<stack>.yaml``
(plus ``aws:region``) with :func:`read_stack_config`; every problem is reported
at once with its config key path, the bad value and the fix, before any resource
is registered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pydantic import Field, ValidationError, field_validator, model_validator

from ._validation import (
    ConfigIssue,
    CrossFieldError,
    InvalidConfigError,
    SettingsModel,
    format_validation_error,
)
from .datalake import DataLakeSettings
from .eks import EksClusterSettings
from .network import NetworkSettings
from .pipeline_service import PipelineServiceSettings
from .tags import REQUIRED_TAG_KEYS, tag_issues
from .warehouse import WarehouseSettings

NAMESPACE = "dataplatform"
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class LakeAccess(SettingsModel):
    """Which lake layers a service's IAM role may touch (nothing by default)."""

    read: list[str] = Field(default_factory=list)
    """Layers the service may read (s3:GetObject, s3:ListBucket on the layer's prefix)."""
    write: list[str] = Field(default_factory=list)
    """Layers the service may write (s3:PutObject, s3:AbortMultipartUpload on the layer's prefix)."""


class ServiceConfig(PipelineServiceSettings):
    """A pipeline service of the stack: its workload settings and its lake access."""

    lake_access: LakeAccess = Field(default_factory=LakeAccess)
    """Least-privilege lake access of the service's IRSA role."""


class StackConfig(SettingsModel):
    """Everything under ``dataplatform:`` in ``Pulumi.<stack>.yaml``, plus ``aws:region``."""

    environment: Literal["dev", "staging", "prod"]
    """The environment this stack is; prod turns on the prod-only checks."""
    region: str
    """The AWS region (config key ``aws:region``), e.g. ``eu-west-1``."""
    tags: dict[str, str]
    """The one tag set of the stack, applied to every taggable resource. Must hold
    Environment, Project, Owner, CostCenter and ManagedBy."""
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    """The VPC: CIDR, AZs, NAT gateways, endpoints, flow logs."""
    lake: DataLakeSettings = Field(default_factory=DataLakeSettings)
    """The S3 data lake: layers, lifecycle, encryption, protection."""
    cluster: EksClusterSettings
    """The EKS cluster: version (pinned), endpoint access, node groups, add-ons."""
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    """The warehouse: RDS PostgreSQL or Redshift."""
    services: list[ServiceConfig] = Field(default_factory=list)
    """The pipeline services deployed on the cluster."""

    @field_validator("region")
    @classmethod
    def _region_format(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("not an AWS region name; set aws:region to e.g. 'eu-west-1'")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_valid(cls, value: dict[str, str]) -> dict[str, str]:
        issues = tag_issues(value, path="tags")
        if issues:
            raise ValueError("; ".join(str(i) for i in issues))
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        issues: list[ConfigIssue] = []
        if self.tags.get("Environment") != self.environment:
            issues.append(
                ConfigIssue(
                    "tags.Environment",
                    self.tags.get("Environment"),
                    f"must equal environment ({self.environment!r}); make them the same",
                )
            )
        names = [s.name for s in self.services]
        for index, name in enumerate(names):
            if names.index(name) != index:
                issues.append(
                    ConfigIssue(f"services[{index}].name", name, "service names must be unique; rename one")
                )
        layers = set(self.lake.layer_names)
        for index, service in enumerate(self.services):
            for mode in ("read", "write"):
                unknown = sorted(set(getattr(service.lake_access, mode)) - layers)
                if unknown:
                    issues.append(
                        ConfigIssue(
                            f"services[{index}].lake_access.{mode}",
                            unknown,
                            f"unknown lake layer(s); the lake has {', '.join(sorted(layers))}",
                        )
                    )
        if self.services and not self.cluster.admin_principal_arns:
            issues.append(
                ConfigIssue(
                    "cluster.admin_principal_arns",
                    [],
                    "services are deployed through the cluster's API, which only listed admins can "
                    "reach; add the ARN of the role that runs `pulumi up`",
                )
            )
        if self.environment == "prod":
            issues += _prod_issues(self)
        if issues:
            raise CrossFieldError(issues)
        return self


def _prod_issues(config: StackConfig) -> list[ConfigIssue]:
    """What prod never allows, whatever a stack file says."""
    issues = []
    for section in ("lake", "cluster", "warehouse"):
        if not getattr(config, section).deletion_protection:
            issues.append(
                ConfigIssue(
                    f"{section}.deletion_protection",
                    False,
                    "must be true in prod so `pulumi destroy` cannot lose data; remove the override",
                )
            )
    if not config.warehouse.production:
        issues.append(
            ConfigIssue(
                "warehouse.production",
                False,
                "must be true in prod (enforces multi-AZ or multi-node and backup retention >= 7 days)",
            )
        )
    if config.network.az_count < 2:
        issues.append(
            ConfigIssue(
                "network.az_count", config.network.az_count, "prod needs at least 2 availability zones"
            )
        )
    if config.network.nat_gateways == "single":
        issues.append(
            ConfigIssue(
                "network.nat_gateways",
                "single",
                "prod needs 'per_az' so no AZ depends on another AZ's NAT gateway",
            )
        )
    return issues


def _rewrite_region_path(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    for issue in issues:
        if issue.path == f"{NAMESPACE}:region":
            issue.path = "aws:region"
    return issues


def load_stack_config(values: Mapping[str, Any], region: str | None) -> StackConfig:
    """Validate the ``dataplatform:`` namespace (``values``, keys without prefix) and region."""
    data = dict(values)
    if "region" in data:
        raise InvalidConfigError(
            [ConfigIssue(f"{NAMESPACE}:region", data["region"], "set the region as aws:region instead")]
        )
    if region is not None:
        data["region"] = region
    try:
        return StackConfig.model_validate(data)
    except ValidationError as error:
        issues = _rewrite_region_path(format_validation_error(error, StackConfig, prefix=f"{NAMESPACE}:"))
        raise InvalidConfigError(issues) from None


def read_stack_config() -> StackConfig:
    """Read and validate this stack's config; the only place the program reads ``pulumi.Config``."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    own = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for full_key in sorted(keys):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE or not key:
            continue
        raw = own.get(key)
        if raw is None:
            continue
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    return load_stack_config(values, pulumi.Config("aws").get("region"))


def stack_config_json_schema() -> dict[str, Any]:
    """JSON Schema of the ``dataplatform:`` namespace (``region`` comes from ``aws:region``)."""
    schema = StackConfig.model_json_schema()
    schema["properties"].pop("region", None)
    schema["required"] = [r for r in schema.get("required", []) if r != "region"]
    schema["title"] = "dataplatform stack config"
    schema["description"] = (
        "Keys under `config:` prefixed `dataplatform:` in Pulumi.<stack>.yaml. "
        f"Required tags: {', '.join(REQUIRED_TAG_KEYS)}. The region is `aws:region`."
    )
    return schema
