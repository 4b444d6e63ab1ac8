"""No config message prints a secret value, at any depth (issue 27, item 8, the messages half).

The Pulumi CLI marks a whole config key secret when any leaf of its object is ``secure:`` (the
Python SDK has key-level marks only: ``pulumi.runtime.config.is_config_secret``). The stack config
loader therefore echoes no value read from such a key, neither as "got ..." nor inside a message.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components._validation import InvalidConfigError
from components.stack_config import load_stack_config
from dpengine.engine import OFFLINE_SECRET, EngineError, run_program

ROOT = Path(__file__).resolve().parent.parent
BAD_TAGS = {"Environment": "hunter2-is-the-secret", "Owner": "platform-team"}


def test_a_value_under_a_secret_key_is_not_echoed() -> None:
    with pytest.raises(InvalidConfigError) as plain:
        load_stack_config({"tags": BAD_TAGS}, "eu-west-1")
    assert "platform-team" in str(plain.value)  # without the mark the value is shown, as before
    with pytest.raises(InvalidConfigError) as secret:
        load_stack_config({"tags": BAD_TAGS}, "eu-west-1", {"tags"})
    text = str(secret.value)
    assert "hunter2-is-the-secret" not in text
    assert "platform-team" not in text
    assert "dataplatform:tags:" in text and "(got [secret])" in text


def test_a_nested_secure_value_in_a_stack_file_never_reaches_the_error(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    stack = (ROOT / "Pulumi.dev.yaml").read_text()
    # A secure leaf in the tags object; the environment tag made invalid so the loader must report.
    stack = stack.replace("    Owner: platform-team\n", "    Owner:\n      secure: v1:abc:def\n")
    stack = stack.replace("    Environment: dev\n", "    Environment: not-a-stage\n")
    (project / "Pulumi.dev.yaml").write_text(stack)
    with pytest.raises(EngineError) as failed:
        run_program(project, "dev")
    assert failed.value.kind == "config"
    message = str(failed.value)
    assert "dataplatform:tags" in message
    assert OFFLINE_SECRET not in message and "not-a-stage" not in message
    assert failed.value.resources == []  # nothing registered before the config is valid


def test_a_secure_value_that_loses_its_mark_fails_the_check(tmp_path: Path) -> None:
    import json

    from dpengine.check import evaluate, render
    from tests.system_programs import PACK

    project = tmp_path / "leaky"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: leaky\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  leaky:app:\n    env:\n      TOKEN:\n        secure: v1:abc\n"
    )
    (project / "__main__.py").write_text(
        "import json, pulumi, pulumi_aws as aws\n"
        "env = json.loads(pulumi.Config().get('app'))['env']\n"  # get(), not get_secret_object(): mark lost
        "tags = {'Environment': 'dev', 'Project': 'p', 'Owner': 'o', 'CostCenter': 'c',"
        " 'ManagedBy': 'pulumi'}\n"
        "aws.ssm.Parameter('p', type='String', value='v', description=env['TOKEN'], tags=tags)\n"
        "pulumi.export('token', env['TOKEN'])\n"
    )
    run = run_program(project, "dev")
    parameter = run.one("aws:ssm/parameter:Parameter")
    assert run.secret_leaks == [("", "outputs.token"), (parameter.urn, "description")]
    report = evaluate(run, PACK)
    assert report.mandatory == []  # no policy fails it: the lost mark alone fails the check
    assert not report.passed
    text = render(report, "text")
    assert f"  - {parameter.urn}: description" in text
    assert OFFLINE_SECRET not in text + json.dumps(report.to_json()) + json.dumps(report.to_sarif())


def test_the_same_value_read_as_a_secret_keeps_its_mark(tmp_path: Path) -> None:
    project = tmp_path / "kept"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: kept\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  kept:app:\n    env:\n      TOKEN:\n        secure: v1:abc\n"
    )
    (project / "__main__.py").write_text(
        "import pulumi, pulumi_aws as aws\n"
        "env = pulumi.Config().require_secret_object('app').apply(lambda a: a['env'])\n"
        "aws.ssm.Parameter('p', type='SecureString', value=env.apply(lambda e: e['TOKEN']))\n"
        "pulumi.export('token', env.apply(lambda e: e['TOKEN']))\n"
    )
    run = run_program(project, "dev")
    assert run.secret_leaks == []
    assert run.one("aws:ssm/parameter:Parameter").masked_inputs["value"] == "[secret]"
    assert run.masked_outputs["token"] == "[secret]"
