"""Boilerplate step: drop page furniture (comment forms, share prompts, captions, ...) line by line.

The patterns are data (``rules/boilerplate.toml``, compiled once at import); the context logic is
here: tail blocks (a comment form or "Further reading" takes the rest of the document when all of
it is furniture), link lists after a "Related" marker, multi-line embedded tweets, and inline
"read also" headlines between paragraphs. Bullet items are normalized to ``- item`` and never
matched by line rules. Every removed line is returned with its rule. docs/boilerplate.md has more.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .boilerplate_gates import factor_gate, prefix_gate

NAME = "boilerplate"

_CATALOG = tomllib.loads((Path(__file__).parent / "rules" / "boilerplate.toml").read_text("utf-8"))
RULES_VERSION = f"boilerplate-{_CATALOG['version']}"

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

    def hit(self, line: str, n_words: int) -> bool:
        if n_words > self.max_words:
            return False
        if self.starts is not None and not line.startswith(self.starts):
            return False
        if self.needs and not any(map(line.__contains__, self.needs)):
            return False
        if self.factors is not None:
            # a suffix rule's match lies in the line's last _SUFFIX_WINDOW characters
            part = line[-_SUFFIX_WINDOW:] if self.where == "suffix" else line
            if not any(map(part.__contains__, self.factors)):
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
    return _Rule(
        id=entry["id"],
        where=where,
        test=test,
        max_words=int(entry.get("max_words", 10**9)),
        needs=tuple(entry.get("needs", ())),
        follow=(_one_regex(entry["follow"]).fullmatch,) if entry.get("follow") else (),
        takes_titles=bool(entry.get("takes_titles", False)),
        starts=starts,
        factors=factors,
    )


_RULES = [_compile(e) for e in _CATALOG["rule"]]
_LINE_RULES = [r for r in _RULES if r.where in ("line", "prefix", "suffix", "contains")]
_TAIL_RULES = [r for r in _RULES if r.where == "tail"]
_BETWEEN_RULES = [r for r in _RULES if r.where == "between"]
_FOLLOW = tuple(t for r in _TAIL_RULES for t in r.follow)
_TAKES_TITLES = {r.id for r in _RULES if r.takes_titles}
_TWEET_SIGNATURE = re.compile(
    r"[—–-]{1,2}\s*[^()\n]{1,60}?\s\(@\w{1,15}\)\s+[A-Z][a-z]+ \d{1,2},\s+\d{4}\s*\Z"
)
_LONGEST = max((r.max_words for r in _LINE_RULES if r.max_words < 10**9), default=0) + 1
# (word count, first character) -> the line rules that can match such a line, in catalog order
_CANDIDATES: dict[tuple[int, str], tuple[_Rule, ...]] = {}


def _line_rule(line: str, n_words: int) -> str | None:
    """Id of the first line rule (catalog order) that matches, or None."""
    key = (min(n_words, _LONGEST), line[:1])
    rules = _CANDIDATES.get(key)
    if rules is None:
        n, first = key
        rules = _CANDIDATES[key] = tuple(
            r for r in _LINE_RULES
            if n <= r.max_words and (r.starts is None or any(s[0] == first for s in r.starts))
        )
    for r in rules:
        if r.hit(line, n_words):
            return r.id
    return None


def _title_like(line: str, n_words: int) -> bool:
    """A link title or field label: short, no terminal punctuation, starts capitalized or quoted."""
    if _BULLET.match(line):
        line = line[2:]
    return (
        0 < n_words <= _TITLE_MAX_WORDS
        and not line.endswith(_TERMINAL)
        and (line[:1].isupper() or line[:1].isdigit() or line.startswith(_QUOTES))
    )


def strip_boilerplate(text: str, *, max_share: float = 0.5) -> BoilerplateResult:
    """Remove boilerplate lines from a repaired article body (paragraphs split by blank lines)."""
    paras = [p.split("\n") for p in _PARA_SPLIT.split(text.strip()) if p.strip()]
    lines = [ln for p in paras for ln in p]
    para_of = [k for k, p in enumerate(paras) for _ in p]
    n = len(lines)
    nwords = [len(ln.split()) for ln in lines]
    # a tweet signature "- Name (@handle) Month D, YYYY" on its own line is not a list item
    bullet = [bool(_BULLET.match(ln)) and not _TWEET_SIGNATURE.match(ln) for ln in lines]
    own = [None if bullet[i] else _line_rule(lines[i], nwords[i]) for i in range(n)]
    rule: list[str | None] = list(own)

    # Tail block: the earliest tail trigger after which every line is furniture takes the rest.
    start, trigger = n, None
    for i in range(n - 1, -1, -1):
        ln = lines[i]
        trig = None if bullet[i] else next((r.id for r in _TAIL_RULES if r.hit(ln, nwords[i])), None)
        if trig:
            start, trigger = i, trig
        elif not (own[i] or any(f(ln) for f in _FOLLOW) or _title_like(ln, nwords[i])):
            break
    if trigger:
        current = trigger
        for i in range(start, n):
            if not bullet[i]:
                current = next((r.id for r in _TAIL_RULES if r.hit(lines[i], nwords[i])), current)
            rule[i] = own[i] or current

    # A bare "Related stories" marker takes the link titles that follow it.
    for i in range(n):
        if rule[i] in _TAKES_TITLES:
            j = i + 1
            while j < n and rule[j] is None and _title_like(lines[j], nwords[j]):
                rule[j] = rule[i]
                j += 1

    # A tweet signature on its own line takes the tweet text above it in the same paragraph.
    for i in range(n):
        if rule[i] == "embedded_tweet" and lines[i][:1] in "—–-" and _TWEET_SIGNATURE.match(lines[i]):
            j = i - 1
            while j >= 0 and para_of[j] == para_of[i] and rule[j] is None:
                rule[j] = "embedded_tweet"
                j -= 1

    _inline_headlines(paras, para_of, lines, nwords, bullet, rule)

    kept: list[list[str]] = [[] for _ in paras]
    removed: list[tuple[str, str]] = []
    removed_words = 0
    for i, ln in enumerate(lines):
        if rule[i] is None:
            kept[para_of[i]].append("- " + ln[2:] if bullet[i] else ln)
        else:
            removed.append((rule[i], ln))
            removed_words += nwords[i]
    total = sum(nwords)
    share = removed_words / total if total else 0.0
    out = "\n\n".join("\n".join(p) for p in kept if p)
    return BoilerplateResult(text=out, removed=removed, share=share, heavy=share > max_share)


def _inline_headlines(paras, para_of, lines, nwords, bullet, rule) -> None:
    """Mark lone headline-form one-line paragraphs that sit between two article paragraphs."""
    if not _BETWEEN_RULES or len(paras) < 3:
        return
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
        hit = next((r.id for r in _BETWEEN_RULES if r.hit(ln, nwords[i])), None)
        if hit:
            rule[i] = hit
