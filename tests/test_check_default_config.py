"""A program outside this repository gets the documented default pack config (issue 27, item 7).

The pack's ``dev.json`` is this project's dev stack's config (most rules advisory); a program that
merely has a stack named ``dev`` must not inherit it. Without its own ``policies/<stack>.json`` it
gets :func:`dpengine.pack.default_pack_config`: every high and critical severity rule mandatory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import policies
from dpengine.check import DEFAULT_CONFIG_SOURCE, default_pack_config
from dpengine.pack import PolicyPackSpec, load_config

PACK = PolicyPackSpec.from_module(policies)

PROGRAM = """\
import pulumi_aws as aws
aws.rds.Instance("db", instance_class="db.t3.micro", engine="postgres", allocated_storage=20,
                 manage_master_user_password=True, username="app", storage_encrypted=True,
                 publicly_accessible={public},
                 tags={{"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c",
                       "ManagedBy": "pulumi"}})
"""


def _project(root: Path, *, public: bool) -> Path:
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: outside\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "__main__.py").write_text(PROGRAM.format(public=public))
    return root


def test_the_default_makes_every_high_and_critical_rule_mandatory() -> None:
    config = default_pack_config(PACK)
    high = {p.name for p in PACK.policies if PACK.registry[p.name].severity.value in ("high", "critical")}
    assert set(config) == high
    assert set(config.values()) == {"mandatory"}
    assert "db-not-publicly-accessible" in config
    # The published default (policies/default.json) says the same, with the pack's own components'
    # documented exemption (S3 access-log targets cannot use SSE-KMS).
    published = load_config(PACK.directory / "default.json")
    assert {
        k for k, v in published.items() if v == "mandatory" or v.get("enforcementLevel") == "mandatory"
    } == high


def test_a_public_database_outside_the_repository_fails_on_a_stack_named_dev(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dpengine.cli import main

    project = _project(tmp_path / "outside", public=True)
    assert main(["check", "--dir", str(project), "--stack", "dev", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["pack"]["config"].endswith(f"policies/default.json ({DEFAULT_CONFIG_SOURCE})")
    mandatory = {(v["policy"], v["name"]) for v in data["violations"] if v["enforcement"] == "mandatory"}
    assert ("db-not-publicly-accessible", "db") in mandatory


def test_the_same_database_private_passes_and_the_text_report_names_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dpengine.cli import main

    project = _project(tmp_path / "outside", public=False)
    code = main(["check", "--dir", str(project), "--stack", "dev"])
    text = capsys.readouterr().out
    unwrapped = " ".join(text.split())  # the output is wrapped to the terminal width
    assert f"policies/default.json ({DEFAULT_CONFIG_SOURCE}))" in unwrapped
    assert "db-not-publicly-accessible" not in text
    assert code == 0, text


def test_a_project_config_is_used_and_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dpengine.cli import main

    project = _project(tmp_path / "outside", public=True)
    (project / "policies").mkdir()
    (project / "policies" / "dev.json").write_text(json.dumps({"all": "advisory"}))
    assert main(["check", "--dir", str(project), "--stack", "dev", "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["runs"][0]["properties"]["packConfig"].endswith(
        "policies/dev.json (the project's policies/<stack>.json)"
    )
