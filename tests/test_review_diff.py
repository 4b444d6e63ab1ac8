"""dataplatform diff: plans with known differences give exactly the expected diff."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

from dpengine.cli import main
from dpengine.diff import EXIT_PROTECTED, diff_plans, render_markdown, render_text
from dpengine.engine import run_program
from dpengine.plan import plan_json
from dpengine.replacements import REPLACE_ON_CHANGE

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "urn:pulumi:prod::dataplatform::"
SUBNET = PREFIX + "dataplatform:network:Network$aws:ec2/subnet:Subnet::network-data-3"
DB = PREFIX + "dataplatform:database:Warehouse$aws:rds/instance:Instance::warehouse-db"
DB_TYPE = "aws:rds/instance:Instance"
REPORTING = PREFIX + "dataplatform:database:Warehouse$aws:rds/instance:Instance::reporting-db"


@pytest.fixture(scope="module")
def prod_plan() -> dict:
    return plan_json(run_program(ROOT, "prod"))


def _state(plan: dict, urn: str) -> dict:
    return next(s["newState"] for s in plan["steps"] if s["urn"] == urn)


@pytest.fixture
def plans(prod_plan: dict) -> tuple[dict, dict]:
    """Base: prod plus a second protected database; head: a subnet removed, the warehouse's instance
    class changed (in place), the second database's name changed (forces replacement)."""
    base = copy.deepcopy(prod_plan)
    reporting = copy.deepcopy(_state(base, DB))
    reporting["urn"] = REPORTING
    base["steps"].append({"op": "create", "urn": REPORTING, "newState": reporting})
    head = copy.deepcopy(base)
    head["steps"] = [s for s in head["steps"] if s["urn"] != SUBNET]
    _state(head, DB)["inputs"]["instanceClass"] = "db.r7g.xlarge"
    _state(head, REPORTING)["inputs"]["dbName"] = "reporting"
    return base, head


def test_known_differences_give_exactly_the_expected_diff(plans: tuple[dict, dict]) -> None:
    base, head = plans
    diff = diff_plans(base, head)
    total = len([s for s in base["steps"] if s["newState"]["type"] != "pulumi:pulumi:Stack"])
    assert diff.to_json() == {
        "create": [],
        "delete": [SUBNET],
        "update": [{"urn": DB, "changed": ["instanceClass"]}],
        "replace": [
            {
                "urn": REPORTING,
                "changed": ["dbName"],
                "reason": f"dbName force replacement ({REPLACE_ON_CHANGE[DB_TYPE].source})",
            }
        ],
        "unchanged": total - 3,
    }
    assert [c.urn for c in diff.protected_losses()] == [REPORTING]
    text = render_text(diff)
    assert "    +-aws:rds/instance:Instance: (replace) [protected, retain]" in text
    assert '      ~ dbName: "warehouse" => "reporting"' in text
    assert '      ~ instanceClass: "db.r7g.large" => "db.r7g.xlarge"' in text
    assert "    - aws:ec2/subnet:Subnet: (delete)" in text
    assert f"    {total - 3} unchanged" in text
    markdown = render_markdown(diff)
    assert "> Protected `reporting-db` (aws:rds/instance:Instance) would be replaced." in markdown
    assert "| delete | `network-data-3` | `aws:ec2/subnet:Subnet` |  |  |" in markdown


def test_an_instance_class_change_alone_is_an_update(prod_plan: dict) -> None:
    head = copy.deepcopy(prod_plan)
    _state(head, DB)["inputs"]["instanceClass"] = "db.r7g.2xlarge"
    diff = diff_plans(prod_plan, head)
    assert [(c.op, c.changed) for c in diff.changes] == [("update", ["instanceClass"])]
    assert diff.protected_losses() == []


def test_a_secret_shows_as_changed_never_its_value(prod_plan: dict) -> None:
    base, head = copy.deepcopy(prod_plan), copy.deepcopy(prod_plan)
    _state(base, DB)["inputs"]["password"] = "[secret]"
    _state(head, DB)["inputs"]["password"] = "hunter2-plain"
    _state(head, DB)["inputs"]["username"] = "[secret]"
    diff = diff_plans(base, head)
    (change,) = diff.changes
    assert change.changed == ["password", "username"]
    text = render_text(diff)
    assert "      ~ password: [secret] => [secret]" in text
    assert "      ~ username: [secret] => [secret]" in text
    assert "hunter2" not in text and "dp_admin" not in text
    assert "hunter2" not in render_markdown(diff)


def test_cli_json_and_exit_code_on_protected_replace(
    plans: tuple[dict, dict], tmp_path: Path, capsys
) -> None:
    base, head = plans
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "head.json").write_text(json.dumps(head))
    files = [str(tmp_path / "base.json"), str(tmp_path / "head.json")]
    assert main(["diff", *files, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["delete"] == [SUBNET]
    assert main(["diff", *files, "--fail-on-protected-replace"]) == EXIT_PROTECTED
    assert "protected resources would be replaced or deleted: reporting-db" in capsys.readouterr().err
    assert main(["diff", files[0], "--format", "json"]) == 2
    assert "two plan files" in capsys.readouterr().err


_PROGRAM = """
import pulumi
import pulumi_aws as aws

aws.s3.Bucket("data", force_destroy={force}, opts=pulumi.ResourceOptions(protect=True))
aws.sqs.Queue("jobs", fifo_queue={fifo})
"""


def test_base_ref_runs_the_revision_in_a_temporary_worktree(tmp_path: Path, capsys) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (project / "__main__.py").write_text(_PROGRAM.format(force=False, fifo=False))
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    (project / "__main__.py").write_text(_PROGRAM.format(force=True, fifo=True))
    args = ["diff", "--dir", str(project), "--stack", "dev", "--base-ref", "HEAD", "--format", "json"]
    assert main(args) == 0
    urn = "urn:pulumi:dev::tiny::"
    assert json.loads(capsys.readouterr().out) == {
        "create": [],
        "delete": [],
        "update": [{"urn": urn + "aws:s3/bucket:Bucket::data", "changed": ["forceDestroy"]}],
        "replace": [
            {
                "urn": urn + "aws:sqs/queue:Queue::jobs",
                "changed": ["fifoQueue"],
                "reason": f"fifoQueue force replacement ({REPLACE_ON_CHANGE['aws:sqs/queue:Queue'].source})",
            }
        ],
        "unchanged": 0,
    }
    worktrees = subprocess.run([*git, "worktree", "list"], capture_output=True, text=True, check=True)
    assert len(worktrees.stdout.strip().splitlines()) == 1  # the temporary worktree is gone
    assert main([*args[:-2], "--base-ref", "no-such-ref"]) == 2
    assert "no-such-ref" in capsys.readouterr().err
