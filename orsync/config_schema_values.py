"""The parts of the config file's JSON Schema (`orsync.config_schema`) that describe values:
text as the loader expands it, open and closed value lists, the compared fields a destination
or `defaults` may set, and filter rules. Built from the loader's own tables, as the rest is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from orsync import destination_types as types
from orsync.config_fields import COMPARED_FIELDS, FILTER_LOGIC, NUMBER_TEXT, REGION_ALIASES
from orsync.interpolate import VARIABLE_NAME

Schema = dict[str, Any]

# Text as the loader expands it: every `${` is a well-formed reference or the escape `$${`.
_REFERENCE = rf"\$\{{{VARIABLE_NAME.pattern}\}}"
WELL_FORMED = rf"^(?:[^$]|\$(?!\{{)|\$\$\{{|{_REFERENCE})*$"
# Holds a reference (not only an escaped `$${`): its value is known only when the file is read.
HAS_REFERENCE = rf"(?:^|[^$]){_REFERENCE}"
NOT_BLANK = r"\S"


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def text_matching(name: str, pattern: str) -> Schema:
    """Text of the definition `name` that also matches `pattern`.

    `allOf`, not a `pattern` beside `$ref`: draft-07 readers, which some editors still are,
    ignore what stands beside a `$ref`.
    """
    return {"allOf": [ref(name), {"pattern": pattern}]}


def described(description: str, schema: Schema) -> Schema:
    return {"description": description, **schema}


def closed_list(values: Sequence[str], description: str) -> Schema:
    """One of `values`, or text from a `${VAR}` (checked by validate once the variable is set)."""
    return {
        "description": f"{description}. One of: {', '.join(values)}.",
        "anyOf": [{"enum": list(values)}, text_matching("text", HAS_REFERENCE)],
    }


def open_list(values: Sequence[str], description: str) -> Schema:
    """A value from a list the API keeps open: the known ones complete, any other text passes."""
    return {
        "description": f"{description}. Known: {', '.join(values)}; another value is sent as "
        "written, with a warning.",
        "anyOf": [{"enum": list(values)}, ref("nonEmptyText")],
    }


def compared_fields() -> dict[str, Schema]:
    """The fields a destination or `defaults` may set, with the API's create defaults."""
    schemas: dict[str, Schema] = {}
    for field in COMPARED_FIELDS:
        default = types.FIELD_DEFAULTS.get(field)
        make = _FIELD_SCHEMAS.get(field, _boolean_field)
        schemas[field] = make(field, default)
    return schemas


def _boolean_field(field: str, default: Any) -> Schema:
    if not isinstance(default, bool):
        raise KeyError(f"no schema for the field {field!r}")
    description = _FIELD_NOTES.get(field, f"Compared; {str(default).lower()} when left out.")
    return described(description, {"type": "boolean", "default": default})


def _sampling_rate(_: str, default: Any) -> Schema:
    # YAML 1.1 reads `1e-4` as text, and the loader takes text that reads as a number: so
    # unsigned number text passes too, its range left to validate.
    number_text = rf"^(?!-)(?:{NUMBER_TEXT.pattern})$"
    return described(
        f"Share of generations sent, {types.SAMPLING_MIN} to 1. Text that reads as a number "
        "(YAML 1.1 reads 1e-4 as text) is taken as that number.",
        {
            "anyOf": [
                {"type": "number", "minimum": types.SAMPLING_MIN, "maximum": 1},
                {"type": "string", "pattern": number_text},
            ],
            "default": default,
        },
    )


def _api_key_hashes(_: str, default: Any) -> Schema:
    return described(
        "Only generations of these API keys (by hash); null: every key. Not an empty list.",
        {
            "anyOf": [
                {"type": "null"},
                {"type": "array", "minItems": 1, "items": ref("nonEmptyText")},
            ],
            "default": default,
        },
    )


def _filter_rules_field(_: str, default: Any) -> Schema:
    return described(
        "Which generations are sent; null: all.",
        {"anyOf": [{"type": "null"}, ref("filterRules")], "default": default},
    )


def _regions(_: str, __: Any) -> Schema:
    known = (*types.REGIONS, *REGION_ALIASES)
    region = open_list(
        known, f"A region ({', '.join(f'{k} = {v}' for k, v in REGION_ALIASES.items())})"
    )
    return described(
        "Regions; compared only when declared. Leave it out for the API's default "
        f"({', '.join(types.REGIONS_DEFAULT)}).",
        {"type": "array", "minItems": 1, "items": region},
    )


_FIELD_SCHEMAS: dict[str, Callable[[str, Any], Schema]] = {
    "sampling_rate": _sampling_rate,
    "api_key_hashes": _api_key_hashes,
    "filter_rules": _filter_rules_field,
    "regions": _regions,
}
_FIELD_NOTES = {
    "enabled": "Whether the destination receives traces; true when left out.",
    "privacy_mode": "Leave prompts and completions out of traces; false when left out.",
}


def record(properties: dict[str, Schema], required: list[str]) -> Schema:
    """An object of exactly these keys, the `required` ones among them."""
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def filter_rules() -> Schema:
    enabled = described("Absent means true.", {"type": "boolean"})
    groups = {"type": "array", "items": ref("filterGroup")}
    return record({"enabled": enabled, "groups": groups}, ["groups"])


def filter_group() -> Schema:
    logic = open_list(FILTER_LOGIC, "How the rules combine; absent means and")
    rules = {"type": "array", "items": ref("filterRule")}
    return record({"logic": logic, "rules": rules}, ["rules"])


def filter_rule() -> Schema:
    properties = {
        "field": open_list(types.FILTER_FIELDS, "The field a rule looks at"),
        "operator": open_list(types.FILTER_OPERATORS, "The comparison"),
        "value": described("Text or a number.", {"anyOf": [ref("text"), {"type": "number"}]}),
    }
    return record(properties, ["field", "operator"])
