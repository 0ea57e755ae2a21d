"""Fetch ftfy 6.3.1's real-world test cases (tests/test_cases.json from its PyPI sdist).

Writes .cache/ftfy-6.3.1/test_cases.json (repo-relative). Does nothing when the file exists.
Usage: python scripts/fetch_ftfy_cases.py
"""
from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "6.3.1"
ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / ".cache" / f"ftfy-{VERSION}" / "test_cases.json"


def main() -> int:
    if DEST.exists():
        print(f"{DEST.relative_to(ROOT)} exists; nothing to do")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             f"ftfy=={VERSION}", "-d", tmp],
            check=True,
        )
        sdists = list(Path(tmp).glob(f"ftfy-{VERSION}.tar.gz"))
        if not sdists:
            print(f"no ftfy-{VERSION}.tar.gz downloaded into {tmp}", file=sys.stderr)
            return 1
        with tarfile.open(sdists[0]) as tar:
            member = next(
                (m for m in tar.getmembers() if m.name.endswith("/tests/test_cases.json")), None
            )
            if member is None:
                print("tests/test_cases.json not found in the sdist", file=sys.stderr)
                return 1
            data = tar.extractfile(member).read()
    DEST.parent.mkdir(parents=True, exist_ok=True)
    tmp_dest = DEST.with_suffix(".json.part")
    tmp_dest.write_bytes(data)
    tmp_dest.replace(DEST)
    print(f"wrote {DEST.relative_to(ROOT)} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
