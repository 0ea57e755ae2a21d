"""The one rules loader: a single version format, validation with errors that name file and key."""
import hashlib
from pathlib import Path

import pytest

from pipeline import core
from pipeline.rulesfile import Doc, Opt, RulesError, Table, load_rules

SPEC = {"limits": {"max_words": int, "share": float, "example": Doc},
        "rule": [{"id": str, "patterns": Opt([str])}],
        "weights": Table(float)}
GOOD = """version = 3
[limits]
max_words = 40
share = 1
example = "a documented example"
[[rule]]
id = "a"
patterns = ["x", "y"]
[[rule]]
id = "b"
[weights]
one = 0.5
two = 2
"""


def write(tmp_path, text, name="toy"):
    (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_version_is_name_number_and_content_hash(tmp_path):
    rules = load_rules("toy", SPEC, write(tmp_path, GOOD))
    digest = hashlib.sha256(GOOD.encode()).hexdigest()[:8]
    assert rules.version == f"toy-3+{digest}"
    assert rules["limits"]["share"] == 1 and rules["weights"]["two"] == 2
    # an edit without a version bump still gives another version
    edited = load_rules("toy", SPEC, write(tmp_path, GOOD.replace("max_words = 40", "max_words = 41")))
    assert edited.version.startswith("toy-3+") and edited.version != rules.version


@pytest.mark.parametrize("change, message", [
    (("max_words = 40", 'max_words = "40"'), "'limits.max_words': expected an integer"),
    (("share = 1", "share = true"), "'limits.share': expected a number"),
    (('id = "b"', "id = 2"), "'rule[1].id': expected a string"),
    (("two = 2", 'two = "x"'), "'weights.two': expected a number"),
    (("version = 3", 'version = "3"'), "'version': expected an integer"),
    (("version = 3", "version = 0"), "'version': must be a positive integer"),
    (('id = "b"', 'id = "b"\nmangled = true'), "'rule[1]': unknown key(s) ['mangled']"),
    (("max_words = 40\n", ""), "'limits.max_words' is missing"),
    (("[limits]", "[limits"), "not valid TOML"),
])
def test_bad_catalog_names_file_and_key(tmp_path, change, message):
    d = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RulesError) as err:
        load_rules("toy", SPEC, d)
    assert str(d / "toy.toml") in str(err.value) and message in str(err.value)


def test_every_step_version_is_in_rules_version():
    got = core.rules_version().split(";")
    for step in core.STEPS:
        assert step.version in got
        name, _, rest = step.version.partition("-")
        number, _, digest = rest.partition("+")
        assert name and number.isdigit(), step.version
        # a rules file's version carries its content hash; a step versioned in its code
        # (docs/architecture.md: `<name>-<N>`) has no rules file and no hash
        has_rules = (Path(core.__file__).parent / "rules" / f"{name}.toml").is_file()
        assert len(digest) == 8 if has_rules else digest == "", step.version
