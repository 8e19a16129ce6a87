"""`--format markdown`: the plan as a pull-request comment.

The summary line first, then the policy violations (with a `policy:` block); one table of
every change, with its risk flags; a collapsed `<details>` per destination
with its fields; the warnings collapsed. Whatever comes from the config or live (names, types,
ids, paths, values, warnings) is written only inside a code span or a `<code>` element, and
escaped for it, so that it can break neither the table nor the layout, and cannot inject HTML,
markdown, links or @-mentions. The comment stays within a size limit, since GitHub refuses a
comment over 65,536 characters: past it, parts are left out and the comment says which.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from orsync import defaults
from orsync.findings import Violation, violations_summary
from orsync.plan import Action, Change, Plan
from orsync.render.text import summary_line
from orsync.render.values import field_rows, show_single, worth_showing_when_removed
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
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def render_markdown(plan: Plan, *, limit: int = defaults.MARKDOWN_LIMIT) -> str:
    """The plan as markdown of at most `limit` characters (as long as the summary line and
    the note of what was left out fit in it)."""
    comment = _Comment(
        head=_head(plan),
        rows=[_table_row(c) for c in plan.changes],
        details=[_details(c) for c in plan.changes],
        warnings=[f"- {_code(redact(w))}\n" for w in plan.warnings],
    )
    return comment.within(limit)


# Escaping ----------------------------------------------------------------------------------


def _visible(text: str) -> str:
    """The text on one line, with line breaks, control and bidirectional characters shown as
    escapes: they could end a table row or a code span, or disguise what a reviewer reads."""
    return "".join(_visible_char(c) for c in text)


def _visible_char(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if char in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
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
    if plan.in_sync:
        head = f"**No changes.** Live destinations match {_code(plan.config_path)}.\n\n"
    else:
        head = f"**{summary_line(plan)}**\n\n"
    if plan.violations is not None:
        head += _violations(plan.violations)
    return head


def _violations(violations: Sequence[Violation]) -> str:
    """The policy violations as a table: rule, workspace, destination, message."""
    if not violations:
        return "**No policy violations.**\n\n"
    lines = [
        f"#### {_visible(violations_summary(violations))}\n\n",
        "| rule | workspace | destination | message |\n| --- | --- | --- | --- |\n",
    ]
    for violation in violations:
        cells = [
            _code(violation.rule, in_table=True),
            _code(violation.workspace_id, in_table=True) if violation.workspace_id else "default",
            _code(violation.name, in_table=True) if violation.name is not None else "",
            _code(violation.message, in_table=True),
        ]
        lines.append(f"| {' | '.join(cells)} |\n")
    return "".join(lines) + "\n"


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
    for field in change.fields:
        if change.action is Action.CREATE:
            yield field.path, f"+ {show_single(field, field.after)}"
        elif change.action in (Action.UPDATE, Action.REPLACE):
            for mark, path, text in field_rows(field):
                yield path, text if mark == "~" else f"{mark} {text}"
        elif worth_showing_when_removed(field):
            yield field.path, show_single(field, field.before)


# The size limit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Comment:
    """The parts of the comment, each item ending with its own line break."""

    head: str
    rows: Sequence[str]
    details: Sequence[str]
    warnings: Sequence[str]

    def within(self, limit: int) -> str:
        """All of it when it fits in `limit`; else the head and a note of what was left out,
        then, as room allows, table rows, warnings and details, each in the plan's order."""
        whole = self.assemble(len(self.rows), len(self.details), len(self.warnings), note="")
        if len(whole) <= limit:
            return whole
        budget = limit - len(self.head) - len(self.longest_note())
        rows, budget = _prefix(self.rows, budget, overhead=len(_TABLE_HEAD) + 1)
        warnings, budget = _prefix(self.warnings, budget, overhead=self._warnings_overhead())
        details, _ = _prefix(self.details, budget, overhead=0)
        note = self.note(rows, len(self.details) - details, warnings)
        return self.assemble(rows, details, warnings, note=note)

    def assemble(self, rows: int, details: int, warnings: int, *, note: str) -> str:
        parts = [self.head, note]
        if rows:
            parts += [_TABLE_HEAD, *self.rows[:rows], "\n"]
        parts += self.details[:details]
        if warnings:
            parts += [_WARNINGS_OPEN.format(count=len(self.warnings))]
            parts += [*self.warnings[:warnings], _DETAILS_CLOSE]
        return "".join(parts).rstrip("\n") + "\n"

    def note(self, rows: int, details_cut: int, warnings: int) -> str:
        """What was left out, given what is kept: `rows` and `warnings` kept, `details_cut`."""
        cut = []
        if rows == 0 < len(self.rows):
            cut.append(f"the table of {_count(len(self.rows), 'change')} left out")
        elif rows < len(self.rows):
            cut.append(f"the table lists the first {rows} of {len(self.rows)} changes")
        if details_cut:
            cut.append(f"details of {_count(details_cut, 'destination')} left out")
        if warnings < len(self.warnings):
            left_out = len(self.warnings) - warnings
            cut.append(f"{left_out} of {_count(len(self.warnings), 'warning')} left out")
        return (
            f"> **Shortened**: {'; '.join(cut)}: the comment would pass GitHub's "
            f"{GITHUB_COMMENT_LIMIT:,}-character limit; run `orsync plan` for the whole plan.\n\n"
        )

    def longest_note(self) -> str:
        """A note at least as long as any `note` (the same parts, the longest numbers)."""
        return self.note(max(len(self.rows) - 1, 0), len(self.details), 0)

    def _warnings_overhead(self) -> int:
        return len(_WARNINGS_OPEN.format(count=len(self.warnings))) + len(_DETAILS_CLOSE)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _prefix(items: Sequence[str], budget: int, *, overhead: int) -> tuple[int, int]:
    """How many of the first `items` fit in `budget` (with `overhead` paid once if any do),
    and the budget left."""
    if not items or len(items[0]) + overhead > budget:
        return 0, budget
    budget -= overhead
    count = 0
    for item in items:
        if len(item) > budget:
            break
        budget -= len(item)
        count += 1
    return count, budget
