"""Carry out a Plan through the API: safety checks first, then creates, updates, replaces, deletes.

Only what differs is sent. A secret is sent only when orsync knows it in clear: a masked pin or
an unset variable never reaches the API (PATCH keeps the current value of a key left out). A
create is never retried blindly: after an error the workspace is listed again, and a
destination of that name and type that was not there before counts as created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from orsync.errors import ApiError, ApplyError, SafetyError
from orsync.model import DesiredDestination, Secret
from orsync.plan import Action, Change, Plan
from orsync.schema import HEADERS_KEY, TYPES

DEFAULT_MAX_DELETES = 3
# Answers that say a create certainly did not happen; after anything else it may have.
_CERTAIN_FAILURES = frozenset({400, 401, 403, 404, 409, 422})
_ORDER = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)


class DestinationsApi(Protocol):
    """What apply needs of the API client."""

    def list_destinations(self, workspace_id: str | None = None) -> list[dict[str, Any]]: ...
    def create_destination(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def update_destination(
        self, destination_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]: ...
    def delete_destination(self, destination_id: str) -> bool: ...


@dataclass
class ApplyReport:
    """What apply did, what failed, and what it did not try."""

    done: list[str] = field(default_factory=list)
    failed: str | None = None
    not_tried: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return self.failed is None and not self.interrupted and not self.not_tried

    def describe(self) -> str:
        """One paragraph for a run that did not complete: done, failed, not tried, what next."""
        parts = ["apply stopped" + (" on interrupt" if self.interrupted else "")]
        parts.append("done: " + ("; ".join(self.done) or "nothing"))
        if self.failed:
            parts.append(f"failed: {self.failed}")
        parts.append("not tried: " + ("; ".join(self.not_tried) or "nothing"))
        parts.append("run `orsync apply` again to finish")
        return ". ".join(parts)


def actionable(plan: Plan) -> list[Change]:
    """The changes apply carries out, in its order (unmanaged ones are only reported)."""
    return sorted(
        (c for c in plan.changes if c.action in _ORDER), key=lambda c: _ORDER.index(c.action)
    )


def describe(change: Change) -> str:
    where = f" in workspace {change.workspace_id}" if change.workspace_id else ""
    return f"{change.action.value} {change.type} {change.name!r}{where}"


# Checks made before anything changes ------------------------------------------------------


def check_safety(plan: Plan, max_deletes: int = DEFAULT_MAX_DELETES) -> None:
    """Refuse (exit 3) a plan that deletes too many destinations or touches a protected one."""
    destructive = [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    protected = [c for c in destructive if c.protect]
    if protected:
        names = ", ".join(f"{c.name!r} ({c.source})" for c in protected)
        raise SafetyError(
            f"refusing to apply: protect forbids deleting or replacing {names}; nothing was changed"
        )
    if len(destructive) > max_deletes:
        names = ", ".join(repr(c.name) for c in destructive)
        raise SafetyError(
            f"refusing to apply: {len(destructive)} destinations would be deleted or replaced "
            f"({names}), more than --max-deletes {max_deletes}; nothing was changed"
        )


def check_creatable(plan: Plan) -> None:
    """Refuse (exit 1) a create whose secret or required config key orsync does not have."""
    problems: list[str] = []
    for change in plan.changes:
        if change.action not in (Action.CREATE, Action.REPLACE) or change.desired is None:
            continue
        desired = change.desired
        for path, value in _config_items(desired.config):
            if isinstance(value, Secret) and not value.known:
                problems.append(f"{desired.source}: {desired.name}: {path} is {value.mask()}")
        spec = TYPES.get(desired.type)
        for key in spec.required_keys() if spec else ():
            if key not in desired.config:
                problems.append(f"{desired.source}: {desired.name}: config.{key} is not declared")
    if problems:
        raise ApplyError(
            "cannot create without the secret or required value: "
            + "; ".join(problems)
            + "; nothing was changed"
        )


def _config_items(config: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if key == HEADERS_KEY and isinstance(value, Mapping):
            yield from ((f"config.headers.{h}", v) for h, v in value.items())
        else:
            yield f"config.{key}", value


# Request bodies ---------------------------------------------------------------------------


def _clear(value: Any) -> Any:
    """The value to send: a secret's clear text, containers recursively."""
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, Mapping):
        return {k: _clear(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clear(v) for v in value]
    return value


def create_body(desired: DesiredDestination) -> dict[str, Any]:
    """The POST body for a declared destination (every secret known: see check_creatable)."""
    body: dict[str, Any] = {"type": desired.type, "name": desired.name}
    if desired.workspace_id is not None:
        body["workspace_id"] = desired.workspace_id
    body.update({k: _clear(v) for k, v in desired.fields.items()})
    body["config"] = _clear(dict(desired.config))
    return body


def update_body(change: Change) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body: only the differing fields and config keys; and what cannot be sent."""
    assert change.desired is not None
    desired = change.desired
    body: dict[str, Any] = {}
    config: dict[str, Any] = {}
    unsendable: list[str] = []
    for diff in change.fields:
        head, _, rest = diff.path.partition(".")
        if head != "config":
            body[head] = _clear(desired.fields.get(head, diff.after))
            continue
        key = rest.split(".", 1)[0]
        value = desired.config[key]
        if key == HEADERS_KEY and isinstance(value, Mapping):
            # Whether PATCH merges or replaces headers is not documented: send them all.
            value = dict(value)
        if _unknown_secrets(value):
            unsendable.append(f"{diff.path} (the file holds {diff.after}, not the secret)")
            continue
        config[key] = _clear(value)
    if config:
        body["config"] = config
    return body, unsendable


def _unknown_secrets(value: Any) -> bool:
    if isinstance(value, Secret):
        return not value.known
    if isinstance(value, Mapping):
        return any(_unknown_secrets(v) for v in value.values())
    return False


# Carrying out -----------------------------------------------------------------------------


def apply_plan(
    plan: Plan,
    client: DestinationsApi,
    *,
    progress: Callable[[str], None] = lambda _: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ApplyReport:
    """Carry out every actionable change in order; stop at the first failure or on request."""
    report = ApplyReport()
    steps = actionable(plan)
    for index, change in enumerate(steps):
        if should_stop():
            report.interrupted = True
            report.not_tried = [describe(c) for c in steps[index:]]
            return report
        try:
            notes = _carry_out(change, client)
        except ApiError as exc:
            report.failed = f"{describe(change)}: {exc}"
            report.not_tried = [describe(c) for c in steps[index + 1 :]]
            return report
        report.done.append(describe(change) + (f" ({notes})" if notes else ""))
        progress(report.done[-1])
    return report


def _carry_out(change: Change, client: DestinationsApi) -> str:
    if change.action is Action.CREATE:
        assert change.desired is not None
        return _create(change.desired, client)
    if change.action is Action.UPDATE:
        assert change.id is not None
        body, unsendable = update_body(change)
        if body:
            client.update_destination(change.id, body)
        if unsendable:
            raise ApiError("cannot update " + ", ".join(unsendable))
        return ""
    if change.action is Action.REPLACE:
        assert change.desired is not None and change.id is not None
        note = _create(change.desired, client)
        client.delete_destination(change.id)
        return note
    assert change.id is not None
    return "" if client.delete_destination(change.id) else "it was already gone"


def _create(desired: DesiredDestination, client: DestinationsApi) -> str:
    """POST once; on an uncertain failure, list again to see whether it took effect.

    The plan creates only names that were not live (a replace: not live with this type), so a
    destination of this name and type found now is the one this POST made.
    """
    try:
        client.create_destination(create_body(desired))
        return ""
    except ApiError as exc:
        if exc.status in _CERTAIN_FAILURES:
            raise
        for item in client.list_destinations(desired.workspace_id):
            if (
                isinstance(item, dict)
                and item.get("name") == desired.name
                and item.get("type") == desired.type
            ):
                return "the API answered an error, but the destination was created"
        raise
