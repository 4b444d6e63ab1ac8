"""Kubernetes: no credentials in plain sight, in ConfigMaps or container env literals.

A ConfigMap is not a Secret: it is readable by whoever may ``get configmaps`` in the namespace, is
not encrypted with the cluster's KMS envelope key (EKS encrypts Secrets only), and shows in
``kubectl describe``. An env ``value`` is part of the pod template: stored in the workload object
and in Pulumi state. Both are found two ways:

* by key name: a key whose words say password, secret, token, API key, private key or credentials
  (``DB_PASSWORD``, ``apiKey``, ``client-secret``), unless its last word says the value only points
  at a secret (``…_ARN``, ``…_NAME``, ``…_FILE``, ``…_PATH``, ``…_URL``, ``…_ID``) or the value is a
  reference (``$(VAR)``, ``${VAR}``, an ARN, a path);
* by value shape, whatever the key: an AWS access key id, a PEM private key, a JWT, a GitHub, Slack
  or Stripe token, a URL with a password in it. Multi-line values (a mounted ``application.properties``)
  are read line by line for ``key = value`` pairs.

Messages name the key and the reason, never the value.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_when, as_list, resource_policy
from ._pods import containers, is_pod_bearing, kind_of, pod_of

DOMAIN = "kubernetes"

SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "apikey", "privatekey", "credential", "credentials"}
)
_SECRET_PAIRS = (("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"), ("auth", "key"))
POINTER_WORDS = frozenset(
    {
        "arn",
        "name",
        "file",
        "path",
        "url",
        "uri",
        "id",
        "ref",
        "type",
        "length",
        "ttl",
        "dir",
        "env",
        "enabled",
        "endpoint",
        "header",
        "mode",
        "version",
        "expiry",
        "expiration",
        "region",
        "key_id",
    }
)
"""A key ending in one of these names where a secret is, not the secret (``WAREHOUSE_SECRET_ARN``)."""

VALUE_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "an AWS access key id",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ),
    ("a PEM private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}")),
    ("a URL with a password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@[^\s/]")),
)
_REFERENCE = re.compile(r"^(?:\$\(.+\)|\$\{.+\}|\{\{.+\}\}|arn:[^\s]+|/[^\s]*|)$")
_LINE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*[:=]\s*(.*?)\s*$")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(key)]


def secret_key(key: str) -> bool:
    """Whether a key name says its value is a credential (and not a pointer to one)."""
    words = _words(key)
    if not words or words[-1] in POINTER_WORDS or "_".join(words[-2:]) in POINTER_WORDS:
        return False
    joined = "".join(words)
    if any(w in SECRET_WORDS for w in words) or joined in SECRET_WORDS:
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def findings(key: str, value: Any) -> list[str]:
    """Why ``key``'s literal ``value`` is a credential in plain sight (empty when it is not)."""
    if not isinstance(value, str) or value is UNKNOWN:
        return []
    reasons = [f"holds {what}" for what, pattern in VALUE_SHAPES if pattern.search(value)]
    stripped = value.strip()
    if secret_key(key) and not _REFERENCE.match(stripped) and "\n" not in stripped:
        reasons.append("is a literal credential (by its key name)")
    if "\n" in stripped:
        for line in stripped.splitlines():
            match = _LINE.match(line)
            if match and secret_key(match.group(1)) and not _REFERENCE.match(match.group(2).strip("'\"")):
                reasons.append(f"sets {match.group(1)!r} to a literal credential")
    return list(dict.fromkeys(reasons))


def _configmap(token: str) -> bool:
    return token.startswith("kubernetes:core/v1:ConfigMap")


@resource_policy(
    "k8s-no-plaintext-secrets",
    domain=DOMAIN,
    description="ConfigMaps and container env literals hold no credentials (by key name: password, secret, "
    "token, API key; by value shape: AWS access keys, private keys, JWTs, tokens, URLs with passwords).",
    severity=Severity.HIGH,
    remediation="Put the value in a Kubernetes Secret (or AWS Secrets Manager, read through IRSA) and "
    "reference "
    "it: env valueFrom.secretKeyRef, envFrom.secretRef, or a secret volume. Never write credentials in a "
    "ConfigMap or an env value.",
    enforcement=EnforcementLevel.MANDATORY,
)
@applies_when(lambda token: _configmap(token) or is_pod_bearing(token))
def k8s_no_plaintext_secrets(ctx: ResourceContext) -> None:
    if _configmap(ctx.type):
        data = ctx.props.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                for reason in findings(key, value):
                    ctx.report(f"ConfigMap '{ctx.name}' data[{key!r}] {reason}")
        return
    found = pod_of(ctx.type, ctx.props)
    if found is None or kind_of(ctx.type) is None or not isinstance(found[2], dict):
        return
    prefix = f"{found[0]}.spec" if found[0] else "spec"
    for where, container in containers(found[2]):
        for index, variable in enumerate(as_list(container.get("env"))):
            if not isinstance(variable, dict) or not isinstance(variable.get("name"), str):
                continue
            for reason in findings(variable["name"], variable.get("value")):
                ctx.report(f"'{ctx.name}' {prefix}.{where}.env[{index}] {variable['name']!r} {reason}")


POLICIES = [k8s_no_plaintext_secrets]
