"""`plan --format html` and `audit --format html`: one self-contained page, read back with the
stdlib's html.parser."""

from __future__ import annotations

import re

from builders import URL, declared, live_item, plan_of
from conftest import Orsync
from fake_api import DEFAULT_WORKSPACE_ID, FakeApi
from html_tree import Element, parse
from report_scenarios import (
    AUDIT_CONFIG,
    DECLARED_TOKEN,
    HOSTILE,
    IN_SYNC_CONFIG,
    PLAN_CONFIG,
    WS_B,
    planned,
    run,
    seed_audit,
    seed_plan,
)

from orsync.render.html import render_html
from orsync.render.values import show_value


def tiles(root: Element) -> list[tuple[str, str, str]]:
    """Each workspace tile: (name, status class, badge text)."""
    found = []
    for tile in root.find("li", "tile"):
        [name] = tile.find("div", "name")
        [badge] = tile.find("span", "badge")
        [status] = [c for c in tile.classes if c != "tile"]
        assert status in badge.classes
        found.append((name.all_text(), status, badge.all_text()))
    return found


def headings(root: Element) -> list[str]:
    return [h.all_text() for h in root.find("h2")]


def assert_self_contained(page: str, root: Element) -> None:
    """Nothing fetched: no scripts at all, no URL in link/script/img, no CSS import."""
    assert not root.find("script")
    for tag in ("link", "script", "img"):
        for element in root.find(tag):
            for name in ("src", "href"):
                assert not re.match(r"\s*(https?:)?//", element.attrs.get(name, "")), element
    [style] = root.find("style")
    assert "url(" not in style.all_text() and "@import" not in style.all_text()


# plan ----------------------------------------------------------------------------------------


def test_plan_page_shows_summary_tiles_changes_violations_and_legend(
    orsync: Orsync, fake: FakeApi
) -> None:
    result = planned(orsync, fake, "html")
    root = parse(result.stdout)
    assert_self_contained(result.stdout, root)
    [summary] = root.find("p", "summary")
    assert summary.all_text() == (
        "Plan: 1 to add, 1 to change, 0 to replace, 0 to destroy, 1 unmanaged."
    )
    assert tiles(root) == [(f"workspace {DEFAULT_WORKSPACE_ID}", "violations", "violations")]
    assert headings(root)[:4] == ["Workspaces", "Changes (3)", "Policy violations", "Risks (1)"]
    changes = root.find("section", "change")
    titles = [c.find("h3")[0].all_text() for c in changes]
    assert titles == [
        'update webhook "Drifted"',
        'create webhook "New"',
        'unmanaged webhook "Stray"',
    ]
    [table] = root.find("table", "violations-table")
    rules = [row.find("td")[0].all_text() for row in table.find("tbody")[0].find("tr")]
    assert rules == ["privacy_mode", "privacy_mode", "required_types"]
    [legend] = root.find("dl", "legend")
    assert {"in sync", "drift", "violations", "secrets"} <= {
        dt.all_text() for dt in legend.find("dt")
    }


def test_plan_field_diffs_mask_secrets_as_the_text_format(orsync: Orsync, fake: FakeApi) -> None:
    seed_plan(fake)
    orsync.write_config(PLAN_CONFIG)
    text = orsync("plan", env={"HOOK_TOKEN": DECLARED_TOKEN}).stdout
    root = parse(run(orsync, "plan", "html").stdout)
    drifted = root.find("section", "change")[0]
    [row] = drifted.find("table", "fields")[0].find("tbody")[0].find("tr")
    mark, path, change = (cell.all_text() for cell in row.find("td"))
    assert path == "config.headers.Authorization"
    assert change.startswith("(sensitive) ")
    assert any(line.split() == [mark, path, "=", *change.split()] for line in text.splitlines())


def test_plan_risks_are_listed(orsync: Orsync, fake: FakeApi) -> None:
    root = parse(planned(orsync, fake, "html").stdout)
    [table] = root.find("table", "risks")
    [row] = table.find("tbody")[0].find("tr")
    cells = [cell.all_text() for cell in row.find("td")]
    assert cells[0] == 'webhook "New"' and cells[2] == "new_host"
    assert "new.example.com" in cells[3]


def test_an_in_sync_plan_is_all_green_and_exits_0(orsync: Orsync, fake: FakeApi) -> None:
    seed_plan(fake)
    orsync.write_config(
        "version: 1\nworkspaces:\n  - unmanaged: ignore\n    destinations:\n"
        "      - {name: Steady, type: webhook, privacy_mode: true,"
        " config: {url: 'https://steady.example.com/in'}}\n"
    )
    result = run(orsync, "plan", "html")
    assert result.code == 0, result.output
    root = parse(result.stdout)
    assert tiles(root) == [(f"workspace {DEFAULT_WORKSPACE_ID}", "in-sync", "in sync")]
    assert "No changes: live matches the config." in root.all_text()
    assert "The config has no policy: block." in " ".join(root.all_text().split())


def test_a_drifted_plan_exits_2(orsync: Orsync, fake: FakeApi) -> None:
    seed_plan(fake)
    orsync.write_config(IN_SYNC_CONFIG)
    result = run(orsync, "plan", "html")
    assert result.code == 2, result.output
    assert tiles(parse(result.stdout)) == [(f"workspace {DEFAULT_WORKSPACE_ID}", "drift", "drift")]


def test_hostile_names_show_as_text_not_markup() -> None:
    wanted = declared(HOSTILE, config={"url": "https://x.example.com/<img src=x>"})
    stray = live_item(f"{HOSTILE} 2", config={"url": URL, "<b>key</b>": "<i>v</i>"})
    page = render_html(plan_of([wanted], [stray]))
    root = parse(page)
    assert not root.find("script") and not root.find("img") and not root.find("b")
    titles = [c.find("h3")[0].all_text() for c in root.find("section", "change")]
    assert titles == [
        f"create webhook {show_value(HOSTILE)}",
        f"unmanaged webhook {show_value(HOSTILE + ' 2')}",
    ]
    assert "<script>alert(1)</script>" in root.all_text()
    assert "config.<b>key</b>" in root.all_text()


# audit ---------------------------------------------------------------------------------------


def test_audit_page_shows_a_tile_per_workspace_and_the_violations(
    orsync: Orsync, fake: FakeApi
) -> None:
    seed_audit(fake)
    orsync.write_config(AUDIT_CONFIG)
    result = run(orsync, "audit", "html", "--all-workspaces")
    assert result.code == 3, result.output
    root = parse(result.stdout)
    assert_self_contained(result.stdout, root)
    assert tiles(root) == [
        (f"workspace {DEFAULT_WORKSPACE_ID} (default) (Default Workspace)", "clean", "clean"),
        (f"workspace {WS_B} (team-b) (Team B)", "violations", "violations"),
    ]
    [summary] = root.find("p", "summary")
    assert summary.all_text() == (
        "Audited 2 workspaces (2 destinations): 2 policy violations (privacy_mode, required_types)."
    )
    [table] = root.find("table", "violations-table")
    rows = [[td.all_text() for td in row.find("td")] for row in table.find("tbody")[0].find("tr")]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("privacy_mode", f"workspace {WS_B}", '"leaky"'),
        ("required_types", f"workspace {WS_B}", "(the whole workspace)"),
    ]


def test_a_clean_audit_exits_0(orsync: Orsync, fake: FakeApi) -> None:
    seed_audit(fake)
    orsync.write_config(AUDIT_CONFIG)
    result = run(orsync, "audit", "html")
    assert result.code == 0, result.output
    root = parse(result.stdout)
    assert [status for _, status, _ in tiles(root)] == ["clean"]
    assert "No policy violations." in root.all_text()
