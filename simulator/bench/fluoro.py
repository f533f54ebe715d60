"""Fluoroscopy figures: full frame after a C-arm move, and frame updates with the C-arm still.

Each figure is the median over repeated frames on this machine. "After a C-arm move" renders
a new pose every time (the anatomy memo misses); "needle moves" advances a needle seen
side-on by 0.2 mm per frame; "contrast grows" adds contrast every frame (a new injectate
field from ``simulator.spread`` each time, included in the figure, as during an injection);
"repeat shot" exposes the same state again (new noise), what a pedal tap at a pose the app
has prepared costs (``render.prepare``: the view of a resting C-arm, made between shots).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import replace

import numpy as np

from simulator.bench.core import figure

SCENARIO = "hip_ap_fluoro"
REPEATS = 9


def _median_s(fn, n: int) -> float:
    return _medians_s(fn, n)[0]


def _medians_s(fn, n: int) -> tuple[float, float]:
    """Median wall-clock and process CPU time (all threads) of ``fn(k)``, ``k = 1..n``; the
    CPU time barely depends on other work on the machine."""
    fn(0)  # warm-up (JIT load)
    wall, cpu = [], []
    for k in range(1, n + 1):
        t, c = time.perf_counter(), time.process_time()
        fn(k)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def needle_side_on(world, state):
    """A needle toward the target from anterolateral, 45 degrees off the beam."""
    from simulator.geometry import unit, vec
    from simulator.state import Needle

    target = world.target_point
    direction = unit([-0.7 * world.side_sign, -0.7, 0.15])
    entry = target - direction * 60.0
    label = world.anatomy.label_at(target)
    return replace(state, needle=Needle(entry_mm=vec(entry), direction=vec(direction),
                                        depth_mm=55.0, in_skin=True, tip_label=label))


def run(progress) -> list[dict]:
    from simulator.imaging.fluoro import render_fluoro
    from simulator.imaging.fluoro.render import clear_cache
    from simulator.imaging.fluoro.scene import MeshScene
    from simulator.loading import load_world
    from simulator.state import Deposit
    from simulator.step import initial_state

    world = load_world(SCENARIO, progress=progress)
    state = initial_state(world)
    t = time.perf_counter()
    MeshScene.from_anatomy(world.anatomy)
    t_scene = time.perf_counter() - t
    n_tri = sum(len(s.faces) for s in world.anatomy.structures)
    out = [figure(f"fluoro anatomy scene build ({n_tri} triangles, once per anatomy)",
                  t_scene, "s")]
    for size, target in ((512, "<= 0.5 (aim <= 0.12)"), (256, "<= 0.15")):
        progress(f"fluoro full frame after a C-arm move, {size}^2")
        clear_cache()

        def moved(k, size=size):
            c = replace(state.carm, orbital_rad=math.radians(0.5 * k))
            render_fluoro(world, replace(state, carm=c), size=size, tick=k)

        wall_s, cpu_s = _medians_s(moved, REPEATS)
        out += [figure(f"fluoro full frame after C-arm move, {size}^2", wall_s, "s", target),
                figure(f"  CPU time per frame (both cores summed), {size}^2", cpu_s, "s")]
    base = needle_side_on(world, state)
    label = world.target_label
    for size, target in ((512, "<= 0.066 (aim <= 0.016)"), (256, "<= 0.066")):
        progress(f"fluoro frame updates with the C-arm still, {size}^2")

        def needle_moves(k, size=size):
            n = replace(base.needle, depth_mm=base.needle.depth_mm + 0.2 * k)
            render_fluoro(world, replace(base, needle=n, tick=k), size=size)

        out.append(figure(f"fluoro frame, needle moves, {size}^2",
                          _median_s(needle_moves, 3 * REPEATS), "s", target))

        def contrast_grows(k, size=size):
            d = Deposit(0, "intra_articular", label, tuple(world.target_point.tolist()),
                        0.5 + 0.02 * k + (size == 256) * 1e-3, 0, 10.0)
            render_fluoro(world, replace(base, deposits=(d,), tick=k), size=size)

        out.append(figure(f"fluoro frame, contrast grows (incl. spread), {size}^2",
                          _median_s(contrast_grows, 3 * REPEATS), "s", target))
    from simulator.imaging.fluoro.render import prepare

    prepare(world, base)
    out.append(figure("fluoro repeat shot, unchanged pose (view prepared), 512^2",
                      _median_s(lambda k: render_fluoro(world, base, tick=k), 3 * REPEATS),
                      "s", "a few ms"))

    def new_view(k):
        c = replace(state.carm, orbital_rad=math.radians(0.5 * k + 0.25))
        prepare(world, replace(state, carm=c))

    clear_cache()
    out.append(figure("fluoro view prepared for a new C-arm pose (between shots), 512^2",
                      _median_s(new_view, REPEATS), "s"))
    load = np.round(np.array(_loadavg()), 2).tolist()
    out.append(figure("load average during fluoro bench (1 min)", load[0], "", "2 cores"))
    return out


def _loadavg():
    import os

    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not on every platform
        return (float("nan"),) * 3
