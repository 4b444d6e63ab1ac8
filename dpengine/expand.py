"""The Kubernetes objects inside YAML manifests and Helm charts, as the deployment would create them.

Three shapes reach the engine:

- ``kubernetes.yaml.ConfigFile``/``ConfigGroup`` (v1) and ``kubernetes.helm.v3.Chart`` run in the
  program: they call the provider's ``kubernetes:yaml:decode`` and ``kubernetes:helm:template``
  invokes and register each object themselves. The mocks here answer those invokes
  (:func:`decode_yaml`, :func:`template_chart`), so the objects are recorded like any resource.
- ``kubernetes.yaml.v2.ConfigFile``/``ConfigGroup`` and ``kubernetes.helm.v4.Chart`` are
  multi-language components: the provider plugin parses or renders and registers the children,
  so under mocks each is one resource. :func:`expand_records` adds the children the provider
  would register, named as it names them (pulumi-kubernetes
  ``provider/pkg/provider/yaml/v2/yaml.go``, ``parseUnstructured``: ``<prefix>-<namespace>/<name>``,
  the prefix defaulting to the component's name; ``v1/Secret`` ``data``/``stringData`` secret).
- ``kubernetes.helm.v3.Release`` is one resource for real too: Helm renders and applies the chart
  inside the provider. Its rendered objects are recorded as its children so policies see them.

Charts are rendered with Helm itself (its Go SDK through ``helm-python-sdk``, the ``helm`` extra)
when the chart is on disk. A chart from a repository or an OCI registry cannot be fetched offline:
it is listed as not evaluated ("remote chart"), and its values stay on the resource for the
policies that read them. Nothing is dropped silently.
"""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .transforms import NotEvaluated

CONFIG_GROUP_V2 = "kubernetes:yaml/v2:ConfigGroup"
CONFIG_FILE_V2 = "kubernetes:yaml/v2:ConfigFile"
CHART_V4 = "kubernetes:helm.sh/v4:Chart"
RELEASE_V3 = "kubernetes:helm.sh/v3:Release"
CHART_V3 = "kubernetes:helm.sh/v3:Chart"
EXPANDED_TYPES = (CONFIG_GROUP_V2, CONFIG_FILE_V2, CHART_V4, RELEASE_V3)
REMOTE_CHART = "remote chart"
"""``NotEvaluated.what`` of a chart that comes from a repository or registry."""

# pulumi-kubernetes yaml/v2 isGlobPattern: any unescaped *, ? or [.
_GLOB = re.compile(r"(?:^|[^\\])[*?\[]")


class ExpansionError(Exception):
    """A manifest or chart the provider would refuse (bad YAML, an object without a name)."""


def decode_yaml(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML (or JSON) text; empty documents skipped, as the provider does."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise ExpansionError(f"decoding YAML: {error}") from None
    return [d for d in documents if isinstance(d, dict) and d]


def _flatten(objects: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``*List`` kinds traversed into their items, as the API server (and the provider) does."""
    out: list[dict[str, Any]] = []
    for obj in objects:
        kind = str(obj.get("kind", ""))
        if kind.endswith("List") and isinstance(obj.get("items"), list):
            out += _flatten(i for i in obj["items"] if isinstance(i, dict))
        else:
            out.append(dict(obj))
    return out


def object_type(obj: Mapping[str, Any]) -> str:
    """The Pulumi type token of an object: ``apps/v1`` ``Deployment`` -> ``kubernetes:apps/v1:Deployment``."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not api_version or not kind:
        shown = json.dumps(obj, sort_keys=True, default=str)[:100]
        raise ExpansionError(f"Kubernetes resources require a kind and apiVersion: `{shown}`")
    group, _, version = str(api_version).rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def child_name(obj: Mapping[str, Any], prefix: str) -> str:
    metadata = obj.get("metadata") or {}
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not name:
        shown = json.dumps(obj, sort_keys=True, default=str)[:100]
        raise ExpansionError(f"YAML object does not have a .metadata.name: `{shown}`")
    namespace = metadata.get("namespace")
    resource_name = f"{namespace}/{name}" if namespace else str(name)
    return f"{prefix}-{resource_name}" if prefix else resource_name


def _is_url(value: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --------------------------------------------------------------------------- Helm


def helm_renderer() -> Any | None:
    """Helm's own renderer (``helm_python``, Helm's Go SDK); None without the ``helm`` extra."""
    try:
        import helm_python
    except (ImportError, OSError):  # OSError: the native library cannot load on this platform
        return None
    return helm_python


def local_chart(chart: str, repository: str | None) -> Path | None:
    """The chart's directory or archive when it is on disk; None for a repository or registry chart."""
    if not chart or repository or _is_url(chart):
        return None
    path = Path(chart)
    return path if path.is_dir() or (path.is_file() and path.suffix in (".tgz", ".gz")) else None


def render_chart(path: Path, values: Mapping[str, Any], release: str, namespace: str) -> list[dict[str, Any]]:
    """The chart's objects as ``helm template`` renders them (hooks and notes left out, as Pulumi does)."""
    helm = helm_renderer()
    if helm is None:
        raise ExpansionError("no Helm renderer: install the 'helm' extra (pip install helm-python-sdk)")
    loader = helm.Chart.load if path.is_dir() else (lambda p: helm.Chart.load_archive(Path(p).read_bytes()))
    try:
        with loader(str(path)) as chart:
            manifests = chart.render(dict(values), name=release, namespace=namespace, is_install=True)
    except Exception as error:  # noqa: BLE001 Helm's own message names the template and line
        raise ExpansionError(f"rendering chart {path}: {error}") from None
    objects: list[dict[str, Any]] = []
    for template in sorted(manifests):
        if template.endswith("NOTES.txt"):
            continue
        for obj in decode_yaml(manifests[template]):
            annotations = (obj.get("metadata") or {}).get("annotations") or {}
            if "helm.sh/hook" in annotations:
                continue
            objects.append(obj)
    return _flatten(objects)


def _values(inputs: Mapping[str, Any]) -> dict[str, Any]:
    values = inputs.get("values")
    return dict(values) if isinstance(values, dict) else {}


# --------------------------------------------------------------------------- v1: the invokes


def template_chart(json_opts: str) -> tuple[list[dict[str, Any]], str | None]:
    """What ``kubernetes:helm:template`` returns for a v1 ``helm.v3.Chart``: its objects, or why none."""
    opts = json.loads(json_opts)
    release = str(opts.get("release_name") or opts.get("releaseName") or "release")
    namespace = str(opts.get("namespace") or "default")
    chart, reason = _remote_reason(opts)
    if reason is not None:
        return [], reason
    return render_chart(Path(chart), _values(opts), release, namespace), None


# --------------------------------------------------------------------------- v2 and releases: the children


class Child:
    """One object the provider would register, under ``parent``."""

    def __init__(self, parent_urn: str, type_: str, name: str, obj: dict[str, Any]) -> None:
        self.parent_urn = parent_urn
        self.type = type_
        self.name = name
        self.object = obj

    def secret_keys(self) -> list[str]:
        if self.type == "kubernetes:core/v1:Secret":
            return [k for k in ("data", "stringData") if k in self.object]
        return []


def _yaml_objects(inputs: Mapping[str, Any], *, glob_files: bool) -> tuple[list[dict[str, Any]], list[str]]:
    objects = [dict(o) for o in _as_list(inputs.get("objs")) if isinstance(o, dict)]
    remote: list[str] = []
    texts = [t for t in _as_list(inputs.get("yaml")) if isinstance(t, str)]
    files = [str(f) for f in _as_list(inputs.get("files") or inputs.get("file")) if f]
    for file in files:
        if _is_url(file):
            remote.append(file)
            continue
        matches = sorted(glob.glob(file)) if glob_files and _GLOB.search(file) else [file]
        for match in matches:
            try:
                texts.append(Path(match).read_text())
            except OSError as error:
                raise ExpansionError(f"reading YAML file from disk: {match}: {error.strerror}") from None
    for text in texts:
        objects += decode_yaml(text)
    return _flatten(objects), remote


def expand(
    urn: str, type_: str, name: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]
) -> tuple[list[Child], list[NotEvaluated]]:
    """The children the provider would register for one v2 YAML component, v4 chart or v3 release."""
    prefix = str(inputs.get("resourcePrefix") or name) if type_ != RELEASE_V3 else name
    missed: list[NotEvaluated] = []
    if type_ in (CONFIG_GROUP_V2, CONFIG_FILE_V2):
        objects, remote = _yaml_objects(inputs, glob_files=type_ == CONFIG_GROUP_V2)
        for url in remote:
            missed.append(
                NotEvaluated(
                    urn,
                    type_,
                    name,
                    "remote YAML",
                    f"{url} would be fetched at deploy time; offline it cannot be",
                )
            )
    else:
        chart = str(inputs.get("chart") or "")
        repository = (
            (inputs.get("repositoryOpts") or {}).get("repo")
            if isinstance(inputs.get("repositoryOpts"), dict)
            else None
        )
        path = local_chart(chart, repository)
        if path is None:
            source = repository or chart
            version = inputs.get("version")
            missed.append(
                NotEvaluated(
                    urn,
                    type_,
                    name,
                    REMOTE_CHART,
                    f"chart {chart!r}{f' {version}' if version else ''}"
                    f"{f' from {source!r}' if source != chart else ''} cannot be fetched "
                    "offline (no chart repository): its templates are not rendered, so the objects it "
                    "creates are not checked; only its values are (helm-values-insecure)",
                )
            )
            return [], missed
        if helm_renderer() is None:
            missed.append(
                NotEvaluated(
                    urn,
                    type_,
                    name,
                    "local chart",
                    "no Helm renderer installed (pip install 'dataplatform[helm]')",
                )
            )
            return [], missed
        release = str(inputs.get("name") or outputs.get("name") or name)
        namespace = str(inputs.get("namespace") or "default")
        objects = render_chart(path, _values(inputs), release, namespace)
    children = [Child(urn, object_type(obj), child_name(obj, prefix), obj) for obj in objects]
    return children, missed


def expand_all(
    records: Iterable[Any], make_child: Callable[[Any, Child], Any]
) -> tuple[list[Any], list[NotEvaluated]]:
    """Children (``make_child(record, child)``) and not-evaluated entries of every record to expand."""
    made: list[Any] = []
    missed: list[NotEvaluated] = []
    for record in list(records):
        if record.type not in EXPANDED_TYPES:
            continue
        children, not_seen = expand(record.urn, record.type, record.name, record.inputs, record.outputs or {})
        made += [make_child(record, child) for child in children]
        missed += not_seen
    return made, missed


def chart_invoke_entries(
    invokes: Iterable[tuple[str, dict[str, Any]]], records: Iterable[Any]
) -> list[NotEvaluated]:
    """A not-evaluated entry for each v1 ``helm.v3.Chart`` whose chart is remote (its template invoke)."""
    charts = {r.name: r for r in records if r.type == CHART_V3}
    out: list[NotEvaluated] = []
    for token, args in invokes:
        if token != "kubernetes:helm:template":
            continue
        opts = json.loads(str(args.get("jsonOpts") or "{}"))
        release = str(opts.get("release_name") or opts.get("releaseName") or "")
        _, reason = _remote_reason(opts)
        if reason is None:
            continue
        record = charts.get(release)
        urn = record.urn if record else ""
        out.append(NotEvaluated(urn, CHART_V3, release, REMOTE_CHART, reason))
    return out


def _remote_reason(opts: Mapping[str, Any]) -> tuple[str, str | None]:
    chart = str(opts.get("path") or opts.get("chart") or "")
    fetch = opts.get("fetch_opts") or opts.get("fetchOpts") or {}
    repository = opts.get("repo") or (fetch.get("repo") if isinstance(fetch, dict) else None)
    if local_chart(chart, repository) is not None:
        return chart, None
    return chart, (
        f"chart {chart!r} from {repository or chart!r} cannot be fetched offline (no chart repository): "
        "its objects are not created here and not checked"
    )
