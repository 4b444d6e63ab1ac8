"""AWS names checked against the installed SDK's own lists (instance types, families, RDS classes),
Redshift node types, the architecture against the AMI type, AWS cron fields by range, access
levels in the Python API, and one problem reported once. Each refusal comes before anything is
registered, with the key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pulumi_aws as aws
import pytest

from components._aws_names import (
    architecture_of_family,
    aws_cron_problem,
    ec2_instance_types,
    instance_family_problem,
    instance_type_problem,
    rds_instance_class_problem,
    redshift_node_type_problem,
)
from components._validation import InvalidConfigError
from components.pipeline_service.queue import queue_access_statements
from components.warehouse.documents import warehouse_environment
from dpengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
SYSTEM = (
    'dataplatform:cluster.node_groups=[{"name": "system", "instance_types": [%s], "min_size": 3, '
    '"max_size": 6, "labels": {"workload": "system"}, "taints": [{"key": "CriticalAddonsOnly", '
    '"value": "true", "effect": "NO_SCHEDULE"}]%s}]'
)


def refused(capsys: pytest.CaptureFixture[str], *overrides: str) -> list[str]:
    """The problems of a prod preview with ``overrides``: refused as bad input, nothing previewed."""
    argv = ["preview", "--dir", str(ROOT), "--stack", "prod"]
    for flag in overrides:
        argv += ["-c", flag]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing registered, nothing shown
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert lines[0].startswith("error: the stack configuration is invalid: ")
    return [line.removeprefix("  - ") for line in lines[1:]]


def test_the_lists_are_the_sdks() -> None:
    assert ec2_instance_types() == {str(m.value) for m in aws.ec2.InstanceType}
    assert "m7g.large" in ec2_instance_types() and "t3.lrge" not in ec2_instance_types()
    # RDS names its classes after EC2 types; the SDK's RDS enum lags (no db.m7g), EC2's does not.
    assert "db.m7g.large" not in {str(m.value) for m in aws.rds.InstanceType}
    assert rds_instance_class_problem("db.m7g.large") is None
    assert rds_instance_class_problem("db.t4g.medium") is None


def test_did_you_mean_for_each_kind_of_name() -> None:
    assert instance_type_problem("t3.lrge").startswith(
        "not an EC2 instance type; did you mean 't3.large' or 't3a.large' or 't3.xlarge'?"
    )
    assert instance_family_problem("c7x").startswith("not an EC2 instance family; did you mean 'c7i'")
    assert instance_family_problem("m6i.large") == (
        "is an instance type, not a family; write the family alone ('m6i')"
    )
    assert rds_instance_class_problem("db.t4g.mediun").startswith(
        "not an RDS instance class; did you mean 'db.t4g.medium'"
    )
    assert redshift_node_type_problem("ra3.xlplsu").startswith(
        "not a Redshift node type; did you mean 'ra3.xlplus'?"
    )
    assert redshift_node_type_problem("ra3.4xlarge") is None


@pytest.mark.parametrize(
    ("family", "arch"),
    [
        ("m7g", "arm64"),
        ("c6gn", "arm64"),
        ("t4g", "arm64"),
        ("x2gd", "arm64"),
        ("im4gn", "arm64"),
        ("a1", "arm64"),
        ("g5g", "arm64"),
        ("g5", "amd64"),
        ("m6i", "amd64"),
        ("c7i-flex", "amd64"),
        ("c5", "amd64"),
    ],
)
def test_architecture_of_family(family: str, arch: str) -> None:
    assert architecture_of_family(family) == arch


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("cron(0 3 * * ? *)", None),
        ("cron(0/15 8-17 ? * MON-FRI *)", None),
        ("cron(0 3 L * ? *)", None),
        ("cron(0 3 15W * ? *)", None),
        ("cron(0 3 ? * 6#3 2030)", None),
        ("cron(0 27 * * ? *)", "hours '27' is out of range: use 0-23"),
        ("cron(60 3 * * ? *)", "minutes '60' is out of range: use 0-59"),
        ("cron(0 3 32 * ? *)", "day of month '32' is out of range: use 1-31"),
        ("cron(0 3 ? 13 MON *)", "month '13' is out of range: use 1-12 or JAN-DEC"),
        ("cron(0 3 ? * 8 *)", "day of week '8' is out of range: use 1-7 or SUN-SAT"),
        ("cron(0 3 * * ? 1969)", "year '1969' is out of range: use 1970-2199"),
        ("cron(0 3 * * * *)", "exactly one of day of month and day of week must be '?'"),
        ("cron(0 3 * * ?)", "write an AWS cron expression with six fields"),
        ("cron(0/0 3 * * ? *)", "minutes '0/0': the step after '/' must be a positive number"),
    ],
)
def test_aws_cron_fields_are_checked_by_range(expression: str, problem: str | None) -> None:
    found = aws_cron_problem(expression)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))


def test_a_node_group_instance_type_typo_is_refused(capsys) -> None:
    assert refused(capsys, SYSTEM % ('"t3.lrge"', "")) == [
        "dataplatform:cluster.node_groups[0].instance_types[0]: not an EC2 instance type; did you mean "
        "'t3.large' or 't3a.large' or 't3.xlarge'? (if AWS launched it after the installed pulumi-aws was "
        "built, upgrade pulumi-aws) (got 't3.lrge')"
    ]


def test_an_arm_instance_type_on_an_x86_ami_is_refused(capsys) -> None:
    assert refused(capsys, SYSTEM % ('"m7g.large"', "")) == [
        "dataplatform:cluster.node_groups[0].instance_types[0]: is an arm64 instance type but ami_type "
        "AL2023_x86_64_STANDARD is amd64; set ami_type: AL2023_ARM_64_STANDARD, or choose amd64 instance "
        "types (one architecture per group) (got 'm7g.large')"
    ]
    # The matching AMI type is accepted.
    arm = SYSTEM % ('"m7g.xlarge"', ', "ami_type": "AL2023_ARM_64_STANDARD"')
    assert main(["preview", "--dir", str(ROOT), "--stack", "prod", "-c", arm]) == 0
    capsys.readouterr()


def test_an_rds_class_typo_and_a_karpenter_family_typo_are_refused(capsys) -> None:
    problems = refused(
        capsys,
        "dataplatform:warehouse.postgres.instance_class=db.t4g.mediun",
        'dataplatform:cluster.karpenter.node_pools=[{"name": "apps", "instance_families": ["c7x", "m6i"], '
        '"limits": {"cpu": "100", "memory": "400Gi"}}]',
    )
    assert len(problems) == 2
    assert problems[0].startswith(
        "dataplatform:cluster.karpenter.node_pools[0].instance_families[0]: not an EC2 instance family; "
        "did you mean 'c7i'"
    )
    assert problems[1].startswith(
        "dataplatform:warehouse.postgres.instance_class: not an RDS instance class; did you mean "
        "'db.t4g.medium'"
    )


def test_a_karpenter_family_of_another_architecture_is_refused(capsys) -> None:
    pool = (
        '[{"name": "apps", "instance_families": ["m7g", "m6i"], "architectures": ["amd64"], '
        '"limits": {"cpu": "100", "memory": "400Gi"}}]'
    )
    assert refused(capsys, f"dataplatform:cluster.karpenter.node_pools={pool}") == [
        "dataplatform:cluster.karpenter.node_pools[0].instance_families[0]: is an arm64 family but the "
        "pool's architectures are ['amd64']; add arm64 to architectures or choose amd64 families (got 'm7g')"
    ]


def test_an_hour_27_backup_schedule_is_refused(capsys) -> None:
    rules = '[{"name": "daily", "schedule": "cron(0 27 * * ? *)", "delete_after_days": 35}]'
    assert refused(capsys, f"dataplatform:operations.backup.rules={rules}") == [
        "dataplatform:operations.backup.rules[0].schedule: hours '27' is out of range: use 0-23 (AWS cron: "
        "minutes hours day-of-month month day-of-week year) (got 'cron(0 27 * * ? *)')"
    ]


def test_one_bad_node_group_is_one_problem_not_a_false_pool_clash(capsys) -> None:
    # Before: the bad group was dropped, the default groups (system, apps) took its place, and the
    # Karpenter pool 'apps' was reported as clashing with a group the user never declared.
    group = (SYSTEM % ('"m6i.xlarge"', ', "min_size": 5, "max_size": 2')).replace(
        '"min_size": 3, "max_size": 6, ', ""
    )
    problems = refused(capsys, group)
    assert problems == [
        "dataplatform:cluster.node_groups[0].min_size: must not exceed max_size (2); lower min_size or "
        "raise max_size (got 5)"
    ]


def test_access_levels_in_the_python_api_are_validated() -> None:
    connection = {"host": "h", "port": "5432", "database": "d", "secret_arn": "arn"}
    with pytest.raises(InvalidConfigError) as error:
        warehouse_environment("postgres", "wrte", connection, "svc")  # type: ignore[arg-type]
    assert [i.path for i in error.value.issues] == ["access"]
    assert str(error.value) == (
        "invalid Warehouse.connection_environment: 1 problem(s)\n"
        "  - access: did you mean 'write'? use one of 'read', 'write' (got 'wrte')"
    )
    assert warehouse_environment("postgres", "read", connection, "svc")["WAREHOUSE_ACCESS"] == "read"
    with pytest.raises(InvalidConfigError) as error:
        queue_access_statements("arn:aws:sqs:eu-west-1:1:q", "consumer", scaler=False, key_arn=None)
    assert "did you mean 'consume'?" in str(error.value)
