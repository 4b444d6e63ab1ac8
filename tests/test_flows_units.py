"""The pure parts of the data-flow proof: the flow builder, the IAM evaluator, the SQL grants parser,
and ``graph --flows``, without running a stack."""

from __future__ import annotations

import pytest

from components.flows import FlowReferences, data_flows
from components.stack_config import load_stack_config
from dpengine.graph import flows_graph, render_mermaid
from policies._iam_eval import ALLOW, DELEGATED, DENY, IMPLICIT, Caller, Request, decide, evaluate
from policies.system._flow_sql import _effective, parse

ACCOUNT = "123456789012"
BUCKET = "arn:aws:s3:::lake"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"


def _config(**service: object) -> object:
    return load_stack_config(
        {
            "environment": "dev",
            "tags": {
                "Environment": "dev",
                "Project": "p",
                "Owner": "o",
                "CostCenter": "c",
                "ManagedBy": "pulumi",
            },
            "cluster": {
                "kubernetes_version": "1.36",
                "deletion_protection": False,
                "deploy_from": "inside_vpc",
                "deployer_cidrs": ["10.0.8.0/24"],
                "admin_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/deployer"],
            },
            "services": [
                {
                    "name": "api",
                    "image": "api:1.0.0",
                    "probes": {"readiness": {"type": "http", "path": "/ready", "port": 8080}},
                    "port": 8080,
                    "lake_access": {"write": ["bronze"]},
                    **service,
                }
            ],
        },
        "eu-west-1",
    )


REFS = FlowReferences(
    account=ACCOUNT,
    lake_bucket_arns={"bronze": BUCKET, "silver": BUCKET, "gold": BUCKET},
    lake_layer_prefixes={"bronze": "bronze/", "silver": "silver/", "gold": "gold/"},
    lake_kms_key_arn=KEY,
    warehouse_port=5432,
    warehouse_resource_id="db-ABC",
)


def test_flows_of_a_writer_name_each_hop_and_the_refusals() -> None:
    document = data_flows(_config(), REFS)  # type: ignore[arg-type]
    assert document["version"] == 1
    [flow] = document["flows"]
    assert flow["path"] == ["api", "bronze"]
    write = next(h for h in flow["hops"] if h["name"] == "api writes bronze")
    assert write == {
        "name": "api writes bronze",
        "kind": "iam",
        "expect": "allow",
        "principal": {"workload": {"kind": "Deployment", "namespace": "api", "name": "api"}, "label": "api"},
        "actions": ["s3:PutObject"],
        "resource": f"{BUCKET}/bronze/flow-proof/part-00000.parquet",
        "kms": {
            "keyArn": KEY,
            "actions": ["kms:GenerateDataKey"],
            "viaService": "s3.eu-west-1.amazonaws.com",
        },
    }
    refused = [h["name"] for h in flow["hops"] if h["expect"] == "deny"]
    assert refused == [
        "api cannot connect as postgres",
        "api cannot write silver",
        "api cannot read silver",
        "api cannot write gold",
        "api cannot read gold",
    ]


def test_features_add_their_hops_and_unknown_ones_are_refused() -> None:
    config = _config()
    names = {h["name"] for h in data_flows(config, REFS, ["entry", "egress"])["flows"][0]["hops"]}  # type: ignore[arg-type]
    assert {
        "ALB routes to api",
        "ALB reaches api pods on 8080",
        "api cannot reach the warehouse port",
    } <= names
    with pytest.raises(ValueError, match=r"unknown flow features \['teleport'\]"):
        data_flows(config, REFS, ["teleport"])  # type: ignore[arg-type]


def test_the_evaluator_combines_identity_resource_and_key_policies() -> None:
    caller = Caller(arn=ROLE)
    identity = [[{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}]]
    root = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    request = Request("kms:Decrypt", KEY, caller)
    assert evaluate(root, request, resource_policy=True).decision == DELEGATED
    assert decide(request, identity, root, key_policy=True).decision == ALLOW
    assert decide(request, [[]], root, key_policy=True).decision == IMPLICIT
    assert decide(request, identity, [], key_policy=True).decision == IMPLICIT  # the key policy must allow
    deny = [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]  # fmt: skip
    s3 = [[{"Effect": "Allow", "Action": "s3:Get*", "Resource": f"{BUCKET}/*"}]]
    assert (
        decide(
            Request("s3:GetObject", f"{BUCKET}/k", caller, {"aws:SecureTransport": "true"}), s3, deny
        ).decision
        == ALLOW
    )
    assert (
        decide(
            Request("s3:GetObject", f"{BUCKET}/k", caller, {"aws:SecureTransport": "false"}), s3, deny
        ).decision
        == DENY
    )
    # Action names are case-insensitive; NotAction, IfExists and negated operators with the key absent.
    assert evaluate(s3[0], Request("S3:getobject", f"{BUCKET}/k")).decision == ALLOW
    not_action = [{"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"}]
    assert evaluate(not_action, Request("s3:DeleteObject", f"{BUCKET}/k")).decision == IMPLICIT
    conditional = [{"Effect": "Allow", "Action": "*", "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:x": "no"},
                                  "StringEqualsIfExists": {"aws:y": "ok"}}}]  # fmt: skip
    assert evaluate(conditional, Request("a:b", "r")).decision == ALLOW
    assert evaluate(conditional, Request("a:b", "r", context={"aws:y": "other"})).decision == IMPLICIT


def test_grants_follow_revokes_and_memberships() -> None:
    grants = parse(
        [
            'CREATE ROLE "reader" LOGIN; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA app TO "reader";'
            'REVOKE ALL ON ALL TABLES IN SCHEMA app FROM "reader"; GRANT analysts TO reader;'
            "GRANT SELECT ON ALL TABLES IN SCHEMA app TO analysts;"
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA app TO reader;"
            "GRANT rds_iam TO reader;"
        ]
    )
    assert grants.users == {"reader"}
    assert _effective(grants, "reader") == ({"analysts", "rds_iam"}, {"SELECT"})


def test_graph_draws_each_declared_flow() -> None:
    document = data_flows(_config(), REFS)  # type: ignore[arg-type]
    plan = {"steps": [{"newState": {"type": "pulumi:pulumi:Stack", "outputs": {"dataFlows": document}}}]}
    text = render_mermaid(flows_graph(plan))
    assert 'subgraph g_api_Flow_flows["flow api"]' in text
    assert "  api_api --> api_bronze" in text
    assert "iam: api cannot write silver (must be refused)" in text
    with pytest.raises(ValueError, match="declares no data flows"):
        flows_graph({"steps": []})
