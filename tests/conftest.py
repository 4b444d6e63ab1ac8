"""Shared fixtures. Component tests run code with :func:`dpengine.testing.run_component`."""

from __future__ import annotations

import pytest

TAGS = {
    "Environment": "dev",
    "Project": "dataplatform",
    "Owner": "platform-team",
    "CostCenter": "cc-1234",
    "ManagedBy": "pulumi",
}


@pytest.fixture
def tags() -> dict[str, str]:
    """A valid stack tag set (all required keys)."""
    return dict(TAGS)


@pytest.fixture(autouse=True)
def _report_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text reports take their width from COLUMNS; pytest-xdist sets it (80) in its workers, so each
    test starts without it, as a report written to a file or pipe (120 columns)."""
    monkeypatch.delenv("COLUMNS", raising=False)
