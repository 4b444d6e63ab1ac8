"""The offline engine and CLI on small throwaway Pulumi projects."""

from __future__ import annotations

import gc
import json
import textwrap
import warnings
from pathlib import Path

import pulumi
import pytest

from dpengine import _sdk
from dpengine.cli import main
from dpengine.engine import EngineError, run_function, run_program
from dpengine.mocks import PlatformMocks
from dpengine.plan import load_plan, plan_json

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

class Store(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("demo:storage:Store", name, None, opts)
        key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, tags={"Team": "a"},
                          opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True))
        bucket = aws.s3.Bucket(f"{name}-bucket", tags={"Team": "a"},
                               opts=pulumi.ResourceOptions(parent=self, ignore_changes=["tags"]))
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[key]))
        self.bucket_name = bucket.bucket
        self.register_outputs({"bucket_name": bucket.bucket})

config = pulumi.Config()
store = Store(config.require("storeName"))
azs = aws.get_availability_zones_output(state="available")
pulumi.export("bucket", store.bucket_name)
pulumi.export("zones", azs.names)
pulumi.export("token", config.require_secret("apiToken"))
pulumi.export("region", pulumi.Config("aws").require("region"))
pulumi.export("size", config.require_object("sizing")["nodes"])
"""


def make_project(root: Path, program: str = PROGRAM, stack_yaml: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: demo\nruntime:\n  name: python\n")
    (root / "__main__.py").write_text(textwrap.dedent(program))
    (root / "Pulumi.dev.yaml").write_text(
        stack_yaml
        or textwrap.dedent(
            """\
            config:
              aws:region: eu-west-1
              demo:storeName: lake
              demo:apiToken:
                secure: AAABAHeJ0rQ=
              demo:sizing:
                nodes: 3
            """
        )
    )
    return root


def test_run_program_records_every_resource_with_its_options(tmp_path: Path) -> None:
    run = run_program(make_project(tmp_path / "p"), "dev")
    # Dependency order, ties by URN: the same on every run.
    assert [r.type for r in run.resources] == [
        "demo:storage:Store",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ]
    store, key, bucket, encryption = run.resources
    assert store.urn == "urn:pulumi:dev::demo::demo:storage:Store::lake"
    assert store.parent == run.stack_urn
    assert key.urn == "urn:pulumi:dev::demo::demo:storage:Store$aws:kms/key:Key::lake-key"
    assert {key.parent, bucket.parent, encryption.parent} == {store.urn}
    assert (key.protect, key.retain_on_delete) == (True, True)
    assert (bucket.protect, bucket.ignore_changes) == (False, ["tags"])
    assert key.inputs == {"enableKeyRotation": True, "tags": {"Team": "a"}}
    # Outputs of one resource reach the inputs of another, with the dependency recorded.
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == key.outputs["arn"]
    assert encryption.inputs["bucket"] == bucket.outputs["bucket"]
    assert set(encryption.dependencies) == {key.urn, bucket.urn}
    # The invoke reached the mocks with the stack's region, and its answer reached the outputs.
    (token, invoke_args) = run.invokes[0]
    assert (token, invoke_args) == (
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        {"state": "available"},
    )
    expected_zones, _ = PlatformMocks(region="eu-west-1").call(
        pulumi.runtime.MockCallArgs(token=token, args=invoke_args, provider="")
    )
    assert run.outputs["zones"] == expected_zones["names"]
    assert run.outputs["region"] == "eu-west-1"
    assert run.outputs["size"] == 3
    assert run.secret_outputs == ["token"]
    assert run.masked_outputs["token"] == "[secret]"
    assert run.config["demo:sizing"] == '{"nodes": 3}'
    assert run.secret_config_keys == ["demo:apiToken"]


def test_two_runs_give_the_same_plan(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    assert plan_json(run_program(project, "dev")) == plan_json(run_program(project, "dev"))


def test_json_plan_round_trips_with_parents_and_inputs(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    plan_file = tmp_path / "plan.json"
    assert main(["preview", "--dir", str(project), "--stack", "dev", "--json", str(plan_file)]) == 0
    plan = load_plan(plan_file)
    run = run_program(project, "dev")
    steps = {step["urn"]: step for step in plan["steps"]}
    assert len(steps) == len(run.resources) + 1
    assert plan["changeSummary"] == {"create": len(run.resources) + 1}
    for record in run.resources:
        state = steps[record.urn]["newState"]
        assert steps[record.urn]["op"] == "create"
        assert state["type"] == record.type
        assert state["parent"] == record.parent
        assert state["inputs"] == record.masked_inputs
        assert state["protect"] == record.protect
        assert state["dependencies"] == record.dependencies
    stack_state = steps[run.stack_urn]["newState"]
    assert stack_state["outputs"]["token"] == "[secret]"
    assert plan["config"]["demo:apiToken"] == "[secret]"
    assert "offline-secret-value" not in plan_file.read_text()


def test_preview_text_shows_tree_counts_outputs_and_summary(tmp_path: Path, capsys) -> None:
    assert main(["preview", "-C", str(make_project(tmp_path / "p")), "--by-type"]) == 0
    out = capsys.readouterr().out
    assert " +  ├─ demo:storage:Store" in out or " +  └─ demo:storage:Store" in out
    # Types shortened as Pulumi shows them (aws:kms/key:Key is aws:kms:Key).
    assert "│  ├─ aws:kms:Key" in out or "   ├─ aws:kms:Key" in out
    assert "aws:kms/key:Key" not in out
    assert "protect retain" in out
    assert "       1  aws:s3:Bucket" in out
    assert 'token : "[secret]"' in out
    assert "\x1b[" not in out  # captured output is no terminal: no colour
    assert out.rstrip().endswith(
        "Resources: + 4 to create (3 custom resources, 1 components; 1 protected; "
        "the stack itself not counted)"
    )
    assert main(["preview", "-C", str(tmp_path / "p")]) == 0
    assert "Resources by type" not in capsys.readouterr().out


def test_missing_project_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["preview", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no Pulumi.yaml in" in err
    assert "Traceback" not in err


def test_missing_stack_file_lists_the_stacks_there(tmp_path: Path, capsys) -> None:
    project = make_project(tmp_path / "p")
    assert main(["preview", "--dir", str(project), "--stack", "prod"]) == 2
    err = capsys.readouterr().err
    assert "no stack file Pulumi.prod.yaml" in err
    assert "(stacks here: dev)" in err


def test_bad_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", stack_yaml="config:\n  demo:storeName: [unclosed\n")
    with pytest.raises(EngineError) as err:
        run_program(project, "dev")
    assert err.value.kind == "stack"
    assert "Pulumi.dev.yaml: not valid YAML at line 3" in str(err.value)


def test_program_error_names_the_users_line_without_traceback(tmp_path: Path, capsys) -> None:
    program = "import pulumi\nvalue = {}\nprint(value['missing'])\n"
    project = make_project(tmp_path / "p", program=program)
    assert main(["preview", "--dir", str(project)]) == 2  # bad input, not a violation
    err = capsys.readouterr().err
    assert "the program failed: KeyError: 'missing'" in err
    assert "at __main__.py:3: print(value['missing'])" in err
    assert "Traceback" not in err


def test_run_error_is_reported_as_config_error_with_what_was_registered(tmp_path: Path) -> None:
    program = """
    import pulumi
    import pulumi_aws as aws
    from components import InvalidConfigError, ConfigIssue
    if pulumi.Config().get_bool("registerFirst"):
        aws.s3.Bucket("early")
    raise InvalidConfigError([ConfigIssue("demo:storeName", "x", "too short; use 3+ characters")])
    """
    project = make_project(tmp_path / "p", program=program)
    with pytest.raises(EngineError) as err:
        run_program(project, "dev")
    assert err.value.kind == "config"
    assert [issue.path for issue in err.value.error.issues] == ["demo:storeName"]  # type: ignore[union-attr]
    assert "demo:storeName: too short; use 3+ characters (got 'x')" in str(err.value)
    assert err.value.resources == []
    # The same error after a registration carries it: "nothing registered" above can fail.
    with pytest.raises(EngineError) as err:
        run_program(project, "dev", config_overrides={"demo:registerFirst": "true"})
    assert err.value.kind == "config"
    assert [(r.type, r.name) for r in err.value.resources] == [("aws:s3/bucket:Bucket", "early")]


def test_unknown_invoke_fails_loudly_naming_the_token(tmp_path: Path) -> None:
    program = """
    import pulumi_aws as aws
    aws.ec2.get_ami(most_recent=True, owners=["amazon"])
    """
    with pytest.raises(EngineError) as err:
        run_program(make_project(tmp_path / "p", program=program), "dev")
    assert "no mock for invoke 'aws:ec2/getAmi:getAmi'" in str(err.value)


def test_stack_reference_outputs_from_flags(tmp_path: Path, capsys) -> None:
    program = """
    import pulumi
    platform = pulumi.StackReference("acme/dataplatform/prod")
    pulumi.export("vpc", platform.get_output("vpcId"))
    """
    project = make_project(tmp_path / "p", program=program)
    outputs = tmp_path / "platform.json"
    outputs.write_text(json.dumps({"vpcId": "vpc-123"}))
    assert (
        main(["preview", "--dir", str(project), "--stack-outputs", f"acme/dataplatform/prod={outputs}"]) == 0
    )
    assert 'vpc: "vpc-123"' in capsys.readouterr().out
    assert main(["preview", "--dir", str(project)]) == 2
    assert "StackReference 'acme/dataplatform/prod' has no mocked outputs" in capsys.readouterr().err


def failing_reference_program() -> None:
    """A StackReference with no mocked outputs, read as the SDK's users read one."""
    platform = pulumi.StackReference("acme/dataplatform/prod")
    pulumi.export("vpc", platform.get_output("vpcId"))
    pulumi.export("subnets", platform.require_output("subnetIds"))


def test_a_failing_program_leaves_no_never_awaited_coroutine() -> None:
    """A failed StackReference used to leave the SDK's get_output coroutines unstarted, and a
    failed run its pending Outputs for the next run to drop: both warned "never awaited"."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Exception, match="has no mocked outputs"):
            run_function(failing_reference_program, project="demo", stack="dev")
        run_function(lambda: pulumi.export("after", 1), project="demo", stack="dev")  # a next run
        gc.collect()
    never_awaited = [str(w.message) for w in caught if "was never awaited" in str(w.message)]
    assert never_awaited == []


def test_stack_reference_outputs_are_those_of_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine builds get_output/require_output from tasks; the SDK's own give the same run."""
    import contextlib

    refs = {"acme/dataplatform/prod": {"vpcId": "vpc-1", "subnetIds": ["a", "b"]}}
    engine_run = run_function(failing_reference_program, project="demo", stack="dev", stack_references=refs)
    assert pulumi.StackReference.get_output is not _sdk._get_output  # swapped in for runs only
    monkeypatch.setattr(_sdk, "stack_reference_outputs_as_tasks", contextlib.nullcontext)
    sdk_run = run_function(failing_reference_program, project="demo", stack="dev", stack_references=refs)
    assert engine_run.outputs == sdk_run.outputs == {"vpc": "vpc-1", "subnets": ["a", "b"]}
    assert engine_run.secret_outputs == sdk_run.secret_outputs
    assert _comparable(engine_run) == _comparable(sdk_run)


# --------------------------------------------------------------------------- engine speed-ups
# The engine replaces two SDK mechanisms during a run (stack-trace capture, and the thread
# hop around each mock monitor call): these tests hold them to the SDK's results.


def test_fast_stack_trace_matches_the_sdk() -> None:
    from pulumi.runtime import resource as pulumi_resource

    from dpengine._sdk import fast_stack_trace, sdk_stack_trace

    assert pulumi_resource._get_stack_trace is not fast_stack_trace  # only swapped in while a program runs

    captured: dict[str, object] = {}

    class Base:
        def __init__(self) -> None:
            captured["sdk"] = sdk_stack_trace()
            captured["fast"] = fast_stack_trace()

    class Middle(Base):
        def __init__(self) -> None:
            super().__init__()

    class Concrete(Middle):
        def __init__(self) -> None:
            super().__init__()

    def user_code() -> None:
        Concrete()

    user_code()
    assert captured["fast"] == captured["sdk"]
    frames = captured["fast"].frames  # type: ignore[attr-defined]
    assert frames[0].pc.uri == Path(__file__).resolve().as_uri()
    assert frames[0].pc.line == user_code.__code__.co_firstlineno + 1

    # Fewer than three __init__ frames: the SDK gives an empty trace, and so does the engine.
    Base()
    assert captured["fast"] == captured["sdk"]
    assert len(captured["fast"].frames) == 0  # type: ignore[attr-defined]


def _comparable(run) -> list[tuple]:
    return [
        (r.urn, r.inputs, r.outputs, r.dependencies, r.property_dependencies, r.provider, r.protect, r.id)
        for r in run.resources
    ]


def test_inline_monitor_calls_record_what_threaded_calls_record(monkeypatch) -> None:
    import contextlib

    repo = Path(__file__).resolve().parents[1]
    inline = run_program(repo, "dev")
    monkeypatch.setattr(_sdk, "inline_rpcs", contextlib.nullcontext)
    threaded = run_program(repo, "dev")
    assert len(inline.resources) == len(threaded.resources) > 100
    assert _comparable(inline) == _comparable(threaded)
    assert inline.outputs == threaded.outputs


def test_a_mock_answer_that_awaits_the_loop_falls_back_to_a_thread(monkeypatch) -> None:
    import pulumi_aws as aws

    suspended: list[bool] = []
    finish_now = _sdk.finish_now

    def counting(awaitable):
        try:
            return finish_now(awaitable)
        except _sdk.SuspendsError:
            suspended.append(True)
            raise

    monkeypatch.setattr(_sdk, "finish_now", counting)

    def program() -> None:
        first = aws.iam.Role("first", assume_role_policy="{}")
        # The mock echoes inputs as outputs; the monitor rehydrates the reference into a new
        # Role whose URN is still pending on the program's loop.
        second = pulumi.CustomResource("test:index:Thing", "second", {"peer": first})
        pulumi.export("second", second.urn)

    run = run_function(program, project="demo", stack="dev")
    assert suspended, "the reference should have needed the worker thread"
    first, second = run.resources
    assert (first.type, second.type) == ("aws:iam/role:Role", "test:index:Thing")
    assert second.inputs["peer"] == first.urn
    assert run.outputs["second"] == second.urn


def test_packages_of_a_virtualenv_inside_the_project_stay_imported(tmp_path: Path) -> None:
    """Only the project's own modules are forgotten after a run, not those of its venv."""
    import sys

    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "dp_fake_installed.py").write_text("VALUE = 1\n")
    (tmp_path / "dp_fake_helpers.py").write_text("VALUE = 2\n")
    program = f"""
    import sys
    sys.path.insert(0, {str(site)!r})
    import dp_fake_installed, dp_fake_helpers
    import pulumi
    pulumi.export("sum", dp_fake_installed.VALUE + dp_fake_helpers.VALUE)
    """
    make_project(tmp_path, program=program)
    try:
        run = run_program(tmp_path, "dev")
        assert run.outputs["sum"] == 3
        assert "dp_fake_installed" in sys.modules  # installed: kept, as pulumi_aws must be
        assert "dp_fake_helpers" not in sys.modules  # the project's own: fresh next run
    finally:
        sys.modules.pop("dp_fake_installed", None)
        sys.modules.pop("dp_fake_helpers", None)
