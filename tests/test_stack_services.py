"""Services across the stack: Kubernetes identity (system and shared namespaces, object names) and
warehouse access, checked in the stack config before anything is registered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.pipeline_service import PipelineServiceSettings
from components.pipeline_service.namespaces import (
    SYSTEM_NAMESPACES,
    identity_issues,
    namespace_owner,
    object_keys,
    pod_quota_use,
)
from components.stack_checks_data import database_users
from components.stack_config import StackConfig, load_stack_config
from dpengine.engine import EngineError, run_program

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "public.ecr.aws/acme/x:1.0"
BASE: dict[str, Any] = {
    "environment": "dev",
    "tags": {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"},
    "cluster": {
        "deploy_from": "inside_vpc",
        "deployer_cidrs": ["10.0.8.0/24"],
        "kubernetes_version": "1.36",
        "admin_principal_arns": ["arn:aws:iam::123456789012:role/x"],
    },
    "warehouse": {
        "production": False,
        "deletion_protection": False,
        "backup_retention_days": 1,
        "postgres": {"multi_az": False},
    },
}


def svc(name: str, **settings: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **settings}


def load(services: list[dict[str, Any]], **sections: Any) -> StackConfig:
    return load_stack_config({**BASE, "services": services, **sections}, "eu-west-1")


def issues(services: list[dict[str, Any]], **sections: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidConfigError) as err:
        load(services, **sections)
    return [(issue.path, issue.message) for issue in err.value.issues]


def paths(services: list[dict[str, Any]], **sections: Any) -> list[str]:
    return [path for path, _ in issues(services, **sections)]


# --------------------------------------------------------------------------- system namespaces


@pytest.mark.parametrize("namespace", sorted(SYSTEM_NAMESPACES))
def test_system_namespaces_are_refused_by_name_or_namespace(namespace: str) -> None:
    [(path, message)] = issues([svc("ok"), svc("api", namespace=namespace)])
    assert path == "dataplatform:services[1].namespace"
    assert "system namespace the cluster owns" in message and "namespace: api" in message
    # An existing namespace is no better: the workload would still run among the cluster's own.
    assert paths([svc("api", namespace=namespace, create_namespace=False)]) == [
        "dataplatform:services[0].namespace"
    ]


@pytest.mark.parametrize("name", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_a_service_named_like_a_system_namespace_needs_a_namespace(name: str) -> None:
    [(path, message)] = issues([svc(name)])
    assert path == "dataplatform:services[0].name"
    assert "rename the service or set namespace:" in message
    load([svc(name, namespace="platform")])  # with a namespace of its own, the name is fine


# --------------------------------------------------------------------------- shared namespaces


def test_two_services_creating_one_namespace_name_both() -> None:
    found = issues([svc("a", namespace="data"), svc("other"), svc("b", namespace="data")])
    assert [path for path, _ in found] == [
        "dataplatform:services[0].create_namespace",
        "dataplatform:services[2].create_namespace",
    ]
    assert all("services[0], services[2]" in m and "create_namespace: false" in m for _, m in found)


def test_services_share_a_namespace_one_of_them_creates() -> None:
    config = load([svc("a", namespace="data"), svc("b", namespace="data", create_namespace=False), svc("c")])
    assert [config.namespace_owner(i) for i in range(3)] == [None, 0, None]
    # A namespace no service creates exists outside the program: nothing to wait for.
    outside = load([svc("a", namespace="data", create_namespace=False)])
    assert outside.namespace_owner(0) is None


def test_the_owners_quota_must_hold_every_service_of_the_namespace() -> None:
    quota = {"hard": {"pods": "20", "requests.cpu": "4", "limits.memory": "100Gi"}}
    owner = svc("a", namespace="data", resource_quota=quota)
    load([owner])  # 13 pods at the peak (10 + 25% surge) x 250m fit on their own
    found = issues([owner, svc("b", namespace="data", create_namespace=False), svc("c")])
    assert [path for path, _ in found] == [
        "dataplatform:services[0].resource_quota.hard.pods",
        "dataplatform:services[0].resource_quota.hard.requests.cpu",
    ]
    assert "shared by services[0], services[1]" in found[0][1]
    assert "13 x 1 + 13 x 1 = 26" in found[0][1]
    assert "13 x 250m + 13 x 250m = 6.5" in found[1][1]
    # A smaller sharer fits.
    small = svc(
        "b",
        namespace="data",
        create_namespace=False,
        autoscaling={"enabled": False},
        replicas=1,
        resources={"requests": {"cpu": "100m"}},
    )
    load([owner, small])


def test_sharers_must_fit_the_owners_limit_range() -> None:
    owner = svc("a", namespace="data", limit_range={"min": {"cpu": "200m"}, "max": {"memory": "1Gi"}})
    sharer = svc(
        "b",
        namespace="data",
        create_namespace=False,
        resources={"requests": {"cpu": "100m"}, "limits": {"memory": "2Gi"}},
    )
    found = issues([owner, sharer])
    assert [path for path, _ in found] == [
        "dataplatform:services[1].resources.requests.cpu",
        "dataplatform:services[1].resources.limits.memory",
    ]
    assert "services[0].limit_range.min.cpu is 200m" in found[0][1]


def test_a_sharer_cannot_bring_a_quota_of_its_own() -> None:
    sharer = svc("b", namespace="data", create_namespace=False, resource_quota={"hard": {"pods": "50"}})
    assert paths([svc("a", namespace="data"), sharer]) == ["dataplatform:services[1].resource_quota"]


# --------------------------------------------------------------------------- object names, pure


def settings(name: str, **values: Any) -> PipelineServiceSettings:
    return PipelineServiceSettings(name=name, image=IMAGE, **values)


def test_object_keys_list_what_the_service_makes() -> None:
    api = settings(
        "api",
        namespace="data",
        port=8080,
        probes={"readiness": {"type": "http", "path": "/ready"}},
        resource_quota={"hard": {"pods": "40"}},
    )
    assert object_keys(api) == [
        ("Namespace", "", "data"),
        ("ServiceAccount", "data", "api"),
        ("Deployment", "data", "api"),
        ("ResourceQuota", "data", "api-quota"),
        ("NetworkPolicy", "data", "api"),
        ("Service", "data", "api"),
        ("HorizontalPodAutoscaler", "data", "api"),
        ("PodDisruptionBudget", "data", "api"),
    ]
    worker = settings("w", create_namespace=False, autoscaling={"enabled": False}, pdb={"enabled": False})
    assert object_keys(worker) == [
        ("ServiceAccount", "w", "w"),
        ("Deployment", "w", "w"),
        ("NetworkPolicy", "w", "w"),
    ]


def test_two_objects_of_one_kind_namespace_and_name_are_reported_on_both_services() -> None:
    # Two programs' worth of services with one name (the stack refuses it earlier by name).
    one = settings("api", namespace="data", create_namespace=False)
    found = identity_issues([one, one])
    assert [issue.path for issue in found] == ["services[0].name", "services[1].name"]
    assert "services[0], services[1] make the same ServiceAccount data/api" in found[0].message
    # The same name in two namespaces is two objects.
    assert identity_issues([one, settings("api", namespace="other", create_namespace=False)]) == []


def test_namespace_owner_and_quota_use() -> None:
    services = [settings("b", namespace="d", create_namespace=False), settings("a", namespace="d")]
    assert namespace_owner(services, 0) == 1  # the owner may come later in the list
    assert namespace_owner(services, 1) is None
    # Unset requests and limits count nothing.
    assert pod_quota_use(settings("x", resources={"requests": {"cpu": "1"}, "limits": {}})) == {
        "requests.cpu": "1",
        "cpu": "1",
        "pods": "1",
    }


# --------------------------------------------------------------------------- warehouse access


def test_warehouse_access_is_read_or_write() -> None:
    [(path, message)] = issues([svc("a", warehouse_access="admin")])
    assert path == "dataplatform:services[0].warehouse_access"
    assert "'read' or 'write'" in message


def test_warehouse_access_errors_name_the_key_and_the_fix() -> None:
    no_iam = {**BASE["warehouse"], "postgres": {"multi_az": False, "iam_database_authentication": False}}
    found = issues(
        [
            svc("a", warehouse_user="a_user", warehouse_schemas=["x"]),
            svc("b", warehouse_access="read", warehouse_user="b_user"),
            svc("c", warehouse_access="write", env={"WAREHOUSE_HOST": "x"}, warehouse_user="dp_admin"),
        ],
        warehouse=no_iam,
    )
    iam_only = (
        "services authenticate with IAM, never with the master secret; set "
        "warehouse.postgres.iam_database_authentication: true"
    )
    assert found == [
        (
            "dataplatform:services[0].warehouse_user",
            "has no effect without warehouse_access; set warehouse_access: read or write",
        ),
        (
            "dataplatform:services[0].warehouse_schemas",
            "has no effect without warehouse_access; set warehouse_access: read or write",
        ),
        ("dataplatform:services[1].warehouse_user", iam_only),
        ("dataplatform:services[2].env.WAREHOUSE_HOST", "is set by warehouse_access; remove it from env"),
        (
            "dataplatform:services[2].warehouse_user",
            "is the warehouse's admin; connect as a user of the service's own with only its grants",
        ),
        ("dataplatform:services[2].warehouse_user", iam_only),
    ]
    assert paths([svc("a", warehouse_access="read", warehouse_user="Reader", warehouse_schemas=["x"])]) == [
        "dataplatform:services[0].warehouse_user"
    ]
    # A name that is no SQL identifier must be given one; two services never share a user or own a schema.
    assert issues([svc("pg-loader", warehouse_access="write")]) == [
        (
            "dataplatform:services[0].warehouse_user",
            "'pg_loader' is reserved by PostgreSQL or RDS; choose another name (derived from the service "
            "name: set warehouse_user)",
        )
    ]
    assert issues(
        [
            svc("a", warehouse_access="write", warehouse_schemas=["events"]),
            svc("b", warehouse_access="write", warehouse_user="a", warehouse_schemas=["events"]),
        ]
    ) == [
        (
            "dataplatform:services[1].warehouse_user",
            "services[0] connects as this user too; give each service its own",
        ),
        (
            "dataplatform:services[1].warehouse_schemas",
            "services[0] writes this schema; a schema has one writer (its owner): read it instead, or "
            "write a schema of this service's own",
        ),
    ]
    assert issues([svc("a", warehouse_access="read")]) == [
        (
            "dataplatform:services[0].warehouse_schemas",
            "no service of the stack writes a schema for this reader; list the schemas it reads",
        )
    ]
    redshift = {
        "engine": "redshift",
        "production": False,
        "deletion_protection": False,
        "backup_retention_days": 1,
    }
    # Redshift users authenticate with GetClusterCredentials: no IAM database authentication setting.
    load(
        [svc("a", warehouse_access="read", warehouse_user="reader", warehouse_schemas=["x"])],
        warehouse=redshift,
    )


def test_database_users_derive_names_and_schemas_from_the_services() -> None:
    config = load(
        [
            svc("stream-consumer", warehouse_access="write"),
            svc("report-api", warehouse_access="read"),
            svc("audit", warehouse_access="read", warehouse_user="auditor", warehouse_schemas=["audit"]),
        ]
    )
    assert [(u.name, u.access, u.schemas, u.service) for u in database_users(config)] == [
        ("stream_consumer", "write", ["stream_consumer"], "stream-consumer"),
        ("report_api", "read", ["stream_consumer"], "report-api"),
        ("auditor", "read", ["audit"], "audit"),
    ]


def queue(**fields: Any) -> dict[str, Any]:
    return {"queue": fields, "autoscaling": {"triggers": [{"type": "sqs"}]}}


KEDA = {**BASE["cluster"], "keda": {}}


def test_a_consumed_queue_needs_a_producer() -> None:
    assert issues([svc("worker", **queue())], cluster=KEDA) == [
        (
            "dataplatform:services[0].queue.producers",
            "the queue of 'worker' is consumed and nothing writes to it, so no message ever arrives; add "
            "producers.lake_events (e.g. [{layer: bronze}]), producers.event_rules, or a service with queue: "
            "{from_service: worker, access: produce}",
        )
    ]
    # Any one of the three kinds is a producer.
    load([svc("worker", **queue(producers={"lake_events": [{"layer": "bronze"}]}))], cluster=KEDA)
    rule = {"name": "glue", "event_pattern": {"source": ["aws.glue"]}}
    load([svc("worker", **queue(producers={"event_rules": [rule]}))], cluster=KEDA)
    load(
        [svc("worker", **queue()), svc("api", queue={"from_service": "worker", "access": "produce"})],
        cluster=KEDA,
    )


def test_lake_events_name_lake_layers_and_never_overlap() -> None:
    found = issues(
        [
            svc("a", **queue(producers={"lake_events": [{"layer": "raw"}]})),
            svc("b", **queue(producers={"lake_events": [{"layer": "bronze", "suffix": ".parquet"}]})),
            svc(
                "c",
                **queue(producers={"lake_events": [{"layer": "bronze", "events": ["s3:ObjectCreated:Put"]}]}),
            ),
            svc(
                "d",
                **queue(producers={"lake_events": [{"layer": "bronze", "events": ["s3:ObjectRemoved:*"]}]}),
            ),
        ],
        cluster=KEDA,
    )
    assert found == [
        (
            "dataplatform:services[0].queue.producers.lake_events[0].layer",
            "the lake has no such layer (its layers: bronze, silver, gold)",
        ),
        (
            "dataplatform:services[2].queue.producers.lake_events[0]",
            "overlaps services[1].queue.producers.lake_events[0] (same layer, suffix and event type): the "
            "lake bucket has one notification configuration and S3 refuses overlapping filters; set "
            "distinct suffixes or events, or consume one queue",
        ),
    ]


def test_catalog_access_never_names_an_archive_only_layer() -> None:
    lake = {
        "layers": [
            {"name": "bronze"},
            {
                "name": "vault",
                "archive_only": True,
                "transitions": [{"days": 30, "storage_class": "GLACIER"}],
            },
        ]
    }
    assert issues(
        [svc("a", lake_access={"read": ["vault"]}, catalog_access={"read": ["vault"]})], lake=lake
    ) == [
        (
            "dataplatform:services[0].catalog_access.read",
            "archive_only layers have no catalog database (their data is not queryable); drop them here, or "
            "turn archive_only off on the layer",
        )
    ]
    # A catalog layer that would strand its data is refused at the transition's key path.
    stranded = {
        "layers": [{"name": "bronze", "transitions": [{"days": 365, "storage_class": "DEEP_ARCHIVE"}]}]
    }
    assert paths([], lake=stranded) == ["dataplatform:lake.layers[0].transitions[0].storage_class"]


# --------------------------------------------------------------------------- the stack program


def run_with(services: list[dict[str, Any]]) -> Any:
    return run_program(ROOT, "dev", config_overrides={"dataplatform:services": json.dumps(services)})


def test_a_shared_namespace_is_one_resource_and_the_sharer_waits_for_it() -> None:
    probes = {"readiness": {"type": "exec", "command": ["/ready"]}}
    # The sharer comes first in the list: the owner is still registered before it.
    run = run_with(
        [
            svc("b", namespace="data", create_namespace=False, probes=probes),
            svc("a", namespace="data", probes=probes),
        ]
    )
    [namespace] = run.by_type("kubernetes:core/v1:Namespace")
    assert namespace.name == "a-namespace" and namespace.inputs["metadata"]["name"] == "data"
    for record in run.resources:
        if record.type.startswith("kubernetes:") and record.name.startswith("b-"):
            assert namespace.urn in record.dependencies, record.name


@pytest.mark.parametrize(
    ("services", "path"),
    [
        (
            [{"name": "w", "image": IMAGE, "queue": {}, "autoscaling": {"triggers": [{"type": "sqs"}]}}],
            "dataplatform:services[1].queue.producers",
        ),
        (
            [{"name": "pg-w", "image": IMAGE, "warehouse_access": "write"}],
            "dataplatform:services[1].warehouse_user",
        ),
    ],
)
def test_a_queue_without_producer_or_a_bad_database_user_registers_nothing(
    services: list[dict[str, Any]], path: str
) -> None:
    with pytest.raises(EngineError) as err:
        run_with([svc("a"), *services])
    assert err.value.kind == "config"
    assert err.value.resources == []
    assert path in str(err.value)


def test_bad_identity_registers_nothing() -> None:
    with pytest.raises(EngineError) as err:
        run_with([svc("a", namespace="data"), svc("b", namespace="data")])
    assert err.value.kind == "config"
    assert err.value.resources == []
    assert "dataplatform:services[1].create_namespace" in str(err.value)
