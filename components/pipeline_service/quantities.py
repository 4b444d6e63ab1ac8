"""Kubernetes quantities (``"500m"``, ``"1Gi"``) and int-or-percent pod counts (``2``, ``"25%"``).

Plain parsing and formatting, plus the pydantic types that check settings fields with them.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

__all__ = [
    "IntOrPercent",
    "Quantity",
    "format_quantity",
    "is_zero",
    "parse_quantity",
    "pods_of",
]

_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY_HINT = "write e.g. '500m' or '2' for CPU, '512Mi', '1Gi' or '1e9' for memory"


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity (``"500m"`` is 0.5, ``"1Ki"`` is 1024, ``"1e3"`` is 1000).

    Raises ``ValueError`` naming the bad text and the accepted forms.
    """
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if not match or text != text.strip():
        raise ValueError(f"{text!r} is not a Kubernetes quantity; {_QUANTITY_HINT}")
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{text!r} is not a Kubernetes quantity; {_QUANTITY_HINT}") from None
    suffix = match.group("suffix") or ""
    if suffix in _BINARY:
        return number * (Decimal(1024) ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    return number.scaleb(int(suffix[1:]))


def format_quantity(value: Decimal) -> str:
    """A plain decimal for messages: ``Decimal("1.50E+3")`` is ``"1500"``."""
    return format(value.normalize(), "f")


def _to_text(value: Any) -> Any:
    # YAML gives `cpu: 2` or `cpu: 0.5` as numbers; Kubernetes takes the same as strings.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_quantity(value: str) -> str:
    if parse_quantity(value) < 0:
        raise ValueError(f"{value!r} is negative; resource quantities must be zero or more")
    return value


Quantity = Annotated[str, BeforeValidator(_to_text), AfterValidator(_check_quantity)]
"""A non-negative Kubernetes quantity, kept as written (``"500m"``, ``"1Gi"``)."""

_PERCENT = re.compile(r"^(\d{1,3})%$")


def _check_int_or_percent(value: int | str) -> int | str:
    if isinstance(value, bool):
        raise ValueError("write a number of pods (e.g. 1) or a percentage (e.g. '25%')")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    match = _PERCENT.match(value)
    if not match or int(match.group(1)) > 100:
        raise ValueError("write a number of pods (e.g. 1) or a percentage from '0%' to '100%' (e.g. '25%')")
    return value


IntOrPercent = Annotated[int | str, AfterValidator(_check_int_or_percent)]
"""A number of pods (``1``) or a percentage of the replicas (``"25%"``), as Kubernetes' IntOrString."""


def is_zero(value: int | str) -> bool:
    """True for ``0`` and ``"0%"`` (an :data:`IntOrPercent` that allows no pods)."""
    return value == 0 or (isinstance(value, str) and int(value.rstrip("%")) == 0)


def pods_of(value: int | str, replicas: int, *, round_up: bool) -> int:
    """Pods meant by ``value`` (an int or a percentage of ``replicas``), rounded as Kubernetes does."""
    if isinstance(value, int):
        return value
    share = int(value.rstrip("%")) * replicas / 100
    return math.ceil(share) if round_up else math.floor(share)
