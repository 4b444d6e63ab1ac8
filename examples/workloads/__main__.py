"""A workloads project: the cluster runtime (default StorageClass, Karpenter's charts and pools) and a
service, on a platform stack deployed with ``cluster.kubernetes_objects: workloads_project``.

The platform stack calls only AWS APIs (its endpoint may be private, deployed from anywhere); this
project calls the Kubernetes API, so it runs where the endpoint is reachable (README: Deploying for
real), with a role the platform lists in ``cluster.admin_principal_arns``.
"""

import pulumi
import pulumi_kubernetes as k8s
from dataplatform.components import (
    PipelineService,
    PipelineServiceArgs,
    PipelineServiceSettings,
    validate_tags,
)
from dataplatform.components.eks import ClusterRuntime, plain_stack_output, runtime_args_from_stack

config = pulumi.Config()
tags = validate_tags(config.require_object("tags"), path="workloads:tags")
service_settings = PipelineServiceSettings.parse(config.require_object("service"), prefix="workloads:service")

platform = pulumi.StackReference(config.require("platformStack"))

# Every Kubernetes object goes to the platform's cluster through its kubeconfig (a secret output).
cluster = k8s.Provider("platform-cluster", kubeconfig=platform.require_output("kubeconfig"))
runtime = ClusterRuntime("platform", runtime_args_from_stack(platform, cluster))

pool = service_settings.pool or runtime.default_pool or "apps"
service = PipelineService(
    service_settings.name,
    PipelineServiceArgs(
        settings=service_settings,
        tags=tags,
        provider=cluster,
        oidc_provider_arn=platform.require_output("oidcProviderArn"),
        oidc_issuer_url=platform.require_output("oidcProviderUrl"),
        kubernetes_version=plain_stack_output(platform, "kubernetesVersion"),
        # The pool's node selector and tolerations, and its NodePool before the rollout.
        placement=runtime.placement(pool),
        workload_dependencies=runtime.workload_dependencies_for(pool),
    ),
)

pulumi.export("nodePools", sorted(runtime.node_pools))
pulumi.export("platformCluster", platform.require_output("clusterName"))
