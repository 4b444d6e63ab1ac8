"""What the engine relies on in the Pulumi SDK's internals (``dpengine/_sdk.py``), checked by name.

An SDK upgrade that moves or reshapes one of these fails here with the name and what
``_sdk.py`` uses it for, rather than somewhere deep inside a run. When one fails: read the
function of ``_sdk.py`` that names it, adapt it to the new SDK, and update this contract.
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import gc
import importlib
import inspect
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pulumi
import pytest

from dpengine import _sdk

SDK = f"pulumi {version('pulumi')}, pulumi-policy {version('pulumi-policy')}"
ENGINE = Path(__file__).resolve().parent.parent / "dpengine"


def resolve(path: str) -> Any:
    """The object at a dotted path (module prefix imported, the rest read as attributes)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for index, attribute in enumerate(parts[cut:], start=cut):
            if not hasattr(obj, attribute):
                pytest.fail(
                    f"{SDK}: {'.'.join(parts[: index + 1])} is gone; dpengine/_sdk.py relies on {path} "
                    "(see the function there that names it)"
                )
            obj = getattr(obj, attribute)
        return obj
    pytest.fail(f"{SDK}: module of {path} cannot be imported; dpengine/_sdk.py relies on it")


def parameters(fn: Callable[..., Any]) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


def require_parameters(path: str, expected: list[str], *, prefix: bool = True) -> None:
    found = parameters(resolve(path))
    ok = found[: len(expected)] == expected if prefix else found == expected
    assert ok, f"{SDK}: {path} takes {found}; dpengine/_sdk.py passes {expected}"


@pytest.mark.parametrize("path", [p for p in _sdk.RELIES_ON if not p.endswith(".resources")])
def test_every_name_the_engine_relies_on_exists(path: str) -> None:
    if path == "asyncio.BaseEventLoop._default_executor":
        loop = asyncio.new_event_loop()
        try:
            assert hasattr(loop, "_default_executor"), (
                "asyncio event loops no longer have _default_executor; _sdk.inline_rpcs restores it"
            )
        finally:
            loop.close()
        return
    resolve(path)


def test_signatures_the_engine_calls() -> None:
    require_parameters(
        "pulumi.runtime.mocks.set_mocks", ["mocks", "project", "stack", "preview", "logger", "monitor"]
    )
    require_parameters("pulumi.runtime.mocks.MockMonitor.__init__", ["mocks"], prefix=False)
    require_parameters("pulumi.runtime.mocks.MockMonitor.make_urn", ["parent", "type_", "name"], prefix=False)
    require_parameters("pulumi.runtime.mocks.MockMonitor.RegisterResource", ["request"], prefix=False)
    require_parameters("pulumi.runtime.mocks.MockMonitor.RegisterResourceOutputs", ["request"], prefix=False)
    require_parameters("pulumi.runtime.config.set_all_config", ["config", "secret_keys"], prefix=False)
    require_parameters("pulumi.runtime.sync_await._sync_await", ["awaitable"], prefix=False)
    require_parameters("pulumi.runtime.sync_await._ensure_event_loop", [], prefix=False)
    require_parameters("pulumi.runtime.resource._get_stack_trace", [], prefix=False)
    require_parameters("pulumi.runtime.stack.run_in_stack", ["func"], prefix=False)
    assert inspect.iscoroutinefunction(resolve("pulumi.runtime.stack.run_in_stack"))
    output_init = ["resources", "future", "is_known", "is_secret"]
    require_parameters("pulumi.Output.__init__", output_init, prefix=False)
    for method in ("resources", "future", "is_known"):
        assert inspect.iscoroutinefunction(getattr(pulumi.Output, method)), f"{SDK}: Output.{method}"
    for method in ("get_output", "require_output"):  # replaced during runs by _sdk._reference_output
        require_parameters(f"pulumi.StackReference.{method}", ["name"], prefix=False)
    is_secret_name = resolve("pulumi.StackReference._StackReference__is_secret_name")
    assert inspect.iscoroutinefunction(is_secret_name) and parameters(is_secret_name) == ["name"], (
        f"{SDK}: StackReference.__is_secret_name(name) changed; _sdk._reference_output awaits it"
    )
    require_parameters(
        "pulumi_policy.policy._PolicyAnalyzerServicer.__init__",
        ["name", "version", "policies", "enforcement_level", "initial_config", "description"],
    )
    servicer = resolve("pulumi_policy.policy._PolicyAnalyzerServicer")
    for method in ("Configure", "ConfigureStack", "Analyze", "AnalyzeStack", "GetAnalyzerInfo"):
        assert parameters(getattr(servicer, method))[1:] == ["_context"], f"{SDK}: servicer {method}"


def test_runtime_state_has_the_shape_the_engine_resets() -> None:
    from pulumi.runtime import mocks, settings

    assert isinstance(settings.ROOT, contextvars.ContextVar), f"{SDK}: settings.ROOT is not a ContextVar"
    assert isinstance(settings.SETTINGS.outputs, set), f"{SDK}: SETTINGS.outputs is not the set of tasks"
    assert hasattr(settings.SETTINGS.lock, "acquire"), f"{SDK}: SETTINGS.lock is not a lock"
    assert callable(settings.SETTINGS.rpc_manager.clear), f"{SDK}: SETTINGS.rpc_manager.clear()"
    monitor = mocks.MockMonitor(object())  # type: ignore[arg-type]  # the mocks are not called here
    assert monitor.resources == {}, f"{SDK}: MockMonitor.resources (URN -> registration) is gone"
    assert "state" in mocks.MockMonitor.ResourceRegistration._fields, f"{SDK}: registration.state"


def test_protobuf_messages_the_check_builds() -> None:
    from pulumi.runtime.proto import source_pb2

    pb = _sdk.analyzer_pb2
    fields = {
        "AnalyzeRequest": {"type", "properties", "urn", "name", "options", "provider"},
        "AnalyzerResource": {
            "type",
            "properties",
            "urn",
            "name",
            "options",
            "provider",
            "parent",
            "dependencies",
            "propertyDependencies",
        },
        "AnalyzerResourceOptions": {
            "protect",
            "ignoreChanges",
            "deleteBeforeReplace",
            "deleteBeforeReplaceDefined",
            "additionalSecretOutputs",
            "parent",
        },
        "AnalyzerProviderResource": {"type", "properties", "urn", "name"},
        "AnalyzeStackRequest": {"resources"},
        "ConfigureAnalyzerRequest": {"policyConfig"},
        "AnalyzerStackConfigureRequest": {"project", "stack"},
    }
    for message, wanted in fields.items():
        have = set(getattr(pb, message).DESCRIPTOR.fields_by_name)
        assert wanted <= have, f"{SDK}: analyzer_pb2.{message} lacks {sorted(wanted - have)}"
    for level in ("ADVISORY", "MANDATORY", "REMEDIATE", "DISABLED"):
        assert hasattr(pb, level), f"{SDK}: analyzer_pb2.{level}"
    assert {"frames"} <= set(source_pb2.StackTrace.DESCRIPTOR.fields_by_name)
    assert {"pc"} <= set(source_pb2.StackFrame.DESCRIPTOR.fields_by_name)
    assert {"uri", "line"} <= set(source_pb2.SourcePosition.DESCRIPTOR.fields_by_name)


def test_the_sdk_still_needs_the_stack_reference_replacement(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's get_output/require_output leave coroutines unstarted when the reference fails.

    When this fails after an upgrade, the SDK no longer does: remove
    ``_sdk.stack_reference_outputs_as_tasks`` (tests/test_engine.py keeps the warnings away).
    """
    import contextlib

    from dpengine.engine import run_function

    def program() -> None:
        pulumi.export("vpc", pulumi.StackReference("acme/dataplatform/prod").get_output("vpcId"))

    monkeypatch.setattr(_sdk, "stack_reference_outputs_as_tasks", contextlib.nullcontext)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Exception, match="has no mocked outputs"):
            run_function(program, project="demo", stack="dev")
        gc.collect()
    assert any("was never awaited" in str(w.message) for w in caught), (
        f"{SDK}: StackReference.get_output no longer leaks coroutines; _sdk.stack_reference_outputs_as_tasks "
        "can go"
    )


# --------------------------------------------------------------------------- one module


_PUBLIC_RUNTIME = {"Mocks", "MockResourceArgs", "MockCallArgs", "set_mocks", "test"}
"""Documented ``pulumi.runtime`` names (unit testing with mocks): usable anywhere in the engine."""


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def private_sdk_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(("pulumi.runtime", "pulumi_policy.policy", "pulumi_policy.proxy")):
                found.append(f"from {node.module} import ...")
            elif node.module.split(".")[0] in ("pulumi", "pulumi_policy"):
                found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(("pulumi.runtime", "pulumi_policy."))]
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            head, _, rest = dotted.partition("pulumi.runtime.")
            if head == "" and rest and rest.split(".")[0] not in _PUBLIC_RUNTIME:
                found.append(dotted)
    return found


def test_private_sdk_access_sits_in_one_module() -> None:
    offenders = {
        str(path.relative_to(ENGINE.parent)): uses
        for path in sorted(ENGINE.rglob("*.py"))
        if path.name != "_sdk.py" and (uses := private_sdk_uses(path.read_text()))
    }
    assert offenders == {}, "private Pulumi SDK access outside dpengine/_sdk.py"


def test_the_one_module_check_sees_private_access() -> None:
    assert private_sdk_uses("from pulumi.runtime.sync_await import _sync_await") != []
    assert private_sdk_uses("import pulumi\npulumi.runtime.settings.SETTINGS") != []
    assert private_sdk_uses("from pulumi_policy.policy import _PolicyAnalyzerServicer") != []
    assert private_sdk_uses("import pulumi\nclass M(pulumi.runtime.Mocks): ...") == []
