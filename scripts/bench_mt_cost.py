"""Cost of the MT model next to the core, side by side in one process (CPU seconds).

    python -m scripts.bench_mt_cost [BBC_DIR] [--rounds 5]

    python -m scripts.bench_mt_cost --drop bench/out/corpus-50mb-seed0/drop --limit 6000

Times, alternating, over the same documents (the BBC articles, or the .txt files of a drop such
as the bench's): (a) `pipeline.core.clean_text` with `--mt-model words`, (b) the word model's
own work on the clean texts (mtmodel.words_of + margin + probability, what flag_mt adds in model
mode), (c) the cascade's (the default: (b), plus the strong mode's work on the documents whose
word probability is at least mt.toml's strong_from) and (d) the strong mode's (the word
model's margin, the hashed model's features and margin, the joint calibration, on every
document). Prints the best round of each and each mode's work / ((a) - (b)): what the mode adds
to the core without a model.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline import mthashed, mtmodel
from pipeline.core import Config, clean_text
from pipeline.mtflags import STRONG_FROM, rule_flags
from pipeline.refcorpus import DEFAULT_BBC_DIR, load_articles


def _load(args) -> tuple[list[str], str]:
    if args.drop is None:
        return [a.text for a in load_articles(args.bbc_dir)], "BBC articles"
    paths = sorted(args.drop.rglob("*.txt"))[: args.limit]
    return [p.read_text("utf-8") for p in paths], f".txt documents of {args.drop}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bbc_dir", nargs="?", type=Path, default=DEFAULT_BBC_DIR)
    ap.add_argument("--drop", type=Path, default=None, help="time on this drop's .txt files instead")
    ap.add_argument("--limit", type=int, default=None, help="at most this many files of --drop")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    raw, what = _load(args)
    mb = sum(len(t.encode("utf-8")) for t in raw) / 1e6
    words_mode = Config(mt_model="words")
    clean = [clean_text(t, words_mode) for t in raw]  # also loads the word model once
    # what the models see: English and untagged text, with the rule density the pipeline passes
    texts = [(c.text, c.words(), rule_flags(c.text, lang=c["lang"], entity_spans=c.spans, words=c.words())[1])
             for c in clean if c["lang"] in mtmodel.SCORED_LANGS]
    mdl = mtmodel.model()
    strong = mthashed.model()

    def words_work():
        for text, words, d in texts:
            mdl.probability(mdl.margin(mtmodel.words_of(text, words)), len(words), d)

    def cascade_work():
        for text, words, d in texts:
            m = mdl.margin(mtmodel.words_of(text, words))
            if mdl.probability(m, len(words), d) >= STRONG_FROM:
                strong.probability(m, strong.margin(words), len(words), d)

    def strong_work():
        for text, words, d in texts:
            strong.probability(mdl.margin(mtmodel.words_of(text, words)), strong.margin(words), len(words), d)

    def core_run():
        for t in raw:
            clean_text(t, words_mode)

    best = dict.fromkeys(("core", "words", "cascade", "strong"), float("inf"))
    for _ in range(args.rounds):
        for name, fn in (("core", core_run), ("words", words_work), ("cascade", cascade_work),
                         ("strong", strong_work)):
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    reached = sum(mdl.probability(mdl.margin(mtmodel.words_of(t, w)), len(w), d) >= STRONG_FROM
                  for t, w, d in texts)
    base = best["core"] - best["words"]
    print(f"{len(raw)} {what}, {mb:.2f} MB; best of {args.rounds} rounds, CPU seconds")
    print(f"core (--mt-model words)  {best['core']:.3f} s  ({1000 * best['core'] / mb:.1f} ms/MB)")
    for name in ("words", "cascade", "strong"):
        print(f"{name + ' mode work':24s} {best[name]:.3f} s  ({1000 * best[name] / mb:.1f} ms/MB)")
    print(f"the cascade's second model runs on {reached} of {len(texts)} scored documents "
          f"(word probability >= {STRONG_FROM})")
    for name in ("words", "cascade", "strong"):
        print(f"{name} mode / core without a model = {best[name] / base:.3f}")


if __name__ == "__main__":
    main()
