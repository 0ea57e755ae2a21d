"""Train the MT model shipped in pipeline/models/mt_words.tsv.gz (needs the `[train]` extra).

    python -m scripts.train_mt_model            # cross-validate, then train on all data and write
    python -m scripts.train_mt_model --cv-only  # only the held-out evaluation (no file written)

It writes both models: the word model of the default mode (mt_words.tsv.gz) and the hashed word and
character n-gram model of the strong mode (mt_hashed.bin.gz, pipeline/mthashed.py), whose
calibration takes the word model's held-out margins as an input.

Data and split: scripts/mt_data.py (leave one source language out, unseen systems by name,
originals spread over the folds). Steps:
1. features: mtmodel.words_of / mtmodel.features of each clean text (the run-time code), counts
   divided by the number of words / word pairs (so the margin is a mean weight, as at run time);
   an n-gram is a feature when it occurs in at least MIN_DF training documents;
2. per fold: an L2 logistic regression on the training side, with weights that give every MT
   pair the same total and every negative group (WMT originals, BBC, human references) the same
   total (so neither uk-en's 8,860 chats nor BBC's news decide alone); margins on the held-out side;
3. calibration (mtmodel.calibration_features: margin, margin x log length, log length, rule
   density) by a logistic regression on the held-out margins of the other folds (for the report)
   and of all folds (for the shipped file);
4. the shipped linear model: the same regression on all rows; n-grams whose weight rounds to 0
   are dropped. Weights are written with 5 significant digits; lbfgs on the same data and the
   same library versions is deterministic, so a rerun writes the same bytes (checked by hand:
   `--out /tmp/x.tsv.gz`, then `cmp` with the shipped file; there is no test, a run takes
   about 2 minutes of one core).
5. the strong mode (`cross_validate_strong`): per fold, an L2 logistic regression (C=STRONG_C,
   same weights) over mthashed.vector of each text; its held-out margins and the word model's
   go into one calibration (mthashed.calibration_features); the threshold that meets the
   operating point on those held-out probabilities is stored in the file (the mode's default
   --mt-threshold); so is the cascade mode's (the default: the strong mode's score where the word
   model's held-out probability is >= mt.toml's strong_from, else the word model's), with the
   strong_from it was chosen for. float32 weights, gzip with mtime 0: a rerun writes the same bytes.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline import mtflags, mthashed, mtmodel

from .mt_data import FOLDS, Row, load_rows, train_mask

MIN_DF = 3
C = 3000.0
SEED = 0
OUT = mtmodel.MODEL_PATH
STRONG_OUT = mthashed.MODEL_PATH
STRONG_C = 10.0
STRONG_BITS = 18


def doc_features(rows: list[Row]):
    """Per row: Counter of unigram keys and of bigram keys."""
    out = []
    for r in rows:
        uni, bi = mtmodel.features(mtmodel.words_of(r.text))
        out.append((Counter(uni), Counter(bi), len(uni), len(bi)))
    return out


def rule_density(rows: list[Row]) -> np.ndarray:
    return np.array([mtflags.rule_flags(r.text, lang=r.lang)[1] for r in rows])


def matrix(feats, vocab: dict):
    from scipy.sparse import csr_matrix

    data, ind, ptr = [], [], [0]
    for c1, c2, n1, n2 in feats:
        for c, n in ((c1, n1), (c2, n2)):
            for k, v in c.items():
                j = vocab.get(k)
                if j is not None:
                    ind.append(j)
                    data.append(v / n)
        ptr.append(len(ind))
    return csr_matrix((np.array(data), np.array(ind, dtype=np.int64), np.array(ptr)),
                      shape=(len(feats), len(vocab)))


def make_vocab(feats, mask) -> dict:
    df: Counter = Counter()
    for (c1, c2, _, _), m in zip(feats, mask):
        if m:
            df.update(c1.keys())
            df.update(c2.keys())
    keys = sorted((k for k, v in df.items() if v >= MIN_DF), key=lambda k: (isinstance(k, tuple), k))
    return {k: i for i, k in enumerate(keys)}


def group_of(r: Row) -> str:
    if r.kind == "mt":
        return "mt:" + r.pair
    if r.kind == "original":
        return "neg:bbc" if r.pair == "bbc" else "neg:wmt-original"
    return "neg:human_translation"


def balanced_weights(rows: list[Row], mask: np.ndarray) -> np.ndarray:
    groups = np.array([group_of(r) for r in rows])
    w = np.zeros(len(rows))
    for side in ("mt:", "neg:"):
        keys = sorted({g for g, m in zip(groups, mask) if m and g.startswith(side)})
        for g in keys:
            sel = mask & (groups == g)
            w[sel] = 0.5 / len(keys) / sel.sum()
    return w * mask.sum()


def fit_linear(X, y, w):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=5000, tol=1e-6, random_state=SEED)
    clf.fit(X, y, sample_weight=w)
    return clf


def fit_calibration(F, y, w):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=1000, random_state=SEED)
    clf.fit(F, y, sample_weight=w)
    return clf


def calib_matrix(margins, n_words, density) -> np.ndarray:
    return np.array([mtmodel.calibration_features(m, n, d) for m, n, d in zip(margins, n_words, density)])


def cross_validate(rows: list[Row], feats=None, log=print) -> dict:
    """Held-out margins and probabilities for every row (each from the fold that held it out)."""
    feats = feats if feats is not None else doc_features(rows)
    y = np.array([r.kind == "mt" for r in rows])
    folds = np.array([r.fold for r in rows])
    n_words = np.array([len(r.text.split()) for r in rows])
    dens = rule_density(rows)
    margins = np.zeros(len(rows))
    for f in FOLDS:
        tm = np.array(train_mask(rows, f))
        vocab = make_vocab(feats, tm)
        X = matrix(feats, vocab)
        clf = fit_linear(X[tm], y[tm], balanced_weights(rows, tm)[tm])
        te = folds == f
        margins[te] = clf.decision_function(X[te])
        log(f"  fold {f}: trained on {tm.sum()} rows, {len(vocab)} n-grams; held out {te.sum()} rows")
    F = calib_matrix(margins, n_words, dens)
    prob = np.zeros(len(rows))
    all_mask = np.ones(len(rows), bool)
    for f in FOLDS:
        other = folds != f
        cal = fit_calibration(F[other], y[other], balanced_weights(rows, other)[other])
        prob[folds == f] = cal.predict_proba(F[folds == f])[:, 1]
    cal_all = fit_calibration(F, y, balanced_weights(rows, all_mask))
    # What the pipeline reports: the model's probability where it scores (mtmodel.SCORED_LANGS:
    # English and text too short to tag), the rules score on text tagged another language (a
    # wrong tag on some one-liners).
    rules = np.where(dens > 0, 1.0 - np.exp(-dens / mtflags._SCALE), 0.0)
    scored = np.array([r.lang in mtmodel.SCORED_LANGS for r in rows])
    score = np.where(scored, prob, rules)
    return {"margin": margins, "prob": prob, "score": score, "rules": rules, "calib": cal_all,
            "density": dens, "n_words": n_words}


def hashed_matrix(rows: list[Row], bits: int = STRONG_BITS):
    from scipy.sparse import csr_matrix

    data, ind, ptr = [], [], [0]
    for r in rows:
        u, v = mthashed.vector(r.text.split(), bits)
        ind.append(u)
        data.append(v)
        ptr.append(ptr[-1] + len(u))
    return csr_matrix((np.concatenate(data), np.concatenate(ind), np.array(ptr)), shape=(len(rows), 1 << bits))


def fit_hashed(X, y, w):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=STRONG_C, max_iter=5000, tol=1e-6, random_state=SEED).fit(X, y, sample_weight=w)


def cross_validate_strong(rows: list[Row], cv: dict, X=None, log=print) -> dict:
    """The strong mode's held-out scores: hashed-model margins per fold, calibrated together with
    the word model's held-out margins (cv = cross_validate's result)."""
    X = hashed_matrix(rows) if X is None else X
    y = np.array([r.kind == "mt" for r in rows])
    folds = np.array([r.fold for r in rows])
    hm = np.zeros(len(rows))
    for f in FOLDS:
        tm = np.array(train_mask(rows, f))
        clf = fit_hashed(X[tm], y[tm], balanced_weights(rows, tm)[tm])
        hm[folds == f] = clf.decision_function(X[folds == f])
        log(f"  strong fold {f}: trained on {tm.sum()} rows; held out {(folds == f).sum()} rows")
    F = np.array([mthashed.calibration_features(m, h, n, d)
                  for m, h, n, d in zip(cv["margin"], hm, cv["n_words"], cv["density"])])
    prob = np.zeros(len(rows))
    for f in FOLDS:
        other = folds != f
        cal = fit_calibration(F[other], y[other], balanced_weights(rows, other)[other])
        prob[folds == f] = cal.predict_proba(F[folds == f])[:, 1]
    cal_all = fit_calibration(F, y, balanced_weights(rows, np.ones(len(rows), bool)))
    scored = np.array([r.lang in mtmodel.SCORED_LANGS for r in rows])
    return {"hashed_margin": hm, "prob": prob, "score": np.where(scored, prob, cv["rules"]),
            "calib": cal_all}


def cascade_score(words_score: np.ndarray, strong_score: np.ndarray) -> np.ndarray:
    """The cascade mode's score: the strong mode's where the word model's is >= STRONG_FROM."""
    return np.where(words_score >= mtflags.STRONG_FROM, strong_score, words_score)


def write_hashed_model(path: Path, clf, cal, version: str, threshold: float, cascade_threshold: float,
                       bits: int = STRONG_BITS) -> str:
    meta = {"version": version, "bits": bits, "bias": float(f"{clf.intercept_[0]:.6g}"),
            "calib_coef": [float(f"{c:.6g}") for c in cal.coef_[0]],
            "calib_intercept": float(f"{cal.intercept_[0]:.6g}"), "threshold": threshold,
            "cascade_threshold": cascade_threshold, "strong_from": mtflags.STRONG_FROM,
            "max_words": mthashed.MAX_WORDS, "char_n": list(mthashed.CHAR_N),
            "word_n": list(mthashed.WORD_N), "C": STRONG_C,
            "probe": {"text": mthashed.PROBE,
                      "slots": [int(x) for x in mthashed.vector(mthashed.PROBE.split(), bits)[0]]}}
    body = (json.dumps(meta, sort_keys=True) + "\n").encode("utf-8") + clf.coef_[0].astype("<f4").tobytes()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(body)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def pick_threshold(rows: list[Row], prob: np.ndarray) -> float:
    """The lowest threshold (2 decimals) at which held-out originals stay at <= 2% flagged, BBC at
    <= 0.5% and the human references of each language at <= 25%."""
    kind = np.array([r.kind for r in rows])
    pair = np.array([r.pair for r in rows])
    for t in np.round(np.arange(0.50, 1.0, 0.01), 2):
        s = prob >= t
        ok = s[kind == "original"].mean() <= 0.02 and s[pair == "bbc"].mean() <= 0.005
        for p in set(pair[kind == "human_translation"]):
            ok = ok and s[(kind == "human_translation") & (pair == p)].mean() <= 0.25
        if ok:
            return float(t)
    return 0.99


def write_model(path: Path, clf, vocab: dict, cal, version: str) -> str:
    coef = clf.coef_[0]
    lines = []
    for k, j in vocab.items():
        v = float(f"{coef[j]:.5g}")
        if abs(v) < 1e-3:
            continue
        if isinstance(k, tuple):
            lines.append(f"2\t{k[0]}\t{k[1]}\t{v!r}")
        else:
            lines.append(f"1\t{k}\t{v!r}")
    meta = {"version": version, "bias": float(f"{clf.intercept_[0]:.6g}"),
            "calib_coef": [float(f"{c:.6g}") for c in cal.coef_[0]],
            "calib_intercept": float(f"{cal.intercept_[0]:.6g}"),
            "max_words": mtmodel.MAX_WORDS, "min_df": MIN_DF, "C": C, "n_ngrams": len(lines)}
    body = json.dumps(meta, sort_keys=True) + "\n" + "\n".join(lines) + "\n"
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(body.encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--strong-out", type=Path, default=STRONG_OUT)
    args = ap.parse_args(argv)
    rows = load_rows()
    print(f"{len(rows)} rows: {dict(Counter(r.kind for r in rows))}")
    feats = doc_features(rows)
    cv = cross_validate(rows, feats)
    t = pick_threshold(rows, cv["score"])
    print(f"threshold meeting the operating point on held-out probabilities: {t:.2f}")
    X = hashed_matrix(rows)
    strong = cross_validate_strong(rows, cv, X)
    ts = pick_threshold(rows, strong["score"])
    print(f"strong mode: threshold meeting the operating point on held-out probabilities: {ts:.2f}")
    tc = pick_threshold(rows, cascade_score(cv["score"], strong["score"]))
    print(f"cascade mode (strong model from p >= {mtflags.STRONG_FROM}): threshold: {tc:.2f}")
    if args.cv_only:
        return
    y = np.array([r.kind == "mt" for r in rows])
    mask = np.ones(len(rows), bool)
    vocab = make_vocab(feats, mask)
    clf = fit_linear(matrix(feats, vocab), y, balanced_weights(rows, mask))
    digest = write_model(args.out, clf, vocab, cv["calib"], f"mt-words-2 (threshold {t:.2f})")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {digest})")
    hclf = fit_hashed(X, y, balanced_weights(rows, mask))
    digest = write_hashed_model(args.strong_out, hclf, strong["calib"], f"mt-hashed-1 (threshold {ts:.2f})", ts, tc)
    print(f"wrote {args.strong_out} ({args.strong_out.stat().st_size} bytes, sha256 {digest})")


if __name__ == "__main__":
    sys.exit(main())
