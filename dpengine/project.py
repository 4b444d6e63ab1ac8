"""A Pulumi project as the CLI reads it: ``Pulumi.yaml``, ``Pulumi.<stack>.yaml``, and the engine's error.

The config of a stack comes out as the CLI would pass it to the program: fully qualified keys
(``project:key``), project defaults first, ``secure:`` values replaced by a placeholder (the
ciphertext cannot be decrypted offline) and marked secret.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from .engine import ResourceRecord

OFFLINE_SECRET = "offline-secret-value"
"""What a ``secure:`` config value reads as offline: the ciphertext cannot be decrypted here."""


class EngineError(Exception):
    """A stack that cannot be run: missing files, bad YAML, bad config or a failing program.

    ``kind`` is one of ``project``, ``stack``, ``config``, ``program``;
    ``resources`` holds what was registered before the failure; ``error`` is the exception the
    program raised (for ``config``, the ``InvalidConfigError`` with its ``issues``), None when the
    program did not run.
    """

    def __init__(
        self,
        message: str,
        kind: str,
        resources: list[ResourceRecord] | None = None,
        error: BaseException | None = None,
        location: tuple[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.resources = resources or []
        self.error = error
        self.location = location
        """Where the program failed: (absolute path, line) of the innermost frame in the project's own
        files (not the SDK's, the engine's or an installed package's); None when none is."""


@dataclass
class ProjectFile:
    name: str
    runtime: str
    main: Path
    config_defaults: dict[str, Any]


def load_project(project_dir: Path) -> ProjectFile:
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():
        alt = project_dir / "Pulumi.yml"
        if not alt.is_file():
            raise EngineError(
                f"no Pulumi.yaml in {project_dir}: is this a Pulumi project? (use --dir)", "project"
            )
        path = alt
    data = _read_yaml(path, "project")
    if not isinstance(data, dict) or not data.get("name"):
        raise EngineError(f"{path}: a Pulumi project file needs a 'name'", "project")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise EngineError(
            f"{path}: runtime is {runtime_name!r}; the offline engine runs Python programs only", "project"
        )
    main = project_dir / str(data.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise EngineError(f"{path}: program entry point {main} does not exist", "project")
    defaults: dict[str, Any] = {}
    for key, spec in (data.get("config") or {}).items():
        full = key if ":" in key else f"{data['name']}:{key}"
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            defaults[full] = spec.get("value", spec.get("default"))
        elif not isinstance(spec, dict):
            defaults[full] = spec
    return ProjectFile(name=str(data["name"]), runtime="python", main=main, config_defaults=defaults)


# libyaml's loader when PyYAML has it: the pure-Python one took a sixth of a dev preview.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, second: int) -> None:
        super().__init__(f"key {key!r} appears twice, at lines {first} and {second}; keep one")


class _YAML_LOADER(_BASE_LOADER):  # noqa: N801
    """The safe loader, refusing a key given twice in one mapping (YAML 1.2 forbids it; PyYAML
    would keep the last silently)."""


def _mapping_without_duplicates(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, (str, int, float, bool)) and key in seen:
            raise _DuplicateKey(key, seen[key], line)
        if isinstance(key, (str, int, float, bool)):
            seen[key] = line
    return dict(loader.construct_mapping(node, deep=True))


_YAML_LOADER.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


_YAML_CACHE: dict[tuple[str, int, int], Any] = {}

MAX_YAML_NODES = 100_000
"""The most values a stack or project file may expand to once its aliases are followed. A YAML
alias names a node already read, so a few hundred bytes of nested aliases (a "billion laughs"
file) expand to billions of values: counted on the node graph before anything is built, such a
file is refused at once instead of exhausting memory. Real stack files hold a few thousand."""


class _TooManyNodes(yaml.YAMLError):
    pass


def _expanded_size(root: Any, limit: int) -> int:
    """How many nodes ``root`` stands for with every alias expanded (shared nodes counted each time
    they are reached, memoised so the count itself stays linear in the file's size)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:  # a recursive alias: PyYAML builds a cycle, JSON config cannot hold one
            raise _TooManyNodes("a value refers to itself through an alias (a cycle); remove the alias")
        visiting.add(key)
        total = 1
        value = node.value
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in value:
                total += size(item)
                if total > limit:
                    break
        visiting.discard(key)
        sizes[key] = total
        if total > limit:
            raise _TooManyNodes(
                f"its aliases expand to more than {limit:,} values (a YAML alias bomb?); "
                "write the values out or use fewer nested aliases"
            )
        return total

    return size(root)


def _load_bounded(text: str) -> Any:
    """``yaml.load`` with the safe loader, refusing a document whose aliases expand past
    :data:`MAX_YAML_NODES` before it is constructed."""
    loader = _YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, MAX_YAML_NODES)
        return loader.construct_document(node)
    except RecursionError:
        raise _TooManyNodes("its values are nested too deeply to read; flatten the file") from None
    finally:
        loader.dispose()


def _read_yaml(path: Path, kind: str) -> Any:
    """The parsed file; an unchanged file (same size and mtime) is parsed once per process."""
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _YAML_CACHE:
            _YAML_CACHE[key] = _load_bounded(path.read_text())
        return copy.deepcopy(_YAML_CACHE[key])
    except (_DuplicateKey, _TooManyNodes) as error:
        raise EngineError(f"{path}: not valid YAML: {error}", kind) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise EngineError(f"{path}: not valid YAML{where}: {problem}", kind) from None
    except OSError as error:
        raise EngineError(f"{path}: cannot read: {error.strerror}", kind) from None


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack_config(
    project_dir: Path, project: ProjectFile, stack: str
) -> tuple[dict[str, Any], list[str]]:
    """Config of ``stack`` as the CLI would pass it: qualified keys, secrets marked."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(available_stacks(project_dir)) or "none"
        raise EngineError(f"no stack file {path.name} in {project_dir} (stacks here: {known})", "stack")
    data = _read_yaml(path, "stack") or {}
    if not isinstance(data, dict):
        raise EngineError(f"{path}: expected a mapping with a 'config' key", "stack")
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise EngineError(f"{path}: 'config' must be a mapping of keys to values", "stack")
    _refuse_namespace_typos(path, raw, project.name)
    config: dict[str, Any] = dict(project.config_defaults)
    secrets: list[str] = []
    for key, value in raw.items():
        full = str(key) if ":" in str(key) else f"{project.name}:{key}"
        value, secret = _strip_secure(value)
        config[full] = value
        if secret:
            secrets.append(full)
    return config, secrets


def _strip_secure(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return OFFLINE_SECRET, True
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            out[k], secret = _strip_secure(v)
            found = found or secret
        return out, found
    if isinstance(value, list):
        items = [_strip_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


# Namespaces of providers and tools a stack file sets keys of; never taken for a typo.
_KNOWN_NAMESPACES = frozenset(
    {"aws", "aws-native", "kubernetes", "eks", "pulumi", "random", "tls", "command"}
)


def _refuse_namespace_typos(path: Path, raw: dict[Any, Any], project: str) -> None:
    """A key whose namespace is one edit or two from the project's (``dataplatfrom:network``)
    would be ignored by the program, which then runs on defaults: refuse it, naming the fix."""
    import difflib

    for key in raw:
        namespace, colon, rest = str(key).partition(":")
        if not colon or namespace == project or namespace in _KNOWN_NAMESPACES:
            continue
        if difflib.SequenceMatcher(None, namespace, project).ratio() >= 0.8:
            raise EngineError(
                f"{path}: config key {key!r}: the namespace {namespace!r} is not this project's; "
                f"did you mean '{project}:{rest}'? (the program reads only {project}:... keys, so "
                "this value would be ignored and the defaults used)",
                "stack",
            )


def find_project_dir(start: str | Path | None) -> Path:
    """The nearest directory holding ``Pulumi.yaml`` from ``start`` (default: the working
    directory) upwards, as the Pulumi CLI finds its project; ``start`` itself when none does
    (the engine then says there is no project there)."""
    begin = Path(start or ".").resolve()
    for directory in (begin, *begin.parents):
        if (directory / "Pulumi.yaml").is_file() or (directory / "Pulumi.yml").is_file():
            return directory
    return begin


def split_stack_name(value: str) -> tuple[str | None, str | None, str]:
    """``stack``, ``org/stack`` or ``org/project/stack`` as Pulumi takes them: (org, project, stack)."""
    parts = value.split("/")
    if len(parts) > 3 or not all(parts):
        raise ValueError(f"--stack takes STACK, ORG/STACK or ORG/PROJECT/STACK (got {value!r})")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], None, parts[1]
    return None, None, parts[0]
