"""The plan as Terraform plan JSON (``terraform show -json``), for checkov, Trivy or KICS.

Shape: https://developer.hashicorp.com/terraform/internals/json-format (``format_version``,
``planned_values.root_module.resources[]``, ``resource_changes[]``, ``configuration.root_module
.resources[].expressions`` with ``references``). Values go back from Pulumi's wire shape to
Terraform's: camelCase names to snake_case; a single nested object (Pulumi flattens Terraform's
``MaxItems: 1`` blocks) to a one-element list; the list blocks Pulumi pluralized back to their
Terraform block name (:data:`BLOCK_NAMES`); maps (tags, labels) untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..diff import plan_states
from .types import snake, terraform_type

FORMAT_VERSION = "1.2"
PROVIDER = "registry.terraform.io/hashicorp/aws"

# (pulumi type or "*", wire name) -> Terraform block name, where the bridge renamed a list block.
BLOCK_NAMES: dict[tuple[str, str], str] = {
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "rules"): "rule",
    (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "rules",
    ): "rule",
    ("*", "transitions"): "transition",
    ("*", "noncurrentVersionTransitions"): "noncurrent_version_transition",
    ("aws:eks/nodeGroup:NodeGroup", "taints"): "taint",
    ("aws:s3/bucketNotification:BucketNotification", "queues"): "queue",
    ("aws:rds/parameterGroup:ParameterGroup", "parameters"): "parameter",
    ("aws:rds/clusterParameterGroup:ClusterParameterGroup", "parameters"): "parameter",
    ("aws:redshift/parameterGroup:ParameterGroup", "parameters"): "parameter",
}


def _is_map(key: str) -> bool:
    """String maps keep their keys (tag keys, label keys are data, not attribute names)."""
    return key in ("tags", "tagsAll", "labels", "annotations", "variables") or key.endswith("Tags")


def terraform_values(token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's wire inputs as Terraform attribute values."""
    if token == "eks:index:Cluster":
        return _eks_cluster(inputs)
    return _block(token, inputs)


def _tf_key(token: str, key: str) -> str:
    return BLOCK_NAMES.get((token, key)) or BLOCK_NAMES.get(("*", key)) or snake(key)


def _block(token: str, value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if _is_map(key) and isinstance(item, dict):
            out[snake(key)] = dict(item)
        elif isinstance(item, dict):
            out[snake(key)] = [_block(token, item)]
        elif isinstance(item, list) and item and all(isinstance(x, dict) for x in item):
            out[_tf_key(token, key)] = [_block(token, x) for x in item]
        else:
            out[snake(key)] = item
    return out


def _eks_cluster(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """pulumi-eks's Cluster inputs as the aws_eks_cluster it creates (pulumi-eks nodejs/eks/cluster.ts)."""
    subnets = list(inputs.get("privateSubnetIds") or []) + list(inputs.get("publicSubnetIds") or [])
    subnets += list(inputs.get("subnetIds") or [])
    vpc: dict[str, Any] = {
        "subnet_ids": subnets,
        "endpoint_private_access": bool(inputs.get("endpointPrivateAccess", False)),
        "endpoint_public_access": bool(inputs.get("endpointPublicAccess", True)),
    }
    if inputs.get("publicAccessCidrs") is not None:
        vpc["public_access_cidrs"] = list(inputs["publicAccessCidrs"])
    values: dict[str, Any] = {
        "name": inputs.get("name"),
        "version": inputs.get("version"),
        "vpc_config": [vpc],
        "enabled_cluster_log_types": list(inputs.get("enabledClusterLogTypes") or []),
        "bootstrap_self_managed_addons": inputs.get("bootstrapSelfManagedAddons", True),
        "tags": dict(inputs.get("tags") or {}),
    }
    if inputs.get("encryptionConfigKeyArn"):
        values["encryption_config"] = [
            {"resources": ["secrets"], "provider": [{"key_arn": inputs["encryptionConfigKeyArn"]}]}
        ]
    if inputs.get("authenticationMode"):
        values["access_config"] = [{"authentication_mode": inputs["authenticationMode"]}]
    if isinstance(inputs.get("upgradePolicy"), dict):
        values["upgrade_policy"] = [_block("aws:eks/cluster:Cluster", inputs["upgradePolicy"])]
    return values


def _address_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    if not re.match(r"[A-Za-z_]", base):
        base = "_" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def terraform_plan(plan: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The Terraform plan JSON of a plan, and the URNs left out (no Terraform resource)."""
    states = plan_states(plan)
    addresses: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    skipped: list[str] = []
    for urn in sorted(states):
        tf_type = terraform_type(states[urn]["type"])
        if tf_type is None:
            # Kubernetes objects are the other export's; providers and components have no resource.
            if states[urn].get("custom") and not states[urn]["type"].startswith(("kubernetes:", "pulumi:")):
                skipped.append(urn)
            continue
        name = _address_name(urn.rsplit("::", 1)[-1], names.setdefault(tf_type, set()))
        addresses[urn] = f"{tf_type}.{name}"
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configuration: list[dict[str, Any]] = []
    for urn, address in addresses.items():
        state = states[urn]
        tf_type, name = address.split(".", 1)
        values = terraform_values(state["type"], state.get("inputs", {}))
        common = {
            "address": address,
            "mode": "managed",
            "type": tf_type,
            "name": name,
            "provider_name": PROVIDER,
        }
        planned.append({**common, "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append(
            {
                **common,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": {},
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        configuration.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "expressions": _expressions(state, values, addresses),
                "schema_version": 0,
            }
        )
    document = {
        "format_version": FORMAT_VERSION,
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER}},
            "root_module": {"resources": configuration},
        },
    }
    return document, skipped


def _expressions(
    state: Mapping[str, Any], values: Mapping[str, Any], addresses: Mapping[str, str]
) -> dict[str, Any]:
    """Per attribute: ``references`` to the resources whose outputs it uses, else its constant."""
    refs_by_key: dict[str, list[str]] = {}
    for key, urns in (state.get("propertyDependencies") or {}).items():
        refs: list[str] = []
        for urn in urns:
            if urn in addresses:
                attribute = "arn" if "arn:" in str(state.get("inputs", {}).get(key, "")) else "id"
                refs += [f"{addresses[urn]}.{attribute}", addresses[urn]]
        if refs:
            refs_by_key[_tf_key(state["type"], key)] = refs
    out: dict[str, Any] = {}
    for key, value in values.items():
        out[key] = {"references": refs_by_key[key]} if key in refs_by_key else {"constant_value": value}
    for key, refs in refs_by_key.items():
        out.setdefault(key, {"references": refs})
    return out
