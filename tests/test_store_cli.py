"""``jointsim assess`` and its results store: copies of a log are one attempt, an edited
log under a stored run id is a conflict, two runs write one store at once, a killed
simulated cohort re-runs cleanly, and unusable ``--db`` values are one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from log_edits import rechain, records
from phantoms import record
from store_backends import BACKENDS, store_url

from scoring.store import Store
from simulator.cli import main

CLI = [sys.executable, "-m", "simulator.cli"]


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with store_url(request.param, tmp_path) as u:
        yield u


@pytest.fixture(scope="module")
def pinned(block_scenario) -> list[str]:
    """The assessor's copy of the block scenario (logs never choose their own)."""
    return ["--scenarios", str(block_scenario.parent)]


@pytest.fixture(scope="module")
def logs(block_scenario, tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    return [record(block_scenario, folder, policy, seed, name)
            for policy, seed, name in (("expert", 1, "Expert A"), ("novice", 2, "Novice B"),
                                       ("expert", 3, "Expert A"))]


def test_copies_are_one_attempt_and_an_edited_copy_is_a_conflict(logs, pinned, url, tmp_path,
                                                                 capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    copy = folder / "copy.jsonl"
    copy.write_bytes(logs[0].read_bytes())  # the same attempt filed twice
    args = [str(logs[0]), str(copy), "--out", str(tmp_path / "o"), "--db", url, "--no-images",
            "--jobs", "1", *pinned]
    assert main(["assess", *args]) == 0
    printed = capsys.readouterr().out
    assert "1 added, 0 updated; 1 in the database" in printed
    assert "counted once" in printed and "copy.jsonl" in printed
    assert main(["assess", *args]) == 0  # idempotent
    assert "0 added, 1 updated; 1 in the database" in capsys.readouterr().out
    # the same run id with other content (the trainee renamed in the header and the chain
    # recomputed, so the log itself is consistent but unsigned): not stored
    recs = records(logs[0])
    recs[0]["trainee"] = "Someone Else"
    edited = folder / "edited.jsonl"
    edited.write_text(rechain(recs))
    assert main(["assess", str(edited), "--out", str(tmp_path / "o2"), "--db", url,
                 "--no-images", "--jobs", "1", *pinned]) == 1
    printed = capsys.readouterr().out
    assert "edited.jsonl" in printed and "with other content" in printed
    store = Store(url)
    rows = store.sessions()
    assert [r["trainee"] for r in rows] == ["Expert A"]
    assert Path(rows[0]["report_path"]).is_file()
    store.close()


def test_rows_are_committed_only_when_their_files_are_in_place(logs, pinned, tmp_path,
                                                               monkeypatch, capsys):
    seen = []
    save = Store.save

    def checked_save(self, records):
        for rec in records:
            for key in ("report_path", "log_path"):
                assert Path(rec[key]).is_file() and ".partial" not in rec[key], rec[key]
            seen.append(rec["scored"].identity.run_id)
        return save(self, records)

    monkeypatch.setattr(Store, "save", checked_save)
    out = tmp_path / "o"
    assert main(["assess", *map(str, logs[:2]), "--out", str(out), "--no-images",
                 "--jobs", "1", *pinned]) == 0
    assert len(seen) == 2 and "2 added" in capsys.readouterr().out
    assert not list(tmp_path.glob(".o.*.partial"))


def test_two_assess_runs_write_one_store_at_once(logs, pinned, tmp_path):
    url = f"sqlite:///{tmp_path / 'results.sqlite'}"  # test_store races both backends
    runs = [subprocess.Popen([*CLI, "assess", *map(str, part), "--out", str(tmp_path / name),
                              "--db", url, "--no-images", "--jobs", "1", *pinned],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name, part in (("a", logs[:2]), ("b", logs[1:]))]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    store = Store(url)
    rows = store.sessions()
    assert len(rows) == 3 and len({r["run_id"] for r in rows}) == 3
    assert all(Path(r["report_path"]).is_file() for r in rows)
    store.close()


@pytest.mark.slow  # ~40 s of CPU; test_rows_are_committed_only_when_their_files_are_in_place
# keeps the rows-follow-files rule in the default run
def test_a_killed_simulated_cohort_reruns_and_stores_only_files_in_place(block_scenario,
                                                                         tmp_path):
    out = tmp_path / "cohort"
    args = [*CLI, "assess", "--simulate-cohort", "6", "--scenario", str(block_scenario),
            "--out", str(out), "--no-images", "--jobs", "1"]
    run = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob(".cohort.*.partial/recordings/*.jsonl")):
        assert run.poll() is None and time.monotonic() < deadline, "no recording was started"
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert list(tmp_path.glob(".cohort.*.partial"))  # killed mid-way, as a power cut would
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    assert store.count() == (0, 0)
    store.close()

    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "assessed 6 session(s)" in done.stdout
    assert not list(tmp_path.glob(".cohort.*.partial"))
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    rows = store.sessions()
    assert len(rows) == 6
    for r in rows:
        assert ".partial" not in r["log_path"] + r["report_path"] + r["score_json"]
        assert Path(r["log_path"]).is_file() and Path(r["report_path"]).is_file()
    store.close()


@pytest.mark.parametrize("db, words", [
    ("sqlite:///:memory:", "in-memory database"),
    ("sqlite://", "in-memory database"),
    ("{tmp}/notes.txt", "is not a SQLite database"),
    ("{tmp}/no/such/folder/results.sqlite", "does not exist; create it first"),
    ("mysql://u@h/db", "runs on SQLite or PostgreSQL"),
])
def test_unusable_db_is_one_clear_line_and_creates_nothing(logs, tmp_path, db, words, capsys):
    (tmp_path / "notes.txt").write_text("not a database\n")
    db = db.format(tmp=tmp_path)
    out = tmp_path / "o"
    assert main(["assess", str(logs[0]), "--out", str(out), "--db", db, "--no-images"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--db" in err[0] and words in err[0], err
    assert db in err[0]
    assert not out.exists() and not (tmp_path / "no").exists()
    assert (tmp_path / "notes.txt").read_text() == "not a database\n"
