"""Where each attempt's log and score go:
``<results>/<scenario_id>/<YYYYmmdd-HHMMSS>-<run_id>/session.jsonl`` and ``score.json``.

The log is written (and flushed) tick by tick by the ``Session``, hash-chained line by line;
when the attempt ends, is restarted, or the window closes, the score is written and the log's
end record is signed with the site key if one is configured (``jointsim keys init``, see
``simulator.signing``). If the app dies before that, the log is still there and
``jointsim score <log>`` rebuilds the score from it, reported as incomplete.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from pathlib import Path

from simulator.log import COMPLETED

LOG_NAME = "session.jsonl"
SCORE_NAME = "score.json"
DEFAULT_RESULTS = Path("results")


def attempt_folder(results: str | Path, scenario_id: str, run_id: str | None = None,
                   when: _dt.datetime | None = None) -> tuple[Path, str]:
    """A new, empty folder for one attempt, and its run id."""
    run_id = run_id or uuid.uuid4().hex[:12]
    when = when or _dt.datetime.now()
    folder = Path(results) / scenario_id / f"{when:%Y%m%d-%H%M%S}-{run_id}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder, run_id


def save_score(scorer, folder: Path, *, reason: str, status: str = COMPLETED):
    """Score the attempt logged in ``folder`` from the live scorer (it saw every tick the
    log holds) and write its ``score.json``; returns the ``ScoredSession``, or ``None`` if
    that fails.

    ``status`` is ``"completed"`` or ``"abandoned"`` (restarted, ended early or closed before
    the procedure was finished): an abandoned attempt's score is kept for the record, but it
    is not a failure.
    """
    from scoring.score import write_score

    log = folder / LOG_NAME
    try:
        header = json.loads(log.open().readline())
        scored = scorer.scored(header, status=status, ended=reason, log_file=LOG_NAME)
        write_score(scored, folder / SCORE_NAME)
    except Exception:  # noqa: BLE001 - never lose the log over a scoring problem
        return None
    return scored
