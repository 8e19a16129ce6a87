"""`plan --format junit` and `audit --format junit`: read back with junitparser, as CI does."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

from builders import URL, live_item, plan_of
from conftest import ROOT, Orsync
from fake_api import DEFAULT_WORKSPACE_ID, FakeApi
from hypothesis import given
from hypothesis import strategies as st
from junitparser import Failure, JUnitXml
from report_scenarios import (
    AUDIT_CONFIG,
    DECLARED_TOKEN,
    HOSTILE,
    IN_SYNC_CONFIG,
    PLAN_CONFIG,
    WS_B,
    hook,
    planned,
    run,
    seed_audit,
    seed_plan,
)

from orsync.findings import DestinationRef, Violation
from orsync.render.junit import render_junit
from orsync.render.junit_xml import JUnitReport, xml_text
from orsync.render.text import render_text
from orsync.render.values import show_value

DEFAULT_SUITE = f"workspace {DEFAULT_WORKSPACE_ID}"

Cases = dict[str, list[tuple[str, str, str]]]


def cases_of(document: str) -> dict[str, Cases]:
    """Suite name -> case name -> its failures as (type, message, text)."""
    parsed = JUnitXml.fromstring(document)
    found: dict[str, Cases] = {}
    for suite in parsed:
        names = [str(case.name) for case in suite]
        # CI dashboards key results on classname and name: a name met twice merges two cases.
        assert len(set(names)) == len(names), f"case names repeat in {suite.name}: {names}"
        cases: Cases = {}
        for case in suite:
            failures = [r for r in case.result if isinstance(r, Failure)]
            cases[str(case.name)] = [(f.type or "", f.message or "", f.text or "")
                                     for f in failures]  # fmt: skip
            assert case.classname == suite.name
        found[str(suite.name)] = cases
        assert suite.tests == len(cases)
        assert suite.failures == sum(len(f) for f in cases.values())
    return found


def types(failures: list[tuple[str, str, str]]) -> list[str]:
    return [kind for kind, _, _ in failures]


def failure_types(document: str) -> dict[str, dict[str, list[str]]]:
    """Suite name -> case name -> the types of its failures."""
    return {
        name: {case: types(failures) for case, failures in cases.items()}
        for name, cases in cases_of(document).items()
    }


# plan ----------------------------------------------------------------------------------------


def test_plan_has_a_case_per_destination_and_a_failure_per_drift_and_violation(
    orsync: Orsync, fake: FakeApi
) -> None:
    result = planned(orsync, fake, "junit")
    suites = cases_of(result.stdout)
    assert list(suites) == [DEFAULT_SUITE]
    cases = suites[DEFAULT_SUITE]
    assert {name: types(failures) for name, failures in cases.items()} == {
        'webhook "Drifted"': ["update"],
        'webhook "New"': ["create", "policy"],
        'webhook "Stray"': ["unmanaged", "policy"],
        'webhook "Steady"': [],
        "policy required_types": ["policy"],
    }
    [(_, message, text)] = cases['webhook "Drifted"']
    assert message == "update: will be updated in place"
    assert "~ config.headers.Authorization = (sensitive) " in text
    _, (_, rule_message, _) = cases['webhook "Stray"']
    assert rule_message.startswith(f"privacy_mode: {DEFAULT_SUITE}: webhook 'Stray' (live")
    [(_, missing, _)] = cases["policy required_types"]
    assert "no enabled destination of type 's3'" in missing


def test_plan_field_rows_are_those_of_the_text_format(orsync: Orsync, fake: FakeApi) -> None:
    """Secrets are masked as the text plan masks them: the same rows, word for word."""
    seed_plan(fake)
    orsync.write_config(PLAN_CONFIG)
    text = orsync("plan", env={"HOOK_TOKEN": DECLARED_TOKEN}).stdout
    document = run(orsync, "plan", "junit").stdout
    rows = [
        line
        for failures in cases_of(document)[DEFAULT_SUITE].values()
        for kind, _, body in failures
        if kind != "policy"
        for line in body.splitlines()
        if line[:2] in ("~ ", "+ ", "- ", "  ")
    ]
    assert any("(sensitive)" in row for row in rows)
    text_lines = [" ".join(line.split()) for line in text.splitlines()]
    for row in rows:
        assert " ".join(row.split()) in text_lines, row


def test_plan_exit_codes_are_those_of_the_text_format(orsync: Orsync, fake: FakeApi) -> None:
    seed_plan(fake)
    orsync.write_config(IN_SYNC_CONFIG.replace("Steady", "Gone"))
    assert run(orsync, "plan", "junit").code == 2
    orsync.write_config(PLAN_CONFIG)
    assert run(orsync, "plan", "junit").code == 3


def test_an_in_sync_plan_passes(orsync: Orsync, fake: FakeApi) -> None:
    fake.add_destination({"name": "Steady", "type": "webhook", "privacy_mode": True,
                          "config": {"url": "https://steady.example.com/in"}})  # fmt: skip
    orsync.write_config(IN_SYNC_CONFIG)
    result = run(orsync, "plan", "junit")
    assert result.code == 0, result.output
    assert cases_of(result.stdout) == {DEFAULT_SUITE: {'webhook "Steady"': []}}


def test_the_json_plan_does_not_list_unchanged_destinations(orsync: Orsync, fake: FakeApi) -> None:
    seed_plan(fake)
    orsync.write_config(PLAN_CONFIG)
    document = run(orsync, "plan", "json").stdout
    assert "Steady" not in document
    assert '"unchanged": 1' in document


def test_plan_cases_of_destinations_sharing_a_name_are_told_apart_by_id(
    orsync: Orsync, fake: FakeApi
) -> None:
    fake.add_destination(hook("Steady", privacy_mode=True))
    first = fake.add_destination(hook("dup"))
    second = fake.add_destination(hook("dup"))
    orsync.write_config(IN_SYNC_CONFIG)
    result = run(orsync, "plan", "junit")
    assert result.code == 2, result.output
    [cases] = cases_of(result.stdout).values()
    assert {name: types(failures) for name, failures in cases.items()} == {
        'webhook "Steady"': [],
        f'webhook "dup" (id {first["id"]})': ["unmanaged"],
        f'webhook "dup" (id {second["id"]})': ["unmanaged"],
    }


def test_a_name_shared_with_a_destination_to_create_keeps_the_plain_name_for_it() -> None:
    """A declared destination pinned by an id gone live is created; a live one of its name
    is left unmanaged: the one without a live id keeps the plain name."""
    report = JUnitReport("t")
    report.destination(DestinationRef("ws", "dup", "webhook", None))
    report.destination(DestinationRef("ws", "dup", "webhook", "id-1"))
    [suite] = JUnitXml.fromstring(report.xml())
    assert [case.name for case in suite] == ['webhook "dup"', 'webhook "dup" (id id-1)']


def test_names_that_only_their_escapes_tell_apart_are_numbered() -> None:
    """Ids of a hostile API that differ by a control character and its escape read alike."""
    report = JUnitReport("t")
    report.destination(DestinationRef("ws", None, "webhook", "a\x01"))
    report.destination(DestinationRef("ws", None, "webhook", "a\\x01"))
    [suite] = JUnitXml.fromstring(report.xml())
    assert [case.name for case in suite] == [
        "webhook (unnamed, id a\\x01) (id a\\x01)",
        "webhook (unnamed, id a\\x01) (id a\\x01) (2)",
    ]


REFS = st.builds(
    DestinationRef,
    st.sampled_from(["ws-1", "ws-2"]),
    st.none() | st.sampled_from(["dup", "a", 'dup" (id 1', "\x01", "\\x01"]),
    st.sampled_from(["webhook", 'webhook "dup"', "s3"]),
    st.none() | st.sampled_from(["1", "2", "\x01", "\\x01"]),
)


@given(st.lists(REFS, max_size=12))
def test_case_names_are_unique_in_every_suite(refs: list[DestinationRef]) -> None:
    report = JUnitReport("t")
    for ref in refs:
        report.destination(ref)
    cases_of(report.xml())  # asserts the names unique and the counts right


# hostile text --------------------------------------------------------------------------------


def test_hostile_names_keys_and_messages_stay_well_formed() -> None:
    stray = live_item(HOSTILE, config={"url": URL, "k\x01<]]>\x7f\r": "v"})
    plan = plan_of([], [stray])
    document = render_junit(plan)
    ET.fromstring(document)  # well-formed
    [suite] = cases_of(document).values()
    [(name, [(kind, _, text)])] = suite.items()
    assert name == f"webhook {show_value(HOSTILE)}"
    assert kind == "unmanaged"
    assert '  config.k\\x01<]]>\x7f\\r = "v"' in text.splitlines()


def test_control_characters_in_attributes_are_shown_not_dropped() -> None:
    report = JUnitReport("t")
    message = "line one\nline two\x1b[31m\ttab"
    report.violations([Violation("privacy_mode", "ws\x00", "na\x0bme", "id-1", message)])
    document = report.xml()
    [suite] = JUnitXml.fromstring(document)
    assert suite.name == "workspace ws\\x00"
    [case] = suite
    assert case.name == '"na\\u000bme"'
    [failure] = case.result
    assert failure.message == "privacy_mode: line one\\nline two\\x1b[31m\\ttab"
    # The text keeps its line breaks and tabs: they are XML.
    assert failure.text == "line one\nline two\\x1b[31m\ttab"


def test_xml_text_escapes_only_what_xml_cannot_hold() -> None:
    assert xml_text("a<&>\"'é\u2028") == "a<&>\"'é\u2028"
    assert xml_text("\x00\x08\x1f\ufffe\uffff\udfff") == "\\x00\\x08\\x1f\\ufffe\\uffff\\udfff"
    assert xml_text("a\nb\tc\rd") == "a\nb\tc\\rd"
    assert xml_text("a\nb\tc\rd", one_line=True) == "a\\nb\\tc\\rd"


def test_a_violation_of_a_destination_not_listed_opens_its_case() -> None:
    report = JUnitReport("t")
    report.destination(DestinationRef("ws", "Known", "webhook", "id-1"))
    report.violations([Violation("privacy_mode", "ws", None, "id-2", "m")])
    [suite] = JUnitXml.fromstring(report.xml())
    assert [(c.name, len(c.result)) for c in suite] == [
        ('webhook "Known"', 0),
        ("(unnamed, id id-2)", 1),
    ]


# audit ---------------------------------------------------------------------------------------


def test_audit_has_a_suite_per_workspace_and_a_case_per_destination_and_rule(
    orsync: Orsync, fake: FakeApi
) -> None:
    seed_audit(fake)
    orsync.write_config(AUDIT_CONFIG)
    result = run(orsync, "audit", "junit", "--all-workspaces")
    assert result.code == 3, result.output
    assert "Error: 2 policy violations (privacy_mode, required_types) in live state" in (
        result.stderr
    )
    suites = failure_types(result.stdout)
    assert suites == {
        f"workspace {DEFAULT_WORKSPACE_ID} (default) 'Default Workspace'": {
            'webhook "base"': [],
            "policy required_types": [],
        },
        f"workspace {WS_B} (team-b) 'Team B'": {
            'webhook "leaky"': ["policy"],
            "policy required_types": ["policy"],
        },
    }


def test_audit_cases_of_destinations_sharing_a_name_are_told_apart_by_id(
    orsync: Orsync, fake: FakeApi
) -> None:
    seed_audit(fake)
    first = fake.add_destination(hook("dup"))
    second = fake.add_destination(hook("dup", privacy_mode=True))
    fake.add_destination(hook("dup"), WS_B)
    orsync.write_config(AUDIT_CONFIG)
    result = run(orsync, "audit", "junit", "--all-workspaces")
    assert result.code == 3, result.output
    suites = failure_types(result.stdout)
    assert suites == {
        f"workspace {DEFAULT_WORKSPACE_ID} (default) 'Default Workspace'": {
            'webhook "base"': [],
            f'webhook "dup" (id {first["id"]})': ["policy"],
            f'webhook "dup" (id {second["id"]})': [],
            "policy required_types": [],
        },
        # Alone in its workspace: the plain name.
        f"workspace {WS_B} (team-b) 'Team B'": {
            'webhook "leaky"': ["policy"],
            'webhook "dup"': ["policy"],
            "policy required_types": [],
        },
    }


def test_a_clean_audit_passes_and_exits_0(orsync: Orsync, fake: FakeApi) -> None:
    seed_audit(fake)
    orsync.write_config(AUDIT_CONFIG)
    result = run(orsync, "audit", "junit")
    assert result.code == 0, result.output
    [cases] = cases_of(result.stdout).values()
    assert cases == {'webhook "base"': [], "policy required_types": []}


def test_without_a_workspace_rule_there_is_no_rule_case(orsync: Orsync, fake: FakeApi) -> None:
    seed_audit(fake)
    orsync.write_config("version: 1\npolicy:\n  privacy_mode: required\n")
    result = run(orsync, "audit", "junit")
    assert result.code == 0, result.output
    [cases] = cases_of(result.stdout).values()
    assert cases == {'webhook "base"': []}


# start-up ------------------------------------------------------------------------------------


def test_the_text_and_junit_formats_do_not_import_jinja() -> None:
    code = (
        "import sys, orsync.cli, orsync.render.text, orsync.render.junit, orsync.render.audit_junit"
        "\nassert 'jinja2' not in sys.modules, 'jinja2 imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert render_text(plan_of([], [])).startswith("No changes.")
