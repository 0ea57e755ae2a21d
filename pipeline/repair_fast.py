"""When the repair step may skip work: the gates of `pipeline/repair.py`.

The repair passes live in repair.py and ask a gate before each pass (or rule, or line) whether
it can change the text. `Gates` answers "yes" every time: that is `repair_text_reference`, every
pass on every line. `FastGates` answers "no" only when a cheap test proves the pass cannot act:
that is `repair_text`. Both must give identical results; tests/test_repair.py and the bench
check compare them. This module knows nothing of the rules beyond what repair.py hands it, and
imports nothing from the package.

Each FastGates test is exact for its pass: it is true whenever the pass's patterns can match
(docs/repair.md, "Fast path", says why each one is).
"""
from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy import fixes as ftfy_fixes
from ftfy.chardata import C1_CONTROL_RE, CHARMAP_ENCODINGS, LIGATURES, UTF8_CLUES


class Gates:
    """No skipping: every pass, every rule, every line."""

    def pre_ws(self, text: str) -> bool:
        return True

    def crlf(self, text: str) -> bool:
        return True

    def terminal_escape(self, text: str) -> bool:
        return True

    def escapes_and_markup(self, text: str) -> tuple[bool, bool]:
        return True, True

    def markup(self, text: str) -> bool:
        return True

    def entity_passes(self, text: str) -> tuple[bool, bool]:
        return True, True

    def ampless(self, text: str) -> bool:
        return True

    def entities(self, text: str) -> bool:
        return True

    def ftfy(self, text: str) -> bool:
        return True

    def ftfy_line(self, line: str) -> bool:
        return True

    def post_chars(self, text: str) -> bool:
        return True

    def soft_hyphen(self, text: str) -> bool:
        return True

    def line_rules(self, text: str) -> tuple[bool, bool, bool, bool, bool]:
        """(tab, trailing, leading, multi_space, blank_lines) for the text as it is."""
        return True, True, True, True, True

    def blank_lines(self, text: str) -> bool:
        return True

    def residue(self, text: str, ftfy_gate: bool) -> bool:
        return True

    def sentinels(self, text: str) -> bool:
        return True

    def fix_and_explain(self, line: str, config) -> tuple[str, list | None]:
        """ftfy on one line (the pass itself, not a gate: the fast one skips ftfy's work that
        provably changes nothing)."""
        return ftfy.fix_and_explain(line, config)


# Every character a pre-whitespace regex can match: ASCII ones as UTF-8 bytes, plus U+2028/9.
_PRE_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0x7F])
# " \n", "\n " or "\n\n\n" (every pattern starts with "\n", which the regex engine jumps to).
_NEWLINE_SPACE_RE = re.compile(r"\n(?: |\n\n|(?<= \n))")
# Necessary for the comma/leading quot forms of the entity pass when the text has no "&".
_QUOT_GATE_RE = re.compile(r"[qQ][uU][oO][tT][ \t\u00a0]*;")


def _lead_chars(lead_bytes: bytes, encodings: list[str]) -> str:
    chars = {bytes([b]).decode(enc, errors="ignore") for enc in encodings for b in lead_bytes}
    return "".join(sorted(c for c in chars if c and not c.isascii()))


# Every ftfy fix enabled in repair.FTFY_CONFIG needs one of these in the line (docs/repair.md):
# two adjacent non-ASCII chars (a multi-byte UTF-8 sequence read as 1-byte chars); a UTF-8 lead
# char before a space (restore_byte_a0, not macroman; UTF8_DETECTOR_RE's first-of-N chars)
# or before '?' (replace_lossy_sequences, sloppy-* only); C1 controls, surrogates, ligatures,
# U+FFFD; or a line that is not NFC.
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


class FastGates(Gates):
    """Skip a pass when a cheap test proves it cannot change the text."""

    def __init__(self, *, ampless_ends: str, post_chars: str, residue_chars: str, sentinel_end: str):
        # ampless_ends matches every ";" that ends an &-less candidate (repair._AMPLESS_END_RE)
        self._ampless_re = re.compile(ampless_ends)
        self._post_chars_re = re.compile(post_chars)
        # every residue pattern holds one of these (the mojibake leads and U+FFFD)
        self._residue_chars = tuple(residue_chars)
        self._end = sentinel_end

    def pre_ws(self, text: str) -> bool:
        b = text.encode("utf-8", "surrogatepass")  # bytes < 0x80 are exactly the ASCII chars
        return (len(b.translate(None, _PRE_BYTES)) != len(b)
                or "\u2028" in text or "\u2029" in text)

    def crlf(self, text: str) -> bool:
        return "\r" in text

    def terminal_escape(self, text: str) -> bool:
        return "\x1b" in text

    def escapes_and_markup(self, text: str) -> tuple[bool, bool]:
        return "\\" in text, "<" in text

    def markup(self, text: str) -> bool:
        return "<" in text

    def entity_passes(self, text: str) -> tuple[bool, bool]:
        """(ampless, entities) at once: both need a ";", which most texts lack."""
        if ";" not in text:
            return False, False
        return (self._ampless_re.search(text) is not None,
                "&" in text or _QUOT_GATE_RE.search(text) is not None)

    def ampless(self, text: str) -> bool:
        return ";" in text and self._ampless_re.search(text) is not None

    def entities(self, text: str) -> bool:
        # every form of the entity pass ends in ";" and starts with "&" or is a quot form
        return ";" in text and ("&" in text or _QUOT_GATE_RE.search(text) is not None)

    def ftfy(self, text: str) -> bool:
        # No _FTFY_NEEDED_RE match can span a "\n", and "\n" is stable under NFC, so a text
        # passes exactly when every line does.
        return not text.isascii() and (_FTFY_NEEDED_RE.search(text) is not None
                                       or not unicodedata.is_normalized("NFC", text))

    def ftfy_line(self, line: str) -> bool:
        if line.isascii():
            return False
        return bool(_FTFY_NEEDED_RE.search(line)) or not unicodedata.is_normalized("NFC", line)

    def post_chars(self, text: str) -> bool:
        return not text.isascii() and self._post_chars_re.search(text) is not None

    def soft_hyphen(self, text: str) -> bool:
        return "\u00ad" in text

    def line_rules(self, text: str) -> tuple[bool, bool, bool, bool, bool]:
        # Trailing, leading and run-of-spaces rules only remove spaces, so none makes work for
        # another; only a tab (a new space) or an emptied line (a new blank line) does, and
        # repair._post_ws asks again after those. A space before or after a line break and a
        # third line break all sit at a "\n": one search that jumps from "\n" to "\n" tells
        # whether any of them is there (in most texts none is); rfind tests the needle's first
        # char ("\n", rare) first: faster than `in` here.
        if _NEWLINE_SPACE_RE.search(text) is None:
            return "\t" in text, text.endswith(" "), text.startswith(" "), "  " in text, False
        return ("\t" in text, " \n" in text or text.endswith(" "),
                text.rfind("\n ") >= 0 or text.startswith(" "), "  " in text,
                text.rfind("\n\n\n") >= 0)

    def blank_lines(self, text: str) -> bool:
        return text.rfind("\n\n\n") >= 0

    def residue(self, text: str, ftfy_gate: bool) -> bool:
        # Every residue pattern is two adjacent non-ASCII characters or U+FFFD, which the
        # ftfy gate looks for: if it kept ftfy out, only the whitespace rules ran since, and
        # they remove no ASCII character from between two non-ASCII ones (C0 controls go
        # before ftfy), so no residue can have appeared.
        if not ftfy_gate or text.isascii():
            return False
        for c in self._residue_chars:  # str.__contains__ scans in C, far faster than a regex
            if c in text:
                return True
        return False

    def sentinels(self, text: str) -> bool:
        return self._end in text

    def fix_and_explain(self, line: str, config) -> tuple[str, list | None]:
        if not _replica_applies(config):
            return ftfy.fix_and_explain(line, config)
        return _fix_and_explain(line, config)


# `_fix_and_explain` is ftfy 6.3.1's fix_and_explain (the pinned version) for the configurations
# repair uses: the fixers below off, explanations on.
_OFF = ("unescape_html", "fix_character_width", "uncurl_quotes", "fix_line_breaks",
        "remove_terminal_escapes", "remove_control_chars")
_LIGATURE_RE = re.compile("[" + re.escape("".join(chr(c) for c in LIGATURES)) + "]")


def _replica_applies(config) -> bool:
    return (ftfy.__version__ == "6.3.1" and config.explain and config.fix_encoding
            and not any(getattr(config, name) for name in _OFF))


def _fix_and_explain(text: str, config) -> tuple[str, list]:
    """ftfy.fix_and_explain with two shortcuts that change no result:
    - fix_latin_ligatures (a str.translate over the whole line, the slowest of the fixers) runs
      only when the line holds a ligature: without one it returns the line as it is;
    - ftfy repeats all its fixes until a pass changes nothing. When only the encoding fix
      changed the line in a pass, the next pass would change nothing more: fix_encoding stopped at
      a text its one step leaves alone, and the other fixers and NFC already left that text
      alone. The one exception is a text with C1 controls that stay (cp1252 has no character for
      them), where each encoding pass records a fix_c1_controls step again: it gets the next
      pass as ftfy runs it."""
    steps: list = []
    while True:
        orig = text
        text, encoding_steps = ftfy.fix_encoding_and_explain(text, config)
        if encoding_steps is not None:
            steps.extend(encoding_steps)
        encoded = text
        if config.fix_c1_controls:
            text = _apply(ftfy_fixes.fix_c1_controls, "fix_c1_controls", text, steps)
        if config.fix_latin_ligatures and _LIGATURE_RE.search(text):
            text = _apply(ftfy_fixes.fix_latin_ligatures, "fix_latin_ligatures", text, steps)
        if config.fix_surrogates:
            text = _apply(ftfy_fixes.fix_surrogates, "fix_surrogates", text, steps)
        if config.normalization is not None:
            fixed = unicodedata.normalize(config.normalization, text)
            if fixed != text:
                steps.append(ftfy.ExplanationStep("normalize", config.normalization))
            text = fixed
        if text == orig or (text == encoded and not C1_CONTROL_RE.search(text)):
            return text, steps


def _apply(fixer, name: str, text: str, steps: list) -> str:
    fixed = fixer(text)
    if fixed != text:
        steps.append(ftfy.ExplanationStep("apply", name))
    return fixed
