"""The scenario library: each shipped scenario's description, pass mark (and how it was
set) and whether its file validates, with the attempts the store holds for it; and, per
scenario, which measures separate skill levels among the stored attempts."""

from __future__ import annotations

import json

from scoring.cohort_report import separation_section
from scoring.report import document as d
from scoring.scored import ScoredSession
from simulator.paths import shipped_scenarios
from simulator.scenario import Rubric, Scenario, parse_scenario

DEFAULT_PASS_SCORE = Rubric.model_fields["pass_score"].default


def pass_mark_words(scenario: Scenario) -> str:
    """How the scenario's pass mark was set, as far as its file records it."""
    if scenario.rubric.pass_score_set_by:
        return scenario.rubric.pass_score_set_by
    if "pass_score" not in scenario.rubric.model_fields_set:
        return (f"jointsim's default ({DEFAULT_PASS_SCORE:g}): the scenario file sets no "
                "rubric.pass_score")
    return ("set by the scenario's author (rubric.pass_score); no standard-setting study "
            "is recorded in the file (jointsim scenario passmark --write records one)")


def scenario_files() -> list[dict]:
    """One row per shipped scenario file: ``id``, ``title``, ``description`` (the trainee's
    instructions), ``modality``, ``pass_score`` and ``validation`` ("valid" or the first
    problem, naming the field). Read once when the dashboard starts."""
    rows = []
    for path in shipped_scenarios():
        scenario, problems = parse_scenario(path)
        if scenario is None:
            field, message = problems[0]
            rows.append({"id": path.stem, "title": "", "description": "", "modality": "",
                         "pass_score": None, "pass_mark_set": "",
                         "validation": f"invalid: {field}: {message}"})
            continue
        validation = "valid" if not problems else f"invalid: {problems[0][0]}: {problems[0][1]}"
        rows.append({"id": scenario.id, "title": scenario.title,
                     "description": " ".join(scenario.instructions.split()),
                     "modality": scenario.modality, "pass_score": scenario.rubric.pass_score,
                     "pass_mark_set": pass_mark_words(scenario), "validation": validation})
    return rows


def library_rows(files: list[dict], stored: dict[str, int]) -> list[dict]:
    """``files`` with the stored attempts of each, then the stored scenarios that are not
    shipped (custom cases assessed from their own files)."""
    rows = [{**f, "attempts": stored.get(f["id"], 0)} for f in files]
    shipped = {f["id"] for f in files}
    rows += [{"id": sid, "title": "", "description": "", "modality": "", "pass_score": None,
              "pass_mark_set": "", "validation": "not in the library (assessed from its own file)",
              "attempts": count}
             for sid, count in sorted(stored.items()) if sid not in shipped]
    return rows


def metric_validity(rows: list[dict], score_json: str | None) -> list:
    """Which measures separate novices from experts among ``rows`` (a scenario's completed
    attempts, :func:`scoring.hub.queries.scenario_cohort`), with the contrasting-groups pass
    mark when the groups allow one: the cohort report's section (``scoring.report.document``
    blocks, Text and Table), or one Text saying there is not enough data."""
    if not rows or score_json is None:
        return [d.Text("Not enough data: no completed attempts of this scenario are stored.",
                       note=True)]
    last = ScoredSession.from_dict(json.loads(score_json))
    labels = {m.key: m.label for m in last.metrics}
    units = {m.key: m.unit for m in last.metrics}
    scored = [c.metric for c in last.criteria]
    return separation_section(rows, scored, labels, units).blocks
