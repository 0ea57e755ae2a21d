"""The step contract: what a cleaning step is, in the spirit of datatrove's pipeline steps (a name,
stats recorded as it runs) and Dolma's taggers (evidence as spans, never silent rewrites).

A step is one module that defines `STEP = Step(...)`:

    name      short name: timings, run-summary stats and the report are keyed by it
    version   what produced the output: its rules file's version (`Rules.version`), or
              `<name>-<N>` for a step whose output-changing constants live in its code
    apply     apply(doc, config) -> {column: value} for each of `columns`; the step changes the
              text only through the document (`cut_prefix`, `rewrite`, `replace_lines`), which
              keeps evidence spans pointing at the right characters
    columns   the output columns it adds (pyarrow fields); a list<struct> value is a list of tuples
              in field order
    options   the options it reads from the config (`pipeline.options.Option`)
    stats     per-run statistics computed from its columns (Total, Counts, Top), each with a
              label for people (run summary, console, Prefect artifact)
    report    how the HTML report shows its columns (Show: bars, histogram, count, top)

`pipeline.core.STEPS` is the ordered list; the schema, the row builder, per-step timing and
stats, the run summary and the report all derive from it. docs/architecture.md has a worked
example.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc

from .options import Option


@dataclass(frozen=True)
class Show:
    """How the HTML report shows a column: kind "bars" (rule counts of a list<struct<rule>>
    column, else value counts), "histogram" (a 0-1 score), "count" (documents where a bool column
    is true) or "top" (the documents with the highest values)."""
    kind: str
    column: str
    title: str


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t)


@dataclass(frozen=True)
class Total:
    """The number of documents whose `column` is true ("true", a bool column), non-empty
    ("nonempty", a list), set ("notnull") or above zero ("positive")."""
    name: str
    column: str
    count: str = "true"
    label: str = ""

    def empty(self):
        return 0

    def of_batch(self, batch: pa.RecordBatch):
        col = batch.column(self.column)
        if self.count == "true":
            mask = col
        elif self.count == "nonempty":
            mask = pc.greater(pc.list_value_length(col), 0)
        elif self.count == "notnull":
            mask = pc.is_valid(col)
        elif self.count == "positive":
            mask = pc.greater(col, 0)
        else:
            raise ValueError(f"stat {self.name}: unknown count {self.count!r}")
        return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)

    def merge(self, a, b):
        return a + b

    def final(self, acc):
        return acc


@dataclass(frozen=True)
class Counts:
    """Counts by key: of a list<struct<rule, ...>> column, by `rule` (summing its `weight` field
    when given, else one per item); of any other column, by value."""
    name: str
    column: str
    weight: str | None = None
    label: str = ""

    def empty(self):
        return Counter()

    def of_batch(self, batch: pa.RecordBatch):
        col = batch.column(self.column)
        if _is_list(col.type):
            items = pc.list_flatten(col)
            if len(items) == 0:
                return Counter()
            keys = pc.struct_field(items, "rule")
            if self.weight is not None:
                grouped = pa.table({"k": keys, "n": pc.struct_field(items, self.weight)}).group_by("k").aggregate([("n", "sum")])
                return Counter(dict(zip(grouped["k"].to_pylist(), grouped["n_sum"].to_pylist())))
            col = keys
        return Counter({r["values"]: r["counts"] for r in pc.value_counts(col).to_pylist()})

    def merge(self, a, b):
        out = Counter(a)
        out.update(b)
        return out

    def final(self, acc):
        return {str(k) if not isinstance(k, str) else k: v for k, v in Counter(acc).most_common()}


@dataclass(frozen=True)
class Top:
    """The `n` documents first by `order` ((column, "descending"|"ascending"), ...) among those
    whose list column `nonempty` has items; each as a dict of `fields`, plus the length of each
    list column in `lengths` ({name: column})."""
    name: str
    n: int
    order: tuple[tuple[str, str], ...]
    fields: tuple[str, ...]
    nonempty: str | None = None
    lengths: dict = field(default_factory=dict)
    label: str = ""

    def empty(self):
        return []

    def of_batch(self, batch: pa.RecordBatch):
        table = pa.Table.from_batches([batch]).select(
            list(dict.fromkeys([*self.fields, *self.lengths.values(), *(c for c, _ in self.order
                                                                       if c not in self.lengths)])))
        if self.nonempty is not None:
            table = table.filter(pc.greater(pc.list_value_length(batch.column(self.nonempty)), 0))
        for name, col in self.lengths.items():
            table = table.append_column(name, pc.list_value_length(table[col]))
        rows = table.sort_by(list(self.order)).slice(0, self.n).select(
            [*self.fields, *self.lengths]).to_pylist()
        return rows

    def merge(self, a, b):
        return self.final(list(a) + list(b))

    def final(self, acc):
        def key(row):
            return tuple(-row[c] if d == "descending" else row[c] for c, d in self.order)
        return sorted(acc, key=key)[: self.n]


Stat = Total | Counts | Top


def label(stat) -> str:
    return stat.label or stat.name.replace("_", " ")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Step:
    name: str
    version: str
    apply: Callable[[Document, object], dict]
    columns: tuple[pa.Field, ...] = ()
    options: tuple[Option, ...] = ()
    stats: tuple[Stat, ...] = ()
    report: tuple[Show, ...] = ()


class StepStats:
    """Per-step statistics of a shard (or a whole run, merged), keyed by step and stat name.
    Computed from the columns of each record batch the shard writes (Arrow compute), so they cost
    nothing per document."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.acc = {s.name: {st.name: st.empty() for st in s.stats} for s in self.steps}

    def observe_batch(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        for s in self.steps:
            acc = self.acc[s.name]
            for st in s.stats:
                acc[st.name] = st.merge(acc[st.name], st.of_batch(batch))

    def to_dict(self) -> dict:
        return {s.name: {st.name: st.final(self.acc[s.name][st.name]) for st in s.stats}
                for s in self.steps if s.stats}


def merge_step_stats(steps, parts: list[dict]) -> dict:
    """Merge `StepStats.to_dict()` of several shards (a step or stat missing from one is empty)."""
    out = {}
    for s in steps:
        if not s.stats:
            continue
        merged = {}
        for st in s.stats:
            acc = st.empty()
            for p in parts:
                if st.name in p.get(s.name, {}):
                    acc = st.merge(acc, p[s.name][st.name])
            merged[st.name] = st.final(acc)
        out[s.name] = merged
    return out
