"""The strict schemas of the custom resources the project emits (``<group>_<version>_<Kind>.json``).

A package, so that the installed pack ships them as package data; read by ``policies._k8s_schema``
and by ``tests/crdcheck.py``.
"""
