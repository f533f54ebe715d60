"""Articular structures of a right hip: cartilage, labrum, capsule, synovial spaces, ligament.

The capsule is modelled around the neck axis as a sleeve whose inner surface lies a synovial
gap ``g`` off the bone (thicker in front, where the anterior recess is, and thickened there by
an effusion with a bump so the capsule turns convex), plus a frustum around the acetabular axis
that covers the labrum and inserts on the rim. The intra-articular space is everything inside
the inner surface that is not bone, cartilage or labrum; its anterior wedge along the neck is the
``anterior_recess`` (the injection target), the rest ``synovial_cavity``.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d as mf
import numpy as np

from simulator.anatomy.generators import primitives as pr
from simulator.anatomy.generators.hip_frame import HipFrame

CARTILAGE_EDGE_DEG = 120.0   # head cartilage ends this far from the pole (neck axis)
RECESS_HALF_ANGLE_DEG = 50.0  # anterior recess wedge about the neck axis
CAPSULE_RING_POINTS = 72
FINE_MM = 1.5  # edge length of the spheres at the head and socket


@dataclass(frozen=True)
class Capsule:
    """Capsule geometry: gap and thickness profiles, and where the sleeve ends."""

    frame: HipFrame

    @property
    def s_junction(self) -> float:
        """Head-neck junction (anterior) along the neck axis."""
        return self.frame.head_neck_junction_s(0.0)

    @property
    def s_target(self) -> float:
        """Axial position of the target in the anterior recess, just below the junction."""
        return self.s_junction - 0.13 * self.frame.head_radius

    def s_end(self, angle_rad):
        """Distal insertion: intertrochanteric line in front, two thirds of the neck behind."""
        f = self.frame
        base = -f.neck_base_distance + 1.0
        neck = f.params.neck_length_mm
        return base + (neck / 3.0) * 0.5 * (1.0 - np.cos(angle_rad))

    def gap(self, s, angle_rad):
        """Synovial gap (mm) between bone and capsule at axial ``s`` and angle (0 = front)."""
        p = self.frame.params
        effusion = p.recess_mm - 1.5
        width = 14.0 * p.bone_scale
        bump = np.cos(0.5 * np.pi * np.clip((s - self.s_target) / width, -1.0, 1.0)) ** 2
        recess = 1.5 + effusion * bump
        front = 1.0 - pr.smoothstep((np.abs(np.angle(np.exp(1j * angle_rad))) - np.radians(40))
                                    / np.radians(35))
        along = 1.0 - pr.smoothstep((s - self.s_junction - 3.0) / 7.0)
        return p.synovial_mm + (recess - p.synovial_mm) * front * along

    def thickness(self, s):
        """Capsule thickness (mm): thick at the head, tapering over the neck."""
        p = self.frame.params
        t = pr.smoothstep((s - self.s_end(0.0)) / (self.s_junction - self.s_end(0.0)))
        return p.capsule_neck_mm + (p.capsule_head_mm - p.capsule_neck_mm) * t

    def point(self, s, angle_rad, extra_mm=0.0):
        """Points ``(..., 3)`` on the capsule inner surface (``extra_mm`` = 0) or further out,
        at axial ``s`` and angle about the neck axis."""
        f = self.frame
        s, ang, extra = np.broadcast_arrays(np.asarray(s, float), np.asarray(angle_rad, float),
                                            np.asarray(extra_mm, float))
        g = self.gap(s, ang) + extra
        on_neck = f.neck_point(s, ang, g)
        radial = on_neck - f.head_center - ((on_neck - f.head_center) @ f.neck_axis)[..., None] \
            * f.neck_axis
        rho_neck = np.linalg.norm(radial, axis=-1)
        cover = pr.smoothstep((s + f.head_radius * 0.55) / 4.0)  # cartilage toward the pole
        radius = f.head_radius + f.params.femoral_cartilage_mm * cover + g
        rho_head = np.sqrt(np.clip(radius**2 - s**2, 0.0, None))
        k = 0.8
        hi = np.maximum(rho_neck, rho_head)
        soft = hi + k * np.log(np.exp((rho_neck - hi) / k) + np.exp((rho_head - hi) / k))
        # distal of the junction the neck alone sets the gap, so the recess depth measured
        # across the neck is exactly the gap there; over the head both surfaces count
        s_junction = f.head_neck_junction_s(ang)
        w = pr.smoothstep((s - s_junction + 2.5) / 3.0)
        rho = (1.0 - w) * rho_neck + w * soft
        direction = radial / rho_neck[..., None]
        return f.head_center + s[..., None] * f.neck_axis + rho[..., None] * direction

    def sleeve(self, outer: bool) -> mf.Manifold:
        """Lofted sleeve from the distal insertion to just past the head equator."""
        angles = np.linspace(0.0, 2 * np.pi, CAPSULE_RING_POINTS, endpoint=False)
        start = self.s_end(angles) + (0.0 if outer else 1.5)
        top = 2.0
        count = int(np.ceil((top - start.min()) / (1.2 * FINE_MM))) + 1
        t = np.linspace(0.0, 1.0, count)[:, None]
        s = start[None, :] + t * (top - start[None, :])
        extra = self.thickness(s) if outer else 0.0
        return pr.loft(self.point(s, angles[None, :], extra), what="capsule sleeve")

    def rim_frustum(self, outer: bool) -> mf.Manifold:
        """Frustum about the acetabular axis over the labrum, inserting behind the rim."""
        f = self.frame
        n = f.acetabular_axis
        t = f.params.capsule_head_mm if outer else 0.0
        top_h = 12.0 * f.params.bone_scale
        r_top = np.sqrt(f.cartilage_radius**2 - top_h**2) + f.params.synovial_mm + 0.8
        r_rim = f.socket_radius + 6.0 * f.params.bone_scale
        basis = pr.basis_from_axis(n)
        ring = np.linspace(0, 2 * np.pi, 72, endpoint=False)
        circle = np.cos(ring)[:, None] * basis[0] + np.sin(ring)[:, None] * basis[1]
        low = f.head_center - 5.0 * n + (r_rim + t) * circle
        high = f.head_center + (top_h + 0.6 * t) * n + (r_top + t) * circle
        return pr.hull_points(np.concatenate([low, high]), "capsule rim")


def cartilage_and_labrum(f: HipFrame) -> dict[str, mf.Manifold]:
    """Shapes of ``femoral_head_cartilage``, ``acetabular_cartilage`` and ``labrum`` (they are
    clipped against bone by priority)."""
    H, n, u = f.head_center, f.acetabular_axis, f.neck_axis
    R_c = f.cartilage_radius
    reach = 3.0 * R_c
    head_ball = pr.sphere(H, R_c, FINE_MM)
    bare = pr.cone(H, -u, np.radians(180.0 - CARTILAGE_EDGE_DEG), reach, 64)
    fovea_dir = np.cos(np.radians(30)) * u - np.sin(np.radians(30)) * f.neck_superior
    fovea_dir = fovea_dir - 0.15 * f.neck_anterior
    fovea = pr.cone(H, fovea_dir, np.radians(10.0), reach, 32)
    head = head_ball - bare - fovea

    inferior = np.array([0.0, 0.0, -1.0]) - (-n[2]) * n
    inferior /= np.linalg.norm(inferior)
    deep = np.cos(np.radians(20)) * -n + np.sin(np.radians(20)) * inferior
    notch = np.cos(np.radians(85)) * -n + np.sin(np.radians(85)) * inferior
    fossa = pr.hull_points(np.concatenate([
        pr.cone(H, deep, np.radians(24), reach, 32).to_mesh().vert_properties[:, :3],
        pr.cone(H, notch, np.radians(14), reach, 32).to_mesh().vert_properties[:, :3]]),
        "acetabular fossa")
    socket = pr.sphere(H, f.socket_radius + 0.2, FINE_MM)
    socket = socket.trim_by_plane((-n).tolist(), float(-(H @ n) - f.rim_height))
    acetabulum = socket - fossa - head_ball

    # labrum: triangle on the rim, base on the bone, apex 7 mm out along the articular sphere
    phi_rim = np.arccos(np.clip(f.rim_height / f.socket_radius, -1, 1))
    phi_tip = phi_rim - f.params.labrum_length_mm / R_c
    arc = np.linspace(phi_rim, phi_tip, 6)
    inner = (R_c - 0.3) * np.stack([np.sin(arc), np.cos(arc)], 1)
    base_out = np.array([f.socket_radius + f.params.labrum_thickness_mm, f.rim_height - 0.5])
    base_in = np.array([(R_c - 0.3) * np.sin(phi_rim), f.rim_height - 0.5])
    tip_out = (R_c + 0.6) * np.array([np.sin(phi_tip), np.cos(phi_tip)])
    profile = np.concatenate([[base_in], inner[1:], [tip_out], [base_out]])
    labrum = pr.revolve(profile, H, n, 120)
    return {"femoral_head_cartilage": head, "acetabular_cartilage": acetabulum,
            "labrum": labrum}


def joint_spaces(f: HipFrame) -> tuple[dict[str, mf.Manifold], Capsule]:
    """Shapes of ``anterior_recess``, ``synovial_cavity`` and ``joint_capsule``."""
    cap = Capsule(f)
    n = f.acetabular_axis
    socket = pr.sphere(f.head_center, f.socket_radius + 0.3, FINE_MM).trim_by_plane(
        (-n).tolist(), float(-(f.head_center @ n) - f.rim_height - 0.5))
    inner = pr.union([cap.sleeve(False), cap.rim_frustum(False), socket])
    outer = pr.union([cap.sleeve(True), cap.rim_frustum(True)])
    half = np.radians(RECESS_HALF_ANGLE_DEG)
    s_lo = cap.s_end(0.0) + 0.5
    s_hi = cap.s_junction + 4.0
    arc = np.linspace(-half, half, 9)
    reach = 45.0
    pts = [f.head_center + s * f.neck_axis + reach * (np.cos(a) * f.neck_anterior
                                                      + np.sin(a) * f.neck_superior)
           for s in (s_lo, s_hi) for a in arc]
    pts += [f.head_center + s * f.neck_axis for s in (s_lo, s_hi)]
    wedge = pr.hull_points(np.array(pts), "recess wedge")
    return {"anterior_recess": inner ^ wedge, "synovial_cavity": inner,
            "joint_capsule": outer}, cap


def iliofemoral_ligament(f: HipFrame, cap: Capsule, aiis_center) -> tuple[mf.Manifold, tuple]:
    """Band over the anterior capsule from below the AIIS to the intertrochanteric line;
    returns the shape and its unit fibre direction."""
    sc = f.params.bone_scale
    half_t = 2.5 * sc
    s0 = cap.s_end(0.0)
    path = np.array([
        np.asarray(aiis_center) - 2.0 * sc * f.acetabular_axis,
        cap.point(-4.0, np.radians(25), cap.thickness(-4.0) + half_t + 0.3),
        cap.point(cap.s_target, np.radians(12), cap.thickness(cap.s_target) + half_t + 0.3),
        cap.point(s0 + 5.0, 0.0, cap.thickness(s0 + 5.0) + half_t + 0.3),
        f.neck_point(s0 - 4.0, 0.0, -3.0),
    ])
    band = pr.tube(path, 7.0 * sc, half_t, f.neck_anterior, step_mm=2.0, ring_points=24,
                   what="iliofemoral ligament")
    fibre = path[3] - path[1]
    fibre /= np.linalg.norm(fibre)
    return band, tuple(float(c) for c in fibre)
