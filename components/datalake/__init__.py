"""The data lake: medallion layers on S3, encrypted with a customer-managed key, secure by default.

Layers (``bronze``, ``silver``, ``gold`` by default) are prefixes of one bucket, or one
bucket each (``bucket_per_layer``). Every lake bucket is versioned, SSE-KMS encrypted
with S3 Bucket Keys, fully public-blocked with ACLs disabled, TLS-1.2-only and refuses
uploads that ask for another encryption or another key. Each layer has its own
lifecycle (transitions, expiration, noncurrent versions, aborted multipart uploads,
optional Intelligent-Tiering archive tiers). Server access logs go to a separate,
hardened log bucket. Object Lock and cross-region replication are opt-in.

``deletion_protection`` (default ``True``) sets Pulumi ``protect`` and
``retain_on_delete`` on the buckets and the key and keeps ``force_destroy`` off, so
``pulumi destroy`` cannot lose data; dev stacks set it false to allow teardown.

:meth:`DataLakeBucket.access_policy` returns least-privilege IAM policy JSON for
readers and writers of given layers (used by the pipeline services' IRSA roles).

Modules: :mod:`.settings` (what may be configured), :mod:`.args` (the wiring and its checks),
:mod:`.documents` (policies and rules, pure), :mod:`.component` (registration).
"""

from __future__ import annotations

from .._shared import KMS_DELETION_WINDOW_DAYS as KMS_DELETION_WINDOW_DAYS
from .args import DataLakeBucketArgs as DataLakeBucketArgs
from .component import DataLakeBucket as DataLakeBucket
from .documents import access_policy_document as access_policy_document
from .documents import lake_bucket_policy_statements as lake_bucket_policy_statements
from .documents import log_bucket_policy_statements as log_bucket_policy_statements
from .notifications import LakeEventTarget as LakeEventTarget
from .settings import IA_CLASSES as IA_CLASSES
from .settings import IA_MIN_DAYS as IA_MIN_DAYS
from .settings import LOG_PREFIX as LOG_PREFIX
from .settings import RESERVED_LAYER_NAMES as RESERVED_LAYER_NAMES
from .settings import WATERFALL as WATERFALL
from .settings import AccessLoggingSettings as AccessLoggingSettings
from .settings import DataLakeSettings as DataLakeSettings
from .settings import IntelligentTieringSettings as IntelligentTieringSettings
from .settings import LayerSettings as LayerSettings
from .settings import ObjectLockSettings as ObjectLockSettings
from .settings import ReplicationSettings as ReplicationSettings
from .settings import StorageClass as StorageClass
from .settings import Transition as Transition
from .settings import transition_issues as transition_issues

__all__ = [
    "IA_CLASSES",
    "IA_MIN_DAYS",
    "KMS_DELETION_WINDOW_DAYS",
    "LOG_PREFIX",
    "RESERVED_LAYER_NAMES",
    "WATERFALL",
    "AccessLoggingSettings",
    "DataLakeBucket",
    "DataLakeBucketArgs",
    "DataLakeSettings",
    "IntelligentTieringSettings",
    "LakeEventTarget",
    "LayerSettings",
    "ObjectLockSettings",
    "ReplicationSettings",
    "StorageClass",
    "Transition",
    "access_policy_document",
    "lake_bucket_policy_statements",
    "log_bucket_policy_statements",
    "transition_issues",
]
