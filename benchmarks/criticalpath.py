"""The deploy critical path of a captured stack: how long `pulumi up` must take, at least.

Pure functions over :class:`dpengine.engine.ResourceRecord` lists (no Pulumi run,
no I/O), so they are unit-tested on small synthetic graphs.

The graph
---------
Nodes are the resources a real deployment creates: custom resources, plus
remote (multi-language) components such as ``eks:index:Cluster``, which under
mocks are one resource whose children live in the provider; they count as one
node with their own weight. Local components are not nodes: a dependency on a
component means a dependency on every node below it (the Python SDK expands
them the same way, stopping at custom and remote resources).

A resource waits for (``kind`` of the edge):

- ``data``: a resource in one of its property dependencies (it reads its outputs);
- ``required``: a ``depends_on`` the platform needs although no data flows, listed with
  its reason in :data:`REQUIRED_ORDERINGS` (nodes after the CNI add-on, a Deployment's
  rollout after the nodes it runs on, a namespaced object after its namespace...);
- ``explicit``: any other ``depends_on`` (ordering someone asked for, with no known need);
- ``provider``: its explicit provider (the SDK awaits the provider's id);
- ``parent``: a custom (or remote) parent (the SDK awaits the parent's URN, which
  a real engine returns once the parent is created; component parents are free).

Weights are estimates of typical AWS creation times (see :data:`benchmarks.deploy_times.CREATION_SECONDS`).
The estimate is the longest weighted path (resources with no path between them
are created in parallel, as the Pulumi engine does). The same longest path over
the forced edges only (everything but ``explicit``) is the floor no ordering can
beat: when both are equal, nothing serializes that needn't. The data-only chain
(``data``, ``provider`` and ``parent`` edges) is reported too, to show what the
required orderings cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .deploy_times import (
    DATA_KINDS,
    EDGE_KINDS,
    FORCED_KINDS,
    Record,
    creation_seconds,
    is_node,
    provider_urn,
    required_reason,
)

# --------------------------------------------------------------------------- graph


@dataclass
class Graph:
    """Nodes (URN -> record) and, per node, what it waits for (URN -> edge kind)."""

    nodes: dict[str, Record]
    waits_for: dict[str, dict[str, str]]
    weights: dict[str, float]


def _expander(records: Sequence[Record]) -> Any:
    """A function mapping a URN to the nodes it stands for (a component: the nodes below it)."""
    by_urn = {r.urn: r for r in records}
    children: dict[str, list[str]] = {}
    for record in records:
        if record.parent:
            children.setdefault(record.parent, []).append(record.urn)
    cache: dict[str, list[str]] = {}

    def expand(urn: str) -> list[str]:
        if urn in cache:
            return cache[urn]
        record = by_urn.get(urn)
        if record is None:
            found: list[str] = []  # outside the run (e.g. the stack itself): not a node
        elif is_node(record):
            found = [urn]
        else:
            found = []
            frontier = list(children.get(urn, []))
            seen: set[str] = set()
            while frontier:  # iterative: deep component trees must not hit the recursion limit
                current = frontier.pop()
                if current in seen:
                    continue
                seen.add(current)
                child = by_urn[current]
                if is_node(child):
                    found.append(current)  # nodes stand for their own children
                else:
                    frontier.extend(children.get(current, []))
            found.sort()
        cache[urn] = found
        return found

    return expand


# Strongest reason first: an edge that is both data and explicit is data (forced anyway).
_KIND_RANK = {kind: rank for rank, kind in enumerate(EDGE_KINDS)}


def build_graph(records: Iterable[Record], table: Mapping[str, float] | None = None) -> Graph:
    """The dependency graph over the nodes of a captured run, each edge with its kind."""
    records = list(records)
    by_urn = {r.urn: r for r in records}
    expand = _expander(records)
    nodes = {r.urn: r for r in records if is_node(r)}
    waits_for: dict[str, dict[str, str]] = {}

    for urn, record in nodes.items():
        edges: dict[str, str] = {}

        def add(target: str, kind: str, _edges: dict[str, str] = edges, _self: str = urn) -> None:
            for node in expand(target):
                if node == _self:
                    continue
                known = _edges.get(node)
                if known is None or _KIND_RANK[kind] < _KIND_RANK[known]:
                    _edges[node] = kind

        data_urns = {u for urns in record.property_dependencies.values() for u in urns}
        for dep in data_urns:
            add(dep, "data")
        for dep in record.dependencies:
            if dep in data_urns:
                add(dep, "data")
                continue
            for node in expand(dep):
                target = nodes.get(node)
                required = target is not None and required_reason(record, target) is not None
                add(node, "required" if required else "explicit")
        provider = provider_urn(record.provider)
        if provider:
            add(provider, "provider")
        parent = by_urn.get(record.parent) if record.parent else None
        if parent is not None and is_node(parent):
            add(parent.urn, "parent")
        waits_for[urn] = edges
    weights = {urn: creation_seconds(record, table) for urn, record in nodes.items()}
    return Graph(nodes=nodes, waits_for=waits_for, weights=weights)


# --------------------------------------------------------------------------- longest path


@dataclass(frozen=True)
class Step:
    """One resource on a chain: type, name, its own seconds, and why it waits for the step before."""

    type: str
    name: str
    seconds: float
    edge: str | None = None
    """Kind of the edge from the previous step to this one (None for the first)."""
    reason: str | None = None
    """For a ``required`` edge: why (from :data:`REQUIRED_ORDERINGS`)."""

    def as_tuple(self) -> tuple[str, str, float]:
        return (self.type, self.name, self.seconds)


@dataclass
class Path:
    """A chain of resources, each waiting for the one before, and its total seconds."""

    seconds: float
    steps: list[Step] = field(default_factory=list)

    @property
    def chain(self) -> list[tuple[str, str, float]]:
        return [s.as_tuple() for s in self.steps]

    @property
    def explicit_edges(self) -> list[tuple[str, str]]:
        """(from, to) resource names of the ``explicit`` (depends_on) edges along the chain."""
        return [
            (self.steps[i - 1].name, step.name)
            for i, step in enumerate(self.steps)
            if step.edge == "explicit"
        ]

    @property
    def required_edges(self) -> list[tuple[str, str, str]]:
        """(from, to, reason) of the ``required`` depends_on edges along the chain."""
        return [
            (self.steps[i - 1].name, step.name, step.reason or "")
            for i, step in enumerate(self.steps)
            if step.edge == "required"
        ]


def _topological(graph: Graph, kinds: frozenset[str]) -> list[str]:
    """Nodes with everything they wait for first; ties by URN. A cycle's leftovers go last."""
    waiting = {
        urn: {d for d, k in graph.waits_for[urn].items() if k in kinds and d in graph.nodes}
        for urn in graph.nodes
    }
    dependents: dict[str, list[str]] = {}
    for urn, deps in waiting.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(urn)
    ready = sorted(urn for urn, deps in waiting.items() if not deps)
    order: list[str] = []
    while ready:
        urn = ready.pop(0)
        order.append(urn)
        for dependent in sorted(dependents.get(urn, [])):
            waiting[dependent].discard(urn)
            if not waiting[dependent]:
                ready.append(dependent)
        ready.sort()
    if len(order) != len(graph.nodes):
        done = set(order)
        order += sorted(u for u in graph.nodes if u not in done)
    return order


def longest_path(graph: Graph, kinds: Iterable[str] = EDGE_KINDS) -> Path:
    """The heaviest chain of dependent resources, following edges of ``kinds`` only.

    Dynamic programming in topological order: finish(n) = weight(n) + max finish of
    what n waits for. Ties go to the lexically smallest URN, so the answer is stable.
    """
    allowed = frozenset(kinds)
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for urn in _topological(graph, allowed):
        best: str | None = None
        for dep in sorted(graph.waits_for[urn]):
            if graph.waits_for[urn][dep] not in allowed or dep not in finish:
                continue
            if best is None or finish[dep] > finish[best]:
                best = dep
        finish[urn] = graph.weights[urn] + (finish[best] if best else 0.0)
        via[urn] = best
    if not finish:
        return Path(seconds=0.0)
    end = min(finish, key=lambda u: (-finish[u], u))
    chain: list[str] = []
    current: str | None = end
    while current is not None:
        chain.append(current)
        current = via[current]
    chain.reverse()
    steps = []
    for i, urn in enumerate(chain):
        record = graph.nodes[urn]
        edge = graph.waits_for[urn][chain[i - 1]] if i else None
        reason = required_reason(record, graph.nodes[chain[i - 1]]) if edge == "required" else None
        steps.append(Step(record.type, record.name, graph.weights[urn], edge, reason))
    return Path(seconds=finish[end], steps=steps)


@dataclass
class CriticalPath:
    """The deploy estimate of a captured run, and whether ordering costs anything."""

    estimate: Path
    """Longest chain over every edge: the estimated minimum deploy time."""
    forced: Path
    """Longest chain over forced edges only (data, and depends_on AWS/Kubernetes need)."""
    data_only: Path
    """Longest chain over data edges only: what the required orderings add shows against it."""
    heaviest: Step | None
    """The slowest single resource."""
    nodes: int
    edges: dict[str, int]
    """Edge count per kind."""

    @property
    def serialization_seconds(self) -> float:
        """Seconds the unexplained (``explicit``) depends_on edges add on top of the forced chain."""
        return self.estimate.seconds - self.forced.seconds

    @property
    def nothing_serialized(self) -> bool:
        """True when the estimate equals the slowest forced chain."""
        return abs(self.serialization_seconds) < 1e-9

    def to_json(self) -> dict[str, Any]:
        return {
            "estimate_seconds": self.estimate.seconds,
            "chain": [[*s.as_tuple(), s.edge] for s in self.estimate.steps],
            "explicit_edges_on_chain": [list(e) for e in self.estimate.explicit_edges],
            "required_edges_on_chain": [list(e) for e in self.estimate.required_edges],
            "forced_seconds": self.forced.seconds,
            "data_only_seconds": self.data_only.seconds,
            "forced_chain": [[*s.as_tuple(), s.edge] for s in self.forced.steps],
            "serialization_seconds": self.serialization_seconds,
            "nothing_serialized": self.nothing_serialized,
            "heaviest": list(self.heaviest.as_tuple()) if self.heaviest else None,
            "nodes": self.nodes,
            "edges": dict(self.edges),
        }


def critical_path(records: Iterable[Record], table: Mapping[str, float] | None = None) -> CriticalPath:
    """The deploy critical path of a captured run (see the module docstring)."""
    graph = build_graph(records, table)
    edges = dict.fromkeys(EDGE_KINDS, 0)
    for deps in graph.waits_for.values():
        for kind in deps.values():
            edges[kind] += 1
    heaviest = None
    if graph.nodes:
        urn = min(graph.nodes, key=lambda u: (-graph.weights[u], u))
        heaviest = Step(graph.nodes[urn].type, graph.nodes[urn].name, graph.weights[urn])
    return CriticalPath(
        estimate=longest_path(graph),
        forced=longest_path(graph, FORCED_KINDS),
        data_only=longest_path(graph, DATA_KINDS),
        heaviest=heaviest,
        nodes=len(graph.nodes),
        edges=edges,
    )


def format_duration(seconds: float) -> str:
    """``1234`` -> ``20 min 34 s``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
