"""Prefect artifacts for a run: a progress bar while shards run, a summary and a table after."""
from __future__ import annotations

import re
import time

from prefect.artifacts import (create_markdown_artifact, create_progress_artifact,
                               create_table_artifact, update_progress_artifact)

from pipeline import core
from pipeline.runsummary import summarize, to_markdown  # noqa: F401  (re-exported for the flow)


def _key(text: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:100] or "drop"


class Progress:
    """A progress artifact: updated at most every `every` seconds, and at 100%. Each update is an
    API call that the server handles while the workers want the same cores."""

    def __init__(self, total: int, description: str, every: float = 2.0):
        self.total, self.done, self.every = max(total, 1), 0, every
        self.id = create_progress_artifact(progress=0.0, description=description)
        self.last = time.monotonic()

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done >= self.total or now - self.last >= self.every:
            update_progress_artifact(self.id, progress=100.0 * self.done / self.total)
            self.last = now


def _rounded(value):
    """A table cell: floats to 3 decimals (a float32 score printed as a Python float has 16)."""
    return round(value, 3) if isinstance(value, float) else value


def publish(summary: dict) -> None:
    drop = _key(summary["drop"])
    create_markdown_artifact(key=f"clean-drop-{drop}", markdown=to_markdown(summary),
                             description=f"corpus-clean summary for drop {summary['drop']}")
    top = next((summary.get("steps", {}).get(step.name, {}).get(st.name) or []
                for step in core.STEPS for st in step.stats if st.name == "top_flagged"), [])
    rows = [{k: _rounded(d[k]) for k in ("doc_id", "source_path", "source_record", "mt_score", "flags")}
            for d in top]
    create_table_artifact(key=f"most-flagged-{drop}", table=rows or [{"doc_id": "(none)"}],
                          description="documents with the most MT evidence")
