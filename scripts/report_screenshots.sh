#!/usr/bin/env bash
# Render a dataset's HTML report and screenshot it in headless Chromium at a desktop and a
# laptop width, to look at the layout: scripts/report_screenshots.sh DATASET [OUTDIR]
# (Debian: apt-get install chromium). Prints the PNG paths.
set -euo pipefail
data="$1"; outdir="${2:-$(mktemp -d)}"
cd "$(dirname "$0")/.."
html=$(python -c "import sys; from pathlib import Path; from pipeline.report import write_report; print(write_report(Path(sys.argv[1])).resolve())" "$data")
for size in 1920,3800 1366,4800; do
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --window-size="$size" \
    --screenshot="$outdir/report-${size%,*}.png" "file://$html" >/dev/null 2>&1
  rm -rf "$profile"
  echo "$outdir/report-${size%,*}.png"
done
