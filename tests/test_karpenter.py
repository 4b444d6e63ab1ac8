"""Karpenter: exact documents, CRD validation (published models + strict schemas), registration."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import policies
from components._validation import InvalidConfigError
from components.eks import EksCluster, EksClusterArgs, EksClusterSettings
from components.eks.karpenter import (
    INTERRUPTION_EVENTS,
    controller_policy,
    controller_values,
    event_pattern,
    interruption_queue_name,
    interruption_queue_policy,
    interruption_rule_name,
    node_class_manifest,
    node_pool_manifest,
)
from components.eks.karpenter_settings import KarpenterSettings, NodePoolSettings
from dpengine.testing import ComponentRun, assert_tagged, run_component
from policies._common import as_list
from policies._iam_eval import ALLOW, Request, evaluate
from tests.crdcheck import assert_valid, cel_errors, model_errors, strict_errors

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "eks-dev"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:eks-dev-karpenter"
NODE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/eks-karpenter-node-role-1234567"
EBS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
TAGS = {
    "Environment": "dev",
    "Project": "dataplatform",
    "Owner": "platform-team",
    "CostCenter": "cc-1234",
    "ManagedBy": "pulumi",
}
SYSTEM = {
    "name": "system",
    "instance_types": ["m6i.xlarge"],
    "min_size": 3,
    "max_size": 4,
    "taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}],
}
SYSTEM_TOLERATION = {
    "key": "CriticalAddonsOnly",
    "operator": "Equal",
    "value": "true",
    "effect": "NoSchedule",
}


def policy() -> dict[str, Any]:
    return json.loads(
        controller_policy(
            partition="aws",
            region=REGION,
            account=ACCOUNT,
            dns_suffix="amazonaws.com",
            cluster_name=CLUSTER,
            queue_arn=QUEUE_ARN,
            node_role_arn=NODE_ROLE_ARN,
            ebs_key_arn=EBS_KEY,
        )
    )


# --------------------------------------------------------------------------- the pack's IAM evaluator


def allowed(
    document: dict[str, Any], action: str, resource: str, context: dict[str, Any] | None = None
) -> bool:
    """Whether an identity policy allows ``action`` on ``resource`` (no Deny in these documents)."""
    assert all(statement["Effect"] == "Allow" for statement in document["Statement"])
    return evaluate(document["Statement"], Request(action, resource, context=context or {})).decision == ALLOW


# --------------------------------------------------------------------------- controller IAM

OWNED = {
    f"aws:ResourceTag/kubernetes.io/cluster/{CLUSTER}": "owned",
    "aws:ResourceTag/karpenter.sh/nodepool": "apps",
}
REQUEST_OWNED = {
    f"aws:RequestTag/kubernetes.io/cluster/{CLUSTER}": "owned",
    "aws:RequestTag/eks:eks-cluster-name": CLUSTER,
    "aws:RequestTag/karpenter.sh/nodepool": "apps",
}
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"


def test_controller_policy_statements() -> None:
    document = policy()
    assert [s["Sid"] for s in document["Statement"]] == [
        "AllowScopedEC2InstanceAccessActions",
        "AllowScopedEC2LaunchTemplateAccessActions",
        "AllowScopedEC2InstanceActionsWithTags",
        "AllowScopedResourceCreationTagging",
        "AllowScopedResourceTagging",
        "AllowScopedDeletion",
        "AllowRegionalReadActions",
        "AllowSSMReadActions",
        "AllowPricingReadActions",
        "AllowZonalShiftReadActions",
        "AllowInterruptionQueueActions",
        "AllowPassingInstanceRole",
        "AllowScopedInstanceProfileCreationActions",
        "AllowScopedInstanceProfileTagActions",
        "AllowScopedInstanceProfileActions",
        "AllowInstanceProfileReadActions",
        "AllowUnscopedInstanceProfileListAction",
        "AllowAPIServerEndpointDiscovery",
        "AllowEbsKeyThroughEc2",
    ]
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    # Only reads, pricing and the instance-profile listing are unscoped.
    assert sorted(sid for sid, s in by_sid.items() if s["Resource"] == "*") == [
        "AllowPricingReadActions",
        "AllowRegionalReadActions",
        "AllowUnscopedInstanceProfileListAction",
        "AllowZonalShiftReadActions",
    ]
    # Upstream's KarpenterControllerZonalShiftPolicy: "*" narrowed by the resource identifier.
    assert by_sid["AllowZonalShiftReadActions"]["Condition"] == {
        "StringEquals": {
            "arc-zonal-shift:ResourceIdentifier": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
        }
    }
    assert by_sid["AllowRegionalReadActions"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": REGION}
    }
    assert all(a.startswith("ec2:Describe") for a in by_sid["AllowRegionalReadActions"]["Action"])
    assert by_sid["AllowInterruptionQueueActions"] == {
        "Sid": "AllowInterruptionQueueActions",
        "Effect": "Allow",
        "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        "Resource": QUEUE_ARN,
    }
    assert by_sid["AllowPassingInstanceRole"] == {
        "Sid": "AllowPassingInstanceRole",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": NODE_ROLE_ARN,
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    }
    assert by_sid["AllowEbsKeyThroughEc2"]["Resource"] == EBS_KEY
    assert by_sid["AllowEbsKeyThroughEc2"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"}
    }
    # No wildcard action anywhere.
    assert not [
        a for s in document["Statement"] for a in as_list(s["Action"]) if a.endswith(":*") or a == "*"
    ]


@pytest.mark.parametrize(
    ("action", "resource", "context", "expected"),
    [
        # Launching from its own launch templates, tagging what it launches as this cluster's.
        ("ec2:RunInstances", f"{EC2}:launch-template/lt-1", OWNED, True),
        (
            "ec2:RunInstances",
            f"{EC2}:launch-template/lt-1",
            {"aws:ResourceTag/karpenter.sh/nodepool": "a"},
            False,
        ),
        ("ec2:RunInstances", f"{EC2}:instance/*", REQUEST_OWNED, True),
        (
            "ec2:RunInstances",
            f"{EC2}:instance/*",
            {**REQUEST_OWNED, "aws:RequestTag/eks:eks-cluster-name": "other"},
            False,
        ),
        (
            "ec2:CreateTags",
            f"{EC2}:volume/vol-1",
            {**REQUEST_OWNED, "ec2:CreateAction": "RunInstances"},
            True,
        ),
        (
            "ec2:CreateTags",
            f"{EC2}:volume/vol-1",
            {**REQUEST_OWNED, "ec2:CreateAction": "CreateVolume"},
            False,
        ),
        # Later tagging: only the three keys Karpenter adds, on its own instances.
        (
            "ec2:CreateTags",
            f"{EC2}:instance/i-1",
            {**OWNED, "aws:TagKeys": ["Name", "karpenter.sh/nodeclaim"]},
            True,
        ),
        ("ec2:CreateTags", f"{EC2}:instance/i-1", {**OWNED, "aws:TagKeys": ["Owner"]}, False),
        # Terminating: only nodes it launched for this cluster.
        ("ec2:TerminateInstances", f"{EC2}:instance/i-1", OWNED, True),
        (
            "ec2:TerminateInstances",
            f"{EC2}:instance/i-1",
            {"aws:ResourceTag/karpenter.sh/nodepool": "apps"},
            False,
        ),
        ("ec2:TerminateInstances", f"{EC2}:instance/i-1", {}, False),
        # Reads in its region only.
        ("ec2:DescribeInstances", "*", {"aws:RequestedRegion": REGION}, True),
        ("ec2:DescribeInstances", "*", {"aws:RequestedRegion": "eu-west-1"}, False),
        # Its queue, its node role passed to EC2, its cluster.
        ("sqs:ReceiveMessage", QUEUE_ARN, {}, True),
        ("sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:other", {}, False),
        ("sqs:SendMessage", QUEUE_ARN, {}, False),
        ("iam:PassRole", NODE_ROLE_ARN, {"iam:PassedToService": "ec2.amazonaws.com"}, True),
        ("iam:PassRole", NODE_ROLE_ARN, {"iam:PassedToService": "lambda.amazonaws.com"}, False),
        (
            "iam:PassRole",
            f"arn:aws:iam::{ACCOUNT}:role/admin",
            {"iam:PassedToService": "ec2.amazonaws.com"},
            False,
        ),
        ("eks:DescribeCluster", f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", {}, True),
        ("eks:DescribeCluster", f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/prod", {}, False),
        # Zonal-shift status of its own cluster only (the request names the cluster in a condition key).
        (
            "arc-zonal-shift:GetManagedResource",
            f"arn:aws:arc-zonal-shift:{REGION}:{ACCOUNT}:managedresource/x",
            {"arc-zonal-shift:ResourceIdentifier": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"},
            True,
        ),
        (
            "arc-zonal-shift:GetManagedResource",
            f"arn:aws:arc-zonal-shift:{REGION}:{ACCOUNT}:managedresource/x",
            {"arc-zonal-shift:ResourceIdentifier": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/prod"},
            False,
        ),
        # Instance profiles: only those it tags for an EC2NodeClass of this cluster and region.
        (
            "iam:CreateInstanceProfile",
            f"arn:aws:iam::{ACCOUNT}:instance-profile/x",
            {
                f"aws:RequestTag/kubernetes.io/cluster/{CLUSTER}": "owned",
                "aws:RequestTag/eks:eks-cluster-name": CLUSTER,
                "aws:RequestTag/topology.kubernetes.io/region": REGION,
                "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "default",
            },
            True,
        ),
        ("iam:CreateInstanceProfile", f"arn:aws:iam::{ACCOUNT}:instance-profile/x", {}, False),
        ("iam:DeleteInstanceProfile", f"arn:aws:iam::{ACCOUNT}:instance-profile/x", {}, False),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x", {}, False),
        # The EBS key, through EC2 only (else new nodes terminate at once).
        ("kms:CreateGrant", EBS_KEY, {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"}, True),
        ("kms:Decrypt", EBS_KEY, {}, False),
        ("kms:Decrypt", EBS_KEY, {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}, False),
    ],
)
def test_controller_policy_decisions(
    action: str, resource: str, context: dict[str, Any], expected: bool
) -> None:
    assert allowed(policy(), action, resource, context) is expected


def test_interruption_queue_policy() -> None:
    assert json.loads(interruption_queue_policy(QUEUE_ARN, ACCOUNT)) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeMaySend",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": QUEUE_ARN,
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": QUEUE_ARN,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def test_event_patterns() -> None:
    assert {event: json.loads(event_pattern(event)) for event in INTERRUPTION_EVENTS} == {
        "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
        "spot-interruption": {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Spot Instance Interruption Warning"],
        },
        "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
        "state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
        "capacity-reservation": {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
        },
    }


def test_names_fit_their_limits() -> None:
    assert interruption_queue_name("eks-dev") == "eks-dev-karpenter"
    assert interruption_rule_name("eks-dev", "spot-interruption") == "eks-dev-karpenter-spot-interruption"
    long = "c" * 100  # EKS names go up to 100 characters
    queue, rule = interruption_queue_name(long), interruption_rule_name(long, "capacity-reservation")
    assert (len(queue), len(rule)) == (80, 64)
    assert queue.endswith("-karpenter") and rule.endswith("-karpenter-capacity-reservation")
    # Stable, and two long names with a common prefix do not collide.
    assert interruption_queue_name(long) == queue
    assert interruption_queue_name("c" * 99 + "d") != queue


# --------------------------------------------------------------------------- Helm values


def test_controller_values() -> None:
    cluster = EksClusterSettings(
        deploy_from="inside_vpc",
        deployer_cidrs=["10.0.8.0/24"],
        kubernetes_version="1.36",
        node_groups=[SYSTEM],
        karpenter={},
    )
    assert cluster.karpenter is not None
    values = controller_values(
        cluster.karpenter,
        cluster_name=CLUSTER,
        queue_name="eks-dev-karpenter",
        role_arn="arn:aws:iam::123456789012:role/ctl",
        placement=cluster.placements()["system"],
    )
    assert values == {
        "settings": {"clusterName": CLUSTER, "interruptionQueue": "eks-dev-karpenter"},
        "serviceAccount": {
            "create": True,
            "name": "karpenter",
            "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ctl"},
        },
        "replicas": 2,
        "tolerations": [SYSTEM_TOLERATION],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                # The chart's own default term: never on a node Karpenter manages...
                                {"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"},
                                # ...and on the system group.
                                {"key": "dataplatform.io/pool", "operator": "In", "values": ["system"]},
                            ]
                        }
                    ]
                }
            },
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname"}]
            },
        },
        "controller": {
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
        },
    }


# --------------------------------------------------------------------------- custom resources


def node_class(**karpenter: Any) -> dict[str, Any]:
    return node_class_manifest(
        KarpenterSettings(**karpenter),
        cluster_name=CLUSTER,
        node_role_name="eks-node",
        ebs_key_arn=EBS_KEY,
        tags=TAGS,
    )


def test_node_class_manifest() -> None:
    assert node_class(ami_alias="al2023@v20250101", root_volume_gib=80) == {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": "default"},
        "spec": {
            "role": "eks-node",
            "amiSelectorTerms": [{"alias": "al2023@v20250101"}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": CLUSTER}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": CLUSTER}}],
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "rootVolume": True,
                    "ebs": {
                        "volumeSize": "80Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "kmsKeyID": EBS_KEY,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "tags": TAGS,
        },
    }


def test_default_node_pool_manifests() -> None:
    apps, batch = (node_pool_manifest(pool) for pool in KarpenterSettings().node_pools)
    sizes = {
        "key": "karpenter.k8s.aws/instance-size",
        "operator": "In",
        "values": ["large", "xlarge", "2xlarge", "4xlarge"],
    }
    linux_amd64 = [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    node_class_ref = {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}
    assert apps == {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "apps"},
        "spec": {
            "template": {
                "metadata": {"labels": {"dataplatform.io/pool": "apps"}},
                "spec": {
                    "nodeClassRef": node_class_ref,
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                        {
                            "key": "karpenter.k8s.aws/instance-family",
                            "operator": "In",
                            "values": ["c6i", "m6i", "r6i", "c7i", "m7i"],
                        },
                        sizes,
                        *linux_amd64,
                    ],
                    "expireAfter": "720h",
                },
            },
            "limits": {"cpu": "200", "memory": "800Gi"},
            "disruption": {
                "consolidationPolicy": "WhenEmptyOrUnderutilized",
                "consolidateAfter": "1m",
                "budgets": [{"nodes": "10%"}],
            },
        },
    }
    assert batch == {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "batch"},
        "spec": {
            "template": {
                "metadata": {"labels": {"dataplatform.io/pool": "batch"}},
                "spec": {
                    "nodeClassRef": node_class_ref,
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
                        {
                            "key": "karpenter.k8s.aws/instance-family",
                            "operator": "In",
                            "values": ["c6i", "c7i", "m6i", "m7i", "c5", "m5"],
                        },
                        sizes,
                        *linux_amd64,
                    ],
                    "expireAfter": "720h",
                    "taints": [{"key": "dataplatform.io/spot", "value": "true", "effect": "NoSchedule"}],
                },
            },
            "limits": {"cpu": "100", "memory": "400Gi"},
            "disruption": {
                "consolidationPolicy": "WhenEmpty",
                "consolidateAfter": "1m",
                "budgets": [{"nodes": "10%"}],
            },
        },
    }


CUSTOM_POOL = NodePoolSettings(
    name="graviton",
    capacity_types=["spot", "on-demand"],
    instance_families=["m7g", "c7g"],
    architectures=["arm64"],
    labels={"example.com/team": "data"},
    taints=[{"key": "example.com/arm", "effect": "NoSchedule"}],
    limits={"cpu": 64, "memory": "256Gi"},
    consolidate_after="Never",
    expire_after="Never",
    budgets=[
        {
            "nodes": "0",
            "schedule": "0 9 * * mon-fri",
            "duration": "8h",
            "reasons": ["Underutilized", "Drifted"],
        },
        {"nodes": "2"},
    ],
    weight=50,
)


def test_custom_node_pool_manifest() -> None:
    spec = node_pool_manifest(CUSTOM_POOL)["spec"]
    assert spec["weight"] == 50
    assert spec["limits"] == {"cpu": "64", "memory": "256Gi"}
    assert spec["disruption"]["budgets"] == [
        {
            "nodes": "0",
            "schedule": "0 9 * * mon-fri",
            "duration": "8h",
            "reasons": ["Underutilized", "Drifted"],
        },
        {"nodes": "2"},
    ]
    template = spec["template"]
    assert template["metadata"]["labels"] == {"example.com/team": "data", "dataplatform.io/pool": "graviton"}
    assert template["spec"]["taints"] == [{"key": "example.com/arm", "effect": "NoSchedule"}]
    # No size requirement when no size is listed.
    assert [r["key"] for r in template["spec"]["requirements"]] == [
        "karpenter.sh/capacity-type",
        "karpenter.k8s.aws/instance-family",
        "kubernetes.io/arch",
        "kubernetes.io/os",
    ]


def all_documents() -> list[dict[str, Any]]:
    return [
        node_class(),
        node_class(ami_alias="al2023@v20250101"),
        *(node_pool_manifest(pool) for pool in KarpenterSettings().node_pools),
        node_pool_manifest(CUSTOM_POOL),
    ]


def test_every_document_validates_against_both_validators() -> None:
    assert_valid(*all_documents())


def _mutated(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = changed
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value
    return changed


def test_mutations_are_caught() -> None:
    """Each validator catches what it is for: a document that is wrong in one way fails."""
    apps = node_pool_manifest(KarpenterSettings().node_pools[0])
    cls = node_class()
    bad_policy = _mutated(apps, "spec.disruption.consolidationPolicy", "WhenIdle")
    bad_operator = _mutated(apps, "spec.template.spec.requirements.0.operator", "Inn")
    unknown_key = _mutated(apps, "spec.disruption.consolidationPolicyy", "WhenEmpty")
    bad_tokens = _mutated(cls, "spec.metadataOptions.httpTokens", "Required")
    both_roles = _mutated(cls, "spec.instanceProfile", "profile")
    alias_and_id = _mutated(cls, "spec.amiSelectorTerms", [{"alias": "al2023@latest"}, {"id": "ami-123"}])
    reserved_tag = _mutated(cls, "spec.tags", {**TAGS, "kubernetes.io/cluster/eks-dev": "owned"})

    models = model_errors(
        [bad_policy, bad_operator, unknown_key, bad_tokens, both_roles, alias_and_id, reserved_tag]
    )
    # The published models catch enums...
    assert models[0] == [
        "/spec/disruption/consolidationPolicy: must be equal to one of the allowed values "
        "(WhenEmpty, WhenEmptyOrUnderutilized)"
    ]
    assert models[1][0].startswith("/spec/template/spec/requirements/0/operator: must be equal to one of")
    assert models[3] == [
        "/spec/metadataOptions/httpTokens: must be equal to one of the allowed values (required, optional)"
    ]
    # ...but not unknown keys nor the CRDs' CEL rules: that is what the strict schemas are for.
    assert models[2] == models[4] == models[5] == models[6] == []

    assert strict_errors(bad_policy) == [
        "/spec/disruption/consolidationPolicy: 'WhenIdle' is not one of "
        "['WhenEmpty', 'WhenEmptyOrUnderutilized']"
    ]
    assert strict_errors(unknown_key) == [
        "/spec/disruption: Additional properties are not allowed ('consolidationPolicyy' was unexpected)"
    ]
    assert strict_errors(both_roles) == ["/spec: must specify exactly one of ['role', 'instanceProfile']"]
    assert strict_errors(alias_and_id) == ["/spec/amiSelectorTerms: an alias term must be the only term"]
    assert strict_errors(reserved_tag) == [
        "/spec/tags: tag key 'kubernetes.io/cluster/eks-dev' is reserved by Karpenter"
    ]
    no_role = copy.deepcopy(cls)
    del no_role["spec"]["role"]
    assert cel_errors(no_role) == ["/spec: must specify exactly one of ['role', 'instanceProfile']"]
    alias_with_more = _mutated(cls, "spec.amiSelectorTerms", [{"alias": "al2023@latest", "id": "ami-1"}])
    assert cel_errors(alias_with_more) == [
        "/spec/amiSelectorTerms/0: an alias term may not carry other fields"
    ]
    restricted_label = _mutated(apps, "spec.template.metadata.labels", {"karpenter.sh/capacity-type": "spot"})
    assert cel_errors(restricted_label) == [
        "/spec/template/metadata/labels: label domain of 'karpenter.sh/capacity-type' is restricted"
    ]
    with pytest.raises(AssertionError, match="invalid custom resources"):
        assert_valid(unknown_key)


# --------------------------------------------------------------------------- settings errors


def cluster_issues(**karpenter: Any) -> dict[str, str]:
    """Every problem of a cluster with ``karpenter``, by exact key path from the stack config."""
    data = {
        "deploy_from": "inside_vpc",
        "deployer_cidrs": ["10.0.8.0/24"],
        "kubernetes_version": "1.36",
        "node_groups": [SYSTEM],
        "karpenter": karpenter,
    }
    with pytest.raises(InvalidConfigError) as err:
        EksClusterSettings.parse(data, prefix="cluster")
    found = {issue.path: issue.message for issue in err.value.issues}
    assert len(found) == len(err.value.issues), err.value.issues
    return found


def pool(**fields: Any) -> dict[str, Any]:
    return {"name": "apps", "instance_families": ["m6i"], "limits": {"cpu": "10", "memory": "40Gi"}, **fields}


def test_pool_needs_instance_families() -> None:
    assert cluster_issues(node_pools=[pool(instance_families=[])]) == {
        "cluster.karpenter.node_pools[0].instance_families": (
            "List should have at least 1 item after validation, not 0"
        )
    }
    assert cluster_issues(node_pools=[pool(instance_families=["m6i.large", "m6i", "m6i"])]) == {
        "cluster.karpenter.node_pools[0].instance_families[0]": (
            "not an EC2 instance family; write e.g. 'm6i' (no size)"
        ),
        "cluster.karpenter.node_pools[0].instance_families[2]": "listed twice; remove one",
    }
    assert cluster_issues(node_pools=[pool(capacity_types=["spot"])]) == {
        "cluster.karpenter.node_pools[0].instance_families": (
            "a spot pool needs at least two instance families, so interrupted capacity can be replaced from "
            "another spot pool; add e.g. 'm6i' and 'c6i'"
        )
    }


def test_duplicate_and_clashing_pool_names() -> None:
    assert cluster_issues(node_pools=[pool(), pool()]) == {
        "cluster.karpenter.node_pools[1].name": "pool names must be unique; rename one"
    }
    found = cluster_issues(node_pools=[pool(name="system")])
    assert list(found) == ["cluster.karpenter.node_pools[0].name"]
    assert found["cluster.karpenter.node_pools[0].name"].startswith("a managed node group has this name")


def test_bad_taints() -> None:
    found = cluster_issues(
        node_pools=[
            pool(
                taints=[
                    {"key": "dataplatform.io/spot", "value": "true", "effect": "NO_SCHEDULE"},
                    {"key": "bad key", "effect": "NoSchedule"},
                    {"key": "a", "value": "x" * 64, "effect": "NoSchedule"},
                ]
            )
        ]
    )
    prefix = "cluster.karpenter.node_pools[0].taints"
    assert found[f"{prefix}[0].effect"] == (
        "unknown taint effect; did you mean 'NoSchedule'? NodePools use the Kubernetes spelling; use one of "
        "NoSchedule, NoExecute, PreferNoSchedule"
    )
    assert found[f"{prefix}[1].key"].startswith("not a Kubernetes taint key")
    assert found[f"{prefix}[2].value"].startswith("not a Kubernetes taint value")
    assert len(found) == 3
    twice = {"key": "a", "effect": "NoSchedule"}
    assert cluster_issues(node_pools=[pool(taints=[twice, twice])]) == {
        f"{prefix}[1]": "a taint with this key and effect NoSchedule is already listed; remove one"
    }


def test_other_pool_errors() -> None:
    prefix = "cluster.karpenter.node_pools[0]"
    found = cluster_issues(
        node_pools=[
            pool(
                consolidation_policy="WhenUnderutilized",
                consolidate_after="5 min",
                budgets=[{"nodes": "150%"}, {"schedule": "@daily"}],
                labels={"karpenter.sh/capacity-type": "spot"},
                limits={"cpu": "lots", "memory": "40Gi"},
                instance_sizes=["huge"],
            )
        ]
    )
    assert found == {
        f"{prefix}.consolidation_policy": "Input should be 'WhenEmptyOrUnderutilized' or 'WhenEmpty'",
        f"{prefix}.consolidate_after": "write a duration in s/m/h (e.g. '30s', '5m', '720h') or 'Never'",
        f"{prefix}.budgets[0].nodes": "write a node count ('2') or a percentage ('10%')",
        f"{prefix}.budgets[1].duration": "schedule and duration go together; set both or neither",
        f"{prefix}.labels.karpenter.sh/capacity-type": (
            "label domains kubernetes.io, k8s.io, karpenter.sh, karpenter.k8s.aws belong to Kubernetes and "
            "Karpenter; use your own prefix (e.g. dataplatform.io/...)"
        ),
        f"{prefix}.limits.cpu": "not a Kubernetes quantity; write e.g. '200' (cpu) or '800Gi' (memory)",
        f"{prefix}.instance_sizes[0]": "not an EC2 instance size; write e.g. 'xlarge' or '2xlarge'",
    }


def test_controller_settings_errors() -> None:
    found = cluster_issues(controller_node_group="ops", version="v1.14.1", ami_alias="bottlerocket@latest")
    assert found == {
        "cluster.karpenter.version": (
            "pin a Karpenter 1.x chart version such as '1.14.1' (quoted; no 'v', no 'latest')"
        ),
        "cluster.karpenter.ami_alias": (
            "write an AL2023 alias: 'al2023@latest' or a release such as 'al2023@v20250101' (other AMI "
            "families are not supported by this component)"
        ),
    }
    # Field errors first; the cross checks run on valid fields.
    assert cluster_issues(controller_node_group="ops") == {
        "cluster.karpenter.controller_node_group": (
            "is not a managed node group; Karpenter must run on nodes it does not manage: name one of system"
        )
    }
    assert cluster_issues(replicas=4) == {
        "cluster.karpenter.replicas": (
            "each replica needs its own node (hostname anti-affinity), and group 'system' starts with 3; "
            "lower replicas or raise that group's min_size"
        )
    }


# --------------------------------------------------------------------------- registration

VPC = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/platform-deployer"

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
KARPENTER = "dataplatform:compute:Karpenter"

KARPENTER_COUNTS = {
    ROLE: 2,
    ATTACHMENT: 4,
    ROLE_POLICY: 1,
    ACCESS_ENTRY: 1,
    QUEUE: 1,
    QUEUE_POLICY: 1,
    RULE: 5,
    TARGET: 5,
}
"""What Karpenter's AWS side adds to a cluster (the Karpenter component's children)."""
RUNTIME = "dataplatform:compute:ClusterRuntime"
RUNTIME_KARPENTER_COUNTS = {RELEASE: 2, NODE_CLASS: 1, NODE_POOL: 2}
"""What Karpenter adds to the cluster runtime with the default pools (through the Kubernetes API)."""


def make(karpenter: dict[str, Any] | None) -> ComponentRun[EksCluster]:
    data: dict[str, Any] = {
        "kubernetes_version": "1.36",
        "deploy_from": "inside_vpc",
        "deployer_cidrs": ["10.0.8.0/24"],
        "admin_principal_arns": [DEPLOYER],
        "node_groups": [SYSTEM],
    }
    if karpenter is not None:
        data["karpenter"] = karpenter
    return run_component(
        lambda: EksCluster(
            "eks",
            EksClusterArgs(
                settings=EksClusterSettings.parse(data, prefix="cluster"),
                tags=TAGS,
                vpc_id=VPC,
                private_subnet_ids=SUBNETS,
            ),
        )
    )


@pytest.fixture(scope="module")
def with_karpenter() -> ComponentRun[EksCluster]:
    return make({})


@pytest.fixture(scope="module")
def without_karpenter() -> ComponentRun[EksCluster]:
    return make(None)


def karpenter_children(cr: ComponentRun[EksCluster]) -> list[Any]:
    component = cr.one(KARPENTER)
    return cr.run.descendants_of(component.urn)


def test_karpenter_resources(
    with_karpenter: ComponentRun[EksCluster], without_karpenter: ComponentRun[EksCluster]
) -> None:
    cr = with_karpenter
    component = cr.one(KARPENTER, "eks-karpenter")
    assert component.parent == cr.record.urn
    children = karpenter_children(cr)
    counts: dict[str, int] = {}
    for record in children:
        assert record.parent == component.urn
        counts[record.type] = counts.get(record.type, 0) + 1
    assert counts == KARPENTER_COUNTS
    runtime = cr.one(RUNTIME, "eks")
    in_cluster: dict[str, int] = {}
    for record in cr.run.children_of(runtime.urn):
        in_cluster[record.type] = in_cluster.get(record.type, 0) + 1
    assert in_cluster == {**RUNTIME_KARPENTER_COUNTS, "kubernetes:storage.k8s.io/v1:StorageClass": 1}
    # Everything else is unchanged: the cluster without Karpenter has exactly the other children.
    others = {**cr.counts()}
    for token, count in {**KARPENTER_COUNTS, **RUNTIME_KARPENTER_COUNTS, KARPENTER: 1}.items():
        others[token] -= count
    assert {k: v for k, v in others.items() if v} == without_karpenter.counts()
    assert_tagged(children, TAGS)


def test_node_role_and_access_entry(with_karpenter: ComponentRun[EksCluster]) -> None:
    cr = with_karpenter
    role = cr.one(ROLE, "eks-karpenter-node-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    attached = sorted(
        r.inputs["policyArn"] for r in cr.of_type(ATTACHMENT) if r.name.startswith("eks-karpenter-node-")
    )
    assert attached == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]
    entry = cr.one(ACCESS_ENTRY, "eks-karpenter-node-access")
    assert entry.inputs["type"] == "EC2_LINUX"
    assert entry.inputs["principalArn"] == role.outputs["arn"]
    assert entry.inputs["clusterName"] == "eks-dev"
    assert "kubernetesGroups" not in entry.inputs and "userName" not in entry.inputs


def test_interruption_queue_and_rules(with_karpenter: ComponentRun[EksCluster]) -> None:
    cr = with_karpenter
    queue = cr.one(QUEUE)
    assert queue.inputs["name"] == "eks-dev-karpenter"
    assert queue.inputs["messageRetentionSeconds"] == 300
    assert queue.inputs["sqsManagedSseEnabled"] is True
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:eks-dev-karpenter"
    policy = cr.one(QUEUE_POLICY)
    assert policy.inputs["queueUrl"] == queue.id
    assert policy.inputs["policy"] == interruption_queue_policy(arn, ACCOUNT)
    rules = {r.name: r for r in cr.of_type(RULE)}
    assert {name: json.loads(r.inputs["eventPattern"]) for name, r in rules.items()} == {
        f"eks-karpenter-{event}": json.loads(event_pattern(event)) for event in INTERRUPTION_EVENTS
    }
    for target in cr.of_type(TARGET):
        assert target.inputs["arn"] == arn
        assert target.inputs["rule"] == rules[target.name].inputs["name"]
        assert set(target.dependencies) >= {queue.urn, policy.urn}


def test_controller_role(with_karpenter: ComponentRun[EksCluster]) -> None:
    cr = with_karpenter
    role = cr.one(ROLE, "eks-karpenter-controller")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert len(trust) == 1 and trust[0]["Action"] == "sts:AssumeRoleWithWebIdentity"
    (conditions,) = trust[0]["Condition"].values()
    assert sorted(conditions.values()) == ["sts.amazonaws.com", "system:serviceaccount:kube-system:karpenter"]
    assert (
        trust[0]["Principal"]["Federated"]
        == cr.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").outputs["arn"]
    )
    inline = cr.one(ROLE_POLICY, "eks-karpenter-controller")
    node_role = cr.one(ROLE, "eks-karpenter-node-role")
    ebs_key = cr.one("aws:kms/key:Key", "eks-ebs-key")
    assert inline.inputs["role"] == role.id
    assert inline.inputs["policy"] == controller_policy(
        partition="aws",
        region="us-east-1",
        account=ACCOUNT,
        dns_suffix="amazonaws.com",
        cluster_name="eks-dev",
        queue_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:eks-dev-karpenter",
        node_role_arn=node_role.outputs["arn"],
        ebs_key_arn=ebs_key.outputs["arn"],
    )


def test_releases_and_ordering(with_karpenter: ComponentRun[EksCluster]) -> None:
    cr = with_karpenter
    crds = cr.one(RELEASE, "eks-karpenter-crd")
    controller = cr.one(RELEASE, "eks-karpenter")
    provider = cr.one("pulumi:providers:kubernetes")
    assert {k: crds.inputs[k] for k in ("chart", "version", "namespace", "name")} == {
        "chart": "oci://public.ecr.aws/karpenter/karpenter-crd",
        "version": "1.14.1",
        "namespace": "kube-system",
        "name": "karpenter-crd",
    }
    assert {k: controller.inputs[k] for k in ("chart", "version", "namespace", "name", "skipCrds")} == {
        "chart": "oci://public.ecr.aws/karpenter/karpenter",
        "version": "1.14.1",
        "namespace": "kube-system",
        "name": "karpenter",
        "skipCrds": True,
    }
    assert controller.outputs["status"]["status"] == "deployed"
    assert controller.inputs["values"]["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": cr.one(ROLE, "eks-karpenter-controller").outputs["arn"]
    }
    assert controller.inputs["values"]["settings"] == {
        "clusterName": "eks-dev",
        "clusterEndpoint": cr.value(cr.component.endpoint),
        "interruptionQueue": "eks-dev-karpenter",
    }
    # The controller waits for the CRDs, the system nodes, CoreDNS, its IAM policy and the queue.
    depends = set(controller.dependencies)
    assert crds.urn in depends
    assert cr.one("aws:eks/nodeGroup:NodeGroup").urn in depends
    assert cr.one("aws:eks/addon:Addon", "eks-coredns").urn in depends
    assert cr.one(ROLE_POLICY, "eks-karpenter-controller").urn in depends
    assert cr.one(QUEUE_POLICY).urn in depends
    for record in (crds, controller, cr.one(NODE_CLASS), *cr.of_type(NODE_POOL)):
        assert record.provider is not None and record.provider.startswith(provider.urn)
    node_class = cr.one(NODE_CLASS)
    assert {controller.urn, cr.one(ACCESS_ENTRY, "eks-karpenter-node-access").urn} <= set(
        node_class.dependencies
    )
    for node_pool in cr.of_type(NODE_POOL):
        assert {controller.urn, node_class.urn} <= set(node_pool.dependencies)


def _document(record: Any) -> dict[str, Any]:
    return {k: record.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}


def test_registered_custom_resources(with_karpenter: ComponentRun[EksCluster]) -> None:
    cr = with_karpenter
    node_class = _document(cr.one(NODE_CLASS))
    assert node_class == node_class_manifest(
        KarpenterSettings(),
        cluster_name="eks-dev",
        node_role_name=cr.one(ROLE, "eks-karpenter-node-role").outputs["name"],
        ebs_key_arn=cr.one("aws:kms/key:Key", "eks-ebs-key").outputs["arn"],
        tags=TAGS,
    )
    pools = {r.name: _document(r) for r in cr.of_type(NODE_POOL)}
    assert pools == {
        f"eks-karpenter-pool-{p.name}": node_pool_manifest(p) for p in KarpenterSettings().node_pools
    }
    # The mocks answer like the API server: cluster-scoped, server-filled metadata.
    assert cr.one(NODE_CLASS).id == "default" and "uid" in cr.one(NODE_CLASS).outputs["metadata"]
    assert_valid(node_class, *pools.values())


def test_discovery_tags_and_contract(
    with_karpenter: ComponentRun[EksCluster], without_karpenter: ComponentRun[EksCluster]
) -> None:
    cr = with_karpenter
    cluster = cr.component
    assert cr.one("eks:index:Cluster").inputs["nodeSecurityGroupTags"] == {
        "karpenter.sh/discovery": "eks-dev"
    }
    assert cluster.discovery_tags == {"karpenter.sh/discovery": "eks-dev"}
    assert "nodeSecurityGroupTags" not in without_karpenter.one("eks:index:Cluster").inputs
    assert without_karpenter.component.discovery_tags == {}
    # The managed node group carries the pool label the placement selects on.
    assert cr.one("aws:eks/nodeGroup:NodeGroup").inputs["labels"] == {"dataplatform.io/pool": "system"}
    assert cluster.pool_names == ["system", "apps", "batch"]
    assert cluster.placement("batch").node_selector == {"dataplatform.io/pool": "batch"}
    assert sorted(cluster.node_pools) == ["apps", "batch"]
    batch_deps = cluster.workload_dependencies_for("batch")
    assert batch_deps[-1] is cluster.node_pools["batch"]
    assert batch_deps[:-1] == cluster.workload_dependencies
    assert cluster.workload_dependencies_for("system") == cluster.workload_dependencies
    with pytest.raises(InvalidConfigError) as err:
        cluster.placement("gpu")
    assert [(i.path, i.message) for i in err.value.issues] == [
        ("pool", "the cluster has no such pool; use one of system, apps, batch")
    ]
    assert (
        cr.value(cluster.karpenter_controller_role_arn)
        == cr.one(ROLE, "eks-karpenter-controller").outputs["arn"]
    )
    assert cluster.karpenter_interruption_queue_name == "eks-dev-karpenter"


def test_bad_karpenter_settings_register_nothing() -> None:
    with pytest.raises(InvalidConfigError) as err:
        make({"node_pools": [pool(name="system")]})
    assert [i.path for i in err.value.issues] == ["cluster.karpenter.node_pools[0].name"]
    # The settings fail inside the program, before the component: nothing at all is recorded...
    assert err.value.recorded_run.resources == []  # type: ignore[attr-defined]
    # ...whereas the same program with valid settings records the cluster (the check can fail).
    assert make({"node_pools": [pool(name="web")]}).run.resources


def test_reserved_stack_tags_are_refused() -> None:
    data = {
        "kubernetes_version": "1.36",
        "deploy_from": "inside_vpc",
        "deployer_cidrs": ["10.0.8.0/24"],
        "admin_principal_arns": [DEPLOYER],
        "node_groups": [SYSTEM],
        "karpenter": {},
    }
    with pytest.raises(InvalidConfigError) as err:
        run_component(
            lambda: EksCluster(
                "eks",
                EksClusterArgs(
                    settings=EksClusterSettings.parse(data),
                    tags={**TAGS, "karpenter.sh/nodepool": "x"},
                    vpc_id=VPC,
                    private_subnet_ids=SUBNETS,
                ),
            )
        )
    assert [(i.path, i.message) for i in err.value.issues] == [
        ("args.tags.karpenter.sh/nodepool", "Karpenter sets this tag itself; remove it")
    ]
    types = {r.type for r in err.value.recorded_run.resources}  # type: ignore[attr-defined]
    assert KARPENTER not in types and NODE_POOL not in types


def test_the_policy_pack_accepts_a_karpenter_cluster(with_karpenter: ComponentRun[EksCluster]) -> None:
    from pathlib import Path

    from dpengine.check import PolicyPackSpec, evaluate, load_config

    report = evaluate(
        with_karpenter.run,
        PolicyPackSpec.from_module(policies),
        load_config(Path(__file__).parent.parent / "policies" / "dev.json"),
    )
    # The budget in dev.json is the dev stack's; a bare cluster at default sizing is not held to it.
    assert [(v.policy, v.urn) for v in report.violations if v.policy != "stack-monthly-budget"] == []
