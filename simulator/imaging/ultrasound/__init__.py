"""Synthetic ultrasound B-mode: ``render_ultrasound(world, state) -> UltrasoundFrame``.

A pure view of the simulation state (probe pose and settings, needle, injectate) built with
a Buerger-style convolution ray tracer that runs in real time on two CPU cores. Physics,
parameters and the realism criteria it is tested against: ``shared/ultrasound.md``.
"""

from simulator.imaging.ultrasound.render import UltrasoundFrame, render_ultrasound

__all__ = ["UltrasoundFrame", "render_ultrasound"]
