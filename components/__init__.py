"""dataplatform components: secure-by-default building blocks for AWS data platforms.

Import what you need; submodules load lazily so that importing one component
does not pull in every provider SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

from components._validation import ConfigIssue, InvalidConfigError, SettingsModel
from components.tags import REQUIRED_TAG_KEYS, merge_tags, validate_tags

_LAZY = {
    "Network": "components.network",
    "NetworkArgs": "components.network",
    "NetworkSettings": "components.network",
    "DataLakeBucket": "components.datalake",
    "DataLakeBucketArgs": "components.datalake",
    "DataLakeSettings": "components.datalake",
    "EksCluster": "components.eks",
    "EksClusterArgs": "components.eks",
    "EksClusterSettings": "components.eks",
    "Warehouse": "components.warehouse",
    "WarehouseArgs": "components.warehouse",
    "WarehouseSettings": "components.warehouse",
    "PipelineService": "components.pipeline_service",
    "PipelineServiceArgs": "components.pipeline_service",
    "PipelineServiceSettings": "components.pipeline_service",
}

__all__ = [
    "REQUIRED_TAG_KEYS",
    "ConfigIssue",
    "InvalidConfigError",
    "SettingsModel",
    "merge_tags",
    "validate_tags",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
