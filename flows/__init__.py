"""Prefect orchestration over the `pipeline` library: discovery, sharding, commit, report."""
