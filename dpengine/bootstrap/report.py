"""What ``dataplatform bootstrap`` makes and reports: constants, step outcomes, the report, its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

EXIT_OK = 0
EXIT_ERROR = 1
"""Unexpected failure (an AWS error this tool does not know how to explain)."""
EXIT_USER_ERROR = 2
"""An error the user must fix: permissions, credentials, names, arguments."""

DEFAULT_KEY_ALIAS = "alias/pulumi-secrets"
DEFAULT_NONCURRENT_DAYS = 90
ABORT_MULTIPART_DAYS = 7
MANAGED_BY_TAG = ("ManagedBy", "dataplatform-bootstrap")
KEY_DESCRIPTION = "Pulumi state and secrets (created by dataplatform bootstrap)"
POLICY_SID = "DenyInsecureTransport"
LIFECYCLE_RULE_ID = "dataplatform-pulumi-state-versions"
STACK_EXAMPLE = "dev"


class Outcome(str, Enum):
    """What a step did (or, in a dry run, would do)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WOULD_CREATE = "would-create"
    WOULD_UPDATE = "would-update"
    PENDING = "pending"
    """Cannot be done yet (a cost allocation tag AWS has not seen on a resource): run again later."""
    WOULD_CHECK = "would-check"
    """A dry run without credentials: what a real run would read and judge."""
    KEPT = "kept"
    """``--force``: an existing rule or statement that endangers the state, kept as asked."""


@dataclass(frozen=True)
class Step:
    """One thing bootstrap ensures, and its outcome."""

    name: str
    """What the step ensures, e.g. ``"bucket versioning"``."""
    outcome: Outcome
    detail: str = ""
    """For people: the setting now in place, or what changed."""


@dataclass
class BootstrapReport:
    """The result of :func:`bootstrap`: every step with its outcome, and what to run next."""

    account_id: str
    region: str
    bucket: str
    key_alias: str
    key_arn: str | None
    """The key's ARN; ``None`` only in a dry run that would create the key."""
    dry_run: bool
    steps: list[Step] = field(default_factory=list)

    @property
    def backend_url(self) -> str:
        """The ``pulumi login`` URL of the state bucket."""
        return f"s3://{self.bucket}?region={self.region}&awssdk=v2"

    @property
    def secrets_provider(self) -> str:
        """The ``--secrets-provider`` URL of the key (by alias, so the key can be replaced)."""
        return f"awskms://{self.key_alias}?region={self.region}"

    @property
    def next_commands(self) -> list[str]:
        """The commands to run next, exactly (quoted for POSIX shells: the URLs contain ``&``/``?``)."""
        return [
            f'pulumi login "{self.backend_url}"',
            f'pulumi stack init {STACK_EXAMPLE} --secrets-provider "{self.secrets_provider}"',
        ]

    @property
    def changed(self) -> bool:
        """Whether any step created or updated something (always false in a dry run)."""
        return any(step.outcome in (Outcome.CREATED, Outcome.UPDATED) for step in self.steps)

    def counts(self) -> dict[Outcome, int]:
        """How many steps had each outcome (outcomes that did not occur are left out)."""
        result: dict[Outcome, int] = {}
        for step in self.steps:
            result[step.outcome] = result.get(step.outcome, 0) + 1
        return result

    def render(self, *, profile: str | None = None) -> str:
        """The report for people. ``profile`` adds an ``export AWS_PROFILE=...`` line to the next
        commands, so the Pulumi CLI uses the same credentials."""
        mode = " (dry run: nothing was changed)" if self.dry_run else ""
        lines = [
            f"Pulumi state backend and account prerequisites in account {self.account_id}, "
            f"region {self.region}{mode}",
            "",
        ]
        width = max(len(step.name) for step in self.steps) if self.steps else 0
        for step in self.steps:
            lines.append(f"  {step.outcome.value:<13} {step.name:<{width}}  {step.detail}".rstrip())
        lines.append("")
        counts = self.counts()
        if all(step.outcome is Outcome.UNCHANGED for step in self.steps):
            lines.append("Nothing to change: every step was already in place.")
        else:
            lines.append(", ".join(f"{n} {outcome.value}" for outcome, n in counts.items()) + ".")
        lines.append("")
        lines.append(f"Bucket:   {self.bucket}")
        lines.append(f"KMS key:  {self.key_arn or '(created by a real run)'}")
        lines.append(f"Alias:    {self.key_alias}")
        lines.append("")
        lines.append("Next, run:" if not self.dry_run else "Next, after a real run:")
        commands = self.next_commands
        if profile:
            commands = [f"export AWS_PROFILE={profile}", *commands]
        lines.extend(f"  {command}" for command in commands)
        lines.append("")
        lines.append(
            "Whoever runs Pulumi needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on "
            "the bucket, and kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on the key."
        )
        return "\n".join(lines)


class BootstrapError(Exception):
    """An error with a message for people; ``exit_code`` is 2 when the user must fix something."""

    def __init__(self, message: str, exit_code: int = EXIT_USER_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.steps: list[Step] = []
        """The steps completed before the error (filled in by :func:`bootstrap`)."""
