"""Whether a trainee can see the needle tip on the screen, from the image's physics.

A person finds the tip in one of three ways: as the end of a shaft that shows up to it, as
the bevel's bright dot, or as the apex of the shaft's dark shadow wedge. All come from the
renderer's own needle model near the tip (``needle.needle_peaks_near``: the same kernels
``add_needle`` draws with, on the few lines around the tip, with the lateral PSF, and no
tissue and no rendering of the frame), compared with the background there:

- the bevel's dot, its peak within ``SPOT_MM`` of the tip, over the RMS speckle of the tissue
  at the tip (nominal ``SPECKLE_LEVEL * scatter_amplitude``: ``speckle.row_scale`` normalises
  every tissue so; anechoic fluid shows only receiver noise) or over the echo of any interface
  within the pulse around the tip (axially, and half a beam width to either side, where the
  lateral PSF blooms it over the tip), whichever is larger: a dot on a bone line is lost;
- the shaft's echo within ``SPOT_MM`` of the tip over the speckle, plus what the eye gains by
  following the line over ``LINE_MM``: it averages ``LINE_MM / cell`` speckle grains, the
  grain's length along the shaft's image being the lateral and axial resolution combined
  (``10 log10`` of that count; a steep shaft on a fine linear-array image crosses many grains);
- the shadow: how much the shaft darkens the tissue beneath it (the share of the slice it
  blocks, ``OD / slice thickness``: strong under a linear array's thin slice, 2-4 dB under the
  hip's curvilinear one), when that tissue scatters and the tip lies in the slice (across
  the plane the wedge is the shaft's crossing, not the tip).

Tip echo and background are attenuated alike on the way down, so their ratios are what the
display's log compression shows (60 dB over 255 grey levels: 1 dB = 4.25 levels).

Calibration (``BEVEL_CLEAR_DB``, ``SHAFT_CLEAR_DB``, ``SHADOW_CLEAR_DB``): 72 app-size frames
(640 x 480, as in the 1280 x 720 window) with an in-plane 22 G needle at 20-70 deg to the probe
face, tip 5-60 mm deep, on hip_anterior_us (curvilinear 3.5 MHz, 100 mm) and
knee_suprapatellar_us (linear, 40 mm), cropped at screen scale with the tip at a random place
and judged blind: a tip was "seen" when it was pointed at within 2 mm. Per cell: depth mm,
seen by the judge / by this measure, shaft / bevel / shadow dB::

  hip  20  10 YY 31/22/ 2 20 YY 27/17/ 2 30 YY 27/17/ 2 40 YY 29/16/ 3 50 YY 29/-1/ 3 60 YY 24/11/ 4
  hip  30  10 YY 22/22/ 2 20 YY 17/17/ 2 30 YY 18/17/ 2 40 YY 20/16/ 3 50 YY 19/-1/ 3 60 -- 14/11/ 4
  hip  40  10 -- 14/22/ 2 20 --  9/17/ 2 30 Y- 11/17/ 2 40 -- 13/16/ 3 50 -- 13/-1/ 3 60 -- 10/11/ 4
  hip  50  10 -- 11/22/ 2 20 --  6/17/ 2 30 --  8/17/ 2 40 -- 10/16/ 3 50 -- 12/-1/ 3 60 -- 10/11/ 4
  hip  60  10 -- 10/22/ 2 20 --  6/17/ 2 30 --  7/17/ 2 40 --  9/16/ 3 50 -- 12/-1/ 3 60 -- 10/11/ 4
  hip  70  10 -- 10/22/ 2 20 --  6/17/ 2 30 --  8/17/ 2 40 -- 10/16/ 3 50 -- 12/-1/ 3 60 -- 11/11/ 4
  knee 20   5 YY 40/22/ 4 10 YY 34/16/ 6 15 YY 34/ 2/11 20 YY 35/ 0/16 25 YY 65/44/12 30 YY 40/22/ 6
  knee 30   5 YY 30/22/ 4 10 YY 24/16/ 5 15 YY 25/ 2/10 20 YY 26/ 0/16 25 YY 56/44/11 30 YY 31/22/ 6
  knee 40   5 -Y 22/22/ 3 10 -Y 17/16/ 5 15 YY 17/ 2/ 9 20 -Y 18/ 0/16 25 YY 48/44/12 30 YY 24/22/ 6
  knee 50   5 -Y 20/22/ 3 10 -Y 14/16/ 5 15 YY 14/ 2/ 9 20 -Y 16/ 0/16 25 YY 46/44/13 30 -Y 22/22/ 7
  knee 60   5 -Y 19/22/ 3 10 YY 14/16/ 5 15 YY 14/ 2/ 9 20 -Y 15/ 0/16 25 YY 45/44/14 30 YY 21/22/ 7
  knee 70   5 -Y 20/22/ 3 10 YY 14/16/ 5 15 YY 14/ 2/ 9 20 YY 16/ 0/16 25 YY 45/44/16 30 YY 22/22/ 9

The hip agrees on 35 of 36 frames: its shaft is seen at 17 dB and above and not at 14 and
below (at 40 deg and steeper only the first 15-25 mm of shaft shows, as the play-test found),
its lone bevel dot (16-22 dB) was never found at screen scale and its shadow (2-4 dB under the
thick slice) shows nothing. The knee agrees on 26 of 36, and errs the lenient way: steep
shafts at 14-22 dB over a 3-16 dB shadow are where a judge's verdict flips from frame to
frame, and fat's bright lobule septa hide a shaft this measure counts (5 mm deep). The bevel
was only found alone in anechoic fluid (44 dB); no dot of 22 dB or less was: its threshold
sits between. The shadow's sits between the hip's 3.6 dB (never seen) and the block
phantom's 4.4 dB, whose wedge apex shows plainly over its even muscle (the expert's tip at
45 mm). The tests (``tests/test_tip_visibility.py``) render the display and measure the tip
there against this verdict.

The renderer's tip echo at steep angles is realistic: with the shaft's mirror echo gone
beyond ``theta_c`` (ultrasound.md R9) what is left is the bevel's weak scatter, a point
about as bright as the brightest speckle grains (R9's "tip >= 6 dB above background" holds
against the mean speckle: here 17 dB over its RMS), which conventional needles show in
vitro as poor tip visibility at steep angles (Schafhalter-Zoppoth 2004; Maecken 2007).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from simulator.geometry import apply
from simulator.imaging.ultrasound import display
from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.needle import NEAR_MM, NEEDLE_U_MAX, needle_peaks_near
from simulator.imaging.ultrasound.scan import scan_geometry
from simulator.state import Needle, Probe
from simulator.transducer import PRESETS, image_coords
from simulator.world import World

BEVEL_CLEAR_DB = 28.0   # the bevel's dot over the background (calibration above)
SHAFT_CLEAR_DB = 16.0   # the shaft's end over the speckle, with the line gain
SHADOW_CLEAR_DB = 4.0   # the darkening of the shaft's shadow wedge (over echoic tissue)
SHADOW_BELOW_MM = 3.0   # the tissue this far beneath the tip must scatter for a wedge to show
INTERFACE_SAMPLES = 9  # label samples along the beam around the tip
# An interface echo this far from the tip along the beam merges with the tip's spot: the axial
# pulse of both plus the half-millimetre a person resolves at the display's scale.
MERGE_MARGIN_MM = 0.5
SPOT_MM = 1.0  # the needle's echo within this of the tip is where a person looks for it
LINE_MM = 6.0  # the stretch of shaft a person follows to its end


@dataclass(frozen=True)
class TipContrast:
    """How the needle's echo at the tip stands against the background there (dB over the
    RMS speckle of the tissue at the tip, or over an interface echo merging with the spot).

    Attributes
    ----------
    bevel_db : float
        The bevel's point echo (``-inf`` when it draws nothing).
    shaft_db : float
        The shaft's echo (with its comet tail) within ``SPOT_MM`` of the tip: a shaft that
        shows up to the tip shows where the tip is, its end.
    shadow_db : float
        How much the shaft darkens the tissue beneath it on the tip's line: a dark wedge
        whose apex is the tip.
    """

    bevel_db: float
    shaft_db: float
    shadow_db: float

    @property
    def seen(self) -> bool:
        """A person sees the tip: the bevel's dot, the shaft's end or the apex of its shadow
        stands clear."""
        return (self.bevel_db >= BEVEL_CLEAR_DB or self.shaft_db >= SHAFT_CLEAR_DB
                or self.shadow_db >= SHADOW_CLEAR_DB)


def tip_contrast_db(world: World, probe: Probe, probe_from_world: np.ndarray,
                    needle: Needle) -> TipContrast | None:
    """The needle's echo at the tip against the background there, or ``None`` when the tip
    lies outside the image (beside the sector, deeper than the depth setting, or behind the
    face).

    ``probe_from_world`` is the inverse of ``probe.world_from_probe(world, probe)`` ``(4, 4)``.
    """
    preset_name = world.scenario.probe.preset
    preset = PRESETS[preset_name]
    tip_probe = apply(probe_from_world, np.asarray(needle.tip_mm, float))
    (lateral,), (depth_mm,) = image_coords(preset, tip_probe[None])
    half = (preset.sector_rad if preset.kind == "curvilinear" else preset.aperture_mm) / 2
    if abs(lateral) > half or not 0.0 <= depth_mm <= probe.depth_mm:
        return None
    geom = scan_geometry(preset_name, float(probe.depth_mm), float(probe.frequency_mhz),
                         float(probe.focus_mm))
    j = min(int(depth_mm / geom.dz_mm), geom.n_samples - 1)
    world_from_probe_rot = np.linalg.inv(probe_from_world[:3, :3])
    beam_probe = _beam_direction(preset, tip_probe)
    beam_world = world_from_probe_rot @ beam_probe
    across_world = world_from_probe_rot @ np.array([beam_probe[2], 0.0, -beam_probe[0]])
    tip = np.asarray(needle.tip_mm, float)
    half_width_mm = 0.5 * float(geom.lateral_fwhm_mm[j])
    reach_mm = geom.axial_fwhm_mm + MERGE_MARGIN_MM
    along = np.linspace(-reach_mm, reach_mm, INTERFACE_SAMPLES)
    # the lateral PSF blooms an echo on the neighbouring lines over the tip too
    lines = (tip + np.array([-1.0, 0.0, 1.0])[:, None, None] * half_width_mm * across_world
             + along[None, :, None] * beam_world)
    interfaces = _interface_echo(world, lines, beam_world)
    speckle = max(_speckle(world.tissue(needle.tip_label) if needle.tip_label else None),
                  P.NOISE_RMS)
    bevel, shaft, blocked = needle_peaks_near(
        geom, probe_from_world, needle.entry_mm, needle.direction, float(needle.depth_mm),
        world.scenario.needle.gauge, display.pulse_sigma(geom), SPOT_MM, LINE_MM)
    # the eye follows a line through the speckle: it averages the grains along LINE_MM of it
    cell_mm = _cell_along_mm(geom, j, probe_from_world[:3, :3] @ np.asarray(needle.direction),
                             beam_probe)
    line_gain_db = 10.0 * math.log10(max(LINE_MM / cell_mm, 1.0))
    below = world.anatomy.volume_labels_at((tip + SHADOW_BELOW_MM * beam_world)[None])[0]
    w0, z_focus, z_rayleigh = geom.elevation_args()
    half_slice_mm = 0.5 * w0 * math.hypot(1.0, (depth_mm - z_focus) / z_rayleigh) / math.sqrt(2)
    # a wedge points at the tip only when the tip lies in the slice (across it, the shadow
    # is the shaft's crossing, not the tip), and shows only over tissue that scatters
    wedge = abs(float(tip_probe[1])) <= half_slice_mm and \
        _speckle(world.tissue(int(below)) if below else None) > 0.0
    shadow_db = -_db(1.0 - blocked) if wedge else 0.0
    return TipContrast(_db(bevel / max(speckle, interfaces)),
                       _db(shaft / speckle) + line_gain_db, shadow_db)


def tip_visible(world: World, probe: Probe, probe_from_world: np.ndarray,
                needle: Needle) -> bool:
    """True when a person sees the tip in the image (``TipContrast.seen``).

    The last answer is kept for the same (world, probe, needle) objects: the scorer asks once
    per metric that needs it on the same tick (states are immutable, so identity is enough).
    """
    global _last
    key, seen = _last
    if key is not None and key[0] is world and key[1] is probe and key[2] is needle:
        return seen
    if _surely_unseen(_screen_of(world, probe), probe_from_world, needle):
        seen = False
    else:
        contrast = tip_contrast_db(world, probe, probe_from_world, needle)
        seen = contrast is not None and contrast.seen
    _last = ((world, probe, needle), seen)
    return seen


def _db(ratio: float) -> float:
    return 20.0 * math.log10(ratio) if ratio > 0.0 else -math.inf


_last: tuple = (None, False)

# -- a compiled screen for the commonest answer, "not seen" --------------------------------
# Margins (mm, rad) that cover any last-bit difference between the screen's arithmetic and
# ``tip_contrast_db``'s: the screen answers only well clear of every boundary it tests.
_EDGE_MARGIN = 1e-6
_BEVEL_MARGIN = 0.5   # the screen's bound on the bevel's echo must stay below half the need
_MIN_CROSSING = 1e-6  # |n_y| below this (a shaft almost parallel to the plane): no screen


@dataclass(frozen=True)
class _Screen:
    """Per scanner setting: what ``_unseen`` needs (see :func:`_surely_unseen`)."""

    curved: bool
    radius_mm: float
    half: float            # half the sector (rad) or aperture (mm)
    max_depth_mm: float
    y_lim_mm: float        # ``needle._in_slab``'s reach across the plane
    bevel_peak: float      # the bevel's largest possible echo at the image plane
    w_max_mm: float        # the widest slice (the bevel's echo falls off with u = y / w)
    bevel_need: float      # the echo a bevel needs to be seen, over the weakest background


_screens: dict[tuple, _Screen] = {}


def _screen_of(world: World, probe: Probe) -> _Screen:
    key = (world.scenario.probe.preset, float(probe.depth_mm), float(probe.frequency_mhz),
           float(probe.focus_mm))
    screen = _screens.get(key)
    if screen is None:
        preset = PRESETS[key[0]]
        geom = scan_geometry(*key)
        w0, zf, zr = geom.elevation_args()
        worst = max((zf / zr) ** 2, ((geom.max_depth_mm - zf) / zr) ** 2)
        per_beam = max(float((1.064 * geom.lateral_fwhm_mm / geom.line_spacing_mm).max()), 1.0)
        screen = _screens[key] = _Screen(
            geom.curved, geom.radius_mm,
            (preset.sector_rad if preset.kind == "curvilinear" else preset.aperture_mm) / 2,
            geom.max_depth_mm, NEEDLE_U_MAX * float(geom.elevation_fwhm_mm.max()),
            P.NEEDLE_TIP_ECHO * P.NEEDLE_ECHO_SCALE * per_beam,
            w0 * math.sqrt(1.0 + worst), 10.0 ** (BEVEL_CLEAR_DB / 20.0) * P.NOISE_RMS)
    return screen


def _surely_unseen(screen: _Screen, probe_from_world: np.ndarray, needle: Needle) -> bool:
    """True only where ``tip_contrast_db`` surely finds the tip unseen, cheaply: the tip
    clearly outside the image, or no shaft within reach of the slice near the tip (no shaft
    echo, no shadow) and a bevel too far off the plane to stand clear of even receiver noise.
    Everything else (and every case near a boundary) is left to the full measure, so the
    answer is always exactly the full measure's."""
    return _unseen(probe_from_world, np.asarray(needle.tip_mm, float),
                   np.asarray(needle.entry_mm, float), np.asarray(needle.direction, float),
                   float(needle.depth_mm), screen.curved, screen.radius_mm, screen.half,
                   screen.max_depth_mm, screen.y_lim_mm, NEAR_MM, screen.bevel_peak,
                   screen.w_max_mm, screen.bevel_need)


@numba.njit(cache=True)
def _unseen(probe_from_world, tip, entry, direction, depth_mm, curved, radius_mm, half,
            max_depth_mm, y_lim_mm, near_mm, bevel_peak, w_max_mm, bevel_need):
    m = probe_from_world
    q = np.empty(3)
    e = np.empty(3)
    n = np.empty(3)
    for a in range(3):
        q[a] = m[a, 0] * tip[0] + m[a, 1] * tip[1] + m[a, 2] * tip[2] + m[a, 3]
        e[a] = m[a, 0] * entry[0] + m[a, 1] * entry[1] + m[a, 2] * entry[2] + m[a, 3]
        n[a] = m[a, 0] * direction[0] + m[a, 1] * direction[1] + m[a, 2] * direction[2]
    if curved:
        zc = q[2] + radius_mm
        lateral = math.atan2(q[0], zc)
        depth = math.hypot(q[0], zc) - radius_mm
    else:
        lateral, depth = q[0], q[2]
    if (abs(lateral) > half + _EDGE_MARGIN or depth < -_EDGE_MARGIN
            or depth > max_depth_mm + _EDGE_MARGIN):
        return True   # outside the image: tip_contrast_db gives None
    n = n / math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2])
    if abs(n[1]) < _MIN_CROSSING:
        return False
    # needle._in_slab: the stretch of shaft within reach of the slice; needle_peaks_near
    # draws the shaft (and its shadow) only from max(reach start, tip - near_mm) on
    # (constants of other modules come in as arguments: a kernel's disk cache only notices
    # changes to its own file)
    ta = (-y_lim_mm - e[1]) / n[1]
    tb = (y_lim_mm - e[1]) / n[1]
    if ta > tb:
        ta, tb = tb, ta
    if max(0.0, ta, depth_mm - near_mm) < min(depth_mm, tb) + _EDGE_MARGIN:
        return False
    # the bevel's echo (needle.tip_echo) is at most bevel_peak * exp(-8 ln2 (y / w_max)^2);
    # the background is at least the receiver noise
    u = (e[1] + depth_mm * n[1]) / w_max_mm
    return bevel_peak * math.exp(-8.0 * math.log(2.0) * u * u) < _BEVEL_MARGIN * bevel_need


def _cell_along_mm(geom, j: int, direction_probe: np.ndarray, beam_probe: np.ndarray) -> float:
    """Length of a speckle grain along the needle's image (mm): the lateral and axial
    resolution at sample ``j`` combined along the shaft's direction in the image plane."""
    along_beam = abs(float(direction_probe @ beam_probe))
    across = math.sqrt(max(1.0 - along_beam ** 2, 0.0))
    return math.hypot(float(geom.lateral_fwhm_mm[j]) * across, geom.axial_fwhm_mm * along_beam)


def _beam_direction(preset, tip_probe: np.ndarray) -> np.ndarray:
    """Unit direction of the scan line through the tip, probe frame ``(3,)``."""
    if preset.kind == "linear":
        return np.array([0.0, 0.0, 1.0])
    lateral = math.atan2(tip_probe[0], tip_probe[2] + preset.radius_mm)
    return np.array([math.sin(lateral), 0.0, math.cos(lateral)])


def _speckle(tissue) -> float:
    """Nominal RMS speckle of a tissue (0 for anechoic tissue or outside the body)."""
    if tissue is None or tissue.acoustic.scatter_density <= 0.0:
        return 0.0
    return P.SPECKLE_LEVEL * tissue.acoustic.scatter_amplitude


def _interface_echo(world: World, lines_mm: np.ndarray, beam: np.ndarray) -> float:
    """Strongest interface echo on sample lines along the beam around the tip ``(L, S, 3)``,
    drawn as the renderer draws it (``lines``): ``|r| * lobe(angle to the surface normal)``.

    Labels and normals come from the label volume (voxel accuracy, no exact ray casts: this
    runs on every advancing tick of a replay)."""
    n_lines, n_samples, _ = lines_mm.shape
    labels = world.anatomy.volume_labels_at(lines_mm.reshape(-1, 3)).reshape(n_lines, n_samples)
    a, b = labels[:, :-1], labels[:, 1:]
    best = 0.0
    for i, k in np.argwhere((a != b) & (a > 0) & (b > 0)):
        ta, tb = world.tissue(int(a[i, k])), world.tissue(int(b[i, k]))
        za, zb = ta.acoustic.impedance_mrayl, tb.acoustic.impedance_mrayl
        r = max(abs(zb - za) / (za + zb), P.FASCIA_REFLECTION)
        rough = max(P.ROUGH_SURFACES.get(ta.key, P.DIFFUSE_FRACTION),
                    P.ROUGH_SURFACES.get(tb.key, P.DIFFUSE_FRACTION))
        normal = _label_normal(world, 0.5 * (lines_mm[i, k] + lines_mm[i, k + 1]), int(b[i, k]))
        cos_in = abs(float(normal @ beam)) if normal is not None else 1.0
        theta = math.acos(min(cos_in, 1.0))
        lobe = rough + (1.0 - rough) * math.exp(-(theta / P.SPECULAR_SIGMA_RAD) ** 2)
        best = max(best, r * lobe)
    return best


def _label_normal(world: World, point_mm: np.ndarray, label: int) -> np.ndarray | None:
    """Unit normal of structure ``label``'s surface near ``point_mm`` ``(3,)``: the gradient
    of its occupancy over a voxel-and-a-half either side (``None`` where it is flat)."""
    offsets = 0.75 * np.vstack([np.eye(3), -np.eye(3)])
    inside = world.anatomy.volume_labels_at(point_mm + offsets) == label
    grad = inside[:3].astype(float) - inside[3:].astype(float)
    norm = float(np.linalg.norm(grad))
    return grad / norm if norm > 0.0 else None
