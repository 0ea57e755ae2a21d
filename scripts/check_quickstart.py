"""The README's quick start, verbatim, as a new user runs it: a copy of the repository's tracked
files (what a fresh clone holds), a fresh virtualenv and a new PREFECT_HOME; the first command of
the quick-start block (`pip install -e . && corpus-clean run ...`), then the DuckDB snippet.
Fails (exit 1) if either fails or the snippet does not show the sample drop. CI runs it
(.ci/run); it needs the package registry for `pip install`.

    python scripts/check_quickstart.py [--keep]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def quickstart(readme: str) -> tuple[str, str]:
    """(the first shell command, the Python snippet) of the README's quick start."""
    section = readme[readme.index("## Quick start"):readme.index("\n## ", readme.index("## Quick start") + 1)]
    bash = re.search(r"```bash\n(.*?)```", section, re.S)[1]
    command = bash.strip().splitlines()[0]
    python = re.search(r"```python\n(.*?)```", section, re.S)[1]
    return command, python


def copy_tracked(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    command, snippet = quickstart((REPO / "README.md").read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix="quickstart-"))
    try:
        clone, venv = tmp / "corpus-clean", tmp / "venv"
        copy_tracked(clone)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PREFECT_API_URL", "PREFECT_PROFILE", "VIRTUAL_ENV")}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
                   PREFECT_HOME=str(tmp / "prefect-home"))
        print(f"$ {command}", flush=True)
        t = time.monotonic()
        run = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True)
        print(run.stdout[-2000:], run.stderr[-3000:] if run.returncode else "", sep="\n")
        print(f"({time.monotonic() - t:.0f}s, exit {run.returncode})")
        if run.returncode != 0 or "5 documents" not in run.stdout:
            print("FAIL: the quick-start command", file=sys.stderr)
            return 1
        print("$ python  # the README's DuckDB snippet", flush=True)
        read = subprocess.run([str(venv / "bin" / "python"), "-c", snippet], cwd=clone, env=env,
                              capture_output=True, text=True)
        print(read.stdout[-3000:], read.stderr[-3000:], sep="\n")
        if read.returncode != 0 or read.stdout.count("sample-2020-01-09") != 5:
            print("FAIL: the DuckDB snippet", file=sys.stderr)
            return 1
        print("OK: the README's quick start works as written")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
