"""A fake of the few GitHub REST API calls the action makes: the comments of one pull request.

Real HTTP on 127.0.0.1, so the action's script talks to it with curl as it talks to GitHub:
`GET /repos/{repo}/issues/{n}/comments` (pages of `per_page`, `page`), `POST` to the same path,
and `PATCH /repos/{repo}/issues/comments/{id}`. `refuse` answers every request with that status
(a fork's read-only token gets 403). Requests are recorded with their Authorization header.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LIST = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments")
_ONE = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)")


@dataclass(frozen=True)
class GithubRequest:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class FakeGithub:
    """Pull-request comments of one repository, served over HTTP."""

    repo: str = "acme/config"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[GithubRequest] = field(default_factory=list)
    refuse: int | None = None
    _next_id: int = 1000
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_comment(self, number: int, body: str, user: str = "someone") -> int:
        with self._lock:
            self._next_id += 1
            comment = {"id": self._next_id, "body": body, "user": {"login": user}}
            self.comments.setdefault(number, []).append(comment)
            return self._next_id

    def __enter__(self) -> FakeGithub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_PATCH(self) -> None:
                self._answer("PATCH")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                url = urlsplit(self.path)
                auth = self.headers.get("Authorization")
                fake.requests.append(GithubRequest(method, self.path, auth, body))
                status, answer = fake.handle(method, url.path, parse_qs(url.query), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if self.refuse is not None:
            return self.refuse, {"message": "Resource not accessible by integration"}
        with self._lock:
            listing = _LIST.fullmatch(path)
            if listing and listing["repo"] == self.repo:
                return self._listing(method, int(listing["number"]), query, body)
            one = _ONE.fullmatch(path)
            if one and one["repo"] == self.repo and method == "PATCH":
                return self._update(int(one["id"]), body)
        return 404, {"message": "Not Found"}

    def _listing(
        self, method: str, number: int, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        comments = self.comments.setdefault(number, [])
        if method == "GET":
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            return 200, comments[(page - 1) * per_page : page * per_page]
        if method == "POST":
            self._next_id += 1
            comment = {"id": self._next_id, "body": body["body"], "user": {"login": "bot"}}
            comments.append(comment)
            return 201, comment
        return 404, {"message": "Not Found"}

    def _update(self, comment_id: int, body: Any) -> tuple[int, Any]:
        for comments in self.comments.values():
            for comment in comments:
                if comment["id"] == comment_id:
                    comment["body"] = body["body"]
                    return 200, comment
        return 404, {"message": "Not Found"}
