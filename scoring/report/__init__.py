"""Session and cohort reports: self-contained HTML, PDF, and the score.json they are built from.

Heavy imports (matplotlib, jinja2, reportlab) happen inside the functions that need them, so
``import scoring`` stays light and display-free.
"""

from __future__ import annotations

from pathlib import Path

HTML_NAME, PDF_NAME, SCORE_NAME = "report.html", "report.pdf", "score.json"


def write_document(document, folder: Path, stem: str = "report") -> tuple[Path, Path]:
    """Write ``document`` as ``stem.html`` and ``stem.pdf`` into ``folder``."""
    from scoring.report.html import render_html
    from scoring.report.pdf import write_pdf

    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"{stem}.html"
    html.write_text(render_html(document), encoding="utf-8")
    return html, write_pdf(document, folder / f"{stem}.pdf")


def session_pictures(analysis) -> dict:
    """Timeline, 3D path and key frames of an analysed log (``Analysis``), all drawn from the
    states of the replay that scored it."""
    from scoring.report.figures import path3d_png, timeline_png
    from scoring.report.keyframes import missing_renderers, render_key_frames

    tl, world, scorer = analysis.timeline, analysis.world, analysis.scorer
    note, frames = "", []
    missing = missing_renderers(world)
    if missing:
        note = (f"Key frames not shown: this installation lacks {', '.join(missing)}, "
                "which re-creates the images from the log.")
    elif not scorer.key_frames():
        note = "No key moment happened in this session (the skin was never punctured)."
    try:
        frames = render_key_frames(world, analysis.scored.identity.seed, scorer.key_frames())
    except Exception as exc:  # noqa: BLE001 - a renderer bug must not cost the whole report
        note = f"Key frames could not be rendered ({exc.__class__.__name__}: {exc})."
    return {"timeline_png": timeline_png(tl, world),
            "path_png": path3d_png(tl, world, scorer.key_states),
            "frames": frames, "frames_note": note}


def write_session_report(scored, folder: str | Path, *, reference: dict | None = None,
                         pictures: dict | None = None) -> dict[str, Path]:
    """Write score.json, report.html and report.pdf for a ``ScoredSession`` into ``folder``;
    ``pictures`` from :func:`session_pictures` (none: a report without images)."""
    from scoring.report.session import session_document
    from scoring.score import write_score

    folder = Path(folder)
    score = write_score(scored, folder / SCORE_NAME)
    html, pdf = write_document(session_document(scored, reference=reference,
                                                **(pictures or {})), folder)
    return {"score": score, "html": html, "pdf": pdf}


def report_log(log_path: str | Path, folder: str | Path, *, scenario=None,
               images: bool = True) -> tuple:
    """Replay, verify and score a log once, then write its report; returns
    ``(ScoredSession, paths)``."""
    from scoring.report.session import analyse

    analysis = analyse(log_path, scenario, timeline=images)
    pictures = session_pictures(analysis) if images else None
    return analysis.scored, write_session_report(analysis.scored, folder, pictures=pictures)
