"""Imaging: pure views of the simulation state (``state -> ndarray``).

``simulator.imaging.ultrasound`` renders B-mode images, ``simulator.imaging.fluoro``
fluoroscopy; neither stores anything in the state, and per-frame noise derives from
``(seed, tick)`` so any frame can be re-rendered from a log.
"""

import os

# numba's OpenMP workers (both renderers' kernels) sleep between parallel regions instead of
# spinning: GNU OpenMP otherwise busy-waits after every region, and on a shared 2-core machine
# (the app's window and 3D threads, other programs) that steals the core the real work needs.
# Read once, when numba starts its threads; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
