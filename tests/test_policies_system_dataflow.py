"""dataflow: a consumed queue has a producer, a master secret is read by a Job's role only, catalog
locations are not archived. Each rule on a failing and a passing hand-written program (not ours)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from system_programs import check, deployment, node_group, opts, pod_spec, raw_cluster, undecided, violations

PRODUCER = "queue-has-producer"
SECRET = "master-secret-workload-access"
CATALOG = "catalog-location-readable"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def policy(*statements: dict[str, Any]) -> pulumi.Output[str] | str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --------------------------------------------------------------------------- queue-has-producer


def queue_program(producer: str | None) -> None:
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)
    queue = aws.sqs.Queue("jobs")
    deployment(provider, "worker")
    k8s.apiextensions.CustomResource(
        "worker-scaler",
        api_version="keda.sh/v1alpha1",
        kind="ScaledObject",
        metadata={"name": "worker", "namespace": "apps"},
        spec={
            "scaleTargetRef": {"name": "worker"},
            "triggers": [
                {
                    "type": "aws-sqs-queue",
                    "metadata": {"queueURL": queue.url, "queueLength": "5", "awsRegion": "eu-west-1"},
                }
            ],
        },
        opts=opts(provider),
    )
    if producer == "s3":
        bucket = aws.s3.Bucket("landing")
        aws.s3.BucketNotification(
            "landing-events",
            bucket=bucket.id,
            queues=[aws.s3.BucketNotificationQueueArgs(queue_arn=queue.arn, events=["s3:ObjectCreated:*"])],
        )
    elif producer == "rule":
        rule = aws.cloudwatch.EventRule("orders", event_pattern=json.dumps({"source": ["shop"]}))
        aws.cloudwatch.EventTarget("orders-to-queue", rule=rule.name, arn=queue.arn)
    elif producer == "role":
        role = aws.iam.Role(
            "api",
            assume_role_policy=policy(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
        )
        aws.iam.RolePolicy(
            "api-send",
            role=role.id,
            policy=queue.arn.apply(
                lambda arn: policy({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn})
            ),
        )
    elif producer == "receive-only":
        role = aws.iam.Role(
            "api",
            assume_role_policy=policy(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
        )
        aws.iam.RolePolicy(
            "api-receive",
            role=role.id,
            policy=queue.arn.apply(
                lambda arn: policy({"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": arn})
            ),
        )


def test_a_queue_keda_consumes_needs_a_producer() -> None:
    message = (
        "queue 'jobs' is consumed by KEDA object 'worker-scaler', and nothing in the program sends to it (no "
        "S3 notification, EventBridge target, SNS subscription, or policy allowing sqs:SendMessage): no "
        "message ever arrives; add a producer or remove the consumer"
    )
    assert violations(check(lambda: queue_program(None)), PRODUCER) == [("jobs", message)]
    # A role that only receives is no producer (the mutation: SendMessage -> ReceiveMessage).
    assert violations(check(lambda: queue_program("receive-only")), PRODUCER) == [("jobs", message)]
    for producer in ("s3", "rule", "role"):
        assert violations(check(lambda p=producer: queue_program(p)), PRODUCER) == [], producer


def test_a_queue_nobody_consumes_needs_nothing_and_unknowns_are_said() -> None:
    def idle() -> None:
        aws.sqs.Queue("idle")

    assert violations(check(idle), PRODUCER) == []
    report = check(lambda: queue_program(None), preview=True)
    assert violations(report, PRODUCER) == []
    assert undecided(report, PRODUCER) == [
        "queue 'jobs': the queue URL of KEDA object 'worker-scaler' is unknown during preview"
    ]


# --------------------------------------------------------------------------- master-secret-workload-access


def trust(namespace: str, account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{ISSUER}:sub": f"system:serviceaccount:{namespace}:{account}",
                            f"{ISSUER}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def secret_program(reader: str, *, grant: str = "secretsmanager:GetSecretValue") -> None:
    """A database with an RDS-managed secret; ``reader`` (deployment or job) runs as the role that may
    read it."""
    cluster, provider, nets = raw_cluster(public=True)
    node_group(cluster, nets)
    db = aws.rds.Instance(
        "orders-db",
        engine="postgres",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        username="admin_user",
        manage_master_user_password=True,
    )
    role = aws.iam.Role("app-role", assume_role_policy=trust("apps", "app"))
    secret_arn = db.master_user_secrets.apply(
        lambda s: s[0]["secret_arn"] if isinstance(s[0], dict) else s[0].secret_arn
    )
    aws.iam.RolePolicy(
        "app-read",
        role=role.id,
        policy=secret_arn.apply(lambda arn: policy({"Effect": "Allow", "Action": grant, "Resource": arn})),
    )
    k8s.core.v1.ServiceAccount(
        "app-sa",
        metadata={
            "name": "app",
            "namespace": "apps",
            "annotations": {"eks.amazonaws.com/role-arn": role.arn},
        },
        opts=opts(provider),
    )
    if reader == "deployment":
        deployment(provider, "app", serviceAccountName="app")
    else:
        k8s.batch.v1.Job(
            "migrate",
            metadata={"name": "migrate", "namespace": "apps"},
            spec={"template": {"spec": pod_spec(serviceAccountName="app", restartPolicy="Never")}},
            opts=opts(provider),
        )


def test_a_long_running_workloads_role_may_not_read_the_master_secret() -> None:
    assert violations(check(lambda: secret_program("deployment")), SECRET) == [
        (
            "app-role",
            "role 'app-role' may read the master secret of 'orders-db' and is assumed by Deployment 'app' "
            "(namespace apps, service account 'app'): a compromised pod owns the database; connect as the "
            "service's own database user (IAM authentication) and leave the secret to a migration Job",
        )
    ]
    # A wildcard action grants it as well.
    assert [
        n
        for n, _ in violations(check(lambda: secret_program("deployment", grant="secretsmanager:*")), SECRET)
    ] == ["app-role"]
    # The migration Job may; a workload that cannot read it is fine.
    assert violations(check(lambda: secret_program("job")), SECRET) == []
    assert (
        violations(check(lambda: secret_program("deployment", grant="secretsmanager:DescribeSecret")), SECRET)
        == []
    )


# --------------------------------------------------------------------------- catalog-location-readable


def catalog_program(storage_class: str, prefix: str = "raw/") -> None:
    bucket = aws.s3.Bucket("lake", bucket="acme-lake")
    aws.s3.BucketLifecycleConfiguration(
        "lake-lifecycle",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="raw-archive",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=365, storage_class=storage_class
                    )
                ],
            )
        ],
    )
    aws.glue.CatalogDatabase("raw", name="raw", location_uri="s3://acme-lake/raw/")


def test_a_catalog_location_is_never_archived_out_of_reach() -> None:
    message = (
        "'raw' is located at s3://acme-lake/raw/, where rule 'raw-archive' (DEEP_ARCHIVE) of "
        "'lake-lifecycle' moves objects out of real-time reach (prefix 'raw/'): Athena and Spark skip or "
        "fail on them; stop the layer at GLACIER_IR or keep archives out of catalog locations"
    )
    assert violations(check(lambda: catalog_program("DEEP_ARCHIVE")), CATALOG) == [("raw", message)]
    assert [n for n, _ in violations(check(lambda: catalog_program("GLACIER", prefix="")), CATALOG)] == [
        "raw"
    ]
    # Glacier Instant Retrieval is read in real time; an archive under another prefix strands nothing.
    assert violations(check(lambda: catalog_program("GLACIER_IR")), CATALOG) == []
    assert violations(check(lambda: catalog_program("DEEP_ARCHIVE", prefix="archive/")), CATALOG) == []
