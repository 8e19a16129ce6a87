"""The config file -> the desired state: every key checked, `${VAR}` expanded, defaults applied.

Errors stop at the first one found and read `file:line: path: problem`; warnings (plain-text
secrets, unknown types, required config keys left out) are collected in the same form.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orsync import destination_types as types
from orsync.config_fields import COMPARED_FIELDS, check_field, check_ignore
from orsync.config_node import ConfigContext, ConfigNode, kind_of
from orsync.config_policy import read_policy
from orsync.destination_config import read_destination_config
from orsync.errors import ConfigError
from orsync.model import (
    DesiredDestination,
    DesiredState,
    Source,
    UnmanagedPolicy,
    WorkspaceConfig,
)
from orsync.workspaces import REFERENCE_FORM, workspace_reference
from orsync.yamlsource import load_located

SUPPORTED_VERSION = 1
TOP_LEVEL_KEYS = ("version", "defaults", "policy", "workspaces", "destinations")
WORKSPACE_KEYS = ("id", "unmanaged", "destinations")
DESTINATION_KEYS = ("name", "type", "id", *COMPARED_FIELDS, "config", "ignore", "protect")


def load_config(path: str, environ: Mapping[str, str] | None = None) -> DesiredState:
    """Read and check the config file at `path`; `environ` (default os.environ) fills `${VAR}`.

    Raises ConfigError, naming the file and, when it applies, the line and path.
    """
    return load_config_text(_read_text(path), path, environ)


def load_config_text(
    text: str, file: str, environ: Mapping[str, str] | None = None
) -> DesiredState:
    """Check config text as if read from `file` (the name used in messages)."""
    located = load_located(text, file)
    if located is None or located.value is None:
        raise ConfigError("the file is empty", file=file)
    context = ConfigContext(file, located.lines, os.environ if environ is None else environ)
    root = ConfigNode(located.value, (), context)
    if not isinstance(root.value, dict):
        raise root.error(f"expected a mapping at the top level, got {kind_of(root.value)}")
    _check_version(root)
    top = root.fields(TOP_LEVEL_KEYS)
    defaults = _check_defaults(top["defaults"]) if "defaults" in top else {}
    policy = read_policy(top["policy"]) if "policy" in top else None
    checker = _DestinationChecker(defaults)
    if "workspaces" in top and "destinations" in top:
        later = max(top["workspaces"], top["destinations"], key=lambda node: node.line)
        raise later.error(
            "declare `workspaces` or `destinations`, not both "
            "(`destinations` is shorthand for one workspace entry without `id`)"
        )
    if "workspaces" in top:
        workspaces = _check_workspaces(top["workspaces"], checker)
    elif "destinations" in top:
        shorthand = top["destinations"]
        destinations = checker.check_list(shorthand, None)
        workspaces = (
            WorkspaceConfig(
                None, UnmanagedPolicy.REPORT, destinations, Source(file, shorthand.line)
            ),
        )
    elif policy is not None:
        # A file of rules alone is enough for `orsync audit`.
        workspaces = ()
    else:
        raise root.error("declare `workspaces` or `destinations` (or a `policy` to audit)")
    return DesiredState(file, workspaces, tuple(context.warnings), policy=policy)


def _read_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError("no such file", file=path) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a file", file=path) from None
    except PermissionError:
        raise ConfigError("not readable (permission denied)", file=path) from None
    except OSError as exc:
        raise ConfigError(f"not readable ({exc.strerror or exc})", file=path) from None
    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError("not UTF-8 text", file=path, line=line) from None


def _check_version(root: ConfigNode) -> None:
    # Checked before the other keys: a file of another version may use keys this one lacks.
    if "version" not in root.value:
        raise root.error(f"missing key 'version' (write `version: {SUPPORTED_VERSION}`)")
    node = root.child("version")
    version = node.value
    if isinstance(version, bool) or not isinstance(version, int):
        raise node.error(f"expected the number {SUPPORTED_VERSION}, got {kind_of(version)}")
    if version != SUPPORTED_VERSION:
        raise node.error(f"unsupported version {version}: orsync reads version {SUPPORTED_VERSION}")


def _check_defaults(node: ConfigNode) -> dict[str, Any]:
    return {key: check_field(key, child) for key, child in node.fields(COMPARED_FIELDS).items()}


def _check_workspaces(
    node: ConfigNode, checker: _DestinationChecker
) -> tuple[WorkspaceConfig, ...]:
    default_entry: ConfigNode | None = None
    id_lines: dict[str, int] = {}
    workspaces: list[WorkspaceConfig] = []
    for entry in node.items("a list of workspace entries"):
        fields = entry.fields(WORKSPACE_KEYS, required=("destinations",))
        workspace_id = None
        if "id" in fields:
            workspace_id = _workspace_id(fields["id"], id_lines)
        elif default_entry is not None:
            raise entry.error(
                f"a second workspace entry without `id` (first at line {default_entry.line}): "
                "only one entry may stand for the key's default workspace"
            )
        else:
            default_entry = entry
        unmanaged = UnmanagedPolicy.REPORT
        if "unmanaged" in fields:
            modes = tuple(UnmanagedPolicy)
            unmanaged = UnmanagedPolicy(fields["unmanaged"].choice(modes, "unmanaged mode"))
        destinations = checker.check_list(fields["destinations"], workspace_id)
        source = Source(entry.context.file, entry.line)
        workspaces.append(WorkspaceConfig(workspace_id, unmanaged, destinations, source))
    return tuple(workspaces)


def _workspace_id(node: ConfigNode, id_lines: dict[str, int]) -> str:
    """A workspace UUID (in lower case, as the API writes it) or slug; each declared once.

    A slug is only checked for its form here: the API resolves it when live state is read.
    """
    if not isinstance(node.value, str):
        raise node.error(f"expected a workspace UUID or slug, got {kind_of(node.value)}")
    workspace_id = workspace_reference(node.text())
    if workspace_id is None:
        raise node.error(f"expected {REFERENCE_FORM}, got {node.quoted()}")
    if workspace_id in id_lines:
        raise node.error(
            f"workspace {node.quoted()} is declared twice (first at line {id_lines[workspace_id]})"
        )
    id_lines[workspace_id] = node.line
    return workspace_id


class _DestinationChecker:
    """Checks destination lists, remembering what must be unique across the file."""

    def __init__(self, defaults: Mapping[str, Any]) -> None:
        self.pinned_lines: dict[str, int] = {}
        # What a destination that leaves a field out gets: `defaults`, else the API default.
        # `regions` has none of the API's: it is compared only where the file declares it.
        self.fallbacks = {
            key: defaults.get(key, api_default) for key, api_default in types.FIELD_DEFAULTS.items()
        }
        if "regions" in defaults:
            self.fallbacks["regions"] = defaults["regions"]

    def check_list(
        self, node: ConfigNode, workspace_id: str | None
    ) -> tuple[DesiredDestination, ...]:
        """The destinations of one workspace; names are unique within it."""
        if node.value is None:
            raise node.error("expected a list of destinations, got null (write [] for none)")
        name_lines: dict[str, int] = {}
        items = node.items("a list of destinations")
        return tuple(self.check_one(item, workspace_id, name_lines) for item in items)

    def check_one(
        self, node: ConfigNode, workspace_id: str | None, name_lines: dict[str, int]
    ) -> DesiredDestination:
        """One destination, with `defaults` and the API's create defaults applied."""
        fields = node.fields(DESTINATION_KEYS, required=("name", "type"))
        name = fields["name"].text()
        if name in name_lines:
            shown, first = fields["name"].quoted(), name_lines[name]
            problem = f"duplicate name {shown} in this workspace (first at line {first})"
            raise fields["name"].error(problem)
        name_lines[name] = fields["name"].line
        type_name = _check_type(fields["type"])
        pinned_id = self.pinned_id(fields["id"]) if "id" in fields else None
        declared = {key: check_field(key, fields[key]) for key in COMPARED_FIELDS if key in fields}
        config = read_destination_config(fields.get("config"), type_name, node)
        ignore = check_ignore(fields["ignore"], fields["type"]) if "ignore" in fields else ()
        protect = fields["protect"].boolean() if "protect" in fields else False
        return DesiredDestination(
            workspace_id=workspace_id,
            name=name,
            type=type_name,
            fields=self.resolve_fields(declared),
            config=config,
            source=Source(node.context.file, node.line),
            id=pinned_id,
            ignore=ignore,
            protect=protect,
        )

    def pinned_id(self, node: ConfigNode) -> str:
        """A destination id pinned in the file; one live destination cannot be declared twice."""
        pinned = node.text()
        if pinned in self.pinned_lines:
            raise node.error(
                f"id {node.quoted()} is pinned twice (first at line {self.pinned_lines[pinned]})"
            )
        self.pinned_lines[pinned] = node.line
        return pinned

    def resolve_fields(self, declared: Mapping[str, Any]) -> dict[str, Any]:
        """Each compared field from the destination, else `defaults`, else the API default."""
        fields = {
            key: declared[key] if key in declared else _unshared(fallback)
            for key, fallback in self.fallbacks.items()
        }
        if "regions" in declared:
            fields["regions"] = declared["regions"]
        return fields


def _unshared(value: Any) -> Any:
    """A copy of a default that can be changed, so that destinations never share one."""
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


def _check_type(node: ConfigNode) -> str:
    """The destination type; one orsync does not know is a warning, as the API adds types."""
    return node.open_choice(
        tuple(types.TYPES), "type", "its config is kept as written and not checked"
    )
