"""Reading news inputs into plain-text :class:`~critmin.news.model.Article` records.

Accepted inputs: plain text, HTML (the main text is extracted with trafilatura — boilerplate, navigation
and comments dropped; Barbaresi 2021, *ACL demo* "Trafilatura: A Web Scraping Library and Command-Line Tool
for Text Discovery and Extraction"), RSS/Atom feeds (feedparser; one article per entry, from the entry's
own summary/content — links are never followed), and the development set's JSON article format
(``{"id", "url", "title", "publisher", "published", "text", ...}``, one object, a list, or JSON lines).

Article text is untrusted: inputs over the size limit or that look binary are refused with a clear error;
HTML is reduced to text and never rendered; control characters and terminal escape sequences are removed
(:func:`critmin.news.model.clean_text`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from critmin.errors import DataError, UnknownValueError
from critmin.news.model import Article

DEFAULT_MAX_BYTES = 5_000_000
SUFFIXES = (".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".xml", ".rss", ".atom", ".json", ".jsonl")
_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive (or DOCX/XLSX)",
    b"\x1f\x8b": "gzip archive",
    b"BZh": "bzip2 archive",
    b"\xfd7zXZ": "xz archive",
    b"7z\xbc\xaf": "7-zip archive",
    b"\x7fELF": "executable",
    b"MZ": "Windows executable",
    b"\xd0\xcf\x11\xe0": "MS Office document",
    b"SQLite format 3": "SQLite database",
    b"DUCK": "DuckDB database",
    b"PAR1": "Parquet file",
}
# Italian function words no English text uses (a headline or a one-line note has few words: "ha", "sul",
# "dalla" decide "L'esecutivo ha approvato il decreto sulle terre rare", where "in" and "il" tie)
_IT_WORDS = re.compile(
    r"\b(?:il|della|delle|degli|che|di|per|con|del|nel|una|sono|è|anche|alla|dei|gli|le|ha|hanno|sul|sulla|sulle"
    r"|sui|dal|dalla|dall|nella|tra|ai|lo)\b"
)
_EN_WORDS = re.compile(r"\b(?:the|of|and|to|in|that|for|with|on|was|is|said|its|by|from|has)\b")
_DATE_ARG = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_ISO_PREFIX = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?")


def detect_language(text: str) -> str:
    """'it' or 'en' (or 'und' for text with neither), by counting common function words."""
    sample = text[:5000].lower()
    it = len(_IT_WORDS.findall(sample))
    en = len(_EN_WORDS.findall(sample))
    if it == 0 and en == 0:
        return "und"
    return "it" if it > en else "en"


def check_published(value: str | None) -> str | None:
    """A publication date given by the user: ``YYYY-MM-DD``, or ``YYYY-MM`` when only the month is known;
    None when empty."""
    if value is None or value == "":
        return None
    from critmin.news.dates import parse_publication

    text = str(value).strip()
    if _DATE_ARG.match(text):
        pub = parse_publication(text)
        if pub is not None:
            return pub.value
    raise UnknownValueError(
        "publication date", value, hint="write it as YYYY-MM-DD, or YYYY-MM when only the month is known"
    )


def decode(
    data: bytes, *, name: str = "<input>", charset: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> str:
    """Bytes → text, refusing oversized and binary input with an error naming the input."""
    if len(data) > max_bytes:
        raise DataError(f"input of {len(data):,} bytes exceeds the limit of {max_bytes:,} bytes", path=name)
    for magic, label in _MAGIC.items():
        if data.startswith(magic):
            raise DataError(
                f"binary input ({label}); critmin reads plain text, HTML, RSS/Atom or JSON", path=name
            )
    if b"\x00" in data[:65536]:
        raise DataError(
            "binary input (contains NUL bytes); critmin reads plain text, HTML, RSS/Atom or JSON", path=name
        )
    text = None
    for enc in [charset, "utf-8-sig"] if charset else ["utf-8-sig"]:
        try:
            text = data.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        text = data.decode("cp1252", errors="replace")
    sample = text[:65536]
    if sample:
        control = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r\f") or c == "\ufffd")
        # a few stray escapes are text with junk in it (removed later); many are a binary file
        if control / len(sample) > 0.10 or (control > 64 and control / len(sample) > 0.02):
            raise DataError(
                f"binary input ({control} control/undecodable characters in the first {len(sample):,}); "
                "critmin reads plain text, HTML, RSS/Atom or JSON",
                path=name,
            )
    return text


def sniff(text: str, *, name: str = "", content_type: str | None = None) -> str:
    """'json' | 'feed' | 'html' | 'text'."""
    head = text.lstrip()[:2000]
    low = head.lower()
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in (".json", ".jsonl") or (content_type and "json" in content_type):
        return "json"
    if head[:1] in ("{", "[") and _parses_as_json(text):
        return "json"
    body = re.sub(r"^<\?xml[^>]*>\s*(?:<!--.*?-->\s*)*", "", low, flags=re.S)
    if re.match(r"(?:<!doctype[^>]*>\s*)?<(?:rss|feed|rdf:rdf)\b", body) or (
        content_type and re.search(r"rss|atom", content_type)
    ):
        return "feed"
    if (content_type and "html" in content_type) or re.search(
        r"<!doctype html|<html[\s>]|<body[\s>]|<head[\s>]|<p[\s>]|<div[\s>]|<article[\s>]", low
    ):
        return "html"
    return "text"


def _parses_as_json(text: str) -> bool:
    """Whole text, or its first line (JSON lines), is JSON: a text starting with '[' may be prose."""
    stripped = text.strip()
    for candidate in (stripped, stripped.split("\n", 1)[0]):
        try:
            json.loads(candidate)
            return True
        except json.JSONDecodeError:
            continue
        except RecursionError:
            return True  # JSON nested too deeply: the JSON reader says so
    return False


# An article record is an object of strings; nesting deeper than this is not an article (and Python's JSON
# parser would exhaust the stack on 100,000 levels).
MAX_JSON_DEPTH = 64
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets nest deeper than ``limit`` (string literals skipped; one linear pass)."""
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif c in "]}":
            depth -= 1
    return False


def _dateline_published(text: str) -> str | None:
    """A publication date written on a line of its own near the top ("March 28, 2023", "25 February 2025")."""
    from critmin.news.dates import find_dates

    for line in text.split("\n")[:12]:
        line = line.strip()
        if not line or len(line) > 40:
            continue
        found = find_dates(line)
        if (
            len(found) == 1
            and found[0].precision == "day"
            and found[0].value
            and len(found[0].text) >= len(line) - 3
        ):
            return found[0].value
    return None


def _title_of_text(text: str) -> str | None:
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if len(lines) > 1 and len(lines[0]) <= 150 and not re.search(r"[.!?]$", lines[0]):
        return lines[0]
    return None


def _from_text(text, *, name, url, published) -> Article:
    basis = "given" if published else None
    if not published:
        published = _dateline_published(text)
        basis = "dateline in text" if published else None
    return Article(
        text=text,
        url=url,
        title=_title_of_text(text),
        published=published,
        published_basis=basis,
        kind="text",
        source=name,
    )


def _from_html(html: str, *, name, url, published) -> Article:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise DataError(
            f"reading HTML needs trafilatura and lxml_html_clean (pip install 'critmin[news]'): {exc}",
            path=name,
        ) from None
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
    )
    text = getattr(doc, "text", None) if doc is not None else None
    if isinstance(doc, dict):
        text = doc.get("text")
    if not text or not text.strip():
        raise DataError("no article text found in the HTML", path=name)

    def meta(key):
        return doc.get(key) if isinstance(doc, dict) else getattr(doc, key, None)

    basis = "given" if published else None
    if not published:
        d = meta("date")
        if d and _DATE_ARG.match(str(d)[:10]):
            published, basis = str(d)[:10], "HTML metadata"
    return Article(
        text=text,
        url=meta("url") or url,
        title=meta("title"),
        publisher=meta("sitename"),
        published=published,
        published_basis=basis,
        kind="html",
        source=name,
    )


def html_fragment_to_text(fragment: str) -> str:
    """Text of a small HTML fragment (a feed entry's summary): tags dropped, block elements on their own lines."""
    import lxml.html

    if not fragment or "<" not in fragment:
        import html as html_mod

        return html_mod.unescape(fragment or "")
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # malformed markup: fall back to stripping tags
        import html as html_mod

        return html_mod.unescape(re.sub(r"<[^>]+>", " ", fragment))
    for bad in root.xpath(".//script|.//style|.//iframe|.//object|.//embed|.//noscript"):
        bad.drop_tree()
    for block in root.xpath(".//p|.//div|.//br|.//li|.//h1|.//h2|.//h3|.//h4|.//tr|.//blockquote"):
        block.tail = "\n" + (block.tail or "")
    text = root.text_content()
    return re.sub(r"\n\s*\n+", "\n", text).strip()


def _from_feed(data: bytes, *, name, published) -> list[Article]:
    try:
        import feedparser
    except ImportError as exc:  # pragma: no cover
        raise DataError(
            f"reading feeds needs feedparser (pip install 'critmin[news]'): {exc}", path=name
        ) from None
    parsed = feedparser.parse(data)
    if not parsed.entries:
        problem = getattr(parsed, "bozo_exception", None)
        raise DataError(f"no entries in the feed{': ' + str(problem) if problem else ''}", path=name)
    publisher = parsed.feed.get("title")
    out = []
    for i, entry in enumerate(parsed.entries):
        body = ""
        if entry.get("content"):
            body = entry["content"][0].get("value", "")
        body = body or entry.get("summary", "") or entry.get("description", "")
        text = html_fragment_to_text(body)
        title = html_fragment_to_text(entry.get("title", "")) or None
        if title and not text.startswith(title):
            text = f"{title}\n\n{text}" if text else title
        if not text.strip():
            continue
        pub, basis = None, None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            pub, basis = f"{stamp.tm_year:04d}-{stamp.tm_mon:02d}-{stamp.tm_mday:02d}", "feed entry date"
        elif published:
            pub, basis = published, "given"
        out.append(
            Article(
                text=text,
                url=entry.get("link"),
                title=title,
                publisher=publisher,
                published=pub,
                published_basis=basis,
                kind="feed",
                source=f"{name}#{i + 1}",
            )
        )
    if not out:
        raise DataError("the feed's entries have no text", path=name)
    return out


_JSON_FIELDS = {"id", "url", "title", "publisher", "published", "text", "language", "published_basis"}


def _from_json(text: str, *, name, published) -> list[Article]:
    records = []
    stripped = text.strip()
    if _json_depth_exceeds(stripped):
        raise DataError(
            f"JSON nested more than {MAX_JSON_DEPTH} levels deep; an article is an object of strings "
            '({"id", "url", "title", "publisher", "published", "text"})',
            path=name,
        )
    try:
        data = json.loads(stripped)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as exc:
        lines = [ln for ln in stripped.split("\n") if ln.strip()]
        if len(lines) > 1:
            for n, line in enumerate(lines, start=1):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e2:
                    raise DataError(f"invalid JSON line: {e2.msg}", path=name, line=n) from None
        else:
            raise DataError(f"invalid JSON: {exc.msg}", path=name, line=exc.lineno) from None
    out = []
    for n, rec in enumerate(records, start=1):
        where = {"path": name, "line": n if len(records) > 1 else None}
        if not isinstance(rec, dict):
            raise DataError(f"an article is a JSON object, got {type(rec).__name__}", **where)
        body = rec.get("text")
        if not isinstance(body, str) or not body.strip():
            raise DataError("the article has no 'text' string", field="text", **where)
        for key in ("url", "title", "publisher", "published", "language", "id"):
            if rec.get(key) is not None and not isinstance(rec[key], str | int):
                raise DataError(f"'{key}' must be a string", field=key, **where)
        pub = published or rec.get("published")
        if pub is not None:
            try:
                m = _ISO_PREFIX.match(str(pub).strip())  # "2025-10", "2025-10-16", "2025-10-16T08:00Z"
                pub = check_published(m.group(0) if m else str(pub))
            except UnknownValueError as exc:
                raise DataError(str(exc), field="published", **where) from None
        basis = (
            "given"
            if published
            else ((rec.get("published_basis") and "JSON field") or ("JSON field" if pub else None))
        )
        out.append(
            Article(
                text=body,
                url=rec.get("url"),
                title=rec.get("title"),
                publisher=rec.get("publisher"),
                published=pub,
                published_basis=basis,
                kind="json",
                source=name,
                external_id=str(rec["id"]) if rec.get("id") is not None else None,
                language=rec.get("language") if rec.get("language") in ("en", "it") else None,
            )
        )
    return out


def parse_bytes(
    data: bytes,
    *,
    name: str = "<input>",
    url: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    published: str | None = None,
    kind: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Article]:
    """Articles in one input (one for text/HTML/JSON object, one per entry for a feed or a JSON list)."""
    published = check_published(published)
    text = decode(data, name=name, charset=charset, max_bytes=max_bytes)
    if kind == "auto":
        kind = sniff(text, name=name, content_type=content_type)
    if kind not in ("text", "html", "feed", "json"):
        raise UnknownValueError("input format", kind, ("auto", "text", "html", "feed", "json"))
    if kind == "json":
        return _from_json(text, name=name, published=published)
    if kind == "feed":
        return _from_feed(data, name=name, published=published)
    if kind == "html":
        return [_from_html(text, name=name, url=url, published=published)]
    if not text.strip():
        raise DataError("the input is empty", path=name)
    return [_from_text(text, name=name, url=url, published=published)]


def is_url(source: str) -> bool:
    return bool(re.match(r"(?i)^[a-z][a-z0-9+.-]*://", str(source)))


def iter_files(path: Path) -> Iterator[Path]:
    """The readable files of a directory (by suffix, sorted), or the file itself."""
    if path.is_dir():
        yield from sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    else:
        yield path


def read_source(
    source: str | Path | bytes,
    *,
    published: str | None = None,
    kind: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 15.0,
    allow_networks=(),
) -> list[Article]:
    """Articles from a file, a directory of files, an explicit ``http(s)://`` URL, or raw bytes."""
    if isinstance(source, bytes):
        return parse_bytes(source, published=published, kind=kind, max_bytes=max_bytes)
    if isinstance(source, str) and is_url(source):
        from critmin.news.fetch import fetch_url

        res = fetch_url(source, timeout=timeout, max_bytes=max_bytes, allow_networks=allow_networks)
        return parse_bytes(
            res.data,
            name=res.url,
            url=res.url,
            content_type=res.content_type,
            charset=res.charset,
            published=published,
            kind=kind,
            max_bytes=max_bytes,
        )
    path = Path(source)
    if not path.exists():
        raise DataError("file not found (give a file, a directory, or an http(s):// URL)", path=str(path))
    out: list[Article] = []
    files = list(iter_files(path))
    if path.is_dir() and not files:
        raise DataError(
            f"no readable files in the directory (suffixes {', '.join(SUFFIXES)})", path=str(path)
        )
    for f in files:
        size = f.stat().st_size
        if size > max_bytes:
            raise DataError(f"file of {size:,} bytes exceeds the limit of {max_bytes:,} bytes", path=str(f))
        with open(f, "rb") as fh:
            data = fh.read(max_bytes + 1)
        out.extend(parse_bytes(data, name=str(f), published=published, kind=kind, max_bytes=max_bytes))
    return out
