"""The document pipeline: the ordered list of steps, and everything derived from it.

One raw record in, one output row out. `STEPS` is the order the steps run in; each is one
module's `STEP` (see pipeline/step.py for the contract). From this list come the options and
`Config`, the output schema, the row builder, per-step timing and statistics, and `rules_version`.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time

import pyarrow as pa

from . import __version__, boilerplate, dedup, dupflags, empty, headers, language, mtflags, repair
from .document import Document
from .options import RUN_OPTIONS, make_config
from .readers import RawRecord
from .schema import PROVENANCE_FIELDS, doc_schema

STEPS = [
    headers.DATE_STEP,   # published: a leading " date YYYY-MM-DD "
    repair.STEP,         # repairs: entities, mojibake, whitespace
    headers.TITLE_STEP,  # title: a headline line
    boilerplate.STEP,    # boilerplate, boilerplate_share, boilerplate_heavy
    language.STEP,       # lang, lang_prob
    mtflags.STEP,        # mt_flags, mt_score, mt_suspect
    empty.STEP,          # empty_after_cleaning: no words left
]

OPTIONS = RUN_OPTIONS + [o for step in STEPS for o in step.options]
Config = make_config(OPTIONS)


def rules_version(steps=None) -> str:
    """What produced a row: the versions of the steps, in order (each once), and of the
    duplicate flags (pipeline/dedup.py, a pass over the whole drop after the steps)."""
    versions = [s.version for s in (STEPS if steps is None else steps)] + [dedup.RULES_VERSION]
    return ";".join(dict.fromkeys(versions))


@functools.lru_cache(maxsize=8)
def _schema(steps: tuple) -> pa.Schema:
    return doc_schema(steps)


def clean_schema(steps=None) -> pa.Schema:
    """The columns the steps produce for a row (what a worker writes before the duplicate
    flags are known): the current STEPS, or `steps`."""
    return _schema(tuple(STEPS if steps is None else steps))


def schema(steps=None) -> pa.Schema:
    """The output schema: the steps' columns and the duplicate flags (pipeline/dupflags.py)."""
    return dupflags.full_schema(clean_schema(steps))


def doc_id_for(drop: str, source_path: str, source_record: int, text_raw: str) -> str:
    """Stable, unique id: the input's drop, its place in the drop and its decoded content.
    The same input gives the same id on every run; a changed file gives new ids."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{drop}\0{source_path}\0{source_record}\0".encode())
    h.update(text_raw.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class StepClock:
    """Seconds spent in each step, summed over documents (datatrove-style step stats)."""

    def __init__(self, steps=None):
        self.steps = list(STEPS if steps is None else steps)
        self.seconds = [0.0] * len(self.steps)

    def as_dict(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for step, sec in zip(self.steps, self.seconds):
            out[step.name] = out.get(step.name, 0.0) + sec
        return out


def clean_document(doc: Document, config=None, clock: StepClock | None = None) -> Document:
    """Run every step over `doc` (the current STEPS, or the clock's); with a clock, add each
    step's time to it."""
    config = Config() if config is None else config
    values = doc.values
    if clock is None:
        for step in STEPS:
            values.update(step.apply(doc, config))
        return doc
    seconds, now = clock.seconds, time.perf_counter
    t = now()
    for i, step in enumerate(clock.steps):
        values.update(step.apply(doc, config))
        t, t0 = now(), t
        seconds[i] += t - t0
    return doc


def clean_text(raw: str, config=None, *, title: str | None = None,
               published: dt.date | None = None) -> Document:
    """Clean one text (notebooks, tests): the Document, its column values in `doc.values`.
    `title`/`published`: the text's own metadata, as a record would bring it (an HTML page)."""
    rec = None
    if title is not None or published is not None:
        rec = RawRecord("", 0, raw, "utf-8", title=title, published=published)
    return clean_document(Document(raw, rec), config)


class _ListOfStructs:
    """A list<struct> column built from flat child lists and offsets: much cheaper for pyarrow
    than converting a Python dict per element."""

    def __init__(self, type_: pa.DataType):
        self.type = type_
        self.fields = [type_.value_type.field(i) for i in range(type_.value_type.num_fields)]
        self.children: list[list] = [[] for _ in self.fields]
        self.offsets = [0]

    def append(self, items) -> None:
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


def _is_list_of_structs(t: pa.DataType) -> bool:
    return pa.types.is_list(t) and pa.types.is_struct(t.value_type)


class _Column(list):
    def flush(self) -> pa.Array:
        return self


_PROVENANCE = {f.name for f in PROVENANCE_FIELDS}


class BatchBuilder:
    """Collects output rows column by column and emits Arrow record batches of the schema."""

    def __init__(self, run_id: str, drop: str, processed_at: dt.datetime | None = None, steps=None):
        self.run_id = run_id
        self.drop = drop
        self.processed_at = processed_at or dt.datetime.now(dt.timezone.utc)
        self.steps = list(STEPS if steps is None else steps)
        self.schema = clean_schema(self.steps)
        self.rules_version = rules_version(self.steps)
        self._cols = {f.name: _ListOfStructs(f.type) if _is_list_of_structs(f.type) else []
                      for f in self.schema if f.name not in _PROVENANCE}
        base = self._cols
        self._base = (base["doc_id"].append, base["source_path"].append,
                      base["source_record"].append, base["url"].append, base["text"].append,
                      base["text_raw"].append,
                      base["encoding"].append, base["meta"].append, base["n_chars"].append,
                      base["n_words"].append)
        self._step_cols = [(f.name, base[f.name].append) for s in self.steps for f in s.columns]
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def add(self, rec: RawRecord, doc: Document) -> str:
        """Add a cleaned record; sets and returns its doc_id."""
        raw = rec.raw if rec.raw is not None else rec.text  # an HTML page: the HTML
        doc_id = doc.doc_id = doc_id_for(self.drop, rec.source_path, rec.source_record, raw)
        meta = (json.dumps(rec.meta, ensure_ascii=False, default=str, sort_keys=True)
                if rec.meta else None)
        for add, value in zip(self._base, (doc_id, rec.source_path, rec.source_record, rec.url,
                                           doc.text, raw, rec.encoding, meta, len(doc.text),
                                           len(doc.words()))):
            add(value)
        values = doc.values
        for name, add in self._step_cols:
            add(values[name])
        self._n += 1
        return doc_id

    def flush(self) -> pa.RecordBatch:
        n, self._n = self._n, 0
        constants = {"pipeline_version": __version__, "rules_version": self.rules_version,
                     "run_id": self.run_id, "processed_at": self.processed_at}
        arrays = []
        for f in self.schema:
            if f.name in constants:  # run-wide values, filled once per batch
                arrays.append(pa.array([constants[f.name]] * n, f.type))
            else:
                col = self._cols[f.name]
                if isinstance(col, _ListOfStructs):
                    arrays.append(col.flush())
                else:
                    arrays.append(pa.array(col, f.type))
                    col.clear()
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def clean_records(records, run_id: str, drop: str, config=None) -> pa.Table:
    """Convenience for notebooks and tests: clean RawRecords into one Arrow table of the output
    schema, duplicates flagged among these records."""
    builder = BatchBuilder(run_id, drop)
    for rec in records:
        builder.add(rec, clean_document(Document(rec.text, rec), config))
    table = pa.Table.from_batches([builder.flush()], schema=builder.schema)
    return dupflags.flag_table(table, schema(builder.steps))
