"""What a scenario file's schema alone cannot check: the names it uses exist in its anatomy
model, no target is also a danger, and the entry zone lies within a needle's length of the
target (``parse_scenario`` runs these after the schema; ``validate --deep`` goes further)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator.anatomy.meshio import landmarks_ras_mm
from simulator.errors import InputError
from simulator.scenario import Scenario, anatomy_folder, problem_from


def reference_problems(scenario: Scenario, path: Path) -> list[tuple[str, str]]:
    """Structure and landmark names that the anatomy model does not know (the rubric's metric
    names are the scorer's to check: ``scoring.rubric.rubric_problems``)."""
    from simulator.anatomy.library import reference_manifest

    problems = []
    try:
        manifest = reference_manifest(scenario.anatomy.model, anatomy_folder(scenario, path))
    except InputError as exc:
        return [problem_from(exc, path, "anatomy.model")]
    names = {s.name for s in manifest.structures}
    marks = set(manifest.landmarks)

    def structure(field, name):
        if name not in names:
            problems.append((field, f"unknown structure {name!r}; model "
                             f"'{scenario.anatomy.model}' has: {', '.join(sorted(names))}"))

    def landmark(field, name):
        if name not in marks:
            problems.append((field, f"unknown landmark {name!r}; model "
                             f"'{scenario.anatomy.model}' has: {', '.join(sorted(marks))}"))

    for n, t in enumerate(scenario.targets):
        structure(f"targets.{n}.structure", t.structure)
        landmark(f"targets.{n}.landmark", t.landmark)
    for n, d in enumerate(scenario.dangers):
        structure(f"dangers.{n}.structure", d.structure)
    for n, mark in enumerate(scenario.standard_view.landmarks if scenario.standard_view
                             else ()):
        structure(f"standard_view.landmarks.{n}.structure", mark.structure)
    for key in ("probe_start", "carm_start", "entry_zone"):
        place = getattr(scenario, key)
        if place is not None:
            landmark(f"{key}.landmark", place.landmark)
    problems += _target_is_danger(scenario)
    if not problems:
        problems += _entry_zone_out_of_reach(scenario, manifest)
    return problems


def _target_is_danger(scenario: Scenario) -> list[tuple[str, str]]:
    """A structure the needle must reach cannot also be one it must not touch."""
    targets = {t.structure: n for n, t in enumerate(scenario.targets)}
    return [(f"dangers.{n}.structure", f"{d.structure!r} is also targets.{targets[d.structure]}; "
             "a structure cannot be both a target and a danger; remove one of them")
            for n, d in enumerate(scenario.dangers) if d.structure in targets]


def _entry_zone_out_of_reach(scenario: Scenario, manifest) -> list[tuple[str, str]]:
    """Whether any point of the entry zone lies within a needle's length of the target.

    Uses the reference model's landmarks, so it holds for every patient of the case up to the
    few millimetres patient variety moves them.
    """
    marks = landmarks_ras_mm(manifest)
    zone, needle = scenario.entry_zone, scenario.needle.length_mm
    centre = marks[zone.landmark] + np.asarray(zone.offset_mm)
    gap_mm = float(np.linalg.norm(centre - marks[scenario.targets[0].landmark])) - zone.radius_mm
    if gap_mm <= needle:
        return []
    units = " (or check the units of the model's manifest)" if manifest.units == "m" else ""
    return [("entry_zone", f"the nearest point of the entry zone is {gap_mm:.0f} mm from the "
             f"target landmark {scenario.targets[0].landmark!r}, beyond the {needle:g} mm "
             "needle; move the zone (landmark, offset_mm) toward the target or use a longer "
             f"needle{units}")]
