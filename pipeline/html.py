"""HTML input: the main text of a web page, its title and date, through trafilatura.

A drop may hold saved web pages (`.html`, `.htm`, optionally `.gz`). Their article text is taken
out of the page by trafilatura (a maintained extractor that works on the DOM: it knows a <nav>
from an <article>, which no text-level rule can), as the benchmark calls it
(`include_comments=False`), with its metadata for the title and the publication date. The text
then goes through the usual steps; the reader keeps the HTML itself for the row (`text_raw`).

trafilatura gives one line per block; here every block becomes a paragraph of its own (blocks
joined by a blank line), which is how the other steps read paragraphs. Nothing here touches the
network: trafilatura fetches only when it is given a URL to download, and it is never given one.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

NAME = "html"


class HtmlError(ValueError):
    """An HTML page that gives no text; `reason` is the reject reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class HtmlText:
    text: str  # the extracted main text, one paragraph per block, blocks split by a blank line
    title: str | None
    published: dt.date | None
    url: str | None  # the page's own URL when it states one (canonical link, og:url)


def looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip("\ufeff \t\r\n").lower()
    return head.startswith("<") and any(tag in text[:65536].lower() for tag in ("<html", "<body", "<p", "<div", "<head", "<!doctype"))


def extract_html(html: str) -> HtmlText:
    """Extract the main text and metadata of one page. Raises HtmlError with reason
    `malformed_html` (not HTML, or lxml cannot build a document from it) or `empty_extraction`
    (a page, but trafilatura finds no main text in it)."""
    import trafilatura
    from trafilatura.utils import load_html

    if not looks_like_html(html):
        raise HtmlError("malformed_html", "the file does not start like an HTML document (no tag at its start)")
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # it logs every empty page
    tree = load_html(html)
    if tree is None:
        raise HtmlError("malformed_html", "lxml could not parse the file as HTML")
    doc = trafilatura.bare_extraction(tree, include_comments=False, with_metadata=True)
    text = (doc.text or "") if doc is not None else ""
    blocks = [ln.strip() for ln in text.split("\n") if ln.strip()]
    title = (doc.title or "").strip() or None if doc is not None else None
    if title and blocks and _same(blocks[0], title):
        blocks = blocks[1:]  # the page's <h1>: it is the row's title, not a paragraph of its body
    if not blocks:
        raise HtmlError("empty_extraction", "trafilatura found no main text in the page")
    return HtmlText(
        text="\n\n".join(blocks),
        title=title,
        published=_date(doc.date),
        url=(doc.url or "").strip() or None,
    )


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
