"""System checks: would the plan deploy and work? Stack rules across AWS, EKS and Kubernetes.

Each rule reads a plain model of the clusters in the program (``_model``, ``_pools``): the clusters and
their endpoints, which Kubernetes provider talks to which cluster, the node pools, the pod templates,
add-ons and Helm releases. What a rule cannot decide (values unknown during preview, an instance type
outside the sizing table, a cluster declared in another program) is reported as an advisory
"cannot decide", never a pass or a failure.
"""

from __future__ import annotations

from . import (
    autoscaling,
    dataflow,
    enforcement,
    first_deploy,
    flows,
    identity,
    prerequisites,
    protection,
    reachability,
    scheduling,
    traffic,
    wiring,
)

POLICIES = [
    *reachability.POLICIES,
    *scheduling.POLICIES,
    *autoscaling.POLICIES,
    *enforcement.POLICIES,
    *identity.POLICIES,
    *wiring.POLICIES,
    *prerequisites.POLICIES,
    *protection.POLICIES,
    *first_deploy.POLICIES,
    *traffic.POLICIES,
    *dataflow.POLICIES,
    *flows.POLICIES,
]
