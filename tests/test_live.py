"""Typing live items: the quick check of every value agrees with the walk that names a problem."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orsync import defaults
from orsync.errors import ApiError
from orsync.live import _fits, _value_problem, parse_destination

# What a JSON reader can return, odd numbers and lone surrogates included.
TEXT = st.text(max_size=4) | st.sampled_from(["\ud800", "caf\u00e9", "\udcff-x"])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.sampled_from([0, 2**53, -(2**53), 2**53 + 1, -(2**60)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(value=JSON_VALUES)
def test_the_quick_check_passes_exactly_what_has_no_problem(value: Any) -> None:
    assert _fits(value) == (_value_problem(value) is None)


MAX = defaults.MAX_NESTING


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


@pytest.mark.parametrize("depth", [MAX - 2, MAX - 1, MAX, MAX + 1, MAX + 10])
def test_depth_is_judged_alike(depth: int) -> None:
    assert _fits(nested(depth)) == (_value_problem(nested(depth)) is None)


def test_a_problem_is_named_by_the_destination_once_its_id_is_shown() -> None:
    item = {"id": "d-1", "type": "webhook", "name": "n", "enabled": True, "sampling_rate": 1,
            "privacy_mode": False, "config": {"url": "u", "deep": nested(MAX + 10)}}  # fmt: skip
    with pytest.raises(ApiError, match=r"^unexpected API answer: destination d-1: `config` nests"):
        parse_destination(item, "default workspace, item 0")
    item["id"] = "bad \ud800 id"
    with pytest.raises(ApiError, match=r"item 0: `id` holds text that is not valid Unicode"):
        parse_destination(item, "default workspace, item 0")
