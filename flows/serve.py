"""`corpus-clean serve`: both flows as deployments served from one process (no work pool).

    clean-new-drops/served   on a cron schedule over RAW_ROOT
    clean-drop/served        for one-off runs:
        prefect deployment run 'clean-drop/served' --param drop=/abs/path/to/raw/<drop>

The work-pool deployments of prefect.yaml are named `work-pool` (clean-drop/work-pool,
clean-new-drops/work-pool): a deployment's name is unique per flow, so with the same names
`serve` and `prefect deploy --all` would silently replace each other's deployment (and its
schedule) on the same server.
"""
from __future__ import annotations

from pathlib import Path

from prefect import serve as prefect_serve

from flows.clean_drop import clean_drop
from flows.new_drops import clean_new_drops

SERVED = "served"  # prefect.yaml's deployments are "work-pool"


def deployments(raw_root: str, out: str, cron: str):
    # Paths are made absolute: served runs must not depend on the worker's working directory.
    raw_root, out = str(Path(raw_root).resolve()), str(Path(out).resolve())
    return [
        clean_new_drops.to_deployment(name=SERVED, cron=cron,
                                      parameters={"raw_root": raw_root, "out": out},
                                      description="Clean new and changed files of every drop "
                                                  "(served by corpus-clean serve)."),
        clean_drop.to_deployment(name=SERVED, parameters={"out": out},
                                 description="Clean one drop (parameter drop: its folder; served "
                                             "by corpus-clean serve)."),
    ]


def serve(raw_root: str = "raw", out: str = "clean", cron: str = "0 * * * *") -> None:
    prefect_serve(*deployments(raw_root, out, cron))
