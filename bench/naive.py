"""Variant (a), the naive baseline: per document `ftfy.fix_text` and seeded `langdetect.detect_langs`
on the whole text, rows written to Parquet with pyarrow. No boilerplate or MT step: the baseline is
what a team would write first, and the bar the pipeline (which does more) must beat by 10x.

    python -m bench.naive DROP OUT.parquet     prints one JSON line: seconds, documents, maxrss_kb
"""
from __future__ import annotations

import gzip
import json
import resource
import sys
import time
from pathlib import Path

import ftfy
import pyarrow as pa
import pyarrow.parquet as pq
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

BATCH = 500
SCHEMA = pa.schema([("path", pa.string()), ("record", pa.int32()), ("text", pa.string()),
                    ("lang", pa.string()), ("prob", pa.float32())])


def iter_documents(drop: Path):
    """(path, record, text) for every .txt file and every .jsonl.gz record of a bench drop."""
    for path in sorted(drop.iterdir()):
        if path.name.endswith(".txt"):
            data = path.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
            yield path.name, 0, text
        elif path.name.endswith(".jsonl.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for i, line in enumerate(fh):
                    yield path.name, i, json.loads(line)["text"]


def run(drop: Path, out: Path) -> dict:
    DetectorFactory.seed = 0
    started = time.perf_counter()
    cols = {name: [] for name in SCHEMA.names}
    n = nbytes = 0
    with pq.ParquetWriter(out, SCHEMA, compression="zstd") as writer:
        for path, record, raw in iter_documents(drop):
            text = ftfy.fix_text(raw)
            try:
                best = detect_langs(text)[0]
                lang, prob = best.lang, best.prob
            except LangDetectException:
                lang, prob = "und", 0.0
            for k, v in zip(SCHEMA.names, (path, record, text, lang, prob)):
                cols[k].append(v)
            n += 1
            nbytes += len(raw.encode("utf-8"))
            if len(cols["path"]) >= BATCH:
                writer.write_batch(pa.RecordBatch.from_pydict(cols, schema=SCHEMA))
                cols = {name: [] for name in SCHEMA.names}
        if cols["path"]:
            writer.write_batch(pa.RecordBatch.from_pydict(cols, schema=SCHEMA))
    return {"seconds": time.perf_counter() - started, "documents": n, "text_bytes": nbytes,
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]))))
