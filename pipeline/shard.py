"""Clean one shard of files into one Parquet part file, and say what happened.

This is the unit of work a flow task runs (locally in a worker process, or on a Dask worker).
It writes `part_path` atomically (a temporary name, then rename) and returns a plain-dict
summary: per-file ledger entries, rejects, and the run statistics (the shard's own and every
step's, see pipeline/step.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, boilerplate, core, dedup, dedup_index, dupflags, furniture
from .document import Document
from .inflate import Limits
from .readahead import Readahead
from .readers import Reject, file_format, read_file
from .schema import REJECT_SCHEMA, SCHEMA_VERSION
from .step import StepStats
from .storage.files import atomic_path, doc_write_options, write_parquet
from .storage.layout import furniture_path, record_paths
from .storage.ledger import LEDGER_SCHEMA, file_sha256, file_status
from .storage.planning import PROBLEMS, check_file

IO_RETRIES = 3
IO_BACKOFF_SECONDS = (0.2, 0.5, 1.0)
# One-document files up to this size are read once for both the ledger hash and the parse.
ONE_READ_MAX_BYTES = 64 * 1024 * 1024


def parquet_metadata(run_id: str, drop: str, config, steps=None) -> dict[bytes, bytes]:
    meta = {
        "corpus_clean.schema_version": SCHEMA_VERSION,
        "corpus_clean.pipeline_version": __version__,
        "corpus_clean.rules_version": core.rules_version(steps),
        "corpus_clean.config": config.to_json(),
        "corpus_clean.run_id": run_id,
        "corpus_clean.drop": drop,
    }
    return {k.encode(): v.encode() for k, v in meta.items()}


@dataclass
class ShardStats:
    """What a shard read and wrote; the steps' own statistics are in `steps`."""
    files: int = 0
    documents: int = 0
    rejects: int = 0
    bytes_in: int = 0
    chars_raw: int = 0
    chars_out: int = 0
    words_out: int = 0
    reject_reasons: Counter = field(default_factory=Counter)
    write_seconds: float = 0.0
    dedup_seconds: float = 0.0
    clock: core.StepClock = field(default_factory=core.StepClock)
    steps: StepStats = field(default_factory=lambda: StepStats(core.STEPS))

    def observe(self, doc: Document) -> None:
        self.documents += 1
        self.chars_raw += len(doc.raw)
        self.chars_out += len(doc.text)
        self.words_out += len(doc.words())

    def to_dict(self) -> dict:
        d = {k: dict(v) if isinstance(v, Counter) else v for k, v in self.__dict__.items()
             if k not in ("clock", "steps", "write_seconds", "dedup_seconds")}
        d["step_seconds"] = {**self.clock.as_dict(), "dedup": self.dedup_seconds,
                             "write": self.write_seconds - self.dedup_seconds}
        d["steps"] = self.steps.to_dict()
        return d


class _NotRead(Exception):
    def __init__(self, problem: str, detail: str):
        self.problem, self.detail = problem, detail


def _read_bytes(path: str, size: int) -> bytes:
    """The file's bytes, in one read() when it still has the size lstat gave (Path.read_bytes
    costs three times more in Python objects and system calls, per file of a drop)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        chunks = [data]  # it grew since: read to its end
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _records_with_retry(path: Path, rel: str, text_field: str, sleep=time.sleep, data=None,
                        limits: Limits = Limits()):
    """Yield a file's records; a transient OSError restarts the read where it stopped (records
    already yielded are skipped). After IO_RETRIES failures the file becomes an io_error reject."""
    done = 0
    for attempt in range(IO_RETRIES + 1):
        seen = 0
        try:
            for item in read_file(path, rel, text_field, data if attempt == 0 else None, limits):
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


def clean_files(drop_dir: str, files: list[str], spill_path: str, index_path: str | None,
                run_id: str, drop: str, config: dict | None = None, steps=None,
                drop_lines: "boilerplate.DropLines | None" = None) -> dict:
    """Wave 1 (pipeline/dupflags.py): clean `files` (paths relative to `drop_dir`); the clean
    batches go uncompressed to `spill_path` (Arrow IPC), their duplicate-index rows to
    `index_path`. Neither file is written when no document survives. `steps`: the steps to run
    (default core.STEPS); with `index_path` None no signatures are made (the benchmark's floor:
    no steps, no duplicates: reading, decoding, rows and writing only). `drop_lines`: the drop's
    recurring lines for the boilerplate step (pipeline/furniture.py), when the run counts them.

    Returns {"rows": n, "ledger": [...], "rejects": [...], "stats": {...}}.
    """
    steps = list(core.STEPS if steps is None else steps)
    cfg = core.Config.from_dict(config)
    limits = Limits.from_config(cfg)
    started = time.perf_counter()
    root = Path(drop_dir)
    real_root = os.path.realpath(root)
    stats = ShardStats(clock=core.StepClock(steps), steps=StepStats(steps))
    clock = stats.clock
    builder = core.BatchBuilder(run_id, drop, steps=steps)
    rows = 0
    ledger, rejects = [], []

    with atomic_path(Path(spill_path)) as spill_tmp, \
            atomic_path(Path(index_path or f"{spill_path}.none")) as index_tmp, \
            boilerplate.using_drop_lines(drop_lines):
        spill = index = None

        def flush():
            nonlocal spill, index, rows
            if not len(builder):
                return
            batch = builder.flush()
            stats.steps.observe_batch(batch)
            if spill is None:
                spill = pa.ipc.new_stream(str(spill_tmp), builder.schema)
            spill.write_batch(batch)
            if index_path is not None:
                t = time.perf_counter()
                signed = dedup.index_batch(batch)
                if index is None:
                    index = pq.ParquetWriter(index_tmp, signed.schema,
                                             **dedup_index.parquet_options(signed.schema))
                index.write_table(signed)
                stats.dedup_seconds += time.perf_counter() - t
            rows += batch.num_rows

        ahead = Readahead(root, files)
        try:
            for i, rel in enumerate(files):
                ahead.before(i)
                path = root / rel
                stats.files += 1
                n_docs = n_rej = io_errors = 0
                data = None
                size, mtime_ns, ctime_ns, digest = -1, -1, -1, ""
                try:
                    spath = os.fspath(path)
                    st = os.lstat(spath)
                    if not stat.S_ISREG(st.st_mode):  # a link (or swapped since discovery): check
                        problem, detail = check_file(real_root, rel)
                        if problem:
                            raise _NotRead(problem, detail)
                        st = os.stat(spath)
                    size, mtime_ns, ctime_ns = st.st_size, st.st_mtime_ns, st.st_ctime_ns
                    if file_format(rel)[0] in ("txt", "html") and size <= ONE_READ_MAX_BYTES:
                        data = _read_bytes(spath, size)
                        digest = hashlib.sha256(data).hexdigest()
                    else:
                        digest = file_sha256(path)
                except _NotRead as exc:
                    items = [Reject(rel, None, exc.problem, f"{PROBLEMS[exc.problem]} ({exc.detail}); "
                                    "not read")]
                except OSError as exc:
                    items = [Reject(rel, None, "io_error", f"{type(exc).__name__}: {exc}")]
                else:
                    stats.bytes_in += size
                    items = _records_with_retry(path, rel, cfg.text_field, data=data, limits=limits)
                for item in items:
                    if not isinstance(item, Reject):
                        try:
                            doc = core.clean_document(Document(item.text, item), cfg, clock)
                        except Exception as exc:  # a rule failing on one document must not stop the run
                            item = Reject(item.source_path, item.source_record, "cleaning_error",
                                          f"{type(exc).__name__}: {exc} (the record is kept in "
                                          "quarantine with this reason; please report it)")
                    if isinstance(item, Reject):
                        n_rej += 1
                        io_errors += item.reason == "io_error"
                        stats.rejects += 1
                        stats.reject_reasons[item.reason] += 1
                        rejects.append({"drop": drop, "source_path": item.source_path,
                                        "source_record": item.source_record, "reason": item.reason,
                                        "error": item.error, "run_id": run_id})
                        continue
                    builder.add(item, doc)
                    stats.observe(doc)
                    n_docs += 1
                    if len(builder) >= cfg.batch_rows:
                        t = time.perf_counter()
                        flush()
                        stats.write_seconds += time.perf_counter() - t
                ledger.append({"drop": drop, "path": rel, "size": size, "mtime_ns": mtime_ns,
                               "ctime_ns": ctime_ns, "sha256": digest, "run_id": run_id,
                               "documents": n_docs, "rejects": n_rej,
                               "status": file_status(n_docs, n_rej, io_errors)})
            t = time.perf_counter()
            flush()
        finally:
            for w in (spill, index):
                if w is not None:  # closed before the rename, or before removal on failure
                    w.close()
        stats.write_seconds += time.perf_counter() - t
    summary = stats.to_dict()
    summary["seconds"] = time.perf_counter() - started
    return {"rows": rows, "ledger": ledger, "rejects": rejects, "stats": summary}


def write_part(spill_path: str, flags_path: str, part_path: str, run_id: str, drop: str,
               config: dict | None = None) -> dict:
    """Wave 2: a shard's spilled batches and their duplicate flags (`flags_path`, rows in the
    spill's order) as its Parquet part; the spill is removed after. Returns {"rows", "seconds"}."""
    cfg = core.Config.from_dict(config)
    started = time.perf_counter()
    flags = pq.read_table(flags_path)
    schema = core.schema().with_metadata(parquet_metadata(run_id, drop, cfg))
    rows = dupflags.write_part(Path(spill_path), flags, Path(part_path), schema, cfg.batch_rows)
    Path(spill_path).unlink(missing_ok=True)
    return {"rows": rows, "seconds": time.perf_counter() - started}


def clean_shard(drop_dir: str, files: list[str], part_path: str, run_id: str, drop: str,
                config: dict | None = None, steps=None) -> dict:
    """Clean `files` (paths relative to `drop_dir`) into the Parquet file `part_path`, both waves
    in this process, duplicates flagged among the shard's own documents (notebooks, tests, the
    benchmark's core). `steps`: the steps to run (default core.STEPS); an explicit list runs no
    duplicate pass either (`steps=[]` is the benchmark's floor). Returns {"part": name or None,
    "rows", "ledger", "rejects", "stats"}."""
    cfg = core.Config.from_dict(config)
    out = Path(part_path)
    dups = steps is None
    spill, index = out.with_name(f"{out.name}.spill"), out.with_name(f"{out.name}.index.pq")
    try:
        drop_lines = furniture.for_files(drop_dir, files, config, out) if dups else None
        result = clean_files(drop_dir, files, str(spill), str(index) if dups else None, run_id,
                             drop, config, steps, drop_lines)
        if result["rows"]:
            t = time.perf_counter()
            flags = dupflags.within(pq.read_table(index)) if dups else None
            matched = time.perf_counter()
            clean = core.clean_schema(steps)
            schema = (core.schema(steps) if dups else clean).with_metadata(
                parquet_metadata(run_id, drop, cfg, steps))
            dupflags.write_part(spill, flags, out, schema, cfg.batch_rows)
            done = time.perf_counter()
            steps = result["stats"]["step_seconds"]
            steps["dedup"] = steps.get("dedup", 0.0) + matched - t
            steps["write"] = steps.get("write", 0.0) + done - matched
            result["stats"]["seconds"] += done - t
    finally:
        spill.unlink(missing_ok=True)
        index.unlink(missing_ok=True)
    result["part"] = out.name if result["rows"] else None
    return result


def count_listed_shard(drop_dir: str, files_path: str, record_prefix: str, config: dict | None = None) -> dict:
    """The furniture pre-pass for an orchestrator (pipeline/furniture.py): the line keys of the
    shard's files (list in `files_path`) to `<prefix>.lines.npz`. Returns {"documents", "seconds"}."""
    files = json.loads(Path(files_path).read_text())
    return furniture.count_files(drop_dir, files, f"{record_prefix}.lines.npz", config)


def clean_listed_shard(drop_dir: str, files_path: str, record_prefix: str, run_id: str,
                       drop: str, config: dict | None = None) -> dict:
    """Wave 1 for an orchestrator: the file list is read from `files_path` (a JSON list); the
    spill, the duplicate-index rows, the per-file ledger entries and the rejects are written
    next to `record_prefix` (`<prefix>.spill`, `<prefix>.index.pq`, `<prefix>.ledger.pq`,
    `<prefix>.rejects.pq`), so nothing bulky travels through task parameters, results or process
    pipes. Returns {"rows", "stats"}; wave 2 is `write_part`."""
    files = json.loads(Path(files_path).read_text())
    n = furniture.min_docs(core.Config.from_dict(config))
    drop_lines = furniture.load(str(furniture_path(record_prefix)), n) if n else None
    result = clean_files(drop_dir, files, f"{record_prefix}.spill", f"{record_prefix}.index.pq",
                         run_id, drop, config, drop_lines=drop_lines)
    ledger_file, rejects_file = record_paths(record_prefix)
    write_parquet(pa.Table.from_pylist(result.pop("ledger"), schema=LEDGER_SCHEMA), ledger_file)
    write_parquet(pa.Table.from_pylist(result.pop("rejects"), schema=REJECT_SCHEMA), rejects_file)
    return result
