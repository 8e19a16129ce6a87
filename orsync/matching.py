"""Pairing live destinations with declared ones: by pinned `id`, else by (workspace, name).

Also the checks that make pairing safe: two live destinations of one declared name, and the
key's default workspace declared twice (once without `id`, once by its id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from orsync.errors import AmbiguousMatchError, PlanningError
from orsync.model import (
    DesiredDestination,
    DesiredState,
    LiveDestination,
    LiveState,
    LiveWorkspace,
    UnmanagedPolicy,
    WorkspaceConfig,
)

Pair = tuple[DesiredDestination, LiveDestination | None]
# A declaration and its position in its workspace entry.
Declared = tuple[int, DesiredDestination]


@dataclass
class Matching:
    """Declared destinations paired with live ones, and what pairing left to say."""

    # Every declared destination, in the file's order, with the live one it matches (if any).
    pairs: list[Pair] = field(default_factory=list)
    # Ids of the live destinations some declaration accounts for.
    claimed: set[str] = field(default_factory=set)
    # Pinned destinations of another type whose new half (declared name and type) is live
    # already: what a replace that stopped before its delete leaves behind.
    superseded: list[tuple[DesiredDestination, LiveDestination]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # While pairing: the match of each declaration, by its position in the workspace entry.
    _found: dict[int, LiveDestination] = field(default_factory=dict, repr=False)

    def pair(self, declared: Declared, current: LiveDestination) -> None:
        self._found[declared[0]] = current
        self.claimed.add(current.id)

    def finish(self, declared: list[Declared]) -> Matching:
        """Lay out `pairs` in the order of the declarations."""
        self.pairs = [(desired, self._found.get(position)) for position, desired in declared]
        return self


def match_destinations(workspace: WorkspaceConfig, live: LiveWorkspace) -> Matching:
    """Pair declared destinations with live ones: pinned ids first, then names."""
    by_id = {d.id: d for d in live.destinations}
    pinned_ids = {d.id for d in workspace.destinations if d.id is not None}
    matching = Matching()
    declared = list(enumerate(workspace.destinations))
    retyped: list[Declared] = []
    by_name_only: list[Declared] = []
    for entry in declared:
        desired = entry[1]
        if desired.id is None:
            by_name_only.append(entry)
        elif desired.id not in by_id:
            # Creating anew would never match the pin, and would create again on every apply.
            matching.warnings.append(
                f"{desired.source}: {desired.name}: pinned id {desired.id} is not live; "
                "matching by name instead (update or remove the `id`)"
            )
            by_name_only.append(entry)
        elif by_id[desired.id].type == desired.type:
            matching.pair(entry, by_id[desired.id])
        else:
            retyped.append(entry)
    for entry in retyped:
        _match_retyped(entry, by_id, pinned_ids, live, matching)
    by_name: dict[str, list[LiveDestination]] = defaultdict(list)
    for candidate in live.destinations:
        if candidate.id not in matching.claimed and candidate.id not in pinned_ids:
            by_name[candidate.name or ""].append(candidate)
    for entry in by_name_only:
        _match_by_name(entry, by_name.get(entry[1].name, []), workspace.unmanaged, matching)
    return matching.finish(declared)


def _match_retyped(
    entry: Declared,
    by_id: Mapping[str, LiveDestination],
    pinned_ids: set[str],
    live: LiveWorkspace,
    matching: Matching,
) -> None:
    """A pinned destination live with another type: a replace, or one already half done.

    A replace creates the new destination first: if deleting the pinned old one failed, the
    new one (same name, declared type, pinned by no one) is live, and must not be made twice.
    """
    desired = entry[1]
    assert desired.id is not None
    pinned = by_id[desired.id]
    halves = [
        d
        for d in live.destinations
        if d.name == desired.name
        and d.type == desired.type
        and d.id not in matching.claimed
        and d.id not in pinned_ids
    ]
    if len(halves) == 1:
        matching.pair(entry, halves[0])
        matching.superseded.append((desired, pinned))
        matching.claimed.add(pinned.id)
    else:
        matching.pair(entry, pinned)


def _match_by_name(
    entry: Declared,
    found: list[LiveDestination],
    unmanaged: UnmanagedPolicy,
    matching: Matching,
) -> None:
    desired = entry[1]
    if len(found) <= 1:
        if found:
            matching.pair(entry, found[0])
        return
    same_type = [d for d in found if d.type == desired.type]
    listed = ", ".join(f"{d.id} ({d.type})" for d in found)
    if len(same_type) != 1:
        raise AmbiguousMatchError(
            f"{desired.source}: {len(found)} live destinations are named {desired.name!r}: "
            f"{listed}; pin the one to keep with `id:`"
        )
    # One has the declared type: the others are most likely what a replace that stopped
    # half-way left behind. They stay unclaimed, so the workspace's `unmanaged` policy
    # decides: deleted under `delete`, reported under `report`.
    matching.pair(entry, same_type[0])
    matching.warnings.append(
        f"{desired.source}: {len(found)} live destinations are named {desired.name!r}: "
        f"{listed}; matched the {desired.type} one, the others are unmanaged ({unmanaged})"
    )


def check_default_not_declared_twice(desired: DesiredState, live: LiveState) -> list[str]:
    """Refuse an entry without `id` whose default workspace another entry names by id.

    Each entry would see the other's destinations as unmanaged, and might delete them. The
    whole file is checked, also when `--workspace` selects one of the two entries; the
    default workspace's id is known from its live destinations. Returns the warnings for
    where it cannot tell (the default workspace is empty).
    """
    entries = desired.workspaces + desired.unselected
    default_entry = next((w for w in entries if w.id is None), None)
    default_live = live.workspace(None)
    if default_entry is None or default_live is None:
        return []
    if not default_live.destinations:
        return _undecidable(default_entry, entries, live)
    default_ids = {d.workspace_id for d in default_live.destinations}
    for other in entries:
        if other.id is not None and other.id in default_ids:
            raise PlanningError(
                f"{default_entry.source}: the entry without `id` is the key's default "
                f"workspace {other.id}, which {other.source} declares again; merge the two"
            )
    return []


def _undecidable(
    default_entry: WorkspaceConfig, entries: tuple[WorkspaceConfig, ...], live: LiveState
) -> list[str]:
    """Warnings where the check cannot tell: the default workspace is empty, so its id is
    unknown, and an entry by id whose workspace is empty too may be the same one.

    Not an error: that is also how every new organization's first plan looks.
    """
    warnings: list[str] = []
    for other in entries if default_entry.destinations else ():
        other_live = live.workspace(other.id) if other.id is not None else None
        if other_live is not None and not other_live.destinations and other.destinations:
            warnings.append(
                f"{default_entry.source}: cannot tell whether the entry without `id` (the "
                f"key's default workspace, empty) and {other.source} (workspace {other.id}, "
                "empty too) are different workspaces; if they are the same, merge them"
            )
    return warnings
