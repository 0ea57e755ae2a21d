"""Imported once by the worker pool's fork server: every worker forked from it starts with the
library loaded and warmed (rule catalogs, language profiles, pyarrow's first conversion)."""
import pipeline.shard  # noqa: F401  (what a shard task runs: pipeline.shard.clean_listed_shard)
from flows.executor import _warm

_warm()
