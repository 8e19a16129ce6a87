"""How plan values are written in the human formats: JSON-like scalars, secrets as masks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from orsync.plan import Action, Change, FieldChange
from orsync.render.nested import ABSENT, nested_changes
from orsync.sensitive import public_value


def show_value(value: Any) -> str:
    """A value as a reader sees it: `true`, `0.5`, `"text"`, `["a", "b"]`, a mask for a secret."""
    return json.dumps(public_value(value), ensure_ascii=False, separators=(", ", ": "))


def show_sensitive(value: Any) -> str:
    return "(none)" if value is None else str(public_value(value))


def show_transition(change: FieldChange) -> str:
    """`before -> after` for an update, with secrets as `(sensitive) ...AbCd -> ...WxYz`."""
    if change.sensitive:
        return f"(sensitive) {show_sensitive(change.before)} -> {show_sensitive(change.after)}"
    return f"{show_value(change.before)} -> {show_value(change.after)}"


def show_single(change: FieldChange, value: Any) -> str:
    """One side of a field: for a create, or a destination being removed or reported."""
    if change.sensitive:
        return f"(sensitive) {show_sensitive(value)}"
    return show_value(value)


# Line breaks and tabs, written as escapes where a real one would end what holds them.
LINE_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(char: str) -> str:
    """A character written visibly as its code: `\\x01`, `\\u202e`."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def workspace_label(workspace_id: str | None) -> str:
    return f"workspace {workspace_id}" if workspace_id else "default workspace"


def field_rows(change: FieldChange) -> list[tuple[str, str, str]]:
    """`(mark, path, text)` rows of a changed field: one, or one per differing sub-path.

    A field holding containers (filter rules, key lists) is shown where it differs, as
    `filter_rules.groups[0].logic = "and" -> "or"`, `+` for what is added, `-` removed.
    """
    rows = []
    for sub_path, before, after in nested_changes(change):
        joint = "" if not sub_path or sub_path.startswith("[") else "."
        path = change.path + joint + sub_path
        if before is ABSENT:
            rows.append(("+", path, show_value(after)))
        elif after is ABSENT:
            rows.append(("-", path, show_value(before)))
        else:
            rows.append(("~", path, f"{show_value(before)} -> {show_value(after)}"))
    return rows or [("~", change.path, show_transition(change))]


# Fields of a removed or unmanaged destination worth a reviewer's eye; the rest is noise.
_SHOWN_WHEN_REMOVED = ("enabled", "sampling_rate", "privacy_mode")


def worth_showing_when_removed(change: FieldChange) -> bool:
    """Whether to show a field of a destination to be deleted or reported: where it sends."""
    return change.path.startswith("config.") or change.path in _SHOWN_WHEN_REMOVED


def change_rows(change: Change) -> Iterator[tuple[str, str, str]]:
    """`(mark, path, text)` rows of a change as the text plan shows them: what an update or
    replace changes, what a create sets, where a destination to remove or report sends."""
    for field in change.fields:
        if change.action in (Action.UPDATE, Action.REPLACE):
            yield from field_rows(field)
        elif change.action is Action.CREATE:
            yield "+", field.path, show_single(field, field.after)
        elif worth_showing_when_removed(field):
            yield " ", field.path, show_single(field, field.before)


# A server clock a little ahead of this one still reads as "less than a minute ago".
_CLOCK_SLACK_SECONDS = 60
_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"))


def show_stamp(stamp: str) -> str:
    """A live timestamp on one line of text: as written, or quoted when it holds a control
    character (it comes from the API and must not break or forge a line)."""
    return stamp if stamp.isprintable() else json.dumps(stamp)


def live_age(stamp: str, now: datetime) -> str | None:
    """How long before `now` the ISO 8601 `stamp` was (`2 days ago`); None when that cannot
    be told: not ISO 8601, no time zone (guessing one could be hours off), or in the future."""
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if then.tzinfo is None:
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = (now - then).total_seconds()
    if seconds < -_CLOCK_SLACK_SECONDS:
        return None
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "less than a minute ago"


def change_facts(change: Change) -> list[str]:
    """Where a change is declared, its live id, and when it last changed live."""
    facts = []
    if change.source:
        facts.append(f"declared at {change.source}")
    if change.id:
        facts.append(f"id {change.id}")
    if change.live_updated_at is not None:
        facts.append(f"last changed live {show_stamp(change.live_updated_at)}")
    return facts
