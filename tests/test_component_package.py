"""The component package other Pulumi languages use: its schema, GetSchema and Construct in process.

Construct is driven through the provider's Python API (``ComponentProvider.construct``, what the gRPC
servicer calls after decoding the engine's request) under the recording engine's mocks; GetSchema
through the gRPC servicer itself.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pulumi.provider.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2

from components._validation import InvalidConfigError
from components.provider import COMPONENTS, PACKAGE_NAME, build_provider, package_schema
from dpengine.testing import resolve, run_program_fn

ROOT = Path(__file__).resolve().parent.parent
METASCHEMA = ROOT / "schema" / "pulumi-package.metaschema.json"
TOKENS = {
    f"{PACKAGE_NAME}:index:{name}"
    for name in ("DataLakeBucket", "EksCluster", "Network", "PipelineService", "Warehouse")
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package_schema()


def _metaschema() -> dict[str, Any]:
    """The metaschema with its ECMA-262 named groups ``(?<name>...)`` spelled as Python's ``re`` spells
    them, ``(?P<name>...)`` (same meaning; jsonschema matches ``pattern`` with ``re``)."""
    return json.loads(re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", METASCHEMA.read_text()))


def test_schema_validates_against_pulumi_metaschema(schema: dict[str, Any]) -> None:
    metaschema = _metaschema()
    jsonschema.Draft202012Validator.check_schema(metaschema)
    errors = sorted(jsonschema.Draft202012Validator(metaschema).iter_errors(schema), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_metaschema_rejects_a_broken_schema(schema: dict[str, Any]) -> None:
    """The validation above can fail: a resource token without a module breaks the token pattern."""
    broken = json.loads(json.dumps(schema))
    broken["resources"]["dataplatform-DataLakeBucket"] = broken["resources"].pop(
        "dataplatform:index:DataLakeBucket"
    )
    validator = jsonschema.Draft202012Validator(_metaschema())
    assert list(validator.iter_errors(broken))


def test_schema_serves_the_main_components_with_typed_inputs(schema: dict[str, Any]) -> None:
    resources = schema["resources"]
    assert set(resources) == TOKENS
    assert all(spec["isComponent"] for spec in resources.values())
    warehouse = resources["dataplatform:index:Warehouse"]
    assert set(warehouse["requiredInputs"]) == {"tags", "vpcId", "dataSubnetIds", "allowedSecurityGroupIds"}
    subnets = warehouse["inputProperties"]["dataSubnetIds"]
    # An eventual list of strings (a Network's output feeds it), not a plain one.
    assert (subnets["type"], subnets["items"]["type"], "plain" in subnets) == ("array", "string", False)
    # Settings are known when the component validates them: plain, never an eventual value.
    for spec in resources.values():
        assert spec["inputProperties"]["settings"]["plain"] is True
        assert spec["inputProperties"]["tags"]["plain"] is True
    lake = resources["dataplatform:index:DataLakeBucket"]
    assert {"replicationDestinationBucketArn", "replicationDestinationBucketArns"} <= set(
        lake["inputProperties"]
    )
    assert set(lake["properties"]) == {"bucketNames", "bucketArns", "layerPrefixes", "kmsKeyArn"}
    service = resources["dataplatform:index:PipelineService"]
    assert "kubeconfig" in service["inputProperties"] and "provider" not in service["inputProperties"]
    assert set(service["requiredInputs"]) == {"settings", "tags", "oidcProviderArn", "oidcIssuerUrl"}


def test_grpc_get_schema_answers_the_package_schema(schema: dict[str, Any]) -> None:
    servicer = ProviderServicer(build_provider(), [], "")
    response = asyncio.run(servicer.GetSchema(provider_pb2.GetSchemaRequest(version=0), None))
    assert json.loads(response.schema) == schema


def _construct(token: str, inputs: dict[str, Any]) -> tuple[Any, Any]:
    provider = build_provider()
    made: list[Any] = []
    run = run_program_fn(
        lambda: made.append(provider.construct("team", token, inputs)), project="test", stack="dev"
    )
    return run, made[0]


def test_construct_data_lake_bucket_registers_the_library_component(tags: dict[str, str]) -> None:
    run, result = _construct(
        "dataplatform:index:DataLakeBucket",
        {"tags": tags, "settings": {"layers": [{"name": "raw"}, {"name": "gold"}]}},
    )
    urn = resolve(result.urn)
    assert urn.endswith("::dataplatform:index:DataLakeBucket::team")
    inner = [r for r in run.descendants_of(urn) if r.type == "dataplatform:storage:DataLakeBucket"]
    assert len(inner) == 1
    buckets = [r for r in run.descendants_of(urn) if r.type == "aws:s3/bucket:Bucket"]
    # One lake bucket and the access-log bucket, both secure by default (SSE-KMS on the lake).
    assert len(buckets) == 2
    sse = [r for r in run.descendants_of(urn) if r.type.startswith("aws:s3/bucketServerSideEncryption")]
    assert any(
        rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        for r in sse
        for rule in r.inputs["rules"]
    )
    state = {key: resolve(value) for key, value in result.state.items()}
    assert set(state) == {"bucketNames", "bucketArns", "layerPrefixes", "kmsKeyArn"}
    assert set(state["bucketNames"]) == {"raw", "gold"}


def test_construct_rejects_bad_settings_naming_the_key_path_before_registering(tags: dict[str, str]) -> None:
    provider = build_provider()
    registered: list[Any] = []

    def program() -> None:
        try:
            provider.construct(
                "team",
                "dataplatform:index:Warehouse",
                {
                    "tags": tags,
                    "settings": {"engine": "oracle"},
                    "vpcId": "vpc-1",
                    "dataSubnetIds": ["subnet-a", "subnet-b"],
                    "allowedSecurityGroupIds": ["sg-1"],
                },
            )
        except Exception as error:  # noqa: BLE001 - the provider wraps the component's error
            registered.append(error)

    run = run_program_fn(program, project="test", stack="dev")
    error = registered[0]
    inner = getattr(error, "inner", error)
    assert isinstance(inner, InvalidConfigError)
    assert "settings.engine" in str(inner)
    assert [r.type for r in run.resources if r.type != "pulumi:pulumi:Stack"] == [
        "dataplatform:index:Warehouse"
    ]


def test_construct_requires_the_schema_inputs(tags: dict[str, str]) -> None:
    provider = build_provider()
    with pytest.raises(Exception, match="vpcId"):
        provider.construct("team", "dataplatform:index:Warehouse", {"tags": tags})


def test_every_component_is_served() -> None:
    assert [c.__name__ for c in COMPONENTS] == [
        "DataLakeBucket",
        "EksCluster",
        "Network",
        "PipelineService",
        "Warehouse",
    ]
