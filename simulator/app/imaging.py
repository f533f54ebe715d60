"""The imaging view: the live ultrasound image, or the fluoroscopy image held between
exposures (last-image hold), rendered on a worker thread and scaled into its panel.

Frames come from the real renderers (``simulator.imaging.ultrasound.render_ultrasound``,
``simulator.imaging.fluoro.render_fluoro``), pure views of a state. The window loop hands
the worker the newest state every frame and shows the newest finished image, so a slow image
never holds up the needle. Ultrasound is re-rendered as soon as anything it shows changed,
and otherwise at the scanner's live rate (its noise is drawn per tick). While the probe
moves, frames are rendered at the renderer's low detail (``detail="moving"``: a coarser
scatterer lattice, everything else the same), so the view keeps its rate rather than
lagging behind the hand; as soon as the probe rests the same view is rendered at full
detail. Fluoroscopy is rendered once per exposure, for the state in which the exposure
happened (the tick ``state.dose.last_frame_tick`` names), and held until the next one;
while the C-arm rests between exposures the worker prepares its anatomy view (and the
contrast's projection), so a shot costs only the needle and the detector model.
"""

from __future__ import annotations

import threading
import time
from importlib import import_module

import numpy as np
import pygame

from simulator.app.draw import Text, doppler_legend
from simulator.errors import InputError

RENDERERS = {
    "ultrasound": ("simulator.imaging.ultrasound.render", "render_ultrasound"),
    "fluoroscopy": ("simulator.imaging.fluoro", "render_fluoro"),
}
PREPARERS = {"fluoroscopy": ("simulator.imaging.fluoro.render", "prepare")}
GREY = [(i, i, i) for i in range(256)]
US_ASPECT = 4.0 / 3.0   # width / height of the scan-converted ultrasound image
CARM_REST_S = 1.0 / 30.0  # the C-arm has not moved for this long: prepare its view


def load_renderer(modality: str):
    """The renderer function of a modality; a clear error if it is not installed."""
    module, name = RENDERERS[modality]
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"the {modality} renderer ({module}.{name}) is not available: {exc}",
                         field="imaging") from None


def gray_surface(image: np.ndarray) -> pygame.Surface:
    """A pygame surface (8-bit grey palette, or RGB) copied from ``image``."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim == 3:
        return pygame.image.frombuffer(img.tobytes(), (img.shape[1], img.shape[0]), "RGB")
    surf = pygame.image.frombuffer(img.tobytes(), (img.shape[1], img.shape[0]), "P")
    surf.set_palette(GREY)
    return surf


def depth_ticks(frame, step_mm: float = 10.0) -> list[tuple[float, int]]:
    """Image rows of every centimetre of depth under the probe's centre: ``[(row, cm)]``.

    Uses the frame's own geometry (``world_from_probe``, ``pixel_of``), so the scale is
    right for any probe, depth or zoom.
    """
    depth = float(frame.probe.depth_mm)
    marks = np.arange(0.0, depth + 1e-6, step_mm)
    probe_pts = np.c_[np.zeros_like(marks), np.zeros_like(marks), marks, np.ones_like(marks)]
    world = (probe_pts @ np.asarray(frame.world_from_probe).T)[:, :3]
    rows = frame.pixel_of(world)[:, 1]
    return [(float(r), int(round(m / 10.0))) for r, m in zip(rows, marks, strict=True)]


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Largest ``(w, h)`` with the aspect ratio of ``size`` that fits in ``box``."""
    w, h = size
    scale = min(box[0] / w, box[1] / h)
    return max(1, int(w * scale)), max(1, int(h * scale))


class ImagingView:
    """Background renderer of the imaging view, and the surfaces the window shows."""

    def __init__(self, world, seed: int, box: tuple[int, int], *, live_fps: float = 30.0):
        self.world = world
        self.box = tuple(box)
        self.live_interval = 1.0 / live_fps
        sc = world.scenario
        self.renderers = {}
        if sc.uses_ultrasound:
            self.renderers["ultrasound"] = load_renderer("ultrasound")
        if sc.uses_fluoroscopy:
            self.renderers["fluoroscopy"] = load_renderer("fluoroscopy")
        # what of the probe decides the anatomy in the image: a change means "moving"
        self._pose_key = getattr(import_module(RENDERERS["ultrasound"][0]), "pose_key",
                                 lambda probe: probe) if sc.uses_ultrasound else None
        w, h = fit((US_ASPECT, 1.0), self.box)
        self.us_shape = (h - h % 2, w - w % 2)  # rows, cols: rendered at display size
        self.surfaces: dict[str, pygame.Surface] = {}
        self.frames: dict[str, object] = {}
        self.render_times: dict[str, list[float]] = {m: [] for m in self.renderers}
        self.detail_times: dict[str, list[float]] = {"full": [], "moving": []}  # ultrasound
        self.prepared = 0                         # fluoroscopy views prepared between shots
        self.probe_moving = False                # the last ultrasound frame was a moving one
        self.shown_ticks: dict[str, int] = {}   # tick of the state behind each shown image
        self.shown_states: dict[str, object] = {}   # and that state
        self.serial = 0
        self.error: BaseException | None = None
        self._text: Text | None = None          # the Doppler legend's (made on first use)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._seed = seed
        self._generation = 0
        self._us_request = None
        self._fluoro_request = None
        self._fluoro_tick = -1
        self._carm = None                        # C-arm of the newest state, since when
        self._carm_since = 0.0
        self._latest = None
        self._done: dict[str, tuple] = {}
        self._thread = threading.Thread(target=self._run, name="imaging", daemon=True)
        self._thread.start()

    # -- main thread ------------------------------------------------------------------------
    def reset(self, seed: int) -> None:
        """A new attempt: forget the images, render with the new seed."""
        with self._lock:
            self._seed = seed
            self._generation += 1
            self._us_request = self._fluoro_request = self._latest = None
            self._fluoro_tick = -1
            self._done.clear()
        self.surfaces.clear()
        self.frames.clear()
        self.shown_ticks.clear()
        self.shown_states.clear()

    def submit(self, state, exposure_state=None, *, visible: str | None = None) -> None:
        """The newest state (and the state of the latest fluoroscopy exposure)."""
        with self._lock:
            if "ultrasound" in self.renderers and visible in (None, "ultrasound"):
                self._us_request = state
            tick = state.dose.last_frame_tick
            if "fluoroscopy" in self.renderers and tick >= 0 and tick != self._fluoro_tick:
                self._fluoro_request = (exposure_state or state, tick)
                self._fluoro_tick = tick
            if "fluoroscopy" in self.renderers and state.carm is not None:
                if state.carm != self._carm:
                    self._carm, self._carm_since = state.carm, time.perf_counter()
                self._latest = state
        self._wake.set()

    def collect(self) -> bool:
        """Turn finished frames into surfaces; True if a new image is ready to show."""
        with self._lock:
            done, self._done = self._done, {}
        for modality, (frame, state) in done.items():
            doppler = getattr(frame, "doppler", None)   # colour Doppler: the RGB image
            surf = gray_surface(frame.image if doppler is None else doppler.rgb)
            size = fit(surf.get_size(), self.box)
            if size != surf.get_size():
                surf = pygame.transform.scale(surf, size)
            if modality == "ultrasound":
                if self._text is None:
                    self._text = Text()
                surf = doppler_legend(surf, self._text, frame)
            self.surfaces[modality] = surf
            self.frames[modality] = frame
            self.shown_ticks[modality] = state.tick
            self.shown_states[modality] = state
            self.serial += 1
        if self.error is not None:
            raise RuntimeError("the imaging renderer failed") from self.error
        return bool(done)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10.0)

    # -- worker thread ----------------------------------------------------------------------
    def _run(self) -> None:
        last_key, last_time = None, -1e9
        last_pose, last_detail = None, "full"
        prepared = None
        try:
            while not self._stop:
                self._wake.wait(timeout=self.live_interval)
                self._wake.clear()
                while not self._stop:
                    with self._lock:
                        generation, seed = self._generation, self._seed
                        fluoro, self._fluoro_request = self._fluoro_request, None
                        us = self._us_request
                        latest, rested = self._latest, time.perf_counter() - self._carm_since
                    if fluoro is not None:
                        state, tick = fluoro
                        self._render("fluoroscopy", state, tick, seed, generation)
                        continue
                    if us is not None:
                        key = (generation, us.probe, us.needle, us.deposits, us.injecting)
                        pose = (generation, self._pose_key(us.probe))
                        now = time.perf_counter()
                        refine = last_detail == "moving" and pose == last_pose
                        if key != last_key or refine or now - last_time >= self.live_interval:
                            moved = last_pose is not None and pose != last_pose
                            detail = "moving" if moved else "full"
                            self.probe_moving = detail == "moving"
                            self._render("ultrasound", us, us.tick, seed, generation, detail)
                            last_key, last_time = key, now
                            last_pose, last_detail = pose, detail
                            continue
                    if latest is not None and rested >= CARM_REST_S:
                        want = (generation, latest.carm, latest.deposits)
                        if want != prepared:
                            self._prepare(latest)
                            prepared = want
                            continue
                    break
        except BaseException as exc:  # noqa: BLE001 - re-raised in the window loop
            self.error = exc

    def _prepare(self, state) -> None:
        """The anatomy view of a resting C-arm, ready for the next shot."""
        module, name = PREPARERS["fluoroscopy"]
        getattr(import_module(module), name)(self.world, state)
        self.prepared += 1

    def _render(self, modality: str, state, tick: int, seed: int, generation: int,
                detail: str = "full") -> None:
        t = time.perf_counter()
        render = self.renderers[modality]
        if modality == "ultrasound":
            frame = render(self.world, state, seed=seed, tick=tick, image_shape=self.us_shape,
                           detail=detail)
        else:
            frame = render(self.world, state, seed=seed, tick=tick)
        elapsed = time.perf_counter() - t
        with self._lock:
            if generation != self._generation:
                return  # rendered for an attempt that is over
            self._done[modality] = (frame, state)
            for times in (self.render_times[modality], self.detail_times[detail]):
                times.append(elapsed)
                if len(times) > 4000:
                    del times[:2000]
