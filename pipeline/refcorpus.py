"""Reading a reference corpus of one-article-per-file text (the BBC set in ../shared) the same way
everywhere: the false-positive reports, their tests and the benchmark."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .decode import decode_bytes

DEFAULT_BBC_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news"


@dataclass(frozen=True)
class Article:
    path: str  # relative to the corpus root, e.g. "sport/199.txt"
    data: bytes  # the file's bytes
    text: str  # decoded by pipeline.decode (UTF-8, else cp1252, ...)

    @property
    def body(self) -> str:
        """The text without its first line (the BBC headline), stripped."""
        return self.text.split("\n", 1)[1].strip() if "\n" in self.text else ""


def load_articles(root: Path = DEFAULT_BBC_DIR) -> list[Article]:
    root = Path(root)
    out = []
    for path in sorted(root.glob("*/*.txt")):
        data = path.read_bytes()
        out.append(Article(path.relative_to(root).as_posix(), data, decode_bytes(data).text))
    return out
