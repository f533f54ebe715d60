"""App figures: the trainer window run headless in real time with synthetic input.

- imaging view frames/s at 1280x720 while the needle advances, and while the probe slides
  (target >= 30, aim 60), and while the needle advances with colour Doppler on (>= 30);
- window frames/s (the loop that steps the simulation and draws the HUD);
- 3D view frames/s with software OpenGL while the camera orbits (target >= 15);
- input-to-image latency: from the window frame that handles a key press to the first
  ultrasound image showing its effect, counted in imaging-view frames (target <= 2: the
  image being rendered when the key came, then the one showing it), in window frames and in
  milliseconds; and the same for a fluoroscopy shot: at an unchanged C-arm pose (the
  worker prepared the view while the C-arm rested), and right after a C-arm move;
- the wait from the last action of an attempt (F10) to the score screen (target <= 1 s),
  the longest window frame meanwhile (the window shows "Scoring..." and never freezes),
  and the one-off scoring preparation the app does in the background from start-up (an
  attempt ended before it is done waits for the rest of it).
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

from simulator.bench.core import figure

SCENARIO = "hip_anterior_us"
FLUORO_SCENARIO = "hip_ap_fluoro"
MOTION_S = 8.0
LATENCY_TRIALS = 12


def _key(pygame, key: int, down: bool = True) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=key,
                                         mod=0, unicode="", scancode=0))


def _drag(pygame, app, dx: int) -> None:
    centre = app.layout.scene.center
    for kind, extra in ((pygame.MOUSEBUTTONDOWN, {"button": 1}),
                        (pygame.MOUSEMOTION, {"rel": (dx, 0), "buttons": (1, 0, 0)}),
                        (pygame.MOUSEBUTTONUP, {"button": 1})):
        pygame.event.post(pygame.event.Event(kind, pos=centre, **extra))


class _Clocked:
    """Runs app frames in real time (60 frames/s cap, as the shipped app)."""

    def __init__(self, app, cap: float = 60.0):
        self.app = app
        self.cap = cap
        self.last = time.perf_counter()

    def frame(self) -> None:
        now = time.perf_counter()
        self.app.frame(now - self.last)
        self.last = now
        rest = 1.0 / self.cap - (time.perf_counter() - now)
        if rest > 0:
            time.sleep(rest)


def _thread_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's threads, by role: ``window`` (the main
    thread), ``imaging``, ``scene3d`` (the 3D worker with Mesa's GL threads), ``other``
    (numba's workers, scoring); empty where ``/proc`` is not there (not Linux)."""
    import os
    import threading

    roles = {t.native_id: t.name for t in threading.enumerate()}
    main = threading.main_thread().native_id
    out: dict[str, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
        tick = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        name = roles.get(int(tid), comm)
        role = "window" if int(tid) == main else "imaging" if name == "imaging" else \
            "scene3d" if name == "scene3d" or comm.startswith("llvmpipe") else "other"
        out[role] = out.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _gl_renderer() -> str:
    """Short name of the OpenGL renderer VTK uses (``llvmpipe`` = Mesa software GL)."""
    try:
        import pyvista as pv

        return pv.GPUInfo().renderer.split(" (")[0]
    except Exception:  # noqa: BLE001
        return "unknown GL"


def _ultrasound(progress, pygame, world, path, results) -> list[dict]:
    from simulator.app.loop import App

    app = App(world, scenario_path=path, results=results, seed=0, size=(1280, 720))
    clock = _Clocked(app)
    try:
        progress("app: starting the window (ultrasound)")
        end = time.perf_counter() + 60.0
        while "ultrasound" not in app.imaging.surfaces or app._scene_surface is None:
            clock.frame()
            if time.perf_counter() > end:
                raise RuntimeError("the views did not start within a minute")
        for k in (pygame.K_1, pygame.K_2, pygame.K_3, pygame.K_4, pygame.K_n):
            _key(pygame, k)
            clock.frame()
            _key(pygame, k, False)
            clock.frame()
        progress(f"app: {MOTION_S:.0f} s of needle advance, then of probe sweeps, with the "
                 "3D camera orbiting")
        phases = {}
        scene0, frames0, t_all = app.scene.frames_rendered, len(app.stats.frames), \
            time.perf_counter()
        details, cpu = {}, {}
        for phase in ("needle", "probe", "doppler"):
            if phase == "doppler":   # colour Doppler on (M), the needle advancing again
                _key(pygame, pygame.K_m)
                clock.frame()
                _key(pygame, pygame.K_m, False)
            imaging0, t0 = app.imaging.serial, time.perf_counter()
            cpu0, threads0 = time.process_time(), _thread_cpu()
            window0, drawn0 = len(app.stats.frames), app.scene.frames_rendered
            counts0 = {d: len(t) for d, t in app.imaging.detail_times.items()}
            held = [pygame.K_UP] if phase == "probe" else [pygame.K_SPACE, pygame.K_LSHIFT]
            for k in held:
                _key(pygame, k)
            n = 0
            while time.perf_counter() - t0 < MOTION_S / 2:
                if phase == "probe" and n % 45 == 44:  # sweep back and forth
                    _key(pygame, held[0], False)
                    held = [pygame.K_DOWN if held[0] == pygame.K_UP else pygame.K_UP]
                    _key(pygame, held[0])
                _drag(pygame, app, 4)
                clock.frame()
                n += 1
            for k in held:
                _key(pygame, k, False)
            clock.frame()
            phases[phase] = (app.imaging.serial - imaging0) / (time.perf_counter() - t0)
            threads = _thread_cpu()
            cpu[phase] = {"process": time.process_time() - cpu0,
                          "frames": max(1, app.imaging.serial - imaging0),
                          "window_frames": max(1, len(app.stats.frames) - window0),
                          "scene_frames": max(1, app.scene.frames_rendered - drawn0),
                          **{r: threads[r] - threads0.get(r, 0.0) for r in threads}}
            details[phase] = {d: t[counts0[d]:] for d, t in app.imaging.detail_times.items()}
            if phase == "doppler":
                doppler_ms = _median_ms(details[phase]["full"] + details[phase]["moving"])
                for _ in range(2):   # M twice more: colour -> power -> off
                    _key(pygame, pygame.K_m)
                    clock.frame()
                    _key(pygame, pygame.K_m, False)
                    clock.frame()
        wall = time.perf_counter() - t_all
        scene_fps = (app.scene.frames_rendered - scene0) / wall
        window_fps = (len(app.stats.frames) - frames0) / wall
        us_ms = 1000 * float(np.median(app.imaging.render_times["ultrasound"][-200:]))
        scene_ms = 1000 * float(np.median(app.scene.render_times[-200:]))

        progress(f"app: input-to-image latency over {LATENCY_TRIALS} depth changes")
        latencies, latencies_ms, latencies_img = [], [], []
        for trial in range(LATENCY_TRIALS):
            key = pygame.K_PAGEDOWN if trial % 2 == 0 else pygame.K_PAGEUP
            for _ in range(6):  # let the view settle between trials
                clock.frame()
            _key(pygame, key)
            clock.frame()  # this frame handles the key and steps the simulation
            _key(pygame, key, False)
            t_key = time.perf_counter()
            serial = app.imaging.serial
            wanted = app.state.probe.depth_mm
            frames = 1
            while app.imaging.frames["ultrasound"].probe.depth_mm != wanted:
                clock.frame()
                frames += 1
                if frames > 600:
                    raise RuntimeError("the image never showed the new depth")
            latencies.append(frames)
            latencies_img.append(app.imaging.serial - serial)
            latencies_ms.append(1000 * (time.perf_counter() - t_key))
        end_s, end_worst_s = _end_of_attempt(progress, pygame, app, clock)
        prepare_s = app.scoring.prepared.result()
    finally:
        app.close("benchmark over")
    return [
        figure("app imaging view frames/s (ultrasound, 1280x720, needle advancing)",
               phases["needle"], "frames/s", ">= 30, aim 60"),
        figure("app imaging view frames/s (ultrasound, 1280x720, probe sliding)",
               phases["probe"], "frames/s", ">= 30, aim 60"),
        figure("app imaging view frames/s (ultrasound, colour Doppler on, needle advancing)",
               phases["doppler"], "frames/s", ">= 30"),
        figure("app ultrasound render time, colour Doppler on (median)", doppler_ms, "ms"),
        figure("app ultrasound render time (median, on its worker thread)", us_ms, "ms"),
        figure("app ultrasound render time while the probe slides (low detail, median)",
               _median_ms(details["probe"]["moving"]), "ms"),
        *_cpu_figures(cpu["probe"]),
        figure("app ultrasound frames at low detail while the probe slides (share)",
               len(details["probe"]["moving"]) / max(1, sum(map(len, details["probe"].values(
                   )))), ""),
        figure("app window frames/s (simulation + HUD, 60 cap)", window_fps, "frames/s",
               ">= 30"),
        figure(f"app 3D view frames/s ({_gl_renderer()}, orbiting)", scene_fps,
               "frames/s", ">= 15"),
        figure("app 3D render time (median, on its worker thread)", scene_ms, "ms"),
        figure("app 3D view resolution at the end (share of 640x343)", app.scene.scale, "x"),
        figure("app input-to-image latency, median (key -> ultrasound image)",
               float(np.median(latencies_img)), "imaging frames", "<= 2"),
        figure("app input-to-image latency, worst", float(max(latencies_img)),
               "imaging frames", "<= 2"),
        figure("app input-to-image latency, median, in window frames",
               float(np.median(latencies)), "window frames"),
        figure("app input-to-image latency, median", float(np.median(latencies_ms)), "ms"),
        figure("app last action (F10) to score screen (after the start-up preparation)",
               end_s, "s", "<= 1"),
        figure("app longest window frame while scoring", 1000 * end_worst_s, "ms"),
        figure("app scoring preparation from start-up (background; an F10 sooner waits)",
               prepare_s, "s"),
    ]


def _cpu_figures(cpu: dict) -> list[dict]:
    """CPU time (all cores) while the probe slides, per frame of each kind: what the app
    costs whatever else the machine runs (a loaded machine lowers the frames/s, not these)."""
    n, per = cpu["frames"], lambda role, frames: 1000.0 * cpu.get(role, float("nan")) / frames
    return [
        figure("app CPU per ultrasound frame while the probe slides (whole app, all threads)",
               1000.0 * cpu["process"] / n, "ms", "<= 33"),
        figure("  of which the imaging thread (ultrasound render)", per("imaging", n), "ms"),
        figure("  of which numba workers and scoring", per("other", n), "ms"),
        figure("  of which the window thread", per("window", n), "ms"),
        figure("  of which the 3D view (worker and GL threads)", per("scene3d", n), "ms"),
        figure("app window thread CPU per window frame while the probe slides",
               per("window", cpu["window_frames"]), "ms"),
        figure("app 3D view CPU per 3D frame while the probe slides",
               per("scene3d", cpu["scene_frames"]), "ms"),
    ]


def _end_of_attempt(progress, pygame, app, clock) -> tuple[float, float]:
    """Seconds from the F10 key to the score screen, and the longest frame meanwhile.

    The key comes once the app's start-up preparation for scoring is done (the window
    runs on meanwhile), as in any attempt longer than that preparation: an F10 sooner
    waits for it, showing "Scoring..." (the preparation's own time is its own figure)."""
    progress("app: from the last action (F10) to the score screen")
    while not app.scoring.prepared.done():
        clock.frame()
    _key(pygame, pygame.K_F10)
    start = time.perf_counter()
    worst = 0.0
    while app.screen_mode != "ended":
        t = time.perf_counter()
        clock.frame()
        worst = max(worst, time.perf_counter() - t)
        if t - start > 120.0:
            raise RuntimeError("no score screen within two minutes")
    _key(pygame, pygame.K_F10, False)
    return time.perf_counter() - start, worst


def _fluoro(progress, pygame, world, path, results) -> list[dict]:
    from simulator.app.loop import App

    app = App(world, scenario_path=path, results=results, seed=0, size=(1280, 720))
    clock = _Clocked(app)
    latencies = {"first": [], "same": [], "moved": []}
    times = {"first": [], "same": [], "moved": []}
    try:
        progress("app: fluoroscopy shot-to-image latency")
        for trial in range(9):
            kind = "first" if trial == 0 else ("moved" if trial % 2 else "same")
            if kind == "moved":  # move the C-arm between shots so each pose is new
                _key(pygame, pygame.K_RIGHT)
                for _ in range(10):
                    clock.frame()
                _key(pygame, pygame.K_RIGHT, False)
            for _ in range(4):
                clock.frame()
            _key(pygame, pygame.K_f)
            clock.frame()
            _key(pygame, pygame.K_f, False)
            tick = app.state.dose.last_frame_tick
            frames = 1
            while app.imaging.shown_ticks.get("fluoroscopy", -1) < 0 or \
                    app.imaging.frames["fluoroscopy"].tick != tick:
                clock.frame()
                frames += 1
                if frames > 1200:
                    raise RuntimeError("the fluoroscopy image never came")
            latencies[kind].append(frames)
            times[kind].append(app.imaging.render_times["fluoroscopy"][-1])
        prepared = app.imaging.prepared
    finally:
        app.close("benchmark over")
    return [
        figure("app fluoroscopy shot-to-image latency, same C-arm pose, median",
               float(np.median(latencies["same"])), "frames", "<= 2"),
        figure("app fluoroscopy shot-to-image latency, same C-arm pose, worst",
               float(max(latencies["same"])), "frames", "<= 2"),
        figure("app fluoroscopy shot-to-image latency, shot right after a C-arm move, median",
               float(np.median(latencies["moved"])), "frames"),
        figure("app fluoroscopy shot-to-image latency, first shot of the session",
               float(latencies["first"][0]), "frames"),
        figure("app fluoroscopy render time, same C-arm pose (median)",
               _median_ms(times["same"]), "ms"),
        figure("app fluoroscopy render time, shot right after a C-arm move (median)",
               _median_ms(times["moved"]), "ms"),
        figure("app fluoroscopy views prepared while the C-arm rested", float(prepared), ""),
    ]


def _median_ms(seconds) -> float:
    return 1000.0 * float(np.median(seconds)) if len(seconds) else float("nan")


def run(progress) -> list[dict]:
    from simulator.app.loop import headless_env

    headless_env()
    import pygame

    from simulator.loading import load_world
    from simulator.paths import scenario_path

    out = []
    with tempfile.TemporaryDirectory() as results:
        path = scenario_path(SCENARIO)
        world = load_world(path, progress=progress)
        out += _ultrasound(progress, pygame, world, path.resolve(), results)
        path = scenario_path(FLUORO_SCENARIO)
        world = load_world(path, progress=progress)
        out += _fluoro(progress, pygame, world, path.resolve(), results)
    return out
