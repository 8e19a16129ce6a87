"""Live state -> config file text that plans clean against it. Pure: no I/O, no clock.

What the text holds, and why (README.md, Onboarding; docs/config.md, Files written by
`orsync export`):

- Only what differs from the API's defaults: a field or `config` key left out takes its default
  again when the file is read, and `regions` and `config` keys are compared only when declared.
- Secrets as the API showed them (`--secrets pin`: the mask, which the loader takes as a pin) or
  as `${VAR}` placeholders (`--secrets env`); a secret the API returned in clear (a Sentry DSN, a
  URL's password) is written as `masking.mask_for_file` makes it, never in clear.
- Every string is written so that the loader reads it back as it is: `${` doubled (`$${`), and
  text that a YAML reader could take for a number, boolean or null quoted.
- A destination is matched by name; one without a usable name, or sharing its name with another,
  is pinned by `id` instead. Names in a file are unique, so such a destination gets a name of the
  file's own, and `ignore: [name]` keeps that name from being compared (and applied).
- The same live state gives the same bytes: workspaces by id (the key's default one first),
  destinations by name then id, fields and `config` keys in the type table's order, every other
  mapping by key, sets (`api_key_hashes`, `regions`) sorted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orsync.destination_types import (
    FIELD_DEFAULTS,
    HEADERS_KEY,
    REGIONS,
    REGIONS_DEFAULT,
    TYPES,
    ConfigKey,
)
from orsync.export_secrets import SecretsMode, SecretWriter, literal
from orsync.model import LiveDestination, LiveState, LiveWorkspace, Secret
from orsync.normalize import filter_rules_without_defaults, normalize_field, normalize_value
from orsync.sensitive import has_secret
from orsync.yamltext import comment_lines, dump_block, indent

_COMMENT_WIDTH = 96


@dataclass(frozen=True)
class ExportHeader:
    """What the header comment says: when, and from where. Never the key."""

    written_at: datetime
    origin: str  # "the API at https://..." or "the snapshot FILE"


@dataclass(frozen=True)
class ExportedConfig:
    """The file's text, the placeholders it holds, and what was left out of it."""

    text: str
    workspaces: int
    destinations: int
    variables: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def api_origin(base_url: str) -> str:
    """The header's words for a live state read from the API at `base_url` (which holds no
    credentials: the client refuses such a base URL before reading)."""
    return f"the API at {base_url.rstrip('/')}"


def snapshot_origin(path: str) -> str:
    """The header's words for a live state read from the snapshot at `path`."""
    return f"the snapshot {path}"


def export_config(
    live: LiveState,
    header: ExportHeader,
    secrets: SecretsMode,
    slugs: Mapping[str, str] | None = None,
) -> ExportedConfig:
    """The config file text declaring every live destination of `live`, as it is. `slugs`
    (workspace id: slug, where known) name the placeholders of `--secrets env`."""
    notes: list[str] = []
    workspaces = _distinct_workspaces(live.workspaces, notes)
    writer = SecretWriter(secrets, dict(slugs or {}))
    lines = _header_lines(header, workspaces, secrets)
    lines += ["version: 1", "workspaces:"]
    for workspace in workspaces:
        lines += _workspace_lines(workspace, writer, notes)
    count = sum(len(w.destinations) for w in workspaces)
    text = "\n".join(lines) + "\n"
    return ExportedConfig(text, len(workspaces), count, tuple(writer.variables), tuple(notes))


# Workspaces ---------------------------------------------------------------------------------


def _distinct_workspaces(
    workspaces: Iterable[LiveWorkspace], notes: list[str]
) -> list[LiveWorkspace]:
    """Each workspace once, the key's default first, then by id.

    The default workspace asked for beside its own id would be declared twice, which the
    loader refuses: it is written once, by its id.
    """
    by_id: dict[str | None, LiveWorkspace] = {}
    for workspace in workspaces:
        by_id.setdefault(workspace.id, workspace)
    default = by_id.get(None)
    default_id = default.known_id if default is not None else None
    if default_id is not None and default_id in by_id:
        notes.append(
            f"the key's default workspace is {default_id}, also asked for by its id: "
            "written once, by its id"
        )
        del by_id[None]
    return sorted(by_id.values(), key=lambda w: (w.id is not None, w.id or ""))


def _workspace_lines(workspace: LiveWorkspace, writer: SecretWriter, notes: list[str]) -> list[str]:
    lines: list[str] = []
    if workspace.id is None:
        known = workspace.known_id
        lines += comment_lines(f"the key's default workspace{f' ({known})' if known else ''}", 2)
        opening = "  - destinations:"
    else:
        lines.append(indent(dump_block([{"id": workspace.id}]), 2))
        opening = "    destinations:"
    entries = _entries(workspace.destinations)
    if not entries:
        return [*lines, opening + " []"]
    lines.append(opening)
    for entry in entries:
        writer.start(workspace.id, entry.name)
        mapping, left_out = _destination(entry, writer)
        for key in left_out:
            notes.append(
                f"{entry.live.type} {entry.live.id}: config.{key} left out "
                f"(not a key orsync knows of {entry.live.type}, or not a single value)"
            )
        lines += [
            line for text in _entry_comments(entry, left_out) for line in comment_lines(text, 6)
        ]
        lines.append(indent(dump_block([mapping]), 6))
    return lines


# Names and pins -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A live destination and how the file names it."""

    live: LiveDestination
    name: str
    # Why it is pinned by `id`, for the comment above it ("": it is matched by name).
    reason: str = ""

    @property
    def pinned(self) -> bool:
        return bool(self.reason)

    @property
    def ignore_name(self) -> bool:
        """The file's name is not the live one: not compared, never applied."""
        return self.name != self.live.name


def _usable_name(name: str | None) -> str | None:
    """The live name, when the loader accepts it as one (text holding more than blanks)."""
    return name if name is not None and name.strip() else None


def _entries(destinations: Sequence[LiveDestination]) -> list[_Entry]:
    """The destinations by name then id, each with its name in the file."""
    ordered = sorted(destinations, key=lambda d: (d.name or "", d.id))
    counts = Counter(_usable_name(d.name) for d in ordered)
    taken = {name for name in counts if name is not None}
    entries: list[_Entry] = []
    written: set[str] = set()  # shared names written once already
    for live in ordered:
        name = _usable_name(live.name)
        if name is None:
            own = _fresh_name(f"(unnamed {live.type} {live.id[:8]})", taken)
            entries.append(_Entry(live, own, "no name live: the name below is this file's own"))
        elif counts[name] > 1:
            reason = f"{counts[name]} live destinations are named {name!r}"
            if name not in written:
                written.add(name)
                entries.append(_Entry(live, name, reason))
            else:
                own = _fresh_name(name, taken)
                entries.append(_Entry(live, own, f"{reason}; this name is the file's own"))
        else:
            entries.append(_Entry(live, name))
    return entries


def _fresh_name(base: str, taken: set[str]) -> str:
    """`base`, or `base (2)`, `base (3)`...: the first no other destination of the file has."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base} ({number})", number + 1
    taken.add(candidate)
    return candidate


def _entry_comments(entry: _Entry, left_out: Sequence[str]) -> list[str]:
    comments: list[str] = []
    if entry.pinned:
        comments.append(f"pinned by id: {entry.reason}")
        if entry.ignore_name:
            comments.append("`ignore: [name]` keeps it from being renamed; drop it to rename")
    else:
        comments.append(f"id {entry.live.id}")
    comments += [f"config.{key} is live but left out: orsync cannot write it" for key in left_out]
    return comments


# One destination ----------------------------------------------------------------------------


def _destination(entry: _Entry, writer: SecretWriter) -> tuple[dict[str, Any], list[str]]:
    """The destination's mapping, and the live `config` keys it could not hold."""
    live = entry.live
    mapping: dict[str, Any] = {"name": literal(entry.name), "type": literal(live.type)}
    if entry.pinned:
        mapping["id"] = literal(live.id)
    mapping.update(_fields(live))
    config, left_out = _config(live, writer)
    if config:
        mapping["config"] = config
    if entry.ignore_name:
        mapping["ignore"] = ["name"]
    return mapping, left_out


def _fields(live: LiveDestination) -> dict[str, Any]:
    """The compared top-level fields that differ from the API's defaults."""
    fields: dict[str, Any] = {}
    for name, default in FIELD_DEFAULTS.items():
        value = live.fields.get(name)
        if normalize_field(name, value) == normalize_field(name, default):
            continue
        if name == "api_key_hashes" and isinstance(value, list):
            value = sorted(set(value))
        elif name == "filter_rules" and isinstance(value, Mapping):
            value = filter_rules_without_defaults(value)
        fields[name] = _plain(value)
    regions = live.fields.get("regions")
    if isinstance(regions, list) and normalize_field("regions", regions) != normalize_field(
        "regions", list(REGIONS_DEFAULT)
    ):
        fields["regions"] = _plain(sorted(set(regions), key=_region_order))
    return fields


def _region_order(region: str) -> tuple[int, str]:
    return (REGIONS.index(region) if region in REGIONS else len(REGIONS), region)


def _config(live: LiveDestination, writer: SecretWriter) -> tuple[dict[str, Any], list[str]]:
    """The live `config` less nulls and documented defaults; secrets as `writer` writes them.

    Returns the keys of a known type that the loader would refuse (a key the type table does
    not have, or a list or mapping where it takes a single value): they are left out, and so
    not compared.
    """
    known = TYPES.get(live.type)
    if known is None:
        keys = sorted(live.config)
    else:
        order = [*known.keys, HEADERS_KEY]
        keys = [k for k in order if k in live.config]
        keys += sorted(k for k in live.config if k not in order)
    config: dict[str, Any] = {}
    left_out: list[str] = []
    for key in keys:
        value = live.config[key]
        if value is None:
            continue
        if known is not None and not _writable(known.keys.get(key), key, value):
            left_out.append(key)
            continue
        spec = known.keys.get(key) if known is not None else None
        if spec is not None and _is_default(spec, value):
            continue
        config[key] = writer.value(value, (key,))
    return config, left_out


def _writable(spec: ConfigKey | None, key: str, value: Any) -> bool:
    """Whether the loader takes `value` at `config.<key>` of a known type: a key of the type
    holding a single value (text where it is secret), or `headers` mapping names to text."""
    text = (str, Secret)
    if key == HEADERS_KEY:
        return isinstance(value, Mapping) and all(isinstance(v, text) for v in value.values())
    if spec is None or isinstance(value, (Mapping, list)):
        return False
    return isinstance(value, text) or not spec.secret


def _is_default(spec: ConfigKey, value: Any) -> bool:
    if not spec.has_default or has_secret(value):
        return False
    return bool(normalize_value(value) == normalize_value(spec.default))


# Text ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A field's value with every string in it escaped."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _header_lines(
    header: ExportHeader, workspaces: Sequence[LiveWorkspace], secrets: SecretsMode
) -> list[str]:
    """The opening comment; its first line alone holds the time, so the rest is stable."""
    when = header.written_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    names = ", ".join(w.id or "default" for w in workspaces) or "none"
    secret_note = {
        SecretsMode.PIN: (
            "Secrets are the API's masks: compared as fingerprints, never sent. `********` "
            "cannot be compared (plan says not verified). Write ${VAR} to manage a secret."
        ),
        SecretsMode.ENV: (
            "Secrets are ${VAR} placeholders: set them before `orsync apply` "
            "(plan says not verified while they are unset)."
        ),
    }[secrets]
    paragraphs = (
        f"From {header.origin}.",
        f"Workspaces: {names}.",
        secret_note,
        "Values equal to the API's defaults are left out. See README.md (Onboarding).",
    )
    lines = comment_lines(f"Written by `orsync export` at {when}.")
    for paragraph in paragraphs:
        lines += comment_lines(paragraph, width=_COMMENT_WIDTH)
    return lines
