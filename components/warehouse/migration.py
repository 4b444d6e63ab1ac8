"""The warehouse bootstrap job's artifacts: its SQL, its script, its manifests and its IAM documents.

Pure functions of settings. The SQL is idempotent and converging: run again, it changes nothing; run
after a service's access changed, it revokes what that access no longer means before granting what
it does. It runs in one transaction (``psql --single-transaction``), so a failure leaves no half
state.

PostgreSQL (RDS): each user is a role with LOGIN and no password, granted ``rds_iam`` so it
authenticates only with an IAM token (RDS user guide, "Creating a database account using IAM
authentication": ``CREATE USER ...; GRANT rds_iam TO ...``). Redshift: each user is made with
``PASSWORD DISABLE``, so it logs in only with ``GetClusterCredentials`` temporary passwords
(Redshift database developer guide, CREATE USER).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from ..iam import irsa_trust_policy_document, policy_json
from .migration_settings import DatabaseUser, MigrationSettings

__all__ = [
    "BOOTSTRAP_FILE",
    "JOB_LABELS",
    "RUN_SCRIPT",
    "SECRET_FILE",
    "SERVICE_ACCOUNT",
    "bootstrap_sql",
    "job_manifest",
    "job_name",
    "migration_role_policy",
    "migration_trust_policy",
    "postgres_bootstrap_sql",
    "redshift_bootstrap_sql",
]

SERVICE_ACCOUNT = "warehouse-bootstrap"
"""The job's service account: the only subject the migration role trusts."""
SECRET_FILE = "/run/secret/master.json"
"""Where the init container writes the secret (a memory-backed emptyDir, never a disk)."""
BOOTSTRAP_FILE = "/bootstrap/bootstrap.sql"
"""Where the ConfigMap mounts the SQL."""
JOB_LABELS = {"app.kubernetes.io/name": "warehouse-bootstrap", "app.kubernetes.io/part-of": "dataplatform"}

READ_TABLE_PRIVILEGES = ("SELECT",)
WRITE_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
WRITE_SEQUENCE_PRIVILEGES = ("USAGE", "SELECT", "UPDATE")
"""A writer's inserts advance serial/identity sequences (``nextval`` needs USAGE or UPDATE)."""

RUN_SCRIPT = """set -eu
# The master secret is {"username": ..., "password": ...} (RDS- and Redshift-managed secrets alike).
field() { perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{$ARGV[0]}' "$1" < "$SECRET_FILE"; }
PGUSER="$(field username)"
PGPASSWORD="$(field password)"
export PGUSER PGPASSWORD
exec psql --no-psqlrc --set ON_ERROR_STOP=1 --single-transaction --file "$BOOTSTRAP_FILE"
"""
"""The client container's script: the admin's credentials from the secret file into libpq's
environment (never into a manifest), then the SQL in one transaction, stopping at the first error."""

READ_SECRET_SCRIPT = (
    'aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" '
    '--query SecretString --output text > "$SECRET_FILE"'
)
"""The init container's script: the secret string to the shared in-memory file."""


def _q(identifier: str) -> str:
    """A quoted SQL identifier (the names are checked plain identifiers; quoting keeps them so)."""
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _schemas(users: Sequence[DatabaseUser]) -> list[str]:
    return sorted({schema for user in users for schema in user.schemas})


def postgres_bootstrap_sql(database: str, users: Sequence[DatabaseUser]) -> str:
    """The SQL that makes ``users`` on RDS for PostgreSQL, run as the master user in ``database``."""
    lines = [
        "-- Made by dataplatform's warehouse bootstrap job: idempotent, run as the master user.",
        "-- Nothing may create objects in public but the admin (PostgreSQL 15 default, kept explicit).",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
    ]
    for schema in _schemas(users):
        lines += [
            f"CREATE SCHEMA IF NOT EXISTS {_q(schema)};",
            f"REVOKE ALL ON SCHEMA {_q(schema)} FROM PUBLIC;",
        ]
    for user in users:
        name = _q(user.name)
        lines += [
            "",
            f"-- {user.name}: {user.access} ({user.service or 'service'}) on {', '.join(user.schemas)}",
            "DO $$ BEGIN",
            f"  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {_literal(user.name)}) THEN",
            f"    CREATE ROLE {name} LOGIN;",
            "  END IF;",
            "END $$;",
            # No password: the user authenticates with IAM tokens only (rds_iam).
            f"ALTER ROLE {name} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD NULL;",
            f"GRANT rds_iam TO {name};",
            f"REVOKE ALL ON DATABASE {_q(database)} FROM {name};",
            f"GRANT CONNECT ON DATABASE {_q(database)} TO {name};",
        ]
        # Converge: take back every privilege of this user in the managed schemas, then grant.
        for schema in _schemas(users):
            s = _q(schema)
            lines += [
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {name};",
                f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {name};",
                f"REVOKE ALL ON SCHEMA {s} FROM {name};",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON TABLES FROM {name};",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON SEQUENCES FROM {name};",
            ]
        tables = ", ".join(WRITE_TABLE_PRIVILEGES if user.access == "write" else READ_TABLE_PRIVILEGES)
        for schema in user.schemas:
            s = _q(schema)
            lines += [
                f"GRANT USAGE ON SCHEMA {s} TO {name};",
                f"GRANT {tables} ON ALL TABLES IN SCHEMA {s} TO {name};",
                # Tables the admin creates later (the job's DDL) get the same grants.
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {tables} ON TABLES TO {name};",
            ]
            if user.access == "write":
                sequences = ", ".join(WRITE_SEQUENCE_PRIVILEGES)
                lines += [
                    f"GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {s} TO {name};",
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {sequences} ON SEQUENCES TO {name};",
                ]
    return "\n".join(lines) + "\n"


def redshift_bootstrap_sql(database: str, users: Sequence[DatabaseUser]) -> str:
    """The SQL that makes ``users`` on Redshift (no ``DO`` blocks and no ``CREATE USER IF NOT
    EXISTS`` there: a stored procedure makes a missing user)."""
    lines = [
        "-- Made by dataplatform's warehouse bootstrap job: idempotent, run as the master user.",
        "CREATE OR REPLACE PROCEDURE dataplatform_ensure_user(user_name VARCHAR) AS $$",
        "BEGIN",
        "  IF NOT EXISTS (SELECT 1 FROM pg_user WHERE usename = user_name) THEN",
        "    EXECUTE 'CREATE USER ' || quote_ident(user_name) || ' PASSWORD DISABLE';",
        "  END IF;",
        "END;",
        "$$ LANGUAGE plpgsql;",
    ]
    for schema in _schemas(users):
        lines += [
            f"CREATE SCHEMA IF NOT EXISTS {_q(schema)};",
            f"REVOKE ALL ON SCHEMA {_q(schema)} FROM PUBLIC;",
        ]
    for user in users:
        name = _q(user.name)
        lines += [
            "",
            f"-- {user.name}: {user.access} ({user.service or 'service'}) on {', '.join(user.schemas)}",
            f"CALL dataplatform_ensure_user({_literal(user.name)});",
            f"ALTER USER {name} NOCREATEDB NOCREATEUSER PASSWORD DISABLE;",
        ]
        for schema in _schemas(users):
            s = _q(schema)
            lines += [
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {name};",
                f"REVOKE ALL ON SCHEMA {s} FROM {name};",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON TABLES FROM {name};",
            ]
        tables = ", ".join(WRITE_TABLE_PRIVILEGES if user.access == "write" else READ_TABLE_PRIVILEGES)
        for schema in user.schemas:
            s = _q(schema)
            lines += [
                f"GRANT USAGE ON SCHEMA {s} TO {name};",
                f"GRANT {tables} ON ALL TABLES IN SCHEMA {s} TO {name};",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {tables} ON TABLES TO {name};",
            ]
    del database  # Redshift users are cluster-wide; the grants above are of the connected database.
    return "\n".join(lines) + "\n"


def bootstrap_sql(engine: str, database: str, users: Sequence[DatabaseUser]) -> str:
    """The engine's bootstrap SQL."""
    if engine == "postgres":
        return postgres_bootstrap_sql(database, users)
    return redshift_bootstrap_sql(database, users)


def job_name(sql: str) -> str:
    """The Job's name: a Job's pod template is immutable, so a change of the SQL is a new Job
    (Pulumi replaces it, and the new one runs the new SQL)."""
    return f"bootstrap-{hashlib.sha256(sql.encode()).hexdigest()[:10]}"


def migration_trust_policy(oidc_provider_arn: str, oidc_issuer_url: str, namespace: str) -> str:
    """Only the job's own service account may assume the migration role."""
    return irsa_trust_policy_document(oidc_provider_arn, oidc_issuer_url, namespace, SERVICE_ACCOUNT)


def migration_role_policy(secret_arn: str, key_arn: str) -> str:
    """Read the master secret, and decrypt it through Secrets Manager only: nothing else."""
    region = secret_arn.split(":")[3]
    return policy_json(
        [
            {
                "Sid": "ReadMasterSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
            {
                "Sid": "DecryptMasterSecret",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            },
        ]
    )


def job_manifest(
    settings: MigrationSettings,
    *,
    name: str,
    config_map: str,
    connection: Mapping[str, str],
    secret_arn: str,
    placement: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Job: an init container reads the secret into a memory-backed volume shared only with the
    client container, which runs the SQL. ``connection`` holds ``host``, ``port``, ``database``."""
    restricted = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    resources = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    secret_mount = {"name": "secret", "mountPath": SECRET_FILE.rsplit("/", 1)[0]}
    scratch = {"name": "tmp", "mountPath": "/tmp"}
    spec: dict[str, Any] = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "restartPolicy": "Never",
        # Both images' users: the AWS CLI image and the postgres image run as uid 999 ("postgres")
        # only when told; the pod says so, as the restricted Pod Security Standard wants.
        "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
        "initContainers": [
            {
                "name": "read-secret",
                "image": settings.secret_reader_image,
                "command": ["/bin/sh", "-c", READ_SECRET_SCRIPT],
                "env": [
                    {"name": "MASTER_SECRET_ARN", "value": secret_arn},
                    # The secret's own region (the CLI needs one to pick the endpoint).
                    {"name": "AWS_REGION", "value": secret_arn.split(":")[3]},
                    {"name": "SECRET_FILE", "value": SECRET_FILE},
                    # The CLI writes its cache and history under $HOME.
                    {"name": "HOME", "value": "/tmp"},
                ],
                "securityContext": restricted,
                "resources": resources,
                "volumeMounts": [secret_mount, scratch],
            }
        ],
        "containers": [
            {
                "name": "bootstrap",
                "image": settings.client_image,
                "command": ["/bin/sh", "-c", RUN_SCRIPT],
                "env": [
                    {"name": "PGHOST", "value": connection["host"]},
                    {"name": "PGPORT", "value": connection["port"]},
                    {"name": "PGDATABASE", "value": connection["database"]},
                    # The engines refuse plain connections (rds.force_ssl, require_ssl).
                    {"name": "PGSSLMODE", "value": "require"},
                    {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                    {"name": "SECRET_FILE", "value": SECRET_FILE},
                    {"name": "BOOTSTRAP_FILE", "value": BOOTSTRAP_FILE},
                ],
                "securityContext": restricted,
                "resources": resources,
                "volumeMounts": [
                    {**secret_mount, "readOnly": True},
                    {"name": "sql", "mountPath": BOOTSTRAP_FILE.rsplit("/", 1)[0], "readOnly": True},
                    scratch,
                ],
            }
        ],
        "volumes": [
            {"name": "secret", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
            {"name": "sql", "configMap": {"name": config_map}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
        ],
        **dict(placement or {}),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": settings.namespace, "labels": dict(JOB_LABELS)},
        "spec": {
            "backoffLimit": settings.backoff_limit,
            "activeDeadlineSeconds": settings.active_deadline_seconds,
            "template": {"metadata": {"labels": dict(JOB_LABELS)}, "spec": spec},
        },
    }
