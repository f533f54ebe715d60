"""Colour and power Doppler inside the colour box, on the frame's line grid.

What a scanner's colour Doppler shows, as a function of the probe's settings
(``Probe.doppler_mode``, the box, ``doppler_scale_cm_s``, ``doppler_gain_db``,
``wall_filter_cm_s``) and of session time (``simulator.imaging.ultrasound.flow``):

- Only inside the box, whose samples are the frame's own line grid (``(n_lines,
  n_samples)``): the flow velocity of each vessel sample from its distance to the vessel
  axis (blunted parabolic profile), projected on the beam: ``v cos(theta)``, positive toward
  the probe. A beam at 90 degrees to the flow sees no shift and so no colour.
- Colour mode measures the mean Doppler frequency with pulse pairs at the PRF, so the
  velocity wraps beyond the Nyquist velocity (the scale): ``v`` shows as
  ``v - 2 k v_N`` (aliasing). The scale sets the PRF (``PRF = 4 f0 v_N / c``) and cannot
  exceed what the box's deepest sample allows (``PRF <= c / 2 d``).
- The wall filter is a high-pass on the Doppler frequency: samples whose measured
  (aliased) velocity is below it show no colour.
- Colour gain: the blood signal, attenuated on the way to the sample and back, must stand
  above the noise floor; above ``BLOOM_ONSET_DB`` colour spreads beyond the lumen into
  the tissue around it (blooming), above ``NOISE_ONSET_DB`` random colour speckle appears
  in the box (from ``(seed, tick)``).
- Write priority: colour replaces grey only where the B-mode grey is below
  ``PRIORITY_GREY`` (bright walls and bone stay grey).
- Power mode shows the amplitude (no direction, no aliasing, 6 dB more sensitive) in an
  amber map.

Then the box is scan-converted into an RGB copy of the frame's image with its outline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
from scipy import ndimage

from simulator.imaging.ultrasound import doppler_colours as colours
from simulator.imaging.ultrasound import flow
from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.state import Probe
from simulator.world import World

MODES = {1: "colour", 2: "power"}
C_CM_S = 154_000.0              # speed of sound the scanner assumes
BLOOD_SNR_DB = 32.0             # blood echo over the colour noise floor at the face, 0 dB gain
ALPHA_DB_CM_MHZ = 0.5           # soft-tissue attenuation (one way) on the Doppler path
POWER_SENSITIVITY_DB = 6.0      # power Doppler's gain over colour (no phase estimate)
PRIORITY_GREY = 170.0           # colour is written only over grey below this (0..255)
BLOOM_ONSET_DB = 6.0            # colour gain above which colour spreads beyond the lumen
BLOOM_MM_PER_DB = 0.12          # (+18 dB: colour 1.4 mm past the wall)
NOISE_ONSET_DB = 10.0           # colour gain above which noise colours the box
NOISE_FRACTION_PER_DB = 0.012   # share of box samples coloured by noise per dB above onset
NOISE_GRAIN = (2, 3)            # noise cells, in lines x samples


@dataclass(frozen=True, eq=False)
class DopplerFrame:
    """The Doppler view of one frame.

    Attributes
    ----------
    mode : ``"colour"`` or ``"power"``
    rgb : (rows, cols, 3) uint8
        The frame's image with the colour in the box and the box outline.
    velocity_cm_s : (n_lines, n_samples) float32
        Velocity the scanner measures (aliased), positive toward the probe; 0 where no
        colour is shown.
    axial_cm_s : (n_lines, n_samples) float32
        True blood velocity along the beam toward the probe (unaliased), inside the box.
    power : (n_lines, n_samples) float32
        Shown colour strength 0..1 (0: no colour).
    shown : (n_lines, n_samples) bool
        Where colour replaced the grey.
    box : (i0, i1, j0, j1)
        First and last line and sample of the box.
    scale_cm_s, prf_khz, wall_filter_cm_s, gain_db, time_s : float
    """

    mode: str
    rgb: np.ndarray
    velocity_cm_s: np.ndarray
    axial_cm_s: np.ndarray
    power: np.ndarray
    shown: np.ndarray
    box: tuple[int, int, int, int]
    scale_cm_s: float
    prf_khz: float
    wall_filter_cm_s: float
    gain_db: float
    time_s: float


def max_scale_cm_s(depth_mm: float, frequency_mhz: float) -> float:
    """Largest Nyquist velocity with echoes from ``depth_mm`` back before the next pulse."""
    prf = C_CM_S / (2.0 * max(depth_mm, 1.0) / 10.0)
    return prf * C_CM_S / (4.0 * frequency_mhz * 1e6)


def prf_khz(scale_cm_s: float, frequency_mhz: float) -> float:
    return 4.0 * frequency_mhz * 1e6 * scale_cm_s / C_CM_S / 1000.0


def alias(velocity, scale: float):
    """What a pulse-pair estimator reads: ``velocity`` wrapped into ``[-scale, scale)``."""
    return (np.asarray(velocity) + scale) % (2.0 * scale) - scale


def box_indices(probe: Probe, geom: ScanGeometry) -> tuple[int, int, int, int]:
    """``(i0, i1, j0, j1)``: the colour box on the line grid, kept inside the image."""
    height = min(float(probe.box_height_mm), geom.max_depth_mm)
    centre = float(np.clip(probe.box_depth_mm, height / 2.0, geom.max_depth_mm - height / 2.0))
    j0 = int(np.clip(round((centre - height / 2.0) / geom.dz_mm), 0, geom.n_samples - 1))
    j1 = int(np.clip(round((centre + height / 2.0) / geom.dz_mm) - 1, j0, geom.n_samples - 1))
    line, _ = geom.line_coords(np.array([[float(probe.box_lateral_mm), 0.0, centre]]))
    spacing = float(np.interp(centre, geom.depth_mm, geom.line_spacing_mm))
    half = 0.5 * float(probe.box_width_mm) / spacing
    i0 = int(np.clip(round(line[0] - half), 0, geom.n_lines - 1))
    i1 = int(np.clip(round(line[0] + half), i0, geom.n_lines - 1))
    return i0, i1, j0, j1


def vessel_view(world: World, probe: Probe, geom: ScanGeometry, label: np.ndarray,
                grey: np.ndarray, world_from_probe: np.ndarray, time_s: float):
    """The vessels in view and the line buffers with veins squashed by the probe pressure
    and arteries pulsing: ``(label, grey, vessels)``."""
    vessels = flow.vessels_in_view(world, label, geom, world_from_probe)
    label, grey = flow.squash(label, grey, vessels, time_s, float(probe.pressure))
    return label, grey, vessels


def colour_view(probe: Probe, geom: ScanGeometry, label: np.ndarray, grey: np.ndarray,
                vessels, world_from_probe: np.ndarray, sc, image: np.ndarray, time_s: float,
                seed: int, tick: int) -> DopplerFrame | None:
    """The Doppler view of a frame (``None`` with Doppler off). ``label`` and ``grey`` are
    the frame's line buffers ``(n_lines, n_samples)`` after ``vessel_view``; ``image`` its
    scan-converted grey image."""
    mode = MODES.get(int(probe.doppler_mode))
    if mode is None:
        return None
    i0, i1, j0, j1 = box = box_indices(probe, geom)
    f_mhz = float(probe.frequency_mhz)
    scale = min(float(probe.doppler_scale_cm_s),
                max_scale_cm_s(geom.depth_mm[j1], f_mhz))
    wall = float(probe.wall_filter_cm_s)
    gain = float(probe.doppler_gain_db)
    lab = label[i0:i1 + 1, j0:j1 + 1]
    axial = _axial_velocity(lab, geom, vessels, world_from_probe, time_s, i0, j0)
    depth_cm = geom.depth_mm[j0:j1 + 1] / 10.0
    snr_db = BLOOD_SNR_DB + gain - 2.0 * ALPHA_DB_CM_MHZ * f_mhz * depth_cm   # (ns,)
    moving = axial != 0.0
    if mode == "colour":
        measured = alias(axial, scale)
        detect = moving & (np.abs(measured) > wall) & (snr_db > 0.0)[None, :]
    else:
        measured = axial
        detect = moving & (np.abs(axial) > wall) & (snr_db + POWER_SENSITIVITY_DB > 0.0)[None, :]
    strength = np.clip((snr_db + POWER_SENSITIVITY_DB) / 36.0, 0.15, 1.0)[None, :] \
        * np.clip(np.abs(axial) / max(scale, 1e-6), 0.35, 1.0)
    measured, strength, detect = _bloom(measured, strength, detect, gain, geom, j0, j1)
    measured, strength, detect = _noise(measured, strength, detect, gain, scale, seed, tick)
    shown = detect & (grey[i0:i1 + 1, j0:j1 + 1] < PRIORITY_GREY)
    full = np.zeros(label.shape, np.float32)
    out_v, out_a, out_p = full.copy(), full.copy(), full.copy()
    out_v[i0:i1 + 1, j0:j1 + 1] = np.where(shown, measured, 0.0)
    out_a[i0:i1 + 1, j0:j1 + 1] = axial
    out_p[i0:i1 + 1, j0:j1 + 1] = np.where(shown, strength, 0.0)
    out_s = np.zeros(label.shape, bool)
    out_s[i0:i1 + 1, j0:j1 + 1] = shown
    if mode == "colour":
        rgb_box = colours.velocity_rgb(out_v[i0:i1 + 1, j0:j1 + 1], scale)
    else:
        rgb_box = colours.power_rgb(out_p[i0:i1 + 1, j0:j1 + 1])
    rgb = _composite(image, grey, rgb_box, shown, box, sc, geom.unshifted)   # screen layout
    return DopplerFrame(mode, rgb, out_v, out_a, out_p, out_s, box, scale,
                        prf_khz(scale, f_mhz), wall, gain, time_s)


def _axial_velocity(lab: np.ndarray, geom: ScanGeometry, vessels, world_from_probe,
                    time_s: float, i0: int, j0: int) -> np.ndarray:
    """Blood velocity toward the probe (cm/s) at each box sample ``lab.shape``."""
    axial = np.zeros(lab.shape, np.float32)
    rot = world_from_probe[:3, :3]
    toward = -(geom.line_directions()[i0:i0 + lab.shape[0]] @ rot.T)     # (nl, 3) world
    for v in vessels:
        ii, jj = np.nonzero(lab == v.label)
        keep = (ii + i0 >= v.lines[0]) & (ii + i0 <= v.lines[1])
        ii, jj = ii[keep], jj[keep]
        if len(ii) == 0:
            continue
        pts = geom.points(ii + i0, geom.depth_mm[jj + j0]) @ rot.T + world_from_probe[:3, 3]
        rel = pts - v.centre_mm
        radial = rel - np.outer(rel @ v.flow_dir, v.flow_dir)
        r = np.linalg.norm(radial, axis=1) / v.radius_mm
        speed = v.peak_cm_s(time_s) * np.clip(1.0 - r ** flow.PROFILE_POWER, 0.0, 1.0)
        axial[ii, jj] = speed * (toward[ii] @ v.flow_dir)
    return axial


def _bloom(measured, strength, detect, gain: float, geom: ScanGeometry, j0: int, j1: int):
    """Colour spread by ``BLOOM_MM_PER_DB`` per dB of gain above the onset into the
    samples around it (each takes its nearest coloured sample's velocity, dimmer)."""
    reach_mm = (gain - BLOOM_ONSET_DB) * BLOOM_MM_PER_DB
    if reach_mm <= 0.0 or not detect.any():
        return measured, strength, detect
    spacing = float(geom.line_spacing_mm[(j0 + j1) // 2])
    dist, (ni, nj) = ndimage.distance_transform_edt(~detect, sampling=(spacing, geom.dz_mm),
                                                    return_indices=True)
    grow = (dist <= reach_mm) & ~detect
    measured = np.where(grow, measured[ni, nj], measured)
    strength = np.where(grow, 0.6 * strength[ni, nj], strength)
    return measured, strength, detect | grow


def _noise(measured, strength, detect, gain: float, scale: float, seed: int, tick: int):
    """Random colour cells in the box at high colour gain (deterministic per frame)."""
    share = (gain - NOISE_ONSET_DB) * NOISE_FRACTION_PER_DB
    if share <= 0.0:
        return measured, strength, detect
    gl, gs = NOISE_GRAIN
    shape = (-(-detect.shape[0] // gl), -(-detect.shape[1] // gs))
    rng = np.random.default_rng([int(seed), int(tick), 0xD0])
    cells = rng.random(shape) < share
    value = rng.uniform(-scale, scale, shape)
    cells = np.repeat(np.repeat(cells, gl, 0), gs, 1)[:detect.shape[0], :detect.shape[1]]
    value = np.repeat(np.repeat(value, gl, 0), gs, 1)[:detect.shape[0], :detect.shape[1]]
    noise = cells & ~detect
    return (np.where(noise, value, measured), np.where(noise, 0.3, strength),
            detect | noise)


@lru_cache(maxsize=8)
def _box_pixels(sc, box: tuple[int, int, int, int], geom: ScanGeometry):
    """The top-left pixel ``(r0, c0)`` of the image rectangle covering the box, that
    rectangle's ``(line, sample)`` maps (``scanconvert.ScanConversion``; empty if the box
    is not in the image) and the outline's pixels ``(rows, cols)``."""
    i0, i1, j0, j1 = box
    d0 = geom.depth_mm[j0] - geom.dz_mm / 2.0
    d1 = geom.depth_mm[j1] + geom.dz_mm / 2.0
    lines = np.linspace(i0, i1, 24)
    depths = np.linspace(d0, d1, 8)
    path = [(lines, np.full_like(lines, d0)), (np.full_like(depths, i1), depths),
            (lines[::-1], np.full_like(lines, d1)), (np.full_like(depths, i0), depths[::-1])]
    pts = np.concatenate([geom.points(li, de) for li, de in path])
    image_from_probe = np.linalg.inv(sc.probe_from_image)
    q = pts @ image_from_probe[:3, :3].T + image_from_probe[:3, 3]
    outline = colours.polyline_pixels(q[:, 0], q[:, 1], sc.line.shape)
    inside = ((sc.line >= i0 - 1) & (sc.line <= i1 + 1) & (sc.sample >= j0 - 1)
              & (sc.sample <= j1 + 1))
    rows = np.nonzero(inside.any(1))[0]
    cols = np.nonzero(inside.any(0))[0]
    if len(rows) == 0 or len(cols) == 0:
        rows = cols = np.zeros(1, int)
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    line = np.ascontiguousarray(sc.line[r0:r1, c0:c1])
    if not inside.any():
        line = np.full((0, 0), -1.0, np.float32)
    return (r0, c0), line, np.ascontiguousarray(sc.sample[r0:r1, c0:c1]), outline


def _composite(image: np.ndarray, grey: np.ndarray, rgb_box: np.ndarray, shown: np.ndarray,
               box: tuple[int, int, int, int], sc, geom: ScanGeometry) -> np.ndarray:
    """``image`` as RGB with the coloured box scan-converted into it and outlined."""
    rgb = np.empty(image.shape + (3,), np.uint8)
    (r0, c0), line, sample, outline = _box_pixels(sc, box, geom)
    _paint(image, grey, np.ascontiguousarray(rgb_box, np.float32), shown, box[0], box[2],
           line, sample, r0, c0, rgb)
    rgb[outline] = colours.BOX_OUTLINE_RGB
    return rgb


@numba.njit(cache=True, nogil=True)
def _paint(image, grey, colour, shown, i0, j0, line, sample, r0, c0, out):
    """``out`` = ``image`` as RGB; where a pixel's bilinear neighbours on the line grid
    include a coloured box sample, the bilinear mix of colour and grey instead."""
    rows, cols = image.shape
    for r in range(rows):
        for c in range(cols):
            v = image[r, c]
            out[r, c, 0] = v
            out[r, c, 1] = v
            out[r, c, 2] = v
    nl, ns = shown.shape
    n_lines, n = grey.shape
    acc = np.zeros(3)
    for r in range(line.shape[0]):
        for c in range(line.shape[1]):
            lf = line[r, c]
            if lf < 0.0:
                continue
            sf = sample[r, c]
            ii = min(int(lf), n_lines - 2)
            jj = min(int(sf), n - 2)
            fi = lf - ii
            fj = sf - jj
            coloured = False
            acc[:] = 0.0
            for di in range(2):
                for dj in range(2):
                    w = (fi if di else 1.0 - fi) * (fj if dj else 1.0 - fj)
                    bi = ii + di - i0
                    bj = jj + dj - j0
                    if 0 <= bi < nl and 0 <= bj < ns and shown[bi, bj]:
                        coloured = True
                        for k in range(3):
                            acc[k] += w * colour[bi, bj, k]
                    else:
                        g = grey[ii + di, jj + dj]
                        for k in range(3):
                            acc[k] += w * g
            if coloured:
                for k in range(3):
                    out[r0 + r, c0 + c, k] = np.uint8(min(max(acc[k] + 0.5, 0.0), 255.0))


__all__ = ["DopplerFrame", "box_indices", "colour_view", "vessel_view"]
