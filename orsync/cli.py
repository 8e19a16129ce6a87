"""The `orsync` command: parse flags, call the library, turn errors into exit codes.

No logic of its own: every decision lives in the library modules. Heavy imports (httpx,
deepdiff) happen inside the commands that need them, so `orsync --help` starts fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import click

from orsync import __version__
from orsync.errors import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    ApplyError,
    OrsyncError,
    SafetyError,
    UsageError,
)
from orsync.render import FORMATS, render_plan

if TYPE_CHECKING:
    from orsync.api import ApiClient
    from orsync.model import DesiredState, LiveState
    from orsync.plan import Plan

F = TypeVar("F", bound=Callable[..., Any])

# Values that must never reach the terminal, whatever goes wrong (the key, once read).
_REDACT: set[str] = set()


@dataclass(frozen=True)
class Options:
    """The options every command shares."""

    config: str
    base_url: str
    api_key_env: str
    timeout: float
    color: bool


def shared_options(command: F) -> F:
    """Add the options every command takes (SPEC.md, Commands)."""
    decorators = [
        click.option(
            "-c",
            "--config",
            default="orsync.yaml",
            envvar="ORSYNC_CONFIG",
            show_default=True,
            help="Config file (env ORSYNC_CONFIG).",
        ),
        click.option(
            "--base-url",
            default="https://openrouter.ai/api/v1",
            envvar="ORSYNC_BASE_URL",
            show_default=True,
            help="Management API base URL (env ORSYNC_BASE_URL).",
        ),
        click.option(
            "--api-key-env",
            default="OPENROUTER_MANAGEMENT_KEY",
            show_default=True,
            metavar="NAME",
            help="Environment variable that holds the management key.",
        ),
        click.option(
            "--timeout",
            # Checked when a request is about to be made, so `validate` never trips on it.
            type=float,
            default=30.0,
            envvar="ORSYNC_TIMEOUT",
            show_default=True,
            metavar="SECONDS",
            help="Timeout of one API request (env ORSYNC_TIMEOUT).",
        ),
        click.option("--no-color", is_flag=True, help="No colors (also NO_COLOR)."),
        click.option("-v", "--verbose", is_flag=True, help="Tracebacks and details on errors."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _options(
    config: str, base_url: str, api_key_env: str, timeout: float, no_color: bool, verbose: bool
) -> Options:
    # `verbose` is read by main() from the arguments: it must work for errors click raises too.
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    return Options(config, base_url, api_key_env, timeout, color)


max_deletes_option = click.option(
    "--max-deletes",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Refuse to delete or replace more destinations than this (exit 3).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orsync")
def cli() -> None:
    """Keep OpenRouter observability destinations as code: plan the drift, apply the config."""


# Steps shared by the commands ---------------------------------------------------------------


def load_desired(options: Options, workspaces: Sequence[str] = ()) -> DesiredState:
    from orsync.config import load_config

    desired = load_config(options.config)
    return desired.select(workspaces) if workspaces else desired


def open_client(options: Options) -> ApiClient:
    from orsync.api import ApiClient, check_base_url, check_timeout, read_api_key

    check_base_url(options.base_url)
    check_timeout(options.timeout)
    key = read_api_key(options.api_key_env, os.environ)
    _REDACT.add(key)
    return ApiClient(options.base_url, key, key_env=options.api_key_env, timeout=options.timeout)


def read_live_state(
    options: Options, workspace_ids: Sequence[str | None], snapshot: str | None
) -> LiveState:
    if snapshot is not None:
        from orsync.snapshot import read_snapshot

        return read_snapshot(snapshot, workspace_ids)
    from orsync.live import read_live

    with open_client(options) as client:
        return read_live(client, workspace_ids)


def make_plan(options: Options, workspaces: Sequence[str], snapshot: str | None) -> Plan:
    from orsync.diff import plan_changes

    desired = load_desired(options, workspaces)
    live = read_live_state(options, desired.live_workspace_ids(), snapshot)
    return plan_changes(desired, live)


def warn(messages: Sequence[str], color: bool) -> None:
    for message in messages:
        prefix = click.style("Warning:", fg="yellow") if color else "Warning:"
        click.echo(f"{prefix} {_redact(message)}", err=True)


# Commands -----------------------------------------------------------------------------------


@cli.command()
@shared_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--out", metavar="PLANFILE", help="Save the plan for `orsync apply PLANFILE`.")
@max_deletes_option
@click.option("--snapshot", metavar="FILE", help="Plan against a saved live state, offline.")
@click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID", help="Only this workspace (repeat)."
)
def plan(
    output_format: str,
    out: str | None,
    max_deletes: int,
    snapshot: str | None,
    workspaces: tuple[str, ...],
    **shared: Any,
) -> int:
    """Print the drift between the config and live; change nothing.

    Exit 0 when live matches, 2 when there is drift, 3 when apply would refuse the plan
    (protect, --max-deletes), 1 on error.
    """
    from orsync.apply import safety_problem

    options = _options(**shared)
    result = make_plan(options, workspaces, snapshot)
    if output_format == "text":
        warn(result.warnings, options.color)
        if snapshot is not None:
            click.echo(f"(Planned against the snapshot {snapshot}, not the API.)", err=True)
    click.echo(render_plan(result, output_format, color=options.color), nl=False)
    problem = safety_problem(result, max_deletes)
    if problem:
        raise SafetyError(f"apply would refuse this plan: {problem}")
    if out is not None:
        from orsync.planfile import write_plan_file

        write_plan_file(result, out, workspaces)
        if output_format == "text":
            click.echo(f"Saved the plan to {out}; run `orsync apply {out}` to carry it out.")
    return EXIT_OK if result.in_sync else EXIT_DRIFT


@cli.command()
@shared_options
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the snapshot.")
@click.option(
    "--workspace", "workspaces", multiple=True, metavar="ID", help="Only this workspace (repeat)."
)
def snapshot(output: str, workspaces: tuple[str, ...], **shared: Any) -> int:
    """Save the live state as JSON, for offline plans and reviews.

    Reads the workspaces of the config file, or the key's default workspace when there is none.
    """
    from orsync.snapshot import write_snapshot

    options = _options(**shared)
    if os.path.exists(options.config):
        workspace_ids = load_desired(options, workspaces).live_workspace_ids()
    else:
        workspace_ids = [None if w == "default" else w for w in workspaces] or [None]
    live = read_live_state(options, workspace_ids, None)
    write_snapshot(live, output)
    count = sum(len(w.destinations) for w in live.workspaces)
    spaces = _counted(len(workspace_ids), "workspace")
    click.echo(f"Saved {_counted(count, 'destination')} of {spaces} to {output}.")
    return EXIT_OK


@cli.command()
@shared_options
def validate(**shared: Any) -> int:
    """Check the config file offline: no key, no network."""
    options = _options(**shared)
    desired = load_desired(options)
    warn(desired.warnings, options.color)
    count = sum(len(w.destinations) for w in desired.workspaces)
    spaces = len(desired.workspaces)
    click.echo(
        f"{options.config} is valid: {_counted(count, 'destination')} "
        f"in {_counted(spaces, 'workspace')}."
    )
    return EXIT_OK


@cli.command()
@shared_options
@click.argument("planfile", required=False)
@click.option("--auto-approve", is_flag=True, help="Do not ask for `yes` before acting.")
@max_deletes_option
def apply(planfile: str | None, auto_approve: bool, max_deletes: int, **shared: Any) -> int:
    """Make live match the config (or carry out PLANFILE).

    Exit 0 when live matches afterwards, 2 when it acted but live still differs, 1 on error
    or refusal, 3 when a safety rule forbids the plan (nothing is changed then).
    """
    from orsync import apply as applying
    from orsync.diff import plan_changes
    from orsync.live import read_live
    from orsync.planfile import check_fresh, read_plan_file

    options = _options(**shared)
    saved = read_plan_file(planfile) if planfile else None
    if saved is not None and _default(click.get_current_context(), "config"):
        # The plan names its config; an explicit -c wins (the hash check still applies).
        options = replace(options, config=saved.config_path)
    desired = load_desired(options, saved.workspaces if saved else ())
    workspace_ids = desired.live_workspace_ids()
    with open_client(options) as client:
        current = plan_changes(desired, read_live(client, workspace_ids))
        if saved is not None and planfile is not None:
            check_fresh(saved, planfile, current)
        warn(current.warnings, options.color)
        click.echo(render_plan(current, "text", color=options.color), nl=False)
        if not applying.actionable(current):
            click.echo("Nothing to apply.")
            return EXIT_OK
        applying.check_safety(current, max_deletes)
        applying.check_feasible(current)
        if saved is None and not auto_approve:
            _confirm()
        report = applying.ApplyReport()
        try:
            with _interrupt_between_steps() as stop_requested:
                applying.apply_plan(
                    current,
                    client,
                    report=report,
                    progress=lambda line: click.echo(f"  done: {line}"),
                    should_stop=stop_requested,
                )
        except KeyboardInterrupt:
            raise ApplyError(
                "apply interrupted twice, during a request: the step under way may or may "
                f"not have taken effect. done: {'; '.join(report.done) or 'nothing'}. Run "
                "`orsync plan` to see where live stands, and `orsync apply` to finish"
            ) from None
        if not report.complete:
            raise ApplyError(report.describe())
        after = plan_changes(desired, read_live(client, workspace_ids))
    return _verify(after, options)


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


@contextlib.contextmanager
def _interrupt_between_steps() -> Iterator[Callable[[], bool]]:
    """Turn the first Ctrl-C into a request to stop after the current step."""
    requested: list[bool] = []

    def on_interrupt(signum: int, frame: object) -> None:
        if requested:
            raise KeyboardInterrupt
        requested.append(True)
        click.echo("\nInterrupt: stopping after the current step.", err=True)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous)


def _verify(after: Plan, options: Options) -> int:
    from orsync.apply import actionable

    remaining = actionable(after)
    if not remaining:
        notes = []
        unmanaged = after.summary()["unmanaged"]
        if unmanaged:
            notes.append(f"{_counted(unmanaged, 'unmanaged destination')} left as is")
        # A secret that cannot be compared was not found to differ, so it was not sent either.
        unverified = len(after.unverified)
        if unverified:
            notes.append(f"{_counted(unverified, 'secret')} not verified, so not sent")
        note = f" ({'; '.join(notes)})" if notes else ""
        click.echo(f"Apply complete: live matches {options.config}{note}.")
        return EXIT_OK
    click.echo("Apply finished, but live does not match the config yet:")
    click.echo(render_plan(after, "text", color=options.color), nl=False)
    return EXIT_DRIFT


# Entry point --------------------------------------------------------------------------------


def _default(context: click.Context, name: str) -> bool:
    """Whether an option kept its default (not given on the command line or in the env)."""
    return context.get_parameter_source(name) is click.core.ParameterSource.DEFAULT


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _redact(text: str) -> str:
    for secret in _REDACT:
        text = text.replace(secret, "***")
    return text


def _traceback_if(verbose: bool) -> None:
    """With --verbose, the traceback of the error being handled, the key taken out."""
    if verbose:
        click.echo(_redact(traceback.format_exc()), err=True, nl=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and exit with the code SPEC.md gives (usage errors are 1, not click's 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    try:
        code = cli.main(args=args, prog_name="orsync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        exc.show()
        code = EXIT_ERROR
    except click.Abort:
        click.echo("Aborted.", err=True)
        code = EXIT_ERROR
    except OrsyncError as exc:
        _traceback_if(verbose)
        click.echo(f"Error: {_redact(str(exc))}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        code = EXIT_ERROR
    except Exception as exc:
        _traceback_if(verbose)
        click.echo(
            f"Error: internal error: {_redact(repr(exc))} (run with -v for details)", err=True
        )
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_OK)
