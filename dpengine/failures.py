"""Where a program failed, in the user's own files, and the engine's duplicate-URN refusal."""

from __future__ import annotations

import linecache
import os
import sys
import traceback
from pathlib import Path


class DuplicateUrnError(Exception):
    """Two resources of one program share a URN: the Pulumi engine refuses the second one.

    The engine's step generator (pulumi/pulumi ``pkg/resource/deploy/step_generator.go``,
    ``generateURN``) fails the deployment with "Duplicate resource URN '<urn>'; try giving it a
    unique name"; so does this one, naming where the program declared each of the two.
    """

    def __init__(self, urn: str, first: tuple[str, int] | None, second: tuple[str, int] | None) -> None:
        self.urn = urn
        self.first = first
        self.second = second
        where = [f"{_where(first)} (first)", f"{_where(second)} (again)"]
        super().__init__(
            f"Duplicate resource URN '{urn}'; try giving it a unique name (declared at {where[0]} and at "
            f"{where[1]}): two resources of one type under one parent need different names"
        )


def _where(source: tuple[str, int] | None) -> str:
    if source is None:
        return "an unknown place"
    path, line = source
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = path
    return f"{shown}:{line}"


def is_project_module(module_file: str, root: str) -> bool:
    """A module of the project's own code (forgotten after a run), not an installed package.

    A project virtualenv usually lives inside the project (``venv/``, ``.venv/``): its
    packages must stay imported, or the next import of pulumi_aws registers it twice.
    """
    path = os.path.abspath(module_file)
    if not path.startswith(root + os.sep):
        return False
    if any(part in ("site-packages", "dist-packages") for part in Path(path).parts):
        return False
    prefixes = {os.path.abspath(p) + os.sep for p in (sys.prefix, sys.exec_prefix, sys.base_prefix)}
    return not any(path.startswith(prefix) for prefix in prefixes)


def failure_location(error: BaseException, project_dir: Path) -> tuple[str, int] | None:
    """Where in the user's own files ``error`` came from: the innermost project frame of its traceback.

    Frames of the SDK, the engine and installed packages (a virtualenv inside the project
    included) are skipped. An error raised in an ``apply`` callback carries the callback's frame;
    one raised by the monitor (a duplicate URN) the place the program declared the resource.
    """
    if isinstance(error, DuplicateUrnError) and error.second is not None:
        return error.second
    root = str(project_dir.resolve())
    seen: set[int] = set()
    current: BaseException | None = error
    # An error re-raised ``from`` another (a component wrapping a failure) may carry no project frame
    # itself; its cause does. ``__context__`` is left alone: an error merely raised while another
    # was handled did not come from there.
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        own = [
            (os.path.abspath(frame.filename), frame.lineno)
            for frame in traceback.extract_tb(current.__traceback__)
            if frame.lineno is not None and is_project_module(frame.filename, root)
        ]
        if own:
            return own[-1]
        current = current.__cause__
    return None


def _program_failure(error: BaseException, project_dir: Path, location: tuple[str, int] | None) -> str:
    """The error and where in the user's own files it came from (not the SDK's frames)."""
    where = ""
    if location is not None:
        path, line = location
        text = linecache.getline(path, line).strip()
        where = f"\n  at {os.path.relpath(path, project_dir)}:{line}: {text}"
    return f"the program failed: {type(error).__name__}: {error}{where}"
