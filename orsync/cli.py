"""The `orsync` command: click wiring only. Parse flags, call a command, render, map errors.

Every workflow lives in `orsync.commands`, imported by the command that needs it, so that
`orsync --version` loads little beyond click. Every line that reaches the terminal from an error
goes through the run's redactor (`orsync.sensitive.redact`, in `orsync.render.terminal`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from orsync import __version__, defaults
from orsync.commands.inputs import ApiSource, Connection
from orsync.errors import (
    EXIT_ERROR,
    EXIT_OK,
    OrsyncError,
    SafetyError,
    UsageError,
)
from orsync.interrupts import stop_between_steps
from orsync.process import end_of_run, start_of_run
from orsync.render import FORMATS, render_plan
from orsync.render.terminal import render_error, render_warnings, terminal_progress

if TYPE_CHECKING:
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
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _connection(**shared: Any) -> Connection:
    return Connection(**{name: shared[name] for name in Connection.__dataclass_fields__})


def _api_source(**shared: Any) -> ApiSource:
    return ApiSource(lambda: _connection(**shared).open(os.environ), terminal_progress())


def _color(no_color: bool, **_: Any) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


workspace_option = click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID", help="Only this workspace (repeat)."
)
max_deletes_option = click.option(
    "--max-deletes", type=click.IntRange(min=0), default=defaults.MAX_DELETES, show_default=True,
    help="Refuse to delete or replace more destinations than this (exit 3).",
)  # fmt: skip


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orsync")
def cli() -> None:
    """Keep OpenRouter observability destinations as code: plan the drift, apply the config."""


def warn(messages: Sequence[str], color: bool) -> None:
    click.echo(render_warnings(messages, color=color), err=True, nl=False)


@cli.command()
@shared_options
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")  # fmt: skip
@click.option("--out", metavar="PLANFILE", help="Save the plan for `orsync apply PLANFILE`.")
@max_deletes_option
@click.option("--snapshot", metavar="FILE", help="Plan against a saved live state, offline.")
@workspace_option
def plan(
    output_format: str,
    out: str | None,
    max_deletes: int,
    snapshot: str | None,
    workspaces: tuple[str, ...],
    config: str,
    **shared: Any,
) -> int:
    """Print the drift between the config and live; change nothing.

    Exit 0 when live matches, 2 when there is drift, 3 when apply would refuse the plan
    (protect, --max-deletes), 1 on error.
    """
    from orsync.commands.inputs import SnapshotSource
    from orsync.commands.plan import run_plan, save_plan

    color = _color(**shared)
    source = SnapshotSource(snapshot) if snapshot is not None else _api_source(**shared)
    outcome = run_plan(config, source, workspaces=workspaces, max_deletes=max_deletes)
    if output_format == "text":
        warn(outcome.plan.warnings, color)
        if snapshot is not None:
            click.echo(f"(Planned against the snapshot {snapshot}, not the API.)", err=True)
    click.echo(render_plan(outcome.plan, output_format, color=color), nl=False)
    if outcome.refusal is not None:
        raise SafetyError(f"apply would refuse this plan: {outcome.refusal}")
    if out is not None:
        save_plan(outcome, out, workspaces)
        if output_format == "text":
            click.echo(f"Saved the plan to {out}; run `orsync apply {out}` to carry it out.")
    return outcome.exit_code


@cli.command()
@shared_options
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the snapshot.")
@workspace_option
def snapshot(output: str, workspaces: tuple[str, ...], config: str, **shared: Any) -> int:
    """Save the live state as JSON, for offline plans and reviews.

    Reads the workspaces of the config file, or the key's default workspace when there is none.
    """
    from orsync.commands.snapshot import run_snapshot

    outcome = run_snapshot(config, _api_source(**shared), output, workspaces)
    click.echo(outcome.summary())
    return EXIT_OK


@cli.command()
@shared_options
def validate(config: str, **shared: Any) -> int:
    """Check the config file offline: no key, no network."""
    from orsync.commands.validate import run_validate

    outcome = run_validate(config)
    warn(outcome.desired.warnings, _color(**shared))
    click.echo(outcome.summary())
    return EXIT_OK


@cli.command()
@shared_options
@click.argument("planfile", required=False)
@click.option("--auto-approve", is_flag=True, help="Do not ask for `yes` before acting.")
@max_deletes_option
def apply(
    planfile: str | None, auto_approve: bool, max_deletes: int, config: str, **shared: Any
) -> int:
    """Make live match the config (or carry out PLANFILE).

    Exit 0 when live matches afterwards, 2 when it acted but live still differs, 1 on error
    or refusal, 3 when a safety rule forbids the plan (nothing is changed then).
    """
    from orsync.commands.apply import ApplyCallbacks, run_apply

    color = _color(**shared)

    def show(current: Plan) -> None:
        warn(current.warnings, color)
        click.echo(render_plan(current, "text", color=color), nl=False)

    given = click.get_current_context().get_parameter_source("config")
    connection = _connection(**shared)
    notice = "\nInterrupt: stopping after the current step."
    with stop_between_steps(lambda: click.echo(notice, err=True)) as stop:
        outcome = run_apply(
            config,
            lambda: connection.open(os.environ),
            planfile=planfile,
            config_given=given is not click.core.ParameterSource.DEFAULT,
            auto_approve=auto_approve,
            max_deletes=max_deletes,
            callbacks=ApplyCallbacks(
                show_plan=show,
                approve=_confirm,
                progress=lambda line: click.echo(f"  done: {line}"),
                should_stop=stop,
            ),
        )
    click.echo(outcome.summary())
    if outcome.remaining and outcome.after is not None:
        click.echo(render_plan(outcome.after, "text", color=color), nl=False)
    return outcome.exit_code


def _confirm() -> None:
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


# Entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and exit with the code README.md gives (usage errors are 1, not click's 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Read from the arguments: it must work for errors click raises too.
    verbose = "-v" in args or "--verbose" in args
    if "orsync.sensitive" in sys.modules:  # else no secret was read yet: none to forget
        sys.modules["orsync.sensitive"].RUN_SECRETS.forget_all()
    collecting = start_of_run()
    try:
        code = cli.main(args=args, prog_name="orsync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        exc.show()
        code = EXIT_ERROR
    except (click.Abort, KeyboardInterrupt) as exc:
        # click hands a Ctrl-C on as an Abort caused by it.
        ctrl_c = isinstance(exc, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt)
        click.echo("Interrupted." if ctrl_c else "Aborted.", err=True)
        code = EXIT_ERROR
    except Exception as exc:
        click.echo(render_error(exc, verbose=verbose), err=True, nl=False)
        code = exc.exit_code if isinstance(exc, OrsyncError) else EXIT_ERROR
    finally:
        end_of_run(collecting)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
