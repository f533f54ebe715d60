"""``jointsim report`` (one session's report) and ``jointsim assess`` (assessment runs and
cohort reports)."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import (
    DEFAULT_SCENARIO,
    not_replayed,
    progress_bar,
    say,
    staged_dir,
    verdict,
)
from simulator.cli.core import SCENARIOS_HELP
from simulator.errors import InputError


def _need_report_extra() -> None:
    from importlib.util import find_spec

    missing = [m for m in ("matplotlib", "jinja2", "reportlab", "sqlalchemy", "alembic")
               if find_spec(m) is None]
    if missing:
        raise InputError(f"reports need {', '.join(missing)}: install them with "
                         "pip install 'jointsim[report]'")


@app.command()
def report(
    log: Path = typer.Argument(..., help="Session log (JSON Lines)."),
    out: Path = typer.Option(..., "--out", help="Folder for report.html, report.pdf and "
                             "score.json."),
    scenario: str | None = typer.Option(None, help="The assessor's scenario file for this "
                                        "log (instead of looking it up in --scenarios)."),
    scenarios: Path | None = typer.Option(None, "--scenarios", help=SCENARIOS_HELP),
    images: bool = typer.Option(True, "--images/--no-images", help="Key frames, timeline and "
                                "3D path (slower)."),
) -> None:
    """Replay, verify and re-score a session log and write its report (HTML, PDF, JSON)."""
    _need_report_extra()
    from scoring.report import session_pictures, write_session_report
    from scoring.report.session import analyse

    analysis = analyse(log, scenario, timeline=images, scenarios=scenarios)
    scored = analysis.scored
    if not scored.verification.replay_verified:
        raise not_replayed(log, scored.verification.replay_mismatch_tick)
    with staged_dir(out) as stage:
        write_session_report(scored, stage,
                             pictures=session_pictures(analysis) if images else None)
    print(verdict(scored))
    for name in ("report.html", "report.pdf", "score.json"):
        print(f"  {out / name}")


@app.command()
def assess(
    recordings: list[Path] = typer.Argument(None, help="Session logs, or folders searched "
                                            "for *.jsonl."),
    out: Path = typer.Option(..., "--out", help="Output folder: session reports, cohort "
                             "report, CSV and (by default) the results database."),
    db: str | None = typer.Option(None, "--db", help="Results database: a SQLAlchemy URL "
                                  "(postgresql://user@host/db, with jointsim[postgresql]) or "
                                  "a SQLite file path (default: OUT/results.sqlite)."),
    images: bool = typer.Option(True, "--images/--no-images", help="Key frames and plots in "
                                "the session reports."),
    jobs: int = typer.Option(0, "--jobs", help="Worker processes (0: one per CPU core)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Score on a Dask cluster: "
                                         "'local' starts one here (--jobs workers), "
                                         "tcp://HOST:8786 uses a running scheduler (its "
                                         "workers need jointsim and these paths)."),
    groups: Path | None = typer.Option(None, "--groups", help="CSV 'trainee,group' giving "
                                       "each trainee's skill group (novice, expert ...)."),
    simulate_cohort: int = typer.Option(0, "--simulate-cohort", metavar="N", help="Record N "
                                        "sessions from the expert and novice policies over "
                                        "several patients, then assess them."),
    scenario: str = typer.Option(DEFAULT_SCENARIO, help="Scenario for --simulate-cohort."),
    seed: int = typer.Option(0, help="First seed for --simulate-cohort."),
    cusum_criterion: str = typer.Option("passed", help="Success for the CUSUM: 'passed' or "
                                        "'<metric> <op> <number>', e.g. "
                                        "'tip_to_target_mm<=3'."),
    cusum_p0: float = typer.Option(0.10, help="CUSUM acceptable failure rate."),
    cusum_p1: float = typer.Option(0.30, help="CUSUM unacceptable failure rate."),
    cusum_alpha: float = typer.Option(0.10, help="CUSUM type I error."),
    cusum_beta: float = typer.Option(0.20, help="CUSUM type II error."),
    trust: list[Path] = typer.Option(None, "--trust", help="Public key (.pub from 'jointsim "
                                     "keys init'); only logs signed by a --trust key are "
                                     "stored, unsigned and other-key logs are listed as "
                                     "skipped. Repeatable."),
    scenarios: Path | None = typer.Option(None, "--scenarios", help="Folder of the "
                                          "assessor's scenario files: each log is graded with "
                                          "the file there of its scenario id and must match "
                                          "its checksum (default: the shipped scenarios; "
                                          "the log's own scenario path is never used)."),
    xapi_out: Path | None = typer.Option(None, "--xapi-out", help="Also write this run's "
                                         "attempts as xAPI 2.0 statements to this JSON file "
                                         "(see 'jointsim xapi' to send them to an LRS)."),
) -> int:
    """Verify, re-score and report session logs; store results; write the cohort report.

    Every log's status (tampered, incomplete, legacy, unsigned, signed, untrusted, trusted)
    is printed and written to OUT/log_status.txt; only complete logs (signed by a --trust key
    when given) are stored."""
    _need_report_extra()
    from scoring import cohort
    from scoring.assess import (
        LOG_STATUS_FILE,
        Job,
        default_jobs,
        find_logs,
        read_groups,
        store_results,
    )
    from scoring.assess import assess as run_assess
    from scoring.staging import output_lock
    from scoring.store import Store, check_url, database_url
    from simulator.integrity import trusted_keys

    keys = trusted_keys(trust)
    if scenarios is not None and not scenarios.is_dir():
        raise InputError("not a folder of scenario files", path=scenarios, field="--scenarios")
    design = cohort.CusumDesign(cusum_p0, cusum_p1, cusum_alpha, cusum_beta)
    criterion = cohort.parse_criterion(cusum_criterion)
    group_of = read_groups(groups)
    jobs = jobs if jobs > 0 else default_jobs()
    if simulate_cohort and recordings:
        raise InputError("give RECORDINGS or --simulate-cohort N, not both",
                         field="--simulate-cohort")
    if simulate_cohort < 0:
        raise InputError("--simulate-cohort needs a positive number of sessions",
                         field="--simulate-cohort")
    logs, missing = find_logs(recordings or [])
    if not simulate_cohort and not logs:
        gone = f" (not found: {', '.join(str(p) for p, _ in missing)})" if missing else ""
        raise InputError(f"no session logs found{gone}: give log files or folders holding "
                         "*.jsonl files, or --simulate-cohort N", field="RECORDINGS")
    if out.exists() and not out.is_dir():
        raise InputError("is a file; --out needs a folder (new or from an earlier assess)",
                         path=out, field="--out")
    if xapi_out is not None and xapi_out.is_dir():
        raise InputError("is a folder; give a file name such as statements.json",
                         path=xapi_out, field="--xapi-out")
    url = database_url(db, out)
    if db:
        check_url(url)  # before any folder is made
    pool = _pool(scheduler, jobs)  # connects now: a bad --scheduler fails before any output
    with pool as pool, output_lock(out, say) as stale:
        if stale:
            say(f"removed {len(stale)} unfinished output folder(s) of an interrupted run")
        if not db:
            out.mkdir(parents=True, exist_ok=True)
        store = Store(url)
        try:
            if simulate_cohort:
                _check_fresh(store, db)
            with staged_dir(out) as stage:
                if simulate_cohort:
                    job_list = _simulate(simulate_cohort, scenario, seed, stage, out, jobs)
                else:
                    job_list = [Job(p, group=group_of.get(_trainee(p), "")) for p in logs]
                job_list = [replace(j, scenarios=scenarios, trusted=keys) for j in job_list]
                bar = progress_bar(2 * len(job_list), "assess", "step")
                summary = run_assess(job_list, stage, out, store, images=images, jobs=pool,
                                     bar=bar, extra_skipped=missing,
                                     cohort_options={"design": design, "criterion": criterion})
                bar.close()
            store_results(summary, store)  # files are in place: now the rows
            sessions, _ = store.count()
        finally:
            store.close()
    print(f"assessed {len(summary.scored)} session(s) in {summary.seconds:.1f} s: "
          f"{summary.added} added, {summary.updated} updated; {sessions} in the database")
    counts = Counter(why.split(":", 1)[0] for _, why in summary.statuses)
    print("log status: " + ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
          + f" (each log: {out / LOG_STATUS_FILE})")
    if summary.copies:
        print(f"{len(summary.copies)} log(s) counted once, being copies of another:")
        for copy, kept in summary.copies:
            print(f"  {copy}: same attempt as {kept}")
    if summary.skipped:
        print(f"skipped {len(summary.skipped)} log(s):")
        for path, why in summary.skipped:
            print(f"  {path}: {why}")
    print(f"  cohort report: {out / 'cohort_report.html'} (and .pdf)")
    print(f"  session reports: {out / 'sessions'}")
    print(f"  table: {out / 'sessions.csv'}")
    if xapi_out is not None:
        from scoring.xapi.lrs import write_statements
        from scoring.xapi.statements import XapiConfig, checked_statements

        statements = checked_statements([s.scored for s in summary.scored], XapiConfig())
        write_statements(statements, xapi_out)
        print(f"  xAPI statements: {xapi_out} ({len(statements)})")
    return 1 if summary.skipped else 0


def _pool(scheduler: str | None, jobs: int):
    """What runs the scoring, as a context manager: ``jobs`` local processes, or a Dask
    cluster (connected now, closed on exit)."""
    if scheduler is None:
        return nullcontext(jobs)
    from scoring.cluster import DaskPool

    pool = DaskPool(scheduler, jobs)
    say(f"assessing on the {pool}")
    return pool


def _trainee(log: Path) -> str:
    import json

    try:
        with open(log, encoding="utf-8") as f:
            return str(json.loads(f.readline()).get("trainee", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _check_fresh(store, db: str | None) -> None:
    if db is None and store.count()[0]:
        raise InputError("this folder already holds assessed sessions; a simulated cohort "
                         "records new sessions, so give it a new --out folder",
                         path=Path(store.engine.url.database), field="--out")


def _simulate(n: int, scenario: str, seed: int, stage: Path, out: Path, jobs: int):
    from scoring.assess import Job, parallel
    from scoring.cohort_sim import RecordJob, plan_cohort, record_trainee, write_variants
    from simulator.loading import load_world
    from simulator.paths import scenario_path

    path = scenario_path(scenario)
    if not path.is_file():
        raise InputError(f"scenario {scenario!r} not found; give a scenario file or a shipped "
                         "name such as hip_anterior_us", field="--scenario")
    load_world(path, progress=say)  # validates the scenario before any recording
    people = plan_cohort(n)
    rec = stage / "recordings"
    variants = write_variants(path, rec / "scenarios", (out / "recordings" / "scenarios"))
    say(f"recording {n} simulated sessions ({len(people)} trainees, {len(variants)} "
        f"patients) with {jobs} worker(s)")
    for staged, _ in variants:  # generate each patient's anatomy once, before the workers
        load_world(staged, progress=say)
    bar = progress_bar(len(people), "record", "step")
    results = parallel(record_trainee, [RecordJob(p, variants, rec, seed) for p in people],
                       jobs, bar.update)
    bar.close()
    return [Job(log, scenario=staged_scenario, stored_as=out / "recordings" / log.name)
            for logs in results for log, staged_scenario in logs]
