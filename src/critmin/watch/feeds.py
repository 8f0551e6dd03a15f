"""The feeds file of ``critmin watch``: which RSS/Atom feeds and pages to poll.

Two forms are accepted:

* plain text — one URL per line, optionally followed by a name; ``#`` starts a comment::

      https://example.org/minerals/feed.xml   Minerals wire
      https://example.gov/press/export-controls.html

* YAML — a list of URLs or of mappings ``{url, name, kind}`` (or a mapping with a ``feeds:`` list)::

      feeds:
        - url: https://example.org/minerals/feed.xml
          name: Minerals wire
        - url: https://example.gov/press/export-controls.html
          kind: page

``kind`` is ``auto`` (default: decided from the response, as ``critmin news ingest`` does), ``feed`` or
``page``. Only ``http(s)`` URLs without credentials are accepted (:func:`critmin.news.fetch.check_url`); an
entry's links are never followed. Errors name the file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from critmin.errors import DataError, UnknownValueError
from critmin.yamldoc import record_lines

KINDS = ("auto", "feed", "page")
_KIND_TO_PARSER = {"auto": "auto", "feed": "feed", "page": "html"}
FIELDS = ("url", "name", "kind")


@dataclass(frozen=True)
class Feed:
    """One source polled by the watch: an RSS/Atom feed or a single page."""

    url: str
    name: str
    kind: str = "auto"

    @property
    def parser_kind(self) -> str:
        """The ``kind`` argument of :func:`critmin.news.text.parse_bytes` for this source."""
        return _KIND_TO_PARSER[self.kind]


def _name_from_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.hostname or url) + (parts.path if parts.path not in ("", "/") else "")


def make_feed(url, name=None, kind=None, *, path: str = "<feeds>", line: int | None = None) -> Feed:
    """A checked :class:`Feed`; raises :class:`DataError` naming the file, line and field at fault."""
    from critmin.news.fetch import UnsafeURLError, check_url

    if not isinstance(url, str) or not url.strip():
        raise DataError("a feed needs a url", path=path, line=line, field="url")
    url = url.strip()
    try:
        check_url(url)
    except UnsafeURLError as exc:
        raise DataError(str(exc), path=path, line=line, field="url") from None
    kind = "auto" if kind is None else str(kind).strip().lower()
    if kind not in KINDS:
        raise DataError(str(UnknownValueError("feed kind", kind, KINDS)), path=path, line=line, field="kind")
    if name is not None and not isinstance(name, str | int | float):
        raise DataError("name must be text", path=path, line=line, field="name")
    label = " ".join(str(name).split()) if name is not None else ""
    return Feed(url=url, name=label or _name_from_url(url), kind=kind)


def _from_yaml(text: str, path: str) -> list[Feed]:
    try:
        data = yaml.safe_load(text)
        lines = record_lines(text, "feeds")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(f"invalid YAML: {exc}", path=path, line=mark.line + 1 if mark else None) from None
    if isinstance(data, dict) and "feeds" in data:
        data = data["feeds"]
    if not isinstance(data, list):
        raise DataError("expected a list of feeds (or a mapping with a 'feeds' list)", path=path)
    out = []
    for i, item in enumerate(data):
        line = lines[i] if i < len(lines) else None
        if isinstance(item, str):
            out.append(make_feed(item, path=path, line=line))
            continue
        if not isinstance(item, dict):
            raise DataError(f"a feed is a URL or a mapping, got {type(item).__name__}", path=path, line=line)
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            exc = UnknownValueError("feed field", unknown[0], FIELDS)
            raise DataError(str(exc), path=path, line=line, field=unknown[0])
        out.append(make_feed(item.get("url"), item.get("name"), item.get("kind"), path=path, line=line))
    return out


def _from_lines(text: str, path: str) -> list[Feed]:
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        # a comment starts a line or follows a space (a URL may carry a #fragment)
        line = "" if raw.lstrip().startswith("#") else re.split(r"\s#", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        url, _, name = re.sub(r"\s+", " ", line).partition(" ")
        out.append(make_feed(url, name.strip() or None, path=path, line=n))
    return out


def _looks_like_yaml(text: str, suffix: str) -> bool:
    if suffix in (".yaml", ".yml"):
        return True
    first = next(
        (ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")), ""
    )
    return first.startswith(("-", "feeds:"))


def parse_feeds(text: str, *, path: str = "<feeds>") -> list[Feed]:
    """Feeds from the text of a feeds file (YAML or one URL per line); duplicates refused."""
    suffix = Path(path).suffix.lower()
    feeds = _from_yaml(text, path) if _looks_like_yaml(text, suffix) else _from_lines(text, path)
    if not feeds:
        raise DataError("no feeds listed (one http(s) URL per line, or a YAML list)", path=path)
    seen: dict[str, int] = {}
    for i, f in enumerate(feeds):
        key = re.sub(r"/+$", "", f.url)
        if key in seen:
            raise DataError(f"feed {f.url} is listed twice (entries {seen[key] + 1} and {i + 1})", path=path)
        seen[key] = i
    return feeds


def read_feeds(path: str | Path) -> list[Feed]:
    """Feeds from a feeds file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("feeds file not found", path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text: {exc.reason}", path=str(path)) from None
    return parse_feeds(text, path=str(path))
