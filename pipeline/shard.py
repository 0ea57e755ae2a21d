"""Clean one shard of files into one Parquet part file, and say what happened.

This is the unit of work a flow task runs (locally in a worker process, or on a Dask worker).
It writes `part_path` atomically (a temporary name, then rename) and returns a plain-dict
summary: per-file ledger entries, rejects, and step statistics for the run report.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .config import Config
from .core import BatchBuilder, StepTimer, clean_text, rules_version
from .readahead import Readahead
from .readers import RawRecord, Reject, file_format, read_file
from .schema import DOC_SCHEMA, REJECT_SCHEMA, SCHEMA_VERSION

IO_RETRIES = 3
IO_BACKOFF_SECONDS = (0.2, 0.5, 1.0)
TOP_FLAGGED_PER_SHARD = 20
# One-document files up to this size are read once for both the ledger hash and the parse.
ONE_READ_MAX_BYTES = 64 * 1024 * 1024


def parquet_metadata(run_id: str, drop: str, config: Config) -> dict[bytes, bytes]:
    meta = {
        "corpus_clean.schema_version": SCHEMA_VERSION,
        "corpus_clean.pipeline_version": __version__,
        "corpus_clean.rules_version": rules_version(),
        "corpus_clean.config": config.to_json(),
        "corpus_clean.run_id": run_id,
        "corpus_clean.drop": drop,
    }
    return {k.encode(): v.encode() for k, v in meta.items()}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class ShardStats:
    files: int = 0
    documents: int = 0
    rejects: int = 0
    bytes_in: int = 0
    chars_raw: int = 0
    chars_out: int = 0
    words_out: int = 0
    repairs: Counter = field(default_factory=Counter)  # rule -> repairs made
    repaired_docs: int = 0
    boilerplate: Counter = field(default_factory=Counter)  # rule -> lines removed
    boilerplate_heavy: int = 0
    mt_flags: Counter = field(default_factory=Counter)  # rule -> flags
    mt_suspects: int = 0
    langs: Counter = field(default_factory=Counter)
    reject_reasons: Counter = field(default_factory=Counter)
    step_seconds: Counter = field(default_factory=Counter)
    top_flagged: list = field(default_factory=list)

    def observe(self, rec: RawRecord, doc_id: str, c) -> None:
        self.documents += 1
        self.chars_raw += len(rec.text)
        self.chars_out += len(c.text)
        self.words_out += c.n_words
        if c.repairs:
            self.repaired_docs += 1
        for rule, n in c.repairs:
            self.repairs[rule] += n
        for rule, _ in c.boilerplate:
            self.boilerplate[rule] += 1
        self.boilerplate_heavy += c.boilerplate_heavy
        for f in c.mt.flags:
            self.mt_flags[f.rule] += 1
        self.mt_suspects += c.mt.suspect
        self.langs[c.lang] += 1
        if c.mt.flags:
            self.top_flagged.append({"doc_id": doc_id, "source_path": rec.source_path,
                                     "source_record": rec.source_record, "mt_score": c.mt.score,
                                     "mt_suspect": c.mt.suspect, "flags": len(c.mt.flags)})
            if len(self.top_flagged) > 2 * TOP_FLAGGED_PER_SHARD:
                self._trim()

    def _trim(self) -> None:
        self.top_flagged.sort(key=lambda d: (-d["mt_score"], -d["flags"], d["doc_id"]))
        del self.top_flagged[TOP_FLAGGED_PER_SHARD:]

    def to_dict(self) -> dict:
        self._trim()
        d = dict(self.__dict__)
        for k, v in d.items():
            if isinstance(v, Counter):
                d[k] = dict(v)
        return d


def _records_with_retry(path: Path, rel: str, text_field: str, sleep=time.sleep, data=None):
    """Yield a file's records; a transient OSError restarts the read where it stopped (records
    already yielded are skipped). After IO_RETRIES failures the file becomes an io_error reject."""
    done = 0
    for attempt in range(IO_RETRIES + 1):
        seen = 0
        try:
            for item in read_file(path, rel, text_field, data if attempt == 0 else None):
                seen += 1
                if seen > done:
                    done = seen
                    yield item
            return
        except OSError as exc:
            if attempt == IO_RETRIES:
                yield Reject(rel, None, "io_error",
                             f"{type(exc).__name__}: {exc} (after {IO_RETRIES} retries; "
                             f"{done} records were read before)")
                return
            sleep(IO_BACKOFF_SECONDS[min(attempt, len(IO_BACKOFF_SECONDS) - 1)])


def clean_shard(drop_dir: str, files: list[str], part_path: str, run_id: str, drop: str,
                config: dict | None = None) -> dict:
    """Clean `files` (paths relative to `drop_dir`) into the Parquet file `part_path`.

    Returns {"part": name or None, "rows": n, "ledger": [...], "rejects": [...], "stats": {...}}.
    """
    cfg = Config.from_dict(config)
    started = time.perf_counter()
    root = Path(drop_dir)
    out = Path(part_path)
    tmp = out.with_name(f".{out.name}.tmp")
    stats = ShardStats()
    timer = StepTimer()
    builder = BatchBuilder(run_id, drop)
    writer = None
    rows = 0
    ledger, rejects = [], []

    def flush():
        nonlocal writer, rows
        if not len(builder):
            return
        batch = builder.flush()
        if writer is None:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            schema = DOC_SCHEMA.with_metadata(parquet_metadata(run_id, drop, cfg))
            writer = pq.ParquetWriter(tmp, schema, compression="zstd")
        writer.write_batch(batch, row_group_size=cfg.batch_rows)
        rows += batch.num_rows

    ahead = Readahead(root, files)
    try:
        for i, rel in enumerate(files):
            ahead.before(i)
            path = root / rel
            stats.files += 1
            n_docs = n_rej = 0
            data = None
            try:
                st = path.stat()
                size, mtime_ns = st.st_size, st.st_mtime_ns
                if file_format(rel)[0] == "txt" and size <= ONE_READ_MAX_BYTES:
                    data = path.read_bytes()
                    digest = hashlib.sha256(data).hexdigest()
                else:
                    digest = file_sha256(path)
            except OSError as exc:
                size, mtime_ns, digest = -1, -1, ""
                items = [Reject(rel, None, "io_error", f"{type(exc).__name__}: {exc}")]
            else:
                stats.bytes_in += size
                items = _records_with_retry(path, rel, cfg.text_field, data=data)
            for item in items:
                if not isinstance(item, Reject):
                    try:
                        # an HTML page brings its own title and date (pipeline/html.py)
                        own = {k: v for k, v in (("title", item.title), ("published", item.published))
                               if v is not None}
                        cleaned = clean_text(item.text, cfg, timer, **own)
                    except Exception as exc:  # a rule failing on one document must not stop the run
                        item = Reject(item.source_path, item.source_record, "cleaning_error",
                                      f"{type(exc).__name__}: {exc} (the record is kept in quarantine "
                                      "with this reason; please report it)")
                if isinstance(item, Reject):
                    n_rej += 1
                    stats.rejects += 1
                    stats.reject_reasons[item.reason] += 1
                    rejects.append({"drop": drop, "source_path": item.source_path,
                                    "source_record": item.source_record, "reason": item.reason,
                                    "error": item.error, "run_id": run_id})
                    continue
                doc_id = builder.add(item, cleaned)
                stats.observe(item, doc_id, cleaned)
                n_docs += 1
                if len(builder) >= cfg.batch_rows:
                    t = time.perf_counter()
                    flush()
                    timer.seconds["write"] += time.perf_counter() - t
            ledger.append({"drop": drop, "path": rel, "size": size, "mtime_ns": mtime_ns,
                           "sha256": digest, "run_id": run_id, "documents": n_docs,
                           "rejects": n_rej, "status": "ok" if n_docs and not n_rej else
                           ("partial" if n_docs else "rejected")})
        t = time.perf_counter()
        flush()
        if writer is not None:
            writer.close()
            writer = None
            os.replace(tmp, out)
        timer.seconds["write"] += time.perf_counter() - t
    finally:
        if writer is not None:  # failed mid-way: leave nothing behind
            writer.close()
        tmp.unlink(missing_ok=True)
    stats.step_seconds = timer.seconds
    summary = stats.to_dict()
    summary["seconds"] = time.perf_counter() - started
    return {"part": out.name if rows else None, "rows": rows, "ledger": ledger,
            "rejects": rejects, "stats": summary}


def clean_listed_shard(drop_dir: str, files_path: str, part_path: str, record_prefix: str,
                       run_id: str, drop: str, config: dict | None = None) -> dict:
    """`clean_shard` for an orchestrator: the file list is read from `files_path` (a JSON list)
    and the per-file ledger entries and rejects are written next to `record_prefix`
    (`<prefix>.ledger.parquet`, `<prefix>.rejects.parquet`), so neither travels through task
    parameters, results or process pipes (84k paths cost the flow process seconds there).
    Returns {"part", "rows", "stats"}."""
    from .dataset import LEDGER_SCHEMA, replace_file

    files = json.loads(Path(files_path).read_text())
    result = clean_shard(drop_dir, files, part_path, run_id, drop, config)
    replace_file(pa.Table.from_pylist(result.pop("ledger"), schema=LEDGER_SCHEMA),
                       Path(f"{record_prefix}.ledger.parquet"))
    replace_file(pa.Table.from_pylist(result.pop("rejects"), schema=REJECT_SCHEMA),
                       Path(f"{record_prefix}.rejects.parquet"))
    return result
