"""Progress for waits: a line saying what the program is doing, printed only when a step takes
longer than a second (loading or compiling the renderers' kernels, building anatomy), so a
start-up is never silent and a quick one prints nothing extra."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SLOW_S = 1.0  # a wait longer than this gets a progress line


@contextmanager
def noted_if_slow(message: str, progress: Callable[[str], None] | None,
                  after_s: float = SLOW_S) -> Iterator[None]:
    """Run the ``with`` block; if it is still running after ``after_s`` seconds, call
    ``progress(message)`` once (from a timer thread). ``progress=None`` prints nothing."""
    if progress is None:
        yield
        return
    timer = threading.Timer(after_s, progress, args=(message,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def prepare_renderers(world, progress: Callable[[str], None] | None) -> None:
    """Render the starting image of each of the scenario's modalities once and throw it away,
    so the renderers' compiled kernels are loaded from numba's cache (or compiled, on a first
    start) now, with a progress line, rather than silently behind the first frame."""
    from simulator.step import initial_state

    state = initial_state(world)
    if world.scenario.uses_ultrasound:
        from simulator.imaging.ultrasound import render_ultrasound

        with noted_if_slow("preparing the ultrasound renderer (the first start compiles it: "
                           "up to a minute)", progress):
            render_ultrasound(world, state)
    if world.scenario.uses_fluoroscopy:
        from simulator.imaging.fluoro import render_fluoro

        with noted_if_slow("preparing the fluoroscopy renderer (the first start compiles it: "
                           "up to a minute)", progress):
            render_fluoro(world, state)
