"""What every command reads: the config file, and the live state from the API or a snapshot."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from orsync import defaults

if TYPE_CHECKING:
    from orsync.api import ApiClient
    from orsync.model import DesiredState, LiveState, LiveWorkspace
    from orsync.workspaces import WorkspaceInfo


@dataclass(frozen=True)
class Connection:
    """How to reach the management API: base URL, where the key is, how long a request may
    take, and how many requests may be in flight at once."""

    base_url: str = defaults.BASE_URL
    api_key_env: str = defaults.API_KEY_ENV
    timeout: float = defaults.TIMEOUT
    concurrency: int = defaults.CONCURRENCY

    def open(self, environ: Mapping[str, str]) -> ApiClient:
        """A client, once the URL, the timeout and the key (from `environ`) are checked."""
        from orsync.api import (
            ApiClient,
            check_base_url,
            check_concurrency,
            check_timeout,
            read_api_key,
        )

        check_base_url(self.base_url)
        timeout = check_timeout(self.timeout)
        concurrency = check_concurrency(self.concurrency)
        key = read_api_key(self.api_key_env, environ)
        return ApiClient(
            self.base_url, key, key_env=self.api_key_env, timeout=timeout, concurrency=concurrency
        )


# Hears of each workspace as soon as it is read, in the thread that asked for the read.
Arrived = Callable[["LiveWorkspace"], None]


class LiveSource(Protocol):
    """Where the live state comes from: the API, or a saved snapshot."""

    def read(
        self, workspace_ids: Sequence[str | None], arrived: Arrived | None = None
    ) -> LiveState:
        """The destinations of these workspaces (UUIDs; None: the key's default one); each
        one handed to `arrived` as soon as it is read."""
        ...

    def find_workspaces(self, names: Sequence[str]) -> Mapping[str, WorkspaceInfo | None]:
        """Each workspace named by UUID or slug; None for a name no workspace has."""
        ...

    def all_workspaces(self) -> list[WorkspaceInfo]:
        """Every workspace there is to read."""
        ...

    def session(self) -> contextlib.AbstractContextManager[None]:
        """Within it, the calls of a command share what they can (one API client)."""
        ...


# Opens a client when one is first needed, so that a bad config is reported before a missing key.
ClientOpener = Callable[[], "ApiClient"]


class Progress(Protocol):
    """Hears how reading the workspaces goes: `update` as each is read, `end` when it stops."""

    def update(self, done: int, total: int) -> None: ...

    def end(self) -> None: ...


def read_with_progress(
    client: ApiClient,
    workspace_ids: Sequence[str | None],
    progress: Progress | None,
    arrived: Arrived | None = None,
) -> LiveState:
    """The live state of these workspaces through `client`, `progress` told as each is read
    and ended (its line erased) however the read ends."""
    from orsync.live import read_live

    if progress is None:
        return read_live(client, workspace_ids, arrived=arrived)
    try:
        return read_live(client, workspace_ids, progress=progress.update, arrived=arrived)
    finally:
        progress.end()


@dataclass
class _Shared:
    """The client a source's calls share during a session (None: not opened yet)."""

    open: bool = False
    client: ApiClient | None = None


@dataclass(frozen=True)
class ApiSource:
    """The live state as the API lists it now, through a client opened when first needed:
    one for each call, or one for all the calls of a `session`."""

    open_client: ClientOpener
    progress: Progress | None = None
    _shared: _Shared = field(default_factory=_Shared, repr=False, compare=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Every call within shares one client (one pool, one TLS handshake), closed at the end."""
        self._shared.open = True
        try:
            yield
        finally:
            client, self._shared.client = self._shared.client, None
            self._shared.open = False
            if client is not None:
                client.close()

    @contextlib.contextmanager
    def _client(self) -> Iterator[ApiClient]:
        if not self._shared.open:
            with self.open_client() as client:
                yield client
            return
        if self._shared.client is None:
            self._shared.client = self.open_client()
        yield self._shared.client

    def read(
        self, workspace_ids: Sequence[str | None], arrived: Arrived | None = None
    ) -> LiveState:
        with self._client() as client:
            return read_with_progress(client, workspace_ids, self.progress, arrived)

    def find_workspaces(self, names: Sequence[str]) -> Mapping[str, WorkspaceInfo | None]:
        from orsync.workspaces import find_with_client

        with self._client() as client:
            return find_with_client(client, names)

    def all_workspaces(self) -> list[WorkspaceInfo]:
        from orsync.workspaces import parse_workspace_info

        with self._client() as client:
            items = client.list_workspaces()
        return [parse_workspace_info(item, f"workspace {i}") for i, item in enumerate(items)]


@dataclass(frozen=True)
class SnapshotSource:
    """The live state saved by `orsync snapshot` (or a raw list response)."""

    path: str

    def session(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def read(
        self, workspace_ids: Sequence[str | None], arrived: Arrived | None = None
    ) -> LiveState:
        from orsync.snapshot import read_snapshot

        return read_snapshot(self.path, workspace_ids)

    def find_workspaces(self, names: Sequence[str]) -> Mapping[str, WorkspaceInfo | None]:
        from orsync.snapshot import find_snapshot_workspaces

        return find_snapshot_workspaces(self.path, names)

    def all_workspaces(self) -> list[WorkspaceInfo]:
        from orsync.snapshot import workspaces_in_snapshot

        return workspaces_in_snapshot(self.path)


def load_desired(config_path: str) -> DesiredState:
    """The config file, checked (offline: workspace slugs are not resolved yet)."""
    from orsync.config import load_config

    return load_config(config_path)


def choose_desired(config_path: str, workspaces: Sequence[str], source: LiveSource) -> DesiredState:
    """The config's entries that `--workspace` selects (all when none), slugs resolved."""
    from orsync.workspaces import choose_workspaces

    return choose_workspaces(load_desired(config_path), workspaces, source.find_workspaces)
