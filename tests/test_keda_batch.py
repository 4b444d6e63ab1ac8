"""Event-driven scaling (KEDA, SQS queues) and batch workloads (Jobs, CronJobs, ScaledJobs): the pure
documents, the settings' checks with their key paths, and both stacks as `pulumi up` would make them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components._validation import InvalidConfigError
from components.eks.keda import KedaSettings, keda_values
from components.eks.pools import Placement
from components.pipeline_service import PipelineServiceSettings, batch, keda
from components.pipeline_service import queue as queue_documents
from components.pipeline_service.cron import cron_problem, time_zone_problem
from components.pipeline_service.settings_events import QueueSettings
from dpengine.engine import EngineError, StackRun, run_program
from tests.crdcheck import assert_valid, strict_errors
from tests.pipeline_service_cases import assert_valid_object

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "public.ecr.aws/acme/x:1.0"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
SCALER_ARN = "arn:aws:iam::123456789012:role/worker-scaler"


def settings(**values: Any) -> PipelineServiceSettings:
    return PipelineServiceSettings(name="worker", image=IMAGE, **values)


def problems(**values: Any) -> dict[str, str]:
    with pytest.raises(InvalidConfigError) as err:
        settings(**values)
    return {issue.path: issue.message for issue in err.value.issues}


CONSUMER = {
    "queue": {},
    "resources": {"requests": {"cpu": "250m"}},
    "autoscaling": {
        "min_replicas": 2,
        "max_replicas": 8,
        "cpu_target_utilization": 70,
        "triggers": [{"type": "sqs"}],
    },
}

# --------------------------------------------------------------------------- cron


@pytest.mark.parametrize(
    "schedule",
    [
        "30 2 * * *",
        "*/15 * * * *",
        "0 9-17/2 * * MON-FRI",
        "0 0 1,15 jan,jul ?",
        "@hourly",
        "@daily",
        "5 4 * * 0",
    ],
)
def test_cron_accepts_what_a_cronjob_accepts(schedule: str) -> None:
    assert cron_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ("30 2 * *", "has 4 field(s), not 5"),
        ("61 * * * *", "minute field '61': 61 is outside 0-59"),
        ("0 24 * * *", "hour field '24': 24 is outside 0-23"),
        ("0 0 0 * *", "day of month field '0': 0 is outside 1-31"),
        ("0 0 * FOO *", "month field 'FOO': 'FOO' is not a number or a name"),
        ("0 0 * * 7", "day of week field '7': 7 is outside 0-6"),
        ("0 0 * * 5-1", "range '5-1' runs backwards"),
        ("*/0 * * * *", "step '0' must be a whole number of at least 1"),
        ("? * * * *", "'?' is only allowed in the day-of-month and day-of-week fields"),
        ("@every 5m", "unknown descriptor '@every 5m'"),
        ("TZ=UTC 0 0 * * *", "move it to time_zone"),
        ("0,,5 * * * *", "an empty list item"),
    ],
)
def test_cron_names_the_field_and_the_fix(schedule: str, says: str) -> None:
    problem = cron_problem(schedule)
    assert problem is not None and says in problem


def test_time_zones_are_iana_names() -> None:
    assert time_zone_problem("Europe/Paris") is None
    assert "IANA" in (time_zone_problem("Mars/Olympus") or "")


# --------------------------------------------------------------------------- settings


def test_a_job_refuses_deployment_settings_with_the_key_path() -> None:
    found = problems(
        kind="job", port=8080, autoscaling={"min_replicas": 3}, pdb={"max_unavailable": 1}, replicas=2
    )
    assert set(found) >= {"port", "autoscaling", "pdb", "replicas"}
    assert "gets no Service" in found["port"]
    assert "kind: scaledjob" in found["autoscaling"]


def test_kinds_need_their_settings_and_no_others() -> None:
    assert "set cron: {schedule" in problems(kind="cronjob")["cron"]
    assert "scaled_job: {triggers" in problems(kind="scaledjob")["scaled_job"]
    assert "set kind: cronjob" in problems(cron={"schedule": "@daily"})["cron"]
    assert "kind is deployment" in problems(job={"backoff_limit": 1})["job"]
    found = problems(
        kind="scaledjob",
        queue={},
        scaled_job={"triggers": [{"type": "sqs"}]},
        job={"ttl_seconds_after_finished": 60},
    )
    assert list(found) == ["job.ttl_seconds_after_finished"]
    assert list(problems(kind="cronjob", cron={"schedule": "@daily"}, job={"await_completion": True})) == [
        "job.await_completion"
    ]


def test_a_schedule_that_is_not_cron_is_refused_at_its_key() -> None:
    found = problems(kind="cronjob", cron={"schedule": "every night"})
    assert list(found) == ["cron.schedule"]
    assert "has 2 field(s), not 5" in found["cron.schedule"]


def test_a_trigger_needs_the_queue() -> None:
    found = problems(autoscaling={"triggers": [{"type": "sqs"}], "cpu_target_utilization": None})
    assert list(found) == ["autoscaling.triggers[0].type"]
    assert "set queue: {}" in found["autoscaling.triggers[0].type"]
    scaled = problems(kind="scaledjob", scaled_job={"triggers": [{"type": "sqs"}]})
    assert list(scaled) == ["scaled_job.triggers[0].type"]


def test_an_external_metric_needs_its_provider_and_it_is_never_keda() -> None:
    external = {"external_metrics": [{"name": "depth", "target_value": "10"}]}
    found = problems(autoscaling=external)
    assert list(found) == ["autoscaling.external_metrics"]
    assert "autoscaling.triggers: [{type: sqs}]" in found["autoscaling.external_metrics"]
    keda_named = problems(autoscaling={**external, "external_metrics_provider": "keda"})
    assert "only for its own ScaledObjects" in keda_named["autoscaling.external_metrics_provider"]
    settings(autoscaling={**external, "external_metrics_provider": "prometheus-adapter"})  # accepted
    mixed = problems(queue={}, autoscaling={**external, "triggers": [{"type": "sqs"}]})
    assert list(mixed) == ["autoscaling.triggers"]


def test_queue_settings_are_checked() -> None:
    with pytest.raises(InvalidConfigError) as err:
        QueueSettings(arn="https://sqs.eu-west-1.amazonaws.com/123456789012/orders")
    assert "not an SQS queue ARN" in str(err.value)
    with pytest.raises(InvalidConfigError) as err:
        QueueSettings(arn=QUEUE_ARN, max_receive_count=3)
    assert "referenced" in str(err.value)
    assert (
        problems(queue={}, env={"QUEUE_URL": "x"})["env.QUEUE_URL"] == "is set by queue; remove it from env"
    )


# --------------------------------------------------------------------------- documents


def test_the_role_gets_exactly_the_actions_of_its_mode_on_its_queue() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/k"
    consume = queue_documents.queue_access_statements(QUEUE_ARN, "consume", scaler=True, key_arn=key)
    assert consume == [
        {
            "Sid": "QueueConsume",
            "Effect": "Allow",
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            "Resource": QUEUE_ARN,
        },
        {"Sid": "QueueKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": key},
    ]
    produce = queue_documents.queue_access_statements(QUEUE_ARN, "produce", scaler=False, key_arn=key)
    assert produce[0]["Action"] == ["sqs:GetQueueUrl", "sqs:SendMessage"]
    assert produce[1]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert (
        queue_documents.queue_access_statements(QUEUE_ARN, "produce", scaler=False, key_arn=None)
        == produce[:1]
    )


def test_the_trust_policy_admits_the_keda_operator_only_when_keda_scales_the_service() -> None:
    alone = json.loads(
        queue_documents.workload_trust_policy_document(OIDC_ARN, ISSUER, "ns", "worker", keda=False)
    )
    assert len(alone["Statement"]) == 1
    both = json.loads(
        queue_documents.workload_trust_policy_document(OIDC_ARN, ISSUER, "ns", "worker", keda=True)
    )
    issuer = ISSUER.removeprefix("https://")
    assert [s["Condition"]["StringEquals"] for s in both["Statement"]] == [
        {f"{issuer}:sub": "system:serviceaccount:ns:worker", f"{issuer}:aud": "sts.amazonaws.com"},
        {f"{issuer}:sub": "system:serviceaccount:keda:keda-operator", f"{issuer}:aud": "sts.amazonaws.com"},
    ]
    assert all(s["Action"] == "sts:AssumeRoleWithWebIdentity" for s in both["Statement"])


def test_queue_documents() -> None:
    assert queue_documents.queue_url(QUEUE_ARN) == QUEUE_URL
    assert queue_documents.queue_url("arn:aws-cn:sqs:cn-north-1:123456789012:q") == (
        "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q"
    )
    assert json.loads(queue_documents.redrive_policy(QUEUE_ARN + "-dlq", 5)) == {
        "deadLetterTargetArn": QUEUE_ARN + "-dlq",
        "maxReceiveCount": 5,
    }
    (deny,) = json.loads(queue_documents.queue_transport_policy(QUEUE_ARN))["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_scaled_object_replaces_the_hpa() -> None:
    service = settings(**CONSUMER)
    assert service.makes_scaled_object and not service.makes_hpa
    document = keda.scaled_object(service, region="eu-west-1", queue_url=QUEUE_URL)
    spec = document["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 8)
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"] == {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
    }
    assert spec["triggers"] == [
        {
            "type": "aws-sqs-queue",
            "metadata": {
                "queueURL": QUEUE_URL,
                "queueLength": "5",
                "activationQueueLength": "0",
                "scaleOnInFlight": "true",
                "scaleOnDelayed": "false",
                "awsRegion": "eu-west-1",
            },
            "authenticationRef": {"name": "worker", "kind": "TriggerAuthentication"},
        },
        {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "70"}},
    ]
    auth = keda.trigger_authentication(service, SCALER_ARN)
    # KEDA reads the queue as the scaler role, never as the workload's role (no identityOwner).
    assert auth["spec"] == {"podIdentity": {"provider": "aws", "roleArn": SCALER_ARN}}
    assert_valid(document, auth)


def test_every_trigger_validates() -> None:
    service = settings(
        queue={},
        autoscaling={
            "cpu_target_utilization": None,
            "triggers": [
                {"type": "sqs", "queue_length": 50},
                {"type": "kinesis", "stream_arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"},
                {
                    "type": "cloudwatch",
                    "namespace": "AWS/Kinesis",
                    "metric_name": "GetRecords.IteratorAgeMilliseconds",
                    "dimensions": {"StreamName": "clicks"},
                    "statistic": "Maximum",
                    "target_value": 60000,
                },
                {
                    "type": "prometheus",
                    "server_address": "http://prometheus.monitoring:9090",
                    "query": "sum(lag)",
                    "threshold": 1000,
                },
            ],
        },
    )
    document = keda.scaled_object(service, region="eu-west-1", queue_url=QUEUE_URL)
    types = [t["type"] for t in document["spec"]["triggers"]]
    assert types == ["aws-sqs-queue", "aws-kinesis-stream", "aws-cloudwatch", "prometheus"]
    assert "authenticationRef" not in document["spec"]["triggers"][3]
    assert document["spec"]["triggers"][1]["metadata"]["streamName"] == "clicks"
    assert_valid(document)
    statements = queue_documents.trigger_statements(service.keda_triggers)
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in statements] == [
        (
            "ScalerKinesis",
            ["kinesis:DescribeStreamSummary"],
            "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks",
        ),
        ("ScalerCloudWatch", ["cloudwatch:GetMetricData"], "*"),
    ]


def test_the_strict_schemas_catch_what_the_models_miss() -> None:
    service = settings(**CONSUMER)
    document = keda.scaled_object(service, region="eu-west-1", queue_url=QUEUE_URL)
    document["spec"]["triggers"][0]["metadata"]["identityOwner"] = "workload"
    document["spec"]["triggers"][0]["metadata"]["queueUrl"] = QUEUE_URL  # misspelled key
    errors = strict_errors(document)
    assert any("identityOwner is deprecated" in e for e in errors)
    assert any("queueUrl" in e or "oneOf" in e or "valid" in e for e in errors)
    auth = keda.trigger_authentication(service, SCALER_ARN)
    auth["spec"]["podIdentity"]["identityOwner"] = "workload"
    assert "/spec/podIdentity: roleArn and identityOwner are mutually exclusive" in strict_errors(auth)


def test_jobs_have_the_pod_hardening_and_validate() -> None:
    placement = Placement(
        "batch",
        "node_pool",
        {"dataplatform.io/pool": "batch"},
        [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
    )
    cron = settings(
        kind="cronjob",
        cron={"schedule": "30 2 * * *", "time_zone": "Etc/UTC"},
        job={"restart_policy": "OnFailure"},
    )
    template = batch.pod_template(cron, {"QUEUE_URL": QUEUE_URL}, placement)
    document = batch.cron_job(cron, template)
    assert_valid_object(document, "1.36")
    pod = document["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "OnFailure"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["nodeSelector"] == {"dataplatform.io/pool": "batch"} and pod["tolerations"][0]["key"] == "spot"
    assert pod["containers"][0]["env"] == [{"name": "QUEUE_URL", "value": QUEUE_URL}]
    assert all("matchLabelKeys" not in c for c in pod["topologySpreadConstraints"])
    assert document["spec"]["concurrencyPolicy"] == "Forbid" and document["spec"]["timeZone"] == "Etc/UTC"
    once = settings(kind="job", job={"active_deadline_seconds": 600, "completions": 3, "parallelism": 2})
    job = batch.job(once)
    assert_valid_object(job, "1.36")
    assert job["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    assert (job["spec"]["completions"], job["spec"]["parallelism"], job["spec"]["activeDeadlineSeconds"]) == (
        3,
        2,
        600,
    )


def test_the_scaled_job_runs_the_job_template() -> None:
    service = settings(
        kind="scaledjob", queue={}, scaled_job={"triggers": [{"type": "sqs", "queue_length": 1}]}
    )
    document = keda.scaled_job(service, batch.pod_template(service), region="eu-west-1", queue_url=QUEUE_URL)
    assert document["spec"]["jobTargetRef"]["template"]["spec"]["restartPolicy"] == "Never"
    assert document["spec"]["triggers"][0]["metadata"]["queueLength"] == "1"
    assert_valid(document)
    target = document["spec"]["jobTargetRef"]
    assert_valid_object(
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": document["metadata"], "spec": target}, "1.36"
    )


def test_keda_values_place_every_pod_on_the_system_nodes() -> None:
    placement = Placement(
        "system",
        "node_group",
        {"dataplatform.io/pool": "system"},
        [{"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    )
    values = keda_values(
        KedaSettings(), operator_role_arn="arn:aws:iam::123456789012:role/keda", placement=placement
    )
    assert values["nodeSelector"] == {"dataplatform.io/pool": "system"}
    assert values["tolerations"] == placement.tolerations
    assert values["operator"] == {"replicaCount": 2}
    assert values["podIdentity"]["aws"]["irsa"]["enabled"] is True
    assert values["podIdentity"]["aws"]["irsa"]["roleArn"] == "arn:aws:iam::123456789012:role/keda"
    with pytest.raises(InvalidConfigError):
        KedaSettings(version="latest")


# --------------------------------------------------------------------------- the stacks


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


def test_prod_stream_consumer_scales_on_its_queue_through_keda() -> None:
    run = stack("prod")
    queue = run.one("aws:sqs/queue:Queue", "stream-consumer-queue")
    dlq = run.one("aws:sqs/queue:Queue", "stream-consumer-dlq")
    key = run.one("aws:kms/key:Key", "stream-consumer-queue-key")
    assert dlq.inputs["name"] == "stream-consumer-dlq"
    assert queue.inputs["kmsMasterKeyId"] == dlq.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dlq.outputs["arn"],
        "maxReceiveCount": 5,
    }
    assert queue.inputs["visibilityTimeoutSeconds"] == 120
    # The dead-letter queue is TLS-only; the queue also admits the lake bucket's events (its producer).
    dlq_policy = run.one("aws:sqs/queuePolicy:QueuePolicy", "stream-consumer-dlq-policy").inputs["policy"]
    assert json.loads(dlq_policy) == json.loads(queue_documents.queue_transport_policy(dlq.outputs["arn"]))
    bucket = run.one("aws:s3/bucket:Bucket", "lake-lake").outputs["arn"]
    policy = run.one("aws:sqs/queuePolicy:QueuePolicy", "stream-consumer-queue-policy").inputs["policy"]
    assert json.loads(policy) == json.loads(
        queue_documents.queue_policy(queue.outputs["arn"], "123456789012", [("s3.amazonaws.com", bucket)])
    )
    assert "aws:autoscaling/v2:HorizontalPodAutoscaler" not in {
        r.type for r in run.resources if "stream" in r.name
    }
    assert [r.name for r in run.by_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")] == [
        "ingest-api-hpa"
    ]

    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "stream-consumer-policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["QueueConsume"]["Resource"] == queue.outputs["arn"]
    # Reading the queue depth is the scaler's, not the workload's.
    assert by_sid["QueueConsume"]["Action"] == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
    ]
    assert by_sid["QueueKey"] == {
        "Sid": "QueueKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": key.outputs["arn"],
    }
    # The workload role trusts its own service account only.
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/"
    trust = json.loads(run.one("aws:iam/role:Role", "stream-consumer-role").inputs["assumeRolePolicy"])
    subjects = [
        c for s in trust["Statement"] for k, c in s["Condition"]["StringEquals"].items() if k.endswith(":sub")
    ]
    assert subjects == ["system:serviceaccount:stream-consumer:stream-consumer"]
    assert "keda-operator" not in json.dumps(trust) and issuer in json.dumps(trust)
    # KEDA's scaler role: only the operator may assume it, and it may only read the queue's depth.
    scaler_role = run.one("aws:iam/role:Role", "stream-consumer-scaler")
    scaler_trust = json.loads(scaler_role.inputs["assumeRolePolicy"])
    (statement,) = scaler_trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert sorted(statement["Condition"]["StringEquals"].values()) == [
        "sts.amazonaws.com",
        "system:serviceaccount:keda:keda-operator",
    ]
    scaler_policy = run.one("aws:iam/rolePolicy:RolePolicy", "stream-consumer-scaler")
    assert scaler_policy.inputs["role"] == scaler_role.id
    assert json.loads(scaler_policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ScalerQueueDepth",
                "Effect": "Allow",
                "Action": ["sqs:GetQueueAttributes"],
                "Resource": queue.outputs["arn"],
            }
        ],
    }

    scaled = run.one("kubernetes:keda.sh/v1alpha1:ScaledObject", "stream-consumer-scaled-object")
    sqs, cpu = scaled.inputs["spec"]["triggers"]
    assert sqs["metadata"]["queueURL"] == queue.outputs["url"] and sqs["metadata"]["queueLength"] == "100"
    assert sqs["metadata"]["awsRegion"] == "eu-west-1"
    assert cpu == {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "70"}}
    release = run.one("kubernetes:helm.sh/v3:Release", "eks-keda")
    auth = run.one("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "stream-consumer-trigger-auth")
    deployment = run.one("kubernetes:apps/v1:Deployment", "stream-consumer-deployment")
    assert {release.urn, auth.urn, deployment.urn} <= set(scaled.dependencies)
    assert release.urn in auth.dependencies
    assert auth.inputs["spec"] == {"podIdentity": {"provider": "aws", "roleArn": scaler_role.outputs["arn"]}}
    (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert {"name": "QUEUE_URL", "value": queue.outputs["url"]} in container["env"]
    assert "replicas" not in deployment.inputs["spec"]  # KEDA's HPA owns the count


def test_keda_runs_on_the_system_nodes_after_them() -> None:
    run = stack("prod")
    release = run.one("kubernetes:helm.sh/v3:Release", "eks-keda")
    assert release.inputs["chart"] == "keda" and release.inputs["version"] == "2.21.1"
    assert release.inputs["namespace"] == "keda"
    assert release.inputs["repositoryOpts"]["repo"] == "https://kedacore.github.io/charts"
    values = release.inputs["values"]
    assert values["nodeSelector"] == {"dataplatform.io/pool": "system"}
    assert values["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    role = run.one("aws:iam/role:Role", "eks-keda-operator")
    assert values["podIdentity"]["aws"]["irsa"]["roleArn"] == role.outputs["arn"]
    assert not [r for r in run.by_type("aws:iam/rolePolicy:RolePolicy") if r.name.startswith("eks-keda")]
    nodes = run.one("aws:eks/nodeGroup:NodeGroup")
    coredns = next(r for r in run.by_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "coredns")
    assert {nodes.urn, coredns.urn} <= set(release.dependencies)


def test_prod_batch_worker_is_a_cronjob_on_the_spot_pool() -> None:
    run = stack("prod")
    cron = run.one("kubernetes:batch/v1:CronJob", "batch-worker-cronjob").inputs["spec"]
    assert cron["schedule"] == "30 2 * * *" and cron["concurrencyPolicy"] == "Forbid"
    job = cron["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"], job["ttlSecondsAfterFinished"]) == (
        4,
        14400,
        86400,
    )
    assert job["template"]["spec"]["nodeSelector"] == {"dataplatform.io/pool": "batch"}
    assert not [
        r
        for r in run.resources
        if r.name in ("batch-worker-hpa", "batch-worker-pdb", "batch-worker-deployment")
    ]


def test_dev_batch_worker_is_a_scaled_job_on_its_queue() -> None:
    run = stack("dev")
    scaled = run.one("kubernetes:keda.sh/v1alpha1:ScaledJob", "batch-worker-scaled-job").inputs["spec"]
    queue = run.one("aws:sqs/queue:Queue", "batch-worker-queue")
    assert queue.inputs["name"] == "batch-worker-dev"
    assert scaled["triggers"][0]["metadata"]["queueURL"] == queue.outputs["url"]
    assert scaled["scalingStrategy"] == {"strategy": "accurate"} and scaled["maxReplicaCount"] == 4
    assert scaled["jobTargetRef"]["template"]["spec"]["nodeSelector"] == {"dataplatform.io/pool": "batch"}


# --------------------------------------------------------------------------- bad stack settings


def bad(services: list[dict[str, Any]], cluster: dict[str, Any] | None = None) -> dict[str, str]:
    """The issues of a dev stack with ``services`` (and cluster overrides); nothing is registered."""
    overrides = {"dataplatform:services": json.dumps(services)}
    if cluster is not None:
        dev_cluster = json.loads(json.dumps(load_dev_cluster()))
        dev_cluster.update(cluster)
        overrides["dataplatform:cluster"] = json.dumps(dev_cluster)
    with pytest.raises(EngineError) as err:
        run_program(ROOT, "dev", config_overrides=overrides)
    assert err.value.kind == "config"
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return {
        line.split(":", 2)[1].strip(): line for line in str(err.value).splitlines() if "dataplatform:" in line
    }


@cache
def load_dev_cluster() -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["dataplatform:cluster"])


def svc(name: str, **values: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **values}


def test_a_queue_arn_of_another_service_is_refused_with_the_fix() -> None:
    issues = bad(
        [
            svc("consumer", queue={}),
            svc(
                "producer", queue={"access": "produce", "arn": "arn:aws:sqs:eu-west-1:123456789012:consumer"}
            ),
        ]
    )
    assert "services[1].queue.arn" in issues
    assert "queue.from_service: consumer" in issues["services[1].queue.arn"]


def test_bad_batch_and_scaling_settings_are_refused_before_anything_is_registered() -> None:
    issues = bad(
        [
            svc("nightly", kind="cronjob", cron={"schedule": "every night"}, pool="batch"),
            svc("once", kind="job", port=8080, autoscaling={"min_replicas": 3}, pool="batch"),
            svc("consumer", autoscaling={"triggers": [{"type": "sqs"}], "cpu_target_utilization": None}),
            svc("raw", autoscaling={"external_metrics": [{"name": "depth", "target_value": "5"}]}),
        ]
    )
    for path in (
        "services[0].cron.schedule",
        "services[1].port",
        "services[1].autoscaling",
        "services[2].autoscaling.triggers[0].type",
        "services[3].autoscaling.external_metrics",
    ):
        assert path in issues, (path, sorted(issues))


def test_triggers_need_keda_on_the_cluster() -> None:
    issues = bad(
        [svc("consumer", queue={}, autoscaling={"triggers": [{"type": "sqs"}]})], cluster={"keda": None}
    )
    assert "cluster.keda" in issues and "set cluster.keda: {}" in issues["cluster.keda"]


def test_a_producer_gets_the_consumers_queue_by_service() -> None:
    services = [
        svc("producer", queue={"access": "produce", "from_service": "consumer"}),
        svc("consumer", queue={}),
    ]
    run = run_program(ROOT, "dev", config_overrides={"dataplatform:services": json.dumps(services)})
    queue = run.one("aws:sqs/queue:Queue", "consumer-queue")
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "producer-policy").inputs["policy"])
    assert policy["Statement"][0] == {
        "Sid": "QueueProduce",
        "Effect": "Allow",
        "Action": ["sqs:GetQueueUrl", "sqs:SendMessage"],
        "Resource": queue.outputs["arn"],
    }
    made = sorted(
        r.name for r in run.by_type("aws:sqs/queue:Queue") if r.name != "eks-karpenter-interruption"
    )
    assert made == ["consumer-dlq", "consumer-queue"]  # the producer creates none
