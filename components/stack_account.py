"""Account- and region-wide settings the stacks manage, and who owns each: exactly one stack.

Some AWS settings exist once per account and region, not once per stack. The Glue Data Catalog's
encryption settings are one (``PutDataCatalogEncryptionSettings`` takes only a catalog id, the
account): two stacks managing them fight (the last ``up`` wins), and destroying either writes empty
settings, turning the other's catalog encryption off. So one stack owns each singleton and the
others read it (``DataCatalog`` reads the owner's key when it does not manage the settings).

The stack files of a project are all in its directory, so the owner is checked at config time: a
stack file whose config makes it own a singleton that another stack file of the project owns in the
same account and region is refused, naming both. The account of a stack is its
``aws:allowedAccountIds`` (pulumi-aws refuses to run against any other account); two stacks of which
either declares none may share an account, and are treated as sharing it.

The catalog encryption is the only account/region setting a stack manages today: no component
registers EBS encryption by default, an EBS default KMS key, the S3 account public access block or
an ECR registry policy, and the service-linked roles the stacks need are made by the services or by
the account bootstrap (``dpengine/bootstrap/prerequisites.py``). ``SINGLETONS`` below is where a
new one is added when a component starts managing one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# PyYAML is a dependency of the pulumi SDK itself (``pip show pulumi``: Requires pyyaml), so every
# program that runs the components has it.
import yaml

from ._validation import ConfigIssue

__all__ = [
    "SINGLETONS",
    "Singleton",
    "StackFacts",
    "other_stack_files",
    "ownership_issues",
    "singleton_issues",
    "stack_facts",
]


@dataclass(frozen=True)
class Singleton:
    """An account/region-wide setting a stack may manage, and the config key that says it does."""

    what: str
    """For people: "the Glue Data Catalog encryption settings"."""
    section: str
    """The ``dataplatform:<section>`` holding the switch."""
    key: str
    """The switch inside the section (true: this stack manages the setting)."""
    default: bool
    """The switch's default (a stack that does not set it)."""


def _catalog_default() -> bool:
    from .catalog import CatalogSettings

    return bool(CatalogSettings.model_fields["manage_encryption_settings"].default)


SINGLETONS: tuple[Singleton, ...] = (
    Singleton(
        "the Glue Data Catalog encryption settings",
        "catalog",
        "manage_encryption_settings",
        _catalog_default(),
    ),
)


@dataclass(frozen=True)
class StackFacts:
    """What the ownership check needs to know of one stack."""

    name: str
    region: str | None
    accounts: frozenset[str] | None
    """``aws:allowedAccountIds``; None when the stack does not declare its account."""
    sections: Mapping[str, Any]
    """``dataplatform:<section>`` -> its raw value."""
    file: str

    def owns(self, singleton: Singleton) -> bool:
        section = self.sections.get(singleton.section)
        value = (
            section.get(singleton.key, singleton.default) if isinstance(section, dict) else singleton.default
        )
        return value is True

    def may_share_account(self, other: StackFacts) -> bool:
        if self.accounts is None or other.accounts is None:
            return True
        return bool(self.accounts & other.accounts)


def _accounts(value: Any) -> frozenset[str] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if isinstance(value, list) and value:
        return frozenset(str(v) for v in value)
    return None


def stack_facts(name: str, file: Path) -> StackFacts | None:
    """The facts of a ``Pulumi.<stack>.yaml``; None when it is not a dataplatform stack (no
    ``dataplatform:environment``) or cannot be read (its own run reports that)."""
    try:
        data = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError):
        return None
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict) or "dataplatform:environment" not in config:
        return None
    sections = {
        key.split(":", 1)[1]: value for key, value in config.items() if str(key).startswith("dataplatform:")
    }
    region = config.get("aws:region")
    return StackFacts(
        name=name,
        region=str(region) if region is not None else None,
        accounts=_accounts(config.get("aws:allowedAccountIds")),
        sections=sections,
        file=file.name,
    )


def other_stack_files(project_dir: Path, stack: str) -> list[StackFacts]:
    """The other dataplatform stacks of the project: every ``Pulumi.<name>.yaml`` beside this one's
    (in ``stackConfigDir`` when ``Pulumi.yaml`` sets it)."""
    config_dir = project_dir
    try:
        project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    except (OSError, yaml.YAMLError):
        project = None
    if isinstance(project, dict) and isinstance(project.get("stackConfigDir"), str):
        config_dir = project_dir / project["stackConfigDir"]
    found = []
    for file in sorted(config_dir.glob("Pulumi.*.yaml")):
        name = file.name[len("Pulumi.") : -len(".yaml")]
        if name == stack or "." in name:
            continue
        facts = stack_facts(name, file)
        if facts is not None:
            found.append(facts)
    return found


def singleton_issues(this: StackFacts, others: Sequence[StackFacts]) -> list[ConfigIssue]:
    """One issue per singleton that ``this`` stack owns and another stack of the same account and
    region owns too, naming both stacks and the fix."""
    issues = []
    for singleton in SINGLETONS:
        if not this.owns(singleton):
            continue
        rivals = [
            other
            for other in others
            if other.owns(singleton) and other.region == this.region and this.may_share_account(other)
        ]
        if not rivals:
            continue
        names = ", ".join(f"'{o.name}' ({o.file})" for o in rivals)
        undeclared = this.accounts is None or any(o.accounts is None for o in rivals)
        account = (
            "an account not declared by both (aws:allowedAccountIds), so possibly the same one"
            if undeclared
            else "the same account"
        )
        issues.append(
            ConfigIssue(
                f"dataplatform:{singleton.section}.{singleton.key}",
                True,
                f"{singleton.what} are one per account and region, and stack '{this.name}' and stack {names} "
                f"would both manage them in {this.region}, {account}; the last `pulumi up` would win and a "
                f"destroy would clear them for both. Keep {singleton.key}: true in one stack and set "
                f"{singleton.section}.{singleton.key}: false in the others (they read the owner's settings), "
                "or declare each stack's account with aws:allowedAccountIds if they differ",
            )
        )
    return issues


def ownership_issues(
    stack: str, region: str, accounts: Any, sections: Mapping[str, Any], project_dir: Path
) -> list[ConfigIssue]:
    """:func:`singleton_issues` of the stack being run (its ``dataplatform:`` sections and
    ``aws:allowedAccountIds``) against the other stack files of its project."""
    this = StackFacts(
        name=stack,
        region=region,
        accounts=_accounts(accounts),
        sections=sections,
        file=f"Pulumi.{stack}.yaml",
    )
    return singleton_issues(this, other_stack_files(project_dir, stack))
