"""Assessment on Dask: a real cluster of 2 worker processes (reached by its tcp:// address, or
started by --scheduler local) scores every log exactly once, the same as the process pool,
also when a worker process dies in the middle of the run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from phantoms import record

import scoring.assess
from scoring.assess import score_job
from scoring.cluster import batches
from scoring.store import Store
from simulator.cli import main

KILL_MARKER = "JOINTSIM_TEST_KILL_MARKER"


@pytest.fixture(scope="module")
def recordings(block_scenario, tmp_path_factory):
    """The logs' folder, the logs, and the assessor's scenario option (logs never choose
    their own scenario)."""
    folder = tmp_path_factory.mktemp("recordings")
    logs = [record(block_scenario, folder, "expert", s, "Expert A") for s in (1, 2, 3)]
    logs += [record(block_scenario, folder, "novice", s, "Novice B") for s in (4, 5, 6)]
    return folder, logs, ["--scenarios", str(block_scenario.parent)]


def _stored(out: Path) -> list[dict]:
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    try:
        return store.sessions()
    finally:
        store.close()


def _run_ids(logs) -> set[str]:
    return {json.loads(log.read_text().splitlines()[0])["run_id"] for log in logs}


def _score_or_die_once(job):
    """score_job, except that the first call anywhere kills its own worker process."""
    try:
        os.close(os.open(os.environ[KILL_MARKER], os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return score_job(job)
    os._exit(1)


@pytest.mark.parametrize(("n_items", "n_workers"), [(0, 2), (1, 2), (7, 2), (100, 3), (1000, 2)])
def test_batches_cover_every_item_once_in_order(n_items, n_workers):
    spans = batches(n_items, n_workers)
    assert [i for span in spans for i in span] == list(range(n_items))
    assert all(1 <= len(span) <= 16 for span in spans)
    if n_items >= 8 * n_workers:
        assert len(spans) >= 4 * n_workers  # enough tasks to keep every worker busy


@pytest.mark.slow
def test_a_running_cluster_scores_like_the_process_pool(recordings, tmp_path, capsys):
    from distributed import LocalCluster

    folder, logs, pinned = recordings
    dask_out, pool_out = tmp_path / "dask", tmp_path / "pool"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        assert main(["assess", str(folder), "--out", str(dask_out), "--no-images",
                     "--scheduler", cluster.scheduler_address, *pinned]) == 0
    printed = capsys.readouterr()
    assert "6 added, 0 updated" in printed.out and "Dask cluster" in printed.err
    assert main(["assess", str(folder), "--out", str(pool_out), "--no-images",
                 "--jobs", "1", *pinned]) == 0
    dask_rows = {r["run_id"]: r for r in _stored(dask_out)}
    pool_rows = {r["run_id"]: r for r in _stored(pool_out)}
    assert set(dask_rows) == _run_ids(logs)
    for run_id, row in pool_rows.items():
        assert dask_rows[run_id]["score"] == row["score"]
        assert dask_rows[run_id]["metrics"] == row["metrics"]
        assert (dask_out / "sessions" / row["trainee"].replace(" ", "_") / run_id /
                "report.html").is_file()


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(recordings, tmp_path,
                                                              monkeypatch, capsys):
    folder, logs, pinned = recordings
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_MARKER, str(marker))  # before the cluster's workers start
    monkeypatch.setattr(scoring.assess, "score_job", _score_or_die_once)
    out = tmp_path / "run"
    assert main(["assess", str(folder), "--out", str(out), "--no-images",
                 "--scheduler", "local", "--jobs", "2", *pinned]) == 0
    assert marker.exists()  # a worker did die
    assert "6 added, 0 updated" in capsys.readouterr().out
    rows = _stored(out)
    assert len(rows) == len(logs)
    assert {r["run_id"] for r in rows} == _run_ids(logs)


def test_unreadable_scheduler_address_is_one_clear_line(tmp_path, capsys):
    log = tmp_path / "session.jsonl"  # never read: the address is checked first
    log.write_text("{}\n")
    assert main(["assess", str(log), "--out", str(tmp_path / "run"), "--no-images",
                 "--scheduler", "my-cluster"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler" in err and "tcp://HOST:8786" in err
    assert not (tmp_path / "run").exists()
