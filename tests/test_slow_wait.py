"""Start-up waits: a step that takes long says what it is doing; a quick one prints nothing."""

from __future__ import annotations

import threading

from simulator.slow_wait import noted_if_slow


def test_a_long_wait_gets_its_line_once_and_a_quick_step_none():
    said = []
    heard = threading.Event()

    def progress(message):
        said.append(message)
        heard.set()

    with noted_if_slow("loading the renderer", progress, after_s=0.01):
        assert heard.wait(30)  # the block outlasts after_s: the line comes while it runs
    with noted_if_slow("quick step", progress, after_s=60.0):
        pass
    assert said == ["loading the renderer"]
    with noted_if_slow("nobody listens", None, after_s=0.0):
        pass


def test_a_wait_says_it_compiles_only_when_numba_compiles():
    import numba

    said = []
    heard = threading.Event()

    def progress(message):
        said.append(message)
        heard.set()

    @numba.njit(cache=False)
    def fresh_kernel(x):
        return x + 1

    with noted_if_slow("preparing", progress, after_s=0.0, compiling="compiling"):
        assert heard.wait(30)
        fresh_kernel(1)  # a cache miss after the line was said: a second line says so
    assert said == ["preparing", "preparing: compiling"]
    said.clear()
    heard.clear()
    with noted_if_slow("preparing again", progress, after_s=0.0, compiling="compiling"):
        fresh_kernel(2)  # compiled already: nothing to compile
        assert heard.wait(30)
    assert said == ["preparing again"]
