"""Account, region and partition invokes, and the common IAM, KMS and log types."""

from __future__ import annotations

from typing import Any

from ..mocks import MockContext, autoname, invoke, outputs_for


@invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def _availability_zones(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    suffixes = "abcdef"
    names = [f"{ctx.region}{s}" for s in suffixes]
    return {
        "id": ctx.region,
        "names": names,
        "zoneIds": [f"use1-az{i + 1}" for i in range(len(names))],
        "groupNames": [ctx.region] * len(names),
        "state": args.get("state", "available"),
    }


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ctx.account_id,
        "accountId": ctx.account_id,
        "arn": f"arn:aws:iam::{ctx.account_id}:user/offline-engine",
        "userId": "AIDAOFFLINEENGINE",
    }


@invoke("aws:index/getPartition:getPartition")
def _partition(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "aws",
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    }


@invoke("aws:index/getRegion:getRegion")
def _region(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ctx.region,
        "name": ctx.region,
        "region": ctx.region,
        "endpoint": f"ec2.{ctx.region}.amazonaws.com",
        "description": ctx.region,
    }


autoname(
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:secretsmanager/secret:Secret",
)


@outputs_for("aws:iam/role:Role")
def _role(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    path = ctx.inputs.get("path", "/")
    return {
        "arn": ctx.arn("iam", f"role{path}{name}", region=False),
        "uniqueId": f"AROA{ctx.hex(16).upper()}",
    }


@outputs_for("aws:iam/policy:Policy")
def _policy(ctx: MockContext) -> dict[str, Any]:
    return {
        "arn": ctx.arn("iam", f"policy/{ctx.inputs['name']}", region=False),
        "policyId": f"ANPA{ctx.hex(16).upper()}",
    }


@outputs_for("aws:iam/instanceProfile:InstanceProfile")
def _instance_profile(ctx: MockContext) -> dict[str, Any]:
    return {"arn": ctx.arn("iam", f"instance-profile/{ctx.inputs['name']}", region=False)}


@outputs_for("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(ctx: MockContext) -> dict[str, Any]:
    url = str(ctx.inputs.get("url", f"https://oidc.eks.{ctx.region}.amazonaws.com/id/{ctx.hex(32).upper()}"))
    host = url.removeprefix("https://")
    return {"arn": ctx.arn("iam", f"oidc-provider/{host}", region=False), "url": url}


@outputs_for("aws:kms/key:Key")
def _kms_key(ctx: MockContext) -> dict[str, Any]:
    h = ctx.hex(32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {"__id": key_id, "keyId": key_id, "arn": ctx.arn("kms", f"key/{key_id}")}


@outputs_for("aws:kms/alias:Alias")
def _kms_alias(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs.get("name", f"alias/{ctx.physical_id}")
    return {"name": name, "arn": ctx.arn("kms", str(name)), "targetKeyArn": ctx.inputs.get("targetKeyId", "")}


@outputs_for("aws:cloudwatch/logGroup:LogGroup")
def _log_group(ctx: MockContext) -> dict[str, Any]:
    return {"arn": ctx.arn("logs", f"log-group:{ctx.inputs['name']}")}


@outputs_for("aws:secretsmanager/secret:Secret")
def _secret(ctx: MockContext) -> dict[str, Any]:
    arn = ctx.arn("secretsmanager", f"secret:{ctx.inputs['name']}-{ctx.hex(6)}")
    return {"__id": arn, "arn": arn}


autoname("aws:s3/bucket:Bucket", prop="bucket")


@outputs_for("aws:s3/bucket:Bucket")
def _bucket(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["bucket"]
    return {
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": ctx.region,
    }
