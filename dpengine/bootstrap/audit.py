"""What bootstrap refuses on an existing state bucket, and what a dry run without credentials says.

Bootstrap keeps the other lifecycle rules and policy statements of an existing bucket (it merges
its own next to them), so it must look at them: a rule that expires current objects deletes the
state (with versioning on, the current version becomes noncurrent and the noncurrent expiration
removes it), a rule that moves current objects to an archive class makes them unreadable until
restored (S3 user guide, "Transitioning objects": GLACIER and DEEP_ARCHIVE objects must be restored
before a GET), and an ``Allow`` to every principal without a condition that narrows who (an
organization, an account, a VPC endpoint, a network) opens the state and its secrets to anyone.
Each one found is listed; bootstrap refuses (exit 2) unless ``--force`` keeps them. Plain
functions, no AWS calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .report import LIFECYCLE_RULE_ID, POLICY_SID, Outcome, Step

ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
"""Storage classes whose objects a GET cannot read until restored (GLACIER_IR can be read)."""

RESTRICTING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalTag",
        "aws:userid",
        "aws:username",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:VpcSourceIp",
    )
)
"""Condition keys that narrow who may use an ``Allow`` to ``*`` (IAM User Guide, "AWS global
condition context keys"); a condition on anything else (``aws:SecureTransport``...) leaves it open."""


@dataclass(frozen=True)
class Finding:
    """One lifecycle rule or policy statement of an existing bucket that endangers the state."""

    kind: str
    """``lifecycle rule`` or ``bucket policy statement``."""
    name: str
    """The rule's ``ID`` or the statement's ``Sid`` (or its position when it has none)."""
    why: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.why}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


STATE_PREFIX = ".pulumi/"
"""Where a self-managed (DIY) backend keeps stacks, history and locks in its bucket (Pulumi docs,
"State and backends": the ``.pulumi`` folder at the root of the backend URL)."""


def _applies_to_state(rule: Mapping[str, Any]) -> bool:
    """Whether the rule's filter can match Pulumi's objects: no prefix, or one on the state's path.
    A tag filter never matches them (Pulumi writes untagged objects)."""
    selector = rule.get("Filter")
    if not isinstance(selector, Mapping):
        selector = {"Prefix": rule.get("Prefix", "")}
    both = selector.get("And") if isinstance(selector.get("And"), Mapping) else None
    if "Tag" in selector or (both is not None and both.get("Tags")):
        return False
    prefix = str((both or selector).get("Prefix", "") or "")
    return STATE_PREFIX.startswith(prefix) or prefix.startswith(STATE_PREFIX)


def lifecycle_findings(rules: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Enabled rules (other than bootstrap's own) that expire or archive current state objects."""
    found: list[Finding] = []
    for index, rule in enumerate(rules):
        if rule.get("Status") != "Enabled" or rule.get("ID") == LIFECYCLE_RULE_ID:
            continue
        if not _applies_to_state(rule):
            continue
        name = str(rule.get("ID") or f"#{index + 1}")
        expiration = rule.get("Expiration") or {}
        if "Days" in expiration or "Date" in expiration:
            when = (
                f"after {expiration['Days']} day(s)" if "Days" in expiration else f"on {expiration['Date']}"
            )
            found.append(
                Finding(
                    "lifecycle rule",
                    name,
                    f"expires current objects {when}: the state files would be deleted",
                )
            )
        for transition in _as_list(rule.get("Transitions") or rule.get("Transition") or []):
            storage = str((transition or {}).get("StorageClass", ""))
            if storage in ARCHIVE_CLASSES:
                found.append(
                    Finding(
                        "lifecycle rule",
                        name,
                        f"moves current objects to {storage}: Pulumi could not read its state until "
                        "each object is restored",
                    )
                )
    return found


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _as_list(value) for value in principal.values())
    return False


def _restricted(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    for block in condition.values():
        if isinstance(block, Mapping) and any(str(key).lower() in RESTRICTING_KEYS for key in block):
            return True
    return False


def policy_findings(policy: Mapping[str, Any]) -> list[Finding]:
    """``Allow`` statements to every principal without a condition that narrows who."""
    found: list[Finding] = []
    for index, statement in enumerate(_as_list(policy.get("Statement") or [])):
        if not isinstance(statement, Mapping) or statement.get("Sid") == POLICY_SID:
            continue
        if statement.get("Effect") != "Allow" or not _everyone(statement.get("Principal")):
            continue
        if _restricted(statement.get("Condition")):
            continue
        name = str(statement.get("Sid") or f"#{index + 1}")
        actions = ", ".join(str(a) for a in _as_list(statement.get("Action", []))) or "(no action)"
        found.append(
            Finding(
                "bucket policy statement",
                name,
                f"allows {actions} to every principal ('*') with no condition on the organization, "
                "account or network: anyone could use the state",
            )
        )
    return found


def refusal(bucket: str, findings: Sequence[Finding]) -> str:
    lines = [f"the existing bucket {bucket} has settings that would expire or open the Pulumi state:"]
    lines += [f"  - {finding}" for finding in findings]
    lines.append(
        "Remove them (S3 console or `aws s3api put-bucket-lifecycle-configuration` / `put-bucket-policy`), "
        "use another --bucket, or pass --force to keep them."
    )
    return "\n".join(lines)


def offline_steps(region: str, bucket: str | None, key_alias: str, noncurrent_days: int) -> list[Step]:
    """What a run would read, create and check, said without credentials (no AWS call at all)."""
    name = bucket or f"pulumi-state-<account id>-{region}"
    would_check = Outcome.WOULD_CHECK
    would_create = Outcome.WOULD_CREATE
    return [
        Step("caller identity", would_check, "sts:GetCallerIdentity: the account and partition"),
        Step("kms alias", would_check, f"{key_alias}: use its key if it exists (kms:DescribeKey)"),
        Step(
            "kms key",
            would_create,
            "when the alias is missing: symmetric, key policy: account root administers",
        ),
        Step("kms key rotation", would_create, "automatic yearly rotation (switched on if off)"),
        Step("s3 bucket", would_check, f"{name} in {region}: exists, owned by this account (s3:HeadBucket)"),
        Step("s3 bucket", would_create, f"{name} in {region} when missing"),
        Step("bucket versioning", would_create, "Enabled"),
        Step("bucket encryption", would_create, f"aws:kms with {key_alias}, bucket key on"),
        Step("public access block", would_create, "all four blocks on"),
        Step("object ownership", would_create, "BucketOwnerEnforced (ACLs off)"),
        Step("bucket policy", would_create, f"{POLICY_SID}: deny aws:SecureTransport=false"),
        Step(
            "lifecycle",
            would_create,
            f"old state versions expire after {noncurrent_days} days; other rules kept",
        ),
        Step(
            "existing settings",
            would_check,
            "lifecycle rules that expire or archive current objects and policy statements that allow '*' "
            "without a narrowing condition: refused (exit 2) unless --force",
        ),
    ]
