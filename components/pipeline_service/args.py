"""The arguments of a pipeline service: its settings plus the wiring from the cluster and the lake.

Checked before anything is registered, so a bad argument fails the program with every problem
listed and nothing half made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from .._validation import ConfigIssue, InvalidConfigError
from ..eks.pools import Placement
from ..eks.versions import DEFAULT_KUBERNETES_VERSION, support_status
from ..iam import merge_policy_documents as merge_policy_documents
from ..tags import validate_tags
from .settings import PipelineServiceSettings
from .traffic import ServiceNetwork

__all__ = [
    "MIN_KUBERNETES_MINOR",
    "PipelineServiceArgs",
    "QueueReference",
    "check_args",
    "merge_policy_documents",
    "placement_issues",
    "pod_security_version",
]

MIN_KUBERNETES_MINOR = 30
"""The preStop ``sleep`` action is on by default from 1.30."""

_K8S_VERSION = re.compile(r"^v?1\.(\d+)$")


@dataclass(frozen=True)
class QueueReference:
    """An SQS queue another service made (``PipelineService.queue``), for ``queue.from_service``."""

    arn: pulumi.Input[str]
    url: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    """The queue's customer key (None: SQS-managed encryption)."""


@dataclass(frozen=True)
class PipelineServiceArgs:
    """Settings plus the wiring a pipeline service needs from the cluster and the lake."""

    settings: PipelineServiceSettings
    """Validated settings (from stack config or built in code)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to the IAM role (Kubernetes objects get labels instead)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider ARN (the IRSA role's federated principal)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL (``https://oidc.eks.<region>.amazonaws.com/id/...``)."""
    provider: pulumi.ProviderResource | None = None
    """The cluster's Kubernetes provider; every Kubernetes child uses it."""
    iam_policy_json: pulumi.Input[str] | None = None
    """The IRSA role's permissions (e.g. the lake's per-layer read/write policy); no role when None.
    Several documents are merged with :func:`merge_policy_documents`."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables the wiring provides (e.g. ``Warehouse.connection_environment``), after
    ``settings.env``; a name may not be in both."""
    image: pulumi.Input[str] | None = None
    """The image to run when ``settings.image`` is omitted: the service's own repository at its
    pinned tag or digest (``ContainerRegistry.image(name)``). Exactly one of the two is set."""
    await_rollout: bool = True
    """Whether Pulumi waits for the pods (a Deployment's rollout, its Service's endpoints, an awaited
    Job). False when ``image`` is in a repository the same ``pulumi up`` creates: nobody has pushed the
    image on the first deploy, so the rollout could only time out. The objects are then made with
    ``pulumi.com/skipAwait: "true"`` and the pods start once CI pushes the image (docs/FIRST_DEPLOY.md)."""
    namespace_dependency: pulumi.Resource | None = None
    """The Namespace another service of the program creates, when this one shares it
    (``create_namespace: false``): every Kubernetes object waits for it."""
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """The cluster's Kubernetes minor version; sets the Pod Security Standard version."""
    placement: Placement | None = None
    """Where the pods run: ``EksCluster.placement(pool)`` for ``settings.pool`` (the pool's node
    selector and the tolerations of its taints). None: no placement beyond the settings' own."""
    workload_dependencies: Sequence[pulumi.Resource] = ()
    """What the pods need before the rollout can finish (``EksCluster.workload_dependencies``:
    node groups and CoreDNS); only the Deployment (or the job) waits for them."""
    data_dependencies: Sequence[pulumi.Resource] = ()
    """What the pods need before they start, awaited or not (the warehouse bootstrap Job that makes
    the service's database user): a pod that starts earlier cannot connect."""
    keda_dependencies: Sequence[pulumi.Resource] = ()
    """What the KEDA objects wait for (``EksCluster.keda_dependencies``: the KEDA Release, which
    brings their CRDs and admission webhook)."""
    queue: QueueReference | None = None
    """The queue of another service, for ``settings.queue.from_service`` (that service's
    ``PipelineService.queue``); required then, refused otherwise."""
    network: ServiceNetwork | None = None
    """The VPC as the service sees it (``Network.subnet_cidrs``; ``warehouse_port`` for a service with
    warehouse access): the NetworkPolicy admits the ALB's subnets and lets the pods reach the
    interface endpoints and the warehouse. Required with ``settings.ingress``; without it egress to
    the AWS APIs is 443 anywhere but link-local, and no warehouse port."""
    ingress_dependencies: Sequence[pulumi.Resource] = ()
    """What the Ingress waits for (``EksCluster.ingress_dependencies``: the load balancer
    controller's Release, which brings the IngressClass and the Ingress webhook)."""
    ingress_class: str = "alb"
    """The IngressClass of the AWS Load Balancer Controller (its chart's ``ingressClass``)."""
    lake_bucket_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Lake layer -> the ARN of the bucket holding it (``DataLakeBucket.bucket_arns``), for
    ``settings.queue.producers.lake_events``: the queue and key policies admit S3 for that bucket."""


def pod_security_version(kubernetes_version: str) -> str:
    """The Pod Security Standard version of a cluster version (``"1.32"`` gives ``"v1.32"``)."""
    match = _K8S_VERSION.match(kubernetes_version)
    return f"v1.{match.group(1) if match else MIN_KUBERNETES_MINOR}"


def placement_issues(args: PipelineServiceArgs) -> list[ConfigIssue]:
    """The placement must be the one of ``settings.pool``, and the settings' extra node selector may
    not contradict it (the pods would match no node)."""
    placement, settings = args.placement, args.settings
    if placement is None or not isinstance(settings, PipelineServiceSettings):
        return []
    if not isinstance(placement, Placement):
        return [ConfigIssue("args.placement", type(placement).__name__, "pass EksCluster.placement(pool)")]
    issues = []
    if settings.pool is not None and placement.pool != settings.pool:
        issues.append(
            ConfigIssue(
                "args.placement",
                placement.pool,
                f"is the placement of pool {placement.pool!r}, but settings.pool is {settings.pool!r}; "
                "pass EksCluster.placement(settings.pool)",
            )
        )
    for key, value in settings.node_selector.items():
        if placement.node_selector.get(key, value) != value:
            issues.append(
                ConfigIssue(
                    f"settings.node_selector.{key}",
                    value,
                    f"pool {placement.pool!r} selects {key}={placement.node_selector[key]}, so no node would "
                    "match; drop the key or choose another pool",
                )
            )
    return issues


def _queue_issues(args: PipelineServiceArgs) -> list[ConfigIssue]:
    settings = args.settings
    if not isinstance(settings, PipelineServiceSettings):
        return []
    source = settings.queue.from_service if settings.queue is not None else None
    wanted = source is not None
    if wanted and args.queue is None:
        return [
            ConfigIssue(
                "args.queue",
                None,
                f"settings.queue.from_service is {source!r}; pass that service's PipelineService.queue",
            )
        ]
    if not wanted and args.queue is not None:
        return [
            ConfigIssue(
                "args.queue",
                type(args.queue).__name__,
                "is only for settings.queue.from_service; set it, or drop args.queue",
            )
        ]
    if args.queue is not None and not isinstance(args.queue, QueueReference):
        return [ConfigIssue("args.queue", type(args.queue).__name__, "pass PipelineService.queue")]
    events = settings.queue.producers.lake_events if settings.queue is not None else []
    missing = sorted({event.layer for event in events} - set(args.lake_bucket_arns))
    if missing:
        return [
            ConfigIssue(
                "args.lake_bucket_arns",
                sorted(args.lake_bucket_arns),
                f"settings.queue.producers.lake_events name layer(s) {', '.join(missing)}; pass the lake's "
                "bucket_arns (DataLakeBucket.bucket_arns)",
            )
        ]
    return []


def check_args(args: PipelineServiceArgs) -> dict[str, str]:
    """The validated tags; raises :class:`InvalidConfigError` listing every problem of ``args``."""
    issues: list[ConfigIssue] = []
    if not isinstance(args.settings, PipelineServiceSettings):
        issues.append(
            ConfigIssue("args.settings", type(args.settings).__name__, "must be PipelineServiceSettings")
        )
    else:
        issues += _image_issues(args)
    issues += placement_issues(args)
    issues += _queue_issues(args)
    issues += _network_issues(args)
    for index, dependency in enumerate(args.keda_dependencies):
        if not isinstance(dependency, pulumi.Resource):
            issues.append(
                ConfigIssue(
                    f"args.keda_dependencies[{index}]",
                    type(dependency).__name__,
                    "pass resources (EksCluster.keda_dependencies)",
                )
            )
    for index, dependency in enumerate(args.workload_dependencies):
        if not isinstance(dependency, pulumi.Resource):
            issues.append(
                ConfigIssue(
                    f"args.workload_dependencies[{index}]",
                    type(dependency).__name__,
                    "pass resources (e.g. EksCluster.workload_dependencies)",
                )
            )
    match = _K8S_VERSION.match(args.kubernetes_version) if isinstance(args.kubernetes_version, str) else None
    if not match:
        issues.append(
            ConfigIssue(
                "args.kubernetes_version", args.kubernetes_version, "write the minor version, e.g. '1.32'"
            )
        )
    elif support_status(f"1.{match.group(1)}") == "unsupported":
        issues.append(
            ConfigIssue(
                "args.kubernetes_version",
                args.kubernetes_version,
                "is past EKS extended support (see components.eks.versions); pass the cluster's version",
            )
        )
    if isinstance(args.oidc_issuer_url, str) and not args.oidc_issuer_url.startswith("https://"):
        issues.append(
            ConfigIssue("args.oidc_issuer_url", args.oidc_issuer_url, "must be the issuer's https:// URL")
        )
    if isinstance(args.oidc_provider_arn, str) and ":oidc-provider/" not in args.oidc_provider_arn:
        issues.append(
            ConfigIssue(
                "args.oidc_provider_arn",
                args.oidc_provider_arn,
                "is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer host>)",
            )
        )
    if isinstance(args.iam_policy_json, str):
        problem = policy_problem(args.iam_policy_json)
        if problem:
            issues.append(ConfigIssue("args.iam_policy_json", args.iam_policy_json, problem))
    settings_env = (
        set(args.settings.env) | set(args.settings.secret_env)
        if isinstance(args.settings, PipelineServiceSettings)
        else set()
    )
    for key in sorted(set(args.environment) & settings_env):
        issues.append(
            ConfigIssue(f"args.environment.{key}", key, "is also set in settings.env or secret_env; keep one")
        )
    if args.namespace_dependency is not None and not isinstance(args.namespace_dependency, pulumi.Resource):
        issues.append(
            ConfigIssue(
                "args.namespace_dependency",
                type(args.namespace_dependency).__name__,
                "pass the owning service's PipelineService.namespace_resource",
            )
        )
    if args.provider is not None and not isinstance(args.provider, pulumi.ProviderResource):
        issues.append(
            ConfigIssue("args.provider", type(args.provider).__name__, "must be a pulumi_kubernetes.Provider")
        )
    try:
        tags = validate_tags(args.tags, path="args.tags")
    except InvalidConfigError as error:
        issues.extend(error.issues)
        tags = {}
    if issues:
        raise InvalidConfigError(issues, subject="PipelineServiceArgs")
    return tags


def _network_issues(args: PipelineServiceArgs) -> list[ConfigIssue]:
    if args.network is not None and not isinstance(args.network, ServiceNetwork):
        return [ConfigIssue("args.network", type(args.network).__name__, "pass a ServiceNetwork")]
    settings = args.settings
    if not isinstance(settings, PipelineServiceSettings) or settings.ingress is None:
        return []
    if args.network is None:
        return [
            ConfigIssue(
                "args.network",
                None,
                "settings.ingress needs the ALB's subnets to admit it in the NetworkPolicy; pass "
                "ServiceNetwork(...) from Network.subnet_cidrs",
            )
        ]
    issues = [
        ConfigIssue(
            f"args.ingress_dependencies[{index}]",
            type(dependency).__name__,
            "pass resources (EksCluster.ingress_dependencies)",
        )
        for index, dependency in enumerate(args.ingress_dependencies)
        if not isinstance(dependency, pulumi.Resource)
    ]
    if settings.network_policy.enabled is False:
        issues.append(
            ConfigIssue(
                "settings.network_policy.enabled",
                False,
                "an exposed service keeps its NetworkPolicy (it admits the ALB and denies the rest); "
                "set it true",
            )
        )
    return issues


def _image_issues(args: PipelineServiceArgs) -> list[ConfigIssue]:
    if args.settings.image is None and args.image is None:
        return [
            ConfigIssue(
                "settings.image",
                None,
                "no image to run; set image (a pinned 'repo:tag'), or give the service an image_repository "
                "with a tag or digest and pass its image as args.image",
            )
        ]
    if args.settings.image is not None and args.image is not None:
        return [
            ConfigIssue(
                "args.image",
                args.image if isinstance(args.image, str) else "<output>",
                "settings.image is set too; run one of them (drop image, or do not pass args.image)",
            )
        ]
    return []


def policy_problem(document: str) -> str | None:
    """Why ``document`` is not an IAM policy document (JSON with a ``Statement``), or None."""
    try:
        policy = json.loads(document)
    except json.JSONDecodeError as error:
        return f"is not JSON ({error.msg} at {error.pos}); pass a policy document"
    if not isinstance(policy, dict) or not policy.get("Statement"):
        return "is not an IAM policy document (no Statement); pass e.g. the lake's access policy"
    return None
