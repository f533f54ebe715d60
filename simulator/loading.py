"""From a scenario file to a ready World: anatomy generated or found, label volume cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from simulator.anatomy.library import model_folder
from simulator.anatomy.manifest import read_manifest
from simulator.anatomy.meshio import landmarks_ras_mm
from simulator.anatomy.model import Anatomy
from simulator.anatomy.patient import PatientParams
from simulator.bounds import MAX_SEED
from simulator.errors import InputError
from simulator.paths import scenario_path
from simulator.scenario import Scenario, anatomy_folder, load_scenario
from simulator.world import World, make_world

REACH_MARGIN_MM = 20.0


def session_patient(scenario: Scenario, seed: int) -> PatientParams:
    """The patient a session with ``seed`` meets (drawn if the scenario varies it)."""
    return scenario.anatomy.patient.draw(seed)


def resolve_anatomy_folder(scenario: Scenario, path: str | Path | None, seed: int = 0,
                           progress=None) -> Path:
    """The mesh-set folder of the session's anatomy (generated into the cache if needed)."""
    folder = anatomy_folder(scenario, path)
    if folder is not None:
        from simulator.anatomy.custom import prepare

        return prepare(folder, progress)
    spec = scenario.anatomy
    anatomy_seed = seed if spec.seed == "session" else spec.seed
    patient = session_patient(scenario, seed)
    try:
        return model_folder(spec.model, patient, anatomy_seed, progress)
    except ValueError as exc:  # the generator's own checks refused this variation
        raise InputError(f"the {spec.model!r} generator cannot build anatomy seed "
                         f"{anatomy_seed} for patient {patient.key()} ({exc}); choose another "
                         "seed", path=path, field="anatomy.seed") from None


def needle_roi(scenario: Scenario, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Box the needle tip can reach: the target +- needle length (+ margin)."""
    target = landmarks_ras_mm(read_manifest(folder))[scenario.targets[0].landmark]
    reach = scenario.needle.length_mm + REACH_MARGIN_MM
    return target - reach, target + reach


@lru_cache(maxsize=4)
def _anatomy(folder: Path, roi: tuple, progress=None) -> Anatomy:
    return Anatomy.load(folder, roi_mm=(np.array(roi[:3]), np.array(roi[3:])), progress=progress)


def load_world(path: str | Path, *, seed: int = 0, progress=None) -> World:
    """Load a scenario (a path or a shipped scenario name) with the anatomy of session
    ``seed``."""
    path = scenario_path(str(path))
    scenario = load_scenario(path)
    return world_for(scenario, path, seed=seed, progress=progress)


def world_for(scenario: Scenario, path: str | Path | None, *, seed: int = 0,
              progress=None) -> World:
    """Bind an already loaded scenario to the anatomy of session ``seed``."""
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"session seed {seed} is outside 0 to {MAX_SEED}; use a seed in "
                         "that range", field="seed")
    folder = resolve_anatomy_folder(scenario, path, seed, progress)
    lo, hi = needle_roi(scenario, folder)
    roi = tuple(np.round(np.r_[lo, hi], 3))
    key = (scenario.digest(), folder.resolve(), roi, seed)
    if key not in _WORLDS:
        anatomy = _anatomy(folder.resolve(), roi, progress)
        if len(_WORLDS) >= 8:
            _WORLDS.pop(next(iter(_WORLDS)))
        _WORLDS[key] = make_world(scenario, anatomy, session_patient(scenario, seed), seed)
    return _WORLDS[key]


# Worlds are immutable: sessions of the same scenario and seed share one.
_WORLDS: dict = {}
