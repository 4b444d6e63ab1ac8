"""ContainerRegistry: exact repository inputs, the lifecycle policy and its checker, bad settings."""

from __future__ import annotations

import json

import pytest

from components._validation import InvalidConfigError
from components.registry import (
    ContainerRegistry,
    ContainerRegistryArgs,
    ImageRepositorySettings,
    lifecycle_policy,
    lifecycle_policy_problems,
)
from dpengine.testing import assert_tagged, run_component

DIGEST = "sha256:" + "ab" * 32


def registry(tags: dict[str, str], **repositories: ImageRepositorySettings) -> ContainerRegistry:
    return ContainerRegistry("registry", ContainerRegistryArgs(repositories=repositories, tags=tags))


def test_repositories_are_immutable_scanned_kms_encrypted_and_pruned(tags: dict[str, str]) -> None:
    cr = run_component(
        lambda: registry(
            tags,
            **{
                "ingest-api": ImageRepositorySettings(
                    name="dev/ingest-api", tag="1.4.2", keep_tagged_images=5
                ),
                "worker": ImageRepositorySettings(
                    digest=DIGEST, deletion_protection=False, force_delete=True
                ),
            },
        )
    )
    assert cr.counts() == {
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": 2,
        "aws:ecr/repository:Repository": 2,
        "aws:kms/key:Key": 1,
    }
    key = cr.one("aws:kms/key:Key")
    api = cr.one("aws:ecr/repository:Repository", "registry-ingest-api")
    assert {
        k: api.inputs[k]
        for k in (
            "name",
            "imageTagMutability",
            "imageScanningConfiguration",
            "encryptionConfigurations",
            "forceDelete",
        )
    } == {
        "name": "dev/ingest-api",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}],
        "forceDelete": False,
    }
    assert (api.protect, api.retain_on_delete) == (True, True)
    worker = cr.one("aws:ecr/repository:Repository", "registry-worker")
    assert (worker.inputs["name"], worker.protect, worker.inputs["forceDelete"]) == ("worker", False, True)
    assert key.protect and key.inputs["enableKeyRotation"] is True
    lifecycle = cr.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "registry-ingest-api-lifecycle")
    assert lifecycle.inputs["repository"] == "dev/ingest-api"
    rules = json.loads(lifecycle.inputs["policy"])["rules"]
    assert [(r["rulePriority"], r["selection"]) for r in rules] == [
        (
            1,
            {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
        ),
        (
            2,
            {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": 5,
            },
        ),
    ]
    assert_tagged(cr.of_type("aws:ecr/repository:Repository") + cr.of_type("aws:kms/key:Key"), tags)
    url = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert cr.value(cr.component.image("ingest-api")) == f"{url}/dev/ingest-api:1.4.2"
    assert cr.value(cr.component.image("worker")) == f"{url}/worker@{DIGEST}"


def test_an_unpinned_repository_has_no_image(tags: dict[str, str]) -> None:
    with pytest.raises(InvalidConfigError) as err:
        run_component(lambda: registry(tags, api=ImageRepositorySettings()).image("api"))  # type: ignore[arg-type, return-value]
    assert [i.path for i in err.value.issues] == ["repositories.api"]
    assert "set image_repository.tag or .digest" in str(err.value)


def test_two_services_cannot_share_a_repository_name(tags: dict[str, str]) -> None:
    shared = ImageRepositorySettings(name="team/app")
    with pytest.raises(InvalidConfigError) as err:
        run_component(lambda: registry(tags, a=shared, b=shared))
    assert [i.path for i in err.value.issues] == ["args.repositories.b.name"]


@pytest.mark.parametrize("name", ["A", "Team/App", "app-", "a//b", "x" * 257, "-app", "a__"])
def test_repository_names_ecr_rejects(name: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        ImageRepositorySettings(name=name)
    assert [i.path for i in err.value.issues] == ["name"]
    assert "e.g. 'dataplatform/ingest-api'" in str(err.value)


@pytest.mark.parametrize("name", ["ab", "dev/ingest-api", "a.b_c-d/e"])
def test_repository_names_ecr_accepts(name: str) -> None:
    assert ImageRepositorySettings(name=name).name == name


@pytest.mark.parametrize("key", ["keep_tagged_images", "untagged_expiry_days"])
def test_a_lifecycle_count_of_zero_names_the_key_and_the_fix(key: str) -> None:
    with pytest.raises(InvalidConfigError) as err:
        ImageRepositorySettings(**{key: 0})  # type: ignore[arg-type]
    assert [i.path for i in err.value.issues] == [key]
    assert "use 1 or more" in str(err.value)


def test_tag_and_digest_rules() -> None:
    with pytest.raises(InvalidConfigError) as err:
        ImageRepositorySettings(tag="1.0", digest=DIGEST)
    assert [i.path for i in err.value.issues] == ["digest"]
    with pytest.raises(InvalidConfigError) as err:
        ImageRepositorySettings(tag="latest")
    assert [i.path for i in err.value.issues] == ["tag"]
    with pytest.raises(InvalidConfigError) as err:
        ImageRepositorySettings(digest="sha256:abc")
    assert [i.path for i in err.value.issues] == ["digest"]


def test_the_generated_lifecycle_policy_passes_ecrs_rules() -> None:
    assert lifecycle_policy_problems(lifecycle_policy(ImageRepositorySettings())) == []


def test_the_lifecycle_checker_finds_what_ecr_refuses() -> None:
    document = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "tagged", "countType": "sinceImagePushed", "countNumber": 0},
                "action": {"type": "keep"},
            },
        ]
    }
    assert lifecycle_policy_problems(json.dumps(document)) == [
        "rules[1].rulePriority 1 is used twice",
        "rules[1]: a 'tagged' rule needs tagPrefixList or tagPatternList",
        "rules[1].selection.countUnit must be 'days' with sinceImagePushed",
        "rules[1].selection.countNumber must be an integer of at least 1",
        "rules[1].action.type must be 'expire'",
    ]
    document["rules"] = [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        },
    ]
    assert lifecycle_policy_problems(json.dumps(document)) == [
        "a tagStatus 'any' rule must have the highest rulePriority"
    ]
    assert lifecycle_policy_problems("{") == ["not JSON (Expecting property name enclosed in double quotes)"]
