"""The imaging view: the live ultrasound image, or the fluoroscopy image held between
exposures (last-image hold), scaled into its panel.

Frames come from the real renderers (``simulator.imaging.ultrasound.render_ultrasound``,
``simulator.imaging.fluoro.render_fluoro``), which are pure views of a state. Ultrasound is
re-rendered when anything it shows changed, and otherwise at the scanner's live rate (its
speckle and noise are drawn per tick). Fluoroscopy is rendered once per exposure, for the
state in which that exposure happened (``state.dose.last_frame_tick`` changes), and held.
"""

from __future__ import annotations

import time
from importlib import import_module

import numpy as np
import pygame

from simulator.errors import InputError

RENDERERS = {
    "ultrasound": ("simulator.imaging.ultrasound", "render_ultrasound"),
    "fluoroscopy": ("simulator.imaging.fluoro", "render_fluoro"),
}
GREY = [(i, i, i) for i in range(256)]


def load_renderer(modality: str):
    """The renderer function of a modality; a clear error if it is not installed."""
    module, name = RENDERERS[modality]
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"the {modality} renderer ({module}.{name}) is not available: {exc}",
                         field="imaging") from None


def gray_surface(image: np.ndarray) -> pygame.Surface:
    """An 8-bit grey pygame surface sharing no memory with ``image`` ``(h, w) uint8``."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim == 3:
        surf = pygame.image.frombuffer(img.tobytes(), (img.shape[1], img.shape[0]), "RGB")
        return surf
    surf = pygame.image.frombuffer(img.tobytes(), (img.shape[1], img.shape[0]), "P")
    surf.set_palette(GREY)
    return surf


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Largest size with the aspect ratio of ``size`` that fits in ``box``."""
    w, h = size
    scale = min(box[0] / w, box[1] / h)
    return max(1, int(w * scale)), max(1, int(h * scale))


class ImagingView:
    """Keeps the current image of each modality as a surface scaled to the panel."""

    def __init__(self, world, seed: int, box: tuple[int, int], *, live_fps: float = 30.0):
        self.world = world
        self.seed = seed
        self.box = box
        self.live_interval = 1.0 / live_fps
        sc = world.scenario
        self.renderers = {}
        if sc.uses_ultrasound:
            self.renderers["ultrasound"] = load_renderer("ultrasound")
        if sc.uses_fluoroscopy:
            self.renderers["fluoroscopy"] = load_renderer("fluoroscopy")
        self.surfaces: dict[str, pygame.Surface] = {}
        self.frames: dict[str, object] = {}
        self._us_key = None
        self._us_time = -1e9
        self._fluoro_tick = -1
        self.render_times: dict[str, list[float]] = {"ultrasound": [], "fluoroscopy": []}
        self.serial = 0  # bumped whenever a new image is made

    def reset(self, seed: int) -> None:
        self.seed = seed
        self.surfaces.clear()
        self.frames.clear()
        self._us_key, self._us_time, self._fluoro_tick = None, -1e9, -1

    def update(self, state, exposure_state=None, *, now_s: float | None = None,
               visible: str | None = None) -> bool:
        """Render what is due. ``exposure_state``: the state of the last fluoroscopy exposure
        (default ``state``). Returns whether a new image was made."""
        now_s = time.perf_counter() if now_s is None else now_s
        made = False
        if "ultrasound" in self.renderers and visible in (None, "ultrasound"):
            key = (state.probe, state.needle, state.deposits, state.injecting)
            if key != self._us_key or now_s - self._us_time >= self.live_interval:
                self._render("ultrasound", state, state.tick)
                self._us_key, self._us_time = key, now_s
                made = True
        if "fluoroscopy" in self.renderers:
            tick = state.dose.last_frame_tick
            if tick >= 0 and tick != self._fluoro_tick:
                self._render("fluoroscopy", exposure_state or state, tick)
                self._fluoro_tick = tick
                made = True
        return made

    def _render(self, modality: str, state, tick: int) -> None:
        t = time.perf_counter()
        frame = self.renderers[modality](self.world, state, seed=self.seed, tick=tick)
        surf = gray_surface(frame.image)
        size = fit(surf.get_size(), self.box)
        self.surfaces[modality] = pygame.transform.scale(surf, size)
        self.frames[modality] = frame
        times = self.render_times[modality]
        times.append(time.perf_counter() - t)
        if len(times) > 2000:
            del times[:1000]
        self.serial += 1
