"""Risk flags: the changes of a plan a reviewer should look at twice (docs/plan-json.md, Risks).

A pure function of a workspace's changes and its live destinations, run as each workspace is
planned; each change holds its risks. A risk is no error and changes no exit code: it marks a
change that sends more data, or sends it somewhere new, than live does now. Messages name a URL
only by its host.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from orsync import masking
from orsync.destination_types import REGIONS_DEFAULT
from orsync.findings import Risk
from orsync.model import LiveWorkspace
from orsync.normalize import filter_rules_with_defaults, normalize_value
from orsync.plan import Action, Change, FieldChange
from orsync.policy import url_values, urls_in, with_documented_defaults

RISK_KINDS = (
    "privacy_off",
    "keys_widened",
    "sampling_raised",
    "filter_loosened",
    "identity_on",
    "regions_widened",
    "new_host",
    "plain_http",
)
"""Every `kind` a risk may have, in the order a change lists them."""

_RISK_ORDER = {kind: index for index, kind in enumerate(RISK_KINDS)}
_IDENTITY = "broadcast_generation_identity"


def with_risks(changes: Sequence[Change], live: LiveWorkspace) -> tuple[Change, ...]:
    """The changes of one workspace, each with its risks; `live` is what the workspace holds
    now (its hosts are the ones a change may send to without a `new_host` risk)."""
    # Read from live only when a change sends to a URL: most changes do not.
    hosts = functools.cache(lambda: known_hosts(live))
    return tuple(dataclasses.replace(c, risks=change_risks(c, hosts)) for c in changes)


def known_hosts(live: LiveWorkspace) -> frozenset[str]:
    """The hosts a live workspace's destinations send to now."""
    return frozenset(
        host
        for d in live.destinations
        for _, text in url_values(with_documented_defaults(d.type, d.config))
        if (host := masking.url_host(text)) is not None
    )


def change_risks(change: Change, known: Callable[[], frozenset[str]]) -> tuple[Risk, ...]:
    """The risks of one change, `known()` being the hosts its workspace sends to now."""
    if change.action not in (Action.CREATE, Action.UPDATE, Action.REPLACE):
        return ()
    risks: list[Risk] = []
    if change.action is not Action.CREATE:
        risks += [risk for f in change.fields for risk in _field_risks(f)]
    desired = change.desired
    if change.action is Action.UPDATE:
        urls = [url for f in change.fields if f.path.startswith("config.")
                for url in urls_in(f.path, f.after)]  # fmt: skip
    elif desired is not None:
        if change.action is Action.CREATE and desired.fields.get(_IDENTITY) is True:
            risks.append(Risk("identity_on", f"{_IDENTITY} on: user identities will be sent"))
        urls = list(url_values(with_documented_defaults(desired.type, desired.config)))
    else:
        urls = []
    risks += _url_risks(urls, known)
    return tuple(sorted(risks, key=lambda risk: _RISK_ORDER[risk.kind]))


def _field_risks(change: FieldChange) -> Iterator[Risk]:
    before, after = change.before, change.after
    if change.path == "privacy_mode" and before is True and after is False:
        yield Risk("privacy_off", "privacy_mode turned off: prompts and completions will be sent")
    elif change.path == "api_key_hashes":
        yield from _key_risks(before, after)
    elif change.path == "sampling_rate" and _numbers(before, after) and after > before:
        yield Risk("sampling_raised", f"sampling_rate raised from {before} to {after}")
    elif change.path == "filter_rules":
        yield from _filter_risks(before, after)
    elif change.path == _IDENTITY and before is not True and after is True:
        yield Risk("identity_on", f"{_IDENTITY} turned on: user identities will be sent")
    elif change.path == "regions" and isinstance(after, list):
        added = sorted(set(after) - set(before if isinstance(before, list) else REGIONS_DEFAULT))
        if added:
            yield Risk("regions_widened", f"regions widened: {', '.join(added)} added")


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _key_risks(before: Any, after: Any) -> Iterator[Risk]:
    if before is None:
        return
    if after is None:
        yield Risk(
            "keys_widened", "api_key_hashes set to null: the traffic of every API key will be sent"
        )
    elif isinstance(before, list) and isinstance(after, list) and set(after) > set(before):
        added = len(set(after) - set(before))
        yield Risk("keys_widened", f"api_key_hashes widened: {added} more key(s) allowed")


def _filter_risks(before: Any, after: Any) -> Iterator[Risk]:
    """A filter that let fewer events through before: removed, disabled, or groups gone."""
    old, new = filter_rules_with_defaults(before), filter_rules_with_defaults(after)
    old_groups = _groups(old)
    if not isinstance(old, Mapping) or old.get("enabled") is False or not old_groups:
        return  # no filter before: nothing to loosen
    new_groups = _groups(new)
    if not isinstance(new, Mapping) or not new_groups:
        yield Risk("filter_loosened", "filter_rules removed: every event will be sent")
    elif new.get("enabled") is False:
        yield Risk("filter_loosened", "filter_rules disabled: every event will be sent")
    else:
        kept = [normalize_value(g) for g in new_groups]
        gone = [g for g in old_groups if normalize_value(g) not in kept]
        if gone:
            yield Risk(
                "filter_loosened",
                f"filter_rules: {len(gone)} of {len(old_groups)} group(s) removed or changed",
            )


def _groups(rules: Any) -> Sequence[Any]:
    groups = rules.get("groups") if isinstance(rules, Mapping) else None
    return groups if isinstance(groups, list) else []


def _url_risks(
    urls: Sequence[tuple[str, str]], known: Callable[[], frozenset[str]]
) -> Iterator[Risk]:
    for path, text in urls:
        host = masking.url_host(text)
        if host is None:
            continue
        if host not in known():
            yield Risk("new_host", f"{path} sends to {host}, a host new to this workspace")
        if text.lower().startswith("http://"):
            yield Risk("plain_http", f"{path} sends to {host} over plain http (unencrypted)")
