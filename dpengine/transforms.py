"""Resource transforms run offline as the Pulumi engine runs them.

A program's ``transforms`` resource option and ``pulumi.runtime.register_resource_transform``
(``register_stack_transform``) do not run in the program: the SDK registers each function with
its callback server and sends the engine a token. The engine calls them while it handles the
registration, before anything else (pulumi/pulumi ``pkg/resource/deploy/source_eval.go``,
``resmon.RegisterResource``): first the resource's own transforms, then each ancestor's (the
parent's, the grandparent's, ...), then the stack's, each fed what the previous one returned,
and what the last one returns is what the provider receives. The SDK's mock monitor does not run
them ("The mock monitor does not run transforms", ``pulumi/runtime/mocks.py``), so a plan made
under mocks showed the inputs before the transforms. :class:`TransformChain` runs them in that
order, through the SDK's own callback (its own conversion of properties and options), and the
request that is recorded is the transformed one.

The legacy ``transformations`` option runs inside the SDK before the request is sent, so it has
run already when the engine (and this chain) sees the request: it comes first, as for real.

What cannot be reproduced: the children of a multi-language component (pulumi-eks' ``Cluster``)
are registered by its provider plugin, which does not run offline. A transform that would reach
them (the component's own, an ancestor's or a stack transform) is reported as not evaluated on
that component, never dropped.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

from . import _sdk
from ._sdk import resource_pb2


@dataclass(frozen=True)
class NotEvaluated:
    """Something a real deployment would do or create that the offline run could not check."""

    urn: str
    type: str
    name: str
    what: str
    """What was not evaluated (``transforms``, ``helm chart``, ...)."""
    reason: str


def _function_name(function: Any) -> str:
    if function is None:
        return "<transform>"
    module = getattr(function, "__module__", "") or ""
    qualname = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{qualname}" if module and module != "__main__" else qualname


def _options_of(request: Any) -> resource_pb2.TransformResourceOptions:
    """The options a transform receives, built from the request as the engine builds them."""
    options = resource_pb2.TransformResourceOptions(
        depends_on=list(request.dependencies),
        ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        version=request.version,
        provider=request.provider,
        plugin_download_url=request.pluginDownloadURL,
        deleted_with=request.deletedWith,
        additional_secret_outputs=list(request.additionalSecretOutputs),
    )
    options.aliases.extend(request.aliases)
    options.providers.update(dict(request.providers))
    if request.HasField("protect"):
        options.protect = request.protect
    if request.HasField("retainOnDelete"):
        options.retain_on_delete = request.retainOnDelete
    if request.HasField("customTimeouts"):
        options.custom_timeouts.CopyFrom(request.customTimeouts)
    if request.deleteBeforeReplaceDefined or request.deleteBeforeReplace:
        options.delete_before_replace = request.deleteBeforeReplace
    if request.importId:
        setattr(options, "import", request.importId)
    return options


def _apply_options(request: Any, options: resource_pb2.TransformResourceOptions) -> None:
    """Write the options a transform returned back onto the registration request."""
    request.ClearField("dependencies")
    request.dependencies.extend(options.depends_on)
    request.ClearField("ignoreChanges")
    request.ignoreChanges.extend(options.ignore_changes)
    request.ClearField("replaceOnChanges")
    request.replaceOnChanges.extend(options.replace_on_changes)
    request.ClearField("additionalSecretOutputs")
    request.additionalSecretOutputs.extend(options.additional_secret_outputs)
    request.ClearField("aliases")
    request.aliases.extend(options.aliases)
    request.version = options.version
    request.provider = options.provider
    request.pluginDownloadURL = options.plugin_download_url
    request.deletedWith = options.deleted_with
    request.providers.clear()
    request.providers.update(dict(options.providers))
    request.importId = getattr(options, "import")
    if options.HasField("protect"):
        request.protect = options.protect
    else:
        request.ClearField("protect")
    if options.HasField("retain_on_delete"):
        request.retainOnDelete = options.retain_on_delete
    else:
        request.ClearField("retainOnDelete")
    if options.HasField("custom_timeouts"):
        request.customTimeouts.CopyFrom(options.custom_timeouts)
    else:
        request.ClearField("customTimeouts")
    request.deleteBeforeReplaceDefined = options.HasField("delete_before_replace")
    request.deleteBeforeReplace = options.delete_before_replace


class TransformChain:
    """The transforms a run registered, and the order the engine applies them in."""

    def __init__(self) -> None:
        self._stack: list[str] = []
        self._own: dict[str, list[str]] = {}
        self._parents: dict[str, str] = {}
        self._lock = threading.Lock()

    def register_stack(self, token: str) -> None:
        with self._lock:
            self._stack.append(token)

    def tokens_for(self, request: Any) -> list[str]:
        """The resource's own transforms, each ancestor's, then the stack's (the engine's order)."""
        with self._lock:
            tokens = [callback.token for callback in request.transforms]
            current = request.parent
            seen: set[str] = set()
            while current and current not in seen:
                seen.add(current)
                tokens += self._own.get(current, [])
                current = self._parents.get(current, "")
            return tokens + list(self._stack)

    def remember(self, urn: str, request: Any) -> None:
        """Keep the resource's own transforms and parent, for its children."""
        with self._lock:
            self._parents[urn] = request.parent
            own = [callback.token for callback in request.transforms]
            if own:
                self._own[urn] = own

    def apply(self, request: Any) -> tuple[Any, list[str]]:
        """The request as the provider would receive it after every transform, and the transforms run.

        A remote (multi-language) component itself is transformed like any resource; what its
        provider would pass on to its children cannot be, and :meth:`unreachable` says so.
        """
        tokens = self.tokens_for(request)
        if not tokens:
            return request, []
        transformed = type(request)()
        transformed.CopyFrom(request)
        properties = transformed.object
        options = _options_of(transformed)
        ran: list[str] = []
        for token in tokens:
            found = _sdk.transform_callback(token)
            if found is None:  # registered with another run's callback server: nothing to call
                continue
            callback, function = found
            message = resource_pb2.TransformRequest(
                type=transformed.type,
                name=transformed.name,
                custom=transformed.custom,
                parent=transformed.parent,
                properties=properties,
                options=options,
            )
            request_bytes = message.SerializeToString()
            response = _sdk.run_callback(functools.partial(callback, request_bytes))
            if not isinstance(response, resource_pb2.TransformResponse):
                response = resource_pb2.TransformResponse.FromString(response.SerializeToString())
            if response.HasField("properties"):
                properties = response.properties
            if response.HasField("options"):
                options = response.options
            ran.append(_function_name(function))
        transformed.object.CopyFrom(properties)
        _apply_options(transformed, options)
        return transformed, ran

    def unreachable(self, request: Any, urn: str) -> NotEvaluated | None:
        """The transforms a remote component's children would get, which cannot run offline."""
        if not request.remote:
            return None
        tokens = self.tokens_for(request)
        if not tokens:
            return None
        names = []
        for token in tokens:
            found = _sdk.transform_callback(token)
            names.append(_function_name(found[1] if found else None))
        return NotEvaluated(
            urn=urn,
            type=request.type,
            name=request.name,
            what="transforms on the children of a multi-language component",
            reason=(
                f"{', '.join(names)} would also run on the resources {request.type} creates, but those "
                "are created by its provider plugin, which does not run offline: they are neither "
                "transformed nor checked here"
            ),
        )
