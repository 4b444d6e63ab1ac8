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
