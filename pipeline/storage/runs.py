"""Run ids and run summaries (OUT/_runs/<run_id>.json)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from .files import write_text
from .layout import runs_dir


def new_run_id() -> str:
    return uuid.uuid4().hex


def write_run_summary(out: Path, summary: dict) -> Path:
    path = runs_dir(out) / f"{summary['run_id']}.json"
    write_text(path, json.dumps(summary, indent=1, sort_keys=True, default=str))
    return path
