"""One digest per watch run, as JSON (for machines), Markdown and HTML (for people).

The JSON document is the digest: the store keeps it (``watch_digests``) and the Markdown and HTML are rendered
from it, so a digest whose files were lost can be written again. Everything in it that comes from an article
(titles, evidence sentences, publisher names, URLs) is untrusted text:

* HTML is rendered by Jinja2 with autoescaping on for every value; links are made only of ``http(s)`` URLs
  (anything else is shown as text); the page carries a Content-Security-Policy that allows no script, no
  external resource and no form, so even a value that slipped through could not run or load anything;
* Markdown escapes its syntax characters (a title cannot become a link, an image or raw HTML) and writes
  URLs as autolinks only when they are ``http(s)`` without spaces or angle brackets.

Files are written next to each other as ``watch-<digest id>.{json,md,html}`` plus ``latest.{json,md,html}``,
each atomically (a temporary file renamed into place), so a reader never sees half a digest.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from urllib.parse import quote, urlsplit

FORMATS = ("json", "md", "html")
SCHEMA = "critmin-watch-digest/1"

# always special inline; "_" only at a word boundary (intraword underscores are literal in CommonMark), "&"
# only where it could start an entity, "#" only at the start (a heading inside a quote)
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?\w+;)|^#")


# -- untrusted text -----------------------------------------------------------------------------------------
def one_line(text) -> str:
    """Text on one line, control characters removed (the news pipeline's cleaning)."""
    from critmin.news.model import clean_text

    return " ".join(clean_text("" if text is None else str(text)).split())


def safe_url(url) -> str | None:
    """The URL when it is an absolute http(s) URL fit for a link (None otherwise)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ord(c) < 33 or c in "<>\"'`\\" for c in url):
        url = quote(url, safe=":/?#[]@!$&()*+,;=%-._~")
    return url


def md_escape(text) -> str:
    """Markdown-safe inline text: syntax characters backslash-escaped (CommonMark §2.4)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))


def md_link(label, url) -> str:
    u = safe_url(url)
    if u is None:
        return md_escape(label or url or "")
    return f"[{md_escape(label or u)}](<{u.replace('>', '%3E').replace('<', '%3C')}>)"


# -- Markdown -----------------------------------------------------------------------------------------------
def _parties(d: dict) -> str:
    return ", ".join(
        f"{p['label']}" + (f" ({p['name']})" if p["name"] != p["label"] else "") for p in d["parties"]
    )


def render_markdown(d: dict) -> str:
    """The digest as Markdown (GitHub/CommonMark), newest entry first."""
    c = d["counts"]
    lines = [
        f"# critmin watch — {md_escape(d['watch'])} — {d['generated_at']}",
        "",
        f"Watching {md_escape(_parties(d))}. Registry and partnerships as of {d['as_of']}; trade "
        f"{md_escape(d['provenance']['trade'])}.",
        "",
        f"**{c['entries']} new {'entry' if c['entries'] == 1 else 'entries'}** from {c['new_items']} new "
        f"items ({c['already_seen']} seen before) in {c['feeds']} feeds: {c['feeds_ok']} read, "
        f"{c['feeds_not_modified']} not modified, {c['feeds_failed']} failed.",
        "",
        "Nothing below is in the registry yet: each proposed record stays unreviewed until accepted with "
        "`critmin news review --accept EVENT` (or rejected with `--reject`).",
        "",
    ]
    failed = [f for f in d["feeds"] if f["status"] == "failed"]
    if failed:
        lines += ["## Feeds that failed (retried next run)", ""]
        for f in failed:
            lines.append(f"- {md_link(f['name'], f['url'])}: {md_escape(f['error'])}")
        lines.append("")
    lines += ["## New measures and agreements", ""]
    if not d["entries"]:
        lines += [
            "No new restriction, lifting, agreement, partnership change or stockpile touching the watched "
            "parties.",
            "",
        ]
    for n, e in enumerate(d["entries"], start=1):
        lines += _md_entry(n, e)
    if d["skipped"]:
        lines += [f"## Read and not reported ({len(d['skipped'])})", ""]
        for s in d["skipped"]:
            where = f" ({md_escape(s['feed'])})" if s.get("feed") else ""
            lines.append(f"- {md_escape(s['item'])}{where}: {md_escape(s['reason'])}")
        lines.append("")
    lines += ["## Sources and method", ""]
    for k, v in d["provenance"].items():
        lines.append(f"- {k.replace('_', ' ')}: {md_escape(v)}")
    lines.append("")
    return "\n".join(lines)


def _md_entry(n: int, e: dict) -> list[str]:
    out = [f"### {n}. {md_escape(e['headline'])}", ""]
    meta = [f"{e['event_type'].replace('_', ' ')}"]
    if e.get("date"):
        meta.append(f"dated {e['date']}")
    if e.get("effective_date"):
        meta.append(f"effective {e['effective_date']}")
    if e.get("published"):
        meta.append(f"published {e['published']}")
    out.append("- " + "; ".join(md_escape(m) for m in meta))
    src = md_link(e.get("title") or e.get("url") or "source", e.get("url"))
    feed = f" via {md_escape(e['feed'])}" if e.get("feed") else ""
    out.append(f"- Source: {src}{feed}" + (f" ({md_escape(e['publisher'])})" if e.get("publisher") else ""))
    out.append(f"- Touches: {md_escape('; '.join(t['text'] for t in e['touches']))}")
    for o in e.get("also_reported_by") or []:
        out.append(
            f"- Also reported by: {md_link(o.get('title') or o.get('url') or 'source', o.get('url'))}"
            + (f" via {md_escape(o['feed'])}" if o.get("feed") else "")
        )
    rec = e.get("record")
    if rec and rec.get("id"):
        out.append(
            f"- Proposed {md_escape(rec['table'])} record `{md_escape(rec['id'])}` (unreviewed; "
            f"{md_escape(rec.get('note') or 'new proposal')}): review with `critmin news review --accept "
            f"{md_escape(e['event_id'])}`"
        )
    else:
        out.append(
            f"- No record proposed ({md_escape(e.get('record_note') or 'the news pipeline links none')})"
        )
    out += ["", f"> {md_escape(e['evidence'])}", ""]
    if e["changes"]:
        out.append("What changes:")
        out.append("")
        for ch in e["changes"]:
            mark = "**" if ch["changed"] else ""
            out.append(f"- {mark}{md_escape(ch['party'])}{mark}: {md_escape(ch['text'])}")
        provs = list(dict.fromkeys(ch["provenance"] for ch in e["changes"] if ch["provenance"]))
        if provs:
            out.append("")
            out.append("Sources: " + " · ".join(md_escape(p) for p in provs))
        out.append("")
    return out


# -- HTML ---------------------------------------------------------------------------------------------------
def _environment():
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - jinja2 comes with critmin[watch]
        from critmin.errors import CritminError

        raise CritminError(f"the HTML digest needs jinja2 (pip install 'critmin[watch]'): {exc}") from None
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["safe_url"] = safe_url
    env.filters["one_line"] = one_line
    return env


def render_html(d: dict) -> str:
    """The digest as one self-contained HTML page (no script, no external resource; all text escaped)."""
    text = resources.files("critmin.watch").joinpath("templates/digest.html.j2").read_text(encoding="utf-8")
    return _environment().from_string(text).render(d=d, parties=_parties(d))


def json_safe(value):
    """A copy with every NaN or infinite float replaced by None (strict JSON has neither)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def render_json(d: dict) -> str:
    return json.dumps(json_safe(d), indent=1, ensure_ascii=False, allow_nan=False)


# -- files --------------------------------------------------------------------------------------------------
def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def digest_paths(out_dir: str | Path, digest_id: str) -> dict[str, Path]:
    out_dir = Path(out_dir)
    return {fmt: out_dir / f"watch-{digest_id}.{fmt}" for fmt in FORMATS}


def write_digest(d: dict, out_dir: str | Path, *, latest: bool = True) -> dict[str, Path]:
    """Write the JSON, Markdown and HTML files of a digest (and ``latest.*`` copies); returns the paths."""
    texts = {"json": render_json(d), "md": render_markdown(d), "html": render_html(d)}
    paths = digest_paths(out_dir, d["digest_id"])
    for fmt, path in paths.items():
        _atomic_write(path, texts[fmt])
    if latest:
        for fmt in FORMATS:
            _atomic_write(Path(out_dir) / f"latest.{fmt}", texts[fmt])
    return paths
