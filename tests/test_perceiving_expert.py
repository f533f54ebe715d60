"""The perceiving trainees: they pass from what the image shows, never from the ground truth
(a blindfolded world raises on any read of the anatomy's geometry or the target point)."""

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from scoring.clinical_rules import TIP_IN_VIEW
from scoring.score import Scorer
from simulator.errors import InputError
from simulator.geometry import unit
from simulator.imaging.ultrasound.render import render_ultrasound
from simulator.imaging.ultrasound.scan import scan_geometry
from simulator.loading import load_world
from simulator.policies import make_policy
from simulator.policies.needle_in_image import rocked_view_rad
from simulator.policies.perceiving import LOOK_SHAPE
from simulator.policies.perceiving_fluoro import PerceivingFluoroExpert, projected_labels
from simulator.policies.planner import SQUARE_ENOUGH_RAD
from simulator.session import Session, run_policy
from simulator.transducer import PRESETS

SCENARIOS = REPO / "scenarios"

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


def _screen(world, policy, seed):
    """The image the person looks at: rendered from the real world."""
    def ultrasound():
        policy.looks += 1
        return render_ultrasound(world, policy.state, seed=seed, image_shape=LOOK_SHAPE,
                                 detail="moving")

    def fluoroscopy():
        policy.looks += 1
        return projected_labels(world, policy.state.carm)

    return ultrasound if world.scenario.uses_ultrasound else fluoroscopy


def run(scenario, policy_name: str, seed: int, *, blind: bool = False):
    """One attempt at a shipped scenario's name (or a scenario file's path):
    ``(ScoredSession, policy)``."""
    path = scenario if isinstance(scenario, Path) else SCENARIOS / f"{scenario}.yaml"
    world = load_world(path, seed=seed)
    scorer = Scorer(world)
    session = Session(world, observers=[scorer])
    if blind:
        policy = make_policy(policy_name, _blind_world(world), seed)
        policy.look = _screen(world, policy, seed)
    else:
        policy = make_policy(policy_name, world, seed)
    run_policy(session, policy, max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
    return scorer.scored(), policy


@pytest.mark.parametrize("scenario", ["hip_anterior_us", "hip_ap_fluoro"])
def test_perceiving_expert_passes_without_reading_the_ground_truth(scenario):
    scored, policy = run(scenario, "perceiving_expert", 0, blind=True)
    assert scored.passed, [h.reason for h in scored.hard_fails]
    assert scored.score >= 75.0
    assert policy.looks >= 4   # it looked for the target and watched the needle
    assert scored.value("intra_articular_fraction") >= 0.8
    if scenario.endswith("_us"):   # it watched the tip, as the display shows it, most of the way
        assert scored.value(TIP_IN_VIEW) >= 0.5


def test_perceiving_expert_injects_between_the_tendons_it_sees():
    """The ankle's approach runs between tibialis anterior and EHL, and its recess is a
    sheet far wider than that window: sliding across, the expert stops where the image
    stops showing one tendon and shows the other, and injects there (it centred on the
    slices showing tibia and talus, medial to tibialis anterior, and ended 14.2 mm away;
    it now ends 4.1 mm away, short of the 3 mm tolerance along the recess)."""
    scored, _ = run("ankle_anterior_us", "perceiving_expert", 0)
    assert scored.passed, [h.reason for h in scored.hard_fails]
    assert scored.value("tip_to_target_mm") <= 5.0


def test_the_window_lies_between_one_tendon_and_the_next():
    """Sliding across: no tendon, tibialis anterior, then EHL (each slice that shows both at
    once, as a coarse sweep may, counts for neither side); the window is the middle of the
    step between the last slice with only the first and the first with only the second,
    not a step across a third tendon, and none where only one tendon shows."""
    from types import SimpleNamespace

    from simulator.policies.perceiving_view import window_between_tendons

    def seen(*tendons):
        return SimpleNamespace(tendons=frozenset(tendons), shown=True)

    ta, ehl, edl = 1, 2, 3
    fine = [(-9.0, seen()), (-6.0, seen(ta)), (-3.0, seen(ta)), (0.0, seen(ta)),
            (3.0, seen(ehl)), (6.0, seen(ehl))]
    assert window_between_tendons(fine, -9.0) == pytest.approx(1.5)
    coarse = [(-15.0, seen(edl, ehl)), (-10.0, seen(ehl)), (-5.0, seen(ehl, ta)),
              (0.0, seen(ta)), (5.0, seen(ta))]
    assert window_between_tendons(coarse, 5.0) == pytest.approx(-5.0)
    assert window_between_tendons([(0.0, seen(ta)), (3.0, seen(ta))], 0.0) is None


def test_the_view_is_centred_on_the_poses_that_show_it_best():
    """Across a sweep the standard view holds over a run of slices: the middle of the run
    around the best-ranked one, not the slice a hair's-breadth better on landmark width."""
    from types import SimpleNamespace

    from simulator.policies.perceiving_view import middle_of_best_run

    def seen(met, share):
        return SimpleNamespace(rank=(True, met, share, 0.0))

    visited = [(0.0, seen(3, 0.90)), (-9.0, seen(3, 0.89)), (-6.0, seen(3, 0.89)),
               (-3.0, seen(3, 0.88)), (3.0, seen(3, 0.89)), (6.0, seen(3, 0.91)),
               (9.0, seen(2, 0.93)), (-12.0, seen(2, 0.96)), (12.0, seen(3, 0.99))]
    assert middle_of_best_run(visited, 6.0) == pytest.approx(-1.5)
    assert middle_of_best_run(visited, 12.0) == pytest.approx(12.0)   # a run of one
    # a landmark clearly wider in one slice (the hip's neck coming into view): stay there
    visited[1] = (-9.0, seen(3, 1.40))
    assert middle_of_best_run(visited, -9.0) == pytest.approx(-9.0)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["knee_suprapatellar_us", "shoulder_gh_posterior_us"])
def test_perceiving_expert_keeps_its_tip_in_view(scenario):
    scored, _ = run(scenario, "perceiving_expert", 0)
    assert scored.passed, [h.reason for h in scored.hard_fails]
    assert scored.value(TIP_IN_VIEW) >= 0.5


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_rock_turns_the_beam_square_to_a_steep_needle(side):
    """A 45 deg in-plane path to a target 60 mm deep on the hip's curvilinear probe: unrocked,
    the beam meets the deep half of the shaft too far off square for it to show; the rock
    chosen turns the beam toward the needle's end of the probe, squares it over the path's
    first three quarters and keeps the target in the image."""
    geom = scan_geometry("curvilinear", 100.0, PRESETS["curvilinear"].centre_mhz, 70.0)
    a = math.radians(45.0)
    d_probe = np.array([-side * math.cos(a), 0.0, math.sin(a)])
    target = np.array([0.0, 0.0, 60.0])
    length = 60.0 / math.sin(a)
    entry = target - d_probe * length
    rock = rocked_view_rad(geom, entry, d_probe, length)
    assert side * rock > math.radians(20.0)

    def off_square_rad(rock_rad, share):
        """Angle between the beam and the square to the shaft at ``share`` of the path."""
        c, s = math.cos(rock_rad), math.sin(rock_rad)
        rows = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])   # rocked probe axes
        point = rows @ (entry + share * length * d_probe)
        beam = unit(point * [1.0, 0.0, 1.0] + [0.0, 0.0, geom.radius_mm])
        return math.asin(abs(float(beam @ (rows @ d_probe))))

    curved_limit = SQUARE_ENOUGH_RAD["curvilinear"]
    assert off_square_rad(0.0, 0.75) > curved_limit >= off_square_rad(rock, 0.75)
    assert off_square_rad(rock, 1.0) < off_square_rad(0.0, 1.0) - math.radians(10.0)
    c, s = math.cos(rock), math.sin(rock)
    line, _ = geom.line_coords((np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
                                @ target)[None])
    assert 0 <= line[0] < geom.n_lines


def test_blindfold_catches_a_ground_truth_read():
    """The guard above can fail: the planning expert reads the anatomy and is caught."""
    world = load_world(SCENARIOS / "hip_anterior_us.yaml", seed=0)
    session = Session(world)
    with pytest.raises(GroundTruthRead):
        run_policy(session, make_policy("expert", _blind_world(world), 0), max_ticks=2000)


def test_perceiving_policies_take_the_scenarios_modality():
    fluoro = load_world(SCENARIOS / "hip_ap_fluoro.yaml", seed=0)
    for name in ("perceiving_expert", "perceiving_intermediate", "perceiving_novice"):
        assert hasattr(make_policy(name, fluoro, 0), "shoot")   # the C-arm forms
    with pytest.raises(InputError, match="fluoroscopy"):
        PerceivingFluoroExpert(load_world(SCENARIOS / "hip_anterior_us.yaml", seed=0), 0)


def test_projected_labels_show_the_target_where_it_projects():
    """The fluoroscopy 'recognition' image: the target's pixels surround the projection of
    its landmark, and collimating hides what lies outside the field."""
    from dataclasses import replace

    import numpy as np

    from simulator.step import initial_state

    world = load_world(SCENARIOS / "hip_ap_fluoro.yaml", seed=0)
    state = initial_state(world)
    seen = projected_labels(world, state.carm)
    col, row = np.round(seen.projection.project(world.target_point)[0]).astype(int)
    target = seen.shows(world.target_label)
    assert target[row - 3:row + 4, col - 3:col + 4].any()
    narrow = projected_labels(world, replace(state.carm, field_mm=40.0))
    assert narrow.exposed.sum() < seen.exposed.sum()
    assert not narrow.shows(world.target_label)[~narrow.exposed].any()


@pytest.mark.parametrize("scenario,policy_name", [
    ("hip_ap_fluoro", "perceiving_novice"),
    pytest.param("hip_ap_fluoro", "perceiving_intermediate", marks=pytest.mark.slow),
    pytest.param("hip_anterior_us", "perceiving_novice", marks=pytest.mark.slow),
    pytest.param("hip_anterior_us", "perceiving_intermediate", marks=pytest.mark.slow),
])
def test_perceiving_learners_finish_without_reading_the_ground_truth(scenario, policy_name):
    """The learners' errors are their own: they too work from the image alone."""
    scored, policy = run(scenario, policy_name, 1, blind=True)
    assert policy.looks >= 1
    assert scored.value("injected_ml") > 0.0    # they got as far as injecting


def test_display_shows_the_tip_when_rocked_and_loses_it_flat():
    """Mid-way down the hip's steep path (tip 50 mm in): the perceiving expert's rocked view
    shows the shaft to its tip on the display, as the scored verdict says; the same pose
    unrocked loses it, for both."""
    from dataclasses import replace

    from simulator.geometry import invert
    from simulator.imaging.ultrasound.tip_visibility import tip_visible
    from simulator.policies.needle_in_image import tip_shows

    world = load_world(SCENARIOS / "hip_anterior_us.yaml", seed=0)
    session = Session(world)
    policy = make_policy("perceiving_expert", world, 0)
    while not (session.state.needle.in_skin and session.state.needle.depth_mm >= 50.0):
        assert not session.ended
        session.step(policy(world, session.state))
    rocked = session.state
    flat = replace(rocked, probe=replace(rocked.probe, rock_rad=0.0))
    assert abs(rocked.probe.rock_rad) > math.radians(20.0)
    for state, shown in ((rocked, True), (flat, False)):
        frame = render_ultrasound(world, state, seed=0, image_shape=LOOK_SHAPE, detail="moving")
        assert tip_shows(frame, state.needle) is shown
        assert tip_visible(world, state.probe, invert(frame.world_from_probe),
                           state.needle) is shown


def test_an_en_face_recess_is_entered_in_its_upper_end_and_a_joint_near_its_lower():
    """The fluoroscopy expert's entry: the hip's recess, seen face on, in its upper third
    (the superolateral head-neck junction, where the beam does not run longest through it);
    a sacroiliac joint seen obliquely (twice as tall as wide) is not taken for a recess,
    and a joint line keeps its lower end."""
    from simulator.policies.fluoro_target_shape import is_en_face, is_line, lower_end, upper_end

    recess = np.zeros((64, 64), bool)
    recess[10:40, 12:42] = True
    band = upper_end(recess)
    assert is_en_face(recess) and not is_line(recess)
    assert np.nonzero(band)[0].min() == 10 and np.nonzero(band)[0].max() == 20
    oblique = np.zeros((64, 64), bool)
    oblique[4:60, 20:50] = True
    assert not is_en_face(oblique) and not is_line(oblique)
    line = np.zeros((64, 64), bool)
    line[2:62, 30:33] = True
    assert is_line(line)
    assert np.nonzero(lower_end(line, 1.0))[0].max() < 61
