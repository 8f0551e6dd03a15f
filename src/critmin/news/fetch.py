"""Fetching one explicitly given URL, safely. This is the news pipeline's only network use.

Rules (server-side request forgery defences, OWASP "SSRF Prevention Cheat Sheet"):

* only ``http`` and ``https`` URLs, without user names or passwords in them;
* the host name is resolved first and **every** address it resolves to must be public
  (``ipaddress`` ``is_global``, not multicast): loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12,
  192.168/16, fc00::/7), link-local (169.254/16 — cloud metadata endpoints —, fe80::/10), carrier-grade NAT,
  reserved and unspecified addresses are refused, also when wrapped in IPv4-mapped IPv6 (``::ffff:127.0.0.1``);
* the connection goes to the address that was checked (no second DNS lookup that could be rebound);
* redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each target checked like the first URL;
* a timeout on connecting and on every read, an overall deadline, and a size limit on the body (the
  ``Content-Length`` header is checked before reading, and reading stops one byte past the limit);
* only textual content types are accepted (HTML, XML feeds, JSON, plain text).

For repeated polling (``critmin watch``) two politeness helpers are optional: a conditional GET (pass the
``etag`` / ``last_modified`` validators of the previous response; a ``304 Not Modified`` comes back as a
result with ``not_modified`` true and no body, RFC 9110 §13.1) and a per-host rate limit
(:class:`HostRateLimit`).

Environment proxies are not used. A caller that must reach a trusted internal server can pass its network
explicitly (``allow_networks=["10.1.2.0/24"]``); nothing is allowed by default.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from critmin.errors import CritminError, DataError, OfflineError

DEFAULT_TIMEOUT = 15.0  # seconds, per connect/read
DEFAULT_MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
USER_AGENT = "critmin-news/1.0 (+https://github.com/critmin; explicit single-URL fetch)"
TEXT_TYPES = (
    "text/",
    "application/xhtml+xml",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/json",
    "application/feed+json",
)


class UnsafeURLError(CritminError):
    """A URL that critmin refuses to fetch (scheme, credentials, or a non-public address)."""


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL after redirects
    data: bytes
    content_type: str | None
    charset: str | None
    status: int
    # validators for a conditional GET next time (RFC 9110 §8.8); None when the server sent none
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for a ``304 Not Modified`` answer to a conditional GET (no body)."""
        return self.status == 304


class HostRateLimit:
    """At most one request every ``min_interval`` seconds to each host name (thread-safe).

    ``clock`` and ``sleep`` can be replaced (tests). :meth:`wait` returns the seconds it slept.
    """

    def __init__(self, min_interval: float = 1.0, *, clock=time.monotonic, sleep=time.sleep):
        if min_interval < 0:
            raise ValueError(f"min_interval must be >= 0, got {min_interval}")
        self.min_interval = float(min_interval)
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        key = host.lower()
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(key, now))
            self._next[key] = start + self.min_interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


def _validator(value: str | None) -> str | None:
    """A stored ETag/Last-Modified value fit to send back (no control characters: header injection)."""
    if not value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or len(value) > 1024:
        return None
    return value


def address_refusal(address: str, allow_networks: Iterable[str] = ()) -> str | None:
    """Why ``address`` may not be contacted (None when it is a public address or explicitly allowed)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    for net in allow_networks:
        if ip in ipaddress.ip_network(net, strict=False):
            return None
    for attr, label in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_private", "private"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_unspecified", "unspecified"),
    ):
        if getattr(ip, attr, False):
            return f"{label} address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"
    return None


def resolve_public(host: str, port: int, allow_networks: Iterable[str] = ()) -> list[str]:
    """Addresses of ``host``; raises :class:`UnsafeURLError` if any of them is not public."""
    allow_networks = list(allow_networks)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OfflineError(f"cannot resolve host {host!r}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OfflineError(f"host {host!r} has no address")
    for addr in addresses:
        reason = address_refusal(addr, allow_networks)
        if reason:
            raise UnsafeURLError(
                f"refusing to fetch {host!r}: it resolves to a {reason} (only public addresses are fetched)"
            )
    return addresses


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path+query) of a URL critmin may fetch; raises :class:`UnsafeURLError`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(f"refusing URL {url!r}: only http and https URLs are fetched")
    if parts.username or parts.password:
        raise UnsafeURLError(f"refusing URL {url!r}: credentials in URLs are not allowed")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"refusing URL {url!r}: no host name")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise UnsafeURLError(f"refusing URL {url!r}: invalid port") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _content_type(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    parts = [p.strip() for p in header.split(";")]
    ctype = parts[0].lower() or None
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip("\"' ") or None
    return ctype, charset


def fetch_url(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_networks: Iterable[str] = (),
    etag: str | None = None,
    last_modified: str | None = None,
    rate_limit: HostRateLimit | None = None,
) -> FetchResult:
    """GET one URL under the rules of this module; returns the body and its content type.

    ``etag`` / ``last_modified``: validators of an earlier response, sent as ``If-None-Match`` /
    ``If-Modified-Since`` (a 304 answer is returned with ``not_modified`` true and no body). ``rate_limit``:
    waits before each request (redirects included) until the host may be contacted again.

    Raises :class:`UnsafeURLError` (refused), :class:`~critmin.errors.OfflineError` (network, timeout, HTTP
    error) or :class:`~critmin.errors.DataError` (too large, not text).
    """
    allow_networks = list(allow_networks)
    deadline = time.monotonic() + 4 * timeout
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = check_url(current)
        addresses = resolve_public(host, port, allow_networks)
        cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = cls(host, port, addresses[0], timeout)
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html, application/xml;q=0.9, */*;q=0.5"}
        for name, value in (
            ("If-None-Match", _validator(etag)),
            ("If-Modified-Since", _validator(last_modified)),
        ):
            if value:
                headers[name] = value
        if rate_limit is not None:
            rate_limit.wait(host)
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            if resp.status == 304:
                etag = resp.getheader("ETag") or etag
                modified = resp.getheader("Last-Modified") or last_modified
                return FetchResult(current, b"", None, None, 304, etag=etag, last_modified=modified)
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                if not location:
                    raise OfflineError(f"{current}: redirect ({resp.status}) without a Location header")
                current = urljoin(current, location)
                continue
            if resp.status >= 400:
                raise OfflineError(f"{current}: HTTP {resp.status} {resp.reason}")
            ctype, charset = _content_type(resp.getheader("Content-Type"))
            if ctype and not ctype.startswith(TEXT_TYPES):
                raise DataError(
                    f"content type {ctype!r} is not text (critmin reads HTML, RSS/Atom, JSON or plain text)",
                    path=current,
                )
            length = resp.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise DataError(
                    f"response of {int(length):,} bytes exceeds the limit of {max_bytes:,}", path=current
                )
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise OfflineError(f"{current}: timed out after {4 * timeout:.0f} s")
                chunk = resp.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise DataError(f"response exceeds the limit of {max_bytes:,} bytes", path=current)
                chunks.append(chunk)
            validators = {"etag": resp.getheader("ETag"), "last_modified": resp.getheader("Last-Modified")}
            return FetchResult(current, b"".join(chunks), ctype, charset, resp.status, **validators)
        except TimeoutError:
            raise OfflineError(f"{current}: timed out (limit {timeout:g} s)") from None
        except ssl.SSLError as exc:
            raise OfflineError(f"{current}: TLS error: {exc.reason or exc}") from None
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, CritminError):
                raise
            raise OfflineError(f"{current}: {exc}") from None
        finally:
            conn.close()
    raise OfflineError(f"{url}: more than {MAX_REDIRECTS} redirects")
