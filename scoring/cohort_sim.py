"""A cohort without trainees: sessions recorded from the scripted expert and novice policies
over several patients, so a new user can see a full cohort report in one command.

Three kinds of simulated trainee:

- ``expert``: every attempt by the expert policy;
- ``novice``: every attempt by the novice policy;
- ``learner``: attempt k of n is made by the expert policy with probability k / (n - 1)
  (otherwise by the novice), a simple model of someone improving with practice, so the
  learning curves and CUSUM charts have something to show.

Each trainee meets the patients in turn (different sex, BMI, side, osteoarthritis and
effusion, and a different anatomy seed). The variant scenarios are written beside the logs,
so every log replays on its own later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from simulator.errors import InputError

KINDS = ("expert", "novice", "learner")
PATIENTS = (
    {"sex": "female", "bmi": 22.0, "side": "right", "oa_grade": 0, "effusion_mm": 0.0},
    {"sex": "male", "bmi": 29.0, "side": "right", "oa_grade": 1, "effusion_mm": 4.0},
    {"sex": "female", "bmi": 34.0, "side": "left", "oa_grade": 2, "effusion_mm": 0.0},
    {"sex": "male", "bmi": 25.0, "side": "left", "oa_grade": 0, "effusion_mm": 6.0},
)
ATTEMPTS_PER_TRAINEE = 8


@dataclass
class TraineePlan:
    name: str
    kind: str
    index: int
    attempts: int


def plan_cohort(n: int) -> list[TraineePlan]:
    """Split ``n`` sessions over trainees of the three kinds, about eight attempts each."""
    if n < 3:
        raise InputError("--simulate-cohort needs at least 3 sessions (one per kind of "
                         "trainee)", field="--simulate-cohort")
    people = max(3, round(n / ATTEMPTS_PER_TRAINEE))
    base, extra = divmod(n, people)
    counters = dict.fromkeys(KINDS, 0)
    out = []
    for i in range(people):
        kind = KINDS[i % len(KINDS)]
        counters[kind] += 1
        out.append(TraineePlan(f"Sim {kind} {counters[kind]}", kind, i,
                               base + (1 if i < extra else 0)))
    return out


def write_variants(scenario_file: Path, folder: Path, final_folder: Path) -> list[tuple[Path,
                                                                                          Path]]:
    """One scenario file per patient in ``folder``; returns (staged path, final path) pairs.

    A custom anatomy folder named relative to the original scenario is made absolute, so
    the copies still find it.
    """
    from simulator.anatomy.generators import GENERATORS
    from simulator.scenario import load_scenario
    from simulator.yamlfile import read_yaml

    load_scenario(scenario_file)  # the copies must mean what the file means (no duplicate keys)
    data = read_yaml(scenario_file)
    model = data.get("anatomy", {}).get("model", "hip")
    if model not in GENERATORS:
        data["anatomy"]["model"] = str((scenario_file.parent / model).resolve())
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, patient in enumerate(PATIENTS):
        variant = dict(data)
        variant["anatomy"] = {**data.get("anatomy", {}), "patient": patient, "seed": k}
        name = f"{data['id']}_patient{k + 1}.yaml"
        (folder / name).write_text(yaml.safe_dump(variant, sort_keys=False), encoding="utf-8")
        out.append((folder / name, final_folder / name))
    return out


@dataclass
class RecordJob:
    trainee: TraineePlan
    variants: list[tuple[Path, Path]]
    folder: Path       # where the logs are written now (staging)
    seed0: int


def record_trainee(job: RecordJob) -> list[tuple[Path, Path]]:
    """Record all attempts of one trainee, in order; returns (log, staged scenario) pairs."""
    from simulator.loading import load_world
    from simulator.policies import make_policy
    from simulator.session import Session, run_policy

    t = job.trainee
    rng = np.random.default_rng([job.seed0, t.index])
    logs = []
    for k in range(t.attempts):
        staged, final = job.variants[(k + t.index) % len(job.variants)]
        seed = job.seed0 + 1000 * t.index + k
        if t.kind == "learner":
            policy = "expert" if rng.random() < k / max(1, t.attempts - 1) else "novice"
        else:
            policy = t.kind
        world = load_world(staged, seed=seed)
        log = job.folder / f"{t.name.replace(' ', '_')}_{k + 1:02d}.jsonl"
        session = Session(world, log_path=log, trainee=t.name, mode="assessment",
                          run_id=f"{t.name.replace(' ', '-')}-{k + 1:02d}-{seed}",
                          scenario_path=final.resolve())
        run_policy(session, make_policy(policy, world, seed),
                   max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
        session.close({"policy": policy, "group": t.kind, "simulated": True})
        logs.append((log, staged))
    return logs
