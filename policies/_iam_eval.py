"""One IAM policy evaluator: does a document allow a request (action, resource ARN, caller, context)?

Used by the data-flow proof (``policies/system/flows.py``) and by the tests that judge the
components' documents by the requests they must allow or refuse, rather than by comparing them
with a copy of themselves. Plain data in, a verdict out; no engine, no SDK.

What it models (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements"):

* ``Action``/``NotAction`` (case-insensitive), ``Resource``/``NotResource`` and
  ``Principal``/``NotPrincipal`` with the ``*`` and ``?`` wildcards (``*`` crosses ``:`` and ``/``);
* every condition operator family (String, Arn, Bool, Numeric, Date as strings, IpAddress, Null),
  the ``...IfExists`` suffix (true when the key is absent), the negated operators (true when the key
  is absent), and the ``ForAnyValue:``/``ForAllValues:`` set qualifiers; several values of one key
  are OR'ed, several keys and operators AND'ed;
* an explicit Deny beats any Allow; nothing matching is an implicit deny.

A value unknown during preview (:data:`~policies._common.UNKNOWN`) in a statement that could
decide makes the verdict :data:`UNDECIDED`, never a silent allow or deny.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ._common import UNKNOWN, as_list, contains_unknown, parse_json_object

ALLOW = "allow"
DENY = "deny"
IMPLICIT = "implicit"
UNDECIDED = "undecided"
DELEGATED = "delegated"
"""A resource policy that allows the caller's account root only: the account's IAM policies decide
(KMS key policies: "the key policy allows the account, IAM policies grant the principals")."""


@dataclass(frozen=True)
class Caller:
    """Who sends the request: an IAM principal ARN (role, user) or an AWS service principal."""

    arn: str | None = None
    service: str | None = None
    """A service principal (``s3.amazonaws.com``) for requests a service makes on its own."""

    @property
    def account(self) -> str | None:
        if self.arn is None:
            return None
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 else None


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    caller: Caller = field(default_factory=Caller)
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    decision: str
    """:data:`ALLOW`, :data:`DENY`, :data:`IMPLICIT`, :data:`DELEGATED` or :data:`UNDECIDED`."""
    statements: tuple[str, ...] = ()
    """The Sids (or indexes) of the statements that decided."""
    why: str = ""


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*``/``?`` matching (``*`` matches any run of characters, ``:`` and ``/`` included)."""
    return bool(_pattern(pattern, ignore_case).match(value))


def statements_of(document: Any) -> list[Any] | None:
    """The statements of a policy document (a JSON string or a dict); None when unknown."""
    parsed = parse_json_object(document)
    if parsed is UNKNOWN or contains_unknown(parsed):
        return None
    if not isinstance(parsed, dict):
        return []
    return [s for s in as_list(parsed.get("Statement")) if isinstance(s, dict)]


def _substitute(value: str, context: Mapping[str, Any]) -> str:
    """Policy variables (``${aws:SourceAccount}``) from the request context; unknown ones stay."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        given = context.get(key)
        return str(given) if isinstance(given, str) else match.group(0)

    return re.sub(r"\$\{([^}]+)\}", one, value)


def _any_match(patterns: Iterable[Any], value: str, ignore_case: bool, context: Mapping[str, Any]) -> bool:
    return any(
        isinstance(p, str) and wildcard_match(_substitute(p, context), value, ignore_case=ignore_case)
        for p in patterns
    )


def _principal_matches(principal: Any, caller: Caller) -> str | None:
    """``"direct"`` when ``principal`` names the caller, ``"account"`` when it names the caller's
    account root (delegation to IAM), None otherwise."""
    if principal == "*":
        return "direct"
    if not isinstance(principal, dict):
        return None
    found: str | None = None
    for kind, values in principal.items():
        for value in as_list(values):
            if not isinstance(value, str):
                continue
            if value == "*" and kind == "AWS":
                return "direct"
            if kind == "Service" and caller.service is not None and value == caller.service:
                return "direct"
            if kind != "AWS" or caller.arn is None:
                continue
            if value == caller.arn:
                return "direct"
            account = caller.account
            if (account is not None and value in (account, f"arn:aws:iam::{account}:root")) or (
                account is not None and re.fullmatch(rf"arn:[^:]+:iam::{account}:root", value)
            ):
                found = "account"
    return found


def _compare(operator: str, expected: str, given: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return given == expected
    if operator == "StringEqualsIgnoreCase":
        return given.lower() == expected.lower()
    if operator in ("StringLike", "ArnLike"):
        return wildcard_match(expected, given)
    if operator == "Bool":
        return given.lower() == expected.lower()
    if operator.startswith("Numeric"):
        try:
            a, b = float(given), float(expected)
        except ValueError:
            return False
        return {
            "NumericEquals": a == b,
            "NumericLessThan": a < b,
            "NumericLessThanEquals": a <= b,
            "NumericGreaterThan": a > b,
            "NumericGreaterThanEquals": a >= b,
        }.get(operator, False)
    if operator.startswith("Date"):
        return {
            "DateEquals": given == expected,
            "DateLessThan": given < expected,
            "DateLessThanEquals": given <= expected,
            "DateGreaterThan": given > expected,
            "DateGreaterThanEquals": given >= expected,
        }.get(operator, False)
    if operator == "IpAddress":
        try:
            return ipaddress.ip_address(given) in ipaddress.ip_network(expected, strict=False)
        except ValueError:
            return False
    raise ValueError(f"unknown condition operator {operator!r}")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


def condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    """Whether one condition (operator, key, expected values) holds for the request context."""
    wanted = [
        _substitute(str(v).lower() if isinstance(v, bool) else str(v), context) for v in as_list(expected)
    ]
    present = key in context and context[key] is not None
    if operator == "Null":
        return (not present) == (wanted[0].lower() == "true")
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if not present:
        # IfExists and the negated operators are true when the key is absent; ForAllValues is
        # vacuously true for an absent (empty) set.
        return if_exists or operator in _NEGATED or qualifier == "ForAllValues"
    given = [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(context[key])]
    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)

    def one(value: str) -> bool:
        hit = any(_compare(base, w, value) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in given)
    if qualifier == "ForAnyValue" or len(given) > 1:
        return any(one(v) for v in given)
    return one(given[0])


def _statement_applies(statement: Mapping[str, Any], request: Request, resource_policy: bool) -> str | None:
    """``"direct"``/``"account"`` when the statement applies to the request, None otherwise."""
    context = {**request.context}
    if request.caller.arn is not None:
        context.setdefault("aws:PrincipalArn", request.caller.arn)
        if request.caller.account is not None:
            context.setdefault("aws:PrincipalAccount", request.caller.account)
    if "Action" in statement:
        if not _any_match(as_list(statement["Action"]), request.action, True, context):
            return None
    elif "NotAction" in statement:
        if _any_match(as_list(statement["NotAction"]), request.action, True, context):
            return None
    else:
        return None
    if "Resource" in statement:
        if not _any_match(as_list(statement["Resource"]), request.resource, False, context):
            return None
    elif "NotResource" in statement:
        if _any_match(as_list(statement["NotResource"]), request.resource, False, context):
            return None
    elif not resource_policy:
        return None
    how = "direct"
    # A statement naming principals applies to those only; one naming none is an identity policy's
    # (it applies to whoever holds it), which a resource policy cannot contain.
    if "Principal" in statement:
        matched = _principal_matches(statement["Principal"], request.caller)
        if matched is None:
            return None
        how = matched
    elif "NotPrincipal" in statement:
        if _principal_matches(statement["NotPrincipal"], request.caller) is not None:
            return None
    elif resource_policy:
        return None
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, dict):
        return None
    for operator, pairs in conditions.items():
        if not isinstance(pairs, dict):
            return None
        for key, expected in pairs.items():
            if not condition_holds(operator, key, expected, context):
                return None
    return how


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return sid if isinstance(sid, str) and sid else f"#{index}"


def evaluate(statements: Sequence[Any] | None, request: Request, *, resource_policy: bool = False) -> Verdict:
    """The verdict of one document on ``request``.

    Identity policies (``resource_policy=False``) apply to whoever holds them; resource policies
    (bucket, queue, key policies) name their principals. A resource policy that allows only the
    caller's account root is :data:`DELEGATED`: the caller's own IAM policies decide.
    """
    if statements is None:
        return Verdict(UNDECIDED, why="the policy document is unknown during preview")
    allows: list[str] = []
    delegations: list[str] = []
    denies: list[str] = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            continue
        if contains_unknown(statement):
            return Verdict(UNDECIDED, why=f"statement {_label(statement, index)} is unknown during preview")
        how = _statement_applies(statement, request, resource_policy)
        if how is None:
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            denies.append(_label(statement, index))
        elif effect == "Allow":
            (allows if how == "direct" else delegations).append(_label(statement, index))
    if denies:
        return Verdict(DENY, tuple(denies))
    if allows:
        return Verdict(ALLOW, tuple(allows))
    if delegations:
        return Verdict(DELEGATED, tuple(delegations))
    return Verdict(IMPLICIT)


def decide(
    request: Request,
    identity: Sequence[Sequence[Any] | None],
    resource: Sequence[Any] | None = None,
    *,
    key_policy: bool = False,
) -> Verdict:
    """The combined verdict of a caller's identity policies and the resource's policy (same account).

    S3, SQS and most services: an Allow in either grants, an explicit Deny in either refuses.
    KMS (``key_policy=True``): the key policy must allow, directly or by delegating to the account,
    and a delegation needs an Allow in the identity policies (AWS KMS Developer Guide, "Key policies":
    no IAM policy gives access to a key unless the key policy allows it).
    """
    verdicts = [evaluate(s, request) for s in identity]
    resource_verdict = evaluate(resource, request, resource_policy=True) if resource is not None else None
    everything = verdicts + ([resource_verdict] if resource_verdict is not None else [])
    denies = [v for v in everything if v.decision == DENY]
    if denies:
        return Verdict(DENY, tuple(s for v in denies for s in v.statements))
    undecided = [v for v in everything if v.decision == UNDECIDED]
    identity_allows = [v for v in verdicts if v.decision == ALLOW]
    if undecided:
        return Verdict(UNDECIDED, why=undecided[0].why)
    if key_policy:
        if resource_verdict is None or resource_verdict.decision == IMPLICIT:
            return Verdict(IMPLICIT, why="the key policy does not allow it")
        if resource_verdict.decision == ALLOW:
            return resource_verdict
        if identity_allows:
            return Verdict(ALLOW, tuple(s for v in identity_allows for s in v.statements))
        return Verdict(IMPLICIT, why="the key policy leaves it to IAM, and no identity policy allows it")
    if identity_allows:
        return Verdict(ALLOW, tuple(s for v in identity_allows for s in v.statements))
    if resource_verdict is not None and resource_verdict.decision == ALLOW:
        return resource_verdict
    return Verdict(IMPLICIT, why="no policy allows it")
