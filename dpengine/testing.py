"""Test helpers every component test uses: run code under recording mocks, inspect what it made.

Mocks fail loudly on an unknown invoke (naming the token), ids and ARNs are
deterministic, and results are plain data, so assertions run synchronously
after the program finished and cannot be skipped by an unreturned Output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pulumi

from ._sdk import resolve_output
from .engine import ResourceRecord, StackRun, run_function

T = TypeVar("T")


@dataclass
class ComponentRun(Generic[T]):
    """A component made under mocks, with everything it registered."""

    run: StackRun
    component: T
    record: ResourceRecord
    """The component's own registration."""

    @property
    def children(self) -> list[ResourceRecord]:
        """Every resource below the component (children, grandchildren...)."""
        return self.run.descendants_of(self.record.urn)

    def of_type(self, token: str) -> list[ResourceRecord]:
        return [r for r in self.children if r.type == token]

    def one(self, token: str, name: str | None = None) -> ResourceRecord:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            raise AssertionError(
                f"expected one {token} named {name!r}, found {[r.name for r in self.of_type(token)]}"
            )
        return found[0]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.children:
            counts[record.type] = counts.get(record.type, 0) + 1
        return counts

    def value(self, output: Any) -> Any:
        """The resolved value of an Output the component exposes."""
        return resolve(output)


def resolve(output: Any) -> Any:
    """Resolve an Output (or plain value) after its run finished."""
    return resolve_output(output)


def run_component(
    factory: Callable[[], T],
    *,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
    preview: bool = False,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
) -> ComponentRun[T]:
    """Make the component ``factory`` returns, under mocks; return it and all it registered.

    Exceptions raised while making it propagate (use ``pytest.raises``).
    """
    made: list[T] = []

    def program() -> None:
        made.append(factory())

    run = run_function(
        program,
        project="test",
        stack=stack,
        config={"aws:region": region, **(config or {})},
        region=region,
        preview=preview,
        stack_references=stack_references,
    )
    component = made[0]
    urn = resolve(component.urn) if isinstance(component, pulumi.Resource) else None
    record = run.get(urn) if urn else None
    if record is None:
        raise AssertionError("the factory must return the component it made")
    return ComponentRun(run=run, component=component, record=record)


def run_program_fn(program: Callable[[], None], **kwargs: Any) -> StackRun:
    """Run a function that declares resources; return the recorded run."""
    return run_function(program, **kwargs)


def assert_tagged(
    records: list[ResourceRecord],
    tags: Mapping[str, str],
    *,
    is_taggable: Callable[[str], bool] | None = None,
) -> None:
    """Every taggable AWS resource among ``records`` carries ``tags`` in its inputs.

    Which types take tags is the policy pack's rule (``policies.is_taggable``, derived from the
    provider SDK), taken from the pack beside the engine unless ``is_taggable`` is given: this
    module is the tests' composition root, as the CLI is the command line's.
    """
    if is_taggable is None:
        from ._siblings import sibling

        is_taggable = sibling("policies").is_taggable
    missing = []
    for record in records:
        if not is_taggable(record.type):
            continue
        given = record.inputs.get("tags") or {}
        absent = {k: v for k, v in tags.items() if given.get(k) != v}
        if absent:
            missing.append(f"{record.type} {record.name}: missing {absent}")
    if missing:
        raise AssertionError("untagged resources:\n  " + "\n  ".join(missing))
