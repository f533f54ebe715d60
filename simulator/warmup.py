"""Warm-up: load (or, on the first start after installing, compile) every numba kernel a
procedure uses, before the trainee can touch the needle.

numba compiles a kernel the first time it is called and caches it on disk (``cache=True``);
later starts only load it. Without a warm-up the first skin puncture of a fresh install froze
the window for most of a minute while the needle kernels compiled, and the first score for
another twenty seconds. :func:`warm_needle` runs a short scripted procedure on a throwaway
session (no log): the needle placed on the line from the scenario's entry area to its target,
advanced through the skin, steered, aspirated, injected and pulled back, with the probe moved;
the imaging of that needle rendered (full and moving detail). Every stage reports
``(done, total, what)`` so the caller can show progress. :func:`warm_scoring` scores the same
procedure, for the scoring's kernels. Nothing here touches the window: ``simulator.app``
runs both on threads (:class:`NeedleWarmUp`, and the scoring thread's preparation).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from simulator.probe import place_probe, probe_axes
from simulator.state import Action
from simulator.step import initial_state

ADVANCE_MM_S = 8.0
ADVANCE_S = 2.5            # through the skin and some way towards the target
PROBE_OVER_MM = 20.0       # the probe sits over the needle's path this far in
IMAGE_SHAPE = (96, 128)    # rows, cols: the same kernels as at display size, less work
STEPS = ("the needle in tissue", "the needle in the image")


def _approach(world) -> list[Action]:
    """Place the needle on the line from the entry area to the target and, in an
    ultrasound case, the probe over its path with the needle in the scan plane (so the
    image shows the needle and its injectate). Empty if the line misses the skin."""
    target = np.asarray(world.target_point, float)
    outside = np.asarray(world.entry_centre, float)
    direction = target - outside
    norm = float(np.linalg.norm(direction))
    if not np.isfinite(norm) or norm < 1e-6:
        return []
    direction /= norm
    hit = world.skin_along(outside - direction * 100.0, direction, 100.0 + norm)
    if hit is None:
        return []
    out = []
    start = initial_state(world).probe
    if start is not None:
        below = np.asarray(hit.point) + direction * PROBE_OVER_MM
        outward = np.asarray(hit.normal, float)
        # the turn that puts the needle in the scan plane: elevation across the needle
        turns = np.linspace(0.0, np.pi, 72, endpoint=False)
        probes = [place_probe(world, below, outward, t, 0.0, start) for t in turns]
        across = [abs(float(probe_axes(world, p)[1] @ direction)) if p is not None else 2.0
                  for p in probes]
        best = int(np.argmin(across))
        if probes[best] is not None:
            out.append(Action(place_probe=(tuple(map(float, below)), tuple(map(float, outward)),
                                           float(turns[best]), 0.0)))
    return [*out, Action(place_needle=(tuple(map(float, hit.point)),
                                       tuple(map(float, direction))))]


def _procedure(world) -> list[list[Action]]:
    """The scripted ticks in phases: a little of every kind of needle, syringe and probe
    work (the imaging stage renders the state at the end of each phase)."""
    place = _approach(world)
    if not place:
        return []
    n = int(ADVANCE_S / world.dt_s)
    return [[*place, *[Action(advance_mm_s=ADVANCE_MM_S)] * n],
            [*[Action(steer_rad_s=(0.05, -0.05), advance_mm_s=2.0)] * 10,
             Action(aspirate=True), *[Action(inject_ml_s=0.5)] * 10],
            [Action(probe_rock_rad_s=0.3)] * 10,
            [*[Action(probe_slide_mm_s=(2.0, 1.0), probe_rotate_rad_s=0.05)] * 5,
             *[Action(advance_mm_s=-ADVANCE_MM_S)] * 10, Action(withdraw=True)]]


def warm_needle(world, progress: Callable[[int, int, str], None] = lambda *_: None) -> None:
    """Run every kernel of the needle and its imaging once: the scripted procedure, then its
    needle rendered by each of the scenario's modalities. ``progress(done, total, what)`` is
    called before each stage (``what`` names it) and once at the end (``done == total``).
    Pure for the caller: no file is written, ``world`` is not changed."""
    from simulator.session import Session

    total = len(STEPS)
    progress(0, total, STEPS[0])
    session = Session(world, seed=0)
    shown = []    # the needle in; the injectate given; the probe rocked
    for phase in _procedure(world):
        for action in phase:
            session.step(action)
        if session.state.needle.in_skin:
            shown.append(session.state)
    # the nearest-hit ray walk the needle core takes outside the label volume
    tris = world.anatomy.triangles
    tris.nearest_hits(world.entry_centre, np.array([0.0, 0.0, -1.0]), 10.0)
    progress(1, total, STEPS[1])
    shown = shown or [session.state]   # no needle: the images without one
    twice = [state for state in shown for _ in range(2)]
    sc = world.scenario
    if sc.uses_ultrasound and shown[0].probe is not None:
        from simulator.imaging.ultrasound import render_ultrasound

        # twice each: a pose's second image reuses its first's (read-only) arrays, which
        # numba compiles separately
        for detail in ("full", "moving"):
            for tick, state in enumerate(twice):
                render_ultrasound(world, state, tick=tick, detail=detail,
                                  image_shape=IMAGE_SHAPE)
    if sc.uses_fluoroscopy:
        from simulator.imaging.fluoro import render_fluoro

        for state in twice:
            render_fluoro(world, state)
    progress(total, total, "ready")


def warm_scoring(world) -> None:
    """Score the scripted procedure once (no file written), so the first real score does
    not wait for the scoring's kernels and imports."""
    from scoring.score import Scorer, score_claim
    from simulator.session import Session

    scorer = Scorer(world)
    session = Session(world, seed=0, observers=[scorer])
    for phase in _procedure(world):
        for action in phase:
            session.step(action)
    score_claim(scorer.scored())


class NeedleWarmUp:
    """:func:`warm_needle` on its own thread, started by :meth:`start`. ``ready`` is set once
    it is over (done, or failed: ``error`` then holds why; the kernels then compile on first
    use, slower but still right)."""

    def __init__(self, world):
        self.world = world
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.started_at: float | None = None   # perf_counter
        self._status = (0, len(STEPS), STEPS[0])
        self._thread = threading.Thread(target=self._run, name="warm-up", daemon=True)

    def start(self) -> None:
        if self.started_at is None:
            self.started_at = time.perf_counter()
            self._thread.start()

    def status(self) -> tuple[int, int, str]:
        """``(stages done, stages, what runs now)``."""
        return self._status

    def _set(self, done: int, total: int, what: str) -> None:
        self._status = (done, total, what)

    def _run(self) -> None:
        try:
            warm_needle(self.world, self._set)
        except Exception as exc:  # noqa: BLE001 - reported by the window, never fatal
            self.error = exc
        finally:
            self.ready.set()
