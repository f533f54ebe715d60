"""One session's report: replay the log once (scoring it and collecting the timeline), then
turn the score document and the pictures into a ``Document``."""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from scoring.report import document as d
from scoring.report.glossary import metric_help, step_name
from scoring.report.timeline import Timeline
from scoring.rubric import EXPERT_LEVEL, NEEDS_WORK, fmt, fraction
from scoring.score import Scorer, replay_facts
from simulator.log import ABANDONED, LogData
from simulator.replay import ReplayResult, open_log, replay
from simulator.world import World


@dataclass
class Analysis:
    """A replayed, re-scored log: the score document and what the pictures are drawn from."""

    doc: dict
    log: LogData
    world: World
    result: ReplayResult
    timeline: Timeline | None = None
    extras: dict = field(default_factory=dict)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def analyse(log_path: str | Path, scenario: str | Path | None = None, *,
            timeline: bool = True) -> Analysis:
    """Replay ``log_path`` with a Scorer (and a Timeline) attached; verify it on the way."""
    log, world, _ = open_log(log_path, scenario)
    scorer = Scorer(world)
    tl = Timeline(world) if timeline else None
    result = replay(log, world, observers=[scorer, tl] if tl else [scorer])
    doc = replay_facts(scorer.report(header=log.header), log, result)
    doc["log_sha256"] = file_sha256(log_path)
    doc["log_file"] = Path(log_path).name
    doc["seed"] = int(log.header.get("seed", 0))
    doc["patient"] = world.patient.key()
    doc["modality"] = str(world.scenario.modality)
    doc["policy"] = (log.end or {}).get("policy", "")
    return Analysis(doc, log, world, result, tl)


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


def verdict_reasons(doc: dict) -> list[str]:
    """Why the attempt passed or failed, hard fails first."""
    hard = [f"Hard fail: {h['reason']}" for h in doc["hard_fails"]]
    score, mark = doc["score"], doc["pass_score"]
    if score < mark:
        return [*hard, f"Score {score:.1f} is below the pass mark of {mark:.0f}."] + (
            [] if hard else ["No hard fail (no safety-critical error)."])
    if hard:
        return [*hard, f"The score {score:.1f} reaches the pass mark of {mark:.0f}, but a hard "
                "fail fails the attempt whatever the score."]
    return [f"No hard fail, and the score {score:.1f} reaches the pass mark of {mark:.0f}."]


def _rating(c: dict) -> tuple[str, str]:
    f = fraction(c["value"], c["best"], c["worst"])
    if f >= EXPERT_LEVEL:
        return "expert level", d.GOOD
    if f >= NEEDS_WORK:
        return "acceptable", d.FAIR
    return "needs work", d.POOR


def metrics_table(doc: dict, reference: dict | None = None) -> d.Table:
    """Every measure: plain name (with what it means), value, benchmark, rating.

    ``reference`` (optional) maps metric keys to an expert cohort's ``(q1, median, q3, n)``.
    """
    criteria = {c["metric"]: c for c in doc["criteria"]}
    hard = {h["metric"] for h in doc["hard_fails"]}
    metrics = doc["metrics"]
    order = [k for k in criteria if k in metrics]
    order += [k for k in metrics if k not in criteria
              and ("." not in k or (metrics[k]["value"] or 0) > 0)]
    columns = ["Measure", "Result", "Expert benchmark", "Unacceptable at", "Rating"]
    if reference:
        columns.insert(3, "Experts in this cohort")
    rows, tones, notes = [], [], []
    for key in order:
        m = metrics[key]
        c = criteria.get(key)
        if key in hard:
            rating, tone = "HARD FAIL", d.POOR
        elif c is not None:
            rating, tone = _rating(c)
        else:
            rating, tone = "not scored", d.NEUTRAL
        best = fmt(m["expert_benchmark"], m["unit"]) if "expert_benchmark" in m else "-"
        worst = fmt(m["unacceptable"], m["unit"]) if "unacceptable" in m else "-"
        row = [m["label"], m["display"], best, worst, rating]
        if reference:
            ref = reference.get(key)
            row.insert(3, _reference_words(ref, m["unit"]))
        rows.append(row)
        tones.append(tone)
        notes.append(metric_help(key))
    widths = [3.2, 1.1, 1.3, 1.3, 1.1] if not reference else [3.0, 1.0, 1.1, 2.0, 1.1, 1.0]
    return d.Table(columns, rows, tones, widths, kind="metrics", notes=notes)


def _reference_words(ref, unit: str) -> str:
    """'1.06 mm; middle half 1.05 mm to 1.07 mm (16 attempts)'."""
    if ref is None:
        return "-"
    q1, med, q3 = (fmt(v, unit) for v in ref[:3])
    spread = "" if q1 == q3 else f"; middle half {q1} to {q3}"
    return f"{med}{spread} ({ref[3]} attempts)"


def steps_table(doc: dict) -> d.Table:
    labels = {c["metric"]: c["label"] for c in doc["criteria"]}
    rows, tones = [], []
    for st in doc["steps"]:
        score = "-" if st["score"] is None else f"{st['score']:.0f}%"
        measures = ", ".join(labels.get(k, k) for k in st["criteria"]) or "-"
        rows.append([step_name(st["step"]), "yes" if st["done"] else "NOT DONE", score,
                     measures])
        if not st["done"]:
            tones.append(d.POOR)
        elif st["score"] is None:
            tones.append(d.NEUTRAL)
        else:
            tones.append(d.GOOD if st["score"] >= 80 else d.FAIR if st["score"] >= 50
                         else d.POOR)
    return d.Table(["Procedure step", "Done", "Marks earned", "Measures scored in this step"],
                   rows, tones, [2.2, 0.9, 1.0, 4.0], kind="steps")


def facts(doc: dict) -> d.Facts:
    verified = ("yes: replaying the log reproduces every recorded event"
                if doc.get("replay_verified", True) else
                f"NO: the replay differs from the recording at tick "
                f"{doc.get('replay_mismatch_tick')}; the log was edited or recorded by "
                "another simulator version")
    pairs = [("Trainee", doc["trainee"] or "not named"),
             ("Scenario", doc["scenario_title"]),
             ("Date", date_words(doc["date"])),
             ("Patient", patient_words(doc.get("patient", {}))),
             ("Mode", doc["mode"] or "-"),
             ("Session", f"run {doc['run_id']}, log {doc.get('log_file', '')}"),
             ("Log verified", verified)]
    if doc.get("log_truncated"):
        pairs.append(("Note", "the log was cut off (crash or power loss); scored up to its "
                              "last complete record"))
    return d.Facts(pairs)


SCORING_NOTE = (
    "How the score works: each scored measure earns its full weight at the expert benchmark "
    "or better and nothing at the unacceptable value, in proportion in between; the score is "
    "the weighted total out of 100. Any hard fail (a safety-critical error) fails the attempt "
    "whatever the score. 'At expert level' means at or better than the benchmark, 'close to "
    "expert level' at least 80% of a measure's marks, 'needs work' less than 50%, "
    "'unacceptable' at or past the unacceptable value.")


def session_document(doc: dict, *, timeline_png: bytes | None = None,
                     path_png: bytes | None = None, frames=(), frames_note: str = "",
                     reference: dict | None = None) -> d.Document:
    """The session report as a Document (pictures optional: ``--no-images`` leaves them out)."""
    if doc.get("status") == ABANDONED:
        head = d.Section("", [facts(doc), d.Verdict(
            False, f"ABANDONED - ended before the procedure was finished (score so far "
            f"{doc['score']:.1f} / 100)", ["Restarted or ended early: kept for the record, "
                                           "not counted as a pass or a fail."])])
    else:
        verdict = "PASS" if doc["passed"] else "FAIL"
        head = d.Section("", [facts(doc), d.Verdict(
            doc["passed"], f"{verdict} - score {doc['score']:.1f} / 100 "
            f"(pass mark {doc['pass_score']:.0f})", verdict_reasons(doc))])
    feedback = d.Section("Feedback", [
        d.Text("Strengths (top three)"),
        d.Bullets(doc["strengths"], d.GOOD, "No measure reached expert level."),
        d.Text("To work on (top three, safety first)"),
        d.Bullets(doc["weaknesses"], d.POOR, "Nothing below the acceptable level."),
    ])
    sections = [head, feedback, d.Section("Procedure steps", [steps_table(doc)]),
                d.Section("All measures", [metrics_table(doc, reference),
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
    return d.Document(f"Session report: {doc['trainee'] or 'trainee'}",
                      doc["scenario_title"], sections,
                      footer=f"jointsim {doc['simulator_version']} - scenario {doc['scenario']}"
                             f" - run {doc['run_id']}")
