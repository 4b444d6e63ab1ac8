"""``dataplatform graph``: the architecture from the plan, as Mermaid, DOT, SVG or PNG.

With ``--flows``, the data flows the stack declares (its ``dataFlows`` output) instead: each flow's
path and the hops ``dataplatform check`` proves on it.

Components are groups; the AWS and Kubernetes layers are drawn apart (a component with resources
in both appears in both layers); edges are data edges: an arrow from a resource to the one that
uses its outputs (the plan's property dependencies, not ordering-only ``dependsOn``). Detail:
``components`` (one node per component), ``key`` (the resources a reviewer looks for: network,
cluster, nodes, data stores, keys, queues, workloads, Ingresses) or ``all``. Output is sorted by
URN, so one plan always gives the same text.

The ALBs the AWS Load Balancer Controller makes for ``alb`` Ingresses are in no plan: each is drawn
from its Ingresses (:mod:`.load_balancers`, one per IngressGroup) in the AWS layer, beside them,
with an edge from each Ingress it serves.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diff import plan_states
from .load_balancers import INGRESS, load_balancers

DETAILS = ("components", "key", "all")
FORMATS = ("mermaid", "dot", "svg", "png")

KEY_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:eks/cluster:Cluster",
        "eks:index:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:redshift/cluster:Cluster",
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:sqs/queue:Queue",
        "aws:secretsmanager/secret:Secret",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:batch/v1:CronJob",
        "kubernetes:batch/v1:Job",
        "kubernetes:helm.sh/v3:Release",
        INGRESS,
        "kubernetes:karpenter.sh/v1:NodePool",
        "kubernetes:keda.sh/v1alpha1:ScaledObject",
        "kubernetes:keda.sh/v1alpha1:ScaledJob",
    }
)
"""The resources ``--detail key`` shows; every other resource's edges pass through to these."""

LAYERS = (("aws", "AWS"), ("k8s", "Kubernetes"), ("flows", "Data flows"))


@dataclass
class Node:
    urn: str
    id: str
    label: str
    layer: str
    group: str | None
    """The URN of the component it belongs to (the nearest component ancestor)."""


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[tuple[str, str]]
    groups: dict[str, str] = field(default_factory=dict)
    """Component URN -> label."""
    group_parent: dict[str, str | None] = field(default_factory=dict)


def _layer(token: str) -> str:
    return "k8s" if token.startswith(("kubernetes:", "pulumi:providers:kubernetes")) else "aws"


def _is_group(state: Mapping[str, Any]) -> bool:
    # A multi-language component (pulumi-eks's Cluster) is one opaque resource under mocks: a node.
    return not state.get("custom") and not state.get("remote")


def _short_type(token: str) -> str:
    parts = token.split(":")
    if len(parts) == 3:
        module = parts[1].split("/")[0]
        return f"{parts[0]}:{module} {parts[2]}"
    return token


def _ident(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", text)
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


def build_graph(plan: Mapping[str, Any], detail: str = "key") -> Graph:
    if detail not in DETAILS:
        raise ValueError(f"--detail must be one of {', '.join(DETAILS)} (got {detail!r})")
    states = plan_states(plan)
    groups = {u: s for u, s in states.items() if _is_group(s)}

    def component_of(urn: str) -> str | None:
        parent = states[urn].get("parent") or None
        while parent is not None and parent not in groups:
            parent = states[parent].get("parent") or None if parent in states else None
        return parent

    taken: set[str] = set()
    graph = Graph([], [])
    for urn in sorted(groups):
        name = urn.rsplit("::", 1)[-1]
        graph.groups[urn] = f"{name} ({groups[urn]['type'].rsplit(':', 1)[-1]})"
        graph.group_parent[urn] = component_of(urn)
    resources = {u: s for u, s in states.items() if u not in groups}
    if detail == "components":
        shown = {u: component_of(u) for u in resources}
        ids: dict[str, str] = {}
        for urn in sorted(groups):
            layers = sorted({_layer(states[r]["type"]) for r, g in shown.items() if g == urn})
            for layer in layers or ["aws"]:
                node_id = _ident(f"{urn.rsplit('::', 1)[-1]}_{layer}", taken)
                ids[f"{urn}|{layer}"] = node_id
                count = sum(1 for r, g in shown.items() if g == urn and _layer(states[r]["type"]) == layer)
                label = f"{graph.groups[urn]}<br/>{count} resources"
                # A component with child components is drawn inside its own group, beside them.
                has_children = any(parent == urn for parent in graph.group_parent.values())
                group = urn if has_children else graph.group_parent[urn]
                graph.nodes.append(Node(urn, node_id, label, layer, group))

        def key_of(urn: str) -> str | None:
            group = shown.get(urn)
            return f"{group}|{_layer(states[urn]['type'])}" if group else None

        edges = set()
        for urn, state in resources.items():
            target = key_of(urn)
            for dep in _data_dependencies(state):
                source = key_of(dep) if dep in resources else None
                if source and target and source != target:
                    edges.add((ids[source], ids[target]))
        graph.edges = sorted(edges)
        return graph

    visible = {u for u, s in resources.items() if detail == "all" or s["type"] in KEY_TYPES}
    ids = {}
    for urn in sorted(visible):
        state = states[urn]
        name = urn.rsplit("::", 1)[-1]
        ids[urn] = _ident(name, taken)
        label = f"{name}<br/>{_short_type(state['type'])}"
        graph.nodes.append(Node(urn, ids[urn], label, _layer(state["type"]), component_of(urn)))
    edges = set()
    for urn in visible:
        for source in _visible_sources(urn, resources, visible):
            if source != urn:
                edges.add((ids[source], ids[urn]))
    ingresses = [
        (u, resources[u].get("inputs") or {}) for u in sorted(visible) if states[u]["type"] == INGRESS
    ]
    for alb in load_balancers(ingresses):
        first = alb.ingresses[0]
        node_id = _ident(f"alb_{alb.key}", taken)
        listeners = " ".join(alb.listeners)
        label = f"ALB {alb.key}<br/>{alb.scheme}, {listeners}<br/>made by the load balancer controller"
        graph.nodes.append(Node(f"{first}#alb", node_id, label, "aws", component_of(first)))
        edges.update((ids[ingress], node_id) for ingress in alb.ingresses)
    graph.edges = sorted(edges)
    return graph


def _data_dependencies(state: Mapping[str, Any]) -> list[str]:
    deps: set[str] = set()
    for urns in (state.get("propertyDependencies") or {}).values():
        deps.update(urns)
    return sorted(deps)


def _visible_sources(urn: str, resources: Mapping[str, Any], visible: set[str]) -> set[str]:
    """The visible resources whose outputs reach ``urn``, through hidden ones (a policy, a rule...)."""
    found: set[str] = set()
    seen: set[str] = set()
    frontier = [d for d in _data_dependencies(resources[urn]) if d in resources]
    while frontier:
        dep = frontier.pop()
        if dep in seen:
            continue
        seen.add(dep)
        if dep in visible:
            found.add(dep)
        else:
            frontier += [d for d in _data_dependencies(resources[dep]) if d in resources]
    return found


# --- rendering ---------------------------------------------------------------------------------


def _group_id(urn: str) -> str:
    # Name and type: a ClusterRuntime may share its EksCluster's name.
    kind = urn.rsplit("::", 2)[-2].rsplit(":", 1)[-1]
    return "g_" + re.sub(r"[^A-Za-z0-9_]", "_", f"{urn.rsplit('::', 1)[-1]}_{kind}")


def _tree(graph: Graph, layer: str) -> tuple[dict[str | None, list[str]], dict[str | None, list[Node]]]:
    """Component nesting and node placement within one layer (only components with nodes there)."""
    nodes: dict[str | None, list[Node]] = {}
    for node in graph.nodes:
        if node.layer == layer:
            nodes.setdefault(node.group, []).append(node)
    needed: set[str] = set()
    for group in [g for g in nodes if g is not None]:
        current: str | None = group
        while current is not None:
            needed.add(current)
            current = graph.group_parent.get(current)
    children: dict[str | None, list[str]] = {}
    for group in sorted(needed):
        children.setdefault(graph.group_parent.get(group), []).append(group)
    return children, nodes


def render_mermaid(graph: Graph) -> str:
    out = ["flowchart LR"]
    for layer, title in LAYERS:
        children, nodes = _tree(graph, layer)
        if not nodes:
            continue
        out.append(f'  subgraph layer_{layer}["{title}"]')

        def emit(
            group: str | None, indent: str, layer: str = layer, nodes: Any = nodes, children: Any = children
        ) -> None:
            for node in nodes.get(group, []):
                out.append(f'{indent}{node.id}["{node.label}"]')
            for child in children.get(group, []):
                out.append(f'{indent}subgraph {_group_id(child)}_{layer}["{graph.groups[child]}"]')
                emit(child, indent + "  ")
                out.append(f"{indent}end")

        emit(None, "    ")
        out.append("  end")
    for source, target in graph.edges:
        out.append(f"  {source} --> {target}")
    return "\n".join(out) + "\n"


def render_dot(graph: Graph) -> str:
    out = [
        "digraph dataplatform {",
        '  rankdir=LR; compound=true; fontname="Helvetica";',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica", fontsize=10];',
    ]
    for layer, title in LAYERS:
        children, nodes = _tree(graph, layer)
        if not nodes:
            continue
        out.append(f'  subgraph cluster_{layer} {{ label="{title}"; style=dashed;')

        def emit(
            group: str | None, indent: str, layer: str = layer, nodes: Any = nodes, children: Any = children
        ) -> None:
            for node in nodes.get(group, []):
                label = node.label.replace("<br/>", "\\n")
                out.append(f'{indent}{node.id} [label="{label}"];')
            for child in children.get(group, []):
                out.append(
                    f'{indent}subgraph cluster_{_group_id(child)}_{layer} {{ label="{graph.groups[child]}";'
                )
                emit(child, indent + "  ")
                out.append(f"{indent}}}")

        emit(None, "    ")
        out.append("  }")
    for source, target in graph.edges:
        out.append(f"  {source} -> {target};")
    out.append("}")
    return "\n".join(out) + "\n"


def render_image(dot_text: str, fmt: str) -> bytes:
    """SVG or PNG through Graphviz's ``dot``."""
    binary = shutil.which("dot")
    if binary is None:
        raise ValueError(f"--format {fmt} needs Graphviz's `dot` on PATH (apt-get install graphviz)")
    done = subprocess.run([binary, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise ValueError(f"dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def declared_flows(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flows the stack declares (its ``dataFlows`` output, README: Data flows); [] when none."""
    for step in plan.get("steps", []):
        state = step.get("newState") or {}
        if state.get("type") == "pulumi:pulumi:Stack":
            document = (state.get("outputs") or {}).get("dataFlows")
            flows = document.get("flows") if isinstance(document, dict) else None
            if isinstance(flows, list):
                return [f for f in flows if isinstance(f, dict)]
    return []


def flows_graph(plan: Mapping[str, Any]) -> Graph:
    """Each declared flow as a chain of its path (client -> ALB -> service -> layer), its hops listed
    beside it (what ``dataplatform check`` proves, policy ``data-flows``; the drawing claims nothing)."""
    flows = declared_flows(plan)
    if not flows:
        raise ValueError("the stack declares no data flows (no dataFlows output; README: Data flows)")
    nodes: list[Node] = []
    edges: list[tuple[str, str]] = []
    groups: dict[str, str] = {}
    taken: set[str] = set()
    for flow in flows:
        name = str(flow.get("name"))
        group = f"urn:pulumi:flows::flows::dataplatform:flows:Flow::{name}"
        groups[group] = f"flow {name}"
        path = [str(p) for p in flow.get("path") or []] or [name]
        ids = []
        for step in path:
            node_id = _ident(f"{name}_{step}", taken)
            nodes.append(
                Node(urn=f"{group}/{step}", id=node_id, label=_label(step), layer="flows", group=group)
            )
            ids.append(node_id)
        edges += list(itertools.pairwise(ids))
        hops = [h for h in flow.get("hops") or [] if isinstance(h, dict)]
        lines = []
        for hop in hops:
            refused = " (must be refused)" if hop.get("expect") == "deny" else ""
            lines.append(f"{hop.get('kind')}: {_label(str(hop.get('name')))}{refused}")
        hops_id = _ident(f"{name}_hops", taken)
        nodes.append(
            Node(urn=f"{group}/~hops", id=hops_id, label="<br/>".join(lines), layer="flows", group=group)
        )
    return Graph(nodes, edges, groups, dict.fromkeys(groups))


def _label(text: str) -> str:
    """Text safe inside a Mermaid or DOT label (their quotes and brackets)."""
    return re.sub(r'["\[\]{}<>|]', "", text).replace("'", "\u2019")


def render(
    plan: Mapping[str, Any],
    fmt: str,
    detail: str,
    *,
    flows: bool = False,
) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    graph = flows_graph(plan) if flows else build_graph(plan, detail)
    if fmt == "mermaid":
        return render_mermaid(graph).encode()
    dot_text = render_dot(graph)
    return dot_text.encode() if fmt == "dot" else render_image(dot_text, fmt)


# --- CLI ---------------------------------------------------------------------------------------


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="mermaid")
    parser.add_argument("--detail", choices=DETAILS, default="key", help="what to draw (default: key)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout (- : stdout)")
    parser.add_argument(
        "--flows",
        action="store_true",
        help="draw the data flows the stack declares (its dataFlows output), each with its hops, instead of "
        "the resources",
    )
    parser.add_argument(
        "--into",
        metavar="MARKDOWN",
        help="put the diagram between <!-- graph:STACK:begin --> and <!-- graph:STACK:end --> in MARKDOWN",
    )


def update_markdown(path: Path, stack: str, mermaid: str) -> bool:
    """Put ``mermaid`` into the fenced block between the stack's markers; True when the file changed."""
    begin, end = f"<!-- graph:{stack}:begin -->", f"<!-- graph:{stack}:end -->"
    text = path.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"{path}: no {begin} ... {end} markers to put the diagram between")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    updated = f"{head}{begin}\n```mermaid\n{mermaid}```\n{end}{tail}"
    path.write_text(updated)
    return updated != text


def cmd_graph(args: argparse.Namespace, run: Callable[[argparse.Namespace], Any]) -> int:
    from .plan import plan_json

    data = render(plan_json(run(args)), args.format, args.detail, flows=getattr(args, "flows", False))
    if args.into:
        if args.format != "mermaid":
            raise ValueError("--into takes --format mermaid (GitHub renders mermaid blocks)")
        changed = update_markdown(Path(args.into), args.stack, data.decode())
        print(f"{args.into}: {'diagram updated' if changed else 'diagram already current'}")
        return 0
    from .textio import is_stdout, write_bytes

    if is_stdout(args.output) and args.format in ("svg", "png") and sys.stdout.isatty():
        raise ValueError(f"--format {args.format} is binary: give --output FILE")
    write_bytes(args.output, data, f"{args.format} graph")
    return 0
