"""Settings, arguments and a validator shared by the PipelineService tests (not a test module itself)."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate

from components._shared import dns_label_problem, label_key_problem, label_value_problem

K8S_VERSION = "1.32"
"""The cluster version the tests use (a current EKS version); kubernetes-validate ships its schema."""

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ingest:1.4.2"
DIGEST = "sha256:" + "ab" * 32
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/" + ISSUER.removeprefix("https://")
LAKE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::lake/raw/*"},
            {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::lake/clean/*"},
        ],
    }
)
RECOMMENDED = {
    "app.kubernetes.io/name": "ingest-api",
    "app.kubernetes.io/instance": "ingest-api",
    "app.kubernetes.io/component": "pipeline",
    "app.kubernetes.io/part-of": "dataplatform",
    "app.kubernetes.io/managed-by": "pulumi",
}
SELECTOR = {"app.kubernetes.io/name": "ingest-api", "app.kubernetes.io/instance": "ingest-api"}

FULL: dict[str, Any] = {
    "name": "ingest-api",
    "image": f"{IMAGE}@{DIGEST}",
    "namespace": "ingest",
    "component": "ingest-api",
    "labels": {"team": "data-eng"},
    "command": ["/app/ingest"],
    "args": ["--serve"],
    "port": 8080,
    "service_port": 80,
    "env": {"LOG_LEVEL": "info", "LAKE_BUCKET": "lake"},
    "secret_env": {"DB_PASSWORD": {"secret": "ingest-db", "key": "password"}},
    "env_from_secrets": ["ingest-env"],
    "resources": {
        "requests": {"cpu": "500m", "memory": "1Gi", "ephemeral_storage": "1Gi"},
        "limits": {"cpu": 2, "memory": "1Gi", "ephemeral_storage": "2Gi"},
    },
    "probes": {
        "liveness": {"type": "tcp", "period_seconds": 20},
        "readiness": {"type": "http", "path": "/readyz", "port": 8080, "success_threshold": 2},
        "startup": {"type": "exec", "command": ["/app/healthcheck"], "failure_threshold": 30},
    },
    "autoscaling": {
        "min_replicas": 3,
        "max_replicas": 20,
        "cpu_target_utilization": 60,
        "memory_target_utilization": 80,
        "pods_metrics": [{"name": "http_requests_per_second", "target_average_value": "1k"}],
        "external_metrics": [
            {
                "name": "sqs_messages_visible",
                "selector": {"queue": "ingest"},
                "target_average_value": "30",
            },
            {"name": "kafka_lag", "target_value": "10000"},
        ],
        # A raw External HPA only with the adapter that serves external.metrics.k8s.io named.
        "external_metrics_provider": "prometheus-adapter",
        "behavior": {
            "scale_down": {
                "stabilization_window_seconds": 600,
                "policies": [
                    {"type": "Pods", "value": 2, "period_seconds": 120},
                    {"type": "Percent", "value": 5, "period_seconds": 60},
                ],
                "select_policy": "Min",
            }
        },
    },
    "pdb": {"min_available": 2},
    "network_policy": {
        "allow_from": [
            {"namespace": "ingress-nginx"},
            {"namespace_labels": {"team": "data-eng"}, "pod_labels": {"app.kubernetes.io/name": "gateway"}},
            {"pod_labels": {"app.kubernetes.io/name": "batch"}},
            {"cidr": "10.0.0.0/16", "except_cidrs": ["10.0.5.0/24"]},
        ],
        "egress": [
            {"ports": [443]},
            {"peers": [{"cidr": "10.0.64.0/20"}], "ports": [5432]},
        ],
    },
    "rolling_update": {"max_surge": 2, "max_unavailable": "10%"},
    "security": {"run_as_user": 20000, "run_as_group": 20000, "fs_group": 20000, "tmp_size_limit": "512Mi"},
    "topology_spread": {"zones": "DoNotSchedule", "nodes": "ScheduleAnyway", "max_skew": 2},
    "node_selector": {"eks.amazonaws.com/capacityType": "SPOT"},
    "tolerations": [
        {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "toleration_seconds": 60,
        },
    ],
    "priority_class_name": "pipeline-high",
    "automount_service_account_token": True,
    "termination_grace_period_seconds": 60,
    "pre_stop_command": ["/app/drain"],
    "image_pull_policy": "Always",
    "resource_quota": {"hard": {"requests.cpu": "16", "limits.memory": "64Gi", "pods": 40}},
    "limit_range": {"min": {"cpu": "100m"}, "max": {"memory": "4Gi"}},
}

BASE: dict[str, Any] = {"name": "ingest-api", "image": IMAGE}
"""The fewest settings a service needs: a worker with no port."""


def assert_valid_object(manifest: dict[str, Any], version: str = K8S_VERSION) -> None:
    """``manifest`` validates against the OpenAPI schema of Kubernetes ``version`` (strict: unknown
    fields fail), with a valid name and valid label keys and values (which the schema does not check)."""
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        raise AssertionError(
            f"{manifest['kind']} {manifest['metadata'].get('name')}: {error.message} at {list(error.path)}"
        ) from None
    metadata = manifest["metadata"]
    assert not dns_label_problem(metadata["name"]), metadata["name"]
    for key, value in metadata.get("labels", {}).items():
        assert not label_key_problem(key) and not label_value_problem(value), (metadata["name"], key, value)
