"""Find the command-line tools some tests run (installed by the test extra, in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def program(name: str) -> str | None:
    """The path of `name`: beside this Python first (its virtual environment need not be on
    PATH), else on PATH; None when neither has it."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def orsync_command() -> list[str]:
    """How to run `orsync` as a user does: the program pip installs beside this Python (so it
    is there in CI, which installs this checkout), else `python -m orsync`."""
    beside = Path(sys.executable).parent / "orsync"
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "orsync"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool to the end; its output, with stderr folded into stdout."""
    return subprocess.run(
        args,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
