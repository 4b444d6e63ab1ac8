"""The data-flow proof: every hop a stack declares in its ``dataFlows`` output holds on the plan.

A program declares its flows as the stack output ``dataFlows`` (``{"version": 1, "flows": [{"name",
"path", "hops": [...]}]}``, README: Data flows); the root stack's outputs reach a stack policy as the
properties of its ``pulumi:pulumi:Stack`` resource (pulumi/pulumi ``stepGenerator.AnalyzeResources``:
"AnalyzeStack is called on the final outputs of each resource"). Each hop has a ``kind``, an
``expect`` (``allow``, or ``deny`` for what must be refused) and what its kind needs:

* ``iam``: a principal (a workload's IRSA role, a role ARN, managed policies, a service principal)
  sends ``actions`` on ``resource``/``resources``; the identity policies, the resource's policy
  (bucket, queue, key) and, with ``kms``, the key policy and the identity policies on the key decide
  (one evaluator, ``policies/_iam_eval.py``);
* ``workload-identity``: the workload's pods run as a service account annotated with a role whose
  trust admits that service account;
* ``service-endpoints``: a Service selects the workload's pods and its port reaches a container port;
* ``ingress``: an Ingress routes to the Service's port, through a class whose controller exists;
* ``network-policy`` and ``security-group``: see ``_flow_network``;
* ``s3-notification``: the bucket notifies the queue of the events under the prefix;
* ``db-grant``: the migration SQL in the plan creates the user and grants the privileges (and
  ``rds_iam`` for IAM authentication), or, with ``deny``, grants none of them.

A broken hop is reported as ``flow "<flow>", hop "<hop>" (<kind>): <why>`` (JSON strings), which the
engine's reports turn into the violation's ``flow`` and ``hop``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, as_list, contains_unknown, get, stack_policy
from .._iam_eval import ALLOW, DENY, UNDECIDED, Caller, Request, decide, wildcard_match
from . import _model as m
from ._flow_network import Outcome, network_policy_hop, security_group_hop
from ._flow_plan import INGRESS, NOTIFICATION, SERVICE, Plan
from ._flow_sql import grants_hop
from .identity import ANNOTATION, _trust_problem
from .traffic import _served

DOMAIN = "system"
SECURE_CONTEXT = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
"""What every request of a flow carries: the SDKs send HTTPS with TLS 1.2 or newer."""


def caller_account(arn: str) -> str | None:
    """The account of an ARN (its fifth field), when it has one."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _workload_role(plan: Plan, workload: dict[str, Any]) -> tuple[Any, str | None, str | None]:
    """(role ARN, problem, undecided) for the IRSA role the workload's pods assume."""
    template = plan.workload(workload)
    where = f"{workload.get('kind')} {workload.get('namespace')}/{workload.get('name')}"
    if template is None:
        return None, f"{where} is not in the plan", None
    if template.spec is UNKNOWN:
        return None, None, f"the pod template of {where} is unknown during preview"
    account_name = (
        get(template.spec, "serviceAccountName") or get(template.spec, "serviceAccount") or "default"
    )
    account = plan.kubernetes_object(m.SERVICE_ACCOUNT, template.namespace, account_name)
    if account is None:
        return None, f"{where} runs as service account '{account_name}', which is not in the plan", None
    role_arn = get(account.props, "metadata", "annotations", ANNOTATION)
    if role_arn is None:
        return (
            None,
            f"service account {template.namespace}/{account_name} names no IAM role ({ANNOTATION})",
            None,
        )
    if role_arn is UNKNOWN:
        return None, None, f"the role of service account {template.namespace}/{account_name} is unknown"
    role = plan.by_arn(role_arn)
    if role is None:
        return (
            None,
            f"service account {template.namespace}/{account_name} names role {role_arn}, not in the plan",
            None,
        )
    trust = m.parse_json(role.props.get("assumeRolePolicy"))
    if trust is UNKNOWN or contains_unknown(trust):
        return None, None, f"the trust policy of role '{role.name}' is unknown during preview"
    problem = _trust_problem(trust, f"system:serviceaccount:{template.namespace}:{account_name}")
    if problem:
        return None, f"role '{role.name}' trust policy {problem}", None
    return role_arn, None, None


def _iam_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    principal = plan.principal(hop.get("principal"), lambda w: _workload_role(plan, w))
    if principal.problem:
        return False, principal.problem
    if principal.undecided:
        return None, principal.undecided
    caller = Caller(arn=principal.arn if isinstance(principal.arn, str) else None, service=principal.service)
    expect = hop.get("expect", "allow")
    resources = as_list(hop.get("resources") or hop.get("resource"))
    actions = as_list(hop.get("actions") or hop.get("action"))
    if contains_unknown([resources, actions, hop.get("context"), hop.get("kms")]):
        return None, "an ARN of the hop is unknown during preview"
    if not resources or not actions:
        return False, "the hop names no action or resource"
    context = {**SECURE_CONTEXT, **(hop.get("context") or {})}
    if caller.account:
        context.setdefault("aws:PrincipalAccount", caller.account)
    granted: list[str] = []
    refused: list[str] = []
    for action in actions:
        for resource in resources:
            statements, _found = plan.resource_policy(resource)
            verdict = decide(Request(action, resource, caller, context), principal.documents, statements)
            if verdict.decision == UNDECIDED:
                return None, f"{action} on {resource}: {verdict.why}"
            if verdict.decision == ALLOW:
                granted.append(f"{action} on {resource}")
            else:
                how = (
                    f"denied by {', '.join(verdict.statements)}" if verdict.decision == DENY else verdict.why
                )
                if principal.invisible and verdict.decision != DENY and expect == "allow":
                    return None, (
                        f"{action} on {resource}: not allowed by the policies in the plan, and "
                        f"{', '.join(principal.invisible)} is attached but not declared here"
                    )
                refused.append(f"{action} on {resource} ({how or 'no policy allows it'})")
    if expect == "deny":
        if granted:
            return False, f"{principal.label} may {', '.join(granted)}, which must be refused"
        return True, "refused"
    if refused:
        return False, f"{principal.label} may not {'; '.join(refused)}"
    kms = hop.get("kms")
    if isinstance(kms, dict) and kms.get("keyArn"):
        key_arn = kms["keyArn"]
        key_context = dict(context)
        if kms.get("viaService"):
            key_context["kms:ViaService"] = kms["viaService"]
        if caller.account:
            key_context["kms:CallerAccount"] = caller.account
        for queue in (r for r in resources if isinstance(r, str) and r.startswith("arn:aws:sqs:")):
            # SQS asks KMS for a queue's data keys with the queue's ARN as encryption context
            # (SQS developer guide, "Encryption at rest": the aws:sqs:arn context).
            key_context.setdefault("kms:EncryptionContext:aws:sqs:arn", queue)
        statements, found = plan.resource_policy(key_arn)
        assumed = ""
        if not found and kms.get("assumeKeyPolicy") == "account-administered" and caller_account(key_arn):
            # Declared by the flow: a key another stack owns, whose policy lets the account's IAM
            # policies decide. Said in the verdict, never silently.
            statements = [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{caller_account(key_arn)}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
            found, assumed = True, f" (assumed: key {key_arn} is account-administered)"
        if not found:
            return None, f"key {key_arn} is not in the plan: its key policy is not visible"
        for action in as_list(kms.get("actions")):
            verdict = decide(
                Request(action, key_arn, caller, key_context),
                principal.documents,
                statements,
                key_policy=True,
            )
            if verdict.decision == UNDECIDED:
                return None, f"{action} on {key_arn}: {verdict.why}"
            if verdict.decision != ALLOW:
                how = (
                    f"denied by {', '.join(verdict.statements)}" if verdict.decision == DENY else verdict.why
                )
                return False, f"{principal.label} may not {action} on key {key_arn} ({how})"
        return True, f"allowed{assumed}"
    return True, "allowed"


def _identity_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    workload = hop.get("workload")
    if not isinstance(workload, dict):
        return False, "the hop names no workload"
    role_arn, problem, undecided = _workload_role(plan, workload)
    if problem:
        return False, problem
    if undecided:
        return None, undecided
    return True, f"assumes {role_arn}"


def _service_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    ref = hop.get("service") or {}
    service = plan.kubernetes_object(SERVICE, ref.get("namespace"), ref.get("name"))
    if service is None:
        return False, f"Service {ref.get('namespace')}/{ref.get('name')} is not in the plan"
    template = plan.workload(hop.get("workload"))
    if template is None:
        return False, "the workload is not in the plan"
    spec = get(service.props, "spec")
    if contains_unknown(spec) or template.labels is UNKNOWN or template.spec is UNKNOWN:
        return None, "the Service or the pod template is unknown during preview"
    selector = get(spec, "selector") or {}
    if not selector or not m.selector_matches(selector, template.labels):
        shown = ", ".join(f"{k}={v}" for k, v in sorted(selector.items())) or "nothing"
        return (
            False,
            f"Service '{service.name}' selects {shown}, which the pods of {template.label} do not carry",
        )
    port = hop.get("port")
    entries = [p for p in as_list(get(spec, "ports")) if isinstance(p, dict) and p.get("port") == port]
    if not entries:
        return False, f"Service '{service.name}' has no port {port}"
    target = entries[0].get("targetPort", port)
    containers = [c for c in as_list(get(template.spec, "containers")) if isinstance(c, dict)]
    ports = [p for c in containers for p in as_list(c.get("ports")) if isinstance(p, dict)]
    if not any(
        p.get("containerPort") == target or (isinstance(target, str) and p.get("name") == target)
        for p in ports
    ):
        return (
            False,
            f"Service '{service.name}' port {port} targets {target!r}, which no container of "
            f"{template.label} exposes",
        )
    return True, f"port {port} reaches {target!r}"


def _ingress_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    ref = hop.get("service") or {}
    namespace, name, port = ref.get("namespace"), ref.get("name"), hop.get("port")
    service = plan.kubernetes_object(SERVICE, namespace, name)
    named = (
        {
            p.get("port"): p.get("name")
            for p in as_list(get(service.props, "spec", "ports"))
            if isinstance(p, dict)
        }
        if service
        else {}
    )
    routes = []
    for ingress in plan.of(INGRESS):
        if m.namespace_of(ingress) != namespace:
            continue
        spec = get(ingress.props, "spec")
        if contains_unknown(spec):
            return None, f"Ingress '{ingress.name}' is unknown during preview"
        backends = [get(spec, "defaultBackend", "service")]
        for rule in as_list(get(spec, "rules")):
            backends += [get(p, "backend", "service") for p in as_list(get(rule, "http", "paths"))]
        for backend in backends:
            if not isinstance(backend, dict) or backend.get("name") != name:
                continue
            given = backend.get("port") or {}
            if given.get("number") == port or (given.get("name") and given.get("name") == named.get(port)):
                routes.append(ingress)
    if not routes:
        return (
            False,
            f"no Ingress in namespace {namespace} routes to Service {name} port {port}: nothing outside "
            "the cluster reaches it",
        )
    served: dict[str, str] = {}
    for ingress in routes:
        class_name = get(ingress.props, "spec", "ingressClassName") or get(
            ingress.props, "metadata", "annotations", "kubernetes.io/ingress.class"
        )
        # One reading of "which class a controller serves" (the ingress-controller rule's).
        classes, _, default, _ = _served(plan.model, plan.model.key_of(ingress))
        served.update(classes)
        if (class_name in classes) or (class_name is None and default):
            return (
                True,
                f"Ingress '{ingress.name}' (class {class_name}, {classes.get(class_name, 'default')})",
            )
    return False, (
        f"Ingress {', '.join(r.name for r in routes)} names a class with no controller in the plan "
        f"(classes served: {sorted(served)})"
    )


def _notification_hop(plan: Plan, hop: dict[str, Any]) -> Outcome:
    bucket_arn, queue_arn, prefix = hop.get("bucketArn"), hop.get("queueArn"), hop.get("prefix") or ""
    if contains_unknown([bucket_arn, queue_arn]):
        return None, "the bucket or queue ARN is unknown during preview"
    bucket_name = str(bucket_arn).split(":::", 1)[-1]
    suffix = hop.get("suffix") or ".parquet"
    key = f"{prefix}flow-proof/part-00000{suffix}"
    events = as_list(hop.get("events")) or ["s3:ObjectCreated:*"]
    for notification in plan.of(NOTIFICATION):
        if notification.props.get("bucket") not in (bucket_name, UNKNOWN):
            continue
        for queue in as_list(notification.props.get("queues")):
            if not isinstance(queue, dict) or queue.get("queueArn") != queue_arn:
                continue
            if not key.startswith(queue.get("filterPrefix") or "") or not key.endswith(
                queue.get("filterSuffix") or ""
            ):
                continue
            wanted = [e.replace("*", "Put") for e in events]
            if all(any(wildcard_match(str(g), w) for g in as_list(queue.get("events"))) for w in wanted):
                return True, f"BucketNotification '{notification.name}'"
    return (
        False,
        f"no S3 notification of bucket {bucket_name} sends {', '.join(events)} under '{prefix}' "
        f"to {queue_arn}",
    )


SELF_EXPECTING = ("iam", "db-grant")
"""Hop kinds whose evaluator reads ``expect`` itself (a refusal there is more than "not allowed")."""
HOPS: dict[str, Callable[[Plan, dict[str, Any]], Outcome]] = {
    "iam": _iam_hop,
    "workload-identity": _identity_hop,
    "service-endpoints": _service_hop,
    "ingress": _ingress_hop,
    "network-policy": network_policy_hop,
    "security-group": security_group_hop,
    "s3-notification": _notification_hop,
    "db-grant": grants_hop,
}


def prove(plan: Plan) -> list[tuple[str, str, str, bool | None, str, str | None]]:
    """Every hop of every flow: (flow, hop, kind, verdict, why, urn of the stack declaring it)."""
    results: list[tuple[str, str, str, bool | None, str, str | None]] = []
    for stack, document in plan.flow_documents():
        if contains_unknown(document):
            results.append(("*", "*", "*", None, "the dataFlows output is unknown during preview", stack.urn))
            continue
        flows = get(document, "flows")
        if not isinstance(flows, list) or get(document, "version") != 1:
            results.append(
                (
                    "*",
                    "*",
                    "*",
                    False,
                    "dataFlows is not a version 1 document with a list of flows",
                    stack.urn,
                )
            )
            continue
        for flow in flows:
            name = str(get(flow, "name") or "?")
            for hop in as_list(get(flow, "hops")):
                if not isinstance(hop, dict):
                    continue
                kind = str(hop.get("kind"))
                evaluator = HOPS.get(kind)
                if evaluator is None:
                    results.append(
                        (
                            name,
                            str(hop.get("name")),
                            kind,
                            False,
                            f"unknown hop kind (known: {sorted(HOPS)})",
                            stack.urn,
                        )
                    )
                    continue
                verdict, why = evaluator(plan, hop)
                if (
                    hop.get("expect", "allow") == "deny"
                    and kind not in SELF_EXPECTING
                    and verdict is not None
                ):
                    verdict, why = (not verdict), (f"it is allowed ({why})" if verdict else why)
                results.append((name, str(hop.get("name")), kind, verdict, why, stack.urn))
    return results


def hop_message(flow: str, hop: str, kind: str, why: str) -> str:
    """``flow "<flow>", hop "<hop>" (<kind>): <why>``: names as JSON strings, so a report can read
    them back whatever they contain (``dpengine.check`` does)."""
    return f"flow {json.dumps(flow)}, hop {json.dumps(hop)} ({kind}): {why}"


@stack_policy(
    "data-flows",
    domain=DOMAIN,
    description="Every hop of every data flow the stack declares (its dataFlows output) holds on the plan: "
    "network (security groups, NetworkPolicies both ways, DNS), identity (IAM and KMS on the real request), "
    "Kubernetes wiring and database grants; what a flow must not do is refused.",
    severity=Severity.HIGH,
    remediation="Fix the resource the message names (the missing port, IAM action, selector or grant), or "
    "correct the flow declaration if the data no longer takes that path.",
    enforcement=EnforcementLevel.MANDATORY,
)
def data_flows(ctx: StackContext) -> None:
    plan = Plan(ctx)
    if not plan.flow_documents():
        return
    for flow, hop, kind, verdict, why, urn in prove(plan):
        message = hop_message(flow, hop, kind, why)
        if verdict is None:
            ctx.undecided(message, urn)
        elif verdict is False:
            ctx.report(message, urn)


POLICIES = [data_flows]
