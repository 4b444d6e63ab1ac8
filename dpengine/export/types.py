"""pulumi-aws type tokens to Terraform resource types.

pulumi-aws is bridged from the Terraform AWS provider: ``aws:<module>/<camelName>:<Name>`` is, as
a rule, ``aws_<module>_<snake_name>`` (``aws:s3/bucket:Bucket`` -> ``aws_s3_bucket``). The bridge's
module mapping (pulumi-aws ``provider/resources.go``) breaks the rule in a few documented places:
the ``ec2`` module holds Terraform's un-prefixed VPC resources (``aws_vpc``, ``aws_subnet``, ...),
the ``rds`` module's instance-level resources are ``aws_db_*`` (clusters stay ``aws_rds_cluster*``),
and IAM's OIDC provider is ``aws_iam_openid_connect_provider`` ("openid", one word).
"""

from __future__ import annotations

import re

EXCEPTIONS: dict[str, str] = {
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/optionGroup:OptionGroup": "aws_db_option_group",
    "aws:rds/snapshot:Snapshot": "aws_db_snapshot",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/clusterInstance:ClusterInstance": "aws_rds_cluster_instance",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "aws_rds_cluster_parameter_group",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        "aws_db_instance_automated_backups_replication"
    ),
    # pulumi-aws shortens "configuration" in this one name.
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    # The ec2 module's few Terraform types that keep the prefix.
    "aws:ec2/tag:Tag": "aws_ec2_tag",
    "aws:ec2/fleet:Fleet": "aws_ec2_fleet",
    "aws:ec2/host:Host": "aws_ec2_host",
    # pulumi-eks's Cluster is a component: exported as the aws_eks_cluster it creates.
    "eks:index:Cluster": "aws_eks_cluster",
}

# Modules whose resources drop the module name in Terraform (aws_subnet, not aws_ec2_subnet).
_UNPREFIXED_MODULES = frozenset({"ec2"})


def snake(name: str) -> str:
    """camelCase to snake_case: ``kmsMasterKeyId`` -> ``kms_master_key_id``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def terraform_type(token: str) -> str | None:
    """The Terraform type of a pulumi-aws token (``None`` for what has no Terraform resource)."""
    if token in EXCEPTIONS:
        return EXCEPTIONS[token]
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    module, member = parts[1].split("/", 1)
    name = snake(member)
    return f"aws_{name}" if module in _UNPREFIXED_MODULES else f"aws_{module}_{name}"
