"""Throughput benchmark of corpus-clean (issue 7): `python -m bench --help`. See docs/performance.md."""
