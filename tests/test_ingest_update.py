"""``critmin data update``: offline is a clear error; downloads (from a local HTTP server) are size-limited."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from critmin.errors import DataError, OfflineError
from critmin.ingest import update as upd

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.mark.parametrize("source", ["baci", "wgi", "usgs", "wmd"])
def test_offline_machine_gets_a_clear_error(source, tmp_store):
    """Real network check with a short timeout (this machine reaches only package registries)."""
    release = upd.RELEASES[source]
    try:
        upd.check_reachable(release.url, release, timeout=2)
    except OfflineError:
        pass
    else:
        pytest.skip(f"{release.url} is reachable: the machine is online")
    with pytest.raises(OfflineError) as err:
        upd.update(tmp_store, source, timeout=2)
    msg = str(err.value)
    host = release.url.split("/")[2]
    assert msg.startswith(f"cannot reach {host}: the machine is offline; download {release.url} by hand")
    assert f"`critmin data ingest {source} FILE`" in msg


def test_every_release_is_known():
    assert set(upd.RELEASES) == {"baci", "wgi", "usgs", "wmd"}
    assert all(r["url"].startswith("https://") for r in upd.describe())


@pytest.fixture()
def http_dir(tmp_path):
    """A real local HTTP server serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_refuses_files_above_the_limit(http_dir, tmp_path):
    root, base = http_dir
    (root / "big.bin").write_bytes(b"x" * 5000)
    with pytest.raises(DataError, match="limit"):
        upd.download(f"{base}/big.bin", tmp_path / "out.bin", max_bytes=1000, timeout=5)
    upd.download(f"{base}/big.bin", tmp_path / "ok.bin", max_bytes=10_000, timeout=5)
    assert (tmp_path / "ok.bin").stat().st_size == 5000


def test_missing_release_is_a_data_error(http_dir, tmp_path):
    _, base = http_dir
    with pytest.raises(DataError, match="HTTP 404"):
        upd.download(f"{base}/nope.zip", tmp_path / "x", max_bytes=10, timeout=5)


def test_update_from_a_url_downloads_and_ingests(http_dir, tmp_store):
    root, base = http_dir
    shutil.copy(FIXTURES / "BACI_HS92_Y2023_V202501.csv", root)
    reports = upd.update(tmp_store, "baci", url=f"{base}/BACI_HS92_Y2023_V202501.csv", timeout=2)
    assert [r.status for r in reports] == ["ingested"]
    assert reports[0].rows == 8 and reports[0].edition == "HS92 V202501"
    again = upd.update(tmp_store, "baci", url=f"{base}/BACI_HS92_Y2023_V202501.csv", timeout=2)
    assert again[0].status == "already ingested"
