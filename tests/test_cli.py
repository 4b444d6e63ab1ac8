"""The `dataplatform` command line: usage, help, finding the project, stacks, overrides, errors,
the preview's layout and `outputs` (issue 18)."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest

from dpengine import cli
from dpengine.cli import SUBCOMMANDS, config_overrides, main, use_color
from dpengine.plan import short_type
from dpengine.project import split_stack_name

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def small_project(root: Path, program: str) -> Path:
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  demo:size: 2\n")
    (root / "__main__.py").write_text(textwrap.dedent(program))
    return root


ECHO = """\
import json
import pulumi
config = pulumi.Config()
pulumi.export("size", config.get_int("size"))
pulumi.export("nested", config.get_object("nested"))
pulumi.export("region", pulumi.Config("aws").get("region"))
pulumi.export("token", pulumi.Output.secret("s3cr3t"))
pulumi.log.info("hello from the program")
pulumi.log.warn("careful")
"""


def test_a_bare_call_prints_the_usage_and_runs_nothing(capsys) -> None:
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: dataplatform [-h] [--version] [--verbose] COMMAND ...\n")


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("dataplatform ")


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_subcommand_help_has_a_description_and_examples(name: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([name, "--help"])
    out = capsys.readouterr().out
    command = SUBCOMMANDS[name]
    assert " ".join(command.description.split()[:6]) in " ".join(out.split())
    assert "examples:\n" in out
    for example in command.examples:
        assert f"  {example}" in out
    assert example.startswith(f"dataplatform {name} ") or name == "outputs"


def test_a_subcommand_is_one_register_call() -> None:
    before = dict(SUBCOMMANDS)
    try:
        cli.register(
            "hello",
            summary="say hi",
            description="Says hi.",
            examples=("dataplatform hello",),
            run=lambda a: 7,
        )
        assert main(["hello"]) == 7
        with pytest.raises(ValueError, match="registered twice"):
            cli.register("hello", summary="", description="", run=lambda a: 0)
    finally:
        SUBCOMMANDS.clear()
        SUBCOMMANDS.update(before)


def test_the_project_is_found_from_a_subdirectory(tmp_path: Path, capsys, monkeypatch) -> None:
    project = small_project(tmp_path / "p", ECHO)
    (project / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(project / "deep" / "er")
    assert main(["preview"]) == 0
    assert "Previewing stack 'dev' of project 'demo'" in capsys.readouterr().out


def test_stack_names_as_pulumi_takes_them(tmp_path: Path, capsys) -> None:
    assert split_stack_name("dev") == (None, None, "dev")
    assert split_stack_name("acme/dev") == ("acme", None, "dev")
    assert split_stack_name("acme/demo/dev") == ("acme", "demo", "dev")
    project = small_project(tmp_path / "p", ECHO)
    assert main(["preview", "-C", str(project), "--stack", "acme/demo/dev"]) == 0
    capsys.readouterr()
    assert main(["preview", "-C", str(project), "--stack", "acme/other/dev"]) == 2
    assert capsys.readouterr().err == (
        f"error: --stack acme/other/dev names project 'other', but {project} is project 'demo'; "
        "use --dir to pick the other project\n"
    )
    assert main(["preview", "-C", str(project), "--stack", "a/b/c/d"]) == 2
    assert "--stack takes STACK, ORG/STACK or ORG/PROJECT/STACK" in capsys.readouterr().err


def test_config_overrides_are_typed_like_pulumi() -> None:
    assert config_overrides(
        ["size=3", "aws:region=eu-west-2", "demo:flag=true", "demo:text=hello", 'demo:obj={"a": [1]}'], "demo"
    ) == {
        "demo:size": 3,
        "aws:region": "eu-west-2",
        "demo:flag": True,
        "demo:text": "hello",
        "demo:obj": {"a": [1]},
    }
    assert config_overrides(["demo:nested.a.b=1", "demo:nested.c=x"], "demo") == {
        "demo:nested": {"a": {"b": 1}, "c": "x"}
    }
    with pytest.raises(ValueError, match="takes KEY=VALUE"):
        config_overrides(["size"], "demo")
    with pytest.raises(ValueError, match="is not a config key"):
        config_overrides([":x=1"], "demo")


def test_overrides_apply_for_one_run(tmp_path: Path, capsys) -> None:
    project = small_project(tmp_path / "p", ECHO)
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  demo:size: 2\n  demo:nested: {keep: 1, change: 2}\n"
    )
    args = [
        "outputs",
        "-C",
        str(project),
        "-c",
        "size=5",
        "-c",
        "aws:region=eu-west-2",
        "-c",
        "demo:nested.change=3",
    ]
    assert main(args) == 0
    outputs = json.loads(capsys.readouterr().out)["organization/demo/dev"]
    assert (outputs["size"], outputs["region"], outputs["nested"]) == (
        5,
        "eu-west-2",
        {"keep": 1, "change": 3},
    )
    assert "size: 2" in (project / "Pulumi.dev.yaml").read_text()


def test_outputs_is_a_stack_references_file_that_reads_back(tmp_path: Path, capsys) -> None:
    project = small_project(tmp_path / "p", ECHO)
    assert main(["outputs", "-C", str(project), "--stack", "acme/demo/dev"]) == 0
    masked = json.loads(capsys.readouterr().out)  # by default a secret's value is not printed
    assert masked["acme/demo/dev"]["token"] == {"value": "[secret]", "secret": True}
    assert main(["outputs", "--show-secrets", "-C", str(project), "--stack", "acme/demo/dev"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "acme/demo/dev": {
            "region": "eu-west-1",
            "size": 2,
            "token": {"value": "s3cr3t", "secret": True},
        }
    }
    consumer = small_project(
        tmp_path / "consumer",
        """\
        import pulumi
        ref = pulumi.StackReference("acme/demo/dev")
        pulumi.export("size", ref.require_output("size"))
        pulumi.export("token", ref.require_output("token"))
        """,
    )
    (consumer / "stack-references.dev.json").write_text(json.dumps(document))
    assert main(["outputs", "--show-secrets", "-C", str(consumer)]) == 0
    assert json.loads(capsys.readouterr().out)["organization/demo/dev"] == {
        "size": 2,
        "token": {"value": "s3cr3t", "secret": True},  # still secret in the consumer
    }


@pytest.mark.parametrize(
    ("example", "flags"),
    [
        ("analytics", ["--stack", "acme/dataplatform/dev"]),
        (
            "workloads",
            [
                "--stack",
                "dev",
                "-c",
                "dataplatform:cluster.kubernetes_objects=workloads_project",
                "-c",
                "dataplatform:cluster.keda=null",
                "-c",
                "dataplatform:cluster.load_balancer_controller=null",
                "-c",
                "dataplatform:services=[]",
                "--as",
                "acme/dataplatform/platform-dev",
            ],
        ),
    ],
)
def test_the_examples_stack_references_are_what_outputs_prints(
    example: str, flags: list[str], capsys
) -> None:
    """Regenerate with `dataplatform outputs --show-secrets <flags> -o
    examples/<example>/stack-references.dev.json`."""
    assert main(["outputs", "--show-secrets", "-C", str(ROOT), *flags]) == 0
    printed = capsys.readouterr().out
    assert printed == (EXAMPLES / example / "stack-references.dev.json").read_text()


FAILING = """\
import pulumi

def make_bucket(size):
    return {"size": size}["missing"]

make_bucket(1)
"""


def test_a_failing_program_is_said_once_with_the_users_line(tmp_path: Path, capsys) -> None:
    project = small_project(tmp_path / "p", FAILING)
    assert main(["preview", "-C", str(project)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: the program failed: KeyError: 'missing'\n"
        '  at __main__.py:4: return {"size": size}["missing"]\n'
        "  (--verbose shows the full traceback)\n"
    )
    assert main(["preview", "-C", str(project), "--verbose"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err
    assert "line 6, in <module>\n    make_bucket(1)" in err
    assert err.count("the program failed") == 1


def test_settings_built_in_the_program_are_not_the_stack_config(tmp_path: Path, capsys) -> None:
    project = small_project(
        tmp_path / "p",
        """\
        from components.network import NetworkSettings

        NetworkSettings(cidr="10.0.0.0/8x")
        """,
    )
    assert main(["preview", "-C", str(project)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the program failed: invalid NetworkSettings: 1 problem(s)\n  - cidr: ")
    assert "stack configuration" not in err
    assert '  at __main__.py:3: NetworkSettings(cidr="10.0.0.0/8x")\n' in err


def test_short_types_as_pulumi_shows_them() -> None:
    long = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    assert short_type(long) == "aws:s3:BucketServerSideEncryptionConfiguration"
    assert short_type("aws:ec2/vpc:Vpc") == "aws:ec2:Vpc"
    assert short_type("kubernetes:apps/v1:Deployment") == "kubernetes:apps/v1:Deployment"
    assert short_type("pulumi:providers:aws") == "pulumi:providers:aws"
    assert short_type("dataplatform:network:Network") == "dataplatform:network:Network"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(_Tty()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(_Tty()) is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_preview_fits_120_columns(stack: str, capsys) -> None:
    assert main(["preview", "-C", str(ROOT), "--stack", stack]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 120
    assert "aws:s3:BucketServerSideEncryptionConfiguration" in out
    assert "Resources by type" not in out


def test_diagnostics_are_grouped_as_pulumi_shows_them(tmp_path: Path, capsys) -> None:
    project = small_project(tmp_path / "p", ECHO)
    assert main(["preview", "-C", str(project)]) == 0
    out = capsys.readouterr().out
    assert (
        "\nDiagnostics:\n  pulumi:pulumi:Stack (demo-dev):\n    hello from the program\n"
        "    warning: careful\n" in out
    )


def test_one_resource_count_in_preview_and_check(capsys) -> None:
    assert main(["preview", "-C", str(ROOT), "--stack", "prod"]) == 0
    summary = capsys.readouterr().out.splitlines()[-1]
    count = int(summary.split("+ ")[1].split()[0])
    assert main(["check", "-C", str(ROOT), "--stack", "prod"]) == 0
    assert capsys.readouterr().out.startswith(f"Policy check of dataplatform/prod: {count} resources, ")
    readme = (ROOT / "README.md").read_text()
    assert f"prod: <!--fig:prod-resources-->{count}<!--/fig-->" in readme


def test_the_pr_workflow_checks_each_stack_once_and_uploads_only_with_a_writable_token() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pr.yml").read_text())
    job = workflow["jobs"]["policy-check"]
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    uses = {
        s["uses"].split("@")[0]: s["uses"].split("@")[1]
        for j in workflow["jobs"].values()
        for s in j["steps"]
        if "uses" in s
    }
    assert uses["github/codeql-action/upload-sarif"] == "v4"
    assert (uses["actions/checkout"], uses["actions/setup-python"]) == ("v6", "v7")
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert runs.count(".venv/bin/dataplatform check") == 1
    assert '--summary "$GITHUB_STEP_SUMMARY"' in runs
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    assert "env.CAN_UPLOAD == 'true'" in upload["if"]
    assert "head.repo.full_name == github.repository" in job["env"]["CAN_UPLOAD"]
    assert "exit 1" in job["steps"][-1]["run"]  # a fork's PR still fails on violations


def test_check_writes_sarif_and_the_readable_summary_in_one_run(tmp_path: Path, capsys) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    sarif = tmp_path / "dev.sarif"
    assert (
        main(["check", "-C", str(ROOT), "--format", "sarif", "-o", str(sarif), "--summary", str(summary)])
        == 0
    )
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    text = summary.read_text()
    assert text.startswith(
        "before\n### Policy check of dataplatform/dev\n\n```\nPolicy check of dataplatform/dev: "
    )
    # The SSE-S3 access-log buckets (the lake's, the query results'), exempted by config.
    assert text.endswith("PASSED: 0 mandatory, 0 advisory violation(s), 2 exemption(s)\n```\n")
