"""Offline policy checks: evaluate a CrossGuard pack on a run captured by the offline engine.

The engine is handed the pack (a :class:`~dpengine.pack.PolicyPackSpec`); it never imports one.
The pack's policies run inside pulumi-policy's own analyzer servicer (the object
``PolicyPack`` serves over gRPC to the Pulumi CLI), driven in-process with the same protobuf
requests the engine sends: ``Configure`` with the reconciled pack config, ``Analyze`` once per
resource and ``AnalyzeStack`` once for the stack. Properties therefore reach the policies in the
CLI's shape (camelCase, numbers as floats, unknowns as the engine's sentinel strings) and
enforcement levels come out of pulumi-policy's own logic.

Reports (:mod:`dpengine.report`): text for people, JSON, and SARIF 2.1.0 for code scanning.

    pack = PolicyPackSpec.from_module(policies)
    report = evaluate(run_program(".", "prod"), pack, load_config("policies/prod.json"))
    assert not report.mandatory
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi_policy import Severity

from . import wire
from ._sdk import analyzer_pb2, policy_analyzer_servicer
from .engine import STACK_TYPE, NotEvaluated, ResourceRecord, StackRun, few_collections, load_project
from .pack import DEFAULT_CONFIG_SOURCE as DEFAULT_CONFIG_SOURCE
from .pack import LEVELS as LEVELS
from .pack import PolicyInfo as PolicyInfo
from .pack import PolicyPackSpec as PolicyPackSpec
from .pack import choose_config as choose_config
from .pack import default_config_path as default_config_path
from .pack import default_pack_config as default_pack_config
from .pack import load_config as load_config
from .pack import load_pack_dir as load_pack_dir
from .pack import resolve_config as resolve_config
from .pack import skipping_config
from .report import FORMATS as FORMATS
from .report import render as render

_LEVEL_FROM_PROTO = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_TO_PROTO = {v: k for k, v in _LEVEL_FROM_PROTO.items()}
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
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
    flow: str | None = None
    """The data flow a broken hop belongs to (the ``data-flows`` policy), else None."""
    hop: str | None = None
    """The broken hop of ``flow``."""


_FLOW_HOP = re.compile(r'^flow ("(?:[^"\\]|\\.)*"), hop ("(?:[^"\\]|\\.)*") \(')


def flow_and_hop(message: str) -> tuple[str | None, str | None]:
    """The flow and hop a data-flow violation names (``flow "<flow>", hop "<hop>" (<kind>): ...``)."""
    match = _FLOW_HOP.match(message)
    if match is None:
        return None, None
    try:
        return json.loads(match.group(1)), json.loads(match.group(2))
    except ValueError:
        return None, None


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
    pack_name: str = ""
    pack_version: str = ""
    secret_leaks: list[tuple[str, str]] = field(default_factory=list)
    """(URN, property path) where a ``secure:`` config value lost its secret mark: fails the check."""
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    """What a real deployment would create or change that the run could not see (transforms on a
    multi-language component's children, remote Helm charts): listed in every format, never dropped."""
    skipped_policies: list[str] = field(default_factory=list)
    """Policies turned off for this run by ``--skip-policy`` (listed in every report)."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory and not self.secret_leaks

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
            "notEvaluated": len(self.not_evaluated),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "project": self.project,
            "stack": self.stack,
            "pack": {"name": self.pack_name, "version": self.pack_version, "config": self.config_source},
            "summary": self.summary(),
            "policies": [asdict(p) for p in self.policies],
            "violations": [asdict(v) for v in self.violations],
            "exemptions": [asdict(e) for e in self.exemptions],
            "skipped": [asdict(s) for s in self.skipped],
            "notEvaluated": [asdict(n) for n in self.not_evaluated],
            "secretLeaks": [{"urn": u, "path": p} for u, p in self.secret_leaks],
            "skipped_policies": list(self.skipped_policies),
        }

    def to_sarif(self) -> dict[str, Any]:
        from .report import sarif_report

        return sarif_report(self)

    def to_text(self) -> str:
        from .report import text_report

        return text_report(self)


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
    pack: PolicyPackSpec,
    config: Mapping[str, Any] | None = None,
    *,
    project: str = "",
    stack: str = "",
    policies: Sequence[Any] | None = None,
    resolved_config: dict[str, tuple[str, dict[str, Any]]] | None = None,
) -> Any:
    """pulumi-policy's analyzer servicer for ``pack``, configured as the CLI would configure it.

    ``policies`` narrows it to some of the pack's policies (default: all of them);
    ``resolved_config`` is ``config`` already through :func:`resolve_config`.
    """
    resolved = resolve_config(pack, config) if resolved_config is None else resolved_config
    servicer = policy_analyzer_servicer(
        pack.name,
        pack.version,
        list(pack.policies if policies is None else policies),
        pack.enforcement_level,
        pack.description,
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
    run: StackRun,
    pack: PolicyPackSpec,
    config: Mapping[str, Any] | None = None,
    *,
    config_source: str | None = None,
) -> CheckReport:
    """Evaluate every policy of ``pack`` on ``run``: each resource, then the stack.

    ``config`` is the pack config (the JSON ``--policy-pack-config`` takes); ``config_source``
    names where it came from in the report.
    """
    if not isinstance(pack, PolicyPackSpec):
        raise TypeError(
            f"evaluate(run, pack, config): the pack comes second, not a {type(pack).__name__} "
            "(e.g. PolicyPackSpec.from_module(policies))"
        )
    registry = pack.registry
    resolved = resolve_config(pack, config)
    from .cost.budget import with_cost_estimate

    resolved = with_cost_estimate(run, pack.policies, resolved)
    # pulumi-policy re-decodes a resource's properties for every policy it runs, so each
    # resource goes to a servicer holding only the policies that can apply to its type: the
    # same verdicts (a policy skips other types anyway) for a fraction of the decoding.
    by_applicable: dict[tuple[str, ...], Any] = {}
    by_type: dict[str, Any] = {}

    def servicer_for(resource_type: str) -> Any:
        if resource_type not in by_type:
            applicable = [
                p
                for p in pack.policies
                if registry[p.name].kind == "resource" and registry[p.name].applies_to_type(resource_type)
            ]
            key = tuple(p.name for p in applicable)
            if key and key not in by_applicable:
                by_applicable[key] = make_servicer(
                    pack, project=run.project, stack=run.stack, policies=applicable, resolved_config=resolved
                )
            by_type[resource_type] = by_applicable.get(key)
        return by_type[resource_type]

    by_urn = {r.urn: r for r in run.resources}
    violations: list[Violation] = []
    skipped: list[Skipped] = []

    def collect(response: Any, default_urn: str) -> None:
        for diagnostic in response.diagnostics:
            urn = diagnostic.urn or default_urn
            message = diagnostic.message
            prefix = diagnostic.description + "\n"
            if message.startswith(prefix):
                message = message[len(prefix) :]
            # pulumi-policy's own skip (a value unknown during preview), or a policy that says it
            # cannot decide in the same words (the budget without an estimate): skipped, not violated.
            if message.startswith(_PREVIEW_SKIP):
                skipped.append(Skipped(diagnostic.policyName, urn, message))
                continue
            found = by_urn.get(urn)
            level = _LEVEL_FROM_PROTO.get(diagnostic.enforcementLevel, "advisory")
            flow, hop = flow_and_hop(message)
            violations.append(
                Violation(
                    policy=diagnostic.policyName,
                    severity=registry[diagnostic.policyName].severity.value,
                    enforcement="mandatory" if level == "remediate" else level,
                    urn=urn,
                    type=found.type if found else "pulumi:pulumi:Stack",
                    name=found.name if found else f"{run.project}-{run.stack}",
                    message=message or diagnostic.description,
                    flow=flow,
                    hop=hop,
                )
            )

    with pack.collect_exemptions() as applied, few_collections():
        for record in run.resources:
            narrowed = servicer_for(record.type)
            if narrowed is not None:
                collect(narrowed.Analyze(analyze_request(record, by_urn), None), record.urn)
        # Stack policies likewise: each group of policies that read the same types gets only
        # those resources (a policy that declares nothing gets them all).
        groups: dict[frozenset[str] | None, list[Any]] = {}
        for policy in pack.policies:
            meta = registry[policy.name]
            if meta.kind == "stack":
                reads = (
                    None
                    if meta.applies is None
                    else frozenset(
                        t for t in {STACK_TYPE, *(r.type for r in run.resources)} if meta.applies_to_type(t)
                    )
                )
                groups.setdefault(reads, []).append(policy)
        converted: dict[str, Any] = {}
        # Read resources (a StackReference) are in the stack's state, which AnalyzeStack is given: a
        # property that depends on one comes from a resource (``no-plaintext-secret-property``).
        # The root stack is there too, with its outputs (the data-flows policy reads dataFlows).
        stack_state = [_root_stack(run), *run.resources, *(r for r in run.reads if r.urn not in by_urn)]
        for reads, stack_policies in groups.items():
            chosen = [r for r in stack_state if reads is None or r.type in reads]
            for record in chosen:
                if record.urn not in converted:
                    converted[record.urn] = stack_resource(record, by_urn)
            stack_servicer = make_servicer(
                pack, project=run.project, stack=run.stack, policies=stack_policies, resolved_config=resolved
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
    order = {p.name: i for i, p in enumerate(pack.policies)}
    summaries = [
        PolicySummary(
            name=p.name,
            domain=registry[p.name].domain,
            kind=registry[p.name].kind,
            description=p.description,
            severity=(p.severity or Severity.MEDIUM).value,
            enforcement=resolved[p.name][0],
            remediation=p.remediation_steps or "",
        )
        for p in pack.policies
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
        pack_name=pack.name,
        pack_version=pack.version,
        not_evaluated=list(run.not_evaluated),
        secret_leaks=list(run.secret_leaks),
    )


def _root_stack(run: StackRun) -> ResourceRecord:
    """The root ``pulumi:pulumi:Stack`` resource, its properties the stack's outputs (secrets masked).

    The engine hands ``AnalyzeStack`` every resource of the deployment, the root stack included, with
    its final outputs as properties (pulumi/pulumi ``pkg/resource/deploy/step_generator.go``,
    ``AnalyzeResources``): a stack policy reads the stack's exports there (the data-flow proof reads
    ``dataFlows``).
    """
    record = resource_record(
        STACK_TYPE, f"{run.project}-{run.stack}", {}, project=run.project, stack=run.stack, custom=False
    )
    record.outputs = dict(run.masked_outputs or {})
    return record


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
    try:
        main = load_project(run.project_dir).main
    except Exception:  # noqa: BLE001 the run already succeeded; a default path will do
        main = run.project_dir / "__main__.py"
    return _relative(main)


# --------------------------------------------------------------------------- CLI


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-pack",
        metavar="DIR",
        default=None,
        help="policy pack directory, as for `pulumi preview --policy-pack` (a package publishing "
        "ALL_POLICIES; default: the dataplatform pack)",
    )
    parser.add_argument(
        "--policy-config",
        metavar="PATH",
        default=None,
        help="pack config JSON, as for `pulumi preview --policy-pack-config` (default: policies/<stack>.json "
        "in the project, else <stack>.json in the policy pack directory, if present)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument(
        "--output", "-o", metavar="FILE", default=None, help="write the report to FILE (- : stdout)"
    )
    parser.add_argument(
        "--skip-policy",
        action="append",
        metavar="NAME",
        default=[],
        help="do not run policy NAME for this run (shown in the report); repeatable",
    )
    parser.add_argument(
        "--no-fail",
        action="store_true",
        help="report violations but exit 0 (bad input and errors keep their codes)",
    )
    parser.add_argument(
        "--summary",
        metavar="FILE",
        default=None,
        help="also append the text report to FILE as a Markdown code block (e.g. $GITHUB_STEP_SUMMARY), "
        "so one run gives both the SARIF and the readable report",
    )


def cli_check(run: StackRun, args: argparse.Namespace, pack: PolicyPackSpec) -> int:
    """Evaluate ``run`` against ``pack``, print or write the report; 1 when a mandatory policy is
    violated, else 0."""
    given = getattr(args, "policy_config", None)
    if given:
        path: Path | None = Path(given)
        config: dict[str, Any] | None = load_config(given)
        origin = "--policy-config"
    else:
        config, path, origin = choose_config(run.stack, run.project_dir, pack)
    source = origin
    if path is not None:
        try:
            shown = os.path.relpath(path.resolve(), Path.cwd())
        except ValueError:
            shown = str(path)
        source = f"{shown} ({origin})"
    skip = list(getattr(args, "skip_policy", None) or [])
    config = skipping_config(pack, config, skip)
    report = evaluate(run, pack, config, config_source=source)
    report.skipped_policies = skip
    fmt = getattr(args, "format", "text") or "text"
    from .textio import fit_lines, is_stdout, report_width, write_text

    text = render(report, fmt)
    if fmt == "text":
        text = fit_lines(text, report_width())
    output = getattr(args, "output", None)
    write_text(output, text, f"{fmt} report")
    if not is_stdout(output):
        verdict = "passed" if report.passed else "FAILED"
        print(
            f"policy check {verdict}: {len(report.mandatory)} mandatory, {len(report.advisory)} advisory, "
            f"{len(report.exemptions)} exempted; {fmt} report written to {output}",
            file=sys.stderr,
        )
    summary = getattr(args, "summary", None)
    if summary:
        readable = text if fmt == "text" else render(report, "text")
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(f"### Policy check of {run.project}/{run.stack}\n\n```\n{readable.rstrip()}\n```\n")
    return 0 if getattr(args, "no_fail", False) else report.exit_code
