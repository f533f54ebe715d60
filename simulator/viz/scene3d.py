"""The 3D view of the patient, rendered off-screen by PyVista into an RGB array.

Built once per world (meshes decimated for display), then each frame only actor transforms,
visibilities and the camera change. A pure view of the state: nothing here touches the
simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simulator import carm as carm_model
from simulator.anatomy.manifest import Role
from simulator.geometry import frame, perpendicular_basis, unit
from simulator.probe import world_from_probe
from simulator.state import CArm, Needle, Probe, SimState
from simulator.transducer import PRESETS
from simulator.world import World

DISPLAY_TRIANGLES = 2_500        # per structure, after decimation
OVERLAY_ROLES = (Role.bone, Role.cartilage, Role.capsule, Role.joint_cavity, Role.bursa,
                 Role.artery, Role.vein, Role.nerve)
NEEDLE_RADIUS_MM = 1.2            # drawn a little thicker than 22 G so it shows at a distance
BACKGROUND = (0.11, 0.12, 0.14)


@dataclass(frozen=True)
class Camera:
    """Orbit camera around the scene centre, as if standing beside the supine patient.

    ``azimuth_deg``: 0 = from the injected side, positive = toward the feet; ``elevation_deg``:
    height above the table plane (90 = straight down from the ceiling); ``distance_mm``.
    Anterior (the ceiling) is up on screen.
    """

    azimuth_deg: float = 35.0
    elevation_deg: float = 40.0
    distance_mm: float = 650.0

    def orbit(self, d_azimuth: float, d_elevation: float) -> Camera:
        return Camera((self.azimuth_deg + d_azimuth) % 360.0,
                      float(np.clip(self.elevation_deg + d_elevation, -85.0, 85.0)),
                      self.distance_mm)

    def zoom(self, factor: float) -> Camera:
        return Camera(self.azimuth_deg, self.elevation_deg,
                      float(np.clip(self.distance_mm * factor, 120.0, 2500.0)))


def _table_axes(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Patient-frame directions of the ceiling and of the room side the camera starts on."""
    lateral = np.array([world.side_sign, 0.0, 0.0])
    anterior = np.array([0.0, 1.0, 0.0])
    position = world.scenario.patient_position
    if position == "prone":
        return -anterior, lateral
    if position == "lateral_decubitus":  # lying on the other side: injected side up
        return lateral, -anterior
    return anterior, lateral


def default_camera(world: World) -> Camera:
    """From the front and the injected side, far enough to see the patient."""
    skin = [s.vertices for s in world.anatomy.structures if s.role is Role.skin]
    points = np.vstack(skin) if skin else np.vstack([s.vertices for s in
                                                     world.anatomy.structures])
    extent = float(np.linalg.norm(points.max(axis=0) - points.min(axis=0)))
    if world.scenario.carm is not None:  # far enough to see the detector over the patient
        extent *= 1.5
    return Camera(distance_mm=float(np.clip(1.45 * extent, 150.0, 2500.0)))


@dataclass(frozen=True)
class View:
    """What to draw: the tools' poses, the camera and whether anatomy overlays are shown.

    Holds only what the picture depends on, so equal views need no new render.
    """

    needle: Needle
    probe: Probe | None
    carm: CArm | None
    camera: Camera = Camera()
    overlays: bool = False

    @classmethod
    def of(cls, state: SimState, camera: Camera = Camera(), overlays: bool = False) -> View:
        """The view of ``state``, keeping of each tool only what the 3D picture shows, so
        a change the picture does not show (depth, gain, Doppler, probe pressure, the
        needle's bevel or tenting, the C-arm's pulse clock or dose mode) renders nothing."""
        p, n, c = state.probe, state.needle, state.carm
        if p is not None:
            p = Probe(p.contact_mm, p.normal, p.rotation_rad, p.tilt_rad, rock_rad=p.rock_rad)
        n = Needle(n.entry_mm, n.direction, n.depth_mm, n.in_skin,
                   tip_label=n.tip_label if overlays else 0)
        if c is not None:
            c = replace(c, pulse_clock_s=0.0, low_dose=False)
        return cls(n, p, c, camera, overlays)


def _polydata(vertices, faces):
    import pyvista as pv

    f = np.hstack([np.full((len(faces), 1), 3, np.int64), np.asarray(faces, np.int64)])
    return pv.PolyData(np.asarray(vertices, float), f.ravel())


def _display_mesh(structure):
    mesh = _polydata(structure.vertices, structure.faces)
    n = mesh.n_cells
    if n > DISPLAY_TRIANGLES:
        mesh = mesh.decimate(1.0 - DISPLAY_TRIANGLES / n)
    return mesh.compute_normals(auto_orient_normals=False, split_vertices=False)


def _color(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))


class Scene3D:
    """Off-screen PyVista scene of one world. Not thread-safe: use from one thread."""

    def __init__(self, world: World, size: tuple[int, int] = (640, 400), *,
                 allow_overlays: bool = True):
        import pyvista as pv
        from vtkmodules.vtkCommonCore import vtkLogger

        # headless VTK tries X first and warns before falling back to EGL: not for users
        vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)
        self.world = world
        self.size = size
        self.allow_overlays = allow_overlays
        self.plotter = pv.Plotter(off_screen=True, window_size=list(size), lighting="three lights")
        # no multisampling: 8x MSAA (pyvista's default) multiplies the cost of software GL
        self.plotter.disable_anti_aliasing()
        self.plotter.ren_win.SetMultiSamples(0)
        self.plotter.set_background(BACKGROUND)
        self._actors: dict[str, object] = {}
        self._overlay_actors: list = []
        self._build()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        w, p = self.world, self.plotter
        targets = {t.structure for t in w.scenario.targets}
        dangers = {d.structure for d in w.scenario.dangers}
        skin = [s for s in w.anatomy.structures if s.role is Role.skin]
        for s in skin:
            self._actors[f"skin:{s.name}"] = p.add_mesh(
                _display_mesh(s), color=_color(s.entry.color), smooth_shading=True,
                specular=0.15, name=f"skin:{s.name}")
        if self.allow_overlays:
            for s in w.anatomy.structures:
                if s.role not in OVERLAY_ROLES and s.name not in targets | dangers:
                    continue
                if s.tissue.key == "cancellous_bone":
                    continue  # marrow: hidden inside the cortical shell anyway
                color = _color(s.entry.color)
                # opaque but for the capsule (the recess shows through it): translucent
                # surfaces are what software GL pays for most
                opacity = 0.45 if s.role is Role.capsule else 1.0
                if s.name in targets:
                    color = (0.15, 0.85, 0.35)
                actor = p.add_mesh(_display_mesh(s), color=color, opacity=opacity,
                                   smooth_shading=True, name=f"anat:{s.name}")
                actor.SetVisibility(False)
                self._overlay_actors.append(actor)
        if self.allow_overlays:
            self._add_entry_zone()
            self._add_target_marker()
        self._add_probe()
        self._add_needle()
        self._add_carm()
        centre = np.asarray(w.target_point, float)
        self.centre = centre
        p.camera.focal_point = tuple(centre)

    def _add_entry_zone(self) -> None:
        """Where the scenario lets the needle enter: a ring on the skin (learning mode)."""
        import pyvista as pv

        w = self.world
        centre = np.asarray(w.entry_centre, float)
        outward = unit(centre - np.asarray(w.target_point, float))
        hit = w.skin_near(centre, outward)
        if hit is None:
            return
        ring = pv.Disc(center=hit.point + hit.normal * 1.5, inner=w.scenario.entry_zone.radius_mm
                       - 2.5, outer=w.scenario.entry_zone.radius_mm, normal=hit.normal,
                       c_res=96)
        actor = self.plotter.add_mesh(ring, color=(0.3, 0.9, 0.5), opacity=0.8,
                                      name="entry_zone")
        actor.SetVisibility(False)
        self._overlay_actors.append(actor)

    def _add_target_marker(self) -> None:
        """The ideal tip position: a sphere the size of the target's tolerance (inside the
        target structure, so the app also rings it on top: :meth:`target_on_image`)."""
        import pyvista as pv

        w = self.world
        marker = pv.Sphere(radius=max(w.scenario.targets[0].tolerance_mm, 2.0),
                           center=tuple(np.asarray(w.target_point, float)))
        actor = self.plotter.add_mesh(marker, color=(0.7, 1.0, 0.2), name="target_marker")
        actor.SetVisibility(False)
        self._overlay_actors.append(actor)

    def _add_probe(self) -> None:
        import pyvista as pv

        if self.world.scenario.probe is None:
            return
        preset = PRESETS[self.world.scenario.probe.preset]
        length = preset.aperture_mm
        # probe frame: x long axis, y elevation, z into the body; the body sits above the skin
        body = pv.Box(bounds=(-length / 2, length / 2, -7.0, 7.0, -70.0, -2.0))
        face = pv.Box(bounds=(-length / 2 - 1, length / 2 + 1, -8.0, 8.0, -2.0, 0.0))
        self._actors["probe"] = self.plotter.add_mesh(body, color=(0.85, 0.86, 0.9),
                                                      smooth_shading=False, name="probe")
        self._actors["probe_face"] = self.plotter.add_mesh(face, color=(0.2, 0.45, 0.9),
                                                           name="probe_face")
        # the imaging plane, for learning mode
        depth = 150.0
        half = math.radians(35.0) if preset.kind == "curvilinear" else 0.0
        pts = [(-length / 2, 0.0, 0.0), (length / 2, 0.0, 0.0),
               (length / 2 + depth * math.sin(half), 0.0, depth),
               (-length / 2 - depth * math.sin(half), 0.0, depth)]
        plane = pv.PolyData(np.array(pts, float), np.array([4, 0, 1, 2, 3]))
        actor = self.plotter.add_mesh(plane, color=(0.3, 0.6, 1.0), opacity=0.18,
                                      name="us_plane")
        actor.SetVisibility(False)
        self._actors["us_plane"] = actor

    def _add_needle(self) -> None:
        import pyvista as pv

        length = self.world.scenario.needle.length_mm
        # needle frame: z from the hub (z = 0) to the tip (z = length)
        shaft = pv.Cylinder(center=(0, 0, length / 2), direction=(0, 0, 1),
                            radius=NEEDLE_RADIUS_MM, height=length, resolution=12)
        hub = pv.Cylinder(center=(0, 0, -6.0), direction=(0, 0, 1), radius=3.0, height=12.0,
                          resolution=16)
        self._actors["needle"] = self.plotter.add_mesh(shaft, color=(0.92, 0.92, 0.95),
                                                       specular=0.8, name="needle")
        self._actors["hub"] = self.plotter.add_mesh(hub, color=(0.95, 0.75, 0.1), name="hub")
        tip = pv.Sphere(radius=2.0, center=(0, 0, 0))
        self._actors["tip"] = self.plotter.add_mesh(tip, color=(1.0, 0.3, 0.2), name="tip")
        if self.allow_overlays:  # learning mode, before the puncture: where it would go
            path = pv.Line((0.0, 0.0, 0.0), (0.0, 0.0, length), resolution=1)
            self._actors["path"] = self.plotter.add_mesh(path, color=(1.0, 0.85, 0.3),
                                                         line_width=3, name="path")

    def _add_carm(self) -> None:
        import pyvista as pv

        spec = self.world.scenario.carm
        if spec is None:
            return
        sid, det = spec.source_to_detector_mm, spec.detector_mm
        # C-arm frame: origin at the focal spot, z along the beam, x = detector u, y = v
        tube = pv.Box(bounds=(-80, 80, -80, 80, -130.0, -10.0))
        panel = pv.Box(bounds=(-det / 2 - 20, det / 2 + 20, -det / 2 - 20, det / 2 + 20,
                               sid, sid + 40.0))
        r = sid / 2 + 100.0
        angles = np.linspace(-math.pi / 2, math.pi / 2, 40)
        arc = np.c_[np.zeros_like(angles), -(r * np.cos(angles)) - det / 2 - 40.0,
                    sid / 2 + r * np.sin(angles)]
        arc[0, 2], arc[-1, 2] = -70.0, sid + 20.0
        c = pv.Spline(arc, 60).tube(radius=30.0, n_sides=12)
        for name, mesh, opacity in (("carm_source", tube, 0.8), ("carm_detector", panel, 0.45),
                                    ("carm_arc", c, 0.3)):
            self._actors[name] = self.plotter.add_mesh(mesh, color=(0.78, 0.8, 0.84),
                                                       opacity=opacity, name=name)
        self._beam_field = None

    def _beam(self, field_mm: float) -> None:
        """The X-ray beam: a pyramid from the focal spot to the collimated field."""
        import pyvista as pv

        if self._beam_field == field_mm:
            return
        sid = self.world.scenario.carm.source_to_detector_mm
        h = field_mm / 2
        pts = np.array([(0, 0, 0), (-h, -h, sid), (h, -h, sid), (h, h, sid), (-h, h, sid)],
                       float)
        faces = np.array([3, 0, 1, 2, 3, 0, 2, 3, 3, 0, 3, 4, 3, 0, 4, 1])
        self._actors["carm_beam"] = self.plotter.add_mesh(
            pv.PolyData(pts, faces), color=(1.0, 0.9, 0.4), opacity=0.12, name="carm_beam")
        self._beam_field = field_mm

    # -- updating ---------------------------------------------------------------------------
    def _place(self, name: str, matrix: np.ndarray | None) -> None:
        actor = self._actors.get(name)
        if actor is None:
            return
        if matrix is None:
            actor.SetVisibility(False)
            return
        actor.SetVisibility(True)
        actor.user_matrix = matrix

    def update(self, view: View) -> None:
        w, s = self.world, view
        overlays = view.overlays and self.allow_overlays
        for actor in self._overlay_actors:
            actor.SetVisibility(overlays)
        for name, actor in self._actors.items():
            if name.startswith("skin:"):
                actor.GetProperty().SetOpacity(0.25 if overlays else 1.0)
        if s.probe is not None:
            m = world_from_probe(w, s.probe)
            self._place("probe", m)
            self._place("probe_face", m)
            self._place("us_plane", m if overlays else None)
        n = s.needle
        if n.entry_mm is None:
            for name in ("needle", "hub", "tip", "path"):
                self._place(name, None)
        else:
            d = np.asarray(n.direction, float)
            tip = np.asarray(n.tip_mm, float)
            hub = tip - d * w.scenario.needle.length_mm
            a, b = perpendicular_basis(d)
            m = frame(hub, a, b, d)
            self._place("needle", m)
            self._place("hub", m)
            self._place("tip", frame(tip, a, b, d) if overlays else None)
            self._place("path", frame(tip, a, b, d) if overlays and not n.in_skin else None)
            if overlays:  # the tip takes the colour of the tissue it is in
                label = n.tip_label
                color = _color(w.anatomy.structures[label - 1].entry.color) if label \
                    else (1.0, 0.3, 0.2)
                self._actors["tip"].GetProperty().SetColor(color)
        if s.carm is not None:
            g = carm_model.geometry(w, s.carm, w.scenario.carm)
            # (u, v, beam) is left-handed (image rows run to the feet): flip v for a rotation
            m = frame(g.source_mm, g.detector_u, -g.detector_v, g.beam)
            self._beam(min(s.carm.field_mm, w.scenario.carm.detector_mm))
            for name in ("carm_source", "carm_detector", "carm_arc", "carm_beam"):
                self._place(name, m)
            beam = self._actors["carm_beam"].GetProperty()
            beam.SetOpacity(0.3 if s.carm.beam_on else 0.1)
        cam = view.camera
        az, el = math.radians(cam.azimuth_deg), math.radians(cam.elevation_deg)
        # in the table's frame (ceiling up, injected side toward the viewer), then into the
        # patient's: prone patients face the table, lateral decubitus ones lie on their side
        table = np.array([math.cos(el) * math.cos(az), math.sin(el), -math.cos(el) * math.sin(az)])
        ceiling, side = _table_axes(w)
        offset = table[0] * side + table[1] * ceiling + table[2] * np.array([0.0, 0.0, 1.0])
        up = ceiling if abs(table[1]) < 0.98 else np.array([0.0, 0.0, 1.0])
        pc = self.plotter.camera
        pc.focal_point = tuple(self.centre)
        pc.position = tuple(self.centre + unit(offset) * cam.distance_mm)
        pc.up = tuple(up)
        pc.clipping_range = (10.0, cam.distance_mm + 3000.0)

    def resize(self, size: tuple[int, int]) -> None:
        """Render at another resolution from now on (the app scales the image up)."""
        if tuple(size) != tuple(self.size):
            self.size = tuple(size)
            self.plotter.window_size = list(size)

    def render(self, view: View) -> np.ndarray:
        """``(h, w, 3) uint8`` image of the view."""
        self.update(view)
        self.plotter.render()
        return self.plotter.screenshot(return_img=True)

    def target_on_image(self) -> tuple[float, float] | None:
        """Where the target lies on the last rendered image, as fractions ``(x, y)`` of its
        width and height from the top left; ``None`` if it is behind the camera."""
        r = self.plotter.renderer
        r.SetWorldPoint(*np.asarray(self.world.target_point, float), 1.0)
        r.WorldToDisplay()
        x, y, z = r.GetDisplayPoint()
        if not 0.0 <= z <= 1.0:
            return None
        w, h = self.size
        return x / w, 1.0 - y / h

    def close(self) -> None:
        self.plotter.close()
