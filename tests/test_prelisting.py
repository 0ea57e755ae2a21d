"""The drop listing the CLI takes while Prefect's temporary API boots (flows.prelisting)."""
from pipeline import dataset

from flows import prelisting


def _drop(tmp_path):
    d = tmp_path / "drop"
    (d / "sub").mkdir(parents=True)
    for name in ("b.txt", "a.jsonl", "sub/c.txt", ".hidden"):
        (d / name).write_text("x")
    return d


def test_take_returns_the_listing_once_for_the_same_folder(tmp_path):
    d = _drop(tmp_path)
    prelisting.start(d)
    assert prelisting.take(tmp_path / "other") is None  # another folder: nothing
    assert prelisting.take(tmp_path / "drop" / "sub" / "..") == dataset.discover(d)  # same folder, any spelling
    assert prelisting.take(d) is None  # once: a second flow run lists the folder itself


def test_missing_folder_or_failed_listing_leaves_it_to_the_flow(tmp_path, monkeypatch):
    prelisting.start(tmp_path / "nope")
    assert prelisting.take(tmp_path / "nope") is None
    d = _drop(tmp_path)

    def broken(path):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(dataset, "discover", broken)
    prelisting.start(d)
    assert prelisting.take(d) is None
