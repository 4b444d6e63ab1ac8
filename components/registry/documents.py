"""Pure documents of a repository: its lifecycle policy (checked against ECR's rules) and key policy."""

from __future__ import annotations

import json
from typing import Any

from ..iam import kms_account_admin_statement, policy_json
from .settings import ImageRepositorySettings

__all__ = ["lifecycle_policy", "lifecycle_policy_problems", "registry_key_policy"]

_TAG_STATUSES = ("tagged", "untagged", "any")


def lifecycle_policy(settings: ImageRepositorySettings) -> str:
    """Expire untagged images after ``untagged_expiry_days``; keep the newest ``keep_tagged_images``
    tagged images. Untagged first: ECR evaluates rules by ascending priority."""
    document = {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {settings.untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": settings.untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {settings.keep_tagged_images} tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": settings.keep_tagged_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }
    text = json.dumps(document, sort_keys=True)
    problems = lifecycle_policy_problems(text)
    if problems:  # the settings validators make this unreachable; a guard against edits here
        raise ValueError("; ".join(problems))
    return text


def lifecycle_policy_problems(text: str) -> list[str]:
    """Why ECR would refuse the lifecycle policy ``text`` (Amazon ECR User Guide, "Lifecycle policy
    properties"): unique positive priorities, a tagStatus, a tag list for ``tagged`` rules, a count
    of at least 1 (days for ``sinceImagePushed``), the ``any`` rule last, and ``expire`` actions."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return [f"not JSON ({error.msg})"]
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        return ["needs a non-empty 'rules' list"]
    problems: list[str] = []
    priorities: list[Any] = []
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        priority = rule.get("rulePriority")
        if not isinstance(priority, int) or priority < 1:
            problems.append(f"{where}.rulePriority must be a positive integer")
        elif priority in priorities:
            problems.append(f"{where}.rulePriority {priority} is used twice")
        priorities.append(priority)
        selection = rule.get("selection") or {}
        status = selection.get("tagStatus")
        if status not in _TAG_STATUSES:
            problems.append(f"{where}.selection.tagStatus must be one of {', '.join(_TAG_STATUSES)}")
        if status == "tagged" and not (selection.get("tagPrefixList") or selection.get("tagPatternList")):
            problems.append(f"{where}: a 'tagged' rule needs tagPrefixList or tagPatternList")
        count_type = selection.get("countType")
        if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
            problems.append(f"{where}.selection.countType must be imageCountMoreThan or sinceImagePushed")
        if count_type == "sinceImagePushed" and selection.get("countUnit") != "days":
            problems.append(f"{where}.selection.countUnit must be 'days' with sinceImagePushed")
        count = selection.get("countNumber")
        if not isinstance(count, int) or count < 1:
            problems.append(f"{where}.selection.countNumber must be an integer of at least 1")
        if (rule.get("action") or {}).get("type") != "expire":
            problems.append(f"{where}.action.type must be 'expire'")
    any_rules = [r.get("rulePriority") for r in rules if (r.get("selection") or {}).get("tagStatus") == "any"]
    valid = [p for p in priorities if isinstance(p, int)]
    if any_rules and valid and any(isinstance(p, int) and p != max(valid) for p in any_rules):
        problems.append("a tagStatus 'any' rule must have the highest rulePriority")
    return problems


def registry_key_policy(account: str, partition: str) -> str:
    """Account administration through IAM. ECR itself encrypts and decrypts image layers through
    the grants it creates on the key when a repository is made, with the repository as grantee
    (Amazon ECR User Guide, "Encryption at rest"), so pullers need no KMS permission of their own."""
    return policy_json([kms_account_admin_statement(account, partition, "AccountAdministersThroughIam")])
