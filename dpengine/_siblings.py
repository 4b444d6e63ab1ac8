"""The library packages next to the engine, found in one place for the composition roots.

In the repository the engine is the top-level package ``dpengine`` beside ``policies`` and
``components``; installed, it is ``dataplatform.engine`` beside ``dataplatform.policies`` and
``dataplatform.components``. A sibling is imported relative to the engine's own parent package,
so both layouts resolve without an absolute ``import policies``. Only the composition roots use
this (the CLI, and ``dpengine.testing`` for the tests); the engine itself is handed what it needs.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_PARENT = (__package__ or "").rpartition(".")[0]
"""The engine's parent package: ``""`` in the repository, ``"dataplatform"`` when installed."""


def sibling(name: str) -> ModuleType:
    """The sibling module ``name`` (e.g. ``"policies"``, ``"components.stack_config"``), imported."""
    return importlib.import_module(f"{_PARENT}.{name}" if _PARENT else name)
