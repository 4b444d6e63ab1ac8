"""`diff` a Pulumi user can trust: renames the provider replaces are replaces (protected: exit 3),
an aliased rename is no change, `-c` applies to both sides with --base-ref, plans of different
stacks are refused unless asked, and the replace-on-change table covers every type the stacks create,
each entry with the provider file it was read from."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from dpengine.cli import main
from dpengine.diff import EXIT_PROTECTED, UNKNOWN_REPLACEMENT
from dpengine.replace_table import (
    TABLE,
    force_new_attributes,
    sdk_input_names,
    stack_types,
    wire_names,
)
from dpengine.replacements import REPLACE_ON_CHANGE, UNREAD

ROOT = Path(__file__).resolve().parent.parent


def preview(
    capsys: pytest.CaptureFixture[str], directory: Path, stack: str, target: Path, *flags: str
) -> Path:
    assert main(["preview", "--dir", str(directory), "--stack", stack, "--json", str(target), *flags]) == 0
    capsys.readouterr()
    return target


@pytest.fixture(scope="module")
def prod_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plans") / "prod.json"
    assert main(["preview", "--dir", str(ROOT), "--stack", "prod", "--json", str(target)]) == 0
    return target


def test_ecr_and_glue_renames_are_protected_replaces(prod_base: Path, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "p"
    copy.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "cost-usage.prod.yaml"):
        shutil.copy(ROOT / name, copy / name)
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    renamed = text.replace("{name: prod/ingest-api,", "{name: prod/ingest,").replace(
        "database_prefix: dataplatform_prod", "database_prefix: platform_prod"
    )
    assert renamed.count("prod/ingest,") == 1 and "platform_prod\n" in renamed
    (copy / "Pulumi.prod.yaml").write_text(renamed)
    head = preview(capsys, copy, "prod", tmp_path / "head.json")

    assert main(["diff", str(prod_base), str(head), "--format", "json", "--fail-on-protected-replace"]) == (
        EXIT_PROTECTED
    )
    captured = capsys.readouterr()
    replaced = {r["urn"].rsplit("::", 1)[-1]: r for r in json.loads(captured.out)["replace"]}
    assert {"registry-ingest-api", "catalog-bronze", "catalog-silver", "catalog-gold"} <= set(replaced)
    assert replaced["registry-ingest-api"]["changed"] == ["name"]
    assert "internal/service/ecr/repository.go" in replaced["registry-ingest-api"]["reason"]
    assert replaced["catalog-gold"]["changed"] == ["name"]
    assert "internal/service/glue/catalog_database.go" in replaced["catalog-gold"]["reason"]
    assert "protected resources would be replaced or deleted: " in captured.err
    assert "registry-ingest-api" in captured.err and "catalog-gold" in captured.err


def test_an_update_of_a_type_not_read_says_so(tmp_path: Path, capsys) -> None:
    assert "aws:iam/rolePolicy:RolePolicy" in UNREAD  # an entry, but its source not read yet
    program = 'import pulumi_aws as aws\naws.iam.RolePolicy("p", role="r", policy={policy!r})\n'
    base = _project(tmp_path / "a", program.format(policy='{"Version": "2012-10-17", "Statement": []}'))
    head = _project(tmp_path / "b", program.format(policy='{"Version": "2012-10-17", "Statement": [{}]}'))
    plans = [preview(capsys, p, "dev", p / "plan.json") for p in (base, head)]
    assert main(["diff", *map(str, plans), "--format", "json"]) == 0
    (update,) = json.loads(capsys.readouterr().out)["update"]
    assert update["changed"] == ["policy"] and update["note"] == UNKNOWN_REPLACEMENT


def _project(root: Path, program: str, stack: str = "config:\n  aws:region: eu-west-1\n") -> Path:
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text(stack)
    (root / "__main__.py").write_text(textwrap.dedent(program))
    return root


RENAMED = """
import pulumi
import pulumi_aws as aws

aws.s3.Bucket("{name}", force_destroy=False, opts=pulumi.ResourceOptions(protect=True{aliases}))
"""


def test_an_aliased_rename_is_no_change(tmp_path: Path, capsys) -> None:
    base = _project(tmp_path / "base", RENAMED.format(name="raw", aliases=""))
    moved = _project(
        tmp_path / "moved", RENAMED.format(name="landing", aliases=', aliases=[pulumi.Alias(name="raw")]')
    )
    bare = _project(tmp_path / "bare", RENAMED.format(name="landing", aliases=""))
    base_plan, moved_plan, bare_plan = (
        preview(capsys, p, "dev", p / "plan.json") for p in (base, moved, bare)
    )
    state = json.loads(moved_plan.read_text())["steps"][1]["newState"]
    # Recorded in the plan (beside the SDK's own alias of the type's former name, BucketV2).
    assert "urn:pulumi:dev::tiny::aws:s3/bucket:Bucket::raw" in state["aliases"]

    args = ["diff", str(base_plan), str(moved_plan), "--format", "json", "--fail-on-protected-replace"]
    assert main(args) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff == {"create": [], "delete": [], "update": [], "replace": [], "unchanged": 1}
    # Without the alias the same rename deletes the protected bucket.
    assert main(["diff", str(base_plan), str(bare_plan), "--fail-on-protected-replace"]) == EXIT_PROTECTED
    assert "protected resources would be replaced or deleted: raw" in capsys.readouterr().err


REGIONAL = """
import pulumi
import pulumi_aws as aws

region = pulumi.Config("aws").require("region")
aws.s3.Bucket("data", force_destroy=False, tags={"region": region})
aws.sqs.Queue("jobs", name=f"jobs-{region}")
"""


def test_config_overrides_apply_to_both_sides_with_base_ref(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path / "repo", REGIONAL)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    args = ["diff", "--dir", str(project), "--stack", "dev", "--base-ref", "HEAD", "--format", "json"]
    assert main([*args, "-c", "aws:region=eu-west-2"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff == {"create": [], "delete": [], "update": [], "replace": [], "unchanged": 2}
    # The override does change the plan (so the check above is not vacuous): against a plan
    # without it, the queue's name is a replace.
    base = preview(capsys, project, "dev", tmp_path / "base.json")
    head = preview(capsys, project, "dev", tmp_path / "head.json", "-c", "aws:region=eu-west-2")
    assert main(["diff", str(base), str(head), "--format", "json"]) == 0
    assert [r["changed"] for r in json.loads(capsys.readouterr().out)["replace"]] == [["name"]]


def test_plans_of_different_stacks_are_refused_unless_asked(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path / "p", REGIONAL)
    (project / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    dev = preview(capsys, project, "dev", tmp_path / "dev.json")
    prod = preview(capsys, project, "prod", tmp_path / "prod.json")
    assert main(["diff", str(dev), str(prod)]) == 2
    err = capsys.readouterr().err
    assert f"{dev} is a plan of tiny/dev but {prod} of tiny/prod" in err
    assert "--allow-different-stacks" in err
    assert main(["diff", str(dev), str(prod), "--allow-different-stacks", "--format", "json"]) == 0
    # Compared resource by resource (the stack part of the URNs aside): the same program, no change.
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2


def test_the_table_covers_every_type_the_stacks_create() -> None:
    table = json.loads(TABLE.read_text())["types"]
    missing = sorted(stack_types(ROOT / "tests" / "golden") - set(table))
    assert missing == [], "run `python -m dpengine.replace_table --add-missing`, then read their sources"
    for token, entry in table.items():
        if entry["replace_on"] is None:
            assert entry["source"] is None, token
            continue
        repo, _, path = entry["source"].partition(":")
        assert repo.split("@")[0] in ("hashicorp/terraform-provider-aws", "pulumi/pulumi-kubernetes"), token
        assert path.startswith(("internal/service/", "provider/pkg/provider/")), token
        if token.startswith("aws:") and "@" in repo:
            # Read this time: the Terraform names map onto the installed SDK's inputs, one for one.
            assert entry["replace_on"] == wire_names(token, entry["terraform"]), token
            assert set(entry["replace_on"]) <= set(sdk_input_names(token).values()), token
    assert REPLACE_ON_CHANGE["aws:ecr/repository:Repository"].properties == {
        "encryptionConfigurations",
        "name",
    }
    assert REPLACE_ON_CHANGE["kubernetes:core/v1:Namespace"].properties == {
        "metadata.name",
        "metadata.namespace",
    }


GO_SCHEMA = """
func resourceThing() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			"arn": {
				Type:     schema.TypeString,
				Computed: true,
			},
			"block": {
				Type:     schema.TypeList,
				Elem: &schema.Resource{
					Schema: map[string]*schema.Schema{
						"inner": {
							ForceNew: true,
						},
					},
				},
			},
			names.AttrKMSKeyID: {
				Type:     schema.TypeString,
				ForceNew: true,
			},
			"name": {
				Required: true,
				ForceNew: true,
			},
		},
	}
}
"""


def test_the_generator_reads_top_level_force_new_only() -> None:
    # A nested ForceNew (inside a block's Elem) is not the block's own: the block updates in place.
    assert force_new_attributes(GO_SCHEMA) == ["kms_key_id", "name"]


# The types whose provider source is still unread (`diff` says their replacement is not known).
# This list may only shrink: a type added to a stack must come with its source read.
STILL_UNREAD = {
    "aws:budgets/budget:Budget",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketNotification:BucketNotification",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "pulumi:providers:aws",
    "pulumi:providers:kubernetes",
}


# Read from the hand table before commits were kept (the file is named, not the commit): may only
# shrink as they are re-read with `--terraform-provider-aws`.
WITHOUT_COMMIT = {
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:kms/key:Key",
    "aws:rds/cluster:Cluster",
    "aws:rds/instance:Instance",
    "aws:redshift/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:sqs/queue:Queue",
    "eks:index:Cluster",
}


def test_every_read_entry_names_the_commit_and_file_it_came_from() -> None:
    table = json.loads(TABLE.read_text())["types"]
    assert {token for token, entry in table.items() if entry["replace_on"] is None} == STILL_UNREAD
    for token, entry in table.items():
        if entry["replace_on"] is None:
            continue
        repo, _, path = entry["source"].partition(":")
        if token in WITHOUT_COMMIT:
            assert "@" not in repo and path.startswith("internal/service/"), token
            continue
        commit = repo.partition("@")[2]
        assert len(commit) == 40 and all(c in "0123456789abcdef" for c in commit), token
        assert path.endswith(".go"), token


def test_pulumi_renames_map_terraform_attributes_onto_their_inputs() -> None:
    # Terraform's alarm_name is the SDK's `name`: a renamed alarm is a replace, not an update.
    assert wire_names("aws:cloudwatch/metricAlarm:MetricAlarm", ["alarm_name"]) == ["name"]
    assert REPLACE_ON_CHANGE["aws:cloudwatch/metricAlarm:MetricAlarm"].properties == {"name"}
    assert REPLACE_ON_CHANGE["aws:ec2/natGateway:NatGateway"].properties >= {"subnetId", "allocationId"}
    assert REPLACE_ON_CHANGE["aws:ec2/internetGateway:InternetGateway"].properties == set()
