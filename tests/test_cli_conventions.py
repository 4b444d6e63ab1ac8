"""CLI conventions: ``-`` is standard output, the report width, preview --diff/--suppress-outputs,
check's file:line and --skip-policy, one exit code per outcome, --timeout, bounded YAML aliases and
one line per I/O error (never a traceback)."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from dpengine import cli
from dpengine.cli import EXIT_CODES, EXIT_INTERNAL, EXIT_IO, EXIT_TIMEOUT, EXIT_USAGE, main
from dpengine.project import MAX_YAML_NODES

BUCKET = """\
import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("raw", force_destroy=False, tags={"team": "data"})
pulumi.export("bucket", bucket.bucket)
pulumi.export("settings", {"a": 1, "b": [1, 2, 3]})
"""


def project(root: Path, program: str = BUCKET, stack: str = "config:\n  aws:region: eu-west-1\n") -> Path:
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(stack)
    (root / "__main__.py").write_text(textwrap.dedent(program))
    return root


def test_dash_is_stdout_for_every_file_option(tmp_path: Path, capsys) -> None:
    demo = project(tmp_path / "p")
    assert main(["preview", "-C", str(demo), "--json", "-"]) == 0
    plan = json.loads(capsys.readouterr().out)  # the plan alone: parseable, no text around it
    assert [s["newState"]["type"] for s in plan["steps"]][1:] == ["aws:s3/bucket:Bucket"]
    assert not (Path.cwd() / "-").exists()

    assert main(["export", "-C", str(demo), "--format", "terraform-plan", "--output", "-"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["format_version"]
    assert "written to - (terraform-plan)" in captured.err  # the summary keeps stdout clean

    assert main(["outputs", "-C", str(demo), "--output", "-"]) == 0
    assert "demo/dev" in next(iter(json.loads(capsys.readouterr().out)))

    assert main(["schema", "--output", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "object"

    code = main(["check", "-C", str(demo), "--format", "json", "--output", "-"])
    assert code in (0, 1)
    assert json.loads(capsys.readouterr().out)["stack"] == "dev"

    assert main(["cost", "-C", str(demo), "--format", "json", "--output", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["region"] == "eu-west-1"


def test_text_reports_take_the_terminal_width(tmp_path: Path, capsys, monkeypatch) -> None:
    demo = project(tmp_path / "p")
    for command in (["check"], ["cost"]):
        main([*command, "-C", str(demo)])
        wide = capsys.readouterr().out.splitlines()
        assert max(len(line) for line in wide) <= 120  # no terminal, no COLUMNS: 120
        monkeypatch.setenv("COLUMNS", "60")
        main([*command, "-C", str(demo)])
        narrow = capsys.readouterr().out.splitlines()
        monkeypatch.delenv("COLUMNS")
        assert max(len(line) for line in narrow) <= 60, command
        assert max(len(line) for line in wide) > 60  # the width did change something
    monkeypatch.setenv("COLUMNS", "70")
    assert main(["preview", "-C", str(demo), "--diff"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= 70


def test_preview_diff_shows_inputs_and_suppress_outputs_hides_outputs(tmp_path: Path, capsys) -> None:
    demo = project(tmp_path / "p")
    assert main(["preview", "-C", str(demo)]) == 0
    plain = capsys.readouterr().out
    assert "Outputs:" in plain and "+ bucket:" not in plain
    assert main(["preview", "-C", str(demo), "--diff", "--suppress-outputs"]) == 0
    shown = capsys.readouterr().out
    assert "Outputs:" not in shown and '"a": 1' not in shown
    assert "         + forceDestroy: false" in shown  # the bucket's inputs, as pulumi preview --diff
    assert '         + tags: {\n             + team: "data"\n           }' in shown
    assert shown.count("+ ") > plain.count("+ ")


def test_check_text_names_file_and_line_and_skip_policy_is_reported(tmp_path: Path, capsys) -> None:
    demo = project(tmp_path / "p")
    main(["check", "-C", str(demo)])
    text = capsys.readouterr().out
    assert "      at " in text
    # The line that declared the bucket, relative to the working directory (as in SARIF).
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("at ")]
    assert lines and all(line.endswith("__main__.py:4") for line in lines)
    fired = sorted(
        {line.split()[1] for line in text.splitlines() if line.startswith(("MANDATORY", "ADVISORY"))}
    )
    assert fired, text
    skipped = fired[0]
    main(["check", "-C", str(demo), "--skip-policy", skipped])
    again = capsys.readouterr().out
    assert f"Skipped by --skip-policy (1): {skipped}" in again
    assert f"  {skipped}  [" not in again
    assert main(["check", "-C", str(demo), "--skip-policy", "s3-bucket-sse-kmss"]) == EXIT_USAGE
    assert "no policy of that name; did you mean 's3-bucket-sse-kms'?" in capsys.readouterr().err


def test_no_fail_reports_and_exits_zero(tmp_path: Path, capsys) -> None:
    demo = project(tmp_path / "p")
    code = main(["check", "-C", str(demo), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == (1 if report["summary"]["mandatory"] else 0)
    assert main(["check", "-C", str(demo), "--no-fail"]) == 0


def test_an_output_into_a_missing_directory_is_one_line_and_exit_4(tmp_path: Path, capsys) -> None:
    demo = project(tmp_path / "p")
    target = tmp_path / "missing" / "plan.json"
    for argv in (
        ["preview", "-C", str(demo), "--json", str(target)],
        ["check", "-C", str(demo), "--output", str(target)],
        ["cost", "-C", str(demo), "--output", str(target)],
        ["export", "-C", str(demo), "--format", "kubernetes", "--output", str(target)],
        ["schema", "--output", str(target)],
    ):
        assert main(argv) == EXIT_IO, argv
        err = capsys.readouterr().err
        assert err.startswith("error: cannot write the ") and err.count("\n") == 1, err
        assert f"the directory {target.parent} does not exist" in err
        assert "Traceback" not in err


def test_an_internal_error_is_one_line_and_its_own_code(tmp_path: Path, capsys, monkeypatch) -> None:
    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.SUBCOMMANDS, "schema", dataclasses.replace(cli.SUBCOMMANDS["schema"], run=broken))
    assert main(["schema"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err == (
        "error: internal error: RuntimeError: boom (a bug in dataplatform; --verbose shows the "
        "traceback to report)\n"
    )


def test_exit_codes_are_distinct_and_documented() -> None:
    codes = [code for code, _ in EXIT_CODES]
    assert len(set(codes)) == len(codes) == 7
    help_text = cli.build_parser().format_help()
    for code, meaning in EXIT_CODES:
        assert f"  {code:<4} {meaning}" in help_text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for code, meaning in EXIT_CODES:
        assert f"| {code} | {meaning} |" in readme, f"README lacks exit code {code}"


def test_timeout_stops_a_program_that_never_ends(tmp_path: Path, capsys) -> None:
    demo = project(
        tmp_path / "p", "import pulumi_aws as aws\nb = aws.s3.Bucket('b')\nwhile True:\n    pass\n"
    )
    assert main(["preview", "-C", str(demo), "--timeout", "0.5"]) == EXIT_TIMEOUT
    err = capsys.readouterr().err
    assert err == "error: the program did not finish within 0.5 s (--timeout)\n"
    with pytest.raises(SystemExit) as usage:  # argparse's own usage error
        main(["preview", "-C", str(demo), "--timeout", "0"])
    assert usage.value.code == EXIT_USAGE
    assert "must be more than 0 seconds" in capsys.readouterr().err


BOMB = """\
config:
  aws:region: eu-west-1
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path: Path, capsys) -> None:
    demo = project(tmp_path / "p", stack=BOMB)
    assert len(BOMB) < 700 and MAX_YAML_NODES < 9**9
    assert main(["preview", "-C", str(demo)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Pulumi.dev.yaml: not valid YAML: its aliases expand to more than 100,000 values" in err
    assert "Traceback" not in err and err.count("\n") == 1
    # Aliases within the bound still work, as YAML means them.
    ok = "config:\n  aws:region: eu-west-1\n  demo:a: &x [1, 2]\n  demo:b: *x\n"
    (demo / "Pulumi.dev.yaml").write_text(ok)
    assert main(["preview", "-C", str(demo)]) == 0
