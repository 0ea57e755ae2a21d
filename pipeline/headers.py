"""Header steps: a leading ` date YYYY-MM-DD ` becomes `published`; a headline line becomes `title`.
A record that brings its own title or date (pipeline.readers' field mapping) keeps them.

Rules (patterns, limits) in rules/headers.toml.
"""
from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from . import boilerplate
from .rulesfile import Doc, load_rules
from .step import Step, Total

RULES = load_rules("headers", {
    "date": {"pattern": str, "example": Doc},
    "title": {"max_chars": int, "max_words": int, "not_ending": [str], "example": Doc},
})
_DATE_HEADER = re.compile(RULES["date"]["pattern"])
_TERMINAL = tuple(RULES["title"]["not_ending"])
MAX_TITLE_CHARS = RULES["title"]["max_chars"]
MAX_TITLE_WORDS = RULES["title"]["max_words"]


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
    not ending like a sentence fragment, not a line the boilerplate step removes, with more text
    after it. Otherwise (None, text)."""
    stripped = text.lstrip("\n")
    first, sep, rest = stripped.partition("\n")
    if not sep or not rest.startswith("\n") or not rest.strip():
        return None, text  # one line only, or the first line is part of a longer paragraph
    line = first.strip()
    if not line or len(line) > MAX_TITLE_CHARS or len(line.split()) > MAX_TITLE_WORDS:
        return None, text
    if line.endswith(_TERMINAL):
        return None, text
    if boilerplate.line_rule(line) is not None:  # "Leave A Reply" is page furniture, not a title
        return None, text
    return line, rest.lstrip("\n")


def _date(doc, config) -> dict:
    """A record's own date (an HTML page's metadata, a JSONL field, a CSV or Parquet column)
    wins over the text's date header; the header leaves the text either way."""
    published, body = split_date_header(doc.text)
    doc.cut_prefix(len(doc.text) - len(body))
    own = doc.record.published if doc.record is not None else None
    return {"published": own if own is not None else published}


def _title(doc, config) -> dict:
    """A record's own title is the title, and nothing is split from the text; otherwise a
    headline line becomes the title."""
    own = doc.record.title if doc.record is not None else None
    if own is not None:
        return {"title": own}
    title, body = split_title(doc.text)
    doc.cut_prefix(len(doc.text) - len(body))
    return {"title": title}


DATE_STEP = Step(
    name="date_header", version=RULES.version, apply=_date,
    columns=(pa.field("published", pa.date32()),),
    stats=(Total("dated", "published", "notnull", "documents with a date"),),
)
TITLE_STEP = Step(
    name="title", version=RULES.version, apply=_title,
    columns=(pa.field("title", pa.string()),),
    stats=(Total("titled", "title", "notnull", "documents with a title"),),
)
