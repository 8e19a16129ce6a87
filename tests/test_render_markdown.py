"""`--format markdown`: the layout of the comment, escaping, the size bound, secrets, order.

Markdown is read here as GitHub reads it (GFM): a table row is split on every pipe not preceded
by a backslash, then each cell is read; a code span runs from a backtick run to the next run of
the same length, and one space each side is dropped when both are there.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import re
from dataclasses import dataclass

import pytest
from builders import CONFIG, declared, desired_state, env, live_item, pin, plan_of

from orsync.diff import plan_changes
from orsync.live import parse_workspace
from orsync.model import LiveState, Policy, Secret, SecretOrigin, Source, UnmanagedPolicy
from orsync.plan import Plan
from orsync.render.markdown import render_markdown
from orsync.render.text import render_text

STAMP = "2026-11-27T10:02:11Z"
LIMIT_NOTE = (
    "the comment would pass GitHub's 65,536-character limit; run `orsync plan` for the whole plan."
)
PUBLIC = "pk-lf-public-0000000000-EfGh"
SECRET = "sk-lf-secret-0123456789-AbCd"
ROTATED = "sk-lf-secret-9999999999-WxYz"
HEADER = "Bearer header-live-5555555555-KlMn"
PASSWORD = "hunter2-password-7777"
CLEAR = (PUBLIC, SECRET, ROTATED, HEADER, PASSWORD)


# Reading markdown back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of markdown: the contents of its code spans, and the text around them."""

    spans: list[str]
    outside: str


def read_line(text: str) -> Line:
    spans: list[str] = []
    outside: list[str] = []
    position = 0
    while (opening := re.compile(r"`+").search(text, position)) is not None:
        outside.append(text[position : opening.start()])
        fence = opening.group()
        closing = re.compile(rf"(?<!`){fence}(?!`)").search(text, opening.end())
        if closing is None:
            outside.append(fence)
            position = opening.end()
            continue
        content = text[opening.end() : closing.start()]
        if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
            content = content[1:-1]
        spans.append(content)
        position = closing.end()
    outside.append(text[position:])
    return Line(spans, "".join(outside))


def cells(row: str) -> list[str]:
    """The cells of a table row, as GFM splits and unescapes them."""
    assert row.startswith("| ") and row.endswith(" |"), row
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)[1:-1]]


def code(cell: str) -> str:
    """The text a cell holding one code span shows."""
    line = read_line(cell)
    assert len(line.spans) == 1 and not line.outside.strip(), cell
    return line.spans[0]


def table(markdown: str) -> list[list[str]]:
    """The cells of the rows of the table of changes."""
    lines = markdown.splitlines()
    head = "| action | workspace | name | type | changed fields | risks |"
    if head not in lines:
        return []
    start = lines.index(head) + 2
    rows = itertools.takewhile(lambda line: line.startswith("| "), lines[start:])
    return [cells(row) for row in rows]


def details(markdown: str) -> list[list[str]]:
    """The lines of each destination's `<details>` block (the warnings' excluded)."""
    blocks = re.findall(r"^<details><summary><b>.*?^</details>$", markdown, re.M | re.S)
    return [block.splitlines() for block in blocks]


def summary_codes(summary: str) -> list[str]:
    """The texts of the `<code>` elements of a `<summary>` line, as a browser shows them."""
    return [html.unescape(text) for text in re.findall(r"<code>(.*?)</code>", summary)]


# Plans -------------------------------------------------------------------------------------


def mixed_plan() -> Plan:
    """An update, a create, a replace and an unmanaged destination, the live ones stamped."""
    wanted = [
        declared("Hook", sampling_rate=0.5, enabled=False, privacy_mode=True, regions=["us"]),
        declared("New"),
        declared("Swap", "otel-collector", {"endpoint": "https://otel.example.com"}),
        declared("Same"),
    ]
    names = ("Hook", "Swap", "Same", "Stray")
    items = [live_item(n, ident=f"id-{n.lower()}", updated_at=STAMP) for n in names]
    items[0]["api_key_hashes"] = ["h1"]
    return plan_of(wanted, items)


def violated_plan(strays: int) -> Plan:
    """One declared create and `strays` stray webhooks, each breaking two rules of the
    config's policy (privacy_mode and allowed_hosts): twice as many violations as strays."""
    policy = Policy(Source(CONFIG, 1), privacy_mode_required=True, allowed_hosts=("*.example.org",))
    wanted = [declared("New", privacy_mode=True, config={"url": "https://in.example.org/x"})]
    desired = dataclasses.replace(desired_state(wanted), policy=policy)
    items = [
        live_item(
            f"stray-{i:03d}", ident=f"id-{i:03d}", config={"url": f"https://h.example.com/{i}"}
        )
        for i in range(strays)
    ]
    live = LiveState((parse_workspace(None, items),))
    return plan_changes(desired, live)


def violation_rows(markdown: str) -> list[list[str]]:
    """The cells of the rows of the table of policy violations."""
    lines = markdown.splitlines()
    head = "| rule | workspace | destination | message |"
    if head not in lines:
        return []
    start = lines.index(head) + 2
    return [cells(row) for row in itertools.takewhile(lambda x: x.startswith("| "), lines[start:])]


def many_updates(count: int) -> Plan:
    wanted = [declared(f"dest-{i:04d}", sampling_rate=0.5) for i in range(count)]
    items = [
        live_item(f"dest-{i:04d}", ident=f"00000000-0000-4000-8000-{i:012d}", updated_at=STAMP)
        for i in range(count)
    ]
    return plan_of(wanted, items)


# Layout ------------------------------------------------------------------------------------


def test_the_summary_line_comes_first() -> None:
    first = render_markdown(mixed_plan()).splitlines()[0]
    assert first == "**Plan: 1 to add, 1 to change, 1 to replace, 0 to destroy, 1 unmanaged.**"


def test_one_table_of_every_change_in_plan_order() -> None:
    plan = mixed_plan()
    rows = table(render_markdown(plan))
    assert [(r[0], code(r[2]), code(r[3])) for r in rows] == [
        (c.action.value, c.name, c.type) for c in plan.changes
    ]
    assert {r[1] for r in rows} == {"`ws-default`"}
    by_name = {code(r[2]): r[4] for r in rows}
    # Past three field paths, the rest is counted.
    assert by_name["Hook"] == "`enabled`, `sampling_rate`, `privacy_mode`, … (+2)"
    assert by_name["Swap"] == "`type`, `config.endpoint`"
    assert by_name["New"] == "*new destination*"
    assert by_name["Stray"] == "*not in the config*"


def test_the_default_workspace_without_a_known_id() -> None:
    # No live destination there tells the default workspace's id.
    (row,) = table(render_markdown(plan_of([declared("New")], [])))
    assert row[1] == "default"


def test_a_details_block_per_destination_with_its_fields() -> None:
    plan = mixed_plan()
    blocks = details(render_markdown(plan))
    assert len(blocks) == len(plan.changes)
    hook = blocks[0]
    assert hook[0] == (
        "<details><summary><b>update</b> <code>Hook</code> "
        "(<code>webhook</code>, <code>ws-default</code>)</summary>"
    )
    assert hook[2] == (f"declared at `orsync.yaml:3` · id `id-hook` · last changed live `{STAMP}`")
    assert hook[4:6] == ["| field | change |", "| --- | --- |"]
    assert ["`api_key_hashes`", '`["h1"] -> null`'] in [cells(r) for r in hook[6:-2]]
    assert ["`sampling_rate`", "`1 -> 0.5`"] in [cells(r) for r in hook[6:-2]]
    assert hook[-1] == "</details>"
    new, stray = blocks[1], blocks[3]
    assert new[2] == "declared at `orsync.yaml:3`"  # a create: nothing live to tell of
    assert ["`config.url`", '`+ "https://hooks.example.com/in"`'] in [cells(r) for r in new[6:-2]]
    assert stray[2] == f"not in the config · id `id-stray` · last changed live `{STAMP}`"
    assert stray[4] == "| field | live value |"


def test_the_old_half_of_a_replace_says_so() -> None:
    # The new half is live under the declared type; the old one, pinned, remains.
    config = {"endpoint": "https://o.example"}
    wanted = [declared("Hook", "otel-collector", config, pinned="id-old")]
    items = [
        live_item("Hook", "otel-collector", config, ident="id-new"),
        live_item("Hook", ident="id-old", updated_at=STAMP),
    ]
    plan = plan_of(wanted, items)
    (block,) = details(render_markdown(plan))
    assert block[2].startswith("the old half of a replace declared at `orsync.yaml:3` · id")


def test_warnings_are_collapsed() -> None:
    wanted = [declared("Hook", config={"url": env(None, "HOOK_URL")}, sampling_rate=0.5)]
    plan = plan_of(wanted, [live_item()])
    markdown = render_markdown(plan)
    (warning,) = plan.warnings
    block = markdown.split("<details><summary>Warnings (1)</summary>\n\n", 1)[1]
    assert block == f"- `{warning}`\n\n</details>\n"


def test_a_delete_shows_what_goes_with_its_live_values_masked() -> None:
    gone = {
        "publicKey": pin(PUBLIC).value,
        "secretKey": pin(SECRET).value,
        "baseUrl": "https://eu.example.com",
    }
    items = [
        live_item("Keep", ident="id-keep"),
        live_item("Gone", "langfuse", gone, ident="id-gone", updated_at=STAMP, sampling_rate=0.5),
    ]
    plan = plan_of([declared("Keep")], items, UnmanagedPolicy.DELETE)
    markdown = render_markdown(plan)
    lines = markdown.splitlines()
    assert lines[0] == "**Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy, 0 unmanaged.**"
    [row] = table(markdown)
    assert row[0] == "delete" and (code(row[2]), code(row[3])) == ("Gone", "langfuse")
    assert row[4:] == ["*all (deleted)*", ""]
    [block] = details(markdown)
    assert summary_codes(block[0]) == ["Gone", "langfuse", "ws-default"]
    assert block[0].startswith("<details><summary><b>delete</b> ")
    assert block[2] == f"not in the config · id `id-gone` · last changed live `{STAMP}`"
    assert block[4:6] == ["| field | live value |", "| --- | --- |"]
    rows = [(code(cells(r)[0]), code(cells(r)[1])) for r in block[6:-2]]
    assert rows == text_rows(plan)
    assert ("sampling_rate", "0.5") in rows
    assert ("config.secretKey", "(sensitive) sk-l...AbCd") in rows
    assert block[-2:] == ["", "</details>"]
    assert SECRET not in markdown and PUBLIC not in markdown


def test_no_changes_is_one_line_naming_the_config() -> None:
    plan = plan_of([declared()], [live_item()], path="deploy/orsync.yaml")
    assert (
        render_markdown(plan) == "**No changes.** Live destinations match `deploy/orsync.yaml`.\n"
    )


def test_no_changes_keeps_its_warnings() -> None:
    wanted = [declared(config={"url": env(None, "HOOK_URL")})]
    markdown = render_markdown(plan_of(wanted, [live_item()]))
    assert markdown.startswith("**No changes.** Live destinations match `orsync.yaml`.\n\n")
    assert "<details><summary>Warnings (1)</summary>" in markdown and "HOOK_URL" in markdown


def test_the_output_is_stable() -> None:
    plan = mixed_plan()
    assert render_markdown(plan) == render_markdown(mixed_plan()) == render_markdown(plan)
    # The order of the live listing does not matter; the plan's order does.
    names = [f"S{i}" for i in range(6)]
    items = [live_item(n, ident=f"id-{n}", updated_at=STAMP) for n in names]
    forward = render_markdown(plan_of([], items))
    assert forward == render_markdown(plan_of([], items[::-1]))
    assert [code(r[2]) for r in table(forward)] == names
    assert [summary_codes(b[0])[0] for b in details(forward)] == names


# Escaping ----------------------------------------------------------------------------------

# Table breakers, fences, HTML, markdown, mentions, line breaks that would end a row or the
# `<details>` block, a bidirectional override.
HOSTILE = (
    "a | b || c",
    "tick`s ``and`` more",
    "`",
    " padded ",
    "back\\slash\\|",
    "<script>alert(1)</script>",
    "</details><details open><summary>x",
    "@octo-org/security **bold** [link](https://evil.example) #1",
    "line\nbreak\r\n\r\n| injected | row |",
    "\u202eevil\u2028x\x1b[31m",
)
# How the characters that would break a line or disguise text are shown.
ESCAPES = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b", "\u202e": "\\u202e", "\u2028": "\\u2028"}
# Outside code, only these tags may appear.
OUR_TAGS = re.compile(r"</?(details|summary|b|code)>")


def shown(text: str) -> str:
    """What a reader must see of `text`."""
    return "".join(ESCAPES.get(char, char) for char in text)


def hostile_plan() -> Plan:
    """Every hostile string in a declared name and value, and as the live name, type,
    workspace, config key and value, and timestamp of an unmanaged destination."""
    wanted = [declared(f"new {name}", config={"url": name}) for name in HOSTILE]
    items = [
        live_item(name, name, {name: name}, ident=f"id-{i}", workspace_id=name, updated_at=name)
        for i, name in enumerate(HOSTILE)
    ]
    return plan_of(wanted, items)


def test_hostile_text_cannot_break_the_table() -> None:
    plan = hostile_plan()
    rows = table(render_markdown(plan))
    assert len(rows) == len(plan.changes) == 2 * len(HOSTILE)
    assert all(len(row) == 6 for row in rows)
    for row, change in zip(rows, plan.changes, strict=True):
        assert code(row[2]) == shown(str(change.name))
        assert code(row[3]) == shown(change.type)
        assert code(row[1]) == shown(str(change.workspace_id))


def test_hostile_text_is_inert_everywhere() -> None:
    plan = dataclasses.replace(hostile_plan(), warnings=HOSTILE)
    markdown = render_markdown(plan)
    assert [read_line(w).spans for w in re.findall(r"^- (.*)$", markdown, re.M)] == [
        [shown(w)] for w in HOSTILE
    ]
    for text in markdown.splitlines():
        line = read_line(text)
        outside = re.sub(r"<code>[^<]*</code>", "", line.outside)  # escaped, in HTML blocks
        assert not OUR_TAGS.sub("", outside).count("<"), text
        for word in ("script", "@octo", "evil", "[link]", "**bold", "injected", "\u202e"):
            assert word not in outside, text
        # Each line is one of the kinds the layout writes: nothing was split onto a new line.
        kinds = ("**", "| ", "- `", "<details><summary>", "</details>", "declared at", "not in")
        assert text == "" or text.startswith(kinds), text


def test_hostile_text_reads_back_in_the_details() -> None:
    plan = hostile_plan()
    blocks = details(render_markdown(plan))
    assert len(blocks) == len(plan.changes)
    for block, change in zip(blocks, plan.changes, strict=True):
        assert change.name is not None
        name, type_name, workspace = summary_codes(block[0])
        assert (name, type_name) == (shown(change.name), shown(change.type))
        assert workspace == shown(str(change.workspace_id))
        values = [(code(r[0]), code(r[1])) for r in map(cells, block[6:-2])]
        if change.live_updated_at is None:  # a create
            value = json.dumps(change.name[4:], ensure_ascii=False)
            assert values[-1] == ("config.url", shown(f"+ {value}"))
            continue
        assert read_line(block[2]).spans[-1] == shown(change.live_updated_at)
        value = json.dumps(change.name, ensure_ascii=False)
        assert values[-1] == (shown(f"config.{change.name}"), shown(value))


def test_a_config_path_with_backticks_reads_back() -> None:
    plan = plan_of([declared()], [live_item()], path="a`b|c\n.yaml")
    line = read_line(render_markdown(plan).splitlines()[0])
    assert line.spans == ["a`b|c\\n.yaml"]


# The size bound ----------------------------------------------------------------------------


def test_2000_destinations_fit_in_a_comment() -> None:
    plan = many_updates(2000)
    markdown = render_markdown(plan)
    assert len(markdown) <= 60_000
    lines = markdown.splitlines()
    assert (
        lines[0] == "**Plan: 0 to add, 2000 to change, 0 to replace, 0 to destroy, 0 unmanaged.**"
    )
    rows = table(markdown)
    assert 0 < len(rows) < 2000
    assert lines[2] == (
        f"> **Shortened**: the table lists the first {len(rows)} of 2000 changes; "
        f"details of 2000 destinations left out: {LIMIT_NOTE}"
    )
    assert [code(r[2]) for r in rows] == [c.name for c in plan.changes[: len(rows)]]
    assert "<details>" not in markdown
    # As many rows as fit: one more would pass the limit.
    assert len(markdown) + len(lines[4]) + 1 > 60_000 - 50


def test_past_the_limit_the_table_stays_and_details_go() -> None:
    plan = many_updates(300)
    markdown = render_markdown(plan)
    assert len(markdown) <= 60_000
    assert len(table(markdown)) == 300
    kept = details(markdown)
    assert 0 < len(kept) < 300
    assert [summary_codes(b[0])[0] for b in kept] == [c.name for c in plan.changes[: len(kept)]]
    assert markdown.splitlines()[2] == (
        f"> **Shortened**: details of {300 - len(kept)} destinations left out: {LIMIT_NOTE}"
    )


def test_the_limit_is_a_parameter() -> None:
    plan = many_updates(20)
    whole = render_markdown(plan)
    assert "Shortened" not in whole and len(details(whole)) == 20
    assert render_markdown(plan, limit=len(whole)) == whole
    cut = render_markdown(plan, limit=len(whole) - 1)
    assert len(cut) < len(whole) and "> **Shortened**: details of " in cut


def test_many_violations_keep_the_bound_after_the_table() -> None:
    plan = violated_plan(400)
    assert plan.violations is not None and len(plan.violations) == 800
    markdown = render_markdown(plan)
    assert len(markdown) <= 60_000
    lines = markdown.splitlines()
    assert lines[0] == "**Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy, 400 unmanaged.**"
    # The table of changes whole, before the violations; violations as many as fit.
    assert [code(r[2]) for r in table(markdown)] == [c.name for c in plan.changes]
    assert markdown.index("| action |") < markdown.index("| rule |")
    rows = violation_rows(markdown)
    assert 0 < len(rows) < 800
    assert [(code(r[0]), code(r[2])) for r in rows] == [
        (v.rule, v.name) for v in plan.violations[: len(rows)]
    ]
    assert "#### 800 policy violations (allowed_hosts, privacy_mode)" in lines
    assert lines[2] == (
        f"> **Shortened**: {800 - len(rows)} of 800 policy violations left out; "
        f"details of 401 destinations left out: {LIMIT_NOTE}"
    )
    assert not details(markdown)
    # As many rows as fit: one more would pass the limit.
    unbounded = render_markdown(plan, limit=10**7).splitlines()
    head = unbounded.index("| rule | workspace | destination | message |")
    assert len(markdown) + len(unbounded[head + 2 + len(rows)]) + 1 > 60_000


def test_violations_come_before_details() -> None:
    plan = violated_plan(3)
    whole = render_markdown(plan)
    assert "Shortened" not in whole and len(violation_rows(whole)) == 6
    cut = render_markdown(plan, limit=len(whole) - 1)
    assert len(violation_rows(cut)) == 6 and len(table(cut)) == 4
    assert len(details(cut)) < 4
    assert "> **Shortened**: details of " in cut


@pytest.mark.parametrize("strays", [1, 12])
def test_every_limit_is_kept_with_violations(strays: int) -> None:
    plan = violated_plan(strays)
    whole = render_markdown(plan)
    summary = f"**Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy, {strays} unmanaged.**"
    kept_rows = 0
    for limit in range(500, len(whole) + 1, 11):
        markdown = render_markdown(plan, limit=limit)
        assert len(markdown) <= limit
        assert markdown.splitlines()[0] == summary
        assert ("Shortened" in markdown) is (limit < len(whole))
        # Violations only once the table of changes is whole.
        if violation_rows(markdown):
            assert len(table(markdown)) == len(plan.changes)
        assert len(violation_rows(markdown)) >= kept_rows
        kept_rows = len(violation_rows(markdown))


def warned_plan(count: int) -> Plan:
    """`count` updates, each with a secret whose variable is unset: a warning each."""
    wanted = [
        declared(f"d{i}", config={"url": env(None, f"URL_{i}")}, sampling_rate=0.5)
        for i in range(count)
    ]
    return plan_of(wanted, [live_item(f"d{i}", ident=f"id-{i}") for i in range(count)])


def test_warnings_are_cut_after_details() -> None:
    plan = warned_plan(40)
    whole = render_markdown(plan)
    table_end = whole.index("\n\n<details>") + 2
    limit = table_end + 2000
    cut = render_markdown(plan, limit=limit)
    warnings = re.findall(r"^- `.*`$", cut, re.M)
    assert 0 < len(warnings) < 40 and len(table(cut)) == 40 and not details(cut)
    assert warnings == [f"- `{w}`" for w in plan.warnings[: len(warnings)]]
    assert f"details of 40 destinations left out; {40 - len(warnings)} of 40 warnings" in cut


def test_every_limit_is_kept() -> None:
    plan = warned_plan(12)
    whole = render_markdown(plan)
    for limit in range(600, len(whole) + 1, 7):
        markdown = render_markdown(plan, limit=limit)
        assert len(markdown) <= limit
        assert markdown.startswith("**Plan: 0 to add, 12 to change")
        assert ("Shortened" in markdown) is (limit < len(whole))


def test_a_limit_below_the_summary_keeps_the_summary_and_the_note() -> None:
    markdown = render_markdown(many_updates(5), limit=10)
    assert markdown.splitlines()[0].startswith("**Plan: 0 to add, 5 to change")
    assert "the table of 5 changes left out; details of 5 destinations left out" in markdown


# Secrets -----------------------------------------------------------------------------------


def secret_plan() -> Plan:
    """Secrets in an update, a create and an unmanaged destination; one left in clear live."""
    langfuse = {"publicKey": env(PUBLIC, "LF_PUBLIC"), "secretKey": env(SECRET, "LF_SECRET")}
    live_langfuse = {"publicKey": pin(PUBLIC).value, "secretKey": pin(ROTATED).value}
    created = {"publicKey": env(PUBLIC), "secretKey": Secret(SecretOrigin.PLAIN, SECRET)}
    stray = {"url": f"https://bot:{PASSWORD}@hooks.example.com/x", "headers": {"X": HEADER}}
    wanted = [declared("LF", "langfuse", langfuse), declared("New", "langfuse", created)]
    items = [
        live_item("LF", "langfuse", live_langfuse, ident="id-lf"),
        live_item("Stray", config=stray, ident="id-stray"),
    ]
    return plan_of(wanted, items, UnmanagedPolicy.REPORT)


def text_rows(plan: Plan) -> list[tuple[str, str]]:
    """`(path, shown)` of every field row of the text format, shown as markdown shows it."""
    rows = re.findall(r"^      ([~+\- ]) (\S+) +=(?: (.*))?$", render_text(plan), re.M)
    return [
        (path, text if mark in "~ " else f"{mark} {text}")
        for mark, path, text in rows
        if path != "id"
    ]


@pytest.mark.parametrize("limit", [60_000, 1_500])
def test_no_secret_and_the_masks_of_the_text_format(limit: int) -> None:
    plan = secret_plan()
    markdown = render_markdown(plan, limit=limit)
    for clear in CLEAR:
        assert clear not in markdown and clear[5:-5] not in markdown
    if limit < len(render_markdown(plan)):
        return
    rows = [
        (code(cells(r)[0]), code(cells(r)[1]))
        for block in details(markdown)
        for r in block
        if r.startswith("| `")
    ]
    assert rows == text_rows(plan)
    assert ("config.secretKey", "(sensitive) sk-l...WxYz -> ...AbCd") in rows
    assert ("config.headers.X", "(sensitive) ...KlMn") in rows
    assert ("config.url", "(sensitive) https://bot:****@hooks.example.com/…") in rows
