"""DataCatalog and QueryWorkgroup: exact resources and inputs, policy documents, bad settings."""

from __future__ import annotations

import json

import pytest

from components._validation import InvalidConfigError
from components.catalog import (
    CATALOG_READ_ACTIONS,
    CATALOG_WRITE_ACTIONS,
    QUERY_ACTIONS,
    CatalogSettings,
    DataCatalog,
    DataCatalogArgs,
    QuerySettings,
    QueryWorkgroup,
    QueryWorkgroupArgs,
    catalog_access_document,
)
from dpengine.testing import assert_tagged, run_component

ACCOUNT = "123456789012"
REGION = "us-east-1"
CATALOG = f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LAYOUT = {"bronze": "lake-bucket", "silver": "lake-bucket", "gold": "lake-bucket"}
PREFIXES = {"bronze": "bronze/", "silver": "silver/", "gold": "gold/"}


def catalog(tags: dict[str, str], **settings: object) -> DataCatalog:
    return DataCatalog(
        "catalog",
        DataCatalogArgs(
            settings=CatalogSettings(**settings),  # type: ignore[arg-type]
            tags=tags,
            layer_buckets=LAYOUT,
            layer_prefixes=PREFIXES,
        ),
    )


def test_catalog_has_a_database_per_layer_at_its_prefix(tags: dict[str, str]) -> None:
    cr = run_component(lambda: catalog(tags, database_prefix="dp_dev", deletion_protection=False))
    assert cr.counts() == {
        "aws:glue/catalogDatabase:CatalogDatabase": 3,
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": 1,
        "aws:kms/key:Key": 1,
    }
    databases = {r.name: r.inputs for r in cr.of_type("aws:glue/catalogDatabase:CatalogDatabase")}
    assert {n: (i["name"], i["locationUri"]) for n, i in databases.items()} == {
        "catalog-bronze": ("dp_dev_bronze", "s3://lake-bucket/bronze/"),
        "catalog-silver": ("dp_dev_silver", "s3://lake-bucket/silver/"),
        "catalog-gold": ("dp_dev_gold", "s3://lake-bucket/gold/"),
    }
    key = cr.one("aws:kms/key:Key")
    encryption = cr.one("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings")
    assert encryption.inputs["dataCatalogEncryptionSettings"] == {
        "encryptionAtRest": {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": key.outputs["arn"]},
        "connectionPasswordEncryption": {
            "returnConnectionPasswordEncrypted": True,
            "awsKmsKeyId": key.outputs["arn"],
        },
    }
    assert key.inputs["enableKeyRotation"] is True
    assert json.loads(key.inputs["policy"])["Statement"] == [
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert all(not r.protect for r in cr.children)
    assert_tagged(cr.children, tags)
    assert cr.value(cr.component.database_names) == {
        "bronze": "dp_dev_bronze",
        "silver": "dp_dev_silver",
        "gold": "dp_dev_gold",
    }


def test_a_bucket_per_layer_is_located_at_the_bucket_root(tags: dict[str, str]) -> None:
    cr = run_component(
        lambda: DataCatalog(
            "catalog",
            DataCatalogArgs(
                settings=CatalogSettings(manage_encryption_settings=False),
                tags=tags,
                layer_buckets={"gold-layer": "gold-bucket"},
                layer_prefixes={"gold-layer": ""},
            ),
        )
    )
    database = cr.one("aws:glue/catalogDatabase:CatalogDatabase")
    assert (database.inputs["name"], database.inputs["locationUri"]) == (
        "dataplatform_gold_layer",
        "s3://gold-bucket/",
    )
    assert "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings" not in cr.counts()
    assert database.protect and database.retain_on_delete


def test_catalog_access_policy_names_only_the_layers_databases_and_tables(tags: dict[str, str]) -> None:
    cr = run_component(lambda: catalog(tags))
    document = json.loads(cr.value(cr.component.access_policy(read=["bronze"], write=["silver"])))
    key = cr.value(cr.component.kms_key_arn)
    prefix = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    bronze = [f"{prefix}:database/dataplatform_bronze", f"{prefix}:table/dataplatform_bronze/*"]
    silver = [f"{prefix}:database/dataplatform_silver", f"{prefix}:table/dataplatform_silver/*"]
    assert document["Statement"] == [
        {
            "Sid": "CatalogRead",
            "Effect": "Allow",
            "Action": CATALOG_READ_ACTIONS,
            "Resource": [CATALOG, *bronze, *silver],
        },
        {
            "Sid": "CatalogWrite",
            "Effect": "Allow",
            "Action": CATALOG_WRITE_ACTIONS,
            "Resource": [CATALOG, *silver],
        },
        {
            "Sid": "UseCatalogKeyThroughGlue",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": key,
            "Condition": {"StringEquals": {"kms:ViaService": f"glue.{REGION}.amazonaws.com"}},
        },
    ]
    assert not any(
        a.startswith("glue:") and "Database" in a and a != "glue:GetDatabase" for a in CATALOG_WRITE_ACTIONS
    )


def test_catalog_read_policy_only_decrypts() -> None:
    document = json.loads(catalog_access_document(CATALOG, {"gold": "dp_gold"}, KEY, read=["gold"]))
    assert [s["Sid"] for s in document["Statement"]] == ["CatalogRead", "UseCatalogKeyThroughGlue"]
    assert document["Statement"][1]["Action"] == ["kms:Decrypt"]


def test_unknown_layer_in_an_access_policy_is_refused_at_once(tags: dict[str, str]) -> None:
    with pytest.raises(InvalidConfigError) as err:
        run_component(lambda: catalog(tags).access_policy(write=["platinum"]))  # type: ignore[arg-type, return-value]
    assert [i.path for i in err.value.issues] == ["write"]
    assert "the catalog has bronze, gold, silver" in str(err.value)


@pytest.mark.parametrize("prefix", ["Data-Platform", "9lives", ""])
def test_database_prefix_athena_refuses(prefix: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        CatalogSettings(database_prefix=prefix)
    assert [i.path for i in err.value.issues] == ["database_prefix"]
    assert "e.g. 'dataplatform_dev'" in str(err.value)


def workgroup(tags: dict[str, str], **settings: object) -> QueryWorkgroup:
    return QueryWorkgroup("analytics", QueryWorkgroupArgs(settings=QuerySettings(**settings), tags=tags))  # type: ignore[arg-type]


def test_workgroup_enforces_encrypted_results_a_cutoff_and_engine_3(tags: dict[str, str]) -> None:
    cr = run_component(
        lambda: workgroup(tags, bytes_scanned_cutoff_per_query=10_485_760, result_expiration_days=7)
    )
    # The results bucket and its access-log bucket (tests/test_access_logs.py), each with the baseline.
    assert cr.counts() == {
        "aws:athena/workgroup:Workgroup": 1,
        "aws:kms/key:Key": 1,
        "aws:s3/bucket:Bucket": 2,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
        "aws:s3/bucketLogging:BucketLogging": 1,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 2,
        "aws:s3/bucketPolicy:BucketPolicy": 2,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
        "aws:s3/bucketVersioning:BucketVersioning": 2,
    }
    key = cr.one("aws:kms/key:Key").outputs["arn"]
    bucket = cr.one("aws:s3/bucket:Bucket", "analytics-results")
    group = cr.one("aws:athena/workgroup:Workgroup")
    assert group.inputs["configuration"] == {
        "enforceWorkgroupConfiguration": True,
        "publishCloudwatchMetricsEnabled": True,
        "bytesScannedCutoffPerQuery": 10_485_760,
        "requesterPaysEnabled": False,
        "engineVersion": {"selectedEngineVersion": "Athena engine version 3"},
        "resultConfiguration": {
            "outputLocation": f"s3://{bucket.outputs['bucket']}/results/",
            "expectedBucketOwner": ACCOUNT,
            "encryptionConfiguration": {"encryptionOption": "SSE_KMS", "kmsKeyArn": key},
        },
    }
    assert (group.inputs["state"], group.protect, group.inputs["forceDestroy"]) == ("ENABLED", True, False)
    sse = cr.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "analytics-results-encryption",
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key,
    }
    block = cr.one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "analytics-results-public-access-block"
    )
    assert all(
        block.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    (rule,) = cr.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "analytics-results-lifecycle"
    ).inputs["rules"]
    assert (rule["expiration"], rule["noncurrentVersionExpiration"]) == ({"days": 7}, {"noncurrentDays": 1})
    policy = json.loads(
        cr.one("aws:s3/bucketPolicy:BucketPolicy", "analytics-results-policy").inputs["policy"]
    )
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyInsecureTransport", "DenyOutdatedTls"]
    assert bucket.protect and bucket.retain_on_delete and bucket.inputs["forceDestroy"] is False
    assert_tagged(cr.children, tags)


def test_analyst_policy_queries_the_workgroup_and_reads_only_what_it_is_given(tags: dict[str, str]) -> None:
    def build() -> QueryWorkgroup:
        group = workgroup(tags)
        cat = catalog(tags)
        group.analyst = group.analyst_policy(
            cat.read_policy(["gold"]), '{"Statement": [{"Sid": "LakeGold"}]}'
        )  # type: ignore[attr-defined]
        return group

    cr = run_component(build)
    document = json.loads(cr.value(cr.component.analyst))  # type: ignore[attr-defined]
    group_arn = cr.one("aws:athena/workgroup:Workgroup").outputs["arn"]
    bucket_arn = cr.one("aws:s3/bucket:Bucket", "analytics-results").outputs["arn"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert list(statements) == [
        "RunQueriesInWorkgroup",
        "ReadWriteQueryResults",
        "ListQueryResults",
        "LocateResultsBucket",
        "UseResultsKeyThroughS3",
        "CatalogRead",
        "UseCatalogKeyThroughGlue",
        "LakeGold",
    ]
    assert statements["RunQueriesInWorkgroup"] == {
        "Sid": "RunQueriesInWorkgroup",
        "Effect": "Allow",
        "Action": QUERY_ACTIONS,
        "Resource": group_arn,
    }
    assert statements["ReadWriteQueryResults"]["Resource"] == f"{bucket_arn}/results/*"
    assert statements["ListQueryResults"]["Condition"] == {"StringLike": {"s3:prefix": ["results/*"]}}
    assert statements["CatalogRead"]["Resource"] == [
        CATALOG,
        f"arn:aws:glue:{REGION}:{ACCOUNT}:database/dataplatform_gold",
        f"arn:aws:glue:{REGION}:{ACCOUNT}:table/dataplatform_gold/*",
    ]


@pytest.mark.parametrize("cutoff", [0, 10_000_000, 10_485_759])
def test_a_cutoff_below_athenas_minimum_names_the_key_and_the_fix(cutoff: int) -> None:
    with pytest.raises(InvalidConfigError) as err:
        QuerySettings(bytes_scanned_cutoff_per_query=cutoff)
    assert [i.path for i in err.value.issues] == ["bytes_scanned_cutoff_per_query"]
    assert "use 10485760 or more" in str(err.value)
    QuerySettings(bytes_scanned_cutoff_per_query=10_485_760)
