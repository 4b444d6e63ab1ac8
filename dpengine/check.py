"""Offline policy checks: evaluate the CrossGuard pack on a run captured by the offline engine.

The pack's policies run inside pulumi-policy's own analyzer servicer (the object
``PolicyPack`` serves over gRPC to the Pulumi CLI), driven in-process with the same protobuf
requests the engine sends: ``Configure`` with the reconciled pack config, ``Analyze`` once per
resource and ``AnalyzeStack`` once for the stack. Properties therefore reach the policies in the
CLI's shape (camelCase, numbers as floats, unknowns as the engine's sentinel strings) and
enforcement levels come out of pulumi-policy's own logic.

Reports: text for people, JSON, and SARIF 2.1.0 for code scanning.

    report = evaluate(run_program(".", "prod"), load_config("policies/prod.json"))
    assert not report.mandatory
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Severity
from pulumi_policy.policy import _PolicyAnalyzerServicer

from dpengine import wire
from dpengine.engine import ResourceRecord, StackRun, few_collections

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
"""The policy pack directory (PulumiPolicy.yaml, dev.json, prod.json)."""

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL_FROM_PROTO = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_TO_PROTO = {v: k for k, v in _LEVEL_FROM_PROTO.items()}
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_PREVIEW_SKIP = "can't run policy"


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    """``mandatory`` or ``advisory`` (``remediate`` is reported as mandatory, as the CLI does)."""
    urn: str
    type: str
    name: str
    message: str


@dataclass(frozen=True)
class Exemption:
    policy: str
    urn: str
    type: str
    name: str
    reason: str
    source: str
    """``tag`` (tag or annotation ``policy-exempt.dataplatform.io/<policy>``) or ``config``."""
    message: str
    """The violation the exemption suppressed."""


@dataclass(frozen=True)
class Skipped:
    """A policy that could not run on a resource because a value it read is unknown (preview)."""

    policy: str
    urn: str
    message: str


@dataclass(frozen=True)
class PolicySummary:
    name: str
    domain: str
    kind: str
    description: str
    severity: str
    enforcement: str
    """Effective level after the pack config."""
    remediation: str


@dataclass
class CheckReport:
    project: str
    stack: str
    resource_count: int
    policies: list[PolicySummary]
    violations: list[Violation] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    config_source: str | None = None
    entry_point: str = "__main__.py"
    """The program file results point at in SARIF when a resource's own line is not known."""
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    """URN -> (relative path, line) where the program declared the resource: SARIF locations."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def policy(self, name: str) -> PolicySummary:
        for summary in self.policies:
            if summary.name == name:
                return summary
        raise KeyError(name)

    def summary(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "resources": self.resource_count,
            "policies": len(self.policies),
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "exemptions": len(self.exemptions),
            "skipped": len(self.skipped),
        }

    def to_json(self) -> dict[str, Any]:
        from policies import PACK_NAME, PACK_VERSION

        return {
            "version": 1,
            "project": self.project,
            "stack": self.stack,
            "pack": {"name": PACK_NAME, "version": PACK_VERSION, "config": self.config_source},
            "summary": self.summary(),
            "policies": [asdict(p) for p in self.policies],
            "violations": [asdict(v) for v in self.violations],
            "exemptions": [asdict(e) for e in self.exemptions],
            "skipped": [asdict(s) for s in self.skipped],
        }

    def to_sarif(self) -> dict[str, Any]:
        return _sarif(self)

    def to_text(self) -> str:
        return _text(self)


# --------------------------------------------------------------------------- pack config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a pack config file (the JSON ``--policy-pack-config`` takes)."""
    file = Path(path)
    try:
        data = json.loads(file.read_text())
    except OSError as error:
        raise ValueError(f"cannot read policy config {file}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{file}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{file}: a policy pack config is a JSON object of policy name -> level or settings")
    return data


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """Policy name -> (enforcement level, properties), reconciled as the Pulumi CLI does.

    Schema defaults and each policy's own level first, then ``"all"``, then per-policy entries.
    Stricter than the CLI: unknown policy names and unknown settings are errors (a typo would
    otherwise silently drop an exemption or a setting). Raises ``ValueError`` with every problem.
    """
    from policies import ALL_POLICIES

    problems: list[str] = []
    names = [p.name for p in ALL_POLICIES]
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in ALL_POLICIES:
        schema = policy.config_schema.properties if policy.config_schema else {}
        defaults = {k: v["default"] for k, v in schema.items() if "default" in v}
        default_level = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
        result[policy.name] = (default_level, defaults)

    parsed: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for key, value in (config or {}).items():
        if key != "all" and key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{key}: no policy of that name{hint}")
            continue
        level: str | None = None
        props: dict[str, Any] = {}
        if isinstance(value, str):
            level = value
        elif isinstance(value, dict):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level = value.get("enforcementLevel")
        else:
            problems.append(f"{key}: must be an enforcement level or an object, not {type(value).__name__}")
            continue
        if level is not None and level not in _LEVEL_TO_PROTO:
            problems.append(f"{key}: {level!r} is not an enforcement level ({', '.join(_LEVEL_TO_PROTO)})")
            continue
        if key == "all" and props:
            problems.append(
                "all: only 'enforcementLevel' applies to all policies; put settings under a policy"
            )
        parsed[key] = (level, props)

    if "all" in parsed and parsed["all"][0]:
        result = {name: (str(parsed["all"][0]), props) for name, (_, props) in result.items()}
    for key, (level, props) in parsed.items():
        if key == "all":
            continue
        current_level, current = result[key]
        result[key] = (level or current_level, {**current, **props})

    by_name = {p.name: p for p in ALL_POLICIES}
    for name, (_, props) in result.items():
        policy_schema = by_name[name].config_schema
        known: dict[str, dict[str, Any]] = policy_schema.properties if policy_schema else {}
        for prop in props:
            if prop not in known:
                problems.append(f"{name}.{prop}: unknown setting (known: {', '.join(sorted(known))})")
        problems += [f"{name}: {p}" for p in _schema_problems(known, props)]
    if problems:
        raise ValueError("invalid policy pack config:\n  " + "\n  ".join(problems))
    return result


def _schema_problems(properties: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is optional
        return []
    schema = {"type": "object", "properties": dict(properties)}
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(dict(values)), key=lambda e: list(e.absolute_path))
    ]


# --------------------------------------------------------------------------- requests


def to_wire(value: Any) -> Any:
    """Plain recorded values back to what the engine sends: unknowns as the unknown sentinel."""
    if value is wire.UNKNOWN_VALUE:
        return wire.UNKNOWN
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(to_wire(dict(value)))
    return struct


def _options(record: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=record.protect,
        ignoreChanges=record.ignore_changes,
        deleteBeforeReplace=record.delete_before_replace,
        deleteBeforeReplaceDefined=True,
        additionalSecretOutputs=record.additional_secret_outputs,
        parent=record.parent or "",
    )


def _provider(record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]) -> Any:
    if not record.provider:
        return None
    urn = record.provider.rsplit("::", 1)[0]
    provider = by_urn.get(urn)
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def analyze_request(record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]) -> Any:
    """The ``AnalyzeRequest`` the engine sends for ``record`` (its inputs)."""
    request = analyzer_pb2.AnalyzeRequest(
        type=record.type,
        properties=_struct(record.inputs),
        urn=record.urn,
        name=record.name,
        options=_options(record),
    )
    provider = _provider(record, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_resource(record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]) -> Any:
    """The ``AnalyzerResource`` of ``record`` in ``AnalyzeStack``: inputs plus the outputs it gained."""
    props = dict(record.inputs)
    for key, value in (record.outputs or {}).items():
        props.setdefault(key, value)
    resource = analyzer_pb2.AnalyzerResource(
        type=record.type,
        properties=_struct(props),
        urn=record.urn,
        name=record.name,
        options=_options(record),
        parent=record.parent or "",
        dependencies=record.dependencies,
    )
    for key, urns in record.property_dependencies.items():
        resource.propertyDependencies[key].urns.extend(urns)
    provider = _provider(record, by_urn)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


def make_servicer(
    config: Mapping[str, Any] | None = None,
    *,
    project: str = "",
    stack: str = "",
    policies: Sequence[Any] | None = None,
    resolved_config: dict[str, tuple[str, dict[str, Any]]] | None = None,
) -> Any:
    """pulumi-policy's analyzer servicer for the pack, configured as the CLI would configure it.

    ``policies`` narrows it to some of the pack's policies (default: all of them);
    ``resolved_config`` is ``config`` already through :func:`resolve_config`.
    """
    from policies import ALL_POLICIES, PACK_DESCRIPTION, PACK_ENFORCEMENT_LEVEL, PACK_NAME, PACK_VERSION

    resolved = resolve_config(config) if resolved_config is None else resolved_config
    servicer = _PolicyAnalyzerServicer(
        PACK_NAME,
        PACK_VERSION,
        list(ALL_POLICIES if policies is None else policies),
        PACK_ENFORCEMENT_LEVEL,
        None,
        PACK_DESCRIPTION,
    )
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, props) in resolved.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = _LEVEL_TO_PROTO[level]
        if props:
            entry.properties.update(to_wire(props))
    servicer.Configure(request, None)
    servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(project=project, stack=stack), None)
    return servicer


# --------------------------------------------------------------------------- synthetic runs


def resource_record(
    type_: str,
    name: str,
    props: Mapping[str, Any],
    *,
    project: str = "test",
    stack: str = "test",
    parent: str | None = None,
    provider: str | None = None,
    dependencies: list[str] | None = None,
    property_dependencies: Mapping[str, list[str]] | None = None,
    custom: bool = True,
) -> ResourceRecord:
    """A recorded resource made by hand (camelCase wire props), e.g. to check one resource's props."""
    return ResourceRecord(
        urn=f"urn:pulumi:{stack}::{project}::{type_}::{name}",
        type=type_,
        name=name,
        custom=custom,
        parent=parent,
        inputs=dict(props),
        masked_inputs=dict(props),
        outputs={},
        dependencies=list(dependencies or []),
        property_dependencies={k: list(v) for k, v in (property_dependencies or {}).items()},
        provider=provider,
        protect=False,
        retain_on_delete=False,
        ignore_changes=[],
        delete_before_replace=False,
        replace_on_changes=[],
        additional_secret_outputs=[],
        remote=False,
    )


def synthetic_run(resources: list[ResourceRecord], *, project: str = "test", stack: str = "test") -> StackRun:
    """A StackRun holding ``resources``, to evaluate hand-made props."""
    return StackRun(project=project, stack=stack, resources=list(resources))


# --------------------------------------------------------------------------- evaluation


def evaluate(
    run: StackRun, config: Mapping[str, Any] | None = None, *, config_source: str | None = None
) -> CheckReport:
    """Evaluate every policy of the pack on ``run``: each resource, then the stack."""
    from policies import ALL_POLICIES, REGISTRY
    from policies._common import collect_exemptions

    resolved = resolve_config(config)
    # pulumi-policy re-decodes a resource's properties for every policy it runs, so each
    # resource goes to a servicer holding only the policies that can apply to its type: the
    # same verdicts (a policy skips other types anyway) for a fraction of the decoding.
    by_applicable: dict[tuple[str, ...], Any] = {}
    by_type: dict[str, Any] = {}

    def servicer_for(resource_type: str) -> Any:
        if resource_type not in by_type:
            applicable = [
                p
                for p in ALL_POLICIES
                if REGISTRY[p.name].kind == "resource" and REGISTRY[p.name].applies_to_type(resource_type)
            ]
            key = tuple(p.name for p in applicable)
            if key and key not in by_applicable:
                by_applicable[key] = make_servicer(
                    project=run.project, stack=run.stack, policies=applicable, resolved_config=resolved
                )
            by_type[resource_type] = by_applicable.get(key)
        return by_type[resource_type]

    by_urn = {r.urn: r for r in run.resources}
    violations: list[Violation] = []
    skipped: list[Skipped] = []

    def collect(response: Any, default_urn: str) -> None:
        for diagnostic in response.diagnostics:
            urn = diagnostic.urn or default_urn
            if diagnostic.message.startswith(_PREVIEW_SKIP):
                skipped.append(Skipped(diagnostic.policyName, urn, diagnostic.message))
                continue
            message = diagnostic.message
            prefix = diagnostic.description + "\n"
            if message.startswith(prefix):
                message = message[len(prefix) :]
            found = by_urn.get(urn)
            level = _LEVEL_FROM_PROTO.get(diagnostic.enforcementLevel, "advisory")
            violations.append(
                Violation(
                    policy=diagnostic.policyName,
                    severity=REGISTRY[diagnostic.policyName].severity.value,
                    enforcement="mandatory" if level == "remediate" else level,
                    urn=urn,
                    type=found.type if found else "pulumi:pulumi:Stack",
                    name=found.name if found else f"{run.project}-{run.stack}",
                    message=message or diagnostic.description,
                )
            )

    with collect_exemptions() as applied, few_collections():
        for record in run.resources:
            narrowed = servicer_for(record.type)
            if narrowed is not None:
                collect(narrowed.Analyze(analyze_request(record, by_urn), None), record.urn)
        # Stack policies likewise: each group of policies that read the same types gets only
        # those resources (a policy that declares nothing gets them all).
        groups: dict[frozenset[str] | None, list[Any]] = {}
        for policy in ALL_POLICIES:
            meta = REGISTRY[policy.name]
            if meta.kind == "stack":
                reads = (
                    None
                    if meta.applies is None
                    else frozenset(r.type for r in run.resources if meta.applies_to_type(r.type))
                )
                groups.setdefault(reads, []).append(policy)
        converted: dict[str, Any] = {}
        for reads, stack_policies in groups.items():
            chosen = [r for r in run.resources if reads is None or r.type in reads]
            for record in chosen:
                if record.urn not in converted:
                    converted[record.urn] = stack_resource(record, by_urn)
            stack_servicer = make_servicer(
                project=run.project, stack=run.stack, policies=stack_policies, resolved_config=resolved
            )
            stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[converted[r.urn] for r in chosen])
            collect(stack_servicer.AnalyzeStack(stack_request, None), run.stack_urn)

    exemptions = []
    for item in applied:
        target = by_urn.get(item.urn)
        exemptions.append(
            Exemption(
                policy=item.policy,
                urn=item.urn,
                type=target.type if target else "",
                name=target.name if target else "",
                reason=item.reason,
                source=item.source,
                message=item.message,
            )
        )
    order = {p.name: i for i, p in enumerate(ALL_POLICIES)}
    summaries = [
        PolicySummary(
            name=p.name,
            domain=REGISTRY[p.name].domain,
            kind=REGISTRY[p.name].kind,
            description=p.description,
            severity=(p.severity or Severity.MEDIUM).value,
            enforcement=resolved[p.name][0],
            remediation=p.remediation_steps or "",
        )
        for p in ALL_POLICIES
    ]
    violations.sort(
        key=lambda v: (
            v.enforcement != "mandatory",
            _SEVERITY_ORDER.get(v.severity, 9),
            order.get(v.policy, 0),
            v.urn,
            v.message,
        )
    )
    exemptions.sort(key=lambda e: (order.get(e.policy, 0), e.urn, e.message))
    skipped.sort(key=lambda s: (order.get(s.policy, 0), s.urn))
    return CheckReport(
        project=run.project,
        stack=run.stack,
        resource_count=len(run.resources),
        policies=summaries,
        violations=violations,
        exemptions=exemptions,
        skipped=skipped,
        config_source=config_source,
        entry_point=_entry_point(run),
        sources=_sources(run),
    )


def _relative(path: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.name


def _sources(run: StackRun) -> dict[str, tuple[str, int]]:
    return {r.urn: (_relative(Path(r.source[0])), r.source[1]) for r in run.resources if r.source}


def _entry_point(run: StackRun) -> str:
    if run.project_dir is None:
        return "__main__.py"
    main = run.project_dir / "__main__.py"
    try:
        from dpengine.engine import load_project

        main = load_project(run.project_dir).main
    except Exception:  # noqa: BLE001 the run already succeeded; a default path will do
        pass
    return _relative(main)


# --------------------------------------------------------------------------- renderers


def _text(report: CheckReport) -> str:
    lines = [
        f"Policy check of {report.project}/{report.stack}: {report.resource_count} resources, "
        f"{len(report.policies)} policies"
        + (f" (config {report.config_source})" if report.config_source else " (default config)"),
        "",
    ]
    by_name = {p.name: p for p in report.policies}
    current = None
    for violation in report.violations:
        heading = (violation.enforcement, violation.policy)
        if heading != current:
            if current is not None:
                lines.append("")
            current = heading
            summary = by_name[violation.policy]
            lines.append(f"{violation.enforcement.upper()}  {violation.policy}  [{violation.severity}]")
            lines.append(f"  {summary.description}")
            lines.append(f"  fix: {summary.remediation}")
        lines.append(f"  - {violation.type}  {violation.name}")
        lines.append(f"      {violation.message}")
    if report.violations:
        lines.append("")
    if report.exemptions:
        lines.append(f"Exempted ({len(report.exemptions)}):")
        for exemption in report.exemptions:
            lines.append(
                f"  - {exemption.policy}: {exemption.type}  {exemption.name}  "
                f"reason: {exemption.reason} (by {exemption.source})"
            )
            lines.append(f"      suppressed: {exemption.message}")
        lines.append("")
    if report.skipped:
        lines.append(f"Not evaluated, values unknown until deployment ({len(report.skipped)}):")
        for item in report.skipped:
            lines.append(f"  - {item.policy}: {item.urn}")
        lines.append("")
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(
        f"{verdict}: {len(report.mandatory)} mandatory, {len(report.advisory)} advisory violation(s), "
        f"{len(report.exemptions)} exemption(s)"
    )
    return "\n".join(lines) + "\n"


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _sarif(report: CheckReport) -> dict[str, Any]:
    from policies import PACK_NAME, PACK_VERSION

    rule_index = {p.name: i for i, p in enumerate(report.policies)}
    rules = [
        {
            "id": p.name,
            "name": "".join(part.capitalize() for part in p.name.split("-")),
            "shortDescription": {"text": p.description},
            "fullDescription": {"text": p.description},
            "help": {"text": p.remediation, "markdown": f"**Remediation:** {p.remediation}"},
            "defaultConfiguration": {"level": "error" if p.enforcement == "mandatory" else "warning"},
            "properties": {
                "tags": ["security", p.domain],
                "severity": p.severity,
                "security-severity": _SECURITY_SEVERITY.get(p.severity, "5.5"),
                "enforcementLevel": p.enforcement,
                "kind": p.kind,
            },
        }
        for p in report.policies
    ]

    def location(urn: str, type_: str, name: str) -> dict[str, Any]:
        # The line that declared the resource (a component's child: the component's line),
        # or the program's entry point when that is not known.
        path, line = report.sources.get(urn, (report.entry_point, 1))
        return {
            "physicalLocation": {
                "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": line},
            },
            "logicalLocations": [
                {"name": name, "fullyQualifiedName": urn, "kind": "resource", "decoratedName": type_}
            ],
        }

    results: list[dict[str, Any]] = []
    for v in report.violations:
        results.append(
            {
                "ruleId": v.policy,
                "ruleIndex": rule_index[v.policy],
                "level": "error" if v.enforcement == "mandatory" else "warning",
                "message": {"text": f"{v.type} '{v.name}': {v.message}"},
                "locations": [location(v.urn, v.type, v.name)],
                "partialFingerprints": {"dataplatformPolicy/v1": _fingerprint(v.policy, v.urn, v.message)},
                "properties": {"urn": v.urn, "severity": v.severity, "enforcementLevel": v.enforcement},
            }
        )
    for e in report.exemptions:
        results.append(
            {
                "ruleId": e.policy,
                "ruleIndex": rule_index[e.policy],
                "level": "note",
                "message": {"text": f"{e.type} '{e.name}': {e.message}"},
                "locations": [location(e.urn, e.type, e.name)],
                "suppressions": [
                    {"kind": "inSource" if e.source == "tag" else "external", "justification": e.reason}
                ],
                "partialFingerprints": {"dataplatformPolicy/v1": _fingerprint(e.policy, e.urn, e.message)},
                "properties": {"urn": e.urn, "exemptionSource": e.source},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": f"{PACK_NAME}-policy-pack",
                        "version": PACK_VERSION,
                        "semanticVersion": PACK_VERSION,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"dataplatform-check/{report.project}/{report.stack}/"},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "results": results,
                "properties": {"project": report.project, "stack": report.stack, "summary": report.summary()},
            }
        ],
    }


def render(report: CheckReport, fmt: str = "text") -> str:
    if fmt == "text":
        return report.to_text()
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"
    if fmt == "sarif":
        return json.dumps(report.to_sarif(), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")


# --------------------------------------------------------------------------- CLI


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-config",
        metavar="PATH",
        default=None,
        help="pack config JSON, as for `pulumi preview --policy-pack-config` (default: policies/<stack>.json "
        "in the project, else in the policy pack directory, if present)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("--output", "-o", metavar="FILE", default=None, help="write the report to FILE")


def default_config_path(stack: str, project_dir: Path | None = None) -> Path | None:
    candidates = []
    if project_dir is not None:
        candidates.append(project_dir / "policies" / f"{stack}.json")
    candidates.append(PACK_DIR / f"{stack}.json")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def cli_check(run: StackRun, args: argparse.Namespace) -> int:
    """Evaluate ``run``, print or write the report; 1 when a mandatory policy is violated, else 0."""
    given = getattr(args, "policy_config", None)
    path = Path(given) if given else default_config_path(run.stack, run.project_dir)
    config = load_config(path) if path is not None else None
    source = None
    if path is not None:
        try:
            source = os.path.relpath(path.resolve(), Path.cwd())
        except ValueError:
            source = str(path)
    report = evaluate(run, config, config_source=source)
    fmt = getattr(args, "format", "text") or "text"
    text = render(report, fmt)
    output = getattr(args, "output", None)
    if output:
        Path(output).write_text(text)
        verdict = "passed" if report.passed else "FAILED"
        print(
            f"policy check {verdict}: {len(report.mandatory)} mandatory, {len(report.advisory)} advisory, "
            f"{len(report.exemptions)} exempted; {fmt} report written to {output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return report.exit_code
