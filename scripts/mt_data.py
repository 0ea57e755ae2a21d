"""Data and held-out split for the MT detector (training and reporting share it; not shipped code).

Rows: the WMT documents of ../shared/realdev/mt (kinds mt / human_translation / original) and the
BBC articles of ../shared/corpora/bbc-news (kind original, pair "bbc"). Each text is what the
pipeline's MT step sees: `pipeline.core.clean_text(raw).text` (repair, title split, boilerplate).

Split (leave one source language out), folds named by the held-out source language:
- fold L holds out every row of the pair L-en (its MT and its human references);
- the liv fold also holds out the en-liv originals: they are the English source of the liv-en
  test set, so liv-en MT is the same content as en-liv (keeping them apart would leak content);
- en-X, en-hr and BBC originals are spread over the five folds by a seeded hash of
  (pair, doc_id), so each original is scored once, by a model that never saw it;
- systems: the training side of fold L drops every MT row whose system name also occurs in the
  held-out pair (Online-A of cs-en is not seen when cs-en is held out, nor are HuaweiTSC etc.),
  so the held-out systems are unseen too, by name.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
MT_DOCS = SHARED / "realdev" / "mt" / "docs.jsonl.gz"
BBC_DIR = SHARED / "corpora" / "bbc-news"
FOLDS = ("cs", "de", "is", "liv", "uk")
SPLIT_SEED = "mt-split-1"


@dataclass
class Row:
    id: str
    pair: str  # cs-en ... / en-X, en-hr, en-liv / bbc
    kind: str  # mt | human_translation | original
    system: str | None
    domain: str | None
    group: str  # pair:doc_id (liv-en and en-liv share one group per doc)
    fold: str  # the fold in which this row is held out
    text: str  # clean text (what flag_mt sees)
    lang: str = "en"  # the pipeline's language tag of the clean text


def _fold_of(pair: str, doc_id: str) -> str:
    src = pair.split("-")[0]
    if pair.endswith("-en") and src in FOLDS:
        return src
    if pair == "en-liv":
        return "liv"
    h = hashlib.blake2b(f"{SPLIT_SEED}:{pair}:{doc_id}".encode(), digest_size=8).digest()
    return FOLDS[int.from_bytes(h, "big") % len(FOLDS)]


def load_rows(clean: bool = True, bbc: bool = True) -> list[Row]:
    from pipeline.core import clean_text

    def prep(raw: str) -> tuple[str, str]:
        if not clean:
            return raw, "en"
        c = clean_text(raw)
        return c.text, c["lang"]

    rows = []
    with gzip.open(MT_DOCS, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            pair = d["pair"]
            gpair = "liv" if pair in ("liv-en", "en-liv") else pair
            rows.append(Row(d["id"], pair, d["kind"], d["system"], d["domain"],
                            f"{gpair}:{d['doc_id']}", _fold_of(pair, str(d["doc_id"])),
                            *prep(d["text"])))
    if bbc:
        from pipeline.refcorpus import load_articles

        for a in load_articles(BBC_DIR):
            rows.append(Row("bbc." + a.path, "bbc", "original", None, "news", "bbc:" + a.path,
                            _fold_of("bbc", a.path), *prep(a.text)))
    return rows


def held_out_pair(fold: str) -> str:
    return f"{fold}-en"


def train_mask(rows: list[Row], fold: str) -> list[bool]:
    """Rows a model for `fold` may train on: not held out, and no MT system of the held-out pair."""
    pair = held_out_pair(fold)
    unseen = {r.system for r in rows if r.pair == pair and r.kind == "mt"}
    return [r.fold != fold and not (r.kind == "mt" and r.system in unseen) for r in rows]


def cached_rows(path: Path = Path("/tmp/mt_rows2.json")) -> list[Row]:
    """load_rows() cached on disk for interactive work (clean_text over 20k docs takes a while)."""
    if path.exists():
        return [Row(**d) for d in json.loads(path.read_text("utf-8"))]
    rows = load_rows()
    path.write_text(json.dumps([r.__dict__ for r in rows]), "utf-8")
    return rows
