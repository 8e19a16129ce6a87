from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orsync.normalize import normalize_field, normalize_url, normalize_value, same_value


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Example.COM/", "https://example.com"),
        ("HTTPS://api.example.com/v1/", "https://api.example.com/v1"),
        ("https://user@Host.example:8443/x", "https://user@host.example:8443/x"),
        ("https://h.example/x/?q=1#f", "https://h.example/x?q=1#f"),
        # User information keeps its case; only the host is lowered.
        ("https://user:PassWord@Hooks.Example.com/x/", "https://user:PassWord@hooks.example.com/x"),
        ("https://bot:Sup3r/1X@Hook.Example.com/x/", "https://bot:Sup3r/1X@hook.example.com/x"),
        ("not a url/", "not a url/"),
        ("{prefix}/{date}", "{prefix}/{date}"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_numbers_compare_by_value_but_bools_stay_bools() -> None:
    assert normalize_value(1) == normalize_value(1.0)
    assert normalize_value(True) is True
    assert normalize_value(True) != normalize_value(1)


def test_sets_ignore_order_and_repeats() -> None:
    assert normalize_field("api_key_hashes", ["b", "a", "a"]) == normalize_field(
        "api_key_hashes", ["a", "b"]
    )
    assert normalize_field("api_key_hashes", None) is None
    assert normalize_field("regions", None) == normalize_field("regions", ["global"])
    assert normalize_field("regions", ["us", "europe"]) == normalize_field(
        "regions", ["europe", "us"]
    )


def test_filter_rules_defaults_filled_in() -> None:
    short = {"groups": [{"rules": [{"field": "model", "operator": "equals", "value": "x"}]}]}
    full = {
        "enabled": True,
        "groups": [
            {"logic": "and", "rules": [{"field": "model", "operator": "equals", "value": "x"}]}
        ],
    }
    assert normalize_field("filter_rules", short) == normalize_field("filter_rules", full)
    other = {"enabled": False, "groups": full["groups"]}
    assert normalize_field("filter_rules", other) != normalize_field("filter_rules", full)
    exists = {"groups": [{"rules": [{"field": "user_id", "operator": "exists"}]}]}
    exists_null = {
        "groups": [{"rules": [{"field": "user_id", "operator": "exists", "value": None}]}]
    }
    assert normalize_field("filter_rules", exists) == normalize_field("filter_rules", exists_null)


def test_a_filter_with_no_groups_is_no_filter() -> None:
    none = normalize_field("filter_rules", None)
    assert normalize_field("filter_rules", {"enabled": True, "groups": []}) == none
    assert normalize_field("filter_rules", {"groups": []}) == none
    assert normalize_field("filter_rules", {"enabled": False, "groups": []}) == none
    group = {"rules": [{"field": "model", "operator": "equals", "value": "x"}]}
    disabled = normalize_field("filter_rules", {"enabled": False, "groups": [group]})
    assert disabled != none
    assert disabled != normalize_field("filter_rules", {"groups": [group]})


# Values as JSON and YAML give them: what the diff's quick comparison must agree with.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, -0.0, 0.5, math.nan])
    | st.sampled_from(["", "x", "https://H.example/", "https://h.example", "us", "global"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner),
    max_leaves=8,
)
FIELDS = ["enabled", "sampling_rate", "api_key_hashes", "filter_rules", "regions"]


@settings(max_examples=300, deadline=None)
@given(one=JSON_VALUES, other=JSON_VALUES)
def test_values_the_quick_comparison_finds_the_same_have_the_same_canonical_forms(
    one: Any, other: Any
) -> None:
    for candidate in (other, copy.deepcopy(one)):
        if same_value(one, candidate):
            assert normalize_value(one) == normalize_value(candidate)
            for name in FIELDS:
                assert normalize_field(name, one) == normalize_field(name, candidate)


def test_the_quick_comparison_tells_types_apart() -> None:
    assert same_value({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not same_value(True, 1)
    assert not same_value(1, 1.0)  # equal all the same, by the canonical forms
    assert not same_value({"a": True}, {"a": 1})
    assert not same_value(math.nan, math.nan)
