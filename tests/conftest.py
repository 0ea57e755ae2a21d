"""Shared fixtures: paths, and a real Prefect server started the way users start it."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The CLI keeps a local Prefect API up between runs (flows/localapi.py); tests that do not test
# that get one per run, stopped with the run, as before (tests/test_localapi.py tests reuse).
os.environ.setdefault("CORPUS_CLEAN_API_IDLE_SECONDS", "0")

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DROP = REPO / "raw" / "sample-2020-01-09"
SHARED = REPO.parent / "shared"
BBC = SHARED / "corpora" / "bbc-news"


def pytest_collection_modifyitems(config, items):
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"{SHARED} not present (reference data beside the repo)")
    for item in items:
        if "needs_shared" in item.keywords:
            item.add_marker(skip)


def prefect_bin() -> str:
    return str(Path(sys.executable).with_name("prefect"))


@pytest.fixture(scope="session")
def bbc_bodies():
    """The 1,824 BBC articles without their headline line (tests marked needs_shared)."""
    from pipeline.refcorpus import load_articles

    return [a.body for a in load_articles(BBC)]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """`prefect server start` on loopback with its own PREFECT_HOME; yields the API URL."""
    from flows.tempapi import prefect_server as server

    with server(tmp_path_factory.mktemp("prefect-home")) as url:
        try:
            yield url
        finally:
            # Send what this process still has queued for the API (logs, events) while the server
            # is up; at exit Prefect would otherwise retry against a stopped server for a minute.
            from prefect.events.worker import EventsWorker
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=20)
            EventsWorker.drain_all(timeout=20)


@pytest.fixture
def prefect_api(prefect_server):
    """Point in-process Prefect calls at the test server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        yield prefect_server
