"""Shell completion, as README.md documents it: `eval "$(_ORSYNC_COMPLETE=bash_source orsync)"`.

click writes the script; these tests check that `orsync` does (the variable's name follows the
program's, so a wrong `prog_name` would break it) and that bash, given the script, completes
commands and options by asking `orsync` again.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, Orsync
from programs import orsync_command, program


def readme_lines() -> dict[str, str]:
    """The start-up lines README.md gives, by shell."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"## Shell completion\n.*?```sh\n(.*?)```", readme, re.S)
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    found = [(re.search(r"=(\w+)_source ", line), line) for line in lines]
    return {match[1]: line for match, line in found if match is not None}


def test_readme_gives_a_line_for_each_shell() -> None:
    assert readme_lines() == {
        "bash": 'eval "$(_ORSYNC_COMPLETE=bash_source orsync)"',
        "zsh": 'eval "$(_ORSYNC_COMPLETE=zsh_source orsync)"',
        "fish": "_ORSYNC_COMPLETE=fish_source orsync | source",
    }


@pytest.fixture
def on_path(tmp_path: Path) -> dict[str, str]:
    """An environment where `orsync` on PATH is this checkout's program, as a user has it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "orsync"
    launcher.write_text(f'#!/bin/sh\nexec {shlex.join(orsync_command())} "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ORSYNC_", "_ORSYNC"))}
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    environ["PYTHONPATH"] = str(ROOT)
    return environ


def bash_completes(environ: dict[str, str], tmp_path: Path, *words: str) -> list[str]:
    """What bash offers for the last of `words`, after loading the script as README.md says."""
    bash = program("bash")
    if bash is None:
        pytest.skip("`bash` is not installed")
    script = readme_lines()["bash"] + textwrap.dedent(
        f"""
        function=$(complete -p orsync | sed -E 's/.* -F ([^ ]+) .*/\\1/')
        COMP_WORDS=({shlex.join(words)})
        COMP_CWORD={len(words) - 1}
        "$function" orsync
        printf '%s\\n' "${{COMPREPLY[@]}}"
        """
    )
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", script],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_commands_and_options(on_path: dict[str, str], tmp_path: Path) -> None:
    assert bash_completes(on_path, tmp_path, "orsync", "pl") == ["plan"]
    commands = bash_completes(on_path, tmp_path, "orsync", "")
    assert {"plan", "apply", "export", "validate", "schema", "audit"} <= set(commands)
    assert bash_completes(on_path, tmp_path, "orsync", "plan", "--for") == ["--format"]
    assert bash_completes(on_path, tmp_path, "orsync", "export", "--secrets", "") == [
        "pin",
        "env",
    ]


@pytest.mark.parametrize(
    ("shell", "registers"),
    [
        ("bash", "complete -o nosort -F _orsync_completion orsync"),
        ("zsh", "#compdef orsync"),
        ("fish", "complete --no-files --command orsync"),
    ],
)
def test_the_script_of_each_shell(orsync: Orsync, shell: str, registers: str) -> None:
    result = orsync(env={"_ORSYNC_COMPLETE": f"{shell}_source"})
    assert result.code == 0, result.output
    assert registers in result.stdout
    assert result.stderr == ""
