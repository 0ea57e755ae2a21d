"""Repair step: mangled HTML entities, mojibake (ftfy) and whitespace.

Public entry point: `repair_text(text) -> RepairResult`. `repair_text_reference` is the slow
path (no skipping) that tests compare against. See docs/repair.md.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy
from ftfy.chardata import CHARMAP_ENCODINGS, HTML_ENTITIES, LIGATURES, UTF8_CLUES
import pyarrow as pa

from .rulesfile import Doc, load_rules
from .step import Counts, Show, Step, Total

NAME = "repair"

RULES = load_rules("entities", {
    "family": [{"rule": str, "mangled": bool, "examples": Doc, "meaning": Doc}],
    "spaced_named": {"names": [str]},
    "apostrophe": {"contraction_suffixes": [str]},
})
_CATALOG = RULES.data
RULES_VERSION = RULES.version


@dataclass
class RepairResult:
    text: str
    repairs: list[tuple[str, int]] = field(default_factory=list)
    # (rule, start, end) offsets in `text` of each mangled-entity repair (MT evidence).
    spans: list[tuple[str, int, int]] = field(default_factory=list)


# ftfy, configured for plain-text news (reasons in docs/repair.md). It runs per line, only on
# non-ASCII lines; everything it would do to ASCII text is done by our own passes.
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
_MANGLED = {
    "entity_spaced_numeric", "entity_spaced_named", "entity_case_named",
    "entity_comma_quot", "entity_leading_quot", "entity_double_escaped",
}
_WS_RULES = [
    "ws_bom", "ws_crlf", "ws_line_sep", "ws_terminal_escape", "ws_control", "ws_nbsp",
    "ws_unicode_space", "ws_tab", "ws_zero_width", "ws_soft_hyphen", "ws_trailing",
    "ws_leading", "ws_multi_space", "ws_blank_lines",
]
_SPACED_NAMES = frozenset(n.lower() for n in _CATALOG["spaced_named"]["names"])
_SUFFIXES = "|".join(sorted(_CATALOG["apostrophe"]["contraction_suffixes"], key=len, reverse=True))

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
# character before it. Only the spans of the whole match and the inner groups are used.
_ENTITY_RE = re.compile(
    rf"&(?P<dbl>(?P<layers>(?:{_AMP_LAYER})+)(?P<tail>{_SP}(?:{_NUM}|{_NAME}){_SP};))"
    rf"|&(?:{_REF})"
    rf"|,(?P<comma>[ \t\u00a0]?[qQ]{_QUOT_TAIL})"
    rf"|q(?<![&\w,\#]q)(?P<lead>{_QUOT_TAIL})"
    rf"|Q(?<![&\w,\#]Q)(?P<leadQ>{_QUOT_TAIL})"
)
# Necessary for a comma/lead match: the fast path's gate when the text has no "&".
_QUOT_GATE_RE = re.compile(rf"[qQ]{_QUOT_TAIL}")
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
_END = "\x03"
_START = {(rule, pair): chr(0x0E + 2 * i + pair) for i, rule in enumerate(sorted(_MANGLED))
          for pair in (0, 1)}
_START_RULE = {v: k[0] for k, v in _START.items()}
_PAIRABLE = "".join(v for (r, p), v in _START.items() if p)
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
        if res is None:  # only the &amp; layers are real: collapse them, keep the tail as is
            spaced = bool(_SPACE_RE.search(m.group("layers")))
            rule = "entity_spaced_named" if spaced else "entity_plain"
            return "&", rule, spaced, m.end("layers")
        mangled = bool(_SPACE_RE.search(m.group("layers"))) or res[1] in _MANGLED
        return res[0], "entity_double_escaped", mangled, end
    if kind == "comma":
        return '"', "entity_comma_quot", True, end
    if kind == "lead" or kind == "leadQ":
        return '"', "entity_leading_quot", True, end
    res = _decode_ref(m, prev, nxt)
    if res is None:
        return None
    return res[0], res[1], res[1] in _MANGLED, end


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
                        counts["entity_gap"] = counts.get("entity_gap", 0) + 1
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
                counts["entity_gap"] = counts.get("entity_gap", 0) + gap
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
            counts["entity_gap"] = counts.get("entity_gap", 0) + gap
        return m.group("o") + m.group("body") + m.group("c")

    for rx in _PAIR_RES:
        text = rx.sub(fix, text)
    return text


def _repair_entities(text: str, counts: dict[str, int]) -> str:
    for _ in range(5):  # fixed point; one pass suffices for every catalogued form
        text, n = _entity_pass(text, counts)
        if not n:
            break
    if any(c in text for c in _PAIRABLE):
        text = _close_pair_gaps(text, counts)
    return text


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
# Union of the five character classes above: one scan tells whether any of them can match.
_POST_CHARS_RE = re.compile(
    "|".join(rx.pattern for rx in (_POST_CONTROL_RE, _NBSP_RE, _USPACE_RE, _ZW_RE, _SHY_RE)))
_TAB_RE = re.compile("\t")
_TRAILING_RE = re.compile(r"[ ]+$", re.MULTILINE)
_LEADING_RE = re.compile(r"^[ ]+", re.MULTILINE)
_MULTI_RE = re.compile(r" {2,}")
_BLANKS_RE = re.compile(r"\n{3,}")


def _subn(rx: re.Pattern, repl, text: str, rule: str, counts: dict[str, int]) -> str:
    text, n = rx.subn(repl, text)
    if n:
        counts[rule] = counts.get(rule, 0) + n
    return text


# Every character a _pre_ws regex can match: ASCII ones as UTF-8 bytes, plus U+2028/U+2029.
_PRE_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0x7F])


def _has_pre_ws(text: str) -> bool:
    """Cheap exact test for any character _pre_ws acts on (bytes.translate runs in C)."""
    b = text.encode("utf-8", "surrogatepass")  # bytes < 0x80 are exactly the ASCII characters
    return (len(b.translate(None, _PRE_BYTES)) != len(b)
            or "\u2028" in text or "\u2029" in text)


def _pre_ws(text: str, counts: dict[str, int], fast: bool) -> str:
    """BOM, line breaks, terminal escapes, C0 controls: before entities and ftfy."""
    if text.startswith("\ufeff"):
        text = text[1:]
        counts["ws_bom"] = 1
    if fast and not _has_pre_ws(text):
        return text
    if not fast or "\r" in text:
        text = _subn(_CRLF_RE, "\n", text, "ws_crlf", counts)
    text = _subn(_LINE_SEP_RE, lambda m: "\n\n" if m.group() == "\u2029" else "\n", text,
                 "ws_line_sep", counts)
    if not fast or "\x1b" in text:
        text = _subn(_ANSI_RE, "", text, "ws_terminal_escape", counts)
    return _subn(_C0_RE, "", text, "ws_control", counts)


def _post_ws(text: str, counts: dict[str, int], fast: bool) -> str:
    """Character- then line-level whitespace rules; after ftfy (it needs NBSP and SHY)."""
    if not fast or (not text.isascii() and _POST_CHARS_RE.search(text)):
        text = _subn(_POST_CONTROL_RE, "", text, "ws_control", counts)
        text = _subn(_NBSP_RE, " ", text, "ws_nbsp", counts)
        text = _subn(_USPACE_RE, " ", text, "ws_unicode_space", counts)
        text = _subn(_ZW_RE, "", text, "ws_zero_width", counts)
        if not fast or "\u00ad" in text:
            text = _subn(_SHY_RE, "", text, "ws_soft_hyphen", counts)
    if not fast or "\t" in text:
        text = _subn(_TAB_RE, " ", text, "ws_tab", counts)
    if not fast or " \n" in text or text.endswith(" "):
        text = _subn(_TRAILING_RE, "", text, "ws_trailing", counts)
    # rfind tests the needle's first char ("\n", rare) first: faster than `in` here.
    if not fast or text.rfind("\n ") >= 0 or text.startswith(" "):
        text = _subn(_LEADING_RE, "", text, "ws_leading", counts)
    if not fast or "  " in text:
        text = _subn(_MULTI_RE, " ", text, "ws_multi_space", counts)
    if not fast or text.rfind("\n\n\n") >= 0:
        text = _subn(_BLANKS_RE, "\n\n", text, "ws_blank_lines", counts)
    stripped = text.strip("\n")
    if len(text) - len(stripped) > (1 if text.endswith("\n") and not text.endswith("\n\n") else 0):
        counts["ws_blank_lines"] = counts.get("ws_blank_lines", 0) + 1
    return stripped


# --- ftfy --------------------------------------------------------------------------------
def _ftfy_line(line: str, counts: dict[str, int]) -> str:
    fixed, plan = ftfy.fix_and_explain(line, FTFY_CONFIG)
    for action, param in plan or ():
        if action == "encode":
            name = "ftfy:fix_encoding"
        elif action == "decode":
            continue
        elif action == "normalize":
            name = f"ftfy:normalize_{param.lower()}"
        else:
            name = f"ftfy:{param}"
        counts[name] = counts.get(name, 0) + 1
    return fixed


def _lead_chars(lead_bytes: bytes, encodings: list[str]) -> str:
    chars = {bytes([b]).decode(enc, errors="ignore") for enc in encodings for b in lead_bytes}
    return "".join(sorted(c for c in chars if c and not c.isascii()))


# Every ftfy fix enabled above needs one of these in the line (see docs/repair.md): two
# adjacent non-ASCII chars (a multi-byte UTF-8 sequence read as 1-byte chars); a UTF-8 lead
# char before a space (restore_byte_a0, not macroman; UTF8_DETECTOR_RE's first-of-N chars)
# or before '?' (replace_lossy_sequences, sloppy-* only); C1 controls, surrogates,
# ligatures, U+FFFD; or a line that is not NFC.
_A0_LEADS = "".join(sorted(set(_lead_chars(
    b"\xc2\xc3\xc5\xce\xd0\xd9\xe0\xe1\xe2\xe3\xf0",
    [e for e in CHARMAP_ENCODINGS if e != "macroman"],
)) | set("".join(UTF8_CLUES[k] for k in ("utf8_first_of_2", "utf8_first_of_3", "utf8_first_of_4")))))
_LOSSY_LEADS = _lead_chars(bytes(range(0xC2, 0xF5)),
                           [e for e in CHARMAP_ENCODINGS if e.startswith("sloppy")])
_LIGATURE_CHARS = "".join(chr(c) for c in LIGATURES)
# Every alternative starts with a non-ASCII char, matched first (so the regex engine skips ASCII
# runs fast) and then classified by the lookbehinds.
_FTFY_NEEDED_RE = re.compile(
    rf"[^\x00-\x7f](?:[^\x00-\x7f]|(?<=[{re.escape(_A0_LEADS)}]) "
    rf"|(?<=[{re.escape(_LOSSY_LEADS)}])\?"
    rf"|(?<=[\x80-\x9f\ud800-\udfff\ufffd{re.escape(_LIGATURE_CHARS)}]))"
)


def _needs_ftfy(line: str) -> bool:
    if line.isascii():
        return False
    return bool(_FTFY_NEEDED_RE.search(line)) or not unicodedata.is_normalized("NFC", line)


def _ftfy(text: str, counts: dict[str, int], fast: bool) -> str:
    # Whole-text gate: no _FTFY_NEEDED_RE match can span a "\n", and "\n" is stable under NFC,
    # so a text passes exactly when every line does.
    if fast and (text.isascii() or not (_FTFY_NEEDED_RE.search(text)
                                        or not unicodedata.is_normalized("NFC", text))):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not fast or _needs_ftfy(line):
            lines[i] = _ftfy_line(line, counts)
    return "\n".join(lines)


def _whitespace_only(text: str) -> str:
    """Only the whitespace/control rules (no entities, no ftfy): the baseline for reports."""
    counts: dict[str, int] = {}
    return _post_ws(_pre_ws(text, counts, True), counts, True)


# --- driver ------------------------------------------------------------------------------
_KNOWN = frozenset(_ENTITY_RULES + _WS_RULES)


def _order(counts: dict[str, int]) -> list[tuple[str, int]]:
    if not counts:
        return []
    ftfy_rules = sorted(k for k in counts if k.startswith("ftfy:"))
    extra = sorted(k for k in counts if k not in _KNOWN and not k.startswith("ftfy:"))
    order = _ENTITY_RULES + ftfy_rules + _WS_RULES + extra
    return [(r, counts[r]) for r in order if counts.get(r)]


def _run(text: str, fast: bool) -> RepairResult:
    counts: dict[str, int] = {}
    text = _pre_ws(text, counts, fast)
    if not fast or "&" in text or (";" in text and _QUOT_GATE_RE.search(text)):
        text = _repair_entities(text, counts)
    text = _ftfy(text, counts, fast)
    text = _post_ws(text, counts, fast)
    spans: list[tuple[str, int, int]] = []
    if not fast or _END in text:
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
        text = "".join(out)
    return RepairResult(text=text, repairs=_order(counts), spans=spans)


def repair_text(text: str) -> RepairResult:
    """Repair entities, mojibake and whitespace; skips work on text that cannot be damaged."""
    return _run(text, fast=True)


def repair_text_reference(text: str) -> RepairResult:
    """Slow reference: every pass on every line, no skipping. Same text as repair_text."""
    return _run(text, fast=False)


def _apply(doc, config) -> dict:
    rep = repair_text(doc.text)
    doc.rewrite(rep.text, rep.spans)
    return {"repairs": rep.repairs}


STEP = Step(
    name=NAME, version=RULES_VERSION, apply=_apply,
    columns=(pa.field("repairs", pa.list_(pa.struct([("rule", pa.string()), ("count", pa.int32())])),
                      nullable=False),),
    stats=(Counts("repairs", "repairs", weight="count", label="repairs by rule"),
           Total("documents_repaired", "repairs", "nonempty", "documents repaired")),
    report=(Show("bars", "repairs", "Repairs by rule"),),
)
