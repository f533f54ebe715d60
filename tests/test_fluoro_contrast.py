"""Contrast patterns on the real hip, read as a radiologist would (issue 4, item 3).

2 mL of iohexol 300 is injected at the lateral head-neck target and the anterior recess
(intra-articular), at classic near misses in the muscles round the joint (extra-articular),
and into the femoral artery (intravascular). On the AP image the opacified region (contrast
adding > 0.1 to the line integral, i.e. >= 10 % darker) is measured:

- intra-articular contrast flows away from the tip through the joint cavity: it opacifies a
  wide, rounded area for its volume;
- extra-articular contrast pools as a dense blob at the tip or a streak along the muscle: a
  smaller area for the same volume;
- intravascular contrast is a thin line along the vessel (elongated) that washes out within
  seconds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulator.anatomy.manifest import Role
from simulator.imaging.fluoro import render_fluoro
from simulator.state import Deposit
from simulator.step import initial_state

VOLUME_ML = 2.0
OPACIFIED = 0.1


def inside_muscle(world, name, near):
    """A point 3-6 mm inside muscle ``name`` on its side facing ``near`` (a near miss)."""
    a = world.anatomy
    structure = a.structure(name)
    for nearest in np.argsort(((structure.vertices - near) ** 2).sum(1))[:50]:
        v = structure.vertices[nearest]
        inward = -world.vertex_normals[structure.index - 1][nearest]
        for depth in (3.0, 4.0, 5.0, 6.0):
            p = v + inward * depth
            if a.label_at(p) == structure.index:
                return p, structure.index
    raise AssertionError(f"no point inside {name} near the target")


def contrast_features(world, compartment, position, label, tick=30):
    s0 = initial_state(world)
    base = render_fluoro(world, replace(s0, tick=tick), exposure="spot")
    d = Deposit(0, compartment, label, tuple(float(x) for x in position), VOLUME_ML, 0, 10.0)
    frame = render_fluoro(world, replace(s0, deposits=(d,), tick=tick), exposure="spot")
    added = frame.line_integrals - base.line_integrals
    assert added.min() > -1e-5  # contrast only ever darkens
    pr = frame.projection
    mm2 = (pr.pixel_mm / pr.magnification_at_isocentre) ** 2
    yx = np.argwhere(added > OPACIFIED).astype(float)
    if len(yx) < 3:
        return {"area_per_ml": 0.0, "elongation": 0.0, "total": float(added.sum())}
    ev = np.sort(np.linalg.eigvalsh(np.cov(yx.T)))
    # the display shows it: opacified pixels are darker than before
    shown = frame.image[added > OPACIFIED].astype(float).mean()
    before = base.image[added > OPACIFIED].astype(float).mean()
    assert shown < before - 20
    return {"area_per_ml": len(yx) * mm2 / VOLUME_ML,
            "elongation": float(np.sqrt(ev[1] / ev[0])), "total": float(added.sum())}


@pytest.fixture(scope="module")
def patterns(hip_fluoro_world):
    w = hip_fluoro_world
    a = w.anatomy
    out = {"intra": [], "extra": []}
    for mark in ("target_lateral_head_neck", "target_anterior_recess"):
        p = a.landmarks[mark]
        out["intra"].append(contrast_features(w, "intra_articular", p, a.label_at(p)))
    target = a.landmarks["target_lateral_head_neck"]
    for muscle in ("deep_tissue", "gluteus_minimus", "iliopsoas", "rectus_femoris"):
        p, label = inside_muscle(w, muscle, target)
        assert w.role(label) is Role.soft_tissue
        out["extra"].append(contrast_features(w, "soft_tissue", p, label))
    p = a.landmarks["femoral_artery_at_head"]
    label = a.label_at(p)
    out["vascular"] = contrast_features(w, "intravascular", p, label, tick=30)
    out["vascular_late"] = contrast_features(w, "intravascular", p, label, tick=300)
    return out


def test_intra_articular_spreads_wider_than_extra_articular(patterns):
    intra = min(f["area_per_ml"] for f in patterns["intra"])
    extra = max(f["area_per_ml"] for f in patterns["extra"])
    assert intra > 1.2 * extra, (patterns["intra"], patterns["extra"])


def test_intravascular_is_a_line_that_washes_out(patterns):
    others = patterns["intra"] + patterns["extra"]
    vascular = patterns["vascular"]
    assert vascular["elongation"] > 2.0 * max(f["elongation"] for f in others)
    assert patterns["vascular_late"]["total"] < 0.3 * vascular["total"]
