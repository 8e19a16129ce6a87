"""The click options several commands share (README.md, Commands), apart from their wiring."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from orsync import defaults

F = TypeVar("F", bound=Callable[..., Any])


def shared_options(command: F) -> F:
    """Add the options every command that reads the config takes."""
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
max_deletes_option = click.option(
    "--max-deletes", type=click.IntRange(min=0), default=defaults.MAX_DELETES, show_default=True,
    help="Refuse to delete or replace more destinations than this (exit 3).",
)  # fmt: skip
