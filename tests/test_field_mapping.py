"""Structured inputs used fully: the text field found per record or per file, the record's own
title, date and URL kept in their columns, and the header steps preferring them."""
import csv
import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.core import Config, clean_records
from pipeline.readers import RawRecord, Reject, parse_published, read_file
from pipeline.shard import clean_shard

ARTICLE = "Markets rose on Monday after the central bank held rates.\n\nTraders said the move was expected."
OTHER = "Rain is forecast for the whole week across the north of the country."


def items(path, field="auto"):
    got = list(read_file(path, path.name, field))
    return [i for i in got if isinstance(i, RawRecord)], [i for i in got if isinstance(i, Reject)]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_jsonl_text_field_is_found_per_record(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [
        {"id": 1, "text": ARTICLE},
        {"id": 2, "body": OTHER},
        {"id": 3, "Content": ARTICLE},  # names match ignoring case
        {"id": 4, "text": "", "maintext": OTHER},  # the first candidate with text in it
        {"id": 5, "article": ARTICLE, "text": OTHER},  # text comes first in the candidates
    ])
    recs, rej = items(tmp_path / "a.jsonl")
    assert rej == []
    assert [r.text for r in recs] == [ARTICLE, OTHER, ARTICLE, OTHER, OTHER]
    assert [r.meta for r in recs] == [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4, "text": ""},
                                      {"id": 5, "article": ARTICLE}]


def test_jsonl_missing_text_lists_the_fields_found(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": 7, "headline": "A headline", "summary": "short"}])
    recs, [rej] = items(tmp_path / "a.jsonl")
    assert recs == [] and rej.reason == "missing_text" and rej.source_record == 0
    assert "'id', 'headline', 'summary'" in rej.error and "text, body, content, article, maintext" in rej.error
    assert "--text-field" in rej.error
    _, [forced] = items(tmp_path / "a.jsonl", field="story")
    assert "no 'story' field" in forced.error and "'headline'" in forced.error


def test_a_forced_text_field_is_used_as_named(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"text": OTHER, "story": ARTICLE}, {"text": OTHER}])
    recs, rej = items(tmp_path / "a.jsonl", field="story")
    assert [r.text for r in recs] == [ARTICLE] and recs[0].meta == {"text": OTHER}
    assert [(r.source_record, r.reason) for r in rej] == [(1, "missing_text")]


def test_title_date_and_url_fields_map_to_their_columns(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [
        {"text": ARTICLE, "headline": "  Rates   held ", "date": "2020-01-09T10:30:00+01:00",
         "url": "https://example.com/a", "section": "business"},
        {"text": ARTICLE, "title": "", "headline": "Second choice", "published": "2020-01-09"},
        {"text": ARTICLE, "title": 42, "date": "9 January 2020", "link": " https://example.com/c "},
        {"text": ARTICLE, "date": "2020-02-30"},  # no such day: stays in meta
    ])
    recs, rej = items(tmp_path / "a.jsonl")
    assert rej == []
    assert [r.title for r in recs] == ["Rates held", "Second choice", None, None]
    assert [r.published for r in recs] == [dt.date(2020, 1, 9), dt.date(2020, 1, 9), None, None]
    assert [r.url for r in recs] == ["https://example.com/a", None, "https://example.com/c", None]
    assert recs[0].meta == {"section": "business"}
    assert recs[1].meta == {"title": ""}
    assert recs[2].meta == {"title": 42, "date": "9 January 2020"}
    assert recs[3].meta == {"date": "2020-02-30"}


@pytest.mark.parametrize("value,expected", [
    ("2020-01-09", dt.date(2020, 1, 9)), ("2020-01-09T23:59:59Z", dt.date(2020, 1, 9)),
    ("2020-01-09 08:00", dt.date(2020, 1, 9)), ("2020-01-09T08:00:00.123456-05:00", dt.date(2020, 1, 9)),
    (dt.datetime(2021, 3, 4, 5, 6), dt.date(2021, 3, 4)), (dt.date(2021, 3, 4), dt.date(2021, 3, 4)),
    ("2020-01-09T25:00", None), ("2020-13-01", None), ("20200109", None), ("Jan 9, 2020", None),
    ("2020-01-09 and more text", None), (1578528000, None), (None, None),
])
def test_published_is_parsed_from_iso_dates_and_datetimes_only(value, expected):
    assert parse_published(value) == expected


def test_csv_and_parquet_find_the_text_column_per_file(tmp_path):
    with open(tmp_path / "a.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Title", "Body", "Date", "URL", "author"])
        w.writerow(["CSV headline", ARTICLE, "2019-12-31", "https://example.com/x", "Jo"])
        w.writerow(["", OTHER, "yesterday", "", "Al"])
    recs, rej = items(tmp_path / "a.csv")
    assert rej == [] and [r.text for r in recs] == [ARTICLE, OTHER]
    assert [(r.title, r.published, r.url) for r in recs] == [
        ("CSV headline", dt.date(2019, 12, 31), "https://example.com/x"), (None, None, None)]
    assert recs[0].meta == {"author": "Jo"} and recs[1].meta == {"Title": "", "Date": "yesterday", "URL": "", "author": "Al"}

    pq.write_table(pa.table({"maintext": [ARTICLE], "headline": ["PQ headline"],
                             "date_publish": pa.array([dt.datetime(2020, 5, 6, 7, 8)], pa.timestamp("us")),
                             "id": [1]}), tmp_path / "b.parquet")
    [rec], rej = items(tmp_path / "b.parquet")
    assert rej == [] and (rec.text, rec.title, rec.published, rec.meta) == (
        ARTICLE, "PQ headline", dt.date(2020, 5, 6), {"id": 1})

    (tmp_path / "c.csv").write_text("id,summary\n1,short\n")
    _, [rej] = items(tmp_path / "c.csv")
    assert rej.reason == "missing_text_column" and "'id', 'summary'" in rej.error


def test_one_drop_with_body_and_text_files_keeps_both(tmp_path):
    """The issue's case: a --text-field for all files loses one of them; auto keeps both."""
    drop = tmp_path / "drop"
    drop.mkdir()
    write_jsonl(drop / "a.jsonl", [{"text": ARTICLE}])
    write_jsonl(drop / "b.jsonl", [{"body": OTHER, "headline": "Weather"}])
    res = clean_shard(str(drop), ["a.jsonl", "b.jsonl"], str(tmp_path / "p.parquet"), "r", "drop")
    assert res["rejects"] == []
    t = pq.read_table(tmp_path / "p.parquet")
    assert t["text"].to_pylist() == [ARTICLE, OTHER] and t["title"].to_pylist() == [None, "Weather"]
    forced = clean_shard(str(drop), ["a.jsonl", "b.jsonl"], str(tmp_path / "q.parquet"), "r", "drop",
                         {"text_field": "text"})
    assert [(r["source_path"], r["reason"]) for r in forced["rejects"]] == [("b.jsonl", "missing_text")]


def test_the_records_own_title_and_date_win_over_the_text_heuristics():
    text = " date 2020-01-08 Headline in the text\n\n" + ARTICLE
    plain = RawRecord("a.jsonl", 0, text, "utf-8")
    given = RawRecord("a.jsonl", 1, text, "utf-8", title="The record's title",
                      published=dt.date(2020, 1, 9), url="https://example.com/a")
    t = clean_records([plain, given], "r", "d", Config())
    rows = t.select(["title", "published", "url", "text"]).to_pylist()
    assert rows[0] == {"title": "Headline in the text", "published": dt.date(2020, 1, 8), "url": None,
                       "text": ARTICLE}
    # a given title: nothing is split from the text; a given date wins, the header still leaves
    assert rows[1] == {"title": "The record's title", "published": dt.date(2020, 1, 9),
                       "url": "https://example.com/a", "text": "Headline in the text\n\n" + ARTICLE}
