"""Would a first ``pulumi up`` get through? Awaited pods on an image nobody pushed, and charts or add-ons
on a Kubernetes version they do not support.

``awaited-image-pushed``: pulumi-kubernetes awaits a Deployment until it is Available, a Job until it
completes, a Service until its endpoints are ready (each resource's await rules, in the SDK docstrings),
unless the object carries ``pulumi.com/skipAwait: "true"``. An image in an ECR repository the same plan
creates does not exist until CI pushes it, so the pods sit in ImagePullBackOff and the await times out.

``chart-version-support``: the compatibility table ``policies/kubernetes_versions.json`` (a source per
row; the components read the same file) against the cluster's Kubernetes version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, get, stack_policy
from . import _model as m

DOMAIN = "system"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
SKIP_AWAIT = "pulumi.com/skipAwait"
AWAITED = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:core/v1:Pod": (),
}
"""Workloads whose creation Pulumi awaits until their pods run, and where their pod spec is."""
TABLE = Path(__file__).resolve().parent.parent / "kubernetes_versions.json"


def _images(spec: Any) -> list[Any]:
    containers = [*(get(spec, "containers") or []), *(get(spec, "initContainers") or [])]
    return [get(c, "image") for c in containers if isinstance(c, dict)]


def _repository_names(ctx: StackContext) -> dict[str, Any]:
    """URN -> the repository's name (UNKNOWN when auto-named or unknown)."""
    return {r.urn: r.props.get("name", UNKNOWN) or UNKNOWN for r in ctx.of_type(ECR_REPOSITORY)}


def _from_repository(image: Any, name: Any) -> bool:
    if not isinstance(image, str) or not isinstance(name, str):
        return False
    host, _, rest = image.partition("/")
    return ".dkr.ecr." in host and rest.split("@", 1)[0].rsplit(":", 1)[0] == name


@stack_policy(
    "awaited-image-pushed",
    domain=DOMAIN,
    description="A workload Pulumi awaits does not run an image from an ECR repository the same plan "
    "creates (nobody has pushed it yet).",
    severity=Severity.HIGH,
    remediation="Create the repository first and push before the workloads (a separate stack or step), or "
    'annotate the workload (and its Service) pulumi.com/skipAwait: "true" so the first deploy does not '
    "wait for pods that cannot pull; CI checks the rollout after it pushes.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=lambda t: t == ECR_REPOSITORY or t in AWAITED,
)
def awaited_image_pushed(ctx: StackContext) -> None:
    repositories = _repository_names(ctx)
    if not repositories:
        return
    for resource in ctx.of_type(*AWAITED):
        annotations = get(resource.props, "metadata", "annotations")
        if annotations is UNKNOWN:
            ctx.undecided(
                f"{resource.type.rsplit(':', 1)[-1]} '{resource.name}': its annotations are unknown during "
                "preview, so awaited-image-pushed cannot tell whether Pulumi awaits it",
                resource.urn,
            )
            continue
        if isinstance(annotations, dict) and str(annotations.get(SKIP_AWAIT, "")).lower() == "true":
            continue
        spec = (
            get(resource.props, *AWAITED[resource.type], "spec")
            if AWAITED[resource.type]
            else get(resource.props, "spec")
        )
        linked = {u for key in ("spec",) for u in resource.property_dependencies.get(key, [])}
        found = [repositories[u] for u in linked if u in repositories]
        found += [
            name for name in repositories.values() for image in _images(spec) if _from_repository(image, name)
        ]
        if not found:
            continue
        label = next((n for n in found if isinstance(n, str)), "created in this plan")
        ctx.report(
            f"{resource.type.rsplit(':', 1)[-1]} '{resource.name}' runs an image from the ECR repository "
            f"'{label}', which this plan creates empty, and Pulumi awaits its pods: the first `pulumi up` "
            "times out in ImagePullBackOff. Push the image before the workload exists, or annotate it "
            'pulumi.com/skipAwait: "true"',
            resource.urn,
        )


# --------------------------------------------------------------------------- versions


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _minor(version: str) -> str:
    return ".".join(version.lstrip("v").split("-", 1)[0].split(".")[:2])


def version_problem(table: dict[str, Any], product: str, version: str, kubernetes: str) -> str | None:
    """Why ``product`` at ``version`` is outside the table for ``kubernetes`` (the same rules as
    ``components/eks/compat.py``, which a test holds equal), or None."""
    row = table["charts"][product]
    if row["rule"] == "minimum":
        minimum = row["minimum"].get(kubernetes)
        if minimum is None:
            return f"the table has no {product} row for Kubernetes {kubernetes}"
        return None if _key(version) >= _key(minimum) else f"{product} >= {minimum} is needed"
    minor = _minor(version)
    if row["rule"] == "range":
        window = row["range"].get(minor)
        if window is None:
            return f"{product} {minor} is not in the table"
        low, high = window
        return (
            None
            if _key(low) <= _key(kubernetes) <= _key(high)
            else f"{product} {minor} is tested on {low}-{high}"
        )
    start = row["from"].get(minor)
    if start is None:
        return f"{product} {minor} is not in the table"
    return None if _key(kubernetes) >= _key(start) else f"{product} {minor} needs Kubernetes {start}+"


def _cluster_versions(ctx: StackContext, model: m.Model) -> dict[str, Any]:
    return {urn: cluster.resource.props.get("version", UNKNOWN) for urn, cluster in model.clusters.items()}


@stack_policy(
    "chart-version-support",
    domain=DOMAIN,
    description="Karpenter, KEDA and metrics-server versions support the cluster's Kubernetes version "
    "(policies/kubernetes_versions.json, with its sources).",
    severity=Severity.HIGH,
    remediation="Pick a chart or add-on version whose supported range contains the cluster's Kubernetes "
    "version (the table's source says which), or change the cluster version.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=lambda t: t in m.CLUSTER_READS or t in m.HELM_TYPES or t == m.ADDON,
)
def chart_version_support(ctx: StackContext) -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    model = m.build(ctx)
    versions = _cluster_versions(ctx, model)
    found: list[tuple[Any, str, Any, str]] = []
    for helm in model.helm():
        if helm.chart in ("karpenter", "keda"):
            found.append((helm.resource, helm.chart, helm.resource.props.get("version"), helm.key))
    for addon in model.addons():
        if addon.name == "metrics-server":
            found.append(
                (addon.resource, "metrics-server", addon.resource.props.get("addonVersion"), addon.key)
            )
    for resource, product, version, key in found:
        kubernetes = versions.get(key)
        label = f"{resource.type.rsplit(':', 1)[-1]} '{resource.name}'"
        if key not in model.clusters:
            ctx.undecided(
                f"{label}: its cluster is not declared in this program, so its Kubernetes version is unknown"
            )
            continue
        if version is None and product == "metrics-server":
            continue  # unpinned: EKS resolves the add-on version for the cluster's version
        if not isinstance(version, str) or not isinstance(kubernetes, str):
            ctx.undecided(
                f"{label}: the {product} or cluster version is unknown during preview", resource.urn
            )
            continue
        problem = version_problem(table, product, version, kubernetes)
        if problem is not None:
            ctx.report(
                f"{label} installs {product} {version} on cluster '{model.clusters[key].resource.name}' "
                f"(Kubernetes {kubernetes}), outside its supported range: {problem} "
                f"({table['charts'][product]['source'].split(' ', 1)[0]})",
                resource.urn,
            )


POLICIES = [awaited_image_pushed, chart_version_support]
