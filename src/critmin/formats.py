"""Numbers in words: one way to write a percentage in every table, sentence, chart label and message.

A low module (it knows nothing of critmin): the CLI, the report, the dashboard, the watch digest and the
methods' own messages call :func:`percent`, so a share reads "65%" wherever a user meets it — the form the
tables have always used — never "65%" in one sentence and "65%" in the next.
"""

from __future__ import annotations

import math

MINUS = "−"  # U+2212: a typographic minus, as the report's tables write changes


def percent(fraction, digits: int = 0, *, sign: bool = False, missing: str = "—") -> str:
    """'65%' for 0.65; ``digits`` after the point ('0.1%'); ``sign``: '+9%', '−30%', '±0%' (a change).

    ``missing`` for None and NaN; a value that rounds to zero has no sign ('0%', not '-0%').
    """
    if fraction is None:
        return missing
    try:
        v = 100 * float(fraction)
    except (TypeError, ValueError):
        return missing
    if math.isnan(v):
        return missing
    if math.isinf(v):
        return ("+∞%" if sign else "∞%") if v > 0 else f"{MINUS}∞%"
    text = f"{abs(v):.{digits}f}"
    if float(text) == 0:
        return "±0%" if sign else f"{text}%"
    if v < 0:
        return f"{MINUS if sign else '-'}{text}%"
    return f"+{text}%" if sign else f"{text}%"


def group_sources(labels) -> list[str]:
    """'WMD 2026 (Ag)', 'WMD 2026 (Al)', 'IEA May 2024 (Li)' -> ['IEA May 2024 (Li)', 'WMD 2026 (Ag, Al)']: each
    source and edition named once, with what it gives in brackets."""
    import re

    what: dict[str, list[str]] = {}
    for label in labels:
        m = re.fullmatch(r"(.*?) \((.*)\)", str(label).strip())
        head, item = (m.group(1), m.group(2)) if m else (str(label), "")
        items = what.setdefault(head, [])
        if item and item not in items:
            items.append(item)
    return [f"{h} ({', '.join(sorted(v))})" if v else h for h, v in sorted(what.items())]
