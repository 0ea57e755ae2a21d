"""Run configuration: every knob that changes the output, written into the Parquet metadata."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from . import mtflags


@dataclass(frozen=True)
class Config:
    # Field (JSONL) or column (CSV, Parquet) that holds the article text.
    text_field: str = "text"
    # A document losing more than this share of its words to boilerplate is flagged heavy.
    max_boilerplate_share: float = 0.5
    # mt_suspect is mt_score >= mt_threshold.
    mt_threshold: float = mtflags.DEFAULT_THRESHOLD
    # Rows per Arrow batch and Parquet row group: bounds memory for any file size.
    batch_rows: int = 500
    # Target input bytes per shard (one Prefect task each); a bigger file is a shard of its own.
    # Coarse on purpose: every task costs API calls that compete with the workers for the cores.
    shard_bytes: int = 16 * 1024 * 1024
    # Upper bound on shards per drop (tens of tasks, never one per document).
    max_shards: int = 64

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Config":
        return cls(**(data or {}))
