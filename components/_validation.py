"""Validation shared by every component: one error type, one message format.

Settings models raise :class:`InvalidConfigError`, a :class:`pulumi.RunError`, so
that both the Pulumi CLI and the offline engine report the message without a
Python traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "SECRET_SHOWN",
    "ConfigIssue",
    "CrossFieldError",
    "InvalidConfigError",
    "SettingsModel",
    "check_choice",
    "format_validation_error",
    "further_issues",
    "redact_secrets",
]


class ConfigIssue:
    """One problem in one place of the configuration."""

    __slots__ = ("message", "path", "value")

    def __init__(self, path: str, value: Any, message: str) -> None:
        self.path = path
        self.value = value
        self.message = message

    def __str__(self) -> str:
        shown = _show_value(self.value)
        return f"{self.path}: {self.message}" + (f" (got {shown})" if shown else "")

    def __repr__(self) -> str:
        return f"ConfigIssue({self.path!r}, {self.message!r})"


class InvalidConfigError(pulumi.RunError, ValueError):
    """Configuration or component arguments that cannot be deployed.

    The message lists every problem found, each with the key path, the bad
    value and how to fix it.
    """

    def __init__(self, issues: Sequence[ConfigIssue], *, subject: str = "configuration") -> None:
        self.issues = list(issues)
        lines = [f"invalid {subject}: {len(self.issues)} problem(s)"]
        lines += [f"  - {issue}" for issue in self.issues]
        super().__init__("\n".join(lines))


def check_choice(path: str, value: Any, choices: Sequence[str], *, subject: str) -> None:
    """Refuse a string argument outside ``choices`` (an access level such as ``"wrte"``): the type
    hints say ``Literal[...]`` but Python does not enforce them, and a misspelt level would
    otherwise reach a policy or an environment variable unnoticed."""
    if isinstance(value, str) and value in choices:
        return
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InvalidConfigError(
        [ConfigIssue(path, value, f"{hint}use one of {', '.join(repr(c) for c in choices)}")],
        subject=subject,
    )


class CrossFieldError(ValueError):
    """Raised by a model validator for several problems at once, each with a path
    relative to the model (``"services[0].lake_access.read"``)."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))


def _show_value(value: Any) -> str:
    if value is _MISSING:
        return ""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_MISSING = object()


class _SecretShown:
    """Stands in for a value read from a secret config key: messages show ``[secret]``."""

    def __repr__(self) -> str:
        return "[secret]"


SECRET_SHOWN: Any = _SecretShown()
_REQUIRED = "is required; set it"


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return list(model.model_fields)


def _submodel(model: type[BaseModel] | None, key: str | int) -> type[BaseModel] | None:
    """The settings model found at ``key`` inside ``model``, if any (for suggestions)."""
    if model is None or not isinstance(key, str) or key not in model.model_fields:
        return None
    annotation = model.model_fields[key].annotation
    return _first_model_in(annotation)


def _first_model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model_in(arg)
        if found is not None:
            return found
    return None


def redact_secrets(
    issues: list[ConfigIssue], secret_keys: frozenset[str], values: Mapping[str, Any], prefix: str = ""
) -> list[ConfigIssue]:
    """No message shows a value read from a secret config key, at any depth.

    The Pulumi CLI marks a whole key secret when any leaf of its object is a ``secure:`` value
    (``ConfigSecretKeys``; the Python SDK offers only key-level marks, ``is_config_secret``), so
    every value under such a key may be the secret one: none is echoed, neither as the issue's
    value nor inside its message (every string under a secret key is replaced).
    """
    # Strings of under four characters are not replaced: they would garble the message itself.
    found = {t for k in secret_keys for t in _strings(values.get(k)) if len(t) >= 4}
    texts = sorted(found, key=len, reverse=True)
    for issue in issues:
        key = issue.path.removeprefix(prefix).split(".", 1)[0].split("[", 1)[0]
        if key in secret_keys:
            issue.value = SECRET_SHOWN
        for text in texts:
            issue.message = issue.message.replace(text, "[secret]")
    return issues


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def format_validation_error(
    error: ValidationError, model: type[BaseModel] | None, prefix: str = ""
) -> list[ConfigIssue]:
    """Turn a pydantic error into issues that name the key path and the fix.

    Unknown keys get a "did you mean" suggestion drawn from the model's fields.
    """
    issues: list[ConfigIssue] = []
    for err in error.errors(include_url=False):
        loc: Iterable[str | int] = err.get("loc", ())
        parts: list[str] = []
        owner = model
        parent_owner = model
        for key in loc:
            parent_owner = owner
            parts.append(f"[{key}]" if isinstance(key, int) else str(key))
            owner = _submodel(owner, key) if not isinstance(key, int) else owner
        path = _join_path(prefix, parts)
        kind = err.get("type", "")
        value = err.get("input", _MISSING)
        if kind == "extra_forbidden":
            bad_key = str(parts[-1]) if parts else "?"
            known = _field_names(parent_owner)
            close = difflib.get_close_matches(bad_key, known, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(known)}"
            issues.append(ConfigIssue(path, _MISSING, f"unknown key; {hint}"))
        elif kind == "missing":
            issues.append(ConfigIssue(path, _MISSING, _REQUIRED))
        elif isinstance((err.get("ctx") or {}).get("error"), CrossFieldError):
            for inner in err["ctx"]["error"].issues:
                issues.append(ConfigIssue(_append_path(path, inner.path), inner.value, inner.message))
        else:
            message = err.get("msg", "invalid value")
            # pydantic prefixes ValueError messages raised by our validators.
            message = message.removeprefix("Value error, ")
            issues.append(ConfigIssue(path, value, message))
    return issues


def further_issues(
    error: ValidationError, model: type[BaseModel], data: Any, prefix: str = "", passes: int = 3
) -> list[ConfigIssue]:
    """The issues ``error`` hides: pydantic skips a model's own checks when one of its fields
    fails, so a CPU request above its limit hid the http probe without a port of the same service.
    Each pass drops every value that failed (its section then takes its default: a failing list
    item drops the whole list) and validates again, keeping the issues the earlier passes did not
    see; an issue inside a dropped value (its default) is no issue, and neither is one of the model
    holding a dropped list: its checks then compare the other fields with the default list, not the
    user's (one bad node group must not also report a NodePool clashing with a default group)."""
    import copy

    seen = {(i.path, i.message) for i in format_validation_error(error, model, prefix)}
    dropped: set[tuple[str | int, ...]] = set()
    defaulted_owners: set[tuple[str | int, ...]] = set()
    found: list[ConfigIssue] = []
    current = copy.deepcopy(data)
    for _ in range(passes):
        locs = []
        for err in error.errors(include_url=False):
            loc = tuple(err.get("loc", ()))
            item = bool(loc) and isinstance(loc[-1], int)
            while loc and isinstance(loc[-1], int):  # an item: drop its list
                loc = loc[:-1]
            if loc[:-1] and item:  # the root's checks span sections: those are kept
                defaulted_owners.add(loc[:-1])
            if loc:
                locs.append(loc)
        if not locs:
            break
        for loc in locs:
            _drop(current, loc)
            dropped.add(loc)
        try:
            model.model_validate(current)
            break
        except ValidationError as again:
            error = again
        gone = [_join_path(prefix, [f"[{k}]" if isinstance(k, int) else str(k) for k in d]) for d in dropped]
        owners = [
            _join_path(prefix, [f"[{k}]" if isinstance(k, int) else str(k) for k in d])
            for d in defaulted_owners
        ]
        for issue in format_validation_error(error, model, prefix):
            if any(issue.path == g or issue.path.startswith((g + ".", g + "[")) for g in gone):
                continue  # about the default that replaced a dropped value, not about the user's
            if any(issue.path.startswith((o + ".", o + "[")) for o in owners):
                continue  # the owner's checks ran against the default list, not the user's
            if (issue.path, issue.message) not in seen:
                seen.add((issue.path, issue.message))
                found.append(issue)
    return found


def _drop(data: Any, loc: tuple[str | int, ...]) -> None:
    for key in loc[:-1]:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict):
        data.pop(loc[-1], None)


def _append_path(base: str, relative: str) -> str:
    if base in ("", "(root)"):
        return relative
    if base.endswith(":") or relative.startswith("["):
        return base + relative
    return f"{base}.{relative}"


def _join_path(prefix: str, parts: list[str]) -> str:
    path = prefix
    for part in parts:
        if part.startswith("["):
            path += part
        else:
            path = f"{path}.{part}" if path and not path.endswith(":") else f"{path}{part}"
    return path if path and path != prefix else (prefix or "(root)")


class SettingsModel(BaseModel):
    """Base of every settings model: strict keys, immutable, documented fields.

    Constructing one with bad values raises :class:`InvalidConfigError` (not a
    bare pydantic error), so a mistake in a program that imports our
    components is reported like a mistake in stack config.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise InvalidConfigError(
                format_validation_error(error, type(self)),
                subject=f"{type(self).__name__}",
            ) from None

    # Tell pydantic this __init__ only wraps errors: nested models are then built by
    # pydantic-core directly, and one error lists every problem with its full path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def parse(cls, data: Any, prefix: str = "") -> Any:
        """Validate ``data`` (e.g. a stack config section) with ``prefix`` as its key path."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise InvalidConfigError(format_validation_error(error, cls, prefix)) from None
