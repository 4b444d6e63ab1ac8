"""The data-flow proof: every hop of both stacks holds, and breaking one hop of each kind fails it by name.

The stacks' hops come from ``components/flows.py`` (the ``dataFlows`` output); the proof is the pack's
``data-flows`` policy (``policies/system/flows.py``). Mutations are made on the recorded plan (one
resource's properties), or in small programs of other shapes (``tests/flow_programs.py``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_programs import events_program, web_program
from system_programs import PACK

from dpengine.check import _root_stack, evaluate, load_config, render, to_wire
from dpengine.engine import ResourceRecord, StackRun, run_function, run_program
from policies._common import StackContext, StackResource
from policies.system._flow_plan import Plan
from policies.system.flows import prove

ROOT = Path(__file__).resolve().parent.parent
Change = Callable[[ResourceRecord, dict[str, Any]], dict[str, Any] | None]


@pytest.fixture(scope="module")
def dev() -> StackRun:
    return run_program(ROOT, "dev")


@pytest.fixture(scope="module")
def prod() -> StackRun:
    return run_program(ROOT, "prod")


def results(run: StackRun, change: Change | None = None) -> list[tuple[str, str, str, bool | None, str]]:
    """Every hop's (flow, hop, kind, verdict, why) on ``run``, one resource's props changed first."""
    resources = []
    for record in [_root_stack(run), *run.resources]:
        props = {**(record.outputs or {}), **record.inputs}
        if change is not None:
            props = change(record, copy.deepcopy(props)) or props
        resources.append(
            StackResource(
                record.type, record.urn, record.name, to_wire(props), record.parent, record.dependencies,
                record.property_dependencies, record.provider,
            )
        )  # fmt: skip
    ctx = StackContext("data-flows", resources, {}, lambda message, urn: None)
    return [row[:5] for row in prove(Plan(ctx))]


def broken(run: StackRun, change: Change | None = None) -> list[tuple[str, str]]:
    return [(flow, hop) for flow, hop, _, verdict, _ in results(run, change) if verdict is not True]


def _named(type_: str, name: str, edit: Callable[[dict[str, Any]], None]) -> Change:
    def change(record: ResourceRecord, props: dict[str, Any]) -> dict[str, Any] | None:
        if record.type == type_ and record.name == name:
            edit(props)
            return props
        return None

    return change


# --------------------------------------------------------------------------- the stacks


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_hop_of_both_stacks_holds(stack: str, request: pytest.FixtureRequest) -> None:
    run: StackRun = request.getfixturevalue(stack)
    rows = results(run)
    assert [(f, h, why) for f, h, _, verdict, why in rows if verdict is not True] == []
    assert [f["name"] for f in run.outputs["dataFlows"]["flows"]] == [
        "ingest-api",
        "stream-consumer",
        "batch-worker",
        "analysts",
    ]
    kinds = {kind for _, _, kind, _, _ in rows}
    assert kinds == {
        "db-grant",
        "iam",
        "ingress",
        "network-policy",
        "s3-notification",
        "security-group",
        "service-endpoints",
        "workload-identity",
    }


def test_the_dev_flows_hop_by_hop(dev: StackRun) -> None:
    hops = {flow: [h for f, h, *_ in results(dev) if f == flow] for flow in ("ingest-api", "stream-consumer")}
    assert hops["ingest-api"] == [
        "ALB routes to ingest-api",
        "ALB reaches ingest-api pods on 8080",
        "Service ingest-api selects its pods",
        "ingest-api pods assume their IRSA role",
        "ingest-api writes bronze",
        "ingest-api cannot reach the warehouse port",
        "ingest-api cannot connect as stream_consumer",
        "ingest-api cannot write silver",
        "ingest-api cannot read silver",
        "ingest-api cannot write gold",
        "ingest-api cannot read gold",
        "ingest-api cannot read the warehouse master secret",
    ]
    assert hops["stream-consumer"] == [
        "Service stream-consumer selects its pods",
        "bronze object events reach stream-consumer's queue",
        "S3 may send bronze events to stream-consumer's queue",
        "stream-consumer receives from its queue",
        "stream-consumer pods assume their IRSA role",
        "stream-consumer reads bronze",
        "stream-consumer writes silver",
        "stream-consumer reads the bronze tables",
        "stream-consumer updates the silver tables",
        "stream-consumer pods reach the warehouse subnets on 5432",
        "nodes of stream-consumer pass the warehouse security group on 5432",
        "stream-consumer connects as stream_consumer",
        "stream_consumer may change the warehouse tables",
        "stream-consumer cannot write bronze",
        "stream-consumer cannot write gold",
        "stream-consumer cannot read gold",
        "stream-consumer cannot read the warehouse master secret",
    ]


def test_prod_read_only_batch_worker_connects_as_its_reader(prod: StackRun) -> None:
    rows = {(f, h): verdict for f, h, _, verdict, _ in results(prod)}
    assert rows[("batch-worker", "batch-worker connects as batch_worker_ro")] is True
    assert rows[("batch-worker", "nodes of batch-worker pass the warehouse security group on 5432")] is True
    assert ("ingest-api", "ingest-api cannot connect as batch_worker_ro") in rows


# --------------------------------------------------------------------------- mutations of the stack plans


def _without_action(action: str) -> Callable[[dict[str, Any]], None]:
    def edit(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        for statement in document["Statement"]:
            listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [a for a in listed if a != action] or ["s3:GetBucketLocation"]
        props["policy"] = json.dumps(document)

    return edit


def test_a_missing_iam_action_breaks_the_write_hop(dev: StackRun) -> None:
    change = _named("aws:iam/rolePolicy:RolePolicy", "ingest-api-policy", _without_action("s3:PutObject"))
    assert broken(dev, change) == [("ingest-api", "ingest-api writes bronze")]


def test_a_key_policy_without_the_account_breaks_every_lake_hop(dev: StackRun) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["policy"] = json.dumps({"Version": "2012-10-17", "Statement": []})

    failed = broken(dev, _named("aws:kms/key:Key", "lake-key", edit))
    assert ("ingest-api", "ingest-api writes bronze") in failed
    assert ("analysts", "analysts reads gold") in failed
    assert all("writes" in hop or "reads" in hop for _, hop in failed)


def test_a_wrong_selector_breaks_the_service_hop(dev: StackRun) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["spec"]["selector"] = {"app.kubernetes.io/name": "ingest"}

    assert broken(dev, _named("kubernetes:core/v1:Service", "ingest-api-service", edit)) == [
        ("ingest-api", "Service ingest-api selects its pods")
    ]


def test_a_missing_warehouse_port_breaks_the_security_group_hop(dev: StackRun) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["fromPort"] = props["toPort"] = 5433

    change = _named("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "warehouse-ingress-0", edit)
    assert broken(dev, change) == [
        ("stream-consumer", "nodes of stream-consumer pass the warehouse security group on 5432")
    ]


def test_a_trust_for_another_service_account_breaks_every_hop_of_its_role(dev: StackRun) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["assumeRolePolicy"] = props["assumeRolePolicy"].replace(
            "system:serviceaccount:batch-worker:batch-worker", "system:serviceaccount:batch-worker:other"
        )

    failed = broken(dev, _named("aws:iam/role:Role", "batch-worker-role", edit))
    assert ("batch-worker", "batch-worker pods assume their IRSA role") in failed
    assert ("batch-worker", "batch-worker writes gold") in failed
    assert {flow for flow, _ in failed} == {"batch-worker"}


def test_egress_denied_without_the_warehouse_port_breaks_the_network_hop(dev: StackRun) -> None:
    def edit(props: dict[str, Any]) -> None:
        props["spec"]["policyTypes"] = ["Ingress", "Egress"]
        props["spec"]["egress"] = [
            {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
        ]

    change = _named("kubernetes:networking.k8s.io/v1:NetworkPolicy", "stream-consumer-network-policy", edit)
    assert broken(dev, change) == [
        ("stream-consumer", "stream-consumer pods reach the warehouse subnets on 5432")
    ]


def test_a_wider_grant_breaks_a_least_privilege_hop(dev: StackRun) -> None:
    def edit(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        document["Statement"][0]["Resource"] = [
            r.replace("/bronze/*", "/*") for r in document["Statement"][0]["Resource"]
        ]
        document["Statement"][0]["Action"] = ["s3:GetObject", "s3:PutObject"]
        props["policy"] = json.dumps(document)

    assert broken(dev, _named("aws:iam/rolePolicy:RolePolicy", "ingest-api-policy", edit)) == [
        ("ingest-api", "ingest-api cannot write silver"),
        ("ingest-api", "ingest-api cannot read silver"),
        ("ingest-api", "ingest-api cannot write gold"),
        ("ingest-api", "ingest-api cannot read gold"),
    ]


def test_check_reports_the_broken_hop_by_flow_and_hop(dev: StackRun) -> None:
    run = copy.deepcopy(dev)
    policy = next(r for r in run.resources if r.name == "ingest-api-policy")
    _without_action("s3:PutObject")(policy.inputs)
    report = evaluate(run, PACK, load_config(ROOT / "policies" / "dev.json"))
    found = [v for v in report.violations if v.policy == "data-flows"]
    assert [(v.flow, v.hop, v.enforcement, v.type) for v in found] == [
        ("ingest-api", "ingest-api writes bronze", "mandatory", "pulumi:pulumi:Stack")
    ]
    assert found[0].message.startswith(
        'flow "ingest-api", hop "ingest-api writes bronze" (iam): ingest-api may not'
    )
    as_json = json.loads(render(report, "json"))
    assert [(v["flow"], v["hop"]) for v in as_json["violations"] if v["policy"] == "data-flows"] == [
        ("ingest-api", "ingest-api writes bronze")
    ]
    sarif = json.loads(render(report, "sarif"))
    props = [r["properties"] for r in sarif["runs"][0]["results"] if r["ruleId"] == "data-flows"]
    assert [(p["flow"], p["hop"]) for p in props] == [("ingest-api", "ingest-api writes bronze")]
    assert "  - flow ingest-api  hop ingest-api writes bronze" in render(report, "text")


def test_a_first_preview_cannot_decide_the_flows(dev: StackRun) -> None:
    run = run_program(ROOT, "dev", preview=True)
    assert [r[3:] for r in results(run)] == [(None, "the dataFlows output is unknown during preview")]


# --------------------------------------------------------------------------- other programs, other hop kinds


def _flows_report(program: Callable[[], None]) -> list[tuple[str | None, str | None]]:
    report = evaluate(run_function(program, project="demo", stack="prod"), PACK)
    return [(v.flow, v.hop) for v in report.violations if v.policy == "data-flows"] + [
        ("undecided", s.message) for s in report.skipped if s.policy == "data-flows"
    ]


def test_a_program_of_another_shape_proves_its_own_flows() -> None:
    assert _flows_report(web_program) == []
    assert _flows_report(events_program) == []


@pytest.mark.parametrize(
    ("program", "mutation", "hop"),
    [
        (web_program, "ingress-class", "ALB routes to web"),
        (web_program, "ingress-port", "ALB reaches web pods"),
        (web_program, "selector", "Service web selects its pods"),
        (web_program, "trust", "web assumes its role"),
        (web_program, "iam-action", "web writes in/"),
        (web_program, "key-policy", "web writes in/"),
        (web_program, "dns", "web reaches S3"),
        (web_program, "warehouse-open", "web cannot reach the database"),
        (web_program, "iam-negative", "web cannot write out/"),
        (events_program, "prefix", "raw events reach the queue"),
        (events_program, "source-arn", "S3 may send to the queue"),
        (events_program, "queue-key", "S3 may send to the queue"),
        (events_program, "sg-port", "app passes the database group"),
        (events_program, "sg-egress", "app passes the database group"),
        (events_program, "grant", "writer changes tables"),
        (events_program, "reader-writes", "reader cannot write"),
    ],
)
def test_each_hop_kind_fails_when_broken(program: Callable[..., None], mutation: str, hop: str) -> None:
    flow = "upload" if program is web_program else "ingest"
    failed = _flows_report(lambda: program(mutation))
    if mutation == "trust":
        # Every hop through the role breaks with it.
        assert (flow, hop) in failed and (flow, "web writes in/") in failed
    else:
        assert failed == [(flow, hop)]


def test_an_unknown_hop_kind_or_document_is_a_violation() -> None:
    def program() -> None:
        import pulumi

        pulumi.export(
            "dataFlows", {"version": 1, "flows": [{"name": "f", "hops": [{"name": "h", "kind": "teleport"}]}]}
        )

    assert _flows_report(program) == [("f", "h")]

    def old() -> None:
        import pulumi

        pulumi.export("dataFlows", {"flows": "none"})

    report = evaluate(run_function(old, project="demo", stack="prod"), PACK)
    assert [v.message for v in report.violations if v.policy == "data-flows"] == [
        'flow "*", hop "*" (*): dataFlows is not a version 1 document with a list of flows'
    ]


def test_a_program_without_flows_is_not_judged() -> None:
    def program() -> None:
        import pulumi_aws as aws

        aws.s3.Bucket("b")

    assert _flows_report(program) == []
