"""Pairing declared destinations with live ones, on plain values."""

from __future__ import annotations

from typing import Any

import pytest
from builders import workspace_entry

from orsync.destination_types import FIELD_DEFAULTS
from orsync.errors import AmbiguousMatchError
from orsync.live import parse_workspace
from orsync.matching import Matching, match_destinations
from orsync.model import DesiredDestination, Source


def declared(
    name: str, type_name: str = "webhook", pinned: str | None = None
) -> DesiredDestination:
    return DesiredDestination(
        None, name, type_name, dict(FIELD_DEFAULTS), {}, Source("o.yaml", 1), pinned
    )


def item(ident: str, name: str, type_name: str = "webhook") -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "type": type_name,
        "enabled": True,
        "sampling_rate": 1,
        "privacy_mode": False,
        "config": {},
    }


def match(wanted: list[DesiredDestination], items: list[dict[str, Any]]) -> Matching:
    workspace = workspace_entry(wanted)
    return match_destinations(workspace, parse_workspace(None, items))


def paired(found: Matching) -> list[str | None]:
    """The live id each declaration was paired with, in the file's order."""
    return [None if current is None else current.id for _, current in found.pairs]


def test_pins_come_first_then_names() -> None:
    a, b = declared("A", pinned="id-2"), declared("B")
    found = match([a, b], [item("id-1", "A"), item("id-2", "renamed"), item("id-3", "B")])
    assert paired(found) == ["id-2", "id-3"]
    assert found.claimed == {"id-2", "id-3"}


def test_a_pinned_replace_with_its_new_half_live_pairs_the_new_one() -> None:
    wanted = declared("obs", "otel-collector", pinned="old")
    found = match([wanted], [item("old", "obs"), item("new", "obs", "otel-collector")])
    assert paired(found) == ["new"]
    assert [(d.name, old.id) for d, old in found.superseded] == [("obs", "old")]


def test_a_new_half_pinned_by_another_declaration_is_not_taken() -> None:
    a = declared("obs", "otel-collector", pinned="old")
    b = declared("obs", "otel-collector", pinned="new")
    found = match([a, b], [item("old", "obs"), item("new", "obs", "otel-collector")])
    assert paired(found) == ["old", "new"]
    assert found.superseded == []


def test_one_name_twice_pairs_the_declared_type_and_warns() -> None:
    wanted = declared("Prod")
    found = match([wanted], [item("w", "Prod"), item("o", "Prod", "otel-collector")])
    assert paired(found) == ["w"]
    assert "o" not in found.claimed
    assert any("matched the webhook one" in w for w in found.warnings)


def test_one_name_twice_of_one_type_is_ambiguous() -> None:
    with pytest.raises(AmbiguousMatchError, match="pin the one to keep"):
        match([declared("Prod")], [item("w1", "Prod"), item("w2", "Prod")])
