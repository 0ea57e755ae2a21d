"""The benchmark corpus builder: deterministic, the requested size, damage at the requested rates,
and a manifest that matches the files. Uses a synthetic source made in tmp_path (no ../shared)."""
from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

import pytest

from bench.corpus import DAMAGE, build_corpus
from bench.synthetic import write_source
from pipeline.storage.planning import discover
from pipeline.readers import RawRecord, read_file


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return write_source(tmp_path_factory.mktemp("src"), n_articles=30, seed=3)


def _files(drop: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(drop.iterdir())}


def _documents(drop: Path) -> dict[tuple[str, int], str]:
    docs = {}
    for p in sorted(drop.iterdir()):
        if p.name.endswith(".txt"):
            docs[(p.name, 0)] = p.read_text(encoding="utf-8")
        else:
            with gzip.open(p, "rt", encoding="utf-8") as fh:
                for i, line in enumerate(fh):
                    docs[(p.name, i)] = json.loads(line)["text"]
    return docs


def test_same_seed_same_bytes_other_seed_other_bytes(source, tmp_path):
    a = build_corpus(source, tmp_path / "a", 0.1, seed=7)
    b = build_corpus(source, tmp_path / "b", 0.1, seed=7)
    c = build_corpus(source, tmp_path / "c", 0.1, seed=8)
    fa, fb, fc = (_files(tmp_path / x / "drop") for x in "abc")
    assert fa == fb
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert fa != fc and a["docs"] != c["docs"]
    assert any(n.endswith(".jsonl.gz") for n in fa)  # the JSONL reader is exercised too
    assert b["documents"] == a["documents"]


@pytest.mark.parametrize("size_mb", [0.05, 0.3])
def test_hits_requested_size(source, tmp_path, size_mb):
    m = build_corpus(source, tmp_path / "out", size_mb, seed=1)
    docs = _documents(tmp_path / "out" / "drop")
    total = sum(len(t.encode("utf-8")) for t in docs.values())
    assert total == m["text_bytes"]
    assert len(docs) == m["documents"]
    largest = max(d["bytes"] for d in m["docs"])
    target = size_mb * 1e6
    assert target <= total < target + largest  # stops at the first document past the target
    # Every document reads back through the pipeline's own readers, none rejected.
    drop = tmp_path / "out" / "drop"
    items = [it for f in discover(drop) for it in read_file(drop / f.path, f.path)]
    assert all(isinstance(it, RawRecord) for it in items) and len(items) == m["documents"]


_LOWER_START = re.compile(r"[.!?] (the|he|she|it|they|this|but|in|however|its|we) ")
_MOJIBAKE = ("Ã", "Â", "â€", "â‚")


def _observed(text: str) -> dict[str, int]:
    lines = text.split("\n")
    paras = [p for p in text.split("\n\n") if p.strip()]
    return {
        "entity_quot": text.count(",quot;"),
        "entity_apos": text.count("& # 39;"),
        "entity_double": text.count("&amp;quot;"),
        "mojibake": sum(any(m in p for m in _MOJIBAKE) for p in paras),
        "bp_comment": sum(line in ("Leave A Reply", "Your email address will not be published.")
                          for line in lines),
        "bp_tweet": sum("pic.twitter.com/" in line for line in lines),
        "bp_related": sum(line.startswith("Related: ") for line in lines),
        "mt_pronoun": text.count("who He "),
        "mt_lowercase": len(_LOWER_START.findall(text)),
    }


def test_damage_at_requested_rates_and_manifest_matches_files(source, tmp_path):
    rates = {"entity_quot": 0.2, "entity_apos": 0.3, "entity_double": 0.1, "mojibake": 0.25,
             "bp_comment": 0.3, "bp_tweet": 0.15, "bp_related": 0.2, "mt_pronoun": 0.2,
             "mt_lowercase": 0.25}
    m = build_corpus(source, tmp_path / "out", 0.5, seed=11, rates=rates)
    n = m["documents"]
    assert n > 400
    docs = _documents(tmp_path / "out" / "drop")
    # Per document: what the manifest says was injected is exactly what the file holds.
    for entry in m["docs"]:
        text = docs[(entry["path"], entry["record"])]
        seen = _observed(text)
        for kind in DAMAGE:
            assert seen[kind] == entry["damage"].get(kind, 0), (entry, kind, seen[kind])
        for kind, snippets in entry["snippets"].items():
            assert all(s in text for s in snippets), (entry, kind)
        assert not ("entity_quot" in entry["damage"] and "entity_double" in entry["damage"])
    # Over the corpus: each damage type hits its rate (binomial, 4 standard deviations).
    for kind, rate in rates.items():
        share = sum(kind in d["damage"] for d in m["docs"]) / n
        assert share == m["totals"][kind]["share"]
        assert abs(share - rate) <= 4 * math.sqrt(rate * (1 - rate) / n), (kind, share, rate)


def test_zero_rates_inject_nothing(source, tmp_path):
    m = build_corpus(source, tmp_path / "out", 0.05, seed=2, rates={k: 0.0 for k in DAMAGE})
    assert all(not d["damage"] for d in m["docs"])
    for text in _documents(tmp_path / "out" / "drop").values():
        assert not any(_observed(text).values())
