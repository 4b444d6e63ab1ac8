"""The offline engine's Kubernetes mocks (``dpengine.mockdata.kubernetes``): objects come back as
the API server returns them after a server-side apply. Tested on plain SDK objects, not through a
component, so the component tests can rely on these outputs without re-asserting them."""

from __future__ import annotations

import re

import pulumi
import pulumi_kubernetes as k8s

from dpengine.testing import run_component

UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _objects() -> pulumi.ComponentResource:
    parent = pulumi.ComponentResource("test:index:Holder", "holder")
    opts = pulumi.ResourceOptions(parent=parent)
    k8s.core.v1.Namespace("ns", metadata={"name": "ingest", "namespace": "ignored"}, opts=opts)
    labels = {"app": "a"}
    pod = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    k8s.apps.v1.Deployment(
        "scaled",
        metadata={"name": "scaled", "namespace": "ingest"},
        spec={"selector": {"matchLabels": labels}, "template": pod},
        opts=opts,
    )
    k8s.apps.v1.Deployment(
        "fixed",
        metadata={"name": "fixed", "namespace": "ingest"},
        spec={"replicas": 3, "selector": {"matchLabels": labels}, "template": pod},
        opts=opts,
    )
    k8s.core.v1.Service(
        "svc", metadata={"name": "svc", "namespace": "ingest"}, spec={"ports": [{"port": 80}]}, opts=opts
    )
    k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "hpa",
        metadata={"name": "hpa", "namespace": "ingest"},
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "scaled"},
            "minReplicas": 4,
            "maxReplicas": 8,
        },
        opts=opts,
    )
    k8s.core.v1.ConfigMap("settings", data={"a": "1"}, opts=opts)
    return parent


def test_objects_come_back_as_the_api_server_returns_them():
    cr = run_component(_objects)
    namespace = cr.one("kubernetes:core/v1:Namespace")
    # Cluster-scoped: the id is the name, and a namespace in the metadata is dropped.
    assert namespace.id == "ingest"
    assert namespace.outputs["status"] == {"phase": "Active"}
    assert "namespace" not in namespace.outputs["metadata"]
    scaled = cr.one("kubernetes:apps/v1:Deployment", "scaled")
    assert scaled.id == "ingest/scaled"
    assert UID.fullmatch(scaled.outputs["metadata"]["uid"])
    # Without spec.replicas (an HPA owns it) the API server defaults it to 1.
    assert scaled.outputs["status"]["replicas"] == 1
    assert cr.one("kubernetes:apps/v1:Deployment", "fixed").outputs["status"]["replicas"] == 3
    service = cr.one("kubernetes:core/v1:Service").outputs["spec"]
    assert service["type"] == "ClusterIP"
    assert service["clusterIPs"] == [service["clusterIP"]]
    assert service["clusterIP"].startswith("172.20.")
    hpa = cr.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert hpa.outputs["status"]["desiredReplicas"] == 4


def test_objects_without_a_name_are_auto_named_in_the_default_namespace():
    cr = run_component(_objects)
    config_map = cr.one("kubernetes:core/v1:ConfigMap")
    name = config_map.outputs["metadata"]["name"]
    assert re.fullmatch(r"settings-[0-9a-f]{8}", name)
    assert config_map.outputs["metadata"]["namespace"] == "default"
    assert config_map.id == f"default/{name}"
