"""Cron schedules as a Kubernetes CronJob accepts them: pure checks, no engine needed.

The CronJob controller parses ``spec.schedule`` with the standard five-field parser of
robfig/cron (``cron.ParseStandard``): minute, hour, day of month, month, day of week; each field a
comma-separated list of ``*``, ``?`` (day fields only), ``N``, ``N-M``, with an optional ``/step``;
month and weekday names (``JAN``, ``MON``, any case); or one of the descriptors below. A time zone
goes in ``spec.timeZone``, never as a ``TZ=`` prefix of the schedule (the API server refuses it).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

__all__ = ["CRON_DESCRIPTORS", "cron_problem", "time_zone_problem"]

CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
"""The ``@`` shorthands the CronJob documentation lists."""

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name_value: int = 0
    question_mark: bool = False


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31, question_mark=True),
    _Field("month", 1, 12, _MONTHS, first_name_value=1),
    _Field("day of week", 0, 6, _WEEKDAYS, question_mark=True),
)


def _value(text: str, field: _Field) -> int | str:
    """The number ``text`` stands for in ``field``, or why it stands for none."""
    upper = text.upper()
    if upper in field.names:
        return field.names.index(upper) + field.first_name_value
    if not text.isdigit():
        names = f" or a name ({', '.join(field.names)})" if field.names else ""
        return f"{text!r} is not a number{names}"
    number = int(text)
    if not field.low <= number <= field.high:
        return f"{number} is outside {field.low}-{field.high}"
    return number


def _element_problem(element: str, field: _Field) -> str | None:
    base, slash, step = element.partition("/")
    if slash and (not step.isdigit() or int(step) < 1):
        return f"step {step!r} must be a whole number of at least 1"
    if base == "*" or (base == "?" and field.question_mark):
        return None
    if base == "?":
        return "'?' is only allowed in the day-of-month and day-of-week fields"
    low_text, dash, high_text = base.partition("-")
    low = _value(low_text, field)
    if isinstance(low, str):
        return low
    if dash:
        high = _value(high_text, field)
        if isinstance(high, str):
            return high
        if high < low:
            return f"range {base!r} runs backwards"
    return None


def cron_problem(schedule: str) -> str | None:
    """Why ``schedule`` is not a schedule a CronJob accepts, with the fix; None when it is one."""
    text = schedule.strip()
    example = "write 5 fields (minute hour day-of-month month day-of-week), e.g. '30 2 * * *', or '@daily'"
    if text.upper().startswith(("TZ=", "CRON_TZ=")):
        return "a time zone prefix is refused by Kubernetes; move it to time_zone (e.g. 'Europe/Paris')"
    if text.startswith("@"):
        if text.lower() in CRON_DESCRIPTORS:
            return None
        return f"unknown descriptor {text!r}; use one of {', '.join(CRON_DESCRIPTORS)}, or 5 fields"
    fields = text.split()
    if len(fields) != len(_FIELDS):
        return f"has {len(fields)} field(s), not 5; {example}"
    for value, field in zip(fields, _FIELDS):
        for element in value.split(","):
            problem = _element_problem(element, field) if element else "an empty list item"
            if problem:
                return f"{field.name} field {value!r}: {problem}; {example}"
    return None


def time_zone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone name, or None."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not an IANA time zone name; write e.g. 'Etc/UTC' or 'Europe/Paris'"
    return None
