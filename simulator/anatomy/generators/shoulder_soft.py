"""Body outline, muscles, nerves and vessels of a right shoulder.

The muscle envelope (deep fascia) is a stack of horizontal superellipse sections (see
``body.Outline``) from the upper arm to the base of the neck. Its posterior surface is placed
so that the posterior deltoid and infraspinatus have their drawn thicknesses over the
posterior joint line (the posterior approach crosses skin, fat, deltoid and infraspinatus to
the capsule, clinical.md s.3.3); its lateral surface lies the lateral deltoid's thickness
outside the bursa. Cuff muscles are swept tubes from their fossae to their tendons; the
deltoid is a C-shaped fan round the shoulder from the acromion, spine and clavicle down to
its tuberosity that takes whatever higher-priority structures leave inside the envelope.
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.body import Outline
from simulator.anatomy.generators.shoulder_frame import ShoulderFrame
from simulator.anatomy.generators.shoulder_joint import Joint

LATERAL_DELTOID_MM = 9.0     # lateral deltoid over the bursa along the probe's view [U]; with
                             # skin and fat the bursa lies 0.8-2 cm deep (clinical.md s.3.4)


def _solve_exponent(ratio_x: float, ratio_y: float) -> float:
    """Superellipse exponent ``n`` with ``ratio_x**n + ratio_y**n = 1`` (bisection)."""
    lo, hi = 1.05, 6.0
    for _ in range(60):
        n = 0.5 * (lo + hi)
        if ratio_x**n + ratio_y**n > 1.0:
            lo = n
        else:
            hi = n
    return 0.5 * (lo + hi)


def _exit_distance(outline: Outline, start, direction, reach_mm: float = 80.0,
                  step_mm: float = 0.1) -> float:
    """Distance (mm) from ``start`` ``(3,)`` inside the envelope along the unit ``direction``
    to where the ray leaves it (``reach_mm`` if it does not)."""
    t = np.arange(0.0, reach_mm, step_mm)
    pts = np.asarray(start, float) + t[:, None] * np.asarray(direction, float)
    cx, cy, lat, med, ant, post, n_ant, n_post = outline.params(pts[:, 2]).T
    dx, dy = pts[:, 0] - cx, pts[:, 1] - cy
    n = np.where(dy >= 0, n_ant, n_post)
    inside = (np.abs(dx / np.where(dx >= 0, lat, med)) ** n
              + np.abs(dy / np.where(dy >= 0, ant, post)) ** n) <= 1.0
    out = np.nonzero(~inside)[0]
    return float(t[out[0]]) if len(out) else reach_mm


def shoulder_outline(f: ShoulderFrame, target, bursa_target, bursa_view) -> Outline:
    """Muscle envelope sections; the posterior surface passes the drawn deltoid and
    infraspinatus thickness behind the posterior capsule at ``target``, the lateral surface
    ``LATERAL_DELTOID_MM`` beyond the bursa at ``bursa_target`` along the probe's
    ``bursa_view`` (unit vector)."""
    want = 0.5 * f.params.bursa_mm + LATERAL_DELTOID_MM
    lo, hi = f.R_h, f.R_h + 60.0   # lateral edge (mm beyond the head centre, x scale)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if _exit_distance(_outline(f, target, mid), bursa_target, bursa_view) > want:
            hi = mid
        else:
            lo = mid
    return _outline(f, target, 0.5 * (lo + hi))


def _outline(f: ShoulderFrame, target, lateral_edge: float) -> Outline:
    p = f.params
    sc = f.sc
    hw = f.H[0]
    z0 = f.H[2]
    capsule_back = -(f.R_c + p.recess_mm + p.capsule_mm)
    back_at_target = capsule_back - p.infraspinatus_mm - p.deltoid_mm
    # z (above H), lateral x (from hw), anterior y at the shoulder, back y at mid-scapula
    rows = [(-160, 28, 44, -82), (-110, 31, 46, -84), (-70, 36, 48, -86),
            (-35, lateral_edge - 1, 50, -87), (0, lateral_edge, 50, -87),
            (22, lateral_edge, 48, -85), (38, 31, 44, -80),
            (48, 19, 38, -74),
            (58, 2, 30, -66), (75, -25, 20, -55)]
    cx = hw - 120.0 * sc
    sections = []
    for dz, lat, ant_y, back_y in rows:
        z = z0 + dz * (sc if dz < 0 else 1.0)
        lat_half = hw + lat * sc - cx
        post_half = -back_y * sc
        ant_half = (70.0 + 0.3 * dz if dz > 0 else 70.0) * sc
        x_t = target[0] - cx
        n_post = 1.8
        if -45.0 <= dz <= 30.0:
            want = -back_at_target
            n_post = _solve_exponent(x_t / lat_half, min(want / post_half, 0.98))
        n_ant = _solve_exponent((hw - cx) / lat_half, min(ant_y * sc / ant_half, 0.98))
        sections.append((z, cx, 0.0, lat_half, 150.0, ant_half, post_half, n_ant, n_post))
    return Outline(np.array(sections))


def _c_section(center, theta_lo, theta_hi, r_in, r_out, z, count) -> np.ndarray:
    theta = np.linspace(theta_lo, theta_hi, count)
    outer = np.stack([center[0] + r_out * np.cos(theta), center[1] + r_out * np.sin(theta)], 1)
    inner = np.stack([center[0] + r_in * np.cos(theta[::-1]),
                      center[1] + r_in * np.sin(theta[::-1])], 1)
    ring = np.concatenate([outer, inner])
    return np.column_stack([ring, np.full(len(ring), z)])


def deltoid(f: ShoulderFrame, acromion_lateral, spine_crest) -> mf.Manifold:
    """C-shaped fan round the shoulder, trimmed under the plane that holds the acromion's
    lateral edge (running front to back) and the crest of the scapular spine."""
    sc = f.sc
    z0 = f.H[2]
    # dz above H, angular range (deg, 0 = lateral, 90 = anterior), inner radius
    table = [(46, -160, 122, 14), (30, -158, 120, 13), (14, -154, 117, 12), (0, -148, 113, 11),
             (-20, -136, 106, 10), (-40, -118, 96, 9), (-60, -96, 82, 9), (-80, -70, 64, 8),
             (-96, -45, 42, 8), (-110, -22, 20, 7)]
    rings = []
    for dz, lo, hi, r_in in table:
        z = z0 + dz * (sc if dz < 0 else 1.0)
        down = (f.shaft_top[2] - z) / -f.shaft[2]
        center = f.H if dz >= 0 else f.hum(max(down, 0.0) / sc, 0.0, 0.0)
        rings.append(_c_section(center, np.radians(lo), np.radians(hi), r_in * sc, 170.0, z, 40))
    fan = pr.loft(np.array(rings[::-1]), what="deltoid")
    a = np.asarray(acromion_lateral, float) + np.array([0.0, 0.0, 3.0])
    b = a + np.array([0.0, 1.0, 0.0])
    c = np.asarray(spine_crest, float)
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal)
    if normal @ (f.H - a) < 0:
        normal = -normal
    fan = fan.trim_by_plane(normal.tolist(), float(normal @ a))
    # medial borders (clavicular in front, spinal behind) converge on the deltoid tuberosity
    top = np.array([f.H[0] - 62.0 * sc, 0.0, z0 + 30.0])
    insertion = f.hum(100.0, 12.0, 0.0)
    side = np.cross(insertion - top, np.array([0.0, 1.0, 0.0]))
    side /= np.linalg.norm(side)
    if side @ (f.H - top) < 0:
        side = -side
    return fan.trim_by_plane(side.tolist(), float(side @ top))


def cuff_muscles(f: ShoulderFrame, joint: Joint) -> dict[str, mf.Manifold]:
    """Supraspinatus, infraspinatus, subscapularis and teres minor bellies."""
    sc = f.sc
    p = f.params
    e3 = f.e3
    up = np.array([0.0, 0.0, 1.0])

    def over_head(alpha_deg, phi_deg, extra):
        a, ph = np.radians(alpha_deg), np.radians(phi_deg)
        base = joint.cavity_radius(a, ph, extend_deg=60.0) + p.capsule_mm
        return f.point(a, ph, base + extra)

    def radial(alpha_deg, phi_deg):
        return f.direction(np.radians(alpha_deg), np.radians(phi_deg))

    supra = pr.tube(np.array([f.scap(-92, 24, 9), f.scap(-62, 25, 12), f.scap(-34, 27, 14),
                              over_head(45, 90, 7.0), over_head(66, 90, 4.0)]),
                    np.array([16.0, 16.0, 14.0, 12.0, 10.0]) * sc,
                    np.array([9.0, 11.0, 11.0, 8.0, 5.0]) * sc,
                    np.array([e3, e3, e3 + up, radial(45, 90), radial(66, 90)]),
                    step_mm=4.0, ring_points=20, what="supraspinatus")
    t_i = p.infraspinatus_mm
    infra = pr.tube(np.array([f.scap(-88, -45, 7), f.scap(-62, -32, 9), f.scap(-36, -18, 12),
                              over_head(42, 175, 0.5 * t_i - 1.0),
                              over_head(70, 160, 0.5 * t_i - 1.5)]),
                    np.array([30.0, 34.0, 30.0, 22.0, 16.0]) * sc,
                    np.array([9.0, 10.0, 10.0, 0.5 * t_i + 1.0, 0.5 * t_i + 0.5]),
                    np.array([e3, e3, e3, radial(42, 175), radial(70, 160)]),
                    step_mm=4.0, ring_points=24, what="infraspinatus")
    subscap = pr.tube(np.array([f.scap(-84, -35, -9), f.scap(-56, -22, -11),
                                f.scap(-28, -8, -14), over_head(50, 0, 5.0),
                                over_head(68, 350, 4.0)]),
                      np.array([32.0, 32.0, 26.0, 16.0, 12.0]) * sc,
                      np.array([8.0, 9.0, 10.0, 8.0, 5.0]) * sc,
                      np.array([-e3, -e3, -e3, radial(50, 0), radial(68, 350)]),
                      step_mm=4.0, ring_points=24, what="subscapularis")
    teres = pr.tube(np.array([f.scap(-58, -70, 5), f.scap(-38, -46, 8), f.scap(-18, -28, 12),
                              f.hum(18, 6, -16)]),
                    np.array([11.0, 12.0, 11.0, 8.0]) * sc, np.array([7.0, 8.0, 8.0, 6.0]) * sc,
                    np.array([e3, e3, e3, -f.anterior]), step_mm=4.0, ring_points=18,
                    what="teres minor")
    return {"supraspinatus": supra, "infraspinatus": infra, "subscapularis": subscap,
            "teres_minor": teres}


def _round_neck(f: ShoulderFrame, humerus: mf.Manifold, down: float, clearance: float,
                angles_deg) -> np.ndarray:
    """Points ``(k, 3)`` circling the humerus ``down`` mm along the shaft, each ``clearance``
    mm off the bone toward its angle (0 = lateral, 90 = anterior, in the shaft's plane)."""
    centre = f.hum(down, 0.0, 0.0)
    out = []
    for a in np.radians(np.asarray(angles_deg, float)):
        d = np.cos(a) * f.lateral + np.sin(a) * f.anterior
        hits = humerus.ray_cast(centre.tolist(), (centre + 60.0 * d).tolist())
        bone = float(np.linalg.norm(np.asarray(hits[-1].position) - centre)) if hits else 14.0
        out.append(centre + (bone + clearance) * d)
    return np.array(out)


def neurovascular(f: ShoulderFrame, joint: Joint, outline: Outline, scapula: mf.Manifold,
                  humerus: mf.Manifold
                  ) -> tuple[dict[str, mf.Manifold], dict]:
    """Suprascapular nerve (spinoglenoid notch), axillary nerve and posterior circumflex
    humeral artery (quadrilateral space, round the surgical neck), cephalic vein
    (deltopectoral groove). Returns shapes and landmarks on them."""
    p = f.params
    sc = f.sc
    r_n = p.nerve_radius_mm
    # spinoglenoid notch: on the posterior neck, spinoglenoid_mm medial of the posterior rim
    rim_back = f.point(joint.rim(np.pi), np.pi, f.R_gb)
    medial = -f.g
    notch_guess = rim_back + p.spinoglenoid_mm * medial
    back = -f.g_ant
    hits = scapula.ray_cast((notch_guess + 30.0 * back).tolist(),
                            (notch_guess - 30.0 * back).tolist())
    on_bone = np.asarray(hits[0].position) if hits else notch_guess
    notch = on_bone + (r_n + 0.6) * back
    ss_path = np.array([f.scap(-44, 40, 4), f.scap(-40, 28, 5 + r_n),
                        notch + np.array([0.0, 0.0, 14.0]) * sc + 3.0 * back,
                        notch, notch + np.array([0.0, 0.0, -12.0]) * sc + 2.0 * back - 6 * medial,
                        f.scap(-52, -26, 4 + r_n)])
    suprascapular = pr.tube(ss_path, r_n, step_mm=2.0, ring_points=10, round_start=True,
                            round_end=True, what="suprascapular nerve")

    # from the axilla through the quadrilateral space, round the back of the surgical neck
    low = f.point(joint.rim(1.5 * np.pi), 1.5 * np.pi, f.R_gb)  # inferior glenoid rim
    z_ax = float(low[2]) - p.axillary_below_glenoid_mm
    down = (f.shaft_top[2] - z_ax) / -f.shaft[2] / sc
    angles = (195.0, 228.0, 262.0, 300.0, 345.0, 25.0)
    ax_path = _round_neck(f, humerus, down, r_n + 1.0, angles)
    ax_path[0] += 12.0 * sc * (-f.lateral) + 4.0 * sc * f.anterior   # into the axilla
    axillary = pr.tube(ax_path, r_n, step_mm=2.0, ring_points=10, round_start=True,
                       round_end=True, what="axillary nerve")
    r_a = p.artery_radius_mm
    pcha_path = _round_neck(f, humerus, down + 5.0, r_a + 1.0, angles)
    pcha_path[0] += 12.0 * sc * (-f.lateral) + 4.0 * sc * f.anterior
    pcha = pr.tube(pcha_path, r_a, step_mm=2.0, ring_points=12, round_start=True,
                   round_end=True, what="posterior circumflex humeral artery")

    r_v = p.vein_radius_mm
    hw = f.H[0]
    groove = [(hw + 26 * sc, f.H[2] - 160 * sc), (hw + 14 * sc, f.H[2] - 80 * sc),
              (hw - 6 * sc, f.H[2] - 20 * sc), (hw - 28 * sc, f.H[2] + 12 * sc),
              (hw - 42 * sc, f.H[2] + 22 * sc)]
    cephalic_path = outline.path_below(groove, r_v + 0.5, step_mm=18.0)
    cephalic = pr.tube(cephalic_path, r_v, step_mm=4.0, ring_points=12, what="cephalic vein")
    shapes = {"suprascapular_nerve": suprascapular, "axillary_nerve": axillary,
              "posterior_circumflex_humeral_artery": pcha, "cephalic_vein": cephalic}
    marks = {"suprascapular_nerve_at_notch": notch, "axillary_nerve_posterior": ax_path[2]}
    return shapes, marks
