"""Network: the VPC with public, private and isolated data subnets, under mocks."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

import policies
from components._shared import KMS_DELETION_WINDOW_DAYS
from components._validation import InvalidConfigError
from components.network import (
    ELB_TAG,
    INTERNAL_ELB_TAG,
    TIER_TAG,
    Network,
    NetworkArgs,
    NetworkSettings,
    subnet_plan,
)
from dpengine.engine import ResourceRecord
from dpengine.mocks import PlatformMocks
from dpengine.testing import ComponentRun, assert_tagged, run_component, run_program_fn

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
IGW = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
RT = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
CIDR_ASSOC = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

ACCOUNT = "123456789012"
GIVEN_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
LOG_GROUP_NAME = "/dataplatform/test/dev/net/vpc-flow-logs"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{LOG_GROUP_NAME}"


_RUNS: dict[str, ComponentRun[Network]] = {}


def make(tags: dict[str, str], region: str = "us-east-1", **settings: Any) -> ComponentRun[Network]:
    """The component made under mocks; identical configurations share one (read-only) run."""
    cache_key = json.dumps([tags, region, settings], sort_keys=True)
    if cache_key not in _RUNS:
        key = settings.pop("flow_logs_kms_key_arn", None)
        _RUNS[cache_key] = run_component(
            lambda: Network(
                "net",
                NetworkArgs(settings=NetworkSettings(**settings), tags=tags, flow_logs_kms_key_arn=key),
            ),
            region=region,
        )
    return _RUNS[cache_key]


def by_id(cr: ComponentRun[Network], token: str) -> dict[str, ResourceRecord]:
    return {r.id: r for r in cr.of_type(token)}


def named(cr: ComponentRun[Network], token: str) -> list[ResourceRecord]:
    """Resources of ``token`` in name order (registration order follows input resolution)."""
    return sorted(cr.of_type(token), key=lambda r: r.name)


def tier(record: ResourceRecord) -> str:
    return record.inputs["tags"][TIER_TAG]


def table_of(cr: ComponentRun[Network]) -> dict[str, str]:
    """Subnet id -> route table id, from the associations."""
    return {a.inputs["subnetId"]: a.inputs["routeTableId"] for a in cr.of_type(RTA)}


def routes_of(cr: ComponentRun[Network], table_id: str) -> list[ResourceRecord]:
    return [r for r in cr.of_type(ROUTE) if r.inputs["routeTableId"] == table_id]


ENDPOINT_SERVICE = "aws:ec2/getVpcEndpointService:getVpcEndpointService"


def endpoint_lookups(cr: ComponentRun[Network]) -> list[dict[str, Any]]:
    """The endpoint services the component looked up, in order."""
    return [args for token, args in cr.run.invokes if token == ENDPOINT_SERVICE]


def service_name(service: str, service_type: str, region: str = "us-east-1") -> str:
    """What the endpoint-service lookup answers for ``service``: an endpoint must use that answer."""
    args = {"service": service, "serviceType": service_type}
    result, _ = PlatformMocks(region=region).call(pulumi.runtime.MockCallArgs(ENDPOINT_SERVICE, args, ""))
    return str(result["serviceName"])


# --------------------------------------------------------------------------- defaults


def test_defaults_make_exactly_these_resources(tags: dict[str, str]) -> None:
    cr = make(tags)
    assert cr.counts() == {
        VPC: 1,
        SUBNET: 9,
        IGW: 1,
        EIP: 3,
        NAT: 3,
        RT: 5,  # public, private x 3, data
        ROUTE: 4,  # public -> IGW, private x 3 -> NAT
        RTA: 9,
        ENDPOINT: 1,  # S3 gateway
        DEFAULT_SG: 1,
        KEY: 1,
        LOG_GROUP: 1,
        ROLE: 1,
        ROLE_POLICY: 1,
        FLOW_LOG: 1,
    }
    assert cr.record.type == "dataplatform:network:Network"
    assert all(r.parent == cr.record.urn for r in cr.children)
    assert_tagged(cr.children, tags)
    vpc = cr.one(VPC)
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["instanceTenancy"] == "default"
    assert vpc.inputs["tags"]["Name"] == "net"


def test_outputs_resolve_to_the_children(tags: dict[str, str]) -> None:
    cr = make(tags)
    net = cr.component
    subnets = named(cr, SUBNET)
    assert cr.value(net.vpc_id) == cr.one(VPC).id
    assert cr.value(net.vpc_cidr) == cr.one(VPC).outputs["cidrBlock"]
    assert cr.value(net.availability_zones) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for name, attr in (("public", net.public_subnet_ids), ("private", net.private_subnet_ids)):
        assert cr.value(attr) == [s.id for s in subnets if tier(s) == name]
    assert cr.value(net.data_subnet_ids) == [s.id for s in subnets if tier(s) == "data"]
    tables = named(cr, RT)
    assert cr.value(net.public_route_table_ids) == [t.id for t in tables if tier(t) == "public"]
    assert cr.value(net.private_route_table_ids) == [t.id for t in tables if tier(t) == "private"]
    assert cr.value(net.data_route_table_ids) == [t.id for t in tables if tier(t) == "data"]
    assert cr.value(net.nat_gateway_ids) == [n.id for n in named(cr, NAT)]
    assert cr.value(net.s3_endpoint_id) == cr.one(ENDPOINT).id
    assert cr.value(net.s3_prefix_list_id) == cr.one(ENDPOINT).outputs["prefixListId"]
    assert cr.value(net.interface_endpoint_ids) == {}
    assert net.endpoints_security_group_id is None
    assert cr.value(net.flow_logs_log_group_name) == LOG_GROUP_NAME
    assert cr.value(net.flow_logs_kms_key_arn) == cr.one(KEY).outputs["arn"]
    assert net.subnet_cidrs == subnet_plan("10.0.0.0/16", 3)


def test_zones_come_from_the_region_lookup(tags: dict[str, str]) -> None:
    cr = make(tags, region="eu-west-1", az_count=2)
    assert cr.value(cr.component.availability_zones) == ["eu-west-1a", "eu-west-1b"]
    zones = sorted((tier(s), s.inputs["availabilityZone"]) for s in cr.of_type(SUBNET))
    assert zones == sorted(
        (t, z) for t in ("public", "private", "data") for z in ("eu-west-1a", "eu-west-1b")
    )
    lookups = [args for token, args in cr.run.invokes if token.endswith("getAvailabilityZones")]
    assert lookups == [
        {"state": "available", "filters": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]}
    ]


def test_preview_registers_the_same_resources(tags: dict[str, str]) -> None:
    settings = NetworkSettings(interface_endpoints=["sts"])
    full = run_component(lambda: Network("net", NetworkArgs(settings=settings, tags=tags)))
    preview = run_component(lambda: Network("net", NetworkArgs(settings=settings, tags=tags)), preview=True)
    assert preview.counts() == full.counts()


# --------------------------------------------------------------------------- counts per configuration

# (az_count, nat_gateways) -> (NAT gateways = EIPs, routes, route tables)
COUNTS = {
    (2, "none"): (0, 1, 4),
    (2, "single"): (1, 3, 4),
    (2, "per_az"): (2, 3, 4),
    (3, "none"): (0, 1, 5),
    (3, "single"): (1, 4, 5),
    (3, "per_az"): (3, 4, 5),
    (6, "per_az"): (6, 7, 8),
}


@pytest.mark.parametrize(("az_count", "nat"), list(COUNTS))
def test_exact_counts_per_configuration(tags: dict[str, str], az_count: int, nat: str) -> None:
    nats, routes, tables = COUNTS[(az_count, nat)]
    cr = make(tags, az_count=az_count, nat_gateways=nat, cidr="10.0.0.0/16")
    expected = {
        VPC: 1,
        SUBNET: 3 * az_count,
        IGW: 1,
        RT: tables,
        ROUTE: routes,
        RTA: 3 * az_count,
        ENDPOINT: 1,
        DEFAULT_SG: 1,
        KEY: 1,
        LOG_GROUP: 1,
        ROLE: 1,
        ROLE_POLICY: 1,
        FLOW_LOG: 1,
    }
    if nats:
        expected |= {EIP: nats, NAT: nats}
    assert cr.counts() == expected
    assert_tagged(cr.children, tags)
    assert all(r.parent == cr.record.urn for r in cr.children)


def test_optional_parts_add_exactly_their_resources(tags: dict[str, str]) -> None:
    cr = make(
        tags,
        az_count=2,
        nat_gateways="single",
        interface_endpoints=["ecr.api", "ecr.dkr", "sts", "logs"],
        extra_cidrs=["100.64.0.0/16", "10.1.0.0/16"],
        flow_logs_kms_key_arn=GIVEN_KEY,
    )
    counts = cr.counts()
    assert counts[ENDPOINT] == 5
    assert counts[SG] == 1
    assert counts[CIDR_ASSOC] == 2
    assert KEY not in counts
    assert sum(counts.values()) == 1 + 6 + 1 + 1 + 1 + 4 + 3 + 6 + 5 + 1 + 1 + 2 + 1 + 1 + 1 + 1
    assert {a.name: a.inputs["cidrBlock"] for a in cr.of_type(CIDR_ASSOC)} == {
        "net-cidr-1": "100.64.0.0/16",
        "net-cidr-2": "10.1.0.0/16",
    }
    assert {a.inputs["vpcId"] for a in cr.of_type(CIDR_ASSOC)} == {cr.one(VPC).id}
    assert_tagged(cr.children, tags)


def test_flow_logs_off_makes_no_logging_resources(tags: dict[str, str]) -> None:
    cr = make(tags, flow_logs=False)
    assert not {KEY, LOG_GROUP, ROLE, ROLE_POLICY, FLOW_LOG} & set(cr.counts())
    assert cr.component.flow_logs_log_group_name is None
    assert cr.component.flow_logs_kms_key_arn is None


# --------------------------------------------------------------------------- subnets


def test_recorded_subnet_cidrs_are_disjoint_and_inside_the_vpc(tags: dict[str, str]) -> None:
    cr = make(tags, cidr="172.20.0.0/20", az_count=4)
    vpc = ipaddress.IPv4Network(cr.one(VPC).inputs["cidrBlock"])
    blocks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in cr.of_type(SUBNET)]
    assert len(blocks) == 12
    assert all(b.subnet_of(vpc) for b in blocks)
    assert not [(a, b) for i, a in enumerate(blocks) for b in blocks[i + 1 :] if a.overlaps(b)]
    sizes = {tier(s): s.inputs["cidrBlock"].split("/")[1] for s in cr.of_type(SUBNET)}
    assert sizes == {"private": "23", "public": "25", "data": "25"}


def test_subnet_tags_and_public_ip_defaults(tags: dict[str, str]) -> None:
    cr = make(tags)
    for subnet in cr.of_type(SUBNET):
        kind, subnet_tags = tier(subnet), subnet.inputs["tags"]
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert subnet_tags["Name"] == f"net-{kind}-{subnet.inputs['availabilityZone']}"
        assert (subnet_tags.get(ELB_TAG), subnet_tags.get(INTERNAL_ELB_TAG)) == {
            "public": ("1", None),
            "private": (None, "1"),
            "data": (None, None),
        }[kind]
    opted = make(tags, map_public_ip_on_launch=True)
    mapped = {tier(s): s.inputs["mapPublicIpOnLaunch"] for s in opted.of_type(SUBNET)}
    assert mapped == {"public": True, "private": False, "data": False}


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("nat", ["none", "single", "per_az"])
def test_data_subnets_have_no_route_out(tags: dict[str, str], nat: str) -> None:
    cr = make(tags, nat_gateways=nat)
    tables = table_of(cr)
    data = [s for s in cr.of_type(SUBNET) if tier(s) == "data"]
    data_tables = {tables[s.id] for s in data}
    assert len(data) == 3 and len(data_tables) == 1
    assert [routes_of(cr, t) for t in data_tables] == [[]]
    assert all(tier(by_id(cr, RT)[t]) == "data" for t in data_tables)
    # Nothing else reaches a data table: the S3 endpoint is its only non-local entry.
    assert cr.one(ENDPOINT).inputs["routeTableIds"][-1] in data_tables


def test_public_subnets_route_to_the_internet_gateway(tags: dict[str, str]) -> None:
    cr = make(tags)
    tables = table_of(cr)
    igw = cr.one(IGW)
    assert igw.inputs["vpcId"] == cr.one(VPC).id
    for subnet in (s for s in cr.of_type(SUBNET) if tier(s) == "public"):
        routes = routes_of(cr, tables[subnet.id])
        assert [(r.inputs["destinationCidrBlock"], r.inputs.get("gatewayId")) for r in routes] == [
            ("0.0.0.0/0", igw.id)
        ]
    public_tables = {tables[s.id] for s in cr.of_type(SUBNET) if tier(s) == "public"}
    assert public_tables.isdisjoint(cr.one(ENDPOINT).inputs["routeTableIds"])


def test_per_az_private_tables_use_the_nat_of_their_own_az(tags: dict[str, str]) -> None:
    cr = make(tags, nat_gateways="per_az")
    subnets = by_id(cr, SUBNET)
    nats = by_id(cr, NAT)
    tables = table_of(cr)
    private = [s for s in cr.of_type(SUBNET) if tier(s) == "private"]
    assert len({tables[s.id] for s in private}) == 3
    for subnet in private:
        (route,) = routes_of(cr, tables[subnet.id])
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        nat = nats[route.inputs["natGatewayId"]]
        nat_subnet = subnets[nat.inputs["subnetId"]]
        assert tier(nat_subnet) == "public"
        assert nat_subnet.inputs["availabilityZone"] == subnet.inputs["availabilityZone"]
    for nat in cr.of_type(NAT):
        assert nat.inputs["connectivityType"] == "public"
        assert nat.inputs["allocationId"] in {e.outputs["allocationId"] for e in cr.of_type(EIP)}
        assert cr.one(IGW).urn in nat.dependencies
    assert {e.inputs["domain"] for e in cr.of_type(EIP)} == {"vpc"}


def test_single_nat_serves_every_private_table(tags: dict[str, str]) -> None:
    cr = make(tags, nat_gateways="single")
    nat = cr.one(NAT)
    private_tables = [t.id for t in cr.of_type(RT) if tier(t) == "private"]
    assert [r.inputs["natGatewayId"] for t in private_tables for r in routes_of(cr, t)] == [nat.id] * 3


def test_no_nat_means_no_default_route_from_private_subnets(tags: dict[str, str]) -> None:
    cr = make(tags, nat_gateways="none")
    private_tables = [t.id for t in cr.of_type(RT) if tier(t) == "private"]
    assert [routes_of(cr, t) for t in private_tables] == [[], [], []]
    assert [r.inputs.get("gatewayId") for r in cr.of_type(ROUTE)] == [cr.one(IGW).id]


def test_s3_gateway_endpoint_serves_private_and_data_tables(tags: dict[str, str]) -> None:
    cr = make(tags)
    endpoint = cr.one(ENDPOINT)
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint_lookups(cr) == [{"service": "s3", "serviceType": "Gateway"}]
    assert endpoint.inputs["serviceName"] == service_name("s3", "Gateway")
    assert endpoint.inputs["vpcId"] == cr.one(VPC).id
    expected = [cr.one(RT, n).id for n in ("net-private-1", "net-private-2", "net-private-3", "net-data")]
    assert endpoint.inputs["routeTableIds"] == expected
    assert len(expected) == 4


# --------------------------------------------------------------------------- security groups


def test_default_security_group_is_stripped(tags: dict[str, str]) -> None:
    cr = make(tags)
    group = cr.one(DEFAULT_SG)
    assert group.inputs["vpcId"] == cr.one(VPC).id
    assert group.inputs["ingress"] == []
    assert group.inputs["egress"] == []


def test_interface_endpoints_are_private_and_https_from_the_vpc_only(tags: dict[str, str]) -> None:
    cr = make(tags, interface_endpoints=["ecr.api", "ecr.dkr", "sts", "logs"], extra_cidrs=["100.64.0.0/16"])
    group = cr.one(SG)
    assert group.inputs["vpcId"] == cr.one(VPC).id
    assert group.inputs["egress"] == []
    (rule,) = group.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrBlocks"] == ["10.0.0.0/16", "100.64.0.0/16"]
    assert "ipv6CidrBlocks" not in rule and "securityGroups" not in rule
    private_ids = cr.value(cr.component.private_subnet_ids)
    interface = [e for e in named(cr, ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert [e.name for e in interface] == [
        "net-vpce-ecr-api",
        "net-vpce-ecr-dkr",
        "net-vpce-logs",
        "net-vpce-sts",
    ]
    assert endpoint_lookups(cr) == [{"service": "s3", "serviceType": "Gateway"}] + [
        {"service": s, "serviceType": "Interface"} for s in ("ecr.api", "ecr.dkr", "sts", "logs")
    ]
    assert [e.inputs["serviceName"] for e in interface] == [
        service_name(s, "Interface") for s in ("ecr.api", "ecr.dkr", "logs", "sts")
    ]
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert endpoint.inputs["subnetIds"] == private_ids
        assert endpoint.inputs["securityGroupIds"] == [group.id]
        assert "routeTableIds" not in endpoint.inputs
    assert cr.value(cr.component.interface_endpoint_ids) == {
        s: cr.one(ENDPOINT, f"net-vpce-{s.replace('.', '-')}").id
        for s in ("ecr.api", "ecr.dkr", "sts", "logs")
    }
    assert cr.value(cr.component.endpoints_security_group_id) == group.id


# --------------------------------------------------------------------------- flow logs


def test_flow_logs_go_to_an_encrypted_retention_limited_group(tags: dict[str, str]) -> None:
    cr = make(tags)
    key, group, flow = cr.one(KEY), cr.one(LOG_GROUP), cr.one(FLOW_LOG)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == KMS_DELETION_WINDOW_DAYS
    policy = json.loads(key.inputs["policy"])
    admin, logs = policy["Statement"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:GenerateDataKey*" in logs["Action"] and "kms:*" not in logs["Action"]
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN}}

    assert group.inputs["name"] == LOG_GROUP_NAME
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["deletionProtectionEnabled"] is True

    assert flow.inputs["vpcId"] == cr.one(VPC).id
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert flow.inputs["maxAggregationInterval"] == 600
    assert flow.inputs["iamRoleArn"] == cr.one(ROLE).outputs["arn"]
    assert cr.one(ROLE_POLICY).urn in flow.dependencies


def test_flow_log_role_is_least_privilege(tags: dict[str, str]) -> None:
    cr = make(tags)
    role, role_policy = cr.one(ROLE), cr.one(ROLE_POLICY)
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-flow-log/*"},
    }
    assert role_policy.inputs["role"] == role.id
    write, describe = json.loads(role_policy.inputs["policy"])["Statement"]
    assert write["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert write["Resource"] == [LOG_GROUP_ARN, f"{LOG_GROUP_ARN}:*"]
    assert describe["Action"] == "logs:DescribeLogGroups"
    assert describe["Resource"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"
    actions = [a for s in json.loads(role_policy.inputs["policy"])["Statement"] for a in [s["Action"]]]
    assert "logs:CreateLogGroup" not in str(actions) and "*" not in [write["Resource"], describe["Action"]]


def test_given_key_is_used_and_none_is_made(tags: dict[str, str]) -> None:
    cr = make(tags, flow_logs_kms_key_arn=GIVEN_KEY, flow_logs_retention_days=30)
    assert KEY not in cr.counts()
    group = cr.one(LOG_GROUP)
    assert group.inputs["kmsKeyId"] == GIVEN_KEY
    assert group.inputs["retentionInDays"] == 30
    assert cr.value(cr.component.flow_logs_kms_key_arn) == GIVEN_KEY


@pytest.mark.parametrize("protect", [True, False])
def test_deletion_protection_covers_the_key_and_log_group(tags: dict[str, str], protect: bool) -> None:
    cr = make(tags, deletion_protection=protect)
    for record in (cr.one(KEY), cr.one(LOG_GROUP)):
        assert (record.protect, record.retain_on_delete) == (protect, protect)
    assert cr.one(LOG_GROUP).inputs["deletionProtectionEnabled"] is protect
    assert not any(r.protect for r in cr.children if r.type not in (KEY, LOG_GROUP))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("settings", "path", "fix"),
    [
        ({"cidr": "10.0.0.0/24"}, "cidr", "/24 is too small for 3 tiers x 3 AZs"),
        ({"cidr": "10.0.0.0/23"}, "cidr", "use /22 or larger, or fewer AZs"),
        ({"cidr": "10.0.0.0/22", "az_count": 5}, "cidr", "use /21 or larger"),
        ({"cidr": "10.0.0.1/16"}, "cidr", "has host bits set; use '10.0.0.0/16'"),
        ({"cidr": "10.0.0.0/8"}, "cidr", "from /16 to /28"),
        ({"cidr": "8.8.0.0/16"}, "cidr", "must be a private range"),
        ({"cidr": "172.17.0.0/16"}, "cidr", "Docker"),
        ({"cidr": "fd00::/56"}, "cidr", "IPv6 is not supported"),
        ({"cidr": "banana"}, "cidr", "not a CIDR block; use e.g. '10.0.0.0/16'"),
        ({"cidr": "10.0.0.0"}, "cidr", "needs a prefix length; use '10.0.0.0/32'"),
        ({"az_count": 1}, "az_count", "must be 2 to 6"),
        ({"az_count": 7}, "az_count", "use 2 with nat_gateways: single"),
        ({"nat_gateways": "multi"}, "nat_gateways", "'none', 'single' or 'per_az'"),
        ({"extra_cidrs": ["10.0.128.0/20"]}, "extra_cidrs[0]", "overlaps the VPC CIDR 10.0.0.0/16"),
        (
            {"extra_cidrs": ["100.64.0.0/16", "100.64.128.0/17"]},
            "extra_cidrs[1]",
            "overlaps extra_cidrs[0] (100.64.0.0/16); remove one",
        ),
        (
            {"extra_cidrs": ["192.168.0.0/16"]},
            "extra_cidrs[0]",
            "use a block from 10.0.0.0/8 or 100.64.0.0/10",
        ),
        ({"extra_cidrs": ["100.64.0.0/12"]}, "extra_cidrs[0]", "from /16 to /28"),
        ({"interface_endpoints": ["ecr api"]}, "interface_endpoints[0]", "e.g. 'ecr.api'"),
        ({"interface_endpoints": ["s3"]}, "interface_endpoints[0]", "already has the S3 gateway endpoint"),
        (
            {"interface_endpoints": ["sts", "sts"]},
            "interface_endpoints[1]",
            "duplicates interface_endpoints[0]",
        ),
        ({"flow_logs_retention_days": 0}, "flow_logs_retention_days", "does not offer 0 days"),
        ({"flow_logs_retention_days": 100}, "flow_logs_retention_days", "(nearest: 90, 120)"),
        ({"flow_logs_max_aggregation_interval": 300}, "flow_logs_max_aggregation_interval", "60 or 600"),
        ({"nat_gatways": "single"}, "nat_gatways", "did you mean 'nat_gateways'?"),
    ],
)
def test_bad_settings_name_the_key_and_the_fix(settings: dict[str, Any], path: str, fix: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        NetworkSettings(**settings)
    (issue,) = err.value.issues
    assert issue.path == path
    assert fix in issue.message


def test_stack_config_paths_carry_the_prefix() -> None:
    with pytest.raises(InvalidConfigError) as err:
        NetworkSettings.parse(
            {"cidr": "10.0.0.0/16", "extra_cidrs": ["100.64.0.0/16", "10.0.5.0/24"]},
            prefix="dataplatform:network",
        )
    (issue,) = err.value.issues
    assert issue.path == "dataplatform:network.extra_cidrs[1]"
    assert issue.message.startswith("overlaps the VPC CIDR 10.0.0.0/16")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidConfigError) as err:
        NetworkSettings(
            cidr="10.0.0.0/23",
            extra_cidrs=["10.0.0.0/24", "172.20.0.0/16"],
            interface_endpoints=["dynamodb"],
        )
    assert [i.path for i in err.value.issues] == [
        "cidr",
        "extra_cidrs[0]",
        "extra_cidrs[1]",
        "interface_endpoints[0]",
    ]


@pytest.mark.parametrize(
    ("args", "path", "fix"),
    [
        (
            {"flow_logs_kms_key_arn": "alias/logs"},
            "args.flow_logs_kms_key_arn",
            "not a key id or alias: CloudWatch Logs only accepts key ARNs",
        ),
        (
            {"flow_logs_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:alias/logs"},
            "args.flow_logs_kms_key_arn",
            "must be a KMS key ARN",
        ),
        (
            {"flow_logs_kms_key_arn": GIVEN_KEY, "settings": NetworkSettings(flow_logs=False)},
            "args.flow_logs_kms_key_arn",
            "drop it or set flow_logs: true",
        ),
        ({"settings": {"cidr": "10.0.0.0/16"}}, "args.settings", "must be a NetworkSettings"),
        ({"without_tag": "Owner"}, "tags.Owner", "required tag is missing"),
    ],
)
def test_bad_args_fail_before_any_resource(
    tags: dict[str, str], args: dict[str, Any], path: str, fix: str
) -> None:
    errors: list[InvalidConfigError] = []
    args = dict(args)
    tags.pop(args.pop("without_tag", ""), None)

    def program() -> None:
        try:
            Network("net", NetworkArgs(**{"settings": NetworkSettings(), "tags": tags, **args}))
        except InvalidConfigError as error:
            errors.append(error)

    run = run_program_fn(program)
    (error,) = errors
    (issue,) = error.issues
    assert issue.path == path
    assert fix in issue.message
    # The program caught the error and the run finished: anything registered before it is recorded.
    assert run.resources == []


# --------------------------------------------------------------------------- policy pack


def test_passes_the_policy_pack(tags: dict[str, str]) -> None:
    """The same rules the CLI runs (tags, KMS rotation, encrypted log groups, no open admin ports)."""
    from dpengine.check import PolicyPackSpec, evaluate, load_config

    cr = make(tags, interface_endpoints=["sts"], extra_cidrs=["100.64.0.0/16"])
    pack = Path(__file__).resolve().parent.parent / "policies"
    report = evaluate(cr.run, PolicyPackSpec.from_module(policies), load_config(pack / "dev.json"))
    assert report.violations == []
