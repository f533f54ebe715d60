"""The sacroiliac fluoroscopy shows the real joint lines as a clinician uses them
(clinical.md s.3.5, fluoroscopy.md): in the straight (AP) view the anterior and posterior
joint lines of the real bones project apart, the posterior one medial, each on an edge; with
the C-arm turned to the contralateral side by the joint's measured obliquity they superimpose
and the lower joint opens as one dark line (less bone along the beam) between the bright
sacrum and ilium. The lines are the real ones (``sij_landmarks`` on the placed Visible Human
bones), projected with the scenario's own C-arm."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulator.anatomy.generators.sij_params import draw_sij_params
from simulator.anatomy.generators.sij_real import real_sij, sij_placement
from simulator.imaging.fluoro import render_fluoro
from simulator.loading import load_world
from simulator.step import initial_state


@pytest.fixture(scope="module")
def scene():
    world = load_world("sij_fluoro", seed=0)
    patient = world.scenario.anatomy.patient
    p = draw_sij_params(patient, world.scenario.anatomy.seed)
    sij = real_sij(patient.sex, patient.side)
    place = sij_placement(sij, patient.sex, patient.side, p.size, p.joint_space_mm)
    lines = (place.injected(sij.marks.anterior_line), place.injected(sij.marks.posterior_line))
    return world, lines


def _shot(world, orbital_deg: float):
    state = initial_state(world)
    carm = replace(state.carm, orbital_rad=np.radians(orbital_deg), cranial_rad=0.0)
    return render_fluoro(world, replace(state, carm=carm), seed=0)


def _pixels(frame, points) -> np.ndarray:
    """``(n, 2)`` (row, col) of the projected ``points`` ``(n, 3)``."""
    cr = np.asarray(frame.projection.project(np.asarray(points, float)))
    return cr[:, ::-1]


def _px_per_mm(frame) -> float:
    """Detector pixels per mm at the isocentre (a craniocaudal step: across every beam)."""
    return float(np.linalg.norm(np.diff(_pixels(frame, [[0, 0, 0], [0, 0, 10]]), axis=0)) / 10)


def _lower_third(line: np.ndarray) -> np.ndarray:
    """The caudal third of a cranial-to-caudal joint line ``(k, 3)``."""
    return line[len(line) - max(3, len(line) // 3):]


def test_ap_view_shows_two_joint_lines_the_posterior_medial_each_on_an_edge(scene):
    world, (anterior, posterior) = scene
    frame = _shot(world, 0.0)
    li = frame.line_integrals.astype(float)
    gy, gx = np.gradient(li)
    grad = np.hypot(gx, gy)
    typical = float(np.median(grad[frame.exposed]))
    px_per_mm = _px_per_mm(frame)
    a, p = _pixels(frame, anterior), _pixels(frame, posterior)
    apart_mm = np.linalg.norm(a - p, axis=1) / px_per_mm
    assert np.median(apart_mm) > 6.0, np.median(apart_mm)
    # the posterior line is the medial one (clinical.md s.3.5): nearer the midline's column
    mid = _pixels(frame, [[0.0, 0.0, float(np.mean(anterior[:, 2]))]])[0, 1]
    assert np.mean(np.abs(p[:, 1] - mid) < np.abs(a[:, 1] - mid)) > 0.8
    for line in (a, p):
        on_edge = [grad[int(r) - 3:int(r) + 4, int(c) - 3:int(c) + 4].max() > 3.0 * typical
                   for r, c in np.round(line)]
        assert np.mean(on_edge) > 0.7


def _lower_joint_obliquity_deg(anterior: np.ndarray, posterior: np.ndarray) -> float:
    """Axial-plane angle from the AP axis of the step from the posterior to the anterior
    line over the lower third: the contralateral C-arm rotation that superimposes them."""
    step = _lower_third(anterior) - _lower_third(posterior)
    return float(np.degrees(np.arctan2(np.abs(step[:, 0]), step[:, 1])).mean())


def test_contralateral_oblique_superimposes_the_lines_and_opens_the_lower_joint(scene):
    world, (anterior, posterior) = scene
    angle = _lower_joint_obliquity_deg(anterior, posterior)
    assert 5.0 < angle < 35.0, angle
    ap, oblique = _shot(world, 0.0), _shot(world, -angle)

    def apart(frame):
        return np.median(np.linalg.norm(_pixels(frame, _lower_third(anterior))
                                        - _pixels(frame, _lower_third(posterior)), axis=1))

    assert apart(oblique) < 0.5 * apart(ap), (apart(oblique), apart(ap))
    # across the lower joint (perpendicular to its projected line) the joint space is one
    # lucent line between the dense subchondral lines of the sacrum and the ilium, which the
    # beam now meets edge-on: a valley at least 0.3 deep within 3 mm on each side
    li = oblique.line_integrals.astype(float)
    centre = 0.5 * (_pixels(oblique, _lower_third(anterior))
                    + _pixels(oblique, _lower_third(posterior)))
    along = np.diff(_pixels(oblique, posterior), axis=0).sum(0)
    normal = np.array([-along[1], along[0]]) / np.linalg.norm(along)
    px_per_mm = _px_per_mm(oblique)
    steps = np.arange(-6.0, 6.25, 0.25)
    opened = []
    for c in centre:
        profile = np.array([li[tuple(np.round(c + t * px_per_mm * normal).astype(int))]
                            for t in steps])
        depths = []
        for k in np.nonzero(np.abs(steps) <= 3.0)[0]:
            before = profile[(steps < steps[k]) & (steps >= steps[k] - 3.0)]
            after = profile[(steps > steps[k]) & (steps <= steps[k] + 3.0)]
            depths.append(min(before.max(), after.max()) - profile[k])
        opened.append(max(depths) > 0.3)
    assert np.mean(opened) >= 0.6, opened
