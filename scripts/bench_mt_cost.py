"""Cost of the MT model next to the core, side by side in one process (CPU seconds).

    python -m scripts.bench_mt_cost [BBC_DIR] [--rounds 5]

Times, alternating, over the same BBC articles: (a) `pipeline.core.clean_text` (which runs the
default mode's model), (b) that model's own work on the clean texts (mtmodel.words_of + margin +
probability, what flag_mt adds in model mode) and (c) the strong mode's (`--mt-model strong`:
the word model's margin, the hashed model's features and margin, the joint calibration).
Prints the best round of each and the ratios (b) / ((a) - (b)) and (c) / ((a) - (b)): what each
mode adds to the core without a model.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline import mthashed, mtmodel
from pipeline.core import clean_text
from pipeline.refcorpus import DEFAULT_BBC_DIR, load_articles


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bbc_dir", nargs="?", type=Path, default=DEFAULT_BBC_DIR)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    raw = [a.text for a in load_articles(args.bbc_dir)]
    mb = sum(len(t.encode("utf-8")) for t in raw) / 1e6
    clean = [clean_text(t) for t in raw]  # also loads the model once
    texts = [(c.text, c.words(), None) for c in clean]
    mdl = mtmodel.model()
    strong = mthashed.model()
    best_core = best_model = best_strong = float("inf")
    for _ in range(args.rounds):
        t0 = time.process_time()
        for t in raw:
            clean_text(t)
        best_core = min(best_core, time.process_time() - t0)
        t0 = time.process_time()
        for text, words, _ in texts:
            ws = mtmodel.words_of(text, words)
            mdl.probability(mdl.margin(ws), len(words), 0.0)
        best_model = min(best_model, time.process_time() - t0)
        t0 = time.process_time()
        for text, words, _ in texts:
            ws = mtmodel.words_of(text, words)
            strong.probability(mdl.margin(ws), strong.margin(words), len(words), 0.0)
        best_strong = min(best_strong, time.process_time() - t0)
    base = best_core - best_model
    print(f"{len(raw)} BBC articles, {mb:.2f} MB; best of {args.rounds} rounds, CPU seconds")
    print(f"core with model  {best_core:.3f} s  ({1000 * best_core / mb:.1f} ms/MB)")
    print(f"model alone      {best_model:.3f} s  ({1000 * best_model / mb:.1f} ms/MB)")
    print(f"strong mode      {best_strong:.3f} s  ({1000 * best_strong / mb:.1f} ms/MB)")
    print(f"default mode (words) / core without a model = {best_model / base:.3f}")
    print(f"strong mode / core without a model = {best_strong / base:.3f}")


if __name__ == "__main__":
    main()
