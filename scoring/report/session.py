"""One session's report: replay the log once (scoring it and collecting the timeline), then
turn the scored session and the pictures into a ``Document``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from scoring.report import document as d
from scoring.report.timeline import Timeline
from scoring.score import Scorer, replayed
from scoring.scored import ScoredSession
from scoring.verdicts import HARD_FAIL, NO_MARKS, NOT_MEASURED, NOT_SCORED, fmt, never_exercised
from simulator.log import LogData
from simulator.replay import ReplayResult, open_log, replay
from simulator.world import World


@dataclass
class Analysis:
    """A replayed, re-scored log: the scored session and what the pictures are drawn from
    (the scorer's key states and the timeline, both from that one replay)."""

    scored: ScoredSession
    log: LogData
    world: World
    result: ReplayResult
    scorer: Scorer
    timeline: Timeline | None = None


def analyse(log_path: str | Path, scenario: str | Path | None = None, *,
            timeline: bool = True, scenarios: str | Path | None = None,
            trusted: frozenset[bytes] = frozenset()) -> Analysis:
    """Replay ``log_path`` once with a Scorer (and a Timeline) attached: score, verify and
    collect what the pictures need."""
    log, world, _ = open_log(log_path, scenario, scenarios=scenarios)
    scorer = Scorer(world)
    tl = Timeline(world) if timeline else None
    result = replay(log, world, observers=[scorer, tl] if tl else [scorer])
    return Analysis(replayed(scorer, log, result, log_path, trusted), log, world, result,
                    scorer, tl)


# -- words ----------------------------------------------------------------------------------
def patient_words(patient: dict) -> str:
    if not patient:
        return "not recorded"
    eff = patient.get("effusion_mm", 0) or 0
    parts = [patient.get("sex", ""), f"BMI {patient.get('bmi', 0):g}",
             f"{patient.get('side', '')} side",
             f"osteoarthritis grade {patient.get('oa_grade', 0)}",
             f"effusion {eff:g} mm" if eff else "no effusion"]
    return ", ".join(p for p in parts if p)


def date_words(iso: str) -> str:
    try:
        when = _dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or "unknown"
    return when.strftime("%d %b %Y, %H:%M UTC")


def verdict_reasons(scored: ScoredSession) -> list[str]:
    """Why the attempt passed or failed, hard fails first."""
    hard = [f"Hard fail: {h.reason}" for h in scored.hard_fails]
    score, mark = scored.score, scored.pass_score
    if score < mark:
        return [*hard, f"Score {score:.1f} is below the pass mark of {mark:.0f}."] + (
            [] if hard else ["No hard fail (no safety-critical error)."])
    if hard:
        return [*hard, f"The score {score:.1f} reaches the pass mark of {mark:.0f}, but a hard "
                "fail fails the attempt whatever the score."]
    return [f"No hard fail, and the score {score:.1f} reaches the pass mark of {mark:.0f}."]


TONES = {HARD_FAIL: d.POOR, NO_MARKS: d.POOR, "needs work": d.POOR, NOT_MEASURED: d.NEUTRAL,
         "acceptable": d.FAIR, "close to expert level": d.GOOD, "at expert level": d.GOOD,
         NOT_SCORED: d.NEUTRAL}


def metrics_table(scored: ScoredSession, reference: dict | None = None) -> d.Table:
    """Every measure: plain name (with what it means), value, benchmark, verdict.

    ``reference`` (optional) maps metric keys to an expert cohort's ``(q1, median, q3, n)``.
    """
    graded = {c.metric for c in scored.criteria}
    order = [m for c in scored.criteria if (m := scored.metric(c.metric)) is not None]
    order += [m for m in scored.metrics if m.key not in graded
              and ("." not in m.key or (m.value or 0) > 0)]
    columns = ["Measure", "Result", "Expert benchmark", "Unacceptable at", "Rating"]
    if reference:
        columns.insert(3, "Experts in this cohort")
    rows, tones, notes = [], [], []
    for m in order:
        best = "-" if m.expert_benchmark is None else fmt(m.expert_benchmark, m.unit)
        worst = "-" if m.unacceptable is None else fmt(m.unacceptable, m.unit)
        rating = NOT_MEASURED if never_exercised(m.value, m.unit) else \
            m.verdict.upper() if m.verdict == HARD_FAIL else m.verdict
        row = [m.label, m.display, best, worst, rating]
        if reference:
            row.insert(3, _reference_words(reference.get(m.key), m.unit))
        rows.append(row)
        tones.append(TONES.get(rating.lower(), d.NEUTRAL))
        notes.append(m.help)
    widths = [3.2, 1.1, 1.3, 1.3, 1.3] if not reference else [3.0, 1.0, 1.1, 2.0, 1.1, 1.2]
    return d.Table(columns, rows, tones, widths, kind="metrics", notes=notes)


def _reference_words(ref, unit: str) -> str:
    """'1.06 mm; middle half 1.05 mm to 1.07 mm (16 attempts)'."""
    if ref is None:
        return "-"
    q1, med, q3 = (fmt(v, unit) for v in ref[:3])
    spread = "" if q1 == q3 else f"; middle half {q1} to {q3}"
    return f"{med}{spread} ({ref[3]} attempts)"


def steps_table(scored: ScoredSession) -> d.Table:
    labels = {c.metric: c.label for c in scored.criteria}
    rows, tones = [], []
    for st in scored.steps:
        score = "-" if st.score is None else f"{st.score:.0f}%"
        measures = ", ".join(labels.get(k, k) for k in st.criteria) or "-"
        rows.append([st.label, "yes" if st.done else "NOT DONE", score, measures])
        if not st.done:
            tones.append(d.POOR)
        elif st.score is None:
            tones.append(d.NEUTRAL)
        else:
            tones.append(d.GOOD if st.score >= 80 else d.FAIR if st.score >= 50 else d.POOR)
    return d.Table(["Procedure step", "Done", "Marks earned", "Measures scored in this step"],
                   rows, tones, [2.2, 0.9, 1.0, 4.0], kind="steps")


def facts(scored: ScoredSession) -> d.Facts:
    who, check = scored.identity, scored.verification
    if check.replay_verified is None:
        verified = "not replayed: scored live, as the attempt ran"
    elif check.replay_verified:
        verified = "yes: replaying the log reproduces every recorded event"
    else:
        verified = (f"NO: the replay differs from the recording at tick "
                    f"{check.replay_mismatch_tick}; the log was edited or recorded by another "
                    "simulator version")
    pairs = [("Trainee", who.trainee or "not named"),
             ("Scenario", who.scenario_title),
             ("Date", date_words(who.date)),
             ("Patient", patient_words(who.patient)),
             ("Mode", who.mode or "-"),
             ("Session", f"run {who.run_id}, log {who.log_file}"),
             ("Log verified", verified)]
    if check.log_truncated:
        pairs.append(("Note", "the log was cut off (crash or power loss); scored up to its "
                              "last complete record"))
    return d.Facts(pairs)


SCORING_NOTE = (
    "How the score works: each scored measure earns its full weight at the expert benchmark "
    "or better and nothing at the unacceptable value, in proportion in between; the score is "
    "the weighted total out of 100. Any hard fail (a safety-critical error) fails the attempt "
    "whatever the score. 'At expert level' means at or better than the benchmark, 'close to "
    "expert level' at least 80% of a measure's marks, 'needs work' less than 50%, "
    "'no marks' at or past the unacceptable value (a hard-fail rule, not this, fails the "
    "attempt); 'not measured' a time of zero: what it times never happened.")


def session_document(scored: ScoredSession, *, timeline_png: bytes | None = None,
                     path_png: bytes | None = None, frames=(), frames_note: str = "",
                     reference: dict | None = None) -> d.Document:
    """The session report as a Document (pictures optional: ``--no-images`` leaves them out)."""
    if scored.abandoned:
        head = d.Section("", [facts(scored), d.Verdict(
            False, f"ABANDONED - ended before the procedure was finished (score so far "
            f"{scored.score:.1f} / 100)", ["Restarted or ended early: kept for the record, "
                                           "not counted as a pass or a fail."])])
    else:
        head = d.Section("", [facts(scored), d.Verdict(
            scored.passed, f"{scored.headline} - score {scored.score:.1f} / 100 "
            f"(pass mark {scored.pass_score:.0f})", verdict_reasons(scored))])
    feedback = d.Section("Feedback", [
        d.Text("Strengths (top three)"),
        d.Bullets(list(scored.strengths), d.GOOD, "No measure reached expert level."),
        d.Text("To work on (top three, safety first)"),
        d.Bullets(list(scored.weaknesses), d.POOR, "Nothing below the acceptable level."),
    ])
    sections = [head, feedback, d.Section("Procedure steps", [steps_table(scored)]),
                d.Section("All measures", [metrics_table(scored, reference),
                                           d.Text(SCORING_NOTE, note=True)])]
    pictures = []
    if frames:
        pictures.append(d.FigureRow([
            d.Figure(f.png, f"{f.key.time_s:.1f} s, {f.modality}: {f.where}", title=f.key.title)
            for f in frames]))
    if frames_note:
        pictures.append(d.Text(frames_note, note=True))
    if pictures:
        sections.insert(3, d.Section("Key moments, re-rendered from the log", pictures))
    if timeline_png or path_png:
        blocks = []
        if timeline_png:
            blocks.append(d.Figure(timeline_png, "Depth of the needle tip (down = deeper) and "
                                   "the tissue it was in, with events marked."))
        if path_png:
            blocks.append(d.Figure(path_png, "The path of the needle tip among the bones, the "
                                   "joint and the danger structures near it.", width=0.85))
        sections.append(d.Section("Needle path", blocks))
    who = scored.identity
    return d.Document(f"Session report: {who.trainee or 'trainee'}", who.scenario_title,
                      sections, footer=f"jointsim {who.simulator_version} - scenario "
                                       f"{who.scenario} - run {who.run_id}")
