"""A TypeScript SDK for the component package, written from its schema the way Pulumi's Node codegen
writes a component (pkg/codegen/nodejs/gen.go in pulumi/pulumi): an ``<Name>Args`` interface of the
schema's input properties (``pulumi.Input<T>`` unless plain; required ones without ``?``), a class
extending ``pulumi.ComponentResource`` with an ``Output`` per output property, a check for every
required input, and ``super(type, name, inputs, opts, true)``: a remote component, registered for the
engine to Construct through the provider.

Not the real codegen (no Pulumi CLI here): it stands in for ``sdks/dataplatform`` so that a program
written against the generated SDK type-checks against the schema's typed inputs and registers what
the generated SDK registers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["typescript_sdk"]


def _ts_type(spec: dict[str, Any], *, input_side: bool) -> str:
    ref = spec.get("$ref")
    if ref == "pulumi.json#/Any":
        inner = "any"
    elif spec.get("type") == "array":
        inner = f"{_ts_type(spec['items'], input_side=input_side)}[]"
    elif spec.get("type") == "object":
        value = spec.get("additionalProperties", {"type": "string"})
        inner = f"{{[key: string]: {_ts_type(value, input_side=input_side)}}}"
    else:
        inner = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}[
            spec["type"]
        ]
    if input_side and not spec.get("plain"):
        return f"pulumi.Input<{inner}>"
    return inner


def typescript_sdk(schema: dict[str, Any]) -> str:
    lines = ['import * as pulumi from "@pulumi/pulumi";', ""]
    for token, resource in sorted(schema["resources"].items()):
        name = token.rsplit(":", 1)[1]
        required = set(resource.get("requiredInputs", []))
        inputs = resource.get("inputProperties", {})
        outputs = resource.get("properties", {})
        lines.append(f"export interface {name}Args {{")
        for prop, spec in inputs.items():
            optional = "" if prop in required else "?"
            lines.append(f"    {prop}{optional}: {_ts_type(spec, input_side=True)};")
        lines += ["}", "", f"export class {name} extends pulumi.ComponentResource {{"]
        lines.append(f'    public static readonly __pulumiType = "{token}";')
        for prop, spec in outputs.items():
            lines.append(f"    public readonly {prop}!: pulumi.Output<{_ts_type(spec, input_side=False)}>;")
        lines += [
            f"    constructor(name: string, args: {name}Args, opts?: pulumi.ComponentResourceOptions) {{",
            "        const resourceInputs: pulumi.Inputs = {};",
        ]
        for prop in sorted(required):
            missing = f"Missing required property '{prop}'"
            lines.append(f'        if (args?.{prop} === undefined) {{ throw new Error("{missing}"); }}')
        for prop in inputs:
            lines.append(f'        resourceInputs["{prop}"] = args ? args.{prop} : undefined;')
        for prop in outputs:
            lines.append(f'        resourceInputs["{prop}"] = undefined /*out*/;')
        lines += [
            f"        super({name}.__pulumiType, name, resourceInputs, opts, true /*remote*/);",
            "    }",
            "}",
            "",
        ]
    return "\n".join(lines)
