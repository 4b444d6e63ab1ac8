"""The dataplatform stack: typed config in, the whole platform out. Dev and prod differ only by config."""

import pulumi
import pulumi_aws as aws

from components.catalog import DataCatalog, DataCatalogArgs, QueryWorkgroup, QueryWorkgroupArgs
from components.datalake import DataLakeBucket, DataLakeBucketArgs, LakeEventTarget
from components.eks import EksCluster, EksClusterArgs
from components.flows import OUTPUT_NAME as FLOWS_OUTPUT
from components.flows import FlowReferences, data_flows
from components.network import Network, NetworkArgs
from components.operations import (
    DisasterRecovery,
    DisasterRecoveryArgs,
    MonitoredQueue,
    Operations,
    OperationsArgs,
)
from components.pipeline_service import PipelineService, PipelineServiceArgs, ServiceNetwork
from components.pipeline_service.args import merge_policy_documents, pod_security_version
from components.registry import ContainerRegistry, ContainerRegistryArgs
from components.stack_checks_data import database_user_of, database_users
from components.stack_config import read_stack_config
from components.stack_protection import continuous_backup_days
from components.warehouse import Warehouse, WarehouseArgs, WarehouseMigration, WarehouseMigrationArgs
from components.warehouse.documents import engine_port

config = read_stack_config()
tags = config.tags

# The private subnets carry the cluster's Karpenter discovery tag (the cluster comes after the network).
network = Network(
    "network",
    NetworkArgs(
        settings=config.network,
        tags=tags,
        private_subnet_tags=config.cluster.subnet_discovery_tags("eks", pulumi.get_stack()),
    ),
)
# The DR region (its own provider): the lake's replica bucket and the backup copies' vault. Its branch
# depends on nothing else in the stack, so it is created in parallel with the rest.
dr_config = config.operations.disaster_recovery
recovery = (
    DisasterRecovery(
        "dr",
        DisasterRecoveryArgs(
            settings=dr_config,
            tags=tags,
            primary_region=config.region,
            lake_replica=config.lake.replication.enabled,
            backup_vault=config.operations.backup.enabled or dr_config.rds_backup_replication,
            vault_lock=config.operations.backup.vault_lock,
            deletion_protection=config.operations.deletion_protection,
        ),
    )
    if dr_config is not None
    else None
)
lake_replication = (
    {
        "replication_destination_bucket_arn": recovery.lake_bucket_arn,
        "replication_destination_kms_key_arn": recovery.lake_kms_key_arn,
    }
    if recovery is not None and config.lake.replication.enabled
    else {}
)
lake = DataLakeBucket("lake", DataLakeBucketArgs(settings=config.lake, tags=tags, **lake_replication))
cluster = EksCluster(
    "eks",
    EksClusterArgs(
        settings=config.cluster,
        tags=tags,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        public_subnet_ids=network.public_subnet_ids,
        # Nodes join and pull images only once the private subnets route to NAT and the endpoints.
        network_dependencies=network.private_egress_dependencies,
    ),
)
# The warehouse waits on the network and the node security group only, not on the whole cluster.
warehouse = Warehouse(
    "warehouse",
    WarehouseArgs(
        settings=config.warehouse,
        tags=tags,
        vpc_id=network.vpc_id,
        data_subnet_ids=network.data_subnet_ids,
        allowed_security_group_ids=[cluster.node_security_group_id],
        lake_read_policy_json=lake.read_policy(["gold"]) if config.warehouse.engine == "redshift" else None,
        aws_backup_retention_days=continuous_backup_days(config),
    ),
)

# The catalog, query and registry layer: a Glue database per lake layer, the stack's Athena
# workgroup with the analysts' policy (gold only), and the services' own image repositories.
catalog = DataCatalog(
    "catalog",
    DataCatalogArgs(
        settings=config.catalog,
        tags=tags,
        # archive_only layers get no database: their data is not readable in real time.
        layer_buckets={k: v for k, v in lake.bucket_names.items() if k in config.lake.catalog_layer_names},
        layer_prefixes=lake.layer_prefixes,
    ),
)
query = QueryWorkgroup("analytics", QueryWorkgroupArgs(settings=config.query, tags=tags))
analysts = aws.iam.Policy(
    "analytics-analysts",
    description="Query the gold layer through the stack's Athena workgroup, and nothing else",
    policy=query.analyst_policy(catalog.read_policy(["gold"]), lake.read_policy(["gold"])),
    tags=tags,
)
repositories = {s.name: s.image_repository for s in config.services if s.image_repository is not None}
registry = (
    ContainerRegistry("registry", ContainerRegistryArgs(repositories=repositories, tags=tags))
    if repositories
    else None
)

# The VPC as the services' NetworkPolicies see it: the ALB's subnets (ingress), the interface
# endpoints and the warehouse's subnets (egress). Plain CIDRs, known before anything is created.
service_network = ServiceNetwork(
    vpc_cidrs=[config.network.cidr, *config.network.extra_cidrs],
    public_subnet_cidrs=network.subnet_cidrs["public"],
    private_subnet_cidrs=network.subnet_cidrs["private"],
    data_subnet_cidrs=network.subnet_cidrs["data"],
)
# The one holder of the warehouse's master secret: a Job, in a namespace of its own, that makes each
# service's database user with its grants (services connect as those users with IAM credentials).
users = database_users(config)
migration_pool = config.cluster.default_pool
migration = (
    WarehouseMigration(
        "warehouse-bootstrap",
        WarehouseMigrationArgs(
            settings=config.warehouse.migration,
            users=users,
            tags=tags,
            engine=warehouse.engine,
            host=warehouse.endpoint,
            port=warehouse.port,
            database=warehouse.database_name,
            master_secret_arn=warehouse.master_secret_arn,
            kms_key_arn=warehouse.kms_key_arn,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_provider_url,
            provider=cluster.provider,
            placement=cluster.placement(migration_pool) if migration_pool is not None else None,
            pod_security_version=pod_security_version(config.cluster.kubernetes_version),
            dependencies=cluster.workload_dependencies_for(migration_pool)
            if migration_pool is not None
            else (),
        ),
    )
    if users
    else None
)

services: dict[int, PipelineService] = {}
# Owners first: a namespace's creator before the services sharing it (they wait for it), a queue's
# creator before the services using it (they get its ARN, URL and key).
for index in config.creation_order():
    service = config.services[index]
    access = service.lake_access
    documents = (
        [lake.access_policy(read=access.read, write=access.write)] if access.read or access.write else []
    )
    catalog_access = service.catalog_access
    if catalog_access.read or catalog_access.write:
        documents.append(catalog.access_policy(read=catalog_access.read, write=catalog_access.write))
    environment: dict[str, pulumi.Output[str] | str] = {}
    if service.warehouse_access is not None:
        documents.append(warehouse.access_policy(database_user_of(service)))
        environment = warehouse.connection_environment(service.warehouse_access, database_user_of(service))
    # A service sharing a namespace another service creates waits for that Namespace.
    owner = config.namespace_owner(index)
    queue_owner = config.queue_owner(index)
    pool = config.pool_of(index)
    own_image = registry is not None and service.image is None
    services[index] = PipelineService(
        service.name,
        PipelineServiceArgs(
            settings=service,
            tags=tags,
            provider=cluster.provider,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_provider_url,
            iam_policy_json=pulumi.Output.all(*documents).apply(lambda d: merge_policy_documents(*d))
            if len(documents) > 1
            else (documents[0] if documents else None),
            environment=environment,
            namespace_dependency=services[owner].namespace_resource if owner is not None else None,
            kubernetes_version=config.cluster.kubernetes_version,
            placement=cluster.placement(pool),
            workload_dependencies=cluster.workload_dependencies_for(pool),
            # A service of the warehouse starts once the bootstrap job made its database user.
            data_dependencies=[migration.job] if migration is not None and service.warehouse_access else [],
            keda_dependencies=cluster.keda_dependencies,
            queue=services[queue_owner].queue if queue_owner is not None else None,
            image=registry.image(service.name) if own_image else None,
            # The repository is created by this same run, empty until CI pushes: do not await pods
            # that cannot pull yet (docs/FIRST_DEPLOY.md).
            await_rollout=not own_image,
            # Only a service with warehouse access may reach the warehouse port (its egress rule).
            network=service_network.with_warehouse(
                engine_port(config.warehouse) if service.warehouse_access is not None else None
            ),
            ingress_dependencies=cluster.ingress_dependencies,
            lake_bucket_arns=lake.bucket_arns,
        ),
    )

# The lake bucket has ONE notification configuration: every queue's layer events, registered once.
lake_events = [
    LakeEventTarget(event.layer, list(event.events), s.queue.arn, event.suffix, [s.queue_policy])
    for s in services.values()
    if s.queue is not None and s.queue_policy is not None
    for event in s.lake_events
]
if lake_events:
    lake.notify(lake_events)

# Alerts, alarms, budget and backups watch what the stack made; nothing above waits for them.
operations = Operations(
    "ops",
    OperationsArgs(
        settings=config.operations,
        tags=tags,
        primary_region=config.region,
        warehouse_engine=config.warehouse.engine,
        warehouse_identifier=warehouse.identifier,
        warehouse_arn=warehouse.arn,
        lake_bucket_arns=list({id(arn): arn for arn in lake.bucket_arns.values()}.values()),
        queues=[
            MonitoredQueue(s.queue_name, s.dead_letter_queue_name) for s in services.values() if s.queue_name
        ],
        nat_gateway_ids=network.nat_gateway_ids,
        nat_gateway_count=config.network.nat_gateway_count,
        cluster_name=cluster.cluster_name if config.cluster.observability is not None else None,
        disaster_recovery=recovery,
        # Endpoints that carry a key (or a person's address) come from secure config and stay secret.
        alert_endpoints={name: pulumi.Output.secret(v) for name, v in config.alert_endpoints.items()},
    ),
)
# The data flows (README: Data flows): every hop from the config, with the identities the run made.
# The `data-flows` policy proves each hop on the plan. Features whose hops wait for work not on this
# branch yet ("entry", "producers", "database-users", "egress": components/flows.py FEATURES) are
# enabled here when they exist.
FLOW_FEATURES: tuple[str, ...] = ("egress",)
consumers = {config.services[i].name: s.queue for i, s in services.items() if s.queue is not None}
flow_references = pulumi.Output.all(
    account=aws.get_caller_identity_output().account_id,
    lake_bucket_arns=lake.bucket_arns,
    lake_layer_prefixes=lake.layer_prefixes,
    lake_kms_key_arn=lake.kms_key_arn,
    catalog_arn=catalog.catalog_arn,
    catalog_database_names=catalog.database_names,
    catalog_kms_key_arn=catalog.kms_key_arn,
    queue_arns={name: queue.arn for name, queue in consumers.items()},
    queue_kms_key_arns={name: q.kms_key_arn for name, q in consumers.items() if q.kms_key_arn is not None},
    node_security_group_id=cluster.node_security_group_id,
    warehouse_security_group_id=warehouse.security_group_id,
    warehouse_port=warehouse.port,
    warehouse_resource_id=warehouse.resource_id,
    warehouse_master_secret_arn=warehouse.master_secret_arn,
    workgroup_arn=query.workgroup_arn,
    results_bucket_arn=query.results_bucket_arn,
    results_kms_key_arn=query.kms_key_arn,
    analyst_policy_arn=analysts.arn,
)
pulumi.export(
    FLOWS_OUTPUT,
    flow_references.apply(lambda refs: data_flows(config, FlowReferences(**refs), FLOW_FEATURES)),
)

pulumi.export("alertTopicArn", operations.topic_arn)
pulumi.export("backupVaultArn", operations.vault_arn)
pulumi.export("drRegion", recovery.region if recovery is not None else None)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("lakeBucketNames", lake.bucket_names)
pulumi.export("lakeBucketArns", lake.bucket_arns)
pulumi.export("lakeKmsKeyArn", lake.kms_key_arn)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("oidcProviderUrl", cluster.oidc_provider_url)
pulumi.export("nodeSecurityGroupId", cluster.node_security_group_id)
pulumi.export("warehouseEndpoint", warehouse.endpoint)
pulumi.export("warehousePort", warehouse.port)
pulumi.export("warehouseSecretArn", warehouse.master_secret_arn)
pulumi.export("catalogDatabaseNames", catalog.database_names)
pulumi.export("catalogKmsKeyArn", catalog.kms_key_arn)
pulumi.export("athenaWorkgroupName", query.workgroup_name)
pulumi.export("athenaResultsBucketName", query.results_bucket_name)
pulumi.export("analystPolicyArn", analysts.arn)
if registry is not None:
    pulumi.export("imageRepositoryUrls", registry.repository_urls)
# The cluster, and what a workloads project needs to build ClusterRuntime on it (README: Deploying for
# real): clusterName, clusterEndpoint, kubeconfig (a secret), ebsKmsKeyArn, kubernetesVersion,
# karpenterSettings (the pools, a plain value), karpenterControllerRoleArn, karpenterNodeRoleName,
# karpenterInterruptionQueueName, karpenterControllerPlacement, karpenterDiscoveryTags, karpenterNodeTags,
# kubernetesObjects (a workloads project refuses a platform that makes its Kubernetes objects itself).
for output_name, value in cluster.runtime_outputs().items():
    pulumi.export(output_name, value)
