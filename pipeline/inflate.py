"""Bounded reading of input files: gzip inflated as a stream with caps, records with a size cap.

A gzip member of 10 MB can inflate to 10 GiB; read whole, one such file sinks a worker. Here a
gzip file is inflated chunk by chunk; past `max_inflated_bytes`, or past `max_ratio` times the
compressed bytes read (once `ratio_after_bytes` have been inflated: small files may compress
unusually well), `DecompressionLimit` is raised and the caller rejects the file. Nothing is ever
inflated whole in memory or on disk. Multi-member gzip is read like `gzip` does; bytes after the
last member that are not another member (trailing garbage) end the stream and are noted in
`trailing_garbage`, instead of losing the data the file held.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

CHUNK = 64 * 1024
_MAGIC = b"\x1f\x8b"
MB = 1024 * 1024


class DecompressionLimit(ValueError):
    """The input inflates past a configured cap (not an OSError: retrying cannot help)."""


class RecordTooLarge(ValueError):
    """One record (a whole .txt file, a JSONL line) is larger than the configured cap."""


@dataclass(frozen=True)
class Limits:
    max_inflated_bytes: int = 4096 * MB
    max_ratio: float = 100.0
    ratio_after_bytes: int = 16 * MB
    max_record_bytes: int = 64 * MB

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(max_inflated_bytes=int(config.max_inflated_mb * MB),
                   max_ratio=float(config.max_inflation_ratio),
                   max_record_bytes=int(config.max_record_mb * MB))


class BoundedGzip(io.RawIOBase):
    """A readable raw stream of the inflated content of the gzip `fileobj`, within `limits`."""

    def __init__(self, fileobj, limits: Limits):
        self._f = fileobj
        self._limits = limits
        self._d = zlib.decompressobj(wbits=31)
        self._in = b""  # compressed bytes not yet given to the decompressor
        self._file_eof = False
        self._done = False
        self.compressed = 0
        self.inflated = 0
        self.trailing_garbage = 0  # bytes after the last gzip member that were not one

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        if not self._in and not self._file_eof:
            chunk = self._f.read(CHUNK)
            if chunk:
                self.compressed += len(chunk)
                self._in = chunk
            else:
                self._file_eof = True

    def readinto(self, buf) -> int:
        want = len(buf)
        while not self._done:
            if self._d.eof:  # a member ended: another member, trailing garbage or the end
                rest = self._d.unused_data
                while len(rest) < 2 and not self._file_eof:
                    self._fill()
                    rest, self._in = rest + self._in, b""
                if not rest:
                    self._done = True
                    break
                if not rest.startswith(_MAGIC):
                    self.trailing_garbage = len(rest) + self._drain()
                    self._done = True
                    break
                self._d = zlib.decompressobj(wbits=31)
                self._in = rest
            data = self._d.unconsumed_tail
            if not data:
                self._fill()
                data, self._in = self._in, b""
                if not data:
                    if self._file_eof:
                        raise EOFError("compressed file ended before the end-of-stream marker "
                                       "was reached")
                    continue
            out = self._d.decompress(data, want)
            if out:
                self._count(len(out))
                buf[: len(out)] = out
                return len(out)
        return 0

    def _drain(self) -> int:
        n = len(self._in)
        self._in = b""
        while chunk := self._f.read(CHUNK):
            n += len(chunk)
        self._file_eof = True
        return n

    def _count(self, n: int) -> None:
        self.inflated += n
        lim = self._limits
        if self.inflated > lim.max_inflated_bytes:
            raise DecompressionLimit(
                f"inflates past {lim.max_inflated_bytes // MB} MB (max_inflated_mb); "
                f"{self.compressed:,} compressed bytes read")
        if (self.inflated > lim.ratio_after_bytes
                and self.inflated > lim.max_ratio * max(1, self.compressed)):
            raise DecompressionLimit(
                f"inflates more than {lim.max_ratio:g} times its compressed size "
                f"(max_inflation_ratio): {self.inflated:,} bytes from {self.compressed:,}")


def open_input(path, gz: bool, limits: Limits, data: bytes | None = None):
    """A buffered binary stream of the file's content (inflated within `limits` when gz).
    `data`: the file's bytes already read."""
    raw = io.BytesIO(data) if data is not None else open(path, "rb")
    if not gz:
        return raw
    return io.BufferedReader(BoundedGzip(raw, limits), CHUNK)


def read_record(fh, limits: Limits) -> bytes:
    """All of `fh`, one record; RecordTooLarge past max_record_bytes (reading stops there)."""
    data = fh.read(limits.max_record_bytes + 1)
    if len(data) > limits.max_record_bytes:
        raise RecordTooLarge(f"larger than {limits.max_record_bytes // MB} MB (max_record_mb)")
    return data


def read_lines(fh, limits: Limits):
    """Yield (line, too_large) for each line of `fh`: a line past max_record_bytes is skipped to
    its end without being kept (too_large True, line b"")."""
    cap = limits.max_record_bytes
    while True:
        line = fh.readline(cap + 1)
        if not line:
            return
        if len(line) > cap and not line.endswith(b"\n"):
            while (more := fh.readline(CHUNK)) and not more.endswith(b"\n"):
                pass
            yield b"", True
        else:
            yield line, False


def trailing_garbage(fh) -> int:
    """Bytes of trailing garbage the gzip stream under `fh` ignored (0 for other streams)."""
    raw = getattr(fh, "raw", None)
    return getattr(raw, "trailing_garbage", 0)
