"""The WarehouseMigration component: what it registers, and the refusals (nothing registered)."""

from __future__ import annotations

import json
from typing import Any

import pulumi_kubernetes as k8s
import pytest
from test_datalake_documents import decide

from components._validation import InvalidConfigError
from components.warehouse import DatabaseUser, MigrationSettings, WarehouseMigration, WarehouseMigrationArgs
from components.warehouse.migration import redshift_bootstrap_sql
from dpengine.testing import run_component
from tests.pipeline_service_cases import ISSUER, OIDC_ARN

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift!wh-admin-AbCdEf"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
READER = DatabaseUser(name="reader", access="read", schemas=["gold"], service="report-api")


def make(tags: dict[str, str], users: list[Any], *, with_provider: bool = True, **fields: Any) -> Any:
    def factory() -> WarehouseMigration:
        provider = k8s.Provider("k8s", kubeconfig="{}") if with_provider else None
        return WarehouseMigration(
            "bootstrap",
            WarehouseMigrationArgs(
                settings=MigrationSettings(**fields),
                users=users,
                tags=tags,
                engine="redshift",
                host="wh.example.eu-west-1.redshift.amazonaws.com",
                port=5439,
                database="warehouse",
                master_secret_arn=SECRET,
                kms_key_arn=KEY,
                oidc_provider_arn=OIDC_ARN,
                oidc_issuer_url=ISSUER,
                provider=provider,
            ),
        )

    return run_component(factory)


def test_a_redshift_bootstrap_job_in_its_own_namespace(tags: dict[str, str]) -> None:
    cr = make(tags, [READER], namespace="db-bootstrap")
    assert cr.counts() == {
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "kubernetes:core/v1:Namespace": 1,
        "kubernetes:core/v1:ServiceAccount": 1,
        "kubernetes:core/v1:ConfigMap": 1,
        "kubernetes:batch/v1:Job": 1,
    }
    sql = redshift_bootstrap_sql("warehouse", [READER])
    assert cr.one("kubernetes:core/v1:ConfigMap").inputs["data"] == {"bootstrap.sql": sql}
    assert cr.value(cr.component.sql) == sql
    job = cr.one("kubernetes:batch/v1:Job")
    assert job.inputs["metadata"]["namespace"] == "db-bootstrap"
    env = {e["name"]: e["value"] for e in job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"]) == (
        "wh.example.eu-west-1.redshift.amazonaws.com",
        "5439",
        "warehouse",
    )
    statements = json.loads(cr.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert decide(statements, "secretsmanager:GetSecretValue", SECRET) == "allow"
    assert decide(statements, "secretsmanager:GetSecretValue", SECRET + "-other") == "implicit"
    trust = json.loads(cr.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"]
    [subject] = [v for s in trust for k, v in s["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subject == "system:serviceaccount:db-bootstrap:warehouse-bootstrap"


@pytest.mark.parametrize(
    ("users", "path"),
    [
        ([], "args.users"),
        ([READER, READER], "args.users[1].name"),
        (["reader"], "args.users[0]"),
    ],
)
def test_bad_users_register_nothing(tags: dict[str, str], users: list[Any], path: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(tags, users, with_provider=False)
    assert [i.path for i in err.value.issues] == [path]
    assert err.value.recorded_run.resources == []


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": "Public", "access": "read", "schemas": ["x"]}, "name"),
        ({"name": "reader", "access": "read", "schemas": ["pg_catalog"]}, "schemas"),
        ({"name": "reader", "access": "read", "schemas": []}, "schemas"),
        ({"name": "reader", "access": "admin", "schemas": ["x"]}, "access"),
    ],
)
def test_database_users_are_checked_at_their_key(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        DatabaseUser(**fields)
    assert [i.path for i in err.value.issues] == [path]
