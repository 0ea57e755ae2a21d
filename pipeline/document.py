"""The document the steps share: its current text, the values of its output columns, and the
evidence spans that must keep pointing at the right characters while steps edit the text.

A step never moves offsets itself: it tells the document how the text changed (`cut_prefix`,
`replace_lines`, `rewrite`) and the document re-points every span. A span whose characters did
not survive unchanged becomes (rule, -1, -1): still evidence, no longer locatable.
"""
from __future__ import annotations

import bisect

Span = tuple[str, int, int]  # (rule, start, end) in the current text
UNLOCATED = -1


class Document:
    __slots__ = ("raw", "record", "doc_id", "text", "values", "spans", "_words")

    def __init__(self, raw: str, record=None):
        self.raw = raw  # the input as decoded (text_raw)
        self.record = record  # the RawRecord it came from (None for a bare text)
        self.doc_id: str | None = None
        self.text = raw
        self.values: dict[str, object] = {}  # output columns, by name
        self.spans: list[Span] = []
        self._words: list[str] | None = None

    def __getitem__(self, column: str):
        return self.values[column]

    def words(self) -> list[str]:
        """`text.split()`, computed once per version of the text."""
        if self._words is None:
            self._words = self.text.split()
        return self._words

    def _set(self, text: str) -> None:
        if text is not self.text:
            self.text = text
            self._words = None

    def cut_prefix(self, n: int) -> None:
        """The first `n` characters are gone (a header, a title)."""
        if n <= 0:
            return
        self.spans = [(r, s - n, e - n) if s >= n else (r, UNLOCATED, UNLOCATED)
                      for r, s, e in self.spans]
        self._set(self.text[n:])

    def rewrite(self, text: str, spans: list[Span] = ()) -> None:
        """The text was rewritten character by character (repair): earlier spans cannot be
        followed; `spans` are the rewriting step's own, in the new text."""
        self.spans = [(r, UNLOCATED, UNLOCATED) for r, _, _ in self.spans] + list(spans)
        self._set(text)

    def replace_lines(self, text: str, words: list[str] | None = None) -> None:
        """Whole lines were removed or edited (boilerplate, bullets): spans follow their lines.
        `words`: `text.split()` when the step has it already (from the lines it kept)."""
        if self.spans and text != self.text:
            self.spans = map_spans(self.text, text, self.spans)
        self._set(text)
        if words is not None:
            self._words = words


def map_spans(src: str, dst: str, spans: list[Span]) -> list[Span]:
    """Map (rule, start, end) offsets in `src` to `dst`, which is `src` with whole lines removed
    or edited. Lines are matched in order: each line of `src` maps to the first equal line of
    `dst` after the previous match. A span on a line that did not survive unchanged maps to
    (rule, -1, -1)."""
    if not spans:
        return []
    if src == dst:
        return list(spans)
    src_lines, dst_lines = src.split("\n"), dst.split("\n")
    src_starts = _line_starts(src_lines)
    dst_starts = _line_starts(dst_lines)
    where: dict[str, list[int]] = {}
    for j, line in enumerate(dst_lines):
        where.setdefault(line, []).append(j)
    wanted = {bisect.bisect_right(src_starts, start) - 1 for _, start, _ in spans if start >= 0}
    line_map: dict[int, int] = {}
    nxt = 0
    for i, line in enumerate(src_lines):
        idx = where.get(line) if line else None  # blank lines separate, they carry no spans
        if not idx:
            continue
        k = bisect.bisect_left(idx, nxt)
        if k < len(idx):
            if i in wanted:
                line_map[i] = idx[k]
            nxt = idx[k] + 1
    out = []
    for rule, start, end in spans:
        i = bisect.bisect_right(src_starts, start) - 1
        j = line_map.get(i) if start >= 0 else None
        if j is None:
            out.append((rule, UNLOCATED, UNLOCATED))
        else:
            shift = dst_starts[j] - src_starts[i]
            out.append((rule, start + shift, end + shift))
    return out


def _line_starts(lines: list[str]) -> list[int]:
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    return starts
