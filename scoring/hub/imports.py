"""Import from the browser: uploaded session logs (``.jsonl``, or ``.zip`` folders of them)
are kept under the dashboard's upload folder, verified by replay, re-scored with the
assessor's scenarios and stored, exactly as ``jointsim assess`` stores them (without writing
report files: the session page draws the report from the stored score).

Each file gets one line saying what happened to it; nothing here raises for a bad file.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scoring.hub import queries

MAX_UPLOAD_BYTES = 64 * 1024 * 1024      # one import (all files together)
MAX_LOGS = 50                            # logs per import (each is replayed in the request)
LOG_SUFFIX, ZIP_SUFFIX = ".jsonl", ".zip"


@dataclass
class Outcome:
    """What happened to one uploaded file (or one log inside an uploaded zip)."""

    name: str
    stored: bool
    message: str
    session_id: int | None = None


def safe_name(name: str) -> str:
    """The last part of an uploaded file name, reduced to letters, digits, ``._-``."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", base).strip("._") or "log"


def unpack(uploads: list[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], list[Outcome]]:
    """``(name, bytes)`` of every log in ``uploads`` (zips opened, ``.jsonl`` members only)
    and an :class:`Outcome` for every file that is neither a log nor a readable zip."""
    logs, refused = [], []
    for name, data in uploads:
        lower = name.lower()
        if lower.endswith(LOG_SUFFIX):
            logs.append((name, data))
        elif lower.endswith(ZIP_SUFFIX):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    members = [m for m in zf.infolist()
                               if not m.is_dir() and m.filename.lower().endswith(LOG_SUFFIX)]
                    if sum(m.file_size for m in members) > MAX_UPLOAD_BYTES:
                        refused.append(Outcome(name, False, "the zip unpacks to more than "
                                               f"{MAX_UPLOAD_BYTES // 2**20} MB of logs; "
                                               "import it in parts"))
                        continue
                    if not members:
                        refused.append(Outcome(name, False, "the zip holds no session logs "
                                               "(.jsonl files)"))
                    logs += [(f"{name}/{m.filename}", zf.read(m)) for m in members]
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
                    NotImplementedError, RuntimeError) as exc:
                refused.append(Outcome(name, False, f"not a readable zip file ({exc}); zip "
                                       "the folder of logs again"))
        else:
            refused.append(Outcome(name or "(no name)", False, "not a session log: choose "
                                   ".jsonl files or a .zip of a folder of them"))
    if len(logs) > MAX_LOGS:
        refused += [Outcome(n, False, f"more than {MAX_LOGS} logs in one import; import the "
                            "rest separately") for n, _ in logs[MAX_LOGS:]]
        logs = logs[:MAX_LOGS]
    return logs, refused


def keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (kept if it is there already)."""
    from simulator.files import written_into_place

    if path.is_file():
        return
    with written_into_place(path) as tmp:
        tmp.write_bytes(data)


def import_logs(uploads: list[tuple[str, bytes]], folder: Path, store, *,
                scenarios: Path | None = None, trusted: frozenset[bytes] = frozenset()
                ) -> list[Outcome]:
    """Keep, verify, score and store every log in ``uploads`` (``(file name, bytes)``);
    ``folder``: where the logs are kept (each under its content digest, so the replay can
    read it later); ``trusted``: when given, only logs signed by one of these keys are
    stored (the site requires signed logs)."""
    from scoring.assess import Job, score_job

    logs, outcomes = unpack(uploads)
    records, names, seen = [], [], {}
    for name, data in logs:
        path = folder / hashlib.sha256(data).hexdigest()[:32] / safe_name(name)
        try:
            keep(path, data)
        except OSError as exc:
            outcomes.append(Outcome(name, False, f"not stored: cannot write {path.parent} "
                                    f"({exc.strerror}); start serve with --uploads DIR "
                                    "naming a folder it may write"))
            continue
        done = score_job(Job(path, scenarios=scenarios, trusted=trusted))
        if done.scored is None:
            why = done.error
            if trusted and done.status in ("unsigned", "signed", "untrusted"):
                why += " (this site stores only logs signed with its trusted key)"
            outcomes.append(Outcome(name, False, f"not stored: {why}"))
            continue
        run_id, content = done.scored.identity.run_id, done.scored.identity.content_sha256
        if seen.setdefault(run_id, content) != content:
            outcomes.append(Outcome(name, False, f"not stored: another file of this import "
                                    f"has run id {run_id} with other content; one of them "
                                    "was edited"))
            continue
        records.append({"scored": done.scored, "log_path": str(path.resolve()),
                        "report_path": ""})
        names.append(name)
    if not records:
        return outcomes
    saved = store.save(records)
    with store.engine.connect() as conn:
        ids = queries.session_ids(conn, [r["scored"].identity.run_id for r in records])
    for name, rec in zip(names, records, strict=True):
        scored = rec["scored"]
        run_id = scored.identity.run_id
        if run_id in saved.conflicts:
            outcomes.append(Outcome(name, False, f"not stored: the database already holds "
                                    f"run {run_id} with other content (the log was edited "
                                    "after it was stored)"))
            continue
        verdict = ("abandoned" if scored.abandoned else "passed" if scored.passed
                   else "failed")
        outcomes.append(Outcome(name, True, f"stored: {scored.identity.trainee or 'no name'}, "
                                f"{scored.identity.scenario}, {verdict}, score "
                                f"{scored.score:.1f} ({scored.verification.log_status})",
                                ids.get(run_id)))
    return outcomes
