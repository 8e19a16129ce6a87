"""`orsync schema`: the JSON Schema of the config file, for editors and CI; offline, no config."""

from __future__ import annotations

import json

from orsync.config_schema import config_schema


def schema_text() -> str:
    """The schema as pretty JSON in a stable order, ending in a newline: the bytes of
    `schema/orsync.schema.json`, so that the committed copy can be compared with it."""
    return json.dumps(config_schema(), indent=2) + "\n"
