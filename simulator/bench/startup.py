"""Start-up figures: how long a fresh process takes to its first ultrasound image.

Each figure starts a new Python process with its own, initially empty ``NUMBA_CACHE_DIR``
(the anatomy cache is the user's, as after any earlier run):

- cold start: the first run after installing, every kernel compiled;
- second start: the same again with the compiled code cached by the first, split into
  imports, world load (anatomy from its cache) and the first frame;
- trainer window: ``jointsim run``'s window (headless) from process start until its first
  ultrasound image is on screen, and then until the needle kernels are warm (the trainee
  waits for that, with progress on screen); first start (empty numba cache) and second.

Times are wall-clock from the moment the process is launched (interpreter start included)
to the image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from simulator.bench.core import cpu_of_children_s, figure

SCENARIO = "hip_anterior_us"

_FIRST_FRAME = """
import json, time
t0 = time.perf_counter()
from simulator.imaging.ultrasound import render_ultrasound
from simulator.loading import load_world
from simulator.step import initial_state
t1 = time.perf_counter()
world = load_world({scenario!r})
t2 = time.perf_counter()
render_ultrasound(world, initial_state(world))
t3 = time.perf_counter()
print(json.dumps({{"shown_at": time.time(), "imports": t1 - t0, "world": t2 - t1,
                  "frame": t3 - t2}}))
"""

_WINDOW = """
import json, os, tempfile, time
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
from simulator.app.loop import App
from simulator.loading import load_world
from simulator.paths import scenario_path
path = scenario_path({scenario!r})
app = App(load_world(path), scenario_path=path.resolve(), results=tempfile.mkdtemp(),
          seed=0, size=(1280, 720), warm_up=True)
last = time.perf_counter()
shown = None
while shown is None or app.warming:
    now = time.perf_counter()
    app.frame(now - last)
    last = now
    if shown is None and "ultrasound" in app.imaging.surfaces:
        shown = time.time()
    time.sleep(0.005)
ready = time.time()
app.close("benchmark over")
print(json.dumps({{"shown_at": shown, "ready_after": ready - shown}}))
"""


def _launch(script: str, numba_cache: str) -> tuple[float, dict]:
    """Seconds from launching ``python -c script`` to the image it reports (``shown_at``,
    wall clock), and its JSON output plus ``cpu_s``, the CPU time the whole process used
    (all threads, to its exit; unlike wall time, barely changed by other work on the
    machine)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=numba_cache)
    cpu = cpu_of_children_s()
    launched = time.time()
    out = subprocess.run([sys.executable, "-c", script.format(scenario=SCENARIO)], env=env,
                         capture_output=True, text=True, timeout=600)
    cpu = cpu_of_children_s() - cpu
    if out.returncode != 0:
        raise RuntimeError(f"start-up run failed: {out.stderr.strip().splitlines()[-1:]}")
    parts = json.loads(out.stdout.strip().splitlines()[-1])
    return parts["shown_at"] - launched, {**parts, "cpu_s": cpu}


def run(progress) -> list[dict]:
    out = [figure("load average (1 min) at the start: other work on the machine",
                  os.getloadavg()[0], "", "~0 for clean timings")]
    with tempfile.TemporaryDirectory(prefix="jointsim-numba-") as cache:
        progress("start-up: first ultrasound frame in a fresh process, empty numba cache")
        cold, parts = _launch(_FIRST_FRAME, cache)
        out += [figure("cold start -> first ultrasound frame (empty numba cache)", cold, "s"),
                figure("  of which the first frame (compiling)", parts["frame"], "s"),
                figure("  CPU time of that process", parts["cpu_s"], "s")]
        progress("start-up: the same in a second fresh process, compiled code cached")
        warm, parts = _launch(_FIRST_FRAME, cache)
        out += [figure("second start -> first ultrasound frame (numba cache warm)", warm, "s",
                       "< 2"),
                figure("  of which imports", parts["imports"], "s"),
                figure("  of which world load (anatomy cached)", parts["world"], "s"),
                figure("  of which the first frame", parts["frame"], "s"),
                figure("  CPU time of that process", parts["cpu_s"], "s")]
        from importlib.util import find_spec

        if find_spec("pygame") is not None and find_spec("vtk") is not None:
            out += _window_figures(progress)
    return out


def _window_figures(progress) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory(prefix="jointsim-numba-") as cache:
        for start in ("first", "second"):
            progress(f"start-up: trainer window, {start} start (numba cache "
                     f"{'empty' if start == 'first' else 'warm'})")
            window, parts = _launch(_WINDOW, cache)
            out += [figure(f"{start} start -> trainer window's first ultrasound image", window,
                           "s", "< 2" if start == "second" else ""),
                    figure("  then the needle kernels warm (the trainee waits, progress "
                           "shown)", parts["ready_after"], "s"),
                    figure("  CPU time of that process (to its exit)", parts["cpu_s"], "s")]
    return out
