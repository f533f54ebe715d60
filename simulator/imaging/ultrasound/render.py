"""``render_ultrasound``: the B-mode image of a simulation state (pure, cached statics).

Pipeline (Buerger-style convolution ray tracing, on 2 CPU cores):

1. slice the anatomy with the elevation sub-surfaces and intersect the scanlines
   (``slicing``; only the triangles near the slab are visited) - depends on the probe pose
   only;
2. walk the lines: tissue, attenuation, interface echoes, injectate (``lines``,
   ``injectate``) and splat the world-anchored scatterers (``speckle``) - depends on the
   pose and the injectate; the scatterers, attenuated at their own depth, summed over the
   sub-surfaces and spread by the axial pulse, plus the echoes, are the "static" buffer,
   cached;
3. per frame: the needle's shadow, echoes and comet tail (``needle``), the microbubble
   swirl at the tip while injecting (``bubbles``), the lateral PSF,
   envelope with receiver noise from ``(seed, tick)``, gain/TGC/log compression
   (``display``) and scan conversion (``scanconvert``).

A needle or gain change costs step 3 only (a few ms); a new probe pose costs steps 1-3,
dominated by the scatterers. ``detail="moving"`` draws them from a coarser lattice for the
frames of a moving probe (about an eighth of the lattice points to visit); a live view renders
full detail again once the probe rests (``simulator.app.imaging``).

Nothing is stored in the state and the inputs are not modified; caches hold read-only
arrays keyed by the world object, the probe pose/settings, the detail and the injectate
field.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulator.geometry import invert
from simulator.imaging.ultrasound import (
    bubbles,
    display,
    lines,
    needle,
    scanconvert,
    slicing,
    speckle,
)
from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.doppler import DopplerFrame, colour_view, vessel_view
from simulator.imaging.ultrasound.injectate import fluid_fraction
from simulator.imaging.ultrasound.scan import (
    ScanGeometry,
    rocked_geometry,
    scan_geometry,
    subplane_weights,
)
from simulator.probe import world_from_probe
from simulator.spread import injectate_field
from simulator.state import Probe, SimState
from simulator.tissues import TISSUES
from simulator.world import World


@dataclass(frozen=True, eq=False)
class UltrasoundFrame:
    """One B-mode frame.

    Attributes
    ----------
    image : (rows, cols) uint8
        Scan-converted display image (sector for a curvilinear probe).
    envelope : (n_lines, n_samples) float32
        Linear echo envelope before gain, TGC and log compression (1 = a perfect mirror at
        normal incidence with no attenuation).
    grey : (n_lines, n_samples) float32
        Display grey levels (0..255) before scan conversion.
    label : (n_lines, n_samples) uint8
        Structure label on the central elevation plane at each sample (0 = outside).
    pixel_mm : float
        Square pixel spacing of ``image``.
    world_from_image : (4, 4) float64
        Maps ``(col, row, 0, 1)`` of ``image`` to world RAS mm. Exact wherever the face
        touches the skin; under the ends of a curved face, where the tissue is taken as
        pressed against it, the top ``CONTACT_DEPTH_MM`` are slightly stretched. Under the
        lifted part of a rocked probe's face the lines are shifted by their contact shift
        (``geometry.line_shift_mm``): ``pixel_of`` and ``world_of`` include it.
    world_from_probe : (4, 4) float64
    geometry : ScanGeometry
        The scan geometry, with the contact shift of a rocked probe
        (``scan.rocked_geometry``); ``geometry.unshifted`` is the screen layout.
    gain_db : (n_samples,) float64
        Gain + built-in TGC + user TGC applied at each depth.
    probe : Probe
    seed, tick : int
    detail : str
        ``"full"``, or ``"moving"`` for the low-detail frame of a moving probe.
    doppler : DopplerFrame or None
        The colour / power Doppler view (``image`` as RGB with the colour box), when the
        probe's Doppler is on. ``label`` and ``grey`` show veins squashed by the probe
        pressure and arteries pulsing (``vessel_view``).
    """

    image: np.ndarray
    envelope: np.ndarray
    grey: np.ndarray
    label: np.ndarray
    pixel_mm: float
    world_from_image: np.ndarray
    world_from_probe: np.ndarray
    geometry: ScanGeometry
    gain_db: np.ndarray
    probe: Probe
    seed: int
    tick: int
    detail: str = "full"
    doppler: DopplerFrame | None = None

    def pixel_of(self, points_mm) -> np.ndarray:
        """``(col, row)`` image coordinates ``(n, 2)`` of world points ``(n, 3)`` (where the
        image shows them: with the contact shift of a rocked probe)."""
        p = np.asarray(points_mm, float).reshape(-1, 3)
        if self.geometry.base is not None:   # to the unshifted place the image shows it at
            probe_from_world = np.linalg.inv(self.world_from_probe)
            line, depth = self.geometry.line_coords(p @ probe_from_world[:3, :3].T
                                                    + probe_from_world[:3, 3])
            p = self.geometry.base.points(line, depth) @ self.world_from_probe[:3, :3].T \
                + self.world_from_probe[:3, 3]
        image_from_world = np.linalg.inv(self.world_from_image)
        q = p @ image_from_world[:3, :3].T + image_from_world[:3, 3]
        return q[:, :2]

    def world_of(self, cols, rows) -> np.ndarray:
        """World points ``(n, 3)`` of image coordinates (the inverse of ``pixel_of``)."""
        c = np.asarray(cols, float).ravel()
        r = np.asarray(rows, float).ravel()
        q = np.stack([c, r, np.zeros_like(c), np.ones_like(c)], 1)
        p = (q @ self.world_from_image.T)[:, :3]
        if self.geometry.base is None:
            return p
        probe_from_world = np.linalg.inv(self.world_from_probe)
        line, depth = self.geometry.base.line_coords(p @ probe_from_world[:3, :3].T
                                                     + probe_from_world[:3, 3])
        return self.geometry.points(line, depth) @ self.world_from_probe[:3, :3].T \
            + self.world_from_probe[:3, 3]


@dataclass(frozen=True, eq=False)
class _Static:
    geom: ScanGeometry       # with the pose's contact shift (``lines.settle_on_skin``)
    rf: np.ndarray           # (n_lines, n_samples) complex64: speckle + echoes, axial PSF done
    attenuation: np.ndarray  # (n_lines, n_samples) float32, elevation-weighted, for the needle
    maps: lines.LineMaps


@dataclass(eq=False)
class _Pose:
    world: World
    geom: ScanGeometry
    hits: slicing.Hits
    gap: np.ndarray          # (n_lines,) contact gaps (left after the contact shift)
    speckle: np.ndarray      # (K, n_lines, n_samples) complex64: raw scatterers, no PSF yet
    _maps: lines.LineMaps | None = None
    _static: _Static | None = None

    @property
    def maps(self) -> lines.LineMaps:
        """Tissue maps without injectate (walked when first needed: a pose first seen with
        injectate in view was walked with it)."""
        if self._maps is None:
            maps = _walk(self.world, self.geom, self.hits, self.gap, None)
            _freeze(maps.label, maps.attenuation, maps.echoes)
            self._maps = maps
        return self._maps

    @property
    def static(self) -> _Static:
        """The image without injectate (made when first needed)."""
        if self._static is None:
            self._static = _combine(self.geom, self.speckle, self.maps, self.maps.attenuation,
                                    0, self.geom.n_lines - 1)
        return self._static


DETAIL_COARSEN = {"full": 0, "moving": P.MOVING_LATTICE_STEPS}


def render_ultrasound(world: World, state: SimState, *, seed: int = 0, tick: int | None = None,
                      dynamic_range_db: float = P.DYNAMIC_RANGE_DB,
                      image_shape: tuple[int, int] = P.IMAGE_SHAPE,
                      detail: str = "full") -> UltrasoundFrame:
    """Render the B-mode image the probe in ``state`` shows.

    Parameters
    ----------
    seed : int
        Seeds the scatterer field and the receiver noise.
    tick : int, optional
        Frame index for the receiver noise (default ``state.tick``).
    dynamic_range_db : float
        Log-compression window.
    image_shape : (rows, cols)
        Size of the scan-converted image.
    detail : ``"full"`` or ``"moving"``
        ``"moving"`` is the low-detail frame of a probe in motion: the same anatomy, echoes,
        needle, PSF and display, with the world-anchored scatterers drawn from a coarser
        lattice (``params.MOVING_LATTICE_STEPS``), so a new pose visits about an eighth of the
        lattice points. A live view shows it while the probe moves and renders ``"full"`` once
        the probe stops (what the app does).
    """
    probe = state.probe
    if probe is None:
        raise ValueError("this state has no ultrasound probe (the scenario does not use one)")
    if detail not in DETAIL_COARSEN:
        raise ValueError(f"detail must be one of {sorted(DETAIL_COARSEN)}, not {detail!r}")
    tick = state.tick if tick is None else int(tick)
    preset = world.scenario.probe.preset
    key = pose_key(probe)
    field = injectate_field(world, state)
    static = _static(world, preset, key, field, int(seed), DETAIL_COARSEN[detail])
    geom = static.geom
    wfp = _world_from_probe(world, key)
    rf = static.rf.copy()
    n = state.needle
    if n.entry_mm is not None and n.depth_mm > 0.0:
        needle.add_needle(rf, geom, invert(wfp), n.entry_mm, n.direction, n.depth_mm,
                          world.scenario.needle.gauge, static.maps.gap_mm,
                          static.attenuation, display.pulse_sigma(geom))
    if state.injecting and n.in_skin:
        bubbles.add_bubbles(rf, geom, invert(wfp), field, n.tip_mm, int(seed), tick,
                            static.maps.gap_mm, static.attenuation, display.pulse_sigma(geom))
    rf = display.convolve_lateral(rf, display.kernels(geom.unshifted))
    env = display.envelope(rf, seed, tick)
    gain = display.gain_curve_db(geom, probe.gain_db, probe.tgc_db)
    grey = display.log_compress(env, gain, dynamic_range_db)
    k_mid = len(P.SUBPLANE_U) // 2
    time_s = tick * world.dt_s
    label, grey, vessels = vessel_view(world, probe, geom, static.maps.label[k_mid],
                                       grey, wfp, time_s)
    sc = scanconvert.scan_conversion(geom, tuple(image_shape))
    image = scanconvert.convert(grey, sc)
    colour = colour_view(probe, geom, label, grey, vessels, wfp, sc, image, time_s,
                         int(seed), tick)
    return UltrasoundFrame(image, env, grey, label, sc.pixel_mm, wfp @ sc.probe_from_image,
                           wfp, geom, gain, probe, int(seed), tick, detail, colour)


def pose_key(probe: Probe) -> tuple:
    """What of the probe decides the anatomy in the image (pose, depth, frequency, focus):
    frames with equal keys share the per-pose work; gain and TGC are applied per frame."""
    return (tuple(probe.contact_mm), tuple(probe.normal), float(probe.rotation_rad),
            float(probe.tilt_rad), float(probe.depth_mm), float(probe.frequency_mhz),
            float(probe.focus_mm), float(probe.rock_rad))


def _geometry(preset: str, key: tuple) -> ScanGeometry:
    """The scan geometry of a pose key, with the contact shift of its rock."""
    return rocked_geometry(scan_geometry(preset, key[4], key[5], key[6]), key[7])


def _world_from_probe(world: World, key: tuple) -> np.ndarray:
    return world_from_probe(world, Probe(key[0], key[1], key[2], key[3], rock_rad=key[7]))


_POSES: OrderedDict = OrderedDict()
_POSES_LOCK = threading.Lock()
POSE_CACHE = 4   # probe poses kept (each ~15 MB)


def clear_cache() -> None:
    """Forget the per-pose work (tests, benchmarks)."""
    with _POSES_LOCK:
        _POSES.clear()
    _static.cache_clear()


def _pose(world: World, preset: str, key: tuple, seed: int, coarsen: int,
          field=None) -> tuple[_Pose, _Static | None]:
    """What depends on the probe pose only: crossings, scatterer buffers (memoised).

    A pose seen for the first time with injected fluid in view is walked once, with the
    fluid, and the image of that walk is returned too (else ``None``)."""
    ck = (world, preset, key, seed, coarsen)
    with _POSES_LOCK:
        pose = _POSES.get(ck)
    if pose is not None:
        return pose, None
    geom = _geometry(preset, key)
    wfp = _world_from_probe(world, key)
    pfw = invert(wfp)
    hits, geom = lines.settle_on_skin(slicing.slice_scene(slicing.mesh_arrays(world), pfw, geom),
                                      geom)
    gap = lines.contact_gaps(hits)
    ff, touched = fluid_fraction(field, geom, wfp, gap) if field is not None else (None, None)
    maps = _walk(world, geom, hits, gap, ff if touched is not None else None)
    table = P.label_table(world)
    k = display.kernels(geom.unshifted)
    scale = speckle.row_scale(geom, k.axial_power, k.lateral_power, coarsen)
    raw = speckle.speckle_rf(geom, maps, pfw, table.scatter_density,
                             _amplitudes(table, geom, wfp, hits), scale, seed, table.septa,
                             table.septa_axes, table.lobules, coarsen)
    _freeze(raw, gap, maps.label, maps.attenuation, maps.echoes)
    pose = _Pose(world, geom, hits, gap, raw, maps if touched is None else None)
    with _POSES_LOCK:
        _POSES[ck] = pose
        while len(_POSES) > POSE_CACHE:
            _POSES.popitem(last=False)
    if touched is None:
        return pose, None
    return pose, _combine(geom, raw, maps, maps.attenuation * (1.0 - ff), 0, geom.n_lines - 1)


@lru_cache(maxsize=4)
def _static(world: World, preset: str, key: tuple, field, seed: int,
            coarsen: int = 0) -> _Static:
    """Everything but the needle: the pose's buffers, attenuated, with the injectate."""
    pose, fresh = _pose(world, preset, key, seed, coarsen, field)
    geom = pose.geom
    if fresh is not None:
        return fresh
    if field is None:
        return pose.static
    ff, touched = fluid_fraction(field, geom, _world_from_probe(world, key), pose.gap)
    if touched is None:
        return pose.static
    first, last = touched
    maps = _walk(world, geom, pose.hits, pose.gap, ff, (first, last), pose.maps)
    gain = maps.attenuation[:, first:last + 1] * (1.0 - ff[:, first:last + 1])
    if first == 0 and last == geom.n_lines - 1:  # every line redone: no base needed
        return _combine(geom, pose.speckle, maps, gain, first, last)
    return _combine(geom, pose.speckle, maps, gain, first, last, pose.static)


def _combine(geom: ScanGeometry, raw, maps, gain, first, last,
             base: _Static | None = None) -> _Static:
    """Attenuated speckle of lines ``first..last`` plus echoes (other lines from ``base``).
    ``gain`` holds those lines only: ``(K, last - first + 1, n_samples)``."""
    if base is None:
        rf = np.empty(maps.echoes.shape, np.complex64)
        att = np.empty(maps.echoes.shape, np.float32)
    else:
        rf, att = base.rf.copy(), base.attenuation.copy()
    display.attenuated_speckle(raw, np.ascontiguousarray(gain, np.float32),
                               subplane_weights(), maps.echoes, display.kernels(geom.unshifted),
                               first,
                               last, rf, att, maps.attenuation)
    _freeze(rf, att)
    return _Static(geom, rf, att, maps)


def _walk(world: World, geom: ScanGeometry, hits, gap, ff, touched=None,
          base=None) -> lines.LineMaps:
    table = P.label_table(world)
    water = TISSUES["injectate"].acoustic
    return lines.walk_lines(hits, gap, geom.depth_mm, geom.dz_mm, geom.frequency_mhz,
                            subplane_weights(), table.impedance_mrayl, table.alpha_db_cm_mhz,
                            table.tissue_id, table.diffuse, ff, water.impedance_mrayl,
                            water.attenuation_db_cm_mhz, display.pulse_sigma(geom),
                            geom.elevation_args(), touched, base)


def _freeze(*arrays) -> None:
    for a in arrays:
        a.setflags(write=False)


ANISOTROPY_FLOOR = 10 ** (-30 / 20)


def _amplitudes(table, geom: ScanGeometry, wfp: np.ndarray, hits: slicing.Hits) -> np.ndarray:
    """Scatter amplitude per label and line ``(n_labels, n_lines)``: tissue amplitude,
    normalised for its scatterer density, times fibre anisotropy along each line.

    The fibres of a tendon, ligament or capsule lie in its sheet, following its course: on
    a line that enters the sheet at incidence ``theta`` to its surface normal the angle
    between beam and fibres is at least ``90 deg - theta``, whatever the structure's overall
    fibre direction says (a curved cuff tendon under a probe square to it is bright)."""
    mu0 = table.scatter_density
    base = np.where(mu0 > 0, table.scatter_amplitude / np.sqrt(np.maximum(mu0, 0.02)), 0.0)
    u_world = geom.line_directions() @ wfp[:3, :3].T          # (n_lines, 3)
    cos_f = np.abs(table.fibre @ u_world.T)                    # (n_labels, n_lines)
    sin2_in = _smooth_across_lines(_sin2_incidence(hits, len(base)), geom,
                                   table.anisotropy > 0)       # (n_labels, n_lines)
    cos2 = np.minimum(cos_f ** 2, sin2_in)
    aniso = np.power(np.clip(1.0 - cos2, 0.0, 1.0), table.anisotropy[:, None] / 2.0)
    # fibrillar tissue never goes fully dark: tendon's peak-to-nadir is ~36 dB (Hoffmeister)
    aniso = np.maximum(aniso, np.where(table.anisotropy[:, None] > 0, ANISOTROPY_FLOOR, 0.0))
    return base[:, None] * aniso


# The meshes are faceted; real tendon sheets are smooth. With the steep tendon exponent a few
# degrees between neighbouring facets showed as hard-edged bright and dark columns, so the
# incidence is averaged across the lines that enter the sheet over about this width (sigma).
SHEET_SMOOTH_MM = 0.75


def _smooth_across_lines(sin2: np.ndarray, geom: ScanGeometry, rows: np.ndarray) -> np.ndarray:
    """``sin2`` ``(n_labels, n_lines)`` (1 where a line does not enter the label) averaged
    along the lines with a Gaussian of ``SHEET_SMOOTH_MM``, only over the lines that enter
    the label, for the labels in ``rows`` ``(n_labels,) bool``."""
    from scipy.ndimage import gaussian_filter1d

    mm_per_line = geom.line_step * (geom.radius_mm + float(geom.depth_mm.mean())
                                    if geom.curved else 1.0)
    sigma = SHEET_SMOOTH_MM / mm_per_line
    out = sin2.copy()
    entered = sin2[rows] < 1.0
    weight = gaussian_filter1d(entered.astype(float), sigma, axis=1, mode="constant")
    total = gaussian_filter1d(np.where(entered, sin2[rows], 0.0), sigma, axis=1, mode="constant")
    out[rows] = np.where(entered, total / np.maximum(weight, 1e-9), 1.0)
    return out


def _sin2_incidence(hits: slicing.Hits, n_labels: int) -> np.ndarray:
    """``sin^2`` of the incidence angle where each line first enters each label on the
    central sub-surface ``(n_labels, n_lines)`` (1 where it does not enter it)."""
    k = hits.count.shape[0] // 2
    n_lines, max_hits = hits.count.shape[1], hits.label.shape[2]
    valid = hits.entering[k] & (np.arange(max_hits)[None, :] < hits.count[k][:, None])
    line, m = np.nonzero(valid)                                # line-major, shallow first
    lab = hits.label[k][line, m]
    out = np.ones((n_labels, n_lines))
    key, first = np.unique(lab.astype(np.int64) * n_lines + line, return_index=True)
    c = hits.cos[k][line[first], m[first]]
    out[key // n_lines, key % n_lines] = 1.0 - c * c
    return out


__all__ = ["UltrasoundFrame", "render_ultrasound"]
