"""The component package: the main components served to every Pulumi language by the Python SDK's
component provider host (``provider/__main__.py``, ``provider/PulumiPlugin.yaml``)."""

from __future__ import annotations

import json
from typing import Any

from pulumi.provider.experimental.component import ComponentProvider

from .resources import (
    COMPONENTS,
    DataLakeBucket,
    DataLakeBucketArgs,
    EksCluster,
    EksClusterArgs,
    Network,
    NetworkArgs,
    PipelineService,
    PipelineServiceArgs,
    Warehouse,
    WarehouseArgs,
)

__all__ = [
    "COMPONENTS",
    "PACKAGE_NAME",
    "DataLakeBucket",
    "DataLakeBucketArgs",
    "EksCluster",
    "EksClusterArgs",
    "Network",
    "NetworkArgs",
    "PipelineService",
    "PipelineServiceArgs",
    "Warehouse",
    "WarehouseArgs",
    "build_provider",
    "package_schema",
]

PACKAGE_NAME = "dataplatform"
"""The package's name: resource tokens are ``dataplatform:index:<Component>``."""


def build_provider(version: str = "0.0.0") -> ComponentProvider:
    """The provider the plugin serves: the schema inferred from :data:`COMPONENTS`' typed args."""
    return ComponentProvider(COMPONENTS, PACKAGE_NAME, version=version)


def package_schema(version: str = "0.0.0") -> dict[str, Any]:
    """The package schema (what ``GetSchema`` answers; ``pulumi package add`` generates SDKs from it)."""
    provider = build_provider(version)
    schema: dict[str, Any] = json.loads(provider.schema or "{}")
    return schema
