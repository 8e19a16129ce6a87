"""How the API masks secrets, how orsync masks them for display, and how secrets are compared.

No masking rule is documented. Seen forms: a kept prefix of any length (or stars), `...`, then
the last 4 characters (`sk-l...AbCd`, `****...AbCd`); stars alone (`********`); and, for a few
keys, the value unmasked. The safe reading, used here: a live `P...T` matches a secret S when S
ends with T and P is all stars or S starts with P; stars alone cannot be compared.
"""

from __future__ import annotations

import enum
import re
from urllib.parse import parse_qsl, urlsplit

from orsync.destination_types import looks_secret

_MASK = re.compile(r"^(?P<prefix>.*?)\.\.\.(?P<tail>[^.]{1,16})$", re.DOTALL)
_STARS = re.compile(r"^\*+$")
# Below this length even the last 4 characters would give away too much of a secret.
_MIN_LENGTH_FOR_TAIL = 12
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HIDDEN_PASSWORD = "****"


class Verdict(enum.Enum):
    """The outcome of comparing a declared secret with what the API shows."""

    MATCH = "match"
    DIFFER = "differ"
    UNVERIFIABLE = "unverifiable"


def is_stars(value: str) -> bool:
    """A mask that keeps nothing of the secret (`********`)."""
    return bool(_STARS.match(value))


def parse_mask(value: str) -> tuple[str, str] | None:
    """Split a mask `P...T` into `(P, T)`; None when the value is not of that form."""
    found = _MASK.match(value)
    if found is None:
        return None
    return found.group("prefix"), found.group("tail")


def is_api_mask(value: str) -> bool:
    """Whether a value has the shape of a mask the API returns, to be taken as a pinned mask.

    Stricter than `is_masked`: a short prefix (or none, or stars) and exactly the last 4
    characters, so that a secret that merely contains `...` is not taken for a pin.
    """
    if is_stars(value):
        return True
    mask = parse_mask(value)
    return mask is not None and len(mask[0]) <= 12 and len(mask[1]) == 4 and " " not in value


def is_pin(value: str) -> bool:
    """Whether a config value is a mask copied from orsync or the API: compared, never sent."""
    return is_api_mask(value) or is_masked_url(value)


def is_masked(value: str) -> bool:
    """Whether a value is a mask rather than a secret in clear."""
    return is_stars(value) or parse_mask(value) is not None


def tail_mask(value: str) -> str:
    """The display form of a secret orsync knows in clear: `...WxYz`, or stars when short."""
    if len(value) >= _MIN_LENGTH_FOR_TAIL:
        return "..." + value[-4:]
    return "********"


def _url_parts(value: str) -> tuple[str, str, str, str] | None:
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
    end = min((i for i in (value.find(c, start) for c in "/?#") if i >= 0), default=len(value))
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
        end = min((i for i in (value.find(c, at) for c in "/?#") if i >= 0), default=len(value))
    return value[:start], value[start:at], value[at + 1 : end], value[end:]


def split_url_password(value: str) -> tuple[str, str, str] | None:
    """`("https://user:", "password", "@host/path")` for a URL carrying a password, else None.

    A user part with no password (`https://token@host`) is taken as the secret itself.
    """
    parts = _url_parts(value)
    if parts is None or not parts[1]:
        return None
    scheme, userinfo, host, rest = parts
    user, colon, password = userinfo.partition(":")
    if not colon:
        return scheme, user, "@" + host + rest
    if not password:
        return None
    return scheme + user + colon, password, "@" + host + rest


def has_url_credentials(value: str) -> bool:
    """Whether a value is a URL carrying credentials: a user part (`https://u:pw@host`,
    `https://token@host`), or a query parameter named like one (`?token=...`)."""
    parts = _url_parts(value)
    if parts is None:
        return False
    split = urlsplit(value) if parts[3] else None
    # Tokens travel in queries, and in fragments too (`#access_token=...`).
    pairs = f"{split.query}&{split.fragment}" if split else ""
    named = any(looks_secret(name) for name, _ in parse_qsl(pairs, keep_blank_values=True))
    return bool(parts[1]) or named


def mask_url(value: str) -> str:
    """A URL as it may be shown: scheme, user name and host; the secret part of the user
    information as stars, and the path and query (where tokens travel too) as `/…`."""
    parts = _url_parts(value)
    if parts is None:
        return value
    scheme, userinfo, host, rest = parts
    user, colon, _ = userinfo.partition(":")
    shown_user = (
        f"{user}:{_HIDDEN_PASSWORD}@" if colon else (f"{_HIDDEN_PASSWORD}@" if userinfo else "")
    )
    return scheme + shown_user + host + ("/…" if rest.strip("/") else "")


def is_masked_url(value: str) -> bool:
    """A URL already masked by `mask_url` (`https://user:****@host/…`): a pin, not a secret."""
    parts = _url_parts(value)
    if parts is None:
        return False
    _, userinfo, _, rest = parts
    secret_part = userinfo.partition(":")[2] or userinfo
    return (bool(secret_part) and is_stars(secret_part)) or (
        rest == "/…" and mask_url(value) == value
    )


def mask_for_file(value: str) -> str:
    """The form of a secret written to a snapshot: a mask as shown, else nothing of the secret.

    Not even its last 4 characters: a snapshot is compared against later, and a tail that
    happens to match would hide a changed secret. A URL keeps its host.
    """
    return _mask_or_url(value) or "********"


def display_live(value: str) -> str:
    """The display form of a secret value the API returned: its mask, never more."""
    return _mask_or_url(value) or tail_mask(value)


def shown_mask(value: str) -> str | None:
    """A value of a mask's shape as it may be shown; None for any other value.

    Stars as they are; else at most 4 characters kept on each side of `...`, as the API's
    masks keep (`sk-l...AbCd`): a secret in clear may hold `...` itself, and its shape alone
    must never let it be shown whole.
    """
    mask = parse_mask(value)
    if mask is None:
        return value if is_stars(value) else None
    prefix, tail = mask
    return f"{prefix[:4]}...{tail[-4:]}"


def _mask_or_url(value: str) -> str | None:
    """A URL by its host (a masked one as it is); a mask as it may be shown; else None."""
    if is_masked_url(value):
        return value
    if _url_parts(value) is not None:
        return mask_url(value)
    return shown_mask(value)


def display_known(value: str) -> str:
    """The display form of a secret orsync holds in clear: a URL by its host, else its tail."""
    return mask_url(value) if _url_parts(value) is not None else tail_mask(value)


def _prefix_fits(prefix: str, secret: str) -> bool:
    return prefix == "" or is_stars(prefix) or secret.startswith(prefix)


def compare_clear(secret: str, live: str) -> Verdict:
    """Compare a secret known in clear with the value the API returned for it."""
    if is_stars(live):
        return Verdict.UNVERIFIABLE
    if is_masked_url(live):
        # A URL masked in a snapshot: its host can differ; the rest cannot be seen, so a
        # match is only "not verified".
        return Verdict.UNVERIFIABLE if mask_url(secret) == live else Verdict.DIFFER
    mask = parse_mask(live)
    if mask is None:
        return Verdict.MATCH if secret == live else Verdict.DIFFER
    prefix, tail = mask
    if secret.endswith(tail) and _prefix_fits(prefix, secret):
        return Verdict.MATCH
    return Verdict.DIFFER


def compare_pin(pin: str, live: str) -> Verdict:
    """Compare a masked pin copied from the API (`sk-l...AbCd`) with the live value."""
    if is_masked_url(pin):
        # `https://user:****@host/…` copied from a plan or snapshot: compared as shown.
        if mask_url(live) != pin:
            return Verdict.DIFFER
        return Verdict.UNVERIFIABLE if is_masked_url(live) else Verdict.MATCH
    pin_mask = parse_mask(pin)
    if pin_mask is None or is_stars(live):
        return Verdict.UNVERIFIABLE
    live_mask = parse_mask(live)
    if live_mask is None:
        # The API returned the value in clear; the pin is then checked like a mask of it.
        return compare_clear(live, pin)
    (pin_prefix, pin_tail), (live_prefix, live_tail) = pin_mask, live_mask
    if pin_tail != live_tail:
        return Verdict.DIFFER
    prefixes_agree = (
        pin_prefix == live_prefix
        or _prefix_fits(pin_prefix, live_prefix)
        or _prefix_fits(live_prefix, pin_prefix)
    )
    return Verdict.MATCH if prefixes_agree else Verdict.DIFFER
