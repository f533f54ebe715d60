"""``render_fluoro``: the fluoroscopy frame the C-arm shows for a simulation state (pure).

Beer-Lambert at one effective energy (60 keV): the line integral of every pixel is
``sum_m mu_m * L_m`` over the anatomy's materials (path lengths ``L_m`` from the meshes), plus
the steel of the needle (analytic hollow cylinder) and the iodine of injected contrast. The
anatomy part only changes when the C-arm, the detector size or the anatomy does, so it is
memoised per pose (:func:`anatomy_view`); a frame in which only the needle or the contrast
moved costs the needle's and contrast's pixels plus the detector model.

The renderer has no memory of earlier frames. Last-image hold is the app's job: keep the
frame rendered for the state whose ``dose.last_frame_tick`` was last updated and show it
until the next exposure (replay re-renders the state of that tick, with the same seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from simulator import carm as carm_model
from simulator.imaging.fluoro import detector
from simulator.imaging.fluoro.contrast import iodine_line_integral
from simulator.imaging.fluoro.needle import needle_line_integral, needle_shape
from simulator.imaging.fluoro.projection import Projection
from simulator.imaging.fluoro.raster import finish, path_lengths
from simulator.imaging.fluoro.scene import MeshScene

DEFAULT_SIZE = 512
CACHE_POSES = 6


@dataclass(frozen=True, eq=False)
class AnatomyView:
    """The anatomy seen from one C-arm pose (noise-free).

    Attributes
    ----------
    projection : Projection
    path_mm : (channels, size, size) float32
        Path length through each material, ``scene.materials`` order, clamped to
        ``[0, scene.max_chord_mm]`` (a broken mesh cannot give negative or runaway values).
    line_integrals : (size, size) float32
        ``sum_m mu_m * path_mm[m]`` (dimensionless).
    """

    scene: MeshScene
    projection: Projection
    path_mm: np.ndarray
    line_integrals: np.ndarray
    _windows: dict = field(default_factory=dict, repr=False)

    def window(self, field_mm: float, intensifier_mm: float | None):
        """``(mask, offset, lo, hi, reference)`` for a collimation (memoised): exposed pixels,
        dynamic-range compression offset, display window and exposure-control reference."""
        key = (round(float(field_mm), 6), intensifier_mm)
        if key not in self._windows:
            pr = self.projection
            mask = detector.field_mask(pr.size, pr.pixel_mm, field_mm, intensifier_mm)
            offset = detector.compression_offset(self.line_integrals, mask, pr.pixel_mm)
            shown = detector.enhance(self.line_integrals - offset, pr.pixel_mm)
            lo, hi, _ = detector.window(shown, mask)
            _, _, reference = detector.window(self.line_integrals, mask)
            self._windows[key] = (mask, offset, lo, hi, reference)
        return self._windows[key]


@dataclass(frozen=True, eq=False)
class FluoroFrame:
    """One fluoroscopy frame.

    Attributes
    ----------
    image : (size, size) uint8
        Display image: dense = dark (``invert``: dense = bright); unexposed pixels black.
    line_integrals : (size, size) float32
        Noise-free ``-ln(I / I0)`` of every pixel: anatomy, needle and contrast.
    projection : Projection
        Pixel geometry and the 3x4 ``pixel_from_world`` matrix.
    exposed : (size, size) bool
        Pixels inside the collimated (and image-intensifier) field.
    window : (float, float)
        Line integrals shown as white and black.
    quanta_per_pixel : float
        Unattenuated quanta per pixel of this frame (sets the noise).
    kind : str
        ``"pulse"`` (pulsed fluoroscopy) or ``"spot"`` (single shot / held image).
    tick : int
        Tick the noise was drawn for.
    """

    image: np.ndarray
    line_integrals: np.ndarray
    projection: Projection
    exposed: np.ndarray
    window: tuple[float, float]
    quanta_per_pixel: float
    kind: str
    tick: int


_VIEWS: dict[tuple, AnatomyView] = {}


def anatomy_view(scene: MeshScene, projection: Projection, *,
                 method: str | None = None) -> AnatomyView:
    """Path lengths and line integrals of the anatomy for one projection (memoised on the
    scene's identity and the exact geometry)."""
    method = method or scene.method
    key = (scene.digest or id(scene), projection.key(), method)
    view = _VIEWS.get(key)
    if view is not None and view.scene is scene:
        return view
    lengths = path_lengths(scene.vertices, *scene.pass_arrays(method), scene.rank,
                           scene.chan, scene.n_channels, projection, method)
    line = np.empty(lengths.shape[1:], np.float32)
    finish(lengths, scene.mu_per_mm, scene.max_chord_mm, line)
    view = AnatomyView(scene, projection, lengths, line)
    if len(_VIEWS) >= CACHE_POSES:
        _VIEWS.pop(next(iter(_VIEWS)))
    _VIEWS[key] = view
    return view


def clear_cache() -> None:
    """Forget memoised anatomy views (tests, benchmarks)."""
    _VIEWS.clear()


def image_size(spec, carm) -> int:
    """Detector matrix: the scenario's ``image_px`` (default 512), halved in low-dose mode."""
    size = int(getattr(spec, "image_px", None) or DEFAULT_SIZE)
    return max(64, size // 2) if carm.low_dose else size


def projection_for(world, carm, size: int) -> Projection:
    """Pixel geometry of ``carm``'s pose for ``world``'s C-arm."""
    spec = world.scenario.carm
    g = carm_model.geometry(world, carm, spec)
    return Projection.from_geometry(g, size=size, detector_mm=spec.detector_mm,
                                    sid_mm=spec.source_to_detector_mm,
                                    sic_mm=spec.source_to_isocentre_mm)


def prepare(world, state, *, size: int | None = None) -> AnatomyView:
    """Make (memoise) what an exposure of ``state`` will need that does not depend on the
    tick: the anatomy view of its C-arm pose with the display window of its collimation,
    and the contrast's projection. A live view calls this while the C-arm rests between
    shots, so the next shot there costs only the needle and the detector model."""
    c = state.carm
    spec = world.scenario.carm
    pr = projection_for(world, c, int(size or image_size(spec, c)))
    view = anatomy_view(MeshScene.from_anatomy(world.anatomy), pr)
    view.window(carm_model.field_width_mm(spec, c), getattr(spec, "intensifier_mm", None))
    if state.deposits:
        from simulator.spread import injectate_field

        iodine_line_integral(injectate_field(world, state), pr)
    return view


def render_fluoro(world, state, *, seed: int = 0, tick: int | None = None,
                  size: int | None = None, invert: bool = False,
                  exposure: Literal["auto", "pulse", "spot"] = "auto") -> FluoroFrame:
    """The fluoroscopy frame of ``state`` (pure: same inputs, same frame).

    Parameters
    ----------
    world, state
        A fluoroscopy world and a state with a C-arm.
    seed, tick
        Quantum noise is drawn from ``numpy.random.default_rng([seed, tick])``; ``tick``
        defaults to ``state.tick``.
    size
        Image matrix (default :func:`image_size`: 512, 256 in low-dose mode).
    invert
        Show dense structures bright (radiograph convention) instead of dark.
    exposure
        ``"pulse"``: a pulsed-fluoroscopy frame; ``"spot"``: a single shot with
        ``carm.SPOT_PULSES`` times the dose (less noise); ``"auto"``: pulse while the beam is
        on, spot otherwise.
    """
    c = state.carm
    if c is None:
        raise ValueError("this state has no C-arm (not a fluoroscopy scenario)")
    spec = world.scenario.carm
    size = int(size or image_size(spec, c))
    tick = state.tick if tick is None else int(tick)
    pr = projection_for(world, c, size)
    view = anatomy_view(MeshScene.from_anatomy(world.anatomy), pr)
    line = view.line_integrals.copy()
    shape = needle_shape(world, state)
    if shape is not None:
        _add(line, needle_line_integral(shape, pr))
    if state.deposits:
        from simulator.spread import injectate_field

        _add(line, iodine_line_integral(injectate_field(world, state), pr))
    intensifier = getattr(spec, "intensifier_mm", None)
    mask, offset, lo, hi, reference = view.window(carm_model.field_width_mm(spec, c),
                                                  intensifier)
    spot = exposure == "spot" or (exposure == "auto" and not c.beam_on)
    target = detector.quanta_per_pixel(pr.pixel_mm, spot=spot, low_dose=c.low_dose)
    n0 = target * float(np.exp(reference))
    rng = np.random.default_rng([int(seed), int(tick)])
    counts = detector.detected_quanta(line, n0, rng)
    image = detector.display(counts, n0, pr.pixel_mm, offset, lo, hi, mask, invert=invert)
    return FluoroFrame(image, line, pr, mask, (lo, hi), n0, "spot" if spot else "pulse", tick)


def _add(line: np.ndarray, patch) -> None:
    if patch is None:
        return
    y0, x0, values = patch
    h, w = values.shape
    line[y0:y0 + h, x0:x0 + w] += values.astype(np.float32)
