"""examples/typescript previews under the Node SDK's mocks, its components constructed by the Python
provider.

What this proves: the program type-checks (``tsc --strict``) against an SDK written from the package
schema (tests/component_package/nodesdk.py, the generated SDK's shape); each component registers as
a remote component, and the Node mocks hand the registration (inputs as the Node SDK serialized them)
to the Python provider's Construct (tests/component_package/bridge.py), whose outputs flow back into
the program. Not proved here: Pulumi's own codegen and the engine's gRPC Construct hop (no Pulumi CLI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.provider import package_schema
from tests.component_package.nodesdk import typescript_sdk

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "component_package"
EXAMPLE = ROOT / "examples" / "typescript" / "index.ts"
PLATFORM = "acme/dataplatform/dev"
PLATFORM_OUTPUTS = {
    "vpcId": "vpc-0platform",
    "dataSubnetIds": ["subnet-data-a", "subnet-data-b"],
    "nodeSecurityGroupId": "sg-0nodes",
}

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not installed (make test's CI script installs it)"
)


def preview(tmp_path: Path, program: Path = EXAMPLE, mode: str = "both") -> subprocess.CompletedProcess[str]:
    """Run preview.js: ``check`` type-checks only, ``run`` previews without the type check."""
    if not (HERE / "node_modules" / "@pulumi" / "pulumi").is_dir():
        raise AssertionError(
            "the Node SDK is not installed: run `make node-sdk` (npm ci --prefix tests/component_package)"
        )
    sdk = tmp_path / "dataplatform.ts"
    sdk.write_text(typescript_sdk(package_schema()))
    outputs = tmp_path / "stack-outputs.json"
    outputs.write_text(json.dumps({PLATFORM: PLATFORM_OUTPUTS}))
    env = {**os.environ, "PULUMI_CONFIG": json.dumps({"team-analytics-ts:platformStack": PLATFORM})}
    args = [str(program), str(sdk), str(tmp_path), sys.executable, str(outputs), mode]
    return subprocess.run(
        ["node", str(HERE / "preview.js"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    done = preview(tmp_path_factory.mktemp("ts"))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _children(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    (made,) = [c for c in result["constructed"] if c["name"] == name]
    return made["children"]  # type: ignore[no-any-return]


def test_the_example_registers_remote_components_the_provider_constructs(result: dict[str, Any]) -> None:
    assert [(c["type"], c["name"]) for c in result["constructed"]] == [
        ("dataplatform:index:DataLakeBucket", "analytics-lake"),
        ("dataplatform:index:Warehouse", "analytics-db"),
    ]
    lake_types = {c["type"] for c in _children(result, "analytics-lake")}
    assert "dataplatform:storage:DataLakeBucket" in lake_types and "aws:kms/key:Key" in lake_types
    assert result["outputs"]["lakeBucketNames"].keys() == {"raw", "curated", "gold"}


def test_the_platform_outputs_reach_the_database_through_the_provider(result: dict[str, Any]) -> None:
    children = _children(result, "analytics-db")
    (group,) = [c for c in children if c["type"] == "aws:rds/subnetGroup:SubnetGroup"]
    assert group["inputs"]["subnetIds"] == PLATFORM_OUTPUTS["dataSubnetIds"]
    (instance,) = [c for c in children if c["type"] == "aws:rds/instance:Instance"]
    assert instance["inputs"]["storageEncrypted"] is True
    assert instance["inputs"]["publiclyAccessible"] is False
    assert instance["inputs"]["dbName"] == "analytics"
    rules = [c for c in children if c["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"]
    assert [r["inputs"]["referencedSecurityGroupId"] for r in rules] == [
        PLATFORM_OUTPUTS["nodeSecurityGroupId"]
    ]
    assert result["outputs"]["databasePort"] == 5432


def test_bad_settings_fail_the_preview_naming_the_key(tmp_path: Path) -> None:
    program = tmp_path / "index.ts"
    program.write_text(EXAMPLE.read_text().replace('engine: "postgres"', 'engine: "oracle"'))
    done = preview(tmp_path, program, mode="run")
    assert done.returncode == 1
    assert "dataplatform:index:Warehouse analytics-db" in done.stderr and "settings.engine" in done.stderr


def test_a_missing_required_input_fails_the_type_check(tmp_path: Path) -> None:
    program = tmp_path / "index.ts"
    program.write_text(EXAMPLE.read_text().replace("    vpcId: platform", "    // vpcId: platform"))
    done = preview(tmp_path, program, mode="check")
    assert done.returncode == 2
    assert "vpcId" in done.stderr and "WarehouseArgs" in done.stderr
