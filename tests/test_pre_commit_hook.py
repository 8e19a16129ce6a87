"""The pre-commit hook of `.pre-commit-hooks.yaml`: a manifest pre-commit accepts, and a hook
that passes a valid config and fails an invalid one when run as pre-commit runs it.

pre-commit runs a hook's `entry`, then its `args`, then (unless `pass_filenames: false`) the
names of the files staged that `files` matches, from the repository's root. The keys and
languages below are those pre-commit documents for a hook manifest.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT
from programs import orsync_command

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
REQUIRED = ("id", "name", "entry", "language")
# Optional keys of a manifest hook, by the type pre-commit expects.
OPTIONAL: dict[str, type] = {
    "alias": str,
    "files": str,
    "exclude": str,
    "types": list,
    "types_or": list,
    "exclude_types": list,
    "always_run": bool,
    "fail_fast": bool,
    "verbose": bool,
    "pass_filenames": bool,
    "require_serial": bool,
    "description": str,
    "language_version": str,
    "minimum_pre_commit_version": str,
    "args": list,
    "stages": list,
    "additional_dependencies": list,
    "log_file": str,
}
_LANGUAGES = (
    "conda coursier dart docker docker_image dotnet fail golang haskell julia lua node perl "
    "python python_venv r ruby rust swift pygrep script system unsupported unsupported_script"
)
LANGUAGES = frozenset(_LANGUAGES.split())
VALID = """
    version: 1
    destinations:
      - name: Production Langfuse
        type: langfuse
        config: {publicKey: "${LF_PUBLIC}", secretKey: "${LF_SECRET}"}
    """
INVALID = """
    version: 1
    destinations:
      - {name: hook, type: webhook, sampling_rat: 1}
    """


def manifest() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return hooks


def hook(hook_id: str) -> dict[str, Any]:
    [found] = [h for h in manifest() if h["id"] == hook_id]
    return found


def test_the_manifest_is_what_pre_commit_reads() -> None:
    hooks = manifest()
    assert isinstance(hooks, list) and hooks
    for entry in hooks:
        for key in REQUIRED:
            assert isinstance(entry.get(key), str) and entry[key].strip(), (entry, key)
        for key, value in entry.items():
            if key not in REQUIRED:
                assert key in OPTIONAL, f"pre-commit knows no hook key {key!r}"
                assert isinstance(value, OPTIONAL[key]), (key, value)
        assert entry["language"] in LANGUAGES
        re.compile(entry.get("files", ""))
    assert len({h["id"] for h in hooks}) == len(hooks)


def test_orsync_validate_runs_once_on_the_default_config() -> None:
    validate = hook("orsync-validate")
    assert shlex.split(validate["entry"]) == ["orsync", "validate"]
    # A Python hook: pre-commit installs this repository with pip, which makes `orsync`.
    assert validate["language"] == "python"
    assert validate["pass_filenames"] is False
    # pre-commit matches `files` against paths from the repository's root.
    files = re.compile(validate["files"])
    assert files.search("orsync.yaml")
    for other in ("examples/orsync.yaml", "orsync.yaml.bak", "README.md", "not-orsync.yaml"):
        assert not files.search(other), other


def run_hook(hook_id: str, repository: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook as pre-commit does: `entry`, then `args`, from the repository's root;
    without a management key or an API address, which validate never needs."""
    found = hook(hook_id)
    program, *rest = shlex.split(found["entry"])
    assert program == "orsync"
    argv = [*orsync_command(), *rest, *found.get("args", [])]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ORSYNC_", "OPENROUTER_"))}
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        argv, cwd=repository, env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_hook_passes_a_valid_config_and_fails_an_invalid_one(tmp_path: Path) -> None:
    config = tmp_path / "orsync.yaml"
    config.write_text(textwrap.dedent(VALID).lstrip(), encoding="utf-8")
    passed = run_hook("orsync-validate", tmp_path)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout == "orsync.yaml is valid: 1 destination in 1 workspace.\n"
    config.write_text(textwrap.dedent(INVALID).lstrip(), encoding="utf-8")
    failed = run_hook("orsync-validate", tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith(
        "Error: orsync.yaml:3: destinations[0].sampling_rat: unknown key"
    )


def test_the_readme_snippet_names_the_hook() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(repos:.*?)```", readme, re.S)
    [config] = [yaml.safe_load(block) for block in blocks]
    [repository] = config["repos"]
    assert {h["id"] for h in repository["hooks"]} <= {h["id"] for h in manifest()}
    assert repository["hooks"] == [{"id": "orsync-validate"}]
