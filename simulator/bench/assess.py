"""Assessment figures: sessions re-scored per minute on 2 cores, report generation time, and
the time to assess 1,000 ten-minute sessions without report images.

The ten-minute sessions are the core suite's busy sessions (``busy_actions``: the needle or
probe moves on every tick, the worst case for replay); the 1,000-session figure is measured on
a smaller batch through the whole ``assess`` pipeline (replay, verify, re-score, report
without images, database, cohort report) and extrapolated, as its name says.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from simulator.bench.core import SESSION_S, busy_actions, figure

SCENARIO = "hip_anterior_us"
BATCH = 8
WORKERS = 2


def _record_busy(path: Path, folder: Path, n: int, progress) -> list[Path]:
    from simulator.loading import load_world
    from simulator.session import Session

    world = load_world(path, progress=progress)
    logs = []
    for k in range(n):
        log = folder / f"busy_{k}.jsonl"
        session = Session(world, log_path=log, trainee=f"bench {k % 4}",
                          scenario_path=path.resolve(), mode="assessment")
        for a in busy_actions(world, SESSION_S, seed=k):
            session.step(a)
        session.close({"policy": "expert" if k % 2 else "novice"})
        logs.append(log)
    return logs


def _policy_log(path: Path, folder: Path, policy: str = "novice", seed: int = 0) -> Path:
    from simulator.loading import load_world
    from simulator.policies import make_policy
    from simulator.session import Session, run_policy

    world = load_world(path, seed=seed)
    log = folder / f"{policy}_{seed}.jsonl"
    session = Session(world, log_path=log, trainee=f"bench {policy}",
                      scenario_path=path.resolve(), mode="assessment")
    run_policy(session, make_policy(policy, world, seed),
               max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
    session.close({"policy": policy})
    return log


def _cohort_part(store, folder: Path) -> float:
    from scoring.cohort_report import write_cohort_report, write_csv

    folder.mkdir()
    t = time.perf_counter()
    rows = store.sessions()
    write_cohort_report(rows, folder, db_url=store.url)
    write_csv(rows, folder / "sessions.csv")
    return time.perf_counter() - t


def run(progress) -> list[dict]:
    from scoring.assess import Job, assess, parallel, score_job, store_results
    from scoring.report import session_pictures, write_session_report
    from scoring.report.session import analyse
    from scoring.store import Store
    from simulator.paths import scenario_path

    path = scenario_path(SCENARIO)
    tmp = Path(tempfile.mkdtemp(prefix="jointsim-bench-assess-"))
    out = []
    try:
        progress(f"recording {BATCH} busy {SESSION_S / 60:.0f}-minute sessions")
        logs = _record_busy(path, tmp, BATCH, progress)
        jobs = [Job(log) for log in logs]
        parallel(score_job, jobs[:WORKERS], WORKERS)  # warm the workers' imports and caches
        progress(f"re-scoring them on {WORKERS} worker processes")
        t = time.perf_counter()
        scored = parallel(score_job, jobs, WORKERS)
        t_score = time.perf_counter() - t
        assert all(s.scored is not None for s in scored), [s.error for s in scored]
        out.append(figure(f"{SESSION_S / 60:.0f}-minute sessions re-scored per minute "
                          f"({WORKERS} cores)", 60.0 * BATCH / t_score, "sessions/min"))

        progress(f"re-scoring {BATCH} policy-recorded sessions (expert and novice)")
        policy_jobs = [Job(_policy_log(path, tmp, ("expert", "novice")[k % 2], k))
                       for k in range(BATCH)]
        t = time.perf_counter()
        scored = parallel(score_job, policy_jobs, WORKERS)
        t_policy = time.perf_counter() - t
        assert all(s.scored is not None for s in scored), [s.error for s in scored]
        minutes = sum(s.scored.value("total_time_s") for s in scored) / BATCH / 60
        out.append(figure(f"policy sessions (about {minutes:.1f} min each) re-scored per "
                          f"minute ({WORKERS} cores)", 60.0 * BATCH / t_policy,
                          "sessions/min"))

        progress("full assess pipeline without images")
        store = Store(f"sqlite:///{tmp / 'results.sqlite'}")
        stage = tmp / "stage"
        stage.mkdir()
        t = time.perf_counter()
        summary = store_results(assess(jobs, stage, tmp / "out", store, images=False,
                                       jobs=WORKERS), store)
        t_assess = time.perf_counter() - t
        assert not summary.skipped, summary.skipped
        # the cohort part (read back, cohort report, CSV) is paid once per run, not per
        # session: measure it for this batch and for 1,000 stored sessions
        t_fixed_batch = _cohort_part(store, tmp / "c1")
        progress("cohort report over 1,000 stored sessions")
        done = [s.scored for s in summary.scored]
        records = [{"scored": done[k % len(done)].with_identity(run_id=f"copy-{k}")}
                   for k in range(1000 - len(done))]
        t = time.perf_counter()
        store.save(records)
        t_save = time.perf_counter() - t
        t_fixed_1000 = _cohort_part(store, tmp / "c2")
        store.close()
        per_session = (t_assess - t_fixed_batch) / BATCH
        total_min = (1000 * per_session + t_save + t_fixed_1000) / 60.0
        out.append(figure(f"assess 1,000 {SESSION_S / 60:.0f}-minute sessions, no images, "
                          f"{WORKERS} cores (per-session cost measured on {BATCH}, "
                          "extrapolated)", total_min, "min", "< 10"))
        out.append(figure("  of which cohort report + CSV over 1,000 sessions",
                          t_fixed_1000, "s"))

        progress("one session report with images (novice policy session)")
        log = policy_jobs[1].log
        t = time.perf_counter()
        analysis = analyse(log)
        write_session_report(analysis.scored, tmp / "report",
                             pictures=session_pictures(analysis))
        t_report = time.perf_counter() - t
        out.append(figure("session report with images (replay + key frames + plots + "
                          "HTML + PDF)", t_report, "s"))
        t = time.perf_counter()
        analysis = analyse(log, timeline=False)
        write_session_report(analysis.scored, tmp / "report_plain")
        out.append(figure("session report without images", time.perf_counter() - t, "s"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
