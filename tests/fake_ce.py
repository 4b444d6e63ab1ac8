"""A stand-in for Cost Explorer's cost allocation tag API, which moto (5.2) does not implement.

It keeps the state of one account the way the API reports it (AWS Billing and Cost Management API
reference: ``ListCostAllocationTags``, ``UpdateCostAllocationTagsStatus``): a user-defined tag key
is listed only once it has been seen on a resource (``seen``), with ``Status`` ``Active`` or
``Inactive``; activating a key that was never seen comes back in ``Errors``, not as an exception.
Installed by patching ``BaseClient._make_api_call`` for the ``ce`` service only, so every other
call still goes to moto and every session (also the CLI's own) meets the same account.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
from botocore.exceptions import ClientError


class FakeCostExplorer:
    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        """Tag keys AWS has seen on a resource -> ``Active`` / ``Inactive``."""
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.regions: set[str] = set()
        """The endpoints the calls went to."""
        self.deny: set[str] = set()
        """Operations answered with AccessDeniedException (a member account of an organization)."""

    def see(self, *keys: str, active: bool = False) -> None:
        """Tag keys applied to a resource (listed for activation), active or not."""
        for key in keys:
            self.status[key] = "Active" if active else "Inactive"

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        if operation in self.deny:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized (fake)"}}, operation
            )
        if operation == "ListCostAllocationTags":
            keys = params.get("TagKeys") or list(self.status)
            return {
                "CostAllocationTags": [
                    {"TagKey": key, "Type": "UserDefined", "Status": self.status[key]}
                    for key in keys
                    if key in self.status
                ]
            }
        if operation == "UpdateCostAllocationTagsStatus":
            errors = []
            for entry in params["CostAllocationTagsStatus"]:
                key = entry["TagKey"]
                if key not in self.status:
                    errors.append({"TagKey": key, "Code": "TagKeysNotFoundException", "Message": "not found"})
                else:
                    self.status[key] = entry["Status"]
            return {"Errors": errors}
        raise AssertionError(f"the fake Cost Explorer does not serve {operation}")

    @property
    def writes(self) -> list[str]:
        return [name for name, _ in self.calls if not name.startswith(("List", "Get", "Describe"))]


@contextmanager
def fake_cost_explorer() -> Iterator[FakeCostExplorer]:
    fake = FakeCostExplorer()
    original = botocore.client.BaseClient._make_api_call

    def call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "ce":
            fake.regions.add(self.meta.endpoint_url)
            return fake.handle(operation_name, api_params)
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield fake
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
