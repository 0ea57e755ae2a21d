"""HTML input: trafilatura's main text, title and date; raw HTML kept; clear rejects."""
from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from pipeline.html import HtmlError, extract_html
from pipeline.readers import RawRecord, Reject, read_file

PARAS = [
    "The city council voted on Tuesday to expand the tram network to the northern suburbs, "
    "ending a decade of debate over the cost of the project.",
    "Supporters said the new line would cut commuting times by half for tens of thousands of "
    "residents, while critics warned that the budget had already doubled since the first plans.",
    "Construction is expected to start next spring and to last about four years, the mayor said.",
]
PAGE = f"""<!DOCTYPE html>
<html><head><title>Council backs tram extension | The Daily Example</title>
<meta property="og:title" content="Council backs tram extension">
<meta property="article:published_time" content="2019-11-19T08:00:00Z">
<link rel="canonical" href="https://news.example.com/2019/11/19/tram-extension">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/login">Sign In</a></li></ul></nav>
<article><h1>Council backs tram extension</h1>
{''.join(f'<p>{p}</p>' for p in PARAS)}
</article>
<footer><a href="/about">About Us</a> <a href="/privacy">Privacy Policy</a> <a href="/jobs">Jobs</a></footer>
</body></html>"""


def test_extracts_main_text_title_and_date():
    page = extract_html(PAGE)
    # one paragraph per block, nothing of the nav or footer; the <h1> is the title, not the body
    assert page.text.split("\n\n") == PARAS
    assert page.title == "Council backs tram extension"
    assert page.published == dt.date(2019, 11, 19)
    assert page.url == "https://news.example.com/2019/11/19/tram-extension"


@pytest.mark.parametrize("data", ["just some words, no markup at all", "\x00\x01\x02 binary"])
def test_not_html_is_malformed(data):
    with pytest.raises(HtmlError) as exc:
        extract_html(data)
    assert exc.value.reason == "malformed_html"


def test_a_page_without_main_text_is_an_empty_extraction():
    with pytest.raises(HtmlError) as exc:
        extract_html("<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>")
    assert exc.value.reason == "empty_extraction"


@pytest.mark.parametrize("name", ["page.html", "page.htm", "page.html.gz"])
def test_reader_gives_the_text_to_clean_and_keeps_the_html(tmp_path, name):
    data = PAGE.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    (rec,) = list(read_file(path, name))
    assert isinstance(rec, RawRecord)
    assert rec.text == "\n\n".join(PARAS) and rec.raw == PAGE
    assert (rec.title, rec.published) == ("Council backs tram extension", dt.date(2019, 11, 19))


def test_reader_rejects_with_the_reason(tmp_path):
    (tmp_path / "empty.html").write_text("<html><body><div> </div><script>var a = 1;</script></body></html>")
    (tmp_path / "bad.html").write_text("no markup here")
    (rej,) = list(read_file(tmp_path / "empty.html", "empty.html"))
    assert isinstance(rej, Reject) and rej.reason == "empty_extraction"
    (rej,) = list(read_file(tmp_path / "bad.html", "bad.html"))
    assert isinstance(rej, Reject) and rej.reason == "malformed_html"


def test_row_keeps_html_as_text_raw_and_metadata_title(tmp_path):
    from pipeline.core import clean_records

    (tmp_path / "page.html").write_text(PAGE)
    recs = list(read_file(tmp_path / "page.html", "page.html"))
    table = clean_records(recs, run_id="t", drop="d")
    row = table.to_pylist()[0]
    assert row["text_raw"] == PAGE
    assert row["title"] == "Council backs tram extension"
    assert row["published"] == dt.date(2019, 11, 19)
    # with the title from the metadata, the first paragraph is not split off as a headline
    assert row["text"].split("\n\n") == PARAS


@pytest.mark.needs_shared
def test_no_dev_page_is_emptied():
    import json

    pages_path = Path(__file__).resolve().parents[2] / "shared" / "realdev" / "boilerplate" / "pages.jsonl.gz"
    if not pages_path.exists():
        pytest.skip("shared dev pages not available")
    with gzip.open(pages_path, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in fh]
    from pipeline.core import clean_text

    empty = []
    for p in pages:
        page = extract_html(p["html"])
        if not clean_text(page.text, title=page.title, published=page.published).text.strip():
            empty.append(p["id"])
    assert empty == []
