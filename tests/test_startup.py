"""The drop listing the CLI takes while Prefect's temporary API boots (flows.startup)."""
from pipeline.storage import planning

from flows import startup


def _drop(tmp_path):
    d = tmp_path / "drop"
    (d / "sub").mkdir(parents=True)
    for name in ("b.txt", "a.jsonl", "sub/c.txt", ".hidden"):
        (d / name).write_text("x")
    return d


def test_take_returns_the_listing_once_for_the_same_folder(tmp_path):
    d = _drop(tmp_path)
    startup.start_listing(d)
    assert startup.take_listing(tmp_path / "other") is None  # another folder: nothing
    assert startup.take_listing(tmp_path / "drop" / "sub" / "..") == planning.discover(d)  # same folder, any spelling
    assert startup.take_listing(d) is None  # once: a second flow run lists the folder itself


def test_missing_folder_or_failed_listing_leaves_it_to_the_flow(tmp_path, monkeypatch):
    startup.start_listing(tmp_path / "nope")
    assert startup.take_listing(tmp_path / "nope") is None
    d = _drop(tmp_path)

    def broken(path):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(planning, "discover", broken)
    startup.start_listing(d)
    assert startup.take_listing(d) is None


def test_prefects_own_server_gets_a_loaded_machines_start_up_time_unless_configured():
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as T
    from prefect.settings import temporary_settings

    from flows.tempapi import STARTUP_TIMEOUT_SECONDS

    assert T.value() == 20, "Prefect's default, which a first start on a busy machine exceeds"
    with startup._prefects_own_server():
        assert T.value() == STARTUP_TIMEOUT_SECONDS
    with temporary_settings(updates={T: 45}):
        with startup._prefects_own_server():
            assert T.value() == 45, "a configured value is the user's choice"


def test_only_the_common_form_with_a_missing_first_argument_skips_the_early_api(tmp_path):
    assert startup.first_argument_missing(["run", str(tmp_path / "nope")])
    assert not startup.first_argument_missing(["run", str(tmp_path)])
    assert not startup.first_argument_missing(["run", "--out", "x", str(tmp_path / "nope")])
