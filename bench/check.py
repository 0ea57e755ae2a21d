"""Same answers: the fast path against the slow reference path, on every document of a run.

Input: the Parquet file of variant (b). For each row,
- repair: `repair.repair_text(body).text` must equal `repair.repair_text_reference(body)` (full ftfy on
  every paragraph), `body` being `text_raw` after the date header, as the pipeline sees it;
- language: the row's `lang` (fast path) against `language.detect_language_reference(text).lang`
  (stock langdetect on the full clean text); agreement must be >= LANG_AGREEMENT.
Rows are checked in parallel worker processes. Missing reference functions are reported, not faked.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pyarrow.parquet as pq

from pipeline import headers, language, repair

LANG_AGREEMENT = 0.995
CHUNK = 200
MAX_EXAMPLES = 5


def _text(result) -> str:
    return result if isinstance(result, str) else result.text


def _check_chunk(rows: list[tuple[str, str, str, str]], do_repair: bool, do_lang: bool) -> dict:
    out = {"n": 0, "repair_same": 0, "lang_same": 0, "repair_diff": [], "lang_diff": []}
    for doc_id, raw, text, lang in rows:
        out["n"] += 1
        if do_repair:
            _, body = headers.split_date_header(raw)
            fast, ref = repair.repair_text(body).text, _text(repair.repair_text_reference(body))
            if fast == ref:
                out["repair_same"] += 1
            elif len(out["repair_diff"]) < MAX_EXAMPLES:
                i = next((k for k, (a, b) in enumerate(zip(fast, ref)) if a != b), min(len(fast), len(ref)))
                out["repair_diff"].append({"doc_id": doc_id, "fast": fast[max(0, i - 40):i + 40],
                                           "reference": ref[max(0, i - 40):i + 40]})
        if do_lang:
            ref_lang = language.detect_language_reference(text).lang
            if ref_lang == lang:
                out["lang_same"] += 1
            elif len(out["lang_diff"]) < MAX_EXAMPLES:
                out["lang_diff"].append({"doc_id": doc_id, "fast": lang, "reference": ref_lang,
                                         "text": text[:80]})
    return out


def same_answers(parquet: str, workers: int = 2) -> dict:
    """Compare fast and reference paths on every row of `parquet` (a DOC_SCHEMA file)."""
    do_repair = hasattr(repair, "repair_text_reference")
    do_lang = hasattr(language, "detect_language_reference")
    res = {"repair": None, "lang": None, "repair_diff": [], "lang_diff": [],
           "missing": [n for n, ok in (("pipeline.repair.repair_text_reference", do_repair),
                                       ("pipeline.language.detect_language_reference", do_lang))
                       if not ok]}
    if not (do_repair or do_lang):
        return res
    t = pq.read_table(parquet, columns=["doc_id", "text_raw", "text", "lang"])
    rows = list(zip(*(t[c].to_pylist() for c in ("doc_id", "text_raw", "text", "lang"))))
    chunks = [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]
    ctx = multiprocessing.get_context("spawn")
    n = rsame = lsame = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for part in pool.map(_check_chunk, chunks, [do_repair] * len(chunks), [do_lang] * len(chunks)):
            n += part["n"]
            rsame += part["repair_same"]
            lsame += part["lang_same"]
            res["repair_diff"] += part["repair_diff"][:MAX_EXAMPLES - len(res["repair_diff"])]
            res["lang_diff"] += part["lang_diff"][:MAX_EXAMPLES - len(res["lang_diff"])]
    res["documents"] = n
    if do_repair:
        res["repair"] = {"identical": rsame, "share": rsame / n if n else 1.0}
    if do_lang:
        res["lang"] = {"agree": lsame, "share": lsame / n if n else 1.0}
    return res
