"""`corpus-clean serve`: both flows as deployments served from one process (no work pool).

    clean-new-drops/clean-new-drops   on a cron schedule over RAW_ROOT
    clean-drop/clean-drop             for one-off runs:
        prefect deployment run 'clean-drop/clean-drop' --param drop=/abs/path/to/raw/<drop>
"""
from __future__ import annotations

from pathlib import Path

from prefect import serve as prefect_serve

from flows.clean_drop import clean_drop
from flows.new_drops import clean_new_drops


def deployments(raw_root: str, out: str, cron: str):
    # Paths are made absolute: served runs must not depend on the worker's working directory.
    raw_root, out = str(Path(raw_root).resolve()), str(Path(out).resolve())
    return [
        clean_new_drops.to_deployment(name="clean-new-drops", cron=cron,
                                      parameters={"raw_root": raw_root, "out": out},
                                      description="Clean new and changed files of every drop."),
        clean_drop.to_deployment(name="clean-drop", parameters={"out": out},
                                 description="Clean one drop (parameter drop: its folder)."),
    ]


def serve(raw_root: str = "raw", out: str = "clean", cron: str = "0 * * * *") -> None:
    prefect_serve(*deployments(raw_root, out, cron))
