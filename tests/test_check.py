"""Offline `dataplatform check`: programs run under the offline engine, evaluated through
pulumi-policy's analyzer; text, JSON and SARIF reports; exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

import policies
from dpengine.check import (
    DEFAULT_CONFIG_SOURCE,
    add_check_arguments,
    cli_check,
    evaluate,
    load_config,
    render,
)
from dpengine.engine import StackRun, run_function, run_program
from dpengine.pack import PolicyPackSpec

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
SOURCE_LINES = Path(__file__).read_text().splitlines()
TAGS = {
    "Environment": "prod",
    "Project": "dataplatform",
    "Owner": "platform-team",
    "CostCenter": "cc-1234",
    "ManagedBy": "pulumi",
}

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


KEPT = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
"""prod.json marks the stack protected: its stateful resources keep their data (checked elsewhere)."""


def bad_program() -> None:
    """Unencrypted, untagged, public: each line breaks known policies."""
    aws.s3.Bucket("raw", opts=KEPT)
    aws.ec2.SecurityGroup(
        "admin",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"]
            )
        ],
        tags=TAGS,
    )
    aws.rds.Instance("db", instance_class="db.t3.micro", publicly_accessible=True, tags=TAGS, opts=KEPT)
    aws.cloudwatch.LogGroup("logs", retention_in_days=7, tags=TAGS, opts=KEPT)


def good_program() -> None:
    """The same kinds of resources, compliant."""
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=KEPT)
    bucket = aws.s3.Bucket("raw", tags=TAGS, opts=KEPT)
    aws.s3.BucketServerSideEncryptionConfiguration(
        "raw-sse",
        bucket=bucket.bucket,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    aws.s3.BucketPublicAccessBlock(
        "raw-pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketPolicy(
        "raw-tls",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            )
        ),
    )
    aws.cloudwatch.LogGroup("logs", retention_in_days=7, kms_key_id=key.arn, tags=TAGS, opts=KEPT)


@pytest.fixture(scope="module")
def bad_run() -> StackRun:
    return run_function(bad_program, project="demo", stack="prod")


def test_bad_program_fails_with_exactly_the_expected_violations(bad_run: StackRun) -> None:
    report = evaluate(bad_run, PACK, load_config(PACK_DIR / "prod.json"))
    assert sorted((v.policy, v.name, v.enforcement) for v in report.violations) == [
        ("aws-required-tags", "raw", "mandatory"),
        ("cloudwatch-log-group-kms", "logs", "mandatory"),
        ("db-not-publicly-accessible", "db", "mandatory"),
        ("no-public-admin-ingress", "admin", "mandatory"),
        ("rds-storage-encrypted", "db", "mandatory"),
        ("s3-bucket-public-access-block", "raw", "mandatory"),
        ("s3-bucket-sse-kms", "raw", "mandatory"),
        ("s3-bucket-tls-only", "raw", "mandatory"),
    ]
    assert report.exit_code == 1
    tags = next(v for v in report.violations if v.policy == "aws-required-tags")
    assert tags.urn == "urn:pulumi:prod::demo::aws:s3/bucket:Bucket::raw"
    assert tags.type == "aws:s3/bucket:Bucket"
    assert tags.severity == "medium"
    assert tags.message == "'raw': missing tags: CostCenter, Environment, ManagedBy, Owner, Project"


def test_dev_config_makes_most_of_them_advisory(bad_run: StackRun) -> None:
    report = evaluate(bad_run, PACK, load_config(PACK_DIR / "dev.json"))
    assert sorted(v.policy for v in report.mandatory) == [
        "aws-required-tags",
        "db-not-publicly-accessible",
        "no-public-admin-ingress",
        "s3-bucket-public-access-block",
    ]
    assert len(report.advisory) == 4


def test_good_program_passes() -> None:
    run = run_function(good_program, project="demo", stack="prod")
    report = evaluate(run, PACK, load_config(PACK_DIR / "prod.json"))
    assert report.violations == []
    assert report.exit_code == 0


def test_preview_run_with_unknown_outputs_passes() -> None:
    run = run_function(good_program, project="demo", stack="prod", preview=True)
    assert evaluate(run, PACK, load_config(PACK_DIR / "prod.json")).violations == []


def test_text_report(bad_run: StackRun) -> None:
    text = render(
        evaluate(bad_run, PACK, load_config(PACK_DIR / "prod.json"), config_source="policies/prod.json")
    )
    assert text.startswith(
        "Policy check of demo/prod: 4 resources, 66 policies (config: policies/prod.json)\n"
    )
    assert "MANDATORY  no-public-admin-ingress  [critical]\n" in text
    assert "      'admin' ingress[0] opens port(s) 22 to 0.0.0.0/0\n" in text
    assert "  fix: Restrict the rule's source" in text
    assert text.endswith("FAILED: 8 mandatory, 0 advisory violation(s), 0 exemption(s)\n")


def test_json_report(bad_run: StackRun) -> None:
    data = json.loads(render(evaluate(bad_run, PACK, load_config(PACK_DIR / "prod.json")), "json"))
    assert data["summary"] == {
        "passed": False,
        "resources": 4,
        "policies": 66,
        "mandatory": 8,
        "advisory": 0,
        "exemptions": 0,
        "skipped": 1,  # the budget: a program without aws:region cannot be priced
        "notEvaluated": 0,
    }
    assert set(data["violations"][0]) == {
        "policy",
        "severity",
        "enforcement",
        "urn",
        "type",
        "name",
        "message",
        "flow",  # None but for a data-flow violation: its flow and hop
        "hop",
    }
    assert data["violations"][0]["severity"] == "critical"  # most severe first
    assert {p["name"] for p in data["policies"]} >= {"s3-bucket-sse-kms", "k8s-hpa-has-pdb"}


def test_sarif_report_structure(bad_run: StackRun) -> None:
    config = load_config(PACK_DIR / "prod.json")
    config["no-public-admin-ingress"] = {"exemptions": [{"name": "admin", "reason": "break-glass bastion"}]}
    sarif = json.loads(render(evaluate(bad_run, PACK, config), "sarif"))
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == 66
    rule_ids = [r["id"] for r in rules]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["properties"]["security-severity"] in {"9.5", "8.0", "5.5", "3.0"}
    results = run["results"]
    assert len(results) == 8
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "note"}
        (location,) = result["locations"]
        # Each result points at the line that declared its resource (here, in bad_program).
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "tests/test_check.py"
        line = location["physicalLocation"]["region"]["startLine"]
        name = location["logicalLocations"][0]["name"]
        assert any(f'"{name}"' in text for text in SOURCE_LINES[line - 1 : line + 1])  # the call's first line
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:prod::demo::")
        assert len(result["partialFingerprints"]["dataplatformPolicy/v1"]) == 32
    (suppressed,) = [r for r in results if "suppressions" in r]
    assert suppressed["ruleId"] == "no-public-admin-ingress"
    assert suppressed["level"] == "note"
    assert suppressed["suppressions"] == [{"kind": "external", "justification": "break-glass bastion"}]


def test_sarif_validates_against_the_schema_subset(bad_run: StackRun) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = {  # the parts of SARIF 2.1.0 code scanning relies on
        "type": "object",
        "required": ["version", "runs"],
        "properties": {
            "version": {"const": "2.1.0"},
            "runs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["tool", "results"],
                    "properties": {
                        "tool": {
                            "type": "object",
                            "required": ["driver"],
                            "properties": {
                                "driver": {
                                    "type": "object",
                                    "required": ["name", "rules"],
                                    "properties": {"rules": {"type": "array", "items": {"required": ["id"]}}},
                                }
                            },
                        },
                        "results": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["ruleId", "message", "locations", "level"],
                                "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]},
                                    "message": {"required": ["text"]},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
    jsonschema.validate(json.loads(render(evaluate(bad_run, PACK), "sarif")), schema)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev")
    add_check_arguments(parser)
    return parser.parse_args(argv)


def test_arguments_and_defaults() -> None:
    args = parse([])
    assert (args.policy_config, args.format, args.output) == (None, "text", None)
    with pytest.raises(SystemExit):
        parse(["--format", "xml"])


def test_cli_check_exit_codes_and_output_file(
    bad_run: StackRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prod.sarif"
    code = cli_check(bad_run, parse(["--format", "sarif", "--output", str(out)]), PACK)
    # A program outside the pack's project does not inherit the pack's prod.json by its stack's name:
    # the built-in default makes high and critical severity mandatory, the rest keep their level.
    assert code == 1
    sarif = json.loads(out.read_text())["runs"][0]
    assert sarif["results"]
    assert sarif["properties"]["packConfig"].endswith(f"default.json ({DEFAULT_CONFIG_SOURCE})")
    assert "policy check FAILED: 7 mandatory, 1 advisory" in capsys.readouterr().err

    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps({"all": "advisory"}))
    assert cli_check(bad_run, parse(["--policy-config", str(advisory)]), PACK) == 0
    assert "PASSED: 0 mandatory, 8 advisory" in capsys.readouterr().out

    good = run_function(good_program, project="demo", stack="prod")
    assert cli_check(good, parse(["--format", "json"]), PACK) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["passed"] is True


def test_cli_check_rejects_a_bad_config(bad_run: StackRun, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        cli_check(bad_run, parse(["--policy-config", str(broken)]), PACK)


def test_checks_any_pulumi_python_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "Pulumi.staging.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "tags = {'Environment': 'staging', 'Project': 'p',"
        " 'Owner': 'o', 'CostCenter': 'c', 'ManagedBy': 'x'}\n"
        "aws.ec2.LaunchTemplate('nodes', metadata_options={'http_tokens': 'optional'}, tags=tags)\n"
    )
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "staging.json").write_text(json.dumps({"imdsv2-required": "advisory"}))
    run = run_program(tmp_path, "staging")
    assert cli_check(run, parse(["--format", "json"]), PACK) == 0  # the project's own policies/staging.json
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert [(v["policy"], v["enforcement"]) for v in data["violations"]] == [("imdsv2-required", "advisory")]
    assert data["pack"]["config"].endswith("policies/staging.json (the project's policies/<stack>.json)")


def test_stack_outputs_and_components_do_not_confuse_policies() -> None:
    class Lake(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("dataplatform:storage:DataLakeBucket", name, None, None)
            aws.kms.Key(
                f"{name}-key", enable_key_rotation=True, tags=TAGS, opts=pulumi.ResourceOptions(parent=self)
            )
            self.register_outputs({})

    def program() -> None:
        Lake("lake")
        pulumi.export("answer", 42)

    report = evaluate(run_function(program), PACK)
    assert report.violations == []
    assert report.resource_count == 2


# --------------------------------------------------------------------------- narrowed evaluation
# evaluate(, PACK) hands each resource only to the policies that apply to its type, and each stack
# policy only the types it reads: it must find exactly what the whole pack finds on everything.


def k8s_program() -> None:
    import pulumi_kubernetes as k8s

    labels = {"app": "web"}
    k8s.apps.v1.Deployment(
        "web",
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]},
            },
        },
    )
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "web",
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 5,
            "maxReplicas": 2,
        },
    )
    k8s.core.v1.Service("web", spec={"type": "LoadBalancer", "selector": labels, "ports": [{"port": 80}]})


def _whole_pack_verdicts(run: StackRun, config: dict[str, Any]) -> set[tuple[str, str]]:
    from dpengine._sdk import analyzer_pb2
    from dpengine.check import analyze_request, make_servicer, resolve_config, stack_resource
    from dpengine.cost.budget import with_cost_estimate

    # The engine's part of the contract: the budget policy is handed the run's cost estimate.
    resolved = with_cost_estimate(run, PACK.policies, resolve_config(PACK, config))
    servicer = make_servicer(PACK, project=run.project, stack=run.stack, resolved_config=resolved)
    by_urn = {r.urn: r for r in run.resources}
    found: set[tuple[str, str]] = set()
    with PACK.collect_exemptions() as exempted:
        for record in run.resources:
            for diagnostic in servicer.Analyze(analyze_request(record, by_urn), None).diagnostics:
                found.add((diagnostic.policyName, diagnostic.urn or record.urn))
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[stack_resource(r, by_urn) for r in run.resources]
        )
        for diagnostic in servicer.AnalyzeStack(request, None).diagnostics:
            found.add((diagnostic.policyName, diagnostic.urn or run.stack_urn))
    return found | {(f"exempt:{e.policy}", e.urn) for e in exempted}


@pytest.mark.parametrize("program", ["bad", "k8s", "prod-stack"])
def test_narrowed_evaluation_finds_what_the_whole_pack_finds(program: str) -> None:
    config = load_config(PACK_DIR / "prod.json")
    if program == "prod-stack":
        run = run_program(PACK_DIR.parent, "prod")
    else:
        run = run_function(bad_program if program == "bad" else k8s_program, project="demo", stack="prod")
    report = evaluate(run, PACK, config)
    found = {(v.policy, v.urn) for v in report.violations}
    found |= {(s.policy, s.urn) for s in report.skipped}
    found |= {(f"exempt:{e.policy}", e.urn) for e in report.exemptions}
    expected = _whole_pack_verdicts(run, config)
    assert found == expected
    assert found  # each case finds something (violations, or the prod stack's exemption)


def test_a_stack_policy_cannot_read_types_it_did_not_declare() -> None:
    from policies._common import StackContext

    ctx = StackContext("demo", [], {}, lambda message, urn: None, frozenset({"aws:s3/bucket:Bucket"}))
    assert ctx.of_type("aws:s3/bucket:Bucket") == []
    with pytest.raises(ValueError, match="does not declare"):
        ctx.of_type("aws:s3/bucketPolicy:BucketPolicy")


def test_results_in_components_point_at_the_component_line(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = PACK_DIR.parent
    monkeypatch.chdir(repo)
    run = run_program(repo, "prod")
    sse = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "lake-logs-encryption",
    )
    assert sse.source is not None
    path, line = sse.source
    # The S3 baseline every bucket gets is registered by the shared builder.
    assert Path(path) == repo / "components" / "_shared.py"
    assert "BucketServerSideEncryptionConfiguration(" in Path(path).read_text().splitlines()[line - 1]
    sarif = json.loads(render(evaluate(run, PACK, load_config(PACK_DIR / "prod.json")), "sarif"))
    # The exemption of this resource (one of the SSE-S3 access-log buckets), as a suppressed result.
    (exempted,) = [
        r for r in sarif["runs"][0]["results"] if r["properties"]["urn"] == sse.urn and "suppressions" in r
    ]
    physical = exempted["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "components/_shared.py"
    assert physical["region"]["startLine"] == line
    # Resources the program declares itself point into __main__.py.
    cluster = run.one("dataplatform:compute:EksCluster")
    assert cluster.source is not None and Path(cluster.source[0]).name == "__main__.py"


# --------------------------------------------------------------------------- the pack is handed in

TINY_PACK = {
    "__init__.py": """
from pulumi_policy import EnforcementLevel
from ._rules import POLICIES as ALL_POLICIES

PACK_NAME = "tiny"
PACK_VERSION = "9.9.9"
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY
""",
    "_rules.py": """
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

def _no_launch_templates(args, report_violation):
    if args.resource_type == "aws:ec2/launchTemplate:LaunchTemplate":
        report_violation("launch templates are not allowed here")

POLICIES = [
    ResourceValidationPolicy(
        name="no-launch-templates",
        description="No launch templates.",
        validate=_no_launch_templates,
        enforcement_level=EnforcementLevel.MANDATORY,
    )
]
""",
    "__main__.py": "raise SystemExit('the check must import the pack, never run it')\n",
}


def small_project(root: Path) -> Path:
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "tags = {'Environment': 'dev', 'Project': 'p', 'Owner': 'o', 'CostCenter': 'c',"
        " 'ManagedBy': 'pulumi'}\n"
        "aws.ec2.LaunchTemplate('nodes', metadata_options={'http_tokens': 'required'}, tags=tags)\n"
    )
    return root


def test_check_takes_a_policy_pack_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dpengine.cli import main

    project = small_project(tmp_path / "project")
    pack = tmp_path / "tiny"
    pack.mkdir()
    for name, text in TINY_PACK.items():
        (pack / name).write_text(text.lstrip())
    assert main(["check", "--dir", str(project), "--policy-pack", str(pack), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["pack"] == {
        "name": "tiny",
        "version": "9.9.9",
        "config": DEFAULT_CONFIG_SOURCE,
    }  # none published
    assert [p["name"] for p in data["policies"]] == ["no-launch-templates"]
    assert [(v["policy"], v["name"], v["enforcement"]) for v in data["violations"]] == [
        ("no-launch-templates", "nodes", "mandatory")
    ]


def test_the_default_pack_by_directory_gives_the_default_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dpengine.cli import main

    project = small_project(tmp_path / "project")
    assert main(["check", "--dir", str(project)]) == 0
    by_default = capsys.readouterr().out
    assert main(["check", "--dir", str(project), "--policy-pack", str(PACK_DIR)]) == 0
    assert capsys.readouterr().out == by_default
    assert by_default.startswith("Policy check of other/dev: 1 resources, 66 policies (config: ")
    assert by_default.endswith("PASSED: 0 mandatory, 0 advisory violation(s), 0 exemption(s)\n")


def test_a_directory_that_is_not_a_pack_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dpengine.cli import main

    project = small_project(tmp_path / "project")
    assert main(["check", "--dir", str(project), "--policy-pack", str(tmp_path)]) == 2
    assert f"{tmp_path}: not a policy pack package (no __init__.py)" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "__init__.py").write_text("from ._missing import POLICIES\n")
    assert main(["check", "--dir", str(project), "--policy-pack", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}: the policy pack cannot be imported: ModuleNotFoundError" in err
    assert "Traceback" not in err
    (broken / "__init__.py").write_text("POLICIES = []\n")
    assert main(["check", "--dir", str(project), "--policy-pack", str(broken)]) == 2
    assert "does not publish ALL_POLICIES, PACK_NAME, PACK_VERSION" in capsys.readouterr().err


def test_engine_and_pack_run_from_an_installed_namespace(tmp_path: Path) -> None:
    """Installed as ``dataplatform.engine`` beside ``dataplatform.policies``: no top-level names needed."""
    import shutil
    import subprocess
    import sys

    site = tmp_path / "site" / "dataplatform"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PACK_DIR.parent / "dpengine", site / "engine", ignore=ignore)
    shutil.copytree(PACK_DIR, site / "policies", ignore=ignore)
    project = small_project(tmp_path / "project")
    script = (
        "import json, sys\n"
        "from dataplatform.engine.cli import main\n"
        "code = main(['check', '--format', 'json', '--output', 'report.json'])\n"
        "clash = sorted({m.split('.')[0] for m in sys.modules} & {'dpengine', 'policies', 'components'})\n"
        "print(json.dumps({'code': code, 'clash': clash}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env={"PYTHONPATH": str(site.parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"code": 0, "clash": []}
    report = json.loads((project / "report.json").read_text())
    assert (report["pack"]["name"], report["summary"]["policies"]) == ("dataplatform", 66)
    # A project that is not the pack's own gets the documented default, not the pack's dev.json.
    assert report["pack"]["config"].endswith(f"dataplatform/policies/default.json ({DEFAULT_CONFIG_SOURCE})")
    assert report["summary"]["passed"] is True


def test_the_engine_imports_no_pack_and_no_component() -> None:
    """Handed the pack (only the CLI picks the default, through dpengine._siblings); relative imports."""
    import ast

    engine = PACK_DIR.parent / "dpengine"
    found: dict[str, list[str]] = {}
    for path in sorted(engine.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        if clash := sorted(names & {"dpengine", "policies", "components"}):
            found[str(path.relative_to(engine))] = clash
    assert found == {}
