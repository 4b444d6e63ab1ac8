"""What the data-flow proof looks up on a plan: principals and their policies, resource policies,
Kubernetes workloads, Services, NetworkPolicies and security group rules, by the identities a flow
names (ARNs, ids, namespace and name). Works on any program's resources; values unknown during
preview stay :data:`UNKNOWN` and make the hop undecided, never pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .._common import UNKNOWN, StackContext, StackResource, as_list, get
from .._iam_eval import statements_of
from . import _model as m

STACK = "pulumi:pulumi:Stack"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
SERVICE = "kubernetes:core/v1:Service"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class Principal:
    """Who a hop's request comes from, with the identity policies that speak for it."""

    label: str
    arn: Any = None
    service: str | None = None
    documents: list[list[Any] | None] = field(default_factory=list)
    invisible: list[str] = field(default_factory=list)
    """Managed policies attached but not declared in the program (AWS managed): not evaluated."""
    problem: str | None = None
    """Why the principal could not be resolved (a broken link: a violation)."""
    undecided: str | None = None
    """Why it cannot be told during preview."""


class Plan:
    """An index of the plan's resources by type, ARN, id and Kubernetes identity."""

    def __init__(self, ctx: StackContext) -> None:
        self.ctx = ctx
        self.by_type: dict[str, list[StackResource]] = defaultdict(list)
        for resource in ctx.resources:
            self.by_type[resource.type].append(resource)
        self.by_urn = {r.urn: r for r in ctx.resources}
        self._by_arn: dict[str, StackResource] | None = None
        self._model: m.Model | None = None
        self._templates: list[m.PodTemplate] | None = None

    def of(self, *types: str) -> list[StackResource]:
        return [r for t in types for r in self.by_type.get(t, [])]

    def by_arn(self, arn: Any) -> StackResource | None:
        if self._by_arn is None:
            self._by_arn = {}
            for types in (BUCKET_TYPES, (QUEUE, KEY, ROLE, POLICY, SECURITY_GROUP)):
                for resource in self.of(*types):
                    value = resource.props.get("arn")
                    if isinstance(value, str):
                        self._by_arn[value] = resource
        return self._by_arn.get(arn) if isinstance(arn, str) else None

    # ------------------------------------------------------------------ flows

    def flow_documents(self) -> list[tuple[StackResource, Any]]:
        """(the stack resource, its ``dataFlows`` output) for each root stack exporting one."""
        return [(r, r.props.get("dataFlows")) for r in self.of(STACK) if "dataFlows" in r.props]

    # ------------------------------------------------------------------ IAM

    def role_documents(self, role: StackResource) -> tuple[list[list[Any] | None], list[str]]:
        """The identity policies of ``role`` (statements; None when unknown) and the ARNs of managed
        policies attached to it that the program does not declare."""
        name, arn = role.props.get("name"), role.props.get("arn")
        documents: list[list[Any] | None] = []
        invisible: list[str] = []
        for inline in as_list(role.props.get("inlinePolicies")):
            if isinstance(inline, dict) and inline.get("policy") is not None:
                documents.append(statements_of(inline.get("policy")))

        def mine(resource: StackResource) -> bool:
            value = resource.props.get("role")
            if role.urn in resource.property_dependencies.get("role", []):
                return True
            return isinstance(value, str) and value in (name, arn)

        for policy in self.of(ROLE_POLICY):
            if mine(policy):
                documents.append(statements_of(policy.props.get("policy")))
        attached = [a.props.get("policyArn") for a in self.of(ATTACHMENT) if mine(a)]
        attached += as_list(role.props.get("managedPolicyArns"))
        for policy_arn in attached:
            found = self.by_arn(policy_arn)
            if found is not None and found.type == POLICY:
                documents.append(statements_of(found.props.get("policy")))
            elif policy_arn is UNKNOWN:
                documents.append(None)
            elif isinstance(policy_arn, str):
                invisible.append(policy_arn)
        return documents, invisible

    def principal(self, spec: Any, workload_identity: Any) -> Principal:
        """Resolve a hop's ``principal``: a workload (its service account's IRSA role), a role ARN,
        managed policies held by a caller (``policyArns`` and ``as``), or a service principal."""
        if not isinstance(spec, dict):
            return Principal("?", problem="the hop names no principal")
        label = str(spec.get("label") or "")
        if isinstance(spec.get("service"), str):
            return Principal(label or spec["service"], service=spec["service"])
        if isinstance(spec.get("policyArns"), list):
            found = Principal(label, arn=spec.get("as"))
            for policy_arn in spec["policyArns"]:
                resource = self.by_arn(policy_arn)
                if resource is None:
                    found.problem = f"policy {policy_arn} is not in the plan"
                    return found
                found.documents.append(statements_of(resource.props.get("policy")))
            return found
        role_arn: Any = spec.get("roleArn")
        if isinstance(spec.get("workload"), dict):
            role_arn, problem, undecided = workload_identity(spec["workload"])
            if problem is not None:
                return Principal(label, problem=problem)
            if undecided is not None:
                return Principal(label, undecided=undecided)
        if role_arn is UNKNOWN:
            return Principal(label, undecided="the role ARN is unknown during preview")
        role = self.by_arn(role_arn)
        if role is None or role.type != ROLE:
            return Principal(label, problem=f"role {role_arn} is not in the plan")
        documents, invisible = self.role_documents(role)
        return Principal(label or role.name, arn=role_arn, documents=documents, invisible=invisible)

    def resource_policy(self, arn: str) -> tuple[list[Any] | None, bool]:
        """(statements, found) of the resource policy governing ``arn``: a bucket's, a queue's or a
        key's. ``found`` is False when the resource has no policy the program declares."""
        if arn.startswith("arn:") and ":s3:::" in arn:
            bucket_name = arn.split(":::", 1)[1].split("/", 1)[0]
            bucket = self.by_arn(arn.split("/", 1)[0])
            for policy in self.of(BUCKET_POLICY):
                linked = bucket is not None and bucket.urn in policy.property_dependencies.get("bucket", [])
                if linked or policy.props.get("bucket") == bucket_name:
                    return statements_of(policy.props.get("policy")), True
            return [], False
        resource = self.by_arn(arn)
        if resource is None:
            return [], False
        if resource.type == QUEUE:
            for policy in self.of(QUEUE_POLICY):
                url = policy.props.get("queueUrl")
                linked = resource.urn in policy.property_dependencies.get("queueUrl", [])
                if linked or (
                    isinstance(url, str) and url in (resource.props.get("url"), resource.props.get("id"))
                ):
                    return statements_of(policy.props.get("policy")), True
            if resource.props.get("policy") not in (None, ""):
                return statements_of(resource.props.get("policy")), True
            return [], False
        if resource.type == KEY:
            for policy in self.of(KEY_POLICY):
                key_id = policy.props.get("keyId")
                linked = resource.urn in policy.property_dependencies.get("keyId", [])
                if linked or key_id in (resource.props.get("arn"), resource.props.get("keyId")):
                    return statements_of(policy.props.get("policy")), True
            if resource.props.get("policy") in (None, ""):
                # KMS gives a key without a policy the default one: the account root, through IAM.
                account = arn.split(":")[4]
                return [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                     "Action": "kms:*",
                     "Resource": "*"}
                ], True  # fmt: skip
            return statements_of(resource.props.get("policy")), True
        return [], False

    # ------------------------------------------------------------------ Kubernetes

    @property
    def model(self) -> m.Model:
        if self._model is None:
            self._model = m.build(self.ctx)
        return self._model

    def templates(self) -> list[m.PodTemplate]:
        if self._templates is None:
            self._templates = m.pod_templates(self.model)
        return self._templates

    def workload(self, spec: Any) -> m.PodTemplate | None:
        if not isinstance(spec, dict):
            return None
        kind, namespace, name = spec.get("kind"), spec.get("namespace"), spec.get("name")
        for template in self.templates():
            if template.resource.type.rsplit(":", 1)[-1] != kind:
                continue
            if template.namespace == namespace and m.object_name(template.resource) == name:
                return template
        return None

    def kubernetes_object(self, type_: str, namespace: Any, name: Any) -> StackResource | None:
        for resource in self.of(type_):
            if m.namespace_of(resource) == namespace and m.object_name(resource) == name:
                return resource
        return None

    def namespace_labels(self, namespace: str) -> dict[str, Any]:
        """A namespace's labels; Kubernetes adds ``kubernetes.io/metadata.name`` to every namespace."""
        labels: dict[str, Any] = {"kubernetes.io/metadata.name": namespace}
        for resource in self.of(NAMESPACE):
            if m.object_name(resource) == namespace:
                given = get(resource.props, "metadata", "labels")
                if isinstance(given, dict):
                    labels.update(given)
        return labels

    def sql_texts(self) -> list[tuple[StackResource, str]]:
        """SQL the plan carries for a database migration: ConfigMap data, and the commands, arguments
        and environment values of pod templates (Jobs, CronJobs), wherever a ``GRANT`` appears."""
        found: list[tuple[StackResource, str]] = []
        for config_map in self.of(CONFIG_MAP):
            data = config_map.props.get("data")
            if isinstance(data, dict):
                found += [
                    (config_map, v) for v in data.values() if isinstance(v, str) and "GRANT" in v.upper()
                ]
        for template in self.templates():
            if not isinstance(template.spec, dict):
                continue
            for container in as_list(template.spec.get("containers")) + as_list(
                template.spec.get("initContainers")
            ):
                if not isinstance(container, dict):
                    continue
                values = as_list(container.get("command")) + as_list(container.get("args"))
                values += [e.get("value") for e in as_list(container.get("env")) if isinstance(e, dict)]
                found += [
                    (template.resource, v) for v in values if isinstance(v, str) and "GRANT" in v.upper()
                ]
        return found
