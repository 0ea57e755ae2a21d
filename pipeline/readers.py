"""Readers: one source file in, a stream of raw records (or rejects) out.

Formats by suffix, each optionally gzip-compressed (`.gz`): `.txt`/`.text` (one document per file),
`.html`/`.htm` (one web page per file, its main text extracted by pipeline.html),
`.jsonl`/`.ndjson` (one per line), `.csv`, `.parquet`. Multi-record formats are streamed, never read
whole. A bad record yields a Reject and the file goes on; a bad file yields one Reject.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .decode import DecodeError, decode_bytes
from .inflate import (DecompressionLimit, Limits, RecordTooLarge, open_input, read_lines,
                      read_record, trailing_garbage)

NAME = "read"

FORMATS = {".txt": "txt", ".text": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".csv": "csv", ".parquet": "parquet", ".html": "html", ".htm": "html"}
_GZIP_ERRORS = (EOFError, zlib.error)

# Field mapping of structured records (JSONL fields, CSV and Parquet columns). The article's text
# is the first of TEXT_FIELDS a record has (JSONL: per record; CSV, Parquet: per file, from the
# header), unless the run names its field (`text_field`, "auto" by default). The record's own
# title, date and URL become the `title`, `published` and `url` columns; every other field stays
# in `meta`, and so does a date that is not an ISO date or datetime. Names match exactly first,
# then ignoring case.
AUTO = "auto"
TEXT_FIELDS = ("text", "body", "content", "article", "maintext")
FIELD_NAMES = {
    "title": ("title", "headline"),
    "published": ("published", "date", "date_published", "published_at", "publish_date",
                  "date_publish", "pubdate"),
    "url": ("url", "link"),
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}.{0,20})?")



@dataclass
class RawRecord:
    source_path: str  # relative to the drop, POSIX separators
    source_record: int  # 0 for .txt; the line (JSONL, from 0), row (CSV, Parquet) otherwise
    text: str
    encoding: str
    meta: dict | None = None  # the record's other fields (JSONL, CSV, Parquet)
    # the record's own title, date and URL: a field of JSONL, a column of CSV / Parquet (see
    # FIELD_NAMES), an HTML page's metadata (trafilatura), when it has them
    title: str | None = None
    published: dt.date | None = None
    url: str | None = None
    raw: str | None = None  # the input as decoded when `text` was extracted from it (the HTML)


@dataclass
class Reject:
    source_path: str
    source_record: int | None  # None when the whole file is rejected
    reason: str  # empty | binary | undecodable | corrupt_gzip | malformed_json | missing_text | ...
    error: str


def file_format(path: str | Path) -> tuple[str | None, bool]:
    """(format, gzipped) for a file name; format None when unsupported."""
    name = str(path).lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    for suffix, fmt in FORMATS.items():
        if name.endswith(suffix):
            return fmt, gz
    return None, gz


def read_file(path: Path, rel: str, text_field: str | None = AUTO, data: bytes | None = None,
              limits: Limits = Limits()) -> Iterator[RawRecord | Reject]:
    """Records of one file. `data`, when given, is the file's content already read (used for
    one-document formats, so the caller can hash and parse one read of the file). Gzip is
    inflated as a stream within `limits`; a file past them is rejected (`decompression_limit`),
    a record past them too (`too_large`), and the messages say how many records were kept."""
    fmt, gz = file_format(path)
    if fmt is None:
        yield Reject(rel, None, "unsupported_format",
                     f"unsupported file type {Path(rel).name!r}; expected "
                     ".txt, .jsonl, .ndjson, .csv, .parquet, .html or .htm, optionally .gz")
        return
    if (len(data) if data is not None else path.stat().st_size) == 0:
        yield Reject(rel, None, "empty", "the file is empty (0 bytes)")
        return
    reader = {"txt": _read_txt, "jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet,
              "html": _read_html}[fmt]
    kept = 0
    try:
        with open_input(path, gz, limits, data) as fh:
            for item in reader(fh, rel, gz, text_field, limits):
                kept += isinstance(item, RawRecord)
                yield item
            garbage = trailing_garbage(fh)
        if garbage:
            yield Reject(rel, None, "trailing_garbage",
                         f"{garbage:,} bytes after the end of the gzip data are not gzip and were "
                         f"ignored; {_kept(kept)}")
    except _GZIP_ERRORS as exc:
        yield Reject(rel, None, "corrupt_gzip",
                     f"gzip stream is corrupt or truncated ({type(exc).__name__}: {exc}); "
                     f"{_kept(kept)}")
    except DecompressionLimit as exc:
        yield Reject(rel, None, "decompression_limit", f"gzip input {exc}; reading stopped; {_kept(kept)}")


def _kept(n: int) -> str:
    if n == 0:
        return "no record of the file could be read"
    return f"the {n} record(s) read before it were kept"


def _decode(rel: str, record: int | None, data: bytes) -> tuple[str, str] | Reject:
    try:
        d = decode_bytes(data)
    except DecodeError as exc:
        return Reject(rel, record, exc.reason, str(exc))
    return d.text, d.encoding


def _whole(fh, rel: str, limits: Limits) -> bytes | Reject:
    try:
        return read_record(fh, limits)
    except RecordTooLarge as exc:
        return Reject(rel, None, "too_large", f"the document is {exc}; it was not read")


def _whole_file(record):
    """The reader of a one-document format: the whole file (within the record cap), then
    `record(rel, data)`."""
    def read(fh, rel: str, gz: bool, text_field: str | None, limits: Limits) -> Iterator[RawRecord | Reject]:
        data = _whole(fh, rel, limits)
        if isinstance(data, Reject):
            yield data
        else:
            yield from record(rel, data)
    return read


def _txt_record(rel: str, data: bytes) -> Iterator[RawRecord | Reject]:
    out = _decode(rel, None, data)
    if isinstance(out, Reject):
        yield out
    else:
        yield RawRecord(rel, 0, out[0], out[1])


def _html_record(rel: str, data: bytes) -> Iterator[RawRecord | Reject]:
    """One web page: trafilatura's main text to clean, the HTML kept as the record's raw input."""
    from .html import HtmlError, extract_html

    out = _decode(rel, None, data)
    if isinstance(out, Reject):
        yield out
        return
    html, encoding = out
    try:
        page = extract_html(html)
    except HtmlError as exc:
        yield Reject(rel, None, exc.reason, str(exc))
        return
    yield RawRecord(rel, 0, page.text, encoding, None, title=page.title, published=page.published,
                    url=page.url, raw=html)


_read_txt = _whole_file(_txt_record)
_read_html = _whole_file(_html_record)


def _first(names, candidates) -> list[str]:
    """The names among `names` that match `candidates`, in the candidates' order."""
    names = list(names)
    folded = {}
    for n in names:
        if isinstance(n, str):
            folded.setdefault(n.casefold(), n)
    out = []
    for c in candidates:
        hit = c if c in names else folded.get(c)
        if hit is not None and hit not in out:
            out.append(hit)
    return out


@dataclass(frozen=True)
class FieldMap:
    """A record's fields that may hold its text, title, date and URL, each in preference order."""
    text: tuple[str, ...]
    title: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    url: tuple[str, ...] = ()

    def per_file(self) -> "FieldMap":
        """CSV and Parquet: one text column for the whole file, the first the header has."""
        return FieldMap(self.text[:1], self.title, self.published, self.url)


_MAPS: dict[tuple, FieldMap] = {}


def field_map(names, text_field: str | None = AUTO) -> FieldMap:
    """The mapping of a record (or a file's header) with these field names."""
    key = (tuple(names), text_field)
    got = _MAPS.get(key)
    if got is None:
        auto = text_field in (None, AUTO)
        text = tuple(_first(key[0], TEXT_FIELDS)) if auto else ((text_field,) if text_field in key[0] else ())
        rest = [n for n in key[0] if n not in text]
        got = FieldMap(text, *(tuple(_first(rest, FIELD_NAMES[c])) for c in ("title", "published", "url")))
        if len(_MAPS) < 4096:  # a JSONL file's records mostly share their keys
            _MAPS[key] = got
    return got


def missing_text_message(names, text_field: str | None, what: str) -> str:
    fields = ", ".join(repr(n) for n in names) or "none"
    if text_field in (None, AUTO):
        return (f"{what} has none of the text fields {', '.join(TEXT_FIELDS)} (its fields: {fields}); "
                "name the text field with --text-field")
    return f"{what} has no {text_field!r} field (its fields: {fields})"


def parse_published(value) -> dt.date | None:
    """A date from an ISO date or datetime (the date as written, in the publisher's time zone),
    or a date/datetime value (Parquet); None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not _ISO_DATE.fullmatch(s):
        return None
    try:
        day = dt.date.fromisoformat(s[:10])
        if len(s) > 10:
            dt.datetime.fromisoformat(s)  # the rest must be a valid time too
    except ValueError:
        return None
    return day


def _take(row: dict, names: tuple[str, ...], convert):
    """The first of `names` whose value `convert` accepts (not None), removed from `row`."""
    for name in names:
        value = convert(row.get(name))
        if value is not None:
            del row[name]
            return value
    return None


def _title_value(value) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _url_value(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _mapped_record(rel: str, i: int, row: dict, fmap: FieldMap, encoding: str) -> RawRecord | Reject:
    """A record from its fields: the text (the first candidate with text in it), the title,
    date and URL where their values are usable, and everything else as `meta`."""
    field = next((f for f in fmap.text if isinstance(row.get(f), str) and row[f].strip()),
                 fmap.text[0])
    value = _text_value(rel, i, row.pop(field, None), field)
    if isinstance(value, Reject):
        return value
    title = _take(row, fmap.title, _title_value)
    published = _take(row, fmap.published, parse_published)
    url = _take(row, fmap.url, _url_value)
    return RawRecord(rel, i, value, encoding, row or None, title=title, published=published, url=url)


def _text_value(rel: str, i: int, value, text_field: str) -> str | Reject:
    if value is None:  # the field is there (the field map found it), its value is null
        return Reject(rel, i, "missing_text", f"{text_field!r} is null")
    if not isinstance(value, str):
        return Reject(rel, i, "bad_text", f"{text_field!r} is {type(value).__name__}, not a string")
    if not value.strip():
        return Reject(rel, i, "empty", f"{text_field!r} is empty")
    return value


def _read_jsonl(fh, rel: str, gz: bool, text_field: str | None, limits: Limits) -> Iterator[RawRecord | Reject]:
    for i, (line, too_large) in enumerate(read_lines(fh, limits)):
        if too_large:
            yield Reject(rel, i, "too_large", f"line {i + 1} is larger than "
                         f"{limits.max_record_bytes // (1024 * 1024)} MB (max_record_mb); skipped")
            continue
        if not line.strip():
            continue  # blank separator lines hold no record
        try:
            raw_line = line.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            out = _decode(rel, i, line)
            if isinstance(out, Reject):
                yield out
                continue
            raw_line, encoding = out
        try:
            obj = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            yield Reject(rel, i, "malformed_json", f"line {i + 1}: {exc}")
            continue
        if not isinstance(obj, dict):
            yield Reject(rel, i, "malformed_json", f"line {i + 1}: a JSON {type(obj).__name__}, not an object")
            continue
        fmap = field_map(obj, text_field)
        if not fmap.text:
            yield Reject(rel, i, "missing_text", missing_text_message(obj, text_field, "record"))
            continue
        yield _mapped_record(rel, i, obj, fmap, encoding)


def _read_csv(fh, rel: str, gz: bool, text_field: str | None, limits: Limits) -> Iterator[RawRecord | Reject]:
    csv.field_size_limit(limits.max_record_bytes)
    # surrogateescape keeps undecodable bytes, so a cp1252 field can be decoded on its own.
    stream = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.DictReader(stream)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        yield Reject(rel, None, "malformed_csv", f"cannot read the CSV header: {exc}")
        return
    fmap = field_map(header or [], text_field)
    if not fmap.text:
        yield Reject(rel, None, "missing_text_column",
                     missing_text_message(header or [], text_field, "CSV header"))
        return
    fmap = fmap.per_file()
    text_col = fmap.text[0]
    i = -1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            i += 1
            yield Reject(rel, i, "malformed_csv", f"row {i + 1}: {exc}")
            continue
        i += 1
        encoding = "utf-8"
        for key, val in list(row.items()):
            if isinstance(val, str) and not _is_clean_utf8(val):
                out = _decode(rel, i, val.encode("utf-8", "surrogateescape"))
                if isinstance(out, Reject):
                    row[key] = None
                    if key == text_col:
                        yield out
                        break
                else:
                    row[key] = out[0]
                    if key == text_col:
                        encoding = out[1]
        else:
            if None in row:  # more fields than the header names
                row["_extra"] = row.pop(None)
            yield _mapped_record(rel, i, row, fmap, encoding)


def _is_clean_utf8(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_parquet(fh, rel: str, gz: bool, text_field: str | None, limits: Limits) -> Iterator[RawRecord | Reject]:
    import pyarrow.parquet as pq

    tmp = None
    try:
        if gz:  # Parquet needs random access: inflate (within the limits) to a temporary file
            tmp = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)
            try:
                shutil.copyfileobj(fh, tmp, 1024 * 1024)
            finally:
                tmp.close()
            source = tmp.name
        else:
            source = fh
        try:
            pf = pq.ParquetFile(source)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for corrupt files
            yield Reject(rel, None, "corrupt_parquet", f"cannot open as Parquet: {exc}")
            return
        names = pf.schema_arrow.names
        fmap = field_map(names, text_field)
        if not fmap.text:
            yield Reject(rel, None, "missing_text_column",
                         missing_text_message(names, text_field, "Parquet schema"))
            return
        fmap = fmap.per_file()
        i = 0
        try:
            for batch in pf.iter_batches(batch_size=1000):
                for row in batch.to_pylist():
                    yield _mapped_record(rel, i, row, fmap, "utf-8")
                    i += 1
        except Exception as exc:
            yield Reject(rel, None, "corrupt_parquet", f"failed after {i} rows: {exc}")
    finally:
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
