"""Saved plans: `orsync plan --out FILE` writes one, `orsync apply FILE` carries it out.

A plan file holds the plan's JSON form (secrets only as masks), the fingerprint of the live
state the plan saw, and a hash of the config file, so apply can refuse a plan gone stale.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orsync.atomic import write_text_atomically
from orsync.errors import PlanFileError, StalePlanError
from orsync.plan import Plan, change_to_json, plan_to_json

PLAN_FILE_VERSION = 1


@dataclass(frozen=True)
class SavedPlan:
    """What a plan file says: the plan, and what it was made from."""

    config_path: str
    config_sha256: str
    live_fingerprint: str
    workspaces: tuple[str, ...]
    plan: dict[str, Any]


def config_digest(path: str) -> str:
    """The sha256 of the config file's bytes."""
    try:
        with open(path, "rb") as stream:
            return "sha256:" + hashlib.sha256(stream.read()).hexdigest()
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the config file: {exc.strerror}") from exc


def write_plan_file(plan: Plan, path: str, workspaces: tuple[str, ...] = ()) -> None:
    """Write the plan atomically; it holds masks, never a secret."""
    document = {
        "orsync_plan": PLAN_FILE_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # As given (for a run from another checkout of the same repository) and absolute.
        "config_path": plan.config_path,
        "config_abspath": os.path.abspath(plan.config_path),
        "config_sha256": config_digest(plan.config_path),
        "live_fingerprint": plan.live_fingerprint,
        "workspaces": list(workspaces),
        "plan": plan_to_json(plan),
    }
    try:
        write_text_atomically(path, json.dumps(document, indent=2) + "\n")
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot write the plan: {exc.strerror}") from exc


def read_plan_file(path: str) -> SavedPlan:
    """Read and check a plan file."""
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such plan file") from None
    except (ValueError, RecursionError):
        # Not UTF-8, not JSON, a number too long to read, or nesting too deep to follow.
        raise PlanFileError(f"{path}: not a plan file (not JSON)") from None
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror}") from None
    if not isinstance(document, dict) or document.get("orsync_plan") != PLAN_FILE_VERSION:
        raise PlanFileError(f"{path}: not a plan file of this orsync version")
    try:
        workspaces = tuple(str(w) for w in document["workspaces"])
        saved = SavedPlan(
            config_path=_existing(str(document["config_path"]), document.get("config_abspath")),
            config_sha256=str(document["config_sha256"]),
            live_fingerprint=str(document["live_fingerprint"]),
            workspaces=workspaces,
            plan=dict(document["plan"]),
        )
    except (KeyError, TypeError, ValueError):
        raise PlanFileError(f"{path}: the plan file is incomplete") from None
    return saved


def _existing(given: str, absolute: Any) -> str:
    """The config path as given when it exists from here, else the absolute one."""
    if os.path.exists(given) or not isinstance(absolute, str):
        return given
    return absolute


def check_fresh(saved: SavedPlan, path: str, current: Plan) -> None:
    """Refuse a saved plan when the config file, live state or resulting plan changed since."""
    # The config as read now (the plan's own path, or -c), against the bytes planned from.
    if config_digest(current.config_path) != saved.config_sha256:
        raise StalePlanError(
            f"saved plan is stale: {current.config_path} changed since {path} was made; "
            "run `orsync plan --out` again"
        )
    if current.live_fingerprint != saved.live_fingerprint:
        raise StalePlanError(
            f"saved plan is stale: the live destinations changed since {path} was made; "
            "run `orsync plan --out` again"
        )
    now = [change_to_json(change) for change in current.changes]
    if _actions(now) != _actions(saved.plan.get("changes")):
        raise StalePlanError(
            f"saved plan is stale: the config now gives a different plan than {path} "
            "(an environment variable changed?); run `orsync plan --out` again"
        )


# Keys of a change that do not say what apply does: the config file's path (the file itself is
# hashed), and when live last changed (the live fingerprint covers it; a plan file written
# before the key existed stays valid).
_NOT_ACTIONS = frozenset({"source", "live_updated_at"})


def _actions(changes: Any) -> Any:
    """The changes without the keys that do not say what apply does."""
    if not isinstance(changes, list):
        return changes
    return [
        {k: v for k, v in c.items() if k not in _NOT_ACTIONS}
        for c in changes
        if isinstance(c, dict)
    ]
