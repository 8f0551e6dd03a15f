"""YAML documents of records (restriction registry, partnerships, feed lists): where each record starts.

The records themselves are loaded with ``yaml.safe_load``; this gives each one's line so that a bad record is
named by file, line and field (:class:`critmin.errors.DataError`).
"""

from __future__ import annotations

import yaml

# libyaml's loader when present: the seeds are read on every command that looks at them
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def record_lines(text: str, key: str | None = None) -> list[int]:
    """1-based line of each item of the document's top-level list — or, when the document is a mapping, of
    the list under ``key`` (e.g. ``restrictions:``). Empty when there is no such list. Raises
    :class:`yaml.YAMLError` on text that is not YAML."""
    node = yaml.compose(text, Loader=LOADER)
    if key is not None and isinstance(node, yaml.MappingNode):
        node = next((value for k, value in node.value if getattr(k, "value", None) == key), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


__all__ = ["LOADER", "record_lines"]
