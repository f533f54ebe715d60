"""Whether a trainee can see the needle tip: its echo against what surrounds it in the image.

The renderer draws the tip's bevel echo with ``needle.tip_echo``. Around it the image shows
the speckle of the tissue the tip is in (nominal RMS ``SPECKLE_LEVEL * scatter_amplitude``:
``speckle.row_scale`` normalises every tissue so; anechoic fluid shows only receiver noise) and
the echo of any interface within the pulse around the tip (axially, and half a beam width to
either side, where the lateral PSF blooms it over the tip), drawn as ``lines`` draws it: a tip
resting on bone is lost in the bone line. Both are attenuated alike on
the way to the tip, so their ratio is what a person sees, and it needs no rendering: replay and
scoring use it.

``TIP_CLEAR_DB`` is where a person sees the tip: on rendered hip frames, a nominal ratio of
18 dB puts the tip's spot about twice as bright (6 dB) as the brightest speckle grain that
spot shows without the needle (speckle itself scatters that by a few dB either way).
``tests/test_tip_visibility.py`` re-measures this on rendered frames.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.geometry import apply
from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.needle import tip_echo
from simulator.imaging.ultrasound.scan import scan_geometry
from simulator.state import Needle, Probe
from simulator.transducer import PRESETS, image_coords
from simulator.world import World

TIP_CLEAR_DB = 18.0
INTERFACE_SAMPLES = 9  # label samples along the beam around the tip
# An interface echo this far from the tip along the beam merges with the tip's spot: the axial
# pulse of both plus the half-millimetre a person resolves at the display's scale.
MERGE_MARGIN_MM = 0.5


def tip_contrast_db(world: World, probe: Probe, probe_from_world: np.ndarray,
                    needle: Needle) -> float | None:
    """Tip echo over the RMS speckle of the tissue at the tip (dB), or ``None`` when the tip
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
    echo = tip_echo(float(depth_mm), float(tip_probe[1]), *geom.elevation_args(),
                    float(geom.lateral_fwhm_mm[j]), float(geom.line_spacing_mm[j]))
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
    background = max(_speckle(world.tissue(needle.tip_label) if needle.tip_label else None),
                     interfaces, P.NOISE_RMS)
    if echo <= 0.0:
        return -math.inf
    return 20.0 * math.log10(echo / background)


def tip_visible(world: World, probe: Probe, probe_from_world: np.ndarray,
                needle: Needle) -> bool:
    """True when the tip's echo stands ``TIP_CLEAR_DB`` clear of the speckle around it.

    The last answer is kept for the same (world, probe, needle) objects: the scorer asks once
    per metric that needs it on the same tick (states are immutable, so identity is enough).
    """
    global _last
    key, seen = _last
    if key is not None and key[0] is world and key[1] is probe and key[2] is needle:
        return seen
    contrast = tip_contrast_db(world, probe, probe_from_world, needle)
    seen = contrast is not None and contrast >= TIP_CLEAR_DB
    _last = ((world, probe, needle), seen)
    return seen


_last: tuple = (None, False)


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
