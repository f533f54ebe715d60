"""Progress for waits: a line saying what the program is doing, printed only when a step takes
longer than a second (loading or compiling the renderers' kernels, building anatomy), so a
start-up is never silent and a quick one prints nothing extra. That a step compiles is said
only when numba really compiles during it (a cache miss: the first start after installing),
never on a start that loads the compiled kernels from the cache."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

SLOW_S = 1.0  # a wait longer than this gets a progress line
COMPILING = "compiling on this first start: up to a minute"


@contextmanager
def noted_if_slow(message: str, progress: Callable[[str], None] | None,
                  after_s: float = SLOW_S, compiling: str = "") -> Iterator[None]:
    """Run the ``with`` block; if it is still running after ``after_s`` seconds, call
    ``progress(message)`` once (from a timer thread). ``progress=None`` prints nothing.

    With ``compiling``, a block that makes numba compile a kernel says so: the line becomes
    ``"message (compiling)"``, or, when compiling starts after the line was said, a second
    line ``"message: compiling"`` follows once."""
    if progress is None:
        yield
        return
    lock = threading.Lock()
    said: dict[str, bool] = {"line": False, "compiling": False, "compile_said": False}

    def on_time() -> None:
        with lock:
            said["line"] = True
            said["compile_said"] = said["compiling"]
            progress(f"{message} ({compiling})" if said["compiling"] else message)

    def on_compile() -> None:
        with lock:
            said["compiling"] = True
            if said["line"] and not said["compile_said"]:
                said["compile_said"] = True
                progress(f"{message}: {compiling}")

    timer = threading.Timer(after_s, on_time)
    timer.daemon = True
    with ExitStack() as stack:
        if compiling:
            stack.enter_context(_on_numba_compile(on_compile))
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


@contextmanager
def _on_numba_compile(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` whenever numba starts compiling (not when it loads from its cache)."""
    from numba.core import event

    class Listener(event.Listener):
        def on_start(self, _event) -> None:
            callback()

        def on_end(self, _event) -> None:
            pass

    with event.install_listener("numba:compile", Listener()):
        yield

