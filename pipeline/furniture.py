"""The drop-level pre-pass of the boilerplate step: lines that recur across many documents of one
drop are site furniture (menus, footers, sign-in and newsletter blocks that a page dump repeats on
every page of a site), whatever their wording. Opt-in: the run option `furniture_min_docs`
(boilerplate step; 0 = off).

It needs the whole drop before any document is cleaned, so a run with it on reads its files twice:

1. `count_files` (per shard, in the workers): each document through the steps before the
   boilerplate step (so its lines are the ones that step will judge), then per document its
   fingerprint and the keys of its lines (`boilerplate.DropLines.keys_of`), written to
   `<prefix>.lines.npz`;
2. `merge` (once, in the flow): a document counts unless an earlier one has its fingerprint or
   is a near-duplicate of its prose by the duplicate flags' own LSH bands (the same story filed
   twice, or again with edits, is not furniture); the keys found in at least `min_docs` counted
   documents are written to one file;
3. the cleaning wave loads that file (`load`) and cleans with it (`boilerplate.using_drop_lines`):
   those lines are removed as `repeated_in_drop`, each kept on its row with the rule; a
   document whose prose is mostly them (a copy) keeps the recurring prose lines.

Reading fails quietly here on purpose: a file this pass cannot read or a record a step fails on is
left out of the counts, and the cleaning wave, which reads everything again, quarantines it with
its reason.
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import numpy as np

from . import boilerplate, core, dedup
from .document import Document
from .inflate import Limits
from .readers import Reject, read_file
from .storage.files import atomic_path
from .storage.planning import check_file

_U8 = np.dtype("<u8")


def min_docs(config) -> int:
    """The run's `furniture_min_docs`: 0 (off) or at least 2, checked by its Option (again here:
    a Config built directly, not from a dict, is not checked)."""
    option = next(o for o in boilerplate.STEP.options if o.name == "furniture_min_docs")
    return option.check(config.furniture_min_docs)


def _pre_steps() -> list:
    return core.STEPS[:core.STEPS.index(boilerplate.STEP)]


def _records(root: Path, rel: str, real_root: str, cfg, limits: Limits):
    """The records of one file of the drop, as the cleaning wave reads them; nothing for a file
    that is no longer a regular file inside the drop or that cannot be read."""
    path = root / rel
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode) and check_file(real_root, rel)[0]:
            return
        for item in read_file(path, rel, cfg.text_field, None, limits):
            if not isinstance(item, Reject):
                yield item
    except Exception:  # the cleaning wave reads it again and says why
        return


_BATCH = 500  # documents signed at a time


def doc_arrays(texts) -> tuple[np.ndarray, ...]:
    """Per document of `texts` (one with no unit that has a word character is skipped): its
    fingerprint (the key of its longest unit), its number of line keys and the LSH band hashes
    of its prose (pipeline.dedup: the duplicate flags' own near-duplicate test); and the line
    keys themselves, documents in order."""
    fingerprints: list[int] = []
    lengths: list[int] = []
    keys: list[int] = []
    bands: list[np.ndarray] = [np.zeros((0, dedup.BANDS), _U8)]
    prose: list[str] = []
    for text in texts:
        keyed = boilerplate.DropLines.keys_of(text)
        if keyed is None:
            continue
        fingerprints.append(keyed[0])
        lengths.append(len(keyed[1]))
        keys.extend(keyed[1])
        prose.append(keyed[2])
        if len(prose) == _BATCH:
            bands.append(dedup.sign_texts(prose).bands.astype(_U8))
            prose = []
    if prose:
        bands.append(dedup.sign_texts(prose).bands.astype(_U8))
    return (np.array(fingerprints, _U8), np.array(lengths, np.int64), np.array(keys, _U8),
            np.concatenate(bands))


def _first_of_each_story(fingerprints: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """Per document: whether no earlier document has its fingerprint or shares an LSH band of
    its prose with it (a copy of a story, edited or re-damaged, shares bands with the first)."""
    first = np.zeros(len(fingerprints), bool)
    first[np.unique(fingerprints, return_index=True)[1]] = True
    for b in range(bands.shape[1]):
        col = bands[:, b]
        seen = np.ones(len(col), bool)
        seen[np.unique(col, return_index=True)[1]] = False
        first &= ~seen | (col == 0)  # 0: no prose shingle to compare
    return first


def common_keys(fingerprints, lengths, keys, bands, min_docs: int) -> np.ndarray:
    """The sorted keys of the lines found in at least `min_docs` distinct stories: a document
    counts unless an earlier one has its fingerprint or is a near-duplicate of its prose (the
    same story filed twice, or again with edits, is not furniture); what recurs across the pages
    of a site is the furniture around different articles."""
    if not len(fingerprints):
        return np.zeros(0, _U8)
    counted = _first_of_each_story(fingerprints, bands)
    found, docs = np.unique(keys[np.repeat(counted, lengths)], return_counts=True)
    return found[docs >= min_docs].astype(_U8)


def count_files(drop_dir: str, files: list[str], out_path: str, config: dict | None = None) -> dict:
    """Step 1 for one shard: `doc_arrays` of the documents of `files` (paths relative to
    `drop_dir`, in order) into `out_path` (.npz). Returns {"documents": n, "seconds": s}."""
    started = time.perf_counter()
    cfg = core.Config.from_dict(config)
    limits = Limits.from_config(cfg)
    root = Path(drop_dir)
    real_root = os.path.realpath(root)
    steps = _pre_steps()

    def texts():
        for rel in files:
            for item in _records(root, rel, real_root, cfg, limits):
                doc = Document(item.text, item)
                try:
                    for step in steps:
                        doc.values.update(step.apply(doc, cfg))
                except Exception:  # the cleaning wave quarantines it with its reason
                    continue
                yield doc.text

    arrays = doc_arrays(texts())
    with atomic_path(Path(out_path)) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **dict(zip(_NAMES, arrays)))
    return {"documents": len(arrays[0]), "seconds": time.perf_counter() - started}


_NAMES = ("fingerprints", "lengths", "keys", "bands")


def merge(count_paths, min_docs: int, out_path: str | None = None) -> np.ndarray:
    """Step 2: `common_keys` over the counted shards (`count_paths`, in shard order), written to
    `out_path` (.npy) when given."""
    parts = []
    for p in count_paths:
        with np.load(p) as z:
            parts.append([z[n] for n in _NAMES])
    arrays = ([np.concatenate([part[i] for part in parts]) for i in range(len(_NAMES))] if parts
              else list(doc_arrays([])))
    common = common_keys(*arrays, min_docs)
    if out_path is not None:
        with atomic_path(Path(out_path)) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, common)
    return common


def from_texts(texts, min_docs: int) -> boilerplate.DropLines:
    """The recurring lines of `texts` taken as one drop (notebooks, tests): what a run with
    `furniture_min_docs = min_docs` removes from them."""
    return boilerplate.DropLines(frozenset(common_keys(*doc_arrays(texts), min_docs).tolist()), min_docs)


def load(path: str, min_docs: int) -> boilerplate.DropLines:
    """Step 3: the merged keys of `path` as the step's DropLines."""
    return boilerplate.DropLines(frozenset(np.load(path).tolist()), min_docs)


def for_files(drop_dir: str, files: list[str], config: dict | None, scratch: Path) -> boilerplate.DropLines | None:
    """Steps 1-2 in this process, for a run whose drop is `files` (pipeline.shard.clean_shard);
    None when the option is off. `scratch`: a path prefix for the counts file (removed after)."""
    n = min_docs(core.Config.from_dict(config))
    if not n:
        return None
    counts = Path(f"{scratch}.lines.npz")
    try:
        count_files(drop_dir, files, str(counts), config)
        return boilerplate.DropLines(frozenset(merge([counts], n).tolist()), n)
    finally:
        counts.unlink(missing_ok=True)
