"""The warehouse: RDS for PostgreSQL or a Redshift cluster, secure by default.

Both engines live in the isolated data subnets behind their own security group
(engine port open to the given security groups only), encrypt storage, logs
and the AWS-managed master password with a customer-managed KMS key, require
TLS, export audit logs to pre-created, encrypted CloudWatch log groups, keep
backups and take a named final snapshot on delete.

Prod rules are switched on by ``production`` (default ``True``), not by a
stack name the component cannot know: with it, retention must be at least 7
days, deletion protection must stay on, PostgreSQL must be multi-AZ and
Redshift multi-node. A dev stack sets ``production: false`` and its cheap
values explicitly.

Modules: :mod:`.settings` (settings, wiring and their checks), :mod:`.windows` (backup and
maintenance window arithmetic), :mod:`.documents` (identifier, log groups, key policy,
parameter groups, role policies, the access policy and environment of connecting services) and
:mod:`.component` (the registration).
"""

from __future__ import annotations

from .component import Warehouse as Warehouse
from .documents import WAREHOUSE_ENV_NAMES as WAREHOUSE_ENV_NAMES
from .documents import WarehouseAccess as WarehouseAccess
from .documents import default_identifier as default_identifier
from .documents import warehouse_access_policy as warehouse_access_policy
from .documents import warehouse_access_statements as warehouse_access_statements
from .documents import warehouse_environment as warehouse_environment
from .migration_component import WarehouseMigration as WarehouseMigration
from .migration_component import WarehouseMigrationArgs as WarehouseMigrationArgs
from .migration_settings import DatabaseUser as DatabaseUser
from .migration_settings import MigrationSettings as MigrationSettings
from .settings import MIN_PROD_RETENTION_DAYS as MIN_PROD_RETENTION_DAYS
from .settings import MIN_WINDOW_MINUTES as MIN_WINDOW_MINUTES
from .settings import POSTGRES_LOG_EXPORTS as POSTGRES_LOG_EXPORTS
from .settings import REDSHIFT_LOG_EXPORTS as REDSHIFT_LOG_EXPORTS
from .settings import PostgresSettings as PostgresSettings
from .settings import RedshiftSettings as RedshiftSettings
from .settings import WarehouseArgs as WarehouseArgs
from .settings import WarehouseSettings as WarehouseSettings
from .windows import backup_window_minutes as backup_window_minutes
from .windows import maintenance_window_minutes as maintenance_window_minutes
from .windows import windows_overlap as windows_overlap

__all__ = [
    "MIN_PROD_RETENTION_DAYS",
    "MIN_WINDOW_MINUTES",
    "POSTGRES_LOG_EXPORTS",
    "REDSHIFT_LOG_EXPORTS",
    "WAREHOUSE_ENV_NAMES",
    "DatabaseUser",
    "MigrationSettings",
    "PostgresSettings",
    "RedshiftSettings",
    "Warehouse",
    "WarehouseAccess",
    "WarehouseArgs",
    "WarehouseMigration",
    "WarehouseMigrationArgs",
    "WarehouseSettings",
    "backup_window_minutes",
    "default_identifier",
    "maintenance_window_minutes",
    "warehouse_access_policy",
    "warehouse_access_statements",
    "warehouse_environment",
    "windows_overlap",
]
