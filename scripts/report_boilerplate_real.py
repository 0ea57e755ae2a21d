"""Boilerplate on real pages: token precision/recall/F1 against the ground-truth article body.

Usage: python -m scripts.report_boilerplate_real [--pages PATH] [--folds 5]

Data: ../shared/realdev/boilerplate/pages.jsonl.gz (181 news pages, one per site). Scoring as the
benchmark does: bag-of-tokens (\\w+) precision, recall and F1 per page, averaged over pages.
Side by side:

- keep everything: the page text as it is;
- C4-style line filter: the line rules of the C4 paper (Raffel et al. 2020, section 2.2), as a
  reference (implemented here, not in the pipeline);
- corpus-clean on text: the library's steps (headers, repair, boilerplate, ...) on the page text.
  The boilerplate classifier is fitted on the dev pages, so its figures are HELD-OUT: k-fold over
  pages (every page is a different site), each page cleaned by a model fitted without it;
  the shipped model's in-sample figure is printed below for comparison only;
- trafilatura alone: the `trafilatura` field (trafilatura 2.3.1 on the HTML, the version pinned
  in pyproject.toml, so it is not re-run);
- corpus-clean on HTML: pipeline.html (trafilatura 2.3.1 + metadata) then the library's steps,
  with the held-out models as above.

It also prints the per-page distribution (pages losing more than 5% of their article tokens,
pages emptied, recall quantiles) and trafilatura's cost (MB of HTML per second, one core).
"""
from __future__ import annotations

import argparse
import re
import sys
import time

import numpy as np

import pipeline.boilerplate as bp
from pipeline.boilerplate_model import Model
from pipeline.core import clean_text
from pipeline.html import HtmlError, extract_html
from scripts.fit_boilerplate_model import PAGES, build, cross_validate_models, export, load_pages, prf

# --- the C4 reference filter ------------------------------------------------------------------
_C4_TERMINAL = (".", "!", "?", '"', "”", "’", "'")
_C4_BAD = re.compile(r"(?i)javascript|lorem ipsum|privacy policy|cookie policy|uses cookies|use of cookies|"
                     r"terms of use|terms of service|\{|\}")


def c4_filter(text: str) -> str:
    """C4's line rules: keep lines that end in terminal punctuation and have at least 3 words
    (5 for the page as a whole), drop lines naming javascript, lorem ipsum, curly braces or
    cookie/privacy/terms policies; a page left with fewer than 3 sentences is dropped."""
    kept = []
    for line in text.split("\n"):
        s = line.strip()
        if not s or len(s.split()) < 3 or not s.endswith(_C4_TERMINAL) or _C4_BAD.search(s):
            continue
        kept.append(s)
    out = "\n".join(kept)
    if len(out.split()) < 5 or len(re.findall(r"[.!?](?:\s|$)", out)) < 3:
        return ""
    return out


# --- runs ------------------------------------------------------------------------------------
def corpus_clean(text: str, title=None, published=None) -> str:
    own = {k: v for k, v in (("title", title), ("published", published)) if v is not None}
    return clean_text(text, **own).text


def with_model(model, fn, *args):
    """Run fn with the boilerplate step using `model` (the pipeline's own path, other model)."""
    saved = bp._MODEL
    bp._MODEL = model
    try:
        return fn(*args)
    finally:
        bp._MODEL = saved


def summary(name: str, rows: list[tuple[float, float, float]]) -> str:
    P, R, F = (float(np.mean([r[i] for r in rows])) for i in range(3))
    rec = np.array([r[1] for r in rows])
    lossy = int((rec < 0.95).sum())
    empty = sum(1 for r in rows if r[0] == 0 and r[1] == 0)
    q = np.quantile(rec, [0.05, 0.25, 0.5])
    return (f"{name:<34} {P:6.4f} {R:6.4f} {F:6.4f}   {lossy:4d}   {empty:4d}   "
            f"{rec.min():.3f} {q[0]:.3f} {q[1]:.3f} {q[2]:.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", default=str(PAGES))
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    pages = load_pages(args.pages)
    truth = [p["truth"] for p in pages]

    t0 = time.process_time()
    html = []
    for p in pages:
        try:
            html.append(extract_html(p["html"]))
        except HtmlError as exc:
            html.append(exc)
    t_html = time.process_time() - t0
    mb = sum(len(p["html"].encode("utf-8")) for p in pages) / 1e6

    print(f"fitting {args.folds} held-out models (k-fold over pages, one site per page) ...", file=sys.stderr)
    data = build(pages)
    fold_of, models = cross_validate_models(pages, data, args.folds)
    held = [Model(export(models[fold_of[i]], bp._MODEL.threshold, [], args.folds)) for i in range(len(pages))]

    runs = {
        "keep everything": [p["text"] for p in pages],
        "C4-style line filter": [c4_filter(p["text"]) for p in pages],
        "corpus-clean on text (held-out)": [with_model(held[i], corpus_clean, p["text"]) for i, p in enumerate(pages)],
        "trafilatura alone (2.3.1)": [p["trafilatura"] or "" for p in pages],
        "corpus-clean on HTML (held-out)": [
            "" if isinstance(h, HtmlError) else with_model(held[i], corpus_clean, h.text, h.title, h.published)
            for i, h in enumerate(html)],
    }
    in_sample = [corpus_clean(p["text"]) for p in pages]
    catalog_only = [with_model(None, corpus_clean, p["text"]) for p in pages]

    print(f"{len(pages)} dev pages (181 sites); bag-of-tokens P/R/F1 per page, averaged; "
          f"boilerplate rules {bp.RULES_VERSION}, model {bp._MODEL.version} (cut {bp._MODEL.threshold})")
    print(f"{'':<34} {'P':>6} {'R':>6} {'F1':>6}  >5%lost emptied  min R  q05    q25    median R")
    for name, outs in runs.items():
        print(summary(name, [prf(o, t) for o, t in zip(outs, truth)]))
    print("for comparison (not held-out / not the product):")
    print(summary("  corpus-clean text, shipped model", [prf(o, t) for o, t in zip(in_sample, truth)]))
    print(summary("  corpus-clean text, catalog only", [prf(o, t) for o, t in zip(catalog_only, truth)]))
    rejected = [type(h).__name__ + ":" + h.reason for h in html if isinstance(h, HtmlError)]
    print(f"HTML rejects: {len(rejected)} {rejected if rejected else ''}".rstrip())
    print(f"trafilatura (pipeline.html.extract_html): {mb:.1f} MB of HTML in {t_html:.1f} CPU s = "
          f"{mb / t_html:.2f} MB/s, {1000 * t_html / len(pages):.0f} ms per page (one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
