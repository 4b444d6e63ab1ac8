"""VPC networking: the VPC, subnets, gateways, route tables, endpoints, security groups and
flow logs; the VPC endpoint service lookup.

Ids have the shapes EC2 returns (``vpc-`` + 17 hex, ``subnet-``, ``igw-``, ``nat-``,
``eipalloc-``, ``rtb-``, ``rtbassoc-``, ``vpce-``, ``sg-``, ``fl-``...), derived from the
resource type and name so that two runs give the same plan.
"""

from __future__ import annotations

from typing import Any

from ..mocks import MockContext, autoname, invoke, outputs_for

autoname("aws:ec2/securityGroup:SecurityGroup")

# The regional S3 prefix list id of us-east-1 (other regions get a derived one).
_S3_PREFIX_LISTS = {"us-east-1": "pl-63a5400a", "eu-west-1": "pl-6da54004", "us-west-2": "pl-68a54001"}


def _id(ctx: MockContext, prefix: str) -> str:
    return f"{prefix}-{ctx.hex(17, 'id')}"


def _zone_id(ctx: MockContext, zone: Any) -> str:
    letters = "abcdef"
    zone = str(zone or f"{ctx.region}a")
    index = letters.index(zone[-1]) + 1 if zone[-1:] in letters else 1
    parts = ctx.region.split("-")
    short = parts[0] + "".join(part[0] for part in parts[1:-1]) + parts[-1]  # us-east-1 -> use1
    return f"{short}-az{index}"


@outputs_for("aws:ec2/vpc:Vpc")
def _vpc(ctx: MockContext) -> dict[str, Any]:
    vpc_id = _id(ctx, "vpc")
    return {
        "__id": vpc_id,
        "arn": ctx.arn("ec2", f"vpc/{vpc_id}"),
        "ownerId": ctx.account_id,
        "defaultSecurityGroupId": f"sg-{ctx.hex(17, 'default-sg')}",
        "defaultNetworkAclId": f"acl-{ctx.hex(17, 'default-acl')}",
        "defaultRouteTableId": f"rtb-{ctx.hex(17, 'main-rtb')}",
        "mainRouteTableId": f"rtb-{ctx.hex(17, 'main-rtb')}",
        "dhcpOptionsId": f"dopt-{ctx.hex(17, 'dopt')}",
        "instanceTenancy": ctx.inputs.get("instanceTenancy", "default"),
        "enableDnsSupport": ctx.inputs.get("enableDnsSupport", True),
        "enableDnsHostnames": ctx.inputs.get("enableDnsHostnames", False),
    }


@outputs_for("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation")
def _cidr_association(ctx: MockContext) -> dict[str, Any]:
    return {"__id": _id(ctx, "vpc-cidr-assoc")}


@outputs_for("aws:ec2/subnet:Subnet")
def _subnet(ctx: MockContext) -> dict[str, Any]:
    subnet_id = _id(ctx, "subnet")
    zone = ctx.inputs.get("availabilityZone") or f"{ctx.region}a"
    return {
        "__id": subnet_id,
        "arn": ctx.arn("ec2", f"subnet/{subnet_id}"),
        "ownerId": ctx.account_id,
        "availabilityZone": zone,
        "availabilityZoneId": _zone_id(ctx, zone),
        "mapPublicIpOnLaunch": ctx.inputs.get("mapPublicIpOnLaunch", False),
    }


@outputs_for("aws:ec2/internetGateway:InternetGateway")
def _internet_gateway(ctx: MockContext) -> dict[str, Any]:
    igw_id = _id(ctx, "igw")
    return {"__id": igw_id, "arn": ctx.arn("ec2", f"internet-gateway/{igw_id}"), "ownerId": ctx.account_id}


@outputs_for("aws:ec2/eip:Eip")
def _eip(ctx: MockContext) -> dict[str, Any]:
    allocation = _id(ctx, "eipalloc")
    h = int(ctx.hex(4, "ip"), 16)
    public_ip = f"3.{(h >> 8) % 256}.{h % 256}.{(h >> 4) % 254 + 1}"
    return {
        "__id": allocation,
        "allocationId": allocation,
        "arn": ctx.arn("ec2", f"elastic-ip/{allocation}"),
        "publicIp": public_ip,
        "publicDns": f"ec2-{public_ip.replace('.', '-')}.compute-1.amazonaws.com",
        "domain": ctx.inputs.get("domain", "vpc"),
    }


@outputs_for("aws:ec2/natGateway:NatGateway")
def _nat_gateway(ctx: MockContext) -> dict[str, Any]:
    return {
        "__id": _id(ctx, "nat"),
        "networkInterfaceId": _id(ctx, "eni"),
        "publicIp": f"3.5.{int(ctx.hex(2, 'ip'), 16)}.10",
        "connectivityType": ctx.inputs.get("connectivityType", "public"),
        "availabilityMode": ctx.inputs.get("availabilityMode", "zonal"),
    }


@outputs_for("aws:ec2/routeTable:RouteTable")
def _route_table(ctx: MockContext) -> dict[str, Any]:
    rtb = _id(ctx, "rtb")
    return {"__id": rtb, "arn": ctx.arn("ec2", f"route-table/{rtb}"), "ownerId": ctx.account_id}


@outputs_for("aws:ec2/route:Route")
def _route(ctx: MockContext) -> dict[str, Any]:
    # The provider's id: "r-<route table id><hash of the destination>".
    table = ctx.inputs.get("routeTableId", "rtb-unknown")
    return {
        "__id": f"r-{table}{int(ctx.hex(8, 'dest'), 16) % 10**10}",
        "state": "active",
        "origin": "CreateRoute",
    }


@outputs_for("aws:ec2/routeTableAssociation:RouteTableAssociation")
def _route_table_association(ctx: MockContext) -> dict[str, Any]:
    return {"__id": _id(ctx, "rtbassoc")}


@outputs_for("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(ctx: MockContext) -> dict[str, Any]:
    endpoint_id = _id(ctx, "vpce")
    service = str(ctx.inputs.get("serviceName", ""))
    kind = ctx.inputs.get("vpcEndpointType", "Gateway")
    out: dict[str, Any] = {
        "__id": endpoint_id,
        "arn": ctx.arn("ec2", f"vpc-endpoint/{endpoint_id}"),
        "ownerId": ctx.account_id,
        "state": "available",
        "requesterManaged": False,
    }
    if kind == "Gateway":
        out["prefixListId"] = _S3_PREFIX_LISTS.get(ctx.region, f"pl-{ctx.hex(8, 'pl')}")
        out["cidrBlocks"] = ["16.15.192.0/18", "52.216.0.0/15"]
    else:
        short = service.split(f".{ctx.region}.", 1)[-1]
        out["dnsEntries"] = [
            {
                "dnsName": f"{endpoint_id}-{ctx.hex(8, 'dns')}.{short}.{ctx.region}.vpce.amazonaws.com",
                "hostedZoneId": "Z7HUB22UULQXV",
            }
        ]
        out["networkInterfaceIds"] = [
            f"eni-{ctx.hex(17, f'eni{i}')}" for i in range(len(ctx.inputs.get("subnetIds") or []))
        ]
    return out


@outputs_for("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
def _security_group(ctx: MockContext) -> dict[str, Any]:
    group_id = _id(ctx, "sg")
    out = {"__id": group_id, "arn": ctx.arn("ec2", f"security-group/{group_id}"), "ownerId": ctx.account_id}
    if ctx.token.endswith("DefaultSecurityGroup"):
        out["name"] = "default"
        out["description"] = "default VPC security group"
    return out


@outputs_for("aws:ec2/flowLog:FlowLog")
def _flow_log(ctx: MockContext) -> dict[str, Any]:
    flow_log_id = _id(ctx, "fl")
    return {"__id": flow_log_id, "arn": ctx.arn("ec2", f"vpc-flow-log/{flow_log_id}")}


@invoke("aws:ec2/getVpcEndpointService:getVpcEndpointService")
def _vpc_endpoint_service(ctx: MockContext, args: dict[str, Any]) -> dict[str, Any]:
    service = str(args.get("service") or "")
    name = str(args.get("serviceName") or f"com.amazonaws.{ctx.region}.{service}")
    kind = str(args.get("serviceType") or "Interface")
    short = name.split(f".{ctx.region}.", 1)[-1]
    interface = kind == "Interface"
    return {
        "id": name,
        "service": service or short,
        "serviceName": name,
        "serviceType": kind,
        "serviceId": f"vpce-svc-{ctx.hex(17, name)}",
        "owner": "amazon",
        "acceptanceRequired": False,
        "managesVpcEndpoints": False,
        "vpcEndpointPolicySupported": True,
        "availabilityZones": [f"{ctx.region}{s}" for s in "abcdef"],
        "baseEndpointDnsNames": [f"{short}.{ctx.region}.vpce.amazonaws.com"] if interface else [],
        "privateDnsName": f"{short}.{ctx.region}.amazonaws.com" if interface else "",
        "privateDnsNames": [f"{short}.{ctx.region}.amazonaws.com"] if interface else [],
        "supportedIpAddressTypes": ["ipv4"],
        "region": ctx.region,
        "serviceRegion": ctx.region,
        "tags": {},
    }
