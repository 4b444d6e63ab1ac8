"""Checks of how data moves through a stack (pure; the stack config runs them before anything is
registered): every consumed queue has a producer, the lake's event filters do not overlap, catalog
access names catalog layers, and each service with warehouse access has its own database user, in
schemas with one writer each.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._validation import ConfigIssue
from .datalake.documents import layer_prefix
from .datalake.notifications import LakeEventTarget, overlapping
from .warehouse import WAREHOUSE_ENV_NAMES
from .warehouse.migration_settings import DatabaseUser, database_identifier_problem

if TYPE_CHECKING:
    from .stack_config import ServiceConfig, StackConfig

__all__ = [
    "catalog_layer_issues",
    "database_user_of",
    "database_users",
    "migration_image_issues",
    "producer_issues",
    "warehouse_access_issues",
]

_PRIVATE_ECR = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


def producer_issues(config: StackConfig) -> list[ConfigIssue]:
    """A queue that is consumed has a producer; lake events name layers and never overlap."""
    services, layers = config.services, config.lake.layer_names
    issues: list[ConfigIssue] = []
    targets: list[tuple[str, LakeEventTarget]] = []
    for index, service in enumerate(services):
        queue = service.queue
        if queue is None or not queue.created:
            continue
        where = f"services[{index}].queue"
        for position, event in enumerate(queue.producers.lake_events):
            path = f"{where}.producers.lake_events[{position}]"
            if event.layer not in layers:
                issues.append(
                    ConfigIssue(
                        f"{path}.layer",
                        event.layer,
                        f"the lake has no such layer (its layers: {', '.join(layers)})",
                    )
                )
                continue
            targets.append((path, LakeEventTarget(event.layer, list(event.events), "", event.suffix)))
        users = [
            (other, s.queue.access)
            for other, s in enumerate(services)
            if s.queue is not None and s.queue.from_service == service.name
        ]
        consumers = ([index] if queue.access == "consume" else []) + [o for o, a in users if a == "consume"]
        producers = (
            queue.producers.declared or queue.access == "produce" or any(a == "produce" for _, a in users)
        )
        if consumers and not producers:
            issues.append(
                ConfigIssue(
                    f"{where}.producers",
                    {},
                    f"the queue of {service.name!r} is consumed and nothing writes to it, so no message "
                    "ever arrives; add producers.lake_events (e.g. [{layer: bronze}]), producers.event_rules,"
                    " "
                    f"or a service with queue: {{from_service: {service.name}, access: produce}}",
                )
            )
    prefixes = {name: layer_prefix(name, config.lake.bucket_per_layer) for name in layers}
    buckets = {name: name if config.lake.bucket_per_layer else "lake" for name in layers}
    for position, (path, target) in enumerate(targets):
        for other_path, other in targets[:position]:
            if overlapping(other, target, prefixes, buckets):
                issues.append(
                    ConfigIssue(
                        path,
                        target.layer,
                        f"overlaps {other_path} (same layer, suffix and event type): the lake bucket has one "
                        "notification configuration and S3 refuses overlapping filters; set distinct "
                        "suffixes or events, or consume one queue",
                    )
                )
    return issues


def catalog_layer_issues(config: StackConfig) -> list[ConfigIssue]:
    """Catalog access only on layers in the catalog (an ``archive_only`` layer has no database)."""
    archived = sorted(set(config.lake.layer_names) - set(config.lake.catalog_layer_names))
    issues = []
    for index, service in enumerate(config.services):
        for mode in ("read", "write"):
            named = sorted(set(getattr(service.catalog_access, mode)) & set(archived))
            if named:
                issues.append(
                    ConfigIssue(
                        f"services[{index}].catalog_access.{mode}",
                        named,
                        "archive_only layers have no catalog database (their data is not queryable); "
                        "drop them here, or turn archive_only off on the layer",
                    )
                )
    return issues


def database_user_of(service: ServiceConfig) -> str:
    """The service's database user: ``warehouse_user``, else its name with ``_`` for ``-``."""
    return service.warehouse_user or service.name.replace("-", "_")


def _schemas_of(config: StackConfig, service: ServiceConfig) -> list[str]:
    if service.warehouse_schemas is not None:
        return list(service.warehouse_schemas)
    if service.warehouse_access == "write":
        return [database_user_of(service)]
    written = {
        schema
        for other in config.services
        if other.warehouse_access == "write"
        for schema in _schemas_of(config, other)
    }
    return sorted(written)


def database_users(config: StackConfig) -> list[DatabaseUser]:
    """The database users the bootstrap job makes: one per service with warehouse access."""
    return [
        DatabaseUser(
            name=database_user_of(service),
            access=service.warehouse_access,
            schemas=_schemas_of(config, service),
            service=service.name,
        )
        for service in config.services
        if service.warehouse_access is not None
    ]


def warehouse_access_issues(config: StackConfig) -> list[ConfigIssue]:
    """Each service with warehouse access has a user of its own, the engine can authenticate it
    with IAM, its schemas exist to read, and a schema has one writer."""
    warehouse = config.warehouse
    issues: list[ConfigIssue] = []
    users: dict[str, int] = {}
    writers: dict[str, int] = {}
    for index, service in enumerate(config.services):
        where = f"services[{index}]"
        if service.warehouse_access is None:
            for key in ("warehouse_user", "warehouse_schemas"):
                if getattr(service, key) is not None:
                    issues.append(
                        ConfigIssue(
                            f"{where}.{key}",
                            getattr(service, key),
                            "has no effect without warehouse_access; set warehouse_access: read or write",
                        )
                    )
            continue
        for key in WAREHOUSE_ENV_NAMES:
            for field in ("env", "secret_env"):
                if key in getattr(service, field):
                    issues.append(
                        ConfigIssue(
                            f"{where}.{field}.{key}",
                            key,
                            "is set by warehouse_access; remove it from " + field,
                        )
                    )
        user = database_user_of(service)
        path = f"{where}.warehouse_user"
        problem = database_identifier_problem(user) or ("'public' is a schema" if user == "public" else None)
        if problem:
            issues.append(
                ConfigIssue(path, user, f"{problem} (derived from the service name: set warehouse_user)")
            )
            continue
        if user == warehouse.master_username:
            issues.append(
                ConfigIssue(
                    path,
                    user,
                    "is the warehouse's admin; connect as a user of the service's own with only its grants",
                )
            )
        if user in users:
            issues.append(
                ConfigIssue(
                    path,
                    user,
                    f"services[{users[user]}] connects as this user too; give each service its own",
                )
            )
        users.setdefault(user, index)
        if warehouse.engine == "postgres" and not warehouse.postgres.iam_database_authentication:
            issues.append(
                ConfigIssue(
                    path,
                    user,
                    "services authenticate with IAM, never with the master secret; set "
                    "warehouse.postgres.iam_database_authentication: true",
                )
            )
        schemas = _schemas_of(config, service)
        if not schemas:
            issues.append(
                ConfigIssue(
                    f"{where}.warehouse_schemas",
                    None,
                    "no service of the stack writes a schema for this reader; list the schemas it reads",
                )
            )
        for schema in schemas:
            problem = database_identifier_problem(schema)
            if problem:
                issues.append(ConfigIssue(f"{where}.warehouse_schemas", schema, problem))
            elif service.warehouse_access == "write":
                if schema in writers:
                    issues.append(
                        ConfigIssue(
                            f"{where}.warehouse_schemas",
                            schema,
                            f"services[{writers[schema]}] writes this schema; a schema has one writer (its "
                            "owner): read it instead, or write a schema of this service's own",
                        )
                    )
                writers.setdefault(schema, index)
    return issues


def migration_image_issues(config: StackConfig) -> list[ConfigIssue]:
    """Without NAT the bootstrap job's images must come from the account's private ECR."""
    if config.network.nat_gateways != "none" or not any(s.warehouse_access for s in config.services):
        return []
    migration = config.warehouse.migration
    return [
        ConfigIssue(
            f"warehouse.migration.{key}",
            getattr(migration, key),
            "network.nat_gateways is none, and only the account's private ECR is reachable without NAT; "
            "copy the image to <account>.dkr.ecr.<region>.amazonaws.com and name it here, or set "
            "nat_gateways: single",
        )
        for key in ("client_image", "secret_reader_image")
        if not _PRIVATE_ECR.match(getattr(migration, key))
    ]
