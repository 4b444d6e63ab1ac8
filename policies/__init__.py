"""The dataplatform CrossGuard policy pack: policies in importable modules, one per domain.

``ALL_POLICIES`` is what ``policies/__main__.py`` hands to ``PolicyPack`` and what the offline
``dataplatform check`` evaluates. Never import ``policies.__main__``: building a PolicyPack
starts a gRPC server and blocks.

The pack does not import the engine: ``dataplatform check`` is handed this package and reads
the names below (the pack's metadata, its policies, their registry and the exemption collector).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import (
    account,
    baseline,
    conformance,
    cost,
    data,
    encryption,
    helm,
    iam,
    iam_escalation,
    k8s_secrets,
    kubernetes,
    network,
    network_acl,
    pod_security,
    secrets,
    system,
    tagging,
)
from ._common import EXEMPT_PREFIX as EXEMPT_PREFIX
from ._common import PACK_NAME as PACK_NAME
from ._common import PACK_VERSION as PACK_VERSION
from ._common import REGISTRY as REGISTRY
from ._common import ExemptionRecord as ExemptionRecord
from ._common import PolicyMeta as PolicyMeta
from ._common import collect_exemptions as collect_exemptions
from ._taggable import is_taggable as is_taggable

ALL_POLICIES: list[Policy] = [
    *encryption.POLICIES,
    *tagging.POLICIES,
    *baseline.POLICIES,
    *network.POLICIES,
    *network_acl.POLICIES,
    *account.POLICIES,
    *kubernetes.POLICIES,
    *pod_security.POLICIES,
    *k8s_secrets.POLICIES,
    *helm.POLICIES,
    *cost.POLICIES,
    *conformance.POLICIES,
    *system.POLICIES,
    *data.POLICIES,
    *iam.POLICIES,
    *iam_escalation.POLICIES,
    *secrets.POLICIES,
]
"""Every policy of the pack, in report order."""

PACK_ENFORCEMENT_LEVEL = EnforcementLevel.ADVISORY
"""The pack default; each policy sets its own default level (see ``REGISTRY``)."""

PACK_DESCRIPTION = (
    "Encryption, tagging and security baseline for AWS, EKS and Kubernetes workloads "
    "(pulumi-aws v7 split S3 resources included)."
)

__all__ = [
    "ALL_POLICIES",
    "EXEMPT_PREFIX",
    "PACK_DESCRIPTION",
    "PACK_ENFORCEMENT_LEVEL",
    "PACK_NAME",
    "PACK_VERSION",
    "REGISTRY",
    "ExemptionRecord",
    "PolicyMeta",
    "collect_exemptions",
    "is_taggable",
]
