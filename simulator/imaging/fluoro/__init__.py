"""Synthetic fluoroscopy: C-arm projection of the anatomy, the steel needle and contrast.

Modules, one idea each:

- ``projection``: pinhole geometry of the C-arm (``pixel_from_world``, pixel pitch).
- ``scene``: the anatomy's triangles, materials and how surfaces nest or overlap.
- ``raster``: per-material path lengths by rasterising projected triangles (numba).
- ``needle``: the analytic hollow steel cannula (and stylet).
- ``contrast``: iodine line integrals through the injectate field.
- ``detector``: exposure, quantum noise, blur, log transform, window, collimation.
- ``render``: :func:`render_fluoro` puts them together, memoising the anatomy per pose.
- ``snapshot``: PNG / raw output for ``jointsim snapshot``.
"""

import os

# numba's OpenMP workers sleep between parallel regions instead of spinning: GNU OpenMP
# otherwise busy-waits after every region, and on a shared 2-core machine (the app's window
# and 3D threads, other programs) that steals the core the real work needs. Read once, when
# numba starts its threads; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from simulator.imaging.fluoro.render import FluoroFrame, render_fluoro

__all__ = ["FluoroFrame", "render_fluoro"]
