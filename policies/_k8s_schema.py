"""Kubernetes objects against the cluster version's OpenAPI schema (strict), custom resources against
the CRD schemas the pack ships (``policies/crds/``).

The OpenAPI schemas are those of the ``kubernetes-validate`` package (its ``-strict`` variants:
every object ``additionalProperties: false``, as the API server's field validation in ``Strict``
mode). A validator is built once per (version, kind) and cached: ``kubernetes_validate.validate``
reloads the definitions file on every call.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

CRDS = Path(__file__).resolve().parent / "crds"
"""The strict schemas of the custom resources the project emits (``<group>_<version>_<Kind>.json``)."""


def crd_schema_file(api_version: str, kind: str) -> Path:
    return CRDS / f"{api_version.replace('/', '_')}_{kind}.json"


@functools.cache
def _versions() -> tuple[str, ...]:
    from kubernetes_validate import utils

    return tuple(utils.all_versions())


def schema_version(requested: str | None) -> str:
    """The newest schema version not newer than ``requested`` (``1.31``); the newest when None."""
    versions = _versions()
    if not requested:
        return versions[-1]
    wanted = _minor(requested)
    fitting = [v for v in versions if _minor(v) <= wanted]
    return fitting[-1] if fitting else versions[0]


def _minor(version: str) -> tuple[int, int]:
    match = re.match(r"v?(\d+)\.(\d+)", str(version))
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


@functools.cache
def _openapi_validator(version: str, kind: str, api_version: str) -> Any:
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    directory = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = utils.schema_contents(f"{directory}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        return None
    definitions = utils.schema_contents(f"{directory}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@functools.cache
def _crd_validator(api_version: str, kind: str) -> Any:
    path = crd_schema_file(api_version, kind)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def validator_for(api_version: str, kind: str, version: str) -> tuple[Any, str]:
    """(validator, what it is) for an object; (None, "") when no schema is known."""
    found = _openapi_validator(version, kind, api_version)
    if found is not None:
        return found, f"the Kubernetes {version} OpenAPI schema"
    found = _crd_validator(api_version, kind)
    if found is not None:
        return found, f"the CRD schema {crd_schema_file(api_version, kind).name}"
    return None, ""


def schema_errors(validator: Any, document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(path, validator keyword, message) for each problem; alternatives reduced to the best match."""
    found = []
    for error in validator.iter_errors(document):
        keyword = str(error.validator)
        if error.context:
            # The alternatives' best match says what to fix; the keyword stays the alternative's
            # (oneOf/anyOf), so a caller knows no single branch was required.
            error = best_match(error.context)
        path = ".".join(str(p) for p in error.absolute_path) or "(document)"
        found.append(
            (path, keyword if keyword in ("oneOf", "anyOf") else str(error.validator), error.message)
        )
    return sorted(set(found))
