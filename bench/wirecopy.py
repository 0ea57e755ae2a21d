"""A synthetic wire-copy set for the duplicate detector, built from a clean reference corpus (BBC).

Every source article is in the set once ("original"); `n_stories` of them also get 1-3 copies
each, the way a wire story reaches several outlets or is re-scraped: each copy takes one or more
of these edits (seeded, recorded per copy in `ops`):

    headline    another headline: an outlet tag ("UPDATE 2-", "EXCLUSIVE-") or suffix, or a
                headline cut from the first sentence
    furniture   1-3 outlet lines (share/follow prompts, wire credits, copyright, 'Advertisement',
                a byline, and lines no boilerplate rule knows, like 'Additional reporting by ...')
    entities    mangled HTML entities and mojibake (bench.corpus damage, repaired by the pipeline)
    drop_para   one paragraph other than the first removed
    reorder     one paragraph moved to another place
    truncate    the copy ends after a share of its paragraphs (uniform 50-95%)

The raw documents (headline line, blank line, paragraphs) are meant to go through
`pipeline.core.clean_text`, as the pipeline would, before they are signed. What counts as a
duplicate is not decided here: the report measures against brute-force Jaccard over all pairs.
Public entry point: `build_wirecopy`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import Article, _damage, load_articles

OPS = ("headline", "furniture", "entities", "drop_para", "reorder", "truncate")
OP_RATES = {"headline": 0.6, "furniture": 0.6, "entities": 0.5, "drop_para": 0.3, "reorder": 0.3,
            "truncate": 0.3}
ENTITY_RATES = {"entity_quot": 0.4, "entity_apos": 0.4, "entity_double": 0.2, "mojibake": 0.3}

_TAGS = ("UPDATE 1-", "UPDATE 2-", "EXCLUSIVE-", "WRAPUP 1-", "Breaking: ", "Analysis: ")
_SUFFIXES = (" - report", " | World News", " (updated)", " - sources")
_OUTLETS = ("Daily Courier", "Northern Times", "The Evening Star", "Metro Wire", "City Herald")
_FURNITURE = (
    "Share this article", "Follow us on Twitter and Facebook", "Advertisement",
    "Sign up for our morning newsletter to get the news in your inbox",
    "(Reporting by {name}; Editing by {name2})", "By {name}, {outlet}",
    "Copyright 2005 {outlet}. All rights reserved.",
    # Lines no boilerplate rule removes: they stay in the clean text and cost a few shingles.
    "Additional reporting by agencies.", "This story has been updated.",
    "{outlet} contributed to this report.",
)
_NAMES = ("Alex Morgan", "Sam Patel", "Jordan Lee", "Chris Evans", "Maria Lopez", "Dana Kim")


@dataclass(frozen=True)
class WireDoc:
    key: str  # "orig/<source path>" or "wire/<n>" (sorts after the originals: first seen)
    raw: str  # headline, blank line, paragraphs separated by blank lines
    origin: str | None  # the original's key for a copy
    ops: tuple[str, ...] = field(default=())


def _headline(art: Article, rng: random.Random) -> str:
    u = rng.random()
    if u < 0.4:
        return rng.choice(_TAGS) + art.headline
    if u < 0.7:
        return art.headline + rng.choice(_SUFFIXES)
    words = art.paragraphs[0].split()[:rng.randrange(6, 11)]
    return " ".join(words).rstrip(".,;:")


def _furniture(rng: random.Random) -> str:
    return rng.choice(_FURNITURE).format(name=rng.choice(_NAMES), name2=rng.choice(_NAMES),
                                         outlet=rng.choice(_OUTLETS))


def _copy(art: Article, rng: random.Random, headlines: list[str]) -> tuple[str, tuple[str, ...]]:
    ops = [op for op in OPS if rng.random() < OP_RATES[op]] or [rng.choice(OPS)]
    if len(art.paragraphs) < 3:  # paragraph edits need paragraphs to spare
        ops = [op for op in ops if op not in ("drop_para", "reorder", "truncate")] or ["headline"]
    paras = list(art.paragraphs)
    if "entities" in ops:
        paras, _, _ = _damage(Article(art.source, art.headline, tuple(paras)), rng, ENTITY_RATES,
                              headlines)
    if "drop_para" in ops:
        del paras[rng.randrange(1, len(paras))]
    if "reorder" in ops:
        i = rng.randrange(1, len(paras))
        p = paras.pop(i)
        paras.insert(rng.choice([j for j in range(1, len(paras) + 1) if j != i] or [i]), p)
    if "truncate" in ops:
        keep = max(1, round(len(paras) * rng.uniform(0.5, 0.95)))
        paras = paras[:keep]
    if "furniture" in ops:
        for _ in range(rng.randrange(1, 4)):
            paras.insert(rng.choice((1, len(paras), len(paras))), _furniture(rng))
    head = _headline(art, rng) if "headline" in ops else art.headline
    return head + "\n\n" + "\n\n".join(paras) + "\n", tuple(ops)


def build_wirecopy(source: Path | list[Article], n_stories: int = 600, seed: int = 0
                   ) -> list[WireDoc]:
    """Originals (every article of `source`, in its order) then the copies, deterministic for
    (source, n_stories, seed)."""
    articles = load_articles(Path(source)) if not isinstance(source, list) else source
    rng = random.Random(seed)
    headlines = [a.headline for a in articles]
    docs = [WireDoc(f"orig/{a.source}", a.headline + "\n\n" + "\n\n".join(a.paragraphs) + "\n",
                    None) for a in articles]
    n = 0
    for art in rng.sample(articles, min(n_stories, len(articles))):
        for _ in range(rng.choice((1, 1, 2, 3))):
            raw, ops = _copy(art, rng, headlines)
            docs.append(WireDoc(f"wire/{n:05d}", raw, f"orig/{art.source}", ops))
            n += 1
    return docs
