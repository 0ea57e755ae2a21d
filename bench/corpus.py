"""Build a benchmark drop: clean articles with damage injected at known rates, plus a manifest.

Source: a folder of clean articles (`*.txt`, headline on line 1, blank line, paragraphs separated
by blank lines; UTF-8, or cp1252 when not). Articles are drawn with replacement until the drop
holds `size_mb` million bytes of UTF-8 text. Each document independently gets each damage type
with the probability in `RATES` (share of documents), when it applies (see `DAMAGE`):

    entity_quot     every closing '"' (after a non-space, before space/punctuation) becomes ',quot;' (MT engines' broken &quot;)
    entity_apos     every apostrophe becomes '& # 39;' (spaced numeric reference)
    entity_double   every '"' becomes '&amp;quot;' (double escaping); never together with entity_quot
    mojibake        one paragraph is encoded UTF-8 and decoded cp1252 (its ASCII quotes, apostrophes
                    and ' - ' dashes are made typographic first, so every paragraph can carry it)
    bp_comment      comment form appended: 'Leave A Reply' + 'Your email address will not be published.'
    bp_tweet        embedded tweet line between paragraphs: '... pic.twitter.com/XXXX — Name (@handle) Month D, YYYY'
    bp_related      'Related: <another article's headline>' between paragraphs
    mt_pronoun      'who He was' (a capitalized pronoun after a relative word), once
    mt_lowercase    up to two sentence starts lowercased ('. The' -> '. the')

About half of the documents start with the date header ' date YYYY-MM-DD '. Most documents are
one .txt file each; `jsonl_share` of them go into .jsonl.gz files (JSONL_BATCH records each) to
exercise that reader. Output, deterministic for (source, size_mb, seed, rates):

    <out>/drop/            the drop folder (what `corpus-clean run` reads)
    <out>/manifest.json    parameters, totals per damage type, and one entry per document:
                           path, record, source, bytes, damage {type: count}, snippets

Public entry point: `build_corpus`.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers 'sloppy-windows-1252': cp1252 that maps every byte)

DAMAGE = ("entity_quot", "entity_apos", "entity_double", "mojibake", "bp_comment", "bp_tweet",
          "bp_related", "mt_pronoun", "mt_lowercase")
RATES = {"entity_quot": 0.10, "entity_apos": 0.06, "entity_double": 0.03, "mojibake": 0.05,
         "bp_comment": 0.12, "bp_tweet": 0.05, "bp_related": 0.08, "mt_pronoun": 0.05,
         "mt_lowercase": 0.06}
JSONL_BATCH = 100
MANIFEST_VERSION = 1

COMMENT_LINES = ("Leave A Reply", "Your email address will not be published.")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_TWEET_TEXTS = ("Big day ahead for the team", "Thank you all for the support tonight",
                "Watch the full interview here", "We will not stop until the job is done",
                "Proud of everyone involved")
_NAMES = ("Alex Morgan", "Sam Patel", "Jordan Lee", "Chris Evans", "Maria Lopez", "Dana Kim")
# Synthetic sentences (not source text) used when a document has no 'who was|is|had|has' to bend.
_WHO_HE = ("The spokesman, who He was not authorised to speak, confirmed the figures.",
           "A resident who He was at the scene described the damage.",
           "The minister, who He was appointed last year, declined to comment.")
_WHO_RE = re.compile(r"\bwho (?=(?:was|is|had|has)\b)")
_LOWER_RE = re.compile(r"(?<=[.!?] )(The|He|She|It|They|This|But|In|However|Its|We)(?= )")
_QUOTE_PAIR_RE = re.compile(r'"([^"\n]*)"')
_CLOSING_QUOTE_RE = re.compile(r'(?<=\S)"(?=[\s.,;:!?)]|\Z)')


@dataclass(frozen=True)
class Article:
    source: str  # path relative to the source folder
    headline: str
    paragraphs: tuple[str, ...]


def load_articles(source: Path) -> list[Article]:
    """Every `*.txt` under `source` (sorted), split into headline and paragraphs."""
    out = []
    for path in sorted(Path(source).rglob("*.txt")):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        blocks = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
        if len(blocks) < 2:
            continue
        paras = tuple(" ".join(b.split("\n")) for b in blocks[1:])
        out.append(Article(path.relative_to(source).as_posix(), blocks[0].strip(), paras))
    if not out:
        raise ValueError(f"no usable articles (*.txt with a headline and paragraphs) under {source}")
    return out


def _typographic(p: str) -> str:
    p = _QUOTE_PAIR_RE.sub(r"“\1”", p)
    return p.replace("'", "’").replace(" - ", " – ")


def _mojibake(p: str) -> str:
    return p.encode("utf-8").decode("sloppy-windows-1252")


def _damage(art: Article, rng: random.Random, rates: dict, headlines: list[str]):
    """Return (paragraphs, damage counts, snippets) for one document."""
    paras = list(art.paragraphs)
    dmg: dict[str, int] = {}
    snippets: dict[str, list[str]] = {}
    roll = {k: rng.random() < rates.get(k, 0.0) for k in DAMAGE}
    # entity_quot and entity_double exclude each other; one draw keeps both shares at their rates.
    u = rng.random()
    roll["entity_quot"] = u < rates.get("entity_quot", 0.0)
    roll["entity_double"] = (not roll["entity_quot"]
                             and u < rates.get("entity_quot", 0.0) + rates.get("entity_double", 0.0))
    # MT oddities first (they work on plain text).
    if roll["mt_pronoun"]:
        cands = [(i, m.end()) for i, p in enumerate(paras) for m in _WHO_RE.finditer(p)]
        if cands:
            i, pos = rng.choice(cands)
            paras[i] = paras[i][:pos] + "He " + paras[i][pos:]
            snippets["mt_pronoun"] = [paras[i][pos - 4:pos + 6]]
        else:
            i = rng.randrange(len(paras))
            sent = rng.choice(_WHO_HE)
            paras[i] = paras[i] + " " + sent
            snippets["mt_pronoun"] = [sent]
        dmg["mt_pronoun"] = 1
    if roll["mt_lowercase"]:
        cands = [(i, m.start()) for i, p in enumerate(paras) for m in _LOWER_RE.finditer(p)]
        if cands:
            picks = sorted(rng.sample(cands, min(2, len(cands))), reverse=True)
            snippets["mt_lowercase"] = []
            for i, pos in picks:
                p = paras[i]
                paras[i] = p[:pos] + p[pos].lower() + p[pos + 1:]
                end = paras[i].find(" ", pos)
                snippets["mt_lowercase"].append(paras[i][pos - 2:end])
            dmg["mt_lowercase"] = len(picks)
    # Mangled entities.
    if roll["entity_quot"]:
        n = sum(len(_CLOSING_QUOTE_RE.findall(p)) for p in paras)
        if n:
            paras = [_CLOSING_QUOTE_RE.sub(",quot;", p) for p in paras]
            dmg["entity_quot"] = n
    elif roll["entity_double"]:
        n = sum(p.count('"') for p in paras)
        if n:
            paras = [p.replace('"', "&amp;quot;") for p in paras]
            dmg["entity_double"] = n
    if roll["entity_apos"]:
        n = sum(p.count("'") for p in paras)
        if n:
            paras = [p.replace("'", "& # 39;") for p in paras]
            dmg["entity_apos"] = n
    # Mojibake: one paragraph that has (or can be given) non-ASCII text.
    if roll["mojibake"]:
        order = list(range(len(paras)))
        rng.shuffle(order)
        for i in order:
            p = paras[i] if not paras[i].isascii() else _typographic(paras[i])
            if not p.isascii():
                paras[i] = _mojibake(p)
                dmg["mojibake"] = 1
                break
    # Boilerplate lines (each its own paragraph).
    if roll["bp_tweet"]:
        code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789")
                       for _ in range(10))
        name = rng.choice(_NAMES)
        line = (f"{rng.choice(_TWEET_TEXTS)} pic.twitter.com/{code} — {name} "
                f"(@{name.split()[0].lower()}{rng.randrange(10, 99)}) "
                f"{rng.choice(_MONTHS)} {rng.randrange(1, 29)}, {rng.randrange(2015, 2024)}")
        paras.insert(rng.randrange(1, len(paras) + 1), line)
        dmg["bp_tweet"] = 1
        snippets["bp_tweet"] = [line]
    if roll["bp_related"]:
        line = "Related: " + rng.choice(headlines)
        paras.insert(rng.randrange(1, len(paras) + 1), line)
        dmg["bp_related"] = 1
        snippets["bp_related"] = [line]
    if roll["bp_comment"]:
        paras.extend(COMMENT_LINES)
        dmg["bp_comment"] = len(COMMENT_LINES)
    return paras, dmg, snippets


def _fingerprint(articles: list[Article]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for a in articles:
        h.update(a.source.encode())
        h.update(a.headline.encode())
        for p in a.paragraphs:
            h.update(p.encode())
    return h.hexdigest()


def build_corpus(source: Path, out: Path, size_mb: float, seed: int = 0, *,
                 rates: dict | None = None, jsonl_share: float = 0.1) -> dict:
    """Write `out/drop/` and `out/manifest.json` (replacing both); return the manifest."""
    rates = dict(RATES if rates is None else rates)
    unknown = set(rates) - set(DAMAGE)
    if unknown:
        raise ValueError(f"unknown damage types: {sorted(unknown)}")
    articles = load_articles(Path(source))
    headlines = [a.headline for a in articles]
    rng = random.Random(seed)
    out = Path(out)
    drop = out / "drop"
    if drop.exists():
        shutil.rmtree(drop)
    drop.mkdir(parents=True)
    target = int(size_mb * 1_000_000)
    docs, total, n_txt, pending = [], 0, 0, []
    batches = 0

    def flush_jsonl():
        nonlocal batches, pending
        if not pending:
            return
        name = f"batch-{batches:05d}.jsonl.gz"
        buf = io.BytesIO()
        # mtime=0 and no file name in the header: the same bytes on every build.
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
            for rec, entry in pending:
                gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
        (drop / name).write_bytes(buf.getvalue())
        for i, (_, entry) in enumerate(pending):
            entry["path"], entry["record"] = name, i
        batches += 1
        pending = []

    while total < target:
        art = rng.choice(articles)
        paras, dmg, snippets = _damage(art, rng, rates, headlines)
        head = art.headline
        if rng.random() < 0.5:
            head = f" date {rng.randrange(2015, 2024)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} {head}"
        text = head + "\n\n" + "\n\n".join(paras) + "\n"
        nbytes = len(text.encode("utf-8"))
        entry = {"path": None, "record": 0, "source": art.source, "bytes": nbytes,
                 "damage": dmg, "snippets": snippets}
        if rng.random() < jsonl_share:
            rec = {"id": f"doc-{len(docs):07d}", "url": f"https://news.example/{art.source}",
                   "text": text}
            pending.append((rec, entry))
            if len(pending) >= JSONL_BATCH:
                flush_jsonl()
        else:
            name = f"{n_txt:07d}.txt"
            (drop / name).write_bytes(text.encode("utf-8"))
            entry["path"] = name
            n_txt += 1
        docs.append(entry)
        total += nbytes
    flush_jsonl()

    totals = {k: {"documents": 0, "count": 0} for k in DAMAGE}
    for d in docs:
        for k, n in d["damage"].items():
            totals[k]["documents"] += 1
            totals[k]["count"] += n
    for k in DAMAGE:
        totals[k]["share"] = totals[k]["documents"] / len(docs)
        totals[k]["rate"] = rates.get(k, 0.0)
    manifest = {
        "version": MANIFEST_VERSION, "seed": seed, "size_mb": size_mb, "source": str(source),
        "source_articles": len(articles), "source_fingerprint": _fingerprint(articles),
        "rates": rates, "jsonl_share": jsonl_share, "documents": len(docs), "text_bytes": total,
        "disk_bytes": sum(p.stat().st_size for p in drop.iterdir()),
        "files": {"txt": n_txt, "jsonl.gz": batches}, "totals": totals, "docs": docs,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=0))
    return manifest
