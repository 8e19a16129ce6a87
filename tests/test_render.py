"""The renderers (text, json, markdown) on plans made by the real diff from plain values."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import builders
import pytest
from builders import declared, env

from orsync.destination_types import FIELD_DEFAULTS
from orsync.diff import plan_changes
from orsync.live import parse_workspace
from orsync.model import (
    DesiredDestination,
    DesiredState,
    LiveState,
    Secret,
    SecretOrigin,
    Source,
    UnmanagedPolicy,
    WorkspaceConfig,
)
from orsync.plan import Plan
from orsync.render.json import render_json
from orsync.render.markdown import render_markdown
from orsync.render.text import render_text

CONFIG = "deploy/orsync.yaml"
MAIN = "11111111-1111-4111-8111-111111111111"
OLD = "22222222-2222-4222-8222-222222222222"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Clear values that must never be printed, and the live masks the API shows for some of them.
PUBLIC = "pk-lf-public-0000000000-EfGh"
SECRET = "sk-lf-secret-0123456789-AbCd"
NEW_PUBLIC = "pk-lf-public-1111111111-JkLm"
NEW_SECRET = "sk-lf-secret-2222222222-NpQr"
PLAIN_SECRET = "sk-lf-plaintext-3333333-StUv"
HEADER_NEW = "Bearer header-new-4444444444-GhIj"
HEADER_LIVE = "Bearer header-live-5555555555-KlMn"
DSN_LIVE = "https://aaaa1111bbbb2222@o1.ingest.sentry.io/4501"
DSN_NEW = "https://cccc3333dddd4444@o1.ingest.sentry.io/4502"
DSN_STRAY = "https://eeee5555ffff6666@o2.ingest.sentry.io/4503"
CLEAR_VALUES: tuple[str, ...] = (
    PUBLIC,
    SECRET,
    NEW_PUBLIC,
    NEW_SECRET,
    PLAIN_SECRET,
    HEADER_NEW,
    HEADER_LIVE,
)
CLEAR_VALUES += (DSN_LIVE, DSN_NEW, DSN_STRAY)

Space = tuple[str | None, str, list[DesiredDestination], list[dict[str, Any]]]
Renderer = Callable[[Plan], str]


def desired(
    name: str,
    type_name: str = "webhook",
    config: dict[str, Any] | None = None,
    *,
    workspace: str | None = MAIN,
    line: int = 3,
    **fields: Any,
) -> DesiredDestination:
    """A declaration in workspace MAIN of CONFIG (see tests/builders.py)."""
    url = {"url": f"https://hooks.example.com/{name}"}
    source = Source(CONFIG, line)
    config = config if config is not None else url
    return declared(name, type_name, config, workspace=workspace, source=source, **fields)


def live(
    name: str,
    type_name: str = "webhook",
    config: dict[str, Any] | None = None,
    *,
    ident: str,
    workspace: str | None = MAIN,
    **fields: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {"id": ident, "workspace_id": workspace, "name": name, "type": type_name}
    item.update({**FIELD_DEFAULTS, **fields})
    item["config"] = config if config is not None else {"url": f"https://hooks.example.com/{name}"}
    return item


def plan_for(*spaces: Space, path: str = CONFIG) -> Plan:
    configs = tuple(
        WorkspaceConfig(w, UnmanagedPolicy(u), tuple(d), Source(path, 1)) for w, u, d, _ in spaces
    )
    state = LiveState(tuple(parse_workspace(w, items) for w, _, _, items in spaces))
    return plan_changes(DesiredState(path, configs), state)


def mixed_plan() -> Plan:
    """One change of every action, and one unchanged destination."""
    wanted = [desired("Hook", sampling_rate=0.5), desired("New", line=7), desired("Same")]
    wanted.append(desired("Swap", "otel-collector", {"endpoint": "https://otel.example.com"}))
    items = [live(name, ident=f"id-{name.lower()}") for name in ("Hook", "Swap", "Same", "Stray")]
    gone = live("Gone", ident="id-gone", workspace=OLD)
    return plan_for((MAIN, "report", wanted, items), (OLD, "delete", [], [gone]))


def secret_plan() -> Plan:
    """Secrets in every place a plan can hold one: updates, a create, a replace, unmanaged."""
    langfuse = {
        "publicKey": env(PUBLIC),
        "secretKey": env(SECRET, "LF_SECRET"),
        "headers": {"X-Auth": env(HEADER_NEW)},
    }
    created = {
        "publicKey": env(NEW_PUBLIC),
        "secretKey": Secret(SecretOrigin.PLAIN, PLAIN_SECRET),
        "headers": {"X-Auth": env(HEADER_NEW)},
    }
    sentry = {"dsn": env(DSN_NEW), "otlpEndpoint": "https://o1.ingest.sentry.io/otlp"}
    live_langfuse = {
        "publicKey": "pk-l...EfGh",
        "secretKey": "sk-l...WxYz",
        "headers": {"X-Auth": HEADER_LIVE},  # an API that left a header in clear
    }
    live_sentry = {"dsn": DSN_LIVE, "otlpEndpoint": "https://o1.ingest.sentry.io/otlp"}
    stray = {"dsn": DSN_STRAY, "otlpEndpoint": "x", "headers": {"Authorization": HEADER_LIVE}}
    wanted = [
        desired("LF", "langfuse", langfuse),
        desired("Sentry", "sentry", sentry),
        desired("New LF", "langfuse", created),
        desired("Swap", "sentry", sentry),
        desired("Unset", "langfuse", {"secretKey": env(None, "UNSET_SECRET")}),
    ]
    items = [
        live("LF", "langfuse", live_langfuse, ident="id-lf"),
        live("Sentry", "sentry", live_sentry, ident="id-sentry"),
        live("Swap", ident="id-swap"),
        live("Unset", "langfuse", {"secretKey": "sk-l...WxYz"}, ident="id-unset"),
        live("Stray sentry", "sentry", stray, ident="id-stray"),
    ]
    return plan_for((MAIN, "report", wanted, items))


def in_sync_plan() -> Plan:
    return plan_for((MAIN, "report", [desired("Same")], [live("Same", ident="id-same")]))


# Text --------------------------------------------------------------------------------------


def test_text_marks_each_action_with_its_symbol() -> None:
    lines = render_text(mixed_plan()).splitlines()
    for symbol, name in [("~", "Hook"), ("+", "New"), ("-/+", "Swap"), ("-", "Gone")]:
        assert f'  {symbol} destination "{name}" {{' in lines
    assert '  ? destination "Stray" {' in lines
    assert not any('"Same"' in line for line in lines)


def test_text_shows_before_and_after() -> None:
    text = render_text(mixed_plan())
    assert re.search(r"~ sampling_rate\s+= 1 -> 0\.5\n", text)
    assert re.search(r'~ type\s+= "webhook" -> "otel-collector"\n', text)
    assert re.search(r'\+ config\.url\s+= "https://hooks\.example\.com/New"\n', text)
    assert re.search(r'id\s+= "id-hook"\n', text)


def test_text_summary_line() -> None:
    last = render_text(mixed_plan()).splitlines()[-1]
    assert last == "Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy, 1 unmanaged."
    two_creates = plan_for((MAIN, "report", [desired("A"), desired("B")], []))
    assert render_text(two_creates).splitlines()[-1] == (
        "Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy, 0 unmanaged."
    )


def test_text_in_sync_names_the_config() -> None:
    text = render_text(in_sync_plan())
    assert text.strip() == f"No changes. Live destinations match {CONFIG}."


def test_text_color_only_when_asked() -> None:
    plain = render_text(mixed_plan(), color=False)
    colored = render_text(mixed_plan(), color=True)
    assert not ANSI.search(plain)
    assert ANSI.search(colored)
    assert ANSI.sub("", colored) == plain


def test_text_names_a_workspace_once() -> None:
    # The default workspace (no `id` in the config) is known by the id its live items carry;
    # a create there must not be listed under a heading of its own.
    items = [live("A", ident="id-a"), live("C", ident="id-c")]
    wanted = [desired(n, workspace=None, sampling_rate=0.5) for n in ("A", "B", "C")]
    plan = plan_for((None, "report", wanted, items))
    assert {c.workspace_id for c in plan.changes} == {MAIN}
    text = render_text(plan)
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert len(headings) == 2, headings  # one workspace heading, and the summary line


# JSON --------------------------------------------------------------------------------------


def test_json_has_exactly_the_documented_keys() -> None:
    document = json.loads(render_json(mixed_plan()))
    assert set(document) == {"format_version", "in_sync", "summary", "changes", "warnings"}
    assert document["format_version"] == 1
    assert document["in_sync"] is False
    assert document["summary"] == {
        "create": 1,
        "update": 1,
        "replace": 1,
        "delete": 1,
        "unmanaged": 1,
        "unchanged": 1,
    }
    change_keys = {"action", "workspace_id", "name", "type", "id", "source", "fields", "risks"}
    change_keys.add("live_updated_at")
    for change in document["changes"]:
        assert set(change) == change_keys
        assert isinstance(change["risks"], list)
        for field in change["fields"]:
            assert set(field) == {"path", "before", "after", "sensitive"}


def test_json_changes() -> None:
    changes = {c["name"]: c for c in json.loads(render_json(mixed_plan()))["changes"]}
    assert set(changes) == {"Hook", "New", "Swap", "Gone", "Stray"}
    hook = changes["Hook"]
    assert (hook["action"], hook["workspace_id"], hook["id"]) == ("update", MAIN, "id-hook")
    assert hook["source"] == f"{CONFIG}:3"
    assert hook["fields"] == [
        {"path": "sampling_rate", "before": 1, "after": 0.5, "sensitive": False}
    ]
    assert (changes["New"]["action"], changes["New"]["id"]) == ("create", None)
    assert (changes["Gone"]["action"], changes["Gone"]["workspace_id"]) == ("delete", OLD)
    assert (changes["Stray"]["action"], changes["Stray"]["source"]) == ("unmanaged", None)


def test_json_in_sync() -> None:
    document = json.loads(render_json(in_sync_plan()))
    assert document["in_sync"] is True and document["changes"] == []
    assert document["summary"]["unchanged"] == 1


def test_json_secret_change_shows_masks() -> None:
    document = json.loads(render_json(secret_plan()))
    (lf,) = [c for c in document["changes"] if c["name"] == "LF"]
    fields = {f["path"]: f for f in lf["fields"]}
    assert fields["config.secretKey"] == {
        "path": "config.secretKey",
        "before": "sk-l...WxYz",
        "after": "...AbCd",
        "sensitive": True,
    }
    assert "config.publicKey" not in fields
    assert any("UNSET_SECRET" in w and "not verified" in w for w in document["warnings"])


# Secrets, in every format ------------------------------------------------------------------


RENDERERS: dict[str, Renderer] = {
    "text": lambda plan: render_text(plan),
    "text-color": lambda plan: render_text(plan, color=True),
    "json": render_json,
    "markdown": render_markdown,
}


@pytest.mark.parametrize("renderer", RENDERERS.values(), ids=list(RENDERERS))
def test_no_secret_is_ever_rendered(renderer: Renderer) -> None:
    plan = secret_plan()
    assert plan.summary()["update"] == 2 and plan.summary()["replace"] == 1
    output = renderer(plan)
    assert "...AbCd" in output  # the changed secret is shown, as its mask
    for clear in CLEAR_VALUES:
        assert clear not in output, f"{clear[:6]}... was rendered"
        assert clear[5:-5] not in output, f"the middle of {clear[:6]}... was rendered"


def test_container_fields_are_shown_where_they_differ() -> None:
    rules_live = {"groups": [{"rules": [{"field": "model", "operator": "equals", "value": "a"}]}]}
    rules_wanted = {
        "enabled": True,
        "groups": [
            {
                "logic": "or",
                "rules": [
                    {"field": "model", "operator": "equals", "value": "b"},
                    {"field": "user_id", "operator": "exists"},
                ],
            }
        ],
    }
    wanted = desired("Hook", api_key_hashes=["h1", "h2"], filter_rules=rules_wanted)
    item = live("Hook", ident="id-hook", api_key_hashes=["h3", "h1"], filter_rules=rules_live)
    plan = plan_for((MAIN, "report", [wanted], [item]))
    text = render_text(plan)
    # `enabled: true` is the default the live value leaves out: not shown as a difference.
    assert "enabled" not in text
    assert '~ filter_rules.groups[0].logic          = "and" -> "or"' in text
    assert '~ filter_rules.groups[0].rules[0].value = "a" -> "b"' in text
    assert '+ filter_rules.groups[0].rules[1]       = {"field": "user_id"' in text
    # A set has no positions: its items are added or removed.
    assert '+ api_key_hashes                        = "h2"' in text
    assert '- api_key_hashes                        = "h3"' in text
    markdown = render_markdown(plan)
    assert '| `filter_rules.groups[0].rules[0].value` | `"a" -> "b"` |' in markdown
    assert '| `api_key_hashes` | `- "h3"` |' in markdown
    # The JSON keeps `filter_rules` as one field holding its whole values: docs/plan-json.md
    # (Keys: a `path` is a top-level field, its `before` and `after` any JSON value).
    (field,) = [
        f
        for f in json.loads(render_json(plan))["changes"][0]["fields"]
        if f["path"] == "filter_rules"
    ]
    assert field["after"] == rules_wanted


# When live last changed --------------------------------------------------------------------

STAMP = "2026-11-27T10:02:11Z"
NOW = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)


def stamped_plan(updated_at: object = STAMP) -> Plan:
    """An update, a replace, a create, a delete and an unmanaged destination, the live ones
    last changed at `updated_at`."""
    wanted = [
        builders.declared("Hook", sampling_rate=0.5),
        builders.declared("New"),
        builders.declared("Swap", "otel-collector", {"endpoint": "https://otel.example.com"}),
    ]
    items = [
        builders.live_item(name, ident=f"id-{name.lower()}", updated_at=updated_at)
        for name in ("Hook", "Swap", "Stray")
    ]
    return builders.plan_of(wanted, items)


def test_every_live_change_carries_when_live_last_changed() -> None:
    plan = stamped_plan()
    actions = {c.action.value: c.live_updated_at for c in plan.changes}
    assert actions == {"update": STAMP, "replace": STAMP, "create": None, "unmanaged": STAMP}
    deleted = builders.plan_of([], [builders.live_item(updated_at=STAMP)], UnmanagedPolicy.DELETE)
    assert [(c.action.value, c.live_updated_at) for c in deleted.changes] == [("delete", STAMP)]


def test_json_live_updated_at_is_null_for_a_create() -> None:
    changes = json.loads(render_json(stamped_plan()))["changes"]
    assert {c["name"]: c["live_updated_at"] for c in changes} == {
        "Hook": STAMP,
        "New": None,
        "Swap": STAMP,
        "Stray": STAMP,
    }


def test_text_says_when_live_last_changed() -> None:
    lines = render_text(stamped_plan(), now=NOW).splitlines()
    line = f"  # last changed live {STAMP} (2 days ago)"
    assert lines.count(line) == 3
    # Right under the header of each live destination, none for the create.
    for name in ("Hook", "Swap", "Stray"):
        header = next(i for i, text in enumerate(lines) if f"'{name}'" in text)
        assert lines[header + 1] == line
    create = next(i for i, text in enumerate(lines) if "'New'" in text)
    assert lines[create + 1] == '  + destination "New" {'


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2026-11-29T12:59:30Z", "2026-11-29T12:59:30Z (less than a minute ago)"),
        ("2026-11-29T12:59:00.000Z", "2026-11-29T12:59:00.000Z (1 minute ago)"),
        ("2026-11-29T10:30:00+00:00", "2026-11-29T10:30:00+00:00 (2 hours ago)"),
        ("2026-11-28T12:00:00+01:00", "2026-11-28T12:00:00+01:00 (1 day ago)"),
        ("2026-11-29T13:00:30Z", "2026-11-29T13:00:30Z (less than a minute ago)"),  # skew
        ("2026-11-30T00:00:00Z", "2026-11-30T00:00:00Z"),  # ahead of this clock
        ("9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59-14:00"),
        ("2026-11-29T10:30:00", "2026-11-29T10:30:00"),  # no time zone: no guess
        ("yesterday", "yesterday"),
        ("2026-11-27\n  - destination", '"2026-11-27\\n  - destination"'),
    ],
)
def test_text_shows_the_age_only_when_it_can_be_told(stamp: str, shown: str) -> None:
    text = render_text(stamped_plan(stamp), now=NOW)
    assert f"  # last changed live {shown}\n" in text


@pytest.mark.parametrize("stamp", [None, 1732702931, 17.5, True, {"at": STAMP}, [STAMP]])
def test_a_live_updated_at_that_is_not_text_is_left_out(stamp: object) -> None:
    plan = stamped_plan(stamp)  # the live parser takes it, without a complaint
    assert [c.live_updated_at for c in plan.changes] == [None] * 4
    assert "last changed live" not in render_text(plan, now=NOW)
    assert "last changed live" not in render_markdown(plan)
    assert [c["live_updated_at"] for c in json.loads(render_json(plan))["changes"]] == [None] * 4
