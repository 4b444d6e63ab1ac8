"""RDS and Redshift: instances, clusters, their subnet and parameter groups, logging;
the managed prefix list lookup (e.g. the regional S3 list a security group rule targets).

Values have the shapes AWS returns: RDS ids are ``db-`` resource ids, endpoints are
``<identifier>.<hash>.<region>.rds|redshift.amazonaws.com``, and the AWS-managed
master secrets have the ``rds!db-...`` / ``redshift!<cluster>-<user>`` names.
"""

from __future__ import annotations

from typing import Any

from ..mocks import MockContext, autoname, invoke, outputs_for

autoname(
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:redshift/subnetGroup:SubnetGroup",
    "aws:redshift/parameterGroup:ParameterGroup",
)
autoname("aws:rds/instance:Instance", prop="identifier")


def _uuid(ctx: MockContext, salt: str) -> str:
    h = ctx.hex(32, salt)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@outputs_for("aws:rds/subnetGroup:SubnetGroup")
def _rds_subnet_group(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {
        "__id": name,
        "arn": ctx.arn("rds", f"subgrp:{name}"),
        "supportedNetworkTypes": ["IPV4"],
        "vpcId": f"vpc-{ctx.hex(17, 'vpc')}",
    }


@outputs_for("aws:rds/parameterGroup:ParameterGroup")
def _rds_parameter_group(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {"__id": name, "arn": ctx.arn("rds", f"pg:{name}")}


@outputs_for("aws:rds/instance:Instance")
def _rds_instance(ctx: MockContext) -> dict[str, Any]:
    identifier = ctx.inputs["identifier"]
    port = int(ctx.inputs.get("port", 5432))
    address = f"{identifier}.c{ctx.hex(11, 'host')}.{ctx.region}.rds.amazonaws.com"
    resource_id = f"db-{ctx.hex(26, 'resource').upper()}"
    out: dict[str, Any] = {
        "__id": resource_id,
        "resourceId": resource_id,
        "arn": ctx.arn("rds", f"db:{identifier}"),
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "engineVersionActual": _full_version(str(ctx.inputs.get("engineVersion", "17"))),
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "status": "available",
        "storageThroughput": 125,
        "iops": 3000,
        "listenerEndpoints": [],
    }
    if ctx.inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": ctx.arn(
                    "secretsmanager", f"secret:rds!db-{_uuid(ctx, 'secret')}-{ctx.hex(6, 'sfx')}"
                ),
                "kmsKeyId": ctx.inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ]
    return out


def _full_version(version: str) -> str:
    return version if "." in version else f"{version}.4"


@outputs_for("aws:redshift/subnetGroup:SubnetGroup")
def _redshift_subnet_group(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {"__id": name, "arn": ctx.arn("redshift", f"subnetgroup:{name}")}


@outputs_for("aws:redshift/parameterGroup:ParameterGroup")
def _redshift_parameter_group(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {"__id": name, "arn": ctx.arn("redshift", f"parametergroup:{name}")}


@outputs_for("aws:redshift/cluster:Cluster")
def _redshift_cluster(ctx: MockContext) -> dict[str, Any]:
    identifier = ctx.inputs["clusterIdentifier"]
    port = int(ctx.inputs.get("port", 5439))
    dns = f"{identifier}.c{ctx.hex(11, 'host')}.{ctx.region}.redshift.amazonaws.com"
    nodes = int(ctx.inputs.get("numberOfNodes", 1))
    out: dict[str, Any] = {
        "__id": identifier,
        "arn": ctx.arn("redshift", f"cluster:{identifier}"),
        "clusterNamespaceArn": ctx.arn("redshift", f"namespace:{_uuid(ctx, 'namespace')}"),
        "dnsName": dns,
        "endpoint": f"{dns}:{port}",
        "port": port,
        "databaseName": ctx.inputs.get("databaseName", "dev"),
        "clusterVersion": "1.0",
        "clusterRevisionNumber": "84215",
        "clusterPublicKey": f"ssh-rsa AAAAB3NzaC1yc2E{ctx.hex(24, 'pk')} Amazon-Redshift",
        "clusterNodes": [
            {
                "nodeRole": "LEADER" if nodes > 1 else "SHARED",
                "privateIpAddress": "10.0.64.10",
                "publicIpAddress": "",
            }
        ]
        + [
            {"nodeRole": f"COMPUTE-{i}", "privateIpAddress": f"10.0.64.{11 + i}", "publicIpAddress": ""}
            for i in range(nodes if nodes > 1 else 0)
        ],
    }
    if ctx.inputs.get("manageMasterPassword"):
        user = ctx.inputs.get("masterUsername", "awsuser")
        out["masterPasswordSecretArn"] = ctx.arn(
            "secretsmanager", f"secret:redshift!{identifier}-{user}-{ctx.hex(6, 'sfx')}"
        )
    return out


@outputs_for("aws:redshift/logging:Logging")
def _redshift_logging(ctx: MockContext) -> dict[str, Any]:
    return {"__id": str(ctx.inputs.get("clusterIdentifier", ctx.physical_id))}


_PREFIX_LIST_IDS = {"s3": "pl-63a5400a", "dynamodb": "pl-02cd2c6b"}


@invoke("aws:ec2/getManagedPrefixList:getManagedPrefixList")
def _managed_prefix_list(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name") or f"com.amazonaws.{ctx.region}.s3")
    service = name.rsplit(".", 1)[-1]
    list_id = str(args.get("id") or _PREFIX_LIST_IDS.get(service, f"pl-{ctx.hex(8, name)}"))
    return {
        "id": list_id,
        "arn": f"arn:aws:ec2:{ctx.region}:aws:prefix-list/{list_id}",
        "name": name,
        "addressFamily": "IPv4",
        "maxEntries": 0,
        "ownerId": "AWS",
        "version": 0,
        "entries": [{"cidr": "52.216.0.0/15", "description": ""}, {"cidr": "3.5.0.0/19", "description": ""}],
        "filters": args.get("filters") or [],
        "tags": {},
        "region": ctx.region,
    }
