"""JUnit XML, shared by `plan --format junit` and `audit --format junit`, for CI test reports.

One `<testsuite>` per workspace, one `<testcase>` per destination (a `<failure>` for each thing
wrong with it), and one per workspace-wide policy rule (`required_types`). Test case names are
unique within their suite, since CI dashboards key results on classname and name: destinations
that share a name are told apart by their live id. The document is built
with ElementTree, which escapes markup; what XML 1.0 cannot hold at all (most control
characters, lone surrogates) is written visibly as an escape (`\\x01`), as are line breaks in
attributes, where a parser would turn them into spaces.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from orsync.findings import DestinationRef, Violation
from orsync.render.values import LINE_ESCAPES, escaped, show_value, workspace_label


@dataclass(frozen=True)
class Failure:
    """One thing wrong with a test case: `kind` is its `type` (an action such as `update`, or
    `policy`), `message` one line, `text` the details."""

    kind: str
    message: str
    text: str = ""


@dataclass
class _Case:
    name: str
    # The live id of the destination (None: a rule, or a destination not created yet).
    ident: str | None = None
    failures: list[Failure] = field(default_factory=list)
    # Why nothing was checked (None: the case ran).
    skipped: str | None = None


@dataclass
class _Suite:
    workspace_id: str | None
    label: str
    cases: dict[tuple[str, str | None], _Case] = field(default_factory=dict)


class JUnitReport:
    """Suites and cases gathered in the order they are named, then written as one document."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._suites: dict[str | None, _Suite] = {}
        # Suites of no workspace (what was not checked, and why).
        self._others: list[_Suite] = []

    def workspace(self, workspace_id: str | None, label: str | None = None) -> None:
        """Open the suite of a workspace (it keeps the first label given)."""
        if workspace_id not in self._suites:
            self._suites[workspace_id] = _Suite(
                workspace_id, label or workspace_label(workspace_id)
            )

    def destination(self, ref: DestinationRef, failures: Iterable[Failure] = ()) -> None:
        """The case of one destination, passing unless failures are given or added later."""
        case = self._case(ref.workspace_id, _destination_key(ref.id, ref.name), _title(ref))
        case.failures.extend(failures)

    def rule(self, workspace_id: str | None, rule: str) -> None:
        """The case of a policy rule checked once for the whole workspace."""
        self._case(workspace_id, ("rule", rule), f"policy {rule}")

    def skipped(self, suite: str, case: str, reason: str) -> None:
        """A suite of its own holding one case skipped for `reason`: a report that would
        otherwise hold no case at all says why, where CI dashboards show it."""
        skipped = _Suite(None, suite)
        skipped.cases[("skipped", case)] = _Case(case, skipped=reason)
        self._others.append(skipped)

    def violations(self, violations: Iterable[Violation]) -> None:
        """Each violation as a failure of its destination's case, or of its rule's case when
        it concerns the whole workspace; a case is opened for any not named yet."""
        for violation in violations:
            failure = Failure("policy", f"{violation.rule}: {violation.message}", violation.message)
            key: tuple[str, str | None]
            if violation.id is None and violation.name is None:
                self.rule(violation.workspace_id, violation.rule)
                key = ("rule", violation.rule)
            else:
                key = _destination_key(violation.id, violation.name)
                self._case(violation.workspace_id, key, _violation_title(violation))
            self._suites[violation.workspace_id].cases[key].failures.append(failure)

    def xml(self) -> str:
        """The whole document, indented, with its XML declaration."""
        suites = [*self._suites.values(), *self._others]
        root = ET.Element("testsuites", _attributes(name=self.title, **_counts(suites)))
        for suite in suites:
            root.append(_suite_element(suite))
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'

    def _case(self, workspace_id: str | None, key: tuple[str, str | None], name: str) -> _Case:
        self.workspace(workspace_id)
        cases = self._suites[workspace_id].cases
        return cases.setdefault(key, _Case(name, key[1] if key[0] == "id" else None))


def _destination_key(ident: str | None, name: str | None) -> tuple[str, str | None]:
    """A live destination by its id; a declared one not created yet by its name (unique in
    its workspace)."""
    return ("id", ident) if ident is not None else ("name", name)


def _title(ref: DestinationRef) -> str:
    """`webhook "Hook"`; `webhook (unnamed, id 1a2b...)`."""
    if ref.name is None:
        return f"{ref.type} (unnamed, id {ref.id})"
    return f"{ref.type} {show_value(ref.name)}"


def _violation_title(violation: Violation) -> str:
    if violation.name is None:
        return f"(unnamed, id {violation.id})"
    return show_value(violation.name)


def _counts(suites: Iterable[_Suite]) -> dict[str, str]:
    cases = [case for suite in suites for case in suite.cases.values()]
    failures = sum(len(case.failures) for case in cases)
    skipped = sum(case.skipped is not None for case in cases)
    return {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }


def _suite_element(suite: _Suite) -> ET.Element:
    counts = _counts([suite])
    element = ET.Element("testsuite", _attributes(name=suite.label, **counts))
    if suite.workspace_id is not None:
        properties = ET.SubElement(element, "properties")
        ET.SubElement(properties, "property", _attributes(name="workspace_id",
                                                          value=suite.workspace_id))  # fmt: skip
    cases = list(suite.cases.values())
    for case, name in zip(cases, _unique_names(cases), strict=True):
        attributes = {"name": name, "classname": xml_text(suite.label, one_line=True)}
        testcase = ET.SubElement(element, "testcase", attributes)
        if case.skipped is not None:
            ET.SubElement(testcase, "skipped", _attributes(message=case.skipped))
        for failure in case.failures:
            attributes = _attributes(type=failure.kind, message=failure.message)
            ET.SubElement(testcase, "failure", attributes).text = xml_text(failure.text)
    return element


def _unique_names(cases: Sequence[_Case]) -> list[str]:
    """The cases' names as written (escaped, as the XML holds them), a shared one followed by
    its live id: `webhook "dup" (id 1a2b...)`."""
    written = [xml_text(case.name, one_line=True) for case in cases]
    counts = Counter(written)
    return _numbered(
        [
            f"{name} (id {xml_text(case.ident, one_line=True)})"
            if counts[name] > 1 and case.ident is not None
            else name
            for name, case in zip(written, cases, strict=True)
        ]
    )


def _numbered(names: Iterable[str]) -> list[str]:
    """The names, any still met before (one that reads like another's with its id, say)
    followed by a number: `x`, `x (2)`."""
    unique: list[str] = []
    taken: set[str] = set()
    for name in names:
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name} ({number})"
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _attributes(**values: str) -> dict[str, str]:
    return {key: xml_text(value, one_line=True) for key, value in values.items()}


def xml_text(text: str, *, one_line: bool = False) -> str:
    """`text` with every character XML 1.0 cannot hold written as an escape; with `one_line`,
    line breaks and tabs too (an attribute would read them as spaces)."""
    return "".join(_xml_char(char, one_line) for char in text)


def _xml_char(char: str, one_line: bool) -> str:
    if char in LINE_ESCAPES and (one_line or char == "\r"):
        # A parser reads `\r\n` in text as `\n`: shown, so that what is read is what was sent.
        return LINE_ESCAPES[char]
    return char if _allowed(ord(char)) else escaped(char)


def _allowed(code: int) -> bool:
    """XML 1.0's Char production."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
