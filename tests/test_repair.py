"""Tests for pipeline/repair.py: entity catalog, whitespace rules, precision, spans, fast path."""
from __future__ import annotations

import html
import random
import re
import tomllib
from pathlib import Path

import pytest

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-* codecs used below)
from ftfy.chardata import CHARMAP_ENCODINGS
from pipeline import repair
from pipeline.refcorpus import load_articles
from pipeline.repair import _whitespace_only, repair_text, repair_text_reference

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "raw" / "sample-2020-01-09"
SHARED = Path(__file__).resolve().parents[2] / "shared"
BBC_DIR = SHARED / "corpora" / "bbc-news"
HEADER = re.compile(r"^ date \d{4}-\d{2}-\d{2} ")
RESIDUE = re.compile(r",quot;|quot;|& ?#|&\s+\w+\s*;|&amp;", re.IGNORECASE)


def seed(n: int) -> str:
    path = next(SEED_DIR.glob(f"{n:03d}_*.txt"))
    return HEADER.sub("", path.read_text("utf-8"))


def rules(res) -> dict[str, int]:
    return dict(res.repairs)


# (input, expected text, rule that must fire)
VARIANTS = [
    # spaced numeric, every spacing
    ("it& # 39;s", "it's", "entity_spaced_numeric"),
    ("it& # 39 ;s", "it's", "entity_spaced_numeric"),
    ("it& #39;s", "it's", "entity_spaced_numeric"),
    ("it&# 39;s", "it's", "entity_spaced_numeric"),
    ("it&#39 ;s", "it's", "entity_spaced_numeric"),
    ("it& # 039;s", "it's", "entity_spaced_numeric"),
    ("it& # 8217;s", "it\u2019s", "entity_spaced_numeric"),
    ("it& #x2019;s", "it\u2019s", "entity_spaced_numeric"),
    ("it& # X2019;s", "it\u2019s", "entity_spaced_numeric"),
    ("1990& #8211;99", "1990\u201399", "entity_spaced_numeric"),
    ("say & # 34;hi", 'say "hi', "entity_spaced_numeric"),
    # gaps left by the mangling
    ("isn& # 39; t", "isn't", "entity_gap"),
    ("isn & # 39; t", "isn't", "entity_gap"),
    ("it& # 39; s", "it's", "entity_gap"),
    ("we& # 39; re", "we're", "entity_gap"),
    ("don& rsquo; t", "don\u2019t", "entity_gap"),
    ("& # 39; Calibrated response & # 39;", "'Calibrated response'", "entity_gap"),
    ("a & quot; b c & quot; d", 'a "b c" d', "entity_gap"),
    ("& # 8220; hi there & # 8221;", "\u201chi there\u201d", "entity_gap"),
    # spaced / mis-cased named references
    ("Tom & amp; Jerry", "Tom & Jerry", "entity_spaced_named"),
    ("Tom & Amp; Jerry", "Tom & Jerry", "entity_spaced_named"),
    ("Tom & AMP ; Jerry", "Tom & Jerry", "entity_spaced_named"),
    ("Tom &Amp; Jerry", "Tom & Jerry", "entity_case_named"),
    ("say & quot ;hi& quot ;", 'say "hi"', "entity_spaced_named"),
    ("a& nbsp;b", "a b", "entity_spaced_named"),
    ("it& rsquo;s", "it\u2019s", "entity_spaced_named"),
    ("a & mdash; b", "a \u2014 b", "entity_spaced_named"),
    ("wait& hellip;", "wait\u2026", "entity_spaced_named"),
    ("& ldquo;Yes& rdquo;", "\u201cYes\u201d", "entity_spaced_named"),
    ("Jos& eacute;", "Jos\u00e9", "entity_spaced_named"),
    ("P&EACUTE;REZ", "P\u00c9REZ", "entity_plain"),
    ("P&eACUTE;rez", "P\u00e9rez", "entity_case_named"),
    # comma and leading quot forms
    ('he "seems to be retreating,quot; after', 'he "seems to be retreating" after', "entity_comma_quot"),
    ("a quot;word,quot; b", 'a "word" b', "entity_leading_quot"),
    ("quot;Word,QUOT; b", '"Word" b', "entity_comma_quot"),
    # double and deeper escaping, to a fixed point
    ("&amp;quot;x&amp;quot;", '"x"', "entity_double_escaped"),
    ("it&amp;#39;s", "it's", "entity_double_escaped"),
    ("AT&amp;amp;T", "AT&T", "entity_double_escaped"),
    ("&amp;amp;amp;quot;", '"', "entity_double_escaped"),
    ("&#38;quot;x", '"x', "entity_double_escaped"),
    ("& amp;#39;", "'", "entity_double_escaped"),
    # plain entities
    ("&quot;a&quot; &#39;b&#39;", "\"a\" 'b'", "entity_plain"),
    ("Jos&#233; Mourinho", "Jos\u00e9 Mourinho", "entity_plain"),
    ("&#163;8m", "\u00a38m", "entity_plain"),
    ("&lt;(", "<(", "entity_plain"),
    ("AT&amp;T", "AT&T", "entity_plain"),
    ("x <b> &amp; y", "x <b> & y", "entity_plain"),  # ftfy's "auto" would stop at '<'
    ("Blair&#191;s government", "Blair's government", "entity_apostrophe_191"),
    ("Caf&#195;&#169;", "Caf\u00e9", "ftfy:fix_encoding"),  # entity-encoded mojibake
    # mojibake (ftfy), curly quotes kept
    ("Iran\u00e2\u20ac\u2122s", "Iran\u2019s", "ftfy:fix_encoding"),
    ("\u00c3\u00a9t\u00c3\u00a9", "\u00e9t\u00e9", "ftfy:fix_encoding"),
    ("voil\u00c3 le travail", "voil\u00e0 le travail", "ftfy:restore_byte_a0"),
    ("\ufb01ne", "fine", "ftfy:fix_latin_ligatures"),
]


@pytest.mark.parametrize("text,expected,rule", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variant(text, expected, rule):
    res = repair_text(text)
    assert res.text == expected
    assert rule in rules(res)
    assert repair_text_reference(text).text == expected


MANGLED = {"entity_spaced_numeric", "entity_spaced_named", "entity_case_named",
           "entity_comma_quot", "entity_leading_quot"}


@pytest.mark.parametrize("text,expected,rule", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_spans_point_at_repaired_chars(text, expected, rule):
    res = repair_text(text)
    mangled = sum(n for r, n in res.repairs if r in MANGLED)
    for r, start, end in res.spans:
        assert r in MANGLED | {"entity_double_escaped"}
        assert 0 <= start < end <= len(res.text)
        assert res.text[start:end] in "'\"&\u2019\u201c\u201d\u2013\u2014\u2026\u00e9"
    if "nbsp" not in text:  # a repair that became a space has no char to point at
        assert len(res.spans) >= mangled
    if not mangled and "& " not in text:
        assert res.spans == []


def test_span_offsets_exact():
    res = repair_text("He isn& # 39; t here,quot; and & # 39; Quoted text & # 39; end")
    assert res.text == "He isn't here\" and 'Quoted text' end"
    got = [(r, res.text[s:e], s) for r, s, e in res.spans]
    assert got == [
        ("entity_spaced_numeric", "'", 6),
        ("entity_comma_quot", '"', 13),
        ("entity_spaced_numeric", "'", 19),
        ("entity_spaced_numeric", "'", 31),
    ]


LOOKALIKES = [
    "AT&T said so.",
    "Procter & Gamble shares rose.",
    "R&D spending and a Q&A session.",
    "She likes red & bull; he does not.",
    "the Department for Business & Trade; then",
    "dollar & pound; euro & yen;",
    "Ernst & Young, Standard & Poor's, S&P, B&B.",
    "an aliquot; of the sample was quoted",
    "the quota and the quote",
    "&copy 2020 and &amp without semicolons",
    "x&y; z&Gamble; &foo;",
    "Iran & the Iranian culture.",
    "Rock & roll & blues",
    "ranked & #1; in the poll, & #MeToo; & #x;",
    "£5 and €10 at the café: “fine” — it’s done…",
    "Москва и Αθήνα, 東京。",
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalikes_untouched(text):
    res = repair_text(text)
    assert res.text == text
    assert res.repairs == []
    assert res.spans == []


def test_undamaged_multiparagraph_text_passes_unchanged():
    text = "Headline here\n\nFirst paragraph, with “quotes”.\n\n- item one\n- item two"
    res = repair_text(text)
    assert res.text == text
    assert res.repairs == []


WHITESPACE = [
    ("\ufeffHello", "Hello", "ws_bom"),
    ("a\r\nb\rc", "a\nb\nc", "ws_crlf"),
    ("a\u2028b\u2029c", "a\nb\n\nc", "ws_line_sep"),
    ("a\u00a0b\u202fc", "a b c", "ws_nbsp"),
    ("a\u2003b\u3000c\u2009d", "a b c d", "ws_unicode_space"),
    ("a\tb", "a b", "ws_tab"),
    ("a\u200bb\u2060c\ufeffd", "abcd", "ws_zero_width"),
    ("co\u00adoperate", "cooperate", "ws_soft_hyphen"),
    ("a\x00b\x07c\x7fd", "abcd", "ws_control"),
    ("a\x1b[31mred\x1b[0m", "ared", "ws_terminal_escape"),
    ("a  \nb", "a\nb", "ws_trailing"),
    ("  a\n b", "a\nb", "ws_leading"),
    ("a   b  c", "a b c", "ws_multi_space"),
    ("a\n\n\n\nb", "a\n\nb", "ws_blank_lines"),
    ("\n\na\n\n", "a", "ws_blank_lines"),
    ("a\n \n\t\nb", "a\n\nb", "ws_blank_lines"),
]


@pytest.mark.parametrize("text,expected,rule", WHITESPACE, ids=[w[2] + repr(w[0]) for w in WHITESPACE])
def test_whitespace_rules(text, expected, rule):
    res = repair_text(text)
    assert res.text == expected
    assert rule in rules(res)
    assert repair_text_reference(text).text == expected


def test_whitespace_counts():
    res = repair_text("a\u00a0b\u00a0c\r\nd\r\ne  f   g")
    assert rules(res) == {"ws_nbsp": 2, "ws_crlf": 2, "ws_multi_space": 2}


def test_zero_width_joiners_kept():
    # ZWNJ is orthographic in Persian; ZWJ builds emoji sequences.
    text = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f468\u200d\U0001f469"
    assert repair_text(text).text == text


def test_single_final_newline_is_not_a_repair():
    res = repair_text("Clean text.\n")
    assert res.text == "Clean text."
    assert res.repairs == []


def test_rules_version_comes_from_catalog():
    data = tomllib.loads((ROOT / "pipeline" / "rules" / "entities.toml").read_text("utf-8"))
    assert repair.RULES_VERSION.startswith(f"entities-{data['version']}+")
    assert repair.NAME == "repair"


def test_repairs_in_stable_order():
    res = repair_text("x &#233; y\u00a0z & # 39;s ,quot; \u00e2\u20ac\u2122")
    names = [r for r, _ in res.repairs]
    assert len(names) == len(set(names))
    entity = [n for n in names if n.startswith("entity_")]
    ws = [n for n in names if n.startswith("ws_")]
    ftfy_rules = [n for n in names if n.startswith("ftfy:")]
    assert entity and ftfy_rules and ws
    assert names == entity + ftfy_rules + ws
    assert repair_text("x &#233; y\u00a0z & # 39;s ,quot; \u00e2\u20ac\u2122").repairs == res.repairs


# --- seeds --------------------------------------------------------------------------------
def test_seed_000():
    res = repair_text(seed(0))
    assert '"seems to be retreating"' in res.text
    lines = res.text.split("\n")
    assert "'Calibrated response'" in lines
    assert "'Full-fledged confrontation'" in lines
    assert '"maximum pressure" campaign' in res.text
    r = rules(res)
    assert r["entity_comma_quot"] == 8
    assert r["entity_spaced_numeric"] == 4
    assert len(res.spans) == 12
    for _, start, end in res.spans:
        assert res.text[start:end] in {'"', "'"}


@pytest.mark.parametrize("n", range(5))
def test_seed_no_residue_and_output_contract(n):
    res = repair_text(seed(n))
    assert not RESIDUE.search(res.text), RESIDUE.search(res.text)
    assert res.text == res.text.strip("\n")
    assert "\n\n\n" not in res.text
    assert not re.search(r" +$|^ +|  ", res.text, re.MULTILINE)
    assert "\u00a0" not in res.text


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_clean_seeds_only_whitespace_changes(n):
    text = seed(n)
    res = repair_text(text)
    assert [r for r, _ in res.repairs if not r.startswith("ws_")] == []
    assert res.text == _whitespace_only(text)
    assert "Iran & the Iranian culture" in res.text or n != 4


@pytest.mark.parametrize("n", range(5))
def test_seed_fast_equals_reference(n):
    text = seed(n)
    assert repair_text(text).text == repair_text_reference(text).text


# --- fixed point ----------------------------------------------------------------------------
FIXED_POINT_INPUTS = [v[0] for v in VARIANTS] + [w[0] for w in WHITESPACE] + [
    "&amp;amp;amp;amp;#39;", "& amp; amp;quot;", "&amp;lt;b&amp;gt;",
]


@pytest.mark.parametrize("text", FIXED_POINT_INPUTS)
def test_fixed_point(text):
    once = repair_text(text).text
    twice = repair_text(once)
    assert twice.text == once
    assert twice.repairs == []


@pytest.mark.parametrize("n", range(5))
def test_seed_fixed_point(n):
    once = repair_text(seed(n)).text
    assert repair_text(once).text == once
    assert repair_text(once).repairs == []


# --- fast path ------------------------------------------------------------------------------
def _mojibake_samples() -> list[str]:
    words = ["café", "naïve", "don’t", "“quoted”", "€5", "£10", "São Paulo", "Москва", "Αθήνα",
             "東京", "🙂 ok", "à la", "Gàidhlig", "fiancée", "—dash–", "…", "ﬁne", "e\u0301",
             "l’été", "x\u00a0y"]
    out = []
    for w in words:
        for enc in CHARMAP_ENCODINGS:
            m = w.encode("utf-8").decode(enc, errors="replace")
            for v in {m, m.replace("\xa0", " "), m[:-1] + "?", m.replace("\u20ac", "\ufffd")}:
                out += [v, f"He said {v} today", f"x{v}y ?", f"{w} {v}"]
    rng = random.Random(7)
    out += [" ".join(rng.choice(out) for _ in range(3)) for _ in range(500)]
    return out


def test_fast_equals_reference_on_generated_mojibake():
    mismatches = [s for s in _mojibake_samples()
                  if repair_text(s).text != repair_text_reference(s).text]
    assert mismatches == []


def test_random_entity_soup_is_safe_and_stable():
    rng = random.Random(3)
    atoms = ["&", "#", " ", ";", "quot", ",", "amp", "39", "x2019", "a", "é", "\n", "\u00a0",
             "Ã", "©", "?", "lt", "191", "s", "t", "'", '"', "\u2019", "0", "\ufffd"]
    for _ in range(3000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 25)))
        res = repair_text(text)
        assert res.text == repair_text_reference(text).text, repr(text)
        assert "\x03" not in res.text and not re.search("[\x0e-\x1f]", res.text), repr(text)
        for _, start, end in res.spans:
            assert 0 <= start < end <= len(res.text)


def test_fast_path_skips_ftfy_on_clean_lines(monkeypatch):
    calls = []
    real = repair._ftfy_line
    monkeypatch.setattr(repair, "_ftfy_line",
                        lambda line, c, gates: calls.append(line) or real(line, c, gates))
    repair_text("plain ascii\n\n£5 and “quotes”\n\nIran\u00e2\u20ac\u2122s")
    assert calls == ["Iran\u00e2\u20ac\u2122s"]


# --- BBC corpus (false positives) -----------------------------------------------------------
def _bbc_docs():
    if not SHARED.exists():
        pytest.skip("../shared not available")
    docs = [(BBC_DIR / a.path, a.text) for a in load_articles(BBC_DIR)]
    assert len(docs) == 1824
    return docs


_PLAIN_ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def _oracle(text: str) -> str:
    """Independent expectation: decode ordinary entities (&#191; between letters -> ')."""
    def dec(m: re.Match) -> str:
        s, e = m.span()
        if (m.group() == "&#191;" and text[s - 1:s].isalpha() and text[e:e + 1].isalpha()):
            return "'"
        return html.unescape(m.group())
    return _whitespace_only(_PLAIN_ENTITY.sub(dec, text))


@pytest.mark.needs_shared
def test_bbc_only_whitespace_and_true_entity_repairs():
    changed = expected_changed = 0
    for path, text in _bbc_docs():
        expected_changed += bool(_PLAIN_ENTITY.search(text))
        res = repair_text(text)
        content = {r for r, _ in res.repairs if not r.startswith("ws_")}
        assert content <= {"entity_plain", "entity_apostrophe_191"}, (path, res.repairs)
        assert res.text == _oracle(text), path
        assert res.spans == [], path
        changed += bool(content)
    assert changed == expected_changed > 0


@pytest.mark.needs_shared
def test_bbc_fast_equals_reference():
    bad = [p for p, t in _bbc_docs() if repair_text(t).text != repair_text_reference(t).text]
    assert bad == []
