"""Line classifier of the boilerplate step: is a line article text or page furniture?

The catalog (rules/boilerplate.toml) names furniture it knows by its words; this module judges
lines by the shape that page furniture shares across sites, in any wording:

- the line itself: length, sentence-final punctuation, stop-word density (as in jusText: prose is
  dense in function words, menus and link titles are not), capitalised labels ("About Us"),
  digits, words glued by the text extraction ("SubscribeSign In"), separators ("|", "·"),
  all capitals, a catalog hit, a line that recurs in the document;
- its neighbourhood: the lines around it (a menu is a run of short lines), its distance to the
  nearest prose, and whether it lies inside the article's core (the largest cluster of prose
  lines) or out in the header, sidebar or footer around it;
- the document: how many lines it has and how much of it is prose (a clean article is mostly
  prose; a scraped page mostly is not).

Gradient-boosted trees over these features give P(article) per line; the trees and the threshold
are data (rules/boilerplate_model.json), fitted by `python -m scripts.fit_boilerplate_model` on
the dev pages with cross-validation by site. Features are a few string operations per line.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

_RULES = Path(__file__).parent / "rules"

# Sentence-final punctuation, after closing quotes and brackets are stripped.
_CLOSERS = "\"'”’»)]*"
_FINAL = frozenset(".!?…。！？")
# Written so that each starts with a character rarer in prose than a letter or a space (the regex
# engine then skips to it): "aBc" is found from its capital, " / " from its slash.
_GLUE = re.compile(r"(?<=[a-z])[A-Z](?=[a-z])")  # [a-z][A-Z][a-z]
_SEPARATORS = re.compile(r"\||•|»|›|(?<= )[·/-](?= )")  # \|| · |•|»|›| / | -
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")  # looked for only in lines with a colon
# a timestamp line (comment threads: name, stamp, comment, ...): a time of day, "N units ago",
# or a calendar date in digits or with an English month name
_STAMP = re.compile(
    r"\b\d{1,2}:\d{2}\b|\b\d+\s*(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b"
    r"|\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]* \d{4}\b", re.I)
STAMP_WORDS = 12
_WEBBY = re.compile(r"http|www\.|@|\.com|#")
_DIGIT = re.compile(r"[0-9]")

PROSE_WORDS = 10  # a prose line: at least this many words and sentence-final punctuation
SHORT_WORDS = 4  # a short line (menu item, label)
_CLUSTER_GAPS = (2, 6)  # non-prose lines allowed inside one cluster of prose


def _load_stopwords() -> tuple[dict[str, int], list[str], dict[int, frozenset[str]]]:
    """word -> bit mask of the languages whose list has it; the languages; bit -> its words."""
    masks: dict[str, int] = {}
    names: list[str] = []
    sets: dict[int, frozenset[str]] = {}
    for line in (_RULES / "stopwords.txt").read_text("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        lang, _, words = line.partition("\t")
        bit = 1 << len(names)
        names.append(lang)
        ws = words.split()
        sets[bit] = frozenset(ws)
        for w in ws:
            masks[w] = masks.get(w, 0) | bit
    return masks, names, sets


_STOP_MASKS, STOP_LANGUAGES, _LANG_SETS = _load_stopwords()


_TOKEN = re.compile(r"[\w'’-]+")  # the stop lists' words: letters with inner apostrophes, hyphens
_INITIAL = re.compile(r"(?<!\S)[^\W\d_]")  # first letter of each word that starts with a letter


def _stop_language(tokens: list[str]) -> int:
    """Bit of the stop-word list that covers most of these (lower-cased) words (0: none)."""
    counts = [0] * len(STOP_LANGUAGES)
    # tokens counted by their language mask (few distinct masks), then each mask's bits
    for m, k in Counter(map(_STOP_MASKS.get, tokens)).items():
        while m:
            low = m & -m
            counts[low.bit_length() - 1] += k
            m ^= low
    best = max(range(len(counts)), key=counts.__getitem__) if counts else 0
    return 1 << best if counts and counts[best] else 0


def is_final(line: str) -> bool:
    s = line.rstrip(_CLOSERS)
    return bool(s) and s[-1] in _FINAL


def is_prose(line: str) -> bool:
    """A sentence of article text: at least PROSE_WORDS words, ending like a sentence."""
    return is_final(line) and size_of(line, len(line.split())) >= PROSE_WORDS


def size_of(line: str, n_words: int) -> float:
    """Length in words; text without spaces (Chinese, Japanese) counts about 2 characters a word."""
    if n_words <= 3 and len(line) > 24:
        return max(n_words, len(line) / 2.0)
    return float(n_words)


FEATURES = [
    "log_words", "log_chars", "final", "colon_end", "stop_density", "stop_count", "cap_share",
    "digit_share", "comma_rate", "glued", "separator", "all_caps", "webby", "time", "catalog",
    "repeated", "short", "prose",
    "pos", "log_line_from_start", "log_line_from_end",
    "prose_before", "prose_after", "inside", "log_gap_prev", "log_gap_next",
    "log_short_run", "log_nonprose_run", "nonprose_near", "title_run", "rel_stop",
    "win_log_words", "win_final", "win_stop", "win_caps",
    "core2", "core6", "cluster2_share", "cluster6_share", "log_dist_core6",
    "doc_log_lines", "doc_prose_share", "doc_short_share",
    "stamp", "stamps_near",
]


def line_features(lines: list[str], catalog: list[bool]) -> list[list[float]]:
    """One feature vector (in FEATURES order) per line of one document."""
    n = len(lines)
    if n == 0:
        return []
    nwords = [len(ln.split()) for ln in lines]
    tokens = [_TOKEN.findall(ln.lower()) for ln in lines]
    sample: list[str] = []
    for t in tokens:
        sample += t
        if len(sample) >= 400:
            break
    bit = _stop_language(sample)
    stopset = _LANG_SETS.get(bit, frozenset())
    sizes = [size_of(ln, k) for ln, k in zip(lines, nwords)]
    finals = [is_final(ln) for ln in lines]
    prose = [s >= PROSE_WORDS and f for s, f in zip(sizes, finals)]
    short = [s <= SHORT_WORDS for s in sizes]
    seen: dict[str, int] = {}
    for ln in lines:
        seen[ln] = seen.get(ln, 0) + 1

    base = []
    for i, ln in enumerate(lines):
        k = nwords[i]
        stops = sum(map(stopset.__contains__, tokens[i]))
        initials = _INITIAL.findall(ln)
        caps = sum(map(str.isupper, initials))
        digits = len(_DIGIT.findall(ln))
        base.append([
            math.log1p(sizes[i]),
            math.log1p(len(ln)),
            float(finals[i]),
            float(ln.rstrip().endswith(":")),
            stops / k if k else 0.0,
            min(stops, 10) / 10.0,
            caps / len(initials) if initials else 0.0,
            digits / len(ln) if ln else 0.0,
            min(ln.count(",") / k, 1.0) if k else 0.0,
            float(bool(_GLUE.search(ln))),
            float(_SEPARATORS.search(ln) is not None),
            float(len(ln) > 3 and ln.isupper()),
            float(_WEBBY.search(ln) is not None),
            float(":" in ln and bool(_TIME.search(ln))),
            float(catalog[i]),
            float(seen[ln] > 1),
            float(short[i]),
            float(prose[i]),
        ])

    # prose mass before / after each line
    mass = [len(ln) if p else 0 for ln, p in zip(lines, prose)]
    total = sum(mass) or 1
    before, acc = [], 0
    for m in mass:
        before.append(acc / total)
        acc += m
    # lines since the previous / until the next prose line (n when there is none)
    gap_prev, last = [], None
    for i in range(n):
        gap_prev.append(i - last if last is not None else n)
        if prose[i]:
            last = i
    gap_next, nxt = [0] * n, None
    for i in range(n - 1, -1, -1):
        gap_next[i] = nxt - i if nxt is not None else n
        if prose[i]:
            nxt = i
    run = _runs(short)
    nonprose_run = _runs([not p for p in prose])
    # headline-shaped: 5-25 words, no sentence end, mostly capitalised words (teaser lists)
    titles = _runs([not f and 5 <= s <= 25 and b[6] >= 0.5 for f, s, b in zip(finals, sizes, base)])
    pstops = sorted(b[4] for b, p in zip(base, prose) if p)
    ref_stop = pstops[len(pstops) // 2] if pstops else 0.0
    clusters = {g: _clusters(prose, mass, g) for g in _CLUSTER_GAPS}
    doc = [math.log1p(n), sum(mass) / (sum(len(ln) for ln in lines) or 1), sum(short) / n]
    stamps = [float(k <= STAMP_WORDS and _STAMP.search(ln) is not None) for ln, k in zip(lines, nwords)]
    stamp_sum = _prefix(stamps)

    # window sums (2 lines either side, the line itself left out) by prefix sums
    cols = [_prefix([b[c] for b in base]) for c in (0, 2, 4, 6)]
    nonprose = _prefix([0.0 if p else 1.0 for p in prose])
    log1p = math.log1p
    out = []
    for i in range(n):
        lo, hi = max(0, i - 2), min(n, i + 3)
        width = hi - lo - 1
        if width:
            win = [(c[hi] - c[lo] - (c[i + 1] - c[i])) / width for c in cols]
        else:
            win = [base[i][0], base[i][2], base[i][4], base[i][6]]
        c2, s2, _ = clusters[2][i]
        c6, s6, d6 = clusters[6][i]
        after = 1.0 - before[i] - mass[i] / total
        out.append(base[i] + [
            i / (n - 1) if n > 1 else 0.5,
            math.log1p(i),
            math.log1p(n - 1 - i),
            before[i],
            max(after, 0.0),
            min(before[i], max(after, 0.0)),
            math.log1p(gap_prev[i]),
            math.log1p(gap_next[i]),
            math.log1p(run[i]),
            math.log1p(nonprose_run[i]),
            (nonprose[min(n, i + 6)] - nonprose[max(0, i - 5)]) / 11.0,
            math.log1p(titles[i]),
            base[i][4] / ref_stop if ref_stop else 0.0,
        ] + win + [c2, c6, s2, s6, log1p(d6)] + doc + [
            stamps[i],
            (stamp_sum[min(n, i + 9)] - stamp_sum[max(0, i - 8)] - stamps[i]) / 16.0,
        ])
    return out


def _prefix(values: list[float]) -> list[float]:
    out, acc = [0.0], 0.0
    for v in values:
        acc += v
        out.append(acc)
    return out


def _runs(flags: list[bool]) -> list[int]:
    """Per position: the length of the run of True values that holds it (0 for False)."""
    n = len(flags)
    out = [0] * n
    i = 0
    while i < n:
        if flags[i]:
            j = i
            while j < n and flags[j]:
                j += 1
            for k in range(i, j):
                out[k] = j - i
            i = j
        else:
            i += 1
    return out


def _clusters(prose: list[bool], mass: list[int], gap: int) -> list[tuple[float, float, int]]:
    """Per line: (inside the core cluster's span, share of prose mass of the cluster whose span
    holds the line (0 outside every cluster), distance in lines to the core's span).
    A cluster: prose lines with at most `gap` non-prose lines between consecutive ones; the core:
    the cluster with the most prose mass."""
    n = len(prose)
    spans = []  # [start, end, mass]
    for i in range(n):
        if not prose[i]:
            continue
        if spans and i - spans[-1][1] - 1 <= gap:
            spans[-1][1] = i
            spans[-1][2] += mass[i]
        else:
            spans.append([i, i, mass[i]])
    if not spans:
        return [(0.0, 0.0, n)] * n
    total = sum(s[2] for s in spans) or 1
    core = max(spans, key=lambda s: s[2])
    share = [0.0] * n
    for a, b, m in spans:
        for i in range(a, b + 1):
            share[i] = m / total
    out = []
    for i in range(n):
        inside = core[0] <= i <= core[1]
        dist = 0 if inside else (core[0] - i if i < core[0] else i - core[1])
        out.append((float(inside), share[i], dist))
    return out


class Model:
    """Gradient-boosted trees: P(article | features) = sigmoid(sum of the trees' leaf values).

    The trees are data (rules/boilerplate_model.json); at load they are turned into one Python
    function of nested comparisons, the cheapest way to walk them in pure Python."""

    def __init__(self, spec: dict):
        if spec["features"] != FEATURES:
            raise ValueError("boilerplate model was fitted on other features; refit it with "
                             "python -m scripts.fit_boilerplate_model")
        self.version = spec["version"]
        self.threshold = float(spec["threshold"])
        self.trees = spec["trees"]
        self._raw = _compile_trees(self.trees, float(spec.get("learning_rate", 1.0)))

    def logit(self, x: list[float]) -> float:
        return self._raw(x)

    def prob(self, x: list[float]) -> float:
        z = self._raw(x)
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


def _compile_trees(trees: list[dict], rate: float):
    """One function x -> sum of rate * leaf value over the trees, as nested if/else source."""
    src = ["def raw(x):", "    s = 0.0"]

    def node(t: dict, k: int, depth: int) -> None:
        pad = "    " * depth
        left, right = t["left"][k], t["right"][k]
        if left < 0:  # a leaf
            src.append(f"{pad}s += {rate * t['value'][k]!r}")
            return
        src.append(f"{pad}if x[{t['feature'][k]}] <= {t['threshold'][k]!r}:")
        node(t, left, depth + 1)
        src.append(f"{pad}else:")
        node(t, right, depth + 1)

    for t in trees:
        node(t, 0, 1)
    src.append("    return s")
    scope: dict = {}
    exec(compile("\n".join(src), "<boilerplate_model>", "exec"), scope)  # noqa: S102 (our own data)
    return scope["raw"]


def load_model(path: Path = _RULES / "boilerplate_model.json") -> Model | None:
    if not path.exists():
        return None
    return Model(json.loads(path.read_text("utf-8")))
