"""The one loader of rule catalogs (`pipeline/rules/<name>.toml`).

Every catalog has an integer `version` that its editor bumps on any change, and the loader adds
a content hash of the file, so a catalog's version is always `<name>-<N>+<hash8>`: the number
says which edition a person meant, the hash which bytes actually ran (an edit without a bump is
still told apart). The version of every step ends up in each row's `rules_version`.

A catalog is validated on load against the spec its step declares: every key the code reads
must be there with the right type, and a key the code does not read is an error rather than a
silent no-op. Spec language (nested freely):

    str, int, float, bool    a value of that type (an int is accepted where a float is asked)
    [spec]                   a list whose items match spec
    {"key": spec, ...}       a table with exactly these keys; Opt(spec) marks a key optional
    Table(spec)              a table of any keys, every value matching spec
    Doc                      documentation only (any string or list of strings): `example`,
                             `meaning`, `doc`... read by tests and docs, not by the step
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

RULES_DIR = Path(__file__).parent / "rules"


class RulesError(ValueError):
    """A catalog that cannot be loaded: names the file and the key."""


@dataclass(frozen=True)
class Opt:
    spec: object


@dataclass(frozen=True)
class Table:
    spec: object


class _DocType:
    def __repr__(self) -> str:
        return "Doc"


Doc = _DocType()


@dataclass(frozen=True)
class Rules:
    name: str
    version: str  # "<name>-<N>+<hash8>"
    data: dict
    path: Path

    def __getitem__(self, key: str):
        return self.data[key]


def load_rules(name: str, spec: dict, rules_dir: Path = RULES_DIR, *, data_files=()) -> Rules:
    """Load, validate and version `rules_dir/<name>.toml` against `spec` (a table spec without
    `version`, which every catalog has). `data_files`: other files of the rules (a fitted model,
    word lists) in `rules_dir`, read by the step itself; the content hash covers them too."""
    path = Path(rules_dir) / f"{name}.toml"
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    _check(data, {"version": int, **spec}, path, "")
    if data["version"] < 1:
        raise RulesError(f"{path}: key 'version': must be a positive integer, got {data['version']}")
    h = hashlib.sha256(raw)
    for extra in data_files:
        h.update(b"\0" + extra.encode() + b"\0" + (Path(rules_dir) / extra).read_bytes())
    digest = h.hexdigest()[:8]
    return Rules(name, f"{name}-{data['version']}+{digest}", data, path)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _check(value, spec, path: Path, where: str) -> None:
    def fail(expected: str) -> None:
        raise RulesError(f"{path}: key {where or '(top level)'!r}: expected {expected}, "
                         f"got {type(value).__name__} {value!r:.60}")

    if spec is Doc:
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return
        fail("documentation text (a string or list of strings)")
    elif isinstance(spec, type) and spec in _TYPE_NAMES:
        ok = isinstance(value, spec) and not (spec is int and isinstance(value, bool))
        if spec is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            fail(_TYPE_NAMES[spec])
    elif isinstance(spec, list):
        if not isinstance(value, list):
            fail("a list")
        for i, item in enumerate(value):
            _check(item, spec[0], path, f"{where}[{i}]")
    elif isinstance(spec, Table):
        if not isinstance(value, dict):
            fail("a table")
        for key, item in value.items():
            _check(item, spec.spec, path, f"{where}.{key}" if where else key)
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            fail("a table")
        unknown = sorted(set(value) - set(spec))
        if unknown:
            raise RulesError(f"{path}: key {where or '(top level)'!r}: unknown key(s) {unknown} "
                             f"(the code reads {sorted(spec)})")
        for key, sub in spec.items():
            sub_where = f"{where}.{key}" if where else key
            if key not in value:
                if isinstance(sub, Opt):
                    continue
                raise RulesError(f"{path}: key {sub_where!r} is missing")
            _check(value[key], sub.spec if isinstance(sub, Opt) else sub, path, sub_where)
    else:  # pragma: no cover - a bug in a step's spec, not in a catalog
        raise TypeError(f"bad rules spec {spec!r}")
