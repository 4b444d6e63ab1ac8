"""PipelineService: a production Kubernetes workload with IRSA, HPA, PDB and NetworkPolicy, under mocks.

What the component registers, in which order and with which wiring; every registered Kubernetes
object is validated against the Kubernetes OpenAPI schema of the cluster's version
(``kubernetes-validate``, strict: unknown fields fail), not by eye. The rendering itself is tested
without the engine in ``test_pipeline_service_manifests.py``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime.sync_await import _sync_await

from components._validation import ConfigIssue, InvalidConfigError
from components.pipeline_service import (
    PipelineService,
    PipelineServiceArgs,
    PipelineServiceSettings,
)
from components.pipeline_service.args import merge_policy_documents
from dpengine.engine import ResourceRecord, run_function
from dpengine.testing import ComponentRun, assert_tagged, resolve, run_component
from tests.pipeline_service_cases import (
    BASE,
    DIGEST,
    FULL,
    IMAGE,
    ISSUER,
    K8S_VERSION,
    LAKE_POLICY,
    OIDC_ARN,
    RECOMMENDED,
    SELECTOR,
    assert_valid_object,
)

NAMESPACE = "kubernetes:core/v1:Namespace"
SA = "kubernetes:core/v1:ServiceAccount"
SERVICE = "kubernetes:core/v1:Service"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


# --------------------------------------------------------------------------- helpers


def make(
    settings: dict[str, Any] | PipelineServiceSettings,
    tags: dict[str, str],
    *,
    policy: str | None = LAKE_POLICY,
    with_provider: bool = True,
    **args: Any,
) -> ComponentRun[PipelineService]:
    def factory() -> PipelineService:
        provider = k8s.Provider("k8s", kubeconfig="{}") if with_provider else None
        return PipelineService(
            "ingest",
            PipelineServiceArgs(
                settings=settings
                if isinstance(settings, PipelineServiceSettings)
                else PipelineServiceSettings(**settings),
                tags=tags,
                provider=provider,
                oidc_provider_arn=OIDC_ARN,
                oidc_issuer_url=ISSUER,
                iam_policy_json=policy,
                kubernetes_version=K8S_VERSION,
                **args,
            ),
        )

    return run_component(factory)


def kube_objects(cr: ComponentRun[Any]) -> list[ResourceRecord]:
    return [r for r in cr.children if r.type.startswith("kubernetes:")]


def assert_valid_manifests(cr: ComponentRun[Any], version: str = K8S_VERSION) -> None:
    """Every Kubernetes child, as registered, validates against the cluster version's schema."""
    objects = kube_objects(cr)
    assert objects, "no Kubernetes objects rendered"
    for record in objects:
        manifest = copy.deepcopy(record.inputs)
        group_version, kind = record.type.removeprefix("kubernetes:").rsplit(":", 1)
        group, api = group_version.split("/")
        manifest.setdefault("apiVersion", api if group == "core" else f"{group}/{api}")
        manifest.setdefault("kind", kind)
        assert manifest["kind"] == kind
        assert_valid_object(manifest, version)


def pod_spec(cr: ComponentRun[Any]) -> dict[str, Any]:
    return cr.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]


def container(cr: ComponentRun[Any]) -> dict[str, Any]:
    containers = pod_spec(cr)["containers"]
    assert len(containers) == 1
    return containers[0]


def provider_urn(cr: ComponentRun[Any]) -> str:
    return next(r.urn for r in cr.run.resources if r.type == "pulumi:providers:kubernetes")


def issues_of(settings: dict[str, Any]) -> list[ConfigIssue]:
    """The problems ``PipelineServiceSettings`` reports for ``settings``."""
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings(**settings)
    return err.value.issues


def only_issue(settings: dict[str, Any]) -> ConfigIssue:
    """The one problem reported for ``settings`` (fails when there are none or several)."""
    issues = issues_of(settings)
    assert len(issues) == 1, issues
    return issues[0]


# --------------------------------------------------------------------------- defaults


def test_defaults_full_object_set(tags):
    cr = make(BASE, tags)
    assert cr.counts() == {
        ROLE: 1,
        ROLE_POLICY: 1,
        NAMESPACE: 1,
        SA: 1,
        DEPLOYMENT: 1,
        HPA: 1,
        PDB: 1,
        NETPOL: 1,
    }
    assert cr.record.type == "dataplatform:workload:PipelineService"
    assert {r.name for r in cr.children} == {
        "ingest-role",
        "ingest-policy",
        "ingest-namespace",
        "ingest-service-account",
        "ingest-deployment",
        "ingest-hpa",
        "ingest-pdb",
        "ingest-network-policy",
    }
    assert all(r.parent == cr.record.urn for r in cr.children)
    assert_valid_manifests(cr)
    assert_tagged(cr.children, tags)
    # Explicit names and namespace on every object; the namespace defaults to the service name.
    assert cr.one(NAMESPACE).inputs["metadata"]["name"] == "ingest-api"
    for record in kube_objects(cr):
        if record.type != NAMESPACE:
            assert record.inputs["metadata"]["name"] == "ingest-api"
            assert record.inputs["metadata"]["namespace"] == "ingest-api"
    assert cr.component.service_name is None


def urns_of(output: pulumi.Output[Any]) -> set[str]:
    """The URNs of the resources an Output waits for."""
    return {resolve(resource.urn) for resource in _sync_await(output.resources())}


def test_outputs_wait_for_the_objects_they_name(tags):
    cr = make({**BASE, "port": 8080, "probes": {"readiness": {}}}, tags)
    component = cr.component
    for output, token in (
        (component.namespace, NAMESPACE),
        (component.service_account_name, SA),
        (component.deployment_name, DEPLOYMENT),
        (component.service_name, SERVICE),
        (component.hpa_name, HPA),
        (component.role_arn, ROLE),
    ):
        record = cr.one(token)
        # The value the object reports, and a dependency on it: a consumer waits for the object.
        reported = record.outputs["arn"] if token == ROLE else record.outputs["metadata"]["name"]
        assert cr.value(output) == reported, token
        assert urns_of(output) == {record.urn}, token
    assert component.selector_labels == SELECTOR


def test_kubernetes_children_use_the_given_provider_and_aws_children_do_not(tags):
    cr = make(BASE, tags)
    urn = provider_urn(cr)
    for record in kube_objects(cr):
        assert record.provider is not None and record.provider.startswith(urn + "::"), record.name
    for record in (cr.one(ROLE), cr.one(ROLE_POLICY)):
        assert record.provider is None or "pulumi:providers:aws" in record.provider


def test_default_worker_has_no_service_and_denies_all_ingress(tags):
    cr = make(BASE, tags)
    policy = cr.one(NETPOL).inputs["spec"]
    assert policy["podSelector"] == {"matchLabels": SELECTOR}
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy.get("ingress", []) == []
    # Egress denied but DNS and HTTPS to the AWS APIs (the VPC unknown: anywhere but link-local).
    assert [rule["ports"] for rule in policy["egress"]] == [
        [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        [{"port": 443, "protocol": "TCP"}],
    ]
    assert policy["egress"][1]["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}]
    assert "ports" not in container(cr)
    assert "readinessProbe" not in container(cr)


def test_recommended_labels_and_selector(tags):
    cr = make(BASE, tags)
    for record in kube_objects(cr):
        labels = record.inputs["metadata"]["labels"]
        assert {k: labels[k] for k in RECOMMENDED} == RECOMMENDED, record.name
    deployment = cr.one(DEPLOYMENT).inputs
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "1.4.2"
    assert "app.kubernetes.io/version" not in cr.one(NAMESPACE).inputs["metadata"]["labels"]
    assert deployment["spec"]["selector"] == {"matchLabels": SELECTOR}
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert SELECTOR.items() <= template_labels.items()
    assert cr.one(PDB).inputs["spec"]["selector"] == {"matchLabels": SELECTOR}


def test_namespace_enforces_restricted_pod_security(tags):
    labels = make(BASE, tags).one(NAMESPACE).inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.32"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_namespaced_objects_wait_for_the_namespace(tags):
    cr = make(BASE, tags)
    namespace = cr.one(NAMESPACE).urn
    for record in kube_objects(cr):
        if record.type != NAMESPACE:
            assert namespace in record.dependencies, record.name
    deployment = cr.one(DEPLOYMENT)
    assert cr.one(SA).urn in deployment.dependencies
    assert cr.one(NETPOL).urn in deployment.dependencies


def test_only_the_deployment_waits_for_the_workload_dependencies(tags):
    def factory() -> PipelineService:
        nodes = aws.iam.Role("nodes", assume_role_policy="{}")  # stands in for a node group
        return PipelineService(
            "ingest",
            PipelineServiceArgs(
                settings=PipelineServiceSettings(**BASE),
                tags=tags,
                provider=k8s.Provider("k8s", kubeconfig="{}"),
                oidc_provider_arn=OIDC_ARN,
                oidc_issuer_url=ISSUER,
                iam_policy_json=LAKE_POLICY,
                kubernetes_version=K8S_VERSION,
                workload_dependencies=[nodes],
            ),
        )

    cr = run_component(factory)
    nodes = cr.run.one("aws:iam/role:Role", "nodes").urn
    waiting = sorted(r.name for r in cr.children if nodes in r.dependencies)
    assert waiting == ["ingest-deployment"]


# --------------------------------------------------------------------------- security


def test_restricted_security_context(tags):
    cr = make(BASE, tags)
    spec = pod_spec(cr)
    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container(cr)["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # A read-only root filesystem still gets a bounded scratch directory.
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}]
    assert container(cr)["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert "hostNetwork" not in spec and "hostPID" not in spec


def test_uid_zero_is_rejected():
    issue = only_issue({**BASE, "security": {"run_as_user": 0}})
    assert issue.path == "security.run_as_user"
    assert "greater than or equal to 1" in issue.message


# --------------------------------------------------------------------------- IRSA


def test_irsa_role_trusts_exactly_this_service_account(tags):
    cr = make(BASE, tags)
    role = cr.one(ROLE)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    issuer = ISSUER.removeprefix("https://")
    assert statement == {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{issuer}:sub": "system:serviceaccount:ingest-api:ingest-api",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        },
    }
    assert role.inputs["tags"] == tags
    role_policy = cr.one(ROLE_POLICY)
    assert json.loads(role_policy.inputs["policy"]) == json.loads(LAKE_POLICY)
    assert role_policy.inputs["role"] == role.id


def test_service_account_carries_the_role_annotation(tags):
    cr = make(BASE, tags)
    account = cr.one(SA).inputs
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": cr.one(ROLE).outputs["arn"]}
    assert account["automountServiceAccountToken"] is False
    assert pod_spec(cr)["serviceAccountName"] == account["metadata"]["name"]
    assert cr.one(ROLE).urn in cr.one(SA).dependencies


def test_no_policy_means_no_role_and_no_annotation(tags):
    cr = make(BASE, tags, policy=None)
    assert ROLE not in cr.counts() and ROLE_POLICY not in cr.counts()
    assert "annotations" not in cr.one(SA).inputs["metadata"]
    assert cr.component.role_arn is None
    assert_valid_manifests(cr)


def test_trust_policy_follows_a_given_namespace(tags):
    cr = make({**BASE, "namespace": "pipelines", "create_namespace": False}, tags)
    trust = json.loads(cr.one(ROLE).inputs["assumeRolePolicy"])
    conditions = trust["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:pipelines:ingest-api" in conditions.values()


# --------------------------------------------------------------------------- HPA


def test_hpa_defaults_and_behavior(tags):
    cr = make(BASE, tags)
    spec = cr.one(HPA).inputs["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ingest-api"}
    assert spec["minReplicas"] == 2
    assert spec["maxReplicas"] == 10
    assert spec["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
        }
    ]
    assert spec["behavior"] == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15},
                {"type": "Pods", "value": 4, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 300,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
        },
    }


def test_deployment_leaves_replicas_to_the_hpa(tags):
    cr = make(BASE, tags)
    assert "replicas" not in cr.one(DEPLOYMENT).inputs["spec"]
    assert cr.one(DEPLOYMENT).ignore_changes == []


def test_fixed_replicas_without_hpa(tags):
    cr = make({**BASE, "replicas": 3, "autoscaling": {"enabled": False}}, tags)
    assert HPA not in cr.counts()
    assert cr.one(DEPLOYMENT).inputs["spec"]["replicas"] == 3
    assert cr.component.hpa_name is None
    assert cr.one(PDB).inputs["spec"]["maxUnavailable"] == 1
    assert_valid_manifests(cr)


def test_behavior_override_keeps_the_other_direction(tags):
    cr = make(
        {
            **BASE,
            "autoscaling": {
                "behavior": {
                    "scale_down": {
                        "stabilization_window_seconds": 900,
                        "policies": [{"type": "Pods", "value": 1, "period_seconds": 300}],
                        "select_policy": "Disabled",
                    }
                }
            },
        },
        tags,
    )
    behavior = cr.one(HPA).inputs["spec"]["behavior"]
    assert behavior["scaleDown"] == {
        "stabilizationWindowSeconds": 900,
        "selectPolicy": "Disabled",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
    }
    assert behavior["scaleUp"]["policies"][1] == {"type": "Pods", "value": 4, "periodSeconds": 15}


# --------------------------------------------------------------------------- every option


def test_every_option(tags):
    cr = make(FULL, tags)
    assert cr.counts() == {
        ROLE: 1,
        ROLE_POLICY: 1,
        NAMESPACE: 1,
        QUOTA: 1,
        LIMITS: 1,
        SA: 1,
        DEPLOYMENT: 1,
        SERVICE: 1,
        HPA: 1,
        PDB: 1,
        NETPOL: 1,
    }
    assert_valid_manifests(cr)
    assert_tagged(cr.children, tags)
    assert cr.value(cr.component.namespace) == "ingest"
    assert cr.value(cr.component.service_name) == "ingest-api"

    c = container(cr)
    assert c["image"] == f"{IMAGE}@{DIGEST}"
    assert c["imagePullPolicy"] == "Always"
    assert c["command"] == ["/app/ingest"] and c["args"] == ["--serve"]
    assert c["env"] == [
        {"name": "LAKE_BUCKET", "value": "lake"},
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "ingest-db", "key": "password"}}},
    ]
    assert c["envFrom"] == [{"secretRef": {"name": "ingest-env"}}]
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert c["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "2", "memory": "1Gi", "ephemeral-storage": "2Gi"},
    }
    assert c["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert c["livenessProbe"]["periodSeconds"] == 20
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http", "scheme": "HTTP"}
    assert c["readinessProbe"]["successThreshold"] == 2
    assert c["startupProbe"]["exec"] == {"command": ["/app/healthcheck"]}
    assert c["startupProbe"]["failureThreshold"] == 30
    assert c["lifecycle"] == {"preStop": {"exec": {"command": ["/app/drain"]}}}
    assert c["securityContext"]["runAsUser"] == 20000

    spec = pod_spec(cr)
    assert spec["terminationGracePeriodSeconds"] == 60
    assert spec["automountServiceAccountToken"] is True
    assert cr.one(SA).inputs["automountServiceAccountToken"] is True
    assert spec["priorityClassName"] == "pipeline-high"
    assert spec["nodeSelector"] == {"eks.amazonaws.com/capacityType": "SPOT"}
    assert spec["tolerations"] == [
        {"key": "spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 60,
        },
    ]
    assert [
        (t["topologyKey"], t["whenUnsatisfiable"], t["maxSkew"]) for t in spec["topologySpreadConstraints"]
    ] == [
        ("topology.kubernetes.io/zone", "DoNotSchedule", 2),
        ("kubernetes.io/hostname", "ScheduleAnyway", 2),
    ]
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "512Mi"}}]

    deployment = cr.one(DEPLOYMENT).inputs
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 2, "maxUnavailable": "10%"},
    }
    assert deployment["metadata"]["labels"]["team"] == "data-eng"
    assert deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "ingest-api"
    # Digest-pinned image with a tag: the tag is the version label.
    assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "1.4.2"

    service = cr.one(SERVICE).inputs["spec"]
    assert service == {
        "type": "ClusterIP",
        "selector": SELECTOR,
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
    }

    hpa = cr.one(HPA).inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
    assert hpa["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
        },
        {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}},
        },
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "http_requests_per_second"},
                "target": {"type": "AverageValue", "averageValue": "1k"},
            },
        },
        {
            "type": "External",
            "external": {
                "metric": {"name": "sqs_messages_visible", "selector": {"matchLabels": {"queue": "ingest"}}},
                "target": {"type": "AverageValue", "averageValue": "30"},
            },
        },
        {
            "type": "External",
            "external": {"metric": {"name": "kafka_lag"}, "target": {"type": "Value", "value": "10000"}},
        },
    ]
    assert hpa["behavior"]["scaleDown"] == {
        "stabilizationWindowSeconds": 600,
        "selectPolicy": "Min",
        "policies": [
            {"type": "Pods", "value": 2, "periodSeconds": 120},
            {"type": "Percent", "value": 5, "periodSeconds": 60},
        ],
    }
    assert hpa["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0

    assert cr.one(PDB).inputs["spec"] == {
        "selector": {"matchLabels": SELECTOR},
        "minAvailable": 2,
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }
    assert cr.one(QUOTA).inputs["spec"] == {
        "hard": {"requests.cpu": "16", "limits.memory": "64Gi", "pods": "40"}
    }
    assert cr.one(QUOTA).inputs["metadata"]["name"] == "ingest-api-quota"
    assert cr.one(LIMITS).inputs["spec"] == {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                "default": {"cpu": "500m", "memory": "256Mi"},
                "min": {"cpu": "100m"},
                "max": {"memory": "4Gi"},
            }
        ]
    }


def test_network_policy_with_peers_and_egress(tags):
    cr = make(FULL, tags)
    spec = cr.one(NETPOL).inputs["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [
        {
            "from": [
                {"podSelector": {}},  # the service's own namespace, by default
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                {
                    "namespaceSelector": {"matchLabels": {"team": "data-eng"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}},
                },
                {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "batch"}}},
                {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.5.0/24"]}},
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]
    assert spec["egress"] == [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
            "ports": [{"port": 443, "protocol": "TCP"}],
        },
        {"ports": [{"port": 443, "protocol": "TCP"}]},
        {"to": [{"ipBlock": {"cidr": "10.0.64.0/20"}}], "ports": [{"port": 5432, "protocol": "TCP"}]},
    ]


def test_existing_namespace_is_not_created(tags):
    cr = make({**BASE, "namespace": "pipelines", "create_namespace": False}, tags)
    assert NAMESPACE not in cr.counts()
    for record in kube_objects(cr):
        assert record.inputs["metadata"]["namespace"] == "pipelines"
    # No object to wait for: the namespace output is the name itself.
    assert cr.value(cr.component.namespace) == "pipelines"
    assert urns_of(cr.component.namespace) == set()
    assert_valid_manifests(cr)


def test_preStop_sleep_and_grace_period_by_default(tags):
    cr = make(BASE, tags)
    assert container(cr)["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert pod_spec(cr)["terminationGracePeriodSeconds"] == 30


def test_manifests_also_validate_against_newer_schemas(tags):
    cr = make(FULL, tags)
    assert_valid_manifests(cr, "1.33")


def test_schema_validation_can_fail(tags):
    cr = make(BASE, tags)
    manifest = copy.deepcopy(cr.one(DEPLOYMENT).inputs)
    manifest["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUsr"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("settings", "path", "fix"),
    [
        ({"autoscaling": {"min_replicas": 5, "max_replicas": 3}}, "autoscaling", "raise max_replicas"),
        ({"autoscaling": {"cpu_target_utilization": 0}}, "autoscaling.cpu_target_utilization", "1 to 100"),
        (
            {"autoscaling": {"memory_target_utilization": 101}},
            "autoscaling.memory_target_utilization",
            "1 to 100",
        ),
        ({"autoscaling": {"cpu_target_utilization": None}}, "autoscaling", "set cpu_target_utilization"),
        ({"pdb": {"min_available": 2}}, "pdb.min_available", "set it below 2"),
        ({"pdb": {"min_available": "100%"}}, "pdb.min_available", "blocks every eviction"),
        ({"pdb": {"min_available": "90%"}}, "pdb.min_available", "blocks every eviction"),
        ({"pdb": {"max_unavailable": 0}}, "pdb", "set it to 1 or more"),
        ({"pdb": {"max_unavailable": "0%"}}, "pdb", "set it to 1 or more"),
        (
            {"replicas": 1, "autoscaling": {"enabled": False}, "pdb": {"min_available": 1}},
            "pdb.min_available",
            "(replicas)",
        ),
        (
            {"port": 8080, "probes": {"readiness": {"port": 9090}}},
            "probes.readiness.port",
            "is not exposed by the container",
        ),
        ({"probes": {"liveness": {"type": "http"}}}, "probes.liveness.type", "set port or use an exec probe"),
        ({"port": 8080}, "probes.readiness", "set e.g. {type: http, path: /readyz}"),
        (
            {"resources": {"requests": {"cpu": "500x"}}},
            "resources.requests.cpu",
            "'500x' is not a Kubernetes quantity",
        ),
        ({"resources": {"limits": {"memory": "1GB"}}}, "resources.limits.memory", "'512Mi', '1Gi'"),
        (
            {"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1500m"}}},
            "resources.requests.cpu",
            "raise limits.cpu to at least '2'",
        ),
        (
            {"resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "1000Mi"}}},
            "resources.requests.memory",
            "the request exceeds the limit",
        ),
        ({"image": "ingest:latest"}, "image", "pin a version tag"),
        ({"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ingest"}, "image", "has no tag or digest"),
        ({"image": "registry:5000/ingest"}, "image", "has no tag or digest"),
        ({"image": "Ingest App:1"}, "image", "is not an image reference"),
        ({"replicas": 3}, "replicas", "set autoscaling.min_replicas instead"),
        ({"rolling_update": {"max_surge": 0, "max_unavailable": 0}}, "rolling_update", "set max_surge to 1"),
        ({"name": "Ingest_API"}, "name", "e.g. 'ingest-api'"),
        ({"pre_stop_sleep_seconds": 30}, "pre_stop_sleep_seconds", "termination_grace_period_seconds"),
        ({"resource_quota": {"hard": {"pods": "5"}}}, "resource_quota.hard.pods", "raise the quota"),
        (
            {"create_namespace": False, "namespace": "shared", "limit_range": {}},
            "limit_range",
            "set create_namespace: true",
        ),
        (
            {"network_policy": {"allow_from": [{"namespace": "gateway"}]}},
            "network_policy.allow_from",
            "set port",
        ),
        (
            {"network_policy": {"allow_from": [{"cidr": "10.0.0.0/16", "namespace": "x"}]}},
            "network_policy.allow_from[0]",
            "two peers",
        ),
        ({"node_selector": {"spot": "yes please"}}, "node_selector", "label value 'yes please'"),
        ({"tolerations": [{"operator": "Exists", "value": "x"}]}, "tolerations[0]", "remove value"),
        (
            {
                "autoscaling": {
                    "external_metrics": [{"name": "q", "target_value": "1", "target_average_value": "2"}]
                }
            },
            "autoscaling.external_metrics[0]",
            "exactly one",
        ),
        (
            {"autoscaling": {"behavior": {"scale_up": {"stabilization_window_seconds": 0, "policies": []}}}},
            "autoscaling.behavior.scale_up.policies",
            "at least 1 item",
        ),
        (
            {"probes": {"startup": {"type": "exec", "command": ["x"], "success_threshold": 2}}},
            "probes.startup.success_threshold",
            "must be 1",
        ),
        ({"replicass": 2}, "replicass", "did you mean 'replicas'"),
        # NetworkPolicy blocks are parsed (ipaddress), not pattern-matched.
        (
            {"network_policy": {"allow_from": [{"cidr": "999.999.999.999/99"}]}},
            "network_policy.allow_from[0].cidr",
            "not a CIDR block",
        ),
        (
            {"network_policy": {"allow_from": [{"cidr": "10.0.0.1/16"}]}},
            "network_policy.allow_from[0].cidr",
            "has host bits set; use '10.0.0.0/16'",
        ),
        (
            {"network_policy": {"allow_from": [{"cidr": "10.0.0.0"}]}},
            "network_policy.allow_from[0].cidr",
            "needs a prefix length",
        ),
        (
            {"network_policy": {"allow_from": [{"cidr": "10.0.0.0/16", "except_cidrs": ["10.0.5.0/33"]}]}},
            "network_policy.allow_from[0].except_cidrs[0]",
            "not a CIDR block",
        ),
        (
            {"network_policy": {"egress": [{"peers": [{"cidr": "fd00::1/64"}]}]}},
            "network_policy.egress[0].peers[0].cidr",
            "has host bits set; use 'fd00::/64'",
        ),
        # The API server refuses an except block that is not a strict subset of the cidr.
        (
            {"network_policy": {"allow_from": [{"cidr": "10.0.0.0/16", "except_cidrs": ["10.1.0.0/24"]}]}},
            "network_policy.allow_from[0]",
            "must lie strictly inside cidr 10.0.0.0/16",
        ),
        (
            {"network_policy": {"allow_from": [{"cidr": "10.0.0.0/16", "except_cidrs": ["10.0.0.0/16"]}]}},
            "network_policy.allow_from[0]",
            "strictly inside",
        ),
        (
            {
                "network_policy": {
                    "egress": [{"peers": [{"cidr": "10.0.0.0/8", "except_cidrs": ["fd00::/64"]}]}]
                }
            },
            "network_policy.egress[0].peers[0]",
            "strictly inside",
        ),
        (
            {"network_policy": {"monitoring_namespace": "Monitoring"}},
            "network_policy.monitoring_namespace",
            "must be a DNS label",
        ),
        (
            {"network_policy": {"egress": [{"protocol": "ICMP"}]}},
            "network_policy.egress[0].protocol",
            "'TCP', 'UDP' or 'SCTP'",
        ),
        # Label and taint keys follow one rule everywhere: the prefix is a DNS subdomain.
        ({"node_selector": {"a..b/x": "1"}}, "node_selector", "label key prefix 'a..b'"),
        ({"labels": {"/team": "data"}}, "labels", "label key prefix ''"),
        ({"tolerations": [{"key": "a..b/spot", "operator": "Exists"}]}, "tolerations[0]", "prefix 'a..b'"),
        ({"env_from_secrets": ["Ingest_Env"]}, "env_from_secrets[0]", "e.g. 'ingest-api-env'"),
        ({"secret_env": {"DB": {"secret": "db..x", "key": "p"}}}, "secret_env.DB.secret", "DNS subdomain"),
        ({"priority_class_name": "High"}, "priority_class_name", "must be a DNS subdomain"),
        ({"namespace": "Ingest"}, "namespace", "must be a DNS label"),
        ({"port": 8080, "port_name": "8080", "probes": {"readiness": {}}}, "port_name", "at most 15"),
        ({"name": "a" * 51}, "name", "at most 50"),
    ],
)
def test_settings_errors_name_the_key_and_the_fix(settings, path, fix):
    issue = only_issue({**BASE, **settings})
    assert issue.path == path
    assert fix in issue.message


@pytest.mark.parametrize(
    "cidr", ["10.0.0.0/16", "0.0.0.0/0", "192.168.1.7/32", "fd00::/64", "2600:1f18:abcd::/48"]
)
def test_network_policy_blocks_accept_ipv4_and_ipv6(cidr):
    settings = PipelineServiceSettings(
        **{**BASE, "network_policy": {"egress": [{"peers": [{"cidr": cidr}]}]}}
    )
    assert settings.network_policy.egress is not None
    assert settings.network_policy.egress[0].peers[0].cidr == cidr


def test_hpa_needs_the_request_its_target_is_relative_to():
    issue = only_issue(
        {**BASE, "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "512Mi"}}}
    )
    assert issue.path == "autoscaling.cpu_target_utilization"
    assert "set resources.requests.cpu" in issue.message


def test_several_problems_are_reported_at_once():
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings(**{**BASE, "replicas": 3, "pdb": {"min_available": 5}, "port": 80})
    assert [issue.path for issue in err.value.issues] == ["probes.readiness", "replicas", "pdb.min_available"]
    assert str(err.value).startswith("invalid PipelineServiceSettings: 3 problem(s)")


def _args(tags: dict[str, str], **overrides: Any) -> PipelineServiceArgs:
    values: dict[str, Any] = {
        "settings": PipelineServiceSettings(**BASE),
        "tags": tags,
        "oidc_provider_arn": OIDC_ARN,
        "oidc_issuer_url": ISSUER,
        "iam_policy_json": LAKE_POLICY,
        **overrides,
    }
    return PipelineServiceArgs(**values)


@pytest.mark.parametrize(
    ("args", "paths", "fix"),
    [
        ({"iam_policy_json": "{not json"}, ["args.iam_policy_json"], "is not JSON"),
        (
            {"iam_policy_json": json.dumps({"Version": "2012-10-17"})},
            ["args.iam_policy_json"],
            "no Statement",
        ),
        (
            {"oidc_issuer_url": "oidc.eks.us-east-1.amazonaws.com/id/X"},
            ["args.oidc_issuer_url"],
            "https:// URL",
        ),
        (
            {"oidc_provider_arn": "arn:aws:iam::123456789012:role/x"},
            ["args.oidc_provider_arn"],
            "not an IAM OIDC provider ARN",
        ),
        ({"kubernetes_version": "1.28"}, ["args.kubernetes_version"], "is past EKS extended support"),
        ({"kubernetes_version": "latest"}, ["args.kubernetes_version"], "e.g. '1.32'"),
        (
            {"tags": {"Project": "x"}},
            ["args.tags.Environment", "args.tags.Owner", "args.tags.CostCenter", "args.tags.ManagedBy"],
            "required tag is missing",
        ),
        (
            {"workload_dependencies": ["eks-apps-nodes"]},
            ["args.workload_dependencies[0]"],
            "pass resources",
        ),
        ({"provider": "k8s"}, ["args.provider"], "pulumi_kubernetes.Provider"),
        ({"settings": dict(BASE)}, ["args.settings"], "must be PipelineServiceSettings"),
    ],
)
def test_argument_errors_raise_before_anything_is_registered(tags, args, paths, fix):
    # The provider is the program's, made before the component; the component must add nothing.
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        PipelineService("ingest", _args(**{"tags": tags, "provider": provider, **args}))

    with pytest.raises(InvalidConfigError) as err:
        run_function(program)
    assert [issue.path for issue in err.value.issues] == paths
    assert all(fix in issue.message for issue in err.value.issues)
    registered = [(r.type, r.name) for r in err.value.recorded_run.resources]  # type: ignore[attr-defined]
    assert registered == [("pulumi:providers:kubernetes", "k8s")]


def test_a_failed_run_records_what_was_registered_before_the_error(tags):
    # The check above is only worth something if a failed run does list what got registered.
    def program() -> None:
        PipelineService("ingest", _args(tags, provider=k8s.Provider("k8s", kubeconfig="{}")))
        raise InvalidConfigError([ConfigIssue("args.x", 1, "fails after the component")])

    with pytest.raises(InvalidConfigError) as err:
        run_function(program)
    types = {r.type for r in err.value.recorded_run.resources}  # type: ignore[attr-defined]
    assert {"dataplatform:workload:PipelineService", ROLE, DEPLOYMENT} <= types


def test_settings_parse_as_a_stack_config_section():
    settings = PipelineServiceSettings.parse({**BASE, "resources": {"limits": {"cpu": 2}}}, "services[0]")
    assert settings.resources.limits.cpu == "2"
    with pytest.raises(InvalidConfigError) as err:
        PipelineServiceSettings.parse({**BASE, "autoscaling": {"max_replicas": 0}}, "services[0]")
    assert [issue.path for issue in err.value.issues] == ["services[0].autoscaling.max_replicas"]


def test_image_by_digest_only_has_no_version_label(tags):
    cr = make({**BASE, "image": f"public.ecr.aws/acme/ingest@{DIGEST}"}, tags)
    assert "app.kubernetes.io/version" not in cr.one(DEPLOYMENT).inputs["metadata"]["labels"]


# --------------------------------------------------------------------------- wiring


def test_wired_environment_follows_the_settings_env_and_validates(tags):
    host = pulumi.Output.from_input("db.example")
    cr = make({**BASE, "env": {"LOG_LEVEL": "info"}}, tags, environment={"WAREHOUSE_HOST": host, "A": "1"})
    assert container(cr)["env"] == [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "A", "value": "1"},
        {"name": "WAREHOUSE_HOST", "value": "db.example"},
    ]
    assert_valid_manifests(cr)


def test_wired_environment_may_not_repeat_a_settings_variable(tags):
    with pytest.raises(InvalidConfigError) as err:
        make({**BASE, "env": {"WAREHOUSE_HOST": "x"}}, tags, environment={"WAREHOUSE_HOST": "y"})
    assert [issue.path for issue in err.value.issues] == ["args.environment.WAREHOUSE_HOST"]


def test_a_service_sharing_a_namespace_waits_for_it_and_creates_none(tags):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        wiring = {
            "tags": tags,
            "provider": provider,
            "oidc_provider_arn": OIDC_ARN,
            "oidc_issuer_url": ISSUER,
            "kubernetes_version": K8S_VERSION,
        }
        owner = PipelineService(
            "owner",
            PipelineServiceArgs(settings=PipelineServiceSettings(**{**BASE, "namespace": "data"}), **wiring),
        )
        assert owner.namespace_resource is not None
        sharer = {**BASE, "name": "sharer", "namespace": "data", "create_namespace": False}
        shared = PipelineService(
            "sharer",
            PipelineServiceArgs(
                settings=PipelineServiceSettings(**sharer),
                namespace_dependency=owner.namespace_resource,
                **wiring,
            ),
        )
        assert shared.namespace_resource is None

    run = run_function(program)
    [namespace] = run.by_type(NAMESPACE)
    sharer_objects = [
        r for r in run.resources if r.type.startswith("kubernetes:") and r.name.startswith("sharer-")
    ]
    assert sharer_objects
    for record in sharer_objects:
        assert namespace.urn in record.dependencies, record.name


def test_merged_policies_keep_every_statement_and_refuse_a_repeated_sid():
    first = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow"}]})
    second = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "B", "Effect": "Allow"}, {"Effect": "Deny"}]}
    )
    assert json.loads(merge_policy_documents(first, second)) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "A", "Effect": "Allow"}, {"Sid": "B", "Effect": "Allow"}, {"Effect": "Deny"}],
    }
    with pytest.raises(ValueError, match="share Sid"):
        merge_policy_documents(first, first)


# --------------------------------------------------------------------------- image from the wiring


def test_the_wiring_image_runs_when_settings_omit_it(tags: dict[str, str]) -> None:
    settings = {k: v for k, v in BASE.items() if k != "image"}
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev/api:1.4.2"
    cr = make(settings, tags, image=image)
    (container,) = cr.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == image
    # The version label comes from settings.image only; it is absent, not wrong.
    assert (
        "app.kubernetes.io/version"
        not in cr.one("kubernetes:apps/v1:Deployment").inputs["metadata"]["labels"]
    )


@pytest.mark.parametrize(
    ("drop", "image", "path"), [(True, None, "settings.image"), (False, "r/x:1.0", "args.image")]
)
def test_exactly_one_image_source(tags: dict[str, str], drop: bool, image: str | None, path: str) -> None:
    settings = {k: v for k, v in BASE.items() if not (drop and k == "image")}
    with pytest.raises(InvalidConfigError) as err:
        make(settings, tags, image=image)
    assert [i.path for i in err.value.issues] == [path]
