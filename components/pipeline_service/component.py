"""The ``PipelineService`` component: registers the objects ``manifests`` renders, and the IRSA role.

Kubernetes objects get explicit names (the service name) in an explicit namespace, so other
programs and people can find them; they are applied with the provider passed in (the cluster's),
server-side.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._shared import customer_kms_key, protection
from ..iam import irsa_trust_policy, policy_json
from . import batch, keda, manifests, scaler
from . import ingress as ingress_documents
from . import queue as queue_documents
from .args import (
    PipelineServiceArgs,
    QueueReference,
    check_args,
    merge_policy_documents,
    pod_security_version,
)
from .settings_events import QueueSettings
from .settings_kinds import QUEUE_ENV_NAME
from .settings_producers import LakeEventSource

__all__ = ["PipelineService", "QueueReference"]

QUEUE_KEY_REUSE_SECONDS = 300
"""How long SQS reuses a data key (the default): fewer KMS calls, each key covering 5 minutes."""


class PipelineService(pulumi.ComponentResource):
    """One pipeline service on the cluster: IRSA role, ServiceAccount, NetworkPolicy, and its
    workload by ``kind``: a Deployment (with a Service when it exposes a port, an HPA or a KEDA
    ScaledObject, a PDB), a Job, a CronJob, or a KEDA ScaledJob; with ``queue``, its SQS queue."""

    namespace: pulumi.Output[str]
    service_account_name: pulumi.Output[str]
    role_arn: pulumi.Output[str] | None
    """The IRSA role's ARN (None without ``iam_policy_json``)."""
    scaler_role_arn: pulumi.Output[str] | None
    """KEDA's scaler role for this service (reads the triggers' metrics only), or None: no AWS trigger."""
    ingress_name: pulumi.Output[str] | None
    """The Ingress (its ALB is the controller's), or None without ``ingress``."""
    deployment_name: pulumi.Output[str] | None
    """None for the jobs (``kind`` job, cronjob, scaledjob)."""
    workload_name: pulumi.Output[str]
    """The Deployment, Job, CronJob or ScaledJob."""
    queue: QueueReference | None
    """The service's queue (for a producer's ``queue.from_service``), or None."""
    queue_name: str | None
    """The name of the queue this service created (alarms watch it), or None: no queue, another
    service's, or an existing one by ARN."""
    dead_letter_queue_name: str | None
    """The name of the created queue's dead-letter queue (``<queue>-dlq``), or None."""
    service_name: pulumi.Output[str] | None
    """None without a port."""
    hpa_name: pulumi.Output[str] | None
    """None with autoscaling off."""
    selector_labels: dict[str, str]
    """The labels selecting the service's pods (for other NetworkPolicies, monitors...)."""
    namespace_resource: pulumi.Resource | None
    """The Namespace this service created (for services sharing it), or None."""
    queue_policy: pulumi.Resource | None
    """The created queue's policy (what admits its publishing AWS services), or None: the lake's
    bucket notification waits for it, as S3 tests the destination when it is configured."""
    lake_events: list[LakeEventSource]
    """The lake prefix events the created queue receives (``queue.producers.lake_events``), for the
    lake's one bucket notification (``DataLakeBucket.notify``)."""

    def __init__(
        self, name: str, args: PipelineServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = check_args(args)
        settings = args.settings
        super().__init__("dataplatform:workload:PipelineService", name, None, opts)
        self._name = name
        self._aws = pulumi.ResourceOptions(parent=self)
        self._k8s = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.selector_labels = manifests.selector_labels(settings)

        after_namespace: list[pulumi.Resource] = (
            [args.namespace_dependency] if args.namespace_dependency is not None else []
        )
        namespace: k8s.core.v1.Namespace | None = None
        if settings.create_namespace:
            namespace = self._namespace(
                manifests.namespace(settings, pod_security_version(args.kubernetes_version))
            )
            after_namespace.append(namespace)
            if settings.resource_quota is not None:
                self._quota(manifests.resource_quota(settings), namespace)
            if settings.limit_range is not None:
                self._limit_range(manifests.limit_range(settings), namespace)

        self.queue_policy = None
        self.queue = self._queue(args, tags)
        own = settings.queue
        self.lake_events = list(own.producers.lake_events) if own is not None and own.created else []
        created = own is not None and own.from_service is None and own.arn is None
        self.queue_name = (
            queue_documents.queue_name(settings.name, own) if own is not None and created else None
        )
        self.dead_letter_queue_name = (
            queue_documents.dead_letter_queue_name(self.queue_name) if self.queue_name else None
        )
        documents = self._policy_documents(args)
        role_arn = self._role(args, tags, documents) if documents is not None else None
        account = self._service_account(manifests.service_account(settings, role_arn), after_namespace)
        policy = (
            self._network_policy(manifests.network_policy(settings, args.network), after_namespace)
            if settings.network_policy.enabled
            else None
        )
        environment = dict(args.environment)
        if self.queue is not None:
            environment[QUEUE_ENV_NAME] = self.queue.url
        # Pods need their service account, and never run before their NetworkPolicy (a security
        # ordering). Only what Pulumi awaits (a Deployment's rollout, an awaited Job) also waits for
        # the nodes, DNS and the pool's NodePool: a CronJob or ScaledJob only starts pods later.
        awaited = args.await_rollout and (
            settings.kind == "deployment" or (settings.kind == "job" and settings.job.await_completion)
        )
        pods_after = [
            *after_namespace,
            account,
            *([policy] if policy is not None else []),
            *(args.workload_dependencies if awaited else []),
            *args.data_dependencies,
        ]
        keda_after = [*after_namespace, *args.keda_dependencies]
        self.scaler_role_arn = None
        if keda.uses_aws_identity(settings):
            self.scaler_role_arn = self._scaler_role(args, tags)
            keda_after.append(
                self._keda_object(
                    "trigger-auth", keda.trigger_authentication(settings, self.scaler_role_arn), keda_after
                )
            )
        deployment = None
        if settings.kind == "deployment":
            deployment = self._deployment(
                self._unawaited(
                    args,
                    manifests.with_image(
                        manifests.with_placement(
                            manifests.with_environment(manifests.deployment(settings), environment),
                            args.placement,
                        ),
                        args.image,
                    ),
                ),
                pods_after,
            )
            workload: pulumi.Resource = deployment
        else:
            workload = self._job(
                args,
                batch.pod_template(settings, environment, args.placement, args.image),
                pods_after,
                keda_after,
            )
        service = (
            self._service(self._unawaited(args, manifests.service(settings)), after_namespace)
            if settings.port is not None
            else None
        )
        hpa = self._hpa(manifests.hpa(settings), after_namespace) if settings.makes_hpa else None
        if settings.makes_scaled_object:
            region, queue_url = self._trigger_location(args)
            # KEDA's admission webhook reads the target Deployment's requests for cpu/memory triggers
            # and refuses the ScaledObject while the Deployment does not exist (kedacore/keda
            # apis/keda/v1alpha1/scaledobject_webhook.go, verifyCPUMemoryScalers).
            resource_triggers = bool(keda.resource_triggers(settings))
            self._keda_object(
                "scaled-object",
                keda.scaled_object(settings, region=region, queue_url=queue_url),
                [*keda_after, *([workload] if resource_triggers else [])],
            )
        if settings.makes_pdb:
            self._pdb(manifests.pdb(settings), after_namespace)
        self.ingress_name = None
        if settings.ingress is not None and service is not None:
            self.ingress_name = _name_of(self._ingress(args, tags, [*after_namespace, service]))

        self.namespace_resource = namespace
        self.namespace = (
            _name_of(namespace)
            if namespace is not None
            else pulumi.Output.from_input(settings.namespace_name)
        )
        self.service_account_name = _name_of(account)
        self.role_arn = role_arn
        self.deployment_name = _name_of(deployment) if deployment is not None else None
        self.workload_name = _name_of(workload)
        self.service_name = _name_of(service) if service is not None else None
        self.hpa_name = _name_of(hpa) if hpa is not None else None
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_account_name": self.service_account_name,
                "role_arn": self.role_arn,
                "deployment_name": self.deployment_name,
                "workload_name": self.workload_name,
                "queue_arn": self.queue.arn if self.queue is not None else None,
                "service_name": self.service_name,
                "hpa_name": self.hpa_name,
                "scaler_role_arn": self.scaler_role_arn,
                "ingress_name": self.ingress_name,
            }
        )

    @staticmethod
    def _unawaited(args: PipelineServiceArgs, manifest: dict[str, Any]) -> dict[str, Any]:
        """``manifest`` with ``pulumi.com/skipAwait: "true"`` when the rollout is not awaited: a
        Deployment waits for Available pods and a Service for ready endpoints (pulumi-kubernetes'
        await rules, in each resource's docstring), neither of which exists before CI pushes the image."""
        if args.await_rollout:
            return manifest
        meta = dict(manifest["metadata"])
        meta["annotations"] = {**meta.get("annotations", {}), batch.SKIP_AWAIT_ANNOTATION: "true"}
        return {**manifest, "metadata": meta}

    def _after(self, depends_on: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(self._k8s, pulumi.ResourceOptions(depends_on=list(depends_on)))

    # Each manifest is a dict[str, Any]: its parts are Any, which the SDK's typed arguments accept
    # (their snake_case TypedDicts cannot describe the wire shape the manifests are written in).

    def _namespace(self, manifest: dict[str, Any]) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(f"{self._name}-namespace", metadata=manifest["metadata"], opts=self._k8s)

    def _quota(self, manifest: dict[str, Any], namespace: pulumi.Resource) -> None:
        k8s.core.v1.ResourceQuota(
            f"{self._name}-quota",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after([namespace]),
        )

    def _limit_range(self, manifest: dict[str, Any], namespace: pulumi.Resource) -> None:
        k8s.core.v1.LimitRange(
            f"{self._name}-limits",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after([namespace]),
        )

    def _queue(self, args: PipelineServiceArgs, tags: dict[str, str]) -> QueueReference | None:
        """The service's queue: created (key, dead-letter queue, redrive, the policies that admit its
        publishing AWS services), an existing one by ARN, or another service's (``args.queue``)."""
        settings = args.settings.queue
        if settings is None:
            return None
        if settings.from_service is not None:
            return args.queue
        if settings.arn is not None:
            return QueueReference(settings.arn, queue_documents.queue_url(settings.arn), settings.kms_key_arn)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        name = queue_documents.queue_name(args.settings.name, settings)
        # The messages waiting in the queues are data: kept through a destroy, a replace or a rename.
        kept = protection(settings.deletion_protection, self._aws)
        rules = self._event_rules(settings, tags)
        sources: list[tuple[str, pulumi.Input[str]]] = [
            (queue_documents.S3_PRINCIPAL, args.lake_bucket_arns[event.layer])
            for event in settings.producers.lake_events
        ] + [(queue_documents.EVENTS_PRINCIPAL, rule.arn) for rule in rules]
        publishers = pulumi.Output.all(*[arn for _, arn in sources]).apply(
            lambda arns: [(principal, arn) for (principal, _), arn in zip(sources, arns, strict=True)]
        )
        key_arn = customer_kms_key(
            f"{self._name}-queue-key",
            description=f"SQS queue {name} and its dead-letter queue",
            policy=pulumi.Output.all(account, partition, region, publishers).apply(
                lambda v: queue_documents.queue_key_policy(
                    v[0], v[1], queue_documents.queue_arn(v[1], v[2], v[0], name), v[3]
                )
            ),
            tags=tags,
            opts=kept,
            existing_arn=settings.kms_key_arn,
        )
        dead_letter = aws.sqs.Queue(
            f"{self._name}-dlq",
            name=queue_documents.dead_letter_queue_name(name),
            kms_master_key_id=key_arn,
            kms_data_key_reuse_period_seconds=QUEUE_KEY_REUSE_SECONDS,
            message_retention_seconds=settings.dead_letter_retention_seconds,
            tags=tags,
            opts=kept,
        )
        queue = aws.sqs.Queue(
            f"{self._name}-queue",
            name=name,
            kms_master_key_id=key_arn,
            kms_data_key_reuse_period_seconds=QUEUE_KEY_REUSE_SECONDS,
            visibility_timeout_seconds=settings.visibility_timeout_seconds,
            message_retention_seconds=settings.message_retention_seconds,
            redrive_policy=dead_letter.arn.apply(
                lambda arn: queue_documents.redrive_policy(arn, settings.max_receive_count)
            ),
            tags=tags,
            opts=kept,
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{self._name}-queue-policy",
            # A queue's provider id is its URL.
            queue_url=queue.id,
            policy=pulumi.Output.all(queue.arn, account, publishers).apply(
                lambda v: queue_documents.queue_policy(v[0], v[1], v[2])
            ),
            opts=self._aws,
        )
        aws.sqs.QueuePolicy(
            f"{self._name}-dlq-policy",
            queue_url=dead_letter.id,
            policy=dead_letter.arn.apply(queue_documents.queue_transport_policy),
            opts=self._aws,
        )
        # Targets after the queue policy: EventBridge's first delivery must find SendMessage allowed.
        for source, rule in zip(settings.producers.event_rules, rules, strict=True):
            aws.cloudwatch.EventTarget(
                f"{self._name}-rule-{source.name}-target",
                rule=rule.name,
                event_bus_name=source.event_bus,
                arn=queue.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy]),
            )
        self.queue_policy = queue_policy
        return QueueReference(queue.arn, queue.url, key_arn)

    def _event_rules(self, settings: QueueSettings, tags: dict[str, str]) -> list[aws.cloudwatch.EventRule]:
        """The EventBridge rules forwarding to the queue (their ARNs scope the queue and key policies)."""
        return [
            aws.cloudwatch.EventRule(
                f"{self._name}-rule-{source.name}",
                name=f"{self._name}-{source.name}",
                description=source.description or f"Events for the queue of {self._name}",
                event_bus_name=source.event_bus,
                event_pattern=json.dumps(source.event_pattern, sort_keys=True),
                tags=tags,
                opts=self._aws,
            )
            for source in settings.producers.event_rules
        ]

    def _policy_documents(self, args: PipelineServiceArgs) -> pulumi.Output[str] | None:
        """The role's permissions: ``args.iam_policy_json`` and the queue's actions for the access
        mode. None: no role. What KEDA's scalers read is the scaler role's (:meth:`_scaler_role`)."""
        settings = args.settings
        if self.queue is None:
            return None if args.iam_policy_json is None else pulumi.Output.from_input(args.iam_policy_json)
        queue, access = self.queue, settings.queue.access if settings.queue is not None else "consume"

        def merged(values: list[Any]) -> str:
            own, queue_arn, key_arn = values
            statements: list[dict[str, Any]] = []
            if queue_arn is not None:
                statements = queue_documents.queue_access_statements(
                    queue_arn, access, scaler=False, key_arn=key_arn
                )
            added = policy_json(statements)
            return merge_policy_documents(own, added) if own is not None else added

        return pulumi.Output.all(
            args.iam_policy_json,
            queue.arn if queue is not None else None,
            queue.kms_key_arn if queue is not None else None,
        ).apply(merged)

    def _role(
        self, args: PipelineServiceArgs, tags: dict[str, str], document: pulumi.Input[str]
    ) -> pulumi.Output[str]:
        namespace, service_account = args.settings.namespace_name, args.settings.name
        role = aws.iam.Role(
            f"{self._name}-role",
            description=f"IRSA role of {namespace}/{service_account}",
            # Its own service account only: KEDA reads metrics as the scaler role.
            assume_role_policy=irsa_trust_policy(
                args.oidc_provider_arn, args.oidc_issuer_url, namespace, service_account
            ),
            max_session_duration=3600,
            tags=tags,
            opts=self._aws,
        )
        aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=role.id,
            policy=document,
            opts=self._aws,
        )
        return role.arn

    def _scaler_role(self, args: PipelineServiceArgs, tags: dict[str, str]) -> pulumi.Output[str]:
        """KEDA's identity for this service's triggers: assumable by KEDA's operator only, allowed
        to read the triggers' metrics on exactly their resources (:mod:`.scaler`)."""
        triggers = args.settings.keda_triggers
        role = aws.iam.Role(
            f"{self._name}-scaler",
            description=f"KEDA scaler of {args.settings.namespace_name}/{args.settings.name}: reads its "
            "triggers' metrics, nothing else",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda v: scaler.scaler_trust_policy_document(v[0], v[1])
            ),
            max_session_duration=3600,
            tags=tags,
            opts=self._aws,
        )
        queue_arn = self.queue.arn if self.queue is not None else None
        aws.iam.RolePolicy(
            f"{self._name}-scaler",
            role=role.id,
            policy=pulumi.Output.from_input(queue_arn).apply(
                lambda arn: scaler.scaler_policy_document(triggers, arn)
            ),
            opts=self._aws,
        )
        return role.arn

    def _ingress(
        self, args: PipelineServiceArgs, tags: dict[str, str], after: list[pulumi.Resource]
    ) -> k8s.networking.v1.Ingress:
        """The Ingress: the controller makes its ALB once the Service exists (IP targets come from the
        Service's endpoints) and after the controller's Release (its IngressClass and webhook)."""
        manifest = ingress_documents.ingress(
            args.settings, args.network, ingress_class=args.ingress_class, tags=tags
        )
        return k8s.networking.v1.Ingress(
            f"{self._name}-ingress",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after([*after, *args.ingress_dependencies]),
        )

    def _trigger_location(self, args: PipelineServiceArgs) -> tuple[Any, Any]:
        """The region KEDA's AWS scalers call (the queue's, else the stack's) and the queue URL."""
        if self.queue is not None:
            return pulumi.Output.from_input(self.queue.arn).apply(
                queue_documents.queue_region
            ), self.queue.url
        return aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region, None

    def _job(
        self,
        args: PipelineServiceArgs,
        template: dict[str, Any],
        after: list[pulumi.Resource],
        keda_after: list[pulumi.Resource],
    ) -> pulumi.Resource:
        """The Job, CronJob or ScaledJob of ``template`` (the pods with environment and placement)."""
        settings = args.settings
        if settings.kind == "job":
            manifest = self._unawaited(args, batch.job(settings, template))
            return k8s.batch.v1.Job(
                f"{self._name}-job",
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=self._after(after),
            )
        if settings.kind == "cronjob":
            manifest = batch.cron_job(settings, template)
            return k8s.batch.v1.CronJob(
                f"{self._name}-cronjob",
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=self._after(after),
            )
        region, queue_url = self._trigger_location(args)
        return self._keda_object(
            "scaled-job",
            keda.scaled_job(settings, template, region=region, queue_url=queue_url),
            [*after, *keda_after],
        )

    def _keda_object(
        self, suffix: str, manifest: dict[str, Any], after: Sequence[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        """A KEDA custom resource; its CRDs and admission webhook come with the KEDA Release."""
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{suffix}",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(list(dict.fromkeys(after))),
        )

    def _service_account(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.core.v1.ServiceAccount:
        return k8s.core.v1.ServiceAccount(
            f"{self._name}-service-account",
            metadata=manifest["metadata"],
            automount_service_account_token=manifest["automountServiceAccountToken"],
            opts=self._after(after),
        )

    def _deployment(self, manifest: dict[str, Any], after: list[pulumi.Resource]) -> k8s.apps.v1.Deployment:
        return k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(after),
        )

    def _service(self, manifest: dict[str, Any], after: list[pulumi.Resource]) -> k8s.core.v1.Service:
        return k8s.core.v1.Service(
            f"{self._name}-service",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(after),
        )

    def _hpa(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
        return k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa", metadata=manifest["metadata"], spec=manifest["spec"], opts=self._after(after)
        )

    def _pdb(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.policy.v1.PodDisruptionBudget:
        return k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb", metadata=manifest["metadata"], spec=manifest["spec"], opts=self._after(after)
        )

    def _network_policy(
        self, manifest: dict[str, Any], after: list[pulumi.Resource]
    ) -> k8s.networking.v1.NetworkPolicy:
        return k8s.networking.v1.NetworkPolicy(
            f"{self._name}-network-policy",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._after(after),
        )


def _name_of(resource: pulumi.Resource) -> pulumi.Output[str]:
    """The object's name as the cluster reports it (so consumers wait for the object)."""
    metadata: pulumi.Output[Any] = resource.metadata  # type: ignore[attr-defined]
    # Typed resources give an ObjectMeta; a CustomResource (the KEDA objects) gives a dict.
    return metadata.apply(lambda m: None if m is None else m.get("name") if isinstance(m, dict) else m.name)
