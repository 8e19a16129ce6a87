"""Creating without duplicates: apply's checks around the one request that is never retried.

orsync keeps no state between runs, so a name is known to be free only by listing. Before the
first create in a workspace, the workspace is listed again: a destination of a name to create
that the plan did not account for (made since, or missed by a listing that moved between its
pages) is not created a second time. A create whose answer never came (timeout, dropped
connection, 5xx) may still take effect: the workspace is listed a few times over a settle
period, and when the destination still does not show, the outcome is reported as unknown.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from orsync.errors import ApiError, ApplyError
from orsync.model import DesiredDestination
from orsync.request_bodies import create_body
from orsync.sensitive import redact
from orsync.workspaces import workspace_label

# Answers that say a create certainly did not happen (429: refused before any work); after
# anything else (a 5xx, or no answer at all) it may have.
CERTAIN_FAILURES = frozenset({400, 401, 403, 404, 409, 422, 429})


class CreatingApi(Protocol):
    """What creating needs of the API client."""

    def list_destinations(self, workspace_id: str | None = None) -> list[dict[str, Any]]: ...
    def create_destination(self, body: Mapping[str, Any]) -> dict[str, Any]: ...


class NameTakenError(ApplyError):
    """A name to create is live, or may be, since the plan was made: it is not created."""


class OutcomeUnknownError(ApplyError):
    """A create got no answer and did not show in the listings after: it may yet take effect."""


class LiveNames:
    """Per workspace, the names a create must not take: found live by a listing made right
    before the first create there, or created (or perhaps created) by this apply.

    `planned_ids` are the destinations the plan acts on: a destination it renames or replaces
    may still carry a name to create, and is no reason to refuse.
    """

    def __init__(self, client: CreatingApi, planned_ids: Collection[str]) -> None:
        self._client = client
        self._planned_ids = frozenset(planned_ids)
        self._taken: dict[str | None, dict[str, str]] = {}
        self._seen_ids: dict[str | None, frozenset[str]] = {}

    def check(self, desired: DesiredDestination) -> None:
        """Raise NameTakenError when `desired`'s name must not be created now."""
        taken = self._taken_in(desired.workspace_id)
        reason = taken.get(desired.name)
        if reason is not None:
            raise NameTakenError(f"destination {desired.name!r} {reason}, so it was not created")

    def claim(self, desired: DesiredDestination, reason: str) -> None:
        """Record that this apply created `desired`, or may have."""
        self._taken_in(desired.workspace_id)[desired.name] = reason

    def seen_ids(self, workspace_id: str | None) -> frozenset[str]:
        """The ids live in the workspace when it was listed before its first create."""
        return self._seen_ids.get(workspace_id, frozenset()) | self._planned_ids

    def _taken_in(self, workspace_id: str | None) -> dict[str, str]:
        if workspace_id not in self._taken:
            items = self._client.list_destinations(workspace_id)
            self._seen_ids[workspace_id] = frozenset(_ids(items))
            self._taken[workspace_id] = {
                item["name"]: _appeared_reason(item, workspace_id)
                for item in items
                if isinstance(item, dict)
                and isinstance(item.get("name"), str)
                and item.get("id") not in self._planned_ids
            }
        return self._taken[workspace_id]


def _appeared_reason(item: Mapping[str, Any], listed: str | None) -> str:
    # The item names its workspace even when the config's entry (listed as None) does not.
    own = item.get("workspace_id")
    place = workspace_label(own if isinstance(own, str) and own else listed)
    return (
        f"appeared in {place} since the plan was made (or the plan's listing missed it while "
        "the workspace changed)"
    )


def create_once(
    desired: DesiredDestination,
    client: CreatingApi,
    names: LiveNames,
    check_waits: Sequence[float],
) -> str:
    """POST once, unless the name is taken; after an answer that never came, list again over
    `check_waits` (seconds before each listing) to see whether it took effect.

    Returns a note for the report; raises NameTakenError, the API's certain refusal, or
    OutcomeUnknownError.
    """
    body = create_body(desired)
    names.check(desired)
    before = names.seen_ids(desired.workspace_id)
    try:
        client.create_destination(body)
    except ApiError as exc:
        if exc.status in CERTAIN_FAILURES:
            raise
        names.claim(desired, "may have been created earlier in this apply")
        found, checks = _appeared(desired, client, before, check_waits)
        if found:
            return "the API gave no success answer, but the destination was created"
        raise OutcomeUnknownError(f"{redact(str(exc))}; {checks}") from exc
    names.claim(desired, "was created earlier in this apply")
    return ""


def _appeared(
    desired: DesiredDestination,
    client: CreatingApi,
    before: frozenset[str],
    check_waits: Sequence[float],
) -> tuple[bool, str]:
    """Whether a destination of this name and type, not live before the POST, shows in one of
    the listings; else what the listings saw, for the report."""
    listed, failure = 0, ""
    for wait in check_waits:
        time.sleep(wait)
        try:
            items = client.list_destinations(desired.workspace_id)
        except ApiError as exc:
            # One listing failing says nothing of the create; the next may answer.
            failure = redact(str(exc))
            continue
        listed += 1
        if any(
            isinstance(item, dict)
            and item.get("name") == desired.name
            and item.get("type") == desired.type
            and item.get("id") not in before
            for item in items
        ):
            return True, ""
    seen = f"not listed by {listed} of {len(check_waits)} checks over {sum(check_waits):g} s"
    return False, seen + (f" (a check failed: {failure})" if failure else "")


def _ids(items: list[Any]) -> list[Any]:
    return [item.get("id") for item in items if isinstance(item, dict)]
