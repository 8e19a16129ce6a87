"""`--format markdown`: the plan as a pull-request comment.

The summary line first, then one table of every change, with its risk flags; the policy
violations (with a `policy:` block) as a table; a collapsed `<details>` per destination
with its fields; the warnings collapsed. Whatever comes from the config or live (names, types,
ids, paths, values, warnings) is written only inside a code span or a `<code>` element, and
escaped for it, so that it can break neither the table nor the layout, and cannot inject HTML,
markdown, links or @-mentions. The comment stays within a size limit, since GitHub refuses a
comment over 65,536 characters: past it, parts are left out and the comment says which,
the summary line and the table of changes kept first.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from orsync import defaults
from orsync.findings import Violation, counted, violations_summary
from orsync.plan import Action, Change, Plan
from orsync.render.text import summary_line
from orsync.render.values import LINE_ESCAPES, change_rows, escaped
from orsync.sensitive import redact

GITHUB_COMMENT_LIMIT = 65_536
# Field paths a table row names before it shortens the list with "…".
FIELDS_IN_TABLE = 3
_TABLE_HEAD = (
    "| action | workspace | name | type | changed fields | risks |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
)
_WARNINGS_OPEN = "<details><summary>Warnings ({count})</summary>\n\n"
_DETAILS_CLOSE = "\n</details>\n\n"
_NOT_FIELDS = {
    Action.CREATE: "*new destination*",
    Action.DELETE: "*all (deleted)*",
    Action.UNMANAGED: "*not in the config*",
}
# Characters that would end a line, or reorder what a reviewer reads (bidirectional controls).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def render_markdown(plan: Plan, *, limit: int = defaults.MARKDOWN_LIMIT) -> str:
    """The plan as markdown of at most `limit` characters (as long as the summary line and
    the note of what was left out fit in it)."""
    violations = plan.violations or ()
    comment = _Comment(
        head=_head(plan),
        table=_Part([_table_row(c) for c in plan.changes], _TABLE_HEAD, "\n"),
        violations=_Part(
            [_violation_row(v) for v in violations], _violations_head(violations), "\n"
        ),
        details=_Part([_details(c) for c in plan.changes]),
        warnings=_Part(
            [f"- {_code(redact(w))}\n" for w in plan.warnings],
            _WARNINGS_OPEN.format(count=len(plan.warnings)),
            _DETAILS_CLOSE,
        ),
    )
    return comment.within(limit)


# Escaping ----------------------------------------------------------------------------------


def _visible(text: str) -> str:
    """The text on one line, with line breaks, control and bidirectional characters shown as
    escapes: they could end a table row or a code span, or disguise what a reviewer reads."""
    return "".join(_visible_char(c) for c in text)


def _visible_char(char: str) -> str:
    if char in LINE_ESCAPES:
        return LINE_ESCAPES[char]
    if char in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
        return escaped(char)
    return char


def _code(text: str, *, in_table: bool = False) -> str:
    """A markdown code span showing `text` as it is. Inside one, markdown and HTML are inert;
    the fence is longer than any backtick run in the text; in a table, pipes are escaped (the
    table is split on them before the code span is read, and unescaped after)."""
    text = _visible(text)
    if not text:
        return "*(empty)*"
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    # One space each side is dropped when both are there: so pad when the text has an edge
    # that the fence would swallow or strip.
    if text.strip(" ") and (text[0] in " `" or text[-1] in " `"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _html_code(text: str) -> str:
    """`text` in a `<code>` element of an HTML block (a `<summary>`), where markdown is not
    read: HTML escaping is the whole job."""
    return f"<code>{html.escape(_visible(text))}</code>"


# Parts -------------------------------------------------------------------------------------


def _head(plan: Plan) -> str:
    if plan.in_sync and plan.workspaces:
        head = f"**No changes.** Live destinations match {_code(plan.config_path)}.\n\n"
    else:  # with no workspace planned, the summary says that nothing was
        head = f"**{summary_line(plan)}**\n\n"
    if plan.violations is not None and not plan.violations and plan.workspaces:
        head += "**No policy violations.**\n\n"
    return head


def _violations_head(violations: Sequence[Violation]) -> str:
    """The heading of the table of policy violations (rule, workspace, destination, message)."""
    return (
        f"#### {_visible(violations_summary(violations))}\n\n"
        "| rule | workspace | destination | message |\n| --- | --- | --- | --- |\n"
    )


def _violation_row(violation: Violation) -> str:
    cells = [
        _code(violation.rule, in_table=True),
        _code(violation.workspace_id, in_table=True) if violation.workspace_id else "default",
        _code(violation.name, in_table=True) if violation.name is not None else "",
        _code(violation.message, in_table=True),
    ]
    return f"| {' | '.join(cells)} |\n"


def _table_row(change: Change) -> str:
    workspace = _code(change.workspace_id, in_table=True) if change.workspace_id else "default"
    cells = [
        change.action.value,
        workspace,
        _name(change, in_table=True),
        _code(change.type, in_table=True),
        _changed_fields(change),
        "<br>".join(f"! {_code(r.kind, in_table=True)}: {_code(r.message, in_table=True)}"
                    for r in change.risks),
    ]  # fmt: skip
    return f"| {' | '.join(cells)} |\n"


def _name(change: Change, *, in_table: bool = False) -> str:
    return "*(unnamed)*" if change.name is None else _code(change.name, in_table=in_table)


def _changed_fields(change: Change) -> str:
    if change.action in _NOT_FIELDS:
        return _NOT_FIELDS[change.action]
    paths = [_code(f.path, in_table=True) for f in change.fields]
    if len(paths) <= FIELDS_IN_TABLE:
        return ", ".join(paths)
    shown = ", ".join(paths[:FIELDS_IN_TABLE])
    return f"{shown}, … (+{len(paths) - FIELDS_IN_TABLE})"


def _details(change: Change) -> str:
    name = "(unnamed)" if change.name is None else _html_code(change.name)
    workspace = _html_code(change.workspace_id) if change.workspace_id else "default workspace"
    summary = (
        f"<details><summary><b>{change.action.value}</b> {name} "
        f"({_html_code(change.type)}, {workspace})</summary>\n\n"
    )
    return summary + _facts(change) + "".join(_field_table(change)) + _DETAILS_CLOSE


def _facts(change: Change) -> str:
    """One line: where it is declared, its id, and when it last changed live."""
    facts = []
    if change.source:
        old_half = change.action is Action.DELETE
        label = "the old half of a replace declared at" if old_half else "declared at"
        facts.append(f"{label} {_code(change.source)}")
    elif change.action is not Action.CREATE:
        facts.append("not in the config")
    if change.id:
        facts.append(f"id {_code(change.id)}")
    if change.live_updated_at is not None:
        facts.append(f"last changed live {_code(change.live_updated_at)}")
    return " · ".join(facts) + "\n"


def _field_table(change: Change) -> Iterator[str]:
    """The fields as the text format shows them (the same masks for secrets)."""
    rows = list(_field_rows(change))
    if not rows:
        return
    removal = change.action in (Action.DELETE, Action.UNMANAGED)
    yield f"\n| field | {'live value' if removal else 'change'} |\n| --- | --- |\n"
    for path, text in rows:
        yield f"| {_code(path, in_table=True)} | {_code(text, in_table=True)} |\n"


def _field_rows(change: Change) -> Iterator[tuple[str, str]]:
    """The text plan's rows as `(path, text)`: a change shown as is, an addition or removal
    marked `+` or `-`."""
    for mark, path, text in change_rows(change):
        yield path, text if mark in ("~", " ") else f"{mark} {text}"


# The size limit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """Items of the comment (each ending with its own line break), cut from the end when room
    runs out; `opening` and `closing` are written around the items kept, if any."""

    items: Sequence[str]
    opening: str = ""
    closing: str = ""

    def text(self, kept: int) -> str:
        if not kept:
            return ""
        return self.opening + "".join(self.items[:kept]) + self.closing

    def fit(self, budget: int) -> tuple[int, int]:
        """How many of the first items fit in `budget` (the opening and closing paid once if
        any does), and the budget left."""
        overhead = len(self.opening) + len(self.closing)
        if not self.items or len(self.items[0]) + overhead > budget:
            return 0, budget
        budget -= overhead
        count = 0
        for item in self.items:
            if len(item) > budget:
                break
            budget -= len(item)
            count += 1
        return count, budget


@dataclass(frozen=True)
class _Kept:
    """How many items of each part a comment keeps."""

    table: int
    violations: int
    details: int
    warnings: int


@dataclass(frozen=True)
class _Comment:
    """The parts of the comment, in the order they are written (after the head, the note)."""

    head: str
    table: _Part
    violations: _Part
    details: _Part
    warnings: _Part

    def within(self, limit: int) -> str:
        """All of it when it fits in `limit`; else the head and a note of what was left out,
        then, as room allows, table rows, violations, warnings and details, each in the plan's
        order: what a reviewer needs first is kept first."""
        everything = _Kept(*(len(p.items) for p in self.parts()))
        whole = self.assemble(everything, note="")
        if len(whole) <= limit:
            return whole
        budget = limit - len(self.head) - len(self.note(self.longest_cut()))
        table, budget = self.table.fit(budget)
        violations, budget = self.violations.fit(budget)
        warnings, budget = self.warnings.fit(budget)
        details, _ = self.details.fit(budget)
        kept = _Kept(table, violations, details, warnings)
        return self.assemble(kept, note=self.note(kept))

    def parts(self) -> tuple[_Part, _Part, _Part, _Part]:
        return self.table, self.violations, self.details, self.warnings

    def assemble(self, kept: _Kept, *, note: str) -> str:
        counts = (kept.table, kept.violations, kept.details, kept.warnings)
        texts = [part.text(count) for part, count in zip(self.parts(), counts, strict=True)]
        return "".join([self.head, note, *texts]).rstrip("\n") + "\n"

    def note(self, kept: _Kept) -> str:
        """What was left out, given what is kept."""
        rows, violations = len(self.table.items), len(self.violations.items)
        details, warnings = len(self.details.items), len(self.warnings.items)
        cut = []
        if kept.table == 0 < rows:
            cut.append(f"the table of {counted(rows, 'change')} left out")
        elif kept.table < rows:
            cut.append(f"the table lists the first {kept.table} of {rows} changes")
        if kept.violations < violations:
            left_out = violations - kept.violations
            cut.append(f"{left_out} of {counted(violations, 'policy violation')} left out")
        if kept.details < details:
            cut.append(f"details of {counted(details - kept.details, 'destination')} left out")
        if kept.warnings < warnings:
            left_out = warnings - kept.warnings
            cut.append(f"{left_out} of {counted(warnings, 'warning')} left out")
        return (
            f"> **Shortened**: {'; '.join(cut)}: the comment would pass GitHub's "
            f"{GITHUB_COMMENT_LIMIT:,}-character limit; run `orsync plan` for the whole plan.\n\n"
        )

    def longest_cut(self) -> _Kept:
        """What to keep for a note at least as long as any `note`: the same parts, the
        longest numbers."""
        return _Kept(max(len(self.table.items) - 1, 0), 0, 0, 0)
