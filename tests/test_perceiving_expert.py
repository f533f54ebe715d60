"""The perceiving expert: passes hip_anterior_us from what the image shows, never from the
ground truth, and scores well above the novice."""

import numpy as np
import pytest
from conftest import REPO

from scoring.score import Scorer
from simulator.imaging.ultrasound.render import render_ultrasound
from simulator.loading import load_world
from simulator.policies import make_policy
from simulator.policies.perceiving import LOOK_SHAPE
from simulator.session import Session, run_policy

HIP_US = REPO / "scenarios" / "hip_anterior_us.yaml"
SEEDS = range(4)

# what a person at the scanner knows: the case, the clock, what each structure is and which
# ones are dangerous (recognising them in the image), and the patient's side
SEEN_WORLD = {"scenario", "dt_s", "role", "name", "tissue", "danger", "target_label",
              "side_sign", "patient"}


class GroundTruthRead(AssertionError):
    pass


class _Blindfold:
    """Forwards only what a person knows; anything else (the anatomy's geometry, the target
    point, the entry zone, the skin surface) raises."""

    def __init__(self, inner, allowed):
        self._inner, self._allowed = inner, allowed

    def __getattr__(self, name):
        if name not in self._allowed:
            raise GroundTruthRead(f"the policy read {name!r}")
        return getattr(self._inner, name)


def _blind_world(world):
    blind = _Blindfold(world, SEEN_WORLD | {"anatomy"})
    # only the name -> label mapping of the anatomy: which structure a pixel shows
    object.__setattr__(blind, "anatomy", _Blindfold(world.anatomy, {"structure"}))
    return blind


def _run(policy_name, seed, *, blind=False):
    world = load_world(HIP_US, seed=seed)
    scorer = Scorer(world)
    session = Session(world, observers=[scorer])
    if blind:
        policy = make_policy(policy_name, _blind_world(world), seed)
        # the screen renders from the real world: that is the image the person looks at
        def screen():
            policy.looks += 1
            return render_ultrasound(world, policy.state, seed=seed, image_shape=LOOK_SHAPE,
                                     detail="moving")

        policy.look = screen
    else:
        policy = make_policy(policy_name, world, seed)
    run_policy(session, policy, max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
    return scorer.scored(), policy


def test_perceiving_expert_passes_without_reading_the_ground_truth():
    scored, policy = _run("perceiving_expert", 0, blind=True)
    assert scored.passed, [h.reason for h in scored.hard_fails]
    assert scored.score >= 75.0
    assert policy.looks > 10   # it scanned and watched the needle
    metrics = {m.key: m.value for m in scored.metrics}
    assert metrics["intra_articular_fraction"] >= 0.8


def test_blindfold_catches_a_ground_truth_read():
    """The guard above can fail: the planning expert reads the anatomy and is caught."""
    world = load_world(HIP_US, seed=0)
    session = Session(world)
    with pytest.raises(GroundTruthRead):
        run_policy(session, make_policy("expert", _blind_world(world), 0), max_ticks=2000)


def test_perceiving_policies_need_ultrasound():
    from simulator.errors import InputError

    world = load_world(REPO / "scenarios" / "hip_ap_fluoro.yaml", seed=0)
    with pytest.raises(InputError, match="ultrasound"):
        make_policy("perceiving_expert", world, 0)


@pytest.mark.slow
def test_perceiving_expert_passes_seeds_and_beats_the_novice():
    expert = [_run("perceiving_expert", s)[0] for s in SEEDS]
    intermediate = [_run("perceiving_intermediate", s)[0] for s in SEEDS]
    novice = [_run("novice", s)[0] for s in SEEDS]
    assert [s.passed for s in expert] == [True] * len(SEEDS)
    e, i, n = (np.array([s.score for s in group]) for group in (expert, intermediate, novice))
    assert e.mean() - n.mean() >= 15.0
    assert e.mean() > i.mean()
