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
    """Timeline, 3D path and key frames for an analysed log (``Analysis``)."""
    from scoring.report.figures import path3d_png, timeline_png
    from scoring.report.keyframes import missing_renderers, render_key_frames

    tl, world = analysis.timeline, analysis.world
    note, frames = "", []
    missing = missing_renderers(world)
    if missing:
        note = (f"Key frames not shown: this installation lacks {', '.join(missing)}, "
                "which re-creates the images from the log.")
    elif not tl.ordered_key_frames():
        note = "No key moment happened in this session (the skin was never punctured)."
    try:
        frames = render_key_frames(world, analysis.doc["seed"], tl.ordered_key_frames())
    except Exception as exc:  # noqa: BLE001 - a renderer bug must not cost the whole report
        note = f"Key frames could not be rendered ({exc.__class__.__name__}: {exc})."
    return {"timeline_png": timeline_png(tl, world), "path_png": path3d_png(tl, world),
            "frames": frames, "frames_note": note}


def write_session_report(analysis, folder: str | Path, *, images: bool = True,
                         reference: dict | None = None,
                         pictures: dict | None = None) -> dict[str, Path]:
    """Write score.json, report.html and report.pdf for an analysed log into ``folder``.

    ``pictures`` (from :func:`session_pictures`) saves rendering them again.
    """
    from scoring.report.session import session_document
    from scoring.score import write_score

    folder = Path(folder)
    score = write_score(analysis.doc, folder / SCORE_NAME)
    if pictures is None:
        pictures = session_pictures(analysis) if images and analysis.timeline else {}
    html, pdf = write_document(session_document(analysis.doc, reference=reference,
                                                **pictures), folder)
    return {"score": score, "html": html, "pdf": pdf}


def report_log(log_path: str | Path, folder: str | Path, *, scenario=None,
               images: bool = True) -> tuple[dict, dict[str, Path]]:
    """Replay, verify and score a log, then write its report; returns (score doc, paths)."""
    from scoring.report.session import analyse

    analysis = analyse(log_path, scenario, timeline=images)
    return analysis.doc, write_session_report(analysis, folder, images=images)
