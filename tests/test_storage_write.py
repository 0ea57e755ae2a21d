"""How part files are written: whole-document columns without dictionary pages or statistics
(neither pays for them), every other column with both."""
from __future__ import annotations

import pyarrow.parquet as pq

from pipeline.shard import clean_shard


def test_part_file_options(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    for i in range(3):
        (drop / f"{i}.txt").write_text(f"Headline {i}\n\nThe minister said the talks would resume "
                                       f"next week in Geneva, officials said on day {i}.\n")
    out = tmp_path / "part.parquet"
    res = clean_shard(str(drop), [f"{i}.txt" for i in range(3)], str(out), run_id="r", drop="drop")
    assert res["rows"] == 3
    pf = pq.ParquetFile(out)
    meta = pf.metadata.row_group(0)
    cols = {meta.column(k).path_in_schema: meta.column(k) for k in range(meta.num_columns)}
    for name in ("text", "text_raw", "doc_id"):
        assert not cols[name].is_stats_set and not cols[name].has_dictionary_page, name
    assert cols["lang"].is_stats_set and cols["lang"].has_dictionary_page
    assert cols["source_path"].statistics.min == "0.txt"
    assert pf.read(columns=["text"])["text"].to_pylist()[2].endswith("on day 2.")
