"""The plan's Kubernetes objects as multi-document YAML manifests (for checkov, Trivy, KICS, kubeconform).

Every ``kubernetes:<group>/<version>:<Kind>`` resource becomes the object it creates: its inputs
are the object (wire names are Kubernetes' own camelCase), with ``apiVersion`` and ``kind`` from
the type token. Helm releases and charts and YAML components are left out and listed: the objects
of a YAML component or a chart on disk are in the plan as their children (``dpengine.expand``) and
written as themselves; a chart from a repository cannot be rendered offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ..diff import plan_states


def api_version_kind(token: str) -> tuple[str, str] | None:
    """``kubernetes:apps/v1:Deployment`` -> (``apps/v1``, ``Deployment``); core is ``v1``."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    group, version = parts[1].split("/", 1)
    # A yaml/v2 ConfigGroup or ConfigFile is a Pulumi component, not an object: its objects are
    # its children in the plan and are written as themselves.
    if group in ("helm.sh", "yaml") or parts[2].endswith("List"):
        return None
    return (version if group == "core" else f"{group}/{version}"), parts[2]


def kubernetes_manifests(plan: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The objects (sorted by URN), and the URNs of Kubernetes resources left out."""
    objects: list[dict[str, Any]] = []
    skipped: list[str] = []
    for urn, state in sorted(plan_states(plan).items()):
        if not state["type"].startswith("kubernetes:"):
            continue
        found = api_version_kind(state["type"])
        if found is None:
            skipped.append(urn)
            continue
        api_version, kind = found
        body = {k: v for k, v in state.get("inputs", {}).items() if k not in ("apiVersion", "kind")}
        objects.append({"apiVersion": api_version, "kind": kind, **body})
    return objects, skipped


def manifests_yaml(objects: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=True, explicit_start=True, default_flow_style=False)
