"""dataplatform export: Terraform plan JSON and Kubernetes manifests that scanners read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dpengine.cli import main
from dpengine.engine import run_program
from dpengine.export import kubernetes_manifests, terraform_plan, terraform_type
from dpengine.plan import plan_json

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "review_fixtures" / "bad_program"

# Every pulumi-aws type dev and prod use, and the Terraform type the export gives it.
EXPECTED_TYPES = {
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:eks/accessEntry:AccessEntry": "aws_eks_access_entry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "aws_eks_access_policy_association",
    "aws:eks/addon:Addon": "aws_eks_addon",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    "aws:sqs/queuePolicy:QueuePolicy": "aws_sqs_queue_policy",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "eks:index:Cluster": "aws_eks_cluster",
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:backup/selection:Selection": "aws_backup_selection",
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "aws_backup_vault_lock_configuration",
    "aws:backup/vaultNotifications:VaultNotifications": "aws_backup_vault_notifications",
    "aws:budgets/budget:Budget": "aws_budgets_budget",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        "aws_db_instance_automated_backups_replication"
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:athena/workgroup:Workgroup": "aws_athena_workgroup",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "aws_ecr_lifecycle_policy",
    "aws:ecr/repository:Repository": "aws_ecr_repository",
    "aws:glue/catalogDatabase:CatalogDatabase": "aws_glue_catalog_database",
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": (
        "aws_glue_data_catalog_encryption_settings"
    ),
    "aws:iam/policy:Policy": "aws_iam_policy",
}


@pytest.fixture(scope="module")
def plans() -> dict[str, dict]:
    return {stack: plan_json(run_program(ROOT, stack)) for stack in ("dev", "prod")}


def _types(plan: dict) -> set[str]:
    return {s["newState"]["type"] for s in plan["steps"]}


def test_type_mapping_covers_every_type_the_stacks_use(plans: dict[str, dict]) -> None:
    used = {t for p in plans.values() for t in _types(p) if t.startswith(("aws:", "eks:"))}
    assert used == set(EXPECTED_TYPES)
    assert {t: terraform_type(t) for t in sorted(used)} == EXPECTED_TYPES
    assert terraform_type("aws:rds/cluster:Cluster") == "aws_rds_cluster"
    assert terraform_type("aws:redshift/cluster:Cluster") == "aws_redshift_cluster"
    assert terraform_type("kubernetes:apps/v1:Deployment") is None


def _resource(document: dict, address: str) -> dict:
    return next(r for r in document["planned_values"]["root_module"]["resources"] if r["address"] == address)


def test_prod_export_shape_blocks_and_references(plans: dict[str, dict]) -> None:
    document, skipped = terraform_plan(plans["prod"])
    assert skipped == []
    resources = document["planned_values"]["root_module"]["resources"]
    custom_aws = [s for s in plans["prod"]["steps"] if s["newState"]["type"] in EXPECTED_TYPES]
    assert len(resources) == len(custom_aws) == len(document["resource_changes"])
    assert {c["change"]["actions"][0] for c in document["resource_changes"]} == {"create"}
    sse = _resource(document, "aws_s3_bucket_server_side_encryption_configuration.lake-lake-encryption")
    assert sse["values"]["rule"] == [
        {
            "apply_server_side_encryption_by_default": [
                {
                    "kms_master_key_id": sse["values"]["rule"][0]["apply_server_side_encryption_by_default"][
                        0
                    ]["kms_master_key_id"],
                    "sse_algorithm": "aws:kms",
                }
            ],
            "blocked_encryption_types": ["SSE-C"],
            "bucket_key_enabled": True,
        }
    ]
    lifecycle = _resource(document, "aws_s3_bucket_lifecycle_configuration.lake-lake-lifecycle")["values"]
    assert lifecycle["rule"][0]["transition"][0] == {"days": 30, "storage_class": "STANDARD_IA"}
    assert lifecycle["rule"][0]["filter"] == [{"prefix": "bronze/"}]
    db = _resource(document, "aws_db_instance.warehouse-db")["values"]
    assert db["storage_encrypted"] is True and db["instance_class"] == "db.r7g.large"
    assert db["tags"]["CostCenter"] == "cc-1234"  # map keys untouched
    eks = _resource(document, "aws_eks_cluster.eks-cluster")["values"]
    assert eks["vpc_config"][0]["endpoint_public_access"] is False
    assert eks["encryption_config"][0]["resources"] == ["secrets"]
    config = {r["address"]: r for r in document["configuration"]["root_module"]["resources"]}
    expressions = config["aws_s3_bucket_server_side_encryption_configuration.lake-lake-encryption"][
        "expressions"
    ]
    assert expressions["bucket"] == {"references": ["aws_s3_bucket.lake-lake.id", "aws_s3_bucket.lake-lake"]}
    assert expressions["rule"] == {"references": ["aws_kms_key.lake-key.arn", "aws_kms_key.lake-key"]}
    assert config["aws_db_instance.warehouse-db"]["expressions"]["kms_key_id"]["references"][0] == (
        "aws_kms_key.warehouse-key.arn"
    )


def test_kubernetes_manifests(plans: dict[str, dict], tmp_path: Path) -> None:
    objects, skipped = kubernetes_manifests(plans["prod"])
    kinds = sorted(o["kind"] for o in objects)
    assert kinds.count("Deployment") == 2 and kinds.count("NodePool") == 2 and kinds.count("CronJob") == 1
    assert sorted(u.rsplit("::", 1)[-1] for u in skipped) == [
        "eks-karpenter",
        "eks-karpenter-crd",
        "eks-keda",
        "eks-lbc",
    ]
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    assert deployment["apiVersion"] == "apps/v1"
    out = tmp_path / "k8s.yaml"
    assert main(["export", "--stack", "prod", "--format", "kubernetes", "--output", str(out)]) == 0
    assert list(yaml.safe_load_all(out.read_text())) == objects


def _checkov() -> str | None:
    for candidate in (os.environ.get("CHECKOV"), str(ROOT / ".venv-scan" / "bin" / "checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("checkov")


CHECKOV = _checkov()
needs_checkov = pytest.mark.skipif(
    CHECKOV is None, reason="checkov is not installed (make scan-tools, or CHECKOV=/path/to/checkov)"
)


def _scan(path: Path, framework: str) -> dict:
    assert CHECKOV is not None
    done = subprocess.run(
        [CHECKOV, "-f", str(path), "--framework", framework, "-o", "json", "--skip-download"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report: dict = json.loads(done.stdout)
    return report


def _failed(report: dict) -> set[tuple[str, str]]:
    return {(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]}


@needs_checkov
def test_checkov_finds_the_planted_problems(tmp_path: Path) -> None:
    plan_file, manifests = tmp_path / "bad.tfplan.json", tmp_path / "bad.yaml"
    assert (
        main(
            [
                "export",
                "--dir",
                str(BAD),
                "--stack",
                "dev",
                "--format",
                "terraform-plan",
                "-o",
                str(plan_file),
            ]
        )
        == 0
    )
    assert (
        main(["export", "--dir", str(BAD), "--stack", "dev", "--format", "kubernetes", "-o", str(manifests)])
        == 0
    )
    aws = _scan(plan_file, "terraform_plan")
    assert aws["summary"]["resource_count"] == 3
    assert {
        ("CKV_AWS_24", "aws_security_group.ssh-from-anywhere"),  # SSH open to 0.0.0.0/0
        ("CKV_AWS_145", "aws_s3_bucket.open-bucket"),  # no KMS default encryption
        ("CKV_AWS_53", "aws_s3_bucket_public_access_block.open-bucket-pab"),  # public ACLs not blocked
        ("CKV_AWS_54", "aws_s3_bucket_public_access_block.open-bucket-pab"),  # public policy not blocked
    } <= _failed(aws)
    k8s = _scan(manifests, "kubernetes")
    assert ("CKV_K8S_16", "Pod.default.privileged") in _failed(k8s)  # privileged container


@needs_checkov
def test_checkov_recognises_every_resource_of_the_prod_export(plans: dict[str, dict], tmp_path: Path) -> None:
    plan_file = tmp_path / "prod.tfplan.json"
    assert main(["export", "--stack", "prod", "--format", "terraform-plan", "--output", str(plan_file)]) == 0
    exported = json.loads(plan_file.read_text())["planned_values"]["root_module"]["resources"]
    report = _scan(plan_file, "terraform_plan")
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(exported)
    # The secure defaults hold in the export too: no open SSH, encrypted RDS, private EKS endpoint.
    failed_ids = {check for check, _ in _failed(report)}
    assert not failed_ids & {
        "CKV_AWS_24",
        "CKV_AWS_16",
        "CKV_AWS_17",
        "CKV_AWS_39",
        "CKV_AWS_58",
        "CKV_AWS_7",
    }
    passed = {(c["check_id"], c["resource"]) for c in report["results"]["passed_checks"]}
    assert ("CKV_AWS_16", "aws_db_instance.warehouse-db") in passed  # RDS storage encrypted
    assert ("CKV_AWS_58", "aws_eks_cluster.eks-cluster") in passed  # EKS secrets encryption
