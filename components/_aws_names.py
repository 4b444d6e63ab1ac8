"""AWS names a setting must spell exactly: EC2 instance types and families, RDS instance classes,
Redshift node types, and AWS cron expressions. Each check returns a problem text (with a did-you-mean
when a known name is close) or ``None``, so a settings validator raises it as a ``ValueError``.

The lists come from the installed provider SDK, not from a copy here: pulumi-aws publishes the EC2
instance types as the enum ``pulumi_aws.ec2.InstanceType`` (generated from the provider's schema)
and the RDS classes as ``pulumi_aws.rds.InstanceType``. A type AWS adds after the installed SDK was
built is refused until the SDK is upgraded; the message says so.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

__all__ = [
    "architecture_of_family",
    "aws_cron_problem",
    "ec2_families",
    "ec2_instance_types",
    "instance_family_problem",
    "instance_type_problem",
    "rds_instance_class_problem",
    "redshift_node_type_problem",
]

REDSHIFT_NODE_TYPES = ("ra3.large", "ra3.xlplus", "ra3.4xlarge", "ra3.16xlarge", "dc2.large", "dc2.8xlarge")
"""Provisioned Redshift node types (Amazon Redshift Management Guide, "Clusters and nodes": RA3 and
DC2; DS2 is retired). The provider SDK has no enum for them."""

_UPGRADE = "if AWS launched it after the installed pulumi-aws was built, upgrade pulumi-aws"


@cache
def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type the installed pulumi-aws knows (``m7g.large``...)."""
    from pulumi_aws.ec2 import InstanceType

    return frozenset(str(member.value) for member in InstanceType)


@cache
def ec2_families() -> frozenset[str]:
    """The families of :func:`ec2_instance_types` (``m7g``, ``c7i-flex``...)."""
    return frozenset(name.split(".", 1)[0] for name in ec2_instance_types())


@cache
def _rds_enum() -> frozenset[str]:
    from pulumi_aws.rds import InstanceType

    return frozenset(str(member.value) for member in InstanceType)


def _did_you_mean(value: str, known: frozenset[str] | tuple[str, ...], cutoff: float = 0.75) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=cutoff)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def instance_type_problem(value: str) -> str | None:
    """Why ``value`` is not an EC2 instance type (``t3.lrge``), or None."""
    if value in ec2_instance_types():
        return None
    return f"not an EC2 instance type{_did_you_mean(value, ec2_instance_types())} ({_UPGRADE})"


def instance_family_problem(value: str) -> str | None:
    """Why ``value`` is not an EC2 instance family (``c7x``; a size such as ``m6i.large`` is no
    family), or None."""
    if value in ec2_families():
        return None
    if "." in value:
        return f"is an instance type, not a family; write the family alone ({value.split('.', 1)[0]!r})"
    return f"not an EC2 instance family{_did_you_mean(value, ec2_families(), 0.6)} ({_UPGRADE})"


def rds_instance_class_problem(value: str) -> str | None:
    """Why ``value`` is not an RDS DB instance class (``db.t4g.mediun``), or None.

    A class is in the SDK's RDS enum, or is ``db.`` and an EC2 instance type: RDS names its classes
    after the EC2 types they run on (``db.m7g.large``), and the SDK's RDS enum lags behind (it lacks
    ``db.m7g``)."""
    if value in _rds_enum():
        return None
    if value.startswith("db.") and value[3:] in ec2_instance_types():
        return None
    known = _rds_enum() | frozenset(f"db.{name}" for name in ec2_instance_types())
    return f"not an RDS instance class{_did_you_mean(value, known)}; write e.g. 'db.m7g.large' ({_UPGRADE})"


def redshift_node_type_problem(value: str) -> str | None:
    if value in REDSHIFT_NODE_TYPES:
        return None
    return (
        f"not a Redshift node type{_did_you_mean(value, REDSHIFT_NODE_TYPES)}; use one of "
        f"{', '.join(REDSHIFT_NODE_TYPES)}"
    )


_GENERATION = re.compile(r"^([a-z]+)(\d+)([a-z-]*)")


def architecture_of_family(family: str) -> str:
    """``arm64`` for the AWS Graviton families, else ``amd64``.

    AWS names Graviton families with a ``g`` right after the generation digit (``m7g``, ``c6gn``,
    ``t4g``, ``x2gd``, ``im4gn``, ``is4gen``; the first, ``a1``, predates the rule): the EC2 User
    Guide's "Instance type naming conventions" (processor family ``g`` = AWS Graviton). GPU
    families start with ``g`` (``g5``) and are x86 unless the suffix says Graviton (``g5g``).
    """
    if family == "a1":
        return "arm64"
    match = _GENERATION.match(family)
    if match and match.group(3).startswith("g"):
        return "arm64"
    return "amd64"


# AWS cron fields (EventBridge Scheduler and AWS Backup share them): minutes, hours, day of month,
# month, day of week, year; ranges from the EventBridge user guide's "Cron expressions" reference.
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], str], ...] = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day of month", 1, 31, (), "LW?"),
    ("month", 1, 12, _MONTHS, ""),
    ("day of week", 1, 7, _DAYS, "L#?"),
    ("year", 1970, 2199, (), ""),
)
_CRON = re.compile(r"^cron\((.*)\)$")


def _number(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.upper() in names:
        return names.index(text.upper()) + 1
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None


def _field_problem(
    text: str, name: str, low: int, high: int, names: tuple[str, ...], extra: str
) -> str | None:
    if text == "*" or (text == "?" and "?" in extra):
        return None
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) >= 1):
            return f"{name} {text!r}: the step after '/' must be a positive number"
        if "L" in extra and base == "L":  # the last day of the month / of the week
            continue
        if "#" in extra and base.endswith("L") and _number(base[:-1], low, high, names) is not None:
            continue  # day of week: the last such day of the month (5L, the last Thursday)
        if "W" in extra and base.endswith("W") and base[:-1].isdigit() and low <= int(base[:-1]) <= high:
            continue
        if "#" in extra and "#" in base:
            day, _, nth = base.partition("#")
            if _number(day, low, high, names) is not None and nth in ("1", "2", "3", "4", "5"):
                continue
            return f"{name} {text!r}: write DAY#N with N from 1 to 5 (e.g. 6#3, the third Friday)"
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        for piece in (first, last) if dash else (first,):
            if _number(piece, low, high, names) is None:
                spelled = f" or {names[0]}-{names[-1]}" if names else ""
                return f"{name} {piece!r} is out of range: use {low}-{high}{spelled}"
    return None


def aws_cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not an AWS cron expression (``cron(0 27 * * ? *)``: hour 27), or None."""
    match = _CRON.match(expression.strip())
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        return "write an AWS cron expression with six fields, e.g. 'cron(0 3 * * ? *)' (daily at 03:00 UTC)"
    for text, (name, low, high, names, extra) in zip(fields, _FIELDS):
        problem = _field_problem(text, name, low, high, names, extra)
        if problem:
            return problem + " (AWS cron: minutes hours day-of-month month day-of-week year)"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "exactly one of day of month and day of week must be '?' (e.g. 'cron(0 3 * * ? *)')"
    return None
