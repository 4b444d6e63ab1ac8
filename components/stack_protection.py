"""Who owns what the stack keeps: checks of the whole stack config, before anything is registered.

- Prod keeps every queue the services create (messages are data): ``queue.deletion_protection``
  false is refused there, as the other sections' ``deletion_protection`` are (stack_config).
- The warehouse's automated-backup retention and window have one owner. Without AWS Backup they
  are the instance's settings. Once a continuous-backup rule of the stack's plan covers the RDS
  instance, AWS Backup owns them and changes them to the rule's (see
  ``WarehouseArgs.aws_backup_retention_days`` for the sources): the instance is created with the
  rule's retention (``warehouse.backup_retention_days`` applies only without such a rule; the
  stack files set both alike) and ignores later changes to both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._validation import ConfigIssue

if TYPE_CHECKING:
    from .stack_config import StackConfig

__all__ = ["continuous_backup_days", "protection_issues"]


def continuous_backup_days(config: StackConfig) -> int | None:
    """The retention of the stack's continuous-backup rules (the longest), when AWS Backup is on and
    the warehouse is RDS (the plan selects it); else None."""
    backup = config.operations.backup
    if not backup.enabled or config.warehouse.engine != "postgres":
        return None
    days = [rule.delete_after_days for rule in backup.rules if rule.continuous]
    return max(days) if days else None


def protection_issues(config: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if config.environment == "prod":
        for index, service in enumerate(config.services):
            queue = service.queue
            if queue is not None and queue.created and not queue.deletion_protection:
                issues.append(
                    ConfigIssue(
                        f"services[{index}].queue.deletion_protection",
                        False,
                        "must be true in prod so a destroy, a replace or a rename cannot lose the messages "
                        "waiting in the queue and its dead-letter queue; remove the override",
                    )
                )
    return issues
