"""The GitHub Action (action.yml and its scripts in action/) and the CI examples in examples/ci/.

The scripts run for real: `plan.sh` runs orsync against the fake OpenRouter API with the files
GitHub gives a step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), `comment.sh` talks with curl to a fake
of GitHub's comments API, `outcome.sh` turns exit codes into the step's result. The YAML files are
checked against the schemas GitHub and GitLab publish (check-jsonschema's built-in copies), and
the scripts with shellcheck.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from fake_api import MANAGEMENT_KEY, FakeApi
from fake_github import FakeGithub
from programs import program, run

ACTION = ROOT / "action"
EXAMPLES = ROOT / "examples" / "ci"
MARKER = "<!-- orsync-plan -->"
HOOK = {"name": "hook", "type": "webhook", "config": {"url": "https://hooks.example.com/in"}}
HOOK_CONFIG = """
    version: 1
    destinations:
      - name: hook
        type: webhook
        config: {url: https://hooks.example.com/in}
    """
SECRET = "lf-secret-value-0123456789"
# GitHub refuses a comment longer than this.
GITHUB_LIMIT = 65_536
TOKEN = "ghs_faketoken0123456789abcdef"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# Installed by the test extra of pyproject.toml; bash, curl and jq come with the system.
FROM_TEST_EXTRA = ("check-jsonschema", "shellcheck")


def needs(*names: str) -> list[str]:
    """The paths of these programs; the test is skipped, naming the one missing, without them."""
    found = [program(name) for name in names]
    for name, path in zip(names, found, strict=True):
        if path is None:
            hint = " (pip install -e '.[test]')" if name in FROM_TEST_EXTRA else ""
            pytest.skip(f"`{name}` is not installed{hint}")
    return [path for path in found if path is not None]


# --- the files against the published schemas ---------------------------------------------------

SCHEMA_CHECKS = {
    "action.yml": ("vendor.github-actions", ROOT / "action.yml"),
    "github-pull-request.yml": ("vendor.github-workflows", EXAMPLES / "github-pull-request.yml"),
    "github-nightly.yml": ("vendor.github-workflows", EXAMPLES / "github-nightly.yml"),
    "gitlab-ci.yml": ("vendor.gitlab-ci", EXAMPLES / "gitlab-ci.yml"),
}


@pytest.mark.parametrize(("schema", "path"), SCHEMA_CHECKS.values(), ids=SCHEMA_CHECKS)
def test_file_passes_the_published_schema(schema: str, path: Path) -> None:
    [tool] = needs("check-jsonschema")
    done = run(tool, "--builtin-schema", schema, str(path), cwd=ROOT)
    assert done.returncode == 0, done.stdout


def test_the_schema_check_catches_a_broken_action(tmp_path: Path) -> None:
    [tool] = needs("check-jsonschema")
    action = load_yaml(ROOT / "action.yml")
    del action["runs"]["steps"][1]["shell"]  # a composite `run` step must name its shell
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(action), encoding="utf-8")
    done = run(tool, "--builtin-schema", "vendor.github-actions", str(broken), cwd=tmp_path)
    assert done.returncode == 1, done.stdout


def embedded_scripts() -> dict[str, str]:
    """Every shell script of the action and the examples, by a name for the test's id."""
    scripts = {path.name: path.read_text(encoding="utf-8") for path in ACTION.glob("*.sh")}
    for name in ("github-pull-request.yml", "github-nightly.yml"):
        for job in load_yaml(EXAMPLES / name)["jobs"].values():
            for index, step in enumerate(job["steps"]):
                if "run" in step:
                    scripts[f"{name} step {index}"] = "#!/usr/bin/env bash\n" + step["run"]
    gitlab = load_yaml(EXAMPLES / "gitlab-ci.yml")[".orsync"]
    lines = [*gitlab["before_script"], *gitlab["script"]]
    scripts["gitlab-ci.yml"] = "#!/bin/sh\n" + "\n".join(lines) + "\n"
    return scripts


SCRIPTS = embedded_scripts()


def test_every_script_is_found() -> None:
    assert sorted(SCRIPTS) == [
        "comment.sh",
        "github-pull-request.yml step 2",
        "gitlab-ci.yml",
        "install.sh",
        "outcome.sh",
        "plan.sh",
    ]


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_passes_shellcheck(tmp_path: Path, name: str) -> None:
    [tool] = needs("shellcheck")
    script = tmp_path / "script.sh"
    script.write_text(SCRIPTS[name], encoding="utf-8")
    done = run(tool, "--external-sources", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stdout


# --- the workflow of README.md's "Nightly compliance" ------------------------------------------


def readme_workflow(section: str) -> str:
    """The YAML block of a `###` section of README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n### {section}\n") + 1
    # Up to the next heading (a YAML comment starts with one `#`).
    following = re.compile(r"^#{2,} ", re.MULTILINE).search(readme, start + 1)
    text = readme[start : following.start() if following else len(readme)]
    blocks: list[str] = re.findall(r"^```yaml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    [block] = blocks
    return block


COMPLIANCE = readme_workflow("Nightly compliance")


def test_the_compliance_workflow_passes_the_published_schema(tmp_path: Path) -> None:
    [tool] = needs("check-jsonschema")
    workflow = tmp_path / "orsync-compliance.yml"
    workflow.write_text(COMPLIANCE, encoding="utf-8")
    done = run(tool, "--builtin-schema", "vendor.github-workflows", str(workflow), cwd=tmp_path)
    assert done.returncode == 0, done.stdout


def test_the_compliance_workflow_reports_the_junit_it_writes() -> None:
    """GitHub shows no JUnit by itself: a reporter step reads the file the audit writes,
    whether the audit passed or failed, with the permission its check run needs."""
    workflow = yaml.safe_load(COMPLIANCE)
    steps = workflow["jobs"]["audit"]["steps"]
    [audit] = [step for step in steps if "orsync audit" in step.get("run", "")]
    assert audit["run"].endswith("--format junit > audit.xml")
    [reporter] = [s for s in steps if s.get("uses", "").startswith("dorny/test-reporter@")]
    assert reporter["if"] == "always()"
    assert reporter["with"] == {
        "name": "orsync audit",
        "path": "audit.xml",
        "reporter": "java-junit",
    }
    assert workflow["permissions"] == {"contents": "read", "checks": "write"}


def test_the_compliance_workflow_scripts_pass_shellcheck(tmp_path: Path) -> None:
    [tool] = needs("shellcheck")
    steps = yaml.safe_load(COMPLIANCE)["jobs"]["audit"]["steps"]
    script = tmp_path / "script.sh"
    lines = [step["run"] for step in steps if "run" in step]
    script.write_text("#!/usr/bin/env bash\n" + "\n".join(lines) + "\n", encoding="utf-8")
    done = run(tool, str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stdout


# --- action.yml ----------------------------------------------------------------------------------


def action_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load_yaml(ROOT / "action.yml")["runs"]["steps"]
    return steps


def test_action_declares_the_inputs_and_outputs_users_wire() -> None:
    action = load_yaml(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert list(action["inputs"]) == [
        "config",
        "workspaces",
        "format",
        "fail-on-drift",
        "github-token",
        "python-version",
    ]
    assert action["inputs"]["fail-on-drift"]["default"] == "true"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert {name: output["value"] for name, output in action["outputs"].items()} == {
        "exit-code": "${{ steps.plan.outputs.exit-code }}",
        "in-sync": "${{ steps.plan.outputs.in-sync }}",
        "plan-json": "${{ steps.plan.outputs.plan-json }}",
    }


def test_action_passes_values_to_scripts_by_environment_only() -> None:
    """No `${{ }}` inside a script (where a value could inject shell code) and no secret input:
    every value reaches the scripts as an environment variable."""
    runs = [step for step in action_steps() if "run" in step]
    assert [step["run"] for step in runs] == [
        '"$GITHUB_ACTION_PATH/action/install.sh"',
        '"$GITHUB_ACTION_PATH/action/plan.sh"',
        '"$GITHUB_ACTION_PATH/action/comment.sh"',
        '"$GITHUB_ACTION_PATH/action/outcome.sh"',
    ]
    for step in runs:
        assert step["shell"] == "bash"
        script = ACTION / step["run"].split("/")[-1].rstrip('"')
        assert os.access(script, os.X_OK), f"{script.name} is not executable"
        assert "set -x" not in script.read_text(encoding="utf-8")
    inputs = load_yaml(ROOT / "action.yml")["inputs"]
    assert not any("key" in name or "secret" in name for name in inputs)


def test_action_comments_only_on_pull_requests() -> None:
    [comment] = [step for step in action_steps() if step.get("name", "").startswith("Comment")]
    assert comment["if"] == "github.event_name == 'pull_request'"
    assert comment["env"]["GH_TOKEN"] == "${{ inputs.github-token }}"


@pytest.mark.parametrize("name", ["github-pull-request.yml", "github-nightly.yml"])
def test_example_workflow_uses_only_what_the_action_declares(name: str) -> None:
    action = load_yaml(ROOT / "action.yml")
    workflow = load_yaml(EXAMPLES / name)
    [job] = workflow["jobs"].values()
    [step] = [step for step in job["steps"] if step.get("uses", "").endswith("/orsync@v1")]
    assert set(step["with"]) <= set(action["inputs"])
    assert step["env"]["OPENROUTER_MANAGEMENT_KEY"] == "${{ secrets.OPENROUTER_MANAGEMENT_KEY }}"
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    used = {part.split(" ")[0].rstrip("}") for part in text.split("steps.orsync.outputs.")[1:]}
    assert used <= set(action["outputs"]), used


def test_nightly_fails_on_drift_and_keeps_the_json_plan() -> None:
    workflow = load_yaml(EXAMPLES / "github-nightly.yml")
    assert "schedule" in workflow[True]  # YAML 1.1 reads the key `on` as true
    [job] = workflow["jobs"].values()
    orsync, upload = job["steps"][1:]
    assert orsync["with"]["fail-on-drift"] == "true"
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"].startswith("always()")
    assert upload["with"]["path"] == "${{ steps.orsync.outputs.plan-json }}"


def test_gitlab_example_keeps_the_json_plan_and_allows_drift_only_on_merge_requests() -> None:
    gitlab = load_yaml(EXAMPLES / "gitlab-ci.yml")
    assert gitlab[".orsync"]["artifacts"] == {
        "when": "always",
        "paths": ["plan.json"],
        "expire_in": "30 days",
    }
    assert gitlab["orsync-plan"]["allow_failure"] == {"exit_codes": [2]}
    assert "allow_failure" not in gitlab["orsync-nightly"]


# --- plan.sh against the fake OpenRouter API ----------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What one run of an action script left: its exit code, log, outputs and summary."""

    code: int
    log: str
    outputs: dict[str, str]
    summary: str

    def file(self, output: str) -> str:
        return Path(self.outputs[output]).read_text(encoding="utf-8")


class Runner:
    """Runs the action's scripts as the runner does: bash, an environment, GitHub's files."""

    def __init__(self, tmp_path: Path, fake: FakeApi) -> None:
        self.tmp = tmp_path
        self.fake = fake
        self.workspace = tmp_path / "repo"
        self.workspace.mkdir()
        # orsync from this checkout, as the action's install step makes it.
        self.orsync = tmp_path / "orsync"
        self.orsync.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m orsync "$@"\n')
        self.orsync.chmod(0o755)

    def write_config(self, text: str, name: str = "orsync.yaml") -> None:
        (self.workspace / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def environ(self, env: Mapping[str, str]) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
        environ = {name: os.environ[name] for name in keep if name in os.environ}
        environ.update(
            {
                "PYTHONPATH": str(ROOT),
                "NO_PROXY": "127.0.0.1,localhost",
                "ORSYNC_BASE_URL": self.fake.base_url,
                "OPENROUTER_MANAGEMENT_KEY": MANAGEMENT_KEY,
                "ORSYNC_BIN": str(self.orsync),
                "PLAN_DIR": str(self.tmp / "plan"),
                "GITHUB_OUTPUT": str(self.tmp / "output"),
                "GITHUB_STEP_SUMMARY": str(self.tmp / "summary"),
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": "acme/config",
                "GITHUB_RUN_ID": "4242",
            }
        )
        environ.update(env)
        return environ

    def __call__(self, script: str, **env: str) -> Step:
        for name in ("output", "summary"):
            (self.tmp / name).write_text("", encoding="utf-8")
        [bash] = needs("bash")
        done = subprocess.run(
            [bash, str(ACTION / script)],
            cwd=self.workspace,
            env=self.environ(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        lines = (self.tmp / "output").read_text(encoding="utf-8").splitlines()
        outputs = dict(line.split("=", 1) for line in lines)
        summary = (self.tmp / "summary").read_text(encoding="utf-8")
        return Step(done.returncode, done.stdout, outputs, summary)


@pytest.fixture
def action(tmp_path: Path, fake: FakeApi) -> Runner:
    return Runner(tmp_path, fake)


def test_in_sync(action: Runner, fake: FakeApi) -> None:
    fake.add_destination(HOOK)
    action.write_config(HOOK_CONFIG)
    step = action("plan.sh")
    assert step.code == 0, step.log
    assert {k: step.outputs[k] for k in ("exit-code", "in-sync")} == {
        "exit-code": "0",
        "in-sync": "true",
    }
    assert json.loads(step.file("plan-json"))["in_sync"] is True
    assert "No changes." in step.log  # the text plan, in the log
    comment = step.file("comment-file")
    assert comment.startswith(MARKER + "\n### orsync plan")
    assert "Live destinations match `orsync.yaml`." in comment
    assert "[this run](https://github.com/acme/config/actions/runs/4242)" in comment
    assert step.summary == comment.removeprefix(MARKER + "\n")


def test_drift_writes_every_form_and_no_secret(action: Runner, fake: FakeApi) -> None:
    fake.add_destination({**HOOK, "enabled": False})
    fake.add_destination(
        {
            "name": "trace",
            "type": "langfuse",
            "config": {"publicKey": "pk-lf-public-0001", "secretKey": "sk-lf-old-secret-0000"},
        }
    )
    action.write_config(
        """
        version: 1
        destinations:
          - name: hook
            type: webhook
            config: {url: https://hooks.example.com/in}
          - name: trace
            type: langfuse
            config: {publicKey: pk-lf-public-0001, secretKey: '${LF_SECRET}'}
        """
    )
    step = action("plan.sh", LF_SECRET=SECRET, INPUT_FORMAT="markdown")
    assert step.code == 0, step.log
    assert (step.outputs["exit-code"], step.outputs["in-sync"]) == ("2", "false")
    plan = json.loads(step.file("plan-json"))
    assert plan["summary"]["update"] == 2
    comment = step.file("comment-file")
    assert "`enabled` | `false -> true`" in comment
    assert "config.secretKey" in comment
    assert "Drift: live destinations differ from `orsync.yaml`." in comment
    assert "`enabled` | `false -> true`" in step.log  # the markdown plan, in the log
    everything = step.log + step.summary + comment + step.file("plan-json")
    for secret in (SECRET, MANAGEMENT_KEY, "sk-lf-old-secret-0000"):
        assert secret not in everything


def test_config_error_is_commented_with_its_message(action: Runner) -> None:
    action.write_config(
        "version: 1\ndestinations:\n  - {name: a, type: webhook, sampling_rat: 1}\n"
    )
    step = action("plan.sh")
    assert step.code == 0, step.log
    assert (step.outputs["exit-code"], step.outputs["in-sync"]) == ("1", "false")
    assert step.file("plan-json") == ""
    problem = "Error: orsync.yaml:3: destinations[0].sampling_rat: unknown key"
    assert problem in step.log
    comment = step.file("comment-file")
    assert "**orsync plan failed** (exit code 1):" in comment
    assert f"````\n{problem}" in comment


def test_missing_key_fails_without_printing_anything_secret(action: Runner) -> None:
    action.write_config(HOOK_CONFIG)
    step = action("plan.sh", OPENROUTER_MANAGEMENT_KEY="")
    assert step.outputs["exit-code"] == "1"
    assert "OPENROUTER_MANAGEMENT_KEY" in step.file("comment-file")


def test_refusal_by_a_safety_rule(action: Runner, fake: FakeApi) -> None:
    fake.add_destination({**HOOK, "type": "otel-collector", "config": {"endpoint": "https://o"}})
    action.write_config(
        HOOK_CONFIG.replace("        config:", "        protect: true\n        config:")
    )
    step = action("plan.sh")
    assert step.outputs["exit-code"] == "3", step.log
    comment = step.file("comment-file")
    assert "**A policy or safety rule forbids this plan**" in comment
    assert "apply would refuse this plan" in comment
    assert "replace" in comment.lower()


WS = [f"aaaaaaaa-0000-4000-8000-00000000000{n}" for n in (1, 2, 3)]


def test_workspaces_separated_by_newlines_and_spaces(action: Runner, fake: FakeApi) -> None:
    for workspace in WS[:2]:
        fake.add_destination(HOOK, workspace)
    fake.add_workspace(WS[2])  # declared with a destination it does not have: drift
    entries = "".join(
        f"  - id: {w}\n    destinations:\n      - {{name: hook, type: webhook,"
        " config: {url: https://hooks.example.com/in}}\n"
        for w in WS
    )
    action.write_config("version: 1\nworkspaces:\n" + entries)
    assert action("plan.sh").outputs["exit-code"] == "2"
    step = action("plan.sh", INPUT_WORKSPACES=f"{WS[0]}\n  {WS[1]} \n", INPUT_FORMAT="json")
    assert step.outputs["exit-code"] == "0", step.log
    assert json.loads(step.log)["in_sync"] is True  # the JSON plan, alone in the log
    step = action("plan.sh", INPUT_WORKSPACES=f"{WS[0]} {WS[2]}")
    assert step.outputs["exit-code"] == "2"
    assert WS[2] in step.file("comment-file")


def test_config_input_names_the_file(action: Runner, fake: FakeApi) -> None:
    fake.add_destination(HOOK)
    action.write_config(HOOK_CONFIG, name="observability.yaml")
    step = action("plan.sh", INPUT_CONFIG="observability.yaml")
    assert step.outputs["exit-code"] == "0", step.log
    assert "`observability.yaml`" in step.file("comment-file")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INPUT_FORMAT": "yaml"}, "format must be text, markdown or json, got 'yaml'"),
        ({"INPUT_FAIL_ON_DRIFT": "yes"}, "fail-on-drift must be true or false, got 'yes'"),
    ],
)
def test_bad_input_fails_the_step(
    action: Runner, fake: FakeApi, env: dict[str, str], message: str
) -> None:
    action.write_config(HOOK_CONFIG)
    step = action("plan.sh", **env)
    assert step.code == 1
    assert f"::error title=orsync::{message}" in step.log
    assert step.outputs == {}
    assert fake.requests == []


def test_a_long_plan_is_kept_within_githubs_limit_by_orsync(action: Runner, fake: FakeApi) -> None:
    for n in range(250):
        fake.add_destination(
            {"name": f"stray-{n:03}", "type": "webhook", "config": {"url": f"https://x/{n}"}}
        )
    action.write_config("version: 1\ndestinations: []\n")
    step = action("plan.sh", INPUT_FORMAT="json")
    assert step.outputs["exit-code"] == "2"
    comment = step.file("comment-file")
    assert len(comment) <= GITHUB_LIMIT
    # The script cuts nothing: orsync keeps the summary and the table, says what it left out,
    # and the comment ends as the report does.
    assert comment == f"{MARKER}\n{step.summary}"
    assert "> **Shortened**: details of " in comment and "left out" in comment
    assert "| unmanaged | `" in comment and "stray-249" in comment
    assert comment.endswith("actions/runs/4242).</sub>\n")


def test_a_comment_past_githubs_limit_is_cut_after_a_whole_line(
    action: Runner, tmp_path: Path
) -> None:
    # A stand-in for orsync whose markdown passes the limit, in rows of two-byte characters.
    row = "| ü{0:05d} | " + "é" * 40 + " |"
    stand_in = tmp_path / "long-orsync"
    stand_in.write_text(
        f"#!/bin/sh\ncase \"$*\" in *json*) echo '{{}}'; exit 2;; esac\n"
        f'exec "{sys.executable}" -c "for n in range(1500): print({row!r}.format(n))"\n',
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    action.write_config(HOOK_CONFIG)
    step = action("plan.sh", ORSYNC_BIN=str(stand_in), INPUT_FORMAT="json")
    assert step.outputs["exit-code"] == "2", step.log
    path = Path(step.outputs["comment-file"])
    assert len(path.read_bytes()) <= GITHUB_LIMIT
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == [MARKER, "### orsync plan", ""]
    assert lines[-2:] == ["", "*The plan is cut here: the whole plan is in the job summary.*"]
    kept = lines[3:-2]
    assert 600 < len(kept) < 1500
    assert kept == [row.format(n) for n in range(len(kept))]
    assert row.format(1499) in step.summary  # the job summary keeps it all


# --- comment.sh against a fake of GitHub ----------------------------------------------------------


@pytest.fixture
def github() -> Iterator[FakeGithub]:
    with FakeGithub() as fake:
        yield fake


def comment_env(github: FakeGithub, body: Path, **more: str) -> dict[str, str]:
    return {
        "GH_TOKEN": TOKEN,
        "COMMENT_FILE": str(body),
        "PR_NUMBER": "7",
        "REPOSITORY": github.repo,
        "API_URL": github.url,
        **more,
    }


def comment_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "comment.md"
    path.write_text(f"{MARKER}\n{text}", encoding="utf-8")
    return path


def test_one_sticky_comment_is_made_then_updated(
    action: Runner, github: FakeGithub, tmp_path: Path
) -> None:
    needs("curl", "jq")
    github.add_comment(7, "Looks good to me")
    github.add_comment(7, f"> {MARKER} quoted by someone: not the plan comment")
    step = action("comment.sh", **comment_env(github, comment_file(tmp_path, "first plan")))
    assert step.code == 0, step.log
    assert "Commented the plan on pull request #7." in step.log
    step = action("comment.sh", **comment_env(github, comment_file(tmp_path, "second `plan`")))
    assert step.code == 0, step.log
    assert "Updated the plan comment on pull request #7." in step.log
    bodies = [comment["body"] for comment in github.comments[7]]
    assert bodies[2:] == [f"{MARKER}\nsecond `plan`"]
    assert [(r.method, r.path.split("?")[0]) for r in github.requests] == [
        ("GET", "/repos/acme/config/issues/7/comments"),
        ("POST", "/repos/acme/config/issues/7/comments"),
        ("GET", "/repos/acme/config/issues/7/comments"),
        ("PATCH", f"/repos/acme/config/issues/comments/{github.comments[7][2]['id']}"),
    ]
    assert {r.authorization for r in github.requests} == {f"Bearer {TOKEN}"}
    assert TOKEN not in step.log


def test_the_plan_comment_is_found_on_a_later_page(
    action: Runner, github: FakeGithub, tmp_path: Path
) -> None:
    needs("curl", "jq")
    for n in range(130):
        github.add_comment(7, f"comment {n}")
    plan_id = github.add_comment(7, f"{MARKER}\nold plan")
    step = action("comment.sh", **comment_env(github, comment_file(tmp_path, "new plan")))
    assert step.code == 0, step.log
    assert [r.method for r in github.requests] == ["GET", "GET", "PATCH"]
    assert github.requests[1].path.endswith("per_page=100&page=2")
    assert github.requests[2].path.endswith(f"/comments/{plan_id}")
    assert len(github.comments[7]) == 131


def test_a_refused_comment_is_a_warning(action: Runner, github: FakeGithub, tmp_path: Path) -> None:
    needs("curl", "jq")
    github.refuse = 403
    step = action("comment.sh", **comment_env(github, comment_file(tmp_path, "plan")))
    assert step.code == 0
    assert (
        "::warning title=orsync::could not comment the plan on pull request #7: "
        "listing its comments failed"
    ) in step.log
    assert TOKEN not in step.log


def test_no_token_no_comment(action: Runner, github: FakeGithub, tmp_path: Path) -> None:
    step = action("comment.sh", **comment_env(github, comment_file(tmp_path, "plan"), GH_TOKEN=""))
    assert step.code == 0
    assert "No github-token: the plan is not commented." in step.log
    assert github.requests == []


# --- outcome.sh ---------------------------------------------------------------------------------

OUTCOMES = {
    "in sync": ("0", "true", 0, "In sync: live destinations match the config."),
    "drift, failing": ("2", "true", 2, "::error title=orsync::drift: live destinations differ"),
    "drift, allowed": ("2", "false", 0, "Drift: live destinations differ from the config"),
    "refusal": ("3", "false", 3, "::error title=orsync::a policy or safety rule forbids this plan"),
    "error": ("1", "false", 1, "::error title=orsync::orsync plan failed (exit code 1)"),
    "no plan": ("", "false", 1, "::error title=orsync::orsync plan failed (exit code none)"),
}


@pytest.mark.parametrize(
    ("code", "fail_on_drift", "exit", "message"), OUTCOMES.values(), ids=OUTCOMES
)
def test_outcome(action: Runner, code: str, fail_on_drift: str, exit: int, message: str) -> None:
    step = action("outcome.sh", EXIT_CODE=code, INPUT_FAIL_ON_DRIFT=fail_on_drift)
    assert step.code == exit
    assert message in step.log
