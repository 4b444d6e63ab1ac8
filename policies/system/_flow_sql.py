"""Database grants of the data-flow proof: what the migration SQL in the plan grants each user.

The SQL is read from the plan where a migration job carries it (ConfigMap data, a Job's command,
arguments or environment) and parsed for the PostgreSQL statements that decide access
(https://www.postgresql.org/docs/current/sql-grant.html, sql-alterdefaultprivileges.html,
sql-createrole.html): ``CREATE USER|ROLE <name>``, ``GRANT <role>[, ...] TO <user>`` (membership,
``rds_iam`` included: RDS IAM database authentication needs it, AWS RDS User Guide "Creating a database
account using IAM authentication"), ``GRANT <privileges> ON [TABLE] <t> | ALL TABLES IN SCHEMA <s> TO
<user>`` and ``ALTER DEFAULT PRIVILEGES ... GRANT <privileges> ON TABLES TO <user>``. Privileges held
through a role the user is a member of count (PostgreSQL roles inherit by default).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .._common import as_list
from ._flow_plan import Plan

ALL = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
_IDENT = r'"?(\w+)"?'
_USER = re.compile(rf"\b(?:CREATE|ALTER)\s+(?:USER|ROLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?{_IDENT}", re.I)
_PRIVILEGES = re.compile(
    r"^(?:ALTER\s+DEFAULT\s+PRIVILEGES\b.*?\s)?(GRANT|REVOKE)\s+(?:GRANT\s+OPTION\s+FOR\s+)?(.+?)\s+ON\s+(.+?)"
    r"\s+(?:TO|FROM)\s+(.+?)(?:\s+WITH\s+GRANT\s+OPTION|\s+CASCADE|\s+RESTRICT)?$",
    re.I | re.S,
)
_MEMBERSHIP = re.compile(
    r"^(GRANT|REVOKE)\s+([\w\",\s]+?)\s+(?:TO|FROM)\s+(.+?)(?:\s+WITH\s+\w+\s+OPTION)?$", re.I | re.S
)
_OTHER_OBJECTS = re.compile(
    r"^(SCHEMA|DATABASE|SEQUENCES?|ALL\s+SEQUENCES|FUNCTIONS?|ALL\s+FUNCTIONS|ROUTINES?|ALL\s+ROUTINES|PROCEDURES?|"
    r"ALL\s+PROCEDURES|TYPES?|DOMAIN|LANGUAGE|FOREIGN|LARGE|TABLESPACE|PARAMETER)\b",
    re.I,
)


@dataclass
class Grants:
    users: set[str] = field(default_factory=set)
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """user -> roles it is a member of."""
    privileges: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """user or role -> table privileges granted to it (now, or by default on tables made later)."""


def _names(text: str) -> list[str]:
    return [n.strip().strip('"').lower() for n in text.split(",") if n.strip()]


def _statements(sql: str) -> list[str]:
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return [" ".join(s.split()) for s in without_comments.split(";") if s.strip()]


def _table_privileges(text: str) -> set[str] | None:
    privileges = {p.upper() for p in _names(text)}
    if {"ALL", "ALL PRIVILEGES"} & privileges:
        return set(ALL)
    return privileges if privileges <= set(ALL) else None


def parse(sqls: list[str]) -> Grants:
    """The users, memberships and table privileges the statements leave, in order (a REVOKE takes
    back what an earlier GRANT gave)."""
    grants = Grants()
    for sql in sqls:
        for statement in _statements(sql):
            for created in _USER.finditer(statement):
                grants.users.add(created.group(1).lower())
            objects = _PRIVILEGES.match(statement)
            if objects:
                verb, target = objects.group(1).upper(), objects.group(3)
                privileges = _table_privileges(objects.group(2))
                if privileges is None or _OTHER_OBJECTS.match(target):
                    continue  # privileges on schemas, databases, sequences, functions: not table access
                for user in _names(objects.group(4)):
                    if verb == "GRANT":
                        grants.privileges[user] |= privileges
                    else:
                        grants.privileges[user] -= privileges
                continue
            membership = _MEMBERSHIP.match(statement)
            if membership:
                roles = set(_names(membership.group(2)))
                for user in _names(membership.group(3)):
                    if membership.group(1).upper() == "GRANT":
                        grants.members[user] |= roles
                    else:
                        grants.members[user] -= roles
    return grants


def _effective(grants: Grants, user: str) -> tuple[set[str], set[str]]:
    """(roles reachable from ``user``, table privileges held directly or through them)."""
    seen: set[str] = set()
    todo = [user]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += sorted(grants.members.get(current, set()))
    privileges: set[str] = set()
    for role in seen:
        privileges |= grants.privileges.get(role, set())
    return seen - {user}, privileges


def grants_hop(plan: Plan, hop: dict[str, Any]) -> tuple[bool | None, str]:
    user = str(hop.get("user") or "").lower()
    wanted = {str(p).upper() for p in as_list(hop.get("privileges"))}
    sources = plan.sql_texts()
    grants = parse([text for _, text in sources])
    roles, privileges = _effective(grants, user)
    if hop.get("expect", "allow") == "deny":
        held = sorted(wanted & privileges)
        if held:
            return False, f"the migration SQL grants {user} {', '.join(held)}, which it must not have"
        return True, "not granted"
    if not sources:
        return False, f"no migration SQL in the plan creates {user} and grants it {', '.join(sorted(wanted))}"
    problems = []
    if user not in grants.users:
        problems.append(f"creates no user {user}")
    missing = sorted(wanted - privileges)
    if missing:
        problems.append(f"grants {user} no {', '.join(missing)} on tables")
    if hop.get("iamAuth") and "rds_iam" not in roles:
        problems.append(f"does not grant rds_iam to {user} (IAM authentication fails)")
    where = ", ".join(sorted({r.name for r, _ in sources}))
    if problems:
        return False, f"the migration SQL ({where}) " + "; ".join(problems)
    return True, f"granted by {where}"
