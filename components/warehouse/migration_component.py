"""The :class:`WarehouseMigration` component: the bootstrap job that alone holds the master secret.

It registers, on the cluster, a namespace of its own, a service account annotated with the job's IRSA
role, the SQL as a ConfigMap, and the Job that runs it; in IAM, the role whose only permissions are
to read the master secret and decrypt it through Secrets Manager. Pulumi awaits the Job's completion,
so services that wait for :attr:`WarehouseMigration.job` start once their users exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._validation import ConfigIssue, InvalidConfigError
from ..eks.pools import Placement
from ..tags import validate_tags
from .migration import (
    JOB_LABELS,
    SERVICE_ACCOUNT,
    bootstrap_sql,
    job_manifest,
    job_name,
    migration_role_policy,
    migration_trust_policy,
)
from .migration_settings import DatabaseUser, MigrationSettings

__all__ = ["WarehouseMigration", "WarehouseMigrationArgs"]


@dataclass(frozen=True)
class WarehouseMigrationArgs:
    """The job's settings, the users it makes, and the wiring to the warehouse and the cluster."""

    settings: MigrationSettings
    """Validated settings (``warehouse.migration``)."""
    users: Sequence[DatabaseUser]
    """The services' database users (one at least), each with its access level and schemas."""
    tags: Mapping[str, str]
    """The stack's tag set (the IAM role)."""
    engine: str
    """``postgres`` or ``redshift`` (``Warehouse.engine``)."""
    host: pulumi.Input[str]
    """``Warehouse.endpoint``."""
    port: pulumi.Input[int]
    """``Warehouse.port``."""
    database: pulumi.Input[str]
    """``Warehouse.database_name``."""
    master_secret_arn: pulumi.Input[str]
    """``Warehouse.master_secret_arn``: only this job's role may read it."""
    kms_key_arn: pulumi.Input[str]
    """``Warehouse.kms_key_arn``: the key encrypting the secret (decrypted through Secrets Manager)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider ARN."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL."""
    provider: pulumi.ProviderResource | None = None
    """The cluster's Kubernetes provider."""
    placement: Placement | None = None
    """Where the job's pod runs (``EksCluster.placement(pool)``)."""
    pod_security_version: str = "latest"
    """The Pod Security Standard version of the namespace (``v1.<minor>`` of the cluster)."""
    dependencies: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the job's pod needs first (nodes, DNS: ``EksCluster.workload_dependencies_for``)."""


def _check(args: WarehouseMigrationArgs) -> dict[str, str]:
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, MigrationSettings):
        issues.append(ConfigIssue("args.settings", type(args.settings).__name__, "pass MigrationSettings"))
    if not args.users:
        issues.append(ConfigIssue("args.users", [], "no database user to make; pass one, or make no job"))
    names = [u.name for u in args.users if isinstance(u, DatabaseUser)]
    for index, user in enumerate(args.users):
        if not isinstance(user, DatabaseUser):
            issues.append(ConfigIssue(f"args.users[{index}]", type(user).__name__, "pass DatabaseUser"))
        elif names.index(user.name) != index:
            issues.append(ConfigIssue(f"args.users[{index}].name", user.name, "is made twice; keep one"))
    if args.engine not in ("postgres", "redshift"):
        issues.append(ConfigIssue("args.engine", args.engine, "must be 'postgres' or 'redshift'"))
    try:
        tags = validate_tags(args.tags, path="args.tags")
    except InvalidConfigError as error:
        issues.extend(error.issues)
        tags = {}
    if issues:
        raise InvalidConfigError(issues, subject="WarehouseMigrationArgs")
    return tags


class WarehouseMigration(pulumi.ComponentResource):
    """The warehouse's bootstrap job (one per warehouse): users, grants, ``rds_iam``."""

    role_arn: pulumi.Output[str]
    """The job's IRSA role: the one identity that may read the master secret."""
    namespace: str
    """The job's namespace."""
    job: k8s.batch.v1.Job
    """The Job (Pulumi awaits its completion): services wait for it."""
    sql: pulumi.Output[str]
    """The SQL the job runs."""

    def __init__(
        self, name: str, args: WarehouseMigrationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = _check(args)
        settings = args.settings
        super().__init__("dataplatform:database:WarehouseMigration", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.namespace = settings.namespace
        # The SQL names the database it grants CONNECT on: render it once the name is known.
        sql = pulumi.Output.from_input(args.database).apply(
            lambda database: bootstrap_sql(args.engine, database, args.users)
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"IRSA role of {settings.namespace}/{SERVICE_ACCOUNT}: reads the master secret",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda v: migration_trust_policy(v[0], v[1], settings.namespace)
            ),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(args.master_secret_arn, args.kms_key_arn).apply(
                lambda v: migration_role_policy(v[0], v[1])
            ),
            opts=child,
        )
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": settings.namespace,
                "labels": {
                    **JOB_LABELS,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": args.pod_security_version,
                },
            },
            opts=on_cluster,
        )
        after_namespace = pulumi.ResourceOptions.merge(
            on_cluster, pulumi.ResourceOptions(depends_on=[namespace])
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": SERVICE_ACCOUNT,
                "namespace": settings.namespace,
                "labels": dict(JOB_LABELS),
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            automount_service_account_token=True,
            opts=after_namespace,
        )
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-sql",
            metadata={
                "name": "warehouse-bootstrap-sql",
                "namespace": settings.namespace,
                "labels": dict(JOB_LABELS),
            },
            data={"bootstrap.sql": sql},
            opts=after_namespace,
        )
        manifest = pulumi.Output.all(sql, args.host, args.port, args.database, args.master_secret_arn).apply(
            lambda v: self._manifest(args, v)
        )
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata=manifest.apply(lambda m: m["metadata"]),
            spec=manifest.apply(lambda m: m["spec"]),
            # The role's permissions exist before the pod asks for the secret.
            opts=pulumi.ResourceOptions.merge(
                on_cluster,
                pulumi.ResourceOptions(
                    depends_on=[namespace, account, config_map, policy, *args.dependencies]
                ),
            ),
        )
        self.sql = sql
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn, "namespace": self.namespace})

    @staticmethod
    def _manifest(args: WarehouseMigrationArgs, values: list[Any]) -> dict[str, Any]:
        sql, host, port, database, secret_arn = values
        return job_manifest(
            args.settings,
            name=job_name(sql),
            config_map="warehouse-bootstrap-sql",
            connection={"host": host, "port": str(port), "database": database},
            secret_arn=secret_arn,
            placement=args.placement.pod_spec() if args.placement is not None else None,
        )
