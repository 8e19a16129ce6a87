from __future__ import annotations

import pytest

from orsync.masking import (
    Verdict,
    compare_clear,
    compare_pin,
    display_live,
    has_url_credentials,
    is_api_mask,
    is_masked,
    is_pin,
    mask_url,
    parse_mask,
    tail_mask,
)
from orsync.model import Secret, SecretOrigin

SECRET = "sk-lf-0123456789AbCd"


@pytest.mark.parametrize(
    ("live", "verdict"),
    [
        ("sk-l...AbCd", Verdict.MATCH),
        ("sk-...AbCd", Verdict.MATCH),
        ("****...AbCd", Verdict.MATCH),
        ("...AbCd", Verdict.MATCH),
        ("sk-l...WxYz", Verdict.DIFFER),
        ("pk-l...AbCd", Verdict.DIFFER),
        ("********", Verdict.UNVERIFIABLE),
        (SECRET, Verdict.MATCH),
        ("sk-lf-other", Verdict.DIFFER),
    ],
)
def test_compare_clear_reads_every_mask_style(live: str, verdict: Verdict) -> None:
    assert compare_clear(SECRET, live) is verdict


@pytest.mark.parametrize(
    ("pin", "live", "verdict"),
    [
        ("sk-l...AbCd", "sk-l...AbCd", Verdict.MATCH),
        ("sk-l...AbCd", "****...AbCd", Verdict.MATCH),
        ("sk-l...AbCd", "sk-l...WxYz", Verdict.DIFFER),
        ("sk-l...AbCd", "pk-l...AbCd", Verdict.DIFFER),
        ("sk-l...AbCd", "********", Verdict.UNVERIFIABLE),
        ("sk-l...AbCd", SECRET, Verdict.MATCH),
    ],
)
def test_compare_pin_as_fingerprint(pin: str, live: str, verdict: Verdict) -> None:
    assert compare_pin(pin, live) is verdict


def test_parse_and_detect_masks() -> None:
    assert parse_mask("AKIA...AbCd") == ("AKIA", "AbCd")
    assert parse_mask("plain-value") is None
    assert is_masked("************...AbCd")
    assert is_masked("********")
    assert not is_masked("https://example.com")


def test_display_never_reveals_more_than_the_tail() -> None:
    assert tail_mask(SECRET) == "...AbCd"
    assert tail_mask("short") == "********"
    assert display_live("sk-l...AbCd") == "sk-l...AbCd"
    assert display_live("https://key@sentry.example/1234567") == "https://****@sentry.example/…"
    assert display_live("https://u:pw-0123456789@h.example/x") == "https://u:****@h.example/…"
    assert display_live("sk-lf-0123456789-clear") == "...lear"


def test_secret_str_and_repr_are_masks() -> None:
    secret = Secret(SecretOrigin.ENV, SECRET, ("LANGFUSE_SECRET_KEY",))
    assert str(secret) == "...AbCd"
    assert SECRET not in repr(secret)
    assert SECRET not in repr([secret, {"k": secret}])
    unset = Secret(SecretOrigin.ENV, None, ("LANGFUSE_SECRET_KEY",))
    assert str(unset) == "${LANGFUSE_SECRET_KEY} (not set)"
    assert not unset.known


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h:8443/x?y=1#z", "https://u:****@h:8443/…"),
        ("https://me@corp.com:Hunter2Secret@ch.example", "https://me@corp.com:****@ch.example"),
        ("https://default:p@ssW0rd@ch.example/db", "https://default:****@ch.example/…"),
        ("https://xoxb-token-0123456789@hooks.example/x", "https://****@hooks.example/…"),
        # An `@` in the path is no user part, and a port is no password.
        ("https://ops:pw0rd@evil.example.net/hooks/@alerts", "https://ops:****@evil.example.net/…"),
        ("https://hooks.example.com:8443/team/@ops", "https://hooks.example.com:8443/…"),
        # A password holding `/` or `?` unescaped still ends at its `@`.
        ("https://bot:Sup3rS3cret/1x@hook.example.com/x", "https://bot:****@hook.example.com/…"),
        ("https://u:p?x@h", "https://u:****@h"),
    ],
)
def test_urls_show_only_scheme_user_and_host(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert mask_url(shown) == shown


def test_url_credentials_are_found_in_the_user_part_and_the_query() -> None:
    assert has_url_credentials("https://u:p@h/x")
    assert has_url_credentials("https://token@h/x")
    assert has_url_credentials("https://h/x?team=a&token=abc")
    assert has_url_credentials("https://h/x#access_token=abc")
    assert not has_url_credentials("https://h/x?team=a")
    assert not has_url_credentials("https://hooks.example.com:8443/team/@ops")


@pytest.mark.parametrize(
    "url",
    [
        "https://fn.azurewebsites.net/api/f?code=abc",
        "https://a.blob.core.windows.net/c?sv=2022-11-02&SIG=abc",
        "https://h/x?signature=abc",
        "https://h/x?key=abc",
        "https://h/x?access_token=abc",
        "https://h/x?api_key=abc",
        "https://h/x#code=abc",
        "https://hooks.slack.com/services/T0/B0/abc",
        "https://HOOKS.SLACK.COM:443/workflows/T0/abc",
        "https://discord.com/api/webhooks/1/abc",
        "https://canary.discordapp.com/api/v10/webhooks/1/abc",
        "https://acme.webhook.office.com/webhookb2/1f@2e/IncomingWebhook/abc/3d",
        "https://outlook.office.com/webhook/1f@2e/IncomingWebhook/abc/3d",
        "https://hooks.zapier.com/hooks/catch/123/abc/",
        "https://api.telegram.org/bot123:abc/sendMessage",
        "https://api.telegram.org/file/bot123:abc/photos/1.jpg",
        "https://h/x?a=1;token=abc",
        "https://h/x?a=1&b=2;sig=abc",
        "https://abc@h/x",
    ],
)
def test_url_credentials_beyond_a_password(url: str) -> None:
    assert has_url_credentials(url)
    assert "abc" not in mask_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com",
        "https://discord.com/channels/1/2",
        "https://notdiscord.com/api/webhooks/1/abc",
        "https://h/x?zipcode=1&signed=yes",
        "https://h/code/x",
        "https://h/x?a=1;b=2",
        "https://acme.webhook.office.com",
        "https://notwebhook.office.com/webhookb2/1f@2e/IncomingWebhook/abc/3d",
        "https://zapier.com/apps/webhook/integrations",
        "https://core.telegram.org/bots/api",
    ],
)
def test_urls_without_credentials_stay_plain(url: str) -> None:
    assert not has_url_credentials(url)


def test_masked_urls_compare_on_what_they_show() -> None:
    secret = "https://u:pw-0123456789@h.example/x"
    assert compare_clear(secret, "https://u:****@h.example/…") is Verdict.UNVERIFIABLE
    assert compare_clear(secret, "https://u:****@other.example/…") is Verdict.DIFFER
    # Its password and path cannot be seen in the pin: agreeing on what shows is no match.
    assert compare_pin("https://u:****@h.example/…", secret) is Verdict.UNVERIFIABLE
    assert (
        compare_pin("https://u:****@h.example/…", "https://u:****@h.example/…")
        is Verdict.UNVERIFIABLE
    )
    assert (
        compare_pin("https://u:****@h.example/…", "https://u:pw@other.example/x") is Verdict.DIFFER
    )


# Secrets whose kept tail holds dots, and the masks the API gives them.
DOTTED = [
    ("sk-lf-0123456789-b.cd", "sk-l...b.cd", "b.cd"),
    ("sk-lf-0123456789-xyz.", "sk-l...xyz.", "xyz."),
    ("sk-lf-0123456789-yz..", "sk-l...yz..", "yz.."),
    ("sk-lf-0123456789-...x", "sk-l......x", "...x"),
    ("sk-lf-0123456789-....", "sk-l.......", "...."),
]


@pytest.mark.parametrize(("secret", "mask", "tail"), DOTTED)
def test_a_kept_tail_may_hold_dots(secret: str, mask: str, tail: str) -> None:
    assert parse_mask(mask) == ("sk-l", tail)
    assert parse_mask("****..." + tail) == ("****", tail)
    assert is_api_mask(mask) and is_pin(mask)
    assert compare_clear(secret, mask) is Verdict.MATCH
    assert compare_clear(secret, "****..." + tail) is Verdict.MATCH
    assert compare_clear("sk-lf-0123456789-AbCd", mask) is Verdict.DIFFER
    assert compare_pin(mask, mask) is Verdict.MATCH
    assert compare_pin(mask, "****..." + tail) is Verdict.MATCH
    assert compare_pin(mask, secret) is Verdict.MATCH
    assert compare_pin(mask, "sk-l...WxYz") is Verdict.DIFFER
    assert display_live(mask) == mask


def test_a_kept_prefix_may_hold_dots_too() -> None:
    assert parse_mask("a......WXYZ") == ("a...", "WXYZ")
    assert compare_clear("a...0123456789WXYZ", "a......WXYZ") is Verdict.MATCH
    # Tails of other lengths are still read, when they hold no dot.
    assert parse_mask("sk...AB") == ("sk", "AB")
    assert parse_mask("sk-l...AbCdEf") == ("sk-l", "AbCdEf")
    assert parse_mask("no mask here") is None


def test_secret_urls_compare_normalized() -> None:
    declared = "https://user:pw-0123456789@Hooks.Example.com/x/"
    assert (
        compare_clear(declared, "https://user:pw-0123456789@hooks.example.com/x") is Verdict.MATCH
    )
    assert (
        compare_clear(declared, "https://user:pw-0123456789@hooks.example.com/y") is Verdict.DIFFER
    )
    assert (
        compare_clear(declared, "https://user:PW-0123456789@hooks.example.com/x") is Verdict.DIFFER
    )
    assert compare_clear(declared, "https://user:****@hooks.example.com/…") is Verdict.UNVERIFIABLE
    live = "https://user:pw-0123456789@hooks.example.com/x"
    assert compare_pin("https://user:****@Hooks.Example.com/…", live) is Verdict.UNVERIFIABLE
    # A mask of the URL as stored, with or without what normalizing takes away.
    assert compare_clear(declared, "http...om/x") is Verdict.MATCH
    assert compare_clear(declared, "http...m/x/") is Verdict.MATCH


# Masks whose kept ends hold spaces and other characters, and the secrets they stand for.
ANY_CHARACTER = [
    ("Bearer 0123456789 xyz", "Bear... xyz"),
    ("Bearer 0123456789xy  ", "Bear...xy  "),
    ("Key 0123456789-\tx/é", "Key ...\tx/é"),
]


@pytest.mark.parametrize(("secret", "mask"), ANY_CHARACTER)
def test_a_masks_kept_ends_may_hold_any_character(secret: str, mask: str) -> None:
    assert is_api_mask(mask) and is_pin(mask)
    assert compare_clear(secret, mask) is Verdict.MATCH
    assert compare_pin(mask, mask) is Verdict.MATCH
    assert compare_pin(mask, secret) is Verdict.MATCH
    assert compare_pin(mask, "Bear...WxYz") is Verdict.DIFFER


def test_a_secret_holding_dots_elsewhere_is_no_pin() -> None:
    # Only `...` 4 characters from the end, with at most 12 before it, is a mask's shape.
    assert not is_pin("Bearer wait... what")
    assert not is_pin("a long prefix here... xyz")
    assert not is_pin("sk... xyz and more")
