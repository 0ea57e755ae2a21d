"""Fit the boilerplate line classifier (pipeline/rules/boilerplate_model.json) on the dev pages.

Usage: python -m scripts.fit_boilerplate_model [--pages PATH] [--folds 5] [--no-write]

Data: ../shared/realdev/boilerplate/pages.jsonl.gz, 181 real news pages from 181 sites, each as
plain text (`text`, one block per paragraph), its ground-truth article body (`truth`) and
trafilatura's extraction of its HTML (`trafilatura`). Every page gives three training documents:
the page text (furniture and article), the truth alone (a clean article: nothing to remove) and
trafilatura's text (mostly clean, some furniture). All three train the model (the clean ones teach
it that a short line among prose is article text), though at run time the step classifies only
documents that open like a page dump (pipeline.boilerplate.classifier_applies). A unit (line) is labelled article when at least
half of its tokens align (difflib over \\w+ tokens) with the truth. Each unit is weighted by its
token share of its document, so every document counts the same and long lines count more, as in
the benchmark's per-page token F1.

Cross-validation by site: k folds over pages (every page is a different site); for each fold the
model is fitted on the other folds and the held-out pages are scored. The threshold is chosen on
those held-out figures: the highest P(article) cut whose mean held-out recall on the page texts
stays at or above RECALL_FLOOR. The shipped model is then fitted on all pages with that cut.
"""
from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline.boilerplate import classifier_applies, classifier_inputs
from pipeline.boilerplate_model import FEATURES, line_features

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO.parent / "shared" / "realdev" / "boilerplate" / "pages.jsonl.gz"
OUT = REPO / "pipeline" / "rules" / "boilerplate_model.json"
VERSION = "2"  # 2: timestamp features (comment threads)
RECALL_FLOOR = 0.98
THRESHOLDS = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5)
PARAMS = dict(n_estimators=150, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=0)
TOKEN = re.compile(r"\w+")


def load_pages(path: Path = PAGES) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def views(page: dict) -> dict[str, str]:
    traf = "\n\n".join(ln.strip() for ln in (page.get("trafilatura") or "").split("\n") if ln.strip())
    return {"text": page["text"], "truth": page["truth"], "traf": traf}


def prf(pred: str, truth: str) -> tuple[float, float, float]:
    """Bag-of-tokens (\\w+) precision, recall, F1 of one page, as the benchmark scores."""
    a, b = Counter(TOKEN.findall(pred)), Counter(TOKEN.findall(truth))
    tp = sum((a & b).values())
    na, nb = sum(a.values()), sum(b.values())
    p = tp / na if na else (1.0 if not nb else 0.0)
    r = tp / nb if nb else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def mean(rows) -> tuple[float, ...]:
    rows = list(rows)
    return tuple(sum(x[i] for x in rows) / len(rows) for i in range(len(rows[0])))


def aligned_share(units: list[str], truth: str) -> list[float]:
    """Per unit: share of its tokens that align with the truth's token sequence."""
    toks, owner = [], []
    for i, u in enumerate(units):
        t = TOKEN.findall(u)
        toks += t
        owner += [i] * len(t)
    hit, n = [0] * len(units), [0] * len(units)
    for o in owner:
        n[o] += 1
    sm = difflib.SequenceMatcher(None, toks, TOKEN.findall(truth), autojunk=False)
    for a, _, size in sm.get_matching_blocks():
        for k in range(a, a + size):
            hit[owner[k]] += 1
    return [h / c if c else 0.0 for h, c in zip(hit, n)]


def build(pages: list[dict]) -> list[dict[str, dict]]:
    """Per page, per view: units, catalog flags, features X, labels y, weights w."""
    out = []
    for page in pages:
        per = {}
        for name, text in views(page).items():
            units, cat = classifier_inputs(text)
            ntok = np.array([max(1, len(TOKEN.findall(u))) for u in units], float)
            y = [1.0] * len(units) if name == "truth" else aligned_share(units, page["truth"])
            per[name] = {
                "units": units, "cat": np.array(cat, bool),
                "X": np.array(line_features(units, cat), float).reshape(len(units), len(FEATURES)),
                "y": np.array(y) >= 0.5, "w": ntok / ntok.sum() if len(units) else ntok,
                "applies": classifier_applies(units, cat),
            }
        out.append(per)
    return out


def fit(data: list[dict[str, dict]], idx) -> object:
    from sklearn.ensemble import GradientBoostingClassifier

    docs = [data[i][v] for i in idx for v in data[i] if len(data[i][v]["units"])]
    X = np.vstack([d["X"] for d in docs])
    y = np.concatenate([d["y"] for d in docs])
    w = np.concatenate([d["w"] for d in docs])
    return GradientBoostingClassifier(init="zero", **PARAMS).fit(X, y, sample_weight=w)


def kept_text(d: dict, probs: np.ndarray, threshold: float) -> str:
    """What strip_boilerplate keeps of these units with this model output and cut (same logic:
    catalog first; the classifier only where classifier_applies, never emptying)."""
    free = ~d["cat"]
    keep = free.copy()
    if classifier_applies(d["units"], list(d["cat"])):
        cand = free & (probs >= threshold)
        if cand.any():
            keep = cand
    return "\n".join(u for u, k in zip(d["units"], keep) if k)


def cross_validate_models(pages, data, folds: int, seed: int = 0):
    """(fold of each page, one model per fold fitted on the other folds): k-fold over pages,
    which is over sites (one page per site)."""
    order = np.random.RandomState(seed).permutation(len(pages))
    fold_of = np.empty(len(pages), int)
    fold_of[order] = np.arange(len(pages)) % folds
    models = []
    for k in range(folds):
        t0 = time.time()
        models.append(fit(data, [i for i in range(len(pages)) if fold_of[i] != k]))
        print(f"  fold {k + 1}/{folds}: fitted in {time.time() - t0:.0f} s", file=sys.stderr)
    return fold_of, models


def cross_validate(pages, data, folds: int, seed: int = 0) -> dict:
    """Held-out P(article) for every unit of every view."""
    fold_of, models = cross_validate_models(pages, data, folds, seed)
    probs = {}
    for i in range(len(pages)):
        for v, d in data[i].items():
            probs[i, v] = models[fold_of[i]].predict_proba(d["X"])[:, 1] if len(d["units"]) else np.zeros(0)
    return {"probs": probs, "fold_of": fold_of}


def held_out_table(pages, data, probs) -> list[dict]:
    rows = []
    for thr in THRESHOLDS:
        text = [prf(kept_text(data[i]["text"], probs[i, "text"], thr), p["truth"]) for i, p in enumerate(pages)]
        traf = [prf(kept_text(data[i]["traf"], probs[i, "traf"], thr), p["truth"]) for i, p in enumerate(pages)]
        clean = [prf(kept_text(data[i]["truth"], probs[i, "truth"], thr), p["truth"]) for i, p in enumerate(pages)]
        P, R, F = mean(text)
        rows.append({"threshold": thr, "text_p": P, "text_r": R, "text_f1": F,
                     "text_pages_losing_over_5pct": sum(1 for x in text if x[1] < 0.95),
                     "text_min_recall": min(x[1] for x in text),
                     "traf_f1": mean(traf)[2], "truth_recall": mean(clean)[1]})
    return rows


def export(model, threshold: float, cv_rows: list[dict], folds: int) -> dict:
    trees = []
    for est in model.estimators_[:, 0]:
        t = est.tree_
        trees.append({"feature": [int(f) for f in t.feature], "threshold": [round(float(x), 6) for x in t.threshold],
                      "left": [int(c) for c in t.children_left], "right": [int(c) for c in t.children_right],
                      "value": [round(float(v), 6) for v in t.value[:, 0, 0]]})
    return {
        "version": VERSION, "kind": "gradient-boosted trees (sklearn GradientBoostingClassifier, init=zero)",
        "fitted_by": "python -m scripts.fit_boilerplate_model", "params": PARAMS,
        "features": FEATURES, "learning_rate": PARAMS["learning_rate"], "threshold": threshold,
        "cross_validation": {"folds": folds, "split": "k-fold over pages, one site per page",
                             "held_out": cv_rows},
        "trees": trees,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=Path, default=PAGES)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    pages = load_pages(args.pages)
    data = build(pages)
    print(f"{len(pages)} pages, {sum(len(d[v]['units']) for d in data for v in d)} units", file=sys.stderr)
    cv = cross_validate(pages, data, args.folds)
    rows = held_out_table(pages, data, cv["probs"])
    print(f"held-out ({args.folds}-fold by site) on the page texts, trafilatura texts and clean truths:")
    print("  cut    text P   text R   text F1  pages>5%lost  min R   traf F1  truth R")
    for r in rows:
        print(f"  {r['threshold']:<5}  {r['text_p']:.4f}   {r['text_r']:.4f}   {r['text_f1']:.4f}   "
              f"{r['text_pages_losing_over_5pct']:>4}        {r['text_min_recall']:.3f}   "
              f"{r['traf_f1']:.4f}   {r['truth_recall']:.4f}")
    ok = [r for r in rows if r["text_r"] >= RECALL_FLOOR]
    chosen = max(ok, key=lambda r: r["threshold"]) if ok else min(rows, key=lambda r: r["threshold"])
    print(f"chosen cut {chosen['threshold']} (highest with held-out recall >= {RECALL_FLOOR}"
          f"{'' if ok else '; none reaches it, so the lowest'})")
    if args.no_write:
        return 0
    model = fit(data, range(len(pages)))
    spec = export(model, chosen["threshold"], rows, args.folds)
    OUT.write_text(json.dumps(spec, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
