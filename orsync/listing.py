"""Reading a listing whole: the pages of one pass, whether it is complete and consistent, and
the checks on its items (ids, the workspace they belong to)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from orsync import defaults
from orsync.errors import ApiError

PAGE_LIMIT = defaults.PAGE_LIMIT
# The API allows 5 destinations per type: a listing of more pages than this is a broken server.
MAX_PAGES = 1000


# A listing that changes while it is read is read again, this many times in all.
LISTING_READS = 3


# Larger than any count of destinations, and still exact as a JSON number.
MAX_COUNT = defaults.MAX_EXACT_INTEGER


@dataclass(frozen=True)
class Listing:
    """The destinations of one workspace, and what reading them found that the user should know."""

    items: list[dict[str, Any]]
    warnings: tuple[str, ...] = ()


@dataclass
class ListingRead:
    """One pass over the pages of a listing, and what makes it doubtful on its own."""

    items: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    # The distinct ids among `ids`.
    seen: set[str] = field(default_factory=set)
    ended: bool = False  # an empty page, or a short one completing total_count: it is over
    stalled: bool = False  # a page held no destination not already listed
    problem: str | None = None

    @property
    def pages(self) -> int:
        return len(self.totals)

    def add(self, page: list[Any], total: int) -> None:
        if self.totals and total != self.totals[0]:
            self.problem = f"total_count went from {self.totals[0]} to {total}"
        self.totals.append(total)
        new = 0
        for item in page:
            ident = item["id"]  # checked by _list_page
            if ident in self.seen:
                self.problem = f"destination {ident} was listed twice"
            else:
                new += 1
                self.seen.add(ident)
            self.ids.append(ident)
            self.items.append(item)
        if page and not new:
            # Either the list moved by a whole page, or the server does not page by offset:
            # either way, reading on would not end.
            self.stalled = True
            self.problem = "a page held only destinations already listed"
        # A page shorter than asked ends the listing when it completes total_count: then no
        # empty page is asked for, which would cost each listing a second round trip.
        complete = self.problem is None and len(self.ids) == total
        self.ended = not page or (len(page) < PAGE_LIMIT and complete)

    def goes_on(self) -> bool:
        return not (self.ended or self.stalled)

    def whole(self) -> bool:
        """Complete and consistent in itself: every page agrees, and total_count is met."""
        return self.ended and self.problem is None and len(self.ids) == self.totals[0]

    def same_as(self, other: ListingRead) -> bool:
        """The same listing as another complete read: it held still between the two."""
        complete = self.ended and other.ended
        return complete and (self.ids, self.totals) == (other.ids, other.totals)

    def unique_items(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        unique = []
        for ident, item in zip(self.ids, self.items, strict=True):
            if ident not in seen:
                seen.add(ident)
                unique.append(item)
        return unique

    def warnings(self, label: str) -> tuple[str, ...]:
        total, listed = self.totals[0], len(self.seen)
        if total <= listed:
            return ()
        return (
            f"{label}: total_count says {total} destinations, but the listing holds {listed}, "
            "the same on two reads. The API may count destinations it does not list (of "
            f"types not yet stable, or deleted); orsync goes on with the {listed} listed",
        )


def next_offsets(offset: int, step: int, total: int, window: int) -> list[int]:
    """The offsets of the next pages, if each holds `step` destinations as the first did.

    Up to `window` of the pages `total_count` promises, then, when the last of them would be
    as long as asked, the offset where it says the listing ends: only an empty page, or a
    shorter one, proves the end.
    """
    offsets = list(itertools.islice(range(offset, total, step), window))
    if len(offsets) < window and (not offsets or total - offsets[-1] >= PAGE_LIMIT):
        offsets.append(max(offset, total))
    return offsets


def item_id(item: Any, where: str) -> str:
    if not isinstance(item, dict):
        raise ApiError(f"unexpected API answer: {where} is not an object")
    ident = item.get("id")
    if not isinstance(ident, str) or not ident:
        raise ApiError(f"unexpected API answer: {where}: `id` is not a non-empty string")
    return ident


def check_workspace(items: list[dict[str, Any]], workspace_id: str | None, label: str) -> None:
    """Every item belongs to the workspace asked for (the default one: all to one workspace).

    A proxy that drops `?workspace_id=` would otherwise plan one workspace against another's
    destinations.
    """
    owners: dict[str, str] = {}
    for item in items:
        owner = item.get("workspace_id")
        if owner is None:
            continue
        if not isinstance(owner, str):
            raise ApiError(
                f"unexpected API answer: destination {item['id']}: `workspace_id` is not a string"
            )
        owners.setdefault(owner, item["id"])
    if workspace_id is None and len(owners) > 1:
        first, second = sorted(owners)[:2]
        raise ApiError(
            f"unexpected API answer: the list of {label} mixes destinations of workspaces "
            f"{first} and {second} (destinations {owners[first]}, {owners[second]})"
        )
    strangers = sorted(set(owners) - {workspace_id}) if workspace_id else []
    if strangers:
        other = strangers[0]
        raise ApiError(
            f"unexpected API answer: the list of {label} holds destination {owners[other]} of "
            f"workspace {other} (was `?workspace_id=` lost on the way, by a proxy?)"
        )
