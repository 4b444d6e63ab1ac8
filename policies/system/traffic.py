"""Traffic: an Ingress has a controller, default-deny egress keeps DNS, KEDA's identity only scales.

- An Ingress is only a request: the controller of its IngressClass makes the load balancer
  (https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class). With no
  controller serving the class, the API server stores it and nothing ever answers. Controllers are
  recognised by their charts: the AWS Load Balancer Controller (``aws-load-balancer-controller``:
  class ``values.ingressClass``, default ``alb``, controller ``ingress.k8s.aws/alb``; its IngressClass
  is made unless ``createIngressClassResource: false``) and ingress-nginx (``ingress-nginx``:
  ``controller.ingressClassResource.name``, default ``nginx``, controller ``k8s.io/ingress-nginx``).
- A NetworkPolicy with ``Egress`` denies every connection its rules do not allow, DNS included:
  the pods then resolve no name (not the AWS APIs, not the Services of the cluster). Allowed egress
  is the union of every policy that selects the pod, so a namespace-wide policy may bring DNS.
- KEDA's operator assumes a role to read a scaler's metrics (keda-docs ``authentication-providers/
  aws.md``: ``podIdentity.roleArn`` or ``identityOwner: workload``). A role it may assume should hold
  scaler permissions only (``sqs:GetQueueAttributes``, ``kinesis:DescribeStreamSummary``,
  ``cloudwatch:GetMetricData``, on named resources where IAM allows): anything more is the workload's,
  and the operator, which serves every namespace, would hold it too.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .._common import UNKNOWN, StackContext, StackResource, as_list, contains_unknown, get, stack_policy
from . import _model as m

DOMAIN = "system"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"

CONTROLLER_CHARTS: dict[str, dict[str, Any]] = {
    "aws-load-balancer-controller": {
        "class": (("ingressClass",), "alb"),
        "create": (("createIngressClassResource",), True),
        "default": (("ingressClassConfig", "default"), False),
        "controller": "ingress.k8s.aws/alb",
    },
    "ingress-nginx": {
        "class": (("controller", "ingressClassResource", "name"), "nginx"),
        "create": (("controller", "ingressClassResource", "enabled"), True),
        "default": (("controller", "ingressClassResource", "default"), False),
        "controller": "k8s.io/ingress-nginx",
    },
}
"""Charts that run an Ingress controller: where their values name the class, and the controller."""

SCALER_ACTIONS = frozenset(
    {"sqs:getqueueattributes", "kinesis:describestreamsummary", "cloudwatch:getmetricdata"}
)
"""What KEDA's AWS scalers call (lowercase: IAM action names are case-insensitive)."""
NAMED_RESOURCE_ACTIONS = frozenset({"sqs:getqueueattributes", "kinesis:describestreamsummary"})
"""Scaler actions IAM scopes to a resource: on ``*`` they read every queue or stream."""
KEDA_OPERATOR = "keda-operator"


# --------------------------------------------------------------------------- ingress controllers


def _value(values: Any, path: tuple[str, ...], default: Any) -> Any:
    found = get(values, *path, default=default) if isinstance(values, dict) else default
    return default if found is None else found


def _served(model: m.Model, key: str) -> tuple[dict[str, str], set[str], bool, str]:
    """(class -> what serves it, controllers running, some class is the default, why unknown)."""
    classes: dict[str, str] = {}
    controllers: set[str] = set()
    default = False
    unknown = ""
    for release in model.helm():
        spec = CONTROLLER_CHARTS.get(release.chart) if isinstance(release.chart, str) else None
        if release.key != key or spec is None:
            continue
        values = release.values if release.values is not None else {}
        if values is UNKNOWN or contains_unknown(values):
            unknown = f"the values of Helm release '{release.resource.name}' are unknown during preview"
            continue
        controllers.add(spec["controller"])
        if _value(values, *spec["create"]) is not False:
            classes[str(_value(values, *spec["class"]))] = f"Helm release '{release.resource.name}'"
            default = default or _value(values, *spec["default"]) is True
    for item in model.ctx.of_type(INGRESS_CLASS):
        if model.key_of(item) != key:
            continue
        name, controller = m.object_name(item), get(item.props, "spec", "controller")
        if isinstance(name, str) and controller in controllers:
            classes[name] = f"IngressClass '{item.name}'"
            annotated = get(item.props, "metadata", "annotations", DEFAULT_CLASS_ANNOTATION)
            default = default or annotated == "true"
    return classes, controllers, default, unknown


@stack_policy(
    "ingress-controller",
    domain=DOMAIN,
    description="Every Ingress names a class that a controller in the cluster serves.",
    severity=Severity.HIGH,
    remediation="Install the Ingress controller of the class in the same program (the AWS Load Balancer "
    "Controller: chart aws-load-balancer-controller from https://aws.github.io/eks-charts, IngressClass "
    "'alb'; EksClusterSettings.load_balancer_controller), or set spec.ingressClassName to a class it serves.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(*m.CLUSTER_READS, *m.HELM_TYPES, INGRESS, INGRESS_CLASS),
)
def ingress_controller(ctx: StackContext) -> None:
    model = m.build(ctx)
    verdicts: dict[str, tuple[dict[str, str], set[str], bool, str]] = {}
    for item in ctx.of_type(INGRESS):
        key = model.key_of(item)
        if key not in verdicts:
            verdicts[key] = _served(model, key)
        classes, _, default, unknown = verdicts[key]
        wanted = get(item.props, "spec", "ingressClassName") or get(
            item.props, "metadata", "annotations", "kubernetes.io/ingress.class"
        )
        label = f"Ingress '{item.name}' (namespace {m.namespace_of(item)})"
        if wanted is UNKNOWN:
            ctx.undecided(f"{label}: its class is unknown during preview", item.urn)
            continue
        if (wanted in classes) if wanted else default:
            continue
        if unknown:
            ctx.undecided(f"{label}: {unknown}", item.urn)
        elif not model.in_program(key):
            ctx.undecided(
                f"{label} goes to {model.describe(key)}: whether a controller serves its class is not "
                "visible",
                item.urn,
            )
        elif not wanted:
            ctx.report(
                f"{label} names no IngressClass and no class served in {model.describe(key)} is the default: "
                "no controller will make its load balancer; set spec.ingressClassName (e.g. 'alb')",
                item.urn,
            )
        else:
            served = ", ".join(sorted(classes)) or "none"
            ctx.report(
                f"{label} has class '{wanted}', which no controller in {model.describe(key)} serves (classes "
                f"served: {served}): it is stored and no load balancer is ever made; install the controller "
                "of that class (e.g. the aws-load-balancer-controller chart for 'alb') or use a served class",
                item.urn,
            )


# --------------------------------------------------------------------------- egress and DNS


def _allows_port(rule: dict[str, Any], protocol: str) -> Any:
    ports = rule.get("ports")
    if ports is UNKNOWN:
        return UNKNOWN
    if not ports:
        return True
    for entry in as_list(ports):
        if not isinstance(entry, dict) or (entry.get("protocol") or "TCP") != protocol:
            continue
        port, end = entry.get("port"), entry.get("endPort")
        if (
            port is None
            or port == 53
            or (isinstance(port, int) and isinstance(end, int) and port <= 53 <= end)
        ):
            return True
        if isinstance(port, str) and not port.isdigit():
            return UNKNOWN  # a named port: only the DNS pods' spec says what it is
    return False


def _reaches_dns(peer: Any, namespace: Any) -> bool:
    """Whether a ``to`` peer can be CoreDNS (kube-dns in kube-system) or a DNS address."""
    if not isinstance(peer, dict) or "ipBlock" in peer:
        return True  # an address block may hold node-local DNS or the VPC resolver
    namespaces = peer.get("namespaceSelector")
    if namespaces is None:
        in_namespace = namespace == "kube-system"
    else:
        labels = {"kubernetes.io/metadata.name": "kube-system"}
        in_namespace = m.label_selector_matches(namespaces, labels) is not False
    pods = peer.get("podSelector")
    return in_namespace and (
        pods is None or m.label_selector_matches(pods, {"k8s-app": "kube-dns"}) is not False
    )


def _dns_allowed(policy: StackResource) -> Any:
    """Which DNS protocols the policy's egress rules allow: a set, or UNKNOWN."""
    rules = get(policy.props, "spec", "egress")
    if rules is UNKNOWN or contains_unknown(rules):
        return UNKNOWN
    allowed: set[str] = set()
    for rule in as_list(rules):
        if not isinstance(rule, dict):
            continue
        peers = rule.get("to")
        if peers and not any(_reaches_dns(p, m.namespace_of(policy)) for p in as_list(peers)):
            continue
        for protocol in ("UDP", "TCP"):
            verdict = _allows_port(rule, protocol)
            if verdict is UNKNOWN:
                return UNKNOWN
            if verdict:
                allowed.add(protocol)
    return allowed


def _limits_egress(policy: StackResource) -> Any:
    spec = get(policy.props, "spec")
    if spec is UNKNOWN:
        return UNKNOWN
    types = get(spec, "policyTypes")
    if types is UNKNOWN:
        return UNKNOWN
    return "Egress" in as_list(types) if types else get(spec, "egress") is not None


def _covers(other: StackResource, policy: StackResource) -> bool:
    """Whether ``other`` selects every pod ``policy`` selects (same namespace, a looser selector)."""
    if m.namespace_of(other) != m.namespace_of(policy):
        return False
    theirs, ours = get(other.props, "spec", "podSelector"), get(policy.props, "spec", "podSelector")
    if not isinstance(theirs, dict) or theirs.get("matchExpressions"):
        return False
    labels = (ours or {}).get("matchLabels") or {} if isinstance(ours, dict) else {}
    return all(labels.get(k) == v for k, v in (theirs.get("matchLabels") or {}).items())


@stack_policy(
    "egress-dns",
    domain=DOMAIN,
    description="A NetworkPolicy that limits egress still lets the pods resolve names (DNS, UDP and TCP 53).",
    severity=Severity.HIGH,
    remediation="Add an egress rule to kube-dns: to: [{namespaceSelector: {matchLabels: "
    "{kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], "
    "ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}] (PipelineService: "
    "network_policy.allow_dns: true).",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(*m.CLUSTER_READS, NETWORK_POLICY),
)
def egress_dns(ctx: StackContext) -> None:
    policies = ctx.of_type(NETWORK_POLICY)
    limiting = [p for p in policies if _limits_egress(p) is not False]
    for policy in limiting:
        label = f"NetworkPolicy '{policy.name}' (namespace {m.namespace_of(policy)})"
        if _limits_egress(policy) is UNKNOWN:
            ctx.undecided(f"{label}: its policyTypes are unknown during preview", policy.urn)
            continue
        allowed: set[str] = set()
        unknown = False
        for other in limiting:
            if other is policy or _covers(other, policy):
                found = _dns_allowed(other)
                if found is UNKNOWN:
                    unknown = True
                else:
                    allowed |= found
        missing = [p for p in ("UDP", "TCP") if p not in allowed]
        if not missing:
            continue
        if unknown:
            ctx.undecided(f"{label}: its egress rules are unknown during preview", policy.urn)
            continue
        ctx.report(
            f"{label} denies egress but allows no DNS over {' and '.join(missing)} port 53 to kube-dns: its "
            "pods cannot resolve names (AWS endpoints, Services); allow UDP and TCP 53 to kube-dns in "
            "kube-system",
            policy.urn,
        )


# --------------------------------------------------------------------------- KEDA's identity


def _keda_subjects(document: Any) -> list[str]:
    """The KEDA operator subjects a trust policy admits through web identity."""
    found = []
    for statement in as_list(get(m.parse_json(document), "Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action")):
            continue
        for operator, conditions in (statement.get("Condition") or {}).items():
            if not isinstance(conditions, dict):
                continue
            for key, value in conditions.items():
                if not key.endswith(":sub"):
                    continue
                for subject in as_list(value):
                    if not isinstance(subject, str):
                        continue
                    like = operator.startswith("StringLike")
                    probe = f"system:serviceaccount:keda:{KEDA_OPERATOR}"
                    if subject.endswith(f":{KEDA_OPERATOR}") or (
                        like and fnmatch.fnmatchcase(probe, subject)
                    ):
                        found.append(subject)
    return found


def _refers(resource: StackResource, key: str, role: StackResource) -> bool:
    value = resource.props.get(key)
    linked = role.urn in resource.property_dependencies.get(key, [])
    return linked or (isinstance(value, str) and value in (role.props.get("name"), role.props.get("arn")))


def _documents(ctx: StackContext, role: StackResource) -> tuple[list[tuple[str, Any]], list[str]]:
    """(where, document) of every permission the role holds, and what cannot be read."""
    documents: list[tuple[str, Any]] = []
    opaque: list[str] = []
    for index, inline in enumerate(as_list(role.props.get("inlinePolicies"))):
        if isinstance(inline, dict):
            documents.append((f"inlinePolicies[{index}]", inline.get("policy")))
    for policy in ctx.of_type(ROLE_POLICY):
        if _refers(policy, "role", role):
            documents.append((f"RolePolicy '{policy.name}'", policy.props.get("policy")))
    managed = {p.urn: p for p in ctx.of_type(MANAGED_POLICY)}
    arns: list[tuple[str, Any, StackResource | None]] = [
        (a.name, a.props.get("policyArn"), a) for a in ctx.of_type(ATTACHMENT) if _refers(a, "role", role)
    ]
    arns += [("managedPolicyArns", arn, None) for arn in as_list(role.props.get("managedPolicyArns"))]
    for name, arn, attachment in arns:
        linked = [
            managed[u] for u in (attachment.property_dependencies.get("policyArn", []) if attachment else [])
        ]
        linked += [p for p in managed.values() if isinstance(arn, str) and p.props.get("arn") == arn]
        if linked:
            documents.append((f"Policy '{linked[0].name}'", linked[0].props.get("policy")))
        else:
            opaque.append(f"{arn if isinstance(arn, str) else name}")
    return documents, opaque


def _excess(document: Any) -> Any:
    """What a policy document allows beyond scaler permissions (a list), or UNKNOWN."""
    parsed = m.parse_json(document)
    if parsed is UNKNOWN or contains_unknown(parsed):
        return UNKNOWN
    found: list[str] = []
    for statement in as_list(get(parsed, "Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            found.append("NotAction (every other action)")
            continue
        resources = as_list(statement.get("Resource"))
        for action in as_list(statement.get("Action")):
            lowered = str(action).lower()
            if lowered not in SCALER_ACTIONS:
                found.append(str(action))
            elif lowered in NAMED_RESOURCE_ACTIONS and "*" in resources:
                found.append(f"{action} on every resource ('*')")
    return found


@stack_policy(
    "keda-scaler-identity",
    domain=DOMAIN,
    description="A role KEDA's operator may assume holds scaler permissions only.",
    severity=Severity.HIGH,
    remediation="Give KEDA a scaler role of its own (trusted by the keda-operator service account, allowed "
    "sqs:GetQueueAttributes / kinesis:DescribeStreamSummary on the scaled resources, "
    "cloudwatch:GetMetricData) and name it in the TriggerAuthentication (podIdentity: {provider: aws, "
    "roleArn: ...}); the workload's role trusts the workload's service account only.",
    enforcement=EnforcementLevel.MANDATORY,
    reads=(m.IAM_ROLE, ROLE_POLICY, ATTACHMENT, MANAGED_POLICY),
)
def keda_scaler_identity(ctx: StackContext) -> None:
    for role in ctx.of_type(m.IAM_ROLE):
        trust = role.props.get("assumeRolePolicy")
        if trust is UNKNOWN or contains_unknown(m.parse_json(trust)):
            continue  # the trust is decided at deployment; the check runs then
        subjects = _keda_subjects(trust)
        if not subjects:
            continue
        label = f"Role '{role.name}' (trusted by KEDA's operator, {subjects[0]})"
        documents, opaque = _documents(ctx, role)
        excess: list[str] = []
        unknown = False
        for where, document in documents:
            found = _excess(document)
            if found is UNKNOWN:
                unknown = True
            else:
                excess += [f"{action} ({where})" for action in found]
        if excess:
            ctx.report(
                f"{label} may do more than read scaler metrics: {m.names(excess)}; the operator serves every "
                "namespace and would hold these too; give KEDA a scaler role with scaler permissions only "
                "(TriggerAuthentication podIdentity.roleArn)",
                role.urn,
            )
        elif opaque:
            ctx.undecided(f"{label}: managed policies outside the program ({m.names(opaque)})", role.urn)
        elif unknown:
            ctx.undecided(f"{label}: a policy document is unknown during preview", role.urn)


POLICIES = [ingress_controller, egress_dns, keda_scaler_identity]
