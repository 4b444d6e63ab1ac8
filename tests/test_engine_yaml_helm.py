"""Objects inside YAML manifests and Helm charts are recorded and checked (issue 27, item 2).

Facts that decided the shape (pulumi-kubernetes ``provider/pkg/provider/yaml/v2/yaml.go``): v2
children are named ``<prefix>-<namespace>/<name>`` (prefix: the component's name unless
``resourcePrefix``), ``*List`` kinds are traversed, ``v1/Secret`` ``data``/``stringData`` are secret.
"""

from __future__ import annotations

from pathlib import Path

import pulumi_kubernetes as k8s
import pytest

from dpengine.check import CheckReport, evaluate
from dpengine.export.kubernetes import kubernetes_manifests
from dpengine.plan import plan_json
from dpengine.report import render
from tests.system_programs import PACK, check, run, violations

INSECURE = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: busybox:latest
        securityContext: {privileged: true}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: creds, namespace: ops}
  stringData: {password: hunter2}
"""

CHART_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  namespace: {{ .Release.Namespace }}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: {{ .Values.image | quote }}
        securityContext:
          privileged: {{ .Values.privileged }}
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(INSECURE)
    return path


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (root / "values.yaml").write_text("image: public.ecr.aws/acme/web:1.0.0\nprivileged: false\n")
    (root / "templates" / "deployment.yaml").write_text(CHART_TEMPLATE)
    return root


def _privileged(report: CheckReport) -> list[str]:
    """The resources reported as running a privileged container."""
    found = violations(report, "k8s-no-privilege-escalation")
    return sorted(name for name, message in found if message.endswith("is privileged"))


def test_a_v1_config_file_no_longer_fails_and_its_objects_are_checked(manifest: Path) -> None:
    def program() -> None:
        k8s.yaml.ConfigFile("agent", file=str(manifest))

    stack = run(program)
    assert sorted((r.type, r.name) for r in stack.resources if r.custom) == [
        ("kubernetes:apps/v1:DaemonSet", "ops/agent"),
        ("kubernetes:core/v1:Secret", "ops/creds"),
    ]
    assert ("kubernetes:yaml:decode", {"text": INSECURE}) in stack.invokes
    assert _privileged(check(program)) == ["ops/agent"]


@pytest.mark.parametrize("kind", ["group-yaml", "group-files", "file"])
def test_v2_objects_are_recorded_as_the_provider_names_them(kind: str, manifest: Path) -> None:
    def program() -> None:
        if kind == "group-yaml":
            k8s.yaml.v2.ConfigGroup("agent", yaml=INSECURE)
        elif kind == "group-files":
            k8s.yaml.v2.ConfigGroup("agent", files=[str(manifest.parent / "*.yaml")])
        else:
            k8s.yaml.v2.ConfigFile("agent", file=str(manifest))

    stack = run(program)
    component = next(r for r in stack.resources if r.type.startswith("kubernetes:yaml/v2:"))
    children = sorted((r.type, r.name) for r in stack.children_of(component.urn))
    assert children == [
        ("kubernetes:apps/v1:DaemonSet", "agent-ops/agent"),
        ("kubernetes:core/v1:Secret", "agent-ops/creds"),
    ]
    secret = stack.one("kubernetes:core/v1:Secret")
    assert secret.masked_inputs["stringData"] == "[secret]"
    assert secret.inputs["stringData"] == {"password": "hunter2"}
    assert _privileged(check(program)) == ["agent-ops/agent"]
    objects, skipped = kubernetes_manifests(plan_json(stack))
    assert sorted(o["kind"] for o in objects) == ["DaemonSet", "Secret"]
    assert skipped == [component.urn]
    # The Secret's values are masked wherever the plan shows the object (a yaml string given to the
    # component itself stays in its inputs, as in the real state).
    children = [s for s in plan_json(stack)["steps"] if s["newState"]["parent"] == component.urn]
    assert "hunter2" not in str(children)


def test_a_clean_v2_config_group_passes() -> None:
    clean = INSECURE.replace("privileged: true", "privileged: false")

    def program() -> None:
        k8s.yaml.v2.ConfigGroup("agent", yaml=clean, resource_prefix="x")

    stack = run(program)
    assert [r.name for r in stack.by_type("kubernetes:apps/v1:DaemonSet")] == ["x-ops/agent"]
    assert _privileged(check(program)) == []


def test_a_local_v4_chart_is_rendered_by_helm_and_checked(chart: Path) -> None:
    def program() -> None:
        k8s.helm.v4.Chart("web", chart=str(chart), namespace="apps", values={"privileged": True})

    stack = run(program)
    deployment = stack.one("kubernetes:apps/v1:Deployment")
    assert deployment.name == "web-apps/web-web"
    assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "privileged": True
    }
    assert stack.not_evaluated == []
    assert _privileged(check(program)) == ["web-apps/web-web"]


def test_the_same_chart_with_its_default_values_passes(chart: Path) -> None:
    def program() -> None:
        k8s.helm.v4.Chart("web", chart=str(chart), namespace="apps")

    assert _privileged(check(program)) == []


def test_a_local_v3_release_and_a_v1_chart_are_rendered_too(chart: Path) -> None:
    def program() -> None:
        k8s.helm.v3.Release("rel", name="rel", chart=str(chart), values={"privileged": True})
        k8s.helm.v3.Chart("old", k8s.helm.v3.LocalChartOpts(path=str(chart), values={"privileged": True}))

    report = check(program)
    assert _privileged(report) == ["default/old-web", "rel-default/rel-web"]


def test_a_remote_chart_is_not_evaluated_and_its_values_are_checked() -> None:
    def program() -> None:
        k8s.helm.v3.Release(
            "keda",
            chart="keda",
            version="2.20.2",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://kedacore.github.io/charts"),
            values={"securityContext": {"privileged": True}, "image": {"tag": "latest"}},
        )
        k8s.helm.v4.Chart("karpenter", chart="oci://public.ecr.aws/karpenter/karpenter", version="1.14.1")
        k8s.helm.v3.Chart(
            "nginx",
            k8s.helm.v3.ChartOpts(chart="nginx", fetch_opts=k8s.helm.v3.FetchOpts(repo="https://x.test")),
        )

    stack = run(program)
    assert sorted((n.type, n.name, n.what) for n in stack.not_evaluated) == [
        ("kubernetes:helm.sh/v3:Chart", "nginx", "remote chart"),
        ("kubernetes:helm.sh/v3:Release", "keda", "remote chart"),
        ("kubernetes:helm.sh/v4:Chart", "karpenter", "remote chart"),
    ]
    report = evaluate(stack, PACK)
    assert violations(report, "helm-values-insecure") == [
        ("keda", "'keda' values: image.tag is 'latest' (a mutable tag: pin a version or a digest)"),
        ("keda", "'keda' values: securityContext.privileged is true"),
    ]
    text = render(report, "text")
    assert "Not evaluated, cannot be seen offline (3):" in text
    assert "kubernetes:helm.sh/v4:Chart  karpenter: remote chart" in text


def test_a_remote_chart_with_clean_values_passes_but_stays_listed() -> None:
    def program() -> None:
        k8s.helm.v3.Release(
            "keda",
            chart="keda",
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://kedacore.github.io/charts"),
            values={"image": {"tag": "2.20.2"}, "securityContext": {"privileged": False}},
        )

    report = check(program)
    assert report.passed
    assert [n.what for n in report.not_evaluated] == ["remote chart"]


def test_yaml_from_a_url_is_not_evaluated() -> None:
    def program() -> None:
        k8s.yaml.v2.ConfigGroup("remote", files=["https://example.test/manifest.yaml"])

    [missed] = run(program).not_evaluated
    assert missed.what == "remote YAML"


def test_unknown_yaml_in_a_preview_is_not_evaluated() -> None:
    def program() -> None:
        text = k8s.core.v1.Namespace("ns").metadata.apply(lambda m: INSECURE)
        k8s.yaml.v2.ConfigGroup("later", yaml=text)

    missed = run(program, preview=True).not_evaluated
    assert [(n.name, n.what) for n in missed] == [("later", "objects")]


def test_an_object_without_a_name_fails_as_the_provider_does() -> None:
    def program() -> None:
        k8s.yaml.v2.ConfigGroup("bad", yaml="apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")

    with pytest.raises(Exception, match=r"YAML object does not have a \.metadata\.name"):
        run(program)
