"""jointsim: a training simulator for image-guided joint injections.

The core (scenario, anatomy, state, step, session, replay) is pure Python and NumPy; display
libraries (vtk, pyvista, pygame) are imported only by ``simulator.viz`` and ``simulator.app``.
"""

import os

# numba's OpenMP workers (the anatomy ray casts, both renderers' kernels) sleep between parallel
# regions instead of spinning: GNU OpenMP otherwise busy-waits after every region, and on a
# shared 2-core machine (the app's window and 3D threads, other programs) that steals the core
# the real work needs. Read once, when numba starts its threads, which is always after this
# package is imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
