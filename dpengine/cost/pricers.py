"""One pricing function per resource type, and the types AWS bills nothing for (see :mod:`.model`).

Each pricer reads a resource's wire inputs (and the resources its inputs came from) and returns its
line items; quantities that no plan can know come from the usage file, and each one used is added to
the assumptions with where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .model import FREE, FREE_PREFIXES, Context, Free, Line, NotPriced, Outcome, Resource, prices
from .usage import match_name

_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")
_GIB = {"": 1 / 2**30, "gi": 1.0, "g": 1e9 / 2**30, "ti": 1024.0, "t": 1e12 / 2**30, "mi": 1 / 1024}


def _dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None where a level is missing or not a mapping (a value that is
    unknown during a preview is neither)."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _gib(value: Any) -> float | None:
    """A Kubernetes quantity (``50Gi``, ``100G``) or a plain number of GiB, in GiB."""
    number = _number(value)
    if number is not None:
        return number
    match = _NUMBER.match(str(value)) if isinstance(value, str) else None
    if match is None or match.group(2).lower() not in _GIB:
        return None
    return float(match.group(1)) * _GIB[match.group(2).lower()]


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _usd(value: float) -> str:
    return f"${value:,.4f}".rstrip("0").rstrip(".") if value < 1 else f"${value:,.2f}"


# --------------------------------------------------------------------------- free by AWS pricing

_CONFIG = "configuration only: AWS bills nothing for it"
FREE.update(
    {
        "aws:iam/role:Role": "IAM is free",
        "aws:iam/rolePolicy:RolePolicy": "IAM is free",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
        "aws:iam/policy:Policy": "IAM is free",
        "aws:iam/instanceProfile:InstanceProfile": "IAM is free",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
        "aws:ec2/vpc:Vpc": "a VPC itself is free (its NAT gateways, endpoints and addresses are priced)",
        "aws:ec2/subnet:Subnet": _CONFIG,
        "aws:ec2/routeTable:RouteTable": _CONFIG,
        "aws:ec2/route:Route": _CONFIG,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": _CONFIG,
        "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (data transfer is not priced)",
        "aws:ec2/securityGroup:SecurityGroup": _CONFIG,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _CONFIG,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _CONFIG,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _CONFIG,
        "aws:ec2/flowLog:FlowLog": "its cost is its destination's: ingestion and storage are log group lines",
        "aws:ec2/launchTemplate:LaunchTemplate": "its volumes are lines of the node group that launches it",
        "aws:eks/accessEntry:AccessEntry": _CONFIG,
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _CONFIG,
        "aws:eks/addon:Addon": "AWS-published EKS add-ons are free; their pods run on the priced nodes",
        "aws:kms/alias:Alias": "aliases are free (the key is priced)",
        "aws:rds/parameterGroup:ParameterGroup": _CONFIG,
        "aws:rds/subnetGroup:SubnetGroup": _CONFIG,
        "aws:redshift/subnetGroup:SubnetGroup": _CONFIG,
        "aws:redshift/parameterGroup:ParameterGroup": _CONFIG,
        "aws:redshift/logging:Logging": "its logs land in CloudWatch log groups, priced there",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
            "its transitions shape the bucket's storage lines (transition requests are not priced)"
        ),
        "aws:s3/bucketLogging:BucketLogging": "the access logs are stored in the log bucket, priced there",
        "aws:s3/bucketNotification:BucketNotification": (
            "S3 event notifications are free; the messages are requests of the queue they land in"
        ),
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _CONFIG,
        "aws:s3/bucketPolicy:BucketPolicy": _CONFIG,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _CONFIG,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
            "configuration only (its KMS key is priced; bucket keys keep request costs low)"
        ),
        "aws:s3/bucketVersioning:BucketVersioning": "configuration (noncurrent versions are not modelled)",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": _CONFIG,
        "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration": _CONFIG,
        "aws:sqs/queuePolicy:QueuePolicy": _CONFIG,
        "aws:sqs/redrivePolicy:RedrivePolicy": _CONFIG,
        "aws:cloudwatch/eventRule:EventRule": (
            "EventBridge does not charge for AWS service events on the default bus (Karpenter's rules)"
        ),
        "aws:cloudwatch/eventTarget:EventTarget": "delivery to SQS is billed as the queue's requests",
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": "its volumes are lines of the NodePools that use it",
    }
)
FREE_PREFIXES.update(
    {
        "pulumi:providers:": "a provider is not a cloud resource",
        "dataplatform:": "a component: its children are priced one by one",
        "kubernetes:": "runs on the cluster's nodes, priced under the node group and the NodePools",
    }
)


# --------------------------------------------------------------------------- compute


@prices("eks:index:Cluster", "aws:eks/cluster:Cluster")
def _eks_cluster(resource: Resource, ctx: Context) -> Outcome:
    version = resource.inputs.get("version")
    support_type = _dig(resource.inputs, "upgradePolicy", "supportType") or "EXTENDED"
    if not isinstance(version, str):
        ctx.assume(f"{resource.name}: Kubernetes version unknown; priced at the standard-support rate")
        return [
            Line("EKS control plane (standard support)", ctx.hours, "cluster-hour", _rate(ctx, "standard"))
        ]
    extended_from = ctx.table.eks_extended_from(version)
    if ctx.today < extended_from:
        ctx.assume(
            f"{resource.name}: Kubernetes {version} is in EKS standard support on {ctx.today} "
            f"(until {extended_from})"
        )
        return [
            Line(
                f"EKS control plane, {version} (standard support)",
                ctx.hours,
                "cluster-hour",
                _rate(ctx, "standard"),
            )
        ]
    if support_type == "STANDARD":
        ctx.assume(
            f"{resource.name}: Kubernetes {version} left standard support on {extended_from}; with upgrade "
            "policy STANDARD EKS upgrades the control plane, so no extended-support rate"
        )
        return [
            Line(
                f"EKS control plane, {version} (standard support)",
                ctx.hours,
                "cluster-hour",
                _rate(ctx, "standard"),
            )
        ]
    ctx.assume(f"{resource.name}: Kubernetes {version} is in paid extended support since {extended_from}")
    return [
        Line(
            f"EKS control plane, {version} (extended support)",
            ctx.hours,
            "cluster-hour",
            _rate(ctx, "extended"),
        )
    ]


def _rate(ctx: Context, support: str) -> float:
    return ctx.prices.rate(f"eks.cluster_hour.{support}")


def _instance_lines(ctx: Context, instance_type: str, nodes: float, spot: bool, label: str) -> list[Line]:
    on_demand = ctx.prices.rate("ec2.instance_hour", instance_type, what="EC2 on-demand instance")
    if not spot:
        return [Line(f"EC2 {instance_type} on-demand{label}", nodes * ctx.hours, "instance-hour", on_demand)]
    discount = ctx.usage.spot_discount
    ctx.assume(f"spot priced at {discount:.0%} off on-demand ({ctx.usage.origin('spot_discount')})")
    unit = round(on_demand * (1 - discount), 6)
    return [
        Line(
            f"EC2 {instance_type} spot ({discount:.0%} off {_usd(on_demand)}){label}",
            nodes * ctx.hours,
            "instance-hour",
            unit,
        )
    ]


def _volume_lines(ctx: Context, nodes: float, size_gib: float, volume_type: str) -> list[Line]:
    rate = ctx.prices.rate("ebs.gb_month", volume_type, what="EBS volume")
    return [
        Line(f"EBS {volume_type} root volumes ({size_gib:g} GB each)", nodes * size_gib, "GB-month", rate)
    ]


def _root_volume(mappings: Any, size_key: str, type_key: str) -> tuple[float, str] | None:
    for mapping in _list(mappings):
        ebs = mapping.get("ebs") if isinstance(mapping, Mapping) else None
        if isinstance(ebs, Mapping):
            size = _gib(ebs.get(size_key))
            if size is not None:
                return size, str(ebs.get(type_key) or "gp3")
    return None


@prices("aws:eks/nodeGroup:NodeGroup")
def _node_group(resource: Resource, ctx: Context) -> Outcome:
    scaling = resource.inputs.get("scalingConfig") or {}
    nodes = _number(scaling.get("desiredSize"))
    if nodes is None:
        nodes = _number(scaling.get("minSize")) or 1.0
        ctx.assume(f"{resource.name}: desired size unknown; priced at {nodes:g} nodes (its minimum)")
    types = [t for t in _list(resource.inputs.get("instanceTypes")) if isinstance(t, str)]
    instance_type = types[0] if types else "t3.medium"
    if len(types) != 1:
        ctx.assume(
            f"{resource.name}: {nodes:g} nodes priced as {instance_type} (the first of its instance types)"
        )
    spot = resource.inputs.get("capacityType") == "SPOT"
    lines = _instance_lines(ctx, instance_type, nodes, spot, f", {nodes:g} nodes (desired size)")
    template = ctx.dependency(resource, "launchTemplate", "aws:ec2/launchTemplate:LaunchTemplate")
    volume = (
        _root_volume(template.inputs.get("blockDeviceMappings"), "volumeSize", "volumeType")
        if template
        else None
    )
    if volume is None:
        size = _number(resource.inputs.get("diskSize")) or 20.0
        volume = (size, "gp3")
        ctx.assume(f"{resource.name}: root volume {size:g} GB gp3 (EKS's default; no launch template volume)")
    return lines + _volume_lines(ctx, nodes, *volume)


def _requirement(requirements: Sequence[Any], key: str) -> list[str]:
    for item in requirements:
        if isinstance(item, Mapping) and item.get("key") == key and item.get("operator") == "In":
            return [str(v) for v in _list(item.get("values"))]
    return []


@prices("kubernetes:karpenter.sh/v1:NodePool")
def _node_pool(resource: Resource, ctx: Context) -> Outcome:
    name = str(_dig(resource.inputs, "metadata", "name") or resource.name)
    template = _dig(resource.inputs, "spec", "template", "spec") or {}
    requirements = _list(template.get("requirements"))
    pool = ctx.usage.karpenter.pools.get(name)
    path = f"karpenter.pools.{name}"
    nodes = pool.average_nodes if pool is not None and pool.average_nodes is not None else None
    if nodes is None:
        nodes = ctx.usage.karpenter.default_average_nodes
        ctx.assume(f"NodePool {name}: {nodes:g} average nodes (default; set usage {path}.average_nodes)")
    else:
        ctx.assume(f"NodePool {name}: {nodes:g} average nodes (usage {path}.average_nodes)")
    instance_type = pool.instance_type if pool is not None else None
    if instance_type is None:
        families = _requirement(requirements, "karpenter.k8s.aws/instance-family")
        sizes = _requirement(requirements, "karpenter.k8s.aws/instance-size")
        if not families or not sizes:
            return NotPriced(
                f"NodePool {name} names no instance family and size; set usage {path}.instance_type"
            )
        instance_type = f"{families[0]}.{sizes[0]}"
        ctx.assume(
            f"NodePool {name}: nodes priced as {instance_type} (its first family and size; "
            f"set usage {path}.instance_type)"
        )
    capacity = _requirement(requirements, "karpenter.sh/capacity-type") or ["on-demand"]
    chosen = pool.capacity_type if pool is not None and pool.capacity_type else None
    spot = chosen == "spot" if chosen else "spot" in capacity
    if chosen is None and len(capacity) > 1:
        ctx.assume(
            f"NodePool {name}: {'spot' if spot else 'on-demand'} (Karpenter prefers spot when allowed)"
        )
    lines = _instance_lines(ctx, instance_type, nodes, spot, f", {nodes:g} average nodes")
    class_name = _dig(template, "nodeClassRef", "name") or "default"
    volume = None
    for node_class in ctx.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        if _dig(node_class.inputs, "metadata", "name") == class_name:
            mappings = _dig(node_class.inputs, "spec", "blockDeviceMappings")
            volume = _root_volume(mappings, "volumeSize", "volumeType")
    if volume is None:
        volume = (20.0, "gp3")
        ctx.assume(f"NodePool {name}: root volume 20 GB gp3 (the AL2023 default; no EC2NodeClass volume)")
    return lines + _volume_lines(ctx, nodes, *volume)


@prices("aws:ec2/instance:Instance")
def _instance(resource: Resource, ctx: Context) -> Outcome:
    instance_type = resource.inputs.get("instanceType")
    if not isinstance(instance_type, str):
        return NotPriced("instance type unknown")
    return _instance_lines(ctx, instance_type, 1, False, "")


@prices("aws:ebs/volume:Volume")
def _ebs_volume(resource: Resource, ctx: Context) -> Outcome:
    size = _number(resource.inputs.get("size"))
    if size is None:
        return NotPriced("size unknown (a snapshot's size)")
    kind = str(resource.inputs.get("type") or "gp3")
    return [
        Line(f"EBS {kind} volume", size, "GB-month", ctx.prices.rate("ebs.gb_month", kind, what="EBS volume"))
    ]


@prices("kubernetes:core/v1:PersistentVolumeClaim")
def _pvc(resource: Resource, ctx: Context) -> Outcome:
    storage = _dig(resource.inputs, "spec", "resources", "requests", "storage")
    size = _gib(storage)
    if size is None:
        return NotPriced("storage request unknown")
    ctx.assume(f"{resource.name}: the claim's volume priced as EBS gp3")
    return [
        Line(
            "EBS gp3 volume (PersistentVolumeClaim)", size, "GB-month", ctx.prices.rate("ebs.gb_month", "gp3")
        )
    ]


@prices("kubernetes:core/v1:Service")
def _service(resource: Resource, ctx: Context) -> Outcome:
    if _dig(resource.inputs, "spec", "type") == "LoadBalancer":
        return NotPriced("a LoadBalancer Service makes AWS create a load balancer (hours + capacity units)")
    return Free("runs on the cluster's nodes, priced under the node group and the NodePools")


# --------------------------------------------------------------------------- network


@prices("aws:ec2/natGateway:NatGateway")
def _nat_gateway(resource: Resource, ctx: Context) -> Outcome:
    gb = ctx.usage.nat_gateway_gb_per_month
    ctx.assume(
        f"NAT gateways: {gb:g} GB processed each per month ({ctx.usage.origin('nat_gateway_gb_per_month')})"
    )
    return [
        Line("NAT gateway hours", ctx.hours, "hour", ctx.prices.rate("vpc.nat_gateway_hour")),
        Line("NAT gateway data processed", gb, "GB", ctx.prices.rate("vpc.nat_gateway_gb")),
    ]


@prices("aws:ec2/eip:Eip")
def _eip(resource: Resource, ctx: Context) -> Outcome:
    return [Line("public IPv4 address", ctx.hours, "IP-hour", ctx.prices.rate("vpc.public_ipv4_hour"))]


@prices("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(resource: Resource, ctx: Context) -> Outcome:
    kind = resource.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return Free("gateway endpoints (S3, DynamoDB) are free")
    if kind != "Interface":
        return NotPriced(f"{kind} endpoints are not in the price table")
    subnets = _list(resource.inputs.get("subnetIds"))
    azs = len(subnets) or 1
    gb = ctx.usage.interface_endpoint_gb_per_month
    ctx.assume(
        f"interface endpoints: one ENI per subnet (AZ); {gb:g} GB processed each per month "
        f"({ctx.usage.origin('interface_endpoint_gb_per_month')})"
    )
    # com.amazonaws.<region>.<service>, where the service may itself hold dots (ecr.api)
    service = str(resource.inputs.get("serviceName") or "").split(".", 3)[-1] or resource.name
    return [
        Line(
            f"interface endpoint {service}, {azs} AZs",
            azs * ctx.hours,
            "AZ-hour",
            ctx.prices.rate("vpc.interface_endpoint_az_hour"),
        ),
        Line("interface endpoint data processed", gb, "GB", ctx.prices.rate("vpc.interface_endpoint_gb")),
    ]


# --------------------------------------------------------------------------- data


def _secret_lines(ctx: Context, label: str) -> list[Line]:
    calls = ctx.usage.secret_api_calls_per_month
    ctx.assume(
        f"Secrets Manager: {calls:g} API calls per secret per month "
        f"({ctx.usage.origin('secret_api_calls_per_month')})"
    )
    return [
        Line(
            f"Secrets Manager secret{label}",
            1,
            "secret-month",
            ctx.prices.rate("secretsmanager.secret_month"),
        ),
        Line(
            "Secrets Manager API calls",
            calls / 10_000,
            "10k calls",
            ctx.prices.rate("secretsmanager.api_calls_10k"),
        ),
    ]


@prices("aws:rds/instance:Instance")
def _rds_instance(resource: Resource, ctx: Context) -> Outcome:
    inputs = resource.inputs
    engine = str(inputs.get("engine") or "postgres")
    instance_class = inputs.get("instanceClass")
    if not isinstance(instance_class, str):
        return NotPriced("instance class unknown")
    hourly = ctx.prices.rate(f"rds.instance_hour.{engine}", instance_class, what=f"RDS {engine} instance")
    multi_az = inputs.get("multiAz") is True
    copies = 2 if multi_az else 1
    deployment = "Multi-AZ (primary + standby)" if multi_az else "Single-AZ"
    allocated = _number(inputs.get("allocatedStorage")) or 20.0
    storage_type = str(inputs.get("storageType") or "gp2")
    lines = [
        Line(f"RDS {instance_class} {engine}, {deployment}", copies * ctx.hours, "instance-hour", hourly),
        Line(
            f"RDS {storage_type} storage, {allocated:g} GB{' x 2' if multi_az else ''}",
            copies * allocated,
            "GB-month",
            ctx.prices.rate("rds.storage_gb_month", storage_type, what="RDS storage"),
        ),
    ]
    maximum = _number(inputs.get("maxAllocatedStorage"))
    if maximum and maximum > allocated:
        ctx.assume(
            f"{resource.name}: storage at its allocated {allocated:g} GB "
            f"(autoscaling may grow it to {maximum:g} GB)"
        )
    retention = _number(inputs.get("backupRetentionPeriod"))
    retention = 1.0 if retention is None else retention
    found = match_name(ctx.usage.rds_data_gb, resource.name, str(inputs.get("identifier") or ""))
    data_gb = found[1] if found else allocated
    change = ctx.usage.rds_daily_change_fraction
    backup = data_gb + data_gb * change * retention if retention > 0 else 0.0
    billable = max(0.0, backup - allocated)
    ctx.assume(
        f"{resource.name}: backups = {data_gb:g} GB of data "
        f"({'usage rds_data_gb' if found else 'default: allocated storage'}) + {change:.0%} of it per "
        f"retained day ({ctx.usage.origin('rds_daily_change_fraction')}) x {retention:g} days; "
        f"free up to the {allocated:g} GB provisioned"
    )
    lines.append(
        Line(
            "RDS backup storage beyond the free allowance",
            round(billable, 4),
            "GB-month",
            ctx.prices.rate("rds.backup_gb_month"),
        )
    )
    if inputs.get("manageMasterUserPassword") is True:
        lines += _secret_lines(ctx, " (RDS-managed master password)")
    return lines


@prices("aws:redshift/cluster:Cluster")
def _redshift(resource: Resource, ctx: Context) -> Outcome:
    node_type = resource.inputs.get("nodeType")
    if not isinstance(node_type, str):
        return NotPriced("node type unknown")
    nodes = (
        1.0
        if resource.inputs.get("clusterType") == "single-node"
        else _number(resource.inputs.get("numberOfNodes")) or 1.0
    )
    lines = [
        Line(
            f"Redshift {node_type}, {nodes:g} nodes",
            nodes * ctx.hours,
            "node-hour",
            ctx.prices.rate("redshift.node_hour", node_type, what="Redshift node"),
        )
    ]
    if node_type.startswith("ra3."):
        gb = ctx.usage.redshift_managed_storage_gb
        ctx.assume(
            f"{resource.name}: {gb:g} GB managed storage ({ctx.usage.origin('redshift_managed_storage_gb')})"
        )
        lines.append(
            Line(
                "Redshift managed storage",
                gb,
                "GB-month",
                ctx.prices.rate("redshift.managed_storage_gb_month"),
            )
        )
    if resource.inputs.get("manageMasterPassword") is True:
        lines += _secret_lines(ctx, " (Redshift-managed admin password)")
    return lines


@prices("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
def _kms_key(resource: Resource, ctx: Context) -> Outcome:
    requests = ctx.usage.kms_requests_per_key
    ctx.assume(f"KMS: {requests:g} requests per key per month ({ctx.usage.origin('kms_requests_per_key')})")
    return [
        Line("KMS customer managed key", 1, "key-month", ctx.prices.rate("kms.key_month")),
        Line("KMS requests", requests / 10_000, "10k requests", ctx.prices.rate("kms.requests_10k")),
    ]


@prices("aws:secretsmanager/secret:Secret")
def _secret(resource: Resource, ctx: Context) -> Outcome:
    return _secret_lines(ctx, "")


@prices("aws:cloudwatch/logGroup:LogGroup")
def _log_group(resource: Resource, ctx: Context) -> Outcome:
    name = str(resource.inputs.get("name") or resource.name)
    logs = ctx.usage.logs
    found = match_name(logs.ingest_gb_per_month, name, resource.name)
    ingest = found[1] if found else logs.default_ingest_gb_per_month
    origin = (
        f"usage logs.ingest_gb_per_month[{found[0]!r}]"
        if found
        else "default; set usage logs.ingest_gb_per_month"
    )
    retention = _number(resource.inputs.get("retentionInDays"))
    kept_days = retention if retention else 365.0
    stored = ingest * kept_days / 30.0 * logs.compression_ratio
    ctx.assume(
        f"log group {name}: {ingest:g} GB ingested per month ({origin}); stored = {kept_days:g} days of it"
        f"{'' if retention else ' (never expires: one year counted)'} "
        f"x {logs.compression_ratio:g} compression"
    )
    return [
        Line("CloudWatch Logs ingestion", ingest, "GB", ctx.prices.rate("logs.ingest_gb")),
        Line(
            "CloudWatch Logs storage", round(stored, 4), "GB-month", ctx.prices.rate("logs.storage_gb_month")
        ),
    ]


@prices("aws:sqs/queue:Queue")
def _queue(resource: Resource, ctx: Context) -> Outcome:
    name = str(resource.inputs.get("name") or resource.name)
    sqs = ctx.usage.sqs
    found = match_name(sqs.requests_per_month, name, resource.name)
    requests = found[1] if found else sqs.default_requests_per_month
    origin = (
        f"usage sqs.requests_per_month[{found[0]!r}]"
        if found
        else "default; set usage sqs.requests_per_month"
    )
    kind = "fifo" if resource.inputs.get("fifoQueue") is True else "standard"
    ctx.assume(
        f"queue {name}: {requests:g} requests per month ({origin}); the account's free million not deducted"
    )
    return [
        Line(
            f"SQS {kind} requests",
            requests / 1e6,
            "million requests",
            ctx.prices.rate("sqs.requests_million", kind),
        )
    ]


@prices("aws:backup/vault:Vault")
def _backup_vault(resource: Resource, ctx: Context) -> Outcome:
    gb = ctx.usage.backup_vault_gb
    ctx.assume(
        f"{resource.name}: {gb:g} GB of backups in warm storage ({ctx.usage.origin('backup_vault_gb')})"
    )
    return [Line("AWS Backup warm storage", gb, "GB-month", ctx.prices.rate("backup.warm_storage_gb_month"))]


@prices("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
def _replication(resource: Resource, ctx: Context) -> Outcome:
    return NotPriced(
        "inter-region replication transfer (per GB replicated); the replica's storage is priced on the "
        "replica bucket in the destination region"
    )


from . import entry as _entry  # noqa: E402, F401 the controller's ALBs: registered there
from . import operations as _operations  # noqa: E402, F401 alarms, budgets, backups: registered there
from .storage import s3_bucket_lines  # noqa: E402 the S3 model lives beside; registered here


@prices("aws:s3/bucket:Bucket")
def _bucket(resource: Resource, ctx: Context) -> Outcome:
    return s3_bucket_lines(resource, ctx)
