"""What a provider's Check would accept, read from the installed provider SDK's own type metadata.

Every Pulumi Python SDK generates, per resource, an ``@pulumi.input_type`` ``<Resource>Args`` class
(and one per nested object in ``_inputs.py``, each beside a ``TypedDict`` variant): its properties
carry the wire names (``@pulumi.getter(name="sseAlgorithm")``) and annotated types, its
constructor's parameters without a default are the required keys, a ``str`` Enum from
``_enums.py`` not unioned with ``str`` is a closed set, and ``@_utilities.deprecated`` getters are
deprecated properties. A deprecated resource type says so in a class-level ``warnings.warn`` (all
the SDK keeps of it). Shapes are built lazily, one class at a time, and cached.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import importlib
import inspect
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import _types

from ._taggable import _registered_classes

_PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "eks": "pulumi_eks"}


@dataclass
class Obj:
    """An input object: its keys (wire names), the required ones and the deprecated ones."""

    cls: type
    fields: dict[str, Any] = field(default_factory=dict)
    """Wire name -> a type hint, resolved to a shape on first use (:func:`shape_of`)."""
    python_names: dict[str, str] = field(default_factory=dict)
    """Wire name -> Python name (a dict literal may use either; the SDK translates known ones)."""
    required: frozenset[str] = frozenset()
    deprecated: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class MapOf:
    value: Any


@dataclass(frozen=True)
class Enum:
    cls: type
    values: tuple[str, ...]
    open: bool = False
    """``Union[str, SomeEnum]``: the SDK takes any string. A value that differs from a member only by
    case is still wrong (the providers compare case-sensitively); any other value passes, unless the
    enum is in :data:`STRICT_OPEN_ENUMS`."""


STRICT_OPEN_ENUMS: dict[str, tuple[str, ...]] = {
    # terraform-provider-aws internal/service/rds/instance.go, storage_type: ValidateFunc:
    # validation.StringInSlice(StorageType_Values(), false) (false: case-sensitive), where
    # internal/service/rds/consts.go lists standard, gp2, gp3, io1, io2, aurora-iopt1: two more than
    # the SDK's enum, so the provider's own list is what is allowed.
    "pulumi_aws.rds._enums.StorageType": ("standard", "gp2", "gp3", "io1", "io2", "aurora-iopt1"),
}
"""Enums the SDK marks open (``Union[str, Enum]``) but the provider validates against a list of its
own: any other value is refused at ``pulumi up``, so the rule treats them as closed over that list.
(Lambda's ``Runtime`` is validated too, ``enum.Validate[awstypes.Runtime]``, but against the AWS SDK
for Go's list, which can be newer than the Pulumi SDK's: a new runtime would be a false alarm, so it
stays open.)"""


def enum_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


OPEN: Any = None
"""A value the SDK types do not constrain (strings, numbers, ``Any``, JSON)."""


def resource_class(token: str) -> type | None:
    package = _PACKAGES.get(token.split(":", 1)[0])
    if package is None:
        return None
    found = _registered_classes(package).get(token)
    if found is None:
        return None
    try:
        cls = getattr(importlib.import_module(found[0]), found[1], None)
    except ImportError:
        return None
    return cls if isinstance(cls, type) else None


@functools.cache
def resource_shape(token: str) -> Obj | None:
    """The input shape of resource type ``token``; None when the SDK has no ``Args`` class for it."""
    cls = resource_class(token)
    if cls is None:
        return None
    module = importlib.import_module(cls.__module__)
    # ``<Name>InitArgs`` when a nested input type of the package already has the name ``<Name>Args``.
    for candidate in (f"{cls.__name__}InitArgs", f"{cls.__name__}Args"):
        args = getattr(module, candidate, None)
        if isinstance(args, type) and args.__module__ == cls.__module__ and _types.is_input_type(args):
            return _object(args)
    return None


@functools.cache
def deprecated_type(token: str) -> str | None:
    """The SDK's deprecation message for resource type ``token`` (a class-level ``warnings.warn``)."""
    cls = resource_class(token)
    if cls is None:
        return None
    try:
        source = Path(inspect.getfile(cls)).read_text()
    except (OSError, TypeError):
        return None
    pattern = (
        rf"class {re.escape(cls.__name__)}\(pulumi\.(?:Custom|Component)Resource\):\n"
        r'\s+warnings\.warn\("""(.*?)"""'
    )
    match = re.search(pattern, source, re.S)
    return match.group(1) if match else None


@functools.cache
def _object(cls: type) -> Obj:
    py_to_wire = _types.input_type_py_to_pulumi_names(cls)
    try:
        hints = _types.input_type_types(cls)
    except (NameError, TypeError):  # hints that do not resolve: keys known, values open
        hints = {wire: Any for wire in py_to_wire.values()}
    required = set()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for name, parameter in inspect.signature(cls).parameters.items():
        if parameter.default is inspect.Parameter.empty and parameter.kind in named:
            required.add(py_to_wire.get(name, name))
    deprecated = {}
    for py_name, wire in py_to_wire.items():
        prop = getattr(cls, py_name, None)
        getter = getattr(prop, "fget", None)
        if getter is not None and hasattr(getter, "_pulumi_deprecated_callable"):
            deprecated[wire] = _deprecation_message(getter) or f"{py_name} is deprecated"
    return Obj(
        cls=cls,
        fields={wire: hints.get(wire, Any) for wire in py_to_wire.values()},
        python_names={wire: py for py, wire in py_to_wire.items()},
        required=frozenset(required),
        deprecated=deprecated,
    )


def _deprecation_message(getter: Any) -> str | None:
    for cell in getter.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if isinstance(value, str):
            return value
    return None


@functools.cache
def shape_of(hint: Any) -> Any:
    """The shape a type hint allows: :class:`Obj`, :class:`ListOf`, :class:`MapOf`, :class:`Enum` or OPEN."""
    if isinstance(hint, type):
        if _types.is_input_type(hint):
            return _object(hint)
        if issubclass(hint, enum.Enum):
            return Enum(hint, tuple(str(m.value) for m in hint))
        return OPEN
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        # The TypedDict variant of an input class takes the same keys: the class describes both.
        members = [m for m in typing.get_args(hint) if not _plumbing(m) and not typing.is_typeddict(m)]
        if any(m is str or m is Any for m in members):
            # ``Union[str, SomeEnum]``: the enum is a suggestion, any string passes Check: kept as an
            # open enum (a wrong case is still wrong; a strictly validated one is closed).
            enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
            members = [m for m in members if m not in enums]
            if len(enums) == 1 and all(m is str for m in members):
                strict = STRICT_OPEN_ENUMS.get(enum_name(enums[0]))
                values = strict or tuple(str(v.value) for v in enums[0])
                return Enum(enums[0], values, open=strict is None)
        return shape_of(members[0]) if len(members) == 1 else OPEN
    if isinstance(origin, type) and issubclass(origin, collections.abc.Mapping):
        args = typing.get_args(hint)
        return MapOf(shape_of(args[1]) if len(args) == 2 else OPEN)
    if isinstance(origin, type) and issubclass(origin, collections.abc.Sequence) and origin is not str:
        args = typing.get_args(hint)
        return ListOf(shape_of(args[0]) if args else OPEN)
    return OPEN


def _plumbing(member: Any) -> bool:
    """``None``, ``Awaitable[T]`` and ``Output[T]``: how an input arrives, not what it is."""
    if member is type(None):
        return True
    origin = typing.get_origin(member)
    if origin is collections.abc.Awaitable:
        return True
    name = getattr(origin or member, "__name__", "")
    return name == "Output"
