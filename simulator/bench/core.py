"""Core figures: step() speed, anatomy build time (cold and cached), replay + score speed."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from simulator.state import Action

SCENARIO = "hip_anterior_us"
SESSION_S = 600.0


def figure(name: str, value: float, unit: str, target: str = "") -> dict:
    return {"name": name, "value": round(float(value), 4), "unit": unit, "target": target}


def cpu_of_children_s() -> float:
    """CPU seconds used by finished child processes (all their threads, to their exit):
    unlike wall time, barely changed by other work on the machine."""
    import resource

    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def busy_actions(world, seconds: float, seed: int = 0) -> list[Action]:
    """A busy session: needle placed, then ten minutes of advancing, pulling back, steering
    and probe moves in random bursts (every tick does some work)."""
    from simulator.policies.planner import plan_path

    rng = np.random.default_rng(seed)
    plan = plan_path(world)
    actions = [Action(place_needle=(tuple(plan.entry_mm), tuple(plan.direction)))]
    n = int(seconds / world.dt_s)
    depth_goal = 0.0
    while len(actions) < n:
        burst = int(rng.integers(20, 90))
        kind = rng.choice(["advance", "retract", "steer", "probe", "idle"],
                          p=[0.35, 0.2, 0.15, 0.2, 0.1])
        if kind == "advance" and depth_goal < plan.length_mm - 10:
            a = Action(advance_mm_s=float(rng.uniform(2, 8)))
            depth_goal += burst * world.dt_s * 5
        elif kind == "retract":
            a = Action(advance_mm_s=-float(rng.uniform(2, 8)))
            depth_goal = max(0.0, depth_goal - burst * world.dt_s * 5)
        elif kind == "steer":
            a = Action(steer_rad_s=tuple(float(x) for x in rng.normal(0, 0.05, 2)),
                       advance_mm_s=1.0)
        elif kind == "probe":
            a = Action(probe_slide_mm_s=tuple(float(x) for x in rng.normal(0, 3, 2)),
                       probe_rotate_rad_s=float(rng.normal(0, 0.05)))
        else:
            a = Action()
        actions += [a] * burst
    return actions[:n]


def run(progress) -> list[dict]:
    from scoring.score import score_log
    from simulator.anatomy import cache
    from simulator.loading import load_world
    from simulator.paths import scenario_path
    from simulator.session import Session
    from simulator.step import step

    out = []
    path = scenario_path(SCENARIO)
    old = os.environ.get("JOINTSIM_CACHE")
    tmp = Path(tempfile.mkdtemp(prefix="jointsim-bench-"))
    try:
        os.environ["JOINTSIM_CACHE"] = str(tmp / "cache")
        from simulator import loading

        progress("anatomy build, cold (generate + label volume)")
        loading._anatomy.cache_clear()
        from simulator.anatomy.library import model_folder
        from simulator.anatomy.patient import PatientParams

        t = time.perf_counter()
        # a patient the shipped mesh set does not cover, so it is generated from scratch
        folder = model_folder("hip", PatientParams(bmi=31.0), 7)
        t_gen = time.perf_counter() - t
        from simulator.anatomy.model import Anatomy

        t = time.perf_counter()
        Anatomy.load(folder, roi_mm=None)
        t_cold_load = time.perf_counter() - t
        t = time.perf_counter()
        Anatomy.load(folder, roi_mm=None)
        t_cached = time.perf_counter() - t
        out += [figure("anatomy generate (hip)", t_gen, "s"),
                figure("anatomy load + label volume, cold", t_cold_load, "s"),
                figure("anatomy load, cached", t_cached, "s")]
        assert cache.cache_dir() == tmp / "cache"
    finally:
        if old is None:
            os.environ.pop("JOINTSIM_CACHE", None)
        else:
            os.environ["JOINTSIM_CACHE"] = old
        shutil.rmtree(tmp, ignore_errors=True)
        from simulator import loading

        loading._anatomy.cache_clear()

    world = load_world(path, progress=progress)
    progress("step() speed over a busy 10-minute session")
    actions = busy_actions(world, SESSION_S)
    from simulator.step import initial_state

    state = initial_state(world)
    t = time.perf_counter()
    for a in actions:
        state, _ = step(world, state, a)
    t_step = time.perf_counter() - t
    out.append(figure("step() ticks per second (one core)", len(actions) / t_step, "ticks/s",
                      ">= 5000"))
    progress("replay + score of the 10-minute session")
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "session.jsonl"
        session = Session(world, log_path=log, scenario_path=path.resolve())
        for a in actions:
            session.step(a)
        session.close()
        t = time.perf_counter()
        doc, result = score_log(log)
        t_score = time.perf_counter() - t
        assert result.mismatch is None
    out.append(figure(f"replay + score, {SESSION_S / 60:.0f}-minute session at "
                      f"{1 / world.dt_s:.0f} Hz", t_score, "s", "< 10"))
    return out
