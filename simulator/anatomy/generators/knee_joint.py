"""Articular structures of a right knee: patella, cartilage, menisci, cruciates, capsule, cavity.

The patella is a smooth convex hull (anterior dome, elliptical outline, posterior median ridge
and two facets, the lateral one wider and rising a little faster than the trochlear facet
under it, so the patellofemoral space opens laterally as the lateral patellofemoral angle
does) seated on the trochlea with a fluid film where the cartilages come closest.

The synovial lining is built as offset surfaces of the articular bones: everything within
``cartilage + synovial film`` of the articular femur and tibial plateau, the space under the
patella swept down onto the trochlea, and the suprapatellar pouch (``knee_layers``). The
capsule is the same construction grown by its thickness. Fat pads, menisci, cruciates and
cartilage are carved out of the lining by priority; what is left is fluid (role
``joint_cavity``): ``patellofemoral_space``, ``suprapatellar_recess`` and ``synovial_cavity``.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import knee_ankle_common as kc
from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.knee_bones import FINE_MM, LINING_MM, KneeFrame

# 26 unit directions: growing a point cloud by d along each before the hull offsets a convex
# hull by about d (its Minkowski sum with a small polyhedron).
GROW_DIRS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)
                  if (i, j, k) != (0, 0, 0)], float)
GROW_DIRS /= np.linalg.norm(GROW_DIRS, axis=1, keepdims=True)


def grown_hull(points, grow_mm: float, edge_mm: float, what: str) -> mf.Manifold:
    """Smooth hull of ``points`` ``(n, 3)`` grown outward by ``grow_mm`` (>= 0)."""
    pts = np.asarray(points, float)
    if grow_mm > 0:
        pts = (pts[:, None, :] + grow_mm * GROW_DIRS[None]).reshape(-1, 3)
    return pr.smooth_hull(pts, edge_mm, what)


@dataclass(frozen=True)
class Patella:
    """Seated patella: centre, unit axes (lateral, anterior, superior), size and its local
    point cloud builder."""

    center: np.ndarray
    lateral: np.ndarray
    anterior: np.ndarray
    superior: np.ndarray
    height: float
    width: float
    ridge_depth: float   # centre to the posterior ridge (bone)
    lateral_slope: float = 0.3   # rise of the lateral facet per mm away from the ridge
    medial_slope: float = 0.3

    def world(self, local) -> np.ndarray:
        """Local (lateral, anterior, superior) points ``(..., 3)`` to world."""
        q = np.asarray(local, float)
        return (self.center + q[..., :1] * self.lateral + q[..., 1:2] * self.anterior
                + q[..., 2:3] * self.superior)

    def local_points(self) -> np.ndarray:
        """Local point cloud ``(n, 3)`` whose hull is the patella bone."""
        hw, hh, rd = 0.5 * self.width, 0.5 * self.height, self.ridge_depth
        front = 0.4 * rd
        cap = kc.ellipsoid_points((0, 0, 0), (hw, front, hh), count=120)
        cap = cap[cap[:, 1] >= 0.0]
        t = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
        c = hh * np.sin(t)
        taper = np.where(c < 0, 1.0 + 0.32 * c / hh, 1.0)
        a = hw * np.cos(t) * taper
        a_ridge = -0.12 * hw
        rise = np.where(a > a_ridge, self.lateral_slope * (a - a_ridge),
                        self.medial_slope * (a_ridge - a))
        edge = np.abs(np.cos(t))  # toward the poles the back rounds off to the apex/base
        b = np.clip((-rd + rise) * edge - 0.35 * rd * (1.0 - edge), -0.75 * rd, -0.15 * rd)
        outline = np.stack([a, b, c], 1)
        cz = np.linspace(-0.55 * hh, 0.7 * hh, 12)
        ridge = np.stack([np.full_like(cz, -0.12 * hw), np.full_like(cz, -rd), cz], 1)
        ends = np.array([(-0.12 * hw, -0.7 * rd, -0.8 * hh), (-0.12 * hw, -0.7 * rd, 0.9 * hh)])
        return np.concatenate([cap, outline, ridge, ends])

    def solid(self, grow_mm: float = 0.0, edge_mm: float = FINE_MM) -> mf.Manifold:
        return grown_hull(self.world(self.local_points()), grow_mm, edge_mm, "patella")

    def cartilage(self, thickness_mm: float) -> mf.Manifold:
        """Articular cartilage: the back of the patella grown by ``thickness_mm``, apart from
        the non-articular apex (lowest quarter)."""
        return self.posterior(self.solid(thickness_mm), -0.2 * self.ridge_depth,
                              -0.28 * self.height)

    def posterior(self, solid: mf.Manifold, below_local_b: float,
                  above_local_c: float = -1e3) -> mf.Manifold:
        """Part of ``solid`` posterior to the local plane b = ``below_local_b`` and above
        c = ``above_local_c``."""
        centre = self.world(np.array([0.0, below_local_b, 0.0]))
        out = solid.trim_by_plane((-self.anterior).tolist(), float(-self.anterior @ centre))
        if above_local_c > -1e2:
            base = self.world(np.array([0.0, 0.0, above_local_c]))
            out = out.trim_by_plane(self.superior.tolist(), float(self.superior @ base))
        return out


def seat_patella(f: KneeFrame, femur_epiphysis: mf.Manifold,
                 femoral_cartilage_solid: mf.Manifold) -> Patella:
    """Place the patella on the trochlea: its long axis tangent to the trochlear groove at
    its centre height, facets matching the trochlear facets (the lateral one rising a little
    faster, so the space opens laterally as the lateral patellofemoral angle does [U]), and
    the cartilage surfaces a fluid film apart where they come closest."""
    p = f.params
    sc = f.sc
    height, width, thick = p.patella_mm
    centre = f.fem((1.5, 60.0, 40.0))
    x_g = f.femur_base[0] - 1.0 * sc

    def front(dx, dz=0.0):
        hit = kc.first_hit(femur_epiphysis, (x_g + dx, 200.0, centre[2] + dz), (0, -1, 0))
        return float(hit[1])

    dz = 8.0 * sc
    superior = pr.unit((0.0, front(0.0, dz) - front(0.0, -dz), 2 * dz))
    lateral = np.array([1.0, 0.0, 0.0])
    anterior = np.cross(superior, lateral)
    slopes = ((front(15.0 * sc) - front(0.0)) / (15.0 * sc) + 0.1,
              max((front(-14.0 * sc) - front(0.0)) / (14.0 * sc) + 0.02, 0.15))
    # start well in front, then slide back until the cartilage surfaces are a film apart
    pat = Patella(centre + 15.0 * anterior, lateral, anterior, superior, height, width,
                  0.62 * thick, *slopes)
    cart = pat.cartilage(p.patellar_cartilage_mm)
    both = pr.union([cart, pat.solid()])
    gaps = []
    for c in np.linspace(-0.45, 0.5, 7) * 0.5 * height:
        for a in np.linspace(-0.5, 0.5, 7) * 0.5 * width:
            start = pat.world(np.array([a, 0.0, c]))
            surface = pr.surface_point(both, start, -anterior, 60.0)
            hit = kc.first_hit(femoral_cartilage_solid, surface, -anterior, 80.0)
            if hit is not None:
                gaps.append(float((surface - hit) @ anterior))
    shift = min(gaps) - p.pf_gap_mm
    return Patella(pat.center - shift * anterior, lateral, anterior, superior, height, width,
                   0.62 * thick, *slopes)


def menisci(f: KneeFrame, grow_mm: float = 0.0) -> mf.Manifold:
    """Both menisci: wedge-shaped C rings around each plateau (revolved triangle profiles,
    stretched to the plateau's ellipse), opening toward the intercondylar area."""
    p = f.params
    sc = f.sc
    top = p.tibial_cartilage_mm
    pieces = []
    # lateral meniscus nearly a ring opening medially (-x), medial a C opening laterally
    for x_c, ry, rx, gap_deg, gap_centre_deg in ((17.0, 18.0, 14.5, 50.0, 180.0),
                                                (-18.0, 21.0, 15.5, 70.0, 0.0)):
        r_out = 1.0
        width = 0.55
        height = 6.5 / (rx * sc)
        profile = np.array([(r_out - width, top / (rx * sc) + 0.01),
                            (r_out + 0.02, -0.02),
                            (r_out + 0.02, height)])
        profile[:, 0] += grow_mm / (rx * sc)
        section = mf.CrossSection([profile.tolist()])
        ring = mf.Manifold.revolve(section, 72, 360.0 - gap_deg)
        ring = ring.rotate([0.0, 0.0, gap_centre_deg + 0.5 * gap_deg])
        ring = ring.scale([rx * sc, ry * sc, rx * sc])
        centre = f.tibia_top + sc * np.array([x_c, -3.0, 0.0])
        m = f.leg_rotation
        ring = ring.transform(pr.affine(m, f.leg(centre)))
        pieces.append(ring)
    return pr.union(pieces)


def cruciates(f: KneeFrame, notch_shrunk: mf.Manifold) -> mf.Manifold:
    """ACL and PCL (tubes from the notch walls to the tibial spines) plus the rest of the
    notch, shrunk by the synovial film (ligaments and their synovial fat)."""
    sc = f.sc
    acl = pr.tube(np.array([f.fem((7, -18, 22)), 0.5 * (f.fem((7, -18, 22))
                                                         + f.tib((3, 8, 2))), f.tib((3, 8, 2))]),
                  5.5 * sc, 4.5 * sc, step_mm=2.0, ring_points=16, round_start=True,
                  round_end=True, what="ACL")
    pcl = pr.tube(np.array([f.fem((-6, -2, 16)), f.fem((-3, -22, 4)), f.tib((0, -24, -4))]),
                  6.0 * sc, 5.0 * sc, step_mm=2.0, ring_points=16, round_start=True,
                  round_end=True, what="PCL")
    return pr.union([acl, pcl, notch_shrunk])


def articular_femur(f: KneeFrame, femur_solid, grow_mm: float, margin_mm: float = 0.0,
                    edge: float = LINING_MM):
    """The femur grown by ``grow_mm`` where it is articular (trochlea and condyles, not the
    epicondyles, the notch roof or the shaft): the femoral half of the lining."""
    return femur_solid(grow_mm, edge) ^ articular_region(f, margin_mm)


def articular_region(f: KneeFrame, margin_mm: float = 0.0) -> mf.Manifold:
    """Where the femur is articular: the condyles below the posterior capsule line (less the
    epicondyles) and the anterior trochlear facets."""
    sc = f.sc
    condyles = kc.prism(np.array([(50, 30), (50, -40), (-50, -40), (-50, 33), (-22, 40),
                                  (10, 30)]) * sc,
                        f.femur_base, (1, 0, 0), 2 * (30.0 * sc + margin_mm), (0, 1, 0))
    centre = f.femur_base + np.array([-1.0 * sc, 0.0, 0.0])
    trochlea = kc.prism(np.array([(50, 60), (50, 20), (2, 20), (2, 60)]) * sc, centre,
                        (1, 0, 0), 2 * (21.0 * sc + margin_mm), (0, 1, 0))
    return pr.union([condyles, trochlea])


def articular_tibia(f: KneeFrame, plateau, grow_mm: float, below_mm: float):
    """The tibial plateau grown by ``grow_mm``, from ``below_mm`` under its rim upward."""
    sc = f.sc
    slab = pr.box(f.tibia_top + np.array([-60.0, -60.0, -below_mm]),
                  f.tibia_top + np.array([60.0, 60.0, 30.0 * sc]))
    slab = kc.transformed(slab, f.leg_rotation, f.axis_point)
    return plateau(grow_mm, LINING_MM) ^ slab


def tibial_cartilage(f: KneeFrame, plateau) -> mf.Manifold:
    """Cartilage discs on the medial and lateral plateaus (not the spines)."""
    sc = f.sc
    c = f.params.tibial_cartilage_mm
    pads = []
    for x_c, rx, ry in ((17.0, 13.0, 17.0), (-18.0, 14.0, 20.0)):
        centre = f.tibia_top + sc * np.array([x_c, -3.0, 0.0])
        disc = pr.tube(np.array([centre - [0, 0, 6.0], centre + [0, 0, c + 3.0]]), rx * sc,
                       ry * sc, (0.0, 1.0, 0.0), step_mm=2.0, ring_points=40,
                       what="plateau pad")
        pads.append(kc.transformed(disc, f.leg_rotation, f.axis_point))
    return plateau(c) ^ pr.union(pads)


def femoral_cartilage(f: KneeFrame, femur_solid, notch) -> mf.Manifold:
    """Condylar and trochlear cartilage (thicker in the trochlea)."""
    p = f.params
    sc = f.sc
    condyles = articular_femur(f, femur_solid, p.femoral_cartilage_mm, -3.0, FINE_MM)
    centre = f.femur_base + np.array([-1.0 * sc, 0.0, 0.0])
    troch = kc.prism(np.array([(50, 58), (50, 14), (6, 14), (6, 58)]) * sc, centre,
                     (1, 0, 0), 2 * 20.0 * sc, (0, 1, 0))
    trochlea = femur_solid(p.trochlear_cartilage_mm) ^ troch
    return pr.union([condyles, trochlea]) - notch
