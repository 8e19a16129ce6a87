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

from orsync.errors import ApiError, ApplyError, OrsyncError, SafetyError
from orsync.model import DesiredDestination, Secret
from orsync.normalize import align_header_names
from orsync.plan import Action, Change, Plan, public_value
from orsync.schema import HEADERS_KEY, TYPES
from orsync.sensitive import flatten_config

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
    next_step: str = "run `orsync apply` again to finish"

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
        parts.append(self.next_step)
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


def safety_problem(plan: Plan, max_deletes: int = DEFAULT_MAX_DELETES) -> str | None:
    """Which safety rule the plan breaks (protect, max deletes), or None."""
    destructive = [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    protected = [c for c in destructive if c.protect]
    if protected:
        names = ", ".join(f"{c.name!r} ({c.source})" for c in protected)
        return f"protect forbids deleting or replacing {names}"
    if len(destructive) > max_deletes:
        names = ", ".join(repr(c.name) for c in destructive)
        return (
            f"{len(destructive)} destinations would be deleted or replaced ({names}), "
            f"more than --max-deletes {max_deletes}"
        )
    return None


def check_safety(plan: Plan, max_deletes: int = DEFAULT_MAX_DELETES) -> None:
    """Refuse (exit 3) a plan that deletes too many destinations or touches a protected one."""
    problem = safety_problem(plan, max_deletes)
    if problem:
        raise SafetyError(f"refusing to apply: {problem}; nothing was changed")


def check_feasible(plan: Plan) -> None:
    """Refuse (exit 1), before any change, what apply could not carry out in full.

    A create needs every secret in clear and every required config key; an update cannot
    send a secret the file holds only as a mask or an unset variable.
    """
    problems: list[str] = []
    for change in plan.changes:
        if change.desired is None:
            continue
        desired = change.desired
        where = f"{desired.source}: {desired.name}"
        if change.action in (Action.CREATE, Action.REPLACE):
            for unknown in _unknown_leaves(desired.config):
                problems.append(f"{where}: {unknown}: set it from a variable to create")
            spec = TYPES.get(desired.type)
            for key in spec.required_keys() if spec else ():
                if key not in desired.config:
                    problems.append(f"{where}: config.{key} is required to create: declare it")
        elif change.action is Action.UPDATE:
            problems.extend(f"{where}: {issue}" for issue in update_body(change)[1])
    if problems:
        raise ApplyError("cannot apply: " + "; ".join(problems) + "; nothing was changed")


def _unknown_leaves(config: Mapping[str, Any]) -> list[str]:
    """`config.x is <mask>` for every secret inside that orsync does not know in clear."""
    return [
        f"{path} is {_shown(value)}"
        for path, value in flatten_config(config)
        if _unknown_secrets(value)
    ]


def _shown(value: Any) -> str:
    return str(public_value(value))


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


def _unknown_secrets(value: Any) -> bool:
    """Whether a value holds a secret orsync does not know in clear (a pin, an unset variable)."""
    if isinstance(value, Secret):
        return not value.known
    if isinstance(value, Mapping):
        return any(_unknown_secrets(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_unknown_secrets(v) for v in value)
    return False


def create_body(desired: DesiredDestination) -> dict[str, Any]:
    """The POST body for a declared destination; refuses to send a mask or an unset secret."""
    for path, value in flatten_config(desired.config):
        if _unknown_secrets(value):
            raise ApplyError(f"{desired.source}: {desired.name}: {path} is {_shown(value)}")
    body: dict[str, Any] = {"type": desired.type, "name": desired.name}
    if desired.workspace_id is not None:
        body["workspace_id"] = desired.workspace_id
    body.update({k: _clear(v) for k, v in desired.fields.items()})
    body["config"] = _clear(dict(desired.config))
    return body


def update_body(change: Change) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body: only the differing fields and config keys; and what cannot be sent.

    The API merges `config` key by key and keeps a key left out, so only differing keys are
    sent. A key holding a mapping (`headers`) or a list is sent whole: whether PATCH merges or
    replaces inside it is not documented. So it is sent only when every value in it is known
    in clear and it covers every entry live has; otherwise it is reported as unsendable rather
    than sent with masks, or sent in part and left to lose entries. `headers` is compared
    whole, so a live header the file leaves out is drift: it is sent as null, to go.
    """
    assert change.desired is not None
    desired = change.desired
    live_config = change.live.raw.get("config") if change.live is not None else None
    live_config = live_config if isinstance(live_config, Mapping) else {}
    body: dict[str, Any] = {}
    config: dict[str, Any] = {}
    unsendable: list[str] = []
    seen: set[str] = set()
    for diff in change.fields:
        if diff.config_key is None:
            body[diff.path] = desired.name if diff.path == "name" else desired.fields[diff.path]
            continue
        key = diff.config_key
        if key in seen:
            continue
        seen.add(key)
        live_value = live_config.get(key)
        if key == HEADERS_KEY:
            live_value = align_header_names(desired.config[key], live_value)
        problem = _unsendable(key, desired.config[key], live_value, desired.ignore)
        if problem:
            unsendable.append(f"cannot update config.{key}: {problem}")
        elif key == HEADERS_KEY and isinstance(live_config.get(key), Mapping):
            config[key] = _headers_body(desired.config[key], live_config[key])
        else:
            config[key] = desired.config[key]
    if config:
        body["config"] = config
    return _clear(body), unsendable


def _headers_body(wanted: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """`headers` as sent: under the names live uses, so that a name in another case replaces
    it, and null for each live header the file leaves out, which removes it whether PATCH
    merges headers or replaces them."""
    sent = dict(align_header_names(live, wanted))
    sent.update({name: None for name in live if name not in sent})
    return sent


def _unsendable(key: str, wanted: Any, live: Any, ignore: tuple[str, ...]) -> str:
    """Why a declared config value cannot be sent as it is, or "" when it can."""
    if _unknown_secrets(wanted):
        unknown = "; ".join(_unknown_leaves({key: wanted}))
        return (
            f"{unknown}, not the secret itself (set it from a variable to change it; a pinned "
            "mask only checks it)"
        )
    if not isinstance(wanted, (Mapping, list)):
        return ""
    if key == HEADERS_KEY and isinstance(live, Mapping):
        names = [str(name).lower() for name in live]
        if len(set(names)) < len(names):
            return "live holds header names that differ only in case; fix them by hand first"
    inside = [rule for rule in ignore if rule.startswith((f"config.{key}.", f"config.{key}["))]
    if inside:
        return (
            f"it is sent whole, and the file ignores {', '.join(inside)} inside it, which the "
            "update would overwrite"
        )
    # Headers are compared whole: those the file leaves out are removed, not kept.
    missing = [] if key == HEADERS_KEY else list(_undeclared(wanted, live, f"config.{key}"))
    if missing:
        return (
            f"it is sent whole, and live also has {', '.join(missing)}, which the file does "
            "not declare (declare them too, with their values)"
        )
    return ""


def _undeclared(wanted: Any, live: Any, path: str) -> Iterator[str]:
    """The paths of live entries inside a value that the declared value leaves out."""
    if isinstance(wanted, Mapping) and isinstance(live, Mapping):
        for key, value in live.items():
            if key not in wanted:
                yield f"{path}.{key}"
            else:
                yield from _undeclared(wanted[key], value, f"{path}.{key}")
    elif isinstance(wanted, list) and isinstance(live, list):
        for index, (item, value) in enumerate(zip(wanted, live, strict=False)):
            yield from _undeclared(item, value, f"{path}[{index}]")


def _known_secrets(value: Any) -> Iterator[str]:
    """Every secret known in clear inside a value: what must not appear in any message."""
    if isinstance(value, Secret):
        if value.known and value.value:
            yield value.value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _known_secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _known_secrets(item)


def _redacted(message: str, change: Change) -> str:
    """An API error message with the secrets we sent taken out (an API may echo input)."""
    if change.desired is None:
        return message
    for secret in _known_secrets(change.desired.config):
        message = message.replace(secret, "***")
    return message


# Carrying out -----------------------------------------------------------------------------

Step = tuple[str, Callable[[], str]]


def _steps(change: Change, client: DestinationsApi) -> list[Step]:
    """The requests of one change; a replace is two steps, so a report can say which ran."""
    desired, ident = change.desired, change.id
    if change.action is Action.CREATE:
        assert desired is not None
        return [(describe(change), lambda: _create(desired, client))]
    if change.action is Action.UPDATE:
        assert ident is not None
        return [(describe(change), lambda: _update(ident, change, client))]
    if change.action is Action.REPLACE:
        assert desired is not None and ident is not None and change.live is not None
        old_type = change.live.type
        return [
            (
                f"{describe(change)}: create the new {desired.type}",
                lambda: _create(desired, client),
            ),
            (f"{describe(change)}: delete the old {old_type}", lambda: _delete(ident, client)),
        ]
    assert ident is not None
    return [(describe(change), lambda: _delete(ident, client))]


def apply_plan(
    plan: Plan,
    client: DestinationsApi,
    *,
    report: ApplyReport | None = None,
    progress: Callable[[str], None] = lambda _: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ApplyReport:
    """Carry out every actionable change in order; stop at the first failure or on request.

    `report` is filled in as steps run, so a caller interrupted mid-way still has it.
    """
    report = ApplyReport() if report is None else report
    changes = actionable(plan)
    for index, change in enumerate(changes):
        steps = _steps(change, client)
        for position, (label, run) in enumerate(steps):
            notes = ""
            if should_stop():
                report.interrupted = True
            else:
                try:
                    notes = run()
                except (ApiError, ApplyError) as exc:
                    report.failed = f"{label}: {_redacted(str(exc), change)}"
                    report.next_step = _next_step(exc, change, position, changes[index + 1 :])
            if report.interrupted or report.failed is not None:
                report.not_tried = _untried(change, steps, position, report.interrupted)
                report.not_tried += [describe(c) for c in changes[index + 1 :]]
                return report
            report.done.append(label + (f" ({notes})" if notes else ""))
            progress(report.done[-1])
    return report


def _next_step(error: OrsyncError, change: Change, position: int, later: list[Change]) -> str:
    """What a person should do after a failed step: a rerun only helps when nothing refused."""
    pinned = change.desired is not None and change.desired.id is not None
    if change.action is Action.REPLACE and position == 1 and not pinned:
        # Without a pin the next plan cannot tell the old half from a destination made
        # by hand, so it is left to the workspace's `unmanaged` policy.
        return (
            f"the new {change.type} is live; the old {change.live.type if change.live else ''} "
            f"{change.id} was not deleted: the next `orsync apply` deletes it only under "
            "`unmanaged: delete` (else it is reported as unmanaged): delete it by hand, "
            "or pin this destination's `id` to the old one and run `orsync apply` again"
        )
    if not isinstance(error, ApiError):
        return "give orsync what the message names, then run `orsync apply` again"
    status = error.status
    if status is None or status >= 500 or status == 429:
        return "run `orsync apply` again to finish"
    if status == 409 and any(c.action is Action.DELETE and c.type == change.type for c in later):
        return (
            f"the API refused (409: perhaps its limit of destinations per type); deletes come "
            f"after creates, so delete a {change.type} destination first, then run "
            "`orsync apply` again"
        )
    return "fix what the API refused, then run `orsync apply` again"


def _untried(change: Change, steps: list[Step], position: int, interrupted: bool) -> list[str]:
    """What of the current change did not run: itself, or its steps after a first one ran."""
    if position == 0:
        return [describe(change)] if interrupted else []
    return [label for label, _ in steps[position if interrupted else position + 1 :]]


def _update(ident: str, change: Change, client: DestinationsApi) -> str:
    body, unsendable = update_body(change)
    if unsendable:
        # Sending the rest would leave the destination half-updated; check_feasible says why.
        raise ApplyError("; ".join(unsendable))
    if body:
        client.update_destination(ident, body)
    return ""


def _delete(ident: str, client: DestinationsApi) -> str:
    return "" if client.delete_destination(ident) else "it was already gone"


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
