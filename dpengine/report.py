"""Renderers of a :class:`~dpengine.check.CheckReport`: text for people, JSON, SARIF 2.1.0 (code scanning)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import CheckReport

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def text_report(report: CheckReport) -> str:
    lines = [
        f"Policy check of {report.project}/{report.stack}: {report.resource_count} resources, "
        f"{len(report.policies)} policies"
        + f" (config: {report.config_source or 'the policies own levels'})",
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
        if violation.flow is not None:
            lines.append(f"  - flow {violation.flow}  hop {violation.hop}")
        else:
            lines.append(f"  - {violation.type}  {violation.name}")
        # The line that declared the resource (as SARIF's location), so an editor can jump there.
        path, line = report.sources.get(violation.urn, (report.entry_point, 1))
        lines.append(f"      at {path}:{line}")
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
    if report.skipped_policies:
        lines.append(
            f"Skipped by --skip-policy ({len(report.skipped_policies)}): {', '.join(report.skipped_policies)}"
        )
        lines.append("")
    if report.skipped:
        lines.append(f"Not evaluated, values unknown until deployment ({len(report.skipped)}):")
        for item in report.skipped:
            lines.append(f"  - {item.policy}: {item.urn}")
        lines.append("")
    if report.secret_leaks:
        lines.append(f"SECRETS WITHOUT THEIR MARK ({len(report.secret_leaks)}): a secure: config value")
        lines.append("  would be stored in plain text in the state; pass it as pulumi.Output.secret:")
        for urn, path in report.secret_leaks:
            lines.append(f"  - {urn or 'stack outputs'}: {path}")
        lines.append("")
    if report.not_evaluated:
        lines.append(f"Not evaluated, cannot be seen offline ({len(report.not_evaluated)}):")
        for missed in report.not_evaluated:
            lines.append(f"  - {missed.type}  {missed.name}: {missed.what}")
            lines.append(f"      {missed.reason}")
        lines.append("")
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(
        f"{verdict}: {len(report.mandatory)} mandatory, {len(report.advisory)} advisory violation(s), "
        f"{len(report.exemptions)} exemption(s)"
    )
    return "\n".join(lines) + "\n"


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def sarif_report(report: CheckReport) -> dict[str, Any]:
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
                "properties": {
                    "urn": v.urn,
                    "severity": v.severity,
                    "enforcementLevel": v.enforcement,
                    **({"flow": v.flow, "hop": v.hop} if v.flow is not None else {}),
                },
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
    # SARIF 2.1.0 3.58: a tool notification reports a condition of the run itself, not a result
    # about the code: what could not be analyzed goes there, one per item, as a warning.
    notifications = [
        {
            "level": "error",
            "message": {"text": f"a secure: config value reaches {path} without its secret mark"},
            "properties": {"urn": urn},
        }
        for urn, path in report.secret_leaks
    ] + [
        {
            "level": "warning",
            "message": {"text": f"not evaluated: {n.what}: {n.type} '{n.name}': {n.reason}"},
            "locations": [location(n.urn, n.type, n.name)],
            "properties": {"urn": n.urn, "notEvaluated": n.what},
        }
        for n in report.not_evaluated
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": f"{report.pack_name}-policy-pack",
                        "version": report.pack_version,
                        "semanticVersion": report.pack_version,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"dataplatform-check/{report.project}/{report.stack}/"},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "results": results,
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "properties": {
                    "project": report.project,
                    "stack": report.stack,
                    "summary": report.summary(),
                    "packConfig": report.config_source or "the policies own levels",
                },
            }
        ],
    }


def render(report: CheckReport, fmt: str = "text") -> str:
    """The report as ``text``, ``json`` or ``sarif``."""
    if fmt == "text":
        return text_report(report)
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif_report(report), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
