"""The real bones and soft tissue of one knee patient, placed in the model frame.

The Visible Human body of the patient's sex gives the femur, patella, tibia and fibula
(``real_bone``) and the registered Denver cartilage, cruciate and collateral ligaments, thigh
and calf muscles and the HRA menisci (``real_soft(.., "knee")``, ``knee_import``) of the
patient's side; a left knee is mirrored into the right-side frame the generator builds in
(the assembly mirrors the finished model back). The knee keeps the cadaver's pose (the
Visible Human lay supine, knee nearly straight: 2-13 deg of flexion by body). Placement, all
rigid or uniform, from the landmarks measured on the bones (``knee_landmarks``):

- the leg (tibia, fibula, tibial cartilage, menisci, popliteus) turns about the vertical so
  the posterior condylar axis is coronal, is scaled by the patient's body size about the
  joint-line centre, which goes to ``(KNEE_X_MM, 0, 0)``;
- the thigh (femur, femoral cartilage, ligaments, thigh muscles) follows it, then turns about
  the antero-posterior axis (at most ``MAX_TILT_DEG``) and moves along the vertical so that
  the narrower compartment has the joint space of the osteoarthritis grade (bone to bone:
  the real cartilage is grade 0) and the other is evened toward it;
- the patella moves with the thigh and then slides along its own antero-posterior axis until
  its cartilage is ``pf_gap_mm`` from the femur's articular surface where they come closest
  (the fluid film; an effusion widens it);
- the femur's intercondylar notch, closed by the atlas repair, is first cut open again round
  the registered cruciate ligaments, and the landmarks are measured on that femur.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.assembly import mesh_arrays
from simulator.anatomy.generators.hip_real import Placement, placed_bone
from simulator.anatomy.generators.knee_params import KneeParams
from simulator.anatomy.real.bones import RealBone, real_bone, real_soft
from simulator.anatomy.real.knee_landmarks import KneeLandmarks, knee_landmarks

KNEE_X_MM = 85.0     # joint centre lateral of the body midline [U]
TIBIA_SEGMENT = ("tibial_cartilage_lateral", "tibial_cartilage_medial", "menisci", "popliteus")
PATELLA_SEGMENT = ("patellar_cartilage",)
SEAT_START_MM = 25.0  # the patella is first moved this far forward, clear of the trochlea
SETTLE_STEPS = 12     # joint-space corrections of the thigh's placement
SETTLE_DAMPING = 0.7
MAX_TILT_DEG = 4.0
NOTCH_CORTEX_MM = 1.5  # cortex left round the carved intercondylar notch


@dataclass(frozen=True)
class RealKnee:
    """One knee of one body in the right-side source frame, with its measurements."""

    femur: RealBone
    patella: RealBone
    tibia: RealBone
    fibula: RealBone
    soft: dict  # name: (vertices (n, 3), faces (m, 3)), registered to the bones
    marks: KneeLandmarks


@cache
def real_knee(sex: str, side: str) -> RealKnee:
    """The measured real knee of the body of ``sex``, ``side`` (right-side frame)."""
    bones = [real_bone(sex, side, b) for b in ("femur", "patella", "tibia", "fibula")]
    soft = real_soft(sex, side, "knee")
    if side == "left":
        bones = [b.mirrored() for b in bones]
        flip = np.array([-1.0, 1.0, 1.0])
        soft = {n: (v * flip, f[:, ::-1].copy()) for n, (v, f) in soft.items()}
    femur, patella, tibia, fibula = bones
    femur = _carved_notch(femur, [soft["acl"], soft["pcl"]])
    marks = knee_landmarks(*((b.outer_vertices, b.outer_faces) for b in (femur, patella,
                                                                          tibia)))
    return RealKnee(femur, patella, tibia, fibula, soft, marks)


@dataclass(frozen=True)
class KneePlacement:
    """Affine maps ``(3, 4)`` from the source frame to the model frame per segment."""

    thigh: np.ndarray
    leg: np.ndarray
    patella: np.ndarray

    def of(self, name: str) -> np.ndarray:
        """The map of the soft-tissue structure ``name``."""
        if name in TIBIA_SEGMENT:
            return self.leg
        return self.patella if name in PATELLA_SEGMENT else self.thigh


def _affine(rotation: np.ndarray, scale: float, pivot, target) -> np.ndarray:
    """``x -> scale * rotation @ (x - pivot) + target`` as a ``(3, 4)`` matrix."""
    out = np.zeros((3, 4))
    out[:, :3] = scale * rotation
    out[:, 3] = np.asarray(target, float) - scale * rotation @ np.asarray(pivot, float)
    return out


def _then(second: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The map ``second`` after ``first`` (both ``(3, 4)``)."""
    out = np.zeros((3, 4))
    out[:, :3] = second[:, :3] @ first[:, :3]
    out[:, 3] = second[:, :3] @ first[:, 3] + second[:, 3]
    return out


def placement(knee: RealKnee, p: KneeParams) -> KneePlacement:
    """The maps that put ``knee`` into the model frame (see the module notes)."""
    m = knee.marks
    axis = m.lateral_condyle_posterior - m.medial_condyle_posterior
    yaw = pr.rotation((0.0, 0.0, 1.0), -np.arctan2(axis[1], axis[0]))
    origin = np.array([KNEE_X_MM, 0.0, 0.0])
    leg = _affine(yaw, p.size, m.joint_line_centre, origin)
    # thigh: the narrower compartment gets the grade's joint space, bone to bone, the other
    # evened toward it by a coronal turn of at most MAX_TILT_DEG (the atlas knees' medial
    # compartment gapes 8-13 mm: the segmentations' poses differ); the turn moves the
    # contact along the curved condyles and the measure jumps as the lowest points move,
    # so it is measured again after each damped step and the best placement is kept
    thigh, best, turned = leg, (np.inf, leg), 0.0
    tibia = (Placement.apply(leg, knee.tibia.outer_vertices), knee.tibia.outer_faces)
    limit = np.radians(MAX_TILT_DEG)
    for _ in range(SETTLE_STEPS):
        now = knee_landmarks(
            (Placement.apply(thigh, knee.femur.outer_vertices), knee.femur.outer_faces),
            (Placement.apply(thigh, knee.patella.outer_vertices), knee.patella.outer_faces),
            tibia)
        lat, med = now.lateral_condyle_distal, now.medial_condyle_distal
        drop_lat = now.lateral_joint_space_mm - p.joint_space_mm
        drop_med = now.medial_joint_space_mm - p.joint_space_mm
        best = min(best, (abs(min(drop_lat, drop_med)), thigh), key=lambda b: b[0])
        half = 0.5 * (lat[0] - med[0])
        tilt = SETTLE_DAMPING * float(np.clip((drop_lat - drop_med) / (2.0 * half),
                                              -limit - turned, limit - turned))
        turned += tilt
        drop = SETTLE_DAMPING * min(drop_lat - tilt * half, drop_med + tilt * half)
        mid = 0.5 * (lat + med)
        turn = pr.rotation((0.0, 1.0, 0.0), tilt)  # +y turn lowers the lateral (+x) side
        settle = _affine(turn, 1.0, mid, mid - np.array([0.0, 0.0, drop]))
        thigh = _then(settle, thigh)
    thigh = best[1]
    return KneePlacement(thigh, leg, _seated_patella(knee, thigh, p.pf_gap_mm))


def _seated_patella(knee: RealKnee, thigh: np.ndarray, gap_mm: float) -> np.ndarray:
    """The patella's map: the thigh's, then along the patella's antero-posterior axis until
    its cartilage is ``gap_mm`` from the femur's articular surface (its cartilage, or bone
    where the registered cartilage leaves the trochlea bare) where they come closest (rays
    back along that axis from the cartilage's posterior surface)."""
    m = knee.marks
    up = pr.unit(Placement.apply(thigh, m.superior_patellar_pole)
                 - Placement.apply(thigh, m.inferior_patellar_pole))
    anterior = pr.unit(np.cross(up, (1.0, 0.0, 0.0)))
    forward = _then(_affine(np.eye(3), 1.0, (0, 0, 0), SEAT_START_MM * anterior), thigh)
    cart_v, cart_f = knee.soft["patellar_cartilage"]
    femoral = pr.union([
        pr.to_manifold(Placement.apply(thigh, knee.soft["femoral_cartilage"][0]),
                       knee.soft["femoral_cartilage"][1], "femoral cartilage"),
        pr.to_manifold(Placement.apply(thigh, knee.femur.outer_vertices),
                       knee.femur.outer_faces, "femur")])
    cart = pr.to_manifold(Placement.apply(forward, cart_v), cart_f, "patellar cartilage")
    gaps = []
    for v in np.asarray(cart.to_mesh().vert_properties)[:, :3][::2]:
        hit = kc.first_hit(femoral, v - 0.05 * anterior, -anterior, 40.0)
        if hit is not None:
            gaps.append(float((v - hit) @ anterior))
    shift = min(gaps) - gap_mm
    return _then(_affine(np.eye(3), 1.0, (0, 0, 0), -shift * anterior), forward)


@dataclass(frozen=True)
class PlacedKnee:
    """The placed solids (model frame) and the maps that placed them."""

    place: KneePlacement
    bones: dict     # name: (outer, marrow) manifolds: femur, patella, tibia, fibula
    soft: dict      # name: manifold, the real soft tissue

    def bone_points(self, knee: RealKnee) -> np.ndarray:
        """All placed bone surface vertices ``(n, 3)``."""
        maps = {"femur": self.place.thigh, "patella": self.place.patella,
                "tibia": self.place.leg, "fibula": self.place.leg}
        return np.concatenate([Placement.apply(maps[n], getattr(knee, n).outer_vertices)
                               for n in maps])


def placed_knee(knee: RealKnee, place: KneePlacement, z_lo_mm: float,
                z_hi_mm: float) -> PlacedKnee:
    """Bones and soft tissue in the model frame, cut to ``z_lo_mm`` .. ``z_hi_mm``."""
    slab = pr.box((-1e3, -1e3, z_lo_mm), (1e3, 1e3, z_hi_mm))
    maps = {"femur": place.thigh, "patella": place.patella, "tibia": place.leg,
            "fibula": place.leg}
    bones = {}
    for name, matrix in maps.items():
        outer, marrow = placed_bone(getattr(knee, name), matrix, name)
        bones[name] = (outer ^ slab, marrow ^ slab)
    soft: dict[str, mf.Manifold] = {}
    for name, (v, f) in knee.soft.items():
        soft[name] = pr.to_manifold(Placement.apply(place.of(name), v), f, name) ^ slab
    return PlacedKnee(place, bones, soft)


def _carved_notch(femur: RealBone, cruciates) -> RealBone:
    """The femur with its intercondylar notch open again. ``extract.repair`` (pymeshfix)
    closed the atlas femur's holes over the notch, leaving 60-90 % of the registered ACL and
    half the PCL inside bone; the convex hull of the two cruciates (``(vertices, faces)``)
    is cut out of the femur, and the hull grown by ``NOTCH_CORTEX_MM`` out of its core."""
    points = np.concatenate([v for v, _ in cruciates])
    grow = NOTCH_CORTEX_MM * pr.unit_rows(np.array(
        [(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)
         if (i, j, k) != (0, 0, 0)], float))
    notch = pr.hull_points(points, "intercondylar notch")
    wider = pr.hull_points((points[:, None, :] + grow[None]).reshape(-1, 3), "notch wall")
    outer = pr.to_manifold(femur.outer_vertices, femur.outer_faces, "femur") - notch
    core = (pr.to_manifold(femur.core_vertices, femur.core_faces, "femur core") - wider) ^ outer
    return RealBone(*mesh_arrays(outer), *mesh_arrays(core))
