"""The EKS version table and the rules a cluster's Kubernetes version follows, on injected dates."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.eks import EKS_VERSIONS, EksClusterSettings, support_status
from components.eks import versions as eks_versions
from components.eks.versions import (
    DEFAULT_KUBERNETES_VERSION,
    kubernetes_version_problem,
    standard_versions,
    unquoted_version_hint,
)

DEC_1_2026 = datetime.date(2026, 12, 1)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime.date]]:
    """The date the rules see; a test sets ``today[0]``."""
    day = [DEC_1_2026]
    monkeypatch.setattr(eks_versions, "_today", lambda: day[0])
    yield day


def issues_of(**fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings(**{"deploy_from": "inside_vpc", "deployer_cidrs": ["10.0.8.0/24"], **fields})
    found = {issue.path: issue.message for issue in err.value.issues}
    assert len(found) == len(err.value.issues), err.value.issues
    return found


# --------------------------------------------------------------------------- the table


def test_the_table_is_the_published_calendar() -> None:
    # The dates of the AWS page (research notes §1), one row per minor version 1.29-1.36.
    rows = {
        v.version: (str(v.released), str(v.end_of_standard), str(v.end_of_extended))
        for v in EKS_VERSIONS.values()
    }
    assert rows == {
        "1.29": ("2024-01-23", "2025-03-23", "2026-03-23"),
        "1.30": ("2024-05-23", "2025-07-23", "2026-07-23"),
        "1.31": ("2024-09-26", "2025-11-26", "2026-11-26"),
        "1.32": ("2025-01-25", "2026-03-23", "2027-03-23"),
        "1.33": ("2025-05-28", "2026-07-29", "2027-07-29"),
        "1.34": ("2025-10-06", "2026-12-02", "2027-12-02"),
        "1.35": ("2026-01-28", "2027-03-27", "2028-03-27"),
        "1.36": ("2026-06-02", "2027-08-02", "2028-08-02"),
    }
    assert list(EKS_VERSIONS) == sorted(EKS_VERSIONS, key=lambda v: int(v.split(".")[1]))
    for row in EKS_VERSIONS.values():
        # The EKS rule: about 14 months standard, then 12 months extended.
        assert 12 * 30 < (row.end_of_extended - row.end_of_standard).days < 13 * 30
        assert 13 * 30 < (row.end_of_standard - row.released).days < 15 * 31
    assert DEFAULT_KUBERNETES_VERSION == "1.36" == next(reversed(EKS_VERSIONS))


def test_support_status_on_the_research_date() -> None:
    got = {version: support_status(version, DEC_1_2026) for version in EKS_VERSIONS}
    assert got == {
        "1.29": "unsupported",
        "1.30": "unsupported",
        "1.31": "unsupported",
        "1.32": "extended",
        "1.33": "extended",
        "1.34": "standard",
        "1.35": "standard",
        "1.36": "standard",
    }
    assert support_status("1.37", DEC_1_2026) == "unknown"
    assert support_status("1.28", DEC_1_2026) == "unsupported"  # older than the oldest row


def test_support_status_boundaries() -> None:
    # Each end date is the first day without that support.
    assert support_status("1.34", datetime.date(2026, 12, 1)) == "standard"
    assert support_status("1.34", datetime.date(2026, 12, 2)) == "extended"
    assert support_status("1.34", datetime.date(2027, 12, 1)) == "extended"
    assert support_status("1.34", datetime.date(2027, 12, 2)) == "unsupported"
    # Not released by EKS yet on that day.
    assert support_status("1.36", datetime.date(2026, 6, 1)) == "unknown"
    assert support_status("1.36", datetime.date(2026, 6, 2)) == "standard"


def test_status_defaults_to_the_injected_today(today: list[datetime.date]) -> None:
    assert support_status("1.34") == "standard"
    today[0] = datetime.date(2026, 12, 2)
    assert support_status("1.34") == "extended"
    assert standard_versions() == ["1.35", "1.36"]


# --------------------------------------------------------------------------- the rules


def test_standard_support_is_accepted_with_either_policy() -> None:
    for policy in ("STANDARD", "EXTENDED"):
        assert kubernetes_version_problem("1.36", policy, DEC_1_2026) is None  # type: ignore[arg-type]
        assert kubernetes_version_problem("1.35", policy, DEC_1_2026) is None  # type: ignore[arg-type]


def test_extended_support_needs_the_extended_policy() -> None:
    assert kubernetes_version_problem("1.33", "STANDARD", DEC_1_2026) == (
        "1.33 left standard support on 2026-07-29: use 1.35 or 1.36, or set upgrade_policy: EXTENDED "
        "to pay for extended support (until 2027-07-29)"
    )
    assert kubernetes_version_problem("1.33", "EXTENDED", DEC_1_2026) is None


def test_past_extended_support_is_refused_whatever_the_policy() -> None:
    message = (
        "1.31 is past EKS extended support (it ended on 2026-11-26): EKS creates no cluster on it; "
        "use 1.35 or 1.36"
    )
    assert kubernetes_version_problem("1.31", "STANDARD", DEC_1_2026) == message
    assert kubernetes_version_problem("1.31", "EXTENDED", DEC_1_2026) == message
    # The day before, it was merely extended.
    assert kubernetes_version_problem("1.31", "EXTENDED", datetime.date(2026, 11, 25)) is None


def test_unknown_version_names_the_table() -> None:
    assert kubernetes_version_problem("1.37", "STANDARD", DEC_1_2026) == (
        "1.37 is not in the EKS version table (1.29-1.36, components/eks/versions.py); use 1.35 or 1.36, "
        "or add its row with the dates from https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
    )


def test_suggestions_skip_a_version_about_to_leave_standard_support() -> None:
    # On 2026-12-01, 1.34 is standard for one more day: not worth suggesting.
    assert standard_versions(DEC_1_2026) == ["1.34", "1.35", "1.36"]
    assert "use 1.35 or 1.36," in str(kubernetes_version_problem("1.32", "STANDARD", DEC_1_2026))
    # With nothing lasting 90 days, every standard version is suggested.
    late = datetime.date(2027, 7, 1)
    assert kubernetes_version_problem("1.34", "STANDARD", late) == (
        "1.34 left standard support on 2026-12-02: use 1.36, or set upgrade_policy: EXTENDED to pay for "
        "extended support (until 2027-12-02)"
    )
    # Past the end of the table: the fix is to update it.
    assert kubernetes_version_problem("1.36", "STANDARD", datetime.date(2027, 9, 1)) == (
        "1.36 left standard support on 2027-08-02: update the version table in components/eks/versions.py "
        "from https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html, or set "
        "upgrade_policy: EXTENDED to pay for extended support (until 2028-08-02)"
    )


# --------------------------------------------------------------------------- in the settings


def test_settings_default_to_the_newest_version_and_standard_policy(today: list[datetime.date]) -> None:
    settings = EksClusterSettings(deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"])
    assert (settings.kubernetes_version, settings.upgrade_policy) == ("1.36", "STANDARD")


def test_settings_report_the_version_rule_at_its_key(today: list[datetime.date]) -> None:
    assert issues_of(kubernetes_version="1.32") == {
        "kubernetes_version": (
            "1.32 left standard support on 2026-03-23: use 1.35 or 1.36, or set upgrade_policy: EXTENDED "
            "to pay for extended support (until 2027-03-23)"
        )
    }
    assert (
        EksClusterSettings(
            deploy_from="inside_vpc",
            deployer_cidrs=["10.0.8.0/24"],
            kubernetes_version="1.32",
            upgrade_policy="EXTENDED",
        ).upgrade_policy
        == "EXTENDED"
    )
    assert issues_of(kubernetes_version="1.30", upgrade_policy="EXTENDED") == {
        "kubernetes_version": (
            "1.30 is past EKS extended support (it ended on 2026-07-23): EKS creates no cluster on it; "
            "use 1.35 or 1.36"
        )
    }
    assert set(issues_of(kubernetes_version="1.37")) == {"kubernetes_version"}
    # The same settings on another day: 1.34 is fine today, not tomorrow.
    assert (
        EksClusterSettings(
            deploy_from="inside_vpc", deployer_cidrs=["10.0.8.0/24"], kubernetes_version="1.34"
        ).kubernetes_version
        == "1.34"
    )
    today[0] = datetime.date(2026, 12, 2)
    assert set(issues_of(kubernetes_version="1.34")) == {"kubernetes_version"}


def test_upgrade_policy_spelling(today: list[datetime.date]) -> None:
    assert issues_of(upgrade_policy="extended") == {
        "upgrade_policy": "unknown upgrade policy; did you mean 'EXTENDED'? use STANDARD or EXTENDED"
    }
    assert issues_of(upgrade_policy="PAID") == {
        "upgrade_policy": "unknown upgrade policy; use STANDARD or EXTENDED"
    }


def test_unquoted_versions_get_the_version_meant(today: list[datetime.date]) -> None:
    # YAML reads 1.30 as the float 1.3: the fix names "1.30", not "1.3".
    assert unquoted_version_hint(1.3) == (
        'quote the version: kubernetes_version: "1.30" (YAML reads it unquoted as the number 1.3)'
    )
    assert unquoted_version_hint(1.36) == (
        'quote the version: kubernetes_version: "1.36" (YAML reads it unquoted as the number 1.36)'
    )
    assert unquoted_version_hint(2) == 'quote the version, e.g. kubernetes_version: "1.36"'
    assert issues_of(kubernetes_version=1.3) == {"kubernetes_version": unquoted_version_hint(1.3)}
    assert issues_of(kubernetes_version=1.35) == {"kubernetes_version": unquoted_version_hint(1.35)}


def test_versions_are_pinned_minors(today: list[datetime.date]) -> None:
    pin = "pin a Kubernetes minor version such as '1.36' (no 'latest', no 'v' prefix, no patch)"
    for bad in ("latest", "1.36.1", "v1.36", "1"):
        assert issues_of(kubernetes_version=bad) == {"kubernetes_version": pin}, bad
