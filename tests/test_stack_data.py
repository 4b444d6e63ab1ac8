"""The stacks' catalog, query and registry layer: what dev and prod add, the wiring of catalog_access
and images, the node roles' pull permissions, and bad settings refused before anything is registered."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.stack_config import load_stack_config
from dpengine.engine import EngineError, StackRun, run_program

ROOT = Path(__file__).resolve().parent.parent
URL = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_stack_adds_catalog_workgroup_registry_and_the_analyst_policy(name: str) -> None:
    run = stack(name)
    counts = {
        t: len(run.by_type(t))
        for t in (
            "aws:glue/catalogDatabase:CatalogDatabase",
            "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
            "aws:athena/workgroup:Workgroup",
            "aws:ecr/repository:Repository",
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        )
    }
    assert counts == {
        "aws:glue/catalogDatabase:CatalogDatabase": 3,
        # One owner per account and region: prod (dev reads prod's settings).
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": 1 if name == "prod" else 0,
        "aws:athena/workgroup:Workgroup": 1,
        "aws:ecr/repository:Repository": 3,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": 3,
    }
    lake = run.one("aws:s3/bucket:Bucket", "lake-lake").outputs["bucket"]
    databases = {
        r.inputs["name"]: r.inputs["locationUri"]
        for r in run.by_type("aws:glue/catalogDatabase:CatalogDatabase")
    }
    assert databases == {
        f"dataplatform_{name}_{layer}": f"s3://{lake}/{layer}/" for layer in ("bronze", "silver", "gold")
    }
    cutoff = run.one("aws:athena/workgroup:Workgroup").inputs["configuration"]["bytesScannedCutoffPerQuery"]
    assert cutoff == {"dev": 10 * 1024**3, "prod": 1024**4}[name]
    repositories = {
        r.inputs["name"]: (r.protect, r.inputs["forceDelete"])
        for r in run.by_type("aws:ecr/repository:Repository")
    }
    protected = name == "prod"
    assert repositories == {
        f"{name}/{s}": (protected, not protected) for s in ("ingest-api", "stream-consumer", "batch-worker")
    }
    analysts = json.loads(run.one("aws:iam/policy:Policy", "analytics-analysts").inputs["policy"])
    resources = [
        r
        for s in analysts["Statement"]
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert not any("bronze" in r or "silver" in r for r in resources), "analysts reach gold only"
    assert {"athenaWorkgroupName", "catalogDatabaseNames", "analystPolicyArn", "imageRepositoryUrls"} <= set(
        run.outputs
    )


def test_services_run_their_own_repository_at_the_pinned_tag() -> None:
    run = stack("dev")
    deployment = run.one("kubernetes:apps/v1:Deployment", "ingest-api-deployment")
    (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{URL}/dev/ingest-api:1.4.2"
    job = run.one("kubernetes:keda.sh/v1alpha1:ScaledJob", "batch-worker-scaled-job")
    (worker,) = job.inputs["spec"]["jobTargetRef"]["template"]["spec"]["containers"]
    assert worker["image"] == f"{URL}/dev/batch-worker:0.9.0"


def test_node_roles_can_pull_from_the_repositories() -> None:
    # Same-account pulls need only the node roles' identity policies (no repository policy), and
    # ECR decrypts layers through its own grant on the key, so the pullers need no KMS permission.
    run = stack("dev")
    attached = {
        (r.name, r.inputs["policyArn"].rsplit("/", 1)[-1])
        for r in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if "ContainerRegistry" in r.inputs["policyArn"]
    }
    roles = {name for name, _ in attached}
    assert {policy for _, policy in attached} == {
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEC2ContainerRegistryPullOnly",
    }
    assert any("karpenter" in n for n in roles) and any("system" in n for n in roles)


def test_writers_get_catalog_write_on_their_layer_only() -> None:
    run = stack("dev")
    policy = next(
        r for r in run.by_type("aws:iam/rolePolicy:RolePolicy") if r.name.startswith("batch-worker")
    )
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["CatalogWrite"]["Resource"] == [
        "arn:aws:glue:eu-west-1:123456789012:catalog",
        "arn:aws:glue:eu-west-1:123456789012:database/dataplatform_dev_gold",
        "arn:aws:glue:eu-west-1:123456789012:table/dataplatform_dev_gold/*",
    ]
    assert len(statements["CatalogRead"]["Resource"]) == 5  # the catalog, silver and gold


BASE: dict[str, Any] = {
    "environment": "dev",
    "tags": {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"},
    "cluster": {
        "deploy_from": "inside_vpc",
        "deployer_cidrs": ["10.0.8.0/24"],
        "kubernetes_version": "1.36",
        "admin_principal_arns": ["arn:aws:iam::123456789012:role/x"],
    },
    "warehouse": {
        "production": False,
        "deletion_protection": False,
        "backup_retention_days": 1,
        "postgres": {"multi_az": False},
    },
}


def issues(**sections: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidConfigError) as err:
        load_stack_config({**BASE, **sections}, "eu-west-1")
    return [(i.path, i.message) for i in err.value.issues]


def svc(**settings: Any) -> dict[str, Any]:
    return {"name": "app", **settings}


def test_bad_settings_name_the_key_path_and_the_fix() -> None:
    assert [p for p, _ in issues(query={"bytes_scanned_cutoff_per_query": 1000})] == [
        "dataplatform:query.bytes_scanned_cutoff_per_query"
    ]
    found = issues(services=[svc(image_repository={"tag": "1.0", "keep_tagged_images": 0})])
    assert found == [
        (
            "dataplatform:services[0].image_repository.keep_tagged_images",
            "an ECR lifecycle rule counts from 1 (0 would expire every image, the running one "
            "included); use 1 or more",
        )
    ]
    assert [p for p, _ in issues(services=[svc(image_repository={"name": "Team/App", "tag": "1.0"})])] == [
        "dataplatform:services[0].image_repository.name"
    ]


def test_image_and_repository_rules() -> None:
    assert issues(services=[svc()])[0][0] == "dataplatform:services[0].image"
    assert (
        issues(services=[svc(image="r/x:1", image_repository={"tag": "1"})])[0][0]
        == "dataplatform:services[0].image"
    )
    assert [
        p
        for p, _ in issues(
            services=[
                svc(image_repository={"tag": "1"}),
                {**svc(image_repository={"name": "app", "tag": "2"}), "name": "other"},
            ]
        )
    ] == ["dataplatform:services[1].image_repository.name"]


def test_catalog_access_needs_the_layers_data_access() -> None:
    found = issues(
        services=[svc(image="r/x:1", catalog_access={"read": ["gold"], "write": ["silver", "platinum"]})]
    )
    assert [p for p, _ in found] == [
        "dataplatform:services[0].catalog_access.write",
        "dataplatform:services[0].catalog_access.write",
        "dataplatform:services[0].catalog_access.read",
    ]
    assert "add them to lake_access.write" in found[1][1] and "add them to lake_access.read" in found[2][1]


def test_prod_keeps_catalog_results_and_images() -> None:
    prod = {**BASE, "environment": "prod", "tags": {**BASE["tags"], "Environment": "prod"}}
    with pytest.raises(InvalidConfigError) as err:
        load_stack_config(
            {**prod, "catalog": {"deletion_protection": False}, "query": {"deletion_protection": False}},
            "eu-west-1",
        )
    assert {"dataplatform:catalog.deletion_protection", "dataplatform:query.deletion_protection"} <= {
        i.path for i in err.value.issues
    }


def test_bad_cutoff_registers_nothing() -> None:
    with pytest.raises(EngineError) as err:
        run_program(
            ROOT,
            "dev",
            config_overrides={"dataplatform:query": json.dumps({"bytes_scanned_cutoff_per_query": 1})},
        )
    assert err.value.kind == "config"
    assert err.value.resources == []
    assert "dataplatform:query.bytes_scanned_cutoff_per_query" in str(err.value)
