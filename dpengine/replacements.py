"""Which input changes replace a stateful resource instead of updating it in place.

pulumi-aws is bridged from the Terraform AWS provider: an input whose Terraform schema says
``ForceNew: true`` makes ``pulumi up`` replace the resource (delete and create, or create then
delete), and for a database, bucket, key or cluster that means losing its data. The Python SDK does
not carry that flag, so the table below lists, per stateful type, the top-level inputs (Pulumi wire
names) that force replacement, with the provider source that says so.

Sources (hashicorp/terraform-provider-aws, the provider pulumi-aws v7 bridges; ``ForceNew: true``
in the resource's schema, or "Forces new resource" in website/docs/r/<name>.html.markdown):

- RDS instance: internal/service/rds/instance.go (read for this table: identifier,
  identifier_prefix, engine, db_name, username, storage_encrypted, kms_key_id, character_set_name,
  nchar_character_set_name, timezone, snapshot_identifier, restore_to_point_in_time,
  custom_iam_instance_profile are ForceNew; instance_class, engine_version, allocated_storage,
  db_subnet_group_name are not); backup_target: docs/r/db_instance ("Forces new resource").
- EKS node group: internal/service/eks/node_group.go (read for this table: ami_type,
  capacity_type, cluster_name, disk_size, instance_types, node_group_name(_prefix), node_role_arn,
  remote_access, subnet_ids, launch_template id/name are ForceNew; scaling_config, labels, taint,
  version, release_version are not).
- The other entries follow the same provider's schemas (internal/service/rds/cluster.go,
  redshift/cluster.go, s3/bucket.go, kms/key.go, eks/cluster.go, ec2/vpc_subnet.go, ec2/vpc_.go,
  sqs/queue.go, logs/group.go) and the registry pages
  https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/<name>; they were not
  re-read line by line for this table, so an entry missing here shows as an update, never as a
  false replace.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplaceRule:
    properties: frozenset[str]
    """Top-level wire (camelCase) input names whose change forces replacement."""
    source: str
    """Where the provider says so."""


def _rule(source: str, *names: str) -> ReplaceRule:
    return ReplaceRule(frozenset(names), source)


_TF = "terraform-provider-aws internal/service/"

REPLACE_ON_CHANGE: dict[str, ReplaceRule] = {
    "aws:rds/instance:Instance": _rule(
        _TF + "rds/instance.go (ForceNew)",
        "identifier",
        "identifierPrefix",
        "engine",
        "dbName",
        "username",
        "storageEncrypted",
        "kmsKeyId",
        "availabilityZone",
        "characterSetName",
        "ncharCharacterSetName",
        "timezone",
        "snapshotIdentifier",
        "restoreToPointInTime",
        "customIamInstanceProfile",
        "backupTarget",
    ),
    "aws:rds/cluster:Cluster": _rule(
        _TF + "rds/cluster.go (ForceNew)",
        "clusterIdentifier",
        "clusterIdentifierPrefix",
        "engine",
        "engineMode",
        "databaseName",
        "masterUsername",
        "storageEncrypted",
        "kmsKeyId",
        "availabilityZones",
        "snapshotIdentifier",
        "restoreToPointInTime",
        "s3Import",
        "dbSubnetGroupName",
    ),
    "aws:redshift/cluster:Cluster": _rule(
        _TF + "redshift/cluster.go (ForceNew)",
        "clusterIdentifier",
        "databaseName",
        "clusterSubnetGroupName",
        "snapshotIdentifier",
        "snapshotClusterIdentifier",
        "ownerAccount",
    ),
    "aws:s3/bucket:Bucket": _rule(
        _TF + "s3/bucket.go (ForceNew)", "bucket", "bucketPrefix", "objectLockEnabled"
    ),
    "aws:kms/key:Key": _rule(
        _TF + "kms/key.go (ForceNew)",
        "customerMasterKeySpec",
        "keyUsage",
        "multiRegion",
        "customKeyStoreId",
        "xksKeyId",
    ),
    "aws:eks/cluster:Cluster": _rule(
        _TF + "eks/cluster.go (ForceNew)",
        "name",
        "roleArn",
        "encryptionConfig",
        "kubernetesNetworkConfig",
        "bootstrapSelfManagedAddons",
        "outpostConfig",
    ),
    # pulumi-eks's component builds an aws:eks/cluster:Cluster from these inputs (its own names).
    "eks:index:Cluster": _rule(
        _TF + "eks/cluster.go (ForceNew), through pulumi-eks's Cluster inputs",
        "name",
        "serviceRole",
        "encryptionConfigKeyArn",
        "kubernetesServiceIpAddressRange",
        "ipFamily",
        "bootstrapSelfManagedAddons",
    ),
    "aws:eks/nodeGroup:NodeGroup": _rule(
        _TF + "eks/node_group.go (ForceNew)",
        "amiType",
        "capacityType",
        "clusterName",
        "diskSize",
        "instanceTypes",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "remoteAccess",
        "subnetIds",
    ),
    "aws:ec2/subnet:Subnet": _rule(
        _TF + "ec2/vpc_subnet.go (ForceNew)",
        "vpcId",
        "cidrBlock",
        "availabilityZone",
        "availabilityZoneId",
        "outpostArn",
    ),
    "aws:ec2/vpc:Vpc": _rule(_TF + "ec2/vpc_.go (ForceNew)", "cidrBlock", "ipv4IpamPoolId"),
    "aws:sqs/queue:Queue": _rule(_TF + "sqs/queue.go (ForceNew)", "name", "namePrefix", "fifoQueue"),
    "aws:cloudwatch/logGroup:LogGroup": _rule(_TF + "logs/group.go (ForceNew)", "name", "namePrefix"),
}


def replacing_paths(token: str, changed: list[str], replace_on_changes: list[str]) -> tuple[list[str], str]:
    """The changed paths that force replacement, and why (empty when the change is an update)."""
    rule = REPLACE_ON_CHANGE.get(token)
    hits: list[str] = []
    reasons: list[str] = []
    if rule is not None:
        table_hits = [p for p in changed if _top(p) in rule.properties]
        if table_hits:
            hits += table_hits
            names = sorted({_top(p) for p in table_hits})
            reasons.append(f"{', '.join(names)} force replacement ({rule.source})")
    option_hits = [p for p in changed if p not in hits and _matches_option(p, replace_on_changes)]
    if option_hits:
        hits += option_hits
        reasons.append("the resource's replaceOnChanges option")
    return hits, "; ".join(reasons)


def _top(path: str) -> str:
    for sep in (".", "["):
        path = path.split(sep, 1)[0]
    return path


def _matches_option(path: str, patterns: list[str]) -> bool:
    """Pulumi's replaceOnChanges paths: ``a.b``, ``a[*].b``, ``*`` (every property)."""
    for pattern in patterns:
        if pattern == "*":
            return True
        parts = pattern.replace("[*]", ".*").split(".")
        got = path.replace("[", ".").replace("]", "").split(".")
        if len(got) >= len(parts) and all(p in ("*", g) for p, g in zip(parts, got)):
            return True
    return False
