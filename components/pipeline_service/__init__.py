"""A pipeline service (ingest API, stream consumer, batch worker) on the EKS cluster.

One component makes everything a production workload needs, secure by default
(following what kube-score and Polaris check):

- a Namespace (created, with Pod Security Admission ``restricted`` enforced, or
  given), with an optional ResourceQuota and LimitRange;
- an IAM role for the service account (IRSA) trusted by exactly this
  ``namespace:service-account``, with the policy passed in;
- a ServiceAccount annotated with the role, no API token mounted unless asked;
- a Deployment: pinned image (tag or digest, never ``latest``), validated
  requests and limits, probes, RollingUpdate, graceful termination, the
  restricted security context, topology spread across zones and nodes,
  node selector and tolerations, the recommended ``app.kubernetes.io/*`` labels;
- a Service (ClusterIP) when the container exposes a port;
- a HorizontalPodAutoscaler (``autoscaling/v2``) with scale-up/down behavior;
- a PodDisruptionBudget that always allows at least one eviction;
- a NetworkPolicy admitting the service's own namespace, the peers given, a monitoring
  namespace on a metrics port when one is named, and the ALB's subnets with ``ingress``; every
  other ingress denied; egress denied but for DNS, the AWS APIs, the warehouse port (with
  warehouse access) and the declared peers (``traffic``);
- with ``ingress``, an Ingress of class ``alb`` (HTTPS only, IP targets, TLS 1.3 policy,
  optional WAF), served by the AWS Load Balancer Controller;
- with AWS triggers, KEDA's scaler role (reads the metrics, nothing else: ``scaler``) and the
  TriggerAuthentication that names it.

The package: ``settings`` (and ``settings_pod``, ``settings_scaling``,
``settings_network``) hold the pydantic models, ``quantities`` the Kubernetes
quantity rules, ``manifests`` renders every Kubernetes object as a plain dict,
``args`` checks the wiring, and ``component`` registers it all.
"""

from __future__ import annotations

from .._shared import DnsLabel as DnsLabel
from .._shared import Labels as Labels
from .._shared import label_key_problem as label_key_problem
from .._shared import label_value_problem as label_value_problem
from .args import MIN_KUBERNETES_MINOR as MIN_KUBERNETES_MINOR
from .args import PipelineServiceArgs as PipelineServiceArgs
from .component import PipelineService as PipelineService
from .component import QueueReference as QueueReference
from .quantities import IntOrPercent as IntOrPercent
from .quantities import Quantity as Quantity
from .quantities import parse_quantity as parse_quantity
from .settings import MAX_NAME_LENGTH as MAX_NAME_LENGTH
from .settings import ROLE_ARN_ANNOTATION as ROLE_ARN_ANNOTATION
from .settings import LimitRangeSettings as LimitRangeSettings
from .settings import PipelineServiceSettings as PipelineServiceSettings
from .settings import ResourceQuotaSettings as ResourceQuotaSettings
from .settings import image_reference_problem as image_reference_problem
from .settings_batch import CronJobSettings as CronJobSettings
from .settings_batch import JobSettings as JobSettings
from .settings_batch import ScaledJobSettings as ScaledJobSettings
from .settings_batch import WorkloadKind as WorkloadKind
from .settings_events import CloudWatchTrigger as CloudWatchTrigger
from .settings_events import KinesisTrigger as KinesisTrigger
from .settings_events import PrometheusTrigger as PrometheusTrigger
from .settings_events import QueueSettings as QueueSettings
from .settings_events import SqsTrigger as SqsTrigger
from .settings_events import Trigger as Trigger
from .settings_ingress import IngressSettings as IngressSettings
from .settings_network import METRICS_PORT_WORDS as METRICS_PORT_WORDS
from .settings_network import EgressRule as EgressRule
from .settings_network import NetworkPeer as NetworkPeer
from .settings_network import NetworkPolicySettings as NetworkPolicySettings
from .settings_network import is_metrics_port_name as is_metrics_port_name
from .settings_pod import ProbeSettings as ProbeSettings
from .settings_pod import ProbesSettings as ProbesSettings
from .settings_pod import ResourceList as ResourceList
from .settings_pod import ResourcesSettings as ResourcesSettings
from .settings_pod import SecretKeyRef as SecretKeyRef
from .settings_pod import SecretName as SecretName
from .settings_pod import SecuritySettings as SecuritySettings
from .settings_pod import SpreadMode as SpreadMode
from .settings_pod import Toleration as Toleration
from .settings_pod import TopologySpreadSettings as TopologySpreadSettings
from .settings_scaling import AutoscalingSettings as AutoscalingSettings
from .settings_scaling import ExternalMetric as ExternalMetric
from .settings_scaling import HpaBehaviorSettings as HpaBehaviorSettings
from .settings_scaling import PdbSettings as PdbSettings
from .settings_scaling import PodsMetric as PodsMetric
from .settings_scaling import RollingUpdateSettings as RollingUpdateSettings
from .settings_scaling import ScalingPolicy as ScalingPolicy
from .settings_scaling import ScalingRules as ScalingRules
from .settings_scaling import Utilization as Utilization
from .traffic import ServiceNetwork as ServiceNetwork

__all__ = [
    "MAX_NAME_LENGTH",
    "METRICS_PORT_WORDS",
    "MIN_KUBERNETES_MINOR",
    "ROLE_ARN_ANNOTATION",
    "AutoscalingSettings",
    "CloudWatchTrigger",
    "CronJobSettings",
    "DnsLabel",
    "EgressRule",
    "ExternalMetric",
    "HpaBehaviorSettings",
    "IngressSettings",
    "IntOrPercent",
    "JobSettings",
    "KinesisTrigger",
    "Labels",
    "LimitRangeSettings",
    "NetworkPeer",
    "NetworkPolicySettings",
    "PdbSettings",
    "PipelineService",
    "PipelineServiceArgs",
    "PipelineServiceSettings",
    "PodsMetric",
    "ProbeSettings",
    "ProbesSettings",
    "PrometheusTrigger",
    "Quantity",
    "QueueReference",
    "QueueSettings",
    "ResourceList",
    "ResourceQuotaSettings",
    "ResourcesSettings",
    "RollingUpdateSettings",
    "ScaledJobSettings",
    "ScalingPolicy",
    "ScalingRules",
    "SecretKeyRef",
    "SecretName",
    "SecuritySettings",
    "ServiceNetwork",
    "SpreadMode",
    "SqsTrigger",
    "Toleration",
    "TopologySpreadSettings",
    "Trigger",
    "Utilization",
    "WorkloadKind",
    "image_reference_problem",
    "is_metrics_port_name",
    "label_key_problem",
    "label_value_problem",
    "parse_quantity",
]
