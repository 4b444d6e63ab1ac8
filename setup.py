"""The one part of the build that pyproject.toml cannot say: the namespaced package list.

The repository keeps its Pulumi-project layout (top-level ``components/``, ``policies/``,
``dpengine/``); the installed distribution puts each folder under the ``dataplatform`` namespace
(PEP 420: there is no ``dataplatform/__init__.py``). Subpackages are discovered, so a new
``components/<name>/`` ships without editing this file. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

NAMESPACED = {
    "dataplatform.components": "components",
    "dataplatform.policies": "policies",
    "dataplatform.engine": "dpengine",
}
"""Installed package name -> repository folder."""

setup(
    package_dir=NAMESPACED,
    packages=[
        f"{package}.{sub}" if sub else package
        for package, folder in NAMESPACED.items()
        for sub in ["", *find_packages(folder)]
    ],
)
