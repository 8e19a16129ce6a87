"""Reading the API's answers: JSON bodies and the `data` they hold, a page of a listing, what an
error answer says (cleaned of every secret of the run), where a redirect pointed, and how long
a `Retry-After` asks to wait."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from orsync.errors import ApiError, AuthError
from orsync.sensitive import redact

# How much of a redirect's Location, or of an error message, a message shows.
_SHOWN_LOCATION = 200
_SHOWN_MESSAGE = 200


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The answer's body, a JSON object; anything else is an unexpected answer."""
    where = f"{response.request.method} {response.request.url.path}"
    try:
        body = response.json()
    except RecursionError:
        raise ApiError(f"unexpected API answer to {where}: JSON nested too deeply") from None
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise ApiError(
            f"unexpected API answer to {where}: not JSON ({kind}, {len(response.content)} bytes)"
        ) from None
    if not isinstance(body, dict):
        raise ApiError(f"unexpected API answer to {where}: the body is not a JSON object")
    return body


def data_object(body: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The `data` object of an answer about one thing (`what`: the request, for messages)."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise ApiError(f"unexpected API answer to {what}: no `data` object")
    return data


def page_of(body: Mapping[str, Any], listing: str) -> tuple[list[Any], int]:
    """The items of one page of a listing (`listing`: "destinations", "workspaces") and the
    `total_count` it claims."""
    data, total = body.get("data"), body.get("total_count")
    if not isinstance(data, list) or isinstance(total, bool) or not isinstance(total, int):
        raise ApiError(
            f"unexpected API answer: the {listing} list has no `data` list "
            "or no `total_count` number"
        )
    return data, total


def failure(
    response: httpx.Response, method: str, path: str, *, key_env: str, tries: int = 1
) -> ApiError:
    """The error an answer of 400 or more stands for; `key_env` names where the key is."""
    status = response.status_code
    detail = error_message(response)
    if status == 401:
        return AuthError(
            f"the API refused the key in {key_env} (401: {detail}); "
            "check that it is a valid, current management key",
            status=status,
        )
    if status == 403:
        return AuthError(
            f"the key in {key_env} is not allowed to do this (403: {detail}); "
            "orsync needs a management key",
            status=status,
        )
    after = f" after {tries_text(tries)}" if tries > 1 else ""
    if status == 429:
        return ApiError(f"{method} {path}: rate limited by the API (429){after}", status=status)
    return ApiError(f"{method} {path}: the API answered {status}{after}: {detail}", status=status)


def tries_text(count: int) -> str:
    return f"{count} tries" if count != 1 else "1 try"


def error_message(response: httpx.Response) -> str:
    """The API's error message when the body has one; proxies send HTML or nothing."""
    try:
        body = response.json()
    except RecursionError:
        return "a JSON body nested too deeply"
    except ValueError:
        kind = response.headers.get("Content-Type", "").split(";")[0] or "empty"
        return f"a non-JSON body ({kind})" if response.content else "an empty body"
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        return "no error message"
    # An API may echo what it was sent: take out every secret of the run (the key, what we
    # sent) before shortening, so that no part of one is left.
    message = redact(message)
    printable = "".join(c if c.isprintable() else " " for c in message)
    return printable[:_SHOWN_MESSAGE]


def redirect_target(response: httpx.Response) -> str:
    """Where a 3xx pointed, without credentials, query or fragment (they may hold secrets)."""
    location = response.headers.get("Location", "").strip()
    if not location:
        return "nowhere (no Location header)"
    try:
        parts = urlsplit(location)
    except ValueError:
        return "an unreadable Location"
    host = parts.netloc.rpartition("@")[2]
    shown = urlunsplit((parts.scheme, host, parts.path, "", ""))
    printable = "".join(c if c.isprintable() else "?" for c in shown)
    return printable[:_SHOWN_LOCATION] or "an empty Location"


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a `Retry-After` header asks to wait (None: none, or an HTTP date)."""
    text = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(text) if text else math.nan
    except ValueError:
        seconds = math.nan
    return max(seconds, 0.0) if math.isfinite(seconds) else None
