"""Resource transforms for the hidden ``aws.eks.Cluster`` inside the pulumi-eks component.

pulumi-eks is a multi-language component: its children are built in the plugin, where no input of
the component reaches some of their settings. Engine-side transforms do reach them, so these two
set what the component cannot. They only read and rewrite the transform arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

__all__ = ["disable_cluster_creator_admin", "protect_transform"]

_CLUSTER = "aws:eks/cluster:Cluster"

Transform = Callable[[pulumi.ResourceTransformArgs], "pulumi.ResourceTransformResult | None"]


def disable_cluster_creator_admin(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Transform for the pulumi-eks component: create its ``aws.eks.Cluster`` without the implicit
    cluster-creator admin access entry.

    pulumi-eks hard-codes ``accessConfig.bootstrapClusterCreatorAdminPermissions: true`` whenever an
    authentication mode is set, and offers no input to turn it off (pulumi/pulumi-eks#2373). Engine-side
    transforms reach the children of multi-language components, so this sets it to false at creation
    (pulumi-eks ignores later changes to the field, and EKS only reads it at creation). Admin access
    comes from the explicit access entries instead.
    """
    if args.type_ != _CLUSTER:
        return None
    props = dict(args.props)
    key = "accessConfig" if "accessConfig" in props or "access_config" not in props else "access_config"
    current = props.get(key)
    access: dict[str, Any] = dict(current) if isinstance(current, Mapping) else {}
    mode = access.pop("authentication_mode", None)
    access["authenticationMode"] = access.get("authenticationMode") or mode or "API"
    access.pop("bootstrap_cluster_creator_admin_permissions", None)
    access["bootstrapClusterCreatorAdminPermissions"] = False
    props[key] = access
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


def protect_transform(protect: bool) -> Transform:
    """Transform giving the hidden ``aws.eks.Cluster`` the component's protection explicitly."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != _CLUSTER:
            return None
        opts = pulumi.ResourceOptions.merge(
            args.opts, pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)
        )
        return pulumi.ResourceTransformResult(props=args.props, opts=opts)

    return transform
