"""The plan: what differs between the config and live, as a value renderers and apply consume."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from orsync.findings import DestinationRef, Risk, Violation, risk_to_json, violation_to_json
from orsync.model import DesiredDestination, LiveDestination, LiveState
from orsync.sensitive import public_value, redact

FORMAT_VERSION = 1


class Action(enum.StrEnum):
    """What a change does to a destination."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    UNMANAGED = "unmanaged"


# Summary keys in the order docs/plan-json.md shows them (its example and its Keys table).
SUMMARY_KEYS = ("create", "update", "replace", "delete", "unmanaged", "unchanged")


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; `before`/`after` are `Secret`s when the field is sensitive."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False
    # The top-level `config` key the path is under: paths join keys with dots, and keys may
    # hold dots themselves, so apply is told rather than left to parse the path.
    config_key: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Change:
    """One destination to create, update, replace or delete, or an unmanaged one to report.

    `desired` and `live` are what the change was computed from; apply builds requests from them.
    They are never serialized.
    """

    action: Action
    workspace_id: str | None
    name: str | None
    type: str
    id: str | None
    fields: tuple[FieldChange, ...] = ()
    source: str | None = None
    protect: bool = False
    # When the live destination last changed (its `updated_at`); None for a create.
    live_updated_at: str | None = None
    # Why a reviewer should look twice (orsync.risks); empty for most changes.
    risks: tuple[Risk, ...] = ()
    desired: DesiredDestination | None = field(default=None, compare=False, repr=False)
    live: LiveDestination | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Plan:
    """The changes, the count of unchanged destinations, the warnings, and what live looked like."""

    changes: tuple[Change, ...]
    unchanged: int
    warnings: tuple[str, ...]
    # What live looked like: a saved plan records its fingerprint (`live_fingerprint`).
    live: LiveState = field(compare=False, repr=False)
    config_path: str
    # The secrets that could not be compared (unset variable, or hidden completely live),
    # as `file:line: name: config.key`: they are among the warnings too.
    unverified: tuple[str, ...] = ()
    # The policy rules what apply would leave breaks (orsync.policy); None: the config has
    # no policy.
    violations: tuple[Violation, ...] | None = None
    # The workspaces planned (None: the key's default one, when no live destination tells its
    # id), and the unchanged destinations themselves (`unchanged` counts them): for the
    # reports that list every workspace and destination (JUnit, HTML); not in the JSON form.
    workspaces: tuple[str | None, ...] = ()
    unchanged_destinations: tuple[DestinationRef, ...] = ()

    @property
    def in_sync(self) -> bool:
        return not self.changes

    @cached_property
    def live_fingerprint(self) -> str:
        """A hash of every live item the plan was made from (orsync.model.LiveState), worked
        out when first asked for: only a saved plan, and apply's check of it, need it."""
        return self.live.fingerprint()

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SUMMARY_KEYS, 0)
        for change in self.changes:
            counts[change.action.value] += 1
        counts["unchanged"] = self.unchanged
        return counts


def field_to_json(change: FieldChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "before": public_value(change.before),
        "after": public_value(change.after),
        "sensitive": change.sensitive,
    }


def change_to_json(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "workspace_id": change.workspace_id,
        "name": change.name,
        "type": change.type,
        "id": change.id,
        "source": change.source,
        "live_updated_at": change.live_updated_at,
        "fields": [field_to_json(f) for f in change.fields],
        "risks": [risk_to_json(r) for r in change.risks],
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as the JSON document `--format json` prints (docs/plan-json.md)."""
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "in_sync": plan.in_sync,
        "summary": plan.summary(),
        "changes": [change_to_json(c) for c in plan.changes],
    }
    if plan.violations is not None:
        document["violations"] = [violation_to_json(v) for v in plan.violations]
    document["warnings"] = [redact(w) for w in plan.warnings]
    return document
