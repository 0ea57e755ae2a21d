#!/usr/bin/env bash
# The test command (README quick start, and what CI runs): install the project with its test
# dependencies, fetch ftfy's peer test cases from the package registry, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test]"
"$PY" scripts/fetch_ftfy_cases.py
exec "$PY" -m pytest -p no:cacheprovider "$@"
