"""Speed gates of the boilerplate step, derived from its compiled rule patterns.

A gate is a necessary condition for a pattern to match, cheap to test with str methods: the
literal strings one of which every match starts with (`prefix_gate`), or contains (`factor_gate`).
They are derived from the pattern itself (never from hand-kept lists), so a gate can skip a regex
call but never change a result. Case-insensitive parts, classes and lookarounds give no gate (None:
always run the regex).

A gate's strings are tested through `probes`: a string that holds a character other than letters,
digits and the commonest punctuation is tested by that character alone ("/" in a line is implied
by "t.co/" in it, and a one-character search runs at memchr speed, several times faster than a
search for a longer string).

This module reads the parse tree of CPython's `re` through its private `re._parser` and
`re._constants` modules; they are kept here, behind two functions, so that a change of that API
costs speed only: any failure to parse gives None, and the step runs every regex.
"""
from __future__ import annotations

import re

try:  # private API of CPython's re (3.11+); without it there are no gates
    import re._constants as _C
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover
    _C = _sre_parse = None

__all__ = ["prefix_gate", "factor_gate", "probes"]


def prefix_gate(rx: re.Pattern) -> tuple[str, ...] | None:
    """Strings one of which every match of `rx` at position 0 starts with, or None."""
    seq = _parsed(rx)
    try:
        return None if seq is None else _gate(_prefixes(seq)[0], prefix=True)
    except Exception:  # an item shape this walker does not know: no gate, same results
        return None


def factor_gate(rx: re.Pattern) -> tuple[str, ...] | None:
    """Strings one of which every match of `rx` contains, or None."""
    seq = _parsed(rx)
    try:
        return None if seq is None else _gate(_factors(seq), prefix=False)
    except Exception:  # an item shape this walker does not know: no gate, same results
        return None


if _C is not None:
    _LIT, _SUB, _BRANCH, _ATOMIC = _C.LITERAL, _C.SUBPATTERN, _C.BRANCH, _C.ATOMIC_GROUP
    _REPEATS = (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT)
_MAX_GATE = 64


def _parsed(rx: re.Pattern):
    if _sre_parse is None or rx.flags & re.IGNORECASE:
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
    for k, (op, av) in enumerate(seq):
        if op is _LIT:
            run += chr(av)
            continue
        if run:
            found.append({run})
            # the run goes on into what follows it (re factors a common prefix out of an
            # alternation: "All rights|ALL RIGHTS" is "A" then "ll rights|LL RIGHTS")
            after, _ = _prefixes(seq[k:])
            if after and "" not in after and len(after) <= _MAX_GATE:
                found.append({run + t for t in after})
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
    return min(found, key=_probe_cost) if found else None


# Characters too common in prose for a one-character probe to tell lines apart.
_COMMON = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,'\"-\n")


def _probe(s: str) -> str:
    """The cheapest necessary test for `s in line`: its last uncommon character, or `s` itself."""
    return next((c for c in reversed(s) if c not in _COMMON), s)


def probes(strings) -> tuple[str, ...]:
    """Strings one of which is in every line that holds one of `strings` (see the module doc),
    single characters first."""
    out = set(map(_probe, strings))
    return tuple(sorted((s for s in out if not any(t != s and t in s for t in out)),
                        key=lambda s: (len(s), s)))


def _probe_cost(strings: set[str]) -> tuple:
    """Of two factor sets, the one that is cheaper to probe, then the one with longer strings.
    An uncommon character is nearly free to look for and rare in prose; a string costs a pass
    over the line; a string likely to be in any line of prose (a common character, a short or
    lower-case word: " by", "via ") costs that pass and lets almost every line through."""
    def cost(p: str) -> int:
        if len(p) == 1:
            return 40 if p in _COMMON else 1
        specific = len(p) >= 4 and any(c.isupper() or c.isdigit() or c not in _COMMON for c in p)
        return 8 if specific else 40

    return (sum(map(cost, probes(strings))), -min(map(len, strings)), len(strings))


def _gate(strings: set[str] | None, prefix: bool) -> tuple[str, ...] | None:
    """The strings without those that start with (prefix) or contain another one."""
    if not strings or "" in strings:
        return None
    covers = str.startswith if prefix else str.__contains__
    return tuple(sorted(s for s in strings if not any(t != s and covers(s, t) for t in strings)))
