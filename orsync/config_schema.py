"""The JSON Schema (draft 2020-12) of the config file, made from the tables the loader reads.

Every key list, type, closed value list, default and range comes from the loader's own data
(`orsync.config`, `orsync.config_fields`, `orsync.destination_types`), so the schema and
`orsync validate` cannot disagree about them: a key the loader gains and this module does not
describe fails here, not in an editor. The schema rejects what `validate` rejects where JSON
Schema can say it (unknown keys, wrong kinds, ranges, closed lists, required keys) and accepts
what it accepts: open lists take any text, and text may hold `${VAR}` anywhere the loader expands
it. What it cannot say (unique names, one entry without `id`, the values of variables) is left to
`validate`. Descriptions are what editors show on hover. The parts that describe values (text,
value lists, the compared fields, filter rules) are in `orsync.config_schema_values`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orsync import destination_types as types
from orsync.config import (
    DESTINATION_KEYS,
    SUPPORTED_VERSION,
    TOP_LEVEL_KEYS,
    WORKSPACE_KEYS,
)
from orsync.config_fields import COMPARED_FIELDS
from orsync.config_policy import (
    ALLOW,
    FORBID,
    HOST_PATTERN,
    OPTIONAL,
    POLICY_KEYS,
    REQUIRED,
)
from orsync.config_schema_values import (
    HAS_REFERENCE,
    NOT_BLANK,
    WELL_FORMED,
    Schema,
    closed_list,
    compared_fields,
    described,
    filter_group,
    filter_rule,
    filter_rules,
    open_list,
    record,
    ref,
    text_matching,
)
from orsync.model import UnmanagedPolicy
from orsync.workspaces import SLUG_PATTERN, UUID_PATTERN

DRAFT = "https://json-schema.org/draft/2020-12/schema"

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


def _top_level() -> dict[str, Schema]:
    destinations = {"type": "array", "items": ref("destination")}
    return {
        "version": described(
            "File format version.", {"type": "integer", "const": SUPPORTED_VERSION}
        ),
        "defaults": ref("defaults"),
        "policy": _policy(),
        "workspaces": described(
            "The destinations of each workspace; at most one entry without `id`.",
            {
                "type": "array",
                "items": ref("workspace"),
                "contains": {"not": {"required": ["id"]}},
                "minContains": 0,
                "maxContains": 1,
            },
        ),
        "destinations": described(
            "Shorthand for one workspace entry without `id` (the key's default workspace).",
            destinations,
        ),
    }


def _policy() -> Schema:
    """The `policy:` block: each rule optional, each key the `rule` of its violations."""
    fields = compared_fields()
    kinds = open_list(tuple(types.TYPES), "A destination type")
    hosts = {"type": "string", "pattern": f"^{HOST_PATTERN.pattern}$"}
    rules: dict[str, Schema] = {
        "privacy_mode": closed_list((REQUIRED, OPTIONAL), "required: every destination has it on"),
        "max_sampling_rate": fields["sampling_rate"],
        "allowed_types": {"type": "array", "minItems": 1, "items": kinds},
        "required_types": {"type": "array", "items": kinds},
        "allowed_hosts": {"type": "array", "minItems": 1, "items": hosts},
        "allowed_regions": fields["regions"],
        "api_key_allowlist": closed_list((REQUIRED, OPTIONAL), "required: api_key_hashes is set"),
        "identity_broadcast": closed_list((FORBID, ALLOW), "forbid: no identity broadcast"),
        "plaintext_secrets": closed_list((FORBID, ALLOW), "forbid: secrets are ${VAR} or pins"),
    }
    return described(
        "Rules checked against live state (plan, audit) and against the file (plan, validate).",
        {
            "type": "object",
            "properties": _properties(POLICY_KEYS, rules),
            "additionalProperties": False,
        },
    )


def _definitions() -> dict[str, Schema]:
    return {
        "text": described(
            "Text; `${VAR}` is replaced from the environment, `$${` writes a literal `${`.",
            {"type": "string", "pattern": WELL_FORMED},
        ),
        "nonEmptyText": text_matching("text", NOT_BLANK),
        "secret": described(SECRET_FORMS, ref("nonEmptyText")),
        "anyValue": {
            "anyOf": [
                ref("text"),
                {"type": ["number", "boolean", "null"]},
                {"type": "array", "items": ref("anyValue")},
                {"type": "object", "additionalProperties": ref("anyValue")},
            ]
        },
        "defaults": described(
            "Values for every destination that does not set them.",
            {
                "type": "object",
                "properties": _properties(COMPARED_FIELDS, compared_fields()),
                "additionalProperties": False,
            },
        ),
        "workspace": _workspace(),
        "destination": _destination(),
        "filterRules": filter_rules(),
        "filterGroup": filter_group(),
        "filterRule": filter_rule(),
        "headers": described(
            "HTTP headers by name (names do not depend on case); every value is a secret.",
            {"type": "object", "additionalProperties": ref("secret")},
        ),
        **{f"config-{name}": _known_config(kind) for name, kind in types.TYPES.items()},
    }


def _workspace() -> Schema:
    workspace_id = described(
        "The workspace UUID or slug; leave it out in at most one entry, which stands for the "
        "key's default workspace.",
        {
            "anyOf": [
                {"type": "string", "pattern": f"^{UUID_PATTERN}$"},
                {"type": "string", "pattern": f"^{SLUG_PATTERN}$"},
                text_matching("text", HAS_REFERENCE),
            ]
        },
    )
    modes = [mode.value for mode in UnmanagedPolicy]
    unmanaged = closed_list(modes, "What to do with live destinations this entry does not declare")
    schemas = {
        "id": workspace_id,
        "unmanaged": {**unmanaged, "default": UnmanagedPolicy.REPORT.value},
        "destinations": described(
            "The destinations of this workspace ([] for none).",
            {"type": "array", "items": ref("destination")},
        ),
    }
    return record(_properties(WORKSPACE_KEYS, schemas), ["destinations"])


def _destination() -> Schema:
    schemas: dict[str, Schema] = {
        "name": described("Unique within its workspace entry.", ref("nonEmptyText")),
        "type": open_list(tuple(types.TYPES), "The destination type"),
        "id": described(
            "Pins a live destination by its id, so that a rename is an update.",
            ref("nonEmptyText"),
        ),
        **compared_fields(),
        "config": described(
            "The type's settings, under the API's camelCase names. Only declared keys are "
            "compared; an unknown type's config is kept as written.",
            {
                "type": "object",
                # Every type takes `headers`, a known one or not.
                "properties": {types.HEADERS_KEY: ref("headers")},
                "additionalProperties": ref("anyValue"),
            },
        ),
        "ignore": described(
            "Field paths not to compare, such as config.headers.",
            {"type": "array", "items": _ignore_path(None)},
        ),
        "protect": described(
            "true: apply never deletes or replaces it while it is declared.",
            {"type": "boolean", "default": False},
        ),
    }
    return {
        **record(_properties(DESTINATION_KEYS, schemas), ["name", "type"]),
        "allOf": [_when_type(name, kind) for name, kind in types.TYPES.items()],
    }


def _when_type(name: str, kind: types.DestinationType) -> Schema:
    """A known type's `config` keys and `ignore` paths."""
    return {
        "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
        "then": {
            "properties": {
                "config": ref(f"config-{name}"),
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
            ref("nonEmptyText"),
            {"anyOf": [{"pattern": path}, {"pattern": HAS_REFERENCE}]},
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
        "properties": {**properties, types.HEADERS_KEY: ref("headers")},
        "additionalProperties": False,
    }


def _config_value(spec: types.ConfigKey) -> Schema:
    notes = ["Required by the API."] if spec.required else []
    if spec.server_made:
        notes.append("Made by the server: compared when declared, never sent.")
    if spec.secret:
        return described(" ".join([*notes, SECRET_FORMS]), ref("secret"))
    if spec.values:
        schema = closed_list(spec.values, " ".join([*notes, "A value the API keeps closed"]))
    else:
        # A single value; a non-secret value from `${VAR}` is still kept hidden, as a secret.
        schema = {"anyOf": [ref("text"), {"type": ["number", "boolean", "null"]}]}
        if notes:
            schema = described(" ".join(notes), schema)
    if spec.has_default:
        schema["default"] = spec.default
    return schema
