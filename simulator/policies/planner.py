"""The expert planner: a straight needle path from an allowed skin entry to the target.

Candidate directions fan out around the entry zone's outward direction; each is traced back
to the skin, must fit the needle, stay in the entry zone and cross no bone, cartilage or
danger structure before the target. The best few are then ranked on their exact clearance
from every danger structure (from the meshes) and on how well their insertion angle suits
the guidance (shallow enough to see in plane under ultrasound, parallel to the beam under
fluoroscopy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simulator.anatomy.manifest import Role
from simulator.danger_map import DistanceField, danger_distance_field
from simulator.geometry import cross, perpendicular_basis, rotate, unit, wrap_angle
from simulator.world import World

BLOCKING_ROLES = (Role.bone, Role.cartilage, Role.artery, Role.vein, Role.nerve)
SAMPLE_MM = 1.5
SPARE_LENGTH_MM = 12.0


@dataclass(frozen=True)
class Plan:
    """A planned straight path. Vectors are world RAS mm; ``direction`` points into the body."""

    entry_mm: np.ndarray
    entry_normal: np.ndarray
    direction: np.ndarray
    target_mm: np.ndarray
    length_mm: float
    clearance_mm: float
    angle_to_skin_deg: float

    def offset_from_line(self, point) -> np.ndarray:
        """Vector from the planned line to ``point``, perpendicular to the line."""
        rel = np.asarray(point, float) - self.entry_mm
        return rel - (rel @ self.direction) * self.direction


def plan_path(world: World, *, angle_to_skin_deg: tuple[float, float] = (25.0, 50.0),
              along=None, max_off_axis_deg: float = 70.0, margin_mm: float = 5.0,
              target=None, top_k: int = 12) -> Plan | None:
    """Best straight path to ``target`` (default: the scenario's target landmark).

    Parameters
    ----------
    angle_to_skin_deg : (lo, hi)
        Preferred angle between needle and skin; paths outside the band lose points.
    along : (3,) float, optional
        If given, only directions within ``max_off_axis_deg`` of it (into the body) are
        considered, nearest first (used for fluoroscopy: parallel to the beam).
    margin_mm : float
        Clearance from danger structures to keep; paths below half of it are refused, and
        beyond it clearance matters little next to the approach the entry zone asks for.
    """
    target = world.target_point if target is None else np.asarray(target, float)
    outward = unit(world.entry_centre - target)
    axis = -outward if along is None else unit(along)
    candidates = []
    limit = math.radians(max_off_axis_deg)
    a, b = perpendicular_basis(axis)
    for tilt in np.radians(np.arange(0.0, max_off_axis_deg + 0.1, 4.0)):
        if tilt > limit:
            break
        steps = 1 if tilt == 0 else max(8, int(round(2 * math.pi * math.sin(tilt) / 0.07)))
        for phi in np.linspace(0.0, 2 * math.pi, steps, endpoint=False):
            tilt_axis = math.cos(phi) * a + math.sin(phi) * b
            candidates.append(rotate(axis, tilt_axis, tilt))
    feasible = [p for d in candidates if (p := _trace(world, target, unit(d))) is not None]
    if not feasible:
        return None
    lo, hi = angle_to_skin_deg

    def preference(p: Plan) -> float:
        off_band = max(0.0, lo - p.angle_to_skin_deg, p.angle_to_skin_deg - hi)
        off_axis = math.degrees(math.acos(np.clip(p.direction @ axis, -1.0, 1.0)))
        # the entry zone states the educator's approach: stay near its axis
        return off_band * 0.3 + p.length_mm * 0.02 + off_axis * (0.5 if along is not None
                                                                 else 0.15)

    # screen every candidate on a voxel distance map, then measure the best few exactly
    field = danger_distance_field(world)
    approx = {id(p): _approx_clearance(field, p) for p in feasible}

    def screened(p: Plan) -> float:
        return 3.0 * min(approx[id(p)], margin_mm) - preference(p)

    feasible.sort(key=screened, reverse=True)
    best, best_score = None, -math.inf
    for p in feasible[:top_k]:
        clearance, _ = closest_danger(world, p)
        # safety is a margin to keep, not a quantity to maximise beyond it
        score = 3.0 * min(clearance, margin_mm) + 0.3 * min(clearance, 3 * margin_mm) - (
            preference(p))
        if clearance < margin_mm / 2:
            score -= 100.0
        if score > best_score:
            best_score = score
            best = replace(p, clearance_mm=clearance)
    return best


def _approx_clearance(field: DistanceField, p: Plan) -> float:
    ts = np.arange(0.0, p.length_mm, 2.0)
    return float(field.sample(p.entry_mm + np.outer(ts, p.direction)).min()) - 0.7


def _trace(world: World, target, d) -> Plan | None:
    hit = world.skin_along(target - d * 400.0, d, 420.0)
    if hit is None:
        return None
    entry = hit.point
    length = float(np.linalg.norm(target - entry))
    if length > world.scenario.needle.length_mm - SPARE_LENGTH_MM or length < 5.0:
        return None
    if not world.in_entry_zone(entry):
        return None
    n = max(int(length / SAMPLE_MM), 2)
    ts = np.linspace(0.5, length - 2.5, n)
    labels = world.anatomy.labels_at(entry + np.outer(ts, d))
    for label in np.unique(labels):
        role = world.role(int(label)) if label else None
        if role in BLOCKING_ROLES or (label and int(label) in world.danger):
            return None
    angle = 90.0 - math.degrees(math.acos(np.clip(-d @ hit.normal, -1.0, 1.0)))
    return Plan(entry, hit.normal, d, np.asarray(target, float), length, math.inf, angle)


def closest_danger(world: World, p: Plan, step_mm: float = SAMPLE_MM * 2) -> tuple[float, str]:
    """Exact distance from the path (sampled every ``step_mm``) to the nearest danger
    structure, and that structure's name (``inf, 'none'`` without dangers)."""
    ts = np.arange(0.0, p.length_mm, step_mm)
    points = p.entry_mm + np.outer(ts, p.direction)
    best, best_name = math.inf, "none"
    for name, _ in world.danger.values():
        d = float(world.anatomy.distance_to(name, points).min())
        if d < best:
            best, best_name = d, name
    return best, best_name


def in_plane_probe(world: World, plan: Plan, over_share: float = 1.0):
    """Probe pose whose image plane contains the planned needle line, over the point
    ``over_share`` of the way from entry to target (default: the target, mid-image).

    Returns ``(contact_point, outward_normal, rotation_rad, tilt_rad)`` for
    ``Action.place_probe``, with the needle entering from the image's left (-x) side.
    """
    from simulator.probe import probe_axes
    from simulator.state import Probe

    u = plan.direction
    n_e = plan.entry_normal
    m0 = unit(cross(u, n_e))
    up = unit(n_e - (n_e @ m0) * m0)
    below = plan.entry_mm + u * (plan.length_mm * over_share)
    hit = world.skin_along(below + up * 250.0, -up, 300.0)
    contact, normal = hit.point, hit.normal
    m = unit(cross(u, contact - plan.target_mm))  # normal of the plane: needle line + contact
    long_axis = unit(cross(normal, m))
    if long_axis @ u < 0:
        long_axis = -long_axis
    beam = unit(cross(m, long_axis))
    if beam @ normal > 0:
        beam = -beam
    # rotation: long axis in the (superior, medial) skin basis of the probe model
    probe = Probe(tuple(contact), tuple(normal), 0.0)
    sup, _, _ = probe_axes(world, probe)
    medial = -world.side_sign * cross(normal, sup)
    rotation = math.atan2(long_axis @ medial, long_axis @ sup)
    tilt = math.atan2(cross(-normal, beam) @ long_axis, -normal @ beam)
    return contact, normal, rotation, tilt


@dataclass(frozen=True)
class InPlaneView:
    """A probe pose for an in-plane approach and the image depth that shows its target.

    ``contact_mm``, ``normal``, ``rotation_rad`` and ``tilt_rad`` go to
    ``Action.place_probe``; ``rock_rad`` is then reached by rocking heel-to-toe;
    ``target_depth_mm`` is the target's depth along its scan line in the rocked image."""

    contact_mm: np.ndarray
    normal: np.ndarray
    rotation_rad: float
    tilt_rad: float
    rock_rad: float
    target_depth_mm: float

    @property
    def image_depth_mm(self) -> float:
        """The depth setting: the target with room beneath it."""
        return self.target_depth_mm + DEPTH_BELOW_TARGET_MM


# A shaft meeting its scan line within this of square shows to its tip; steeper, its mirror
# echo fades (tip_visibility's calibration table: under the hip's curved 3.5 MHz array the
# shaft is seen at 30 deg down to 50 mm and lost at 40 deg; under the knee's linear array it
# is seen at 30 deg at every depth and lost at 40 deg near the surface).
SQUARE_ENOUGH_RAD = {"curvilinear": math.radians(25.0), "linear": math.radians(35.0)}
ROCK_STEP_RAD = math.radians(2.5)
CENTRED_SHARE = 0.25  # of the half-width: the target well inside the middle third
PROBE_CLEARANCE_MM = 2.0  # the needle enters this far beyond the end of the probe face
DEPTH_BELOW_TARGET_MM = 30.0  # image depth kept beneath the target


def in_plane_view(world: World, plan: Plan) -> InPlaneView | None:
    """The in-plane view a skilled sonographer sets up for ``plan``: the needle enters just
    beyond the end of the probe face, into the image from its first millimetres, and the
    probe is rocked heel-to-toe toward it so the beam meets the shaft as squarely as the
    rocking allows (on a curved array the scan lines fan out toward the entry side, where
    the path is best kept), with the target inside the image: in its middle third when the
    scenario has a standard view that asks for the target centred.

    Candidates slide the probe along the needle's line and past the target
    (``in_plane_probe``) and rock it within ``probe.MAX_ROCK_RAD``. A pose that shows the
    standard view (``shows_standard_view``) beats any that does not; then the one that shows
    the most of the path, entry to target, with the beam within ``SQUARE_ENOUGH_RAD`` (per
    array) of square to the shaft; then the least rock; then the squarest. ``None`` when no
    pose shows the target.
    """
    from simulator.geometry import apply, invert
    from simulator.probe import MAX_ROCK_RAD, MAX_TILT_RAD, world_from_probe
    from simulator.state import Probe
    from simulator.transducer import PRESETS, image_coords

    preset = PRESETS[world.scenario.probe.preset]
    curved = preset.kind == "curvilinear"
    half = (preset.sector_rad if curved else preset.aperture_mm) / 2
    face_half_mm = preset.radius_mm * math.sin(half) if curved else half
    max_depth_mm = preset.depth_range_mm[1] - 10.0
    # a standard view that keeps the target in the image's middle third (guidance) limits
    # the slide; without one, the needle's visibility alone places the probe
    view = world.scenario.standard_view
    middle = half * (CENTRED_SHARE if view is not None and view.target_centred else 0.9)
    path = plan.entry_mm + np.outer(np.arange(0.0, plan.length_mm + 0.5, 1.0), plan.direction)
    rocks = np.arange(-MAX_ROCK_RAD, MAX_ROCK_RAD + 1e-9, ROCK_STEP_RAD)
    best, best_key = None, None
    for share in np.linspace(0.0, 2.0, 41):  # beyond 1: the target on the entry side
        contact, normal, rotation, tilt = in_plane_probe(world, plan, float(share))
        if abs(tilt) > MAX_TILT_RAD:
            continue
        flat = Probe(tuple(contact), tuple(normal), rotation, tilt)
        entry_probe = apply(invert(world_from_probe(world, flat)), plan.entry_mm[None])[0]
        if entry_probe[0] > -(face_half_mm + PROBE_CLEARANCE_MM):
            continue  # the needle would go in under the probe face
        for rock in rocks:
            probe_from_world = invert(world_from_probe(world, replace(flat, rock_rad=float(rock))))
            points = apply(probe_from_world, path)
            lateral, depth = image_coords(preset, points)
            inside = (np.abs(lateral) <= 0.9 * half) & (depth >= 0.0) & (depth <= max_depth_mm)
            if not inside[-1] or abs(lateral[-1]) > middle:
                continue
            if curved:
                beams = points * [1.0, 0.0, 1.0] + [0.0, 0.0, preset.radius_mm]
                beams /= np.linalg.norm(beams, axis=1, keepdims=True)
            else:
                beams = np.array([[0.0, 0.0, 1.0]])
            shaft = probe_from_world[:3, :3] @ plan.direction
            off_square = np.arcsin(np.clip(np.abs(beams @ shaft), 0.0, 1.0))
            seen = inside & (off_square <= SQUARE_ENOUGH_RAD[preset.kind])
            # then the least rock (a heel lifted off the skin images nothing), the squarest
            key = (round(float(seen.mean()), 2), -abs(float(rock)),
                   -float(np.mean(off_square * inside)))
            if best_key is not None and (True, *key) <= best_key:
                continue
            candidate = InPlaneView(contact, normal, rotation, tilt, float(rock),
                                    float(depth[-1]))
            key = (shows_standard_view(world, candidate), *key)
            if best_key is None or key > best_key:
                best, best_key = candidate, key
    return best


def shows_standard_view(world: World, view: InPlaneView) -> bool:
    """Whether ``view`` shows each landmark of the scenario's standard view across its share
    of the image width (``guidance.width_shares``; True when the scenario names none)."""
    from simulator.app.guidance import width_shares
    from simulator.state import Probe

    spec = world.scenario.standard_view
    if spec is None or not spec.landmarks:
        return True
    from simulator.transducer import PRESETS

    probe = Probe(tuple(view.contact_mm), tuple(view.normal), view.rotation_rad,
                  view.tilt_rad, depth_mm=view.image_depth_mm, focus_mm=view.target_depth_mm,
                  frequency_mhz=PRESETS[world.scenario.probe.preset].centre_mhz,
                  rock_rad=view.rock_rad)
    shares = width_shares(world, probe, [m.structure for m in spec.landmarks])
    return all(share > 0.0 and share >= m.min_width_share
               for share, m in zip(shares, spec.landmarks, strict=True))


def carm_angles_for(world: World, direction) -> tuple[float, float]:
    """C-arm (orbital, cranial) angles, rad, that put the beam along a needle ``direction``."""
    from simulator.carm import orbital_sign, table_turn_rad

    beam = -unit(direction)  # the beam runs from the source, under the table, to the needle
    cranial = math.asin(float(np.clip(beam[2], -1.0, 1.0)))
    phi = wrap_angle(math.atan2(-beam[0], beam[1]) - table_turn_rad(world))
    return phi / orbital_sign(world), cranial
