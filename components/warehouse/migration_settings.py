"""Settings of the warehouse's bootstrap job and of the database users it makes.

The job is the only holder of the master secret: it runs once per change, on the cluster, in its
own namespace, as its own IRSA role, and makes each service's database user with exactly the
grants of its access level. Services connect as those users with IAM credentials.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .._validation import SettingsModel

__all__ = [
    "DEFAULT_CLIENT_IMAGE",
    "DEFAULT_SECRET_READER_IMAGE",
    "DatabaseUser",
    "MigrationSettings",
    "database_identifier_problem",
]

DEFAULT_CLIENT_IMAGE = "public.ecr.aws/docker/library/postgres:17.2-bookworm"
"""The job's SQL client: the Docker official PostgreSQL image (psql 17 talks to PostgreSQL 12-17 and
to Redshift), from ECR Public's mirror of the official images. Its Debian base installs
``postgresql-common``, which depends on ``perl`` and ``libjson-perl`` (Debian bookworm), so the job
parses the secret's JSON with Perl's core ``JSON::PP``. Pinned by tag; set ``client_image`` to a
digest or to a private ECR copy (required without NAT: ECR Public is on the internet)."""
DEFAULT_SECRET_READER_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.17.0"
"""The init container that reads the master secret with the job's IRSA credentials (the AWS CLI v2
image, ECR Public). Pinned by tag; override like ``client_image``."""

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED = frozenset({"public", "rdsadmin", "rds_iam", "rds_superuser", "pg_catalog", "information_schema"})


def database_identifier_problem(value: str) -> str | None:
    """Why ``value`` is not a plain lowercase SQL identifier we may create, or None."""
    if not _IDENTIFIER.match(value):
        return "use 1-63 lowercase letters, digits and underscores, starting with a letter"
    if value.startswith("pg_") or value in _RESERVED - {"public"}:
        return f"{value!r} is reserved by PostgreSQL or RDS; choose another name"
    return None


class DatabaseUser(SettingsModel):
    """A service's database user: what the bootstrap job creates and grants."""

    name: str
    """The user (role with LOGIN) the service connects as."""
    access: Literal["read", "write"]
    """``read``: USAGE and SELECT on ``schemas``; ``write``: USAGE and SELECT, INSERT, UPDATE, DELETE
    on the tables of ``schemas`` (and their sequences), the schemas it owns. Neither may create or
    alter tables: DDL is the job's, as the admin."""
    schemas: list[str] = Field(min_length=1)
    """The schemas the user reads (``read``) or writes (``write``)."""
    service: str = ""
    """The service the user belongs to (shown in comments of the SQL)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = database_identifier_problem(value)
        if problem or value == "public":
            raise ValueError(problem or "'public' is a schema, not a user name")
        return value

    @field_validator("schemas")
    @classmethod
    def _schemas(cls, value: list[str]) -> list[str]:
        for schema in value:
            problem = database_identifier_problem(schema)
            if problem:
                raise ValueError(f"schema {schema!r}: {problem}")
        if len(set(value)) != len(value):
            raise ValueError("a schema is listed twice; keep one")
        return value


class MigrationSettings(SettingsModel):
    """The bootstrap job of the warehouse (made when a service of the stack has warehouse access)."""

    namespace: str = "warehouse-bootstrap"
    """The job's own namespace: its service account is the only identity that may read the master
    secret, and no service runs beside it."""
    client_image: str = DEFAULT_CLIENT_IMAGE
    """The image running ``psql`` (needs ``sh``, ``psql`` and Perl with ``JSON::PP``)."""
    secret_reader_image: str = DEFAULT_SECRET_READER_IMAGE
    """The image reading the master secret (needs ``sh`` and the AWS CLI v2)."""
    backoff_limit: int = Field(default=6, ge=0, le=20)
    """Retries of the job (the database may still be starting on a first ``pulumi up``)."""
    active_deadline_seconds: int = Field(default=1800, ge=60)
    """How long the job may run in all."""

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", value):
            raise ValueError(
                "a namespace is a DNS label: lowercase letters, digits and '-', e.g. 'db-bootstrap'"
            )
        return value
