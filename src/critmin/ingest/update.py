"""``critmin data update``: download the official releases and ingest them.

critmin knows where each publisher puts its release (:data:`RELEASES`). ``update`` first checks that the host
answers (a TCP connection with a short timeout); when it does not — on an offline machine or behind a
firewall — it raises :class:`OfflineError` telling the user which URL to download by hand and which
``critmin data ingest`` command to run. Otherwise it downloads to a temporary file (with a size limit and
timeouts), then ingests it (:func:`critmin.ingest.writer.ingest`), which is a no-op when that exact file is
already in the store.
"""

from __future__ import annotations

import re
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import CritminError, DataError, OfflineError
from critmin.ingest import check_source
from critmin.net import getaddrinfo


@dataclass(frozen=True)
class Release:
    key: str
    name: str
    url: str
    file_name: str  # name the download is saved under (the parsers read editions from names)
    max_bytes: int
    page: str  # human-readable landing page


RELEASES: dict[str, Release] = {
    r.key: r
    for r in [
        Release(
            "baci",
            "CEPII BACI HS92, release V202501 (zip of yearly CSVs, ~2.5 GB)",
            "https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS92_V202501.zip",
            "BACI_HS92_V202501.zip",
            6 << 30,
            "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        ),
        Release(
            "wgi",
            "World Bank Worldwide Governance Indicators (wgidataset.xlsx)",
            "https://www.worldbank.org/content/dam/sites/govindicators/doc/wgidataset.xlsx",
            "wgidataset.xlsx",
            200 << 20,
            "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
        ),
        Release(
            "usgs",
            "USGS Mineral Commodity Summaries 2025 world data (MCS2025_World_Data.csv)",
            "https://www.sciencebase.gov/catalog/file/get/677eaf95d34e760b392c4970?name=MCS2025_World_Data.csv",
            "MCS2025_World_Data.csv",
            50 << 20,
            "https://doi.org/10.5066/P13XCP3R",
        ),
        Release(
            "wmd",
            "World Mining Data, table 6.4 (production by country and mineral)",
            "https://www.bmf.gv.at/dam/jcr:ed3d811d-6edd-4bf9-b564-40cacaedac94/"
            "6.4.%20Production_of_Mineral_Raw_Materials_of_individual_Countries_by_Minerals.xlsx",
            "6.4. Production_of_Mineral_Raw_Materials_of_individual_Countries_by_Minerals.xlsx",
            50 << 20,
            "https://www.bmf.gv.at/en/topics/mining/mineral-resources-policy/wmd.html",
        ),
    ]
}


def _offline(release: Release, host: str, why: str, url: str) -> OfflineError:
    return OfflineError(
        f"cannot reach {host}: the machine is offline; download {url} by hand and run "
        f"`critmin data ingest {release.key} FILE` ({why})"
    )


def check_reachable(url: str, release: Release, timeout: float = 5.0) -> None:
    """Raise :class:`OfflineError` unless a TCP connection to the URL's host opens within ``timeout`` s."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = getaddrinfo(host, port, timeout)
    except TimeoutError:
        raise _offline(release, host, f"no DNS answer within {timeout:g} s", url) from None
    except OSError as exc:
        raise _offline(release, host, f"DNS lookup failed: {exc}", url) from None
    last: OSError | None = None
    for family, stype, proto, _, addr in infos:
        try:
            with socket.socket(family, stype, proto) as s:
                s.settimeout(timeout)
                s.connect(addr)
                return
        except OSError as exc:
            last = exc
    raise _offline(release, host, f"no connection within {timeout:g} s: {last}", url)


def download(url: str, dest: Path, *, max_bytes: int, timeout: float = 30.0, progress=None) -> Path:
    """Stream ``url`` to ``dest`` (refusing more than ``max_bytes``); raises OfflineError/DataError."""
    req = urllib.request.Request(url, headers={"User-Agent": "critmin (https://pypi.org/project/critmin)"})
    host = urllib.parse.urlsplit(url).hostname or url
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            if total is not None and total > max_bytes:
                raise DataError(
                    f"the download is {total:,} bytes, above the {max_bytes:,}-byte limit", path=url
                )
            done = 0
            with open(dest, "wb") as fh:
                while True:
                    block = resp.read(1 << 20)
                    if not block:
                        break
                    done += len(block)
                    if done > max_bytes:
                        raise DataError(f"the download exceeds the {max_bytes:,}-byte limit", path=url)
                    fh.write(block)
                    if progress:
                        progress("downloading", done, total)
    except urllib.error.HTTPError as exc:
        raise DataError(
            f"HTTP {exc.code} {exc.reason} from {host}; the release may have moved — download it by "
            "hand and use `critmin data ingest`",
            path=url,
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OfflineError(f"cannot download {url} from {host}: {reason}") from exc
    return dest


def update(
    store_path=None,
    source: str | None = None,
    *,
    timeout: float = 5.0,
    url: str | None = None,
    download_timeout: float = 60.0,
    progress=None,
) -> list:
    """Download and ingest the official release of ``source`` (all sources when None).

    Returns the ingest reports. ``url`` overrides the known URL (e.g. a newer BACI release; its file name
    must still carry the edition). Raises :class:`OfflineError` when a host cannot be reached.
    """
    from critmin.ingest.writer import ingest

    keys = [check_source(source)] if source else list(RELEASES)
    if url and len(keys) != 1:
        raise CritminError("--url needs a single SOURCE")
    for key in keys:  # check every host first, so an offline machine fails before any download
        release = RELEASES[key]
        check_reachable(url or release.url, release, timeout)
    reports = []
    for key in keys:
        release = RELEASES[key]
        src_url = url or release.url
        with tempfile.TemporaryDirectory(prefix="critmin-update-") as tmp:
            dest = Path(tmp) / download_name(src_url, release)
            if dest.resolve().parent != Path(tmp).resolve():  # never write outside the download folder
                raise DataError("unsafe download file name", path=src_url)
            download(src_url, dest, max_bytes=release.max_bytes, timeout=download_timeout, progress=progress)
            reports.append(ingest(store_path, key, dest, progress=progress, location=src_url))
    return reports


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()+-]")


def safe_file_name(name: str) -> str | None:
    """A file name taken from a URL, reduced to a plain name that cannot leave the download folder.

    Folder parts (``/``, ``\\``, ``..``) are dropped, characters outside letters, digits and ``. _ - ( ) +``
    and space become ``_``, leading dots are removed (no hidden or relative names) and the length is capped;
    None when nothing usable is left.
    """
    base = re.split(r"[/\\]", name)[-1]
    base = _SAFE_NAME.sub("_", base).strip(" ._")[:120].strip(" ._")
    return base or None


def download_name(url: str, release: Release) -> str:
    """The name a download is saved under: the URL's file name (or, for ScienceBase, its ``name=`` parameter)
    made safe by :func:`safe_file_name`, else the release's known file name. The parsers read editions from
    names, so the name is kept where it is safe."""
    parts = urllib.parse.urlsplit(url)
    candidates = urllib.parse.parse_qs(parts.query).get("name", [])[:1]
    candidates.append(urllib.parse.unquote(parts.path))
    for raw in candidates:
        name = safe_file_name(raw)
        if name:
            return name
    return release.file_name


def describe() -> list[dict]:
    """The known releases (for ``critmin data update --list`` and the docs)."""
    return [{"source": r.key, "name": r.name, "url": r.url, "page": r.page} for r in RELEASES.values()]


__all__ = ["RELEASES", "Release", "check_reachable", "describe", "download", "update"]
