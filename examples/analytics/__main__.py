"""An analytics team's stack: reads the platform stack's outputs, adds its own lake and service."""

import pulumi
import pulumi_kubernetes as k8s
from dataplatform.components import (
    DataLakeBucket,
    DataLakeBucketArgs,
    DataLakeSettings,
    PipelineService,
    PipelineServiceArgs,
    PipelineServiceSettings,
    validate_tags,
)

config = pulumi.Config()
tags = validate_tags(config.require_object("tags"), path="analytics:tags")
lake_settings = DataLakeSettings.parse(config.get_object("lake") or {}, prefix="analytics:lake")
service_settings = PipelineServiceSettings.parse(config.require_object("service"), prefix="analytics:service")

platform = pulumi.StackReference(config.require("platformStack"))

# Workloads go to the platform's cluster through its kubeconfig (a secret output).
cluster = k8s.Provider("platform-cluster", kubeconfig=platform.require_output("kubeconfig"))

lake = DataLakeBucket("analytics", DataLakeBucketArgs(settings=lake_settings, tags=tags))
reporting = PipelineService(
    service_settings.name,
    PipelineServiceArgs(
        settings=service_settings,
        tags=tags,
        provider=cluster,
        oidc_provider_arn=platform.require_output("oidcProviderArn"),
        oidc_issuer_url=platform.require_output("oidcProviderUrl"),
        iam_policy_json=lake.access_policy(read=["staging"], write=["marts"]),
    ),
)

pulumi.export("lakeBuckets", lake.bucket_names)
pulumi.export("reportingRoleArn", reporting.role_arn)
pulumi.export("platformCluster", platform.require_output("clusterName"))
