"""A tiny synthetic source folder of clean English 'articles' (made-up sentences, no real text),
in the layout `bench.corpus` reads. For tests and smoke runs that must not need ../shared.

Every article has straight double quotes around a quoted phrase, apostrophes, a sentence starting
'The', a 'who was' clause, and one in three a non-ASCII word, so every damage type applies.
"""
from __future__ import annotations

import random
from pathlib import Path

_SUBJECTS = ("The council", "The company", "The minister", "The club", "The committee", "Local police",
             "The bank", "The union", "The museum", "The regulator")
_VERBS = ("announced", "confirmed", "rejected", "approved", "reviewed", "postponed", "welcomed")
_OBJECTS = ("a new plan for the town centre", "the budget for next year", "changes to the rules",
            "a deal with its suppliers", "the report on local schools", "plans for a new stadium")
_TAILS = ("on Monday", "after a long debate", "despite strong criticism", "earlier this week",
          "following months of talks", "in a statement to reporters")
_NON_ASCII = ("café", "£5m", "naïve", "résumé", "€20")


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."


def write_source(folder: Path, n_articles: int = 20, seed: int = 0) -> Path:
    """Write `n_articles` files under folder/news/ and return `folder`."""
    rng = random.Random(seed)
    (Path(folder) / "news").mkdir(parents=True, exist_ok=True)
    for k in range(n_articles):
        paras = []
        for j in range(rng.randrange(3, 6)):
            sents = [_sentence(rng) for _ in range(rng.randrange(2, 4))]
            if j == 0:
                sents.append('A spokesman said it was "a good day for everyone" and that it\'s '
                             "only the start.")
            if j == 1:
                sents.append("The chairman, who was elected last year, didn't comment.")
            if k % 3 == 0 and j == 2:
                sents.append(f"The {rng.choice(_NON_ASCII)} figure was noted.")
            paras.append(" ".join(sents))
        headline = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} plan {k}"
        (Path(folder) / "news" / f"{k:03d}.txt").write_text(
            headline + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    return Path(folder)
