"""Realistic mock outputs for resources and invokes, so programs read plausible values.

Outputs are derived deterministically from the resource type and name (no
randomness), so two runs of the same program give the same plan. Domain modules
in :mod:`dpengine.mockdata` add type-specific outputs through :func:`outputs_for`
and :func:`invoke`; an invoke nobody registered fails loudly, naming the token.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from .synth import synthesize

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


@dataclass
class MockContext:
    """What an output or invoke function may know about the resource and stack."""

    token: str
    name: str
    inputs: dict[str, Any]
    region: str
    account_id: str
    physical_id: str
    stack_references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{PARTITION}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def hex(self, length: int = 8, salt: str = "") -> str:
        return stable_hex(f"{self.token}/{self.name}/{salt}", length)


OutputFn = Callable[[MockContext], dict[str, Any]]
InvokeFn = Callable[[MockContext, dict[str, Any]], dict[str, Any]]

_OUTPUTS: dict[str, OutputFn] = {}
_INVOKES: dict[str, InvokeFn] = {}
# Input property holding the physical name Pulumi would auto-generate.
_AUTONAME_PROPERTY: dict[str, str] = {}


class UnknownInvokeError(Exception):
    """A program called a data source the mocks do not know."""


def stable_hex(seed: str, length: int = 8) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def outputs_for(*tokens: str, autoname: str | None = None) -> Callable[[OutputFn], OutputFn]:
    """Register ``fn`` as the output maker of resource types ``tokens``."""

    def register(fn: OutputFn) -> OutputFn:
        for token in tokens:
            _OUTPUTS[token] = fn
            if autoname:
                _AUTONAME_PROPERTY[token] = autoname
        return fn

    return register


def autoname(*tokens: str, prop: str = "name") -> None:
    """Declare that ``prop`` is the auto-named physical name of ``tokens``."""
    for token in tokens:
        _AUTONAME_PROPERTY[token] = prop


def invoke(*tokens: str) -> Callable[[InvokeFn], InvokeFn]:
    """Register ``fn`` as the result maker of invoke ``tokens``."""

    def register(fn: InvokeFn) -> InvokeFn:
        for token in tokens:
            _INVOKES[token] = fn
        return fn

    return register


_loaded = False


def _load_domains() -> None:
    global _loaded
    if _loaded:
        return
    from . import mockdata

    for module in pkgutil.iter_modules(mockdata.__path__):
        importlib.import_module(f"{mockdata.__name__}.{module.name}")
    _loaded = True


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _generic_outputs(ctx: MockContext) -> dict[str, Any]:
    """An ``arn`` for every AWS resource that has none of its own making."""
    if not ctx.token.startswith("aws:"):
        return {}
    module = ctx.token.split(":")[1].split("/")[0]
    kind = _kebab(ctx.token.rsplit(":", 1)[-1])
    return {"arn": ctx.arn(module, f"{kind}/{ctx.physical_id}")}


def is_secret_wrapper(value: Any) -> bool:
    """A stack-references file marks a secret output ``{"value": ..., "secret": true}``, the shape
    ``pulumi config --json --show-secrets`` gives a secret value (``dataplatform outputs`` writes it)."""
    return isinstance(value, dict) and set(value) == {"value", "secret"} and value["secret"] is True


def unwrap_secret_outputs(outputs: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The plain outputs of a stack-references entry and the names of the secret ones."""
    plain = {k: v["value"] if is_secret_wrapper(v) else v for k, v in outputs.items()}
    return plain, sorted(k for k, v in outputs.items() if is_secret_wrapper(v))


class PlatformMocks(pulumi.runtime.Mocks):
    """Mocks that answer like AWS and Kubernetes would, deterministically.

    ``stack_references`` maps a stack reference name (``org/project/stack``)
    to its outputs; an unknown reference is an error that names it.
    """

    def __init__(
        self,
        region: str = "us-east-1",
        account_id: str = ACCOUNT_ID,
        stack_references: Mapping[str, Mapping[str, Any]] | None = None,
        preview: bool = False,
    ) -> None:
        _load_domains()
        self.preview = preview
        """In a preview the engine knows only what the program gave: computed outputs stay unknown."""
        self.region = region
        self.account_id = account_id
        self.stack_references = dict(stack_references or {})
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        # Explicit aws providers by id -> their region: what they create (ARNs, invokes) is in that region.
        self._provider_regions: dict[str, str] = {}

    def _region_of(self, provider: str | None) -> str:
        """The region of the explicit provider ``provider`` (a ``urn::id`` reference), else the stack's."""
        if not provider:
            return self.region
        return self._provider_regions.get(provider.rpartition("::")[2], self.region)

    def _context(
        self, token: str, name: str, inputs: dict[str, Any], physical_id: str, provider: str | None = None
    ) -> MockContext:
        return MockContext(
            token=token,
            name=name,
            inputs=inputs,
            region=self._region_of(provider),
            account_id=self.account_id,
            physical_id=physical_id,
            stack_references=self.stack_references,
        )

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        token, name, inputs = args.typ, args.name, dict(args.inputs)
        if token == "pulumi:pulumi:StackReference":
            return self._stack_reference(name, inputs)
        name_prop = _AUTONAME_PROPERTY.get(token)
        physical = inputs.get(name_prop) if name_prop else None
        if not isinstance(physical, str) or not physical:
            physical = f"{name}-{stable_hex(token + '/' + name, 7)}"
        if name_prop and name_prop not in inputs:
            inputs[name_prop] = physical
        state = dict(inputs)
        if token == "pulumi:providers:aws" and isinstance(inputs.get("region"), str):
            self._provider_regions[args.resource_id or physical] = inputs["region"]
        if self.preview:
            # As `pulumi preview` for a resource to create: its inputs (with the auto-name) are known,
            # every computed output is unknown until the provider has created it.
            return args.resource_id or physical, state
        ctx = self._context(token, name, inputs, physical, args.provider)
        state.update(_generic_outputs(ctx))
        maker = _OUTPUTS.get(token)
        if maker is not None:
            state.update(maker(ctx))
        else:
            synthesize(
                token,
                state,
                physical=physical,
                seed=f"{token}/{name}",
                region=ctx.region,
                account=self.account_id,
            )
        resource_id = state.pop("__id", None) or (args.resource_id or physical)
        if token == "pulumi:providers:aws" and isinstance(inputs.get("region"), str):
            self._provider_regions[resource_id] = inputs["region"]
        return resource_id, state

    def _stack_reference(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ref = str(inputs.get("name") or name)
        if ref not in self.stack_references:
            known = ", ".join(sorted(self.stack_references)) or "none"
            raise UnknownInvokeError(
                f"StackReference {ref!r} has no mocked outputs (known: {known}); "
                "pass them with --stack-outputs NAME=FILE.json"
            )
        outputs, secret = unwrap_secret_outputs(self.stack_references[ref])
        return ref, {"name": ref, "outputs": outputs, "secretOutputNames": secret}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        token = args.token
        call_args = dict(args.args)
        self.invokes.append((token, call_args))
        fn = _INVOKES.get(token)
        if fn is None:
            raise UnknownInvokeError(
                f"no mock for invoke {token!r}; add one in dpengine/mockdata/ "
                f"(known: {', '.join(sorted(_INVOKES))})"
            )
        ctx = self._context(token, token, call_args, stable_hex(token, 8), args.provider)
        return fn(ctx, call_args), []
