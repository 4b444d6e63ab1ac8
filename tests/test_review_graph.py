"""dataplatform graph: deterministic diagrams with components as groups, layers apart, data edges."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dpengine.engine import run_program
from dpengine.graph import build_graph, render, render_mermaid
from dpengine.plan import plan_json

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def prod_plan() -> dict:
    return plan_json(run_program(ROOT, "prod"))


def test_output_is_deterministic(prod_plan: dict) -> None:
    again = plan_json(run_program(ROOT, "prod"))
    for fmt in ("mermaid", "dot"):
        for detail in ("components", "key", "all"):
            assert render(prod_plan, fmt, detail) == render(again, fmt, detail)


def test_key_detail_nodes_layers_and_data_edges(prod_plan: dict) -> None:
    graph = build_graph(prod_plan, "key")
    layers = {n.id: n.layer for n in graph.nodes}
    assert layers["warehouse_db"] == "aws" and layers["ingest_api_deployment"] == "k8s"
    assert layers["eks_cluster"] == "aws" and layers["eks_karpenter_pool_apps"] == "k8s"
    # Only the key types: no route tables, policies or security-group rules.
    assert not [n for n in graph.nodes if "RouteTable" in n.label or "RolePolicy" in n.label]
    assert len([n for n in graph.nodes if "aws:ec2 NatGateway" in n.label]) == 3
    edges = set(graph.edges)
    assert ("warehouse_key", "warehouse_db") in edges  # kmsKeyId
    assert ("network_vpc", "eks_cluster") in edges  # vpcId
    assert ("eks_cluster", "eks_system_nodes") in edges  # clusterName
    # Through hidden resources: the queue's URL reaches the consumer's Deployment via its env.
    assert ("stream_consumer_queue", "stream_consumer_deployment") in edges
    assert ("network_vpc", "warehouse_key") not in edges  # no data flows there


def test_mermaid_groups_components_inside_their_layer(prod_plan: dict) -> None:
    text = render_mermaid(build_graph(prod_plan, "key"))
    aws, k8s = text.split('  subgraph layer_k8s["Kubernetes"]')
    assert '  subgraph layer_aws["AWS"]' in aws
    assert 'subgraph g_warehouse_Warehouse_aws["warehouse (Warehouse)"]' in aws
    assert 'warehouse_db["warehouse-db<br/>aws:rds Instance"]' in aws
    assert 'subgraph g_eks_ClusterRuntime_k8s["eks (ClusterRuntime)"]' in k8s
    assert "ingest_api_deployment[" in k8s and "ingest_api_deployment[" not in aws
    # Every node declared once, every edge between declared nodes.
    declared = re.findall(r"^\s+(\w+)\[", text, re.M)
    assert len(declared) == len(set(declared))
    for source, target in re.findall(r"^\s+(\w+) --> (\w+)$", text, re.M):
        assert source in declared and target in declared


def test_components_detail_counts_and_edges(prod_plan: dict) -> None:
    graph = build_graph(prod_plan, "components")
    labels = {n.id: n.label for n in graph.nodes}
    assert labels["warehouse_aws"] == "warehouse (Warehouse)<br/>11 resources"
    assert ("network_aws", "warehouse_aws") in set(graph.edges)


def test_readme_diagram_is_the_commands_output(prod_plan: dict) -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(
        r"<!-- graph:prod:begin -->\n```mermaid\n(.*?)```\n<!-- graph:prod:end -->", readme, re.S
    )
    assert match, "README.md lost its prod diagram markers"
    assert match.group(1) == render(prod_plan, "mermaid", "key").decode(), (
        "run `make graph` to update README.md"
    )


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)"
)
def test_svg_and_png_through_graphviz(prod_plan: dict) -> None:
    svg = render(prod_plan, "svg", "key")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<title>warehouse_db</title>" in svg
    assert render(prod_plan, "png", "components").startswith(b"\x89PNG\r\n\x1a\n")
