"""Assessment figures: the measured time to assess 1,000 busy ten-minute sessions without
report images on 2 cores, sessions re-scored per minute, and report generation time.

The ten-minute sessions are the core suite's busy sessions (``busy_actions``: the needle or
probe moves on almost every tick, the worst case for replay). Recording 1,000 of them would
itself take hours, so ``STREAMS`` of them are recorded (different ``busy_actions`` seeds)
and the cohort is made of relabelled copies: each copy gets its own run id, trainee and
start time, with the hash chain recomputed, so every one is a distinct, valid attempt that
the real ``assess`` pipeline verifies by a full replay and re-scores (nothing is shared
between copies except the worker processes' loaded scenario and anatomy).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from simulator.bench.core import SESSION_S, busy_actions, cpu_of_children_s, figure

SCENARIO = "hip_anterior_us"
SESSIONS = 1000
STREAMS = 8
POLICY_BATCH = 8
WORKERS = 2


def _record_busy(path: Path, folder: Path, n: int, progress) -> list[Path]:
    from simulator.loading import load_world
    from simulator.session import Session

    world = load_world(path, progress=progress)
    logs = []
    for k in range(n):
        log = folder / f"busy_{k}.jsonl"
        session = Session(world, log_path=log, trainee=f"bench {k % 4}",
                          scenario_path=path.resolve(), mode="assessment", signer=None)
        for a in busy_actions(world, SESSION_S, seed=k):
            session.step(a)
        session.close({"policy": "expert" if k % 2 else "novice"})
        logs.append(log)
    return logs


def relabel(source: Path, dest: Path, run_id: str, trainee: str, started_utc: str) -> Path:
    """Write ``source`` (an unsigned chained log) to ``dest`` as another attempt: the same
    records under a header with ``run_id``, ``trainee`` and ``started_utc``, chained anew."""
    from simulator.log import CHAIN_START, canonical, chain_hash

    previous = CHAIN_START
    lines = []
    for number, line in enumerate(source.read_bytes().splitlines()):
        record = json.loads(line)
        record.pop("h")
        if number == 0:
            record.update(run_id=run_id, trainee=trainee, started_utc=started_utc)
        previous = chain_hash(previous, record)
        lines.append(canonical({**record, "h": previous}))
    dest.write_bytes(b"\n".join(lines) + b"\n")
    return dest


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


def run(progress, sessions: int = SESSIONS) -> list[dict]:
    from scoring.assess import Job, assess, parallel, score_job, store_results
    from scoring.report import session_pictures, write_session_report
    from scoring.report.session import analyse
    from scoring.store import Store
    from simulator.paths import scenario_path

    path = scenario_path(SCENARIO)
    minutes = f"{SESSION_S / 60:.0f}-minute"
    tmp = Path(tempfile.mkdtemp(prefix="jointsim-bench-assess-"))
    out = []
    try:
        streams = min(STREAMS, sessions)
        progress(f"recording {streams} busy {minutes} sessions")
        sources = _record_busy(path, tmp, streams, progress)
        cohort = tmp / "cohort"
        cohort.mkdir()
        logs = [relabel(sources[k % streams], cohort / f"s{k:04d}.jsonl", f"bench{k:06d}",
                        f"bench {k % 40}", f"2026-01-01T{k // 60 % 24:02d}:{k % 60:02d}:00+00:00")
                for k in range(sessions)]
        jobs = [Job(log) for log in logs]
        parallel(score_job, [Job(s) for s in sources[:WORKERS]], WORKERS)  # warm the caches
        progress(f"assess: {sessions} {minutes} sessions, no images, {WORKERS} workers "
                 "(verify by replay, re-score, report, database, cohort report)")
        store = Store(f"sqlite:///{tmp / 'results.sqlite'}")
        stage = tmp / "stage"
        stage.mkdir()
        cpu = cpu_of_children_s()
        t = time.perf_counter()
        summary = store_results(assess(jobs, stage, tmp / "out", store, images=False,
                                       jobs=WORKERS), store)
        t_assess = time.perf_counter() - t
        cpu = cpu_of_children_s() - cpu
        load = os.getloadavg()[0]
        assert not summary.skipped, summary.skipped[:3]
        assert len(summary.scored) == sessions and summary.added == sessions
        assert all(s.scored.verification.replay_verified for s in summary.scored)
        t_cohort = _cohort_part(store, tmp / "c1")
        store.close()
        out.append(figure(f"assess {sessions:,} {minutes} sessions, no images, {WORKERS} "
                          "cores (measured)", t_assess / 60.0, "min", "< 5"))
        out.append(figure(f"  {minutes} sessions re-scored per minute ({WORKERS} cores)",
                          60.0 * sessions / t_assess, "sessions/min"))
        out.append(figure(f"  of which cohort report + CSV over {sessions:,} sessions",
                          t_cohort, "s"))
        out.append(figure(f"  CPU time of the {WORKERS} workers per session (wall time on an "
                          "idle machine is about this / 2 x sessions)", cpu / sessions, "s"))
        out.append(figure(f"  the same from CPU time: {SESSIONS:,} sessions on {WORKERS} idle "
                          "cores (estimate: CPU per session x sessions / cores)",
                          cpu / sessions * SESSIONS / WORKERS / 60.0, "min", "< 5"))
        # other work on the machine stretches the wall time: say how busy it was
        out.append(figure("  machine load average (1 min) at the end of the assess run",
                          load, "processes"))

        progress(f"re-scoring {POLICY_BATCH} policy-recorded sessions (expert and novice)")
        policy_jobs = [Job(_policy_log(path, tmp, ("expert", "novice")[k % 2], k))
                       for k in range(POLICY_BATCH)]
        t = time.perf_counter()
        scored = parallel(score_job, policy_jobs, WORKERS)
        t_policy = time.perf_counter() - t
        assert all(s.scored is not None for s in scored), [s.error for s in scored]
        length = sum(s.scored.value("total_time_s") for s in scored)
        out.append(figure(f"policy sessions (about {length / POLICY_BATCH / 60:.1f} min each) "
                          f"re-scored per minute ({WORKERS} cores)",
                          60.0 * POLICY_BATCH / t_policy, "sessions/min"))

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
