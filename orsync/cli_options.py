"""The click options the commands share, and how their values become orsync's inputs.

Kept apart from `orsync.cli` so that the command wiring stays short to read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from orsync import defaults
from orsync.commands.inputs import ApiSource, Connection

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


def connection(base_url: str, api_key_env: str, timeout: float, **_: Any) -> Connection:
    """The API connection the shared options describe."""
    return Connection(base_url, api_key_env, timeout)


def api_source(**shared: Any) -> ApiSource:
    """The live state from the API, with a client opened when first needed."""
    return ApiSource(lambda: connection(**shared).open(os.environ))


def use_color(no_color: bool, **_: Any) -> bool:
    """Colors only on a terminal, and never with --no-color or NO_COLOR."""
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def format_option(formats: tuple[str, ...]) -> Callable[[F], F]:
    """`--format`, one of `formats`, text by default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(formats),
        default="text",
        show_default=True,
        help="Output format.",
    )


workspace_option = click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID|SLUG",
    help="Only this workspace of the config, by UUID or slug (repeat); `default`: no `id`.",
)  # fmt: skip
max_deletes_option = click.option(
    "--max-deletes", type=click.IntRange(min=0), default=defaults.MAX_DELETES, show_default=True,
    help="Refuse to delete or replace more destinations than this (exit 3).",
)  # fmt: skip
