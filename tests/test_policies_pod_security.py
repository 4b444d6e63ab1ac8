"""Pod Security Standards (baseline and restricted) on every pod-bearing kind and its Patch form, and
credentials in ConfigMaps and env literals: small pulumi-kubernetes programs under the offline engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest

import policies
from dpengine.check import evaluate, load_config
from dpengine.engine import run_function
from dpengine.pack import PolicyPackSpec
from policies import k8s_secrets

PACK = PolicyPackSpec.from_module(policies)
CONFIGS = {name: load_config(Path(policies.__file__).parent / f"{name}.json") for name in ("dev", "prod")}
RULES = {"k8s-pod-security-baseline", "k8s-pod-security-restricted", "k8s-no-plaintext-secrets"}
LABELS = {"app": "agent"}
META = {"name": "agent", "namespace": "ops"}

HARDENED: dict[str, Any] = {
    "name": "app",
    "image": "public.ecr.aws/acme/app:1.0.0",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        "readOnlyRootFilesystem": True,
    },
}
HARDENED_POD = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [HARDENED],
    "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}],
}
HOSTILE_POD = {
    "hostNetwork": True,
    "hostPID": True,
    "containers": [
        {
            "name": "agent",
            "image": "public.ecr.aws/acme/agent:1.0.0",
            "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}},
            "volumeMounts": [{"name": "root", "mountPath": "/host"}],
        }
    ],
    "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
}


def template(pod: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"labels": LABELS}, "spec": pod}


def workloads(pod: dict[str, Any]) -> None:
    """The same pod in every pod-bearing kind."""
    selector = {"matchLabels": LABELS}
    k8s.core.v1.Pod("pod", metadata=META, spec=pod)
    k8s.apps.v1.DaemonSet("daemonset", metadata=META, spec={"selector": selector, "template": template(pod)})
    k8s.apps.v1.Deployment(
        "deployment", metadata=META, spec={"selector": selector, "template": template(pod)}
    )
    k8s.apps.v1.StatefulSet(
        "statefulset",
        metadata=META,
        spec={"selector": selector, "serviceName": "agent", "template": template(pod)},
    )
    k8s.apps.v1.ReplicaSet(
        "replicaset", metadata=META, spec={"selector": selector, "template": template(pod)}
    )
    k8s.core.v1.ReplicationController(
        "rc", metadata=META, spec={"selector": LABELS, "template": template(pod)}
    )
    k8s.batch.v1.Job("job", metadata=META, spec={"template": template({**pod, "restartPolicy": "Never"})})
    k8s.batch.v1.CronJob(
        "cronjob",
        metadata=META,
        spec={
            "schedule": "0 * * * *",
            "jobTemplate": {"spec": {"template": template({**pod, "restartPolicy": "Never"})}},
        },
    )


def report(program: Callable[[], None], config: str = "prod") -> Any:
    return evaluate(run_function(program, project="demo", stack="prod"), PACK, CONFIGS[config])


def found(program: Callable[[], None], policy: str, config: str = "prod") -> list[tuple[str, str]]:
    return sorted((v.name, v.message) for v in report(program, config).violations if v.policy == policy)


def test_levels_baseline_mandatory_everywhere_restricted_mandatory_in_prod_only() -> None:
    assert policies.REGISTRY["k8s-pod-security-baseline"].enforcement.value == "mandatory"
    assert policies.REGISTRY["k8s-pod-security-restricted"].enforcement.value == "advisory"

    def program() -> None:
        k8s.core.v1.Pod("pod", metadata=META, spec={**HOSTILE_POD})

    for config, expected in (("dev", {"mandatory"}), ("prod", {"mandatory"})):
        levels = {
            v.enforcement
            for v in report(program, config).violations
            if v.policy == "k8s-pod-security-baseline"
        }
        assert levels == expected, config
    restricted = {
        config: {
            v.enforcement
            for v in report(program, config).violations
            if v.policy == "k8s-pod-security-restricted"
        }
        for config in ("dev", "prod")
    }
    assert restricted == {"dev": {"advisory"}, "prod": {"mandatory"}}


def test_a_hostile_daemonset_and_every_other_kind_fail_baseline() -> None:
    found_ = found(lambda: workloads(HOSTILE_POD), "k8s-pod-security-baseline")
    suffix = ": not allowed by the baseline Pod Security Standard"
    paths = {
        "pod": "spec",
        "daemonset": "spec.template.spec",
        "deployment": "spec.template.spec",
        "statefulset": "spec.template.spec",
        "replicaset": "spec.template.spec",
        "rc": "spec.template.spec",
        "job": "spec.template.spec",
        "cronjob": "spec.jobTemplate.spec.template.spec",
    }
    expected = sorted(
        (name, f"'{name}' {path}.{text}{suffix}")
        for name, path in paths.items()
        for text in (
            "hostNetwork: true (host namespaces)",
            "hostPID: true (host namespaces)",
            "volumes[0].hostPath: mounts the node's filesystem '/' (HostPath volumes)",
            "containers[0].securityContext.capabilities.add: adds SYS_ADMIN (capabilities)",
        )
    )
    assert found_ == expected


@pytest.mark.parametrize(
    ("pod", "message"),
    [
        ({"hostIPC": True}, "spec.hostIPC: true (host namespaces)"),
        (
            {"containers": [{**HARDENED, "securityContext": {"privileged": True}}]},
            "spec.containers[0].securityContext.privileged: true (privileged containers)",
        ),
        (
            {"initContainers": [{**HARDENED, "ports": [{"containerPort": 80, "hostPort": 8080}]}]},
            "spec.initContainers[0].ports[0].hostPort: 8080 (host ports)",
        ),
        (
            {"containers": [{**HARDENED, "securityContext": {"procMount": "Unmasked"}}]},
            "spec.containers[0].securityContext.procMount: 'Unmasked' (/proc mount type)",
        ),
        (
            {"securityContext": {"seccompProfile": {"type": "Unconfined"}}},
            "spec.securityContext.seccompProfile.type: 'Unconfined' (seccomp)",
        ),
        (
            {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
            "spec.securityContext.appArmorProfile.type: 'Unconfined' (AppArmor)",
        ),
        (
            {"securityContext": {"seLinuxOptions": {"type": "spc_t"}}},
            "spec.securityContext.seLinuxOptions.type: 'spc_t' (SELinux)",
        ),
        (
            {"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}},
            "spec.securityContext.sysctls[0]: 'kernel.msgmax' is not a safe sysctl (sysctls)",
        ),
        (
            {"securityContext": {"windowsOptions": {"hostProcess": True}}},
            "spec.securityContext.windowsOptions.hostProcess: true (HostProcess)",
        ),
        (
            {"containers": [{**HARDENED, "readinessProbe": {"httpGet": {"port": 80, "host": "10.0.0.1"}}}]},
            "spec.containers[0].readinessProbe.httpGet.host: '10.0.0.1' (probe and lifecycle hosts)",
        ),
    ],
)
def test_each_baseline_control(pod: dict[str, Any], message: str) -> None:
    spec = {"containers": [HARDENED], **pod}
    assert found(lambda: k8s.core.v1.Pod("p", metadata=META, spec=spec), "k8s-pod-security-baseline") == [
        ("p", f"'p' {message}: not allowed by the baseline Pod Security Standard")
    ]


def test_a_bare_pod_fails_restricted_on_what_it_leaves_out() -> None:
    def program() -> None:
        k8s.core.v1.Pod(
            "bare",
            metadata=META,
            spec={
                "containers": [{"name": "app", "image": "public.ecr.aws/acme/app:1.0.0"}],
                "volumes": [{"name": "share", "nfs": {"server": "10.0.0.2", "path": "/"}}],
            },
        )

    suffix = ": not allowed by the restricted Pod Security Standard"
    assert found(program, "k8s-pod-security-restricted") == [
        ("bare", f"'bare' spec.{text}{suffix}")
        for text in sorted(
            [
                "volumes[0]: a nfs volume (volume types)",
                "containers[0].securityContext.allowPrivilegeEscalation: must be false (privilege "
                "escalation)",
                "containers[0].securityContext.capabilities.drop: must include ALL (capabilities)",
                "containers[0].securityContext.seccompProfile.type: unset (and no pod-level "
                "profile) (seccomp)",
                "containers[0].securityContext.runAsNonRoot: unset (and not true for the pod) "
                "(running as non-root)",
            ],
            key=lambda t: f"'bare' spec.{t}{suffix}",
        )
    ]
    assert found(program, "k8s-pod-security-baseline") == []  # the baseline allows all of it


def test_hardened_pods_of_every_kind_pass_both_levels() -> None:
    for policy in ("k8s-pod-security-baseline", "k8s-pod-security-restricted"):
        assert found(lambda: workloads(HARDENED_POD), policy) == [], policy


def test_a_privileged_deployment_patch_fails_on_the_fields_it_sets() -> None:
    def program() -> None:
        k8s.apps.v1.DeploymentPatch(
            "debug",
            metadata=META,
            spec={
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "app", "securityContext": {"privileged": True, "runAsUser": 0}}
                        ]
                    }
                }
            },
        )

    assert found(program, "k8s-pod-security-baseline") == [
        (
            "debug",
            "'debug' spec.template.spec.containers[0].securityContext.privileged: true (privileged "
            "containers): "
            "not allowed by the baseline Pod Security Standard",
        )
    ]
    assert found(program, "k8s-pod-security-restricted") == [
        (
            "debug",
            "'debug' spec.template.spec.containers[0].securityContext.runAsUser: 0 (running as "
            "non-root user): "
            "not allowed by the restricted Pod Security Standard",
        )
    ]


def test_patches_that_set_nothing_pod_level_pass_and_conform() -> None:
    """A DeploymentPatch that only scales, a DaemonSetPatch that only adds a label: no violation at all."""

    def program() -> None:
        k8s.apps.v1.DeploymentPatch("scale", metadata=META, spec={"replicas": 3})
        k8s.apps.v1.DaemonSetPatch(
            "label",
            metadata=META,
            spec={
                "template": {
                    "metadata": {"labels": {"team": "ops"}},
                    "spec": {"containers": [{"name": "agent"}]},
                }
            },
        )
        k8s.core.v1.ConfigMapPatch("cfg", metadata=META, data={"LOG_LEVEL": "debug"})

    result = report(program)
    assert [(v.policy, v.name) for v in result.violations] == []


# --------------------------------------------------------------------------- plaintext secrets


def test_credentials_in_configmaps_and_env_literals_fail() -> None:
    aws_key = "AKIA" + "IOSFODNN7EXAMPLE"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

    def program() -> None:
        k8s.core.v1.ConfigMap(
            "app-config",
            metadata=META,
            data={
                "DB_PASSWORD": "hunter22",
                "application.properties": "db.url=jdbc:postgresql://db/app\ndb.password=s3cr3t\n",
                "notes": f"key {aws_key} for the uploader",
                "LOG_LEVEL": "info",
            },
        )
        k8s.apps.v1.Deployment(
            "web",
            metadata=META,
            spec={
                "selector": {"matchLabels": LABELS},
                "template": template(
                    {
                        **HARDENED_POD,
                        "containers": [
                            {
                                **HARDENED,
                                "env": [
                                    {"name": "apiKey", "value": "abc123def456"},
                                    {"name": "UPSTREAM", "value": "https://bot:hunter2@api.example.com/v1"},
                                    {"name": "SESSION", "value": jwt},
                                    {
                                        "name": "DB_PASSWORD",
                                        "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}},
                                    },
                                    {
                                        "name": "WAREHOUSE_SECRET_ARN",
                                        "value": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                                    },
                                ],
                            }
                        ],
                    }
                ),
            },
        )

    messages = found(program, "k8s-no-plaintext-secrets")
    assert messages == [
        (
            "app-config",
            "ConfigMap 'app-config' data['DB_PASSWORD'] is a literal credential (by its key name)",
        ),
        (
            "app-config",
            "ConfigMap 'app-config' data['application.properties'] sets 'db.password' to a literal "
            "credential",
        ),
        ("app-config", "ConfigMap 'app-config' data['notes'] holds an AWS access key id"),
        (
            "web",
            "'web' spec.template.spec.containers[0].env[0] 'apiKey' is a literal credential (by "
            "its key name)",
        ),
        ("web", "'web' spec.template.spec.containers[0].env[1] 'UPSTREAM' holds a URL with a password"),
        ("web", "'web' spec.template.spec.containers[0].env[2] 'SESSION' holds a JWT"),
    ]
    assert not any(
        secret in m for _, m in messages for secret in ("hunter2", "s3cr3t", aws_key, jwt, "abc123")
    )


def test_a_pem_private_key_in_a_configmap_patch_fails() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"

    def program() -> None:
        k8s.core.v1.ConfigMapPatch("tls", metadata=META, data={"tls.pem": pem})

    assert found(program, "k8s-no-plaintext-secrets") == [
        ("tls", "ConfigMap 'tls' data['tls.pem'] holds a PEM private key")
    ]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("client-secret", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("api_key", True),
        ("authToken", True),
        ("WAREHOUSE_SECRET_ARN", False),
        ("AWS_ACCESS_KEY_ID", False),
        ("TOKEN_URL", False),
        ("SECRET_NAME", False),
        ("password_file", False),
        ("max_tokens", False),
        ("WAREHOUSE_ACCESS", False),
    ],
)
def test_key_names(key: str, secret: bool) -> None:
    assert k8s_secrets.secret_key(key) is secret


def test_references_and_ordinary_values_pass() -> None:
    def program() -> None:
        k8s.core.v1.ConfigMap(
            "refs",
            metadata=META,
            data={
                "PASSWORD_FILE": "/run/secrets/db",
                "DB_PASSWORD": "$(DB_PASSWORD)",
                "TOKEN": "${TOKEN}",
                "SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                "config.yaml": "password: ${DB_PASSWORD}\nurl: postgres://db:5432/app\n",
            },
        )

    assert found(program, "k8s-no-plaintext-secrets") == []
