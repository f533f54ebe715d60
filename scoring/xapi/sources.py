"""Where ``jointsim xapi`` reads attempts (score.json files or the results store) and how
it names trainees (an optional CSV ``trainee,email``)."""

from __future__ import annotations

import json
from pathlib import Path

from scoring.scored import ScoredSession
from scoring.trainee_csv import read_trainee_column
from scoring.xapi.validate import MBOX
from simulator.errors import InputError


def scores_from_files(paths: list[Path]) -> list[ScoredSession]:
    from scoring.score import read_score

    for path in paths:
        if not Path(path).is_file():
            raise InputError("file not found; give a score.json a jointsim command wrote",
                             path=path, field="--score")
    return [read_score(p) for p in paths]


def scores_from_store(url: str) -> list[ScoredSession]:
    """Every attempt in the results store at ``url`` (a SQLAlchemy URL or SQLite path)."""
    from scoring.store import Store, check_url, database_url

    url = database_url(url, Path("."))
    parsed = check_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database).is_file():
        raise InputError("no results database there; give the --db that 'jointsim assess' "
                         "wrote (OUT/results.sqlite by default)", path=parsed.database,
                         field="--db")
    store = Store(url)
    try:
        rows = store.sessions()
    finally:
        store.close()
    return [ScoredSession.from_dict(json.loads(r["score_json"]), f"{url} run {r['run_id']}")
            for r in rows]


def read_mboxes(path: Path | None) -> dict[str, str]:
    """``trainee -> e-mail`` from a CSV with the header ``trainee,email``."""
    emails = read_trainee_column(path, "email", "--actors")
    for email in emails.values():
        if not MBOX.match(f"mailto:{email}"):
            raise InputError(f"{email!r} is not an e-mail address", path=path, field="email")
    return emails
