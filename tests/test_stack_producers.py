"""Who writes to the stacks' queues, and the bootstrap job that makes the database users: the exact
inputs of the lake's notification, the queue and key policies (evaluated against the requests S3
makes), and the job's namespace, service account, role, environment, command and SQL."""

from __future__ import annotations

import json
from typing import Any

from test_datalake_documents import decide
from test_stacks import stack

from components.warehouse.migration import RUN_SCRIPT, job_name, postgres_bootstrap_sql
from components.warehouse.migration_settings import DatabaseUser

ACCOUNT = "123456789012"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


def _statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    statements: list[dict[str, Any]] = parsed["Statement"]
    return statements


def test_prod_bronze_object_events_feed_stream_consumer_through_the_lakes_one_notification() -> None:
    run = stack("prod")
    bucket = run.one("aws:s3/bucket:Bucket", "lake-lake")
    queue = run.one("aws:sqs/queue:Queue", "stream-consumer-queue")
    policy = run.one(QUEUE_POLICY, "stream-consumer-queue-policy")
    [notification] = run.by_type(NOTIFICATION)
    assert notification.name == "lake-lake-notifications"
    assert notification.inputs == {
        "bucket": bucket.id,
        "queues": [
            {
                "id": "bronze-0",
                "queueArn": queue.outputs["arn"],
                "events": ["s3:ObjectCreated:*"],
                "filterPrefix": "bronze/",
            }
        ],
    }
    # S3 tests the destination when the configuration is put: the queue policy must exist first.
    assert policy.urn in notification.dependencies
    # ingest-api writes bronze: what it writes is what stream-consumer hears about.
    ingest = _statements(run.one("aws:iam/rolePolicy:RolePolicy", "ingest-api-policy").inputs["policy"])
    assert decide(ingest, "s3:PutObject", f"{bucket.outputs['arn']}/bronze/2026/12/05/batch.json") == "allow"


def test_the_queue_policy_lets_only_the_lake_bucket_of_this_account_send() -> None:
    run = stack("prod")
    bucket_arn = run.one("aws:s3/bucket:Bucket", "lake-lake").outputs["arn"]
    queue_arn = run.one("aws:sqs/queue:Queue", "stream-consumer-queue").outputs["arn"]
    statements = _statements(run.one(QUEUE_POLICY, "stream-consumer-queue-policy").inputs["policy"])
    assert statements[1] == {
        "Sid": "S3SendsEvents",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {
            "ArnEquals": {"aws:SourceArn": bucket_arn},
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
        },
    }
    s3 = ("Service", "s3.amazonaws.com")
    source = {"aws:SourceArn": bucket_arn, "aws:SourceAccount": ACCOUNT}
    assert decide(statements, "sqs:SendMessage", queue_arn, source, caller=s3) == "allow"
    # Another bucket (any account's: S3 bucket ARNs name none), another account, another service.
    other_bucket = {**source, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket"}
    assert decide(statements, "sqs:SendMessage", queue_arn, other_bucket, caller=s3) == "implicit"
    other_account = {**source, "aws:SourceAccount": "999999999999"}
    assert decide(statements, "sqs:SendMessage", queue_arn, other_account, caller=s3) == "implicit"
    sns = ("Service", "sns.amazonaws.com")
    assert decide(statements, "sqs:SendMessage", queue_arn, source, caller=sns) == "implicit"
    assert decide(statements, "sqs:ReceiveMessage", queue_arn, source, caller=s3) == "implicit"
    # And nothing without TLS, S3 included.
    plain = {**source, "aws:SecureTransport": "false"}
    assert decide(statements, "sqs:SendMessage", queue_arn, plain, caller=s3) == "deny"
    # The dead-letter queue admits no service.
    dlq = _statements(run.one(QUEUE_POLICY, "stream-consumer-dlq-policy").inputs["policy"])
    assert [s["Sid"] for s in dlq] == ["DenyInsecureTransport"]


def test_the_queue_key_lets_s3_encrypt_for_this_queue_only() -> None:
    run = stack("prod")
    bucket_arn = run.one("aws:s3/bucket:Bucket", "lake-lake").outputs["arn"]
    queue_arn = run.one("aws:sqs/queue:Queue", "stream-consumer-queue").outputs["arn"]
    key = run.one("aws:kms/key:Key", "stream-consumer-queue-key")
    statements = _statements(key.inputs["policy"])
    assert statements == [
        {
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "S3EncryptsForTheQueue",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {
                "ArnEquals": {"aws:SourceArn": bucket_arn},
                "StringEquals": {
                    "aws:SourceAccount": ACCOUNT,
                    "kms:EncryptionContext:aws:sqs:arn": queue_arn,
                },
            },
        },
    ]
    s3 = ("Service", "s3.amazonaws.com")
    request = {
        "aws:SourceArn": bucket_arn,
        "aws:SourceAccount": ACCOUNT,
        "kms:EncryptionContext:aws:sqs:arn": queue_arn,
    }
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert decide(statements, action, key.outputs["arn"], request, caller=s3) == "allow"
    other_queue = {**request, "kms:EncryptionContext:aws:sqs:arn": queue_arn + "-other"}
    assert decide(statements, "kms:GenerateDataKey", key.outputs["arn"], other_queue, caller=s3) == "implicit"
    assert decide(statements, "kms:ReEncryptFrom", key.outputs["arn"], request, caller=s3) == "implicit"


def test_dev_feeds_both_queues_from_the_lake_in_one_notification() -> None:
    run = stack("dev")
    [notification] = run.by_type(NOTIFICATION)
    stream = run.one("aws:sqs/queue:Queue", "stream-consumer-queue").outputs["arn"]
    batch = run.one("aws:sqs/queue:Queue", "batch-worker-queue").outputs["arn"]
    assert notification.inputs["queues"] == [
        {"id": "bronze-0", "queueArn": stream, "events": ["s3:ObjectCreated:*"], "filterPrefix": "bronze/"},
        {"id": "silver-1", "queueArn": batch, "events": ["s3:ObjectCreated:*"], "filterPrefix": "silver/"},
    ]
    policies = {run.one(QUEUE_POLICY, f"{s}-queue-policy").urn for s in ("stream-consumer", "batch-worker")}
    assert policies <= set(notification.dependencies)
    # stream-consumer writes silver: its writes start batch-worker's jobs.
    writer = _statements(run.one("aws:iam/rolePolicy:RolePolicy", "stream-consumer-policy").inputs["policy"])
    lake = run.one("aws:s3/bucket:Bucket", "lake-lake").outputs["arn"]
    assert decide(writer, "s3:PutObject", f"{lake}/silver/orders/part-0.parquet") == "allow"


def test_the_bootstrap_job_runs_the_sql_in_its_own_namespace_as_the_one_reader_of_the_secret() -> None:
    run = stack("prod")
    rds = run.one("aws:rds/instance:Instance")
    secret_arn = rds.outputs["masterUserSecrets"][0]["secretArn"]
    key_arn = run.one("aws:kms/key:Key", "warehouse-key").outputs["arn"]
    namespace = run.one("kubernetes:core/v1:Namespace", "warehouse-bootstrap-namespace")
    assert namespace.inputs["metadata"]["name"] == "warehouse-bootstrap"
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    role = run.one("aws:iam/role:Role", "warehouse-bootstrap-role")
    account = run.one("kubernetes:core/v1:ServiceAccount", "warehouse-bootstrap-service-account")
    assert account.inputs["metadata"] == {
        "name": "warehouse-bootstrap",
        "namespace": "warehouse-bootstrap",
        "labels": {
            "app.kubernetes.io/name": "warehouse-bootstrap",
            "app.kubernetes.io/part-of": "dataplatform",
        },
        "annotations": {"eks.amazonaws.com/role-arn": role.outputs["arn"]},
    }
    [trust] = _statements(role.inputs["assumeRolePolicy"])
    issuer = next(iter(trust["Condition"]["StringEquals"])).rsplit(":", 1)[0]
    assert trust["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:warehouse-bootstrap:warehouse-bootstrap",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    statements = _statements(
        run.one("aws:iam/rolePolicy:RolePolicy", "warehouse-bootstrap-policy").inputs["policy"]
    )
    via = {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    assert decide(statements, "secretsmanager:GetSecretValue", secret_arn) == "allow"
    assert decide(statements, "kms:Decrypt", key_arn, via) == "allow"
    assert decide(statements, "kms:Decrypt", key_arn) == "implicit"  # only through Secrets Manager
    assert decide(statements, "secretsmanager:PutSecretValue", secret_arn) == "implicit"
    assert (
        decide(statements, "rds-db:connect", f"arn:aws:rds-db:eu-west-1:{ACCOUNT}:dbuser:x/dp_admin")
        == "implicit"
    )

    users = [
        DatabaseUser(name="stream_consumer", access="write", schemas=["events"], service="stream-consumer"),
        DatabaseUser(name="batch_worker_ro", access="read", schemas=["events"], service="batch-worker"),
    ]
    sql = postgres_bootstrap_sql("warehouse", users)
    config_map = run.one("kubernetes:core/v1:ConfigMap", "warehouse-bootstrap-sql")
    assert config_map.inputs["data"] == {"bootstrap.sql": sql}
    job = run.one("kubernetes:batch/v1:Job", "warehouse-bootstrap-job")
    assert job.inputs["metadata"]["name"] == job_name(sql)
    assert job.inputs["metadata"]["namespace"] == "warehouse-bootstrap"
    pod = job.inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "warehouse-bootstrap"
    assert pod["restartPolicy"] == "Never"
    [reader] = pod["initContainers"]
    [client] = pod["containers"]
    assert reader["image"] == "public.ecr.aws/aws-cli/aws-cli:2.17.0"
    assert reader["command"] == [
        "/bin/sh",
        "-c",
        'aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" --query SecretString '
        '--output text > "$SECRET_FILE"',
    ]
    assert reader["env"] == [
        {"name": "MASTER_SECRET_ARN", "value": secret_arn},
        {"name": "AWS_REGION", "value": "eu-west-1"},
        {"name": "SECRET_FILE", "value": "/run/secret/master.json"},
        {"name": "HOME", "value": "/tmp"},
    ]
    assert client["image"] == "public.ecr.aws/docker/library/postgres:17.2-bookworm"
    assert client["command"] == ["/bin/sh", "-c", RUN_SCRIPT]
    assert client["env"] == [
        {"name": "PGHOST", "value": rds.outputs["address"]},
        {"name": "PGPORT", "value": "5432"},
        {"name": "PGDATABASE", "value": "warehouse"},
        {"name": "PGSSLMODE", "value": "require"},
        {"name": "PGCONNECT_TIMEOUT", "value": "10"},
        {"name": "SECRET_FILE", "value": "/run/secret/master.json"},
        {"name": "BOOTSTRAP_FILE", "value": "/bootstrap/bootstrap.sql"},
    ]
    # The secret lives in memory, shared by the two containers only; the client reads it read-only.
    assert {"emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}, "name": "secret"} in pod["volumes"]
    assert {"name": "secret", "mountPath": "/run/secret", "readOnly": True} in client["volumeMounts"]
    # The services start once their users exist: their workloads wait for the job.
    for workload in ("stream-consumer-deployment",):
        deployment = run.one("kubernetes:apps/v1:Deployment", workload)
        assert job.urn in deployment.dependencies
