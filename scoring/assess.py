"""Assessment runs: verify each log by replay, re-score it with the current rubric, write its
report, store the results, and build the cohort report.

Sessions run in parallel worker processes. Each log is replayed once: that one replay
scores and verifies it and, with images, renders its report's pictures. Each log is graded
with the assessor's copy of its scenario (``Job.scenarios``, default the shipped ones) and
gets a status (``simulator.integrity``): a tampered, incomplete or legacy log, an unsigned
or untrusted one when trusted keys are given, or one that cannot be read or fails in any
other way, is listed and skipped; the others are still scored.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.errors import InputError

if TYPE_CHECKING:
    from scoring.cluster import DaskPool
    from scoring.scored import ScoredSession

SESSIONS_DIR = "sessions"
PICTURES_DIR = ".pictures"   # in the stage: report pictures between scoring and writing
LOG_STATUS_FILE = "log_status.txt"   # every assessed log's status, one line each


@dataclass
class Job:
    """One log to assess. ``scenario``: the assessor's scenario file for it (else it is
    looked up by id in ``scenarios``, default the shipped ones). ``trusted``: raw public keys
    one of which must have signed the log (empty: any complete log is accepted)."""

    log: Path
    scenario: Path | None = None
    group: str = ""
    stored_as: Path | None = None  # where the log will live once the output is in place
    scenarios: Path | None = None
    trusted: frozenset[bytes] = frozenset()
    pictures: Path | None = None  # a folder: render the report's pictures into it


@dataclass
class Scored:
    """``status``: the log's ``simulator.integrity`` status (``rejected``: unreadable, or
    refused before replay). ``pictures``: the file holding the report's pictures, rendered
    from the replay that scored the log (``picture_error`` if they could not be)."""

    job: Job
    scored: ScoredSession | None = None
    error: str = ""
    seconds: float = 0.0
    status: str = ""
    pictures: Path | None = None
    picture_error: str = ""


@dataclass
class Summary:
    """``statuses``: every log's path and status line, stored or not."""

    scored: list[Scored] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    statuses: list[tuple[Path, str]] = field(default_factory=list)
    copies: list[tuple[Path, Path]] = field(default_factory=list)  # (copy, log kept)
    records: list[dict] = field(default_factory=list)  # for Store.save, once files are in place
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
    from scoring.trainee_csv import read_trainee_column

    return {trainee: group.lower()
            for trainee, group in read_trainee_column(path, "group", "--groups").items()}


# -- the work a process does ----------------------------------------------------------------
def score_job(job: Job) -> Scored:
    """Replay one log once: re-score and verify it and, when ``job.pictures`` names a
    folder, render its report's pictures there. Never raises: errors are returned."""
    from dataclasses import replace

    from scoring.report.session import analyse
    from scoring.store.content import log_content_sha256
    from simulator.integrity import TAMPERED, LogStatus
    from simulator.log import TamperedLog, read_log
    from simulator.replay import assessor_scenario

    t = time.perf_counter()

    def failed(status: str, why: str) -> Scored:
        return Scored(job, error=f"{status}: {why}", status=status,
                      seconds=time.perf_counter() - t)

    try:
        if job.scenario is None:  # pin the assessor's copy of the scenario
            _, spath = assessor_scenario(read_log(job.log), scenarios=job.scenarios)
            job = replace(job, scenario=spath)
        analysis = analyse(job.log, job.scenario, timeline=job.pictures is not None,
                           trusted=job.trusted)
        check = analysis.scored.verification
        status = LogStatus(check.log_status, check.log_status_detail, check.log_signer)
        if not status.accepted(require_trust=bool(job.trusted)):
            return failed(status.status, status.detail)
        content = log_content_sha256(job.log)
        scored = analysis.scored.with_identity(
            skill_group=job.group or _group_of(analysis), content_sha256=content)
        out = Scored(job, scored, status=status.status)
        if job.pictures is not None:
            out.pictures, out.picture_error = _render_pictures(analysis, job.pictures, content)
        out.seconds = time.perf_counter() - t
        return out
    except TamperedLog as exc:
        return failed(TAMPERED, str(exc).replace(f"{job.log}: ", "", 1))
    except InputError as exc:
        return failed("rejected", str(exc).replace(f"{job.log}: ", "", 1))
    except Exception as exc:  # noqa: BLE001 - one bad log must not stop the run
        return failed("rejected", f"could not be assessed ({exc.__class__.__name__}: {exc})")


def _render_pictures(analysis, folder: Path, content: str) -> tuple[Path | None, str]:
    """Render a report's pictures from ``analysis`` into a file in ``folder`` (kept out of
    the workers' results, which travel back to the driver); ``(file, "")`` or
    ``(None, why not)``."""
    import pickle

    from scoring.report import session_pictures
    from simulator.files import written_into_place

    try:
        path = folder / f"{content}.pickle"
        with written_into_place(path) as tmp:
            tmp.write_bytes(pickle.dumps(session_pictures(analysis)))
        return path, ""
    except Exception as exc:  # noqa: BLE001 - listed as a report problem, not fatal
        return None, f"report pictures could not be drawn ({exc.__class__.__name__}: {exc})"


def _group_of(analysis) -> str:
    end = analysis.log.end or {}
    return str(end.get("group") or end.get("policy") or "").lower()


@dataclass
class ReportJob:
    scored: ScoredSession
    folder: Path
    reference: dict | None
    pictures: Path | None = None   # from score_job; None: a report without images
    picture_error: str = ""


def report_job(rj: ReportJob) -> str:
    """Write one session's report (no replay: the pictures were drawn when it was scored);
    returns an error message or ''."""
    import pickle

    from scoring.report import write_session_report

    if rj.picture_error:
        return rj.picture_error
    try:
        if rj.folder.exists():  # earlier report carried over as hard links: unlink, not edit
            shutil.rmtree(rj.folder)
        pictures = None if rj.pictures is None else pickle.loads(rj.pictures.read_bytes())
        write_session_report(rj.scored, rj.folder, reference=rj.reference, pictures=pictures)
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


def session_folder(scored: ScoredSession) -> Path:
    return Path(SESSIONS_DIR) / slug(scored.identity.trainee) / slug(scored.identity.run_id)


# -- the run --------------------------------------------------------------------------------
def assess(jobs_in: list[Job], stage: Path, out: Path, store, *, images: bool = True,
           jobs: int = 1, bar=None, extra_skipped=(), cohort_options: dict | None = None,
           ) -> Summary:
    """Score ``jobs_in`` in parallel and write their reports, the cohort report and the CSV
    into ``stage``; nothing is stored yet.

    The caller moves the stage into ``out`` and then calls :func:`store_results`, so stored
    rows only ever point at files in their final place. A log with the content of one
    earlier in the run (a copy) is counted once; a run id that ``store`` holds with other
    content is skipped as a conflict.
    """
    from scoring import cohort
    from scoring.cohort_report import write_cohort_report, write_csv
    from scoring.store import as_rows, merge_rows

    t0 = time.perf_counter()
    summary = Summary(skipped=list(extra_skipped))
    tick = bar.update if bar is not None else None
    pictures = stage / PICTURES_DIR if images else None
    if pictures is not None:
        pictures.mkdir(exist_ok=True)
    scored = []
    for s in parallel(score_job, [replace(j, pictures=pictures) for j in jobs_in], jobs, tick):
        if s.scored is None:
            summary.skipped.append((s.job.log, s.error))
            summary.statuses.append((s.job.log, s.error))
        else:
            scored.append(s)
            summary.statuses.append((s.job.log, f"{s.status}: "
                                     f"{s.scored.verification.log_status_detail}"))
    summary.scored = _one_per_attempt(
        scored, store.known([s.scored.identity.run_id for s in scored]), summary)
    _keep_old_reports(out, stage)
    stored = store.sessions()  # with this run's sessions, the experts' references
    this_run = as_rows([{"scored": s.scored} for s in summary.scored])
    by_scenario: dict[str, list[dict]] = {}
    for row in cohort.split_abandoned(merge_rows(stored, this_run))[0]:
        by_scenario.setdefault(row["scenario"], []).append(row)
    refs = {sc: cohort.expert_reference(rows) for sc, rows in by_scenario.items()}
    rjobs = [ReportJob(s.scored, stage / session_folder(s.scored),
                       refs.get(s.scored.identity.scenario) or None, s.pictures,
                       s.picture_error) for s in summary.scored]
    errors = parallel(report_job, rjobs, jobs, tick)
    if pictures is not None:
        shutil.rmtree(pictures, ignore_errors=True)
    for s, err in zip(summary.scored, errors, strict=True):
        if err:
            summary.skipped.append((s.job.log, err))
            continue
        summary.records.append({
            "scored": s.scored,
            "log_path": str(Path(s.job.stored_as or s.job.log).resolve()),
            "report_path": str((out / session_folder(s.scored) / "report.html").resolve())})
    summary.scored = [s for s, e in zip(summary.scored, errors, strict=True) if not e]
    rows = merge_rows(stored, as_rows(summary.records))
    write_cohort_report(rows, stage, skipped=summary.skipped, db_url=store.url,
                        **(cohort_options or {}))
    write_csv(rows, stage / "sessions.csv")
    (stage / LOG_STATUS_FILE).write_text("".join(f"{p}: {why}\n" for p, why in
                                                 summary.statuses), encoding="utf-8")
    if summary.skipped:
        (stage / "skipped.txt").write_text("".join(f"{p}: {why}\n" for p, why in
                                                   summary.skipped), encoding="utf-8")
    elif (out / "skipped.txt").exists():
        (stage / "skipped.txt").write_text("No logs were skipped.\n", encoding="utf-8")
    summary.seconds = time.perf_counter() - t0
    return summary


def store_results(summary: Summary, store) -> Summary:
    """Store the run's rows (one transaction), after its files are in their final place.

    A run id that another writer stored with other content in the meantime is added to
    ``summary.skipped``.
    """
    saved = store.save(summary.records)
    summary.added, summary.updated = saved.added, saved.updated
    logs = {rec["scored"].identity.run_id: rec["log_path"] for rec in summary.records}
    summary.skipped += [(Path(logs[run_id]), _conflict(run_id)) for run_id in saved.conflicts]
    return summary


def _one_per_attempt(scored: list[Scored], known: dict[str, str],
                     summary: Summary) -> list[Scored]:
    """One scored log per run id: copies (same content) are listed in ``summary.copies``,
    another content than the stored one, or than the first in this run, is skipped."""
    first: dict[str, Scored] = {}
    for s in scored:
        run_id, content = s.scored.identity.run_id, s.scored.identity.content_sha256
        if known.get(run_id) and known[run_id] != content:
            summary.skipped.append((s.job.log, _conflict(run_id)))
        elif run_id not in first:
            first[run_id] = s
        elif first[run_id].scored.identity.content_sha256 == content:
            summary.copies.append((s.job.log, first[run_id].job.log))
        else:
            summary.skipped.append((s.job.log, f"run id {run_id!r} is also the run id of "
                                    f"{first[run_id].job.log}, with other content: one of "
                                    "them was edited; assess the original alone"))
    return list(first.values())


def _conflict(run_id: str) -> str:
    return (f"the results database already holds run id {run_id!r} with other content: the "
            "log was edited after it was stored, or another recording reuses its run id; "
            "not stored")


def _keep_old_reports(out: Path, stage: Path) -> None:
    """Carry earlier session reports into the stage (hard links, cheap), so moving the new
    ``sessions`` folder into place keeps reports of logs not assessed this time."""
    old = out / SESSIONS_DIR
    if old.is_dir() and not (stage / SESSIONS_DIR).exists():
        try:
            shutil.copytree(old, stage / SESSIONS_DIR, copy_function=os.link)
        except OSError:
            shutil.copytree(old, stage / SESSIONS_DIR, dirs_exist_ok=True)
