"""Construct server for the Node preview: the Node SDK's mocks hand every ``dataplatform:index:*``
registration here, and the Python provider constructs it under the recording engine's mocks.

One JSON request per line on stdin (``{"type", "name", "inputs"}``); one JSON answer per line on the
original stdout (``{"state", "children"}`` or ``{"error"}``). Anything the program prints goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from components.provider import build_provider
from dpengine.testing import resolve, run_program_fn


def _plain(value: Any) -> Any:
    value = resolve(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def construct(provider: Any, request: dict[str, Any]) -> dict[str, Any]:
    made: list[Any] = []
    run = run_program_fn(
        lambda: made.append(provider.construct(request["name"], request["type"], request["inputs"])),
        project=request.get("project", "team"),
        stack=request.get("stack", "dev"),
    )
    result = made[0]
    urn = resolve(result.urn)
    children = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in run.descendants_of(urn)]
    return {"urn": urn, "state": {k: _plain(v) for k, v in result.state.items()}, "children": children}


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr
    provider = build_provider()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = construct(provider, request)
        except Exception as error:  # noqa: BLE001 - the error goes back to the Node program
            answer = {"error": str(getattr(error, "inner", error))}
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
