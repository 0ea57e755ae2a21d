"""The CLI's console: progress lines from the first second, a heartbeat when nothing is said, and
one-line errors instead of tracebacks."""
import io
import os
import re
import time

import pytest

from flows import cli, console


def test_lines_carry_the_seconds_since_the_command_started():
    out = io.StringIO()
    con = console.Console(stream=out, started=time.monotonic() - 12.5)
    con.say("listed raw/x: 3 files, 0.1 MB")
    [(t, msg)] = re.findall(r"^\[ *([\d.]+)s\] (.*)$", out.getvalue(), re.M)
    assert float(t) >= 12.5 and msg == "listed raw/x: 3 files, 0.1 MB"


def test_heartbeat_repeats_what_is_still_going_on_and_stops_with_it():
    out = io.StringIO()
    con = console.Console(stream=out, heartbeat=0.05).start()
    try:
        con.doing("waiting for Prefect's API to start", announce=False)
        deadline = time.monotonic() + 30
        while "still waiting" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "... still waiting for Prefect's API to start" in out.getvalue()
        con.doing(None)
        time.sleep(0.2)  # a heartbeat may be on its way; after it, silence
        n = out.getvalue().count("still")
        time.sleep(0.3)
        assert out.getvalue().count("still") == n, "nothing to repeat once the activity ended"
    finally:
        con.close()


def test_flows_say_nothing_without_a_console():
    console.install(None)
    console.say("not printed anywhere")  # no error, no output: served runs and tests
    console.doing("anything")


def test_a_new_prefect_home_is_announced_as_a_database_to_create(tmp_path):
    env = {"PREFECT_HOME": str(tmp_path / "home")}
    assert console.prefect_database_to_create(env) == tmp_path / "home" / "prefect.db"
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "prefect.db").write_bytes(b"")
    assert console.prefect_database_to_create(env) is None
    other = {"PREFECT_HOME": str(tmp_path / "x"), "PREFECT_SERVER_DATABASE_CONNECTION_URL": "postgresql+asyncpg://db"}
    assert console.prefect_database_to_create(other) is None


def test_folder_problems_are_one_line(tmp_path, monkeypatch):
    assert cli.folder_problem(str(tmp_path), "drop folder") is None
    assert cli.folder_problem(str(tmp_path / "nope"), "drop folder") == f"drop folder not found: {tmp_path / 'nope'}"
    (tmp_path / "f.txt").write_text("x")
    assert "must be a folder, not a file" in cli.folder_problem(str(tmp_path / "f.txt"), "drop folder")

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(os, "scandir", denied)
    assert cli.folder_problem(str(tmp_path), "raw root") == f"cannot read raw root {tmp_path}: Permission denied"


@pytest.mark.parametrize("command", ["run", "new"])
def test_missing_input_folder_is_an_error_line_and_exit_2(command, tmp_path, capsys):
    assert cli.main([command, str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    what = "drop folder" if command == "run" else "raw root"
    assert err.strip().splitlines() == [f"corpus-clean: error: {what} not found: {tmp_path / 'nope'}"]
    assert not (tmp_path / "out").exists()


def test_report_on_a_missing_dataset_exits_non_zero(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nope")]) == 2
    assert "no dataset folder at" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists(), "no folder is created for the report"


def test_rejects_are_broken_down_by_reason_on_the_console(capsys):
    summaries = [
        {"drop": "a", "files": 30, "documents": 20, "rejects": 24, "seconds": 2.0, "mb_per_s": 1.0,
         "reject_reasons": {"missing_text": 20, "binary": 3, "empty": 1}, "phases": {"shards": 1.5},
         "steps": {"empty": {"empty": 2}}},
        {"drop": "b", "files": 2, "documents": 2, "rejects": 1, "seconds": 1.0, "mb_per_s": 1.0,
         "reject_reasons": {"binary": 1}, "phases": {"shards": 0.5}},
    ]
    assert cli._print_summary(summaries, "clean", wall=9.0) == 0
    out, err = capsys.readouterr()
    assert "drop a: 30 files, 20 documents, 24 rejects (20 missing_text, 3 binary, 1 empty)," in out
    assert "drop b: 2 files, 2 documents, 1 rejects (1 binary)," in out
    assert "total: 32 files, 22 documents, 25 rejects; 9.0s wall time since the command started (cleaning 2.0s)" in out
    assert "WARNING: 25 input(s) were REJECTED (20 missing_text, 4 binary, 1 empty)" in err
    assert "NOTE: 2 document(s) have no text left after cleaning" in err
