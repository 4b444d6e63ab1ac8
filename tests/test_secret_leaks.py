"""Leak test: a nested ``secure:`` value appears on no output channel (issue 27, item 8).

A small program reads a config object with ``secure:`` leaves at two depths the way Pulumi's config
API keeps the mark (``require_secret_object``) and passes them to resources, a Kubernetes Secret
in a YAML component and a stack output. Offline the value reads as ``OFFLINE_SECRET``; every channel
is searched for it: preview text and JSON, check in every format, cost, diff, graph, export in both
formats, outputs, and the error message of a failing config.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dpengine.cli import main
from dpengine.engine import OFFLINE_SECRET

STACK = """\
config:
  aws:region: eu-west-1
  leaks:app:
    env:
      TOKEN:
        secure: v1:abc
      nested:
        deeper:
          secure: v1:def
    tags:
      Environment: dev
"""

PROGRAM = """\
import json, pulumi, pulumi_aws as aws, pulumi_kubernetes as k8s
app = pulumi.Config().require_secret_object("app")
token = app.apply(lambda a: a["env"]["TOKEN"])
deeper = app.apply(lambda a: a["env"]["nested"]["deeper"])
tags = {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"}
aws.ssm.Parameter("token", type="SecureString", value=token, tags=tags)
aws.ssm.Parameter("plain", type="String", value="v", description=deeper, tags=tags)
k8s.yaml.v2.ConfigGroup("cfg", objs=[{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                      "stringData": {"token": token}}])
pulumi.export("token", token)
pulumi.export("nested", app)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "leaks"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: leaks\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(STACK)
    (root / "__main__.py").write_text(PROGRAM)
    return root


def test_no_channel_prints_a_nested_secure_value(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--dir", str(project), "--stack", "dev"]
    out = tmp_path / "out"
    out.mkdir()
    seen: list[str] = []

    def run(*argv: str) -> None:
        main([*argv])
        captured = capsys.readouterr()
        seen.append(captured.out + captured.err)

    run("preview", *base)
    run("preview", *base, "--json", str(out / "plan.json"))
    for fmt in ("text", "json", "sarif"):
        run("check", *base, "--format", fmt)
    run("cost", *base)
    run("graph", *base)
    run("export", *base, "--format", "terraform-plan", "--output", str(out / "tf.json"))
    run("export", *base, "--format", "kubernetes", "--output", str(out / "k8s.yaml"))
    run("outputs", *base)
    run("diff", str(out / "plan.json"), str(out / "plan.json"))
    (project / "Pulumi.dev.yaml").write_text(STACK + "  leaks:broken: [\n")
    run("preview", *base)
    files = [p.read_text() for p in sorted(out.iterdir())]
    assert len(files) == 3 and len(seen) == 12
    leaks = [i for i, text in enumerate(seen + files) if OFFLINE_SECRET in text]
    assert leaks == []
    plan = json.loads((out / "plan.json").read_text())
    secret = next(s for s in plan["steps"] if s["newState"]["type"] == "kubernetes:core/v1:Secret")
    assert secret["newState"]["inputs"]["stringData"] == "[secret]"
