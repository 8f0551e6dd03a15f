"""A cache in front of the app: a GET it has answered before (same URL, same Accept, same store version, same
day) is answered from memory without routing, validation or rendering.

Every page and table of critmin is a pure function of its URL, the Accept header, the store's content and
the date (pages say what is "in force today"), so this is safe; it is what keeps a busy dashboard fast on a
small machine. Only complete 200 responses of moderate size are kept; static files have their own caching.
"""

from __future__ import annotations

import datetime as dt

from critmin.web.service import Cached, ResponseCache, Service

MAX_BODY = 4_000_000  # larger responses (big CSV exports) are not worth the memory


class FrontCache:
    """ASGI middleware serving repeated GETs from a :class:`ResponseCache` keyed per store version."""

    def __init__(self, app, service: Service, max_entries: int = 4_000, max_bytes: int = 256_000_000):
        self.app = app
        self.service = service
        self.cache = ResponseCache(max_entries, max_bytes)

    def _key(self, scope) -> tuple:
        accept = b""
        for k, v in scope.get("headers", ()):
            if k == b"accept":
                accept = v
                break
        return (
            self.service.version(),
            dt.date.today().isoformat(),
            scope["path"],
            scope.get("query_string", b""),
            accept,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        hit = self.cache.get(key)
        if hit is not None:
            await send({"type": "http.response.start", "status": hit.status, "headers": hit.headers["raw"]})
            await send({"type": "http.response.body", "body": hit.body})
            return
        start: dict = {}
        parts: list[bytes] = []
        size = 0

        async def capture(message):
            nonlocal size
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= MAX_BODY:
                    parts.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if start.get("status") == 200 and size <= MAX_BODY and key[0] == self.service.version():
            body = b"".join(parts)
            self.cache.put(key, Cached(200, body, "", {"raw": list(start.get("headers", []))}))

    def clear(self) -> None:
        self.cache.clear()
