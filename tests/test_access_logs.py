"""Server access logs for every bucket that holds data: the lake's buckets, the Athena query results
and the DR replica of the lake (into a log bucket in the DR region: S3 delivers logs only within a
region)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components._access_logs import ACCESS_LOG_PREFIX, AccessLoggingSettings
from components.catalog import QueryWorkgroup, QueryWorkgroupArgs
from components.catalog.settings import QuerySettings
from dpengine.engine import ResourceRecord, StackRun, run_program
from dpengine.testing import run_component

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def _provider_region(run: StackRun, record: ResourceRecord) -> str:
    if record.provider:
        provider = run.get(record.provider.rsplit("::", 1)[0])
        return str(provider.inputs.get("region"))
    return str(run.config["aws:region"])


@pytest.fixture(scope="module")
def prod() -> StackRun:
    return run_program(ROOT, "prod")


def test_every_bucket_that_holds_data_is_logged_in_its_own_region(prod: StackRun) -> None:
    buckets = {r.urn: r for r in prod.resources if r.type == BUCKET}
    log_buckets = {urn for urn, r in buckets.items() if r.name.endswith("-logs")}
    logged: dict[str, str] = {}
    for logging in (r for r in prod.resources if r.type == LOGGING):
        (source,) = logging.property_dependencies["bucket"]
        (target,) = logging.property_dependencies["targetBucket"]
        assert target in log_buckets, logging.name
        assert logging.inputs["targetPrefix"] == ACCESS_LOG_PREFIX
        # S3 delivers server access logs only to a bucket in the source bucket's region.
        assert _provider_region(prod, buckets[source]) == _provider_region(prod, buckets[target])
        logged[source] = target
    data_buckets = set(buckets) - log_buckets
    assert sorted(buckets[u].name for u in data_buckets - set(logged)) == []
    assert {buckets[u].name for u in data_buckets} >= {"lake-lake", "analytics-results", "dr-lake"}
    assert {buckets[logged[u]].name for u in data_buckets} == {
        "lake-logs",
        "analytics-results-logs",
        "dr-lake-logs",
    }
    dr_logs = next(r for r in buckets.values() if r.name == "dr-lake-logs")
    assert _provider_region(prod, dr_logs) == "eu-central-1"
    assert dr_logs.protect and dr_logs.retain_on_delete


def test_the_query_results_log_bucket_admits_only_the_results_bucket(tags: dict[str, str]) -> None:
    cr = run_component(
        lambda: QueryWorkgroup("analytics", QueryWorkgroupArgs(settings=QuerySettings(), tags=tags))
    )
    results = next(r for r in cr.of_type(BUCKET) if r.name == "analytics-results")
    logs = next(r for r in cr.of_type(BUCKET) if r.name == "analytics-results-logs")
    policy = next(r for r in cr.of_type(POLICY) if r.name == "analytics-results-logs-policy")
    statement = json.loads(policy.inputs["policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert statement["Resource"] == f"{logs.outputs['arn']}/{ACCESS_LOG_PREFIX}*"
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == [results.outputs["arn"]]
    (logging,) = cr.of_type(LOGGING)
    assert logging.inputs["bucket"] == results.id
    assert logging.inputs["targetBucket"] == logs.outputs["bucket"]
    encryption = next(r for r in cr.children if r.name == "analytics-results-logs-encryption")
    algorithm = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
    assert algorithm == "AES256"  # S3 cannot deliver logs to an SSE-KMS default-encrypted bucket


def test_access_logging_can_be_turned_off_explicitly(tags: dict[str, str]) -> None:
    off = QuerySettings(access_logging=AccessLoggingSettings(enabled=False))
    cr = run_component(lambda: QueryWorkgroup("analytics", QueryWorkgroupArgs(settings=off, tags=tags)))
    assert [r.name for r in cr.of_type(BUCKET)] == ["analytics-results"]
    assert cr.of_type(LOGGING) == []
