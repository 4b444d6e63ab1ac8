"""Pulumi's wire format (protobuf Structs with signature keys) to plain JSON values.

The real engine and the policy analyzer see properties in this shape:
camelCase names, secrets and resource references marked by a signature key.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_MASK = "[secret]"


class Unknown:
    """A value not known until the resource is created (preview only)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN_VALUE = Unknown()


def struct_to_python(struct: struct_pb2.Struct) -> dict[str, Any]:
    """The raw struct as Python values, signatures untouched."""
    return json_format.MessageToDict(struct, preserving_proto_field_name=True)


def decode(value: Any, *, secrets: str = "unwrap", unknowns: Any = UNKNOWN_VALUE) -> Any:
    """Plain values from wire values.

    ``secrets``: ``"unwrap"`` gives the plain value, ``"mask"`` replaces it by
    ``"[secret]"``. Resource references become their URN; unknowns become
    ``unknowns``; null members are dropped, as the engine does.
    """
    if isinstance(value, str):
        return unknowns if value == UNKNOWN else value
    if isinstance(value, list):
        return [decode(v, secrets=secrets, unknowns=unknowns) for v in value]
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            if secrets == "mask":
                return SECRET_MASK
            return decode(value.get("value"), secrets=secrets, unknowns=unknowns)
        if sig == RESOURCE_SIG:
            return value.get("urn")
        if sig == OUTPUT_SIG:
            if value.get("secret") and secrets == "mask":
                return SECRET_MASK
            if "value" not in value:
                return unknowns
            return decode(value["value"], secrets=secrets, unknowns=unknowns)
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return {k: v for k, v in value.items() if k != SIG_KEY}
        return {k: decode(v, secrets=secrets, unknowns=unknowns) for k, v in value.items() if v is not None}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return True
        if value.get(SIG_KEY) == OUTPUT_SIG and value.get("secret"):
            return True
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN_VALUE:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False
