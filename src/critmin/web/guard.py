"""The app's outer layer (plain ASGI, so it costs little per request): host check, size limits and security
headers on every response.

* **Host header.** A server on 127.0.0.1 answers only requests addressed to a loopback name, so a web page
  elsewhere cannot reach it through DNS rebinding.
* **Sizes.** A query string longer than ``max_query_chars`` gets 414, a body longer than ``max_body_bytes``
  gets 413 (from ``Content-Length`` before reading, or while reading a chunked body).
* **Headers.** A Content-Security-Policy that allows no other origin (scripts, styles, images, fonts and
  connections from this server only; no frames, no plugins, forms post only here), plus nosniff, no
  referrer, no framing, same-origin isolation and a Permissions-Policy that turns off device access.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger("critmin.web")

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        # plotly.js positions its hover labels and modebar with inline style attributes
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), usb=(), payment=()"),
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def _json_error(status: int, code: str, message: str) -> tuple[dict, bytes]:
    body = json.dumps({"error": code, "status": status, "message": message}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *SECURITY_HEADERS,
        ],
    }
    return start, body


class Guard:
    """ASGI middleware: host check, request size limits, security headers."""

    def __init__(
        self, app, *, max_body_bytes: int, max_query_chars: int, allowed_hosts: tuple[str, ...] | None
    ):
        self.app = app
        self.max_body = max_body_bytes
        self.max_query = max_query_chars
        self.allowed_hosts = tuple(h.lower() for h in allowed_hosts) if allowed_hosts else None

    async def _reject(self, send, status: int, code: str, message: str) -> None:
        start, body = _json_error(status, code, message)
        await send(start)
        await send({"type": "http.response.body", "body": body})

    def _host_ok(self, scope) -> bool:
        if self.allowed_hosts is None:
            return True
        host = ""
        for k, v in scope.get("headers", ()):
            if k == b"host":
                host = v.decode("latin-1").lower()
                break
        if host.startswith("["):  # [::1]:8765
            name = host.split("]", 1)[0] + "]"
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in self.allowed_hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._host_ok(scope):
            await self._reject(
                send, 400, "bad_host", "this server answers only requests addressed to its own host name"
            )
            return
        if (
            len(scope.get("query_string", b"")) > self.max_query
            or len(scope.get("raw_path") or b"") > 2 * self.max_query
        ):
            await self._reject(
                send,
                414,
                "uri_too_long",
                f"the request URL is too long (query strings up to {self.max_query} characters)",
            )
            return
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    await self._reject(send, 400, "bad_request", "invalid Content-Length header")
                    return
                if n > self.max_body:
                    await self._reject(
                        send,
                        413,
                        "body_too_large",
                        f"the request body of {n:,} bytes exceeds the limit of {self.max_body:,} bytes",
                    )
                    return
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            # read the (bounded) body here, so an oversized one is refused before the app parses anything
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    await self._reject(
                        send,
                        413,
                        "body_too_large",
                        f"the request body exceeds the limit of {self.max_body:,} bytes",
                    )
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body, replayed = b"".join(chunks), False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            downstream = replay
        else:
            downstream = receive
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-cache"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, downstream, send_with_headers)
        except Exception:
            # the last line of defence: never a traceback to the client (the log has it)
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self._reject(
                    send, 500, "internal_error", "internal error: the server log has the details"
                )
