"""Settings of the Glue Data Catalog and the Athena workgroup (the ``catalog`` and ``query`` sections).

Every check here runs before anything is registered; the limits they are checked against are
the services' own, cited where they are defined.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .._access_logs import AccessLoggingSettings
from .._validation import SettingsModel

__all__ = [
    "ATHENA_ENGINE_VERSION",
    "ATHENA_MIN_BYTES_SCANNED_CUTOFF",
    "RESULTS_PREFIX",
    "CatalogSettings",
    "QuerySettings",
    "database_name",
]

ATHENA_MIN_BYTES_SCANNED_CUTOFF = 10_485_760
"""Athena's smallest per-query cutoff: 10 MiB. The Athena API documents 10,000,000 bytes, and
pulumi-aws (the Terraform provider's validation) refuses anything below 10485760 ("Must be at
least `10485760`", pulumi_aws/athena/_inputs.py, WorkgroupConfigurationArgs): the provider's
limit is the one a `pulumi up` meets first."""
ATHENA_ENGINE_VERSION: Literal["Athena engine version 3"] = "Athena engine version 3"
"""The current Athena SQL engine (Trino-based); pinned rather than ``AUTO`` so an upgrade is a
reviewed change."""
RESULTS_PREFIX = "results/"
"""Key prefix of the query results in the results bucket (the analyst policy allows only it)."""

_DATABASE_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,199}$")


def database_name(prefix: str, layer: str) -> str:
    """The Glue database of a lake layer: ``<prefix>_<layer>``, hyphens as underscores (Athena
    accepts only lowercase letters, digits and underscores in database names)."""
    return f"{prefix}_{layer.replace('-', '_')}"


class CatalogSettings(SettingsModel):
    """The Glue Data Catalog of the lake: one database per layer, encrypted with a customer key."""

    database_prefix: str = "dataplatform"
    """Databases are ``<prefix>_<layer>`` (``dataplatform_gold``). Stacks that share an account
    and region need different prefixes (the catalog is per account and region)."""
    manage_encryption_settings: bool = True
    """Own the catalog's encryption settings (SSE-KMS for metadata, KMS for connection passwords,
    with the catalog key; protected with ``deletion_protection``). They are one per account and
    region: exactly one stack of an account and region owns them (a second owner is refused,
    naming both stack files), and the others set this false, create no catalog key, and read the
    owner's key (the services' catalog policies name it)."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the databases and the catalog key."""

    @field_validator("database_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _DATABASE_PREFIX.match(value):
            raise ValueError(
                "Athena and Glue database names are lowercase letters, digits and underscores; use "
                "up to 200 of them starting with a letter, e.g. 'dataplatform_dev'"
            )
        return value


class QuerySettings(SettingsModel):
    """The stack's Athena workgroup: enforced configuration, encrypted results, a scan cutoff."""

    bytes_scanned_cutoff_per_query: int = 100 * 1024**3
    """Athena cancels a query once it has scanned this many bytes (default 100 GiB; at least
    10485760, Athena's minimum)."""
    result_expiration_days: int = Field(default=30, ge=1)
    """Days the results bucket keeps query results before they expire."""
    engine_version: Literal["Athena engine version 3"] = ATHENA_ENGINE_VERSION
    """The Athena engine version (only the current one, version 3)."""
    publish_cloudwatch_metrics: bool = True
    """Publish the workgroup's query metrics to CloudWatch."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the results bucket and key, and the
    workgroup kept on destroy with its query history (``force_destroy`` off)."""
    access_logging: AccessLoggingSettings = Field(default_factory=AccessLoggingSettings)
    """S3 server access logs of the results bucket (query results are data: who read them), in a
    log bucket of the workgroup's own."""

    @field_validator("bytes_scanned_cutoff_per_query")
    @classmethod
    def _cutoff(cls, value: int) -> int:
        if value < ATHENA_MIN_BYTES_SCANNED_CUTOFF:
            raise ValueError(
                f"Athena's smallest per-query cutoff is {ATHENA_MIN_BYTES_SCANNED_CUTOFF} bytes (10 MiB); "
                f"use {ATHENA_MIN_BYTES_SCANNED_CUTOFF} or more, e.g. 10737418240 for 10 GiB"
            )
        return value
