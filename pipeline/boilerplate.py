"""Boilerplate step: drop page furniture (comment forms, share prompts, captions, ...) line by line.

The patterns are data (``rules/boilerplate.toml``, compiled once at import); the context logic is
here: tail blocks (a comment form or "Further reading" takes the rest of the document when all of
it is furniture), link lists after a "Related" marker, multi-line embedded tweets, and inline
"read also" headlines between paragraphs. Bullet items are normalized to ``- item`` and never
matched by line rules. Every removed line is returned with its rule. docs/boilerplate.md has more.
"""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain
from dataclasses import dataclass, field

import pyarrow as pa

from .options import SHARE, Option
from .rulesfile import Doc, Opt, load_rules
from .step import Counts, Show, Step, Total

from .boilerplate_gates import factor_gate, prefix_gate, probes
from .boilerplate_model import is_prose, line_features, load_model

NAME = "boilerplate"

RULES = load_rules("boilerplate", {"rule": [{
    "id": str, "family": Doc, "where": str, "patterns": Opt([str]), "max_words": Opt(int),
    "needs": Opt([str]), "follow": Opt([str]), "takes_titles": Opt(bool), "example": Doc,
}]}, data_files=("boilerplate_model.json", "stopwords.txt"))
_CATALOG = RULES.data
RULES_VERSION = RULES.version

_TERMINAL = (".", "!", "?", ":", ";", "…", "”", '"', "’", "'")
_QUOTES = ("'", '"', "‘", "“", "’", "”")
_BULLET = re.compile(r"[•●▪◦*\-–] ")
_PARA_SPLIT = re.compile(r"\n[ \t]*\n\s*")
_TITLE_MAX_WORDS = 20


@dataclass
class BoilerplateResult:
    text: str
    removed: list[tuple[str, str]] = field(default_factory=list)  # (rule, line verbatim)
    share: float = 0.0  # share of the input's words that were removed
    heavy: bool = False  # share > max_share
    words: list[str] | None = None  # text.split(), from the lines' own words (None: not known)


@dataclass(frozen=True)
class _Rule:
    id: str
    where: str
    test: object  # bound regex method (fullmatch/match/search) of the rule's patterns
    max_words: int
    needs: tuple[str, ...]
    follow: tuple = ()
    takes_titles: bool = False
    starts: tuple[str, ...] | None = None  # derived gate: a match at 0 starts with one of these
    factors: tuple[str, ...] | None = None  # derived gate: every match contains one of these
    need_probes: tuple[str, ...] = ()  # probes(needs), probes(factors): cheaper necessary tests
    factor_probes: tuple[str, ...] = ()

    def hit(self, line: str, n_words: int) -> bool:
        """Whether the rule takes `line` (of `n_words` words): its word limit, its derived gates
        (each string's probe first), then its regex."""
        if n_words > self.max_words:
            return False
        if self.starts is not None and not line.startswith(self.starts):
            return False
        if self.needs and (not any(map(line.__contains__, self.need_probes)) or (
                self.need_probes != self.needs and not any(map(line.__contains__, self.needs)))):
            return False
        if self.factors is not None:
            # a suffix rule's match lies in the line's last _SUFFIX_WINDOW characters
            part = line[-_SUFFIX_WINDOW:] if self.where == "suffix" else line
            if not any(map(part.__contains__, self.factor_probes)) or (
                    self.factor_probes != self.factors and not any(map(part.__contains__, self.factors))):
                return False
        return self.test(line) is not None

    def hit_reference(self, line: str, n_words: int) -> bool:
        """`hit` with no derived gate: the rule as its rules-file entry says."""
        if n_words > self.max_words:
            return False
        if self.needs and not any(map(line.__contains__, self.needs)):
            return False
        return self.test(line) is not None


_SUFFIX_WINDOW = 300


def _tail_search(rx: re.Pattern):
    return lambda line: rx.search(line, max(0, len(line) - _SUFFIX_WINDOW))


_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _one_regex(patterns: list[str], wrap: str = "{}") -> re.Pattern:
    """All of a rule's patterns as one alternation (a leading (?i) becomes a scoped (?i:...))."""
    parts = []
    for p in patterns:
        m = _GLOBAL_FLAGS.match(p)
        parts.append(f"(?{m.group(1)}:{p[m.end():]})" if m else f"(?:{p})")
    return re.compile(wrap.format("|".join(parts)))


def _compile(entry: dict) -> _Rule:
    where = entry["where"]
    pats = entry["patterns"]
    starts = factors = None
    if where == "suffix":  # suffix patterns are short: only the line's last _SUFFIX_WINDOW chars
        rx = _one_regex(pats, r"(?:{})\s*\Z")
        test = _tail_search(rx)
    elif where in ("prefix", "between"):
        rx = _one_regex(pats)
        test = rx.match
    elif where == "contains":
        rx = _one_regex(pats)
        test = rx.search
    elif where in ("line", "tail"):
        rx = _one_regex(pats)
        test = rx.fullmatch
    else:
        raise ValueError(f"boilerplate rule {entry['id']}: unknown where={where!r}")
    if where in ("suffix", "contains"):
        factors = factor_gate(rx)
    else:
        starts = prefix_gate(rx)
    needs = tuple(entry.get("needs", ()))
    return _Rule(
        id=entry["id"],
        where=where,
        test=test,
        max_words=int(entry.get("max_words", 10**9)),
        needs=needs,
        follow=(_one_regex(entry["follow"]).fullmatch,) if entry.get("follow") else (),
        takes_titles=bool(entry.get("takes_titles", False)),
        starts=starts,
        factors=factors,
        need_probes=probes(needs),
        factor_probes=probes(factors or ()),
    )


_RULES = [_compile(e) for e in _CATALOG["rule"]]
_LINE_RULES = [r for r in _RULES if r.where in ("line", "prefix", "suffix", "contains")]
_TAIL_RULES = [r for r in _RULES if r.where == "tail"]
_BETWEEN_RULES = [r for r in _RULES if r.where == "between"]
# the follow labels of every tail rule as one whole-line regex: one call instead of one per rule
_FOLLOW_PATTERNS = [p for e in _CATALOG["rule"] if e["where"] == "tail" for p in e.get("follow", ())]
_FOLLOW = (_one_regex(_FOLLOW_PATTERNS).fullmatch,) if _FOLLOW_PATTERNS else ()
_TAKES_TITLES = {r.id for r in _RULES if r.takes_titles}
_TWEET_SIGNATURE = re.compile(
    r"[—–-]{1,2}\s*[^()\n]{1,60}?\s\(@\w{1,15}\)\s+[A-Z][a-z]+ \d{1,2},\s+\d{4}\s*\Z"
)
_LONGEST = max((r.max_words for r in _LINE_RULES if r.max_words < 10**9), default=0) + 1
# (word count, first character) -> (the line rules that can match such a line, in catalog order;
# the prefixes one of which a line must start with for one of them that matches at the line's
# start to match, or None; the others, which match anywhere)
_CANDIDATES: dict[tuple[int, str], tuple] = {}


def _candidates(key: tuple[int, str]) -> tuple:
    n, first = key
    rules = tuple(r for r in _LINE_RULES
                  if n <= r.max_words and (r.starts is None or any(s[0] == first for s in r.starts)))
    anchored = [r for r in rules if r.where in ("line", "prefix")]
    starts = (tuple(sorted({s for r in anchored for s in r.starts}))
              if all(r.starts is not None for r in anchored) else None)
    return rules, starts, tuple(r for r in rules if r.where not in ("line", "prefix"))


def _line_rule(line: str, n_words: int) -> str | None:
    """Id of the first line rule (catalog order) that matches, or None. When the line starts
    with none of the prefixes of the rules anchored at its start, one startswith() call lets
    all of them go and only the others are tried."""
    key = (min(n_words, _LONGEST), line[:1])
    cands = _CANDIDATES.get(key)
    if cands is None:
        cands = _CANDIDATES[key] = _candidates(key)
    rules, starts, others = cands
    if starts is not None and not line.startswith(starts):
        rules = others
    for r in rules:
        if r.hit(line, n_words):
            return r.id
    return None


def _line_rule_reference(line: str, n_words: int) -> str | None:
    """`_line_rule` with no derived gate: every line rule, in catalog order."""
    return next((r.id for r in _LINE_RULES if r.hit_reference(line, n_words)), None)


def _title_like(line: str, n_words: int) -> bool:
    """A link title or field label: short, no terminal punctuation, starts capitalized or quoted."""
    if _BULLET.match(line):
        line = line[2:]
    return (
        0 < n_words <= _TITLE_MAX_WORDS
        and not line.endswith(_TERMINAL)
        and (line[:1].isupper() or line[:1].isdigit() or line.startswith(_QUOTES))
    )


_TWEET_CHARS = 320  # a tweet's text: 280 characters, plus room for its links
_WRAP_MIN, _WRAP_MAX = 30, 110  # plausible hard-wrap widths (characters)
_WRAP_SHARE = 0.75  # share of a document's in-paragraph line breaks that must look wrapped
_WRAP_MIN_BREAKS = 3
_MODEL = load_model()
_MODEL_MIN_UNITS = 8  # fewer units than this: a short note or a clean article, nothing to classify
_MODEL_MAX_OPENING = 2  # units allowed before the first prose unit of a clean article (headline, byline)
FURNITURE = "page_furniture"  # rule name of lines removed by the line classifier
REPEATED = "repeated_in_drop"  # rule name of lines that recur across the documents of a drop


@dataclass
class _Doc:
    """A document cut into paragraphs, physical lines and units (the lines rules judge: a physical
    line, or in hard-wrapped text the physical lines of one wrapped paragraph line, rejoined)."""

    paras: list[list[str]]  # the physical lines of each paragraph
    lines: list[str]  # physical lines, verbatim
    tokens: list[list[str]]  # words (whitespace tokens) of each physical line
    line_words: list[int]  # their number
    units: list[str]  # unit texts (physical lines joined with one space)
    members: list[list[int]]  # physical line indices of each unit
    para_of: list[int]  # paragraph of each unit
    unit_words: list[int]
    n_paras: int
    wrapped: bool


def _cut(text: str) -> _Doc:
    paras = [p.split("\n") for p in _PARA_SPLIT.split(text.strip()) if p.strip()]
    lines = [ln for p in paras for ln in p]
    para_of_line = [k for k, p in enumerate(paras) for _ in p]
    tokens = [ln.split() for ln in lines]
    line_words = list(map(len, tokens))
    width = _wrap_width(lines, para_of_line)
    if not width:
        return _Doc(paras, lines, tokens, line_words, lines, [[i] for i in range(len(lines))], para_of_line,
                    line_words, len(paras), False)
    units, members, para_of, unit_words = [], [], [], []
    for i, ln in enumerate(lines):
        if (members and para_of[-1] == para_of_line[i] and not _BULLET.match(ln)
                and _is_wrapped(lines[i - 1], ln, width)):
            members[-1].append(i)
            units[-1] = units[-1] + " " + ln
            unit_words[-1] += line_words[i]
        else:
            units.append(ln)
            members.append([i])
            para_of.append(para_of_line[i])
            unit_words.append(line_words[i])
    return _Doc(paras, lines, tokens, line_words, units, members, para_of, unit_words, len(paras),
                True)


def _is_wrapped(line: str, nxt: str, width: int) -> bool:
    """A greedy wrapper broke `line` here: the next line's first word would not have fit."""
    first = nxt.split(maxsplit=1)[0] if nxt.strip() else ""
    return bool(first) and len(line.rstrip()) + 1 + len(first) > width - 2


def _wrap_width(lines: list[str], para_of: list[int]) -> int | None:
    """The wrap width of hard-wrapped text (lines cut at ~70 characters, wire style), or None.
    Wrapped: at least _WRAP_SHARE of the line breaks inside paragraphs fall where a greedy wrapper
    at that width would put them (the next line's first word would not have fit), and no line is
    longer than the width."""
    breaks = [i for i in range(len(lines) - 1) if para_of[i] == para_of[i + 1]]
    if len(breaks) < _WRAP_MIN_BREAKS:
        return None
    width = max(len(lines[i].rstrip()) for i in breaks)
    # no line longer than the width, except one word that cannot be broken (a long URL)
    if not _WRAP_MIN <= width <= _WRAP_MAX or any(
            len(ln.rstrip()) > width + 2 and " " in ln.strip() for ln in lines):
        return None
    hits = sum(1 for i in breaks if _is_wrapped(lines[i], lines[i + 1], width))
    return width if hits >= _WRAP_SHARE * len(breaks) else None


def classifier_applies(units: list[str], taken: list[bool] | None = None) -> bool:
    """Whether the line classifier looks at a document at all. A page dump opens with the site's
    header (menus, sign-in, section lists) before the article's first sentence; a clean article
    opens with its text, at most after a headline and a byline. So a document of fewer than
    _MODEL_MIN_UNITS units, or whose first prose unit comes within the first
    _MODEL_MAX_OPENING + 1 units, is left to the catalog: lists and tables at the end of a clean
    article (fixtures, seedings, line-ups) look like a page's footer, and stay. `taken`: per
    unit, whether a catalog rule took it; those units are not the article's text, so they are
    not its opening either (a cookie or newsletter notice above the menus is furniture)."""
    if len(units) < _MODEL_MIN_UNITS:
        return False
    opening = units if taken is None else [u for u, t in zip(units, taken) if not t]
    for u in opening[:_MODEL_MAX_OPENING + 1]:
        if is_prose(u):
            return False
    return True


def classifier_inputs(text: str) -> tuple[list[str], list[bool]]:
    """(units, whether a catalog rule took each unit): what the line classifier sees for `text`.
    Used by scripts/fit_boilerplate_model.py so the model is fitted on exactly these inputs."""
    doc = _cut(text)
    rule, _ = _catalog(doc)
    return doc.units, [r is not None for r in rule]


_SHIPPED = object()


def strip_boilerplate(text: str, *, max_share: float = 0.5, model=_SHIPPED,
                      drop_lines: "DropLines | None" = None) -> BoilerplateResult:
    """Remove boilerplate lines from a repaired article body (paragraphs split by blank lines).

    `model`: the line classifier run after the catalog (rule `page_furniture`); by default the
    shipped one (rules/boilerplate_model.json), None for the catalog alone.
    `drop_lines`: the drop's recurring lines (see `DropLines`), for rule `repeated_in_drop`.
    """
    return _strip(text, max_share, model, drop_lines, _line_rule, _Rule.hit)


def strip_boilerplate_reference(text: str, *, max_share: float = 0.5, model=_SHIPPED,
                                drop_lines: "DropLines | None" = None) -> BoilerplateResult:
    """Slow reference: `strip_boilerplate` with every rule tried on every line in catalog order
    and no derived gate (rules judged as their rules-file entries say). Same result; the tests
    and the benchmark's same-answers check compare the two."""
    return _strip(text, max_share, model, drop_lines, _line_rule_reference, _Rule.hit_reference)


def _strip(text: str, max_share: float, model, drop_lines, line_rule, hit) -> BoilerplateResult:
    if model is _SHIPPED:
        model = _MODEL
    doc = _cut(text)
    rule, bullet = _catalog(doc, line_rule, hit)
    n = len(doc.units)
    if drop_lines is not None and drop_lines.common:
        units = doc.units
        common = [i for i in range(n) if rule[i] is None and drop_lines.is_common(units[i])]
        # A document whose prose is mostly lines found elsewhere in the drop is a copy of another
        # document (a version the near-duplicate test missed), not a page around its furniture:
        # it keeps the recurring prose, and loses only the menus, labels and footers among them.
        copy = bool(common) and _prose_words(units, common) > COPY_SHARE * _prose_words(units, range(n))
        for i in common:
            if not (copy and is_prose(units[i])):
                rule[i] = REPEATED
    taken = [r is not None for r in rule] if model is not None and n >= _MODEL_MIN_UNITS else None
    if taken is not None and classifier_applies(doc.units, taken):
        feats = line_features(doc.units, taken)
        cut = model.threshold
        marked = [i for i in range(n) if rule[i] is None and model.prob(feats[i]) < cut]
        # the classifier never empties a document: what it alone would take stays then
        if len(marked) < sum(1 for r in rule if r is None):
            for i in marked:
                rule[i] = FURNITURE

    if not any(rule) and not any(bullet):  # nothing taken, nothing normalised: the text as cut
        return BoilerplateResult(text="\n\n".join(map("\n".join, doc.paras)), share=0.0,
                                 heavy=0.0 > max_share, words=list(chain.from_iterable(doc.tokens)))
    kept: list[list[str]] = [[] for _ in range(doc.n_paras)]
    removed: list[tuple[str, str]] = []
    removed_words = 0
    total = sum(doc.line_words)
    lines, line_words, para_of, tokens = doc.lines, doc.line_words, doc.para_of, doc.tokens
    words: list[str] = []  # the output's words, in order: those of the lines kept
    for u, idx in enumerate(doc.members):
        r = rule[u]
        if r is None:
            first = idx[0]
            ln = lines[first]
            if bullet[u]:  # "• item" -> "- item": the bullet is a word of its own
                kept[para_of[u]].append("- " + ln[2:])
                words.append("-")
                words += tokens[first][1:]
            else:
                kept[para_of[u]].append(ln)
                words += tokens[first]
            for i in idx[1:]:
                kept[para_of[u]].append(lines[i])
                words += tokens[i]
        else:
            for i in idx:
                removed.append((r, lines[i]))
                removed_words += line_words[i]
    share = removed_words / total if total else 0.0
    out = "\n\n".join("\n".join(p) for p in kept if p)
    return BoilerplateResult(text=out, removed=removed, share=share, heavy=share > max_share,
                             words=words)


def _catalog(doc: _Doc, line_rule=None, hit=None) -> tuple[list[str | None], list[bool]]:
    """The catalog's verdict per unit (the rule that takes it, or None), and which units are
    list items. `line_rule`, `hit`: the fast ones by default (the reference's in
    strip_boilerplate_reference)."""
    line_rule = _line_rule if line_rule is None else line_rule
    hit = _Rule.hit if hit is None else hit
    lines, para_of, nwords = doc.units, doc.para_of, doc.unit_words
    n = len(lines)
    # a tweet signature "- Name (@handle) Month D, YYYY" on its own line is not a list item
    bullet = [bool(_BULLET.match(ln)) and not _TWEET_SIGNATURE.match(ln) for ln in lines]
    own = [None if bullet[i] else line_rule(lines[i], nwords[i]) for i in range(n)]
    rule: list[str | None] = list(own)

    # Tail block: the earliest tail trigger after which every line is furniture takes the rest.
    start, trigger = n, None
    for i in range(n - 1, -1, -1):
        ln = lines[i]
        trig = None if bullet[i] else next((r.id for r in _TAIL_RULES if hit(r, ln, nwords[i])), None)
        if trig:
            start, trigger = i, trig
        elif not (own[i] or any(f(ln) for f in _FOLLOW) or _title_like(ln, nwords[i])):
            break
    if trigger:
        current = trigger
        for i in range(start, n):
            if not bullet[i]:
                current = next((r.id for r in _TAIL_RULES if hit(r, lines[i], nwords[i])), current)
            rule[i] = own[i] or current

    # A bare "Related stories" marker takes the link titles that follow it.
    for i in range(n):
        if rule[i] in _TAKES_TITLES:
            j = i + 1
            while j < n and rule[j] is None and _title_like(lines[j], nwords[j]):
                rule[j] = rule[i]
                j += 1

    # A tweet signature on its own line takes the tweet text above it in the same paragraph,
    # when all of that text fits in a tweet. A longer run (text without blank lines between
    # paragraphs, where the "paragraph" is the whole article) has no known start: the signature
    # goes alone and the article above it stays.
    for i in range(n):
        if rule[i] == "embedded_tweet" and lines[i][:1] in "—–-" and _TWEET_SIGNATURE.match(lines[i]):
            j, chars = i - 1, 0
            while j >= 0 and para_of[j] == para_of[i] and rule[j] is None:
                chars += len(lines[j]) + 1
                j -= 1
            if chars <= _TWEET_CHARS:
                for k in range(j + 1, i):
                    rule[k] = "embedded_tweet"

    _inline_headlines(doc.n_paras, para_of, lines, nwords, bullet, rule, hit)
    return rule, bullet


def _inline_headlines(n_paras, para_of, lines, nwords, bullet, rule, hit) -> None:
    """Mark lone headline-form one-line paragraphs that sit between two article paragraphs."""
    if not _BETWEEN_RULES or n_paras < 3:
        return
    # a candidate line ends without terminal punctuation and is not quoted: most documents have
    # none, and need nothing more
    if all(ln.endswith(_TERMINAL) or ln.startswith(_QUOTES) for ln in lines):
        return
    paras = [[] for _ in range(n_paras)]
    for i, k in enumerate(para_of):
        paras[k].append(lines[i])
    first_line = {}
    for i, k in enumerate(para_of):
        first_line.setdefault(k, i)
    # surviving lines per paragraph, in order
    alive: dict[int, list[int]] = {}
    for i, k in enumerate(para_of):
        if rule[i] is None:
            alive.setdefault(k, []).append(i)
    order = sorted(alive)
    for pos in range(1, len(order) - 1):
        k = order[pos]
        if len(paras[k]) != 1:
            continue
        i = first_line[k]
        ln = lines[i]
        if bullet[i] or ln.endswith(_TERMINAL) or ln.startswith(_QUOTES):
            continue
        prev_last = lines[alive[order[pos - 1]][-1]]
        next_first = lines[alive[order[pos + 1]][0]]
        if not prev_last.endswith(_TERMINAL):
            continue
        if not (next_first[:1].isupper() or next_first[:1].isdigit() or next_first.startswith(_QUOTES)):
            continue
        took = next((r.id for r in _BETWEEN_RULES if hit(r, ln, nwords[i])), None)
        if took:
            rule[i] = took


# --- recurring lines across a drop -------------------------------------------------------
_HAS_WORD = re.compile(r"\w")


COPY_SHARE = 0.5  # recurring lines holding more of a document's prose words than this: a copy


def prose_words(unit: str) -> int:
    """The words of a prose unit (boilerplate_model.is_prose), 0 for any other: what tells a copy
    of a story (its paragraphs recur) from a page of a site (its menus and footers recur)."""
    return len(unit.split()) if is_prose(unit) else 0


def _prose_words(units: list[str], indices) -> int:
    return sum(prose_words(units[i]) for i in indices)


def _line_key(unit: str) -> int:
    # a stable 64-bit digest (Python's hash() of a str changes between processes) of the unit
    # with its whitespace runs made one space (str.split's whitespace is the regex \s: same key)
    return int.from_bytes(hashlib.blake2b(" ".join(unit.split()).encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "little")


@dataclass
class DropLines:
    """Lines that recur across many documents of one drop: site furniture (menus, footers, sign-in
    and newsletter blocks) that a page dump repeats on every page of a site, in any wording.

    It needs a view across the documents of a drop, so it is a pre-pass (pipeline/furniture.py,
    which builds it; `furniture.from_texts` for a list of texts), and the result is passed to
    `strip_boilerplate(..., drop_lines=...)` for every document of the drop. A line counts once
    per distinct document, where documents that share their longest line are one document (the
    same story filed twice is not furniture), nor do near-duplicates of an earlier document's
    prose (a story filed again with edits). Units without a word character are not counted.
    """

    common: frozenset[int]
    min_docs: int

    @staticmethod
    def keys_of(text: str) -> tuple[int, set[int], str] | None:
        """(the document's fingerprint: the key of its longest unit, the keys of its units, its
        prose units joined), or None for a text without a unit that has a word character. What
        the drop-level pre-pass (pipeline/furniture.py) records per document."""
        units = [u for u in _cut(text).units if _HAS_WORD.search(u)]
        if not units:
            return None
        keys = list(map(_line_key, units))
        longest = max(range(len(units)), key=lambda i: len(units[i]))
        return keys[longest], set(keys), "\n".join(u for u in units if is_prose(u))

    def is_common(self, unit: str) -> bool:
        return bool(self.common) and _line_key(unit) in self.common


# The drop's recurring lines while a shard is cleaned (pipeline/furniture.py sets them when the
# run's `furniture_min_docs` is on); a context variable, so that threads cleaning shards of
# different drops each see their own.
_DROP_LINES: ContextVar["DropLines | None"] = ContextVar("drop_lines", default=None)


@contextmanager
def using_drop_lines(drop_lines: "DropLines | None"):
    """Within the block, the step removes the lines of `drop_lines` (None: none)."""
    token = _DROP_LINES.set(drop_lines)
    try:
        yield
    finally:
        _DROP_LINES.reset(token)


def _apply(doc, config) -> dict:
    bp = strip_boilerplate(doc.text, max_share=config.max_boilerplate_share,
                           drop_lines=_DROP_LINES.get())
    doc.replace_lines(bp.text, bp.words)
    return {"boilerplate": bp.removed, "boilerplate_share": bp.share, "boilerplate_heavy": bp.heavy}


STEP = Step(
    name=NAME, version=RULES_VERSION, apply=_apply,
    columns=(
        pa.field("boilerplate", pa.list_(pa.struct([("rule", pa.string()), ("text", pa.string())])),
                 nullable=False),
        pa.field("boilerplate_share", pa.float32(), nullable=False),
        pa.field("boilerplate_heavy", pa.bool_(), nullable=False),
    ),
    options=(Option("max_boilerplate_share", float, 0.5,
                    "flag documents losing more than this share of their words to boilerplate",
                    valid=SHARE),
             Option("furniture_min_docs", int, 0,
                    "remove a line found in at least this many distinct documents of the drop as "
                    "site furniture (rule repeated_in_drop); 0: off. Costs a first pass over the "
                    "drop's files (docs/boilerplate.md)",
                    valid=(lambda v: v == 0 or v >= 2, "0 (off) or at least 2"))),
    stats=(Counts("lines_removed", "boilerplate", label="boilerplate lines removed by rule"),
           Total("heavy", "boilerplate_heavy", label="boilerplate-heavy documents")),
    report=(Show("bars", "boilerplate", "Boilerplate lines removed by rule"),
            Show("count", "boilerplate_heavy", "boilerplate-heavy documents")),
)


def line_rule(line: str) -> str | None:
    """The rule that removes `line` wherever it stands, or None: a line rule (catalog order), or a
    tail trigger (a comment form's "Leave a Reply", "Further reading": furniture on their own,
    whether or not the rest of the document is). What another step asks before it keeps a line
    as something else, e.g. the title step before it takes a headline."""
    line = line.strip()
    if not line or _BULLET.match(line):
        return None
    n = len(line.split())
    return _line_rule(line, n) or next((r.id for r in _TAIL_RULES if r.hit(line, n)), None)
