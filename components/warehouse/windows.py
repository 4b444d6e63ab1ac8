"""Backup and maintenance windows as minutes: parse them and tell whether they ever meet (all UTC)."""

from __future__ import annotations

import re

__all__ = ["backup_window_minutes", "maintenance_window_minutes", "windows_overlap"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
_BACKUP_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_MAINTENANCE_WINDOW = re.compile(
    r"^([a-z]{3}):([01]\d|2[0-3]):([0-5]\d)-([a-z]{3}):([01]\d|2[0-3]):([0-5]\d)$", re.IGNORECASE
)


def backup_window_minutes(window: str) -> tuple[int, int]:
    """``(start, length)`` in minutes of a daily ``hh24:mi-hh24:mi`` window (UTC).

    A window may cross midnight (``23:45-00:15``). Raises ``ValueError`` on a
    bad format.
    """
    match = _BACKUP_WINDOW.match(window)
    if not match:
        raise ValueError(f"{window!r} is not 'hh24:mi-hh24:mi' in UTC; write e.g. '03:00-03:30'")
    sh, sm, eh, em = (int(g) for g in match.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    return start, (end - start) % _DAY_MINUTES


def maintenance_window_minutes(window: str) -> tuple[int, int]:
    """``(start, length)`` in minutes of the week (Monday 00:00 is 0) of a
    weekly ``ddd:hh24:mi-ddd:hh24:mi`` window (UTC); it may wrap past Sunday."""
    match = _MAINTENANCE_WINDOW.match(window)
    if not match or match.group(1).lower() not in _DAYS or match.group(4).lower() not in _DAYS:
        raise ValueError(
            f"{window!r} is not 'ddd:hh24:mi-ddd:hh24:mi' in UTC with days mon..sun; "
            "write e.g. 'sun:05:00-sun:06:00'"
        )
    sd, sh, sm, ed, eh, em = match.groups()
    start = _DAYS.index(sd.lower()) * _DAY_MINUTES + int(sh) * 60 + int(sm)
    end = _DAYS.index(ed.lower()) * _DAY_MINUTES + int(eh) * 60 + int(em)
    return start, (end - start) % _WEEK_MINUTES


def _week_minutes(start: int, length: int) -> set[int]:
    return {(start + m) % _WEEK_MINUTES for m in range(length)}


def windows_overlap(backup_window: str, maintenance_window: str) -> bool:
    """True when the daily backup window meets the weekly maintenance window on any day.

    Windows are half-open (a backup ending at 05:00 may be followed by
    maintenance starting at 05:00); both may cross midnight or the week's end.
    """
    b_start, b_length = backup_window_minutes(backup_window)
    m_start, m_length = maintenance_window_minutes(maintenance_window)
    maintenance = _week_minutes(m_start, m_length)
    return any(
        not maintenance.isdisjoint(_week_minutes(day * _DAY_MINUTES + b_start, b_length)) for day in range(7)
    )
