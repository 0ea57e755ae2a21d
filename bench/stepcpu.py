"""CPU-seconds per step of the core, in one process: every document of a drop through the steps,
the rows, Arrow and the Parquet write, each timed with `time.process_time` (a busy machine's
preemptions do not count). The records are read first, untimed. Run it in two checkouts, one
after the other and alternating, to compare them step by step:

    python -m bench.stepcpu DROP [ROUNDS]      prints the best of ROUNDS (1) per step
"""
from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from pipeline import core
from pipeline.document import Document
from pipeline.readers import read_file
from pipeline.step import StepStats
from pipeline.storage import planning


def run(drop: Path, rounds: int = 1) -> dict[str, float]:
    files = [f.path for f in planning.discover(drop)]
    recs = [r for rel in files for r in read_file(drop / rel, rel) if hasattr(r, "text")]
    cfg = core.Config()
    pt = time.process_time
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            gc.collect()
            acc = {s.name: 0.0 for s in core.STEPS}
            acc.update(rows=0.0, write=0.0)
            builder, stats, writer = core.BatchBuilder("r", "d"), StepStats(core.STEPS), None
            start = pt()

            def flush():
                nonlocal writer
                t = pt()
                batch = builder.flush()
                stats.observe_batch(batch)
                if writer is None:
                    writer = pq.ParquetWriter(Path(tmp) / "out.parquet", batch.schema, compression="zstd")
                writer.write_batch(batch)
                acc["write"] += pt() - t

            for rec in recs:
                doc = Document(rec.text, rec)
                t = pt()
                for step in core.STEPS:
                    doc.values.update(step.apply(doc, cfg))
                    t1 = pt()
                    acc[step.name] += t1 - t
                    t = t1
                builder.add(rec, doc)
                acc["rows"] += pt() - t
                if len(builder) >= cfg.batch_rows:
                    flush()
            flush()
            writer.close()
            acc["total"] = pt() - start
            for k, v in acc.items():
                best[k] = min(best.get(k, v), v)
    return best


if __name__ == "__main__":
    res = run(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    for name, sec in res.items():
        print(f"{name:<14} {sec:7.3f} s  {sec / res['total']:6.1%}")
