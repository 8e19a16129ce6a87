"""The run's redactor: every remembered secret out of every message, however many there are."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orsync.sensitive import REDACTED, Redactor

# Letters and `-`: no mask, no URL, and one spelling only (JSON, repr and percent-encoding
# write them alike), so that the slow way below is exactly what is expected.
SECRETS = st.lists(st.text("abcd-", min_size=4, max_size=10), max_size=8)
MESSAGES = st.text("abcd- xy", max_size=60)


def naive(secrets: list[str], message: str) -> str:
    """Every secret replaced, longest first: what the redactor must do, done the slow way."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        message = message.replace(secret, REDACTED)
    return message


# Secrets the messages never hold (their letters are not in MESSAGES): with them the redactor
# has many secrets to look for, which it does another way than for a few.
FILLERS = [f"q{n:03d}q" for n in range(40)]


@settings(max_examples=300, deadline=None)
@given(
    secrets=SECRETS,
    parts=st.lists(MESSAGES | SECRETS.map("".join), max_size=5),
    many=st.booleans(),
)
def test_every_secret_is_taken_out(secrets: list[str], parts: list[str], many: bool) -> None:
    message = "".join(parts)
    redactor = Redactor()
    for secret in secrets + (FILLERS if many else []):
        redactor.remember(secret)
    assert redactor.redact(message) == naive(secrets, message)


def test_a_secret_remembered_after_a_message_is_taken_out_of_the_next() -> None:
    redactor = Redactor()
    redactor.remember("first-secret")
    assert redactor.redact("a first-secret b second-secret") == "a *** b second-secret"
    redactor.remember("second-secret")
    assert redactor.redact("a first-secret b second-secret") == "a *** b ***"
    redactor.forget_all()
    assert redactor.redact("a first-secret") == "a first-secret"
