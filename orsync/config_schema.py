"""The JSON Schema (draft 2020-12) of the config file, made from the tables the loader reads.

Every key list, type, closed value list, default and range comes from the loader's own data
(`orsync.config`, `orsync.config_fields`, `orsync.destination_types`), so the schema and
`orsync validate` cannot disagree about them: a key the loader gains and this module does not
describe fails here, not in an editor. The schema rejects what `validate` rejects where JSON
Schema can say it (unknown keys, wrong kinds, ranges, closed lists, required keys) and accepts
what it accepts: open lists take any text, and text may hold `${VAR}` anywhere the loader expands
it. What it cannot say (unique names, one entry without `id`, the values of variables) is left to
`validate`. Descriptions are what editors show on hover.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from orsync import destination_types as types
from orsync.config import (
    DESTINATION_KEYS,
    SUPPORTED_VERSION,
    TOP_LEVEL_KEYS,
    WORKSPACE_KEYS,
)
from orsync.config_fields import COMPARED_FIELDS, FILTER_LOGIC, NUMBER_TEXT, REGION_ALIASES
from orsync.config_policy import (
    ALLOW,
    FORBID,
    HOST_PATTERN,
    OPTIONAL,
    POLICY_KEYS,
    REQUIRED,
)
from orsync.interpolate import VARIABLE_NAME
from orsync.model import UnmanagedPolicy
from orsync.workspaces import SLUG_PATTERN, UUID_PATTERN

DRAFT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]

# Text as the loader expands it: every `${` is a well-formed reference or the escape `$${`.
_REFERENCE = rf"\$\{{{VARIABLE_NAME.pattern}\}}"
_WELL_FORMED = rf"^(?:[^$]|\$(?!\{{)|\$\$\{{|{_REFERENCE})*$"
# Holds a reference (not only an escaped `$${`): its value is known only when the file is read.
_HAS_REFERENCE = rf"(?:^|[^$]){_REFERENCE}"
_NOT_BLANK = r"\S"

SECRET_FORMS = (
    "A secret: ${VAR} (recommended), a masked pin copied from the API such as sk-l...AbCd "
    "(compared as a fingerprint, never sent), or plain text (works, with a warning)."
)


def config_schema() -> Schema:
    """The JSON Schema of orsync.yaml, as a plain dict in a stable order."""
    return {
        "$schema": DRAFT,
        "title": "orsync config file (orsync.yaml)",
        "description": (
            "OpenRouter observability destinations as code. Printed by `orsync schema`; "
            "`orsync validate` checks what a schema cannot (unique names, variables)."
        ),
        "type": "object",
        "properties": _properties(TOP_LEVEL_KEYS, _top_level()),
        "required": ["version"],
        # One of the two forms (`destinations` is the one-workspace shorthand), not both; a
        # file holding only a policy (for `orsync audit`) needs neither.
        "anyOf": [
            {"required": ["workspaces"]},
            {"required": ["destinations"]},
            {"required": ["policy"]},
        ],
        "not": {"required": ["workspaces", "destinations"]},
        "additionalProperties": False,
        "$defs": _definitions(),
    }


def _properties(keys: Sequence[str], schemas: Mapping[str, Schema]) -> Schema:
    """The schemas of exactly the loader's `keys`, in its order.

    A key the loader accepts and `schemas` lacks is a KeyError: the two must agree.
    """
    unknown = set(schemas) - set(keys)
    if unknown:
        raise KeyError(f"described but not read by the loader: {sorted(unknown)}")
    return {key: schemas[key] for key in keys}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _text_matching(name: str, pattern: str) -> Schema:
    """Text of the definition `name` that also matches `pattern`.

    `allOf`, not a `pattern` beside `$ref`: draft-07 readers, which some editors still are,
    ignore what stands beside a `$ref`.
    """
    return {"allOf": [_ref(name), {"pattern": pattern}]}


def _described(description: str, schema: Schema) -> Schema:
    return {"description": description, **schema}


def _closed(values: Sequence[str], description: str) -> Schema:
    """One of `values`, or text from a `${VAR}` (checked by validate once the variable is set)."""
    return {
        "description": f"{description}. One of: {', '.join(values)}.",
        "anyOf": [{"enum": list(values)}, _text_matching("text", _HAS_REFERENCE)],
    }


def _open(values: Sequence[str], description: str) -> Schema:
    """A value from a list the API keeps open: the known ones complete, any other text passes."""
    return {
        "description": f"{description}. Known: {', '.join(values)}; another value is sent as "
        "written, with a warning.",
        "anyOf": [{"enum": list(values)}, _ref("nonEmptyText")],
    }


def _top_level() -> dict[str, Schema]:
    destinations = {"type": "array", "items": _ref("destination")}
    return {
        "version": _described(
            "File format version.", {"type": "integer", "const": SUPPORTED_VERSION}
        ),
        "defaults": _ref("defaults"),
        "policy": _policy(),
        "workspaces": _described(
            "The destinations of each workspace; at most one entry without `id`.",
            {
                "type": "array",
                "items": _ref("workspace"),
                "contains": {"not": {"required": ["id"]}},
                "minContains": 0,
                "maxContains": 1,
            },
        ),
        "destinations": _described(
            "Shorthand for one workspace entry without `id` (the key's default workspace).",
            destinations,
        ),
    }


def _policy() -> Schema:
    """The `policy:` block: each rule optional, each key the `rule` of its violations."""
    fields = _compared_fields()
    kinds = _open(tuple(types.TYPES), "A destination type")
    hosts = {"type": "string", "pattern": f"^{HOST_PATTERN.pattern}$"}
    rules: dict[str, Schema] = {
        "privacy_mode": _closed((REQUIRED, OPTIONAL), "required: every destination has it on"),
        "max_sampling_rate": fields["sampling_rate"],
        "allowed_types": {"type": "array", "minItems": 1, "items": kinds},
        "required_types": {"type": "array", "items": kinds},
        "allowed_hosts": {"type": "array", "minItems": 1, "items": hosts},
        "allowed_regions": fields["regions"],
        "api_key_allowlist": _closed((REQUIRED, OPTIONAL), "required: api_key_hashes is set"),
        "identity_broadcast": _closed((FORBID, ALLOW), "forbid: no identity broadcast"),
        "plaintext_secrets": _closed((FORBID, ALLOW), "forbid: secrets are ${VAR} or pins"),
    }
    return _described(
        "Rules checked against live state (plan, audit) and against the file (plan, validate).",
        {
            "type": "object",
            "properties": _properties(POLICY_KEYS, rules),
            "additionalProperties": False,
        },
    )


def _definitions() -> dict[str, Schema]:
    return {
        "text": _described(
            "Text; `${VAR}` is replaced from the environment, `$${` writes a literal `${`.",
            {"type": "string", "pattern": _WELL_FORMED},
        ),
        "nonEmptyText": _text_matching("text", _NOT_BLANK),
        "secret": _described(SECRET_FORMS, _ref("nonEmptyText")),
        "anyValue": {
            "anyOf": [
                _ref("text"),
                {"type": ["number", "boolean", "null"]},
                {"type": "array", "items": _ref("anyValue")},
                {"type": "object", "additionalProperties": _ref("anyValue")},
            ]
        },
        "defaults": _described(
            "Values for every destination that does not set them.",
            {
                "type": "object",
                "properties": _properties(COMPARED_FIELDS, _compared_fields()),
                "additionalProperties": False,
            },
        ),
        "workspace": _workspace(),
        "destination": _destination(),
        "filterRules": _filter_rules(),
        "filterGroup": _filter_group(),
        "filterRule": _filter_rule(),
        "headers": _described(
            "HTTP headers by name (names do not depend on case); every value is a secret.",
            {"type": "object", "additionalProperties": _ref("secret")},
        ),
        **{f"config-{name}": _known_config(kind) for name, kind in types.TYPES.items()},
    }


def _workspace() -> Schema:
    workspace_id = _described(
        "The workspace UUID or slug; leave it out in at most one entry, which stands for the "
        "key's default workspace.",
        {
            "anyOf": [
                {"type": "string", "pattern": f"^{UUID_PATTERN}$"},
                {"type": "string", "pattern": f"^{SLUG_PATTERN}$"},
                _text_matching("text", _HAS_REFERENCE),
            ]
        },
    )
    modes = [mode.value for mode in UnmanagedPolicy]
    unmanaged = _closed(modes, "What to do with live destinations this entry does not declare")
    schemas = {
        "id": workspace_id,
        "unmanaged": {**unmanaged, "default": UnmanagedPolicy.REPORT.value},
        "destinations": _described(
            "The destinations of this workspace ([] for none).",
            {"type": "array", "items": _ref("destination")},
        ),
    }
    return {
        "type": "object",
        "properties": _properties(WORKSPACE_KEYS, schemas),
        "required": ["destinations"],
        "additionalProperties": False,
    }


def _destination() -> Schema:
    schemas: dict[str, Schema] = {
        "name": _described("Unique within its workspace entry.", _ref("nonEmptyText")),
        "type": _open(tuple(types.TYPES), "The destination type"),
        "id": _described(
            "Pins a live destination by its id, so that a rename is an update.",
            _ref("nonEmptyText"),
        ),
        **_compared_fields(),
        "config": _described(
            "The type's settings, under the API's camelCase names. Only declared keys are "
            "compared; an unknown type's config is kept as written.",
            {
                "type": "object",
                # Every type takes `headers`, a known one or not.
                "properties": {types.HEADERS_KEY: _ref("headers")},
                "additionalProperties": _ref("anyValue"),
            },
        ),
        "ignore": _described(
            "Field paths not to compare, such as config.headers.",
            {"type": "array", "items": _ignore_path(None)},
        ),
        "protect": _described(
            "true: apply never deletes or replaces it while it is declared.",
            {"type": "boolean", "default": False},
        ),
    }
    return {
        "type": "object",
        "properties": _properties(DESTINATION_KEYS, schemas),
        "required": ["name", "type"],
        "additionalProperties": False,
        "allOf": [_when_type(name, kind) for name, kind in types.TYPES.items()],
    }


def _when_type(name: str, kind: types.DestinationType) -> Schema:
    """A known type's `config` keys and `ignore` paths."""
    return {
        "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
        "then": {
            "properties": {
                "config": _ref(f"config-{name}"),
                "ignore": {"items": _ignore_path(kind)},
            }
        },
    }


def _ignore_path(kind: types.DestinationType | None) -> Schema:
    """A path whose head is `name`, a compared field or `config[.<key>]` (any key when the type
    is unknown), or text holding a `${VAR}`."""
    heads = "|".join(_literal(head) for head in ("name", *COMPARED_FIELDS))
    keys = r"[^.]+" if kind is None else _alternatives((*kind.keys, types.HEADERS_KEY))
    path = rf"^(?:(?:{heads})(?:\..*)?|config(?:\.{keys}(?:\..*)?)?)$"
    return {
        "allOf": [
            _ref("nonEmptyText"),
            {"anyOf": [{"pattern": path}, {"pattern": _HAS_REFERENCE}]},
        ],
    }


def _alternatives(words: Sequence[str]) -> str:
    return "(?:" + "|".join(_literal(word) for word in words) + ")"


def _literal(word: str) -> str:
    """`word` as a regular expression that both Python and ECMA-262 read the same way."""
    return "".join(f"\\{char}" if char in r".^$*+?()[]{}|\/" else char for char in word)


def _known_config(kind: types.DestinationType) -> Schema:
    required = ", ".join(kind.required_keys())
    note = (
        f" Required by the API: {required} (one left out is not compared, and apply will not "
        "create the destination without it)."
        if required
        else ""
    )
    properties = {key: _config_value(spec) for key, spec in kind.keys.items()}
    return {
        "description": f"config of a {kind.name} destination.{note}",
        "type": "object",
        "properties": {**properties, types.HEADERS_KEY: _ref("headers")},
        "additionalProperties": False,
    }


def _config_value(spec: types.ConfigKey) -> Schema:
    notes = ["Required by the API." if spec.required else ""]
    if spec.server_made:
        notes.append("Made by the server: compared when declared, never sent.")
    if spec.secret:
        return _described(" ".join([*notes, SECRET_FORMS]).strip(), _ref("secret"))
    if spec.values:
        schema = _closed(spec.values, " ".join([*notes, "A value the API keeps closed"]).strip())
    else:
        # A single value; a non-secret value from `${VAR}` is still kept hidden, as a secret.
        schema = {"anyOf": [_ref("text"), {"type": ["number", "boolean", "null"]}]}
        if any(notes):
            schema = _described(" ".join(notes).strip(), schema)
    if spec.has_default:
        schema["default"] = spec.default
    return schema


def _compared_fields() -> dict[str, Schema]:
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
    return _described(description, {"type": "boolean", "default": default})


def _sampling_rate(_: str, default: Any) -> Schema:
    # YAML 1.1 reads `1e-4` as text, and the loader takes text that reads as a number: so
    # unsigned number text passes too, its range left to validate.
    number_text = rf"^(?!-)(?:{NUMBER_TEXT.pattern})$"
    return _described(
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
    return _described(
        "Only generations of these API keys (by hash); null: every key. Not an empty list.",
        {
            "anyOf": [
                {"type": "null"},
                {"type": "array", "minItems": 1, "items": _ref("nonEmptyText")},
            ],
            "default": default,
        },
    )


def _filter_rules_field(_: str, default: Any) -> Schema:
    return _described(
        "Which generations are sent; null: all.",
        {"anyOf": [{"type": "null"}, _ref("filterRules")], "default": default},
    )


def _regions(_: str, __: Any) -> Schema:
    known = (*types.REGIONS, *REGION_ALIASES)
    region = _open(
        known, f"A region ({', '.join(f'{k} = {v}' for k, v in REGION_ALIASES.items())})"
    )
    return _described(
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


def _record(properties: dict[str, Schema], required: list[str]) -> Schema:
    """An object of exactly these keys, the `required` ones among them."""
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _filter_rules() -> Schema:
    enabled = _described("Absent means true.", {"type": "boolean"})
    groups = {"type": "array", "items": _ref("filterGroup")}
    return _record({"enabled": enabled, "groups": groups}, ["groups"])


def _filter_group() -> Schema:
    logic = _open(FILTER_LOGIC, "How the rules combine; absent means and")
    rules = {"type": "array", "items": _ref("filterRule")}
    return _record({"logic": logic, "rules": rules}, ["rules"])


def _filter_rule() -> Schema:
    properties = {
        "field": _open(types.FILTER_FIELDS, "The field a rule looks at"),
        "operator": _open(types.FILTER_OPERATORS, "The comparison"),
        "value": _described("Text or a number.", {"anyOf": [_ref("text"), {"type": "number"}]}),
    }
    return _record(properties, ["field", "operator"])
