"""The pure rendering of a pipeline service (``components.pipeline_service.manifests``), no engine.

Each object and each part the functions return is validated against the Kubernetes OpenAPI schema
of the tests' cluster version directly with ``kubernetes-validate`` (strict: unknown fields fail);
the other tests check what the rendering decides across objects (selectors, names, ports).
"""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from components.pipeline_service import PipelineServiceSettings, is_metrics_port_name, manifests
from components.pipeline_service.args import MIN_KUBERNETES_MINOR, pod_security_version
from tests.pipeline_service_cases import BASE, DIGEST, FULL, IMAGE, K8S_VERSION, SELECTOR, assert_valid_object

ROLE_ARN = "arn:aws:iam::123456789012:role/ingest-role"
PSS_VERSION = pod_security_version(K8S_VERSION)

API = {**BASE, "port": 8080, "probes": {"readiness": {"type": "http", "path": "/readyz"}}}
CASES: dict[str, dict[str, Any]] = {
    "worker": BASE,
    "api": API,
    "every-option": FULL,
    "fixed-replicas": {**BASE, "replicas": 3, "autoscaling": {"enabled": False}},
    "existing-namespace": {**BASE, "namespace": "pipelines", "create_namespace": False},
    "baseline-namespace": {**BASE, "pod_security_level": "baseline"},
    "bare": {
        **BASE,
        "image": f"public.ecr.aws/acme/ingest@{DIGEST}",
        "topology_spread": {"zones": None, "nodes": None},
        "security": {"writable_tmp": False, "read_only_root_filesystem": False},
        "resources": {"requests": {}, "limits": {}},
        "autoscaling": {"enabled": False},
        "pre_stop_sleep_seconds": 0,
    },
    "custom-metrics-only": {
        **BASE,
        "autoscaling": {
            "cpu_target_utilization": None,
            "pods_metrics": [{"name": "rps", "target_average_value": "100", "selector": {"route": "ingest"}}],
        },
    },
    "egress-without-dns": {
        **API,
        "network_policy": {
            "allow_from": [{"cidr": "fd00::/64", "except_cidrs": ["fd00::/96"]}],
            "egress": [{"peers": [{"namespace": "kafka"}], "ports": [9092, 9093]}, {}],
            "allow_dns": False,
        },
        "pdb": {"max_unavailable": "50%"},
        "service_type": "LoadBalancer",
    },
    "metrics-port": {
        **API,
        "port": 9090,
        "port_name": "http-metrics",
        "network_policy": {
            "allow_from": [{"namespace": "gateway"}],
            "monitoring_namespace": "monitoring",
            "egress": [{"protocol": "UDP"}, {"peers": [{"cidr": "10.0.0.0/8"}], "protocol": "SCTP"}],
        },
    },
    "isolated": {**API, "network_policy": {"allow_same_namespace": False}},
}


def settings_of(case: str) -> PipelineServiceSettings:
    return PipelineServiceSettings(**CASES[case])


def all_objects(settings: PipelineServiceSettings) -> list[dict[str, Any]]:
    """Every object the functions render for ``settings`` (the component picks among them)."""
    objects = [
        manifests.namespace(settings, PSS_VERSION),
        manifests.service_account(settings, ROLE_ARN),
        manifests.service_account(settings, None),
        manifests.deployment(settings),
        manifests.hpa(settings),
        manifests.pdb(settings),
        manifests.network_policy(settings),
    ]
    if settings.port is not None:
        objects.append(manifests.service(settings))
    if settings.resource_quota is not None:
        objects.append(manifests.resource_quota(settings))
    if settings.limit_range is not None:
        objects.append(manifests.limit_range(settings))
    return objects


def pod(spec: dict[str, Any]) -> dict[str, Any]:
    """A Pod around a pod spec, to validate the spec (and its parts) on their own."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": "x"}, "spec": spec}


def pod_with(container: dict[str, Any]) -> dict[str, Any]:
    return pod({"containers": [{"name": "app", "image": IMAGE, **container}]})


# --------------------------------------------------------------------------- the schema


@pytest.mark.parametrize("case", CASES)
def test_every_object_validates_against_the_schema(case):
    objects = all_objects(settings_of(case))
    assert len(objects) >= 7
    for manifest in objects:
        assert_valid_object(manifest, K8S_VERSION)


def test_objects_validate_against_the_oldest_supported_version():
    for manifest in all_objects(settings_of("every-option")):
        assert_valid_object(manifest, f"1.{MIN_KUBERNETES_MINOR}")


@pytest.mark.parametrize("case", CASES)
def test_parts_validate_on_their_own(case):
    settings = settings_of(case)
    assert_valid_object(pod(manifests.pod_spec(settings)))
    assert_valid_object(pod({"containers": [manifests.container(settings)]}))
    assert_valid_object(pod({"containers": [{"name": "a", "image": IMAGE}], "topologySpreadConstraints": []}))
    constraints = manifests.topology_spread(settings)
    assert_valid_object(
        pod({"containers": [{"name": "a", "image": IMAGE}], "topologySpreadConstraints": constraints})
    )
    assert_valid_object(
        pod_with({"resources": {"requests": manifests.resource_list(settings.resources.requests)}})
    )


@pytest.mark.parametrize(
    "probe",
    [
        {"type": "http", "path": "/livez", "period_seconds": 5, "timeout_seconds": 2},
        {"type": "tcp", "initial_delay_seconds": 10, "failure_threshold": 6},
        {"type": "exec", "command": ["/app/healthcheck", "--quick"]},
    ],
)
def test_each_probe_validates(probe):
    settings = PipelineServiceSettings(**{**API, "probes": {"readiness": probe, "startup": probe}})
    assert settings.probes.readiness is not None
    wire = manifests.probe(settings.probes.readiness, "http")
    ports = [{"name": "http", "containerPort": 8080}]
    assert_valid_object(pod_with({"ports": ports, "readinessProbe": wire, "startupProbe": wire}))


@pytest.mark.parametrize(
    "toleration",
    [
        {"key": "spot", "value": "true", "effect": "NoSchedule"},
        {"operator": "Exists"},
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "toleration_seconds": 30,
        },
    ],
)
def test_each_toleration_validates(toleration):
    settings = PipelineServiceSettings(**{**BASE, "tolerations": [toleration]})
    wire = manifests.toleration(settings.tolerations[0])
    assert_valid_object(pod({"containers": [{"name": "a", "image": IMAGE}], "tolerations": [wire]}))
    assert (
        "tolerationSeconds" in wire if "toleration_seconds" in toleration else "tolerationSeconds" not in wire
    )


@pytest.mark.parametrize(
    "peer",
    [
        {"namespace": "gateway"},
        {"namespace_labels": {"team": "data"}},
        {"namespace_labels": {"team": "data"}, "pod_labels": {"app": "gw"}},
        {"pod_labels": {"app": "gw"}},
        {"cidr": "10.0.0.0/8", "except_cidrs": ["10.1.0.0/16", "10.2.0.0/16"]},
        {"cidr": "2600:1f18::/32"},
    ],
)
def test_each_network_peer_validates(peer):
    settings = PipelineServiceSettings(**{**API, "network_policy": {"allow_from": [peer]}})
    wire = manifests.network_peer(settings.network_policy.allow_from[0])
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "peer", "namespace": "x"},
        "spec": {"podSelector": {}, "ingress": [{"from": [wire]}], "egress": [{"to": [wire]}]},
    }
    assert_valid_object(policy)


def test_scaling_rules_validate_in_both_directions():
    settings = settings_of("every-option")
    behavior = {
        "scaleUp": manifests.scaling_rules(settings.autoscaling.behavior.scale_up),
        "scaleDown": manifests.scaling_rules(settings.autoscaling.behavior.scale_down),
    }
    hpa = manifests.hpa(settings)
    hpa["spec"] = {**hpa["spec"], "metrics": [], "behavior": behavior}
    assert_valid_object(hpa)


def test_namespace_policies_validate_on_their_own():
    settings = settings_of("every-option")
    assert settings.resource_quota is not None and settings.limit_range is not None
    for kind, spec in (
        ("ResourceQuota", manifests.resource_quota_spec(settings.resource_quota)),
        ("LimitRange", manifests.limit_range_spec(settings.limit_range)),
    ):
        assert_valid_object(
            {"apiVersion": "v1", "kind": kind, "metadata": {"name": "n", "namespace": "x"}, "spec": spec}
        )


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (
            lambda d: d["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(runAsUsr=1),
            "runAsUsr",
        ),
        (lambda d: d["spec"].update(replicas="two"), "replicas"),
        (lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"), "name"),
    ],
)
def test_the_schema_check_can_fail(mutate, where):
    manifest = copy.deepcopy(manifests.deployment(settings_of("every-option")))
    mutate(manifest)
    with pytest.raises(kubernetes_validate.ValidationError) as err:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    assert where in str(err.value.message) or where in list(err.value.path)


# --------------------------------------------------------------------------- what the rendering decides


@pytest.mark.parametrize("case", CASES)
def test_selectors_match_the_pods(case):
    settings = settings_of(case)
    deployment = manifests.deployment(settings)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = manifests.selector_labels(settings)
    assert selector == SELECTOR
    # The API server rejects a Deployment whose selector does not match its own template.
    assert deployment["spec"]["selector"] == {"matchLabels": selector}
    assert selector.items() <= pod_labels.items()
    assert manifests.pdb(settings)["spec"]["selector"] == {"matchLabels": selector}
    assert manifests.network_policy(settings)["spec"]["podSelector"] == {"matchLabels": selector}
    for constraint in manifests.topology_spread(settings):
        assert constraint["labelSelector"] == {"matchLabels": selector}
        assert constraint["matchLabelKeys"] == ["pod-template-hash"]
    if settings.port is not None:
        assert manifests.service(settings)["spec"]["selector"] == selector


@pytest.mark.parametrize("case", CASES)
def test_objects_refer_to_each_other_by_name(case):
    settings = settings_of(case)
    deployment = manifests.deployment(settings)
    spec = deployment["spec"]["template"]["spec"]
    account = manifests.service_account(settings, ROLE_ARN)
    assert spec["serviceAccountName"] == account["metadata"]["name"]
    assert spec["automountServiceAccountToken"] is account["automountServiceAccountToken"]
    target = manifests.hpa(settings)["spec"]["scaleTargetRef"]
    assert target == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    for manifest in all_objects(settings):
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == settings.namespace_name, manifest["kind"]
    assert manifests.namespace(settings, PSS_VERSION)["metadata"]["name"] == settings.namespace_name


def test_ports_are_referred_to_by_name():
    settings = settings_of("every-option")
    (container,) = manifests.deployment(settings)["spec"]["template"]["spec"]["containers"]
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": 8080, "protocol": "TCP"}
    (service_port,) = manifests.service(settings)["spec"]["ports"]
    assert (service_port["port"], service_port["targetPort"]) == (80, port["name"])
    assert container["readinessProbe"]["httpGet"]["port"] == port["name"]
    assert container["livenessProbe"]["tcpSocket"]["port"] == port["name"]
    # The NetworkPolicy is about the pods, so it names the container port, not the Service's.
    assert manifests.network_policy(settings)["spec"]["ingress"][0]["ports"] == [
        {"port": 8080, "protocol": "TCP"}
    ]


@pytest.mark.parametrize("case", CASES)
def test_every_container_meets_the_restricted_pod_security_standard(case):
    settings = settings_of(case)
    spec = manifests.pod_spec(settings)
    (container,) = spec["containers"]
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] > 0 and context["runAsGroup"] > 0
    assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["enableServiceLinks"] is False
    assert not {"hostNetwork", "hostPID", "hostIPC"} & spec.keys()
    for volume in spec.get("volumes", []):
        assert volume.keys() == {"name", "emptyDir"}, volume


def test_namespace_enforces_the_standard_for_the_cluster_version():
    labels = manifests.namespace(settings_of("baseline-namespace"), "v1.31")["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security.")} == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.31",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.31",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.31",
    }
    # The namespace outlives image versions.
    assert "app.kubernetes.io/version" not in labels
    assert pod_security_version("1.33") == "v1.33"


@pytest.mark.parametrize(
    ("image", "version"),
    [
        (IMAGE, "1.4.2"),
        (f"{IMAGE}@{DIGEST}", "1.4.2"),
        (f"public.ecr.aws/acme/ingest@{DIGEST}", None),
        # A valid tag that is not a valid label value (over 63 characters): no version label.
        ("registry.example.com/ingest:" + "1" * 64, None),
    ],
)
def test_version_label_comes_from_the_image_tag(image, version):
    labels = manifests.labels(PipelineServiceSettings(**{**BASE, "image": image}))
    assert labels.get("app.kubernetes.io/version") == version


def test_extra_labels_cannot_override_the_recommended_ones():
    settings = PipelineServiceSettings(
        **{**BASE, "labels": {"app.kubernetes.io/name": "other", "team": "data"}}
    )
    labels = manifests.labels(settings)
    assert labels["app.kubernetes.io/name"] == "ingest-api"
    assert labels["team"] == "data"
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"


def test_replicas_are_left_to_the_hpa():
    assert "replicas" not in manifests.deployment_spec(settings_of("worker"))
    assert manifests.deployment_spec(settings_of("fixed-replicas"))["replicas"] == 3


def test_pdb_defaults_to_one_unavailable_pod():
    assert manifests.pdb_spec(settings_of("worker")) == {
        "selector": {"matchLabels": SELECTOR},
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
        "maxUnavailable": 1,
    }
    assert manifests.pdb_spec(settings_of("egress-without-dns"))["maxUnavailable"] == "50%"
    assert manifests.pdb_spec(settings_of("every-option"))["minAvailable"] == 2


DNS_RULE = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
HTTPS_BUT_LINK_LOCAL = {
    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
    "ports": [{"port": 443, "protocol": "TCP"}],
}
"""The AWS APIs when the VPC is not known (no ServiceNetwork): 443 anywhere but the metadata service."""


def test_network_policy_denies_all_ingress_and_egress_but_dns_and_aws_apis_by_default():
    spec = manifests.network_policy_spec(settings_of("worker"))
    assert spec == {
        "podSelector": {"matchLabels": SELECTOR},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [DNS_RULE, HTTPS_BUT_LINK_LOCAL],
    }
    spec = manifests.network_policy_spec(settings_of("egress-without-dns"))
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["egress"] == [
        HTTPS_BUT_LINK_LOCAL,
        {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kafka"}}}],
            "ports": [{"port": 9092, "protocol": "TCP"}, {"port": 9093, "protocol": "TCP"}],
        },
        {},  # a rule with neither peers nor ports: anywhere, on every port (as documented)
    ]
    open_egress = PipelineServiceSettings(**{**BASE, "network_policy": {"deny_egress": False}})
    assert manifests.network_policy_spec(open_egress) == {
        "podSelector": {"matchLabels": SELECTOR},
        "policyTypes": ["Ingress"],
        "ingress": [],
    }


PORT_8080 = [{"port": 8080, "protocol": "TCP"}]
OWN_NAMESPACE = {"podSelector": {}}
"""A peer with only an empty podSelector: every pod of the policy's own namespace."""


def test_a_service_with_a_port_admits_its_own_namespace_by_default():
    assert manifests.ingress_rules(settings_of("api")) == [{"from": [OWN_NAMESPACE], "ports": PORT_8080}]
    # Extra peers join the own namespace on the same port.
    settings = PipelineServiceSettings(**{**API, "network_policy": {"allow_from": [{"namespace": "gw"}]}})
    assert manifests.ingress_rules(settings) == [
        {
            "from": [
                OWN_NAMESPACE,
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gw"}}},
            ],
            "ports": PORT_8080,
        }
    ]


def test_isolation_is_one_setting_away():
    assert manifests.ingress_rules(settings_of("isolated")) == []
    spec = manifests.network_policy_spec(settings_of("isolated"))
    assert spec["policyTypes"] == ["Ingress", "Egress"] and spec["ingress"] == []  # every peer denied
    settings = PipelineServiceSettings(
        **{
            **API,
            "network_policy": {"allow_same_namespace": False, "allow_from": [{"pod_labels": {"a": "b"}}]},
        }
    )
    assert manifests.ingress_rules(settings) == [
        {"from": [{"podSelector": {"matchLabels": {"a": "b"}}}], "ports": PORT_8080}
    ]


def test_a_worker_without_a_port_admits_no_one():
    assert manifests.ingress_rules(settings_of("worker")) == []


def test_a_metrics_port_admits_a_monitoring_namespace_only_when_one_is_named():
    port = [{"port": 9090, "protocol": "TCP"}]
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    gateway = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}
    assert manifests.ingress_rules(settings_of("metrics-port")) == [
        {"from": [OWN_NAMESPACE, gateway], "ports": port},
        {"from": [monitoring], "ports": port},
    ]
    case = CASES["metrics-port"]
    elsewhere = PipelineServiceSettings(
        **{**case, "network_policy": {"monitoring_namespace": "observability"}}
    )
    assert manifests.ingress_rules(elsewhere)[1] == {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}],
        "ports": port,
    }
    off = PipelineServiceSettings(**{**case, "network_policy": {"allow_same_namespace": False}})
    assert off.network_policy.monitoring_namespace is None  # no default: a stack names one it has
    assert manifests.ingress_rules(off) == []
    # Isolated from its namespace, still scraped.
    scraped = PipelineServiceSettings(
        **{**case, "network_policy": {"allow_same_namespace": False, "monitoring_namespace": "monitoring"}}
    )
    assert manifests.ingress_rules(scraped) == [{"from": [monitoring], "ports": port}]


@pytest.mark.parametrize(
    ("port_name", "metrics"),
    [
        ("metrics", True),
        ("http-metrics", True),
        ("metrics-tls", True),
        ("prom", True),
        ("prometheus", True),
        ("http", False),
        ("grpc", False),
        ("metricsapi", False),
        ("promo", False),
    ],
)
def test_which_port_names_are_metrics_ports(port_name, metrics):
    assert is_metrics_port_name(port_name) is metrics
    settings = PipelineServiceSettings(
        **{**API, "port_name": port_name, "network_policy": {"monitoring_namespace": "monitoring"}}
    )
    assert len(manifests.ingress_rules(settings)) == (2 if metrics else 1)


def test_egress_protocol_without_ports_allows_that_protocol_only():
    assert manifests.egress_ports([], "UDP") == [{"protocol": "UDP"}]
    assert manifests.egress_ports([], None) is None  # every protocol, every port
    assert manifests.egress_ports([443], None) == [{"port": 443, "protocol": "TCP"}]
    assert manifests.egress_ports([53], "UDP") == [{"port": 53, "protocol": "UDP"}]
    egress = manifests.network_policy_spec(settings_of("metrics-port"))["egress"]
    assert egress[:2] == [DNS_RULE, HTTPS_BUT_LINK_LOCAL]
    assert egress[2:] == [
        {"ports": [{"protocol": "UDP"}]},
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "SCTP"}]},
    ]


def test_service_account_is_annotated_only_with_a_role():
    settings = settings_of("worker")
    annotated = manifests.service_account(settings, ROLE_ARN)["metadata"]
    assert annotated["annotations"] == {"eks.amazonaws.com/role-arn": ROLE_ARN}
    assert "annotations" not in manifests.service_account(settings, None)["metadata"]


def test_container_defaults():
    container = manifests.container(settings_of("worker"))
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert not {"ports", "readinessProbe", "env", "envFrom", "command", "args"} & container.keys()


def test_a_bare_container_leaves_out_what_is_off():
    settings = settings_of("bare")
    container = manifests.container(settings)
    assert container["resources"] == {}
    assert not {"lifecycle", "volumeMounts"} & container.keys()
    assert container["securityContext"]["readOnlyRootFilesystem"] is False
    spec = manifests.pod_spec(settings)
    assert not {"volumes", "topologySpreadConstraints", "tolerations", "nodeSelector"} & spec.keys()


def test_namespace_policies_need_their_settings():
    settings = settings_of("worker")
    with pytest.raises(ValueError, match="resource_quota is not set"):
        manifests.resource_quota(settings)
    with pytest.raises(ValueError, match="limit_range is not set"):
        manifests.limit_range(settings)
    with pytest.raises(ValueError, match="port is not set"):
        manifests.service(settings)


def test_functions_do_not_share_state_between_calls():
    # Each call returns fresh dicts: the component may hand them to the SDK without copying.
    settings = settings_of("every-option")
    first, second = manifests.deployment(settings), manifests.deployment(settings)
    first["metadata"]["labels"]["x"] = "y"
    first["spec"]["selector"]["matchLabels"]["x"] = "y"
    assert "x" not in second["metadata"]["labels"] and "x" not in manifests.selector_labels(settings)
    assert first["metadata"]["labels"] is not first["spec"]["template"]["metadata"]["labels"]


def test_wired_environment_is_added_to_a_copy_and_validates():
    settings = PipelineServiceSettings(**{**BASE, "env": {"LOG_LEVEL": "info"}})
    original = manifests.deployment(settings)
    given = copy.deepcopy(original)
    wired = manifests.with_environment(original, {"WAREHOUSE_PORT": "5432", "WAREHOUSE_ENGINE": "postgres"})
    assert original == given  # not changed in place
    (container,) = wired["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "WAREHOUSE_ENGINE", "value": "postgres"},
        {"name": "WAREHOUSE_PORT", "value": "5432"},
    ]
    assert_valid_object(wired)
    assert manifests.with_environment(original, {}) is original
