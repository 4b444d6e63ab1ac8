"""The :class:`Network` component: registers what the settings and :mod:`.layout` decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .._shared import customer_kms_key
from ..tags import merge_tags
from .flow_logs import (
    flow_log_group_arn,
    flow_log_group_name,
    flow_logs_key_policy,
    flow_logs_role_policy,
    flow_logs_trust_policy,
)
from .layout import (
    ANY_IPV4,
    S3_GATEWAY_TIERS,
    TIER_TAG,
    TIERS,
    endpoint_ingress_rules,
    endpoint_slug,
    pick_zones,
    private_nat_routes,
    subnet_tags,
)
from .settings import NetworkArgs, NetworkSettings, check_args

__all__ = ["Network"]


class Network(pulumi.ComponentResource):
    """A VPC with public, private and isolated data subnets in ``az_count`` AZs."""

    vpc_id: pulumi.Output[str]
    """The VPC."""
    vpc_cidr: pulumi.Output[str]
    """The VPC's primary CIDR block."""
    availability_zones: pulumi.Output[list[str]]
    """The AZs of the subnets, in subnet order."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets, one per AZ (load balancers, NAT gateways)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets, one per AZ (EKS nodes and pods)."""
    data_subnet_ids: pulumi.Output[list[str]]
    """Isolated data subnets, one per AZ (warehouse); no route to the internet."""
    public_route_table_ids: pulumi.Output[list[str]]
    """The public route table (one, shared by the public subnets)."""
    private_route_table_ids: pulumi.Output[list[str]]
    """The private route tables, one per AZ."""
    data_route_table_ids: pulumi.Output[list[str]]
    """The data route table (one, shared by the data subnets)."""
    nat_gateway_ids: pulumi.Output[list[str]]
    """NAT gateways (none, one, or one per AZ)."""
    s3_endpoint_id: pulumi.Output[str]
    """The S3 gateway endpoint."""
    s3_prefix_list_id: pulumi.Output[str]
    """The regional S3 prefix list (for security-group egress rules to S3)."""
    interface_endpoint_ids: pulumi.Output[dict[str, str]]
    private_egress_dependencies: list[pulumi.Resource]
    """What a host in the private subnets needs before it can pull an image or join the cluster: the
    private route-table associations, their NAT default routes, the S3 gateway endpoint and the
    interface endpoints (ECR, STS, logs). Node groups and add-ons depend on these, not on luck."""
    """Interface endpoint ids by service short name."""
    endpoints_security_group_id: pulumi.Output[str] | None
    """The interface endpoints' security group (``None`` without interface endpoints)."""
    flow_logs_log_group_name: pulumi.Output[str] | None
    """The flow-log group (``None`` when flow logs are off)."""
    flow_logs_kms_key_arn: pulumi.Output[str] | None
    """The key encrypting the flow-log group (made here or passed in)."""
    subnet_cidrs: dict[str, list[str]]
    """The planned subnet CIDRs per tier (plain values, known before deployment)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tags = check_args(args)
        settings = args.settings
        super().__init__("dataplatform:network:Network", name, None, opts)
        self._name = name
        self._tags = tags
        self._child = pulumi.ResourceOptions(parent=self)
        self._invoke = pulumi.InvokeOutputOptions(parent=self)
        self.subnet_cidrs = settings.subnet_plan()
        self._egress: list[pulumi.Resource] = []

        region = aws.get_region_output(opts=self._invoke).region
        zones = self._zones(settings.az_count, region)
        self._vpc = self._make_vpc(settings)
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self._vpc.id, tags=self._tagged(f"{name}-igw"), opts=self._child
        )
        subnets = self._subnets(settings, zones, dict(args.private_subnet_tags))
        tables = {"public": [self._public_routing(subnets["public"], igw)]}
        nats = self._nat_gateways(settings, subnets["public"], igw)
        tables["private"] = self._private_routing(settings, subnets["private"], nats)
        tables["data"] = [self._data_routing(subnets["data"])]
        s3 = self._s3_endpoint(tables)
        self._egress.append(s3)
        group_id, endpoint_ids = self._interface_endpoints(settings, subnets["private"])
        self.private_egress_dependencies = list(self._egress)
        self.endpoints_security_group_id = group_id
        self.flow_logs_log_group_name = None
        self.flow_logs_kms_key_arn = None
        if settings.flow_logs:
            self._flow_logs(settings, region, args.flow_logs_kms_key_arn)

        self.vpc_id = self._vpc.id
        self.vpc_cidr = self._vpc.cidr_block
        self.availability_zones = zones
        self.public_subnet_ids = _ids(subnets["public"])
        self.private_subnet_ids = _ids(subnets["private"])
        self.data_subnet_ids = _ids(subnets["data"])
        self.public_route_table_ids = _ids(tables["public"])
        self.private_route_table_ids = _ids(tables["private"])
        self.data_route_table_ids = _ids(tables["data"])
        self.nat_gateway_ids = _ids(nats)
        self.s3_endpoint_id = s3.id
        self.s3_prefix_list_id = s3.prefix_list_id
        self.interface_endpoint_ids = (
            pulumi.Output.all(**endpoint_ids) if endpoint_ids else pulumi.Output.from_input({})
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "data_subnet_ids": self.data_subnet_ids,
                "public_route_table_ids": self.public_route_table_ids,
                "private_route_table_ids": self.private_route_table_ids,
                "data_route_table_ids": self.data_route_table_ids,
                "nat_gateway_ids": self.nat_gateway_ids,
                "s3_endpoint_id": self.s3_endpoint_id,
                "s3_prefix_list_id": self.s3_prefix_list_id,
                "interface_endpoint_ids": self.interface_endpoint_ids,
                "endpoints_security_group_id": self.endpoints_security_group_id,
                "flow_logs_log_group_name": self.flow_logs_log_group_name,
                "flow_logs_kms_key_arn": self.flow_logs_kms_key_arn,
                "subnet_cidrs": self.subnet_cidrs,
            }
        )

    # ------------------------------------------------------------------ steps

    def _zones(self, count: int, region: pulumi.Output[str]) -> pulumi.Output[list[str]]:
        """The region's first ``count`` zones that need no opt-in (a clear error when it has fewer)."""
        found = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=self._invoke,
        )
        return pulumi.Output.all(found.names, region).apply(lambda v: pick_zones(v[0], count, v[1]))

    def _make_vpc(self, settings: NetworkSettings) -> aws.ec2.Vpc:
        """The VPC with its secondary blocks, and its default security group emptied."""
        name = self._name
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            instance_tenancy="default",
            tags=self._tagged(name),
            opts=self._child,
        )
        for index, cidr in enumerate(settings.extra_cidrs):
            aws.ec2.VpcIpv4CidrBlockAssociation(
                f"{name}-cidr-{index + 1}", vpc_id=vpc.id, cidr_block=cidr, opts=self._child
            )
        # Adopted, not created: the provider removes every rule, and the empty lists keep it so.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self._tagged(f"{name}-default-deny-all"),
            opts=self._child,
        )
        return vpc

    def _subnets(
        self, settings: NetworkSettings, zones: pulumi.Output[list[str]], private_tags: dict[str, str]
    ) -> dict[str, list[aws.ec2.Subnet]]:
        """The subnets of each tier, one per AZ, at the CIDRs of the subnet plan."""
        subnets: dict[str, list[aws.ec2.Subnet]] = {tier: [] for tier in TIERS}
        for tier in TIERS:
            label = f"{self._name}-{tier}"
            for index, cidr in enumerate(self.subnet_cidrs[tier]):
                zone = _nth(zones, index)
                subnets[tier].append(
                    aws.ec2.Subnet(
                        f"{label}-{index + 1}",
                        vpc_id=self._vpc.id,
                        cidr_block=cidr,
                        availability_zone=zone,
                        map_public_ip_on_launch=tier == "public" and settings.map_public_ip_on_launch,
                        tags=self._tagged(
                            pulumi.Output.concat(f"{label}-", zone),
                            {**subnet_tags(tier), **(private_tags if tier == "private" else {})},
                        ),
                        opts=self._child,
                    )
                )
        return subnets

    def _public_routing(
        self, subnets: Sequence[aws.ec2.Subnet], igw: aws.ec2.InternetGateway
    ) -> aws.ec2.RouteTable:
        """One route table for the public subnets, default route to the internet gateway."""
        table = self._route_table("public", None)
        aws.ec2.Route(
            f"{self._name}-public-internet",
            route_table_id=table.id,
            destination_cidr_block=ANY_IPV4,
            gateway_id=igw.id,
            opts=self._child,
        )
        self._associate("public", subnets, [table] * len(subnets))
        return table

    def _nat_gateways(
        self, settings: NetworkSettings, public: Sequence[aws.ec2.Subnet], igw: aws.ec2.InternetGateway
    ) -> list[aws.ec2.NatGateway]:
        """NAT gateways in the first public subnet(s); they need the internet gateway attached."""
        nats: list[aws.ec2.NatGateway] = []
        for index in range(settings.nat_gateway_count):
            label = f"{self._name}-nat-{index + 1}"
            eip = aws.ec2.Eip(label, domain="vpc", tags=self._tagged(label), opts=self._child)
            nats.append(
                aws.ec2.NatGateway(
                    label,
                    allocation_id=eip.allocation_id,
                    subnet_id=public[index].id,
                    connectivity_type="public",
                    tags=self._tagged(label),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        return nats

    def _private_routing(
        self,
        settings: NetworkSettings,
        subnets: Sequence[aws.ec2.Subnet],
        nats: Sequence[aws.ec2.NatGateway],
    ) -> list[aws.ec2.RouteTable]:
        """One route table per AZ, default route to the NAT gateway :func:`private_nat_routes` picks."""
        tables = [self._route_table("private", index) for index in range(len(subnets))]
        targets = private_nat_routes(settings.nat_gateways, settings.az_count)
        for index, (table, nat_index) in enumerate(zip(tables, targets, strict=True)):
            if nat_index is not None:
                route = aws.ec2.Route(
                    f"{self._name}-private-{index + 1}-nat",
                    route_table_id=table.id,
                    destination_cidr_block=ANY_IPV4,
                    nat_gateway_id=nats[nat_index].id,
                    opts=self._child,
                )
                self._egress.append(route)
        self._egress += self._associate("private", subnets, tables)
        return tables

    def _data_routing(self, subnets: Sequence[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        """One route table for the data subnets: the local route and the S3 gateway endpoint only,
        no route to the internet whatever the NAT mode."""
        table = self._route_table("data", None)
        self._associate("data", subnets, [table] * len(subnets))
        return table

    def _s3_endpoint(self, tables: Mapping[str, Sequence[aws.ec2.RouteTable]]) -> aws.ec2.VpcEndpoint:
        """The S3 gateway endpoint in the route tables of :data:`S3_GATEWAY_TIERS`."""
        service = aws.ec2.get_vpc_endpoint_service_output(
            service="s3", service_type="Gateway", opts=self._invoke
        )
        return aws.ec2.VpcEndpoint(
            f"{self._name}-s3",
            vpc_id=self._vpc.id,
            service_name=service.service_name,
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for tier in S3_GATEWAY_TIERS for t in tables[tier]],
            tags=self._tagged(f"{self._name}-s3"),
            opts=self._child,
        )

    def _interface_endpoints(
        self, settings: NetworkSettings, private: Sequence[aws.ec2.Subnet]
    ) -> tuple[pulumi.Output[str] | None, dict[str, pulumi.Output[str]]]:
        """Interface endpoints in the private subnets with private DNS, behind one security group;
        its id (``None`` without endpoints) and the endpoint ids by service."""
        if not settings.interface_endpoints:
            return None, {}
        name = self._name
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            description="Interface VPC endpoints: HTTPS from the VPC's CIDR blocks only",
            vpc_id=self._vpc.id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(**rule)
                for rule in endpoint_ingress_rules([settings.cidr, *settings.extra_cidrs])
            ],
            egress=[],
            tags=self._tagged(f"{name}-endpoints"),
            opts=self._child,
        )
        private_ids = [s.id for s in private]
        endpoint_ids: dict[str, pulumi.Output[str]] = {}
        for service in settings.interface_endpoints:
            found = aws.ec2.get_vpc_endpoint_service_output(
                service=service, service_type="Interface", opts=self._invoke
            )
            endpoint = aws.ec2.VpcEndpoint(
                f"{name}-vpce-{endpoint_slug(service)}",
                vpc_id=self._vpc.id,
                service_name=found.service_name,
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=private_ids,
                security_group_ids=[group.id],
                tags=self._tagged(f"{name}-{service}"),
                opts=self._child,
            )
            self._egress.append(endpoint)
            endpoint_ids[service] = endpoint.id
        return group.id, endpoint_ids

    def _flow_logs(
        self, settings: NetworkSettings, region: pulumi.Output[str], key_arn: pulumi.Input[str] | None
    ) -> None:
        """All traffic to a retention-limited log group, encrypted with ``key_arn`` or a key made
        for this group only, delivered by a role that may write to that group only."""
        name = self._name
        protect = settings.deletion_protection
        protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        account = aws.get_caller_identity_output(opts=self._invoke).account_id
        partition = aws.get_partition_output(opts=self._invoke)
        group_name = flow_log_group_name(pulumi.get_project(), pulumi.get_stack(), name)
        env = pulumi.Output.all(partition.partition, region, account, partition.dns_suffix)
        group_arn = env.apply(lambda v: flow_log_group_arn(v[0], v[1], v[2], group_name))

        key = customer_kms_key(
            f"{name}-flow-logs",
            description=f"Network {name}: encrypts the VPC flow-log group {group_name}",
            policy=pulumi.Output.all(env, group_arn).apply(
                lambda v: flow_logs_key_policy(v[0][0], v[0][1], v[0][2], v[0][3], v[1])
            ),
            tags=self._tagged(f"{name}-flow-logs"),
            opts=protected,
            existing_arn=key_arn,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=settings.flow_logs_retention_days,
            kms_key_id=key,
            deletion_protection_enabled=protect,
            tags=self._tagged(f"{name}-flow-logs"),
            opts=protected,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"VPC flow logs of network {name}: deliver to {group_name}",
            assume_role_policy=env.apply(lambda v: flow_logs_trust_policy(v[0], v[1], v[2])),
            tags=self._tags,
            opts=self._child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=pulumi.Output.all(env, group_arn).apply(
                lambda v: flow_logs_role_policy(v[0][0], v[0][1], v[0][2], v[1])
            ),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=self._vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=settings.flow_logs_max_aggregation_interval,
            tags=self._tagged(f"{name}-flow-logs"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        self.flow_logs_log_group_name = log_group.name
        self.flow_logs_kms_key_arn = key

    # ------------------------------------------------------------------ helpers

    def _tagged(self, name: pulumi.Input[str], extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {**merge_tags(self._tags, extra), "Name": name}

    def _route_table(self, tier: str, index: int | None) -> aws.ec2.RouteTable:
        label = f"{self._name}-{tier}" if index is None else f"{self._name}-{tier}-{index + 1}"
        return aws.ec2.RouteTable(
            label, vpc_id=self._vpc.id, tags=self._tagged(label, {TIER_TAG: tier}), opts=self._child
        )

    def _associate(
        self, tier: str, subnets: Sequence[aws.ec2.Subnet], tables: Sequence[aws.ec2.RouteTable]
    ) -> list[aws.ec2.RouteTableAssociation]:
        return [
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{tier}-{index + 1}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child,
            )
            for index, (subnet, table) in enumerate(zip(subnets, tables, strict=True))
        ]


def _nth(values: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    return values.apply(lambda items: items[index])


def _ids(resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
    return pulumi.Output.all(*[r.id for r in resources]) if resources else pulumi.Output.from_input([])
