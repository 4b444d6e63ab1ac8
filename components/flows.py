"""The stack's data flows, as plain data: every hop data takes, and what each hop needs.

:func:`data_flows` turns the stack config (which services read and write which layers, who consumes
which queue, who connects to the warehouse) plus the identities the run made (ARNs, security group
ids: :class:`FlowReferences`) into a JSON-able document. The stack program exports it as the stack
output ``dataFlows``; the policy pack's ``data-flows`` rule (``policies/system/flows.py``) proves each
hop on the plan: the network (security groups, NetworkPolicies both ways, DNS), the identity (IAM on
the real request and ARN, KMS key policies included), the Kubernetes wiring and the database grants.
Any Pulumi program may export a document of the same shape (README: Data flows); nothing here
registers a resource.

Hops that need a feature are declared when the settings have it (a service's ``ingress``, a queue's
``producers``, the warehouse's ``migration`` job), or when the caller names it in ``features`` (see
:data:`FEATURES`; ``egress``, default-deny egress, has no setting of its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .stack_config import ServiceConfig, StackConfig

FLOWS_VERSION = 1
OUTPUT_NAME = "dataFlows"
"""The stack output the proof reads."""

FEATURES = frozenset({"entry", "producers", "database-users", "egress"})
"""Features whose hops are declared only on request: ``entry`` (an ALB Ingress in front of each
service with a port, its NetworkPolicy admitting the load balancer), ``producers`` (lake prefix
events feed each consumed queue: S3 notifications and the queue and key policies that let S3 send),
``database-users`` (the migration job's grants per service user; services cannot read the master
secret), ``egress`` (default-deny egress: a service without warehouse access cannot reach it)."""

PROOF_OBJECT = "flow-proof/part-00000.parquet"
"""The object key (under a layer's prefix) the lake hops ask about."""
PROOF_TABLE = "flow_proof"
"""The table name (in a layer's database) the catalog hops ask about."""
WORKLOAD_KINDS = {"deployment": "Deployment", "cronjob": "CronJob", "scaledjob": "ScaledJob", "job": "Job"}
READ_ACTIONS = ("s3:GetObject",)
WRITE_ACTIONS = ("s3:PutObject",)
SQL_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
SQL_READ = ("SELECT",)


@dataclass(frozen=True)
class FlowReferences:
    """What the run made, as plain values (resolved outputs): the identities hops name."""

    account: str
    lake_bucket_arns: Mapping[str, str]
    """Layer -> the ARN of the bucket holding it."""
    lake_layer_prefixes: Mapping[str, str]
    """Layer -> its key prefix in that bucket (``""`` for a bucket per layer)."""
    lake_kms_key_arn: str
    catalog_arn: str | None = None
    catalog_database_names: Mapping[str, str] = field(default_factory=dict)
    catalog_kms_key_arn: str | None = None
    queue_arns: Mapping[str, str] = field(default_factory=dict)
    """Service -> the ARN of the queue it consumes."""
    queue_kms_key_arns: Mapping[str, str] = field(default_factory=dict)
    """Service -> its queue's customer key (absent: SQS-managed encryption)."""
    node_security_group_id: str | None = None
    warehouse_security_group_id: str | None = None
    warehouse_port: int | None = None
    warehouse_resource_id: str | None = None
    warehouse_master_secret_arn: str | None = None
    workgroup_arn: str | None = None
    results_bucket_arn: str | None = None
    results_kms_key_arn: str | None = None
    analyst_policy_arn: str | None = None


def _workload(service: ServiceConfig) -> dict[str, str]:
    return {
        "kind": WORKLOAD_KINDS[service.kind],
        "namespace": service.namespace_name,
        "name": service.name,
    }


def _object(refs: FlowReferences, layer: str) -> str:
    return f"{refs.lake_bucket_arns[layer]}/{refs.lake_layer_prefixes.get(layer, '')}{PROOF_OBJECT}"


def _lake_hop(
    config: StackConfig, refs: FlowReferences, principal: dict[str, Any], layer: str, write: bool, expect: str
) -> dict[str, Any]:
    who = principal.get("label", "")
    return {
        "name": f"{who} {'writes' if write else 'reads'} {layer}",
        "kind": "iam",
        "expect": expect,
        "principal": principal,
        "actions": list(WRITE_ACTIONS if write else READ_ACTIONS),
        "resource": _object(refs, layer),
        # Objects are SSE-KMS with the lake key: a write generates a data key, a read decrypts it.
        "kms": {
            "keyArn": refs.lake_kms_key_arn,
            "actions": ["kms:GenerateDataKey"] if write else ["kms:Decrypt"],
            "viaService": f"s3.{config.region}.amazonaws.com",
        },
    }


def _catalog_hop(
    config: StackConfig, refs: FlowReferences, principal: dict[str, Any], layer: str, write: bool
) -> dict[str, Any] | None:
    if refs.catalog_arn is None or layer not in refs.catalog_database_names:
        return None
    prefix = refs.catalog_arn.removesuffix(":catalog")
    database = refs.catalog_database_names[layer]
    return {
        "name": f"{principal.get('label', '')} {'updates' if write else 'reads'} the {layer} tables",
        "kind": "iam",
        "expect": "allow",
        "principal": principal,
        "actions": ["glue:UpdateTable"] if write else ["glue:GetTable"],
        # Glue authorises a table call on the catalog, the database and the table together.
        "resources": [
            refs.catalog_arn,
            f"{prefix}:database/{database}",
            f"{prefix}:table/{database}/{PROOF_TABLE}",
        ],
        **(
            {
                "kms": {
                    "keyArn": refs.catalog_kms_key_arn,
                    "actions": ["kms:GenerateDataKey"] if write else ["kms:Decrypt"],
                    "viaService": f"glue.{config.region}.amazonaws.com",
                    # The catalog key of the stack that owns the account's catalog encryption (not in
                    # this plan): the shared key builder gives the account its administration, so IAM
                    # policies decide (components/iam.py kms_account_admin_statement).
                    **(
                        {}
                        if config.catalog.manage_encryption_settings
                        else {"assumeKeyPolicy": "account-administered"}
                    ),
                }
            }
            if refs.catalog_kms_key_arn
            else {}
        ),
    }


def _principal(service: ServiceConfig) -> dict[str, Any]:
    return {"workload": _workload(service), "label": service.name}


def _ingress(service: ServiceConfig) -> Any:
    """The service's ALB entry settings (``ingress``), when its settings have them."""
    return getattr(service, "ingress", None)


def _entry_hops(config: StackConfig, service: ServiceConfig) -> list[dict[str, Any]]:
    plan = config.network.subnet_plan()
    # IP targets: the ALB's nodes connect from their addresses in the subnets the controller puts it
    # in: the public ones for an internet-facing ALB, the private ones for an internal one.
    scheme = getattr(_ingress(service), "scheme", "internal")
    sources = sorted(plan.get("public" if scheme == "internet-facing" else "private", []))
    return [
        {
            "name": f"ALB routes to {service.name}",
            "kind": "ingress",
            "expect": "allow",
            "service": {"namespace": service.namespace_name, "name": service.name},
            "port": service.service_port or service.port,
        },
        {
            "name": f"ALB reaches {service.name} pods on {service.port}",
            "kind": "network-policy",
            "expect": "allow",
            "from": {"cidrs": sources},
            "to": {"workload": _workload(service)},
            "port": service.port,
            "protocol": "TCP",
        },
    ]


def _lake_events(service: ServiceConfig, features: frozenset[str]) -> list[dict[str, Any]]:
    """The lake prefix events that feed the service's queue: its settings' ``queue.producers.lake_events``
    when they exist; with the ``producers`` feature and none declared, the layers the service reads."""
    producers = getattr(service.queue, "producers", None)
    declared = [
        {"layer": e.layer, "events": list(e.events), "suffix": getattr(e, "suffix", None)}
        for e in getattr(producers, "lake_events", None) or []
    ]
    if declared or "producers" not in features:
        return declared
    return [{"layer": layer, "events": ["s3:ObjectCreated:*"]} for layer in service.lake_access.read]


def _producer_hops(config: StackConfig, refs: FlowReferences, service: ServiceConfig) -> list[dict[str, Any]]:
    """Services of the stack that send to another service's queue (``queue.access: produce``)."""
    queue = service.queue
    if queue is None or getattr(queue, "access", "consume") != "produce" or queue.from_service is None:
        return []
    target = queue.from_service
    arn = refs.queue_arns.get(target)
    if arn is None:
        return []
    key = refs.queue_kms_key_arns.get(target)
    return [
        {
            "name": f"{service.name} sends to {target}'s queue",
            "kind": "iam",
            "expect": "allow",
            "principal": _principal(service),
            "actions": ["sqs:SendMessage"],
            "resource": arn,
            **(
                {
                    "kms": {
                        "keyArn": key,
                        "actions": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "viaService": f"sqs.{config.region}.amazonaws.com",
                    }
                }
                if key
                else {}
            ),
        }
    ]


def _queue_hops(
    config: StackConfig, refs: FlowReferences, service: ServiceConfig, features: frozenset[str]
) -> list[dict[str, Any]]:
    queue = refs.queue_arns.get(service.name)
    if queue is None or getattr(service.queue, "access", "consume") != "consume":
        return _producer_hops(config, refs, service)
    key = refs.queue_kms_key_arns.get(service.name)
    hops: list[dict[str, Any]] = []
    for source in _lake_events(service, features):
        layer = source["layer"]
        if layer in refs.lake_bucket_arns:
            bucket = refs.lake_bucket_arns[layer]
            hops.append(
                {
                    "name": f"{layer} object events reach {service.name}'s queue",
                    "kind": "s3-notification",
                    "expect": "allow",
                    "bucketArn": bucket,
                    "prefix": refs.lake_layer_prefixes.get(layer, ""),
                    "queueArn": queue,
                    "events": source["events"],
                    **({"suffix": source["suffix"]} if source.get("suffix") else {}),
                }
            )
            hops.append(
                {
                    "name": f"S3 may send {layer} events to {service.name}'s queue",
                    "kind": "iam",
                    "expect": "allow",
                    "principal": {"service": "s3.amazonaws.com", "label": "S3"},
                    "actions": ["sqs:SendMessage"],
                    "resource": queue,
                    "context": {"aws:SourceArn": bucket, "aws:SourceAccount": refs.account},
                    **(
                        {"kms": {"keyArn": key, "actions": ["kms:GenerateDataKey", "kms:Decrypt"]}}
                        if key
                        else {}
                    ),
                }
            )
    hops.append(
        {
            "name": f"{service.name} receives from its queue",
            "kind": "iam",
            "expect": "allow",
            "principal": _principal(service),
            "actions": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "resource": queue,
            **(
                {
                    "kms": {
                        "keyArn": key,
                        "actions": ["kms:Decrypt"],
                        "viaService": f"sqs.{config.region}.amazonaws.com",
                    }
                }
                if key
                else {}
            ),
        }
    )
    return hops


def _warehouse_hops(
    config: StackConfig, refs: FlowReferences, service: ServiceConfig, features: frozenset[str]
) -> list[dict[str, Any]]:
    port = refs.warehouse_port
    data = config.network.subnet_plan().get("data", [])
    hops: list[dict[str, Any]] = []
    if service.warehouse_access is None:
        if "egress" in features and port is not None:
            hops.append(
                {
                    "name": f"{service.name} cannot reach the warehouse port",
                    "kind": "network-policy",
                    "expect": "deny",
                    "from": {"workload": _workload(service)},
                    "to": {"cidrs": data},
                    "port": port,
                    "protocol": "TCP",
                }
            )
        if refs.warehouse_resource_id is not None:
            users = sorted({s.warehouse_user for s in config.services if s.warehouse_user}) or ["postgres"]
            hops += [_connect_hop(config, refs, service, user, "deny") for user in users]
        return hops
    if port is not None:
        hops.append(
            {
                "name": f"{service.name} pods reach the warehouse subnets on {port}",
                "kind": "network-policy",
                "expect": "allow",
                "from": {"workload": _workload(service)},
                "to": {"cidrs": data},
                "port": port,
                "protocol": "TCP",
            }
        )
    if refs.node_security_group_id and refs.warehouse_security_group_id and port is not None:
        hops.append(
            {
                "name": f"nodes of {service.name} pass the warehouse security group on {port}",
                "kind": "security-group",
                "expect": "allow",
                "from": {"securityGroupId": refs.node_security_group_id},
                "to": {"securityGroupId": refs.warehouse_security_group_id},
                "port": port,
                "protocol": "tcp",
                # pulumi-eks makes the node security group inside its component (invisible in the plan)
                # with an allow-all egress rule (pulumi/pulumi-eks nodejs/eks/securitygroup.ts,
                # "eksNodeInternetEgressRule").
                "assume": ["the node security group's egress is open (pulumi-eks eksNodeInternetEgressRule)"],
            }
        )
    user = service.warehouse_user
    if user is not None and refs.warehouse_resource_id is not None:
        hops.append(_connect_hop(config, refs, service, user, "allow"))
    if _database_users(config, features) and user is not None:
        write = service.warehouse_access == "write"
        hops.append(
            {
                "name": f"{user} may {'change' if write else 'read'} the warehouse tables",
                "kind": "db-grant",
                "expect": "allow",
                "user": user,
                "privileges": list(SQL_WRITE if write else SQL_READ),
                # RDS IAM authentication needs the rds_iam role; Redshift's IAM credentials do not.
                "iamAuth": config.warehouse.engine == "postgres",
            }
        )
        if not write:
            hops.append(
                {
                    "name": f"{user} cannot write the warehouse",
                    "kind": "db-grant",
                    "expect": "deny",
                    "user": user,
                    "privileges": ["INSERT", "UPDATE", "DELETE"],
                }
            )
    return hops


def _database_users(config: StackConfig, features: frozenset[str]) -> bool:
    """Whether services have database users of their own (the warehouse's ``migration`` job makes
    them), or the ``database-users`` feature says so."""
    return "database-users" in features or getattr(config.warehouse, "migration", None) is not None


def _connect_hop(
    config: StackConfig, refs: FlowReferences, service: ServiceConfig, user: str, expect: str
) -> dict[str, Any]:
    resource = f"arn:aws:rds-db:{config.region}:{refs.account}:dbuser:{refs.warehouse_resource_id}/{user}"
    return {
        "name": f"{service.name} {'connects' if expect == 'allow' else 'cannot connect'} as {user}",
        "kind": "iam",
        "expect": expect,
        "principal": _principal(service),
        "actions": ["rds-db:connect"],
        "resource": resource,
    }


def _service_flow(
    config: StackConfig, refs: FlowReferences, service: ServiceConfig, features: frozenset[str]
) -> dict[str, Any]:
    access = service.lake_access
    catalog = service.catalog_access
    principal = _principal(service)
    hops: list[dict[str, Any]] = []
    path: list[str] = []
    if service.port is not None and (_ingress(service) is not None or "entry" in features):
        hops += _entry_hops(config, service)
        path += ["client", "ALB"]
    if service.port is not None:
        hops.append(
            {
                "name": f"Service {service.name} selects its pods",
                "kind": "service-endpoints",
                "expect": "allow",
                "service": {"namespace": service.namespace_name, "name": service.name},
                "port": service.service_port or service.port,
                "workload": _workload(service),
            }
        )
    queue_hops = _queue_hops(config, refs, service, features)
    events = _lake_events(service, features)
    if events:
        path += [f"{'/'.join(e['layer'] for e in events)} event"]
    elif access.read:
        path += ["/".join(access.read)]
    if queue_hops and service.queue is not None and getattr(service.queue, "access", "consume") == "consume":
        path.append("queue")
    hops += queue_hops
    hops.append(
        {
            "name": f"{service.name} pods assume their IRSA role",
            "kind": "workload-identity",
            "expect": "allow",
            "workload": _workload(service),
        }
    )
    path.append(service.name)
    for layer in access.read:
        hops.append(_lake_hop(config, refs, principal, layer, False, "allow"))
    for layer in access.write:
        hops.append(_lake_hop(config, refs, principal, layer, True, "allow"))
    for layer in catalog.read:
        hop = _catalog_hop(config, refs, principal, layer, False)
        if hop is not None:
            hops.append(hop)
    for layer in catalog.write:
        hop = _catalog_hop(config, refs, principal, layer, True)
        if hop is not None:
            hops.append(hop)
    path += list(access.write)
    hops += _warehouse_hops(config, refs, service, features)
    if service.warehouse_access is not None:
        path.append("warehouse")
    # Least privilege: each layer it does not write is refused to its writes, each layer it neither
    # reads nor writes to its reads.
    for layer in refs.lake_bucket_arns:
        if layer not in access.write:
            hops.append(_negative(_lake_hop(config, refs, principal, layer, True, "deny")))
        if layer not in access.write and layer not in access.read:
            hops.append(_negative(_lake_hop(config, refs, principal, layer, False, "deny")))
    if _database_users(config, features) and refs.warehouse_master_secret_arn:
        hops.append(
            {
                "name": f"{service.name} cannot read the warehouse master secret",
                "kind": "iam",
                "expect": "deny",
                "principal": principal,
                "actions": ["secretsmanager:GetSecretValue"],
                "resource": refs.warehouse_master_secret_arn,
            }
        )
    return {"name": service.name, "path": path, "hops": hops}


def _negative(hop: dict[str, Any]) -> dict[str, Any]:
    """A refused request: the KMS half says nothing (the key may serve other layers)."""
    hop = dict(hop)
    hop.pop("kms", None)
    hop["name"] = hop["name"].replace(" writes ", " cannot write ").replace(" reads ", " cannot read ")
    return hop


def _analyst_flow(config: StackConfig, refs: FlowReferences) -> dict[str, Any] | None:
    if refs.analyst_policy_arn is None or refs.workgroup_arn is None or "gold" not in refs.lake_bucket_arns:
        return None
    # The policy is attached by the account's identity team: the proof asks as a role holding it.
    principal = {
        "policyArns": [refs.analyst_policy_arn],
        "as": f"arn:aws:iam::{refs.account}:role/analyst",
        "label": "analysts",
    }
    workgroup_prefix = refs.workgroup_arn.rsplit("/", 1)[0]
    hops: list[dict[str, Any]] = [
        {
            "name": "analysts run queries in the workgroup",
            "kind": "iam",
            "expect": "allow",
            "principal": principal,
            "actions": ["athena:StartQueryExecution", "athena:GetQueryResults"],
            "resource": refs.workgroup_arn,
        },
        {
            "name": "analysts cannot use another workgroup",
            "kind": "iam",
            "expect": "deny",
            "principal": principal,
            "actions": ["athena:StartQueryExecution"],
            "resource": f"{workgroup_prefix}/primary",
        },
    ]
    catalog = _catalog_hop(config, refs, principal, "gold", False)
    if catalog is not None:
        hops.append(catalog)
    hops.append(_lake_hop(config, refs, principal, "gold", False, "allow"))
    if refs.results_bucket_arn is not None:
        hops.append(
            {
                "name": "Athena writes the analysts' results",
                "kind": "iam",
                "expect": "allow",
                "principal": principal,
                "actions": ["s3:PutObject", "s3:GetObject"],
                "resource": f"{refs.results_bucket_arn}/results/{PROOF_OBJECT}",
                **(
                    {
                        "kms": {
                            "keyArn": refs.results_kms_key_arn,
                            "actions": ["kms:GenerateDataKey", "kms:Decrypt"],
                            "viaService": f"s3.{config.region}.amazonaws.com",
                        }
                    }
                    if refs.results_kms_key_arn
                    else {}
                ),
            }
        )
    for layer in refs.lake_bucket_arns:
        if layer != "gold":
            hops.append(_negative(_lake_hop(config, refs, principal, layer, False, "deny")))
        hops.append(_negative(_lake_hop(config, refs, principal, layer, True, "deny")))
    return {"name": "analysts", "path": ["analysts", "Athena", "gold"], "hops": hops}


def data_flows(config: StackConfig, refs: FlowReferences, features: Iterable[str] = ()) -> dict[str, Any]:
    """The stack's data flows: one per service, and the analysts' (``dataFlows``, version 1).

    ``features`` names the features of :data:`FEATURES` whose hops are declared (none by default).
    """
    enabled = frozenset(features)
    unknown = sorted(enabled - FEATURES)
    if unknown:
        raise ValueError(f"unknown flow features {unknown}; use some of {sorted(FEATURES)}")
    flows = [_service_flow(config, refs, s, enabled) for s in config.services]
    analysts = _analyst_flow(config, refs)
    if analysts is not None:
        flows.append(analysts)
    return {"version": FLOWS_VERSION, "flows": flows}
