"""Rotator-cuff tendons and the subacromial-subdeltoid bursa of a right shoulder.

Each tendon is a plate of constant thickness lying on the capsule over the humeral head,
given on a grid of directions ``(alpha, phi)`` about the head centre (see ``shoulder_frame``):
supraspinatus over the top, infraspinatus over the posterosuperior head, subscapularis in
front; each runs from its musculotendinous junction to its tuberosity, where the bone (higher
priority) trims it so it appears to insert. The bursa is a thin sac draped over whatever lies
under the deltoid and acromion: its inner surface follows the outermost of humerus, capsule
and tendons toward every direction of a grid that sweeps the scapular plane from under the
acromion over the head and greater tuberosity to below it (``kappa``, from up toward lateral)
and spreads in front and behind (``nu``).
"""

from __future__ import annotations

import manifold3d as mf
import numpy as np
from scipy.ndimage import gaussian_filter

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.primitives import smoothstep, unit
from simulator.anatomy.generators.shoulder_bones import groove_path
from simulator.anatomy.generators.shoulder_frame import ShoulderFrame
from simulator.anatomy.generators.shoulder_joint import Joint

# name: (alpha range deg, phi range deg, thickness parameter)
TENDONS = {
    "supraspinatus_tendon": ((56.0, 146.0), (62.0, 116.0), "supraspinatus_tendon_mm"),
    "infraspinatus_tendon": ((62.0, 140.0), (118.0, 172.0), "infraspinatus_tendon_mm"),
    "subscapularis_tendon": ((58.0, 118.0), (-38.0, 30.0), "subscapularis_tendon_mm"),
}
BICEPS_RADIUS_MM = 2.4   # long head of biceps, about 5 mm across [U]
BURSA_KAPPA_DEG = (-22.0, 122.0)
BURSA_NU_DEG = (-42.0, 40.0)
TARGET_KAPPA_DEG = 45.0
PROBE_KAPPA_DEG = 20.0   # the probe looks at the target from this much further lateral, so
                         # the acromion's edge lies at the medial end of the image


def cuff_base(f: ShoulderFrame, joint: Joint, alpha, phi):
    """Outer surface of the capsule over the head, without its humeral insertion."""
    return joint.cavity_radius(alpha, phi, extend_deg=60.0) + f.params.capsule_mm


def tendons(f: ShoulderFrame, joint: Joint, humerus: mf.Manifold
            ) -> tuple[dict[str, mf.Manifold], dict]:
    """Tendon shapes and their unit fibre directions (from the muscle toward the insertion,
    along the middle of each tendon). Each tendon's outer surface lies its thickness above
    the capsule; its deep surface reaches down to the humerus, so where it leaves the capsule
    over the tuberosity it inserts on the bone (capsule, cartilage and bone win overlaps)."""
    shapes, fibres = {}, {}
    for name, (a_rng, f_rng, key) in TENDONS.items():
        t = getattr(f.params, key)
        alpha = np.radians(np.linspace(*a_rng, 22))
        phi = np.radians(np.linspace(*f_rng, 13))
        aa, ff = np.meshgrid(alpha, phi, indexing="ij")
        # the tendon thins over its last 18 deg onto the footprint
        taper = 1.0 - 0.75 * smoothstep((aa - alpha[-1] + np.radians(18.0)) / np.radians(18.0))
        top = cuff_base(f, joint, aa, ff) + t * taper
        bone = outermost_radius(humerus, f.H, f.direction(aa, ff))
        floor = top - t
        base = np.minimum(floor, np.where(bone > 0, bone - 0.5, floor))
        mid = f.point(aa, ff, 0.5 * (top + base))
        shapes[name] = pr.thick_sheet(mid, top - base, edge_points=4, what=name)
        along = mid[-4, 6] - mid[4, 6]
        fibres[name] = tuple(float(c) for c in along / np.linalg.norm(along))
    return shapes, fibres


def biceps_tendon(f: ShoulderFrame) -> tuple[mf.Manifold, np.ndarray]:
    """The long head of biceps: from the supraglenoid tubercle (blending into the superior
    labrum) over the front of the head through the rotator interval, between the
    supraspinatus and subscapularis tendons, then down the bicipital groove, its floor
    ``BICEPS_RADIUS_MM`` under the tendon's axis. Returns the shape and its unit fibre
    direction (down the groove)."""
    r = BICEPS_RADIUS_MM * f.sc
    groove = groove_path(f, lift_mm=1.0 - 4.5 + r / f.sc)
    origin = f.point(f.rim_alpha(np.pi / 2) + 0.05, np.pi / 2, f.R_gi + 0.5 * r)
    top = groove[0]
    d0, d1 = unit(origin - f.H), unit(top - f.H)
    omega = np.arccos(np.clip(d0 @ d1, -1.0, 1.0))
    t = np.linspace(0.0, 1.0, 7)[1:-1]
    arc_dirs = (np.sin((1 - t) * omega)[:, None] * d0 + np.sin(t * omega)[:, None] * d1) / \
        np.sin(omega)
    radius = np.interp(t, [0.0, 0.3, 1.0], [f.R_gi + 0.5 * r, f.R_c + r + 0.3,
                                             np.linalg.norm(top - f.H)])
    path = np.concatenate([[origin], f.H + radius[:, None] * arc_dirs, groove])
    shape = pr.tube(path, r, step_mm=2.0, ring_points=12, round_start=True, round_end=True,
                    what="long head of biceps")
    return shape, unit(groove[-1] - groove[0])


def _bursa_axes(f: ShoulderFrame):
    up = np.array([0.0, 0.0, 1.0])
    lateral = f.e1
    anterior = -f.e3
    return up, lateral, anterior


def bursa_direction(f: ShoulderFrame, kappa, nu) -> np.ndarray:
    """Unit directions ``(..., 3)``: ``kappa`` from up toward lateral in the scapular plane,
    ``nu`` toward anterior (radians)."""
    up, lateral, anterior = _bursa_axes(f)
    k, n = np.broadcast_arrays(np.asarray(kappa, float), np.asarray(nu, float))
    in_plane = np.cos(k)[..., None] * up + np.sin(k)[..., None] * lateral
    return np.cos(n)[..., None] * in_plane + np.sin(n)[..., None] * anterior


def outermost_radius(solid: mf.Manifold, center, directions: np.ndarray,
                     reach_mm: float = 90.0) -> np.ndarray:
    """Distance from ``center`` to the last surface crossing of ``solid`` along each of
    ``directions`` ``(..., 3)`` (0 where the ray misses)."""
    c = np.asarray(center, float)
    flat = directions.reshape(-1, 3)
    out = np.zeros(len(flat))
    for k, d in enumerate(flat):
        hits = solid.ray_cast(c.tolist(), (c + reach_mm * d).tolist())
        if hits:
            out[k] = float(np.linalg.norm(np.asarray(hits[-1].position) - c))
    return out.reshape(directions.shape[:-1])


def bursa(f: ShoulderFrame, under: mf.Manifold) -> tuple[mf.Manifold, np.ndarray, np.ndarray]:
    """The subacromial-subdeltoid bursa draped over ``under`` (humerus, capsule, tendons).

    Returns the shape, a ``(3,)`` point in the middle of the sac over the supraspinatus
    tendon next to the greater tuberosity (the ultrasound target) and a unit direction from
    the target out to where the probe views it from, lateral of the acromion."""
    t = f.params.bursa_mm
    kappa = np.radians(np.linspace(*BURSA_KAPPA_DEG, 44))
    nu = np.radians(np.linspace(*BURSA_NU_DEG, 26))
    kk, nn = np.meshgrid(kappa, nu, indexing="ij")
    dirs = bursa_direction(f, kk, nn)
    raw = outermost_radius(under, f.H, dirs)
    raw = np.where(raw > 0, raw, f.R_h)
    # a smooth surface that never dips into what lies under it
    inner = np.maximum(gaussian_filter(raw, 0.7, mode="nearest"), raw) + 0.1
    mid = f.H + (inner + 0.5 * t)[..., None] * dirs
    sac = pr.thick_sheet(mid, np.full(kk.shape, t), edge_points=4, what="subacromial bursa")
    # target: over the supraspinatus tendon next to its insertion, lateral of the acromion
    k_t = np.radians(TARGET_KAPPA_DEG)
    j = int(np.argmin(np.abs(kappa - k_t)))
    i = int(np.argmin(np.abs(nu - np.radians(0.0))))
    view = bursa_direction(f, k_t + np.radians(PROBE_KAPPA_DEG), 0.0)
    return sac, mid[j, i], view
