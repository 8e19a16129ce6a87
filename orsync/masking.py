"""How the API masks secrets, how orsync masks them for display, and how secrets are compared.

No masking rule is documented. Seen forms: a kept prefix of any length (or stars), `...`, then
the last 4 characters (`sk-l...AbCd`, `****...AbCd`); stars alone (`********`); and, for a few
keys, the value unmasked. The safe reading, used here: a live `P...T` matches a secret S when S
ends with T and P is all stars or S starts with P; stars alone cannot be compared.
"""

from __future__ import annotations

import enum
import re
from urllib.parse import parse_qsl

from orsync.destination_types import looks_secret
from orsync.normalize import normalize_url, split_url

_ELLIPSIS = "..."
# The API keeps the last 4 characters of a secret, whatever they are.
_KEPT_TAIL = 4
# The longest prefix a pin may keep: the API keeps a few characters, or stars.
_MAX_KEPT_PREFIX = 12
# Other tails (no dot in them, so where they start is plain) are read too, to be safe.
_OTHER_TAIL = re.compile(r"^(?P<prefix>.*?)\.\.\.(?P<tail>[^.]{1,16})$", re.DOTALL)
_STARS = re.compile(r"^\*+$")
# Below this length even the last 4 characters would give away too much of a secret.
_MIN_LENGTH_FOR_TAIL = 12
_HIDDEN_PASSWORD = "****"
# A secret shown as nothing of it.
HIDDEN = "********"
# Query parameters that carry a credential though their names do not say so (Azure Functions'
# `code`, Azure SAS `sig`), and the usual ones, beside any name that looks secret.
_SECRET_PARAMETERS = frozenset(
    {"code", "sig", "signature", "key", "apikey", "api_key", "access_token", "token"}
)
# Webhook hosts whose URLs carry their token in the path: (domain, path that holds it). The
# domain matches itself and any host under it (`acme.webhook.office.com`).
_TOKEN_PATHS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hooks.slack.com", re.compile(r"/[^/]")),
    ("discord.com", re.compile(r"/api(/v\d+)?/webhooks/", re.IGNORECASE)),
    ("discordapp.com", re.compile(r"/api(/v\d+)?/webhooks/", re.IGNORECASE)),
    # Microsoft Teams: /webhookb2/<id>@<tenant>/IncomingWebhook/<token>/<id> (`/webhook/` on
    # the older outlook.office.com URLs).
    ("webhook.office.com", re.compile(r"/webhook(b2)?/", re.IGNORECASE)),
    ("outlook.office.com", re.compile(r"/webhook(b2)?/", re.IGNORECASE)),
    # Zapier: /hooks/catch/<account>/<token>/.
    ("hooks.zapier.com", re.compile(r"/hooks/", re.IGNORECASE)),
    # Telegram's bot API: /bot<token>/<method>, and /file/bot<token>/<path>.
    ("api.telegram.org", re.compile(r"/(file/)?bot[^/]", re.IGNORECASE)),
)


class Verdict(enum.Enum):
    """The outcome of comparing a declared secret with what the API shows."""

    MATCH = "match"
    DIFFER = "differ"
    UNVERIFIABLE = "unverifiable"


def is_stars(value: str) -> bool:
    """A mask that keeps nothing of the secret (`********`)."""
    return bool(_STARS.match(value))


def parse_mask(value: str) -> tuple[str, str] | None:
    """Split a mask `P...T` into `(P, T)`; None when the value is not of that form.

    The kept tail may hold dots, even `...` (`sk-l...b.cd`, `sk-l......x` for a secret
    ending in `...x`), so the separator is found from the end: a `...` followed by exactly
    the 4 characters the API keeps. Failing that, a tail of 1 to 16 characters with no dot.
    """
    separator = len(value) - _KEPT_TAIL - len(_ELLIPSIS)
    if separator >= 0 and value[separator:].startswith(_ELLIPSIS):
        return value[:separator], value[-_KEPT_TAIL:]
    found = _OTHER_TAIL.match(value)
    if found is None:
        return None
    return found.group("prefix"), found.group("tail")


def is_api_mask(value: str) -> bool:
    """Whether a value has the shape of a mask the API returns, to be taken as a pinned mask.

    Stricter than `is_masked`: a short prefix (or none, or stars) and exactly the last 4
    characters, so that a secret that merely contains `...` elsewhere is not taken for a pin.
    The kept ends are the secret's own characters, so they may be any (`Bear... xyz` masks
    `Bearer 0123456789 xyz`): only the shape tells a mask. A secret in clear of exactly that
    shape (`...` 4 characters from its end, at most 12 before) is read as a pin too, and so
    never sent: the safe side, since sending a mask would write it as the credential.
    """
    if is_stars(value):
        return True
    mask = parse_mask(value)
    return mask is not None and len(mask[0]) <= _MAX_KEPT_PREFIX and len(mask[1]) == _KEPT_TAIL


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
    return HIDDEN


def split_url_password(value: str) -> tuple[str, str, str] | None:
    """`("https://user:", "password", "@host/path")` for a URL carrying a password, else None.

    A user part with no password (`https://token@host`) is taken as the secret itself.
    """
    parts = split_url(value)
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
    `https://token@host`), a query parameter named like one (`?token=...`, `?code=...`,
    `?sig=...`), or a token in the path of a webhook host that puts it there (Slack,
    Discord, Microsoft Teams, Zapier, Telegram)."""
    parts = split_url(value)
    if parts is None:
        return False
    _, userinfo, host, rest = parts
    return bool(userinfo) or _has_secret_parameter(rest) or _has_token_path(host, rest)


def _has_secret_parameter(rest: str) -> bool:
    """Whether the query or fragment after the path names a credential."""
    start = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    # Tokens travel in queries, and in fragments too (`#access_token=...`); parameters are
    # parted by `&`, or by `;` as older servers read them (`?a=1;token=...`).
    query = re.sub("[#;]", "&", rest[start + 1 :])
    pairs = parse_qsl(query, keep_blank_values=True)
    return any(name.lower() in _SECRET_PARAMETERS or looks_secret(name) for name, _ in pairs)


def _has_token_path(host: str, rest: str) -> bool:
    """Whether the path is where this host's webhook URLs carry their token."""
    name, colon, port = host.lower().rpartition(":")
    name = (name if colon and port.isdigit() else host.lower()).rstrip(".")
    path = rest.split("?", 1)[0].split("#", 1)[0]
    return any(
        (name == domain or name.endswith("." + domain)) and pattern.match(path)
        for domain, pattern in _TOKEN_PATHS
    )


def mask_url(value: str) -> str:
    """A URL as it may be shown: scheme, user name and host; the secret part of the user
    information as stars, and the path and query (where tokens travel too) as `/…`."""
    parts = split_url(value)
    if parts is None:
        return value
    scheme, userinfo, host, rest = parts
    user, colon, _ = userinfo.partition(":")
    shown_user = (
        f"{user}:{_HIDDEN_PASSWORD}@" if colon else (f"{_HIDDEN_PASSWORD}@" if userinfo else "")
    )
    return scheme + shown_user + host + ("/…" if rest.strip("/") else "")


def url_host(value: str) -> str | None:
    """The host of a URL-like value (`scheme://...`), in lower case and without user, password
    or port: what may be said of where a secret URL sends; None for a value that is no URL.

    A backslash counts as a slash, as browsers and WHATWG parsers read web URLs: so
    `https://evil.example\\@good.example` is a URL to evil.example, not good.example."""
    if value[:8].lower().startswith(("http://", "https://")):
        value = value.replace("\\", "/")
    parts = split_url(value)
    if parts is None:
        return None
    hostport = parts[2]
    if hostport.startswith("["):
        host = hostport[1 : hostport.find("]")] if "]" in hostport else hostport[1:]
    else:
        host = hostport.partition(":")[0]
    return host.strip().rstrip(".").lower() or None


def is_masked_url(value: str) -> bool:
    """A URL already masked by `mask_url` (`https://user:****@host/…`): a pin, not a secret."""
    parts = split_url(value)
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
    return _mask_or_url(value) or HIDDEN


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
    if split_url(value) is not None:
        return mask_url(value)
    return shown_mask(value)


def display_known(value: str) -> str:
    """The display form of a secret orsync holds in clear: a URL by its host, else its tail."""
    return mask_url(value) if split_url(value) is not None else tail_mask(value)


def _prefix_fits(prefix: str, secret: str) -> bool:
    return prefix == "" or is_stars(prefix) or secret.startswith(prefix)


def _same_url(one: str, other: str) -> bool:
    """Equal once normalized: a secret URL compares like any other (trailing `/`, host case)."""
    return normalize_url(one) == normalize_url(other)


def compare_clear(secret: str, live: str) -> Verdict:
    """Compare a secret known in clear with the value the API returned for it."""
    if is_stars(live):
        return Verdict.UNVERIFIABLE
    if _same_url(secret, live):
        # Returned in clear: the same value, though it may hold `...` and read as a mask.
        return Verdict.MATCH
    if is_masked_url(live):
        # A URL masked in a snapshot: its host can differ; the rest cannot be seen, so a
        # match is only "not verified".
        return Verdict.UNVERIFIABLE if _same_url(mask_url(secret), live) else Verdict.DIFFER
    mask = parse_mask(live)
    if mask is None:  # in clear, and not the same (tried above)
        return Verdict.DIFFER
    prefix, tail = mask
    # The mask is of what the API stored: the secret as written, or normalized.
    for candidate in (secret, normalize_url(secret)):
        if candidate.endswith(tail) and _prefix_fits(prefix, candidate):
            return Verdict.MATCH
    return Verdict.DIFFER


def compare_pin(pin: str, live: str) -> Verdict:
    """Compare a masked pin copied from the API (`sk-l...AbCd`) with the live value."""
    if is_masked_url(pin):
        # `https://user:****@host/…` copied from a plan or snapshot: compared as shown.
        # Only scheme, user and host are shown: the rest (a path token, a query) can differ
        # unseen, so a pin that agrees is "not verified", never a match.
        if not _same_url(mask_url(live), pin):
            return Verdict.DIFFER
        return Verdict.UNVERIFIABLE
    pin_mask = parse_mask(pin)
    if pin_mask is None or is_stars(live):
        return Verdict.UNVERIFIABLE
    live_mask = parse_mask(live)
    if live_mask is not None and _masks_agree(pin_mask, live_mask):
        return Verdict.MATCH
    # The API returned the value in clear (a clear value may hold `...` too): the pin is
    # then checked like a mask of it.
    return compare_clear(live, pin)


def _masks_agree(pin: tuple[str, str], live: tuple[str, str]) -> bool:
    """Whether two masks may be of one secret: the same tail, and prefixes that fit."""
    (pin_prefix, pin_tail), (live_prefix, live_tail) = pin, live
    if pin_tail != live_tail:
        return False
    return (
        pin_prefix == live_prefix
        or _prefix_fits(pin_prefix, live_prefix)
        or _prefix_fits(live_prefix, pin_prefix)
    )
