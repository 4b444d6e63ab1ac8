"""Run a Pulumi Python program in-process under mocks and record what it registers.

This is the offline engine: no Pulumi CLI, no provider plugins, no cloud
credentials. It reads ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` as the CLI
would, runs the program's real entry point under
:func:`pulumi.runtime.set_mocks` with a recording monitor, and returns every
resource with its type, URN, parent, inputs (wire shape: camelCase), options
and dependencies, plus the stack outputs.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import json
import logging
import os
import runpy
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from . import _sdk, wire
from . import expand as _expand
from .expand import ExpansionError, chart_invoke_entries, expand_all
from .failures import DuplicateUrnError as DuplicateUrnError
from .failures import _program_failure, failure_location, is_project_module
from .mocks import PlatformMocks, UnknownInvokeError
from .project import OFFLINE_SECRET as OFFLINE_SECRET
from .project import EngineError as EngineError
from .project import ProjectFile as ProjectFile
from .project import available_stacks as available_stacks
from .project import load_project as load_project
from .project import load_stack_config as load_stack_config
from .transforms import NotEvaluated, TransformChain

STACK_TYPE = "pulumi:pulumi:Stack"

_run_lock = threading.Lock()


@dataclass
class ResourceRecord:
    """One registered resource, as the engine would see it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    """Wire-shape (camelCase) inputs with secrets unwrapped: for policies and tests."""
    masked_inputs: dict[str, Any]
    """The same inputs with secret values replaced by ``[secret]``: for display and plans."""
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str | None
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    replace_on_changes: list[str]
    additional_secret_outputs: list[str]
    remote: bool
    id: str | None = None
    source: tuple[str, int] | None = None
    """Where the program declared the resource: (absolute file path, line) of the innermost
    frame in the project's own code (for a component's child, the component's line)."""
    aliases: list[str] = field(default_factory=list)
    """The URNs the resource had before (its ``aliases`` option, resolved as the engine would):
    a resource whose URN changed keeps its state, and is moved rather than replaced."""
    transforms: list[str] = field(default_factory=list)
    """The transforms the engine ran on the registration, in order (inputs are their result)."""


@dataclass
class StackRun:
    """Everything one run of a program registered."""

    project: str
    stack: str
    resources: list[ResourceRecord]
    outputs: dict[str, Any] = field(default_factory=dict)
    masked_outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    secret_config_keys: list[str] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    diagnostics: list[tuple[str, str]] = field(default_factory=list)
    diagnostic_urns: list[str] = field(default_factory=list)
    """The resource each of ``diagnostics`` is attached to ("" for the stack), index by index."""
    project_dir: Path | None = None
    preview: bool = False
    reads: list[ResourceRecord] = field(default_factory=list)
    """Resources the program read rather than created (a ``StackReference``, ``Resource.get``): in the
    stack's state, so stack policies see them, e.g. as the source of a value (provenance)."""
    secret_leaks: list[tuple[str, str]] = field(default_factory=list)
    """(URN, property path) where a ``secure:`` config value arrives without its secret mark: a real
    deployment would store it in plain text in the state. Found by the offline placeholder."""
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    """What a real deployment would create or change that this run could not see (reported, never dropped)."""

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"

    def get(self, urn: str) -> ResourceRecord:
        for record in self.resources:
            if record.urn == urn:
                return record
        raise KeyError(urn)

    def by_type(self, token: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> ResourceRecord:
        """The single resource of ``token`` (and ``name``, if given); fails unless exactly one."""
        found = [r for r in self.by_type(token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.by_type(token)]
            raise AssertionError(f"expected one {token} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def children_of(self, urn: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.parent == urn]

    def descendants_of(self, urn: str) -> list[ResourceRecord]:
        out: list[ResourceRecord] = []
        frontier = [urn]
        while frontier:
            current = frontier.pop()
            kids = self.children_of(current)
            out.extend(kids)
            frontier.extend(k.urn for k in kids)
        return out


def _dependency_order(records: list[ResourceRecord]) -> list[ResourceRecord]:
    """Parents and dependencies before dependents, ties by URN.

    Registration order depends on the SDK's thread pool; this order does not,
    so two runs of one program give the same plan.
    """
    by_urn = {r.urn: r for r in records}
    waiting_on: dict[str, set[str]] = {}
    dependents: dict[str, list[str]] = {}
    for record in records:
        before = {u for u in [record.parent, *record.dependencies] if u and u in by_urn and u != record.urn}
        waiting_on[record.urn] = before
        for urn in before:
            dependents.setdefault(urn, []).append(record.urn)
    ready = [urn for urn, before in waiting_on.items() if not before]
    heapq.heapify(ready)
    ordered: list[ResourceRecord] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for dependent in dependents.get(urn, []):
            waiting_on[dependent].discard(urn)
            if not waiting_on[dependent]:
                heapq.heappush(ready, dependent)
    if len(ordered) != len(records):  # a cycle cannot come from the SDK; keep everything anyway
        seen = {r.urn for r in ordered}
        ordered += sorted((r for r in records if r.urn not in seen), key=lambda r: r.urn)
    return ordered


def _decode_struct(struct: Any, secrets: str) -> dict[str, Any]:
    decoded = wire.decode(wire.struct_to_python(struct), secrets=secrets)
    return decoded if isinstance(decoded, dict) else {}


def _plain_state(value: Any, secrets: str) -> Any:
    """Mock state holds SDK objects (resources, secret wrappers): reduce to JSON values."""
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if isinstance(value, dict):
        if value.get(wire.SIG_KEY) == wire.SECRET_SIG:
            return wire.SECRET_MASK if secrets == "mask" else _plain_state(value.get("value"), secrets)
        return {str(k): _plain_state(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_state(v, secrets) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class RecordingMonitor(_sdk.MockMonitor):
    """A mock monitor that keeps every registration request, in order."""

    def __init__(self, mocks: PlatformMocks, project_dir: Path | None = None) -> None:
        super().__init__(mocks)
        self.project_root = str(project_dir.resolve()) if project_dir is not None else None
        self._file_of_uri: dict[str, str | None] = {}
        self.records: list[ResourceRecord] = []
        self.stack_outputs: dict[str, Any] = {}
        self.masked_stack_outputs: dict[str, Any] = {}
        self.secret_stack_outputs: list[str] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}
        self._declared: dict[str, ResourceRecord] = {}
        self._lock = threading.Lock()
        self.transforms = TransformChain()
        self.not_evaluated: list[NotEvaluated] = []
        self.reads: list[ResourceRecord] = []

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.transforms.register_stack(request.token)
        return super().RegisterStackTransform(request)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the Pulumi engine gives the resource: the parent's whole qualified type, ``$``, the type.

        The SDK's mock monitor keeps only the parent's own type (the last ``$`` part), so a
        grandchild's URN differed from the real one. The engine (pulumi/pulumi
        ``pkg/resource/deploy/deployment.go`` ``generateURN`` and ``resource.CreateURN`` for alias
        specs) prefixes ``parent.QualifiedType()``, the root stack left out; ``resource.NewURN``
        joins them with ``$`` (``sdk/go/common/resource/urn.go``).
        """
        qualified = type_
        if parent and f"::{STACK_TYPE}::" not in parent:
            qualified = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.type == STACK_TYPE:
            return super().RegisterResource(request)
        request, ran = self.transforms.apply(request)
        response = super().RegisterResource(request)
        urn = response.urn
        self.transforms.remember(urn, request)
        missed = self.transforms.unreachable(request, urn)
        state = _sdk.registered_state(self, urn)
        record = ResourceRecord(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            inputs=_decode_struct(request.object, "unwrap"),
            masked_inputs=_decode_struct(request.object, "mask"),
            outputs=_plain_state(state, "unwrap"),
            # The SDK collects dependencies in sets of resources (hashed by identity): sorted,
            # two runs of a program record the same lists.
            dependencies=sorted(request.dependencies),
            property_dependencies={k: sorted(v.urns) for k, v in request.propertyDependencies.items()},
            provider=request.provider or None,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=list(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            replace_on_changes=list(request.replaceOnChanges),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            remote=bool(request.remote),
            id=response.id or None,
            source=self._source(request),
            aliases=self._alias_urns(request),
            transforms=ran,
        )
        with self._lock:
            first = self._declared.get(urn)
            if first is None:
                self._declared[urn] = record
                self.records.append(record)
                if missed is not None:
                    self.not_evaluated.append(missed)
        if first is not None:
            raise DuplicateUrnError(urn, first.source, record.source)
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """A resource the program reads (``StackReference``, ``Resource.get``): not created, but in the
        stack's state, so a value taken from it comes from a resource (its provenance)."""
        response = super().ReadResource(request)
        record = ResourceRecord(
            urn=response.urn, type=request.type, name=request.name, custom=True,
            parent=request.parent or None,
            inputs=_decode_struct(request.properties, "unwrap"),
            masked_inputs=_decode_struct(request.properties, "mask"),
            outputs={},  # a StackReference's outputs may be secrets: its identity is what matters
            dependencies=sorted(request.dependencies), property_dependencies={},
            provider=request.provider or None, protect=False, retain_on_delete=False, ignore_changes=[],
            delete_before_replace=False, replace_on_changes=[], additional_secret_outputs=[], remote=False,
            id=request.id or None, source=self._source(request),
        )  # fmt: skip
        with self._lock:
            self.reads.append(record)
        return response

    def expand_children(self, invokes: list[tuple[str, dict[str, Any]]]) -> None:
        """The objects of v2 YAML components, v4 charts and v3 releases, as the provider registers them."""
        known = [r for r in self.records if not wire.contains_unknown(r.inputs)]
        for record in self.records:
            if record not in known and record.type in _expand.EXPANDED_TYPES:
                reason = "its inputs are unknown until deployment (a preview): its objects cannot be listed"
                self.not_evaluated.append(
                    NotEvaluated(record.urn, record.type, record.name, "objects", reason)
                )
        children, missed = expand_all(known, self._child)
        self.records += children
        self.not_evaluated += missed + chart_invoke_entries(invokes, self.records)

    def _child(self, parent: ResourceRecord, child: Any) -> ResourceRecord:
        masked = {k: wire.SECRET_MASK if k in child.secret_keys() else v for k, v in child.object.items()}
        return ResourceRecord(
            urn=self.make_urn(parent.urn, child.type, child.name), type=child.type, name=child.name,
            custom=True, parent=parent.urn, inputs=child.object, masked_inputs=masked, outputs={},
            dependencies=[], property_dependencies={}, provider=parent.provider, protect=parent.protect,
            retain_on_delete=parent.retain_on_delete, ignore_changes=[], delete_before_replace=False,
            replace_on_changes=[], additional_secret_outputs=[], remote=False, source=parent.source,
        )  # fmt: skip

    def _alias_urns(self, request: Any) -> list[str]:
        """Each alias of the request as the URN it names (unset parts are the resource's own)."""
        urns = []
        for alias in request.aliases:
            if not alias.HasField("spec"):
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urn = self.make_urn(parent, spec.type or request.type, spec.name or request.name)
            if spec.project or spec.stack:
                head, project, qualified_type, name = urn.split("::", 3)
                stack = spec.stack or head.removeprefix("urn:pulumi:")
                urn = f"urn:pulumi:{stack}::{spec.project or project}::{qualified_type}::{name}"
            urns.append(urn)
        return sorted(set(urns))

    def _project_file(self, uri: str) -> str | None:
        """The path of a ``file://`` URI if it is the project's own code (not an installed package)."""
        if uri not in self._file_of_uri:
            path = None
            if uri.startswith("file://"):
                candidate = urllib.request.url2pathname(urllib.parse.urlparse(uri).path)
                if self.project_root is None or is_project_module(candidate, self.project_root):
                    path = candidate
            self._file_of_uri[uri] = path
        return self._file_of_uri[uri]

    def _source(self, request: Any) -> tuple[str, int] | None:
        for frame in request.stackTrace.frames:  # innermost first
            if frame.HasField("pc"):
                path = self._project_file(frame.pc.uri)
                if path is not None:
                    return path, int(frame.pc.line)
        return None

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        if f"::{STACK_TYPE}::" in request.urn:
            raw = wire.struct_to_python(request.outputs)
            with self._lock:
                self.stack_outputs = _decode_struct(request.outputs, "unwrap")
                self.masked_stack_outputs = _decode_struct(request.outputs, "mask")
                self.secret_stack_outputs = sorted(k for k, v in raw.items() if wire.contains_secret(v))
        else:
            with self._lock:
                self.component_outputs[request.urn] = _decode_struct(request.outputs, "unwrap")
        return super().RegisterResourceOutputs(request)


class _DiagnosticsHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str]] = []
        self.urns: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelname.lower(), record.getMessage()))
        self.urns.append(getattr(record, "urn", "") or "")


@contextlib.contextmanager
def _program_environment(project_dir: Path | None) -> Iterator[None]:
    """sys.path and cwd as the Python language host sets them; project modules forgotten after."""
    before_modules = set(sys.modules)
    before_tops = {m.split(".")[0] for m in before_modules}
    old_cwd = os.getcwd()
    old_path = list(sys.path)
    if project_dir is not None:
        sys.path.insert(0, str(project_dir))
        os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        if project_dir is not None:
            root = str(project_dir.resolve())
            for module_name in set(sys.modules) - before_modules:
                if module_name.split(".")[0] in before_tops:
                    continue
                module_file = getattr(sys.modules[module_name], "__file__", None) or ""
                if module_file and is_project_module(module_file, root):
                    del sys.modules[module_name]


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Fewer cyclic-GC passes while a program runs.

    A run allocates many long-lived objects (resources, Outputs, futures), so the
    default generation-0 threshold (700) triggers collections that rescan them
    again and again: measured (benchmarks/run.py) at 40-50 % of a run's wall time,
    growing with stack size. Objects from before the run are frozen out of the
    scans, and the threshold is raised for the run only.
    """
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def run_function(
    program: Callable[[], Any],
    *,
    project: str = "test",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_config_keys: list[str] | None = None,
    region: str = "us-east-1",
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = False,
    project_dir: Path | None = None,
) -> StackRun:
    """Run ``program`` (a function that declares resources) under recording mocks.

    Exceptions from the program propagate unchanged; the caller decides how to
    report them. ``config`` keys are fully qualified (``aws:region``).
    With ``preview=True``, outputs of resources are unknown to the program, as
    in ``pulumi preview``.
    """
    config_values = {k: _config_string(v) for k, v in (config or {}).items()}
    region = str(config_values.get("aws:region", region))
    mocks = PlatformMocks(region=region, stack_references=stack_references, preview=preview)
    monitor = RecordingMonitor(mocks, project_dir)
    handler = _DiagnosticsHandler()
    logger = logging.getLogger(f"dpengine.program.{id(monitor)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)  # pulumi.log.info shows in Pulumi's Diagnostics; debug does not
    logger.addHandler(handler)
    with _run_lock:
        before = _sdk.tracked_outputs()
        _sdk.install_mocks(
            mocks,
            monitor,
            project=project,
            stack=stack,
            preview=preview,
            logger=logger,
            config=config_values,
            secret_keys=secret_config_keys or [],
        )
        failure: BaseException | None = None
        with (
            _program_environment(project_dir),
            few_collections(),
            _sdk.fast_stack_traces(),
            _sdk.inline_rpcs(),
            _sdk.stack_reference_outputs_as_tasks(),
        ):
            try:
                _sdk.run_in_new_stack(program)
            except BaseException as error:  # noqa: BLE001 re-raised below with what was recorded
                failure = error
            _sdk.settle_leftover_outputs(before)
            try:  # in the project's directory: manifest and chart paths are relative to it
                monitor.expand_children(mocks.invokes)
            except ExpansionError as error:
                failure = failure or error
        for record in monitor.records:
            if not record.custom and record.urn in monitor.component_outputs:
                record.outputs = monitor.component_outputs[record.urn]
        run = StackRun(
            project=project,
            stack=stack,
            resources=_dependency_order(monitor.records),
            outputs=monitor.stack_outputs,
            masked_outputs=monitor.masked_stack_outputs,
            secret_outputs=monitor.secret_stack_outputs,
            config=config_values,
            secret_config_keys=list(secret_config_keys or []),
            invokes=list(mocks.invokes),
            diagnostics=handler.messages,
            diagnostic_urns=handler.urns,
            project_dir=project_dir,
            preview=preview,
            reads=sorted(monitor.reads, key=lambda r: r.urn),
            secret_leaks=_secret_leaks(monitor),
            not_evaluated=sorted(monitor.not_evaluated, key=lambda n: (n.urn, n.what)),
        )
        _sdk.clear_root_stack()
    if failure is not None:
        failure.__dict__.setdefault(_sdk.REPORTED, run)
        raise failure
    return run


def _leaked_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path or "(value)"] if OFFLINE_SECRET in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaked_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaked_paths(v, f"{path}[{i}]")]
    return []


def _secret_leaks(monitor: RecordingMonitor) -> list[tuple[str, str]]:
    """Where the offline stand-in of a ``secure:`` value shows unmasked: its secret mark was lost."""
    found = [(r.urn, p) for r in monitor.records for p in _leaked_paths(r.masked_inputs, "")]
    found += [("", f"outputs.{p}") for p in _leaked_paths(monitor.masked_stack_outputs, "")]
    return sorted(found)


def _config_string(value: Any) -> str:
    """Pulumi hands every config value to the program as a string; objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def run_program(
    project_dir: str | Path = ".",
    stack: str = "dev",
    *,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    preview: bool = False,
) -> StackRun:
    """Run the Pulumi Python project in ``project_dir`` for ``stack`` under mocks.

    Raises :class:`EngineError` with a message for people when the project,
    the stack file, the config or the program fails.
    """
    directory = Path(project_dir).resolve()
    project = load_project(directory)
    config, secret_keys = load_stack_config(directory, project, stack)
    config.update(config_overrides or {})
    main = project.main

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    try:
        return run_function(
            program,
            project=project.name,
            stack=stack,
            config=config,
            secret_config_keys=secret_keys,
            stack_references=stack_references,
            preview=preview,
            project_dir=directory,
        )
    except (Exception, SystemExit) as error:  # noqa: BLE001 any program failure becomes a message
        recorded = getattr(error, _sdk.REPORTED, None)
        resources = recorded.resources if recorded else None
        kind = "config" if type(error).__name__ == "InvalidConfigError" else "program"
        location = failure_location(error, directory)
        if isinstance(error, (pulumi.RunError, UnknownInvokeError, DuplicateUrnError)):
            message = str(error)
        elif isinstance(error, SystemExit):
            message = f"the program exited with status {error.code}"
        else:
            message = _program_failure(error, directory, location)
        raise EngineError(message, kind, resources, error, location) from None
