"""The click options the commands share, how their values become orsync's inputs, and the
question apply asks on the terminal.

Kept apart from `orsync.cli` so that the command wiring stays short to read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from orsync import defaults
from orsync.commands.inputs import ApiSource, Connection, LiveSource, SnapshotSource
from orsync.errors import UsageError

if TYPE_CHECKING:
    from orsync.commands.apply import ApplyCallbacks
    from orsync.plan import Plan

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
        click.option("--concurrency", type=int, default=defaults.CONCURRENCY, metavar="N",
                     envvar="ORSYNC_CONCURRENCY", show_default=True,
                     help="API requests in flight at once (env ORSYNC_CONCURRENCY)."),
        click.option("--no-color", is_flag=True, help="No colors (also NO_COLOR)."),
        click.option("-v", "--verbose", is_flag=True, help="Tracebacks and details on errors."),
    ]  # fmt: skip
    return _stack(decorators)(command)


def _stack(decorators: list[Callable[[F], F]]) -> Callable[[F], F]:
    """One decorator applying `decorators`, the first one outermost (as written above a def)."""

    def decorate(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate


def connection(**shared: Any) -> Connection:
    """The API connection the shared options describe."""
    return Connection(*(shared[k] for k in ("base_url", "api_key_env", "timeout", "concurrency")))


def api_source(**shared: Any) -> ApiSource:
    """The live state from the API, with a client opened when first needed."""
    from orsync.render.terminal import terminal_progress

    return ApiSource(lambda: connection(**shared).open(os.environ), terminal_progress())


def use_color(no_color: bool, **_: Any) -> bool:
    """Colors only on a terminal, and never with --no-color or NO_COLOR."""
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def live_source(snapshot: str | None, **shared: Any) -> LiveSource:
    """The saved live state at `snapshot` (`--snapshot`), else the API."""
    return SnapshotSource(snapshot) if snapshot is not None else api_source(**shared)


def warn(messages: Sequence[str], color: bool) -> None:
    """Each warning on stderr, cleaned of every secret of the run."""
    from orsync.render.terminal import render_warnings

    click.echo(render_warnings(messages, color=color), err=True, nl=False)


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
# For export, any workspace: not only the config's.
export_workspace_option = click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID|SLUG",
    help="This workspace, by UUID or slug (repeat; `default`: the key's default one).",
)  # fmt: skip
max_deletes_option = click.option(
    "--max-deletes", type=click.IntRange(min=0), default=defaults.MAX_DELETES, show_default=True,
    help="Refuse to delete or replace more destinations than this (exit 3).",
)  # fmt: skip


def audit_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    """`--format`, `--all-workspaces` and `--workspace` of `orsync audit`."""
    decorators = [
        format_option(formats),
        click.option("--all-workspaces", is_flag=True,
                     help="Audit every workspace the key can see."),
        click.option("--workspace", "workspaces", multiple=True, metavar="ID|SLUG",
                     help="Audit this workspace, by UUID or slug (repeat); `default`: the "
                     "key's default one."),
    ]  # fmt: skip
    return _stack(decorators)


def confirm_in_terminal() -> None:
    """Ask for `yes` before apply acts; raise (nothing changed) on anything else."""
    if not sys.stdin.isatty():
        raise UsageError(
            "apply needs a `yes` and there is no terminal to ask on; "
            "review the plan and pass --auto-approve"
        )
    answer = click.prompt(
        "Do you want to perform these actions? Only 'yes' will be accepted", default=""
    )
    if answer.strip() != "yes":
        raise UsageError("apply cancelled; nothing was changed")


def terminal_callbacks(color: bool, should_stop: Callable[[], bool]) -> ApplyCallbacks:
    """Apply's interactive parts on the terminal: the plan shown, `yes` asked, steps told,
    and the workspaces read followed on a progress line (on a terminal outside CI)."""
    from orsync.commands.apply import ApplyCallbacks
    from orsync.render import render_plan
    from orsync.render.terminal import terminal_progress

    def show(plan: Plan) -> None:
        warn(plan.warnings, color)
        click.echo(render_plan(plan, "text", color=color), nl=False)

    return ApplyCallbacks(
        show_plan=show,
        approve=confirm_in_terminal,
        progress=lambda line: click.echo(f"  done: {line}"),
        should_stop=should_stop,
        reading=terminal_progress(),
    )
