"""The installed distribution: namespaced packages, typed, licensed, quiet to build, pins in one place.

The wheel is built once for this module with this environment's setuptools (no index, no build
isolation: a few seconds, offline), installed with ``--target`` into a temporary directory, and used
from a temporary "team project" that has its OWN ``components`` and ``policies`` packages: the case
the ``dataplatform.`` namespace exists for (docs/PACKAGING.md).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from collections.abc import Iterator
from importlib.metadata import packages_distributions, version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

INSTALLED_AS = {
    "components": "dataplatform/components",
    "policies": "dataplatform/policies",
    "dpengine": "dataplatform/engine",
}
"""Repository folder -> where the wheel puts it (the decision in docs/PACKAGING.md)."""

SHIPPED = ("*.py", "*.json", "*.yaml", "py.typed")
"""The files of those folders that the wheel must carry (modules and package data)."""

ENTRY_SCRIPTS = {ROOT / "policies" / "__main__.py"}
"""Run as scripts (the Pulumi CLI runs the pack directory), never imported as package modules."""

STACK = "pulumi:pulumi:Stack"

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "venv", ".venv", "build", "*.egg-info")


# --------------------------------------------------------------------------- the build


def _repository_files(folder: str) -> set[str]:
    """Files under ``folder`` that the wheel must ship, as wheel paths."""
    base = ROOT / folder
    found: set[str] = set()
    for pattern in SHIPPED:
        for path in base.rglob(pattern):
            rel = path.relative_to(base)
            if any(part in {"venv", ".venv", "__pycache__"} for part in rel.parts):
                continue
            found.add(f"{INSTALLED_AS[folder]}/{rel.as_posix()}")
    return found


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the wheel from a clean copy of the sources (no stale ``build/``, nothing written here)."""
    work = tmp_path_factory.mktemp("packaging")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for folder in INSTALLED_AS:
        shutil.copytree(ROOT / folder, src / folder, ignore=_IGNORED)
    dist = work / "dist"
    command = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-v", "-w", str(dist)]
    if Version(version("setuptools")) >= Version("77"):
        # What [build-system] requires is here already (the test extra has it): build offline.
        command += ["--no-build-isolation", "--no-index"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # else distutils warns
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"pip wheel failed:\n{log[-4000:]}"
    (wheel,) = dist.glob("dataplatform-*.whl")
    return {"wheel": wheel, "log": log, "work": work}


@pytest.fixture(scope="module")
def wheel_names(build: dict[str, Any]) -> set[str]:
    with zipfile.ZipFile(build["wheel"]) as archive:
        return set(archive.namelist())


def _dist_info(names: set[str]) -> str:
    (info,) = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
    return info


def test_wheel_has_only_the_dataplatform_namespace(wheel_names: set[str]) -> None:
    top = {name.split("/")[0] for name in wheel_names if "/" in name}
    assert top == {"dataplatform", _dist_info(wheel_names)}, f"stray top-level entries: {sorted(top)}"
    # A PEP 420 namespace: `dataplatform` has no __init__.py, so nothing else can own the name.
    assert "dataplatform/__init__.py" not in wheel_names
    assert {name.split("/")[1] for name in wheel_names if name.startswith("dataplatform/")} == {
        "components",
        "policies",
        "engine",
    }


@pytest.mark.parametrize("folder", sorted(INSTALLED_AS))
def test_wheel_ships_every_module_and_data_file(folder: str, wheel_names: set[str]) -> None:
    # A new subpackage (components/<name>/) is discovered by setup.py; a folder that misses its
    # __init__.py would be dropped silently: this names it.
    missing = _repository_files(folder) - wheel_names
    assert not missing, f"not in the wheel: {sorted(missing)}"


@pytest.mark.parametrize("folder", sorted(INSTALLED_AS))
def test_every_package_is_typed(folder: str, wheel_names: set[str]) -> None:
    assert (ROOT / folder / "py.typed").is_file()
    assert f"{INSTALLED_AS[folder]}/py.typed" in wheel_names


def test_metadata_license_and_console_script(build: dict[str, Any], wheel_names: set[str]) -> None:
    info = _dist_info(wheel_names)
    with zipfile.ZipFile(build["wheel"]) as archive:
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        shipped_license = archive.read(f"{info}/licenses/LICENSE").decode()
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert shipped_license == (ROOT / "LICENSE").read_text()
    assert "Apache License" in shipped_license and "Version 2.0, January 2004" in shipped_license
    assert "dataplatform = dataplatform.engine.cli:main" in entry_points.splitlines()


def test_build_prints_no_warnings(build: dict[str, Any]) -> None:
    # `pip -v` shows everything setuptools says (the old license table printed ~55 lines each time).
    warnings = [line.strip() for line in build["log"].splitlines() if re.search(r"warning", line, re.I)]
    warnings = [line for line in warnings if "is ignored: it is neither a file nor a directory" not in line]
    assert not warnings, "\n".join(warnings)


# --------------------------------------------------------------------------- a team's project


TEAM_COMPONENTS = """\
OWNER = "team"
TAGS = {"Environment": "dev", "Project": "team", "Owner": "team", "CostCenter": "cc-1", "ManagedBy": "pulumi"}
"""

TEAM_PROGRAM = """\
import pulumi
from components import OWNER, TAGS  # the team's own package

from dataplatform.components import DataLakeBucket, DataLakeBucketArgs, DataLakeSettings, validate_tags

DataLakeBucket(
    "lake", DataLakeBucketArgs(settings=DataLakeSettings(deletion_protection=False), tags=validate_tags(TAGS))
)
pulumi.export("owner", OWNER)
"""

PROBE = """\
import contextlib, io, json, sys, traceback

report = {}


def step(name, run, command=False):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            report[name] = run()
    except BaseException:
        report[name] = {"error": traceback.format_exc(), "output": out.getvalue()[-2000:]}
    else:
        if command and report[name] != 0:
            report[name] = {"exit": report[name], "output": out.getvalue()[-2000:]}


def team():
    import components, policies
    return {"components": components.OWNER, "policies": policies.OWNER, "file": components.__file__}


def ours():
    from dataplatform.components import DataLakeBucket
    return sys.modules[DataLakeBucket.__module__].__file__


def pack():
    import dataplatform.policies
    return len(dataplatform.policies.ALL_POLICIES)


def cli(*argv):
    def run():
        from dataplatform.engine.cli import main
        return main(list(argv))
    return run


step("team", team)
step("ours", ours)
step("pack", pack)
step("preview", cli("preview", "--stack", "dev", "--json", "out/plan.json"), command=True)
step("check", cli("check", "--stack", "dev", "--format", "json", "--output", "out/check.json"), command=True)
step("schema", cli("schema", "--output", "out/schema.json"), command=True)
report["modules"] = {
    name: getattr(module, "__file__", None)
    for name, module in list(sys.modules.items())
    if name.split(".")[0] in ("components", "policies", "dpengine", "dataplatform")
}
with open("out/report.json", "w") as handle:
    json.dump(report, handle)
"""


@pytest.fixture(scope="module")
def team(build: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Install the wheel into a target directory and run the probe from a team project."""
    work: Path = build["work"]
    target = work / "target"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target)]
    done = subprocess.run(
        [*install, str(build["wheel"])],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    project = work / "team"
    for package in ("components", "policies"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text(TEAM_COMPONENTS)
    (project / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (project / "__main__.py").write_text(TEAM_PROGRAM)
    (project / "out").mkdir()
    # -S: no site-packages .pth files, so an editable install of this repository cannot stand in
    # for the wheel; the SDKs come from this environment's site-packages, after the wheel.
    paths = dict.fromkeys([str(target), *site.getsitepackages(), sysconfig.get_paths()["purelib"]])
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONSAFEPATH", "PYTHONHOME"}}
    env.update(PYTHONPATH=os.pathsep.join(paths), PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run(
        [sys.executable, "-S", "-c", textwrap.dedent(PROBE)],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((project / "out" / "report.json").read_text())
    yield {"report": report, "target": target, "project": project}


def _ok(report: dict[str, Any], step: str) -> Any:
    value = report[step]
    assert not (isinstance(value, dict) and ("error" in value or "exit" in value)), (
        f"{step} failed in the team project:\n{value.get('error') or ''}{value.get('output') or ''}"
    )
    return value


def test_team_project_keeps_its_own_components_and_policies(team: dict[str, Any]) -> None:
    report = team["report"]
    assert _ok(report, "team") == {
        "components": "team",
        "policies": "team",
        "file": str(team["project"] / "components" / "__init__.py"),
    }


def test_namespaced_packages_import_from_the_wheel(team: dict[str, Any]) -> None:
    report = team["report"]
    target = str(team["target"])
    assert _ok(report, "ours").startswith(str(team["target"] / "dataplatform" / "components"))
    assert _ok(report, "pack") >= 1
    from policies import ALL_POLICIES

    assert report["pack"] == len(ALL_POLICIES)
    modules = report["modules"]
    assert {"dataplatform.components", "dataplatform.policies", "dataplatform.engine.cli"} <= set(modules)
    # Ours all came from the wheel, the team's from the team project; no `dpengine` anywhere.
    home = {"dataplatform": target, "components": str(team["project"]), "policies": str(team["project"])}
    strays = {
        name: path
        for name, path in modules.items()
        if path is not None and not path.startswith(home.get(name.split(".")[0], "<nowhere>"))
    }
    assert not strays, f"imported from the wrong place: {strays}"


def test_installed_cli_previews_and_checks_a_team_program(team: dict[str, Any]) -> None:
    report, out = team["report"], team["project"] / "out"
    assert _ok(report, "preview") == 0
    plan = json.loads((out / "plan.json").read_text())
    types = [step["newState"]["type"] for step in plan["steps"]]
    assert types.count("dataplatform:storage:DataLakeBucket") == 1
    (stack,) = [state for state in (step["newState"] for step in plan["steps"]) if state["type"] == STACK]
    assert stack["outputs"] == {"owner": "team"}  # the program ran with the team's `components`

    assert _ok(report, "check") == 0
    checked = json.loads((out / "check.json").read_text())
    from policies import ALL_POLICIES

    # The pack the engine was handed is the installed one, config included.
    assert checked["pack"]["name"] == "dataplatform"
    assert checked["summary"]["policies"] == len(ALL_POLICIES)
    config_file = checked["pack"]["config"].split(" (", 1)[0]  # "<file> (<where it came from>)"
    assert config_file.endswith("default.json")  # a team program gets the pack's documented default
    assert Path(team["project"], config_file).resolve().is_relative_to(team["target"].resolve())

    assert _ok(report, "schema") == 0
    assert json.loads((out / "schema.json").read_text()) == json.loads(
        (ROOT / "schema" / "stack-config.schema.json").read_text()
    )


# --------------------------------------------------------------------------- sources, pins, versions


def _absolute_self_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in INSTALLED_AS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def test_library_modules_import_each_other_relatively() -> None:
    # Installed, `components` is `dataplatform.components`: an absolute `components...` import
    # inside the library would import a team's own package of that name (or nothing).
    found = [
        hit
        for folder in INSTALLED_AS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in ENTRY_SCRIPTS and not {"venv", ".venv"} & set(path.relative_to(ROOT).parts)
        for hit in _absolute_self_imports(path)
    ]
    assert not found, "absolute imports of the library's own top-level names:\n" + "\n".join(found)


def _pins() -> dict[str, Requirement]:
    pins = [Requirement(line) for line in PYPROJECT["project"]["dependencies"]]
    pins += [Requirement(line) for line in PYPROJECT["project"]["optional-dependencies"]["cli"]]
    # Helm's renderer is optional (imported only when installed): declared in its own extra.
    pins += [Requirement(line) for line in PYPROJECT["project"]["optional-dependencies"]["helm"]]
    return {canonicalize_name(pin.name): pin for pin in pins}


def _requirements(path: Path) -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [Requirement(line) for line in lines if line]


def test_project_requirements_are_the_library_dependencies() -> None:
    # What `pulumi up` installs into the platform project's venv: exactly the library's runtime pins.
    assert sorted(map(str, _requirements(ROOT / "requirements.txt"))) == sorted(
        str(Requirement(line)) for line in PYPROJECT["project"]["dependencies"]
    )


def test_policy_pack_requirements_repeat_the_pyproject_pins() -> None:
    pins = _pins()
    listed = _requirements(ROOT / "policies" / "requirements.txt")
    assert {canonicalize_name(r.name) for r in listed} >= {"pulumi", "pulumi-policy", "pulumi-aws"}
    for requirement in listed:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name}: in policies/requirements.txt, not in pyproject.toml"
        assert requirement.specifier == pinned.specifier, f"{requirement} != pyproject.toml's {pinned}"


def test_one_version_for_library_and_pack() -> None:
    from policies import PACK_VERSION

    pack = re.search(r"^version:\s*(\S+)", (ROOT / "policies" / "PulumiPolicy.yaml").read_text(), re.M)
    assert pack is not None
    assert PYPROJECT["project"]["version"] == pack.group(1) == PACK_VERSION


TRANSITIVE = {
    "protobuf": "the engine speaks pulumi's gRPC types; pulumi and pulumi-policy pin protobuf themselves",
    "botocore": "bootstrap catches botocore's exceptions; boto3 pins botocore",
}
"""Distributions imported but not declared, and why declaring them would only add a second pin."""


def _third_party_imports(path: Path) -> set[str]:
    """Top-level modules imported at run time (``if TYPE_CHECKING:`` imports are stubs: test extra)."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
    return found - set(sys.stdlib_module_names) - set(INSTALLED_AS)


def test_every_import_of_the_library_is_declared() -> None:
    # `jsonschema` was imported by the engine and declared nowhere: a [cli] install skipped the
    # pack-config validation without a word.
    declared = set(_pins())
    by_module = packages_distributions()
    undeclared = {}
    for folder in INSTALLED_AS:
        for path in (ROOT / folder).rglob("*.py"):
            for module in _third_party_imports(path):
                dists = {canonicalize_name(d) for d in by_module.get(module, [module])}
                if not dists & (declared | set(TRANSITIVE)):
                    undeclared[module] = f"{path.relative_to(ROOT)} (distribution {sorted(dists)})"
    assert not undeclared, f"imported, not in pyproject.toml dependencies or [cli]: {undeclared}"
