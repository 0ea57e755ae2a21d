"""Decode step: bytes to text, with the encoding used on record.

UTF-8 first (a BOM is dropped). Where that fails, cp1252, the usual encoding of Western news
files that are not UTF-8, provided it gives printable text; otherwise the best guess of
charset-normalizer. Binary and undecodable input raise DecodeError with a reason, so the caller
can quarantine it.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

NAME = "decode"

# Bytes that are never part of text: NUL and the C0 controls except \t \n \r \f (and ESC,
# SUB, which old files carry). More than a trace of them means binary data.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26, 27))
_CONTROL_TABLE = bytes.maketrans(b"", b"")


class DecodeError(ValueError):
    """Raised for input that is not text; `reason` is a short machine-readable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252", or charset-normalizer's name


BINARY_SAMPLE = 64 * 1024
BINARY_SHARE = 0.01  # of the sample
BINARY_MIN = 8  # control bytes a small text may have before the share applies


def _looks_binary(data: bytes) -> bool:
    """More than 1% (and more than 8) of the first 64 KiB are NUL or other control bytes: not
    text. A text with a few stray NUL bytes is text: the repair step removes and counts them."""
    sample = data[:BINARY_SAMPLE]
    n_ctrl = len(sample) - len(sample.translate(_CONTROL_TABLE, _CONTROL_BYTES))
    return n_ctrl > max(BINARY_MIN, int(len(sample) * BINARY_SHARE))


def _printable(text: str) -> bool:
    """No C1 control characters (what cp1252 gives for bytes it does not define is rejected
    earlier; these come from latin-1 style guesses) and few replacement characters."""
    bad = sum(1 for ch in text if "\x80" <= ch <= "\x9f" or ch == "\ufffd")
    return bad <= len(text) // 1000


def decode_bytes(data: bytes) -> Decoded:
    """Decode one document's (or one record's) bytes. Raises DecodeError("empty" | "binary" |
    "undecodable")."""
    if not data.strip():
        raise DecodeError("empty", "no text: the input is empty or whitespace only")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            pass
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError("undecodable", f"UTF-16 byte order mark but invalid UTF-16: {exc}")
    if _looks_binary(data):
        raise DecodeError("binary", "binary data: NUL or control bytes found, not text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        first_error = utf8_error
    try:
        text = data.decode("cp1252")
        if _printable(text):
            return Decoded(text, "cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # imported lazily: rare path

    best = from_bytes(data).best()
    if best is not None and best.encoding not in ("utf_8", "ascii"):
        text = str(best)
        if _printable(text) and best.chaos < 0.2:
            return Decoded(text, best.encoding)
    raise DecodeError(
        "undecodable",
        f"not UTF-8 ({first_error.reason} at byte {first_error.start}), not cp1252, "
        "and no other encoding fits",
    )
