"""What every subcommand shares about where text goes: ``-`` for standard output, the report width,
and one clear line for a file that cannot be read or written.

Conventions (the Pulumi CLI's and the Unix tools'): a file option given ``-`` writes to standard
output; text reports are as wide as the terminal (``COLUMNS`` when set, as
:func:`shutil.get_terminal_size` reads it), 120 columns when the output is not a terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

DEFAULT_WIDTH = 120
"""Columns of a text report written to a file or a pipe (no ``COLUMNS``)."""
MIN_WIDTH = 40


class OutputError(OSError):
    """A file the user named cannot be read or written: one line, exit code 4."""


def is_stdout(target: str | Path | None) -> bool:
    return target is None or str(target) == "-"


def report_width(stream: Any = None) -> int:
    """``COLUMNS`` when set (a positive number), the terminal's width when ``stream`` is one, else 120."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), MIN_WIDTH)
    stream = sys.stdout if stream is None else stream
    if getattr(stream, "isatty", lambda: False)():
        return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MIN_WIDTH)
    return DEFAULT_WIDTH


def fit_lines(text: str, width: int) -> str:
    """``text`` with every line longer than ``width`` wrapped, continuation lines indented four
    columns past the line's own indent (a report's structure stays readable)."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(
            line.strip(),
            width=width,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_long_words=True,
            break_on_hyphens=False,
        )
        out.extend(wrapped or [line[:width]])
    return "\n".join(out)


def write_text(target: str | Path | None, text: str, what: str = "output") -> None:
    """Write ``text`` to ``target`` (standard output for ``None`` or ``-``); a file that cannot be
    written raises :class:`OutputError` with one line naming it and why."""
    if is_stdout(target):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_bytes(target, text.encode("utf-8"), what)


def write_bytes(target: str | Path | None, data: bytes, what: str = "output") -> None:
    if is_stdout(target):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(str(target))
    try:
        path.write_bytes(data)
    except OSError as error:
        raise OutputError(f"cannot write the {what} to {path}: {_why(error, path)}") from None


def read_text(path: str | Path, what: str = "file") -> str:
    """The text of ``path`` (``-`` reads standard input); one line when it cannot be read."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot read the {what} {path}: {_why(error, Path(path))}") from None
    except UnicodeDecodeError:
        raise OutputError(f"cannot read the {what} {path}: not UTF-8 text") from None


def _why(error: OSError, path: Path) -> str:
    reason = error.strerror or type(error).__name__
    parent = path.parent
    if isinstance(error, FileNotFoundError) and not parent.exists():
        return f"{reason} (the directory {parent} does not exist; create it first)"
    return reason
