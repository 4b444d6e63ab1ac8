"""Shared machinery of the policy pack: a registry of policies with their metadata, plain views of
properties (unknowns made explicit), and exemptions.

Every policy is a real ``pulumi_policy`` policy (``ResourceValidationPolicy`` or
``StackValidationPolicy``) carrying its severity and remediation steps natively, so
``pulumi preview --policy-pack policies`` and the offline ``dataplatform check`` run the very
same objects. Rules are written as small functions over a context:

* ``ctx.props`` is a plain copy of the properties (camelCase wire shape) in which any value
  unknown during preview is the :data:`UNKNOWN` sentinel: a rule that meets it must not
  report a violation (the value is decided at deployment, and checked then).
* ``ctx.report(message)`` reports a violation unless the resource is exempted from this policy,
  in which case the would-be violation is recorded as an exemption with its reason.

Exemptions (one convention, two places):

1. On the resource: an AWS tag, or a Kubernetes annotation, whose key is
   ``policy-exempt.dataplatform.io/<policy-name>`` and whose value is the reason
   (AWS tag values allow letters, digits, spaces and ``+ - = . _ : / @``).
2. In the pack config (``--policy-pack-config``), per policy:
   ``{"<policy-name>": {"exemptions": [{"name": "<logical name or glob>", "reason": "..."}]}}``
   or with ``"urn"`` (exact or glob) instead of ``"name"``.

An exemption without a reason is not honoured. In the real engine an exempted resource gets
no violation and the policy is marked not applicable to it with ``exempted: <reason>``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, _is_unknown

PACK_NAME = "dataplatform"
PACK_VERSION = "0.1.0"
EXEMPT_PREFIX = "policy-exempt.dataplatform.io/"
"""Tag or annotation key prefix: ``policy-exempt.dataplatform.io/<policy-name>`` = ``<reason>``."""


class _Unknown:
    """A value the engine does not know yet (preview): never a violation by itself."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """A plain copy of analyzer properties: proxies unwrapped, unknown sentinels as :data:`UNKNOWN`.

    Accepts what ``pulumi_policy`` hands to a policy (unknown-checking proxies) and plain data.
    Integral floats (protobuf numbers) become ints.
    """
    target = _proxy_target(value)
    if target is not None:
        value = target
    if isinstance(value, str):
        return UNKNOWN if _is_unknown(value) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): plain(value[k] if target is None else value.get(k)) for k in value}
    if isinstance(value, (list, tuple)) or (isinstance(value, Sequence) and not isinstance(value, bytes)):
        return [plain(v) for v in value]
    return value


def _proxy_target(value: Any) -> Any:
    """The raw container inside a pulumi_policy proxy (which raises on unknowns when read)."""
    if type(value).__name__ in ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"):
        return value["__target"]
    return None


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """``obj[path[0]][path[1]]...``; :data:`UNKNOWN` as soon as an unknown is crossed."""
    current = obj
    for key in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(current, list) or key >= len(current):
                return default
            current = current[key]
        else:
            if not isinstance(current, dict) or key not in current:
                return default
            current = current[key]
    return current


def truthy(value: Any) -> bool | None:
    """True/False for a boolean given as bool or string ("true"); None when unknown or unset."""
    if value is UNKNOWN or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def parse_json_object(value: Any) -> Any:
    """A JSON document given as a string (policy documents) or already an object."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def tags_of(props: Mapping[str, Any]) -> dict[str, Any]:
    """AWS tags, or Kubernetes annotations (where the exemption convention also applies)."""
    found: dict[str, Any] = {}
    tags = props.get("tags")
    if isinstance(tags, dict):
        found.update(tags)
    annotations = get(props, "metadata", "annotations")
    if isinstance(annotations, dict):
        found.update(annotations)
    return found


# --------------------------------------------------------------------------- exemptions


@dataclass(frozen=True)
class ExemptionRecord:
    """A violation a policy would have reported, suppressed by an exemption."""

    policy: str
    urn: str
    reason: str
    source: str
    """``tag`` (tag/annotation on the resource) or ``config`` (pack config)."""
    message: str


class _ExemptionSink(threading.local):
    records: list[ExemptionRecord] | None = None


_sink = _ExemptionSink()


@contextlib.contextmanager
def collect_exemptions() -> Iterator[list[ExemptionRecord]]:
    """Collect the exemptions applied while policies run in this thread (offline reports)."""
    previous = _sink.records
    _sink.records = []
    try:
        yield _sink.records
    finally:
        _sink.records = previous


def _record_exemption(record: ExemptionRecord) -> None:
    if _sink.records is not None and record not in _sink.records:
        _sink.records.append(record)


def exemption_for(
    policy: str, urn: str, name: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(reason, source) when the resource is exempted from ``policy``; None otherwise."""
    reason = tags_of(props).get(EXEMPT_PREFIX + policy)
    if isinstance(reason, str) and reason.strip():
        return reason.strip(), "tag"
    for entry in plain(config.get("exemptions") or []):
        if not isinstance(entry, dict):
            continue
        text = entry.get("reason")
        if not isinstance(text, str) or not text.strip():
            continue
        pattern_urn, pattern_name = entry.get("urn"), entry.get("name")
        if isinstance(pattern_urn, str) and fnmatch.fnmatchcase(urn, pattern_urn):
            return text.strip(), "config"
        if isinstance(pattern_name, str) and fnmatch.fnmatchcase(name, pattern_name):
            return text.strip(), "config"
    return None


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    domain: str
    description: str
    severity: Severity
    remediation: str
    enforcement: EnforcementLevel
    kind: str
    """``resource`` or ``stack``."""
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    applies: Callable[[str], bool] | None = None
    """Which resource types a policy can say anything about (``None``: every type): for a
    resource policy, those it checks; for a stack policy, those it reads.

    Lets an analyzer skip policies that cannot apply: ``dataplatform check`` hands each
    resource only to these, so its cost grows with what applies, not with the pack's size.
    """

    def applies_to_type(self, resource_type: str) -> bool:
        return self.applies is None or self.applies(resource_type)


REGISTRY: dict[str, PolicyMeta] = {}
POLICIES: dict[str, Policy] = {}

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources exempted from this policy, each with a reason.",
    "items": {
        "type": "object",
        "properties": {
            "urn": {"type": "string", "description": "URN of the resource (glob allowed)."},
            "name": {"type": "string", "description": "Logical name of the resource (glob allowed)."},
            "reason": {"type": "string", "minLength": 1, "description": "Why the resource is exempted."},
        },
        "required": ["reason"],
    },
}


def _schema(config: Mapping[str, dict[str, Any]] | None) -> PolicyConfigSchema:
    properties: dict[str, dict[str, Any]] = {"exemptions": EXEMPTIONS_SCHEMA}
    properties.update(config or {})
    return PolicyConfigSchema(properties=properties)


def _defaults(config: Mapping[str, dict[str, Any]] | None) -> dict[str, Any]:
    return {k: v["default"] for k, v in (config or {}).items() if "default" in v}


def _register(meta: PolicyMeta, policy: Policy) -> Policy:
    if meta.name in REGISTRY:
        raise ValueError(f"policy {meta.name!r} is defined twice")
    REGISTRY[meta.name] = meta
    POLICIES[meta.name] = policy
    return policy


@dataclass
class ResourceContext:
    """What a resource rule sees."""

    policy: str
    type: str
    urn: str
    name: str
    props: dict[str, Any]
    config: dict[str, Any]
    provider_props: dict[str, Any]
    _report: Callable[[str], None]

    def report(self, message: str) -> None:
        self._report(message)


class StackResource:
    """A plain view of one resource of the stack.

    ``props`` is made plain on first use: a stack rule usually reads a few types only.
    """

    __slots__ = (
        "_props",
        "_raw",
        "dependencies",
        "name",
        "parent",
        "property_dependencies",
        "protect",
        "provider",
        "type",
        "urn",
    )

    def __init__(
        self,
        type: str,
        urn: str,
        name: str,
        props: Any,
        parent: str | None,
        dependencies: list[str],
        property_dependencies: dict[str, list[str]],
        provider: str | None = None,
        protect: bool = False,
    ) -> None:
        self.type = type
        self.protect = protect
        """The ``protect`` resource option (the analyzer's resource options carry ``protect`` but not
        ``retainOnDelete``: pulumi/proto analyzer.proto, ``AnalyzerResourceOptions``)."""
        self.provider = provider
        """The URN of the resource's explicit provider (None: the default provider)."""
        self.urn = urn
        self.name = name
        self._raw = props
        self._props: dict[str, Any] | None = None
        self.parent = parent
        self.dependencies = dependencies
        self.property_dependencies = property_dependencies

    @property
    def props(self) -> dict[str, Any]:
        if self._props is None:
            converted = plain(self._raw)
            self._props = converted if isinstance(converted, dict) else {}
            self._raw = None
        return self._props

    def __repr__(self) -> str:
        return f"StackResource({self.type!r}, {self.urn!r})"


@dataclass
class StackContext:
    policy: str
    resources: list[StackResource]
    config: dict[str, Any]
    _report: Callable[[str, str | None], None]
    reads: Callable[[str], bool] | frozenset[str] | None = None
    """Which types the policy declared it reads (``stack_policy(reads=...)``): a predicate or a set of
    type tokens; None: any."""
    undecided_findings: list[tuple[str, str | None]] = field(default_factory=list)

    def report(self, message: str, urn: str | None = None) -> None:
        self._report(message, urn)

    def undecided(self, message: str, urn: str | None = None) -> None:
        """The rule cannot decide (a value unknown during preview, a fact outside the table):
        reported as an advisory "cannot decide", whatever the policy's enforcement level."""
        self.undecided_findings.append((message, urn))

    def of_type(self, *types: str) -> list[StackResource]:
        reads = self.reads.__contains__ if isinstance(self.reads, frozenset) else self.reads
        undeclared = {t for t in types if not reads(t)} if reads is not None else set()
        if undeclared:
            # An analyzer may hand this policy only the types it declared: reading others
            # would silently see nothing.
            raise ValueError(f"policy {self.policy!r} reads {sorted(undeclared)} but does not declare them")
        return [r for r in self.resources if r.type in types]


class CannotDecide(UnknownValueError):  # noqa: N818 (pulumi-policy catches UnknownValueError by type)
    """What a stack rule could not decide, as the error pulumi-policy turns into an advisory."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.unknown_type_sentinel = ""
        self.props: list[str] = []
        self.message = message


ResourceRule = Callable[[ResourceContext], None]
StackRule = Callable[[StackContext], None]


def resource_policy(
    name: str,
    *,
    domain: str,
    description: str,
    severity: Severity,
    remediation: str,
    enforcement: EnforcementLevel = EnforcementLevel.ADVISORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> Callable[[ResourceRule], Policy]:
    """Build and register a ``ResourceValidationPolicy`` from a rule function."""
    defaults = _defaults(config)

    def build(rule: ResourceRule) -> Policy:
        applies: Callable[[str], bool] | None = getattr(rule, "applies", None)

        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if applies is not None and not applies(args.resource_type):
                return
            props = plain(args.props)
            cfg = {**defaults, **plain(dict(args.get_config() or {}))}
            exempt = exemption_for(name, args.urn, args.name, props, cfg)
            suppressed: list[str] = []

            def report(message: str) -> None:
                if exempt is not None:
                    suppressed.append(message)
                    _record_exemption(ExemptionRecord(name, args.urn, exempt[0], exempt[1], message))
                    return
                report_violation(message, None)

            provider_props = plain(args.provider.props) if args.provider is not None else {}
            rule(
                ResourceContext(
                    name, args.resource_type, args.urn, args.name, props, cfg, provider_props, report
                )
            )
            if exempt is not None and suppressed:
                args.not_applicable(f"exempted: {exempt[0]}")

        policy = ResourceValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=enforcement,
            config_schema=_schema(config),
            severity=severity,
            remediation_steps=remediation,
            tags=[domain],
        )
        meta = PolicyMeta(
            name, domain, description, severity, remediation, enforcement, "resource", config or {}, applies
        )
        return _register(meta, policy)

    return build


def stack_policy(
    name: str,
    *,
    domain: str,
    description: str,
    severity: Severity,
    remediation: str,
    enforcement: EnforcementLevel = EnforcementLevel.ADVISORY,
    config: dict[str, dict[str, Any]] | None = None,
    reads: Sequence[str] | Callable[[str], bool] | None = None,
) -> Callable[[StackRule], Policy]:
    """Build and register a ``StackValidationPolicy`` from a rule function.

    ``reads``: the resource types the rule looks at (``ctx.of_type``), so an analyzer can
    hand it only those: a list of type tokens, or a predicate on the token alone (for open sets
    such as every Kubernetes kind); None means every resource.

    What the rule passes to ``ctx.undecided`` is raised, after its violations, as the
    ``UnknownValueError`` pulumi-policy itself raises for values unknown during preview: the
    analyzer then reports one ADVISORY "can't run policy ... during preview: cannot decide: ..."
    diagnostic for the policy, whatever its enforcement level (pulumi_policy/policy.py,
    ``AnalyzeStack``). A per-violation level does not exist in CrossGuard, and a second policy
    would not see this policy's pack config (the declarations that decide).
    """
    defaults = _defaults(config)
    declared: Callable[[str], bool] | None = (
        reads if reads is None or callable(reads) else frozenset(reads).__contains__
    )

    def build(rule: StackRule) -> Policy:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            cfg = {**defaults, **plain(dict(args.get_config() or {}))}
            resources = [
                StackResource(
                    type=r.resource_type,
                    urn=r.urn,
                    name=r.name,
                    props=r.props,
                    parent=r.parent.urn if r.parent is not None else None,
                    dependencies=[d.urn for d in r.dependencies],
                    property_dependencies={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                    provider=r.provider.urn if r.provider is not None else None,
                    protect=bool(r.opts.protect) if r.opts is not None else False,
                )
                for r in args.resources
            ]
            by_urn = {r.urn: r for r in resources}

            def report(message: str, urn: str | None) -> None:
                target = by_urn.get(urn) if urn else None
                if target is not None:
                    exempt = exemption_for(name, target.urn, target.name, target.props, cfg)
                    if exempt is not None:
                        _record_exemption(ExemptionRecord(name, target.urn, exempt[0], exempt[1], message))
                        return
                report_violation(message, urn)

            context = StackContext(name, resources, cfg, report, declared)
            rule(context)
            undecided = []
            for message, urn in context.undecided_findings:
                target = by_urn.get(urn) if urn else None
                if target is None or exemption_for(name, target.urn, target.name, target.props, cfg) is None:
                    undecided.append(message)
            if undecided:
                raise CannotDecide("cannot decide: " + " | ".join(dict.fromkeys(undecided)))

        policy = StackValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=enforcement,
            config_schema=_schema(config),
            severity=severity,
            remediation_steps=remediation,
            tags=[domain],
        )
        meta = PolicyMeta(
            name,
            domain,
            description,
            severity,
            remediation,
            enforcement,
            "stack",
            config or {},
            declared,
        )
        return _register(meta, policy)

    return build


def applies_to(*types: str) -> Callable[[ResourceRule], ResourceRule]:
    """Run the rule only for resources of ``types`` (and tell analyzers so)."""
    wanted = frozenset(types)
    return applies_when(wanted.__contains__)


def applies_when(predicate: Callable[[str], bool]) -> Callable[[ResourceRule], ResourceRule]:
    """Run the rule only for resource types that ``predicate`` accepts (and tell analyzers so).

    The predicate must depend on the type token alone: analyzers may call it once per type.
    """

    def wrap(rule: ResourceRule) -> ResourceRule:
        def checked(ctx: ResourceContext) -> None:
            if predicate(ctx.type):
                rule(ctx)

        checked.__name__ = rule.__name__
        checked.__doc__ = rule.__doc__
        checked.applies = predicate  # type: ignore[attr-defined]
        return checked

    return wrap
