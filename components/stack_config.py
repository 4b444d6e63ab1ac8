"""The typed config of a platform stack: one model per concern, validated once.

The stack program reads the ``dataplatform:`` namespace of ``Pulumi.<stack>.yaml``
(plus ``aws:region``) with :func:`read_stack_config`; every problem is reported
at once with its config key path, the bad value and the fix, before any resource
is registered.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import pulumi
from pydantic import Field, ValidationError, field_validator, model_validator

from ._validation import (
    ConfigIssue,
    CrossFieldError,
    InvalidConfigError,
    SettingsModel,
    format_validation_error,
    further_issues,
    redact_secrets,
)
from .catalog import CatalogSettings, QuerySettings
from .datalake import DataLakeSettings
from .deploy_checks import deploy_issues
from .eks import EksClusterSettings
from .network import NetworkSettings
from .operations import OperationsSettings
from .pipeline_service import PipelineServiceSettings, image_reference_problem
from .pipeline_service.namespaces import identity_issues, namespace_owner
from .pipeline_service.stack_checks import creation_order, event_stack_issues, queue_owner
from .pipeline_service.stack_traffic import traffic_stack_issues
from .placeholders import placeholder_issues, secret_section_issues
from .registry import ImageRepositorySettings
from .stack_account import ownership_issues
from .stack_checks_data import (
    catalog_layer_issues,
    migration_image_issues,
    producer_issues,
    warehouse_access_issues,
)
from .stack_protection import protection_issues
from .tags import REQUIRED_TAG_KEYS, tag_issues
from .warehouse import WarehouseAccess, WarehouseSettings

NAMESPACE = "dataplatform"
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_DB_USER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class LakeAccess(SettingsModel):
    """Which lake layers a service's IAM role may touch (nothing by default)."""

    read: list[str] = Field(default_factory=list)
    """Layers the service may read (s3:GetObject, s3:ListBucket on the layer's prefix)."""
    write: list[str] = Field(default_factory=list)
    """Layers the service may write: get, put, delete and list within the layer's prefix, with
    multipart uploads (what table formats and Spark's S3A committers need to commit)."""


class CatalogAccess(SettingsModel):
    """Which layers' catalog entries (Glue databases and tables) a service's IAM role may touch."""

    read: list[str] = Field(default_factory=list)
    """Layers whose tables the service may read (databases, tables, partitions)."""
    write: list[str] = Field(default_factory=list)
    """Layers whose tables the service may create, update (an Iceberg commit) and delete, with
    their partitions; the service needs lake_access.write on the same layers for the data."""


class ServiceConfig(PipelineServiceSettings):
    """A pipeline service of the stack: its workload settings and its lake access."""

    lake_access: LakeAccess = Field(default_factory=LakeAccess)
    """Least-privilege lake access of the service's IRSA role."""
    catalog_access: CatalogAccess = Field(default_factory=CatalogAccess)
    """Least-privilege Glue Data Catalog access of the service's IRSA role (nothing by default)."""
    image_repository: ImageRepositorySettings | None = None
    """A private ECR repository of the service's own (immutable tags, scan on push, KMS,
    lifecycle). With ``tag`` or ``digest`` set, ``image`` may be omitted: the service runs its
    repository's image at that tag or digest."""
    warehouse_access: WarehouseAccess | None = None
    """``read`` or ``write``: the service connects to the warehouse as its own database user with IAM
    credentials (``rds-db:connect``, or ``redshift:GetClusterCredentials`` for that user), and the pods
    get WAREHOUSE_ENGINE, _HOST, _PORT, _DATABASE, _USER and _ACCESS (Redshift: _CLUSTER too). The
    warehouse's bootstrap job makes the user: ``read`` may SELECT in ``warehouse_schemas``, ``write``
    may SELECT, INSERT, UPDATE and DELETE there. No service ever sees the master secret."""
    warehouse_user: str | None = None
    """The database user the service connects as (default: its name with ``_`` for ``-``)."""
    warehouse_schemas: list[str] | None = None
    """The schemas the service reads (``read``; default: every schema a writer of the stack owns)
    or writes and owns (``write``; default: one named after its database user). A schema has one
    writer."""

    @field_validator("warehouse_user")
    @classmethod
    def _warehouse_user(cls, value: str | None) -> str | None:
        if value is not None and not _DB_USER.match(value):
            raise ValueError("use 1-63 lowercase letters, digits and underscores, starting with a letter")
        return value


class StackConfig(SettingsModel):
    """Everything under ``dataplatform:`` in ``Pulumi.<stack>.yaml``, plus ``aws:region``."""

    environment: Literal["dev", "staging", "prod"]
    """The environment this stack is; prod turns on the prod-only checks."""
    region: str
    """The AWS region (config key ``aws:region``), e.g. ``eu-west-1``."""
    tags: dict[str, str]
    """The one tag set of the stack, applied to every taggable resource. Must hold
    Environment, Project, Owner, CostCenter and ManagedBy."""
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    """The VPC: CIDR, AZs, NAT gateways, endpoints, flow logs."""
    lake: DataLakeSettings = Field(default_factory=DataLakeSettings)
    """The S3 data lake: layers, lifecycle, encryption, protection."""
    cluster: EksClusterSettings
    """The EKS cluster: version (pinned), endpoint access, node groups, add-ons."""
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    """The warehouse: RDS PostgreSQL or Redshift."""
    services: list[ServiceConfig] = Field(default_factory=list)
    """The pipeline services deployed on the cluster."""
    operations: OperationsSettings = Field(default_factory=OperationsSettings)
    """Alerts, alarms, budget, backups and disaster recovery."""
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    """The Glue Data Catalog: a database per lake layer, encrypted with a customer key."""
    query: QuerySettings = Field(default_factory=QuerySettings)
    """The Athena workgroup: enforced settings, encrypted results, a per-query scan cutoff."""
    alert_endpoints: dict[str, str] = Field(default_factory=dict)
    """Alert subscription endpoints kept secret, by name (``operations.alerts.subscriptions[]
    .endpoint_secret``): each a ``secure:`` value (``pulumi config set --secret --path
    'dataplatform:alert_endpoints.<name>' <address>``); plain values are refused."""

    @field_validator("region")
    @classmethod
    def _region_format(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("not an AWS region name; set aws:region to e.g. 'eu-west-1'")
        known = aws_regions()
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.7)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "e.g. 'eu-west-1'"
            raise ValueError(f"not a region pulumi-aws knows (its Region enum); {hint}")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_valid(cls, value: dict[str, str]) -> dict[str, str]:
        issues = tag_issues(value, path="tags")
        if issues:
            raise ValueError("; ".join(str(i) for i in issues))
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        issues: list[ConfigIssue] = []
        if self.tags.get("Environment") != self.environment:
            issues.append(
                ConfigIssue(
                    "tags.Environment",
                    self.tags.get("Environment"),
                    f"must equal environment ({self.environment!r}); make them the same",
                )
            )
        names = [s.name for s in self.services]
        for index, name in enumerate(names):
            if names.index(name) != index:
                issues.append(
                    ConfigIssue(f"services[{index}].name", name, "service names must be unique; rename one")
                )
        layers = set(self.lake.layer_names)
        for index, service in enumerate(self.services):
            for mode in ("read", "write"):
                unknown = sorted(set(getattr(service.lake_access, mode)) - layers)
                if unknown:
                    issues.append(
                        ConfigIssue(
                            f"services[{index}].lake_access.{mode}",
                            unknown,
                            f"unknown lake layer(s); the lake has {', '.join(sorted(layers))}",
                        )
                    )
        if self.services and self.cluster.kubernetes_objects == "workloads_project":
            issues.append(
                ConfigIssue(
                    "services",
                    names,
                    "cluster.kubernetes_objects is workloads_project, so this stack makes no Kubernetes "
                    "object; deploy the services from the workloads project (examples/workloads), or set "
                    "cluster.kubernetes_objects: in_stack",
                )
            )
        repositories: dict[str, str] = {}
        for index, service in enumerate(self.services):
            issues += _catalog_access_issues(index, service, layers)
            if service.image_repository is not None:
                repository = service.image_repository.name or service.name
                if repository in repositories:
                    issues.append(
                        ConfigIssue(
                            f"services[{index}].image_repository.name",
                            repository,
                            f"is {repositories[repository]}'s repository too; give one a name of its own",
                        )
                    )
                repositories.setdefault(repository, service.name)
            issues += _image_issues(index, service)
        issues += identity_issues(self.services)
        issues += event_stack_issues(self.services, keda_on=self.cluster.keda is not None, region=self.region)
        issues += traffic_stack_issues(
            self.services,
            load_balancer_controller=self.cluster.load_balancer_controller is not None,
            runtime_namespaces=self.cluster.runtime_namespaces,
        )
        issues += _pool_issues(self)
        issues += egress_issues(self)
        issues += warehouse_access_issues(self)
        issues += migration_image_issues(self)
        issues += producer_issues(self)
        issues += catalog_layer_issues(self)
        if self.services and not self.cluster.admin_principal_arns:
            issues.append(
                ConfigIssue(
                    "cluster.admin_principal_arns",
                    [],
                    "services are deployed through the cluster's API, which only listed admins can "
                    "reach; add the ARN of the role that runs `pulumi up`",
                )
            )
        issues += _operations_issues(self)
        issues += protection_issues(self)
        issues += deploy_issues(self)
        if self.environment == "prod":
            issues += _prod_issues(self)
        if issues:
            raise CrossFieldError(issues)
        return self

    def pool_of(self, index: int) -> str:
        """The pool ``services[index]`` runs on: its own, else the cluster's default pool."""
        pool = self.services[index].pool or self.cluster.default_pool
        assert pool is not None  # _pool_issues refuses a stack where this is None
        return pool

    def creation_order(self) -> list[int]:
        """Service indexes with namespace and queue owners before the services using them."""
        return creation_order(self.services)

    def queue_owner(self, index: int) -> int | None:
        """The index of the service whose queue ``services[index]`` uses (``queue.from_service``)."""
        return queue_owner(self.services, index)

    def namespace_owner(self, index: int) -> int | None:
        """The index of the other service that creates ``services[index]``'s namespace, or None."""
        return namespace_owner(self.services, index)


def aws_regions() -> frozenset[str]:
    """The regions of the installed pulumi-aws (``pulumi_aws.Region``, generated from the
    provider's region list): a region newer than the SDK needs a newer pulumi-aws anyway."""
    import pulumi_aws

    return frozenset(region.value for region in pulumi_aws.Region)


_PRIVATE_ECR = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


RUNTIME_IMAGE_REGISTRIES = {
    "karpenter": "public.ecr.aws/karpenter (the controller chart's image)",
    "keda": "ghcr.io/kedacore (the operator, metrics server and webhook images)",
    "load_balancer_controller": "public.ecr.aws/eks/aws-load-balancer-controller (the controller's image)",
}
"""Where the cluster runtime's charts pull their images from: public registries, out of reach of
nodes without NAT (EKS add-on images come from AWS's regional ECR, through the ecr endpoints)."""


def _runtime_image_issues(config: StackConfig) -> list[ConfigIssue]:
    cluster = config.cluster
    if cluster.kubernetes_objects != "in_stack":
        return []
    return [
        ConfigIssue(
            f"cluster.{name}",
            "set",
            f"network.nat_gateways is none, so the nodes cannot pull from {where}; set nat_gateways: "
            "single, or drop it here",
        )
        for name, where in RUNTIME_IMAGE_REGISTRIES.items()
        if getattr(cluster, name) is not None
    ]


def egress_issues(config: StackConfig) -> list[ConfigIssue]:
    """With ``nat_gateways: none`` the nodes reach only what the VPC endpoints serve: they join
    the cluster and pull images through ecr.api, ecr.dkr (S3 gateway for the layers), ec2 and
    sts (AWS EKS user guide, private clusters), a queue-driven service needs sqs, and an image
    outside the account's private ECR (public.ecr.aws, Docker Hub) cannot be pulled at all."""
    network = config.network
    if network.nat_gateways != "none":
        return []
    issues = _runtime_image_issues(config)
    if not config.services:
        return issues
    needed = {"ec2", "ecr.api", "ecr.dkr", "sts"}
    if any(s.queue is not None for s in config.services):
        needed.add("sqs")
    if any(s.warehouse_access is not None for s in config.services):
        needed.add("secretsmanager")  # the warehouse bootstrap job reads the master secret
    missing = sorted(needed - set(network.interface_endpoints))
    if missing:
        issues.append(
            ConfigIssue(
                "network.nat_gateways",
                "none",
                "without NAT the nodes cannot pull images or reach the AWS APIs they need; add "
                f"{', '.join(missing)} to network.interface_endpoints, or set nat_gateways: single",
            )
        )
    for index, service in enumerate(config.services):
        if service.image is not None and not _PRIVATE_ECR.match(service.image):
            issues.append(
                ConfigIssue(
                    f"services[{index}].image",
                    service.image,
                    "network.nat_gateways is none, and only the account's private ECR is reachable "
                    "without NAT; push the image to <account>.dkr.ecr.<region>.amazonaws.com, or set "
                    "nat_gateways: single",
                )
            )
    return issues


def _pool_issues(config: StackConfig) -> list[ConfigIssue]:
    """Every service runs on a pool the cluster has (a managed node group or a NodePool)."""
    pools = config.cluster.placements()
    names = ", ".join(pools) or "none"
    issues = []
    for index, service in enumerate(config.services):
        if service.pool is not None and service.pool not in pools:
            issues.append(
                ConfigIssue(
                    f"services[{index}].pool",
                    service.pool,
                    f"the cluster has no such pool (its pools: {names}); use one of them, or add a node "
                    "group or a Karpenter NodePool of that name under cluster",
                )
            )
        elif service.pool is None and config.cluster.default_pool is None:
            issues.append(
                ConfigIssue(
                    f"services[{index}].pool",
                    None,
                    f"every pool of the cluster is tainted, so there is no default; set pool to one of "
                    f"{names}",
                )
            )
    return issues


def _catalog_access_issues(index: int, service: ServiceConfig, layers: set[str]) -> list[ConfigIssue]:
    where = f"services[{index}].catalog_access"
    access, lake = service.catalog_access, service.lake_access
    issues = []
    for mode in ("read", "write"):
        unknown = sorted(set(getattr(access, mode)) - layers)
        if unknown:
            issues.append(
                ConfigIssue(
                    f"{where}.{mode}",
                    unknown,
                    f"no catalog database for these layer(s); the lake has {', '.join(sorted(layers))}",
                )
            )
    # Registering a table the service cannot write, or reading tables whose data it cannot read,
    # deploys fine and fails at the first query.
    unwritable = sorted(set(access.write) & layers - set(lake.write))
    if unwritable:
        issues.append(
            ConfigIssue(
                f"{where}.write",
                unwritable,
                "the service cannot write these layers' data; add them to lake_access.write",
            )
        )
    unreadable = sorted(set(access.read) & layers - set(lake.read) - set(lake.write))
    if unreadable:
        issues.append(
            ConfigIssue(
                f"{where}.read",
                unreadable,
                "the service cannot read these layers' data; add them to lake_access.read",
            )
        )
    return issues


def _image_issues(index: int, service: ServiceConfig) -> list[ConfigIssue]:
    where = f"services[{index}]"
    repository = service.image_repository
    pinned = repository is not None and (repository.tag is not None or repository.digest is not None)
    if service.image is None and not pinned:
        return [
            ConfigIssue(
                f"{where}.image",
                None,
                "no image to run; set image to a pinned 'repo:tag', or image_repository.tag (or .digest) "
                "to run the service's own repository",
            )
        ]
    if service.image is not None and pinned:
        return [
            ConfigIssue(
                f"{where}.image",
                service.image,
                "image_repository pins the image too; drop image (the repository's tag or digest is used) "
                "or drop image_repository.tag/.digest",
            )
        ]
    if repository is not None and repository.tag is not None:
        # Checked as the reference the pods get (a registry host first, so 'name:1' is not a host:port).
        problem = image_reference_problem(
            f"dkr.ecr.amazonaws.com/{repository.name or service.name}:{repository.tag}"
        )
        if problem:
            return [ConfigIssue(f"{where}.image_repository.tag", repository.tag, problem)]
    return []


def _prod_issues(config: StackConfig) -> list[ConfigIssue]:
    """What prod never allows, whatever a stack file says."""
    issues = []
    for section in ("lake", "cluster", "warehouse", "catalog", "query"):
        if not getattr(config, section).deletion_protection:
            issues.append(
                ConfigIssue(
                    f"{section}.deletion_protection",
                    False,
                    "must be true in prod so `pulumi destroy` cannot lose data; remove the override",
                )
            )
    if not config.operations.deletion_protection:
        issues.append(
            ConfigIssue(
                "operations.deletion_protection",
                False,
                "must be true in prod so `pulumi destroy` cannot lose the vaults and the DR copies; "
                "remove the override",
            )
        )
    if config.operations.backup.enabled and config.operations.backup.vault_lock is None:
        issues.append(
            ConfigIssue(
                "operations.backup.vault_lock",
                None,
                "prod locks its backup vaults so no recovery point is deleted early; set "
                "operations.backup.vault_lock: {min_retention_days: ..., max_retention_days: ...}",
            )
        )
    for index, service in enumerate(config.services):
        repository = service.image_repository
        if repository is not None and (not repository.deletion_protection or repository.force_delete):
            key = "deletion_protection" if not repository.deletion_protection else "force_delete"
            issues.append(
                ConfigIssue(
                    f"services[{index}].image_repository.{key}",
                    getattr(repository, key),
                    "prod keeps its images on destroy (deletion_protection true, force_delete false); "
                    "remove the override",
                )
            )
    if not config.warehouse.production:
        issues.append(
            ConfigIssue(
                "warehouse.production",
                False,
                "must be true in prod (enforces multi-AZ or multi-node and backup retention >= 7 days)",
            )
        )
    if config.network.az_count < 2:
        issues.append(
            ConfigIssue(
                "network.az_count", config.network.az_count, "prod needs at least 2 availability zones"
            )
        )
    if config.network.nat_gateways == "single":
        issues.append(
            ConfigIssue(
                "network.nat_gateways",
                "single",
                "prod needs 'per_az' so no AZ depends on another AZ's NAT gateway",
            )
        )
    return issues


def _operations_issues(config: StackConfig) -> list[ConfigIssue]:
    """The operations section against the rest of the stack (the region, the lake, the warehouse)."""
    ops, issues = config.operations, []
    dr = ops.disaster_recovery
    if dr is not None and dr.region == config.region:
        issues.append(
            ConfigIssue(
                "operations.disaster_recovery.region",
                dr.region,
                f"is the stack's own region (aws:region {config.region}); a copy there is lost with the "
                "region: use another one, e.g. eu-central-1 for eu-west-1",
            )
        )
    if config.lake.replication.enabled and dr is None:
        issues.append(
            ConfigIssue(
                "lake.replication.enabled",
                True,
                "replicates to the DR region, and there is none; set operations.disaster_recovery.region",
            )
        )
    if config.lake.replication.enabled and config.lake.bucket_per_layer:
        issues.append(
            ConfigIssue(
                "lake.replication.enabled",
                True,
                "the stack makes one DR replica bucket, and bucket_per_layer needs one per layer; "
                "use one lake bucket (bucket_per_layer: false) or build the replicas in your own program",
            )
        )
    if dr is not None and dr.rds_backup_replication and config.warehouse.engine != "postgres":
        issues.append(
            ConfigIssue(
                "operations.disaster_recovery.rds_backup_replication",
                True,
                "replicates RDS automated backups; the warehouse is Redshift, whose backups reach the DR "
                "region as backup copies: remove it",
            )
        )
    budget = ops.budget
    if budget is not None and budget.cost_tag_key not in config.tags:
        issues.append(
            ConfigIssue(
                "operations.budget.cost_tag_key",
                budget.cost_tag_key,
                f"is not a tag of the stack ({', '.join(sorted(config.tags))}); use one of them",
            )
        )
    return issues


def _rewrite_region_path(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    for issue in issues:
        if issue.path == f"{NAMESPACE}:region":
            issue.path = "aws:region"
    return issues


def load_stack_config(
    values: Mapping[str, Any], region: str | None, secret_keys: Iterable[str] = ()
) -> StackConfig:
    """Validate the ``dataplatform:`` namespace (``values``, keys without prefix) and region.

    ``secret_keys`` (keys without prefix) hold secrets: their values never appear in a message."""
    secrets = frozenset(secret_keys)
    try:
        return _load_stack_config(values, region, secrets)
    except InvalidConfigError as error:
        raise InvalidConfigError(redact_secrets(error.issues, secrets, values, f"{NAMESPACE}:")) from None


def _load_stack_config(
    values: Mapping[str, Any], region: str | None, secret_keys: Collection[str] = ()
) -> StackConfig:
    data = dict(values)
    if "region" in data:
        raise InvalidConfigError(
            [ConfigIssue(f"{NAMESPACE}:region", data["region"], "set the region as aws:region instead")]
        )
    if region is not None:
        data["region"] = region
    plain = {key: value for key, value in values.items() if key not in secret_keys}
    found = placeholder_issues(plain, f"{NAMESPACE}:") + secret_section_issues(
        values, secret_keys, f"{NAMESPACE}:"
    )
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as error:
        issues = format_validation_error(error, StackConfig, prefix=f"{NAMESPACE}:")
        issues += further_issues(error, StackConfig, data, prefix=f"{NAMESPACE}:")
        raise InvalidConfigError(found + _rewrite_region_path(issues)) from None
    if found:
        raise InvalidConfigError(found)
    return config


def read_stack_config() -> StackConfig:
    """Read and validate this stack's config; the only place the program reads ``pulumi.Config``."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    own = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    secret_keys = {k.partition(":")[2] for k in keys if runtime_config.is_config_secret(k)}
    for full_key in sorted(keys):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE or not key:
            continue
        raw = own.get(key)
        if raw is None:
            continue
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            values[key] = raw
    config = load_stack_config(values, pulumi.Config("aws").get("region"), secret_keys)
    # Account/region singletons: one owner among the project's stack files (the program runs in the
    # project directory: the Python language host's working directory).
    issues = ownership_issues(
        pulumi.get_stack(),
        config.region,
        pulumi.Config("aws").get("allowedAccountIds"),
        values,
        Path.cwd(),
    )
    if issues:
        raise InvalidConfigError(issues)
    return config


def stack_config_json_schema() -> dict[str, Any]:
    """JSON Schema of the ``dataplatform:`` namespace (``region`` comes from ``aws:region``)."""
    schema = StackConfig.model_json_schema()
    schema["properties"].pop("region", None)
    schema["required"] = [r for r in schema.get("required", []) if r != "region"]
    schema["title"] = "dataplatform stack config"
    schema["description"] = (
        "Keys under `config:` prefixed `dataplatform:` in Pulumi.<stack>.yaml. "
        f"Required tags: {', '.join(REQUIRED_TAG_KEYS)}. The region is `aws:region`."
    )
    return schema


def stack_file_json_schema() -> dict[str, Any]:
    """JSON Schema of a whole ``Pulumi.<stack>.yaml``, for editors (yaml-language-server: the stack
    files carry the modeline) and for tests: the stack file's top-level keys, ``aws:region`` from
    pulumi-aws's region list, each ``dataplatform:<section>`` as the stack config models define
    it, and any key of another namespace (providers' settings) left open."""
    inner = stack_config_json_schema()
    defs = inner.pop("$defs", {})
    # In the file, a secret entry is {secure: <ciphertext>}; the program sees the decrypted string.
    inner["properties"]["alert_endpoints"]["additionalProperties"] = {
        "type": "object",
        "properties": {"secure": {"type": "string"}},
        "required": ["secure"],
        "additionalProperties": False,
    }
    required = [f"{NAMESPACE}:{name}" for name in inner.get("required", [])]
    config = {
        "type": "object",
        "description": "Config values: `namespace:key`. The dataplatform program reads `dataplatform:*` "
        "and `aws:region`.",
        "properties": {
            "aws:region": {
                "description": "The AWS region of the stack (pulumi-aws's Region list).",
                "enum": sorted(aws_regions()),
            },
            **{f"{NAMESPACE}:{name}": spec for name, spec in inner["properties"].items()},
        },
        "required": ["aws:region", *required],
        # Other namespaces' keys (providers, tools) are theirs; an unknown dataplatform key is a typo.
        "patternProperties": {f"^(?!{NAMESPACE}:)[^:]+:.+$": {}},
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Pulumi.<stack>.yaml of a dataplatform stack",
        "description": inner["description"],
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string", "description": "The stack's secrets provider URL."},
            "encryptedkey": {
                "type": "string",
                "description": "The data key, encrypted by the secrets provider.",
            },
            "encryptionsalt": {"type": "string", "description": "The passphrase secrets provider's salt."},
            "environment": {
                "description": "Pulumi ESC environments imported into the stack.",
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
            },
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": defs,
    }
