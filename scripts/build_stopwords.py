"""Rebuild pipeline/rules/stopwords.txt from jusText's stop-word lists (BSD licence; jusText is a
pinned dependency of trafilatura, see pyproject.toml).

Usage: python -m scripts.build_stopwords

The boilerplate classifier uses stop-word density as jusText does: article prose is dense in
function words, menus and link titles are not. The file holds one line per language,
`Language<TAB>word word ...`, for the languages news drops mostly come in; the step picks, per
document, the language whose list covers most of its words.
"""
from __future__ import annotations

import sys
from pathlib import Path

import re
from importlib.metadata import version

import justext

LANGUAGES = [
    "English", "German", "French", "Spanish", "Portuguese", "Italian", "Dutch", "Russian",
    "Polish", "Czech", "Slovak", "Swedish", "Danish", "Norwegian_Bokmal", "Finnish", "Turkish",
    "Indonesian", "Romanian", "Hungarian", "Greek", "Ukrainian", "Bulgarian", "Croatian",
    "Serbian", "Slovenian", "Catalan", "Vietnamese", "Arabic", "Persian",
]
_WORD = re.compile(r"[\w'’-]+")
OUT = Path(__file__).resolve().parents[1] / "pipeline" / "rules" / "stopwords.txt"


def main() -> int:
    lines = [f"# stop-word lists from jusText {version('justext')} (BSD licence); rebuilt by"
             " scripts/build_stopwords.py"]
    for lang in LANGUAGES:
        # the step compares lower-cased words stripped of punctuation: entries like '(born' never match
        words = sorted({w.lower() for w in justext.get_stoplist(lang) if _WORD.fullmatch(w)})
        lines.append(lang + "\t" + " ".join(words))
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"{OUT}: {len(LANGUAGES)} languages, {OUT.stat().st_size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
