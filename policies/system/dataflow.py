"""Data flow: would the data move, and only where it should?

- ``queue-has-producer``: a queue something consumes (a KEDA ``aws-sqs-queue`` trigger, a Lambda event
  source mapping) has a producer in the program: an S3 bucket notification, an EventBridge target, an
  SNS subscription, a queue policy or an identity policy allowing ``sqs:SendMessage`` on it. Otherwise
  no message ever arrives and the consumer scales on nothing.
- ``master-secret-workload-access``: a database's managed master secret (RDS
  ``manageMasterUserPassword``, Redshift ``manageMasterPassword``) is read only by a one-shot Job's
  identity. A role that may ``secretsmanager:GetSecretValue`` it and is assumed by the service
  account of a long-running workload (Deployment, StatefulSet, CronJob, ScaledJob...), or by any
  service account (a wildcard subject), hands the database to whoever compromises that pod.
- ``catalog-location-readable``: a Glue database or table located on S3 is not under a lifecycle rule
  that moves objects to GLACIER or DEEP_ARCHIVE, nor under Intelligent-Tiering's archive tiers:
  Athena skips such objects (Athena user guide, "Query restored Amazon S3 Glacier objects") and S3
  refuses to read them before a restore (S3 user guide, "Restoring an archived object").
"""

from __future__ import annotations

import fnmatch
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, StackResource, as_list, contains_unknown, get, stack_policy
from . import _grants as g
from . import _model as m

DOMAIN = "system"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PIPE = "aws:pipes/pipe:Pipe"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
REDSHIFT_CLUSTER = "aws:redshift/cluster:Cluster"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
GLUE_DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
GLUE_TABLE = "aws:glue/catalogTable:CatalogTable"
BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
TIERING = "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration"
UNREADABLE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
ARCHIVE_TIERS = ("ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS")
ONE_SHOT = ("kubernetes:batch/v1:Job",)
"""The only pods that may hold a master secret: a Job runs its migration and ends."""


# --------------------------------------------------------------------------- queues and producers


def _consumed(ctx: StackContext, queue: StackResource) -> tuple[Any, str]:
    """(True/False/UNKNOWN, by what) for whether something in the program consumes ``queue``."""
    url, arn = queue.props.get("url"), queue.props.get("arn")
    unknown = ""
    for scaler in ctx.of_type(m.SCALED_OBJECT, m.SCALED_JOB):
        for trigger in as_list(get(scaler.props, "spec", "triggers")):
            if get(trigger, "type") != "aws-sqs-queue":
                continue
            target = get(trigger, "metadata", "queueURL")
            if target is UNKNOWN or url is UNKNOWN:
                unknown = f"the queue URL of KEDA object '{scaler.name}' is unknown during preview"
            elif isinstance(target, str) and target == url:
                return True, f"KEDA object '{scaler.name}'"
    for mapping in ctx.of_type(EVENT_SOURCE_MAPPING):
        source = mapping.props.get("eventSourceArn")
        if source is UNKNOWN or arn is UNKNOWN:
            unknown = f"the event source of '{mapping.name}' is unknown during preview"
        elif source == arn:
            return True, f"Lambda event source mapping '{mapping.name}'"
    return (UNKNOWN, unknown) if unknown else (False, "")


def _produced(ctx: StackContext, queue: StackResource) -> tuple[Any, str]:
    """(True/False/UNKNOWN, by what) for whether something in the program sends to ``queue``."""
    arn, url = queue.props.get("arn"), queue.props.get("url")
    if arn is UNKNOWN:
        return UNKNOWN, f"the ARN of queue '{queue.name}' is unknown during preview"
    unknown = ""
    for notification in ctx.of_type(BUCKET_NOTIFICATION):
        targets = [get(q, "queueArn") for q in as_list(notification.props.get("queues"))]
        if arn in targets or queue.urn in notification.property_dependencies.get("queues", []):
            return True, f"S3 bucket notification '{notification.name}'"
        if UNKNOWN in targets:
            unknown = f"the queues of '{notification.name}' are unknown during preview"
    for target, key in [(t, "arn") for t in ctx.of_type(EVENT_TARGET, PIPE)] + [
        (s, "endpoint") for s in ctx.of_type(SNS_SUBSCRIPTION)
    ]:
        value = target.props.get(key) if target.type != PIPE else target.props.get("target")
        if value == arn:
            return True, f"{target.type.rsplit(':', 1)[-1]} '{target.name}'"
        if value is UNKNOWN:
            unknown = f"the target of '{target.name}' is unknown during preview"
    resource_policies = [queue.props.get("policy")] + [
        p.props.get("policy")
        for p in ctx.of_type(QUEUE_POLICY)
        if p.props.get("queueUrl") in (url, queue.props.get("id")) or queue.urn in p.dependencies
    ]
    documents = [(queue, g.parse(d)) for d in resource_policies if d is not None] + g.identity_documents(ctx)
    for holder, document in documents:
        if document is UNKNOWN:
            unknown = f"the policy of '{holder.name}' is unknown during preview"
        elif g.may_allow([document], "sqs:SendMessage", str(arn)):
            return True, f"the policy of '{holder.name}' (sqs:SendMessage)"
    return (UNKNOWN, unknown) if unknown else (False, "")


@stack_policy(
    "queue-has-producer",
    domain=DOMAIN,
    description="A queue that something consumes (KEDA, Lambda) has a producer in the program.",
    severity=Severity.HIGH,
    remediation="Give the queue a producer: an S3 bucket notification (with a queue policy admitting "
    "s3.amazonaws.com for the bucket), an EventBridge target, an SNS subscription, or a role allowed "
    "sqs:SendMessage on it; or stop consuming it.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=lambda t: (
        t.startswith(("aws:sqs/", "aws:iam/"))
        or t in (BUCKET_NOTIFICATION, EVENT_TARGET, SNS_SUBSCRIPTION, PIPE, EVENT_SOURCE_MAPPING)
        or t in (m.SCALED_OBJECT, m.SCALED_JOB)
    ),
)
def queue_has_producer(ctx: StackContext) -> None:
    for queue in ctx.of_type(QUEUE):
        consumed, by = _consumed(ctx, queue)
        if consumed is False:
            continue
        produced, source = _produced(ctx, queue)
        if produced is True:
            continue
        if consumed is UNKNOWN or produced is UNKNOWN:
            ctx.undecided(f"queue '{queue.name}': {by or source}", queue.urn)
            continue
        ctx.report(
            f"queue '{queue.name}' is consumed by {by}, and nothing in the program sends to it (no S3 "
            "notification, EventBridge target, SNS subscription, or policy allowing sqs:SendMessage): no "
            "message ever arrives; add a producer or remove the consumer",
            queue.urn,
        )


# --------------------------------------------------------------------------- master secrets


def _master_secrets(ctx: StackContext) -> list[tuple[StackResource, Any]]:
    found = []
    for database in ctx.of_type(RDS_INSTANCE, RDS_CLUSTER):
        if database.props.get("manageMasterUserPassword") is not True:
            continue
        secrets = as_list(database.props.get("masterUserSecrets"))
        arns = [get(s, "secretArn") for s in secrets] or [UNKNOWN]
        found += [(database, arn) for arn in arns]
    for cluster in ctx.of_type(REDSHIFT_CLUSTER):
        if cluster.props.get("manageMasterPassword") is True:
            found.append((cluster, cluster.props.get("masterPasswordSecretArn", UNKNOWN)))
    return found


def _subject_accounts(subjects: list[tuple[str, bool]]) -> list[tuple[str, str] | None]:
    """(namespace, name) per subject; None for a wildcard subject."""
    accounts: list[tuple[str, str] | None] = []
    for value, like in subjects:
        parts = value.split(":")
        if (
            (like and any(c in value for c in "*?"))
            or len(parts) != 4
            or parts[:2] != ["system", "serviceaccount"]
        ):
            accounts.append(None)
        else:
            accounts.append((parts[2], parts[3]))
    return accounts


@stack_policy(
    "master-secret-workload-access",
    domain=DOMAIN,
    description="A database's managed master secret is readable only by a one-shot Job's identity, never "
    "by a long-running workload's role.",
    severity=Severity.CRITICAL,
    remediation="Let one migration Job (its own service account and role) read the master secret and make "
    "each service's database user; give services rds-db:connect or redshift:GetClusterCredentials as "
    "their own user, and remove secretsmanager:GetSecretValue on the master secret from their roles.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=lambda t: (
        t.startswith(("aws:iam/", "kubernetes:"))
        or t in (RDS_INSTANCE, RDS_CLUSTER, REDSHIFT_CLUSTER, POD_IDENTITY, *m.CLUSTER_READS)
    ),
)
def master_secret_workload_access(ctx: StackContext) -> None:
    secrets = _master_secrets(ctx)
    if not secrets:
        return
    model = m.build(ctx)
    templates = m.pod_templates(model)
    associations = ctx.of_type(POD_IDENTITY)
    for holder in g.role_documents(ctx):
        role = holder.role
        subjects = g.web_identity_subjects(role)
        accounts: list[tuple[str, str] | None] = [] if subjects is UNKNOWN else _subject_accounts(subjects)
        accounts += [
            (str(a.props.get("namespace")), str(a.props.get("serviceAccount")))
            for a in associations
            if a.props.get("roleArn") == role.props.get("arn") or role.urn in a.dependencies
        ]
        workloads = _workloads(accounts, templates)
        if subjects is UNKNOWN:
            ctx.undecided(f"role '{role.name}': its trust policy is unknown during preview", role.urn)
        if not workloads:
            continue  # no long-running pod assumes it: a migration Job's role, or no pod's at all
        for database, arn in secrets:
            if arn is UNKNOWN or holder.unknown:
                ctx.undecided(
                    f"role '{role.name}': the master secret of '{database.name}' or the role's policies are "
                    "unknown during preview",
                    role.urn,
                )
                continue
            if not g.may_allow(holder.documents, "secretsmanager:GetSecretValue", arn):
                if holder.invisible:
                    ctx.undecided(
                        f"role '{role.name}' of {workloads[0]} holds policies this program does not declare "
                        f"({', '.join(holder.invisible)}): whether it reads the master secret of "
                        f"'{database.name}' is not visible",
                        role.urn,
                    )
                continue
            for workload in workloads:
                ctx.report(
                    f"role '{role.name}' may read the master secret of '{database.name}' and is assumed by "
                    f"{workload}: a compromised pod owns the database; connect as the service's own database "
                    "user (IAM authentication) and leave the secret to a migration Job",
                    role.urn,
                )


def _workloads(accounts: list[tuple[str, str] | None], templates: list[m.PodTemplate]) -> list[str]:
    """What long-running pods assume a role trusted by ``accounts`` (a wildcard: any pod)."""
    found = []
    for account in accounts:
        if account is None:
            found.append("any service account (a wildcard or no subject in its trust)")
            continue
        namespace, name = account
        for template in templates:
            runs_as = (
                get(template.spec, "serviceAccountName") or get(template.spec, "serviceAccount") or "default"
            )
            if template.namespace == namespace and runs_as == name and template.resource.type not in ONE_SHOT:
                found.append(f"{template.label} (namespace {namespace}, service account '{name}')")
    return found


# --------------------------------------------------------------------------- catalog locations


def _location(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str) or not value.startswith(("s3://", "s3a://")):
        return None
    bucket, _, key = value.split("://", 1)[1].partition("/")
    return bucket, key


def _overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _archiving(ctx: StackContext) -> list[tuple[StackResource, Any, str, str]]:
    """(resource, bucket, prefix, what) of every rule that archives objects out of reach."""
    found: list[tuple[StackResource, Any, str, str]] = []
    for config in ctx.of_type(LIFECYCLE):
        for rule in as_list(config.props.get("rules")):
            if get(rule, "status") != "Enabled":
                continue
            classes = [get(t, "storageClass") for t in as_list(get(rule, "transitions"))]
            archived = [c for c in classes if c in UNREADABLE_CLASSES or c is UNKNOWN]
            if not archived:
                continue
            prefix = (
                get(rule, "filter", "prefix")
                or get(rule, "filter", "and", "prefix")
                or get(rule, "prefix")
                or ""
            )
            found.append(
                (config, config.props.get("bucket"), prefix, f"rule '{get(rule, 'id')}' ({archived[0]})")
            )
    for tiering in ctx.of_type(TIERING):
        tiers = [get(t, "accessTier") for t in as_list(tiering.props.get("tierings"))]
        if tiering.props.get("status", "Enabled") == "Enabled" and any(t in ARCHIVE_TIERS for t in tiers):
            prefix = get(tiering.props, "filter", "prefix") or ""
            found.append((tiering, tiering.props.get("bucket"), prefix, "Intelligent-Tiering archive tiers"))
    for bucket in ctx.of_type(BUCKET):
        for rule in as_list(bucket.props.get("lifecycleRules")):
            classes = [get(t, "storageClass") for t in as_list(get(rule, "transitions"))]
            if get(rule, "enabled") is True and any(c in UNREADABLE_CLASSES for c in classes):
                found.append(
                    (bucket, bucket.props.get("bucket"), get(rule, "prefix") or "", "lifecycle rule")
                )
    return found


@stack_policy(
    "catalog-location-readable",
    domain=DOMAIN,
    description="Glue databases and tables are not located where a lifecycle rule archives objects to "
    "GLACIER/DEEP_ARCHIVE or Intelligent-Tiering's archive tiers (unreadable without a restore).",
    severity=Severity.HIGH,
    remediation="Stop at GLACIER_IR (read in real time) under catalog locations, or move archived data to "
    "a prefix no catalog entry covers.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(GLUE_DATABASE, GLUE_TABLE, BUCKET, LIFECYCLE, TIERING),
)
def catalog_location_readable(ctx: StackContext) -> None:
    archiving = _archiving(ctx)
    if not archiving:
        return
    entries = [(d, d.props.get("locationUri")) for d in ctx.of_type(GLUE_DATABASE)]
    entries += [(t, get(t.props, "storageDescriptor", "location")) for t in ctx.of_type(GLUE_TABLE)]
    for entry, uri in entries:
        if uri is UNKNOWN:
            ctx.undecided(f"the location of '{entry.name}' is unknown during preview", entry.urn)
            continue
        location = _location(uri)
        if location is None:
            continue
        bucket, key = location
        for source, rule_bucket, prefix, what in archiving:
            if contains_unknown([rule_bucket, prefix]):
                ctx.undecided(f"the bucket or prefix of '{source.name}' is unknown during preview", entry.urn)
                continue
            if fnmatch.fnmatchcase(bucket, str(rule_bucket)) and _overlap(key, str(prefix)):
                ctx.report(
                    f"'{entry.name}' is located at {uri}, where {what} of '{source.name}' moves objects "
                    f"out of real-time reach (prefix '{prefix}'): Athena and Spark skip or fail on them; "
                    "stop the layer at GLACIER_IR or keep archives out of catalog locations",
                    entry.urn,
                )


POLICIES = [queue_has_producer, master_secret_workload_access, catalog_location_readable]
