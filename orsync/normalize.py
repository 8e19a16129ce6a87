"""Canonical forms for comparison, so that only real differences count as drift.

Numbers compare by value (1 == 1.0), `api_key_hashes` and `regions` as sets, `filter_rules` with
its defaults filled in (no groups is no filter), URLs in `config` without a trailing slash and
with scheme and host in lower case.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from orsync.destination_types import REGIONS_DEFAULT

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_AUTHORITY_END = re.compile(r"[/?#]")


# The masking rules, the live config walk and the diff each split the same URL again.
@functools.lru_cache(maxsize=1024)
def split_url(value: str) -> tuple[str, str, str, str] | None:
    """`("https://", userinfo, host[:port], rest)` for a URL, else None.

    The user information ends at the last `@` before the path, so that a user name or
    password holding `@` or `:` is taken whole and an `@` in the path is not taken for one.
    A password holding `/`, `?` or `#` (not escaped, as it should be) would end the authority
    early: `user:pass` there, with no `@`, and no port after the `:`, means exactly that, and
    the user information then runs to the next `@`. So does a token alone (`https://tok/en@h`)
    whose cut leaves what cannot be a host name: no `:`, no dot, not `localhost`.
    """
    scheme_end = value.find("://")
    if scheme_end <= 0 or not _SCHEME.fullmatch(value[:scheme_end]):
        return None
    start = scheme_end + 3
    end = _authority_end(value, start)
    at = value.rfind("@", start, end)
    if at < start:
        authority = value[start:end]
        _, colon, after = authority.rpartition(":")
        later = value.find("@", end)
        cut_password = bool(colon and after and not after.isdigit())
        cut_token = not colon and "." not in authority and authority.lower() != "localhost"
        if later < 0 or not (cut_password or cut_token):
            return value[:start], "", authority, value[end:]
        at = later
        end = _authority_end(value, at)
    return value[:start], value[start:at], value[at + 1 : end], value[end:]


def _authority_end(value: str, start: int) -> int:
    found = _AUTHORITY_END.search(value, start)
    return len(value) if found is None else found.start()


def normalize_url(text: str) -> str:
    """`HTTPS://Example.COM/path/` -> `https://example.com/path`; other strings unchanged.

    The user information (a user name, a password) keeps its case: only scheme and host
    are case-insensitive. Secret URLs are normalized too, so they compare like other URLs.
    """
    if not text.lower().startswith(("http://", "https://")):
        return text
    parts = split_url(text)
    if parts is None or not parts[2]:
        return text
    scheme, userinfo, host, rest = parts
    path_end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    user = f"{userinfo}@" if userinfo else ""
    return scheme.lower() + user + host.lower() + rest[:path_end].rstrip("/") + rest[path_end:]


def normalize_value(value: Any, *, urls: bool = True) -> Any:
    """The generic canonical form: numbers by value, URLs normalized, containers recursively.

    Numbers are tagged so that `True` (which Python holds equal to 1) never matches `1`.
    `urls=False` keeps strings as written: a filter rule's value is matched against text, so
    `https://A.com/` there is another filter than `https://a.com`.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, str):
        return normalize_url(value) if urls else value
    if isinstance(value, Mapping):
        return {str(k): normalize_value(v, urls=urls) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize_value(v, urls=urls) for v in value]
    return value


def _as_set(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        return normalize_value(value, urls=False)
    # repr() orders values of mixed types without comparing them to each other.
    items = (normalize_value(v, urls=False) for v in value)
    return sorted({repr(item): item for item in items}.items())


def _rule_with_defaults(rule: Any) -> Any:
    if not isinstance(rule, Mapping):
        return rule
    # A rule's value is optional (exists/not_exists take none): absent and null mean the same.
    return {str(k): v for k, v in rule.items() if not (k == "value" and v is None)}


def _group_with_defaults(group: Any) -> Any:
    if not isinstance(group, Mapping):
        return group
    filled = {str(k): v for k, v in group.items()}
    filled["logic"] = group.get("logic") or "and"
    rules = group.get("rules")
    filled["rules"] = [_rule_with_defaults(r) for r in rules] if isinstance(rules, list) else rules
    return filled


def filter_rules_with_defaults(value: Any) -> Any:
    """`filter_rules` with `enabled` (true) and each group's `logic` ("and") filled in."""
    if not isinstance(value, Mapping):
        return value
    filled = {str(k): v for k, v in value.items()}
    filled["enabled"] = True if value.get("enabled") is None else value.get("enabled")
    groups = value.get("groups")
    filled["groups"] = (
        [_group_with_defaults(g) for g in groups] if isinstance(groups, list) else groups
    )
    return filled


def filter_rules_without_defaults(value: Any) -> Any:
    """`filter_rules` less what equals its own defaults (`enabled: true`, a group's `logic:
    and`, a rule's null `value`): the shortest form that compares equal."""
    filled = filter_rules_with_defaults(value)
    if not isinstance(filled, Mapping):
        return filled
    kept = {k: v for k, v in filled.items() if not (k == "enabled" and v is True)}
    groups = filled.get("groups")
    if isinstance(groups, list):
        kept["groups"] = [
            {k: v for k, v in g.items() if not (k == "logic" and v == "and")}
            if isinstance(g, Mapping)
            else g
            for g in groups
        ]
    return kept


def normalize_filter_rules(value: Any) -> Any:
    """The canonical form of `filter_rules`: defaults filled in, then values normalized.

    A filter with no groups filters nothing, whatever its `enabled`: it is no filter, as null
    is (the API may answer `{"enabled": true, "groups": []}` for a destination created without
    one). A disabled filter that has groups stays distinct: what the API makes of it is not
    documented.
    """
    if isinstance(value, Mapping) and value.get("groups") in (None, []):
        return None
    return normalize_value(filter_rules_with_defaults(value), urls=False)


def normalize_field(name: str, value: Any) -> Any:
    """The canonical form of a top-level destination field; its strings (hashes, regions,
    filter values) are compared as written: only `config` holds URLs."""
    if name == "api_key_hashes":
        return _as_set(value)
    if name == "regions":
        return _as_set(list(REGIONS_DEFAULT) if value is None else value)
    if name == "filter_rules":
        return normalize_filter_rules(value)
    return normalize_value(value, urls=False)


def names_twice_in_any_case(headers: Mapping[Any, Any]) -> bool:
    """Whether two header names differ only in case (HTTP takes them for one)."""
    return len({str(name).lower() for name in headers}) < len(headers)


def align_header_names(declared: Any, live: Any) -> Any:
    """Live headers named as declared where the names differ only in case: HTTP header names
    are case-insensitive, so `authorization` and `Authorization` are one header."""
    if not isinstance(declared, Mapping) or not isinstance(live, Mapping):
        return live
    if names_twice_in_any_case(live):
        return live  # live itself holds one name twice: nothing to merge them into
    spelling = {str(name).lower(): name for name in declared}
    return {spelling.get(str(name).lower(), name): value for name, value in live.items()}
