"""The scenario library page's rows: each shipped scenario's description, pass mark and
whether its file validates, with the attempts the store holds for it."""

from __future__ import annotations

from simulator.paths import shipped_scenarios
from simulator.scenario import parse_scenario


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
                         "pass_score": None, "validation": f"invalid: {field}: {message}"})
            continue
        validation = "valid" if not problems else f"invalid: {problems[0][0]}: {problems[0][1]}"
        rows.append({"id": scenario.id, "title": scenario.title,
                     "description": " ".join(scenario.instructions.split()),
                     "modality": scenario.modality, "pass_score": scenario.rubric.pass_score,
                     "validation": validation})
    return rows


def library_rows(files: list[dict], stored: dict[str, int]) -> list[dict]:
    """``files`` with the stored attempts of each, then the stored scenarios that are not
    shipped (custom cases assessed from their own files)."""
    rows = [{**f, "attempts": stored.get(f["id"], 0)} for f in files]
    shipped = {f["id"] for f in files}
    rows += [{"id": sid, "title": "", "description": "", "modality": "", "pass_score": None,
              "validation": "not in the library (assessed from its own file)",
              "attempts": count}
             for sid, count in sorted(stored.items()) if sid not in shipped]
    return rows
