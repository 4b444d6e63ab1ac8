"""Every use the engine makes of Pulumi SDK internals, each in one function that says what it relies on.

The offline engine drives the Python SDK below its public API: it installs a recording mock
monitor, runs a program in a fresh root stack, answers monitor calls without a thread hop,
captures stack traces more cheaply, and runs the policy pack inside pulumi-policy's own analyzer
servicer. Nothing else in ``dpengine`` imports a private SDK name; ``tests/test_sdk_contract.py``
checks each name listed in :data:`RELIES_ON` (and the shapes used) so that an SDK upgrade that
moves one fails there, naming it, instead of deep inside a run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as _config
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _resource
from pulumi.runtime import settings as _settings
from pulumi.runtime import stack as _stack
from pulumi.runtime import sync_await as _sync
from pulumi.runtime.proto import analyzer_pb2 as analyzer_pb2
from pulumi.runtime.proto import resource_pb2 as resource_pb2
from pulumi.runtime.proto import source_pb2
from pulumi_policy import policy as _policy

RELIES_ON: tuple[str, ...] = (
    "pulumi.runtime.mocks.MockMonitor",
    "pulumi.runtime.mocks.MockMonitor.resources",
    "pulumi.runtime.mocks.MockMonitor.ResourceRegistration",
    "pulumi.runtime.mocks.set_mocks",
    "pulumi.runtime.mocks._sync_await",
    "pulumi.runtime.settings.ROOT",
    "pulumi.runtime.settings.SETTINGS.rpc_manager",
    "pulumi.runtime.settings.SETTINGS.outputs",
    "pulumi.runtime.settings.SETTINGS.lock",
    "pulumi.runtime.config.set_all_config",
    "pulumi.runtime.stack.run_in_stack",
    "pulumi.runtime.sync_await._sync_await",
    "pulumi.runtime.sync_await._ensure_event_loop",
    "pulumi.runtime.resource._get_stack_trace",
    "pulumi.runtime.proto.source_pb2.StackTrace",
    "pulumi.runtime.proto.analyzer_pb2",
    "pulumi.runtime.proto.resource_pb2.TransformRequest",
    "pulumi.runtime.proto.resource_pb2.TransformResponse",
    "pulumi.runtime.proto.resource_pb2.TransformResourceOptions",
    "pulumi.StackReference.get_output",
    "pulumi.StackReference.require_output",
    "pulumi.StackReference._StackReference__is_secret_name",
    "pulumi_policy.policy._PolicyAnalyzerServicer",
    "asyncio.BaseEventLoop._default_executor",
    "pulumi._types.resource_types",
    "pulumi._types.output_type_types",
    "pulumi._types.is_output_type",
    "pulumi._types.unwrap_type",
    "pulumi.runtime._callbacks._CallbackServicer._servicers",
    "pulumi.runtime.mocks._sync_await",
)
"""The SDK (and asyncio) names this module reaches, as dotted paths (the contract test's list)."""


# --------------------------------------------------------------------------- runtime state


MockMonitor = _mocks.MockMonitor
"""The SDK's mock monitor, which the engine's recording monitor extends.

Relies on ``pulumi.runtime.mocks.MockMonitor``: ``make_urn(parent, type_, name)``,
``RegisterResource(request)``, ``RegisterResourceOutputs(request)`` and the ``resources`` dict
(URN -> registration with a ``state``) that ``RegisterResource`` fills.
"""


def registered_state(monitor: Any, urn: str) -> dict[str, Any]:
    """The state the mocks returned for ``urn`` (``MockMonitor.resources[urn].state``)."""
    registration = monitor.resources.get(urn)
    return registration.state if registration else {}


def install_mocks(
    mocks: pulumi.runtime.Mocks,
    monitor: Any,
    *,
    project: str,
    stack: str,
    preview: bool,
    logger: logging.Logger,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
) -> None:
    """Point the SDK's runtime at ``monitor`` and ``config`` for one run, with no root stack yet.

    Relies on ``pulumi.runtime.mocks.set_mocks`` (its ``logger`` and ``monitor`` arguments),
    ``pulumi.runtime.settings.ROOT`` (the root-stack context variable: ``set_mocks`` makes a root
    stack of its own, cleared so the program's comes from :func:`run_in_new_stack`),
    ``pulumi.runtime.config.set_all_config`` and ``SETTINGS.rpc_manager.clear()`` (RPC
    bookkeeping a previous, failed run may have left), and ``SETTINGS.engine`` (the mock engine,
    whose ``Log`` drops the URN a message is attached to: ours passes it on as ``record.urn``).
    """
    clear_root_stack()
    _quiet_reported_failures(_sync._ensure_event_loop())
    _mocks.set_mocks(mocks, project=project, stack=stack, preview=preview, logger=logger, monitor=monitor)
    _settings.SETTINGS.engine = _UrnLoggingEngine(logger)
    clear_root_stack()
    _config.set_all_config(dict(config), list(secret_keys))
    _settings.SETTINGS.rpc_manager.clear()


class _UrnLoggingEngine(_mocks.MockEngine):
    """The mock engine, keeping the resource a ``pulumi.log`` message is attached to (Pulumi
    shows diagnostics grouped by resource)."""

    _LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}

    def Log(self, request: Any) -> None:  # noqa: N802 the engine service's method name
        level = self._LEVELS.get(request.severity, logging.INFO)
        self.logger.log(level, request.message, extra={"urn": request.urn})


REPORTED = "recorded_run"
"""Attribute the engine sets on a program's failure when it raises it to the caller."""


def _quiet_reported_failures(loop: asyncio.AbstractEventLoop) -> None:
    """No "exception was never retrieved" log for a failure the engine has raised already.

    When a registration fails, the SDK sets the error on every output future of the resource
    and awaits only some of them: the others are logged by asyncio when collected, long after
    the run raised the same error to its caller. Other exceptions are reported as before.
    """
    previous = loop.get_exception_handler()
    if getattr(previous, "quiets_reported_failures", False):
        return

    def handler(event_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if getattr(context.get("exception"), REPORTED, None) is not None:
            return
        if previous is not None:
            previous(event_loop, context)
        else:
            event_loop.default_exception_handler(context)

    handler.quiets_reported_failures = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


def clear_root_stack() -> None:
    """Forget the root stack resource (``pulumi.runtime.settings.ROOT``), so the next run makes its own."""
    _settings.ROOT.set(None)


def run_in_new_stack(program: Callable[[], Any]) -> None:
    """Run ``program`` inside a new root stack and wait for every RPC and Output it started.

    Relies on ``pulumi.runtime.stack.run_in_stack`` (what ``pulumi.run`` uses) and
    ``pulumi.runtime.sync_await._sync_await`` (drives the event loop until it is done).
    """
    _sync._sync_await(_stack.run_in_stack(program))


def resolve_output(output: Any) -> Any:
    """The value of an Output (or plain value) after its run finished.

    Relies on ``pulumi.runtime.sync_await._sync_await`` and ``Output.future()``.
    """
    return _sync._sync_await(pulumi.Output.from_input(output).future())


def tracked_outputs() -> frozenset[asyncio.Future[Any]]:
    """The Output tasks the SDK tracks now (``SETTINGS.outputs``): those made before a run."""
    with _settings.SETTINGS.lock:
        return frozenset(_settings.SETTINGS.outputs)


def settle_leftover_outputs(before: frozenset[asyncio.Future[Any]], timeout: float = 5.0) -> None:
    """End the Outputs a failed run left pending, so none of them resumes in (or fails) the next run.

    When a program fails, the SDK stops waiting at the first error and leaves the run's other
    Outputs in ``SETTINGS.outputs``, the set of tasks ``wait_for_rpcs`` waits on: the next run
    would wait on them too and fail with this run's error, or drop them pending. Those the run
    made (not in ``before``: Outputs the caller made earlier stay as they are) are cancelled and
    the loop runs until they have ended, bounded by ``timeout`` seconds so that a task that
    ignores cancellation cannot hang a run; their errors count as retrieved (the run raised it).

    Relies on ``pulumi.runtime.settings.SETTINGS.outputs`` and ``SETTINGS.lock`` and on
    ``pulumi.runtime.sync_await._ensure_event_loop`` (the loop every run of this thread uses).
    """
    with _settings.SETTINGS.lock:
        leftover = [task for task in _settings.SETTINGS.outputs if task not in before]
        _settings.SETTINGS.outputs.difference_update(leftover)
    pending = [task for task in leftover if not task.done()]
    loop = _sync._ensure_event_loop()
    if pending and not loop.is_running():
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.wait(pending, timeout=timeout))
    for task in leftover:
        if task.done() and not task.cancelled():
            task.exception()


# --------------------------------------------------------------------------- StackReference outputs


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _reference_output(reference: Any, name: pulumi.Input[str], pick: Callable[[list[Any]], Any]) -> Any:
    value = pulumi.Output.all(pulumi.Output.from_input(name), reference.outputs).apply(pick)
    # The SDK passes value.resources(), value.future() and value.is_known() as bare coroutines,
    # which Output awaits in turn: when the reference fails (its outputs raise), the first
    # raises and the other two are never started ("coroutine ... was never awaited"). As tasks
    # they run either way; the first still carries the error to whoever awaits this Output.
    resources = asyncio.ensure_future(value.resources())
    future = asyncio.ensure_future(value.future())
    is_known = asyncio.ensure_future(value.is_known())
    is_secret = asyncio.ensure_future(reference._StackReference__is_secret_name(name))
    for task in (resources, future, is_known, is_secret):
        task.add_done_callback(_retrieve_exception)
    return pulumi.Output(resources, future, is_known, is_secret)


def _get_output(self: pulumi.StackReference, name: pulumi.Input[str]) -> pulumi.Output[Any]:
    return _reference_output(self, name, lambda pair: pair[1].get(pair[0]))


def _require_output(self: pulumi.StackReference, name: pulumi.Input[str]) -> pulumi.Output[Any]:
    return _reference_output(self, name, lambda pair: pair[1][pair[0]])


@contextlib.contextmanager
def stack_reference_outputs_as_tasks() -> Iterator[None]:
    """``StackReference.get_output``/``require_output`` whose parts are tasks, for one run.

    The same Output as the SDK's (value, dependencies, known and secret flags), built without
    coroutines that a failed reference (a missing ``--stack-outputs`` offline) leaves unstarted.
    Relies on ``pulumi.StackReference.get_output``/``require_output`` (replaced for the run),
    ``StackReference.outputs`` and its private ``__is_secret_name(name)``.
    """
    cls = pulumi.StackReference
    original = cls.get_output, cls.require_output
    cls.get_output = _get_output  # type: ignore[method-assign]
    cls.require_output = _require_output  # type: ignore[method-assign]
    try:
        yield
    finally:
        cls.get_output, cls.require_output = original  # type: ignore[method-assign]


# --------------------------------------------------------------------------- monitor calls inline


class SuspendsError(Exception):
    """An inline monitor call met an await it cannot finish without the event loop."""


def finish_now(awaitable: Any) -> Any:
    """The value of a coroutine that completes without suspending; :class:`SuspendsError` if it would."""
    if not asyncio.iscoroutine(awaitable):
        raise SuspendsError
    try:
        awaitable.send(None)
    except StopIteration as stop:
        return stop.value
    awaitable.close()
    raise SuspendsError


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs monitor RPCs at once in the calling thread, and on a worker thread only if it must.

    The SDK sends every monitor RPC through the event loop's default executor, so a real
    gRPC call does not block the loop. The mock monitor answers in microseconds, and the
    thread hop around it (a handoff, a wakeup and a GIL switch per call) left the loop idle
    for a fifth of a preview. A call whose mock answer awaits something still pending on
    the loop (a resource reference's URN) is rerun on the worker thread, as the SDK would
    have run it: the mock monitor has not stored anything by then, and the platform mocks
    answer the same inputs with the same outputs.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="dpengine-rpc")
        self.main_thread = threading.get_ident()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except SuspendsError:
            return super().submit(fn, *args, **kwargs)
        except BaseException as error:  # noqa: BLE001 delivered to the awaiting coroutine, as a thread would
            future.set_exception(error)
        return future


@contextlib.contextmanager
def inline_rpcs() -> Iterator[None]:
    """Monitor RPCs run inline (see :class:`_InlineExecutor`).

    Pulumi's mock monitor finishes its answers with ``_sync_await``, which on the program's
    thread would re-enter the program's event loop: there, the answer must complete at once.
    Relies on ``pulumi.runtime.sync_await._ensure_event_loop`` (the loop the run uses), the
    module global ``pulumi.runtime.mocks._sync_await`` (replaced for the run) and asyncio's
    ``loop._default_executor`` (restored after, as ``set_default_executor`` cannot unset it).
    """
    loop = _sync._ensure_event_loop()
    executor = _InlineExecutor()
    original_sync_await = _mocks._sync_await

    def sync_await(awaitable: Any) -> Any:
        if threading.get_ident() == executor.main_thread:
            return finish_now(awaitable)
        return original_sync_await(awaitable)

    global _PROGRAM_LOOP
    previous = getattr(loop, "_default_executor", None)
    loop.set_default_executor(executor)
    _mocks._sync_await = sync_await
    _PROGRAM_LOOP = (loop, executor.main_thread)
    try:
        yield
    finally:
        _PROGRAM_LOOP = (None, 0)
        _mocks._sync_await = original_sync_await
        loop._default_executor = previous
        executor.shutdown(wait=True)


# --------------------------------------------------------------------------- stack traces


_STACK_FRAMES: dict[tuple[str, int | None], source_pb2.StackFrame] = {}


def _stack_frame(filename: str, line: int | None) -> source_pb2.StackFrame:
    """The SDK's frame message for a source position; the same positions recur for every resource."""
    key = (filename, line)
    cached = _STACK_FRAMES.get(key)
    if cached is None:
        position = None
        if filename and line is not None:
            try:
                position = source_pb2.SourcePosition(uri=Path(filename).as_uri(), line=line)
            except ValueError:  # not an absolute path (e.g. "<frozen runpy>"): no position
                position = None
        cached = _STACK_FRAMES[key] = source_pb2.StackFrame(pc=position)
    return cached


def sdk_stack_trace() -> source_pb2.StackTrace:
    """The SDK's ``pulumi.runtime.resource._get_stack_trace()``, which :func:`fast_stack_trace` matches."""
    return _resource._get_stack_trace()


def fast_stack_trace() -> source_pb2.StackTrace:
    """What ``pulumi.runtime.resource._get_stack_trace`` returns, without its per-call costs.

    The SDK's version reads every frame's source line (``traceback.extract_stack``) and
    builds a ``pathlib.Path`` per frame for each resource: a tenth of a preview, more the
    deeper components nest. The frames (those below the concrete resource class's
    ``__init__``, the third ``__init__`` up the stack) and their positions are the same;
    tests/test_engine.py compares the two.
    """
    frame: Any = sys._getframe(1)
    inits = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            inits += 1
            if inits == 3:
                break
        frame = frame.f_back
    if frame is None:
        return source_pb2.StackTrace()
    frames = []
    frame = frame.f_back
    while frame is not None:
        frames.append(_stack_frame(frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return source_pb2.StackTrace(frames=frames)


@contextlib.contextmanager
def fast_stack_traces() -> Iterator[None]:
    """:func:`fast_stack_trace` in place of the module global ``pulumi.runtime.resource._get_stack_trace``."""
    original = _resource._get_stack_trace
    _resource._get_stack_trace = fast_stack_trace
    try:
        yield
    finally:
        _resource._get_stack_trace = original


# --------------------------------------------------------------------------- transforms


def transform_callback(token: str) -> tuple[Callable[[bytes], Any], Any] | None:
    """The SDK's callback for transform ``token`` and the user's transform function, or None.

    A program's ``transforms`` option and ``register_resource_transform`` hand the engine callback
    tokens; the SDK's callback server keeps, per token, the coroutine function the engine would
    call over gRPC (``_CallbackServicer._callbacks``: TransformRequest bytes -> TransformResponse,
    the SDK's own conversion of properties and options both ways) and, per transform function,
    its token (``_transforms``). Relies on ``pulumi.runtime._callbacks._CallbackServicer._servicers``.
    """
    from pulumi.runtime import _callbacks

    for servicer in _callbacks._CallbackServicer._servicers:
        callback = servicer._callbacks.get(token)
        if callback is not None:
            function = next((fn for fn, t in servicer._transforms.items() if t == token), None)
            return callback, function
    return None


def run_callback(make: Callable[[], Any]) -> Any:
    """Run a callback coroutine (made by ``make``) from inside a monitor call, on the program's loop.

    The callback builds SDK objects (option resources, Outputs) whose futures belong to the loop
    that made them, and the program awaits them later: they must be made on the program's loop.
    On the program's thread the call completes at once or raises :class:`SuspendsError` (the
    monitor call is then rerun on the worker thread, see :class:`_InlineExecutor`); on the worker
    thread the coroutine is handed to the program's loop, which is free while it waits on us.
    """
    loop, thread = _PROGRAM_LOOP
    if loop is None or threading.get_ident() == thread:
        return _mocks._sync_await(make())
    return asyncio.run_coroutine_threadsafe(make(), loop).result()


_PROGRAM_LOOP: tuple[asyncio.AbstractEventLoop | None, int] = (None, 0)
"""The event loop of the program a run drives and its thread (set by :func:`inline_rpcs`)."""


# --------------------------------------------------------------------------- output types


def resource_output_types(resource_cls: type) -> dict[str, Any]:
    """Wire name -> annotated type of each output property of a resource class.

    Relies on ``pulumi._types.resource_types`` (what the SDK uses to turn a resource's outputs
    into output-type objects): the types are ``str``, ``Sequence[...]``, ``Mapping[...]`` and
    ``@pulumi.output_type`` classes.
    """
    from pulumi import _types

    return dict(_types.resource_types(resource_cls))


def output_type_fields(output_cls: type) -> dict[str, Any] | None:
    """Wire name -> type of each field of an ``@pulumi.output_type`` class; None for other types.

    Relies on ``pulumi._types.is_output_type``, ``output_type_types`` and ``unwrap_type``
    (``Optional``/``Output``/``Input`` stripped).
    """
    from pulumi import _types

    if not isinstance(output_cls, type) or not _types.is_output_type(output_cls):
        return None
    return {name: _types.unwrap_type(hint) for name, hint in _types.output_type_types(output_cls).items()}


# --------------------------------------------------------------------------- policy analyzer


def policy_analyzer_servicer(
    name: str, version: str, policies: list[Any], enforcement_level: Any, description: str | None
) -> Any:
    """pulumi-policy's analyzer servicer: what ``PolicyPack`` serves to the Pulumi CLI over gRPC.

    Relies on ``pulumi_policy.policy._PolicyAnalyzerServicer(name, version, policies,
    enforcement_level, initial_config, description)`` and its gRPC methods ``Configure``,
    ``ConfigureStack``, ``Analyze``, ``AnalyzeStack`` and ``GetAnalyzerInfo`` (called in-process
    with the requests the engine would send, ``context`` None).
    """
    return _policy._PolicyAnalyzerServicer(name, version, policies, enforcement_level, None, description)
