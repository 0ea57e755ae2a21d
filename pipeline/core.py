"""The document pipeline: one raw record in, one output row out, each step on record.

Order: headers (date) -> repair -> headers (title) -> boilerplate -> language -> mt flags.
Every step returns what it changed; `clean_text` keeps all of it so a row explains itself.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from . import __version__, boilerplate, headers, language, mtflags, repair
from .config import Config
from .readers import RawRecord
from .schema import DOC_SCHEMA

def rules_version() -> str:
    return ";".join([repair.RULES_VERSION, boilerplate.RULES_VERSION, mtflags.RULES_VERSION])


def doc_id_for(drop: str, source_path: str, source_record: int, text_raw: str) -> str:
    """Stable, unique id: the input's drop, its place in the drop and its decoded content.
    The same input gives the same id on every run; a changed file gives new ids."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{drop}\0{source_path}\0{source_record}\0".encode())
    h.update(text_raw.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@dataclass
class Cleaned:
    published: dt.date | None
    title: str | None
    text: str
    lang: str
    lang_prob: float
    repairs: list[tuple[str, int]]
    boilerplate: list[tuple[str, str]]
    boilerplate_share: float
    boilerplate_heavy: bool
    mt: mtflags.MTResult
    n_words: int


@dataclass
class StepTimer:
    """Seconds spent per step, summed over documents (datatrove-style step stats)."""

    seconds: Counter = field(default_factory=Counter)


def clean_text(raw: str, config: Config = Config(), timer: StepTimer | None = None) -> Cleaned:
    clock = time.perf_counter
    t0 = clock()
    published, body = headers.split_date_header(raw)
    t1 = clock()
    rep = repair.repair_text(body)
    t2 = clock()
    title, body = headers.split_title(rep.text)
    title_shift = len(rep.text) - len(body)
    t3 = clock()
    bp = boilerplate.strip_boilerplate(body, max_share=config.max_boilerplate_share)
    t4 = clock()
    lang = language.detect_language(bp.text)
    t5 = clock()
    spans = _map_spans(body, bp.text, [(r, s - title_shift, e - title_shift) for r, s, e in rep.spans])
    words = bp.text.split()
    mt = mtflags.flag_mt(bp.text, lang=lang.lang, entity_spans=spans, threshold=config.mt_threshold,
                         words=words, model=True)
    t6 = clock()
    if timer is not None:
        s = timer.seconds
        s["headers"] += (t1 - t0) + (t3 - t2)
        s[repair.NAME] += t2 - t1
        s[boilerplate.NAME] += t4 - t3
        s[language.NAME] += t5 - t4
        s[mtflags.NAME] += t6 - t5
    return Cleaned(published, title, bp.text, lang.lang, lang.prob, rep.repairs, bp.removed,
                   bp.share, bp.heavy, mt, len(words))


def _map_spans(src: str, dst: str, spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Map (rule, start, end) offsets in `src` to `dst`, which is `src` with whole lines removed
    (title, boilerplate) or edited (bullets). Lines are matched in order: each line of `src` maps
    to the first equal line of `dst` after the previous match. A span on a line that did not
    survive unchanged maps to (rule, -1, -1): still evidence, no longer locatable."""
    if not spans:
        return []
    if src == dst:
        return list(spans)
    src_lines, dst_lines = src.split("\n"), dst.split("\n")
    src_starts = _line_starts(src_lines)
    dst_starts = _line_starts(dst_lines)
    where: dict[str, list[int]] = {}
    for j, line in enumerate(dst_lines):
        where.setdefault(line, []).append(j)
    wanted = {bisect.bisect_right(src_starts, start) - 1 for _, start, _ in spans if start >= 0}
    line_map: dict[int, int] = {}
    nxt = 0
    for i, line in enumerate(src_lines):
        idx = where.get(line) if line else None  # blank lines separate, they carry no spans
        if not idx:
            continue
        k = bisect.bisect_left(idx, nxt)
        if k < len(idx):
            if i in wanted:
                line_map[i] = idx[k]
            nxt = idx[k] + 1
    out = []
    for rule, start, end in spans:
        i = bisect.bisect_right(src_starts, start) - 1
        j = line_map.get(i) if start >= 0 else None
        if j is None:
            out.append((rule, -1, -1))
        else:
            shift = dst_starts[j] - src_starts[i]
            out.append((rule, start + shift, end + shift))
    return out


def _line_starts(lines: list[str]) -> list[int]:
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    return starts


_CONSTANT = {"pipeline_version", "rules_version", "run_id", "processed_at"}
_LISTS = {"repairs", "boilerplate", "mt_flags"}


class _ListOfStructs:
    """A list<struct> column built from flat child lists and offsets: much cheaper for pyarrow
    than converting a Python dict per element."""

    def __init__(self, type_: pa.DataType):
        self.type = type_
        self.fields = [type_.value_type.field(i) for i in range(type_.value_type.num_fields)]
        self.children: list[list] = [[] for _ in self.fields]
        self.offsets = [0]

    def add(self, items) -> None:
        for item in items:
            for child, value in zip(self.children, item):
                child.append(value)
        self.offsets.append(len(self.children[0]))

    def flush(self) -> pa.Array:
        values = pa.StructArray.from_arrays(
            [pa.array(child, f.type) for child, f in zip(self.children, self.fields)],
            fields=self.fields)
        out = pa.ListArray.from_arrays(pa.array(self.offsets, pa.int32()), values, type=self.type)
        self.children = [[] for _ in self.fields]
        self.offsets = [0]
        return out


class BatchBuilder:
    """Collects output rows column by column and emits Arrow record batches of DOC_SCHEMA."""

    def __init__(self, run_id: str, drop: str, processed_at: dt.datetime | None = None):
        self.run_id = run_id
        self.drop = drop
        self.processed_at = processed_at or dt.datetime.now(dt.timezone.utc)
        self.rules_version = rules_version()
        self._lists = {f.name: _ListOfStructs(f.type) for f in DOC_SCHEMA if f.name in _LISTS}
        self._cols: dict[str, list] = {f.name: [] for f in DOC_SCHEMA
                                       if f.name not in _CONSTANT and f.name not in _LISTS}

    def __len__(self) -> int:
        return len(self._cols["doc_id"])

    def add(self, rec: RawRecord, c: Cleaned) -> str:
        doc_id = doc_id_for(self.drop, rec.source_path, rec.source_record, rec.text)
        col = self._cols
        col["doc_id"].append(doc_id)
        col["source_path"].append(rec.source_path)
        col["source_record"].append(rec.source_record)
        col["published"].append(c.published)
        col["title"].append(c.title)
        col["text"].append(c.text)
        col["text_raw"].append(rec.text)
        col["encoding"].append(rec.encoding)
        col["meta"].append(json.dumps(rec.meta, ensure_ascii=False, default=str, sort_keys=True)
                           if rec.meta else None)
        col["lang"].append(c.lang)
        col["lang_prob"].append(c.lang_prob)
        self._lists["repairs"].add(c.repairs)
        self._lists["boilerplate"].add(c.boilerplate)
        col["boilerplate_share"].append(c.boilerplate_share)
        col["boilerplate_heavy"].append(c.boilerplate_heavy)
        self._lists["mt_flags"].add([(f.rule, f.start, f.end, f.excerpt) for f in c.mt.flags])
        col["mt_score"].append(c.mt.score)
        col["mt_suspect"].append(c.mt.suspect)
        col["n_chars"].append(len(c.text))
        col["n_words"].append(c.n_words)
        return doc_id

    def flush(self) -> pa.RecordBatch:
        n = len(self)
        constants = {"pipeline_version": __version__, "rules_version": self.rules_version,
                     "run_id": self.run_id, "processed_at": self.processed_at}
        arrays = []
        for f in DOC_SCHEMA:
            if f.name in constants:  # run-wide values, filled once per batch
                arrays.append(pa.array([constants[f.name]] * n, f.type))
            elif f.name in _LISTS:
                arrays.append(self._lists[f.name].flush())
            else:
                arrays.append(pa.array(self._cols[f.name], f.type))
                self._cols[f.name].clear()
        return pa.RecordBatch.from_arrays(arrays, schema=DOC_SCHEMA)


def clean_records(records, run_id: str, drop: str, config: Config = Config()) -> pa.Table:
    """Convenience for notebooks and tests: clean RawRecords into one Arrow table."""
    builder = BatchBuilder(run_id, drop)
    for rec in records:
        builder.add(rec, clean_text(rec.text, config))
    return pa.Table.from_batches([builder.flush()], schema=DOC_SCHEMA)
