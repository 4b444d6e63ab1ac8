"""Which Kubernetes versions EKS supports, until when, and what a new cluster may run.

EKS gives each minor version 14 months of standard support from its EKS release, then 12 months of
extended support (charged per cluster-hour); after that EKS upgrades the control plane itself and
no new cluster can be created on it (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).

The dates below are the ones that page publishes, as collected by endoflife.date
(endoflife-date/endoflife.date ``products/amazon-eks.md``, snapshot 2026-08-22); 1.36's EKS release
is also in https://aws.amazon.com/about-aws/whats-new/2026/06/amazon-eks-distro-kubernetes-version-1-36/.
When EKS releases a new minor version, add its row (the end dates follow the 14 + 12 month rule, but
use the dates AWS publishes).

Plain data and functions: no resource is registered. "Today" comes from :func:`_today`, which tests
replace, so the rules are tested for any date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "EKS_VERSIONS",
    "EKS_VERSIONS_SOURCE",
    "SUGGEST_MIN_STANDARD_DAYS",
    "UPGRADE_POLICIES",
    "EksVersion",
    "SupportStatus",
    "UpgradePolicy",
    "kubernetes_version_problem",
    "standard_versions",
    "support_status",
    "unquoted_version_hint",
]

EKS_VERSIONS_SOURCE = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
"""Where the dates of :data:`EKS_VERSIONS` are published."""

UpgradePolicy = Literal["STANDARD", "EXTENDED"]
"""The EKS cluster's support type: ``STANDARD`` (EKS upgrades the control plane when standard support
ends: no extended-support charge) or ``EXTENDED`` (the cluster stays, and pays, until extended
support ends)."""
UPGRADE_POLICIES: tuple[str, ...] = ("STANDARD", "EXTENDED")

SupportStatus = Literal["standard", "extended", "unsupported", "unknown"]


@dataclass(frozen=True)
class EksVersion:
    """One Kubernetes minor version on EKS, with its support dates (each the first day without it)."""

    version: str
    """The minor version, e.g. ``"1.36"``."""
    released: datetime.date
    """The day EKS made it available."""
    end_of_standard: datetime.date
    """The end of standard support: from this day on, the cluster is on (paid) extended support."""
    end_of_extended: datetime.date
    """The end of extended support: from this day on, EKS creates no cluster on it and upgrades
    existing ones."""


def _row(version: str, released: str, end_of_standard: str, end_of_extended: str) -> EksVersion:
    return EksVersion(
        version,
        datetime.date.fromisoformat(released),
        datetime.date.fromisoformat(end_of_standard),
        datetime.date.fromisoformat(end_of_extended),
    )


EKS_VERSIONS: dict[str, EksVersion] = {
    row.version: row
    for row in (
        _row("1.29", "2024-01-23", "2025-03-23", "2026-03-23"),
        _row("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
        _row("1.31", "2024-09-26", "2025-11-26", "2026-11-26"),
        _row("1.32", "2025-01-25", "2026-03-23", "2027-03-23"),
        _row("1.33", "2025-05-28", "2026-07-29", "2027-07-29"),
        _row("1.34", "2025-10-06", "2026-12-02", "2027-12-02"),
        _row("1.35", "2026-01-28", "2027-03-27", "2028-03-27"),
        _row("1.36", "2026-06-02", "2027-08-02", "2028-08-02"),
    )
}
"""The EKS support calendar (source: :data:`EKS_VERSIONS_SOURCE`), oldest first."""

DEFAULT_KUBERNETES_VERSION = "1.36"
"""The newest minor version in the table: standard support until 2027-08-02, and the newest one
Karpenter's compatibility matrix covers (Karpenter >= 1.13)."""


def _today() -> datetime.date:
    """Today's date (UTC); tests replace this function to check the rules on other days."""
    return datetime.datetime.now(datetime.UTC).date()


def _minor(version: str) -> int:
    major, _, minor = version.partition(".")
    return int(minor) if major == "1" and minor.isdigit() else 10**6


def support_status(version: str, today: datetime.date | None = None) -> SupportStatus:
    """Where ``version`` stands on ``today`` (default: :func:`_today`): ``standard``, ``extended``
    (paid), ``unsupported`` (past extended support), or ``unknown`` (not in the table, or not
    released by EKS yet)."""
    row = EKS_VERSIONS.get(version)
    day = today or _today()
    if row is None and _minor(version) < _minor(next(iter(EKS_VERSIONS))):
        return "unsupported"  # older than the oldest row, whose extended support has ended too
    if row is None or day < row.released:
        return "unknown"
    if day < row.end_of_standard:
        return "standard"
    if day < row.end_of_extended:
        return "extended"
    return "unsupported"


def standard_versions(today: datetime.date | None = None) -> list[str]:
    """The versions in standard support on ``today``, oldest first: the ones to suggest."""
    day = today or _today()
    return [version for version in EKS_VERSIONS if support_status(version, day) == "standard"]


SUGGEST_MIN_STANDARD_DAYS = 90
"""A version is suggested as the fix only with this much standard support left (else it is
suggested only when nothing else is in standard support)."""


def _suggestion(today: datetime.date) -> str:
    lasting = [
        version
        for version in standard_versions(today)
        if (EKS_VERSIONS[version].end_of_standard - today).days >= SUGGEST_MIN_STANDARD_DAYS
    ]
    choices = lasting or standard_versions(today)
    if not choices:
        return f"update the version table in components/eks/versions.py from {EKS_VERSIONS_SOURCE}"
    return "use " + " or ".join(", ".join(choices).rsplit(", ", 1))


def kubernetes_version_problem(
    version: str, upgrade_policy: UpgradePolicy, today: datetime.date | None = None
) -> str | None:
    """Why a cluster may not run ``version`` with ``upgrade_policy`` on ``today`` (with the fix), or None.

    Standard support is always fine. Extended support is paid, so it needs ``upgrade_policy:
    EXTENDED`` (with ``STANDARD`` EKS would upgrade the control plane under the stack). Past extended
    support EKS refuses the cluster. An unknown version has no dates to check: add its row.
    """
    day = today or _today()
    status = support_status(version, day)
    if status == "standard":
        return None
    row = EKS_VERSIONS.get(version)
    if status == "unknown":
        known = f"{next(iter(EKS_VERSIONS))}-{next(reversed(EKS_VERSIONS))}"
        return (
            f"{version} is not in the EKS version table ({known}, components/eks/versions.py); "
            f"{_suggestion(day)}, or add its row with the dates from {EKS_VERSIONS_SOURCE}"
        )
    if status == "unsupported":
        ended = f" (it ended on {row.end_of_extended})" if row else ""
        return (
            f"{version} is past EKS extended support{ended}: EKS creates no cluster on it; {_suggestion(day)}"
        )
    if upgrade_policy == "EXTENDED" or row is None:
        return None
    return (
        f"{version} left standard support on {row.end_of_standard}: {_suggestion(day)}, or set "
        f"upgrade_policy: EXTENDED to pay for extended support (until {row.end_of_extended})"
    )


def unquoted_version_hint(value: float | int) -> str:
    """The fix for a version YAML read as a number: ``1.30`` arrives as ``1.3``, so the quoted
    version meant is the one-digit minor with its trailing zero restored (EKS never had 1.1-1.9)."""
    major, _, minor = str(value).partition(".")
    if major != "1" or not minor.isdigit():
        return f'quote the version, e.g. kubernetes_version: "{DEFAULT_KUBERNETES_VERSION}"'
    meant = f"1.{minor}0" if len(minor) == 1 else f"1.{minor}"
    return f'quote the version: kubernetes_version: "{meant}" (YAML reads it unquoted as the number {value})'
