"""``dataplatform bootstrap``: a self-managed Pulumi state backend on AWS, created with boto3.

What it makes (in one region of one account):

- a KMS key (rotation on, tagged ``ManagedBy=dataplatform-bootstrap``) behind an alias, for
  ``pulumi stack init --secrets-provider "awskms://<alias>?region=<region>"``;
- an S3 state bucket: versioned, default encryption SSE-KMS with that key and an S3 Bucket Key,
  all four public access blocks, ``BucketOwnerEnforced`` object ownership (no ACLs), a bucket
  policy denying requests without TLS, and a lifecycle rule that expires old state versions,
  aborts incomplete multipart uploads and removes expired delete markers.

Every step reads the current setting, compares it with the wanted one and writes only when they
differ, so a second run reports every step ``unchanged`` and makes no write call. ``--dry-run``
makes only read calls and reports ``would-create`` / ``would-update``.

Existing settings owned by someone else are merged, never silently dropped: the TLS-only statement
is added to (or refreshed in) an existing bucket policy, keeping its other statements, and the
lifecycle rule is added next to the bucket's other rules (matched by its ``ID``). Adding a ``Deny``
statement can only narrow access, so merging it is safe, whereas overwriting the policy would drop
grants its owner relies on and refusing would leave the state bucket reachable over plain HTTP.
An existing key found by the alias is used as it is (its key policy is not touched); only its
rotation is switched on when off.

Errors the user must fix (missing IAM permission, no credentials, a bucket name owned by someone
else or in another region, an unusable key behind the alias) raise :class:`BootstrapError` with a
message naming the IAM action, the resource and the fix; :func:`cli_bootstrap` prints it without a
traceback and returns 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import boto3
from botocore.exceptions import ProfileNotFound

from .prerequisites import DEFAULT_COST_ALLOCATION_TAGS as DEFAULT_COST_ALLOCATION_TAGS
from .prerequisites import SERVICE_LINKED_ROLES as SERVICE_LINKED_ROLES
from .prerequisites import check_cost_allocation_tags, ensure_account_prerequisites
from .report import DEFAULT_KEY_ALIAS as DEFAULT_KEY_ALIAS
from .report import DEFAULT_NONCURRENT_DAYS as DEFAULT_NONCURRENT_DAYS
from .report import EXIT_ERROR as EXIT_ERROR
from .report import EXIT_OK as EXIT_OK
from .report import EXIT_USER_ERROR as EXIT_USER_ERROR
from .report import LIFECYCLE_RULE_ID as LIFECYCLE_RULE_ID
from .report import POLICY_SID as POLICY_SID
from .report import BootstrapError as BootstrapError
from .report import BootstrapReport as BootstrapReport
from .report import Outcome as Outcome
from .report import Step as Step
from .steps import BootstrapRun

__all__ = [
    "DEFAULT_COST_ALLOCATION_TAGS",
    "DEFAULT_KEY_ALIAS",
    "DEFAULT_NONCURRENT_DAYS",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USER_ERROR",
    "LIFECYCLE_RULE_ID",
    "POLICY_SID",
    "SERVICE_LINKED_ROLES",
    "BootstrapError",
    "BootstrapReport",
    "Outcome",
    "Step",
    "add_bootstrap_arguments",
    "bootstrap",
    "cli_bootstrap",
]

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")


def _check_arguments(bucket: str | None, key_alias: str, noncurrent_days: int) -> None:
    if bucket is not None and (not _BUCKET_NAME.match(bucket) or ".." in bucket):
        raise BootstrapError(
            f"--bucket {bucket!r} is not a valid S3 bucket name: use 3-63 lowercase letters, digits, "
            "hyphens and dots, starting and ending with a letter or digit."
        )
    if not _ALIAS_NAME.match(key_alias):
        raise BootstrapError(
            f"--key-alias {key_alias!r} is not a valid KMS alias: use alias/NAME with letters, digits, "
            "'/', '_' and '-' (e.g. alias/pulumi-secrets)."
        )
    if key_alias.startswith("alias/aws/"):
        raise BootstrapError(
            f"--key-alias {key_alias!r}: the alias/aws/ prefix is reserved for AWS managed keys; "
            f"pass another alias (e.g. {DEFAULT_KEY_ALIAS})."
        )
    if noncurrent_days < 1:
        raise BootstrapError(f"--noncurrent-days must be 1 or more (got {noncurrent_days}).")


def bootstrap(
    session: boto3.session.Session,
    *,
    region: str,
    bucket: str | None,
    key_alias: str,
    noncurrent_days: int,
    dry_run: bool = False,
    cost_allocation_tags: Sequence[str] = DEFAULT_COST_ALLOCATION_TAGS,
    force: bool = False,
) -> BootstrapReport:
    """Create (or check) the S3 state bucket and KMS key of a self-managed Pulumi backend, then the
    account prerequisites (:mod:`.prerequisites`: the Spot service-linked role, the activation of
    ``cost_allocation_tags``).

    ``bucket`` defaults to ``pulumi-state-<account id>-<region>``. Idempotent: each setting is read,
    compared and written only when different. With ``dry_run`` only read calls are made.

    Raises :class:`BootstrapError` (with the steps done so far in ``.steps``) for errors to report.
    """
    _check_arguments(bucket, key_alias, noncurrent_days)
    check_cost_allocation_tags(cost_allocation_tags)
    run = BootstrapRun(
        session,
        region=region,
        key_alias=key_alias,
        noncurrent_days=noncurrent_days,
        dry_run=dry_run,
        force=force,
    )
    try:
        run.identify()
        bucket_name = bucket or f"pulumi-state-{run.account_id}-{region}"
        # The bucket name is checked before anything is created, so a taken name costs no key.
        exists = run.bucket_exists(bucket_name)
        key_arn = run.ensure_key()
        run.ensure_bucket(bucket_name, exists, key_arn)
        ensure_account_prerequisites(run, cost_allocation_tags)
    except BootstrapError as error:
        error.steps = list(run.steps)
        raise
    return BootstrapReport(
        account_id=run.account_id,
        region=region,
        bucket=bucket_name,
        key_alias=key_alias,
        key_arn=key_arn,
        dry_run=dry_run,
        steps=run.steps,
    )


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``dataplatform bootstrap`` options to ``parser``."""
    parser.add_argument(
        "--region",
        default=None,
        help="AWS region of the bucket and key (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)",
    )
    parser.add_argument(
        "--bucket",
        metavar="NAME",
        default=None,
        help="state bucket name (default: pulumi-state-<account id>-<region>)",
    )
    parser.add_argument(
        "--key-alias",
        default=DEFAULT_KEY_ALIAS,
        help=f"KMS alias of the secrets/state key, found or created (default: {DEFAULT_KEY_ALIAS})",
    )
    parser.add_argument(
        "--noncurrent-days",
        type=int,
        metavar="DAYS",
        default=DEFAULT_NONCURRENT_DAYS,
        help=f"days before old state versions expire (default: {DEFAULT_NONCURRENT_DAYS})",
    )
    parser.add_argument(
        "--cost-allocation-tag",
        dest="cost_allocation_tags",
        action="append",
        metavar="KEY",
        default=None,
        help="a tag key the budgets filter on, activated for cost allocation (repeatable; default: "
        f"{', '.join(DEFAULT_COST_ALLOCATION_TAGS)})",
    )
    parser.add_argument("--profile", default=None, help="AWS profile to use (default: the usual AWS chain)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be done; change nothing (without credentials: what it would create and check)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="keep an existing bucket's lifecycle rules and policy statements that would expire or open the "
        "state (refused otherwise, exit 2)",
    )


def _offline_plan(args: argparse.Namespace, region: str) -> str:
    """A dry run without credentials: every step a real run would take, no AWS call made."""
    from .audit import offline_steps

    steps = offline_steps(
        region,
        getattr(args, "bucket", None),
        getattr(args, "key_alias", DEFAULT_KEY_ALIAS),
        getattr(args, "noncurrent_days", DEFAULT_NONCURRENT_DAYS),
    )
    width = max(len(step.name) for step in steps)
    lines = [
        f"Pulumi state backend in region {region} (dry run without AWS credentials: no call was made; "
        "a real run reads each setting first and changes only what differs)",
        "",
        *(f"  {step.outcome.value:<13} {step.name:<{width}}  {step.detail}" for step in steps),
        "",
        "With credentials, `--dry-run` also reads the account's current settings and says what would change.",
    ]
    return "\n".join(lines)


@contextmanager
def _session_errors() -> Iterator[None]:
    try:
        yield
    except ProfileNotFound as error:
        raise BootstrapError(f"{error}; check --profile against `aws configure list-profiles`.") from None


def cli_bootstrap(args: argparse.Namespace) -> int:
    """Run bootstrap from parsed arguments; print the report (stdout) or the error (stderr).

    Returns 0 on success, 2 for errors the user must fix, 1 for unexpected AWS errors.
    """
    profile: str | None = getattr(args, "profile", None)
    try:
        with _session_errors():
            session = boto3.session.Session(profile_name=profile)
            region = (
                getattr(args, "region", None)
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
                or session.region_name
            )
            if not region:
                raise BootstrapError("no AWS region: pass --region (or set AWS_REGION).")
            if getattr(args, "dry_run", False) and session.get_credentials() is None:
                print(_offline_plan(args, region))
                return EXIT_OK
            report = bootstrap(
                session,
                region=region,
                bucket=getattr(args, "bucket", None),
                key_alias=getattr(args, "key_alias", DEFAULT_KEY_ALIAS),
                noncurrent_days=getattr(args, "noncurrent_days", DEFAULT_NONCURRENT_DAYS),
                dry_run=bool(getattr(args, "dry_run", False)),
                cost_allocation_tags=getattr(args, "cost_allocation_tags", None)
                or DEFAULT_COST_ALLOCATION_TAGS,
                force=bool(getattr(args, "force", False)),
            )
    except BootstrapError as error:
        if error.steps:
            print("Done before the error:", file=sys.stderr)
            for step in error.steps:
                print(f"  {step.outcome.value:<13} {step.name}  {step.detail}".rstrip(), file=sys.stderr)
        print(f"error: {error.message}", file=sys.stderr)
        return error.exit_code
    print(report.render(profile=profile))
    return EXIT_OK
