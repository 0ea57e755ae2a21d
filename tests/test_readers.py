"""Readers and quarantine: every format, gzip, and each kind of bad input."""
import csv
import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.readers import RawRecord, Reject, read_file
from pipeline.shard import clean_shard

ARTICLE = "Markets rose on Monday after the central bank held rates.\n\nTraders said the move was expected."


def records(path, rel=None, field="text"):
    items = list(read_file(path, rel or path.name, field))
    return [i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, Reject)]


def write_jsonl(path, rows, gz=False):
    data = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)


def test_txt_and_txt_gz(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(ARTICLE.encode()))
    for name in ("a.txt", "b.txt.gz"):
        recs, rej = records(tmp_path / name)
        assert rej == [] and len(recs) == 1
        assert (recs[0].text, recs[0].source_record, recs[0].encoding) == (ARTICLE, 0, "utf-8")


def test_jsonl_streams_records_keeps_other_fields_and_custom_text_field(tmp_path):
    write_jsonl(tmp_path / "a.ndjson.gz", [{"body": ARTICLE, "url": "http://x/1", "n": 1},
                                           {"body": "Second article text here.", "url": "http://x/2"}], gz=True)
    recs, rej = records(tmp_path / "a.ndjson.gz", field="body")
    assert rej == []
    assert [r.source_record for r in recs] == [0, 1]
    assert recs[0].text == ARTICLE and recs[0].meta == {"n": 1}
    assert [r.url for r in recs] == ["http://x/1", "http://x/2"], "a url field is the url column"


def test_jsonl_bad_lines_are_rejected_and_good_lines_kept(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"text": ARTICLE}, "{not json", {"title": "no text"},
                                       {"text": 42}, "[1, 2]", {"text": "Last good one."}])
    recs, rej = records(tmp_path / "a.jsonl")
    assert [r.source_record for r in recs] == [0, 5]
    assert [(r.source_record, r.reason) for r in rej] == [
        (1, "malformed_json"), (2, "missing_text"), (3, "bad_text"), (4, "malformed_json")]
    assert all(r.error for r in rej)


def test_corrupt_gzip_keeps_records_before_the_damage(tmp_path):
    rows = [{"text": f"Article number {i} has enough words in it."} for i in range(2000)]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
    (tmp_path / "c.jsonl.gz").write_bytes(data[: len(data) // 2])  # truncated stream
    recs, rej = records(tmp_path / "c.jsonl.gz")
    assert 0 < len(recs) < 2000
    assert [r.reason for r in rej] == ["corrupt_gzip"]
    (tmp_path / "d.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    recs, rej = records(tmp_path / "d.txt.gz")
    assert recs == [] and [r.reason for r in rej] == ["corrupt_gzip"]


def test_csv_with_cp1252_field_and_csv_without_text_column(tmp_path):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "text"])
    w.writerow(["1", ARTICLE])
    w.writerow(["2", "It cost \u00a3600m, they said."])
    raw = buf.getvalue().encode("utf-8").replace("\u00a3".encode(), b"\xa3")  # one cp1252 pound byte
    (tmp_path / "a.csv").write_bytes(raw)
    recs, rej = records(tmp_path / "a.csv")
    assert rej == []
    assert [r.text for r in recs] == [ARTICLE, "It cost \u00a3600m, they said."]
    assert recs[1].encoding == "cp1252" and recs[0].meta == {"id": "1"}
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(b"id,body\n1,hello there\n"))
    recs, rej = records(tmp_path / "b.csv.gz")
    assert recs == [] and [(r.reason, r.source_record) for r in rej] == [("missing_text_column", None)]


def test_parquet_and_parquet_gz(tmp_path):
    table = pa.table({"text": [ARTICLE, "", "Third."], "source": ["a", "b", "c"]})
    pq.write_table(table, tmp_path / "a.parquet")
    (tmp_path / "b.parquet.gz").write_bytes(gzip.compress((tmp_path / "a.parquet").read_bytes()))
    for name in ("a.parquet", "b.parquet.gz"):
        recs, rej = records(tmp_path / name)
        assert [r.source_record for r in recs] == [0, 2]
        assert recs[0].meta == {"source": "a"}
        assert [(r.source_record, r.reason) for r in rej] == [(1, "empty")]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    recs, rej = records(tmp_path / "bad.parquet")
    assert [r.reason for r in rej] == ["corrupt_parquet"]


def test_unsupported_and_empty_files(tmp_path):
    (tmp_path / "x.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "e.txt").write_bytes(b"")
    assert [r.reason for r in records(tmp_path / "x.docx")[1]] == ["unsupported_format"]
    assert [r.reason for r in records(tmp_path / "e.txt")[1]] == ["empty"]


def test_shard_quarantines_every_bad_input_and_cleans_every_good_record(tmp_path):
    drop = tmp_path / "drop-1"
    drop.mkdir()
    (drop / "good.txt").write_text(ARTICLE)
    (drop / "empty.txt").write_bytes(b"")
    (drop / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (drop / "undecodable.txt").write_bytes(b"\x81\x8d\x8f\x90\x9d" * 40 + b"\xff\xfe\x81")
    write_jsonl(drop / "mixed.jsonl", [{"text": ARTICLE}, "{oops", {"text": "Another good article."}])
    (drop / "nocol.csv").write_text("id,summary\n1,hello\n")
    data = gzip.compress(b"".join(json.dumps({"text": f"Doc {i} body text."}).encode() + b"\n" for i in range(3000)))
    (drop / "broken.jsonl.gz").write_bytes(data[: len(data) // 2])
    files = sorted(p.name for p in drop.iterdir())
    out = tmp_path / "part.parquet"
    result = clean_shard(str(drop), files, str(out), "run-1", "drop-1")
    table = pq.read_table(out)
    reasons = {(r["source_path"], r["reason"]) for r in result["rejects"]}
    assert reasons == {("empty.txt", "empty"), ("binary.txt", "binary"),
                       ("undecodable.txt", "undecodable"), ("mixed.jsonl", "malformed_json"),
                       ("nocol.csv", "missing_text_column"), ("broken.jsonl.gz", "corrupt_gzip")}
    paths = table["source_path"].to_pylist()
    assert paths.count("good.txt") == 1 and paths.count("mixed.jsonl") == 2
    assert 0 < paths.count("broken.jsonl.gz") < 3000
    assert all(r["run_id"] == "run-1" and r["drop"] == "drop-1" and r["error"] for r in result["rejects"])
    status = {e["path"]: e["status"] for e in result["ledger"]}
    assert status["good.txt"] == "ok" and status["mixed.jsonl"] == "partial" and status["empty.txt"] == "rejected"


def test_transient_io_error_is_retried_then_quarantined(tmp_path, monkeypatch):
    import pipeline.shard as shard

    (tmp_path / "a.txt").write_text(ARTICLE)
    calls = {"n": 0}
    real = shard.read_file

    def flaky(path, rel, field, data=None, limits=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(5, "Input/output error")
        yield from real(path, rel, field)

    monkeypatch.setattr(shard, "read_file", flaky)
    items = list(shard._records_with_retry(tmp_path / "a.txt", "a.txt", "text", sleep=lambda s: None))
    assert [type(i).__name__ for i in items] == ["RawRecord"] and calls["n"] == 2

    def broken(path, rel, field, data=None, limits=None):
        raise OSError(5, "Input/output error")
        yield

    monkeypatch.setattr(shard, "read_file", broken)
    items = list(shard._records_with_retry(tmp_path / "a.txt", "a.txt", "text", sleep=lambda s: None))
    assert len(items) == 1 and items[0].reason == "io_error" and "retries" in items[0].error


def test_a_document_that_breaks_a_step_is_quarantined_and_the_shard_goes_on(tmp_path, monkeypatch):
    from pipeline import core
    from pipeline.step import Step

    (tmp_path / "a.txt").write_text(ARTICLE)
    (tmp_path / "b.txt").write_text("BOOM " + ARTICLE)

    def fragile(doc, config):
        if doc.raw.startswith("BOOM"):
            raise ValueError("a rule choked")
        return {}

    monkeypatch.setattr(core, "STEPS", [Step("fragile", "fragile-1", fragile)] + core.STEPS)
    result = clean_shard(str(tmp_path), ["a.txt", "b.txt"], str(tmp_path / "p.parquet"), "r", "d")
    assert result["rows"] == 1
    assert [(r["source_path"], r["reason"]) for r in result["rejects"]] == [("b.txt", "cleaning_error")]
    assert "ValueError: a rule choked" in result["rejects"][0]["error"]
