"""Glue databases, the Athena workgroup and ECR repositories: names, ARNs and repository URLs."""

from __future__ import annotations

from typing import Any

from ..mocks import MockContext, autoname, invoke, outputs_for

autoname(
    "aws:athena/workgroup:Workgroup",
    "aws:ecr/repository:Repository",
    "aws:glue/catalogDatabase:CatalogDatabase",
)


@outputs_for("aws:glue/catalogDatabase:CatalogDatabase")
def _database(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {
        "__id": f"{ctx.account_id}:{name}",
        "arn": ctx.arn("glue", f"database/{name}"),
        "catalogId": ctx.account_id,
    }


@outputs_for("aws:athena/workgroup:Workgroup")
def _workgroup(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {"__id": name, "arn": ctx.arn("athena", f"workgroup/{name}")}


@outputs_for("aws:ecr/repository:Repository")
def _repository(ctx: MockContext) -> dict[str, Any]:
    name = ctx.inputs["name"]
    return {
        "__id": name,
        "arn": ctx.arn("ecr", f"repository/{name}"),
        "registryId": ctx.account_id,
        "repositoryUrl": f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com/{name}",
    }


@outputs_for("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def _lifecycle(ctx: MockContext) -> dict[str, Any]:
    return {"__id": ctx.inputs.get("repository"), "registryId": ctx.account_id}


@invoke("aws:glue/getDataCatalogEncryptionSettings:getDataCatalogEncryptionSettings")
def _catalog_encryption(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    """The account's catalog encryption, as the stack that owns it sets it (SSE-KMS, a customer key
    by ARN); a stack that does not own the settings reads its key from here."""
    catalog_id = args.get("catalogId") or ctx.account_id
    key = ctx.arn("kms", f"key/{ctx.hex(8, 'catalog')}-0000-4000-8000-{ctx.hex(12, 'catalog-key')}")
    return {
        "id": catalog_id,
        "catalogId": catalog_id,
        "region": ctx.region,
        "dataCatalogEncryptionSettings": [
            {
                "encryptionAtRests": [
                    {
                        "catalogEncryptionMode": "SSE-KMS",
                        "catalogEncryptionServiceRole": "",
                        "sseAwsKmsKeyId": key,
                    }
                ],
                "connectionPasswordEncryptions": [
                    {"awsKmsKeyId": key, "returnConnectionPasswordEncrypted": True}
                ],
            }
        ],
    }
