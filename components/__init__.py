"""dataplatform components: secure-by-default building blocks for AWS data platforms.

Every public name is imported explicitly, so type checkers see the real classes
(``from components import DataLakeBucket`` is as typed as the submodule path).
"""

from __future__ import annotations

from ._validation import ConfigIssue, InvalidConfigError, SettingsModel
from .datalake import DataLakeBucket, DataLakeBucketArgs, DataLakeSettings
from .eks import EksCluster, EksClusterArgs, EksClusterSettings
from .network import Network, NetworkArgs, NetworkSettings
from .operations import DisasterRecovery, DisasterRecoveryArgs, Operations, OperationsArgs, OperationsSettings
from .pipeline_service import PipelineService, PipelineServiceArgs, PipelineServiceSettings
from .tags import REQUIRED_TAG_KEYS, merge_tags, validate_tags
from .warehouse import Warehouse, WarehouseArgs, WarehouseSettings

__all__ = [
    "REQUIRED_TAG_KEYS",
    "ConfigIssue",
    "DataLakeBucket",
    "DataLakeBucketArgs",
    "DataLakeSettings",
    "DisasterRecovery",
    "DisasterRecoveryArgs",
    "EksCluster",
    "EksClusterArgs",
    "EksClusterSettings",
    "InvalidConfigError",
    "Network",
    "NetworkArgs",
    "NetworkSettings",
    "Operations",
    "OperationsArgs",
    "OperationsSettings",
    "PipelineService",
    "PipelineServiceArgs",
    "PipelineServiceSettings",
    "SettingsModel",
    "Warehouse",
    "WarehouseArgs",
    "WarehouseSettings",
    "merge_tags",
    "validate_tags",
]
