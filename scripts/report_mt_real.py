"""Held-out report of the MT detector on real data (needs ../shared and the `[train]` extra).

    python -m scripts.report_mt_real [--threshold T]

Cross-validates exactly as scripts/train_mt_model.py (leave one source language out, held-out
systems unseen by name, every original scored by a fold that did not train on it; see
scripts/mt_data.py) and prints, on the held-out scores:
- ROC AUC of MT against original English (WMT originals + BBC, and each alone) and against
  human references, and the recall of MT at 1%, 2% and 5% of originals flagged;
- at the threshold (default: mt.toml's) the share flagged per class, per source language, per
  system and per domain; the BBC count; and the same for the rules-only score.

Every mode is scored: `--mt-model words` (the word model), `strong` (the hashed word and
character n-gram model calibrated with the word model) and `cascade` (the default: the word
model's score, the strong mode's where the word model's is at least mt.toml's strong_from), each
at its own shipped threshold; the tables are printed for the mode given by --mode (default:
cascade).
"""
from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from pipeline import mtflags, mtmodel

from .mt_data import FOLDS, load_rows
from .train_mt_model import cascade_score, cross_validate, cross_validate_strong, pick_threshold


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC by ranks (ties count half)."""
    if not len(pos) or not len(neg):
        return float("nan")
    s = np.concatenate([pos, neg])
    order = s.argsort(kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s[np.r_[False, np.diff(s[order]) == 0]] if len(s) > 1 else []):
        ranks[s == v] = ranks[s == v].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def recall_at(pos, neg, fpr: float) -> float:
    t = np.quantile(neg, 1 - fpr, method="higher")
    return float((pos > t).mean())


def summary(name, score, rows, t):
    kind = np.array([r.kind for r in rows])
    pair = np.array([r.pair for r in rows])
    mt, orig, ht = score[kind == "mt"], score[kind == "original"], score[kind == "human_translation"]
    wmt = score[(kind == "original") & (pair != "bbc")]
    bbc = score[pair == "bbc"]
    print(f"\n== {name} ==")
    print(f"ROC AUC  MT vs original {auc(mt, orig):.3f} (vs WMT originals {auc(mt, wmt):.3f}, "
          f"vs BBC {auc(mt, bbc):.3f});  MT vs human reference {auc(mt, ht):.3f}")
    print("recall of MT at 1% / 2% / 5% of originals flagged: "
          + " / ".join(f"{recall_at(mt, orig, f):.3f}" for f in (0.01, 0.02, 0.05)))
    s = score >= t
    print(f"at threshold {t:.2f}: MT flagged {s[kind == 'mt'].mean():.3f} "
          f"({s[kind == 'mt'].sum()}/{(kind == 'mt').sum()}), originals {s[kind == 'original'].mean():.3f} "
          f"({s[kind == 'original'].sum()}/{(kind == 'original').sum()}), BBC {s[pair == 'bbc'].sum()}/"
          f"{(pair == 'bbc').sum()}, human references {s[kind == 'human_translation'].mean():.3f}")
    return s


def table(title, keys, rows, score, s, orig):
    groups = defaultdict(list)
    for i, r in enumerate(rows):
        groups[keys(r)].append(i)
    print(f"\n{title}")
    print(f"  {'group':42s} {'n':>6s} {'flagged':>8s} {'AUC vs orig':>11s} {'rec@1%':>7s} {'rec@2%':>7s} {'rec@5%':>7s}")
    for k in sorted(groups, key=str):
        idx = groups[k]
        g = score[idx]
        is_mt = rows[idx[0]].kind == "mt"
        extra = (f"{auc(g, orig):11.3f} " + " ".join(f"{recall_at(g, orig, f):7.3f}" for f in (0.01, 0.02, 0.05))
                 if is_mt else f"{'':11s}")
        print(f"  {' / '.join(str(x) for x in k):42s} {len(idx):6d} {s[idx].mean():8.3f} {extra}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threshold", type=float, default=None,
                    help="threshold of the mode the tables are for (default: that mode's own)")
    ap.add_argument("--mode", choices=mtflags.MODELS, default="cascade",
                    help="the mode whose per-language, per-system and per-domain tables are printed")
    args = ap.parse_args(argv)
    from pipeline import mthashed

    rows = load_rows()
    print(f"held-out split: folds {', '.join(FOLDS)} (fold = held-out source language; see scripts/mt_data.py)")
    cv = cross_validate(rows)
    strong = cross_validate_strong(rows, cv)
    n_other = sum(r.lang not in mtmodel.SCORED_LANGS for r in rows)
    print(f"{n_other} of {len(rows)} rows are tagged neither English nor 'und' and keep the rules score")
    shipped = mthashed.model()
    thresholds = {"words": mtflags.DEFAULT_THRESHOLD, "cascade": shipped.cascade_threshold,
                  "strong": shipped.threshold}
    # as the pipeline reports them
    scores = {"words": cv["score"], "cascade": cascade_score(cv["score"], strong["score"]),
              "strong": strong["score"]}
    flagged = {}
    for mode in mtflags.MODELS:
        print(f"\n{mode} mode: threshold that meets the operating point on these held-out scores: "
              f"{pick_threshold(rows, scores[mode]):.2f} (shipped: {thresholds[mode]:.2f})")
        t = args.threshold if (args.threshold is not None and mode == args.mode) else thresholds[mode]
        flagged[mode] = summary(f"--mt-model {mode}", scores[mode], rows, t)
    prob, s = scores[args.mode], flagged[args.mode]
    print(f"\n=== tables for --mt-model {args.mode} ===")
    orig = prob[[i for i, r in enumerate(rows) if r.kind == "original"]]
    table("per held-out source language (MT, human references) and originals per source:",
          lambda r: (r.fold if r.kind != "original" else r.pair, r.kind), rows, prob, s, orig)
    table("per system (MT only, held out with its language):",
          lambda r: (r.pair, r.system or "-"), [r for r in rows if r.kind == "mt"],
          prob[[i for i, r in enumerate(rows) if r.kind == "mt"]],
          s[[i for i, r in enumerate(rows) if r.kind == "mt"]], orig)
    table("per domain and class (the topic confound):", lambda r: (str(r.domain), r.kind), rows, prob, s, orig)
    kind = np.array([r.kind for r in rows])
    print("\nconfusion at the threshold (rows: truth; columns: flagged / not flagged):")
    for k in ("mt", "human_translation", "original"):
        print(f"  {k:18s} {s[kind == k].sum():6d} {(~s[kind == k]).sum():6d}")
    rules = cv["rules"]
    summary("rules only (flag_mt(model=False), threshold 0.5)", rules, rows, mtflags.RULES_THRESHOLD)


if __name__ == "__main__":
    main()
