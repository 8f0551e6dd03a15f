"""News to events: read policy news and turn it into dated, cited events.

The pipeline is ``fetch`` (explicit URLs only, private addresses refused) → ``text`` (plain text, HTML,
RSS/Atom or the development-set JSON format to plain text) → ``extract`` (gazetteers + sentence-level rules,
offline and explainable) → ``store`` (``news_articles`` / ``news_events`` tables) → ``linking`` (export
restrictions to the restriction registry, agreements and partnership upgrades to the partnerships table,
as unreviewed proposals).

>>> from critmin.news import extract_events, Article
>>> art = Article(text="Japan and Italy agreed on Friday to strengthen supply chains for critical minerals.",
...               published="2026-01-16")
>>> [(e.event_type, e.actors, e.minerals, e.date) for e in extract_events(art)]
[('agreement', ['JPN', 'ITA'], ['critical_minerals'], '2026-01-16')]
"""

from __future__ import annotations

from critmin.news.model import EVENT_TYPES, Article, Event

__all__ = ["EVENT_TYPES", "Article", "Event", "extract_events", "read_source"]


def extract_events(article, **kwargs):
    """Events of one :class:`Article` (see :func:`critmin.news.extract.extract_events`)."""
    from critmin.news.extract import extract_events as _extract

    return _extract(article, **kwargs)


def read_source(source, **kwargs):
    """Articles from a path, URL or raw bytes (see :func:`critmin.news.text.read_source`)."""
    from critmin.news.text import read_source as _read

    return _read(source, **kwargs)
