"""Frame and bones of a right ankle: distal tibia and fibula, talus, calcaneus, navicular.

World frame: patient RAS mm, the leg along z, the foot pointing anterior (+y); the top of the
talar dome (where the cartilages meet) at ``(ANKLE_X_MM, 0, 0)``. The trochlea of the talus is
a cylinder of radius ``dome_radius_mm`` about a transverse axis; the tibial plafond is carved
by the talus grown by the joint space, so plafond and malleolar facets match the dome. The
foot bones are built in neutral and turned about the dome axis by ``plantarflexion_deg`` (the
dome is unchanged, the neck and head go down). Reference coordinates are for the female
reference ankle and scale with ``AnkleParams.scale``; cartilage does not scale.
Bones are smooth convex hulls of ellipsoids and lofted shafts; the marrow repeats them shrunk
by the cortex (about 1 mm in the tarsals and epiphysis, 3.5 mm in the tibial shaft).
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np
from scipy.interpolate import PchipInterpolator

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.ankle_params import AnkleParams

ANKLE_X_MM = 80.0    # joint centre lateral of the body midline [U]
FINE_MM = 1.6
LINING_MM = 2.4
COARSE_MM = 3.0

# Distal tibial shaft and metaphysis: height, centre y, half-widths x and y.
_TIBIA_SHAFT = np.array([(14, 0, 18.5, 16.5), (24, -0.5, 18, 16), (36, -1, 15.5, 14.5),
                         (55, -2, 13, 12.5), (80, -2.5, 11.8, 11), (400, -3, 11.5, 10.5)])
_MEDIAL_MALLEOLUS = ((-20.5, 1.0, -3.0), (5.5, 9.5, 11.5))
_TALUS_BODY = [((0, -3, -26), (14, 17, 8)), ((13, -4, -27), (5, 6, 5))]
_TALUS_HEAD = [((-3, 22, -22), (10, 7, 7)), ((-6, 33, -25), (12, 10, 11))]
_CALCANEUS = [((2, -38, -49), (13, 12, 14)), ((3, -12, -45), (14, 18, 12)),
              ((7, 18, -43), (10, 12, 9)), ((-12, -2, -34), (7, 9, 4))]
_NAVICULAR = ((-8, 47, -27), (15, 5.5, 11))


@dataclass(frozen=True)
class AnkleFrame:
    """Reference points and the foot's rotation (world RAS mm, right ankle).

    Attributes
    ----------
    origin : (3,) float
        Top of the talar dome, where talar and tibial cartilage meet.
    dome_center : (3,) float
        On the dome (trochlear) axis, which runs along x.
    foot_rotation : (3, 3) float
        Plantarflexion of the foot about the dome axis.
    """

    params: AnkleParams
    origin: np.ndarray
    dome_center: np.ndarray
    foot_rotation: np.ndarray

    @property
    def sc(self) -> float:
        return self.params.scale

    def ref(self, ref_mm) -> np.ndarray:
        """Leg reference points ``(..., 3)`` to world."""
        return self.origin + self.sc * np.asarray(ref_mm, float)

    def foot(self, ref_mm) -> np.ndarray:
        """Foot reference points (neutral foot) to world, plantarflexed."""
        p = self.ref(ref_mm) - self.dome_center
        return self.dome_center + p @ self.foot_rotation.T

    def dome_point(self, angle_rad, x_mm, offset_mm=0.0) -> np.ndarray:
        """Point on the talar dome bone surface (plus ``offset_mm`` outward) at ``angle_rad``
        from the top (positive anterior) and lateral position ``x_mm`` (world offset)."""
        r = self.params.dome_radius_mm + offset_mm
        return self.dome_center + np.array([x_mm, r * np.sin(angle_rad), r * np.cos(angle_rad)])


def ankle_frame(p: AnkleParams) -> AnkleFrame:
    origin = np.array([ANKLE_X_MM, 0.0, 0.0])
    dome_center = origin - np.array([0.0, 0.0, p.talar_cartilage_mm + p.dome_radius_mm])
    rot = pr.rotation((1.0, 0.0, 0.0), -np.radians(p.plantarflexion_deg))
    return AnkleFrame(p, origin, dome_center, rot)


def _dome_edges(f: AnkleFrame, theta, grow: float):
    """Lateral and medial edges (x offsets) of the trochlea at dome angles ``theta``: the
    trochlea is wider in front (30 mm) than behind (25 mm) [U]."""
    sc = f.sc
    widen = 1.25 * sc * np.sin(theta)
    return 14.5 * sc + widen + grow, -(13.0 * sc + widen + grow)


def talus(f: AnkleFrame, grow: float = 0.0, edge: float = FINE_MM, head: bool = True):
    """Talus solid grown by ``grow`` mm (negative: marrow): the trochlea (a cylinder segment
    from 65 deg behind to 85 deg in front of the top, bevelled edges), body and lateral
    process, and (``head``) the neck and head, which form the waist under the anterior V."""
    sc = f.sc
    theta = np.radians(np.linspace(-65.0, 85.0, 46))
    pts = []
    for bevel, drop in ((2.5 * sc, 0.0), (1.0 * sc, 0.5 * sc), (0.0, 2.0 * sc)):
        lat, med = _dome_edges(f, theta, grow)
        for x in (lat - bevel, med + bevel):
            for th, xx in zip(theta, np.broadcast_to(x, theta.shape), strict=True):
                pts.append(f.dome_point(th, xx, grow - drop))
    pts = np.array(pts)
    pts = f.dome_center + (pts - f.dome_center) @ f.foot_rotation.T
    body = [kc.ellipsoid_points(c, np.asarray(r, float) + grow / sc) for c, r in _TALUS_BODY]
    body = f.foot(np.concatenate(body))
    # a plain hull keeps the trochlea exactly cylindrical (smoothing would bulge it ~2 mm)
    solid = pr.hull_points(np.concatenate([pts, body]), "talar body").refine_to_length(edge)
    if head:
        neck = [kc.ellipsoid_points(c, np.asarray(r, float) + grow / sc) for c, r in _TALUS_HEAD]
        solid = pr.union([solid, pr.smooth_hull(f.foot(np.concatenate(neck)), edge,
                                                "talar neck")])
    return solid


def tibia(f: AnkleFrame, top_ref: float) -> tuple[pr.Bone, callable]:
    """Distal tibia: shaft and metaphysis, the plafond block with its anterior and posterior
    lips on the joint arc, the medial malleolus; carved by the talus grown by the joint
    space. Also returns ``over_joint(grow_mm)``: where the tibia lies over the joint (the
    uncarved plafond block without the malleolus, plus the malleolus), grown."""
    p = f.params
    sc = f.sc
    r_t = p.dome_radius_mm + p.joint_space_mm
    space = talus(f, p.joint_space_mm, FINE_MM, head=False)

    def block(shrink, edge, malleolus=True):
        pts = []
        for th in np.radians([-58.0, -40.0, 30.0, 39.0]):
            for x in np.linspace(-12.0, 14.0, 6) * sc:
                q = f.dome_center + np.array([x, r_t * np.sin(th), r_t * np.cos(th)])
                pts.append(q + np.array([0.0, -np.sign(th) * shrink, shrink]))
        t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        for z, a, b in ((18.0, 18.5, 16.5), (6.0, 17.0, 16.5)):
            pts += list(f.ref(np.stack([(a - shrink / sc) * np.cos(t),
                                        (b - shrink / sc) * np.sin(t), np.full_like(t, z)], 1)))
        if malleolus:
            c, r = _MEDIAL_MALLEOLUS
            pts += list(f.ref(kc.ellipsoid_points(c, np.asarray(r, float) - shrink / sc)))
        return pr.smooth_hull(np.array(pts), edge, "tibial plafond")

    def shaft(table):
        return _loft(f, table, 10.0, top_ref)

    outer = pr.union([block(0.0, FINE_MM), shaft(_TIBIA_SHAFT)]) - space
    inner = _TIBIA_SHAFT.copy()
    t = np.interp(inner[:, 0], [14, 40, 80], [1.0, 2.0, 3.5])
    inner[:, 2:] -= t[:, None]
    # the subchondral plate: the marrow stops 1 mm short of the carved plafond
    plate = talus(f, p.joint_space_mm + 1.0, 2 * FINE_MM, head=False)
    marrow = (pr.union([block(1.0, 2 * FINE_MM), shaft(inner)]) - plate) ^ outer
    c, _ = _MEDIAL_MALLEOLUS
    points = {"medial_malleolus": pr.surface_point(outer, f.ref(c), (-0.3, 0.0, -1.0),
                                                   60.0),
              "anterior_tibial_lip": f.dome_center + np.array(
                  [0.0, r_t * np.sin(np.radians(39)), r_t * np.cos(np.radians(39))])}
    def over_joint(grow):
        c, r = _MEDIAL_MALLEOLUS
        mall = pr.ellipsoid(f.ref(c), np.asarray(r, float) * sc + grow, edge_mm=FINE_MM)
        return pr.union([block(-grow, FINE_MM, malleolus=False), mall])

    return pr.Bone(outer, marrow, points), over_joint


def _loft(f: AnkleFrame, table, z_lo, z_hi, step=4.0) -> mf.Manifold:
    table = np.asarray(table, float)
    spline = PchipInterpolator(table[:, 0], table[:, 1:], axis=0)
    zs = np.append(np.arange(z_lo, z_hi, step), z_hi)
    t = np.linspace(0.0, 2 * np.pi, 36, endpoint=False)
    rings = []
    for z in zs:
        cy, a, b = spline(z)
        rings.append(f.ref(np.stack([a * np.cos(t), cy + b * np.sin(t), np.full_like(t, z)], 1)))
    return pr.loft(np.array(rings), what="tibial shaft")


def fibula(f: AnkleFrame, top_ref: float) -> pr.Bone:
    """Distal fibula: shaft in the fibular notch and the lateral malleolus, its inner facet
    carved by the talus grown by the joint space."""
    p = f.params
    sc = f.sc
    space = talus(f, p.joint_space_mm, FINE_MM, head=False)

    def build(shrink, edge):
        carve = space if shrink == 0.0 else talus(f, p.joint_space_mm + shrink, edge,
                                                  head=False)
        mall = pr.smooth_hull(f.ref(np.concatenate([
            kc.ellipsoid_points((21.5, -6, -8), np.array([6.5, 10.5, 15.0]) - shrink / sc),
            kc.ellipsoid_points((21.5, -5, 22), np.array([7.5, 8.0, 3.0]) - shrink / sc)])),
            edge, "lateral malleolus")
        shaft = pr.tube(f.ref(np.array([(21.5, -5, 20), (22, -5, 60), (23, -4, top_ref)])),
                        np.array([7.5, 7.0, 7.0]) * sc - shrink, step_mm=4.0, ring_points=16,
                        what="fibular shaft")
        return pr.union([mall, shaft]) - carve

    outer = build(0.0, FINE_MM)
    marrow = build(1.6, 2 * FINE_MM) ^ outer
    points = {"lateral_malleolus": pr.surface_point(outer, f.ref((21.5, -6, -8)),
                                                    (0.3, 0.0, -1.0), 60.0)}
    return pr.Bone(outer, marrow, points)


def tarsals(f: AnkleFrame) -> dict[str, pr.Bone]:
    """Talus, calcaneus and navicular (outer and marrow)."""
    sc = f.sc
    out = {"talus": pr.Bone(talus(f), talus(f, -1.0, 2 * FINE_MM) ^ talus(f), {})}

    def hull(blobs, grow, edge, what):
        pts = [kc.ellipsoid_points(c, np.asarray(r, float) + grow / sc) for c, r in blobs]
        return pr.smooth_hull(f.foot(np.concatenate(pts)), edge, what)

    calc = hull(_CALCANEUS, 0.0, COARSE_MM, "calcaneus")
    out["calcaneus"] = pr.Bone(calc, hull(_CALCANEUS, -1.2, COARSE_MM, "calcaneus") ^ calc, {})
    head_space = talus(f, 1.5, FINE_MM)
    c, r = _NAVICULAR
    nav = pr.ellipsoid(f.foot(c), np.asarray(r, float) * sc, edge_mm=FINE_MM)
    nav = nav.transform(pr.affine(f.foot_rotation, f.foot(c) - f.foot_rotation @ f.foot(c)))
    nav = nav - head_space
    marrow = pr.ellipsoid(f.foot(c), np.asarray(r, float) * sc - 1.0, edge_mm=2 * FINE_MM)
    marrow = marrow - talus(f, 2.5, 2 * FINE_MM)
    out["navicular"] = pr.Bone(nav, marrow ^ nav, {})
    return out
