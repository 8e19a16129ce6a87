"""Saved live states: written by `orsync snapshot`, read by `orsync plan --snapshot`.

A snapshot is `{"orsync_snapshot": 1, "workspaces": [{"workspace_id": ..., "data": [...]}]}`
holding the items as the API returned them, with any secret the API left in clear masked, so
the file is safe to keep. A raw list response `{"data": [...], "total_count": N}` is read too,
as the default workspace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from orsync.atomic import write_text_atomically
from orsync.errors import SnapshotError, UnexpectedAnswer
from orsync.live import parse_workspace
from orsync.model import LiveState
from orsync.sensitive import mask_config
from orsync.workspaces import WorkspaceInfo, workspace_label

SNAPSHOT_VERSION = 1


def snapshot_document(live: LiveState, slugs: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON document of a snapshot, with no secret in clear; `slugs` maps a workspace's
    UUID to the slug it was named by, so that a config naming it so plans offline."""
    known = slugs or {}
    return {
        "orsync_snapshot": SNAPSHOT_VERSION,
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "workspaces": [
            {
                "workspace_id": workspace.id,
                **({"slug": known[workspace.id]} if workspace.id and workspace.id in known else {}),
                "data": [_scrub(d.raw) for d in workspace.destinations],
                "total_count": len(workspace.destinations),
            }
            for workspace in live.workspaces
        ],
    }


def _scrub(item: Mapping[str, Any]) -> dict[str, Any]:
    """Mask secret config values the API returned in clear (it does so for some keys)."""
    copy = dict(item)
    config = item.get("config")
    if isinstance(config, Mapping):
        copy["config"] = mask_config(str(item.get("type", "")), config)
    return copy


def write_snapshot(live: LiveState, path: str, slugs: Mapping[str, str] | None = None) -> None:
    """Write the snapshot atomically, so a failed write never leaves half a file."""
    text = json.dumps(snapshot_document(live, slugs), indent=2) + "\n"
    try:
        write_text_atomically(path, text)
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot write the snapshot: {exc.strerror}") from exc


def read_snapshot(path: str, workspace_ids: Sequence[str | None]) -> LiveState:
    """Read a snapshot (or a raw list response) and return the live state of `workspace_ids`."""
    document = _load_json(path)
    lists = _workspace_lists(document, path)
    workspaces = []
    for workspace_id in workspace_ids:
        if workspace_id not in lists:
            label = workspace_label(workspace_id)
            raise SnapshotError(f"{path}: the snapshot has no destinations for {label}")
        try:
            workspaces.append(parse_workspace(workspace_id, lists[workspace_id]))
        except UnexpectedAnswer as exc:
            raise SnapshotError(f"{path}: {exc.problem}") from exc
    return LiveState(tuple(workspaces))


def snapshot_workspaces(path: str) -> list[WorkspaceInfo | None]:
    """Every workspace a snapshot holds, in the file's order, with its slug where saved
    (None: the key's default one)."""
    document = _load_json(path)
    ids = list(_workspace_lists(document, path))
    entries = document.get("workspaces", []) if isinstance(document, dict) else []
    slugs = {e.get("workspace_id"): e.get("slug") for e in entries if isinstance(e, dict)}
    return [
        None if i is None else WorkspaceInfo(i, s if isinstance(s := slugs.get(i), str) else None)
        for i in ids
    ]


def workspaces_in_snapshot(path: str) -> list[WorkspaceInfo]:
    """The workspaces a snapshot holds by UUID (the default workspace's entry has none)."""
    return [w for w in snapshot_workspaces(path) if w is not None]


def find_snapshot_workspaces(path: str, names: Sequence[str]) -> dict[str, WorkspaceInfo | None]:
    """Each workspace named by UUID or slug, as the snapshot saved it; one it does not hold is
    an error, since the snapshot is all there is to plan against."""
    known = workspaces_in_snapshot(path)
    found: dict[str, WorkspaceInfo | None] = {}
    for name in names:
        match = next((w for w in known if name in (w.id, w.slug)), None)
        if match is None:
            raise SnapshotError(
                f"{path}: the snapshot holds no workspace {name!r} (a workspace named by slug "
                "is found when `orsync snapshot` was run with that slug)"
            )
        found[name] = match
    return found


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such snapshot file") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"{path}: the snapshot is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}:{exc.lineno}: the snapshot is not valid JSON") from None
    except ValueError:
        # Valid JSON, but a number too long for Python to read (over 4300 digits).
        raise SnapshotError(f"{path}: the snapshot holds a number too long to read") from None
    except RecursionError:
        raise SnapshotError(f"{path}: the snapshot nests lists and objects too deeply") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read the snapshot: {exc.strerror}") from None


def _workspace_lists(document: Any, path: str) -> dict[str | None, list[Any]]:
    if isinstance(document, dict) and "orsync_snapshot" in document:
        if document["orsync_snapshot"] != SNAPSHOT_VERSION:
            raise SnapshotError(f"{path}: unsupported snapshot version")
        entries = document.get("workspaces")
        if not isinstance(entries, list):
            raise SnapshotError(f"{path}: `workspaces` is not a list")
        lists: dict[str | None, list[Any]] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("data"), list):
                raise SnapshotError(f"{path}: workspaces[{index}] has no `data` list")
            workspace_id = entry.get("workspace_id")
            if workspace_id is not None and not isinstance(workspace_id, str):
                raise SnapshotError(f"{path}: workspaces[{index}].workspace_id is not a string")
            lists[workspace_id] = entry["data"]
        return lists
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        data, total = document["data"], document.get("total_count")
        if isinstance(total, int) and not isinstance(total, bool) and total > len(data):
            # One page of a longer list: the rest would plan as creates.
            raise SnapshotError(
                f"{path}: holds {len(data)} of {total} destinations (one page of the list); "
                "save the whole list with `orsync snapshot`"
            )
        return {None: data}
    raise SnapshotError(
        f"{path}: not a snapshot: expected a file from `orsync snapshot` "
        'or a list response {"data": [...], "total_count": N}'
    )
