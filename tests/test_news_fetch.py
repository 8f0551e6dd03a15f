"""Fetching explicit URLs safely: private addresses refused, redirects checked, timeouts and size limits.

A real HTTP server runs on 127.0.0.1 for these tests. Loopback is refused by default, so the positive tests
pass ``allow_networks=["127.0.0.1/32"]`` — the documented way to trust one internal network explicitly.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from critmin.errors import DataError, OfflineError
from critmin.news.fetch import UnsafeURLError, address_refusal, fetch_url, resolve_public
from critmin.news.text import read_source

PAGE = (
    b"<html><head><title>Quota news</title></head><body><article><p>The Democratic Republic of Congo "
    b"announced on Sunday strict annual export quotas for cobalt, the regulator said.</p></article></body></html>"
)
LOCAL = ["127.0.0.1/32"]


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/article.html":
            self._send(200, PAGE)
        elif self.path == "/big":
            self._send(200, b"a" * 200_000, ctype="text/plain")
        elif self.path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"b" * 10_000)
        elif self.path == "/pdf":
            self._send(200, b"%PDF-1.4", ctype="application/pdf")
        elif self.path == "/redirect-ok":
            self._send(302, headers=[("Location", "/article.html")])
        elif self.path == "/redirect-private":
            self._send(302, headers=[("Location", "http://10.0.0.1/internal")])
        elif self.path == "/redirect-metadata":
            self._send(301, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
        elif self.path == "/redirect-file":
            self._send(302, headers=[("Location", "file:///etc/passwd")])
        elif self.path == "/loop":
            self._send(302, headers=[("Location", "/loop")])
        elif self.path == "/slow":
            time.sleep(2)
            self._send(200, b"late")
        else:
            self._send(404, b"no")


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.1.2.3", "10.0.0.1", "10.255.1.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "::1",
     "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address):
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert address_refusal(address) is None


def test_an_explicitly_allowed_network_passes():
    assert address_refusal("10.1.2.3", ["10.1.2.0/24"]) is None
    assert address_refusal("10.1.3.3", ["10.1.2.0/24"]) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/news",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "https://localhost:8443/feed.xml",
        "http://0.0.0.0/",
    ],
)
def test_urls_resolving_to_private_addresses_are_refused(url):
    with pytest.raises(UnsafeURLError, match="refusing"):
        fetch_url(url, timeout=2)


def test_localhost_name_is_resolved_and_every_address_checked():
    with pytest.raises(UnsafeURLError, match="loopback"):
        resolve_public("localhost", 80)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/", "http://user:pw@example.org/"],
)
def test_other_schemes_and_credentials_are_refused(url):
    with pytest.raises(UnsafeURLError):
        fetch_url(url)


def test_local_server_refused_by_default(server):
    with pytest.raises(UnsafeURLError, match="loopback"):
        fetch_url(f"{server}/article.html", timeout=2)
    with pytest.raises(UnsafeURLError):
        read_source(f"{server}/article.html", timeout=2)


def test_fetch_and_read_an_allowed_page(server):
    pytest.importorskip("trafilatura", reason="the [news] extra is not installed")
    res = fetch_url(f"{server}/article.html", timeout=2, allow_networks=LOCAL)
    assert res.status == 200 and res.content_type == "text/html" and res.data == PAGE
    (art,) = read_source(f"{server}/redirect-ok", timeout=2, allow_networks=LOCAL)
    assert art.url.endswith("/article.html")
    assert "export quotas for cobalt" in art.text


@pytest.mark.parametrize("path", ["/redirect-private", "/redirect-metadata", "/redirect-file"])
def test_redirects_to_private_addresses_or_other_schemes_are_refused(server, path):
    with pytest.raises(UnsafeURLError):
        fetch_url(f"{server}{path}", timeout=2, allow_networks=LOCAL)


def test_redirect_loops_stop(server):
    with pytest.raises(OfflineError, match="redirects"):
        fetch_url(f"{server}/loop", timeout=2, allow_networks=LOCAL)


def test_size_limit_by_header_and_while_reading(server):
    with pytest.raises(DataError, match="exceeds the limit"):
        fetch_url(f"{server}/big", timeout=2, max_bytes=100_000, allow_networks=LOCAL)
    with pytest.raises(DataError, match="exceeds the limit"):
        fetch_url(f"{server}/big-unannounced", timeout=2, max_bytes=100_000, allow_networks=LOCAL)


def test_binary_content_type_is_refused(server):
    with pytest.raises(DataError, match="not text"):
        fetch_url(f"{server}/pdf", timeout=2, allow_networks=LOCAL)


def test_timeout(server):
    with pytest.raises(OfflineError, match="timed out"):
        fetch_url(f"{server}/slow", timeout=0.3, allow_networks=LOCAL)


def test_http_errors_are_reported(server):
    with pytest.raises(OfflineError, match="404"):
        fetch_url(f"{server}/missing", timeout=2, allow_networks=LOCAL)
