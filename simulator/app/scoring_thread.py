"""Scoring attempts off the window's thread, so the window never freezes at the end of an
attempt (or on a restart), and the status an attempt is saved with.

One worker scores one attempt at a time. At start-up a second, low-priority thread builds
what scoring needs that does not depend on the attempt (the danger structures' distance map
behind the closest-approach metric: seconds of work), while the trainee prepares; an attempt
ended before that is done waits for it, with "Scoring..." on screen. The scoring itself runs
at normal priority: on a busy machine a low-priority thread gets almost no time, and the
trainee is waiting for the score.
"""

from __future__ import annotations

import getpass
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from simulator.app.results import save_score
from simulator.log import ABANDONED, COMPLETED
from simulator.scenario import Step

PREPARE_NICE = 10   # the preparation yields to the window and the imaging views


def default_trainee() -> str:
    """The name recorded when none is given: the operating-system user's."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user database entry (some containers)
        return "trainee"


def attempt_status(world, state) -> str:
    """``"completed"`` once the procedure was finished (or the clock ran out),
    ``"abandoned"`` when the trainee restarted, ended early or closed the window."""
    finished = Step.completion.value in state.steps_done
    timed_out = state.tick * world.dt_s >= world.scenario.limits.time_s - 1e-9
    return COMPLETED if finished or timed_out else ABANDONED


def _prepare(world, warm: bool, go: threading.Event, closing: threading.Event) -> float:
    """Build what scoring any attempt of ``world`` needs (``warm``: and score a scripted
    attempt once, so the first real score finds the scoring's compiled kernels loaded);
    returns the seconds it took, from ``go``."""
    from simulator.danger_map import danger_distance_field

    go.wait()
    try:  # this thread only (Linux)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PREPARE_NICE)
    except (AttributeError, OSError):
        pass
    start = time.perf_counter()
    if world.danger:
        danger_distance_field(world)
    if warm and not closing.is_set():   # a window closing needs no warm-up
        from simulator.warmup import warm_scoring

        warm_scoring(world)
    return time.perf_counter() - start


class ScoringThread:
    """The worker. ``prepared``: the start-up job (its result: seconds it took); ``warm``:
    it also scores a scripted attempt (see :func:`simulator.warmup.warm_scoring`), and waits
    for :meth:`begin` (the window calls it once its first image is shown: the threads share
    one interpreter lock, so an early start would slow that image)."""

    def __init__(self, world, *, warm: bool = False):
        self._go = threading.Event()
        self._closing = threading.Event()
        if not warm:
            self._go.set()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="scoring")
        self._background = ThreadPoolExecutor(1, thread_name_prefix="scoring-prepare")
        self.prepared: Future = self._background.submit(_prepare, world, warm, self._go,
                                                       self._closing)

    def begin(self) -> None:
        """Start the preparation (if it waits for this)."""
        self._go.set()

    def skip_warm_up(self) -> None:
        """The window is closing: prepare at once what the last score needs, nothing more."""
        self._closing.set()
        self._go.set()

    def stage(self) -> str:
        """What the worker is doing, for the "Scoring..." screen."""
        if not self.prepared.done():
            return "Preparing the scoring (once per session)"
        return "Adding up the metrics"

    def save(self, session, scorer, folder, *, reason: str, status: str) -> Future:
        """Write the attempt's ``score.json`` and close its log (end record: reason, status,
        score); the job's result is the ``ScoredSession``, or ``None``."""

        def job():
            self.prepared.exception()   # waits for the start-up job (its failure is its own)
            from scoring.score import score_claim

            scored = save_score(scorer, folder, reason=reason, status=status)
            summary = {"reason": reason, "status": status}
            if scored is not None:
                summary.update(score_claim(scored))
            session.close(summary)
            return scored

        return self._pool.submit(job)

    def wait(self) -> None:
        """Block until every job handed over so far is done."""
        self._pool.submit(lambda: None).result()
        self.prepared.exception()

    def close(self) -> None:
        self.skip_warm_up()
        self._pool.shutdown(wait=True)
        self._background.shutdown(wait=True)
