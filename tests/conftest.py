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
