"""Boilerplate step: drop page furniture (comment forms, share prompts, captions, ...) line by line.

The patterns are data (``rules/boilerplate.toml``, compiled once at import); the context logic is
here: tail blocks (a comment form or "Further reading" takes the rest of the document when all of
it is furniture), link lists after a "Related" marker, multi-line embedded tweets, and inline
"read also" headlines between paragraphs. Bullet items are normalized to ``- item`` and never
matched by line rules. Every removed line is returned with its rule. docs/boilerplate.md has more.
"""
from __future__ import annotations

import re
import re._constants as _C
import re._parser as _sre_parse
from dataclasses import dataclass, field

import pyarrow as pa

from .options import Option
from .rulesfile import Doc, Opt, load_rules
from .step import Counts, Show, Step, Total

NAME = "boilerplate"

RULES = load_rules("boilerplate", {"rule": [{
    "id": str, "family": Doc, "where": str, "patterns": Opt([str]), "max_words": Opt(int),
    "needs": Opt([str]), "follow": Opt([str]), "takes_titles": Opt(bool), "example": Doc,
}]})
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


# Speed gates derived from the compiled patterns (never from hand-kept lists): necessary
# conditions only, so a gate can skip a regex call but never change a result. Case-insensitive
# parts, classes and lookarounds give no gate (None = always run the regex).
_LIT, _SUB, _BRANCH, _ATOMIC = _C.LITERAL, _C.SUBPATTERN, _C.BRANCH, _C.ATOMIC_GROUP
_REPEATS = (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT)
_MAX_GATE = 64


def _parsed(rx: re.Pattern):
    if rx.flags & re.IGNORECASE:
        return None
    try:
        return list(_sre_parse.parse(rx.pattern, rx.flags))
    except Exception:  # private parser API changed: no gate
        return None


def _inner(op, av):
    """The case-sensitive sub-sequence of a group-like item, or None."""
    if op is _SUB:
        return None if av[1] & re.IGNORECASE else list(av[3])
    if op is _ATOMIC:
        return list(av)
    return None


def _chars(items) -> set[str] | None:
    """The characters a [...] class of literals and ranges matches, or None."""
    out = set()
    for op, av in items:
        if op is _LIT:
            out.add(chr(av))
        elif op is _C.RANGE and av[1] - av[0] < _MAX_GATE:
            out.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None
    return out


def _prefixes(seq) -> tuple[set[str] | None, bool]:
    """(literal strings one of which every match of `seq` starts with, whether every match is
    exactly one of them); (None, False) when unknown."""
    out = {""}
    for op, av in seq:
        exact = True
        if op is _LIT:
            sub = {chr(av)}
        elif op is _C.IN:
            sub = _chars(av)
        elif op is _C.AT:  # zero-width
            sub = {""}
        elif op is _BRANCH:
            subs = [_prefixes(alt) for alt in av[1]]
            sub = None if any(x is None for x, _ in subs) else set().union(*(x for x, _ in subs))
            exact = all(e for _, e in subs)
        elif op in _REPEATS and av[1] == 1:
            sub, exact = _prefixes(list(av[2]))
            if sub is not None and av[0] == 0:
                sub = sub | {""}
        else:
            inner = _inner(op, av)
            sub, exact = (None, False) if inner is None else _prefixes(inner)
        if sub is None:
            return out, False
        longer = {s + t for s in out for t in sub}
        if len(longer) > _MAX_GATE:  # cut to the longest common length that fits, and stop
            for k in range(max(map(len, longer)) - 1, len(min(out, key=len)), -1):
                cut = {s[:k] for s in longer}
                if len(cut) <= _MAX_GATE:
                    return cut, False
            return out, False
        out = longer
        if not exact:
            return out, False
    return out, True


def _factors(seq) -> set[str] | None:
    """Literal strings one of which every match of `seq` contains (None: unknown)."""
    found, run = [], ""
    for op, av in seq:
        if op is _LIT:
            run += chr(av)
            continue
        if run:
            found.append({run})
            run = ""
        sub = None
        if op is _BRANCH:
            subs = [_factors(alt) for alt in av[1]]
            sub = None if any(x is None for x in subs) else set().union(*subs)
        elif op in _REPEATS:
            sub = _factors(list(av[2])) if av[0] >= 1 else None
        else:
            inner = _inner(op, av)
            sub = None if inner is None else _factors(inner)
        if sub:
            found.append(sub)
    if run:
        found.append({run})
    found = [f for f in found if "" not in f and len(f) <= _MAX_GATE]
    return max(found, key=lambda f: (min(map(len, f)), -len(f))) if found else None


def _gate(strings: set[str] | None, prefix: bool) -> tuple[str, ...] | None:
    """The strings without those that start with (prefix) or contain another one."""
    if not strings or "" in strings:
        return None
    covers = str.startswith if prefix else str.__contains__
    return tuple(sorted(s for s in strings if not any(t != s and covers(s, t) for t in strings)))


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
    seq = _parsed(rx)
    if seq is not None:
        if where in ("suffix", "contains"):
            factors = _gate(_factors(seq), prefix=False)
        else:
            starts = _gate(_prefixes(seq)[0], prefix=True)
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


def _apply(doc, config) -> dict:
    bp = strip_boilerplate(doc.text, max_share=config.max_boilerplate_share)
    doc.replace_lines(bp.text)
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
                    "flag documents losing more than this share of their words to boilerplate"),),
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
