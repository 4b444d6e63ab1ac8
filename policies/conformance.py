"""What the provider's Check (and the Kubernetes API server) would reject, found before deployment.

``provider-conformance`` checks every resource's inputs against the installed provider SDK's own
type metadata (:mod:`._sdk_types`): unknown keys at any depth (a typo in a dict literal reaches
the provider as an unknown snake_case key), missing required nested keys, values outside a closed
enum (case included), deprecated resource types and properties. Kubernetes objects are checked
against the cluster version's strict OpenAPI schema, custom resources against the CRD schemas the
pack ships (:mod:`._k8s_schema`). The Kubernetes version comes from the pack config
(``kubernetesVersion``), else from the ``version`` of the EKS cluster in the stack, else the newest.

A value unknown during preview is never a violation: where it hides what the rule must see (an
object with required keys, an enum value, a Kubernetes object's required fields),
``provider-conformance-undecided`` says so, as an advisory.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from . import _k8s_schema, _sdk_types
from ._common import UNKNOWN, ResourceContext, contains_unknown, resource_policy
from ._sdk_types import OPEN, Enum, ListOf, MapOf, Obj

DOMAIN = "conformance"
CLUSTER_TYPES = ("aws:eks/cluster:Cluster", "eks:index:Cluster")
# Kubernetes resource types that are not API objects: checked against the SDK's types instead.
_NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize")


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def _is_k8s_object(token: str) -> bool:
    return token.startswith("kubernetes:") and not token.startswith(_NOT_OBJECTS)


def _suggest(key: str, shape: Obj) -> str:
    names = list(shape.fields) + list(shape.python_names.values())
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if not close:
        return f"known keys: {', '.join(sorted(shape.fields))}"
    wire = next((w for w, py in shape.python_names.items() if py == close[0]), close[0])
    python = shape.python_names.get(wire, wire)
    return f"did you mean '{python}' ({wire})?" if python != wire else f"did you mean '{wire}'?"


def _walk(value: Any, shape: Any, path: str, found: Findings) -> None:
    if shape is OPEN or value is None:
        return
    if value is UNKNOWN:
        if (isinstance(shape, Obj) and shape.required) or (isinstance(shape, Enum) and not shape.open):
            found.undecided.append(f"{path} is unknown until deployment")
        return
    if isinstance(shape, Obj):
        _walk_object(value, shape, path, found)
    elif isinstance(shape, ListOf) and isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, _resolve(shape.item), f"{path}[{index}]", found)
    elif isinstance(shape, MapOf) and isinstance(value, dict):
        for key, item in value.items():
            _walk(item, _resolve(shape.value), f"{path}.{key}", found)
    elif isinstance(shape, Enum) and isinstance(value, str) and value not in shape.values:
        same_case = [v for v in shape.values if v.lower() == value.lower()]
        if shape.open and not same_case:
            return  # an open enum takes values the SDK does not list (new instance types, engines)
        hint = f"write '{same_case[0]}' (values are case-sensitive)" if same_case else "use one of them"
        if shape.open:
            found.problems.append(
                f"{path}: '{value}' differs from '{same_case[0]}' ({shape.cls.__name__}) only by case; write "
                f"'{same_case[0]}' (the provider compares values case-sensitively)"
            )
            return
        found.problems.append(
            f"{path}: '{value}' is not one of {', '.join(repr(v) for v in shape.values)} "
            f"({shape.cls.__name__}); {hint}"
        )


def _resolve(shape_or_hint: Any) -> Any:
    if shape_or_hint is OPEN or isinstance(shape_or_hint, (Obj, ListOf, MapOf, Enum)):
        return shape_or_hint
    return _sdk_types.shape_of(shape_or_hint)


def _walk_object(value: Any, shape: Obj, path: str, found: Findings, *, top: bool = False) -> None:
    if not isinstance(value, dict):
        return  # a JSON string or another form the provider decodes itself
    prefix = f"{path}." if path else ""
    for key, item in value.items():
        if key not in shape.fields:
            found.problems.append(
                f"{prefix}{key}: unknown key (not in {shape.cls.__name__}); {_suggest(key, shape)} "
                "The provider rejects it, or drops it silently"
            )
            continue
        if key in shape.deprecated and item is not None:
            found.problems.append(f"{prefix}{key} is deprecated: {shape.deprecated[key]}")
        _walk(item, _resolve(shape.fields[key]), f"{prefix}{key}", found)
    # A resource's own required inputs are enforced by the SDK's constructor; one absent from the
    # properties was unknown (preview drops unknown inputs). Nested ones come from dict literals.
    for key in [] if top else sorted(shape.required):
        if value.get(key) is None:
            python = shape.python_names.get(key, key)
            found.problems.append(
                f"{prefix}{key}: required key missing ({shape.cls.__name__} requires '{python}'); set it"
            )


_CLUSTER_VERSIONS: dict[str, str] = {}
"""Stack (``urn:pulumi:<stack>::<project>``) -> the lowest Kubernetes version of its EKS clusters.

Resources are analyzed in registration order, and an EKS cluster is registered before the objects
deployed to it (their provider depends on it), so a resource rule can learn the version first."""


def _stack_of(urn: str) -> str:
    return "::".join(urn.split("::")[:2])


def _note_cluster_version(ctx: ResourceContext) -> None:
    version = ctx.props.get("version")
    if isinstance(version, str) and version:
        key = _stack_of(ctx.urn)
        known = _CLUSTER_VERSIONS.get(key)
        if known is None or _k8s_schema._minor(version) < _k8s_schema._minor(known):
            _CLUSTER_VERSIONS[key] = version


def _k8s_version(ctx: ResourceContext) -> str:
    configured = ctx.config.get("kubernetesVersion")
    if isinstance(configured, str) and configured:
        return _k8s_schema.schema_version(configured)
    return _k8s_schema.schema_version(_CLUSTER_VERSIONS.get(_stack_of(ctx.urn)))


def _prune(value: Any, path: str, unknown: list[str]) -> Any:
    """``value`` without the unknown parts (their paths in ``unknown``), for schema validation."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if item is UNKNOWN:
                unknown.append(f"{path}.{key}" if path else key)
            else:
                kept[key] = _prune(item, f"{path}.{key}" if path else key, unknown)
        return kept
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            if item is UNKNOWN:
                unknown.append(f"{path}.{index}")
            else:
                out.append(_prune(item, f"{path}.{index}", unknown))
        return out
    return value


def _check_k8s(props: dict[str, Any], version: str, found: Findings, *, patch: bool = False) -> None:
    """``patch``: a ``<Kind>Patch`` (server-side apply), partial by nature: it names the fields it
    changes and the live object keeps the rest, so the schema's required fields are not required."""
    api_version, kind = props.get("apiVersion"), props.get("kind")
    if api_version is UNKNOWN or kind is UNKNOWN:
        found.undecided.append("apiVersion/kind unknown until deployment")
        return
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return  # the SDK always sets both: not an object this rule can read
    validator, what = _k8s_schema.validator_for(api_version, kind, version)
    if validator is None:
        if "." in api_version.split("/")[0]:
            found.undecided.append(
                f"no schema for {api_version} {kind} (not a Kubernetes {version} API, and no CRD schema in "
                "the pack's crds/): its fields are not checked"
            )
        return
    unknown: list[str] = []
    document = _prune(props, "", unknown)
    for path, keyword, message in _k8s_schema.schema_errors(validator, document):
        if keyword == "required" and patch:
            continue
        # "(document)" is the object itself: any unknown top-level value may be the missing key.
        root = path == "(document)"
        hidden = any(root or u == path or u.startswith(path + ".") for u in unknown)
        if keyword in ("oneOf", "anyOf") and hidden:
            # Which alternative the object is depends on a value unknown until deployment.
            found.undecided.append(
                f"{path}: no alternative matches yet ({message}), unless an unknown value decides it"
            )
            continue
        if keyword == "required" and hidden:
            found.undecided.append(f"{path}: {message}, unless an unknown value provides it")
            continue
        found.problems.append(f"{path}: {message} ({what}, strict)")


def findings(ctx: ResourceContext) -> Findings:
    """Everything this domain finds about one resource's inputs."""
    found = Findings()
    if ctx.type in CLUSTER_TYPES:
        _note_cluster_version(ctx)
    if _is_k8s_object(ctx.type):
        _check_k8s(ctx.props, _k8s_version(ctx), found, patch=ctx.type.endswith("Patch"))
        return found
    message = _sdk_types.deprecated_type(ctx.type)
    if message:
        found.problems.append(f"the resource type is deprecated: {message}")
    shape = _sdk_types.resource_shape(ctx.type)
    if shape is not None:
        _walk_object(ctx.props, shape, "", found, top=True)
    return found


_CONFIG = {
    "kubernetesVersion": {
        "type": "string",
        "description": "The clusters' Kubernetes version (e.g. '1.31') whose OpenAPI schema "
        "Kubernetes objects "
        "must pass; default: the version of the EKS cluster in the stack, else the newest known.",
    }
}


@resource_policy(
    "provider-conformance",
    domain=DOMAIN,
    description="Inputs the provider's Check, or the Kubernetes API server, would reject: unknown or missing "
    "keys at any depth, values outside an enum, deprecated types and properties, objects that do not "
    "fit the cluster version's OpenAPI schema or their CRD schema.",
    severity=Severity.HIGH,
    remediation="Fix the key the message names (it suggests the closest known key); set the required key; "
    "use one of the enum's values exactly (case matters); move off the deprecated type or property "
    "as its message says. For Kubernetes objects, follow the schema path in the message.",
    enforcement=EnforcementLevel.MANDATORY,
    config=_CONFIG,
)
def provider_conformance(ctx: ResourceContext) -> None:
    for text in findings(ctx).problems:
        ctx.report(f"'{ctx.name}' ({ctx.type}): {text}")


@resource_policy(
    "provider-conformance-undecided",
    domain=DOMAIN,
    description="Where provider-conformance cannot decide: a value unknown until deployment hides required "
    "keys or an enum value, or a custom resource has no schema in the pack.",
    severity=Severity.LOW,
    remediation="Nothing to fix if the value is right: the provider checks it at deployment. "
    "Ship a CRD schema "
    "in the pack's crds/ directory to have custom resources checked.",
    enforcement=EnforcementLevel.ADVISORY,
    config=_CONFIG,
)
def provider_conformance_undecided(ctx: ResourceContext) -> None:
    # Without an unknown value everything is decided (custom resources without a schema aside).
    if not contains_unknown(ctx.props) and not (_is_k8s_object(ctx.type) and "." in ctx.type.split(":")[1]):
        return
    for text in findings(ctx).undecided:
        ctx.report(f"'{ctx.name}' ({ctx.type}): {text}")


POLICIES = [provider_conformance, provider_conformance_undecided]
