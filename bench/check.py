"""Same answers: each step's fast path against its slow reference path, on every document of a drop.

The drop's records are read again and the steps replayed in order, so that each comparison sees
exactly the text the pipeline gives that step. Before a step with a reference runs, both paths
run on the document as it is:
- repair: `repair_text(text)` against `repair_text_reference(text)` (every pass on every line, full
  ftfy): text, repairs, spans and markup must be identical;
- boilerplate: `strip_boilerplate` against `strip_boilerplate_reference` (every rule on every
  line, no derived gate): text, removed lines, share and flag must be identical;
- language: `detect_language` against `detect_language_reference` (stock langdetect on the whole
  text): the language must agree on at least LANG_AGREEMENT of the documents.
A step with a fast path adds its comparison to COMPARISONS. Documents are checked in parallel
worker processes. A missing reference function is reported, not faked.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

LANG_AGREEMENT = 0.995
FILES_PER_CHUNK = 200
MAX_EXAMPLES = 5

# step name -> (module, fast function, reference function, kind): "identical" must hold on every
# document, "agreement" on LANG_AGREEMENT of them.
COMPARISONS = {
    "repair": ("pipeline.repair", "repair_text", "repair_text_reference", "identical"),
    "boilerplate": ("pipeline.boilerplate", "strip_boilerplate", "strip_boilerplate_reference",
                    "identical"),
    "language": ("pipeline.language", "detect_language", "detect_language_reference", "agreement"),
}


def _answer(step: str, result):
    """What must be equal: the step's result, as the columns it becomes."""
    if step == "repair":
        return (result.text, result.repairs, result.spans, result.markup)
    if step == "boilerplate":
        return (result.text, result.removed, result.share, result.heavy)
    if step == "language":
        return result.lang
    return result


def _where(a, b) -> str:
    """An excerpt around the first difference of two answers."""
    a, b = repr(a), repr(b)
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{a[max(0, i - 60):i + 60]!s} | reference: {b[max(0, i - 60):i + 60]!s}"


def _functions():
    import importlib

    out, missing = {}, []
    for step, (module, fast, ref, kind) in COMPARISONS.items():
        mod = importlib.import_module(module)
        if hasattr(mod, fast) and hasattr(mod, ref):
            out[step] = (getattr(mod, fast), getattr(mod, ref), kind)
        else:
            missing.append(f"{module}.{ref}")
    return out, missing


def _check_files(drop: str, files: list[str]) -> dict:
    from pipeline import core
    from pipeline.document import Document
    from pipeline.readers import Reject, read_file

    funcs, _ = _functions()
    cfg = core.Config()
    kwargs = {"boilerplate": {"max_share": cfg.max_boilerplate_share}}
    out = {step: {"n": 0, "same": 0, "diff": []} for step in funcs}
    last = max((i for i, s in enumerate(core.STEPS) if s.name in funcs), default=-1)
    root = Path(drop)
    for rel in files:
        for item in read_file(root / rel, rel, cfg.text_field):
            if isinstance(item, Reject):
                continue
            doc = Document(item.text, item)
            for step in core.STEPS[:last + 1]:
                if step.name in funcs:
                    fast, ref, _ = funcs[step.name]
                    kw = kwargs.get(step.name, {})
                    a, b = _answer(step.name, fast(doc.text, **kw)), _answer(step.name, ref(doc.text, **kw))
                    o = out[step.name]
                    o["n"] += 1
                    if a == b:
                        o["same"] += 1
                    elif len(o["diff"]) < MAX_EXAMPLES:
                        o["diff"].append({"doc": f"{rel}#{item.source_record}", "where": _where(a, b)})
                doc.values.update(step.apply(doc, cfg))
    return out


def same_answers(drop: str, workers: int = 2) -> dict:
    """Compare fast and reference paths of every step that has both, on every record of `drop`.
    Returns {"steps": {step: {"kind", "n", "same", "share", "diff"}}, "missing": [...]}."""
    from pipeline.storage import planning

    funcs, missing = _functions()
    files = [f.path for f in planning.discover(Path(drop))]
    chunks = [files[i:i + FILES_PER_CHUNK] for i in range(0, len(files), FILES_PER_CHUNK)]
    total = {step: {"kind": kind, "n": 0, "same": 0, "diff": []} for step, (_, _, kind) in funcs.items()}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for part in pool.map(_check_files, [drop] * len(chunks), chunks):
            for step, o in part.items():
                t = total[step]
                t["n"] += o["n"]
                t["same"] += o["same"]
                t["diff"] += o["diff"][:MAX_EXAMPLES - len(t["diff"])]
    for t in total.values():
        t["share"] = t["same"] / t["n"] if t["n"] else 1.0
        t["passed"] = t["same"] == t["n"] if t["kind"] == "identical" else t["share"] >= LANG_AGREEMENT
    return {"steps": total, "missing": missing}
