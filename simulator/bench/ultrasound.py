"""Ultrasound figures: frame time while the needle moves through the hip, cold start.

- Needle run: the scripted expert performs the hip injection; 300 frames spread over the
  ticks from needle placement to the end of the injection are rendered in order (256 lines
  x 512 samples, scan-converted to 768 x 576), as a live view would. The probe stays where
  the expert put it, so the anatomy part of the image is reused between frames; every frame
  redraws the needle, its shadow and comet tail, the PSF, envelope, noise, TGC and scan
  conversion, and frames during the injection redo the tissue maps with the injectate.
- Probe run: the probe slides and turns every frame, so nothing is reused (the worst case
  while scanning): at full detail, and at the low detail the app shows while the probe moves
  (``detail="moving"``, a coarser scatterer lattice); then the full-detail frame the app
  renders once the probe rests.
- Colour Doppler: the needle run again with colour on (default box), and the probe resting
  across the femoral vessels with colour in the box, pressed half the time.
"""

from __future__ import annotations

import os
import time

import numpy as np

from simulator.bench.core import figure

SCENARIO = "hip_anterior_us"
N_FRAMES = 300
N_PROBE_FRAMES = 60

def expert_states(world, seed: int = 0):
    """States of an expert session from needle placement to the end of the injection."""
    from simulator.policies import make_policy
    from simulator.step import initial_state, step

    policy = make_policy("expert", world, seed)
    state = initial_state(world)
    states = []
    was_injecting = False
    while not state.ended and state.tick < 60_000:
        state, _ = step(world, state, policy(world, state))
        if state.needle.entry_mm is not None and state.needle.depth_mm > 0.0:
            states.append(state)
        if was_injecting and not state.injecting:
            break
        was_injecting = state.injecting
    return states


def _timed(world, states, detail: str = "full") -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and process CPU time (all threads) per frame, ms."""
    from simulator.imaging.ultrasound import render_ultrasound

    wall = np.empty(len(states))
    cpu = np.empty(len(states))
    for n, s in enumerate(states):
        t, c = time.perf_counter(), time.process_time()
        render_ultrasound(world, s, detail=detail)
        wall[n] = time.perf_counter() - t
        cpu[n] = time.process_time() - c
    return wall * 1000.0, cpu * 1000.0


def run(progress) -> list[dict]:
    from dataclasses import replace

    from simulator.imaging.ultrasound import render_ultrasound
    from simulator.loading import load_world
    from simulator.probe import move_probe

    out = [figure("load average (1 min) at the start: other work on the machine",
                  os.getloadavg()[0], "", "~0 for clean timings")]

    world = load_world(SCENARIO, progress=progress)
    progress("ultrasound: expert session (needle placement to end of injection)")
    states = expert_states(world)
    pick = np.linspace(0, len(states) - 1, N_FRAMES).round().astype(int)
    frames = [states[k] for k in pick]
    depths = [s.needle.depth_mm for s in frames]
    render_ultrasound(world, frames[0])  # warm-up: the probe's anatomy pass
    progress(f"ultrasound: {N_FRAMES} frames, needle 0-{max(depths):.0f} mm deep and injecting")
    ms, cpu = _timed(world, frames)
    f0 = render_ultrasound(world, frames[0])
    shape = f"{f0.envelope.shape[0]}x{f0.envelope.shape[1]} -> {f0.image.shape[1]}x" \
            f"{f0.image.shape[0]}"
    out += [figure(f"frame time, needle moving ({shape}), median", np.median(ms), "ms",
                   "<= 33 (aim <= 16)"),
            figure("frame time, needle moving, 95th percentile", np.percentile(ms, 95), "ms",
                   "<= 50"),
            figure("frame time, needle moving, max", ms.max(), "ms"),
            figure("CPU time per frame (both cores summed), needle moving, median",
                   np.median(cpu), "ms")]

    out += _doppler(progress, world, frames)

    progress(f"ultrasound: {N_PROBE_FRAMES} frames with the probe sliding every frame")
    probe = frames[-1].probe
    moving = []
    for n in range(2 * N_PROBE_FRAMES):
        probe = move_probe(world, probe, (0.4 * np.cos(n / 9.0), 0.3), 0.004, 0.0)
        moving.append(replace(frames[-1], probe=probe, tick=frames[-1].tick + n + 1))
    for detail, states, note in (("full", moving[::2], ""),
                                 ("moving", moving[1::2], "<= 33 (aim <= 16)")):
        ms, cpu = _timed(world, states, detail)
        out += [figure(f"frame time, probe moving ({detail} detail, nothing reused), median",
                       np.median(ms), "ms", note),
                figure(f"frame time, probe moving ({detail} detail), 95th percentile",
                       np.percentile(ms, 95), "ms"),
                figure(f"CPU time per frame (both cores summed), probe moving ({detail} "
                       "detail), median", np.median(cpu), "ms")]
    # the probe rests: its full-detail frame (the pose's low-detail work is not reused)
    rest = []
    for s in moving[1:N_PROBE_FRAMES:2]:
        render_ultrasound(world, s, detail="moving")
        rest.append(_timed(world, [s], "full")[0][0])
    out.append(figure("frame time, probe comes to rest (full detail after a moving frame), "
                      "median", np.median(rest), "ms"))
    return out


def _doppler(progress, world, frames) -> list[dict]:
    """Frame times with colour Doppler on: the needle run again, and the probe resting
    across the femoral vessels (colour in the box, pressed half the time) for two beats."""
    from dataclasses import replace

    from simulator.imaging.ultrasound import render_ultrasound
    from simulator.probe import apply_settings
    from simulator.state import Action
    from simulator.step import initial_state, step

    progress(f"ultrasound: {N_FRAMES} frames of the needle run with colour Doppler on")
    on = [replace(s, probe=replace(s.probe, doppler_mode=1)) for s in frames]
    render_ultrasound(world, on[0])
    ms, cpu = _timed(world, on)
    out = [figure("frame time, needle moving, colour Doppler on, median", np.median(ms), "ms",
                  "<= 16"),
           figure("frame time, needle moving, colour Doppler on, 95th percentile",
                  np.percentile(ms, 95), "ms"),
           figure("CPU time per frame (both cores summed), needle moving, colour Doppler on, "
                  "median", np.median(cpu), "ms")]
    artery = next(s for s in world.anatomy.structures if s.name == "femoral_artery").vertices
    centre = artery[np.abs(artery[:, 2]) < 8.0].mean(0)
    state, _ = step(world, initial_state(world),
                    Action(place_probe=(tuple(centre), (0.0, 1.0, 0.0), np.pi / 2, -0.41)))
    probe = apply_settings(state.probe, world.scenario.probe.preset,
                           (("doppler_mode", 1), ("box_depth_mm", 22.0),
                            ("doppler_scale_cm_s", 60.0)))
    beats = [replace(state, tick=state.tick + n,
                     probe=replace(probe, pressure=float(n % 60 >= 30))) for n in range(120)]
    render_ultrasound(world, beats[0])
    progress("ultrasound: colour Doppler over the femoral vessels, probe resting, 2 beats")
    ms, cpu = _timed(world, beats)
    shown = render_ultrasound(world, beats[8]).doppler.shown.sum()
    return out + [figure("frame time, colour Doppler over the femoral vessels (probe resting, "
                         "pressed half the time), median", np.median(ms), "ms", "<= 16"),
                  figure("CPU time per frame, colour Doppler over the femoral vessels, median",
                         np.median(cpu), "ms"),
                  figure("coloured samples in that box at systole", float(shown), "samples",
                         "> 0")]
