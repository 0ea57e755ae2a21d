"""The output contract: the Arrow schema of the clean dataset and of the rejects table.

Schema version 1. See docs/schema.md for the data dictionary.
"""
from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

REPAIR_TYPE = pa.struct([("rule", pa.string()), ("count", pa.int32())])
BOILERPLATE_TYPE = pa.struct([("rule", pa.string()), ("text", pa.string())])
MT_FLAG_TYPE = pa.struct(
    [("rule", pa.string()), ("start", pa.int32()), ("end", pa.int32()), ("excerpt", pa.string())]
)

DOC_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("source_record", pa.int32(), nullable=False),
        pa.field("published", pa.date32()),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("text_raw", pa.string(), nullable=False),
        pa.field("encoding", pa.string(), nullable=False),
        pa.field("meta", pa.string()),
        pa.field("lang", pa.string(), nullable=False),
        pa.field("lang_prob", pa.float32(), nullable=False),
        pa.field("repairs", pa.list_(REPAIR_TYPE), nullable=False),
        pa.field("boilerplate", pa.list_(BOILERPLATE_TYPE), nullable=False),
        pa.field("boilerplate_share", pa.float32(), nullable=False),
        pa.field("boilerplate_heavy", pa.bool_(), nullable=False),
        pa.field("mt_flags", pa.list_(MT_FLAG_TYPE), nullable=False),
        pa.field("mt_score", pa.float32(), nullable=False),
        pa.field("mt_suspect", pa.bool_(), nullable=False),
        pa.field("n_chars", pa.int32(), nullable=False),
        pa.field("n_words", pa.int32(), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("rules_version", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("processed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

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
