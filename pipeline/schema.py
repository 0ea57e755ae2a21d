"""The output contract: the Arrow schema of the clean dataset and of the rejects table.

A row is the document's identity and text (BASE_FIELDS), then the columns of every step in
`pipeline.core.STEPS` order, then what produced it (PROVENANCE_FIELDS). docs/schema.md is the
data dictionary. Bump SCHEMA_VERSION when a column is added, removed or changes meaning.
"""
from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "2"

BASE_FIELDS = [
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("source_path", pa.string(), nullable=False),
    pa.field("source_record", pa.int32(), nullable=False),
    pa.field("url", pa.string()),  # the record's own URL field (JSONL, CSV, Parquet), if any
    pa.field("text", pa.string(), nullable=False),
    pa.field("text_raw", pa.string(), nullable=False),
    pa.field("encoding", pa.string(), nullable=False),
    pa.field("meta", pa.string()),
    pa.field("n_chars", pa.int32(), nullable=False),
    pa.field("n_words", pa.int32(), nullable=False),
]
PROVENANCE_FIELDS = [
    pa.field("pipeline_version", pa.string(), nullable=False),
    pa.field("rules_version", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("processed_at", pa.timestamp("us", tz="UTC"), nullable=False),
]


def doc_schema(steps) -> pa.Schema:
    fields = list(BASE_FIELDS)
    names = {f.name for f in fields} | {f.name for f in PROVENANCE_FIELDS}
    for step in steps:
        for f in step.columns:
            if f.name in names:
                raise ValueError(f"step {step.name!r}: column {f.name!r} is already defined")
            names.add(f.name)
            fields.append(f)
    return pa.schema(fields + PROVENANCE_FIELDS)


REJECT_SCHEMA = pa.schema(
    [
        pa.field("drop", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("source_record", pa.int32()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)
