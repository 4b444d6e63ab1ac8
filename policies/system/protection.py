"""Stateful resources are protected in a stack whose pack config says it must keep its data (prod).

A resource whose deletion or replacement loses data or audit history must carry Pulumi's
``protect`` option there, so that neither ``pulumi destroy`` nor a replace (a changed immutable
property, a rename without an alias) deletes it. The set of such types is :data:`STATEFUL_TYPES`,
the one place the project lists them (the stack tests check the plans against it too).

``retainOnDelete`` is the other half of the rule (the cloud resource stays even when Pulumi drops
it), but the analyzer protocol does not carry it: CrossGuard's resource options are ``protect``,
``ignoreChanges``, ``deleteBeforeReplace``, ``additionalSecretOutputs``, ``aliases``,
``customTimeouts`` and ``parent`` (pulumi/proto ``analyzer.proto``, ``AnalyzerResourceOptions``).
The rule checks ``protect``; the project's plan tests check both on the recorded plan.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from .._common import StackContext, stack_policy

DOMAIN = "system"

STATEFUL_TYPES: dict[str, str] = {
    # Object and file storage.
    "aws:s3/bucket:Bucket": "its objects",
    "aws:s3/bucketV2:BucketV2": "its objects",
    "aws:s3/bucketVersioning:BucketVersioning": "versioning: a delete suspends it, and the next overwrite or "
    "delete loses the only copy",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "versioning: a delete suspends it",
    "aws:efs/fileSystem:FileSystem": "its files",
    "aws:ebs/volume:Volume": "its blocks",
    # Keys: whatever they encrypted becomes unreadable once a scheduled deletion completes.
    "aws:kms/key:Key": "every ciphertext made with it",
    # Databases and their backups.
    "aws:rds/instance:Instance": "its database",
    "aws:rds/cluster:Cluster": "its database",
    "aws:rds/globalCluster:GlobalCluster": "its database",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": "the DR region's "
    "copy of the automated backups (a delete stops it)",
    "aws:redshift/cluster:Cluster": "its warehouse",
    "aws:redshiftserverless/namespace:Namespace": "its warehouse",
    "aws:dynamodb/table:Table": "its items",
    "aws:docdb/cluster:Cluster": "its database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "its data",
    "aws:opensearch/domain:Domain": "its indexes",
    "aws:backup/vault:Vault": "its recovery points",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "the lock on its recovery points",
    # Messages and streams.
    "aws:sqs/queue:Queue": "the messages waiting in it",
    "aws:kinesis/stream:Stream": "its records",
    "aws:msk/cluster:Cluster": "its topics",
    # Logs and audit history.
    "aws:cloudwatch/logGroup:LogGroup": "its log history",
    # Catalogs, registries, secrets, query history.
    "aws:glue/catalogDatabase:CatalogDatabase": "its table definitions",
    "aws:glue/catalogTable:CatalogTable": "its table definition",
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": "the account's catalog "
    "encryption (a delete writes empty settings)",
    "aws:ecr/repository:Repository": "its images",
    "aws:secretsmanager/secret:Secret": "its secret value",
    "aws:athena/workgroup:Workgroup": "its query history",
    # The cluster: every workload and its etcd state.
    "aws:eks/cluster:Cluster": "the cluster's state",
}
"""Type token -> what is lost when a resource of the type is deleted or replaced."""


@stack_policy(
    "stateful-resource-protection",
    domain=DOMAIN,
    description="In a stack whose pack config marks it protected, every resource that holds data or "
    "audit history has Pulumi's protect option (and retainOnDelete).",
    severity=Severity.HIGH,
    remediation="Set protect=True and retain_on_delete=True on the resource (dataplatform components: "
    "deletion_protection: true, the default); a rename goes through aliases. A resource that really "
    "may go gets an exemption with its reason.",
    enforcement=EnforcementLevel.MANDATORY,
    config={
        "protected": {
            "type": "boolean",
            "default": False,
            "description": "This stack keeps its data (prod): stateful resources must be protected.",
        }
    },
    reads=tuple(STATEFUL_TYPES),
)
def stateful_resource_protection(ctx: StackContext) -> None:
    if ctx.config.get("protected") is not True:
        return
    for resource in ctx.of_type(*STATEFUL_TYPES):
        if resource.protect:
            continue
        kind = resource.type.rsplit(":", 1)[-1]
        ctx.report(
            f"{kind} '{resource.name}' holds {STATEFUL_TYPES[resource.type]}, and is not protected in a "
            "stack marked protected: `pulumi destroy`, a replace or a rename without an alias would delete "
            "it; set protect=True and retain_on_delete=True (a dataplatform component: deletion_protection: "
            "true)",
            resource.urn,
        )


POLICIES = [stateful_resource_protection]
