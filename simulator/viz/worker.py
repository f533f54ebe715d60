"""The 3D view on its own thread, so a slow 3D frame never delays the needle.

The app hands the worker the latest :class:`~simulator.viz.scene3d.View` each frame and
blits whatever image the worker finished last. The worker renders only when the view
changed, at most ``max_fps`` times a second (while the imaging view renders a moving probe,
``min_fps`` and once per two new images at most: the image the trainee steers by comes
first); VTK releases the GIL while it draws, so the simulation and the imaging view keep
their pace. When frames take longer than the rate needs (software OpenGL on a busy
machine), it lowers the resolution (down to half) rather than the rate, and raises it again
when there is room. The scene is created on the worker thread (the OpenGL context lives
there).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from simulator.viz.scene3d import Scene3D, View

SCALES = (1.0, 0.8, 0.65, 0.5)   # resolution steps of the adaptive 3D view
IMAGES_PER_FRAME = 2   # while the probe moves: new ultrasound images per 3D frame, at most


class SceneWorker:
    """Background renderer. ``submit(view)``; ``latest()`` -> ``(image, serial)`` or ``None``."""

    def __init__(self, world, size=(640, 400), *, allow_overlays: bool = True,
                 max_fps: float = 30.0, min_fps: float = 15.0, adaptive: bool = True):
        self.world = world
        self.size = tuple(size)
        self.min_fps = min_fps
        self.adaptive = adaptive
        self.scale = SCALES[0]
        self._recent: list[float] = []
        self.allow_overlays = allow_overlays
        self.max_fps = max_fps
        self.min_interval = 1.0 / max_fps
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._view: View | None = None
        self._image: np.ndarray | None = None
        self._serial = 0
        self._busy = False
        self._images = self._images_drawn = 0   # imaging view's images: now, at the last draw
        self._stop = False
        self.error: BaseException | None = None
        self.render_times: list[float] = []
        self.target_at: tuple[float, float] | None = None   # on the latest image, overlays on
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scene3d", daemon=True)
        self._thread.start()

    def yield_to_imaging(self, busy: bool, images: int = 0) -> None:
        """While ``busy`` (the imaging view re-renders a moving probe), draw at ``min_fps``
        only, and at most once per ``IMAGES_PER_FRAME`` new images of that view (``images``
        counts them), leaving the cores to the view the trainee steers by: on a busy
        machine the 3D view slows down with the image rather than taking its share of the
        cores from it. ``max_fps`` otherwise."""
        self.min_interval = 1.0 / (self.min_fps if busy else self.max_fps)
        with self._lock:
            ready = (busy and images - self._images_drawn >= IMAGES_PER_FRAME) or \
                (self._busy and not busy)   # the probe came to rest: its pose is due
            self._busy, self._images = busy, images
        if ready:
            self._wake.set()

    def submit(self, view: View) -> None:
        with self._lock:
            if view == self._view:
                return
            self._view = view
        self._wake.set()

    @property
    def frames_rendered(self) -> int:
        return self._serial

    def latest(self) -> tuple[np.ndarray, int] | None:
        with self._lock:
            if self._image is None:
                return None
            return self._image, self._serial

    def wait(self, serial: int = 0, timeout: float = 30.0) -> tuple[np.ndarray, int] | None:
        """Block until an image newer than ``serial`` exists (tests, screenshots)."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            got = self.latest()
            if got is not None and got[1] > serial:
                return got
            if self.error is not None:
                raise RuntimeError("3D view failed") from self.error
            time.sleep(0.005)
        return self.latest()

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10.0)

    def _adapt(self, scene: Scene3D, elapsed: float) -> None:
        """Step the resolution down when the recent frames miss ``min_fps``, up when they
        would meet it with room to spare."""
        self._recent.append(elapsed)
        recent = self._recent[-8:]
        if len(recent) < 8:
            return
        typical = float(np.median(recent))
        k = SCALES.index(self.scale)
        if typical > 1.0 / self.min_fps and k + 1 < len(SCALES):
            k += 1
        elif typical < 0.45 / self.min_fps and k > 0:
            k -= 1
        else:
            return
        self.scale = SCALES[k]
        w, h = self.size
        scene.resize((max(64, int(w * self.scale)), max(64, int(h * self.scale))))
        self._recent = []

    def _run(self) -> None:
        try:
            scene = Scene3D(self.world, self.size, allow_overlays=self.allow_overlays)
        except BaseException as exc:  # noqa: BLE001 - reported to the app, which shows it
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        drawn: View | None = None
        try:
            while not self._stop:
                self._wake.wait(timeout=0.25)
                self._wake.clear()
                if self._stop:
                    break
                with self._lock:
                    view = self._view
                    images = self._images
                    waiting = self._busy and images - self._images_drawn < IMAGES_PER_FRAME
                if view is None or view == drawn or waiting:
                    continue
                t = time.perf_counter()
                image = scene.render(view)
                elapsed = time.perf_counter() - t
                drawn = view
                if self.adaptive:
                    self._adapt(scene, elapsed)
                target = scene.target_on_image() if view.overlays and self.allow_overlays \
                    else None
                with self._lock:
                    self._images_drawn = images
                    self._image = np.ascontiguousarray(image)
                    self.target_at = target
                    self._serial += 1
                    self.render_times.append(elapsed)
                    if len(self.render_times) > 2000:
                        del self.render_times[:1000]
                    newer = self._view is not drawn
                if newer:
                    self._wake.set()
                rest = self.min_interval - (time.perf_counter() - t)
                if rest > 0:
                    time.sleep(rest)
        except BaseException as exc:  # noqa: BLE001
            self.error = exc
        finally:
            scene.close()
