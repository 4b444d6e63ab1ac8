"""Identity: IRSA trust matches the service account, pods' service accounts exist, object names are unique.

IRSA: the role's trust policy must allow ``sts:AssumeRoleWithWebIdentity`` from the cluster's OIDC
provider with ``<issuer>:sub`` = ``system:serviceaccount:<namespace>:<name>`` and ``<issuer>:aud`` =
``sts.amazonaws.com`` (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
A pod whose service account does not exist is never created: the ReplicaSet/Job controller gets
"serviceaccount not found" from admission. Two objects with one group, kind, namespace and name are
one object on the cluster: the second create fails ("already exists") or the two fight.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, StackResource, as_list, contains_unknown, get, stack_policy
from . import _model as m

DOMAIN = "system"
ANNOTATION = "eks.amazonaws.com/role-arn"
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "IngressClass", "CSIDriver", "RuntimeClass",
    "VolumeSnapshotClass", "NodePool", "EC2NodeClass", "NodeClaim", "ClusterIssuer",
    "ClusterTriggerAuthentication", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
}  # fmt: skip


def _reads(type_: str) -> bool:
    return type_ in m.CLUSTER_READS or type_ == m.IAM_ROLE or type_.startswith("kubernetes:")


def _trust_problem(document: Any, subject: str) -> str | None:
    """Why a trust policy does not let ``subject`` assume the role via IRSA; None when it does."""
    statements = as_list(get(document, "Statement"))
    audience_missing = False
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action")):
            continue
        subjects: list[Any] = []
        audiences: list[Any] = []
        for operator, conditions in (statement.get("Condition") or {}).items():
            if not isinstance(conditions, dict):
                continue
            like = operator.startswith("StringLike")
            for key, value in conditions.items():
                target = subjects if key.endswith(":sub") else audiences if key.endswith(":aud") else None
                if target is not None:
                    target += [(v, like) for v in as_list(value)]
        if not any(fnmatch.fnmatchcase(subject, v) if like else v == subject for v, like in subjects):
            continue
        if any(v == "sts.amazonaws.com" for v, _ in audiences):
            return None
        audience_missing = True
    if audience_missing:
        return "names the subject but not the sts.amazonaws.com audience (<issuer>:aud)"
    return f"does not allow sts:AssumeRoleWithWebIdentity for {subject}"


def _irsa(ctx: StackContext, model: m.Model) -> None:
    roles = ctx.of_type(m.IAM_ROLE)
    by_arn = {r.props.get("arn"): r for r in roles if isinstance(r.props.get("arn"), str)}
    for account in ctx.of_type(m.SERVICE_ACCOUNT):
        arn = get(account.props, "metadata", "annotations", ANNOTATION)
        if arn is None:
            continue
        namespace, name = m.namespace_of(account), m.object_name(account)
        label = f"ServiceAccount '{account.name}'"
        linked = [r for r in roles if r.urn in account.property_dependencies.get("metadata", [])]
        role = by_arn.get(arn) or (linked[0] if len(linked) == 1 else None)
        if UNKNOWN in (namespace, name) or (role is None and arn is UNKNOWN):
            ctx.undecided(f"{label}: its name, namespace or role ARN is unknown during preview", account.urn)
            continue
        if role is None:
            ctx.undecided(
                f"{label} uses role {arn}, which is not in this program: its trust is not visible",
                account.urn,
            )
            continue
        document = m.parse_json(role.props.get("assumeRolePolicy"))
        if document is UNKNOWN or role.props.get("assumeRolePolicy") is UNKNOWN or contains_unknown(document):
            ctx.undecided(
                f"{label}: the trust policy of role '{role.name}' is unknown during preview", account.urn
            )
            continue
        subject = f"system:serviceaccount:{namespace}:{name}"
        problem = _trust_problem(document, subject)
        if problem:
            ctx.report(
                f"{label} ({namespace}/{name}) is annotated with role '{role.name}', whose trust policy "
                f"{problem}: "
                f"its pods cannot assume the role; trust {subject} with audience sts.amazonaws.com "
                "(StringEquals on <issuer>:sub and <issuer>:aud)",
                account.urn,
            )


def _service_accounts(ctx: StackContext, model: m.Model) -> None:
    existing = {
        (model.key_of(a), m.namespace_of(a), m.object_name(a)) for a in ctx.of_type(m.SERVICE_ACCOUNT)
    }
    for template in m.pod_templates(model):
        if template.spec is UNKNOWN:
            continue
        name = get(template.spec, "serviceAccountName") or get(template.spec, "serviceAccount") or "default"
        if name == "default":
            continue
        where = f"{template.label} (namespace {template.namespace})"
        if UNKNOWN in (name, template.namespace) or any(UNKNOWN in e for e in existing):
            ctx.undecided(f"{where}: its service account is unknown during preview", template.resource.urn)
            continue
        if (template.key, template.namespace, name) in existing:
            continue
        message = (
            f"{where} runs as service account '{name}', which does not exist in namespace "
            f"{template.namespace}: "
            "its pods are refused; create the ServiceAccount there or fix serviceAccountName"
        )
        if m.helm_in_namespace(model, template.key, template.namespace) or not model.in_program(template.key):
            ctx.undecided(
                message + " (unless a Helm release or another program creates it)", template.resource.urn
            )
        else:
            ctx.report(message, template.resource.urn)


def _duplicates(ctx: StackContext, model: m.Model) -> None:
    seen: dict[tuple[str, str, str, Any, Any], StackResource] = {}
    for resource in ctx.resources:
        if not m.is_kubernetes_object(resource.type):
            continue
        group, _, kind = m.group_version_kind(resource.type)
        name = m.object_name(resource)
        if name is None:
            continue  # Pulumi auto-names it: unique
        namespace = None if kind in CLUSTER_SCOPED else m.namespace_of(resource)
        if UNKNOWN in (name, namespace):
            ctx.undecided(
                f"{kind} '{resource.name}': its name or namespace is unknown during preview", resource.urn
            )
            continue
        identity = (model.key_of(resource), group, kind, namespace, name)
        first = seen.setdefault(identity, resource)
        if first is not resource:
            where = f" in namespace {namespace}" if namespace else ""
            ctx.report(
                f"{kind} '{resource.name}' and '{first.name}' are both {group or 'core'}/{kind} "
                f"{name}{where} "
                f"on {model.describe(identity[0])}: one object on the cluster, the second create fails or "
                "they "
                "overwrite each other; give them different names",
                resource.urn,
            )


@stack_policy(
    "workload-identity",
    domain=DOMAIN,
    description="IRSA roles trust the annotated service account and the sts.amazonaws.com audience; pods' "
    "service accounts exist; no two Kubernetes objects share group, kind, namespace and name.",
    severity=Severity.HIGH,
    remediation="Make the role's trust policy name system:serviceaccount:<namespace>:<name> "
    "(<issuer>:sub) and sts.amazonaws.com (<issuer>:aud); create each pod's ServiceAccount in its "
    "namespace; rename one of two objects that collide.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=_reads,
)
def identity(ctx: StackContext) -> None:
    model = m.build(ctx)
    _irsa(ctx, model)
    _service_accounts(ctx, model)
    _duplicates(ctx, model)


POLICIES = [identity]
