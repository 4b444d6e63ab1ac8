"""The cluster runtime of both stacks, as `pulumi up` would create it (issue 15's must-shows).

Reachable API, metrics-server, Karpenter with its pools, NetworkPolicy enforcement, the default
StorageClass, versions, one scheduling contract, and dev sized for dev. Every Kubernetes object of
the plan validates against the 1.36 OpenAPI schema, and every custom resource against its CRD
models and the project's strict schemas.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dpengine.engine import EngineError, ResourceRecord, StackRun, run_program
from tests.crdcheck import assert_valid
from tests.pipeline_service_cases import assert_valid_object

ROOT = Path(__file__).resolve().parent.parent
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
KEDA_TYPES = tuple(
    f"kubernetes:keda.sh/v1alpha1:{kind}" for kind in ("ScaledObject", "ScaledJob", "TriggerAuthentication")
)
POOL = "dataplatform.io/pool"
SYSTEM_TOLERATION = {
    "key": "CriticalAddonsOnly",
    "operator": "Equal",
    "value": "true",
    "effect": "NoSchedule",
}
SPOT_TAINT = {"key": "dataplatform.io/spot", "value": "true", "effect": "NoSchedule"}


@cache
def stack(name: str) -> StackRun:
    return run_program(ROOT, name)


def named(run: StackRun, token: str, name: str) -> ResourceRecord:
    (found,) = [r for r in run.by_type(token) if r.name == name]
    return found


MANIFEST_KEYS = ("apiVersion", "kind", "metadata", "spec", "provisioner", "parameters", "reclaimPolicy")
MANIFEST_KEYS += ("volumeBindingMode", "allowVolumeExpansion")


def manifest(record: ResourceRecord) -> dict[str, Any]:
    return {key: record.inputs[key] for key in MANIFEST_KEYS if key in record.inputs}


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_cluster_runtime_is_in_the_plan(name: str) -> None:
    run = stack(name)
    cluster = run.one("eks:index:Cluster").inputs
    assert cluster["version"] == "1.36"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster["nodeSecurityGroupTags"] == {"karpenter.sh/discovery": f"eks-{name}"}
    addons = {r.inputs["addonName"]: r.inputs for r in run.by_type(ADDON)}
    assert sorted(addons) == [
        "amazon-cloudwatch-observability",
        "aws-ebs-csi-driver",
        "coredns",
        "kube-proxy",
        "metrics-server",
        "vpc-cni",
    ]
    assert addons["vpc-cni"]["configurationValues"] == '{"enableNetworkPolicy":"true"}'
    # Versions come from getAddonVersion for the cluster's version (none is pinned in the stacks).
    lookups = [args for token, args in run.invokes if token == "aws:eks/getAddonVersion:getAddonVersion"]
    assert sorted(a["addonName"] for a in lookups) == sorted(addons)
    assert {a["kubernetesVersion"] for a in lookups} == {"1.36"}
    assert all(a["mostRecent"] is True for a in lookups)
    # The add-ons that run Deployments tolerate and prefer the system nodes.
    for addon in ("coredns", "metrics-server"):
        values = json.loads(addons[addon]["configurationValues"])
        assert values["tolerations"] == [SYSTEM_TOLERATION]
        preferred = values["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        assert preferred[0]["preference"]["matchExpressions"] == [
            {"key": POOL, "operator": "In", "values": ["system"]}
        ]
    ebs = json.loads(addons["aws-ebs-csi-driver"]["configurationValues"])
    assert ebs["controller"]["tolerations"] == [SYSTEM_TOLERATION]

    storage = run.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert storage["metadata"] == {
        "name": "gp3",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    }
    ebs_key = named(run, "aws:kms/key:Key", "eks-ebs-key").outputs["arn"]
    assert storage["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": ebs_key,
        "csi.storage.k8s.io/fstype": "ext4",
    }
    assert storage["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage["allowVolumeExpansion"] is True

    # One managed group (system), Karpenter's two charts, one node class, two pools.
    assert [r.name for r in run.by_type(NODE_GROUP)] == ["eks-system-nodes"]
    assert sorted(r.name for r in run.by_type(RELEASE)) == [
        "eks-karpenter",
        "eks-karpenter-crd",
        "eks-keda",
        "eks-lbc",
    ]
    assert [r.name for r in run.by_type(NODE_CLASS)] == ["eks-karpenter-node-class"]
    assert sorted(r.name for r in run.by_type(NODE_POOL)) == [
        "eks-karpenter-pool-apps",
        "eks-karpenter-pool-batch",
    ]
    node_class = run.one(NODE_CLASS).inputs["spec"]
    assert node_class["metadataOptions"]["httpTokens"] == "required"
    assert node_class["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (volume,) = node_class["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] is True and volume["ebs"]["kmsKeyID"] == ebs_key
    assert volume["ebs"]["volumeType"] == "gp3"
    # The private subnets carry the discovery tag the node class selects on; the others do not.
    for subnet in run.by_type("aws:ec2/subnet:Subnet"):
        private = "-private-" in subnet.name
        assert (subnet.inputs["tags"].get("karpenter.sh/discovery") == f"eks-{name}") is private, subnet.name
    assert node_class["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": f"eks-{name}"}}]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_kubernetes_object_validates(name: str) -> None:
    run = stack(name)
    custom = [manifest(r) for r in run.resources if r.type in (NODE_POOL, NODE_CLASS, *KEDA_TYPES)]
    # 3 Karpenter objects; stream-consumer's ScaledObject and TriggerAuthentication; in dev also
    # batch-worker's ScaledJob and TriggerAuthentication.
    assert len(custom) == {"prod": 5, "dev": 7}[name]
    assert_valid(*custom)
    # A ScaledJob's pod template is a core PodTemplateSpec: validated inside a Job.
    for scaled_job in (c for c in custom if c["kind"] == "ScaledJob"):
        target = scaled_job["spec"]["jobTargetRef"]
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": scaled_job["metadata"], "spec": target}
        assert_valid_object(job, "1.36")
    core = [
        r
        for r in run.resources
        if r.type.startswith("kubernetes:") and r.type not in (NODE_POOL, NODE_CLASS, RELEASE, *KEDA_TYPES)
    ]
    assert len(core) >= 17  # no HPA, PDB for the jobs; KEDA objects are checked above
    for record in core:
        assert_valid_object(manifest(record), "1.36")


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_one_scheduling_contract(name: str) -> None:
    run = stack(name)
    pools = {
        r.name.removeprefix("eks-karpenter-pool-"): r.inputs["spec"]["template"]
        for r in run.by_type(NODE_POOL)
    }
    assert pools["batch"]["spec"]["taints"] == [SPOT_TAINT]
    assert "taints" not in pools["apps"]["spec"]
    assert pools["batch"]["metadata"]["labels"][POOL] == "batch"
    # batch-worker runs to completion: a CronJob in prod, a KEDA ScaledJob in dev.
    if name == "prod":
        batch_job = named(run, "kubernetes:batch/v1:CronJob", "batch-worker-cronjob")
        batch = batch_job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    else:
        batch_job = named(run, KEDA_TYPES[1], "batch-worker-scaled-job")
        batch = batch_job.inputs["spec"]["jobTargetRef"]["template"]["spec"]
    # The toleration is derived from the pool's taint, never written by hand in the stack.
    assert batch["nodeSelector"] == {POOL: "batch"}
    assert batch["tolerations"] == [{"key": "dataplatform.io/spot", "operator": "Equal", **SPOT_TAINT}]
    for service in ("ingest-api", "stream-consumer"):
        spec = named(run, DEPLOYMENT, f"{service}-deployment").inputs["spec"]["template"]["spec"]
        assert spec["nodeSelector"] == {POOL: "apps"} and "tolerations" not in spec
    # The images are in repositories this run creates, so no rollout is awaited (docs/FIRST_DEPLOY.md)
    # and no Deployment waits for its pool's NodePool: the pods are placed there once they can pull.
    pool_urns = {r.urn: r.name for r in run.by_type(NODE_POOL)}
    for deployment in ("ingest-api", "stream-consumer"):
        record = named(run, DEPLOYMENT, f"{deployment}-deployment")
        assert record.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
        assert [pool_urns[d] for d in record.dependencies if d in pool_urns] == []
    # Nothing awaits a CronJob's or ScaledJob's pods, so it does not wait for the pool (no needless
    # serialization); its pods are placed on the batch pool all the same.
    assert [pool_urns[d] for d in batch_job.dependencies if d in pool_urns] == []


def test_dev_is_sized_for_dev() -> None:
    dev, prod = stack("dev"), stack("prod")
    dev_nodes, prod_nodes = dev.one(NODE_GROUP).inputs, prod.one(NODE_GROUP).inputs
    assert dev_nodes["instanceTypes"] == ["t3.large", "t3a.large"]
    assert dev_nodes["scalingConfig"] == {"minSize": 2, "maxSize": 3, "desiredSize": 2}
    assert prod_nodes["instanceTypes"] == ["m6i.xlarge"]
    assert prod_nodes["scalingConfig"] == {"minSize": 3, "maxSize": 6, "desiredSize": 3}

    def requirements(run: StackRun, pool: str) -> dict[str, list[str]]:
        spec = named(run, NODE_POOL, f"eks-karpenter-pool-{pool}").inputs["spec"]
        return {r["key"]: r.get("values", []) for r in spec["template"]["spec"]["requirements"]}

    def limits(run: StackRun, pool: str) -> dict[str, str]:
        return named(run, NODE_POOL, f"eks-karpenter-pool-{pool}").inputs["spec"]["limits"]

    assert requirements(dev, "apps")["karpenter.sh/capacity-type"] == ["spot", "on-demand"]
    assert requirements(prod, "apps")["karpenter.sh/capacity-type"] == ["on-demand"]
    assert requirements(dev, "apps")["karpenter.k8s.aws/instance-size"] == ["large", "xlarge"]
    assert limits(dev, "apps") == {"cpu": "16", "memory": "64Gi"}
    assert limits(prod, "apps") == {"cpu": "200", "memory": "800Gi"}


def test_api_reachability_is_explicit() -> None:
    dev, prod = stack("dev"), stack("prod")
    dev_cluster, prod_cluster = dev.one("eks:index:Cluster").inputs, prod.one("eks:index:Cluster").inputs
    assert dev_cluster["endpointPublicAccess"] is True
    assert dev_cluster["publicAccessCidrs"] == ["52.17.40.12/32"]
    assert prod_cluster["endpointPublicAccess"] is False
    assert prod_cluster["endpointPrivateAccess"] is True
    # dev is reached through the public endpoint: no rule on the cluster security group.
    assert [r for r in dev.by_type(INGRESS_RULE) if r.name.startswith("eks-")] == []
    # prod's runners (10.0.8.0/24) are admitted on tcp/443 by the cluster security group pulumi-eks
    # attaches to the control plane, and the Kubernetes provider waits for that rule.
    (rule,) = [r for r in prod.by_type(INGRESS_RULE) if r.name.startswith("eks-")]
    cluster_urn = prod.one("eks:index:Cluster").urn
    assert rule.name == "eks-deployer-10-0-8-0-24"
    assert {k: rule.inputs[k] for k in ("ipProtocol", "fromPort", "toPort", "cidrIpv4")} == {
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrIpv4": "10.0.8.0/24",
    }
    assert rule.inputs["tags"]["dataplatform.io/deployer"] == "true"
    assert rule.property_dependencies["securityGroupId"] == [cluster_urn]
    provider = named(prod, "pulumi:providers:kubernetes", "eks-k8s")
    assert rule.urn in provider.dependencies


INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _cluster_config(stack_name: str) -> dict[str, Any]:
    import yaml

    return dict(
        yaml.safe_load((ROOT / f"Pulumi.{stack_name}.yaml").read_text())["config"]["dataplatform:cluster"]
    )


def _refused(stack_name: str, overrides: dict[str, Any]) -> EngineError:
    config = {key: json.dumps(value) for key, value in overrides.items()}
    with pytest.raises(EngineError) as err:
        run_program(ROOT, stack_name, config_overrides=config)
    assert err.value.kind == "config"
    assert err.value.resources == [], "nothing may be registered before config is valid"
    return err.value


def test_an_unreachable_private_api_is_refused_before_anything_is_registered() -> None:
    cluster = _cluster_config("prod")
    del cluster["deploy_from"]
    err = _refused("prod", {"dataplatform:cluster": cluster})
    assert (
        "dataplatform:cluster.deploy_from: the API endpoint is private, so only a deployer inside the VPC"
        in str(err)
    )
    assert "set deploy_from: inside_vpc" in str(err)
    # Saying the runner is outside the VPC does not make a private endpoint reachable.
    err = _refused("prod", {"dataplatform:cluster": {**cluster, "deploy_from": "outside_vpc"}})
    assert "dataplatform:cluster.deploy_from" in str(err)


def test_a_service_asking_for_a_missing_pool_is_refused_before_anything_is_registered() -> None:
    import yaml

    services = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["dataplatform:services"]
    services[2]["pool"] = "gpu"
    err = _refused("dev", {"dataplatform:services": services})
    assert (
        "dataplatform:services[2].pool: the cluster has no such pool (its pools: system, apps, batch); "
        "use one of them, or add a node group or a Karpenter NodePool of that name under cluster (got 'gpu')"
    ) in str(err)
