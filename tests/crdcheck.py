"""Validate the custom resources the project emits, two ways (no package ships the CRD YAML):

1. :func:`model_errors`: the published models of npm ``@kubernetes-models/karpenter`` and
   ``@kubernetes-models/keda`` (validators generated from the projects' Go types: enums, patterns,
   required keys), run by ``tests/crd/validate.mjs`` under node. Skipped (with the reason) only
   when node is not installed; ``make test`` installs the packages (``npm ci --prefix tests/crd``).
2. :func:`strict_errors`: the project's strict structural schemas in ``policies/crds/`` (shipped with
   the pack, whose provider-conformance policy checks them too; every object
   ``additionalProperties: false``, written from the documented API), plus the CRDs' CEL rules that
   matter, hand-coded in :func:`cel_errors`.

:func:`assert_valid` runs both and fails with every problem of every document.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
CRD_PROJECT = ROOT / "tests" / "crd"
SCHEMAS = ROOT / "policies" / "crds"  # the pack validates against the same files

FORBIDDEN_TAG_KEYS = (
    "eks:eks-cluster-name",
    "karpenter.sh/nodepool",
    "karpenter.sh/nodeclaim",
    "karpenter.k8s.aws/ec2nodeclass",
)
_FORBIDDEN_TAG_PATTERN = re.compile(r"^kubernetes\.io/cluster")
_RESTRICTED_LABEL_DOMAINS = ("karpenter.sh", "karpenter.k8s.aws", "kubernetes.io", "k8s.io")


def _schema_file(document: Mapping[str, Any]) -> Path:
    group = str(document.get("apiVersion", "")).replace("/", "_")
    return SCHEMAS / f"{group}_{document.get('kind')}.json"


@functools.cache
def _validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _where(error: jsonschema.ValidationError) -> str:
    return "/" + "/".join(str(part) for part in error.absolute_path)


def cel_errors(document: Mapping[str, Any]) -> list[str]:
    """The CRDs' CEL rules (``x-kubernetes-validations``) that the project's documents could break."""
    spec = document.get("spec") or {}
    errors: list[str] = []
    if document.get("kind") == "EC2NodeClass":
        if ("role" in spec) == ("instanceProfile" in spec):
            errors.append("/spec: must specify exactly one of ['role', 'instanceProfile']")
        terms = spec.get("amiSelectorTerms") or []
        if any("alias" in term for term in terms):
            if len(terms) != 1:
                errors.append("/spec/amiSelectorTerms: an alias term must be the only term")
            elif len(terms[0]) != 1:
                errors.append("/spec/amiSelectorTerms/0: an alias term may not carry other fields")
        for key in spec.get("tags") or {}:
            if key in FORBIDDEN_TAG_KEYS or _FORBIDDEN_TAG_PATTERN.match(key):
                errors.append(f"/spec/tags: tag key {key!r} is reserved by Karpenter")
    if document.get("kind") == "NodePool":
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        for key in labels:
            domain = key.partition("/")[0] if "/" in key else ""
            if any(domain == d or domain.endswith("." + d) for d in _RESTRICTED_LABEL_DOMAINS):
                errors.append(f"/spec/template/metadata/labels: label domain of {key!r} is restricted")
        for index, requirement in enumerate((template.get("spec") or {}).get("requirements") or []):
            if requirement.get("key") == "karpenter.sh/nodepool":
                errors.append(
                    f"/spec/template/spec/requirements/{index}: key karpenter.sh/nodepool is restricted"
                )
    if document.get("kind") == "TriggerAuthentication":
        identity = spec.get("podIdentity") or {}
        if "roleArn" in identity and "identityOwner" in identity:
            errors.append("/spec/podIdentity: roleArn and identityOwner are mutually exclusive")
    if document.get("kind") in ("ScaledObject", "ScaledJob"):
        low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            errors.append(f"/spec: minReplicaCount {low} is greater than maxReplicaCount {high}")
        for index, trigger in enumerate(spec.get("triggers") or []):
            if "identityOwner" in (trigger.get("metadata") or {}):
                errors.append(
                    f"/spec/triggers/{index}/metadata: identityOwner is deprecated (aws-eks only); "
                    "use a TriggerAuthentication"
                )
    return errors


def strict_errors(document: Mapping[str, Any]) -> list[str]:
    """Problems of ``document`` under the project's strict schema and the CEL rules (empty: valid)."""
    path = _schema_file(document)
    if not path.exists():
        return [f"no strict schema for {document.get('apiVersion')}/{document.get('kind')} in {SCHEMAS}"]
    found = [
        f"{_where(error)}: {error.message}"
        for error in sorted(_validator(path).iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    return found + cel_errors(document)


def model_errors(documents: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Problems of each document under the published models (one list per document, in order)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not installed: the published Karpenter/KEDA models run under node "
            "(make test installs it)"
        )
    if not (CRD_PROJECT / "node_modules" / "@kubernetes-models").is_dir():
        raise AssertionError(
            f"the CRD models are not installed: run `npm ci --prefix {CRD_PROJECT.relative_to(ROOT)}`"
        )
    result = subprocess.run(
        [node, str(CRD_PROJECT / "validate.mjs")],
        input=json.dumps(list(documents)),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise AssertionError(f"validate.mjs failed ({result.returncode}): {result.stderr}")
    return [entry["errors"] for entry in json.loads(result.stdout)]


def assert_valid(*documents: Mapping[str, Any]) -> None:
    """Every document passes the published models and the strict schemas (all problems at once)."""
    problems: list[str] = []
    for document, errors in zip(documents, model_errors(documents)):
        name = f"{document.get('kind')} {(document.get('metadata') or {}).get('name')}"
        problems += [f"{name} (model): {error}" for error in errors]
        problems += [f"{name} (strict): {error}" for error in strict_errors(document)]
    if problems:
        raise AssertionError("invalid custom resources:\n  " + "\n  ".join(problems))
