"""Refusals and odd answers from the API, end to end: limits, implausible listings."""

from __future__ import annotations

import pytest
from conftest import Orsync
from fake_api import FakeApi

from orsync import defaults


def test_a_create_over_the_type_limit_says_what_to_do(orsync: Orsync) -> None:
    with FakeApi(type_limit=1) as api:
        api.add_destination(
            {"name": "old", "type": "webhook", "config": {"url": "https://o.example"}}
        )
        orsync.write_config("""
            version: 1
            workspaces:
              - unmanaged: delete
                destinations:
                  - {name: new, type: webhook, config: {url: "https://n.example"}}
            """)
        result = orsync("apply", "--auto-approve", env={"ORSYNC_BASE_URL": api.base_url})
        assert result.code == 1
        assert "409" in result.stderr and "delete a webhook destination first" in result.stderr


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"data": [], "total_count": -1}', "total_count is -1"),
        (
            '{"data": [{"id": "a", "name": "a", "type": "webhook", "enabled": true, '
            '"sampling_rate": 1, "privacy_mode": false, "config": {}}], "total_count": 10000000}',
            # The same page whatever the offset: the listing would never end.
            "a page held only destinations already listed",
        ),
    ],
)
def test_implausible_lists_fail_fast(
    orsync: Orsync, fake: FakeApi, body: str, fragment: str
) -> None:
    orsync.write_config("version: 1\ndestinations: []\n")
    fake.fail(method="GET", status=200, body=body, times=100)
    result = orsync("plan")
    assert result.code == 1 and fragment in result.stderr, result.output
    # Three reads of a first page and one window of pages each: the list never ends.
    assert len(fake.requests) <= 3 * (1 + defaults.CONCURRENCY)


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_an_api_string_with_a_lone_surrogate_is_an_unexpected_answer(
    orsync: Orsync, fake: FakeApi, output_format: str
) -> None:
    """JSON may escape half a surrogate pair (`\\ud800`); such text cannot be printed, so it is
    refused where it is read, naming the field, instead of breaking the output half-way."""
    orsync.write_config("version: 1\ndestinations: []\n")
    hook = {"type": "webhook", "name": "bad \ud800 name", "config": {"url": "https://h.example"}}
    fake.add_destination(hook)
    result = orsync("plan", "--format", output_format)
    assert result.code == 1
    assert result.stdout == ""
    assert "unexpected API answer" in result.stderr
    assert "`name` holds text that is not valid Unicode" in result.stderr


def test_a_message_holding_a_lone_surrogate_is_printed_escaped(orsync: Orsync) -> None:
    """An error naming a value that came from bytes that are not UTF-8 still prints."""
    result = orsync("plan", "-c", "missing-\udcff.yaml")
    assert result.code == 1
    assert "missing-\\udcff.yaml: no such file" in result.stderr
