"""The `orsync` command: click wiring only. Parse flags, call a command, render, map errors.

Every workflow lives in `orsync.commands`; heavy imports (httpx, deepdiff) happen inside the
commands that need them, so `orsync --help` starts fast. Every line that reaches the terminal
from an error goes through the run's redactor (`orsync.sensitive.redact`, in
`orsync.render.terminal`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from orsync import __version__
from orsync import cli_options as opt
from orsync.errors import EXIT_ERROR, EXIT_OK, OrsyncError
from orsync.interrupts import stop_between_steps
from orsync.process import end_of_run, start_of_run
from orsync.render import AUDIT_FORMATS, FORMATS, render_audit, render_plan
from orsync.render.terminal import render_error


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orsync")
def cli() -> None:
    """Keep OpenRouter observability destinations as code: plan the drift, apply the config."""


@cli.command()
@opt.shared_options
@opt.format_option(FORMATS)
@click.option("--out", metavar="PLANFILE", help="Save the plan for `orsync apply PLANFILE`.")
@opt.max_deletes_option
@click.option("--snapshot", metavar="FILE", help="Plan against a saved live state, offline.")
@opt.workspace_option
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
    (protect, --max-deletes, the config's policy), 1 on error.
    """
    from orsync.commands.plan import run_plan, save_plan

    color = opt.use_color(**shared)
    source = opt.live_source(snapshot, **shared)
    outcome = run_plan(config, source, workspaces=workspaces, max_deletes=max_deletes)
    if output_format == "text":
        opt.warn(outcome.plan.warnings, color)
        if snapshot is not None:
            click.echo(f"(Planned against the snapshot {snapshot}, not the API.)", err=True)
    click.echo(render_plan(outcome.plan, output_format, color=color), nl=False)
    if output_format == "text" and (hint := outcome.adopt_hint(snapshot)):
        click.echo(hint)
    error = outcome.error()
    if error is not None:
        raise error
    if out is not None:
        save_plan(outcome, out, workspaces)
        if output_format == "text":
            click.echo(f"Saved the plan to {out}; run `orsync apply {out}` to carry it out.")
    return outcome.exit_code


@cli.command()
@opt.shared_options
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the snapshot.")
@opt.workspace_option
def snapshot(output: str, workspaces: tuple[str, ...], config: str, **shared: Any) -> int:
    """Save the live state as JSON, for offline plans and reviews.

    Reads the workspaces of the config file, or the key's default workspace when there is none.
    """
    from orsync.commands.snapshot import run_snapshot

    outcome = run_snapshot(config, opt.api_source(**shared), output, workspaces)
    click.echo(outcome.summary())
    return EXIT_OK


@cli.command()
@opt.shared_options
@click.option("-o", "--output", metavar="FILE", help="Write the config to FILE (default: stdout).")
@click.option("--secrets", type=click.Choice(("pin", "env")), default="pin", show_default=True,
              help="Secrets as the API's masks (pins), or as ${VAR} placeholders.")  # fmt: skip
@click.option("--snapshot", metavar="FILE", help="Export a saved live state, offline.")
@opt.export_workspace_option
def export(
    output: str | None,
    secrets: str,
    snapshot: str | None,
    workspaces: tuple[str, ...],
    config: str,
    **shared: Any,
) -> int:
    """Write a config file from the live state (onboarding); it plans clean against it.

    Exports the workspaces named (`default`: the key's own), else those of the config file,
    else every workspace of --snapshot, else the key's default workspace.
    """
    from orsync.commands.export import run_export
    from orsync.export_secrets import SecretsMode

    source, mode = opt.live_source(snapshot, **shared), SecretsMode(secrets)
    outcome = run_export(config, source, base_url=shared["base_url"], output=output,
                         workspaces=workspaces, secrets=mode)  # fmt: skip
    opt.warn(outcome.warnings, opt.use_color(**shared))
    click.echo(outcome.summary() if outcome.output else outcome.text, nl=bool(outcome.output))
    click.echo(outcome.variables_block(), err=True, nl=False)
    return EXIT_OK


@cli.command()
@opt.shared_options
def validate(config: str, **shared: Any) -> int:
    """Check the config file offline: no key, no network.

    Exit 0 when it is valid, 3 when its declared destinations break its policy, 1 on error.
    """
    from orsync.commands.validate import run_validate

    outcome = run_validate(config)
    color = opt.use_color(**shared)
    opt.warn(outcome.desired.warnings, color)
    click.echo(outcome.summary())
    if outcome.desired.policy is not None:
        from orsync.render.violations import violation_lines

        click.echo("\n".join(violation_lines(outcome.violations, color=color)))
    error = outcome.error()
    if error is not None:
        raise error
    return EXIT_OK


@cli.command()
@opt.shared_options
@click.argument("planfile", required=False)
@click.option("--auto-approve", is_flag=True, help="Do not ask for `yes` before acting.")
@opt.max_deletes_option
def apply(
    planfile: str | None, auto_approve: bool, max_deletes: int, config: str, **shared: Any
) -> int:
    """Make live match the config (or carry out PLANFILE).

    Exit 0 when live matches afterwards, 2 when it acted but live still differs, 1 on error
    or refusal, 3 when a safety rule or the config's policy forbids the plan (nothing is
    changed then).
    """
    from orsync.commands.apply import run_apply

    color = opt.use_color(**shared)
    given = click.get_current_context().get_parameter_source("config")
    api = opt.connection(**shared)
    notice = "\nInterrupt: stopping after the current step."
    with stop_between_steps(lambda: click.echo(notice, err=True)) as stop:
        outcome = run_apply(
            config,
            lambda: api.open(os.environ),
            planfile=planfile,
            config_given=given is not click.core.ParameterSource.DEFAULT,
            auto_approve=auto_approve,
            max_deletes=max_deletes,
            callbacks=opt.terminal_callbacks(color, stop),
        )
    click.echo(outcome.summary())
    if outcome.remaining and outcome.after is not None:
        click.echo(render_plan(outcome.after, "text", color=color), nl=False)
    return outcome.exit_code


@cli.command()
def schema() -> int:
    """Print the config file's JSON Schema (offline, no config needed)."""
    from orsync.commands.schema import schema_text

    click.echo(schema_text(), nl=False)
    return EXIT_OK


@cli.command()
@opt.shared_options
@opt.audit_options(AUDIT_FORMATS)
def audit(
    output_format: str,
    all_workspaces: bool,
    workspaces: tuple[str, ...],
    config: str,
    **shared: Any,
) -> int:
    """Check the config's policy against live state, across workspaces; change nothing.

    Exit 0 when every workspace keeps the policy, 3 on violations, 1 on error.
    """
    from orsync.commands.audit import run_audit

    source = opt.api_source(**shared)
    report = run_audit(config, source, all_workspaces=all_workspaces, workspaces=workspaces)
    color = opt.use_color(**shared)
    if output_format == "text":
        opt.warn(report.warnings, color)
    click.echo(render_audit(report, output_format, color=color), nl=False)
    error = report.error()
    if error is not None:
        raise error
    return EXIT_OK


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
