"""Header step: a leading ` date YYYY-MM-DD ` becomes `published`; a headline line becomes `title`."""
from __future__ import annotations

import datetime as dt
import re

NAME = "headers"

_DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4})-(\d{2})-(\d{2})(?:\s+|\Z)")
_TERMINAL = (".", ",", ";", ":", "-", "\u2014", "\u2013")
MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 30


def split_date_header(text: str) -> tuple[dt.date | None, str]:
    """Return (published, rest). Only a valid calendar date is taken; anything else stays text."""
    m = _DATE_HEADER.match(text)
    if not m:
        return None, text
    try:
        published = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None, text
    return published, text[m.end():]


def split_title(text: str) -> tuple[str | None, str]:
    """Return (title, body) when the first line is a headline: a paragraph of one short line,
    not ending like a sentence fragment, with more text after it. Otherwise (None, text)."""
    stripped = text.lstrip("\n")
    first, sep, rest = stripped.partition("\n")
    if not sep or not rest.startswith("\n") or not rest.strip():
        return None, text  # one line only, or the first line is part of a longer paragraph
    line = first.strip()
    if not line or len(line) > MAX_TITLE_CHARS or len(line.split()) > MAX_TITLE_WORDS:
        return None, text
    if line.endswith(_TERMINAL):
        return None, text
    return line, rest.lstrip("\n")
