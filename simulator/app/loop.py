"""The trainer window: a fixed-timestep loop around one ``Session`` per attempt.

Every frame: read the events (keyboard, gamepads, mouse, window), turn the controls into
actions, step the session as many whole ticks of the scenario's ``dt`` as real time allows
(an accumulator, clamped so a stall slows the simulation instead of spiralling), then draw:
the imaging view (rendered in this thread, straight from the new state), the latest 3D image
(rendered on its own thread at its own pace), the HUD and any overlay. The window is drawn
again only when there is something new to show: a new ultrasound, fluoroscopy or 3D image, a
key or button, a screen other than the procedure's, or every ``HUD_REFRESH_S`` for the
clock and readouts; the other frames only step the simulation and feed the image workers,
leaving the cores to the imaging view. Rendering never changes the state; pausing means not
stepping.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pygame

from scoring.score import Scorer
from scoring.scored import ScoredSession
from simulator.app.bindings import Bindings, load_bindings
from simulator.app.controls import Controls
from simulator.app.debrief import DebriefScreen
from simulator.app.draw import BG, DIM, TEXT, Layout, Text
from simulator.app.feedback import Feedback
from simulator.app.guidance import ideal_view, imaging_refusal
from simulator.app.hud import Hud, HudInfo
from simulator.app.imaging import ImagingView, gray_surface
from simulator.app.overlay import ImagingOverlay, scene_target
from simulator.app.profile import FrameStats
from simulator.app.results import DEFAULT_RESULTS, LOG_NAME, attempt_folder
from simulator.app.scoring_thread import ScoringThread, attempt_status, default_trainee
from simulator.app.screens import (
    draw_banner,
    draw_controls,
    draw_end,
    draw_scoring,
    draw_task,
    draw_wait,
    footer,
    key_label,
)
from simulator.app.trainee import Trainee
from simulator.errors import InputError
from simulator.session import Session
from simulator.viz.scene3d import View, default_camera
from simulator.viz.worker import SceneWorker
from simulator.warmup import NeedleWarmUp

SWITCH_INTERVAL_S = 0.001
MAX_FRAME_S = 0.25       # a longer stall slows the simulation rather than jumping it; up to
                         # this, a held key moves by its rate times the time it was held, also
                         # on a busy machine drawing 4-10 frames a second
HUD_REFRESH_S = 0.1      # with no new image and no key, the window is redrawn this often
MOUSE_EVENTS = (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION,
                pygame.MOUSEWHEEL)   # they move the 3D camera: redrawn when its image comes
ORBIT_DEG_PER_PX = 0.4
MENU = ("pause", "restart", "end_attempt", "quit", "help", "instructions", "screenshot",
        "debrief")
OVERLAYS = ("pause", "help", "instructions")   # commands that pause and show a screen


class App:
    """One trainer window. Drive it with :meth:`run`, or frame by frame with :meth:`frame`
    (tests and benchmarks pass the elapsed time themselves)."""

    def __init__(self, world, *, scenario_path: str | Path = "", mode: str = "learning",
                 trainee: str = "", results: str | Path = DEFAULT_RESULTS,
                 bindings: Bindings | None = None, size: tuple[int, int] = (1280, 720),
                 seed: int | None = None, show_fps: bool = False, scene_fps: float = 20.0,
                 live_fps: float = 30.0, fps_cap: float = 60.0, warm_up: bool = False):
        sc = world.scenario
        if mode not in sc.modes:
            raise InputError(f"scenario {sc.id!r} allows the modes {', '.join(sc.modes)}; "
                             f"not {mode!r}", field="--mode")
        self.world = world
        self.scenario_path = str(scenario_path)
        self.mode = mode
        self.learning = mode == "learning"
        self.trainee_name = trainee or default_trainee()
        self.results = Path(results)
        self.bindings = bindings or load_bindings()
        self.first_seed = seed
        self.show_fps = show_fps
        self.fps_cap = fps_cap
        # Mesa's software GL (llvmpipe) would take every core for the 3D view; one thread
        # leaves the other for the simulation and the imaging renderer (no effect on GPUs).
        os.environ.setdefault("LP_NUM_THREADS", "1")
        # three threads share the GIL (window, imaging, 3D): hand it over more often so
        # none waits long for its short Python steps between native work
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        pygame.display.init()
        pygame.font.init()
        pygame.joystick.init()
        try:
            self.screen = pygame.display.set_mode(size)
        except pygame.error as exc:
            raise InputError(f"cannot open a window ({exc}); run on a desktop, or under a "
                             "virtual display: xvfb-run jointsim run", field="display") from None
        pygame.display.set_caption(f"jointsim - {sc.title}")
        self.layout = Layout(size)
        self.text = Text()
        self.controls = Controls(self.bindings, notify=self._notify)
        self.hud = Hud(world, self.text, self.layout, self.bindings, learning=self.learning)
        self.imaging = ImagingView(world, 0, self.layout.imaging.size, live_fps=live_fps)
        self.overlay = ImagingOverlay(world, self.text, self.bindings, learning=self.learning)
        if self.learning and world.scenario.standard_view is not None:
            # the view coaching's aim (its first use needs it), searched while the first
            # image renders rather than after it, holding that image back
            threading.Thread(target=ideal_view, args=(world,), name="ideal-view",
                             daemon=True).start()
        self.scene_fps = scene_fps
        self.scene_worker: SceneWorker | None = None   # started with the first image
        # warm_up: nothing is simulated until every needle kernel is loaded (or compiled)
        self.warm = NeedleWarmUp(world) if warm_up else None
        self._warm_reported = False   # its failure said on the console
        self._kept: list[str] = []    # commands pressed while warming, applied once ready
        self.started_at = time.perf_counter()
        self.camera = default_camera(world)
        self.overlays = self.learning
        self.stats = FrameStats()
        self._scene_surface: pygame.Surface | None = None
        self._scene_serial = 0
        self._drawn_at = -1e9   # when the window was last drawn (perf_counter)
        self._dragging = False
        self.quit_requested = False
        self.attempt = 0
        self.session: Session | None = None
        self.folder: Path | None = None
        self.doc: ScoredSession | None = None
        self.debrief: DebriefScreen | None = None
        self.paused_by = "pause"
        self.scoring = ScoringThread(world, warm=warm_up)   # the window never waits for one
        self._pending_score: Future | None = None
        self._scored_session: Session | None = None
        self.scoring_since = 0.0
        self.score_wait_s: float | None = None   # last action -> score screen, seconds
        # the first state's kernels load (or, on a first start, compile) meanwhile
        self._wait_on_screen(self.new_attempt, "Starting the scanner...")

    # -- attempts ---------------------------------------------------------------------------
    def new_attempt(self) -> None:
        """Start a fresh attempt (the current one is saved as abandoned, in the background)."""
        self.finish_attempt("restarted", wait=False)
        self.attempt += 1
        seed = self.first_seed if (self.attempt == 1 and self.first_seed is not None) \
            else secrets.randbelow(2**31)
        self.folder, run_id = attempt_folder(self.results, self.world.scenario.id)
        self.scorer = Scorer(self.world)
        self.feedback = Feedback(self.world, learning=self.learning,
                                 rumble=self.controls.pads.rumble)
        self.session = Session(self.world, seed=seed, log_path=self.folder / LOG_NAME,
                               trainee=self.trainee_name, run_id=run_id, mode=self.mode,
                               scenario_path=self.scenario_path,
                               observers=[self.scorer, self.feedback])
        self.trainee = Trainee(self.world, self.controls,
                               imaging_check=self._imaging_refusal if self.learning else None)
        self.imaging.reset(seed)
        self.exposure_state = None
        self.accumulator = 0.0
        self.doc = None
        self._pending_score = None
        self._kept = []
        self.screen_mode = "playing"
        self.wall_start = time.perf_counter()

    def _wait_on_screen(self, job, message: str) -> None:
        """Run ``job`` on a thread; until it ends, keep the window alive (events pumped) and
        show ``message`` with the seconds so far, so a slow start is never a black window.
        ``job``'s exception is raised here."""
        done, failed = threading.Event(), []

        def run() -> None:
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - re-raised on this thread
                failed.append(exc)
            finally:
                done.set()

        threading.Thread(target=run, name="start", daemon=True).start()
        rect = self.layout.imaging
        banner = pygame.Rect(rect.x, rect.centery - 30, rect.width, 60)
        while not done.wait(HUD_REFRESH_S):
            pygame.event.pump()
            self.screen.fill(BG)
            draw_wait(self.screen, self.text, banner, message,
                      time.perf_counter() - self.started_at)
            pygame.display.flip()
        if failed:
            raise failed[0]

    def wait_for_scores(self) -> None:
        """Block until every attempt handed to the scoring thread is saved."""
        self.scoring.wait()

    def finish_attempt(self, reason: str, *, wait: bool = True) -> Future | None:
        """Score the attempt and close its log on the scoring thread; returns the job
        (its result is the score document, or ``None``). ``wait``: block until done."""
        s = self.session
        if s is None or s.log is None or s is self._scored_session:
            return None  # nothing to save, or already being saved
        self._scored_session = s
        future = self.scoring.save(s, self.scorer, self.folder, reason=reason,
                                   status=attempt_status(self.world, s.state))
        if wait:
            self.doc = future.result()
        return future

    @property
    def state(self):
        return self.session.state

    @property
    def scene(self) -> SceneWorker:
        """The 3D view's worker, started on first use. The window starts it once the first
        image is on screen, so that building the 3D scene (vtk, meshes) does not hold up the
        image the trainee needs first."""
        if self.scene_worker is None:
            self.scene_worker = SceneWorker(self.world, self.layout.scene.size,
                                            allow_overlays=self.learning,
                                            max_fps=self.scene_fps)
        return self.scene_worker

    @property
    def warming(self) -> bool:
        """The needle kernels are still being prepared: the trainee waits (not simulated)."""
        return self.warm is not None and not self.warm.ready.is_set()

    # -- one frame --------------------------------------------------------------------------
    def frame(self, elapsed_s: float) -> bool:
        """Handle events, step the simulation for ``elapsed_s`` of real time, draw.
        Returns False once the app should close."""
        stats = self.stats.start()
        events = pygame.event.get()
        for event in events:
            self._event(event)
        if self.quit_requested:
            return False
        if self.screen_mode == "playing" and not self.warming:
            self._apply_kept()
            self._simulate(elapsed_s)
        elif self.screen_mode == "scoring":
            self._collect_score()
        stats.lap("simulate")
        if self._draw(stats, any(e.type not in MOUSE_EVENTS for e in events)):
            pygame.display.flip()
        stats.lap("flip")
        self.stats.finish(stats)
        return not self.quit_requested

    def _apply_kept(self) -> None:
        """The scanner is ready: the commands pressed while it was being prepared act now,
        in their order, before its first tick (the procedure clock starts here)."""
        kept, self._kept = self._kept, []
        for name in kept:
            self.command(name)

    def _simulate(self, elapsed_s: float) -> None:
        dt = self.world.dt_s
        self.accumulator += min(max(elapsed_s, 0.0), MAX_FRAME_S)
        ticks = int(self.accumulator / dt + 1e-9)
        self.accumulator -= ticks * dt
        session = self.session
        for action in self.trainee.actions(session.state, ticks):
            before = session.state.dose.last_frame_tick
            state, _ = session.step(action)
            if state.dose.last_frame_tick != before:
                self.exposure_state = state
            if state.ended:
                break
        if session.ended:
            self._pending_score = self.finish_attempt("ended", wait=False)
            self.screen_mode = "scoring"
            self.scoring_since = time.perf_counter()

    def _collect_score(self) -> None:
        """The background score is ready: show it."""
        job = self._pending_score
        if job is None or not job.done():
            return
        self.doc = job.result()
        self._pending_score = None
        self.screen_mode = "ended"
        self.score_wait_s = time.perf_counter() - self.scoring_since

    # -- events -----------------------------------------------------------------------------
    def _event(self, event) -> None:
        t = event.type
        if t == pygame.QUIT:
            self.quit_requested = True
            return
        if t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION,
                 pygame.MOUSEWHEEL):
            self._mouse(event)
            return
        if self.screen_mode == "debrief" and t == pygame.KEYDOWN and self.debrief.key(event.key):
            return
        for command in self.controls.handle(event):
            self.command(command)

    def _mouse(self, event) -> None:
        rect = self.layout.scene
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self._dragging = rect.collidepoint(event.pos)
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self._dragging = False
        elif event.type == pygame.MOUSEMOTION and self._dragging:
            dx, dy = event.rel
            self.camera = self.camera.orbit(-dx * ORBIT_DEG_PER_PX, dy * ORBIT_DEG_PER_PX)
        elif event.type == pygame.MOUSEWHEEL:
            if rect.collidepoint(pygame.mouse.get_pos()):
                self.camera = self.camera.zoom(0.9 ** event.y)

    def command(self, name: str) -> None:
        """Act on one pressed command (the app's own, or the trainee's)."""
        mode = self.screen_mode
        if name == "screenshot":
            self.screenshot()
            return
        if mode == "scoring":
            if name == "quit":
                self.quit_requested = True
            return
        if mode == "ended":
            if name in ("pause", "restart"):
                self.new_attempt()
            elif name == "quit":
                self.quit_requested = True
            elif name == "debrief" and self.learning:
                self.debrief = DebriefScreen(self.world, self.folder / LOG_NAME, self.overlay,
                                             self.text, self.doc)
                self.screen_mode = "debrief"
            return
        if mode == "debrief":
            if name in ("debrief", "pause"):
                self.screen_mode = "ended"
            elif name == "restart":
                self.new_attempt()
            elif name == "quit":
                self.quit_requested = True
            return
        if mode == "paused":
            if name in OVERLAYS and name not in ("pause", self.paused_by):
                self.paused_by = name   # from one screen to another
            elif name in OVERLAYS:
                self._resume()
            elif name == "restart":
                self.new_attempt()
            elif name == "end_attempt":
                self._resume()
                self.trainee.command("end_attempt", self.state)
            elif name == "quit":
                self.quit_requested = True
            return
        if name in OVERLAYS:
            self.screen_mode = "paused"
            self.paused_by = name
            self.controls.release_all()
        elif name == "restart":
            self.new_attempt()
        elif name == "overlays":
            if self.learning:
                self.overlays = not self.overlays
        elif self.warming:
            if name not in MENU:   # kept for the ready scanner (the banner lists them)
                self._kept.append(name)
            return
        elif name not in MENU or name == "end_attempt":
            self.trainee.command(name, self.state)
            if self.trainee.prompt:
                self.feedback.say(self.trainee.prompt, "warn",
                                  self.state.tick * self.world.dt_s)
                self.trainee.prompt = None

    def _imaging_refusal(self, state) -> str | None:
        """Learning mode: why "imaging set up" cannot be confirmed yet (``None``: it can)."""
        return imaging_refusal(self.world, state, self.imaging.frames.get(self.trainee.view))

    def _resume(self) -> None:
        self.screen_mode = "playing"
        self.accumulator = 0.0

    def _notify(self, message: str) -> None:
        """Gamepad connected / disconnected: a prompt in the current attempt."""
        if self.session is not None:
            self.feedback.say(message, "info", self.state.tick * self.world.dt_s)

    def screenshot(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path else (self.folder or self.results) / \
            f"screenshot-{self.state.tick:06d}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.screen, str(target))
        return target

    # -- drawing ----------------------------------------------------------------------------
    def _draw(self, stats, keys: bool = True) -> bool:
        """Feed the image workers the new state and draw the window if anything new is to
        be shown (``keys``: a key or button came this frame); True if it was drawn."""
        surf, lay, state = self.screen, self.layout, self.state
        view = self.trainee.view
        self.imaging.submit(state, self.exposure_state, visible=view)
        new_image = self.imaging.collect()
        if self.scene_worker is None and self._first_image_shown():
            self.scene  # noqa: B018 - starts the 3D view
            if self.warm is not None:
                self.warm.start()
                self.scoring.begin()
        got = None
        if self.scene_worker is not None:
            self.scene.yield_to_imaging(self.imaging.probe_moving, self.imaging.serial)
            self.scene.submit(View.of(state, self.camera, self.overlays))
            got = self.scene.latest()
        new_scene = got is not None and got[1] != self._scene_serial
        if new_scene:
            image, self._scene_serial = got
            surface = gray_surface(image)
            if surface.get_size() != lay.scene.size:  # rendered smaller: the view keeps pace
                surface = pygame.transform.smoothscale(surface, lay.scene.size)
            self._scene_surface = surface
        stats.lap("imaging")
        now = time.perf_counter()
        if not (keys or new_image or new_scene or self.screen_mode != "playing"
                or now - self._drawn_at >= HUD_REFRESH_S):
            return False
        self._drawn_at = now
        surf.fill(BG)
        self._draw_imaging(view)
        if self._scene_surface is not None:
            surf.blit(self._scene_surface, lay.scene.topleft)
            target_at = self.scene.target_at
            if self.overlays and target_at is not None:
                scene_target(surf, self.text, lay.scene, target_at)
        else:
            failed = self.scene_worker is not None and self.scene_worker.error
            message = "3D view failed: see the console" if failed else \
                "Preparing the 3D view..."
            self.text.draw(surf, message, lay.scene.center, 22, DIM, anchor="center")
        self.text.draw(surf, "3D view  (drag to orbit, wheel to zoom"
                       + (", O: anatomy)" if self.learning else ")"),
                       (lay.scene.x + 8, lay.scene.y + 6), 18, DIM)
        stats.lap("scene3d")
        info = HudInfo(self.attempt, self.mode, self.stats.fps(), self.show_fps,
                       len(self.controls.pads.pads))
        now = state.tick * self.world.dt_s
        self.hud.draw_top(surf, state, info)
        self.hud.draw_panel(surf, state, self.feedback)
        self.hud.draw_prompts(surf, state, self.feedback, now)
        if self.screen_mode == "paused":
            b = self.bindings
            keys = footer(b, ("pause", "resume"), ("restart", "restart"),
                          ("end_attempt", "end and score"), ("quit", "quit"))
            if self.paused_by == "instructions":
                draw_task(surf, self.text, self.world.scenario, keys)
            else:
                title = "Controls" if self.paused_by == "help" else "Paused"
                draw_controls(surf, self.text, b, title, keys)
        elif self.screen_mode == "scoring":
            draw_scoring(surf, self.text, time.perf_counter() - self.scoring_since,
                         self.scoring.stage())
        elif self.screen_mode == "ended":
            b = self.bindings
            more = (("debrief", "debrief"),) if self.learning else ()
            draw_end(surf, self.text, self.doc, self.folder, self.trainee_name,
                     footer(b, ("restart", "new attempt"), *more, ("quit", "quit")))
        elif self.screen_mode == "debrief":
            self.debrief.draw(surf, footer(self.bindings, ("debrief", "back to the score"),
                                           ("restart", "new attempt"), ("quit", "quit")))
        stats.lap("hud")
        return True

    def _first_image_shown(self) -> bool:
        """The imaging view's first image is on screen (a fluoroscopy-only case has none
        until the first shot: true at once)."""
        return bool(self.imaging.surfaces) or not self.world.scenario.uses_ultrasound

    def _draw_imaging(self, view: str) -> None:
        surf, rect = self.screen, self.layout.imaging
        pygame.draw.rect(surf, (0, 0, 0), rect)
        image = self.imaging.surfaces.get(view)
        self.overlay.lines = []
        if image is not None:
            where = image.get_rect(center=rect.center)
            surf.blit(image, where)
            frame = self.imaging.frames.get(view)
            if view == "ultrasound" and frame is not None:
                self.overlay.depth_scale(surf, frame, where)
                self.overlay.ultrasound(surf, frame, where, self.state)
            elif frame is not None:
                self.overlay.fluoroscopy(surf, frame, where,
                                         self.imaging.shown_states[view], self.state)
        label = "ULTRASOUND" if view == "ultrasound" else "FLUOROSCOPY"
        state = self.state
        if view == "fluoroscopy" and state.carm is not None:
            label += "  LIVE" if state.carm.beam_on else "  last image hold"
        self.text.draw(surf, label, (rect.x + 8, rect.y + 6), 20, TEXT, True)
        self.overlay.draw_lines(surf, rect)
        banner = pygame.Rect(rect.x, rect.centery - 30, rect.width, 60)
        if image is None and view == "fluoroscopy":
            draw_banner(surf, self.text, banner,
                        f"No image yet: {key_label(self.bindings, 'shot')} takes a spot image")
        elif image is None:
            draw_wait(surf, self.text, banner, "Starting the scanner...",
                      time.perf_counter() - self.started_at)
        if self.warming and self.warm.started_at is not None:
            done, total, what = self.warm.status()
            kept = f" ({len(self._kept)} kept so far)" if self._kept else ""
            draw_wait(surf, self.text, banner, f"Preparing the scanner... {done + 1}/{total}: "
                      f"{what}", time.perf_counter() - self.warm.started_at,
                      note=f"Keys pressed now act once it is ready{kept}; the procedure clock "
                      "starts then.")
        elif self.warm is not None and self.warm.error is not None and not self._warm_reported:
            self._warm_reported = True
            print(f"warm-up failed ({self.warm.error}); kernels compile on first use",
                  file=sys.stderr)

    # -- the real-time loop -----------------------------------------------------------------
    def run(self, max_seconds: float | None = None) -> int:
        """Run until the window closes (or ``max_seconds``); always saves the attempt."""
        clock = pygame.time.Clock()
        last = time.perf_counter()
        start = last
        try:
            while True:
                now = time.perf_counter()
                if not self.frame(now - last):
                    break
                last = now
                if max_seconds is not None and now - start >= max_seconds:
                    break
                if self.fps_cap:
                    clock.tick(self.fps_cap)
            self.close("window closed")
        except BaseException as exc:
            self.close(f"crashed: {exc.__class__.__name__}: {exc}")
            raise
        return 0

    def close(self, reason: str = "closed") -> None:
        """Save the current attempt (log end record and score) and release everything."""
        self.scoring.skip_warm_up()   # its score must not wait for a warm-up, or for go
        self.finish_attempt(reason)
        self.scoring.close()  # every attempt's score written
        if self.scene_worker is not None:
            self.scene_worker.close()
        self.imaging.close()
        pygame.display.quit()


def headless_env() -> None:
    """Environment for running without a display (tests, benchmarks)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
