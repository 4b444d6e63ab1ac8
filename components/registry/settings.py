"""Settings of a pipeline service's own ECR repository (``services[].image_repository``)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator, model_validator

from .._validation import ConfigIssue, CrossFieldError, SettingsModel

__all__ = ["ImageRepositorySettings", "repository_name_problem"]

# ECR's CreateRepository: repositoryName is 2-256 characters matching
# (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)* (Amazon ECR API Reference,
# CreateRepository, Request Parameters).
_REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


def repository_name_problem(value: str) -> str | None:
    """Why ECR refuses ``value`` as a repository name, or None."""
    if not 2 <= len(value) <= 256 or not _REPOSITORY_NAME.match(value):
        return (
            "ECR repository names are 2-256 lowercase letters and digits, separated by single '.', "
            "'_', '-' or '/' (namespaces), e.g. 'dataplatform/ingest-api'"
        )
    return None


class ImageRepositorySettings(SettingsModel):
    """A private ECR repository for one service: immutable tags, scanned, KMS-encrypted, pruned."""

    name: str | None = None
    """The repository name (default: the service's name)."""
    tag: str | None = None
    """The image tag the service runs (``1.4.2``); the service's ``image`` then defaults to this
    repository at this tag. Immutable tags make a tag as fixed as a digest."""
    digest: str | None = None
    """The image digest the service runs (``sha256:<64 hex>``), instead of ``tag``."""
    keep_tagged_images: int = 30
    """The lifecycle policy keeps this many newest tagged images and expires older ones (at least
    1: keep more than the releases you may roll back to)."""
    untagged_expiry_days: int = 7
    """Untagged images (superseded layers of multi-arch builds, failed pushes) expire this many
    days after they were pushed (at least 1)."""
    scan_on_push: bool = True
    """Basic vulnerability scanning of every pushed image."""
    image_tag_mutability: Literal["IMMUTABLE", "MUTABLE"] = "IMMUTABLE"
    """``IMMUTABLE``: a pushed tag can never point at another image (the pinned tag stays what was
    reviewed). ``MUTABLE`` is the explicit override."""
    force_delete: bool = False
    """Let ``pulumi destroy`` delete the repository while it holds images (dev stacks)."""
    deletion_protection: bool = True
    """Pulumi ``protect`` and ``retain_on_delete`` on the repository (and on the registry's key
    while any repository has it)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = repository_name_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("keep_tagged_images", "untagged_expiry_days")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                "an ECR lifecycle rule counts from 1 (0 would expire every image, the running one "
                "included); use 1 or more"
            )
        return value

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not _DIGEST.match(value):
            raise ValueError("is not an image digest; write 'sha256:' and 64 lowercase hex digits")
        return value

    @model_validator(mode="after")
    def _pin(self) -> ImageRepositorySettings:
        if self.tag is not None and self.digest is not None:
            raise CrossFieldError(
                [
                    ConfigIssue(
                        "digest", self.digest, "set tag or digest, not both (a digest pins the image alone)"
                    )
                ]
            )
        if self.tag == "latest":
            raise CrossFieldError(
                [
                    ConfigIssue(
                        "tag", self.tag, "'latest' is not a pinned version; use a release tag or a digest"
                    )
                ]
            )
        return self
