"""The real bones, cartilage and muscles of one ankle patient, placed in the model frame, and
the frame the generated soft tissue is laid out in.

The Visible Human body of the patient's sex gives the distal tibia and fibula, the talus,
calcaneus and navicular, the talar and tibial cartilage and the leg muscles of the patient's
side (``simulator.anatomy.real.ankle_real``; a left side is mirrored into the right-side frame
the generator builds in, and the assembly mirrors the finished model back). Placement is
rigid and uniform: everything is scaled by the patient's body size about the top of the
talar dome, which goes to ``(ANKLE_X_MM, 0, 0)``; the cadaver's pose is kept (leg along z,
foot toward +y). Osteoarthritis narrows the joint: the leg (tibia, fibula, tibial cartilage,
muscles) moves down onto the talus by ``narrowing_mm``. The muscles' cross-sections scale
with BMI (``muscle_scale``) about each muscle's own axis.

The tibialis anterior, extensor hallucis longus and extensor digitorum longus meshes run on as
their tendons over the joint; the model keeps their bellies above ``BELLY_END_MM`` and
generates the tendons (``ankle_soft``), so the tendons have their own echo texture.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_params import AnkleParams
from simulator.anatomy.real.ankle_real import RealAnkle

ANKLE_X_MM = 80.0    # joint centre lateral of the body midline [U]
BELLY_END_MM = 15.0  # extensor bellies kept above this height over the dome top (x scale)
FOOT_BONES = ("talus", "calcaneus", "navicular")
LEG_BONES = ("tibia", "fibula")
EXTENSORS = ("tibialis_anterior", "extensor_hallucis_longus", "extensor_digitorum_longus")
SHAFT_HEIGHTS_MM = (10.0, 25.0, 40.0, 60.0, 80.0, 100.0, 120.0)  # tibia centres (x scale)
MUSCLES = (*EXTENSORS, "peroneus_longus", "soleus", "flexor_hallucis_longus")


@dataclass(frozen=True)
class AnkleFrame:
    """Placed landmarks of one right ankle (world RAS mm) and the soft-tissue scale.

    Attributes
    ----------
    origin : (3,) float
        Top of the talar dome.
    dome_center : (3,) float
        Centre of the trochlea's sagittal arc; ``dome_radius_mm`` its radius.
    lip : (3,) float
        Anterior tibial lip.
    trochlea_x : (2,) float
        Medial and lateral x of the talar cartilage (the width of the joint's front).
    """

    params: AnkleParams
    origin: np.ndarray
    dome_center: np.ndarray
    dome_radius_mm: float
    lip: np.ndarray
    trochlea_x: np.ndarray
    medial_malleolus: np.ndarray
    lateral_malleolus: np.ndarray
    shaft_z: np.ndarray    # (k,) heights over the dome top (world mm) ...
    shaft_dx: np.ndarray   # (k,) ... and the tibia's centre x there less at the first

    @property
    def sc(self) -> float:
        return self.params.scale

    def ref(self, ref_mm) -> np.ndarray:
        """Reference offsets ``(..., 3)`` from the dome top (scaled) to world."""
        return self.origin + self.sc * np.asarray(ref_mm, float)

    def leg(self, ref_mm) -> np.ndarray:
        """Like ``ref``, but x follows the real tibia's centre up the leg."""
        q = self.ref(ref_mm)
        q[..., 0] += np.interp(q[..., 2] - self.origin[2], self.shaft_z, self.shaft_dx)
        return q


@dataclass(frozen=True)
class PlacedAnkle:
    """The placed real solids (closed manifolds, world RAS mm) and the frame."""

    frame: AnkleFrame
    bones: dict      # name: (outer, marrow)
    cartilage: dict  # talar_cartilage, tibial_cartilage
    muscles: dict    # MUSCLES


def place(real: RealAnkle, p: AnkleParams) -> PlacedAnkle:
    """Scale and move ``real`` into the model frame (see the module notes)."""
    top = real.marks.talar_dome_top
    origin = np.array([ANKLE_X_MM, 0.0, 0.0])
    leg_shift = np.array([0.0, 0.0, -p.narrowing_mm])

    def foot(points):
        return origin + p.size * (np.asarray(points, float) - top)

    def leg(points):
        return foot(points) + leg_shift

    def solid(move, vertices, faces, what):
        return pr.to_manifold(move(vertices), faces, what)

    bones = {}
    for name in (*LEG_BONES, *FOOT_BONES):
        b = real.bones[name]
        move = leg if name in LEG_BONES else foot
        outer = solid(move, b.outer_vertices, b.outer_faces, name)
        core = solid(move, b.core_vertices, b.core_faces, f"{name} core")
        bones[name] = (outer, core ^ outer)
    cart = {"talar_cartilage": solid(foot, *real.soft["talar_cartilage"], "talar cartilage"),
            "tibial_cartilage": solid(leg, *real.soft["tibial_cartilage"], "tibial cartilage")}
    muscles = {n: _thickened(solid(leg, *real.soft[n], n), p.muscle_scale) for n in MUSCLES}
    belly_end = origin[2] + BELLY_END_MM * p.scale
    for n in EXTENSORS:
        muscles[n] = muscles[n].trim_by_plane([0.0, 0.0, 1.0], belly_end)
    tal_x = foot(real.soft["talar_cartilage"][0])[:, 0]
    tib = leg(real.bones["tibia"].outer_vertices)
    shaft_z = np.array(SHAFT_HEIGHTS_MM) * p.scale
    shaft_x = np.array([tib[np.abs(tib[:, 2] - origin[2] - h) < 3.0, 0].mean()
                        for h in shaft_z])
    m = real.marks
    frame = AnkleFrame(
        params=p, origin=origin, dome_center=foot(m.dome_centre),
        dome_radius_mm=m.dome_radius_mm * p.size, lip=leg(m.anterior_tibial_lip),
        trochlea_x=np.array([tal_x.min(), tal_x.max()]),
        medial_malleolus=leg(m.medial_malleolus), lateral_malleolus=leg(m.lateral_malleolus),
        shaft_z=shaft_z, shaft_dx=shaft_x - shaft_x[0])
    return PlacedAnkle(frame, bones, cart, muscles)



def _thickened(muscle: mf.Manifold, scale: float) -> mf.Manifold:
    """``muscle`` scaled by ``scale`` across (x, y) about its bounding box's centre
    (unchanged at 1)."""
    if scale == 1.0:
        return muscle
    box = np.array(muscle.bounding_box())
    c = 0.5 * (box[:3] + box[3:])
    return muscle.translate((-c).tolist()).scale([scale, scale, 1.0]).translate(c.tolist())
