"""Repair step: export escapes, HTML entities (standard, mangled, &-less), markup, mojibake
(ftfy) and whitespace.

Public entry point: `repair_text(text) -> RepairResult`. `repair_text_reference` is the same
rules with no skipping; both run the passes below. What may be skipped, and when, is decided
by the gates in `pipeline/repair_fast.py` and nowhere else. See docs/repair.md.
"""
from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-* codecs the residue checks decode with)
import pyarrow as pa
from ftfy.chardata import CHARMAP_ENCODINGS, HTML_ENTITIES

from . import repair_fast
from .rulesfile import load_rules
from .step import Counts, Show, Step, Total

NAME = "repair"

# Every key the code reads (examples: [input, output] pairs or [rule, input, output] triples
# that the tests run); anything else in the file is an error.
_EXAMPLES = [[str]]
RULES_SPEC = {
    "family": [{"rule": str, "mangled": bool, "examples": _EXAMPLES}],
    "spaced_named": {"names": [str]},
    "apostrophe": {"contraction_suffixes": [str]},
    "ampless": {"names": [str], "word_names": [str], "min_digits": int, "ranges": [[int]]},
    "escapes": {"rules": [str], "examples": _EXAMPLES},
    "markup": {"rules": [str], "elements": [str], "void": [str], "block": [str], "examples": _EXAMPLES},
    "residue": {"rules": [str], "mojibake_leads": [str], "examples": _EXAMPLES},
}
RULES = load_rules("entities", RULES_SPEC)
_CATALOG = RULES.data
RULES_VERSION = RULES.version


@dataclass
class RepairResult:
    text: str
    repairs: list[tuple[str, int]] = field(default_factory=list)
    # (rule, start, end) offsets in `text` of each character rebuilt from a *mangled* entity
    # (families with mangled = true in the rules file).
    spans: list[tuple[str, int, int]] = field(default_factory=list)
    # (rule, tag) for every HTML tag removed from the text, verbatim, in text order.
    markup: list[tuple[str, str]] = field(default_factory=list)


# ftfy, configured for plain-text news (reasons in docs/repair.md). It runs per line, only on
# lines that can hold something it fixes; everything it would do to ASCII text is done by our
# own passes.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=True,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,
    normalization="NFC",
    max_decode_length=1_000_000,
    explain=True,
)

_ENTITY_RULES = [f["rule"] for f in _CATALOG["family"]]
_MANGLED = frozenset(f["rule"] for f in _CATALOG["family"] if f["mangled"])
_ESCAPE_RULES = list(_CATALOG["escapes"]["rules"])
_MARKUP_RULES = list(_CATALOG["markup"]["rules"])
_RESIDUE_RULES = list(_CATALOG["residue"]["rules"])
_WS_RULES = [
    "ws_bom", "ws_crlf", "ws_line_sep", "ws_terminal_escape", "ws_control", "ws_nbsp",
    "ws_unicode_space", "ws_tab", "ws_zero_width", "ws_soft_hyphen", "ws_trailing",
    "ws_leading", "ws_multi_space", "ws_blank_lines",
]
_SPACED_NAMES = frozenset(n.lower() for n in _CATALOG["spaced_named"]["names"])
_SUFFIXES = "|".join(sorted(_CATALOG["apostrophe"]["contraction_suffixes"], key=len, reverse=True))


def _bump(counts: dict[str, int], rule: str, n: int = 1) -> None:
    counts[rule] = counts.get(rule, 0) + n


# --- export escapes ----------------------------------------------------------------------
_BACKSLASHES_RE = re.compile(r"\\+")
_PATH_RE = re.compile(r"[A-Za-z]:\\|\\\\\w+\\")   # C:\dir, \\server\share: leave the token alone


def _is_line_break(text: str, s: int, e: int) -> bool:
    """A backslash standing for a line break sits between the end of one line's text (a word,
    a number, closing punctuation) and the start of the next (a word, a number, an opening
    bracket or quote, a price, markup), with at most one space after it. Not before "%", "_", "{",
    "*" or "~" (TeX and Markdown escapes), not after an opening bracket."""
    prev = text[s - 1] if s else ""
    if not prev or not (prev.isalnum() or prev in _LINE_END):
        return False
    nxt = text[e] if e < len(text) else ""
    if nxt == " ":
        nxt = text[e + 1] if e + 1 < len(text) else ""
    return bool(nxt) and (nxt.isalnum() or nxt in _LINE_START)


_LINE_END = ".,;:!?)]\"'%"
_LINE_START = "(&<$#\"'"


def _escapes(text: str, counts: dict[str, int]) -> str:
    """`\\$` and `\\'`/`\\"` escapes; a backslash standing for a line break inside a field."""
    out: list[str] = []
    pos = 0
    changed = False
    for m in _BACKSLASHES_RE.finditer(text):
        s, e = m.span()
        tok_s = max(text.rfind(" ", 0, s), text.rfind("\n", 0, s)) + 1
        tok_e = min((i for i in (text.find(" ", e), text.find("\n", e)) if i >= 0), default=len(text))
        if _PATH_RE.search(text, tok_s, tok_e):
            continue
        run = e - s
        nxt = text[e] if e < len(text) else ""
        escaped = nxt == "$" or nxt in ("'", '"')
        if escaped:
            run -= 1  # the last backslash escapes the character after it
            _bump(counts, "escape_dollar" if nxt == "$" else "escape_quote")
        breaks = "\\" * run
        if run and run <= 2 and _is_line_break(text, s, e):
            breaks = " " if run == 1 else "\n\n"
            _bump(counts, "escape_line_break")
        if breaks == "\\" * (e - s):
            continue
        out.append(text[pos:s])
        out.append(breaks)
        pos = e
        changed = True
    if not changed:
        return text
    out.append(text[pos:])
    return "".join(out)


# --- entity pass -------------------------------------------------------------------------
_SP = "[ \t\u00a0]*"  # NBSP too: MT output often spaces entities with it
_NUM = rf"\#{_SP}(?:[0-9]{{1,24}}|[xX][0-9a-fA-F]{{1,24}})"
_AMP_LAYER = rf"{_SP}(?:[aA][mM][pP]|\#{_SP}0*38|\#{_SP}[xX]0*26){_SP};"
_NAME = r"[A-Za-z][A-Za-z0-9]{1,31}"
_REF = (  # a numeric or named reference after its "&"
    rf"(?P<num>(?P<n1>{_SP})\#(?P<n2>{_SP})"
    rf"(?:(?P<dec>[0-9]{{1,24}})|[xX](?P<hex>[0-9a-fA-F]{{1,24}}))(?P<n3>{_SP});)"
    rf"|(?P<named>(?P<s1>{_SP})(?P<name>{_NAME})(?P<s2>{_SP});)"
)
_QUOT_TAIL = rf"[uU][oO][tT]{_SP};"
# Every branch starts with a literal character, so the regex engine can jump between candidate
# positions (a leading group or lookbehind would make it try every branch at every position).
# The group names give the kind (m.lastgroup); the lookbehinds, placed after the q, test the
# character before it. The comma form is glued (",quot;"): after ", quot;" the comma is real
# punctuation and the space is the lost "&" (the &-less pass handles it).
_ENTITY_RE = re.compile(
    rf"&(?P<dbl>(?P<layers>(?:{_AMP_LAYER})+)(?P<tail>{_SP}(?:{_NUM}|{_NAME}){_SP};))"
    rf"|&(?:{_REF})"
    rf"|,(?P<comma>[qQ]{_QUOT_TAIL})"
    rf"|q(?<![&\w,\#]q)(?P<lead>{_QUOT_TAIL})"
    rf"|Q(?<![&\w,\#]Q)(?P<leadQ>{_QUOT_TAIL})"
)
_TAIL_RE = re.compile(rf"&(?:{_REF})")
_SPACE_RE = re.compile("[ \t\u00a0]")
_CONTRACTION_RE = re.compile(rf"[ \t\u00a0]?(?:{_SUFFIXES})\b", re.IGNORECASE)
_APOS = ("'", "\u2019")
_GAP_SPACES = " \t\u00a0"
# Decoded characters that the later line-level passes would otherwise never see.
_DECODED_MAP = {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\u2028": "\n", "\u2029": "\n\n"}

# Sentinels around mangled repairs: a start marker (encodes rule and whether the char may pair
# with another quote) and END. They are ASCII C0 controls: removed from the input before they
# are inserted, invisible to ftfy (remove_control_chars=False), untouched by whitespace rules.
# A double escape is mangled through its layers or its inner reference, so it has markers too.
_END = "\x03"
_START = {(rule, pair): chr(0x0E + 2 * i + pair)
          for i, rule in enumerate(sorted(_MANGLED | {"entity_double_escaped"}))
          for pair in (0, 1)}
_START_RULE = {v: k[0] for k, v in _START.items()}
_PAIRABLE = "".join(v for (r, p), v in _START.items() if p)
_SENTINELS = "".join(_START.values()) + _END
_P = f"[{_PAIRABLE}]"
_PAIR_RES = [
    re.compile(
        rf"(?P<o>{_P}{re.escape(a)}{_END})(?P<s1>{_SP})"
        rf"(?P<body>[^\s{_END}](?:[^\n]*?[^\s])?)"
        rf"(?P<s2>{_SP})(?P<c>{_P}{re.escape(b)}{_END})"
    )
    for a, b in (("'", "'"), ('"', '"'), ("\u2018", "\u2019"), ("\u201c", "\u201d"))
]
_SENTINEL_RE = re.compile(rf"([{''.join(_START.values())}])([^{_END}]*){_END}")
_UNSENTINEL = str.maketrans("", "", _SENTINELS)


def _decode_numeric(m: re.Match, prev: str, nxt: str) -> tuple[str, bool] | None:
    """Decode a numeric reference like ftfy does; (text, is_191_apostrophe)."""
    dec, hx = m.group("dec"), m.group("hex")
    ref = f"&#{dec};" if dec is not None else f"&#x{hx};"
    out = html.unescape(ref)
    if ";" in out:
        return None
    if out == "\u00bf" and prev.isalpha() and nxt.isalpha():
        return "'", True
    return out, False


def _decode_named(name: str, spaced: bool) -> tuple[str, str] | None:
    """Return (text, rule) for a named reference, or None when it must stay."""
    if not spaced and f"&{name};" in HTML_ENTITIES:
        return HTML_ENTITIES[f"&{name};"], "entity_plain"
    if name.lower() not in _SPACED_NAMES:
        return None
    for cand in (name, name.lower(), name.capitalize()):
        out = HTML_ENTITIES.get(f"&{cand};")
        if out is not None:
            return out, "entity_spaced_named" if spaced else "entity_case_named"
    return None


def _decode_ref(m: re.Match, prev: str, nxt: str) -> tuple[str, str] | None:
    """(text, rule) for a match of the num/named groups of _ENTITY_RE or _TAIL_RE."""
    if m.group("num") is not None:
        spaced = bool(m.group("n1") or m.group("n2") or m.group("n3"))
        res = _decode_numeric(m, prev, nxt)
        if res is None:
            return None
        out, is191 = res
        if spaced and (not out or unicodedata.category(out[0]) == "Cc"):
            return None  # "ranked & #1; ..." is prose, not a mangled control character
        rule = "entity_spaced_numeric" if spaced else (
            "entity_apostrophe_191" if is191 else "entity_plain")
        return out, rule
    spaced = bool(m.group("s1") or m.group("s2"))
    return _decode_named(m.group("name"), spaced)


def _classify(m: re.Match, text: str) -> tuple[str, str, bool, int] | None:
    """(replacement, rule, mangled, end of the replaced text) for one match, or None."""
    start, end = m.span()
    prev = text[start - 1] if start else ""
    nxt = text[end] if end < len(text) else ""
    kind = m.lastgroup
    if kind == "dbl":
        tail = _TAIL_RE.match("&" + m.group("tail"))
        res = _decode_ref(tail, prev, nxt) if tail else None
        spaced = bool(_SPACE_RE.search(m.group("layers")))
        if res is None:  # only the &amp; layers are real: collapse them, keep the tail as is
            rule = "entity_spaced_named" if spaced else "entity_plain"
            return "&", rule, rule in _MANGLED, m.end("layers")
        mangled = (spaced and "entity_spaced_named" in _MANGLED) or res[1] in _MANGLED
        return res[0], "entity_double_escaped", mangled, end
    if kind == "comma":
        return '"', "entity_comma_quot", "entity_comma_quot" in _MANGLED, end
    if kind == "lead" or kind == "leadQ":
        return '"', "entity_leading_quot", "entity_leading_quot" in _MANGLED, end
    res = _decode_ref(m, prev, nxt)
    if res is None:
        return None
    return res[0], res[1], res[1] in _MANGLED, end


def _marked(repl: str, rule: str, pair: int) -> str:
    """The repaired text, wrapped in span sentinels when it is a visible character."""
    if repl.strip() and not _invisible(repl):
        return _START[(rule if rule in _MANGLED else "entity_double_escaped", pair)] + repl + _END
    return repl


def _entity_pass(text: str, counts: dict[str, int]) -> tuple[str, int]:
    """One left-to-right pass; returns (text, number of repairs)."""
    out: list[str] = []
    pos = 0
    n = 0
    for m in _ENTITY_RE.finditer(text):
        res = _classify(m, text)
        if res is None:
            continue
        repl, rule, mangled, end = res
        start = m.start()
        if start < pos:  # overlapped by a gap we already closed
            continue
        pre = text[pos:start]
        if len(repl) == 1 and repl in _DECODED_MAP:
            repl = _DECODED_MAP[repl]
        elif len(repl) == 1 and repl < " " and repl not in "\t\n":
            repl = ""
        pair = 1
        if mangled and repl in _APOS:
            prev = text[start - 1] if start else ""
            cm = _CONTRACTION_RE.match(text, end)
            if prev.isalpha():
                if cm:
                    if cm.group(0)[0] in _GAP_SPACES:
                        end += 1
                        _bump(counts, "entity_gap")
                    pair = 0
                elif end < len(text) and text[end].isalpha():
                    pair = 0
            elif (cm and prev in _GAP_SPACES and pos < start and start >= 2
                  and text[start - 2].isalpha()):
                pre = pre[:-1]
                gap = 1
                if cm.group(0)[0] in _GAP_SPACES:
                    end += 1
                    gap += 1
                _bump(counts, "entity_gap", gap)
                pair = 0
        if rule in ("entity_comma_quot", "entity_leading_quot"):
            pair = 0
        out.append(pre)
        if mangled and repl.strip() and not _invisible(repl):
            out.append(_START[(rule if rule in _MANGLED else "entity_double_escaped", pair)])
            out.append(repl)
            out.append(_END)
        else:
            out.append(repl)
        counts[rule] = counts.get(rule, 0) + 1
        n += 1
        pos = end
    if not n:
        return text, 0
    out.append(text[pos:])
    return "".join(out), n


def _invisible(s: str) -> bool:
    return any(unicodedata.category(c)[0] in "MCZ" for c in s)


def _close_pair_gaps(text: str, counts: dict[str, int]) -> str:
    def fix(m: re.Match) -> str:
        gap = len(m.group("s1")) + len(m.group("s2"))
        if gap:
            _bump(counts, "entity_gap", gap)
        return m.group("o") + m.group("body") + m.group("c")

    for rx in _PAIR_RES:
        text = rx.sub(fix, text)
    return text


# --- &-less entities ----------------------------------------------------------------------
_AL = _CATALOG["ampless"]
_AL_NAMES = frozenset(_AL["names"])
_AL_WORDS = frozenset(_AL["word_names"])
_AL_DIGITS = int(_AL["min_digits"])
_AL_RANGES = [tuple(r) for r in _AL["ranges"]]
_AL_ALT = "|".join(sorted(_AL_NAMES | _AL_WORDS, key=len, reverse=True))
_AL_MAX_DEC, _AL_MAX_HEX = 7, 6  # up to U+10FFFF
_AMPLESS_RE = re.compile(
    rf"\#(?:(?P<dec>[0-9]{{{_AL_DIGITS},{_AL_MAX_DEC}}})|[xX](?P<hex>[0-9a-fA-F]{{{_AL_DIGITS},{_AL_MAX_HEX}}}));"
    rf"|(?P<name>{_AL_ALT});"
)
_AL_WINDOW = max(1 + _AL_MAX_DEC, 2 + _AL_MAX_HEX, *map(len, _AL_NAMES | _AL_WORDS)) + 1


def _ends_pattern() -> str:
    """Each ";" that ends an &-less candidate: the search jumps from ";" to ";" (a literal first
    character) and fixed-width lookbehinds test what precedes it, including the character
    before the form, which must not be a word character, "&", "#", ";" or ",": "aliquot;",
    "&#39;", "&amp;quot;" and ",quot;" are not &-less forms (the entity pass owns the last three).
    The lookbehinds are grouped by the form's last character, so a ";" after any other
    character costs one test."""
    groups: dict[str, list[str]] = {}
    for k in range(_AL_DIGITS, _AL_MAX_DEC + 1):
        groups.setdefault("[0-9]", []).append(rf"\#{'[0-9]' * k}")
    for k in range(_AL_DIGITS, _AL_MAX_HEX + 1):
        groups.setdefault("[0-9a-fA-F]", []).append(rf"\#[xX]{'[0-9a-fA-F]' * k}")
    for n in sorted(_AL_NAMES | _AL_WORDS):
        groups.setdefault(re.escape(n[-1]), []).append(re.escape(n))
    return ";(?:" + "|".join(
        rf"(?<={last};)(?:" + "|".join(rf"(?<={f};)(?<![\w&\#;,]{f};)" for f in forms) + ")"
        for last, forms in groups.items()) + ")"


_AMPLESS_END_RE = re.compile(_ends_pattern())
# An "&" (and &amp; layers) before the form, through spaces: a spaced form ("it& #39;s",
# "& quot;") that belongs to the entity pass.
_AMP_BEFORE_RE = re.compile(rf"&{_SP}(?:(?:[aA][mM][pP]|\#{_SP}0*38|\#{_SP}[xX]0*26){_SP};{_SP})*\Z")
_QUOTES = frozenset("'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a")
_AL_APOS = frozenset("'\u2018\u2019")
_INFIX = frozenset("&\u2012\u2013\u2014\u2015")  # dashes and "&": spaced on both sides or none
_OPENERS = frozenset("([{<-/=\u2013\u2014")
_SUFFIX_AFTER_RE = re.compile(rf"(?:{_SUFFIXES})\b", re.IGNORECASE)


def _ampless_char(m: re.Match) -> tuple[str, str, bool] | None:
    """(character, rule, strong) for an &-less candidate, or None if it is not a reference."""
    name = m.group("name")
    if name is not None:
        ch = HTML_ENTITIES.get(f"&{name};")
        if ch is None:
            return None
        return ch, "entity_ampless_named", name in _AL_NAMES
    code = int(m.group("dec")) if m.group("dec") is not None else int(m.group("hex"), 16)
    if code > 0x10FFFF:
        return None
    ch = html.unescape(f"&#{code};")
    if len(ch) != 1 or not any(lo <= ord(ch) <= hi for lo, hi in _AL_RANGES):
        return None
    # "'" is the one ASCII character encoders commonly write as a number (&#39;, &#039;); "
    # is written &quot;, so "#34;" may as well be a jersey number
    strong = not ch.isascii() or ch == "'" or (m.group("dec") or "x").startswith("0")
    return ch, "entity_ampless_numeric", strong


def _keeps_space(text: str, s: int, e: int, ch: str) -> bool:
    """The one space before an &-less form is the lost "&", except where typography says it
    was a real space: an opening quote after a word ("said quot;Hi"), a spaced dash or "&"."""
    before = text[s - 2] if s >= 2 else ""
    if not before or before.isspace():
        return False  # two spaces (one real, one "&") or a line start: dropping one is safe
    nxt = text[e] if e < len(text) else ""
    if ch in _QUOTES and nxt.isalnum():  # a quote glued to the next word
        if ch in _AL_APOS and _SUFFIX_AFTER_RE.match(text, e):
            return False  # a possessive or contraction, also after "Co." or "U.K.": "Co.'s"
        if before.isalnum():
            # An apostrophe between letters is inside a word: "don #39;t", "Kantor #39;s",
            # "Shi #39;ite", "Ha #39;aretz" (an opening single quote after a word would have
            # had its own space, two in all). Before a digit it elides a year: "the '90s".
            # A double quote glued to the next word opens it: "said quot;Hi".
            return not (ch in _AL_APOS and nxt.isalpha())
        # after "(", "=", "-" the quote was glued ('("A', 'href="', "mid-'90s"); after a
        # sentence end or another quote the space is real ('more. "In', 'Eagles\' "big"')
        return before not in _OPENERS
    return ch in _INFIX and (not nxt or nxt.isspace())  # "relay — a race", "Bath & Beyond"


def _ampless_pass(text: str, counts: dict[str, int]) -> tuple[str, int, int]:
    """&-less references ("world #39;s", "AT amp;T", " quot;Jetpod quot;"); see docs/repair.md.
    Returns (text, repairs, candidates left alone for lack of evidence)."""
    cands = []
    for hit in _AMPLESS_END_RE.finditer(text):
        p = hit.end()
        m = _AMPLESS_RE.search(text, max(0, p - _AL_WINDOW), p)
        while m is not None and m.end() != p:
            m = _AMPLESS_RE.search(text, m.start() + 1, p)
        if m is None:
            continue
        s, e = m.span()
        prev = text[s - 1] if s else ""
        if prev in _GAP_SPACES and _AMP_BEFORE_RE.search(text, max(0, s - 48), s):
            continue  # "& #39;", "& quot;": spaced forms, the entity pass owns them
        res = _ampless_char(m)
        if res is None:
            continue
        ch, rule, strong = res
        nxt = text[e] if e < len(text) else ""
        cands.append((s, e, ch, rule, strong or nxt.isalnum()))
    if not cands:
        return text, 0, 0
    evidence = any(c[4] for c in cands)
    out: list[str] = []
    pos = n = left = 0
    mangled_rules = _MANGLED
    for s, e, ch, rule, strong in cands:
        if s < pos:
            continue
        # a weak form needs two spaces before it (a real one and the lost "&"), or, for a word
        # name, unambiguous &-less damage elsewhere in the text ("Bed Bath amp; Beyond")
        if not strong and not (text[s - 2:s] == "  "
                               or (evidence and rule == "entity_ampless_named")):
            left += 1
            continue
        consume = s > 0 and text[s - 1] == " " and not _keeps_space(text, s, e, ch)
        if ch == '"' and rule == "entity_ampless_named" and not consume:
            continue  # bare quot; with nothing lost around it: entity_leading_quot's form
        out.append(text[pos:s - 1] if consume else text[pos:s])
        out.append(_marked(ch, rule, 0) if rule in mangled_rules else ch)
        _bump(counts, rule)
        n += 1
        pos = e
    if not n:
        return text, 0, left
    out.append(text[pos:])
    return "".join(out), n, left


def _repair_entities(text: str, counts: dict[str, int], gates: repair_fast.Gates,
                     ampless: bool, entities: bool) -> tuple[str, bool]:
    """The &-less pass and the entity pass, to a fixed point; (text, whether anything changed).
    `ampless` and `entities` are the gates' answers for the text as given."""
    left = 0
    changed = False
    for round_ in range(5):  # fixed point; one round suffices for every catalogued form
        n = left = 0
        if ampless if round_ == 0 else gates.ampless(text):
            text, n, left = _ampless_pass(text, counts)
        if entities if round_ == 0 else gates.entities(text):
            text, m = _entity_pass(text, counts)
            n += m
        if not n:
            break
        changed = True
    if left:  # counted once, on the text as it ends up
        _bump(counts, "residue_entity", left)
    if changed and any(c in text for c in _PAIRABLE):
        text = _close_pair_gaps(text, counts)
    return text, changed


# --- markup ----------------------------------------------------------------------------------
_MK = _CATALOG["markup"]
_ELEMENTS = frozenset(_MK["elements"])
_VOID = frozenset(_MK["void"])
_BLOCK = frozenset(_MK["block"])
_TAG_RE = re.compile(
    r"<(?:(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9]{0,9})(?P<attrs>(?:[\s/][^<>]*)?)>"
    r"|!--(?P<comment>.*?)-->)",
    re.DOTALL,
)


def _strip_markup(text: str, rule: str, counts: dict[str, int],
                  removed: list[tuple[str, str]]) -> str:
    """Remove HTML tags (text content kept). Only real tag shapes: an HTML element name; a
    closing tag, a void element, attributes with a value, or a closing tag later in the text."""
    matches = list(_TAG_RE.finditer(text))
    if not matches:
        return text
    last_close: dict[str, int] = {}
    for m in matches:
        if m.group("close") and m.group("name"):
            last_close[m.group("name").lower()] = m.start()
    out: list[str] = []
    pos = 0
    for m in matches:
        name = (m.group("name") or "").lower()
        if m.group("comment") is None:
            if name not in _ELEMENTS:
                continue
            attrs = m.group("attrs")
            if m.group("close"):
                if attrs.strip():
                    continue
            elif not (name in _VOID or "=" in attrs or attrs.rstrip().endswith("/")
                      or last_close.get(name, -1) > m.start()):
                continue
        s, e = m.span()
        prev = text[s - 1] if s else " "
        nxt = text[e] if e < len(text) else " "
        sep = " " if name in _BLOCK and not prev.isspace() and not nxt.isspace() else ""
        out.append(text[pos:s])
        out.append(sep)
        removed.append((rule, m.group().translate(_UNSENTINEL)))
        _bump(counts, rule)
        pos = e
    if pos == 0:
        return text
    out.append(text[pos:])
    return "".join(out)


# --- whitespace and control characters ---------------------------------------------------
_CRLF_RE = re.compile(r"\r\n?")
_LINE_SEP_RE = re.compile("[\x0b\x0c\u2028\u2029]")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_C0_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_POST_CONTROL_RE = re.compile("[\x80-\x9f\u206a-\u206f\ufff9-\ufffc]")
_NBSP_RE = re.compile("[\u00a0\u2007\u202f]")
_USPACE_RE = re.compile("[\u1680\u2000-\u2006\u2008-\u200a\u205f\u3000]")
_ZW_RE = re.compile("[\u200b\u2060\ufeff\u180e]")
_SHY_RE = re.compile("\u00ad")
_TAB_RE = re.compile("\t")
_TRAILING_RE = re.compile(r"[ ]+$", re.MULTILINE)
_LEADING_RE = re.compile(r"^[ ]+", re.MULTILINE)
_MULTI_RE = re.compile(r" {2,}")
_BLANKS_RE = re.compile(r"\n{3,}")


def _subn(rx: re.Pattern, repl, text: str, rule: str, counts: dict[str, int]) -> str:
    text, n = rx.subn(repl, text)
    if n:
        _bump(counts, rule, n)
    return text


def _pre_ws(text: str, counts: dict[str, int], gates: repair_fast.Gates) -> str:
    """BOM, line breaks, terminal escapes, C0 controls: before entities and ftfy."""
    if text.startswith("\ufeff"):
        text = text[1:]
        counts["ws_bom"] = 1
    if not gates.pre_ws(text):
        return text
    if gates.crlf(text):
        text = _subn(_CRLF_RE, "\n", text, "ws_crlf", counts)
    text = _subn(_LINE_SEP_RE, lambda m: "\n\n" if m.group() == "\u2029" else "\n", text,
                 "ws_line_sep", counts)
    if gates.terminal_escape(text):
        text = _subn(_ANSI_RE, "", text, "ws_terminal_escape", counts)
    return _subn(_C0_RE, "", text, "ws_control", counts)


def _post_ws(text: str, counts: dict[str, int], gates: repair_fast.Gates) -> str:
    """Character- then line-level whitespace rules; after ftfy (it needs NBSP and SHY)."""
    if gates.post_chars(text):
        text = _subn(_POST_CONTROL_RE, "", text, "ws_control", counts)
        text = _subn(_NBSP_RE, " ", text, "ws_nbsp", counts)
        text = _subn(_USPACE_RE, " ", text, "ws_unicode_space", counts)
        text = _subn(_ZW_RE, "", text, "ws_zero_width", counts)
        if gates.soft_hyphen(text):
            text = _subn(_SHY_RE, "", text, "ws_soft_hyphen", counts)
    tab, trailing, leading, multi, blanks = gates.line_rules(text)
    if tab:
        text = _subn(_TAB_RE, " ", text, "ws_tab", counts)
        _, trailing, leading, multi, blanks = gates.line_rules(text)  # the new spaces count
    if trailing:
        text = _subn(_TRAILING_RE, "", text, "ws_trailing", counts)
    if leading:
        text = _subn(_LEADING_RE, "", text, "ws_leading", counts)
    if multi:
        text = _subn(_MULTI_RE, " ", text, "ws_multi_space", counts)
    if (trailing or leading) and not blanks:  # a line of spaces is now empty: ask again
        blanks = gates.blank_lines(text)
    if blanks:
        text = _subn(_BLANKS_RE, "\n\n", text, "ws_blank_lines", counts)
    if not (text.startswith("\n") or text.endswith("\n")):
        return text  # what follows would change nothing: spare the copy strip() makes
    stripped = text.strip("\n")
    if len(text) - len(stripped) > (1 if text.endswith("\n") and not text.endswith("\n\n") else 0):
        _bump(counts, "ws_blank_lines")
    return stripped


# --- ftfy --------------------------------------------------------------------------------
def _ftfy_fix(line: str, counts: dict[str, int], gates: repair_fast.Gates) -> str:
    fixed, plan = gates.fix_and_explain(line, FTFY_CONFIG)
    for action, param in plan or ():
        if action == "encode":
            name = "ftfy:fix_encoding"
        elif action == "decode":
            continue
        elif action == "normalize":
            name = f"ftfy:normalize_{param.lower()}"
        else:
            name = f"ftfy:{param}"
        _bump(counts, name)
    return fixed


# A UTF-8 sequence read as single-byte text whose last byte became a space has two readings:
# the byte was A0 (ftfy's restore_byte_a0: "â€ " -> "†") or a byte that cp1252 does not define
# and a lossy reader dropped (0x81 0x8D 0x8F 0x90 0x9D: "â€\x9d" is the closing quote ”). When
# the A0 reading is a symbol or a punctuation mark and a dropped byte would give a punctuation
# mark, nothing in the text tells them apart: ftfy does not see that sequence, it stays as it
# is and counts as residue_mojibake. (A letter from the A0 reading, "Ã " -> "à", or a symbol
# with no punctuation rival, "âš " -> "⚠", is ftfy's to restore.)
_AMBIG_CAND_RE = re.compile(r"[^\x00-\x7f]{2,}(?= )")
_DROPPED_BYTES = (0x81, 0x8D, 0x8F, 0x90, 0x9D)


def _utf8_char(b: bytes) -> str | None:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return None


@functools.lru_cache(maxsize=4096)  # the same few sequences recur across a corpus
def _a0_guess(seq: str) -> bool:
    for enc in CHARMAP_ENCODINGS:
        try:
            b = seq.encode(enc)
        except UnicodeEncodeError:
            continue
        if len(b) == 2:
            ok = 0xE0 <= b[0] <= 0xE3 and 0x80 <= b[1] <= 0xBF and b[1] not in (0x85, 0xA0)
        else:
            ok = b[0] == 0xF0 and all(0x80 <= x <= 0xBF for x in b[1:])
        if not ok:
            continue
        ch = _utf8_char(b + b"\xa0")
        if ch is None or unicodedata.category(ch)[0] not in "SP":
            continue
        for x in _DROPPED_BYTES:
            alt = _utf8_char(b + bytes([x]))
            if alt is not None and unicodedata.category(alt)[0] == "P":
                return True
    return False


def _ambiguous_a0(line: str) -> list[tuple[int, int]]:
    spans = []
    for m in _AMBIG_CAND_RE.finditer(line):
        e = m.end()
        for k in (2, 3):
            if e - k >= m.start() and _a0_guess(line[e - k:e]):
                spans.append((e - k, e))
                break
    return spans


def _ftfy_line(line: str, counts: dict[str, int], gates: repair_fast.Gates) -> str:
    spans = _ambiguous_a0(line) if " " in line else []
    if not spans:
        return _ftfy_fix(line, counts, gates)
    out = []
    pos = 0
    for s, e in spans:
        if s > pos:
            out.append(_ftfy_fix(line[pos:s], counts, gates))
        out.append(line[s:e])
        pos = e
    out.append(_ftfy_fix(line[pos:], counts, gates) if pos < len(line) else "")
    return "".join(out)


def _ftfy(text: str, counts: dict[str, int], gates: repair_fast.Gates) -> tuple[str, bool]:
    """(text, whether the ftfy gate let the text in)."""
    if not gates.ftfy(text):
        return text, False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if gates.ftfy_line(line):
            lines[i] = _ftfy_line(line, counts, gates)
    return "\n".join(lines), True


# --- residue -------------------------------------------------------------------------------
_CONT = "".join(sorted(set(bytes(range(0x80, 0xC0)).decode("latin-1"))
                       | set(bytes(range(0x80, 0xC0)).decode("sloppy-windows-1252"))))
_MOJIBAKE_RE = re.compile(
    f"[{re.escape(''.join(_CATALOG['residue']['mojibake_leads']))}][{re.escape(_CONT)}]")


def _residue(text: str, counts: dict[str, int]) -> None:
    """Count damage left in the text (never changes it)."""
    n = len(_MOJIBAKE_RE.findall(text))
    if n:
        _bump(counts, "residue_mojibake", n)
    n = text.count("\ufffd")
    if n:
        _bump(counts, "residue_replacement_char", n)


# --- driver ------------------------------------------------------------------------------
_KNOWN = frozenset(_ESCAPE_RULES + _ENTITY_RULES + _MARKUP_RULES + _WS_RULES + _RESIDUE_RULES)


_RANK = {r: (0, i) for i, r in enumerate(_ESCAPE_RULES + _ENTITY_RULES + _MARKUP_RULES)}
_RANK.update({r: (2, i) for i, r in enumerate(_WS_RULES + _RESIDUE_RULES)})


def _rank(rule: str) -> tuple:
    """Escape, entity and markup rules in catalog order, then ftfy:* (alphabetical), then
    whitespace and residue rules, then anything else (alphabetical)."""
    return _RANK.get(rule) or ((1, rule) if rule.startswith("ftfy:") else (3, rule))


def _order(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(r, counts[r]) for r in sorted(counts, key=_rank) if counts[r]] if counts else []


def _spans(text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Remove the span sentinels; (rule, start, end) of each marked character."""
    spans: list[tuple[str, int, int]] = []
    out: list[str] = []
    pos = 0
    shift = 0
    for m in _SENTINEL_RE.finditer(text):
        out.append(text[pos:m.start()])
        start = m.start() - shift
        end = start + len(m.group(2))
        if end > start:
            spans.append((_START_RULE[m.group(1)], start, end))
        out.append(m.group(2))
        shift += 2
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), spans


def _run(text: str, gates: repair_fast.Gates) -> RepairResult:
    counts: dict[str, int] = {}
    markup: list[tuple[str, str]] = []
    text = _pre_ws(text, counts, gates)
    escapes, tags = gates.escapes_and_markup(text)  # escapes never make a "<"
    if escapes:
        text = _escapes(text, counts)
    if tags:
        text = _strip_markup(text, "markup_literal_tag", counts, markup)
    ampless, entities = gates.entity_passes(text)
    decoded = False
    if ampless or entities:
        text, decoded = _repair_entities(text, counts, gates, ampless, entities)
        if decoded and gates.markup(text):
            text = _strip_markup(text, "markup_decoded_tag", counts, markup)
    text, ftfy_gate = _ftfy(text, counts, gates)
    text = _post_ws(text, counts, gates)
    if gates.residue(text, ftfy_gate):
        _residue(text, counts)
    spans: list[tuple[str, int, int]] = []
    if decoded and gates.sentinels(text):  # span markers come only from the entity passes
        text, spans = _spans(text)
    return RepairResult(text=text, repairs=_order(counts), spans=spans, markup=markup)


_REFERENCE = repair_fast.Gates()
_FAST = repair_fast.FastGates(
    ampless_ends=_AMPLESS_END_RE.pattern,
    post_chars="|".join(rx.pattern for rx in (_POST_CONTROL_RE, _NBSP_RE, _USPACE_RE, _ZW_RE, _SHY_RE)),
    residue_chars="".join(_CATALOG["residue"]["mojibake_leads"]) + "\ufffd",
    sentinel_end=_END,
)


def _whitespace_only(text: str) -> str:
    """Only the whitespace/control rules (no escapes, entities, markup, ftfy): the baseline
    that reports and tests compare against."""
    counts: dict[str, int] = {}
    return _post_ws(_pre_ws(text, counts, _FAST), counts, _FAST)


def repair_text(text: str) -> RepairResult:
    """Repair escapes, entities, markup, mojibake and whitespace; skips passes whose gate
    (pipeline/repair_fast.py) proves they cannot change the text."""
    return _run(text, _FAST)


def repair_text_reference(text: str) -> RepairResult:
    """Slow reference: every pass on every line, no skipping. Same result as repair_text."""
    return _run(text, _REFERENCE)


def _apply(doc, config) -> dict:
    rep = repair_text(doc.text)
    doc.rewrite(rep.text, rep.spans)
    return {"repairs": rep.repairs, "markup": rep.markup}


STEP = Step(
    name=NAME, version=RULES_VERSION, apply=_apply,
    columns=(pa.field("repairs", pa.list_(pa.struct([("rule", pa.string()), ("count", pa.int32())])),
                      nullable=False),
             pa.field("markup", pa.list_(pa.struct([("rule", pa.string()), ("text", pa.string())])),
                      nullable=False)),
    stats=(Counts("repairs", "repairs", weight="count", label="repairs by rule"),
           Total("documents_repaired", "repairs", "nonempty", "documents repaired")),
    report=(Show("bars", "repairs", "Repairs by rule"),),
)
