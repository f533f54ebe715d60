"""Synthetic ultrasound B-mode: ``render_ultrasound(world, state) -> UltrasoundFrame``.

A pure view of the simulation state (probe pose and settings, needle, injectate) built with
a Buerger-style convolution ray tracer that runs in real time on two CPU cores. Physics,
parameters and the realism criteria it is tested against: ``shared/ultrasound.md``.
"""

import os

# numba's OpenMP workers sleep between parallel regions instead of spinning: GNU OpenMP
# otherwise busy-waits after every region, and on a shared 2-core machine (the app's window
# and 3D threads, other programs) that steals the core the real work needs. Read once, when
# numba starts its threads; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from simulator.imaging.ultrasound.render import UltrasoundFrame, render_ultrasound

__all__ = ["UltrasoundFrame", "render_ultrasound"]
