"""The drop-level furniture pre-pass (`furniture_min_docs`): lines that recur across the documents
of one drop are removed as `repeated_in_drop` and kept on their rows; the same story filed twice
is not furniture; the option is off by default."""
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import furniture
from pipeline.core import Config
from pipeline.shard import clean_shard

HEADER = ["Metro | Sports | Culture | Opinion", "Today's paper and the crossword"]
FOOTER = ["Daily Planet Media Group, 355 Plaza Avenue, Metropolis", "Contact the newsroom"]
FURNITURE = set(HEADER + FOOTER)
WIRE = ("The agency filed the same wire story twice this morning, word for word, to two desks.\n\n"
        "Its second paragraph, about the harbour authority's budget vote, is repeated as well.")


def body(i: int) -> list[str]:
    return [f"The council approved bridge plan number {i} on Tuesday, after residents had asked "
            f"for a crossing there for {i + 3} years.",
            f"Officials said the work on section {i} would start in the spring and take about "
            f"{i + 2} months to finish."]


def site_drop(root: Path, pages: int = 8) -> Path:
    """One site's pages (its header and footer around each article), and one wire story twice."""
    drop = root / "site-2020-01-01"
    drop.mkdir(parents=True)
    for i in range(pages):
        headline = f"Bridge plan {i} approved"  # the title step takes it
        (drop / f"page-{i:02d}.txt").write_text("\n\n".join([headline] + HEADER + body(i) + FOOTER))
    (drop / "wire-a.txt").write_text(WIRE)
    (drop / "wire-b.txt").write_text(WIRE)
    return drop


def check_rows(rows: list[dict], min_docs_on: bool) -> None:
    pages = [r for r in rows if r["source_path"].startswith("page-")]
    assert len(pages) == 8
    for r in pages:
        i = int(r["source_path"][5:7])
        for line in body(i):
            assert line in r["text"]  # the article is untouched
        repeated = {b["text"] for b in r["boilerplate"] if b["rule"] == "repeated_in_drop"}
        if min_docs_on:
            assert repeated == FURNITURE
            assert not any(line in r["text"] for line in FURNITURE)
        else:
            assert repeated == set()
            assert all(line in r["text"] for line in FURNITURE)
    for r in rows:
        if r["source_path"].startswith("wire-"):
            # two copies of one story are one document: its lines are not furniture
            assert r["text"] == WIRE and r["boilerplate"] == []


@pytest.mark.parametrize("min_docs", [0, 3])
def test_clean_shard_removes_lines_recurring_across_its_documents(tmp_path, min_docs):
    drop = site_drop(tmp_path)
    files = sorted(p.name for p in drop.iterdir())
    part = tmp_path / "part.parquet"
    clean_shard(str(drop), files, str(part), "run", drop.name, {"furniture_min_docs": min_docs})
    check_rows(pq.read_table(part).to_pylist(), bool(min_docs))
    assert not list(tmp_path.glob("*.lines.npz"))  # the counts file is scratch


def test_a_line_in_fewer_documents_than_the_option_stays(tmp_path):
    drop = site_drop(tmp_path, pages=4)
    files = sorted(p.name for p in drop.iterdir())
    part = tmp_path / "part.parquet"
    clean_shard(str(drop), files, str(part), "run", drop.name, {"furniture_min_docs": 5})
    for r in pq.read_table(part).to_pylist():
        assert not any(b["rule"] == "repeated_in_drop" for b in r["boilerplate"])


def test_counts_of_two_shards_merge_with_the_same_story_counted_once(tmp_path):
    drop = site_drop(tmp_path)
    first = ["page-00.txt", "page-01.txt", "page-02.txt", "wire-a.txt"]
    second = ["page-03.txt", "wire-b.txt"]
    cfg = {"furniture_min_docs": 2}
    a, b = tmp_path / "a.lines.npz", tmp_path / "b.lines.npz"
    assert furniture.count_files(str(drop), first, str(a), cfg)["documents"] == 4
    assert furniture.count_files(str(drop), second, str(b), cfg)["documents"] == 2
    out = tmp_path / "furniture.npy"
    common = furniture.merge([a, b], 2, str(out))
    lines = furniture.load(str(out), 2)
    assert len(common) == len(FURNITURE) and lines.common == frozenset(common.tolist())
    assert all(lines.is_common(u) for u in FURNITURE)
    assert not any(lines.is_common(u) for u in WIRE.split("\n\n"))  # in two files, one story
    assert len(furniture.merge([a, b], 5)) == 0  # four pages: below 5 documents


def test_a_file_that_cannot_be_read_is_left_to_the_cleaning_wave(tmp_path):
    drop = site_drop(tmp_path, pages=3)
    (drop / "broken.jsonl").write_text("{not json\n")
    out = tmp_path / "c.lines.npz"
    n = furniture.count_files(str(drop), ["broken.jsonl", "missing.txt", "page-00.txt"], str(out))
    assert n["documents"] == 1


@pytest.mark.parametrize("value", [1, -2])
def test_the_option_is_off_or_at_least_two(value):
    with pytest.raises(ValueError, match="furniture_min_docs must be 0 \\(off\\) or at least 2"):
        furniture.min_docs(Config.from_dict({"furniture_min_docs": value}))
    assert Config().furniture_min_docs == 0


@pytest.mark.integration
def test_clean_drop_flow_counts_lines_over_all_its_shards(prefect_api, tmp_path):
    """The flow's pre-pass sees the whole drop: the pages are spread over several shards."""
    from flows.clean_drop import clean_drop

    drop = site_drop(tmp_path / "raw")
    out = tmp_path / "out"
    summary = clean_drop(drop=str(drop), out=str(out), furniture_min_docs=3, workers=2)
    assert summary["shards"] >= 2 and summary["documents"] == 10
    assert "furniture" in summary["phases"]
    table = ds.dataset(str(out), format="parquet", partitioning="hive").to_table()
    check_rows(table.to_pylist(), True)
    assert not list(out.rglob("*.lines.npz")) and not list(out.rglob("furniture.npy"))
