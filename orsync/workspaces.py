"""Workspaces named by UUID or by slug, and the one step that turns slugs into UUIDs.

The config file and `--workspace` may name a workspace by its slug (`acme-prod`); the API lists
destinations by workspace UUID. `GET /workspaces/{id-or-slug}` resolves a slug when the live
state is read, never in `validate`, which is offline. Everything after that step sees UUIDs only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orsync.errors import ApiError, ConfigError, UsageError
from orsync.model import DesiredState, WorkspaceConfig

if TYPE_CHECKING:
    from orsync.api import ApiClient

# `--workspace default` names the config's entry without `id`: the key's default workspace.
DEFAULT = "default"
# The two forms of a workspace reference (the JSON Schema of `orsync schema` uses them too).
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
SLUG_PATTERN = "[a-z0-9][a-z0-9-]*"
_UUID = re.compile(UUID_PATTERN)
_SLUG = re.compile(SLUG_PATTERN)
REFERENCE_FORM = (
    "a workspace UUID like 550e8400-e29b-41d4-a716-446655440000, "
    "or a slug (lower-case letters, digits and -)"
)


def workspace_label(workspace_id: str | None) -> str:
    """How messages name a workspace: `workspace <id>`, or `the default workspace`."""
    return f"workspace {workspace_id}" if workspace_id else "the default workspace"


def is_uuid(text: str) -> bool:
    return bool(_UUID.fullmatch(text))


def is_slug(text: str) -> bool:
    """A slug: lower-case letters, digits and `-`, and not a UUID."""
    return bool(_SLUG.fullmatch(text)) and not is_uuid(text)


def workspace_reference(text: str) -> str | None:
    """The canonical form of a workspace reference (a UUID in lower case, or a slug); None
    when `text` is neither."""
    if is_uuid(text):
        return text.lower()
    return text if is_slug(text) else None


@dataclass(frozen=True)
class WorkspaceInfo:
    """A workspace as `GET /workspaces` describes it."""

    id: str
    slug: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """`workspace <uuid> (<slug>)`, as messages name it."""
        return f"workspace {self.id}" + (f" ({self.slug})" if self.slug else "")


def parse_workspace_info(item: Any, what: str) -> WorkspaceInfo:
    """Check one workspace object from the API."""
    if not isinstance(item, Mapping):
        raise ApiError(f"unexpected API answer: {what} is not an object")
    identifier = item.get("id")
    if not isinstance(identifier, str) or not is_uuid(identifier):
        raise ApiError(f"unexpected API answer: {what} has no workspace UUID `id`")
    slug, name = item.get("slug"), item.get("name")
    return WorkspaceInfo(
        identifier.lower(),
        slug if isinstance(slug, str) else None,
        name if isinstance(name, str) else None,
    )


# Looks up workspaces by UUID or slug: each name maps to its workspace, or to None when no
# workspace the key can see has that name. A source that can tell more raises instead.
Finder = Callable[[Sequence[str]], Mapping[str, WorkspaceInfo | None]]


def find_with_client(client: ApiClient, names: Iterable[str]) -> dict[str, WorkspaceInfo | None]:
    """`GET /workspaces/{name}` for each name, as many at a time as the client allows."""
    unique = list(dict.fromkeys(names))

    def one(name: str) -> WorkspaceInfo | None:
        item = client.get_workspace(name)
        return None if item is None else parse_workspace_info(item, f"workspace {name!r}")

    return dict(zip(unique, client.each(one, unique), strict=True))


def check_reference(name: str, option: str = "--workspace") -> str:
    """A `--workspace` value in canonical form; `default` is kept as it is."""
    if name == DEFAULT:
        return name
    reference = workspace_reference(name.strip())
    if reference is None:
        raise UsageError(f"{option} {name!r}: expected {REFERENCE_FORM}, or `default`")
    return reference


def choose_workspaces(
    desired: DesiredState, names: Sequence[str], find: Finder | None
) -> DesiredState:
    """The entries `names` select (every entry when none), each slug replaced by its UUID.

    A name matches an entry as written (UUID or slug); one that matches none is looked up,
    so that `--workspace acme-prod` selects the entry written by UUID. `find` is None where
    nothing can be looked up: then only names as written work, and a slug entry is an error.
    """
    resolver = _Resolver(desired, find)
    chosen = resolver.select([check_reference(n) for n in names]) if names else desired.workspaces
    resolved = tuple(resolver.resolve(entry) for entry in chosen)
    _check_distinct(resolved)
    # By identity: comparing entries field by field, each with every other, grew with the
    # square of their number.
    picked = {id(entry) for entry in chosen}
    others = tuple(w for w in desired.workspaces if id(w) not in picked)
    return dataclasses.replace(desired, workspaces=resolved, unselected=desired.unselected + others)


class _Resolver:
    """Looks names up once each, and says where a name came from when it is unknown."""

    def __init__(self, desired: DesiredState, find: Finder | None) -> None:
        self.desired = desired
        self.find = find
        self.found: dict[str, WorkspaceInfo | None] = {}

    def lookup(self, names: Iterable[str]) -> None:
        wanted = [n for n in dict.fromkeys(names) if n not in self.found]
        if wanted and self.find is not None:
            self.found.update(self.find(wanted))

    def uuid_of(self, reference: str | None) -> str | None:
        if reference is None or is_uuid(reference):
            return reference
        info = self.found.get(reference)
        return None if info is None else info.id

    def select(self, references: list[str]) -> tuple[WorkspaceConfig, ...]:
        entries = self.desired.workspaces
        written = {w.id for w in entries}
        has_default = None in written
        wanted = {None if r == DEFAULT and has_default else r for r in references}
        unmatched = sorted(r for r in wanted if r is not None and r not in written)
        if not unmatched:
            return tuple(w for w in entries if w.id in wanted)
        if self.find is None:
            raise self.not_in_file(unmatched)
        self.lookup([*unmatched, *(w.id for w in entries if w.id and is_slug(w.id))])
        unknown = [r for r in unmatched if self.uuid_of(r) is None]
        if unknown:
            raise UsageError(
                f"--workspace {', '.join(unknown)}: no workspace has this id or slug "
                "(or the key cannot see it)"
            )
        uuids = {self.uuid_of(r) for r in wanted if r is not None}
        chosen = tuple(
            w for w in entries if w.id in wanted or (w.id and self.uuid_of(w.id) in uuids)
        )
        matched = {self.uuid_of(w.id) for w in chosen if w.id}
        missing = sorted(r for r in unmatched if self.uuid_of(r) not in matched)
        if missing:
            raise self.not_in_file(missing)
        return chosen

    def not_in_file(self, references: list[str]) -> UsageError:
        return UsageError(
            f"--workspace {', '.join(references)}: not a workspace of {self.desired.path} "
            "(use the id or slug of a workspace entry, or `default`)"
        )

    def resolve(self, entry: WorkspaceConfig) -> WorkspaceConfig:
        """The entry with its slug replaced by the workspace's UUID (and kept as `slug`)."""
        if entry.id is None or is_uuid(entry.id):
            return entry
        slug = entry.id
        if self.find is None:
            raise ConfigError(
                f"workspace {slug!r} is named by slug, which only the API can resolve",
                file=entry.source.file,
                line=entry.source.line,
            )
        self.lookup([slug])
        workspace_id = self.uuid_of(slug)
        if workspace_id is None:
            raise ConfigError(
                f"workspace {slug!r} was not found: no workspace has this slug "
                "(or the key cannot see it)",
                file=entry.source.file,
                line=entry.source.line,
            )
        destinations = tuple(
            dataclasses.replace(d, workspace_id=workspace_id) for d in entry.destinations
        )
        return dataclasses.replace(entry, id=workspace_id, slug=slug, destinations=destinations)


def _check_distinct(entries: Sequence[WorkspaceConfig]) -> None:
    """Two entries naming one workspace (by UUID and by slug) would fight over it."""
    first: dict[str, WorkspaceConfig] = {}
    for entry in entries:
        if entry.id is None:
            continue
        if entry.id in first:
            earlier = first[entry.id]
            raise ConfigError(
                f"this entry and the one at line {earlier.source.line} name the same "
                f"workspace {entry.id}; merge them",
                file=entry.source.file,
                line=entry.source.line,
            )
        first[entry.id] = entry


def find_named(
    names: Sequence[str], find: Finder, *, look_up_uuids: bool = False
) -> list[WorkspaceInfo | None]:
    """The workspaces `--workspace` values name, without a config file: None stands for
    `default` (the key's default workspace). A slug is always looked up, a UUID only with
    `look_up_uuids` (to learn its slug and name, and that it exists)."""
    references = list(dict.fromkeys(check_reference(n) for n in names))
    asked = [r for r in references if r != DEFAULT and (look_up_uuids or not is_uuid(r))]
    found = find(asked) if asked else {}
    unknown = [r for r in asked if found.get(r) is None]
    if unknown:
        raise UsageError(
            f"--workspace {', '.join(unknown)}: no workspace has this id or slug "
            "(or the key cannot see it)"
        )
    chosen: list[WorkspaceInfo | None] = []
    for reference in references:
        if reference == DEFAULT:
            chosen.append(None)
        else:
            chosen.append(found.get(reference) or WorkspaceInfo(reference))
    return chosen
