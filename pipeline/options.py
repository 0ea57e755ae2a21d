"""Options: every knob of a run, declared once (name, type, default, help).

The run's own options are declared here; a step declares the options it reads next to its code
(`Step.options`). `pipeline.core` gathers both into `OPTIONS` and the `Config` class; the CLI's
flags (`corpus-clean run/new --help`) and the flows' parameters are generated from `OPTIONS`, so
an option added in one place appears everywhere, with one default.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    name: str  # Config field, flow parameter; the CLI flag is --name-with-dashes
    type: type  # str, int, float or bool
    default: object  # None only with nullable=True: decided at run time (say how in `help`)
    help: str
    nullable: bool = False
    # False: a Config field the library reads, but neither a CLI flag nor a flow parameter.
    exposed: bool = True
    # (test, what it asks in words): a value the test refuses is an error naming the option
    valid: tuple | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        """`value` converted to the option's type, or a ValueError that names the option."""
        if value is None:
            if self.nullable:
                return None
            raise ValueError(f"option {self.name} must not be empty")
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise ValueError(f"option {self.name} must be {self.type.__name__}, got {value!r}")
        if self.valid is not None and not self.valid[0](value):
            raise ValueError(f"option {self.name} must be {self.valid[1]}, got {value!r}")
        return value


POSITIVE = (lambda v: v > 0, "greater than 0")
AT_LEAST_ONE = (lambda v: v >= 1, "at least 1")
SHARE = (lambda v: 0 <= v <= 1, "between 0 and 1")


RUN_OPTIONS: list[Option] = [
    Option("text_field", str, "auto",
           "JSONL field / CSV or Parquet column holding the article; 'auto': the first of text, "
           "body, content, article, maintext that a record (JSONL) or a file's header (CSV, "
           "Parquet) has"),
    Option("workers", int, None,
           "local worker processes (default: one per core)", nullable=True,
           valid=(lambda v: v >= 0, "0 or more")),
    # Coarse on purpose: every task costs API calls that compete with the workers for the cores.
    Option("shard_mb", float, 16.0,
           "target input MB per shard, i.e. per Prefect task (a bigger file is a shard of its own)",
           valid=POSITIVE),
    Option("max_shards", int, 64, "upper bound on shards per drop", exposed=False, valid=AT_LEAST_ONE),
    Option("allow_empty", bool, False,
           "let a run replace a committed drop with nothing (an empty or all-rejected drop, or "
           "every file deleted); without it such a run fails and the drop stays as it was"),
    Option("keep_deleted", bool, False,
           "`new`: keep the rows of files deleted from the raw drop (default: remove them in the "
           "same commit)"),
    Option("max_inflated_mb", float, 4096.0,
           "a gzip file inflating past this many MB is rejected (decompression_limit)",
           valid=POSITIVE),
    Option("max_inflation_ratio", float, 100.0,
           "a gzip file inflating more than this many times its size (past its first 16 MB) is "
           "rejected (decompression_limit)", valid=AT_LEAST_ONE),
    Option("max_record_mb", float, 64.0,
           "a record (a .txt/.html file, a JSONL line, a CSV field) larger than this is rejected "
           "(too_large)", valid=POSITIVE),
    Option("batch_rows", int, 500,
           "rows per Arrow batch and Parquet row group (bounds memory for any file size)",
           exposed=False, valid=AT_LEAST_ONE),
]


class ConfigBase:
    """Methods of the generated Config dataclass."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None):
        """A Config from (a subset of) its fields; None values take the option's default."""
        data = data or {}
        unknown = set(data) - {o.name for o in cls.OPTIONS}
        if unknown:
            raise ValueError(f"unknown option(s): {sorted(unknown)}")
        return cls(**{o.name: o.check(data[o.name]) for o in cls.OPTIONS
                      if data.get(o.name) is not None})


def make_config(options: list[Option]) -> type:
    """The frozen `Config` dataclass with one field per option."""
    names = [o.name for o in options]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"option(s) declared twice: {dupes}")
    fields = [(o.name, o.type if not o.nullable else (o.type | None),
               dataclasses.field(default=o.default)) for o in options]
    cls = dataclasses.make_dataclass("Config", fields, bases=(ConfigBase,), frozen=True,
                                     namespace={"OPTIONS": tuple(options)})
    cls.__module__ = "pipeline.core"
    return cls
