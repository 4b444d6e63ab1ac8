"""The :class:`ContainerRegistry` component: one ECR repository per service that asks for one, one key.

What each resource holds comes from :mod:`.documents`; what may be configured, from
:mod:`.settings`. This module only registers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .._shared import customer_kms_key, kms_key_arn_problem
from .._validation import ConfigIssue, InvalidConfigError
from ..tags import validate_tags
from .documents import lifecycle_policy, registry_key_policy
from .settings import ImageRepositorySettings, repository_name_problem

__all__ = ["ContainerRegistry", "ContainerRegistryArgs"]


@dataclass(frozen=True)
class ContainerRegistryArgs:
    """The repositories to make, by service name, plus tags and protection."""

    repositories: Mapping[str, ImageRepositorySettings]
    """Service name -> its repository's settings (the repository is named ``settings.name`` or
    the service name)."""
    tags: Mapping[str, str]
    """The stack's tag set; applied to the repositories and the key."""
    kms_key_arn: pulumi.Input[str] | None = None
    """An existing KMS key ARN for the repositories; a customer key with rotation is created when
    omitted. A repository's encryption is fixed when it is created."""


def _check(args: ContainerRegistryArgs) -> dict[str, str]:
    issues: list[ConfigIssue] = []
    seen: dict[str, str] = {}
    for service, settings in args.repositories.items():
        where = f"args.repositories.{service}"
        if not isinstance(settings, ImageRepositorySettings):
            issues.append(ConfigIssue(where, type(settings).__name__, "must be ImageRepositorySettings"))
            continue
        name = settings.name or service
        problem = repository_name_problem(name)
        if problem:
            issues.append(ConfigIssue(f"{where}.name", name, problem))
        if name in seen:
            issues.append(
                ConfigIssue(
                    f"{where}.name", name, f"is {seen[name]}'s repository too; give one a name of its own"
                )
            )
        seen[name] = service
    problem = kms_key_arn_problem(args.kms_key_arn)
    if problem:
        issues.append(ConfigIssue("args.kms_key_arn", args.kms_key_arn, problem))
    if issues:
        raise InvalidConfigError(issues, subject="ContainerRegistry")
    return validate_tags(args.tags)


class ContainerRegistry(pulumi.ComponentResource):
    """Private ECR repositories: immutable tags, scan on push, KMS with a customer key, pruned."""

    repository_urls: dict[str, pulumi.Output[str]]
    """Service name -> its repository URL (``<account>.dkr.ecr.<region>.amazonaws.com/<name>``)."""
    repository_arns: dict[str, pulumi.Output[str]]
    """Service name -> its repository ARN."""
    kms_key_arn: pulumi.Output[str]
    """The repositories' key (made here or passed in)."""

    def __init__(
        self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        tags = _check(args)
        super().__init__("dataplatform:registry:ContainerRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protect = any(s.deletion_protection for s in args.repositories.values())
        protected = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        self._settings = dict(args.repositories)
        self.kms_key_arn = customer_kms_key(
            f"{name}-key",
            description=f"Container registry {name}: image layers and manifests",
            policy=pulumi.Output.all(identity.account_id, partition).apply(
                lambda v: registry_key_policy(v[0], v[1])
            ),
            tags=tags,
            opts=protected,
            existing_arn=args.kms_key_arn,
        )
        self.repository_urls = {}
        self.repository_arns = {}
        for service, settings in args.repositories.items():
            repository = aws.ecr.Repository(
                f"{name}-{service}",
                name=settings.name or service,
                image_tag_mutability=settings.image_tag_mutability,
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=settings.scan_on_push
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=self.kms_key_arn
                    )
                ],
                force_delete=settings.force_delete,
                tags=tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=settings.deletion_protection,
                    retain_on_delete=settings.deletion_protection,
                ),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{service}-lifecycle",
                repository=repository.name,
                policy=lifecycle_policy(settings),
                opts=child,
            )
            self.repository_urls[service] = repository.repository_url
            self.repository_arns[service] = repository.arn
        self.register_outputs(
            {
                "repository_urls": self.repository_urls,
                "repository_arns": self.repository_arns,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    def image(self, service: str) -> pulumi.Output[str]:
        """The pinned image of ``service``: its repository at ``tag`` (``<url>:<tag>``) or
        ``digest`` (``<url>@sha256:...``), as its settings say."""
        settings = self._settings.get(service)
        if settings is None or (settings.tag is None and settings.digest is None):
            raise InvalidConfigError(
                [
                    ConfigIssue(
                        f"repositories.{service}",
                        None if settings is None else settings.model_dump(exclude_defaults=True),
                        "has no repository with a pinned tag or digest; set image_repository.tag or .digest",
                    )
                ],
                subject="ContainerRegistry.image",
            )
        suffix = f"@{settings.digest}" if settings.digest is not None else f":{settings.tag}"
        return self.repository_urls[service].apply(lambda url: f"{url}{suffix}")
