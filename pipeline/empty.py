"""Last step: a document with no words left after cleaning is flagged, never dropped.

A page that is all furniture (a comment form, share prompts) keeps its row, with `text_raw` and
every removed line on it; `empty_after_cleaning` says at a glance that nothing of it is left, and
the run summary counts such documents.
"""
from __future__ import annotations

import pyarrow as pa

from .step import Show, Step, Total


def _apply(doc, config) -> dict:
    return {"empty_after_cleaning": not doc.words()}


STEP = Step(
    name="empty", version="empty-1", apply=_apply,
    columns=(pa.field("empty_after_cleaning", pa.bool_(), nullable=False),),
    stats=(Total("empty", "empty_after_cleaning", label="documents empty after cleaning"),),
    report=(Show("count", "empty_after_cleaning", "documents empty after cleaning"),),
)
