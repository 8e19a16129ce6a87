"""Live states and configs the JUnit and HTML report tests share: a plan with each kind of
change, policy violations and a risk; an audit of two workspaces, one breaking the policy."""

from __future__ import annotations

from typing import Any

from conftest import Orsync, Result
from fake_api import FakeApi

WS_B = "b0000000-0000-4000-8000-00000000000b"
# The secret the config declares (from a variable), and the one live holds: neither printed.
DECLARED_TOKEN = "Bearer declared-token-0123456789-AbCd"
LIVE_TOKEN = "Bearer live-token-9876543210-WxYz"
TOKEN_ENV = {"HOOK_TOKEN": DECLARED_TOKEN}
HOSTILE = "<script>alert(1)</script> & ]]> \x01"

PLAN_CONFIG = """
    version: 1
    policy:
      privacy_mode: required
      required_types: [s3]
    destinations:
      - name: Steady
        type: webhook
        privacy_mode: true
        config: {url: "https://steady.example.com/in"}
      - name: Drifted
        type: webhook
        privacy_mode: true
        config:
          url: https://drifted.example.com/in
          headers: {Authorization: "${HOOK_TOKEN}"}
      - name: New
        type: webhook
        config: {url: "https://new.example.com/in"}
    """

IN_SYNC_CONFIG = """
    version: 1
    destinations:
      - name: Steady
        type: webhook
        privacy_mode: true
        config: {url: "https://steady.example.com/in"}
    """

AUDIT_CONFIG = """
    version: 1
    policy:
      privacy_mode: required
      required_types: [webhook]
    """


def seed_plan(fake: FakeApi) -> None:
    """Live: `Steady` as declared, `Drifted` with another header secret, `Stray` undeclared
    (privacy off, so it breaks the policy while the config leaves it alone)."""
    fake.add_destination(hook("Steady", privacy_mode=True))
    fake.add_destination(hook("Drifted", privacy_mode=True, headers={"Authorization": LIVE_TOKEN}))
    fake.add_destination(hook("Stray"))


def planned(orsync: Orsync, fake: FakeApi, output_format: str) -> Result:
    """The plan scenario (`seed_plan`, PLAN_CONFIG) in a format: drift and three policy
    violations, so exit 3."""
    seed_plan(fake)
    orsync.write_config(PLAN_CONFIG)
    result = run(orsync, "plan", output_format)
    assert result.code == 3
    assert "Error: 3 policy violations (privacy_mode, required_types)" in result.stderr
    return result


def seed_audit(fake: FakeApi) -> None:
    """The default workspace keeps the policy; WS_B's only webhook is off and leaks prompts."""
    fake.add_destination(hook("base", privacy_mode=True, headers={"Authorization": LIVE_TOKEN}))
    fake.add_workspace(WS_B, "team-b", "Team B")
    fake.add_destination(hook("leaky", enabled=False), WS_B)


def hook(name: str, *, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"url": f"https://{name.lower()}.example.com/in"}
    if headers is not None:
        config["headers"] = headers
    return {"name": name, "type": "webhook", "config": config, **fields}


def run(orsync: Orsync, command: str, output_format: str, *args: str) -> Result:
    """`orsync COMMAND --format FORMAT ARGS` with the scenario's variables, checked to print
    no secret and to exit with the code the text format exits with."""
    result = orsync(command, "--format", output_format, *args, env=TOKEN_ENV)
    text = orsync(command, *args, env=TOKEN_ENV)
    assert result.code == text.code, result.output
    result.assert_hides([DECLARED_TOKEN, LIVE_TOKEN])
    return result
