"""Where two container values differ (filter rules, key lists, nested config), path by path.

A reviewer reads `groups[0].rules[0].value: "a" -> "b"` faster than two long JSON lines.
deepdiff is imported here only, and only when a changed field holds containers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orsync.normalize import filter_rules_with_defaults
from orsync.plan import FieldChange
from orsync.sensitive import public_value

ABSENT = object()
_UNORDERED = ("api_key_hashes", "regions")
_KEY = re.compile(r"\['((?:[^'\\]|\\.)*)'\]")


def _readable_path(path: str, unordered: bool) -> str:
    """deepdiff's `root['groups'][0]['value']` as `groups[0].value`; a set's items have none."""
    if unordered:
        return ""
    dotted = _KEY.sub(lambda found: "." + found.group(1), path.removeprefix("root"))
    return dotted.removeprefix(".")


def nested_changes(change: FieldChange) -> list[tuple[str, Any, Any]]:
    """`(sub-path, before, after)` where a field's container values differ; [] otherwise.

    Secrets are never looked into: a sensitive field is shown only as its masks.
    """
    before, after = public_value(change.before), public_value(change.after)
    containers = (Mapping, list)
    if change.sensitive or not (isinstance(before, containers) and isinstance(after, containers)):
        return []
    if change.path == "filter_rules":
        before, after = filter_rules_with_defaults(before), filter_rules_with_defaults(after)
    from deepdiff import DeepDiff

    unordered = change.path in _UNORDERED
    found = DeepDiff(before, after, ignore_order=unordered, verbose_level=2)
    rows: list[tuple[str, Any, Any]] = []
    for kind in ("values_changed", "type_changes"):
        for path, values in found.get(kind, {}).items():
            where = _readable_path(path, unordered)
            rows.append((where, values["old_value"], values["new_value"]))
    for kind in ("dictionary_item_added", "iterable_item_added"):
        rows.extend(
            (_readable_path(p, unordered), ABSENT, v) for p, v in found.get(kind, {}).items()
        )
    for kind in ("dictionary_item_removed", "iterable_item_removed"):
        rows.extend(
            (_readable_path(p, unordered), v, ABSENT) for p, v in found.get(kind, {}).items()
        )
    return sorted(rows, key=lambda row: row[0])
