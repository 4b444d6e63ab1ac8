"""ClusterRuntime: the in-cluster objects, in the platform stack or in a separate workloads project.

- the component alone: exact types and counts, the security-relevant inputs, the ordering (NodePools
  after the charts, the NodeClass after the nodes' access), every child through the given provider;
- in the platform stack (``kubernetes_objects: in_stack``): the objects moved with aliases from their
  old parents (nothing replaced);
- ``kubernetes_objects: workloads_project``: no Kubernetes resource at all in the platform plan, the
  exports a workloads project reads, services refused with their key path, a private endpoint allowed;
- examples/workloads: the runtime and a service from the platform's outputs.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest
import yaml

import policies
from components._validation import InvalidConfigError
from components.eks import (
    RUNTIME_OUTPUTS,
    ClusterRuntime,
    ClusterRuntimeArgs,
    EksClusterSettings,
    KarpenterSettings,
    Placement,
    default_storage_class,
)
from components.eks.karpenter import controller_values, node_class_manifest, node_pool_manifest
from components.eks.runtime_inputs import karpenter_from_output, placement_from_output, placement_output
from components.stack_config import load_stack_config
from dpengine.check import PolicyPackSpec, evaluate, load_config
from dpengine.engine import EngineError, StackRun, run_program
from dpengine.mocks import unwrap_secret_outputs
from dpengine.testing import ComponentRun, run_component

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "examples" / "workloads"
REFS = json.loads((WORKLOADS / "stack-references.dev.json").read_text())
PLATFORM = "acme/dataplatform/platform-dev"

RUNTIME = "dataplatform:compute:ClusterRuntime"
RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
K8S_PROVIDER = "pulumi:providers:kubernetes"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"

KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
CONTROLLER_ROLE = "arn:aws:iam::123456789012:role/eks-karpenter-controller"
NODE_ROLE = "eks-karpenter-node-role-1a2b3c4"
QUEUE = "eks-dev-karpenter"
ENDPOINT = "https://ABC.gr7.eu-west-1.eks.amazonaws.com"
SYSTEM = Placement(
    pool="system",
    kind="node_group",
    node_selector={"dataplatform.io/pool": "system"},
    tolerations=[{"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
)
NODE_TAGS = {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "pulumi"}


def make(with_karpenter: bool = True, **changes: Any) -> ComponentRun[ClusterRuntime]:
    def factory() -> ClusterRuntime:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        fields: dict[str, Any] = {
            "provider": provider,
            "cluster_name": "eks-dev",
            "cluster_endpoint": ENDPOINT,
            "ebs_kms_key_arn": KEY,
        }
        if with_karpenter:
            fields.update(
                karpenter=KarpenterSettings(),
                controller_role_arn=CONTROLLER_ROLE,
                node_role_name=NODE_ROLE,
                interruption_queue_name=QUEUE,
                controller_placement=SYSTEM,
                node_tags=NODE_TAGS,
            )
        fields.update(changes)
        return ClusterRuntime("rt", ClusterRuntimeArgs(**fields))

    return run_component(factory)


@pytest.fixture(scope="module")
def runtime() -> ComponentRun[ClusterRuntime]:
    return make()


def _document(record: Any) -> dict[str, Any]:
    return {k: record.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}


# --------------------------------------------------------------------------- the component


def test_runtime_resources_and_provider(runtime: ComponentRun[ClusterRuntime]) -> None:
    cr = runtime
    assert cr.record.type == RUNTIME
    assert cr.counts() == {STORAGE_CLASS: 1, RELEASE: 2, NODE_CLASS: 1, NODE_POOL: 2}
    assert sorted(r.name for r in cr.children) == [
        "rt-gp3",
        "rt-karpenter",
        "rt-karpenter-crd",
        "rt-karpenter-node-class",
        "rt-karpenter-pool-apps",
        "rt-karpenter-pool-batch",
    ]
    provider = cr.run.one(K8S_PROVIDER, "cluster")
    for record in cr.children:
        assert record.parent == cr.record.urn
        assert record.provider is not None and record.provider.startswith(provider.urn + "::"), record.name
        # Nothing to move: a runtime made on its own has no old parents.
        assert [a for a in record.aliases if "ClusterRuntime$" not in a] == [], record.name


def test_runtime_security_inputs(runtime: ComponentRun[ClusterRuntime]) -> None:
    cr = runtime
    storage = cr.one(STORAGE_CLASS)
    assert storage.inputs["parameters"] == default_storage_class(KEY)["parameters"]
    parameters = storage.inputs["parameters"]
    assert (parameters["kmsKeyId"], parameters["encrypted"]) == (KEY, "true")
    controller = cr.one(RELEASE, "rt-karpenter")
    assert controller.inputs["values"] == controller_values(
        KarpenterSettings(),
        cluster_name="eks-dev",
        queue_name=QUEUE,
        role_arn=CONTROLLER_ROLE,
        placement=SYSTEM,
        cluster_endpoint=ENDPOINT,
    )
    assert controller.inputs["values"]["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": CONTROLLER_ROLE
    }
    assert controller.inputs["values"]["tolerations"] == SYSTEM.tolerations
    node_class = _document(cr.one(NODE_CLASS))
    assert node_class == node_class_manifest(
        KarpenterSettings(), cluster_name="eks-dev", node_role_name=NODE_ROLE, ebs_key_arn=KEY, tags=NODE_TAGS
    )
    spec = node_class["spec"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert spec["blockDeviceMappings"][0]["ebs"]["kmsKeyID"] == KEY
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "eks-dev"}}]
    pools = {r.name: _document(r) for r in cr.of_type(NODE_POOL)}
    expected = {f"rt-karpenter-pool-{p.name}": node_pool_manifest(p) for p in KarpenterSettings().node_pools}
    assert pools == expected


def test_runtime_ordering(runtime: ComponentRun[ClusterRuntime]) -> None:
    cr = runtime
    crds = cr.one(RELEASE, "rt-karpenter-crd")
    controller = cr.one(RELEASE, "rt-karpenter")
    node_class = cr.one(NODE_CLASS)
    assert crds.urn in controller.dependencies
    assert controller.urn in node_class.dependencies
    for pool in cr.of_type(NODE_POOL):
        # After the CRDs' controller and the class they reference.
        assert {controller.urn, node_class.urn} <= set(pool.dependencies), pool.name
    assert cr.component.workload_dependencies_for("batch") == [cr.component.node_pools["batch"]]
    assert cr.component.placement("batch").tolerations == [
        {"key": "dataplatform.io/spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert cr.component.default_pool == "apps"
    with pytest.raises(InvalidConfigError) as err:
        cr.component.placement("system")
    assert [(i.path, i.message) for i in err.value.issues] == [
        ("pool", "the runtime has no such NodePool; use one of apps, batch")
    ]


def test_runtime_without_karpenter_is_the_storage_class() -> None:
    cr = make(with_karpenter=False)
    assert cr.counts() == {STORAGE_CLASS: 1}
    assert cr.component.node_pools == {} and cr.component.default_pool is None


def test_runtime_refuses_missing_karpenter_inputs_before_registering() -> None:
    with pytest.raises(InvalidConfigError) as err:
        make(controller_role_arn=None, controller_placement=None, node_tags={"karpenter.sh/nodepool": "x"})
    assert [i.path for i in err.value.issues] == [
        "args.controller_role_arn",
        "args.controller_placement",
        "args.node_tags.karpenter.sh/nodepool",
    ]
    # Only the test's own provider was registered, not the runtime (the same program without the
    # mistakes registers it: the assertion can fail).
    recorded = err.value.recorded_run.resources  # type: ignore[attr-defined]
    assert [r.type for r in recorded] == [K8S_PROVIDER]
    assert make().run.by_type(RUNTIME)


# --------------------------------------------------------------------------- inside the platform stack

# URNs as the Pulumi engine makes them: a grandchild's type carries the whole parent chain.
RUNTIME_CHAIN = "EksCluster$dataplatform:compute:ClusterRuntime"
KARPENTER_CHAIN = "EksCluster$dataplatform:compute:Karpenter"
MOVED = {
    f"{RUNTIME_CHAIN}$kubernetes:storage.k8s.io/v1:StorageClass::eks-gp3": (
        "EksCluster$kubernetes:storage.k8s.io/v1:StorageClass::eks-gp3"
    ),
    **{
        f"{RUNTIME_CHAIN}${token}::{name}": f"{KARPENTER_CHAIN}${token}::{name}"
        for token, name in [
            (RELEASE, "eks-karpenter-crd"),
            (RELEASE, "eks-karpenter"),
            (NODE_CLASS, "eks-karpenter-node-class"),
            (NODE_POOL, "eks-karpenter-pool-apps"),
            (NODE_POOL, "eks-karpenter-pool-batch"),
        ]
    },
}
"""New URN tail -> the URN tail it had before ClusterRuntime existed (tests/golden before the split)."""


@pytest.fixture(scope="module", params=["dev", "prod"])
def platform(request: pytest.FixtureRequest) -> StackRun:
    return run_program(ROOT, request.param)


def test_in_stack_objects_moved_with_aliases(platform: StackRun) -> None:
    prefix = f"urn:pulumi:{platform.stack}::dataplatform::dataplatform:compute:"
    by_urn = {r.urn: r for r in platform.resources}
    for new, old in MOVED.items():
        record = by_urn[prefix + new]
        assert prefix + old in record.aliases, new
        assert prefix + old not in by_urn, old
    runtime = platform.one(RUNTIME, "eks")
    assert runtime.parent == platform.one("dataplatform:compute:EksCluster", "eks").urn
    assert sorted(r.name for r in platform.children_of(runtime.urn)) == sorted(
        new.rpartition("::")[2] for new in MOVED
    )


# --------------------------------------------------------------------------- the workloads_project mode


def _platform_only_cluster(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    cluster = dict(config["dataplatform:cluster"])
    public = ("endpoint_public_access", "public_access_cidrs", "deploy_from")
    for key in (*public, "keda", "load_balancer_controller"):
        cluster.pop(key, None)
    # A private endpoint, and no deploy_from: this stack calls AWS APIs only.
    return {**cluster, "kubernetes_objects": "workloads_project"}


def _platform_only(stack: str, services: str = "[]") -> StackRun:
    return run_program(
        ROOT,
        stack,
        config_overrides={
            "dataplatform:cluster": json.dumps(_platform_only_cluster(stack)),
            "dataplatform:services": services,
        },
    )


@pytest.fixture(scope="module")
def platform_only() -> StackRun:
    return _platform_only("dev")


def test_platform_only_holds_no_kubernetes_object(platform_only: StackRun, platform: StackRun) -> None:
    kubernetes = [r.type for r in platform_only.resources if r.type.startswith(("kubernetes:", K8S_PROVIDER))]
    assert kubernetes == []
    assert platform_only.by_type(RUNTIME) == []
    # The same check on the in-stack plan finds them (it can fail).
    assert any(r.type.startswith("kubernetes:") for r in platform.resources)
    # Karpenter's AWS side stays: roles, access entry, queue, rules.
    karpenter = platform_only.one("dataplatform:compute:Karpenter")
    assert Counter(r.type for r in platform_only.children_of(karpenter.urn)) == {
        "aws:iam/role:Role": 2,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 4,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:eks/accessEntry:AccessEntry": 1,
        "aws:sqs/queue:Queue": 1,
        "aws:sqs/queuePolicy:QueuePolicy": 1,
        "aws:cloudwatch/eventRule:EventRule": 5,
        "aws:cloudwatch/eventTarget:EventTarget": 5,
    }
    cluster = platform_only.one("eks:index:Cluster").inputs
    assert cluster["endpointPublicAccess"] is False and cluster["endpointPrivateAccess"] is True


def test_platform_only_exports_what_the_runtime_reads(platform_only: StackRun) -> None:
    run = platform_only
    outputs = run.outputs
    assert set(RUNTIME_OUTPUTS.values()) <= set(outputs)
    assert run.secret_outputs == ["kubeconfig"]
    karpenter = run.one("dataplatform:compute:Karpenter")
    children = {(r.type, r.name): r for r in run.children_of(karpenter.urn)}
    role = "aws:iam/role:Role"
    assert outputs["karpenterControllerRoleArn"] == children[role, "eks-karpenter-controller"].outputs["arn"]
    assert outputs["karpenterNodeRoleName"] == children[role, "eks-karpenter-node-role"].outputs["name"]
    queue = children["aws:sqs/queue:Queue", "eks-karpenter-interruption"]
    assert outputs["karpenterInterruptionQueueName"] == queue.inputs["name"]
    assert outputs["ebsKmsKeyArn"] == run.one("aws:kms/key:Key", "eks-ebs-key").outputs["arn"]
    assert outputs["kubernetesObjects"] == "workloads_project"
    assert outputs["karpenterDiscoveryTags"] == {"karpenter.sh/discovery": "eks-dev"}
    # Plain values the workloads project parses back to the platform's own settings.
    settings = _platform_only_cluster("dev")["karpenter"]
    assert karpenter_from_output(outputs["karpenterSettings"], "x") == KarpenterSettings.parse(settings)
    assert placement_from_output(outputs["karpenterControllerPlacement"], "x") == placement_output_of_system()
    # The example's mocked platform outputs are what the platform exports (kept current).
    plain, secret = unwrap_secret_outputs(REFS[PLATFORM])
    assert plain == {k: outputs[k] for k in plain}
    assert secret == ["kubeconfig"]  # marked as `dataplatform outputs` marks a secret


def placement_output_of_system() -> Placement:
    settings = EksClusterSettings.parse(_platform_only_cluster("dev"))
    found = settings.placements()["system"]
    assert placement_output(found)["tolerations"] == SYSTEM.tolerations
    return found


def test_platform_only_refuses_services_with_the_key_path() -> None:
    with pytest.raises(EngineError) as err:
        _platform_only("dev", services=json.dumps([{"name": "api", "image": "public.ecr.aws/acme/api:1.0"}]))
    assert err.value.kind == "config"
    assert err.value.resources == []
    cluster = {**_platform_only_cluster("dev"), "karpenter": {}}
    with pytest.raises(InvalidConfigError) as config_err:
        load_stack_config(
            {
                "environment": "dev",
                "tags": NODE_TAGS | {"Environment": "dev"},
                "cluster": cluster,
                "services": [{"name": "api", "image": "public.ecr.aws/acme/api:1.0"}],
            },
            "eu-west-1",
        )
    assert [(i.path, i.message) for i in config_err.value.issues] == [
        (
            "dataplatform:services",
            "cluster.kubernetes_objects is workloads_project, so this stack makes no Kubernetes object; "
            "deploy the services from the workloads project (examples/workloads), or set "
            "cluster.kubernetes_objects: in_stack",
        )
    ]


def test_private_endpoint_without_deploy_from() -> None:
    private = {"kubernetes_version": "1.36", "admin_principal_arns": ["arn:aws:iam::123456789012:role/x"]}
    accepted = EksClusterSettings.parse({**private, "kubernetes_objects": "workloads_project"})
    assert (accepted.endpoint_public_access, accepted.deploy_from) == (False, None)
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings.parse(private, prefix="cluster")
    assert [i.path for i in err.value.issues] == ["cluster.deploy_from"]
    assert "kubernetes_objects: workloads_project" in err.value.issues[0].message


def test_platform_only_cluster_has_no_provider(platform_only: StackRun) -> None:
    from components.eks import EksCluster, EksClusterArgs

    settings = EksClusterSettings.parse(_platform_only_cluster("dev"))
    cr = run_component(
        lambda: EksCluster(
            "eks",
            EksClusterArgs(
                settings=settings,
                tags=NODE_TAGS,
                vpc_id="vpc-0123456789abcdef0",
                private_subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            ),
        )
    )
    with pytest.raises(InvalidConfigError) as err:
        cr.component.provider  # noqa: B018 (the property raises)
    assert [i.path for i in err.value.issues] == ["kubernetes_objects"]
    assert cr.component.runtime is None and cr.component.node_pools == {}


# --------------------------------------------------------------------------- examples/workloads


@pytest.fixture(scope="module")
def workloads() -> StackRun:
    return run_program(WORKLOADS, "dev", stack_references=REFS)


def test_workloads_project_builds_the_runtime_and_a_service(workloads: StackRun) -> None:
    run = workloads
    assert run.project == "workloads"
    assert Counter(r.type for r in run.resources if r.type.startswith("dataplatform:")) == {
        RUNTIME: 1,
        "dataplatform:workload:PipelineService": 1,
    }
    runtime = run.one(RUNTIME, "platform")
    assert Counter(r.type for r in run.children_of(runtime.urn)) == {
        STORAGE_CLASS: 1,
        RELEASE: 2,
        NODE_CLASS: 1,
        NODE_POOL: 2,
    }
    provider = run.one(K8S_PROVIDER, "platform-cluster")
    assert provider.inputs["kubeconfig"] == REFS[PLATFORM]["kubeconfig"]["value"]
    assert provider.masked_inputs["kubeconfig"] == "[secret]"
    kube_objects = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert len(kube_objects) == 6 + 7
    assert all(r.provider and r.provider.startswith(provider.urn + "::") for r in kube_objects)
    # The runtime's inputs are the platform's outputs.
    outputs = REFS[PLATFORM]
    values = run.one(RELEASE, "platform-karpenter").inputs["values"]
    assert values["settings"] == {
        "clusterName": outputs["clusterName"],
        "clusterEndpoint": outputs["clusterEndpoint"],
        "interruptionQueue": outputs["karpenterInterruptionQueueName"],
    }
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": outputs["karpenterControllerRoleArn"]
    }
    node_class = run.one(NODE_CLASS).inputs["spec"]
    assert node_class["role"] == outputs["karpenterNodeRoleName"]
    assert node_class["blockDeviceMappings"][0]["ebs"]["kmsKeyID"] == outputs["ebsKmsKeyArn"]
    assert node_class["tags"] == outputs["karpenterNodeTags"]
    assert run.one(STORAGE_CLASS).inputs["parameters"]["kmsKeyId"] == outputs["ebsKmsKeyArn"]
    assert run.outputs["nodePools"] == ["apps", "batch"]


def test_workloads_wait_for_their_node_pool(workloads: StackRun) -> None:
    run = workloads
    deployment = run.one(DEPLOYMENT)
    pools = {r.urn: r.name for r in run.by_type(NODE_POOL)}
    assert [pools[d] for d in deployment.dependencies if d in pools] == ["platform-karpenter-pool-apps"]
    spec = deployment.inputs["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"dataplatform.io/pool": "apps"}
    # NodePools after the charts (the CRDs and the controller), in this project too.
    controller = run.one(RELEASE, "platform-karpenter")
    for pool in run.by_type(NODE_POOL):
        assert controller.urn in pool.dependencies


def test_workloads_project_passes_the_policy_pack(workloads: StackRun) -> None:
    report = evaluate(
        workloads, PolicyPackSpec.from_module(policies), load_config(ROOT / "policies" / "dev.json")
    )
    assert report.mandatory == []


def test_workloads_project_refuses_an_in_stack_platform() -> None:
    refs = {PLATFORM: {**REFS[PLATFORM], "kubernetesObjects": "in_stack"}}
    with pytest.raises(EngineError) as err:
        run_program(WORKLOADS, "dev", stack_references=refs)
    assert "platform.kubernetesObjects" in str(err.value)
    assert "deploy it with cluster.kubernetes_objects: workloads_project first" in str(err.value)
    assert [r.type for r in err.value.resources if r.type.startswith("kubernetes:")] == []
