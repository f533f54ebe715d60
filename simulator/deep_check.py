"""``validate --deep``: build the case and prove it can be done, as an expert would do it.

Builds the anatomy (so broken or mislabelled meshes surface), asks the expert planner for a
straight path from the entry zone to the target within the needle's length that crosses no
bone or danger structure, then plays the scripted expert and scores it with the scenario's
own rubric: the best achievable score and the closest danger margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.errors import InputError
from simulator.scenario import problem_from


@dataclass
class DeepResult:
    problems: list[tuple[str, str]]
    summary: str


def deep_check(path: str | Path, progress=None) -> DeepResult:
    from scoring.score import Scorer
    from simulator.loading import load_world
    from simulator.policies import make_policy
    from simulator.policies.planner import closest_danger, plan_path
    from simulator.session import Session, run_policy

    try:
        world = load_world(path, progress=progress)
    except InputError as exc:
        return DeepResult([problem_from(exc, path, "anatomy")], "")
    sc = world.scenario
    depth_mm = target_depth_mm(world)
    if depth_mm is not None and depth_mm >= sc.needle.length_mm:
        return DeepResult([("needle.length_mm", f"the target landmark lies {depth_mm:.0f} mm "
                            "beneath the skin at its shallowest, out of reach of a "
                            f"{sc.needle.length_mm:g} mm needle; use a needle longer than "
                            f"{depth_mm:.0f} mm")], "")
    fluoro_only = sc.uses_fluoroscopy and not sc.uses_ultrasound
    beam = None
    if fluoro_only:
        from simulator.carm import geometry
        from simulator.step import initial_state

        beam = geometry(world, initial_state(world).carm, sc.carm).beam
    plan = plan_path(world, along=None if beam is None else -beam,
                     max_off_axis_deg=30.0 if fluoro_only else 70.0,
                     angle_to_skin_deg=(55.0, 90.0) if fluoro_only else (25.0, 50.0))
    target = sc.targets[0].structure
    if plan is None:
        return DeepResult([("targets.0", f"no straight path from the entry zone reaches "
                            f"{target!r} within the {sc.needle.length_mm:g} mm needle without "
                            "crossing bone, cartilage or a danger structure; move or widen "
                            "entry_zone, or use a longer needle")], "")
    closest, name = closest_danger(world, plan, step_mm=1.0)
    scorer = Scorer(world)
    session = Session(world, observers=[scorer])
    run_policy(session, make_policy("expert", world, 0),
               max_ticks=int(sc.limits.time_s / world.dt_s) + 5)
    scored = scorer.scored()
    problems = []
    took_s = scored.value("total_time_s")
    if took_s is not None and took_s >= sc.limits.time_s - world.dt_s:
        problems.append(("limits.time_s", f"the scripted expert did not finish within "
                         f"{sc.limits.time_s:g} s; allow more time"))
    if not scored.passed:
        reasons = "; ".join([h.reason for h in scored.hard_fails] or scored.weaknesses[:2])
        problems.append(("rubric", f"the scripted expert cannot pass this case (score "
                         f"{scored.score:.1f}, {reasons}); check the target, entry zone and "
                         "rubric thresholds"))
    summary = (f"expert score {scored.score:.1f}/100 ({'pass' if scored.passed else 'FAIL'}); "
               f"path {plan.length_mm:.0f} mm at {plan.angle_to_skin_deg:.0f} deg to the skin; "
               f"closest danger {name} {closest:.1f} mm")
    return DeepResult(problems, summary)


def target_depth_mm(world) -> float | None:
    """Shortest distance from the primary target landmark to the skin surface (None for a
    model without a skin structure)."""
    from simulator.anatomy.manifest import Role

    skins = [s.name for s in world.anatomy.structures if s.role == Role.skin]
    if not skins:
        return None
    target = world.landmark(world.scenario.targets[0].landmark)
    return float(min(world.anatomy.distance_to(name, target[None])[0] for name in skins))
