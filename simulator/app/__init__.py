"""The interactive trainer (``jointsim run``): the only package that imports pygame.

- ``bindings``: controls as data (``default_bindings.yaml``), loaded with clear errors.
- ``gamepad`` / ``controls``: hot-pluggable gamepads and the keyboard, read through bindings.
- ``trainee``: the policy that turns the controls into ``Action``s for the ``Session``.
- ``loop``: the window and its fixed-timestep loop (``App``).
- ``imaging`` / ``hud`` / ``screens`` / ``draw``: what is drawn; ``feedback``: prompts.
- ``results``: where each attempt's log and score are saved; ``profile``: frame times.
"""

import os

# The window, the imaging view and the 3D view share the cores (two on a typical laptop or
# CI machine). numba's OpenMP workers spin after each parallel kernel by default, burning the
# core the next ultrasound frame needs; they sleep instead. Set here, before any parallel
# kernel loads the OpenMP runtime (``jointsim run`` imports this package before loading the
# world); a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
