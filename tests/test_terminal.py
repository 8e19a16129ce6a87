"""The progress line while workspaces are read: on a terminal only, and erased when done."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time

import pytest
from conftest import Orsync
from fake_api import FakeApi

from orsync.render.terminal import ProgressLine, progress_text, terminal_progress

WORKSPACES = [f"aaaaaaaa-0000-4000-8000-{n:012d}" for n in range(1, 4)]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_text() -> None:
    assert progress_text(37, 200) == "Reading live destinations: 37/200 workspaces"


def test_the_line_is_rewritten_in_place_then_erased() -> None:
    stream = Terminal()
    line = ProgressLine(stream)
    line.update(1, 2)
    line.update(2, 2)
    line.end()
    assert stream.getvalue() == (
        "\rReading live destinations: 1/2 workspaces\x1b[K"
        "\rReading live destinations: 2/2 workspaces\x1b[K"
        "\r\x1b[K"
    )


def test_one_workspace_shows_no_line_and_nothing_to_erase() -> None:
    stream = Terminal()
    line = ProgressLine(stream)
    line.update(1, 1)
    line.end()
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("stream", "environ", "shown"),
    [
        (Terminal(), {}, True),
        (io.StringIO(), {}, False),  # piped or redirected
        (Terminal(), {"CI": "true"}, False),  # a CI runner that fakes a terminal
        (Terminal(), {"TERM": "dumb"}, False),
    ],
    ids=["terminal", "pipe", "ci", "dumb-terminal"],
)
def test_only_a_terminal_outside_ci_gets_a_line(
    stream: io.StringIO, environ: dict[str, str], shown: bool
) -> None:
    assert (terminal_progress(stream, environ) is not None) is shown


def config_of(workspaces: list[str]) -> str:
    entries = "".join(f"  - id: {w}\n    destinations: []\n" for w in workspaces)
    return "version: 1\nworkspaces:\n" + entries


def test_no_line_when_stderr_is_not_a_terminal(orsync: Orsync, fake: FakeApi) -> None:
    for workspace in WORKSPACES:
        fake.add_workspace(workspace)
    orsync.write_config(config_of(WORKSPACES))
    result = orsync("plan")
    assert result.code == 0, result.output
    assert "Reading live destinations" not in result.output
    assert "\r" not in result.output


def run_on_a_terminal(orsync: Orsync, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The real program (`orsync ARGS`, default `plan`) with its stderr on a pseudo-terminal:
    exit code, stdout, stderr."""
    # Whatever this machine's own CI or TERM says, the run sees a plain terminal plus `env`.
    environ = orsync.environ()
    environ.pop("CI", None)
    environ["TERM"] = "xterm"
    environ.update(env)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "orsync", *(args or ("plan",))],
        cwd=orsync.cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the program closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    stdout, _ = process.communicate(timeout=60)
    return process.returncode, stdout.decode(), seen.decode()


@pytest.mark.parametrize(("env", "shown"), [({}, True), ({"CI": "1"}, False)], ids=["tty", "ci"])
def test_a_terminal_sees_the_line_and_the_plan_starts_clean(
    orsync: Orsync, fake: FakeApi, env: dict[str, str], shown: bool
) -> None:
    for workspace in WORKSPACES:
        fake.add_workspace(workspace)
    orsync.write_config(config_of(WORKSPACES))
    code, stdout, stderr = run_on_a_terminal(orsync, env)
    assert code == 0, stdout + stderr
    assert ("Reading live destinations: 3/3 workspaces" in stderr) is shown
    if shown:
        assert stderr.endswith("\r\x1b[K")  # erased before anything else is printed
    assert "Reading" not in stdout


def test_apply_shows_the_line_while_it_reads_before_and_after(
    orsync: Orsync, fake: FakeApi
) -> None:
    for workspace in WORKSPACES:
        fake.add_workspace(workspace)
    hook = "      - name: hook\n        type: webhook\n        config: {url: https://h.example.com/in}\n"
    entries = "".join(f"  - id: {w}\n    destinations:\n{hook}" for w in WORKSPACES)
    orsync.write_config("version: 1\nworkspaces:\n" + entries)
    code, stdout, stderr = run_on_a_terminal(orsync, {}, "apply", "--auto-approve")
    assert code == 0, stdout + stderr
    assert "Apply complete" in stdout
    # Read once to plan, once to verify; each line erased before anything else is printed.
    line = "\rReading live destinations: 3/3 workspaces\x1b[K\r\x1b[K"
    assert stderr.count(line) == 2
    assert "Reading" not in stdout
