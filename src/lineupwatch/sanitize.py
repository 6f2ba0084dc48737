"""Text from the Hub made safe for every output: XML 1.0, HTML, Markdown, JSON and mail.

Repo ids, card fields and licence names are whatever an uploader typed. Escaping (ElementTree,
jinja2 autoescape, md_escape, json) handles markup, but a few characters cannot be escaped at all:
XML 1.0 forbids most C0 controls even as `&#1;`, a lone surrogate cannot be encoded as UTF-8, and
bidi overrides make a name read differently from what it is. Those are removed, once, before
anything is rendered, so one hostile name can never make a feed, a page or a mail invalid.
"""

from __future__ import annotations

import json
import re

# C0 controls except tab, newline and carriage return; DEL and the C1 block; lone surrogates;
# the two noncharacters XML forbids; bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


_NUMBERS = (int, float, bool)


def clean_text(text: str) -> str:
    """`text` without the characters no output format can carry (printable ASCII has none: most
    strings of a report skip the search)."""
    return text if text.isascii() and text.isprintable() else _UNSAFE.sub("", text)


def clean(value: object) -> object:
    """A JSON-like value (dicts, lists, strings, numbers) with every string cleaned, keys included;
    the value itself when its JSON text shows nothing to clean (a report holds some 100,000
    values: one pass in C instead of one call per value)."""
    try:
        text = json.dumps(value, ensure_ascii=False, check_circular=False)
    except (TypeError, ValueError):
        return _clean(value)
    # json escapes C0 controls as \u00XX: any "\u00" sends the value through the slow path
    return _clean(value) if "\\u00" in text or _UNSAFE.search(text) else value


def _clean(value: object) -> object:
    if value is None or type(value) in _NUMBERS:
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clean(item) for item in value)
    return value
