from __future__ import annotations

import pytest

from orsync.normalize import normalize_field, normalize_url, normalize_value


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
