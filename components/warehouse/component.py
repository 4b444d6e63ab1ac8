"""The :class:`Warehouse` component: registers what the settings and :mod:`.documents` decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .._shared import new_customer_kms_key
from .._validation import ConfigIssue, InvalidConfigError
from .documents import (
    REDSHIFT_PARAMETER_GROUP_FAMILY,
    WarehouseAccess,
    default_identifier,
    engine_port,
    final_snapshot_identifier,
    log_exports,
    log_group_prefix,
    monitoring_policy_arn,
    monitoring_trust_policy,
    postgres_parameters,
    redshift_parameters,
    redshift_trust_policy,
    s3_prefix_list_name,
    warehouse_access_policy,
    warehouse_environment,
    warehouse_key_policy,
)
from .settings import (
    POSTGRES_LOG_EXPORTS,
    REDSHIFT_LOG_EXPORTS,
    WarehouseArgs,
    check_args,
    subnet_count_issue,
)

__all__ = ["Warehouse"]


class Warehouse(pulumi.ComponentResource):
    """RDS for PostgreSQL or Redshift in the data subnets, reachable only from given security groups."""

    endpoint: pulumi.Output[str]
    """The host name clients connect to (without the port)."""
    port: pulumi.Output[int]
    """The port the engine listens on."""
    database_name: pulumi.Output[str]
    """The database created with the instance / cluster."""
    master_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret AWS keeps the admin password in (the ARN only, never the value)."""
    security_group_id: pulumi.Output[str]
    """The engine's security group (add ingress from other groups with it)."""
    kms_key_arn: pulumi.Output[str]
    """The key encrypting storage, the master secret, Performance Insights and logs."""
    identifier: str
    """The DB instance / cluster identifier (known before deployment)."""
    arn: pulumi.Output[str]
    """The RDS instance's / Redshift cluster's ARN (backup selections, backup replication)."""
    engine: str
    """``postgres`` or ``redshift``."""
    resource_id: pulumi.Output[str] | None
    """The RDS instance's DbiResourceId (names it in ``rds-db:connect`` ARNs); None for Redshift."""
    iam_database_authentication: bool
    """Whether IAM database authentication is on (PostgreSQL only)."""

    def __init__(self, name: str, args: WarehouseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags = check_args(args)
        settings = args.settings
        super().__init__("dataplatform:database:Warehouse", name, None, opts)
        self._name = name
        self._tags = tags
        self._settings = settings
        self.identifier = settings.identifier or default_identifier(
            pulumi.get_project(), pulumi.get_stack(), name
        )
        protect = settings.deletion_protection
        self._protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        self._child = pulumi.ResourceOptions(parent=self)
        self._partition = aws.get_partition_output().partition
        self.engine = settings.engine
        self.resource_id = None
        self.iam_database_authentication = (
            settings.engine == "postgres" and settings.postgres.iam_database_authentication
        )

        log_prefix = log_group_prefix(settings.engine, self.identifier)
        given_key = args.kms_key_arn
        self.kms_key_arn = (
            pulumi.Output.from_input(given_key) if given_key is not None else self._key(log_prefix)
        )
        security_group = self._security_group(args)
        log_groups = self._log_groups(log_prefix)
        subnet_ids = _checked_subnets(args.data_subnet_ids, settings.engine)
        if settings.engine == "postgres":
            self._postgres(subnet_ids, security_group, log_groups, args.aws_backup_retention_days)
        else:
            self._redshift(args, subnet_ids, security_group, log_groups)
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "port": self.port,
                "database_name": self.database_name,
                "master_secret_arn": self.master_secret_arn,
                "security_group_id": self.security_group_id,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    # ------------------------------------------------------------------ shared parts

    def _key(self, log_prefix: str) -> pulumi.Output[str]:
        """A customer key for everything the warehouse encrypts, with an alias naming the warehouse."""
        account = aws.get_caller_identity_output().account_id
        region = aws.get_region_output().region
        key = new_customer_kms_key(
            f"{self._name}-key",
            description=f"Warehouse {self.identifier}: storage, master secret, insights, logs",
            policy=pulumi.Output.all(account, self._partition, region).apply(
                lambda v: warehouse_key_policy(v[0], v[1], v[2], log_prefix)
            ),
            tags=self._tags,
            opts=self._protected,
        )
        aws.kms.Alias(
            f"{self._name}-key-alias",
            name=f"alias/{self.identifier}",
            target_key_id=key.key_id,
            opts=self._child,
        )
        return key.arn

    def _security_group(self, args: WarehouseArgs) -> aws.ec2.SecurityGroup:
        """The engine port from the allowed groups only; with enhanced VPC routing, HTTPS to S3."""
        settings = self._settings
        port = engine_port(settings)
        engine = "PostgreSQL" if settings.engine == "postgres" else "Redshift"
        group = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            description=f"{engine} warehouse {self.identifier}: engine port from allowed groups only",
            vpc_id=args.vpc_id,
            tags=self._tags,
            opts=self._child,
        )
        for index, source in enumerate(args.allowed_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-ingress-{index}",
                security_group_id=group.id,
                referenced_security_group_id=source,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{engine} from an allowed security group",
                tags=self._tags,
                opts=self._child,
            )
        if settings.engine == "redshift" and settings.redshift.enhanced_vpc_routing:
            region = aws.get_region_output().region
            s3 = aws.ec2.get_managed_prefix_list_output(name=region.apply(s3_prefix_list_name))
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-s3-egress",
                security_group_id=group.id,
                prefix_list_id=s3.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="COPY/UNLOAD to S3 over the VPC gateway endpoint (enhanced VPC routing)",
                tags=self._tags,
                opts=self._child,
            )
        return group

    def _log_groups(self, log_prefix: str) -> list[aws.cloudwatch.LogGroup]:
        """The engine's log groups, made first: the engine would make them unencrypted and kept forever."""
        return [
            aws.cloudwatch.LogGroup(
                f"{self._name}-log-{log_type}",
                name=f"{log_prefix}{log_type}",
                retention_in_days=self._settings.log_retention_days,
                kms_key_id=self.kms_key_arn,
                tags=self._tags,
                # The engine's logs (audit trail of connections and errors): protected like the database.
                opts=self._protected,
            )
            for log_type in log_exports(self._settings.engine)
        ]

    # ------------------------------------------------------------------ PostgreSQL

    def _postgres(
        self,
        subnet_ids: pulumi.Input[Sequence[str]],
        security_group: aws.ec2.SecurityGroup,
        log_groups: list[aws.cloudwatch.LogGroup],
        aws_backup_days: int | None,
    ) -> None:
        """The RDS instance with its subnet group, parameter group and monitoring role."""
        name, settings, tags = self._name, self._settings, self._tags
        pg = settings.postgres
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"Isolated data subnets of warehouse {self.identifier}",
            subnet_ids=subnet_ids,
            tags=tags,
            opts=self._child,
        )
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=pg.parameter_group_family,
            description=f"TLS-only, audit logging: warehouse {self.identifier}",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method="immediate")
                for k, v in postgres_parameters(pg)
            ],
            tags=tags,
            opts=self._child,
        )
        monitoring_role_arn = self._monitoring_role() if pg.monitoring_interval_seconds else None
        insights = pg.performance_insights
        instance = aws.rds.Instance(
            f"{name}-db",
            identifier=self.identifier,
            engine="postgres",
            engine_version=pg.engine_version,
            instance_class=pg.instance_class,
            db_name=settings.database_name,
            username=settings.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.kms_key_arn,
            port=pg.port,
            storage_type="gp3",
            allocated_storage=pg.allocated_storage_gb,
            max_allocated_storage=pg.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=self.kms_key_arn,
            multi_az=pg.multi_az,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            publicly_accessible=False,
            parameter_group_name=parameter_group.name,
            iam_database_authentication_enabled=pg.iam_database_authentication,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            backup_retention_period=aws_backup_days or settings.backup_retention_days,
            backup_window=pg.backup_window,
            maintenance_window=settings.maintenance_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=not settings.deletion_protection,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_identifier(self.identifier),
            enabled_cloudwatch_logs_exports=list(POSTGRES_LOG_EXPORTS),
            performance_insights_enabled=insights,
            performance_insights_kms_key_id=self.kms_key_arn if insights else None,
            performance_insights_retention_period=pg.performance_insights_retention_days
            if insights
            else None,
            monitoring_interval=pg.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role_arn,
            tags=tags,
            # RDS would create the log groups itself (unencrypted, kept forever) if they did not exist.
            opts=pulumi.ResourceOptions.merge(
                self._protected,
                pulumi.ResourceOptions(
                    depends_on=log_groups,
                    # AWS Backup's continuous rule owns these once it covers the instance (WarehouseArgs).
                    ignore_changes=["backupRetentionPeriod", "backupWindow"] if aws_backup_days else None,
                ),
            ),
        )
        self.endpoint = instance.address
        self.arn = instance.arn
        self.resource_id = instance.resource_id
        self.port = instance.port
        self.database_name = instance.db_name
        self.master_secret_arn = instance.master_user_secrets.apply(_rds_secret_arn)

    def _monitoring_role(self) -> pulumi.Output[str]:
        """The Enhanced Monitoring role's ARN, once its policy is attached."""
        role = aws.iam.Role(
            f"{self._name}-monitoring-role",
            description=f"RDS Enhanced Monitoring of warehouse {self.identifier}",
            assume_role_policy=monitoring_trust_policy(),
            tags=self._tags,
            opts=self._child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{self._name}-monitoring-policy",
            role=role.name,
            policy_arn=self._partition.apply(monitoring_policy_arn),
            opts=self._child,
        )
        # The instance needs the role's permissions, not just the role, to start monitoring.
        return pulumi.Output.all(role.arn, attachment.id).apply(lambda v: v[0])

    # ------------------------------------------------------------------ Redshift

    def _redshift(
        self,
        args: WarehouseArgs,
        subnet_ids: pulumi.Input[Sequence[str]],
        security_group: aws.ec2.SecurityGroup,
        log_groups: list[aws.cloudwatch.LogGroup],
    ) -> None:
        """The cluster with its subnet group, parameter group, lake role and log export."""
        name, settings, tags = self._name, self._settings, self._tags
        rs = settings.redshift
        subnet_group = aws.redshift.SubnetGroup(
            f"{name}-subnets",
            description=f"Isolated data subnets of warehouse {self.identifier}",
            subnet_ids=subnet_ids,
            tags=tags,
            opts=self._child,
        )
        parameter_group = aws.redshift.ParameterGroup(
            f"{name}-params",
            family=REDSHIFT_PARAMETER_GROUP_FAMILY,
            description=f"TLS-only, user activity logging: warehouse {self.identifier}",
            parameters=[
                aws.redshift.ParameterGroupParameterArgs(name=k, value=v) for k, v in redshift_parameters()
            ],
            tags=tags,
            opts=self._child,
        )
        lake_policy = args.lake_read_policy_json
        role_arns = [self._lake_role(lake_policy)] if lake_policy is not None else []
        cluster = aws.redshift.Cluster(
            f"{name}-cluster",
            cluster_identifier=self.identifier,
            node_type=rs.node_type,
            cluster_type=rs.cluster_type,
            number_of_nodes=rs.number_of_nodes,
            database_name=settings.database_name,
            master_username=settings.master_username,
            manage_master_password=True,
            master_password_secret_kms_key_id=self.kms_key_arn,
            port=rs.port,
            encrypted="true",
            kms_key_id=self.kms_key_arn,
            enhanced_vpc_routing=rs.enhanced_vpc_routing,
            publicly_accessible=False,
            cluster_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            cluster_parameter_group_name=parameter_group.name,
            availability_zone_relocation_enabled=rs.availability_zone_relocation,
            automated_snapshot_retention_period=settings.backup_retention_days,
            preferred_maintenance_window=settings.maintenance_window,
            allow_version_upgrade=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_identifier(self.identifier),
            iam_roles=role_arns or None,
            default_iam_role_arn=role_arns[0] if role_arns else None,
            tags=tags,
            opts=self._protected,
        )
        aws.redshift.Logging(
            f"{name}-logging",
            cluster_identifier=cluster.cluster_identifier,
            log_destination_type="cloudwatch",
            log_exports=list(REDSHIFT_LOG_EXPORTS),
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_groups),
        )
        self.endpoint = cluster.dns_name
        self.arn = cluster.arn
        self.port = cluster.port.apply(lambda p: int(p) if p is not None else rs.port)
        self.database_name = cluster.database_name
        self.master_secret_arn = cluster.master_password_secret_arn

    def _lake_role(self, lake_read_policy_json: pulumi.Input[str]) -> pulumi.Output[str]:
        """The cluster's role that reads the lake; its ARN once the policy is attached."""
        role = aws.iam.Role(
            f"{self._name}-lake-role",
            description=f"Redshift warehouse {self.identifier}: read the data lake",
            assume_role_policy=redshift_trust_policy(),
            tags=self._tags,
            opts=self._child,
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-lake-read", role=role.id, policy=lake_read_policy_json, opts=self._child
        )
        return pulumi.Output.all(role.arn, policy.id).apply(lambda v: v[0])

    # ------------------------------------------------------------------ access from services

    def access_policy(self, database_user: str) -> pulumi.Output[str]:
        """IAM policy JSON for a service that connects as ``database_user`` with IAM credentials:
        ``rds-db:connect`` (PostgreSQL, IAM database authentication on) or
        ``redshift:GetClusterCredentials`` for that user and database (Redshift). Never the master
        secret: only the bootstrap job (:class:`WarehouseMigration`) may read it.
        See :func:`~components.warehouse.documents.warehouse_access_statements`."""
        if self.engine == "postgres" and not self.iam_database_authentication:
            raise InvalidConfigError(
                [
                    ConfigIssue(
                        "database_user",
                        database_user,
                        "needs IAM database authentication, which is off; set "
                        "postgres.iam_database_authentication: true",
                    )
                ],
                subject="warehouse access",
            )
        identity = aws.get_caller_identity_output()
        region = aws.get_region_output().region
        engine, identifier = self.engine, self.identifier
        return pulumi.Output.all(
            self._partition, region, identity.account_id, self.resource_id, self.database_name
        ).apply(
            lambda v: warehouse_access_policy(
                engine,
                database_user=database_user,
                partition=v[0],
                region=v[1],
                account=v[2],
                resource_id=v[3],
                cluster_identifier=identifier,
                database=v[4],
            )
        )

    def connection_environment(
        self, access: WarehouseAccess, database_user: str
    ) -> dict[str, pulumi.Output[str] | str]:
        """The environment variables a connecting service gets (see ``WAREHOUSE_ENV_NAMES``): where
        to connect and as whom; no secret."""
        connection = {
            "host": self.endpoint,
            "port": self.port.apply(str),
            "database": self.database_name,
            "cluster": self.identifier,
        }
        return warehouse_environment(self.engine, access, connection, database_user)


def _checked_subnets(subnets: pulumi.Input[Sequence[str]], engine: str) -> pulumi.Input[Sequence[str]]:
    """Subnet ids, with the 2-AZ check deferred to when an Output resolves."""
    if not isinstance(subnets, pulumi.Output):
        return subnets

    def check(ids: Sequence[str]) -> Sequence[str]:
        if engine == "postgres" and len(ids) < 2:
            raise InvalidConfigError([subnet_count_issue(len(ids))], subject="WarehouseArgs")
        return ids

    return subnets.apply(check)


def _rds_secret_arn(secrets: Any) -> str:
    """The ARN of the instance's AWS-managed master secret."""
    if not secrets:
        raise ValueError("the instance reports no master user secret; manage_master_user_password is off")
    first = secrets[0]
    arn = first.get("secret_arn") if isinstance(first, dict) else getattr(first, "secret_arn", None)
    return str(arn)
