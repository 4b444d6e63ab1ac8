"""The deployer's path to a private API endpoint: tcp/443 on the cluster security group from the runner.

pulumi-eks attaches its cluster security group to the control plane (``vpcConfig.securityGroupIds``)
and opens it on tcp/443 to the node security group only (pulumi/pulumi-eks
``nodejs/eks/cluster/cluster.ts``, ``eksClusterSecurityGroup``; ``nodejs/eks/nodes/securitygroup.ts``,
``eksClusterIngressRule``). The EKS user guide ("Cluster API server endpoint", private access only)
requires the connected network's sources to be admitted on that group. So with ``deploy_from:
inside_vpc`` each runner security group and CIDR gets its own ingress rule, and the Kubernetes
provider waits for them (:meth:`DeployerAccess._deployer_rules`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from .settings import EksClusterSettings

__all__ = ["DEPLOYER_TAG", "DeployerAccess", "deployer_rule_suffix"]

DEPLOYER_TAG = "dataplatform.io/deployer"
"""Tag on an ingress rule of the cluster security group marking it as the deployer's path to the API
(read by the api-reachability policy)."""
HTTPS = 443


def deployer_rule_suffix(source: str) -> str:
    """A logical-name suffix for the rule admitting ``source`` (``sg-0abc...`` or ``10.0.8.0/24``)."""
    return "deployer-" + re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-")


class DeployerAccess:
    """The deployer rules of ``EksCluster`` (its attributes are the cluster's)."""

    _name: str
    _tags: dict[str, str]
    _settings: EksClusterSettings
    cluster_security_group_id: pulumi.Output[str]

    def _deployer_rules(self) -> list[pulumi.Resource]:
        """One tcp/443 ingress rule on the cluster security group per runner security group and CIDR
        (none unless ``deploy_from: inside_vpc``)."""
        assert isinstance(self, pulumi.Resource)
        settings = self._settings
        if settings.deploy_from != "inside_vpc":
            return []
        child = pulumi.ResourceOptions(parent=self)
        tags = {**self._tags, DEPLOYER_TAG: "true"}
        rules: list[pulumi.Resource] = []
        for group in settings.deployer_security_group_ids:
            rules.append(
                aws.vpc.SecurityGroupIngressRule(
                    f"{self._name}-{deployer_rule_suffix(group)}",
                    security_group_id=self.cluster_security_group_id,
                    description="The deployer (pulumi up) reaches the private Kubernetes API",
                    ip_protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    referenced_security_group_id=group,
                    tags=tags,
                    opts=child,
                )
            )
        for cidr in settings.deployer_cidrs:
            rules.append(
                aws.vpc.SecurityGroupIngressRule(
                    f"{self._name}-{deployer_rule_suffix(cidr)}",
                    security_group_id=self.cluster_security_group_id,
                    description="The deployer (pulumi up) reaches the private Kubernetes API",
                    ip_protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    cidr_ipv4=cidr,
                    tags=tags,
                    opts=child,
                )
            )
        return rules
