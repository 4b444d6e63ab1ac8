"""The real platform program (`__main__.py`) for both stacks, and its stack config errors."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from test_datalake_documents import decide

import policies
from components.stack_config import stack_file_json_schema
from dpengine.check import evaluate, load_config
from dpengine.cli import main
from dpengine.engine import EngineError, StackRun, run_program
from dpengine.pack import PolicyPackSpec

ROOT = Path(__file__).resolve().parent.parent

PACK = PolicyPackSpec.from_module(policies)
"""The pack under test, handed to the check as the CLI hands it."""


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


def closure(run: StackRun, urn: str) -> set[str]:
    """Every resource ``urn`` waits on, directly or through others (its provider included)."""
    by_urn = {r.urn: r for r in run.resources}
    seen: set[str] = set()
    frontier = [urn]
    while frontier:
        record = by_urn[frontier.pop()]
        provider = record.provider.rpartition("::")[0] if record.provider else None
        for dep in [*record.dependencies, *([provider] if provider else [])]:
            if dep in by_urn and dep not in seen:
                seen.add(dep)
                frontier.append(dep)
    return seen


def types_of(run: StackRun, urns: set[str]) -> set[str]:
    return {r.type for r in run.resources if r.urn in urns}


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_stack_composes_every_component(name: str) -> None:
    run = stack(name)
    components = sorted(r.type for r in run.resources if r.type.startswith("dataplatform:"))
    assert components == [
        "dataplatform:catalog:DataCatalog",
        "dataplatform:catalog:QueryWorkgroup",
        "dataplatform:compute:ClusterRuntime",
        "dataplatform:compute:EksCluster",
        "dataplatform:compute:Karpenter",
        "dataplatform:compute:Keda",
        "dataplatform:compute:LoadBalancerController",
        "dataplatform:database:Warehouse",
        "dataplatform:database:WarehouseMigration",
        "dataplatform:network:Network",
        *(["dataplatform:operations:DisasterRecovery"] if name == "prod" else []),
        "dataplatform:operations:Operations",
        "dataplatform:registry:ContainerRegistry",
        "dataplatform:storage:DataLakeBucket",
        "dataplatform:workload:PipelineService",
        "dataplatform:workload:PipelineService",
        "dataplatform:workload:PipelineService",
    ]
    assert {r.name for r in run.by_type("dataplatform:workload:PipelineService")} == {
        "ingest-api",
        "stream-consumer",
        "batch-worker",
    }
    assert set(run.outputs) >= {
        "vpcId",
        "privateSubnetIds",
        "dataSubnetIds",
        "lakeBucketNames",
        "lakeBucketArns",
        "lakeKmsKeyArn",
        "clusterName",
        "clusterEndpoint",
        "oidcProviderArn",
        "kubeconfig",
        "warehouseEndpoint",
        "warehouseSecretArn",
    }
    assert "kubeconfig" in run.secret_outputs
    assert run.masked_outputs["kubeconfig"] == "[secret]"


def test_dev_and_prod_differ_where_it_matters() -> None:
    dev, prod = stack("dev"), stack("prod")
    assert len(dev.by_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(prod.by_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(dev.by_type("aws:ec2/subnet:Subnet")) == 6
    assert len(prod.by_type("aws:ec2/subnet:Subnet")) == 9
    assert dev.one("aws:rds/instance:Instance").inputs["multiAz"] is False
    assert prod.one("aws:rds/instance:Instance").inputs["multiAz"] is True
    assert prod.one("aws:rds/instance:Instance").inputs["deletionProtection"] is True
    assert prod.one("aws:rds/instance:Instance").inputs["backupRetentionPeriod"] == 35
    assert [r.name for r in dev.resources if r.protect] == []
    protected = {(r.type, r.name) for r in prod.resources if r.protect}
    assert {
        ("aws:s3/bucket:Bucket", "lake-lake"),
        ("aws:kms/key:Key", "lake-key"),
        ("aws:rds/instance:Instance", "warehouse-db"),
        ("aws:kms/key:Key", "warehouse-key"),
        ("eks:index:Cluster", "eks-cluster"),
    } <= protected
    assert all(r.retain_on_delete for r in prod.resources if r.protect)
    assert prod.one("eks:index:Cluster").inputs["deletionProtection"] is True


def test_graph_stays_wide() -> None:
    run = stack("prod")
    cluster = run.one("eks:index:Cluster")
    rds = run.one("aws:rds/instance:Instance")
    # The warehouse does not wait on the cluster or its node groups.
    assert cluster.urn not in closure(run, rds.urn)
    assert "aws:eks/nodeGroup:NodeGroup" not in types_of(run, closure(run, rds.urn))
    for deployment in run.by_type("kubernetes:apps/v1:Deployment"):
        waits_on = types_of(run, closure(run, deployment.urn))
        # Services wait on what they use (cluster, IRSA role, namespace): the warehouse only when
        # their pods get its address.
        uses_warehouse = deployment.name.removesuffix("-deployment") in {"stream-consumer", "batch-worker"}
        assert ("aws:rds/instance:Instance" in waits_on) is uses_warehouse, deployment.name
        assert ("aws:rds/parameterGroup:ParameterGroup" in waits_on) is uses_warehouse, deployment.name
        assert "kubernetes:core/v1:ServiceAccount" in waits_on
        # Every image is in a repository this run creates: the rollout is not awaited (nobody has
        # pushed on the first deploy), so the Deployment waits for neither nodes nor DNS...
        assert deployment.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
        assert "aws:ecr/repository:Repository" in waits_on
        # ...except through the warehouse bootstrap Job a service of the warehouse waits for (its
        # database user must exist before its pods connect), which runs on the nodes.
        assert ("aws:eks/nodeGroup:NodeGroup" in waits_on) is uses_warehouse, deployment.name
    # ...but API objects are created while the node groups come up.
    for token in (
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    ):
        for record in run.by_type(token):
            assert "aws:eks/nodeGroup:NodeGroup" not in types_of(run, closure(run, record.urn)), record.name


def test_each_service_role_touches_only_its_layers() -> None:
    run = stack("prod")
    # (layers read, layers written) per service, as Pulumi.prod.yaml says.
    expected = {
        "ingest-api": (set(), {"bronze/"}),
        "stream-consumer": ({"bronze/"}, {"silver/"}),
        "batch-worker": ({"silver/"}, {"gold/"}),
    }
    write_actions = {
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    }
    for service, (read, written) in expected.items():
        policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", f"{service}-policy").inputs["policy"])

        def prefixes_of(
            actions: set[str], statements: list[dict[str, Any]] = policy["Statement"]
        ) -> set[str]:
            found = set()
            for st in statements:
                granted = {st["Action"]} if isinstance(st["Action"], str) else set(st["Action"])
                resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
                if st["Effect"] == "Allow" and granted & actions:
                    for res in resources:
                        if res.startswith("arn:aws:s3:::") and "/" in res:
                            found.add(res.split(":::")[-1].split("/", 1)[1].removesuffix("*"))
            return found

        # A writer reads its layer back (table-format commits do); it writes and deletes only there.
        assert prefixes_of({"s3:GetObject"}) == read | written, service
        assert prefixes_of(write_actions) == written, service
        assert prefixes_of({"s3:DeleteObject"}) == written, service


def test_services_connect_as_their_own_users_and_only_the_bootstrap_job_reads_the_master_secret() -> None:
    run = stack("prod")
    rds = run.one("aws:rds/instance:Instance")
    secret_arn = rds.outputs["masterUserSecrets"][0]["secretArn"]
    key_arn = run.one("aws:kms/key:Key", "warehouse-key").outputs["arn"]
    db_user = f"arn:aws:rds-db:eu-west-1:123456789012:dbuser:{rds.outputs['resourceId']}"
    via = {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    users = {"stream-consumer": ("write", "stream_consumer"), "batch-worker": ("read", "batch_worker_ro")}
    for service in ("ingest-api", "stream-consumer", "batch-worker"):
        statements = json.loads(
            run.one("aws:iam/rolePolicy:RolePolicy", f"{service}-policy").inputs["policy"]
        )["Statement"]
        # batch-worker is a CronJob in prod: its pods are the job template's.
        if service == "batch-worker":
            spec = run.one("kubernetes:batch/v1:CronJob", "batch-worker-cronjob").inputs["spec"][
                "jobTemplate"
            ]
        else:
            spec = run.one("kubernetes:apps/v1:Deployment", f"{service}-deployment").inputs
        (container,) = spec["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e["value"] for e in container.get("env", []) if e["name"] != "QUEUE_URL"}
        # Nobody's role reads the admin secret or decrypts it, and no pod gets its ARN.
        assert decide(statements, "secretsmanager:GetSecretValue", secret_arn) == "implicit", service
        assert decide(statements, "kms:Decrypt", key_arn, via) == "implicit", service
        assert secret_arn not in json.dumps(env)
        assert decide(statements, "rds-db:connect", f"{db_user}/dp_admin") == "implicit", service
        if service not in users:
            assert decide(statements, "rds-db:connect", f"{db_user}/stream_consumer") == "implicit"
            assert not any(k.startswith("WAREHOUSE_") for k in env)
            continue
        access, user = users[service]
        assert decide(statements, "rds-db:connect", f"{db_user}/{user}") == "allow"
        other = next(u for _, u in users.values() if u != user)
        assert decide(statements, "rds-db:connect", f"{db_user}/{other}") == "implicit"
        assert env == {
            "WAREHOUSE_ACCESS": access,
            "WAREHOUSE_DATABASE": "warehouse",
            "WAREHOUSE_ENGINE": "postgres",
            "WAREHOUSE_HOST": rds.outputs["address"],
            "WAREHOUSE_PORT": "5432",
            "WAREHOUSE_USER": user,
        }
    readers = [
        policy.name
        for policy in run.by_type("aws:iam/rolePolicy:RolePolicy")
        if decide(
            json.loads(policy.inputs["policy"])["Statement"], "secretsmanager:GetSecretValue", secret_arn
        )
        == "allow"
    ]
    assert readers == ["warehouse-bootstrap-policy"]


PROD_PRIVATE = ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]
PROD_DATA = ["10.20.160.0/21", "10.20.168.0/21", "10.20.176.0/21"]


def blocks(cidrs: list[str]) -> list[dict[str, object]]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def test_each_service_is_reachable_from_its_namespace_and_its_alb_and_from_no_missing_namespace() -> None:
    run = stack("prod")
    netpol = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    port_8080 = [{"port": 8080, "protocol": "TCP"}]
    # ingest-api: its namespace, and its internal ALB's nodes (the private subnets, IP targets).
    assert run.one(netpol, "ingest-api-network-policy").inputs["spec"]["ingress"] == [
        {"from": [{"podSelector": {}}], "ports": port_8080},
        {"from": blocks(PROD_PRIVATE), "ports": port_8080},
    ]
    # The metrics port admits no 'monitoring' namespace: the stack has none.
    assert run.one(netpol, "stream-consumer-network-policy").inputs["spec"]["ingress"] == [
        {"from": [{"podSelector": {}}], "ports": [{"port": 9090, "protocol": "TCP"}]},
    ]
    assert run.one(netpol, "batch-worker-network-policy").inputs["spec"]["ingress"] == []  # no port


def test_egress_is_denied_but_dns_the_aws_apis_and_the_warehouse_for_its_users() -> None:
    run = stack("prod")
    netpol = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }
    https = [{"port": 443, "protocol": "TCP"}]
    endpoints = {"to": blocks(PROD_PRIVATE), "ports": https}
    outside = {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.20.0.0/16", "169.254.0.0/16"]}}],
        "ports": https,
    }
    warehouse = {"to": blocks(PROD_DATA), "ports": [{"port": 5432, "protocol": "TCP"}]}
    expected = {
        "ingest-api": [dns, endpoints, outside],
        "stream-consumer": [dns, endpoints, outside, warehouse],
        "batch-worker": [dns, endpoints, outside, warehouse],
    }
    for service, rules in expected.items():
        spec = run.one(netpol, f"{service}-network-policy").inputs["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"], service
        assert spec["egress"] == rules, service


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_stack_has_no_mandatory_policy_violation(name: str) -> None:
    report = evaluate(stack(name), PACK, load_config(ROOT / "policies" / f"{name}.json"))
    assert report.mandatory == []
    # Every access-log bucket is SSE-S3 (S3 cannot deliver logs to SSE-KMS): exempted by config.
    logs = ["analytics-results-logs-encryption", *(["dr-lake-logs-encryption"] if name == "prod" else [])]
    expected = sorted([*logs, "lake-logs-encryption"])
    assert sorted(e.name for e in report.exemptions) == expected
    assert {e.policy for e in report.exemptions} == {"s3-bucket-sse-kms"}


def bad(overrides: dict[str, object], stack_name: str = "dev") -> list[tuple[str, str]]:
    """The (key path, message) of every config issue the stack reports for ``overrides``."""
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    with pytest.raises(EngineError) as err:
        run_program(ROOT, stack_name, config_overrides=config)
    assert err.value.kind == "config"
    # Can fail: tests/test_engine.py shows a run that registered before its config error
    # carries what it registered.
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return [(issue.path, issue.message) for issue in err.value.error.issues]  # type: ignore[union-attr]


def test_unknown_key_suggests_the_closest() -> None:
    assert bad({"dataplatform:netwrk": {"cidr": "10.0.0.0/16"}}) == [
        ("dataplatform:netwrk", "unknown key; did you mean 'network'?")
    ]


def test_unknown_nested_key_names_its_path() -> None:
    assert bad({"dataplatform:network": {"cidr": "10.10.0.0/16", "nat_gateway": "single"}}) == [
        ("dataplatform:network.nat_gateway", "unknown key; did you mean 'nat_gateways'?")
    ]


def test_missing_required_tag_and_environment_mismatch() -> None:
    ((path, message),) = bad(
        {"dataplatform:tags": {"Environment": "prod", "Project": "p", "Owner": "o", "ManagedBy": "pulumi"}}
    )
    assert (path, message.split(";")[0]) == ("dataplatform:tags", "tags.CostCenter: required tag is missing")
    issues = bad(
        {
            "dataplatform:tags": {
                "Environment": "prod",
                "Project": "p",
                "Owner": "o",
                "CostCenter": "c",
                "ManagedBy": "pulumi",
            }
        }
    )
    assert [(path, message.split(";")[0]) for path, message in issues] == [
        ("dataplatform:tags.Environment", "must equal environment ('dev')")
    ]


def test_prod_refuses_teardown_settings() -> None:
    ((path, message),) = bad({"dataplatform:lake": {"deletion_protection": False}}, "prod")
    assert path == "dataplatform:lake.deletion_protection"
    assert message.startswith("must be true in prod")


def test_prod_requires_a_production_warehouse_and_services_need_an_admin() -> None:
    issues = bad({"dataplatform:warehouse": {"production": False, "postgres": {"multi_az": True}}}, "prod")
    assert [(path, message.split(" (")[0]) for path, message in issues] == [
        ("dataplatform:warehouse.production", "must be true in prod")
    ]
    # (The default cluster has no 'batch' pool and no KEDA, which the dev stack's services ask for.)
    issues = dict(
        bad(
            {
                "dataplatform:cluster": {
                    "deploy_from": "inside_vpc",
                    "deployer_cidrs": ["10.0.8.0/24"],
                    "kubernetes_version": "1.36",
                }
            }
        )
    )
    assert sorted(issues) == [
        "dataplatform:cluster.admin_principal_arns",
        "dataplatform:cluster.keda",
        "dataplatform:services[0].ingress",
        "dataplatform:services[2].pool",
    ]
    assert issues["dataplatform:cluster.admin_principal_arns"].startswith(
        "services are deployed through the cluster's API"
    )


def test_component_outputs_are_recorded() -> None:
    network = stack("prod").one("dataplatform:network:Network")
    assert network.outputs["vpc_id"] == stack("prod").outputs["vpcId"]
    assert len(network.outputs["private_subnet_ids"]) == 3


def test_cross_field_rules_in_components_are_reported_with_the_key_path() -> None:
    services = [{"name": "x", "image": "repo/x:1.0", "autoscaling": {"min_replicas": 5, "max_replicas": 2}}]
    ((path, message),) = bad({"dataplatform:services": services})
    assert path == "dataplatform:services[0].autoscaling"
    assert message.startswith("min_replicas (5) is greater than max_replicas (2)")
    issues = bad(
        {
            "dataplatform:services": [
                {"name": "x", "image": "repo/x:1.0", "lake_access": {"read": ["platinum"]}}
            ]
        }
    )
    assert [(path, message.split(";")[0]) for path, message in issues] == [
        ("dataplatform:services[0].lake_access.read", "unknown lake layer(s)")
    ]


def test_cli_reports_bad_config_without_traceback(tmp_path: Path, capsys) -> None:
    project = tmp_path / "p"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((ROOT / name).read_text())
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("nat_gateways: single", "nat_gatways: single")
    (project / "Pulumi.dev.yaml").write_text(text)
    assert main(["preview", "--dir", str(project)]) == 2
    err = capsys.readouterr().err
    assert "the stack configuration is invalid" in err
    assert "dataplatform:network.nat_gatways: unknown key; did you mean 'nat_gateways'?" in err
    assert "Traceback" not in err


def test_committed_json_schema_is_current_and_admits_both_stack_files() -> None:
    import jsonschema
    import yaml

    committed = json.loads((ROOT / "schema" / "stack-config.schema.json").read_text())
    assert committed == json.loads(json.dumps(stack_file_json_schema())), "run `make schema`"
    config = committed["properties"]["config"]
    assert config["properties"]["dataplatform:network"]["$ref"].endswith("NetworkSettings")
    assert "eu-west-1" in config["properties"]["aws:region"]["enum"]
    validator = jsonschema.Draft202012Validator(committed)
    for name in ("dev", "prod"):
        text = (ROOT / f"Pulumi.{name}.yaml").read_text()
        assert text.startswith("# yaml-language-server: $schema=./schema/stack-config.schema.json\n")
        assert list(validator.iter_errors(yaml.safe_load(text))) == []
    # What editors then flag: an unknown region, an unknown dataplatform key, a bad section value.
    data = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    data["config"]["aws:region"] = "eu-north-9"
    data["config"]["dataplatform:netwrok"] = {}
    data["config"]["dataplatform:network"]["az_count"] = "two"
    data["secretsprovider"] = "awskms://alias/pulumi"
    errors = sorted(list(e.absolute_path)[-1] for e in validator.iter_errors(data))
    assert errors == ["aws:region", "az_count", "config"]


def test_cli_schema_writes_the_stack_config_schema(tmp_path: Path) -> None:
    """The CLI finds the components beside the engine (not by an absolute import) for `schema`."""
    out = tmp_path / "schema.json"
    assert main(["schema", "--output", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(stack_file_json_schema()))


def test_cli_check_in_a_fresh_interpreter_passes() -> None:
    """The PR job as users run it: one process, nothing imported beforehand (unlike this suite)."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    script = "import sys; from dpengine.cli import main; sys.exit(main(['check', '--stack', 'prod']))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED: 0 mandatory, 0 advisory violation(s), 3 exemption(s)" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr
