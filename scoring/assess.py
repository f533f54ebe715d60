"""Assessment runs: verify each log by replay, re-score it with the current rubric, write its
report, store the results, and build the cohort report.

Sessions run in parallel worker processes. A log that cannot be read, does not replay
identically or fails in any other way is listed and skipped; the others are still scored.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.errors import InputError

if TYPE_CHECKING:
    from scoring.cluster import DaskPool

SESSIONS_DIR = "sessions"


@dataclass
class Job:
    """One log to assess. ``scenario`` overrides where the log says its scenario is."""

    log: Path
    scenario: Path | None = None
    group: str = ""
    stored_as: Path | None = None  # where the log will live once the output is in place


@dataclass
class Scored:
    job: Job
    doc: dict | None = None
    error: str = ""
    seconds: float = 0.0


@dataclass
class Summary:
    scored: list[Scored] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    seconds: float = 0.0


# -- finding logs ---------------------------------------------------------------------------
def find_logs(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files as given and ``*.jsonl`` under folders; missing paths are listed, not fatal."""
    logs, missing = [], []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            logs += sorted(q for q in p.rglob("*.jsonl") if q.is_file())
        elif p.is_file():
            logs.append(p)
        else:
            missing.append((p, "no such file or folder"))
    seen, unique = set(), []
    for log in logs:
        key = log.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(log)
    return unique, missing


def read_groups(path: Path | None) -> dict[str, str]:
    """Skill group per trainee from a CSV file with the columns ``trainee,group``."""
    if path is None:
        return {}
    import csv

    if not path.is_file():
        raise InputError("groups file not found; give a CSV with columns trainee,group",
                         path=path, field="--groups")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"trainee", "group"} <= set(rows[0]):
        raise InputError("groups file needs the header line 'trainee,group'", path=path,
                         field="--groups")
    return {r["trainee"].strip(): r["group"].strip().lower() for r in rows}


# -- the work a process does ----------------------------------------------------------------
def score_job(job: Job) -> Scored:
    """Replay and re-score one log (no pictures). Never raises: errors are returned."""
    from scoring.report.session import analyse

    t = time.perf_counter()
    try:
        analysis = analyse(job.log, job.scenario, timeline=False)
        doc = analysis.doc
        if not doc["replay_verified"]:
            return Scored(job, error=f"does not replay identically (first difference at tick "
                          f"{doc['replay_mismatch_tick']}): edited, or recorded by other "
                          "mechanics", seconds=time.perf_counter() - t)
        doc["skill_group"] = job.group or _group_of(analysis)
        return Scored(job, doc, seconds=time.perf_counter() - t)
    except InputError as exc:
        return Scored(job, error=str(exc).replace(f"{job.log}: ", "", 1),
                      seconds=time.perf_counter() - t)
    except Exception as exc:  # noqa: BLE001 - one bad log must not stop the run
        return Scored(job, error=f"could not be assessed ({exc.__class__.__name__}: {exc})",
                      seconds=time.perf_counter() - t)


def _group_of(analysis) -> str:
    end = analysis.log.end or {}
    return str(end.get("group") or end.get("policy") or "").lower()


@dataclass
class ReportJob:
    job: Job
    doc: dict
    folder: Path
    images: bool
    reference: dict | None


def report_job(rj: ReportJob) -> str:
    """Write one session's report; returns an error message or ''."""
    from scoring.report import write_document, write_session_report
    from scoring.report.session import analyse, session_document
    from scoring.score import write_score

    try:
        if rj.folder.exists():  # earlier report carried over as hard links: unlink, not edit
            shutil.rmtree(rj.folder)
        if rj.images:
            analysis = analyse(rj.job.log, rj.job.scenario, timeline=True)
            analysis.doc.update(skill_group=rj.doc.get("skill_group", ""))
            write_session_report(analysis, rj.folder, images=True, reference=rj.reference)
        else:
            write_score(rj.doc, rj.folder / "score.json")
            write_document(session_document(rj.doc, reference=rj.reference), rj.folder)
        return ""
    except Exception as exc:  # noqa: BLE001 - report problems are listed, not fatal
        shutil.rmtree(rj.folder, ignore_errors=True)
        return f"report could not be written ({exc.__class__.__name__}: {exc})"


def parallel(fn: Callable, items: list, jobs: int | DaskPool,
             progress: Callable | None = None) -> list:
    """``[fn(item) for item in items]`` across ``jobs`` processes, in order; ``jobs`` may
    instead be a :class:`scoring.cluster.DaskPool`, which runs batches on its cluster.
    ``progress(k)`` is called as ``k`` more items are done."""
    if not isinstance(jobs, int):
        return jobs.map(fn, items, progress)
    out = [None] * len(items)
    if jobs <= 1 or len(items) <= 1:
        for i, item in enumerate(items):
            out[i] = fn(item)
            if progress:
                progress(1)
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            if progress:
                progress(1)
    return out


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "trainee"


def session_folder(doc: dict) -> Path:
    return Path(SESSIONS_DIR) / slug(doc["trainee"]) / slug(doc["run_id"])


# -- the run --------------------------------------------------------------------------------
def assess(jobs_in: list[Job], stage: Path, out: Path, store, *, images: bool = True,
           jobs: int = 1, bar=None, extra_skipped=(), cohort_options: dict | None = None,
           ) -> Summary:
    """Score ``jobs_in`` in parallel, write reports into ``stage`` (moved to ``out`` by the
    caller), save to ``store`` and write the cohort report from everything stored."""
    from scoring import cohort
    from scoring.cohort_report import write_cohort_report, write_csv

    t0 = time.perf_counter()
    summary = Summary(skipped=list(extra_skipped))
    tick = bar.update if bar is not None else None
    for s in parallel(score_job, jobs_in, jobs, tick):
        if s.doc is None:
            summary.skipped.append((s.job.log, s.error))
        else:
            summary.scored.append(s)
    _keep_old_reports(out, stage)
    by_scenario: dict[str, list[dict]] = {}
    for row in store.sessions():
        by_scenario.setdefault(row["scenario"], []).append(row)
    for s in summary.scored:  # this run's sessions count as experts' references too
        by_scenario.setdefault(s.doc["scenario"], []).append(_as_row(s.doc))
    refs = {sc: cohort.expert_reference(_dedupe(rows)) for sc, rows in by_scenario.items()}
    rjobs = [ReportJob(s.job, s.doc, stage / session_folder(s.doc), images,
                       refs.get(s.doc["scenario"]) or None) for s in summary.scored]
    errors = parallel(report_job, rjobs, jobs, tick)
    records = []
    for s, _rj, err in zip(summary.scored, rjobs, errors, strict=True):
        if err:
            summary.skipped.append((s.job.log, err))
            continue
        records.append({"doc": s.doc, "skill_group": s.doc.get("skill_group", ""),
                        "log_path": str(Path(s.job.stored_as or s.job.log).resolve()),
                        "report_path": str((out / session_folder(s.doc) / "report.html")
                                           .resolve())})
    summary.scored = [s for s, e in zip(summary.scored, errors, strict=True) if not e]
    summary.added, summary.updated = store.save(records)
    rows = store.sessions()
    write_cohort_report(rows, stage, skipped=summary.skipped, db_url=store.url,
                        **(cohort_options or {}))
    write_csv(rows, stage / "sessions.csv")
    if summary.skipped:
        (stage / "skipped.txt").write_text("".join(f"{p}: {why}\n" for p, why in
                                                   summary.skipped), encoding="utf-8")
    elif (out / "skipped.txt").exists():
        (stage / "skipped.txt").write_text("No logs were skipped.\n", encoding="utf-8")
    summary.seconds = time.perf_counter() - t0
    return summary


def _as_row(doc: dict) -> dict:
    return {"run_id": doc["run_id"], "log_sha256": doc["log_sha256"],
            "skill_group": doc.get("skill_group", ""),
            "metrics": {k: m["value"] for k, m in doc["metrics"].items()}}


def _dedupe(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        key = (r["run_id"], r["log_sha256"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _keep_old_reports(out: Path, stage: Path) -> None:
    """Carry earlier session reports into the stage (hard links, cheap), so moving the new
    ``sessions`` folder into place keeps reports of logs not assessed this time."""
    old = out / SESSIONS_DIR
    if old.is_dir() and not (stage / SESSIONS_DIR).exists():
        try:
            shutil.copytree(old, stage / SESSIONS_DIR, copy_function=os.link)
        except OSError:
            shutil.copytree(old, stage / SESSIONS_DIR, dirs_exist_ok=True)
