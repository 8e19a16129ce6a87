"""Shared fixtures: a running fake API, and runners for the `orsync` command.

`orsync(...)` runs the command in-process (through `orsync.cli.main`, as the executable does),
which keeps the suite fast; `orsync.executable(...)` runs the installed program in a
subprocess, for the end-to-end tests of exit codes, formats, secrets and the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_api import MANAGEMENT_KEY, FakeApi
from hypothesis import settings

from orsync.cli import main

ROOT = Path(__file__).resolve().parent.parent

# Property-based tests: "ci" (the default) is seeded and small, so every run is the same and
# fast; "release" searches far wider: `HYPOTHESIS_PROFILE=release pytest tests/test_fuzz.py`.
settings.register_profile("ci", derandomize=True, database=None, max_examples=25, deadline=None)
settings.register_profile("release", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Secrets the end-to-end tests write into configs and live state: never to be printed.
PASSWORD = "hunter2-very-secret-pw"
TOKEN = "Bearer team-token-0123456789-WxYz"
SECRET = "sk-lf-secret-0123456789-AbCd"


@dataclass(frozen=True)
class Result:
    """What one run of `orsync` did."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_hides(self, secrets: Iterable[str]) -> None:
        """Fail when any of `secrets` (and the management key) appears in the output."""
        for secret in [*secrets, MANAGEMENT_KEY]:
            assert secret not in self.output, f"secret {secret[:3]}... was printed"


class Orsync:
    """Runs the real command in a scratch directory, against the fake API."""

    def __init__(self, cwd: Path, fake: FakeApi) -> None:
        self.cwd = cwd
        self.fake = fake

    def write_config(self, text: str, name: str = "orsync.yaml") -> Path:
        path = self.cwd / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def environ(
        self, env: Mapping[str, str] | None = None, key: str | None = MANAGEMENT_KEY
    ) -> dict[str, str]:
        """The environment of a run: this machine's, less orsync's own settings, plus these."""
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ORSYNC_", "OPENROUTER_")) and k != "NO_COLOR"
        }
        environ["ORSYNC_BASE_URL"] = self.fake.base_url
        environ["PYTHONPATH"] = str(ROOT)
        if key is not None:
            environ["OPENROUTER_MANAGEMENT_KEY"] = key
        environ.update(env or {})
        return environ

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        key: str | None = MANAGEMENT_KEY,
        stdin: str | None = None,
    ) -> Result:
        """Run `orsync ARGS` in this process, with its own environment, directory and stdio."""
        environ = self.environ(env, key)
        # The environment of the run exactly: variables of this process not in it are unset.
        overrides: dict[str, str | None] = {k: None for k in os.environ if k not in environ}
        overrides.update(environ)
        previous = os.getcwd()
        os.chdir(self.cwd)
        try:
            with CliRunner().isolation(input=stdin, env=overrides) as (out, err, _):
                code = _exit_code(lambda: main(list(args)))
                stdout, stderr = out.getvalue(), err.getvalue()
        finally:
            os.chdir(previous)
        return Result(code, _text(stdout), _text(stderr))

    def executable(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        key: str | None = MANAGEMENT_KEY,
        stdin: str | None = None,
        program: Sequence[str] = (sys.executable, "-m", "orsync"),
    ) -> Result:
        """Run the real `orsync` program in a subprocess (by default, as `python -m orsync`;
        `program`: another command line that starts it, such as the installed script)."""
        done = subprocess.run(
            [*program, *args],
            cwd=self.cwd,
            env=self.environ(env, key),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)


def _exit_code(run: Callable[[], None]) -> int:
    try:
        run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


@pytest.fixture
def fake() -> Iterator[FakeApi]:
    with FakeApi() as api:
        yield api
        assert api.server_errors == [], "the fake API itself failed"


@pytest.fixture
def orsync(tmp_path: Path, fake: FakeApi) -> Orsync:
    return Orsync(tmp_path, fake)


def apply(orsync: Orsync, *args: str, env: dict[str, str] | None = None) -> Result:
    """`orsync apply --auto-approve ARGS`, checked never to print the shared test secrets."""
    result = orsync("apply", "--auto-approve", *args, env=env)
    result.assert_hides([PASSWORD, TOKEN, SECRET])
    return result
