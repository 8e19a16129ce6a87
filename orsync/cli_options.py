"""Click options several commands share, and what the shared ones mean (README.md, Commands).

Kept apart from `orsync.cli`, which holds the commands themselves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from orsync import defaults
from orsync.commands.inputs import ApiSource, Connection, LiveSource, SnapshotSource

F = TypeVar("F", bound=Callable[..., Any])


def shared_options(command: F) -> F:
    """Add the options every command takes (README.md, Commands)."""
    decorators = [
        click.option("-c", "--config", default=defaults.CONFIG_PATH, envvar="ORSYNC_CONFIG",
                     show_default=True, help="Config file (env ORSYNC_CONFIG)."),
        click.option("--base-url", default=defaults.BASE_URL, envvar="ORSYNC_BASE_URL",
                     show_default=True, help="Management API base URL (env ORSYNC_BASE_URL)."),
        click.option("--api-key-env", default=defaults.API_KEY_ENV, show_default=True,
                     metavar="NAME", help="Environment variable that holds the management key."),
        # Checked when a request is about to be made, so `validate` never trips on it.
        click.option("--timeout", type=float, default=defaults.TIMEOUT, envvar="ORSYNC_TIMEOUT",
                     show_default=True, metavar="SECONDS",
                     help="Timeout of one API request (env ORSYNC_TIMEOUT)."),
        click.option("--no-color", is_flag=True, help="No colors (also NO_COLOR)."),
        click.option("-v", "--verbose", is_flag=True, help="Tracebacks and details on errors."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


workspace_option = click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID", help="Only this workspace (repeat)."
)
# For export, any workspace: not only the config's.
export_workspace_option = click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID",
    help="This workspace (repeat; `default`: the key's default one).",
)  # fmt: skip
max_deletes_option = click.option(
    "--max-deletes", type=click.IntRange(min=0), default=defaults.MAX_DELETES, show_default=True,
    help="Refuse to delete or replace more destinations than this (exit 3).",
)  # fmt: skip


def connection(base_url: str, api_key_env: str, timeout: float, **_: Any) -> Connection:
    """The connection the shared options describe."""
    return Connection(base_url, api_key_env, timeout)


def api_source(**shared: Any) -> ApiSource:
    """The live state from the API, the key read from the environment when first needed."""
    return ApiSource(lambda: connection(**shared).open(os.environ))


def use_color(no_color: bool, **_: Any) -> bool:
    """Colors only on a terminal, and never when asked not to (`--no-color`, NO_COLOR)."""
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def live_source(snapshot: str | None, **shared: Any) -> LiveSource:
    """The saved live state at `snapshot` (`--snapshot`), else the API."""
    return SnapshotSource(snapshot) if snapshot is not None else api_source(**shared)


def warn(messages: Sequence[str], color: bool) -> None:
    """Each warning on stderr, cleaned of every secret of the run."""
    from orsync.sensitive import redact

    for message in messages:
        prefix = click.style("Warning:", fg="yellow") if color else "Warning:"
        click.echo(f"{prefix} {redact(message)}", err=True)
